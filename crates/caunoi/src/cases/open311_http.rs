//! The GeoReport v2 wire format under `/open311/v2/`: every resource in `.json` and `.xml`,
//! errors as the standard's list of `{code, description}` with the matching HTTP status (400,
//! 403, 404, 429), UTF-8 content types. Handlers parse, call [`super::open311`] and render one
//! [`Node`] tree in the format asked for; nothing here decides what is published.
//!
//! The router cannot match a parameter followed by a suffix (`{id}.json`), so each resource
//! takes its whole last segment and splits off the format itself.

use super::open311::{self, ListQuery, Refusal, RequestForm};
use super::open311_xml::Node;
use crate::app::App;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use caunoi_core::cases::Category;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/open311/v2/{file}", get(top).post(post_request))
        .route("/open311/v2/services/{file}", get(service_definition))
        .route("/open311/v2/requests/{file}", get(one_request))
        .route("/open311/v2/tokens/{file}", get(token))
}

/// The two formats of every resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Xml,
}

/// `name.json` / `name.xml` → (name, format).
fn split(file: &str) -> Option<(&str, Format)> {
    let (name, ext) = file.rsplit_once('.')?;
    match ext {
        "json" => Some((name, Format::Json)),
        "xml" => Some((name, Format::Xml)),
        _ => None,
    }
}

/// A document in the format asked for, with `root` as the XML root element.
fn document(status: StatusCode, format: Format, root: &'static str, node: &Node) -> Response {
    let (content_type, body) = match format {
        Format::Json => ("application/json; charset=utf-8", node.to_json()),
        Format::Xml => ("text/xml; charset=utf-8", node.to_xml(root)),
    };
    let mut resp = (status, [(header::CONTENT_TYPE, content_type)], body).into_response();
    // GeoReport reads are public and a key travels in the body, never in a cookie: any site's
    // page may call the API.
    resp.headers_mut().insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    resp
}

fn ok(format: Format, root: &'static str, node: Node) -> Response {
    document(StatusCode::OK, format, root, &node)
}

/// The standard's error list.
fn refused(format: Format, r: Refusal) -> Response {
    let (status, description) = match r {
        Refusal::BadRequest(d) => (StatusCode::BAD_REQUEST, d),
        Refusal::Forbidden(d) => (StatusCode::FORBIDDEN, d),
        Refusal::NotFound(d) => (StatusCode::NOT_FOUND, d),
        Refusal::TooMany(secs) => {
            let node = errors(429, &format!("too many requests for this api_key: retry in {secs} seconds"));
            let mut resp = document(StatusCode::TOO_MANY_REQUESTS, format, "errors", &node);
            resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
            return resp;
        }
        Refusal::Internal => (StatusCode::INTERNAL_SERVER_ERROR, "internal error: please try again later".into()),
    };
    document(status, format, "errors", &errors(status.as_u16().into(), &description))
}

fn errors(code: i64, description: &str) -> Node {
    Node::List("error", vec![Node::Object(vec![("code", Node::Int(code)), ("description", Node::text(description))])])
}

/// An unknown resource or format: 404 in JSON unless XML was asked for.
fn unknown(file: &str) -> Response {
    let format = if file.ends_with(".xml") { Format::Xml } else { Format::Json };
    refused(format, Refusal::NotFound("no such resource: see discovery.json".into()))
}

fn pairs(q: Result<Query<Vec<(String, String)>>, QueryRejection>) -> Result<Vec<(String, String)>, Refusal> {
    q.map(|Query(p)| p).map_err(|_| Refusal::BadRequest("the query string could not be read".into()))
}

fn first<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// The key a listing was given, if any (then it must be live).
async fn optional_key(app: &App, pairs: &[(String, String)]) -> Result<Option<open311::ApiKey>, Refusal> {
    match first(pairs, "api_key").map(str::trim).filter(|k| !k.is_empty()) {
        None => Ok(None),
        Some(k) => open311::check_key(app, Some(k)).await.map(Some),
    }
}

/// `GET discovery|services|requests.{fmt}`.
async fn top(
    State(app): State<App>,
    Path(file): Path<String>,
    q: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    let Some((name, format)) = split(&file) else { return unknown(&file) };
    match name {
        "discovery" => ok(format, "discovery", discovery(&app)),
        "services" => {
            ok(format, "services", Node::List("service", open311::services(&app).iter().map(service_node).collect()))
        }
        "requests" => {
            let result = async {
                let pairs = pairs(q)?;
                let key = optional_key(&app, &pairs).await?;
                open311::list(&app, key, &ListQuery::from_pairs(&pairs)).await
            }
            .await;
            match result {
                Ok(list) => {
                    ok(format, "service_requests", Node::List("request", list.iter().map(|p| p.node()).collect()))
                }
                Err(r) => refused(format, r),
            }
        }
        _ => unknown(&file),
    }
}

