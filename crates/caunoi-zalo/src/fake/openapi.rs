//! The fake's Zalo-facing endpoints: OAuth v4 refresh and the OpenAPI / business endpoints
//! caunoi uses (zalo-oa.md §11 table). Application errors are HTTP 200 with `error != 0`,
//! as on the real hosts; every call passes the fault knobs first, then token checks.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Multipart, Query, State as AxumState};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use serde_json::{Value, json};

use super::{
    ACCESS_TOKEN_SECONDS, Consent, FakeUser, IssuedCode, REPLY_WINDOW_MS, SentRecord, Shared, TokenInfo,
    UPLOAD_LIFETIME_MS, UploadInfo, webhook,
};
use crate::ids::{AppId, OaId, UserId};

type App = AxumState<Arc<Shared>>;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Host {
    OpenApi,
    Business,
}

pub(super) fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/v4/oa/access_token", post(access_token))
        .route("/v4/oa/permission", get(permission))
        .route("/v3.0/oa/message/cs", post(message_cs))
        .route("/v3.0/oa/message/template", post(template_by_uid))
        .route("/v2.0/oa/message", post(message_v2))
        .route("/v2.0/oa/upload/image", post(upload_image))
        .route("/v2.0/oa/upload/gif", post(upload_gif))
        .route("/v2.0/oa/upload/file", post(upload_file))
        .route("/v3.0/oa/user/detail", get(user_detail))
        .route("/v2.0/oa/getoa", get(getoa))
        .route("/message/template", post(template_by_phone))
}

fn zalo_error(code: i64, message: &str) -> Json<Value> {
    Json(json!({ "error": code, "message": message }))
}

fn success(data: Value) -> Json<Value> {
    Json(json!({ "data": data, "error": 0, "message": "Success" }))
}

/// OAuth-host errors carry their own fields (§2.1); the exact codes for a bad secret or a
/// reused refresh token are undocumented, these are our choice.
fn oauth_error(code: i64, name: &str) -> Json<Value> {
    Json(json!({
        "error": code,
        "error_name": name,
        "error_reason": name,
        "ref_doc": "https://developers.zalo.me/docs/official-account/bat-dau/xac-thuc-va-uy-quyen-cho-ung-dung-new",
        "error_description": name,
    }))
}

async fn access_token(
    AxumState(shared): App,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Json<Value> {
    let secret = headers.get("secret_key").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let app_id = form.get("app_id").map(String::as_str).unwrap_or_default();
    let grant = form.get("grant_type").map(String::as_str).unwrap_or_default();
    let mut state = shared.lock();
    if grant == "refresh_token" {
        state.refresh_calls += 1;
    }
    if !state.oas.values().any(|oa| oa.app_id == app_id) {
        return oauth_error(-14002, "Invalid appId");
    }
    if !state.oas.values().any(|oa| oa.app_id == app_id && oa.app_secret.expose() == secret) {
        return oauth_error(-14012, "Invalid secret key");
    }
    if let Some((code, name)) = state.faults.oauth_errors.pop_front() {
        return oauth_error(code, &name);
    }
    let oa_id = match grant {
        "refresh_token" => {
            let presented = form.get("refresh_token").cloned().unwrap_or_default();
            let found = state
                .oas
                .iter()
                .find(|(_, oa)| oa.app_id == app_id && !presented.is_empty() && oa.refresh_token == presented)
                .map(|(id, _)| id.clone());
            let Some(oa_id) = found else {
                return oauth_error(-14014, "Invalid refresh token");
            };
            if let Some(oa) = state.oas.get_mut(&oa_id) {
                oa.refresh_calls += 1;
            }
            oa_id
        }
        "authorization_code" => match redeem_code(&mut state, app_id, &form) {
            Ok(oa_id) => oa_id,
            Err(answer) => return answer,
        },
        _ => return oauth_error(-14001, "Unsupported grant_type"),
    };
    let seed = shared.seed;
    let new_access = format!("FAKE-OA-AT-{}", state.next_hex(seed, 10));
    let new_refresh = format!("FAKE-OA-RT-{}", state.next_hex(seed, 10));
    let now = state.now_ms();
    if shared.refresh_invalidates_access_token {
        state.access_tokens.retain(|_, info| info.oa_id != oa_id);
    }
    state.access_tokens.insert(
        new_access.clone(),
        TokenInfo { oa_id: oa_id.clone(), expires_at_ms: now + ACCESS_TOKEN_SECONDS * 1000 },
    );
    if let Some(oa) = state.oas.get_mut(&oa_id) {
        // Single use: the presented refresh token (or the one of an earlier grant) dies here.
        oa.refresh_token = new_refresh.clone();
    }
    let expires_in =
        if shared.expires_in_as_number { json!(ACCESS_TOKEN_SECONDS) } else { json!(ACCESS_TOKEN_SECONDS.to_string()) };
    Json(json!({
        "access_token": new_access,
        "refresh_token": new_refresh,
        "expires_in": expires_in,
    }))
}

/// Lifetime of an authorization code (§2.3).
const CODE_LIFETIME_MS: i64 = 10 * 60 * 1000;

/// Checks an authorization code (known, issued to this App, at most 10 minutes old, never
/// used) and its PKCE verifier; the code is spent whatever the outcome. The error codes for a
/// bad code or verifier are undocumented: these are our choice.
fn redeem_code(state: &mut super::State, app_id: &str, form: &HashMap<String, String>) -> Result<OaId, Json<Value>> {
    let code = form.get("code").map(String::as_str).unwrap_or_default();
    let Some(issued) = state.codes.remove(code) else {
        return Err(oauth_error(-14019, "Invalid authorization code"));
    };
    if issued.app_id.as_str() != app_id || state.now_ms() - issued.issued_ms > CODE_LIFETIME_MS {
        return Err(oauth_error(-14019, "Invalid authorization code"));
    }
    let verifier = form.get("code_verifier").map(String::as_str).unwrap_or_default();
    if crate::consent::code_challenge(verifier) != issued.code_challenge {
        return Err(oauth_error(-14022, "Invalid code verifier"));
    }
    Ok(issued.oa_id)
}

/// The permission page (a test helper: no page is shown). The admin's decision comes from
/// [`Fault::NextConsent`](super::Fault::NextConsent), by default "allow" for the App's first
/// OA; the browser is sent back to `redirect_uri` with `code`, `oa_id` and `state`. An
/// unknown App or a `redirect_uri` other than the registered callback URL get the OAuth error
/// JSON, as a page the admin would see at Zalo.
async fn permission(AxumState(shared): App, Query(q): Query<HashMap<String, String>>) -> Response {
    let get = |k: &str| q.get(k).map(String::as_str).unwrap_or_default();
    let (app_id, redirect_uri, challenge, state_param) =
        (get("app_id"), get("redirect_uri"), get("code_challenge"), get("state"));
    let mut state = shared.lock();
    let app_oas: Vec<OaId> = state.oas.iter().filter(|(_, oa)| oa.app_id == app_id).map(|(id, _)| id.clone()).collect();
    let Some(first) = app_oas.first().cloned() else {
        return oauth_error(-14002, "Invalid appId").into_response();
    };
    let registered = state.oas.get(&first).and_then(|oa| oa.callback_url.clone());
    let Ok(mut back) = reqwest::Url::parse(redirect_uri) else {
        return oauth_error(-14003, "Invalid redirect uri").into_response();
    };
    if registered.is_some_and(|r| !redirect_uri.starts_with(&r)) {
        return oauth_error(-14003, "Invalid redirect uri").into_response();
    }
    let decision = state.faults.next_consent.take().unwrap_or_default();
    let oa_id = match decision {
        Consent::Deny => {
            back.query_pairs_mut()
                .append_pair("error", "access_denied")
                .append_pair("error_description", "The user denied the permission request")
                .append_pair("state", state_param);
            return found(back.as_str());
        }
        Consent::Allow => first,
        Consent::AllowOa { oa_id } => match app_oas.into_iter().find(|o| o.as_str() == oa_id) {
            Some(o) => o,
            None => return oauth_error(-14002, "Invalid appId").into_response(),
        },
    };
    let seed = shared.seed;
    let code = format!("FAKE-CODE-{}", state.next_hex(seed, 12));
    let issued_ms = state.now_ms();
    state.codes.insert(
        code.clone(),
        IssuedCode {
            oa_id: oa_id.clone(),
            app_id: AppId::new(app_id),
            code_challenge: challenge.to_owned(),
            issued_ms,
        },
    );
    back.query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("oa_id", oa_id.as_str())
        .append_pair("state", state_param);
    found(back.as_str())
}

fn found(location: &str) -> Response {
    (StatusCode::FOUND, [(header::LOCATION, location.to_owned())]).into_response()
}

/// Fault knobs, then the `access_token` header. Returns the OA the token belongs to.
async fn admit(shared: &Shared, headers: &HeaderMap, host: Host) -> Result<OaId, Json<Value>> {
    let delay = shared.lock().faults.delays.pop_front();
    if let Some(ms) = delay {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    let invalid_token = match host {
        Host::OpenApi => (-216, "Access token is invalid"),
        Host::Business => (-124, "Access token is invalid"),
    };
    let expired_token = match host {
        Host::OpenApi => (-220, "Access token has expired or been removed"),
        Host::Business => (-124, "Access token is invalid"),
    };
    let mut state = shared.lock();
    if state.faults.rate_limit > 0 {
        state.faults.rate_limit -= 1;
        return Err(zalo_error(-32, "Your application reached limit call api"));
    }
    if state.faults.token_expired > 0 {
        state.faults.token_expired -= 1;
        return Err(zalo_error(expired_token.0, expired_token.1));
    }
    if let Some((code, message)) = state.faults.errors.pop_front() {
        return Err(zalo_error(code, &message));
    }
    let token = headers.get("access_token").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let now = state.now_ms();
    match state.access_tokens.get(token) {
        None => Err(zalo_error(invalid_token.0, invalid_token.1)),
        Some(info) if now >= info.expires_at_ms => Err(zalo_error(expired_token.0, expired_token.1)),
        Some(info) => Ok(info.oa_id.clone()),
    }
}

fn str_at<'v>(v: &'v Value, path: &[&str]) -> Option<&'v str> {
    let mut cur = v;
    for key in path {
        cur = cur.get(key)?;
    }
    cur.as_str()
}