fn discovery(app: &App) -> Node {
    let base = app.config.public_url.trim_end_matches('/');
    Node::Object(vec![
        ("changeset", Node::text("2026-01-01T00:00:00+07:00")),
        ("contact", Node::text(format!("Quản trị hệ thống / system administrators: {base}/"))),
        ("key_service", Node::text("API keys are issued by a unit's administrator in the console (Đơn vị → Open311).")),
        (
            "endpoints",
            Node::List(
                "endpoint",
                vec![Node::Object(vec![
                    ("specification", Node::text("http://wiki.open311.org/GeoReport_v2")),
                    ("url", Node::text(format!("{base}/open311/v2"))),
                    ("changeset", Node::text("2026-01-01T00:00:00+07:00")),
                    ("type", Node::text("production")),
                    ("formats", Node::List("format", vec![Node::text("text/xml"), Node::text("application/json")])),
                ])],
            ),
        ),
    ])
}

fn service_node(c: &Category) -> Node {
    Node::Object(vec![
        ("service_code", Node::text(&c.key)),
        ("service_name", Node::text(&c.label_vi)),
        ("description", Node::text(format!("{} — {}", c.label_vi, c.label_en))),
        ("metadata", Node::Bool(!c.questions.is_empty())),
        ("type", Node::text("realtime")),
        ("keywords", Node::text(&c.label_en)),
        ("group", Node::text("An ninh, trật tự")),
    ])
}

fn definition_node(c: &Category) -> Node {
    let attributes = c
        .questions
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let list = !q.choices.is_empty();
            Node::Object(vec![
                ("variable", Node::Bool(true)),
                ("code", Node::text(&q.code)),
                ("datatype", Node::text(if list { "singlevaluelist" } else { "string" })),
                ("required", Node::Bool(q.required)),
                (
                    "datatype_description",
                    Node::text(if list {
                        "Chọn một giá trị (key) trong danh sách / one key from the list"
                    } else {
                        "Văn bản / text"
                    }),
                ),
                ("order", Node::Int(i as i64 + 1)),
                ("description", Node::text(format!("{} ({})", q.label_vi, q.label_en))),
                (
                    "values",
                    Node::List(
                        "value",
                        q.choices
                            .iter()
                            .map(|(k, name)| Node::Object(vec![("key", Node::text(k)), ("name", Node::text(name))]))
                            .collect(),
                    ),
                ),
            ])
        })
        .collect();
    Node::Object(vec![("service_code", Node::text(&c.key)), ("attributes", Node::List("attribute", attributes))])
}

/// `GET services/{code}.{fmt}`: the definition with one attribute per extra question.
async fn service_definition(State(app): State<App>, Path(file): Path<String>) -> Response {
    let Some((code, format)) = split(&file) else { return unknown(&file) };
    match open311::find_service(&app, code) {
        Some(c) => ok(format, "service_definition", definition_node(&c)),
        None => refused(format, Refusal::NotFound("service_code not found".into())),
    }
}

/// `GET requests/{id}.{fmt}`: a list of one request.
async fn one_request(
    State(app): State<App>,
    Path(file): Path<String>,
    q: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    let Some((id, format)) = split(&file) else { return unknown(&file) };
    let result = async {
        let pairs = pairs(q)?;
        let key = optional_key(&app, &pairs).await?;
        open311::one(&app, key, id).await
    }
    .await;
    match result {
        Ok(p) => ok(format, "service_requests", Node::List("request", vec![p.node()])),
        Err(r) => refused(format, r),
    }
}

/// `GET tokens/{token}.{fmt}`: requests are created at once, so the token a client holds is the
/// request's id; answered for published requests like `requests/{id}`.
async fn token(
    State(app): State<App>,
    Path(file): Path<String>,
    q: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    let Some((id, format)) = split(&file) else { return unknown(&file) };
    let result = async {
        let pairs = pairs(q)?;
        let key = optional_key(&app, &pairs).await?;
        open311::one(&app, key, id).await
    }
    .await;
    match result {
        Ok(p) => ok(
            format,
            "service_requests",
            Node::List(
                "request",
                vec![Node::Object(vec![("service_request_id", Node::text(&p.code)), ("token", Node::text(&p.code))])],
            ),
        ),
        Err(r) => refused(format, r),
    }
}

/// `POST requests.{fmt}` (form-encoded; `api_key` in the form or the query string).
async fn post_request(
    State(app): State<App>,
    Path(file): Path<String>,
    q: Result<Query<Vec<(String, String)>>, QueryRejection>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let Some(("requests", format)) = split(&file) else { return unknown(&file) };
    let result = async {
        let query = pairs(q)?;
        let Form(fields) = form
            .map_err(|_| Refusal::BadRequest("send the request as application/x-www-form-urlencoded fields".into()))?;
        let api_key = first(&fields, "api_key").or_else(|| first(&query, "api_key"));
        let key = open311::check_key(&app, api_key).await?;
        open311::file(&app, key, &RequestForm(fields)).await
    }
    .await;
    match result {
        Ok(filed) => ok(
            format,
            "service_requests",
            Node::List(
                "request",
                vec![Node::Object(vec![
                    ("service_request_id", Node::text(filed.code.as_str())),
                    (
                        "service_notice",
                        Node::text(
                            "Đã tiếp nhận. Việc khẩn cấp xin gọi ngay 113 (công an) hoặc 114 (cứu hỏa). / \
                             Received. For an emergency call 113 (police) or 114 (fire) now.",
                        ),
                    ),
                    ("account_id", Node::Null),
                ])],
            ),
        ),
        Err(r) => refused(format, r),
    }
}