/// What a valid consultation body asks to send.
struct CsMessage {
    kind: &'static str,
    text: Option<String>,
    quote: Option<String>,
    attachment_id: Option<String>,
    image_url: Option<String>,
    file_token: Option<String>,
}

fn parse_cs(state: &super::State, oa_id: &OaId, body: &Value) -> Result<CsMessage, Json<Value>> {
    let invalid = |field: &str| zalo_error(-201, &format!("{field} is invalid"));
    let message = body.get("message").ok_or_else(|| invalid("message"))?;
    let text = str_at(message, &["text"]).map(str::to_owned);
    if let Some(text) = &text
        && text.chars().count() > crate::client::MAX_TEXT_CHARS
    {
        return Err(invalid("message.text"));
    }
    let quote = str_at(message, &["quote_message_id"]).map(str::to_owned);
    let now = state.now_ms();
    let upload_ok = |id: &str, kind: &str| -> Result<(), Json<Value>> {
        match state.uploads.get(id) {
            Some(u) if u.kind == kind && &u.oa_id == oa_id => {
                if now - u.issued_ms > UPLOAD_LIFETIME_MS {
                    Err(zalo_error(-100, "The attachment_id is expired"))
                } else {
                    Ok(())
                }
            }
            _ => Err(invalid(if kind == "file" { "token" } else { "attachment_id" })),
        }
    };
    let Some(attachment) = message.get("attachment") else {
        return match text {
            Some(t) if !t.is_empty() => Ok(CsMessage {
                kind: "text",
                text: Some(t),
                quote,
                attachment_id: None,
                image_url: None,
                file_token: None,
            }),
            _ => Err(invalid("message.text")),
        };
    };
    match str_at(attachment, &["type"]) {
        Some("file") => {
            let token = str_at(attachment, &["payload", "token"]).ok_or_else(|| invalid("token"))?;
            upload_ok(token, "file")?;
            Ok(CsMessage {
                kind: "file",
                text: None,
                quote,
                attachment_id: None,
                image_url: None,
                file_token: Some(token.to_owned()),
            })
        }
        Some("template") => {
            let payload = attachment.get("payload").ok_or_else(|| invalid("payload"))?;
            let elements = payload
                .get("elements")
                .and_then(Value::as_array)
                .filter(|e| e.len() == 1)
                .ok_or_else(|| invalid("elements"))?;
            let element = &elements[0];
            match str_at(payload, &["template_type"]) {
                Some("media") => {
                    if str_at(element, &["media_type"]) != Some("image") {
                        return Err(zalo_error(-233, "The message type is not supported"));
                    }
                    let id = str_at(element, &["attachment_id"]);
                    let url = str_at(element, &["url"]);
                    match (id, url) {
                        (Some(id), None) => upload_ok(id, "image")?,
                        (None, Some(url)) if url.starts_with("http") => {}
                        _ => return Err(invalid("elements")),
                    }
                    Ok(CsMessage {
                        kind: "image",
                        text,
                        quote,
                        attachment_id: id.map(str::to_owned),
                        image_url: url.map(str::to_owned),
                        file_token: None,
                    })
                }
                Some("request_user_info") => {
                    if str_at(element, &["title"]).is_none() || str_at(element, &["subtitle"]).is_none() {
                        return Err(invalid("elements"));
                    }
                    Ok(CsMessage {
                        kind: "request_user_info",
                        text: str_at(element, &["subtitle"]).map(str::to_owned),
                        quote,
                        attachment_id: None,
                        image_url: str_at(element, &["image_url"]).map(str::to_owned),
                        file_token: None,
                    })
                }
                // `list`/button templates are unconfirmed on v3 (§5.1): answer as Zalo is
                // expected to, so the adapter's text fallback is exercised.
                _ => Err(zalo_error(-233, "The message type is not supported")),
            }
        }
        _ => Err(invalid("attachment.type")),
    }
}

fn parse_json(body: &[u8]) -> Result<Value, Json<Value>> {
    serde_json::from_slice(body).map_err(|_| zalo_error(-201, "body is invalid"))
}

async fn message_cs(AxumState(shared): App, headers: HeaderMap, body: axum::body::Bytes) -> Json<Value> {
    let oa_id = match admit(&shared, &headers, Host::OpenApi).await {
        Ok(oa) => oa,
        Err(answer) => return answer,
    };
    let request = match parse_json(&body) {
        Ok(v) => v,
        Err(answer) => return answer,
    };
    let Some(user_id) = str_at(&request, &["recipient", "user_id"]).map(UserId::new) else {
        return zalo_error(-201, "recipient.user_id is invalid");
    };
    let mut state = shared.lock();
    let msg = match parse_cs(&state, &oa_id, &request) {
        Ok(msg) => msg,
        Err(answer) => return answer,
    };
    let now = state.now_ms();
    let last = state.users.get(&(oa_id.clone(), user_id.clone())).and_then(|u| u.last_interaction_ms);
    let since = match last {
        Some(last) if now - last <= REPLY_WINDOW_MS => now - last,
        _ => {
            return zalo_error(-230, "User has not interacted with the OA in the past 7 days");
        }
    };
    let message_id = state.next_hex(shared.seed, 10);
    let record = SentRecord {
        oa_id: oa_id.to_string(),
        user_id: user_id.to_string(),
        message_id: message_id.clone(),
        kind: msg.kind.to_owned(),
        text: msg.text,
        quote_message_id: msg.quote,
        attachment_id: msg.attachment_id,
        image_url: msg.image_url,
        file_token: msg.file_token,
        template_id: None,
        template_data: None,
        tracking_id: None,
        sent_time_ms: now,
        request,
    };
    state.sent.push(record.clone());
    drop(state);
    if shared.echo_webhooks {
        webhook::spawn_send_echoes(&shared, record);
    }
    // Free within 48 h of the interaction, billed to the OA package after (§5.2).
    let quota_type = if since <= 48 * 3600 * 1000 { "reply" } else { "sub_quota" };
    success(json!({
        "message_id": message_id,
        "user_id": user_id.as_str(),
        "sent_time": now.to_string(),
        "quota": { "quota_type": quota_type },
    }))
}

/// Checks template id and parameters against the configured templates.
fn check_template(shared: &Shared, template_id: &str, data: &Value, by_phone: bool) -> Result<(), Json<Value>> {
    if shared.templates.is_empty() {
        return Ok(());
    }
    let Some(template) = shared.templates.iter().find(|t| t.template_id == template_id) else {
        return Err(if by_phone {
            zalo_error(-109, "Template id is invalid")
        } else {
            zalo_error(-201, "template_id is invalid")
        });
    };
    if by_phone && !template.enabled {
        return Err(zalo_error(-131, "Template has not been approved"));
    }
    if !by_phone && !template.uid_supported {
        return Err(zalo_error(-249, "Template does not support send via UID"));
    }
    for param in &template.params {
        if data.get(param).is_none() {
            return Err(if by_phone {
                zalo_error(-1122, "Missing parameter in template_data")
            } else {
                zalo_error(-201, "template_data is invalid")
            });
        }
    }
    Ok(())
}

async fn template_by_uid(AxumState(shared): App, headers: HeaderMap, body: axum::body::Bytes) -> Json<Value> {
    let oa_id = match admit(&shared, &headers, Host::OpenApi).await {
        Ok(oa) => oa,
        Err(answer) => return answer,
    };
    let request = match parse_json(&body) {
        Ok(v) => v,
        Err(answer) => return answer,
    };
    let user = str_at(&request, &["user_id"]).or_else(|| str_at(&request, &["recipient", "user_id"]));
    let Some(user_id) = user.map(UserId::new) else {
        return zalo_error(-201, "user_id is invalid");
    };
    let Some(template_id) = str_at(&request, &["template_id"]).map(str::to_owned) else {
        return zalo_error(-201, "template_id is invalid");
    };
    let data = request.get("template_data").cloned().unwrap_or(Value::Null);
    if let Err(answer) = check_template(&shared, &template_id, &data, false) {
        return answer;
    }
    let mut state = shared.lock();
    if !state.users.contains_key(&(oa_id.clone(), user_id.clone())) {
        return zalo_error(-201, "user_id is invalid");
    }
    let now = state.now_ms();
    let message_id = state.next_hex(shared.seed, 10);
    state.sent.push(SentRecord {
        oa_id: oa_id.to_string(),
        user_id: user_id.to_string(),
        message_id: message_id.clone(),
        kind: "template".into(),
        text: None,
        quote_message_id: None,
        attachment_id: None,
        image_url: None,
        file_token: None,
        template_id: Some(template_id),
        template_data: Some(data),
        tracking_id: None,
        sent_time_ms: now,
        request,
    });
    success(json!({ "message_id": message_id, "user_id": user_id.as_str(), "sent_time": now.to_string() }))
}

/// Normalizes to `84…` (§5.4); `None` if it is not a Vietnamese mobile number.
fn normalize_phone(raw: &str) -> Option<String> {
    let digits = raw.trim().trim_start_matches('+');
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let national = digits.strip_prefix("84").or_else(|| digits.strip_prefix('0')).unwrap_or(digits);
    (9..=10).contains(&national.len()).then(|| format!("84{national}"))
}

async fn template_by_phone(AxumState(shared): App, headers: HeaderMap, body: axum::body::Bytes) -> Json<Value> {
    let oa_id = match admit(&shared, &headers, Host::Business).await {
        Ok(oa) => oa,
        Err(answer) => return answer,
    };
    let request = match parse_json(&body) {
        Ok(v) => v,
        Err(answer) => return answer,
    };
    let Some(phone) = str_at(&request, &["phone"]).and_then(normalize_phone) else {
        return zalo_error(-108, "Phone number is invalid");
    };
    let Some(template_id) = str_at(&request, &["template_id"]).map(str::to_owned) else {
        return zalo_error(-109, "Template id is invalid");
    };
    let data = request.get("template_data").cloned().unwrap_or(Value::Null);
    if let Err(answer) = check_template(&shared, &template_id, &data, true) {
        return answer;
    }
    let tracking_id = str_at(&request, &["tracking_id"]).map(str::to_owned);
    let mut state = shared.lock();
    let now = state.now_ms();
    let msg_id = state.next_hex(shared.seed, 10);
    let record = SentRecord {
        oa_id: oa_id.to_string(),
        user_id: phone,
        message_id: msg_id.clone(),
        kind: "zns_template".into(),
        text: None,
        quote_message_id: None,
        attachment_id: None,
        image_url: None,
        file_token: None,
        template_id: Some(template_id),
        template_data: Some(data),
        tracking_id,
        sent_time_ms: now,
        request,
    };
    let sent_today = state.sent.iter().filter(|m| m.kind == "zns_template").count();
    state.sent.push(record.clone());
    drop(state);
    if shared.echo_webhooks {
        webhook::spawn_zns_receipt(&shared, record);
    }
    let remaining = 5000usize.saturating_sub(sent_today + 1);
    success(json!({
        "msg_id": msg_id,
        "sent_time": now.to_string(),
        "sending_mode": "1",
        "quota": { "dailyQuota": "5000", "remainingQuota": remaining.to_string() },
    }))
}

async fn message_v2(AxumState(shared): App, headers: HeaderMap) -> Json<Value> {
    if let Err(answer) = admit(&shared, &headers, Host::OpenApi).await {
        return answer;
    }
    zalo_error(-240, "MessageV2 API has been shut down")
}

struct UploadedFile {
    name: String,
    content_type: String,
    size: usize,
}

async fn read_upload(mut multipart: Multipart) -> Result<UploadedFile, Json<Value>> {
    let invalid = || zalo_error(-201, "file is invalid");
    while let Ok(Some(field)) = multipart.next_field().await {
        if field.name() != Some("file") {
            continue;
        }
        let name = field.file_name().unwrap_or_default().to_owned();
        let content_type = field.content_type().unwrap_or_default().to_owned();
        let bytes = field.bytes().await.map_err(|_| invalid())?;
        return Ok(UploadedFile { name, content_type, size: bytes.len() });
    }
    Err(invalid())
}

async fn upload(shared: Arc<Shared>, headers: HeaderMap, multipart: Multipart, kind: &'static str) -> Json<Value> {
    let oa_id = match admit(&shared, &headers, Host::OpenApi).await {
        Ok(oa) => oa,
        Err(answer) => return answer,
    };
    let file = match read_upload(multipart).await {
        Ok(f) => f,
        Err(answer) => return answer,
    };
    let ext = file.name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    let (allowed, max): (&[&str], usize) = match kind {
        "image" => (&["jpg", "jpeg", "png"], 1024 * 1024),
        "gif" => (&["gif"], 5 * 1024 * 1024),
        _ => (&["pdf", "doc", "docx", "csv"], 5 * 1024 * 1024),
    };
    let type_ok = allowed.contains(&ext.as_str())
        || match kind {
            "image" => matches!(file.content_type.as_str(), "image/jpeg" | "image/png"),
            "gif" => file.content_type == "image/gif",
            _ => file.content_type == "application/pdf",
        };
    if !type_ok || file.size == 0 {
        return zalo_error(-201, "file is invalid");
    }
    if file.size > max {
        return zalo_error(-210, "file size exceeds limit");
    }
    let mut state = shared.lock();
    let id = state.next_hex(shared.seed, 16);
    let issued_ms = state.now_ms();
    state.uploads.insert(id.clone(), UploadInfo { oa_id, kind: if kind == "gif" { "image" } else { kind }, issued_ms });
    if kind == "file" { success(json!({ "token": id })) } else { success(json!({ "attachment_id": id })) }
}

async fn upload_image(AxumState(shared): App, headers: HeaderMap, multipart: Multipart) -> Json<Value> {
    upload(shared, headers, multipart, "image").await
}

async fn upload_gif(AxumState(shared): App, headers: HeaderMap, multipart: Multipart) -> Json<Value> {
    upload(shared, headers, multipart, "gif").await
}

async fn upload_file(AxumState(shared): App, headers: HeaderMap, multipart: Multipart) -> Json<Value> {
    upload(shared, headers, multipart, "file").await
}

/// `dd/mm/yyyy` in Vietnam time (UTC+7, no DST) — the coarse date `user/detail` gives.
pub(super) fn vietnam_date(ms: i64) -> String {
    let days = (ms.div_euclid(1000) + 7 * 3600).div_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{day:02}/{month:02}/{year}")
}

async fn user_detail(
    AxumState(shared): App,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Json<Value> {
    let oa_id = match admit(&shared, &headers, Host::OpenApi).await {
        Ok(oa) => oa,
        Err(answer) => return answer,
    };
    let data: Value = query.get("data").and_then(|d| serde_json::from_str(d).ok()).unwrap_or(Value::Null);
    let Some(user_id) = str_at(&data, &["user_id"]).map(UserId::new) else {
        return zalo_error(-201, "user_id is invalid");
    };
    let state = shared.lock();
    let Some(user) = state.users.get(&(oa_id.clone(), user_id.clone())) else {
        return zalo_error(-201, "user_id is invalid");
    };
    if !user.follower {
        return zalo_error(-213, "User has not followed OA");
    }
    success(user_detail_json(&shared, &oa_id, &user_id, user))
}

fn user_detail_json(shared: &Shared, oa_id: &OaId, user_id: &UserId, user: &FakeUser) -> Value {
    let avatar = format!("{}/__fake/media/avatar-{user_id}.jpg", shared.base_url);
    let mut detail = json!({
        "user_id": user_id.as_str(),
        "user_id_by_app": webhook::user_id_by_app(oa_id, user_id),
        "user_external_id": "",
        "display_name": user.display_name.clone().unwrap_or_else(|| format!("Người dùng {user_id}")),
        "user_alias": "",
        "is_sensitive": false,
        "user_last_interaction_date": user.last_interaction_ms.map(vietnam_date).unwrap_or_default(),
        "user_is_follower": user.follower,
        "avatar": avatar,
        "avatars": { "120": avatar, "240": avatar },
        "dynamic_param": "",
        "tags_and_notes_info": { "notes": [], "tag_names": [] },
    });
    if let Some(info) = &user.shared_info {
        detail["shared_info"] = info.clone();
    }
    detail
}

async fn getoa(AxumState(shared): App, headers: HeaderMap) -> Json<Value> {
    let oa_id = match admit(&shared, &headers, Host::OpenApi).await {
        Ok(oa) => oa,
        Err(answer) => return answer,
    };
    let state = shared.lock();
    let followers = state.users.iter().filter(|((oa, _), u)| *oa == oa_id && u.follower).count();
    success(json!({
        "oaid": oa_id.as_str(),
        "name": state.oas.get(&oa_id).map(|oa| oa.name.clone()).unwrap_or_default(),
        "description": "",
        "oa_alias": "",
        "is_verified": true,
        "oa_type": 4,
        "avatar": "",
        "cover": "",
        "num_follower": followers,
        "cate_name": "Cơ quan nhà nước",
        "package_name": "",
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vietnam_date_is_day_month_year_in_utc_plus_7() {
        // 2025-11-22T09:00:00.123Z = 16:00 in Hanoi.
        assert_eq!(vietnam_date(1_763_802_000_123), "22/11/2025");
        // 2025-11-22T17:30:00Z is already the 23rd in Hanoi.
        assert_eq!(vietnam_date(1_763_832_600_000), "23/11/2025");
    }

    #[test]
    fn phones_are_normalized_to_84() {
        assert_eq!(normalize_phone("0912345678").as_deref(), Some("84912345678"));
        assert_eq!(normalize_phone("+84912345678").as_deref(), Some("84912345678"));
        assert_eq!(normalize_phone("84912345678").as_deref(), Some("84912345678"));
        assert_eq!(normalize_phone("12ab"), None);
    }
}
