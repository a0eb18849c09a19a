//! Console pages of the knowledge base: a unit's entries with search, one entry with its history
//! and the unit's edit form, local entries, export, and the review of unanswered questions.

use super::service::{self, EntryInput, EntryOrigin};
use super::store;
use crate::app::App;
use crate::web::error::{render, render_form, render_invalid};
use crate::web::form::{self, Posted};
use crate::web::{Chrome, CurrentOfficer, Opt, T, WebError};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use caunoi_core::diff::Mark;
use caunoi_core::input::FieldErrors;
use caunoi_core::kb::KbEntry;
use caunoi_core::staff::Action;
use serde::Deserialize;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/kb", get(list))
        .route("/kb/entry/{id}", get(entry_page).post(save_entry))
        .route("/kb/entry/{id}/hide", post(hide))
        .route("/kb/entry/{id}/restore", post(restore))
        .route("/kb/new", get(new_page).post(new_entry))
        .route("/kb/export", get(export))
        .route("/kb/entry/{id}/versions/{version}", get(version_page))
        .route("/kb/entry/{id}/versions/{version}/rollback", post(roll_back))
        .route("/kb/review", get(review))
        .route("/kb/review/paraphrase", post(review_paraphrase))
        .route("/kb/review/dismiss", post(review_dismiss))
        .route("/kb/review/emergency", post(review_emergency))
        .route("/kb/review/labels", get(review_labels))
}

#[derive(Deserialize, Default)]
struct UnitQuery {
    #[serde(default)]
    unit: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    saved: Option<String>,
    #[serde(default)]
    rolled: Option<String>,
    #[serde(default)]
    text: String,
}

/// The unit the page is about: the one asked for, else the top unit the officer can see.
async fn resolve_unit(app: &App, me: &CurrentOfficer, asked: &str) -> Result<String, WebError> {
    if !asked.trim().is_empty() {
        return Ok(asked.trim().to_string());
    }
    let units = crate::units::service::list_in_scope(app, &me.scope).await?;
    units.first().map(|u| u.code.to_string()).ok_or(WebError::NotFound)
}

async fn unit_opts(app: &App, me: &CurrentOfficer, selected: &str) -> Result<Vec<Opt>, WebError> {
    Ok(crate::units::service::list_in_scope(app, &me.scope)
        .await?
        .into_iter()
        .map(|u| Opt::unit(&u, u.code.as_str() == selected))
        .collect())
}

/// One line of the entry list.
pub struct Row {
    pub id: String,
    pub category: String,
    pub title: String,
    pub questions: usize,
    pub verified: bool,
    pub origin: EntryOrigin,
    pub score: Option<f32>,
}

#[derive(Template)]
#[template(path = "kb_list.html")]
struct ListPage {
    chrome: Chrome,
    unit_code: String,
    unit_name: String,
    unit_opts: Vec<Opt>,
    q: String,
    rows: Vec<Row>,
    total: usize,
    can_edit: bool,
    decision: String,
}

fn row(app: &App, e: &KbEntry, score: Option<f32>) -> Row {
    Row {
        id: e.id.to_string(),
        category: e.category.clone(),
        title: e.title.clone(),
        questions: e.questions.len(),
        verified: e.verified,
        origin: service::origin(app, e),
        score,
    }
}

async fn list(State(app): State<App>, me: CurrentOfficer, Query(q): Query<UnitQuery>) -> Result<Response, WebError> {
    let code = resolve_unit(&app, &me, &q.unit).await?;
    let (unit, eff) = service::effective_for(&app, &me.scope, &code).await?;
    let t = T::new(me.lang);
    let query = q.q.trim().chars().take(500).collect::<String>();
    let (rows, decision) = if query.is_empty() {
        (eff.entries.iter().map(|e| row(&app, e, None)).collect(), String::new())
    } else {
        let rows = eff
            .matcher
            .rank(&query, 10)
            .into_iter()
            .filter_map(|c| eff.entry(&c.id).map(|e| row(&app, e, Some(c.score))))
            .collect();
        (rows, describe(t, &eff.matcher.decide(&query)))
    };
    render(&ListPage {
        chrome: me.chrome("kb", format!("/kb?unit={code}")),
        unit_opts: unit_opts(&app, &me, &code).await?,
        unit_name: unit.details.name.clone(),
        can_edit: me.scope.can(Action::EditKb, &unit.path),
        total: eff.entries.len(),
        unit_code: code,
        q: query,
        rows,
        decision,
    })
}

/// The bot's decision for a test question, in words.
fn describe(t: T, d: &caunoi_text::matcher::Decision) -> String {
    use caunoi_text::matcher::Decision;
    match d {
        Decision::Answer { id, .. } => format!("{} {id}", t.tr("Trả lời ngay bằng mục", "Answers at once with")),
        Decision::Refer { id, .. } => {
            format!("{} {id}", t.tr("Hướng dẫn sang cơ quan khác theo mục", "Refers to another agency with"))
        }
        Decision::Clarify { candidates } => format!(
            "{} {}",
            t.tr("Hỏi lại, gợi ý:", "Asks back, offering:"),
            candidates.iter().map(|c| c.id.as_str()).collect::<Vec<_>>().join(", ")
        ),
        Decision::HandOff { .. } => t.tr("Chuyển cho cán bộ", "Hands off to an officer").to_string(),
        Decision::Emergency { .. } => {
            t.tr("Tình huống khẩn cấp: hướng dẫn gọi 113/114/115", "Emergency: 113/114/115 guidance").to_string()
        }
        Decision::Report { .. } => t.tr("Tin báo: chuyển cán bộ tiếp nhận", "Report: handed to an officer").to_string(),
    }
}

#[derive(Template)]
#[template(path = "kb_entry.html")]
struct EntryPage {
    chrome: Chrome,
    unit_code: String,
    unit_name: String,
    entry: KbEntry,
    filled_answer: String,
    origin: EntryOrigin,
    own_override: bool,
    can_edit: bool,
    input: EntryInput,
    errors: FieldErrors,
    versions: Vec<HistoryLine>,
    notice: String,
}

/// One line of an entry's history as the page lists it.
pub struct HistoryLine {
    pub id: i64,
    pub at: i64,
    pub label: String,
    pub unit_name: Option<String>,
    pub officer_name: Option<String>,
}

/// A version's kind in words ("Điều chỉnh cho đơn vị", not "modify").
pub fn change_label(t: T, change: &str) -> String {
    if let Some(v) = change.strip_prefix("rollback:") {
        return format!("{} {v}", t.tr("Khôi phục phiên bản", "Restored version"));
    }
    match change {
        "imported" => t.tr("Nội dung chung nhập từ tệp", "Shared content imported from a file"),
        "modify" => t.tr("Điều chỉnh cho đơn vị", "Adjusted for the unit"),
        "hide" => t.tr("Ẩn tại đơn vị", "Hidden at the unit"),
        "add" => t.tr("Nội dung riêng của đơn vị", "The unit's own content"),
        "restored" => t.tr("Bỏ điều chỉnh, dùng lại nội dung chung", "Change dropped, shared content again"),
        _ => t.tr("Thay đổi khác", "Other change"),
    }
    .to_string()
}

fn history(t: T, rows: Vec<store::VersionRow>) -> Vec<HistoryLine> {
    rows.into_iter()
        .map(|r| HistoryLine {
            id: r.id,
            at: r.at,
            label: change_label(t, &r.change),
            unit_name: r.unit_name,
            officer_name: r.officer_name,
        })
        .collect()
}

async fn entry_view(
    app: &App,
    me: &CurrentOfficer,
    code: &str,
    id: &str,
    input: Option<EntryInput>,
    errors: FieldErrors,
    notice: String,
) -> Result<Response, WebError> {
    let (unit, eff) = service::effective_for(app, &me.scope, code).await?;
    let entry = eff.entry(id).cloned().ok_or(WebError::NotFound)?;
    let input = input.unwrap_or_else(|| EntryInput {
        title: entry.title.clone(),
        answer: entry.answer.clone(),
        questions: entry.questions.join("\n"),
        notes: entry.notes.clone().unwrap_or_default(),
        verified: entry.verified.then(|| "on".into()),
    });
    let own_override = app.kb().own_overrides(unit.id).iter().any(|o| match o {
        caunoi_core::kb::KbOverride::Modify { id: i, .. } | caunoi_core::kb::KbOverride::Hide { id: i } => {
            i.as_str() == id
        }
        caunoi_core::kb::KbOverride::Add { entry } => entry.id.as_str() == id,
    });
    let page = EntryPage {
        chrome: me.chrome("kb", format!("/kb/entry/{id}?unit={code}")),
        unit_code: code.to_string(),
        unit_name: unit.details.name.clone(),
        filled_answer: caunoi_core::kb::fill_placeholders(&entry.answer, &service::placeholders(&unit)),
        origin: service::origin(app, &entry),
        own_override,
        can_edit: me.scope.can(Action::EditKb, &unit.path),
        versions: history(T::new(me.lang), service::versions(app, &me.scope, id).await?),
        entry,
        input,
        errors,
        notice,
    };
    render_form(&page, &page.errors)
}

async fn entry_page(
    State(app): State<App>,
    me: CurrentOfficer,
    Path(id): Path<String>,
    Query(q): Query<UnitQuery>,
) -> Result<Response, WebError> {
    let code = resolve_unit(&app, &me, &q.unit).await?;
    let t = T::new(me.lang);
    let notice = if q.rolled.is_some() {
        t.tr(
            "Đã khôi phục phiên bản cũ (ghi thành một phiên bản mới). Trợ lý tự động dùng nội dung này ngay.",
            "The earlier version is back (written as a new version). The automatic assistant uses it right away.",
        )
    } else if q.saved.is_some() {
        t.tr("Đã lưu. Trợ lý tự động dùng nội dung mới ngay.", "Saved. The automatic assistant uses it right away.")
    } else {
        ""
    };
    entry_view(&app, &me, &code, &id, None, FieldErrors::default(), notice.into()).await
}

async fn save_entry(
    State(app): State<App>,
    me: CurrentOfficer,
    Path(id): Path<String>,
    Query(q): Query<UnitQuery>,
    Form(input): Form<EntryInput>,
) -> Result<Response, WebError> {
    let code = resolve_unit(&app, &me, &q.unit).await?;
    match form::posted(service::save_entry(&app, &me.scope, &code, &id, &input).await)? {
        Posted::Saved(()) => form::see_other(&format!("/kb/entry/{id}?unit={code}&saved=1")),
        Posted::Refused(errors) => entry_view(&app, &me, &code, &id, Some(input), errors, String::new()).await,
    }
}

async fn hide(
    State(app): State<App>,
    me: CurrentOfficer,
    Path(id): Path<String>,
    Query(q): Query<UnitQuery>,
) -> Result<Response, WebError> {
    let code = resolve_unit(&app, &me, &q.unit).await?;
    service::hide_entry(&app, &me.scope, &code, &id).await?;
    Ok(Redirect::to(&format!("/kb?unit={code}")).into_response())
}

async fn restore(
    State(app): State<App>,
    me: CurrentOfficer,
    Path(id): Path<String>,
    Query(q): Query<UnitQuery>,
) -> Result<Response, WebError> {
    let code = resolve_unit(&app, &me, &q.unit).await?;
    service::restore_entry(&app, &me.scope, &code, &id).await?;
    Ok(Redirect::to(&format!("/kb/entry/{id}?unit={code}&saved=1")).into_response())
}

#[derive(Template)]
#[template(path = "kb_new.html")]
struct NewPage {
    chrome: Chrome,
    unit_code: String,
    unit_name: String,
    input: EntryInput,
    category: String,
    errors: FieldErrors,
}

async fn new_page(
    State(app): State<App>,
    me: CurrentOfficer,
    Query(q): Query<UnitQuery>,
) -> Result<Response, WebError> {
    let code = resolve_unit(&app, &me, &q.unit).await?;
    let unit = crate::units::service::get(&app, &me.scope, &code).await?;
    if !me.scope.can(Action::EditKb, &unit.path) {
        return Err(WebError::Forbidden);
    }
    let input = EntryInput { questions: q.text.chars().take(300).collect(), ..Default::default() };
    render(&NewPage {
        chrome: me.chrome("kb", format!("/kb/new?unit={code}")),
        unit_name: unit.details.name,
        unit_code: code,
        input,
        category: String::new(),
        errors: FieldErrors::default(),
    })
}

#[derive(Deserialize, Default)]
struct NewForm {
    #[serde(default)]
    category: String,
    #[serde(flatten)]
    input: EntryInput,
}

async fn new_entry(
    State(app): State<App>,
    me: CurrentOfficer,
    Query(q): Query<UnitQuery>,
    Form(f): Form<NewForm>,
) -> Result<Response, WebError> {
    let code = resolve_unit(&app, &me, &q.unit).await?;
    match form::posted(service::add_local_entry(&app, &me.scope, &code, &f.input, &f.category).await)? {
        Posted::Saved(id) => form::see_other(&format!("/kb/entry/{id}?unit={code}&saved=1")),
        Posted::Refused(errors) => {
            let unit = crate::units::service::get(&app, &me.scope, &code).await?;
            render_invalid(&NewPage {
                chrome: me.chrome("kb", format!("/kb/new?unit={code}")),
                unit_name: unit.details.name,
                unit_code: code,
                input: f.input,
                category: f.category,
                errors,
            })
        }
    }
}

async fn export(State(app): State<App>, me: CurrentOfficer, Query(q): Query<UnitQuery>) -> Result<Response, WebError> {
    let code = resolve_unit(&app, &me, &q.unit).await?;
    let json = service::export(&app, &me.scope, &code).await?;
    Ok(json_download(&format!("kb-{code}.json"), json))
}

/// A JSON file to download under `name`.
fn json_download(name: &str, json: String) -> Response {
    let disposition = format!("attachment; filename=\"{name}\"");
    ([(header::CONTENT_TYPE, "application/json".to_string()), (header::CONTENT_DISPOSITION, disposition)], json)
        .into_response()
}

/// A review group as the page shows it.
pub struct GroupView {
    pub ids: String,
    pub unit_code: String,
    pub texts: Vec<(String, String, String)>,
    pub suggestion: Option<(String, String)>,
}

/// "Not helpful" taps on one entry, as the page shows them.
pub struct FeedbackView {
    pub ids: String,
    pub count: usize,
    pub unit_code: String,
    pub unit_name: String,
    pub entry_id: Option<String>,
    pub entry_title: Option<String>,
    pub last_at: i64,
}

#[derive(Template)]
#[template(path = "kb_review.html")]
struct ReviewPage {
    chrome: Chrome,
    groups: Vec<GroupView>,
    feedback: Vec<FeedbackView>,
    notice: String,
    error: String,
}

/// Why a question is in the review, in words.
fn review_kind(t: T, kind: &str) -> &'static str {
    match kind {
        "clarified" => t.tr("Phải hỏi lại", "Asked back"),
        "not_understood" => t.tr("Không hiểu câu hỏi", "Not understood"),
        "possible_emergency" => t.tr("Có thể là tin khẩn cấp", "May be an emergency"),
        _ => t.tr("Chuyển cán bộ", "Handed off"),
    }
}

fn join_ids(ids: impl Iterator<Item = i64>) -> String {
    ids.map(|i| i.to_string()).collect::<Vec<_>>().join(",")
}

async fn review(State(app): State<App>, me: CurrentOfficer, Query(q): Query<UnitQuery>) -> Result<Response, WebError> {
    let t = T::new(me.lang);
    let notice = if q.saved.is_some() { t.tr("Đã cập nhật.", "Updated.") } else { "" };
    review_view(&app, &me, notice.into(), String::new()).await
}

async fn review_view(app: &App, me: &CurrentOfficer, notice: String, error: String) -> Result<Response, WebError> {
    let t = T::new(me.lang);
    let review = service::review(app, &me.scope).await?;
    let groups = review
        .questions
        .into_iter()
        .map(|g| GroupView {
            ids: join_ids(g.items.iter().map(|i| i.id)),
            texts: g
                .items
                .iter()
                .map(|i| {
                    let when = format!("{} · {}", i.unit_name, crate::app::format_local(i.at));
                    (i.text.clone(), when, review_kind(t, &i.kind).to_string())
                })
                .collect(),
            unit_code: g.unit_code,
            suggestion: g.suggestion,
        })
        .collect();
    let feedback = review
        .feedback
        .into_iter()
        .map(|f| FeedbackView {
            ids: join_ids(f.ids.iter().copied()),
            count: f.ids.len(),
            unit_code: f.unit_code,
            unit_name: f.unit_name,
            entry_id: f.entry_id,
            entry_title: f.entry_title,
            last_at: f.last_at,
        })
        .collect();
    let page = ReviewPage { chrome: me.chrome("kb", "/kb/review"), groups, feedback, notice, error };
    if page.error.is_empty() { render(&page) } else { render_invalid(&page) }
}

#[derive(Template)]
#[template(path = "kb_version.html")]
struct VersionPage {
    chrome: Chrome,
    unit_code: String,
    entry_id: String,
    view: service::VersionView,
    label: String,
    previous_label: String,
    error: String,
}

#[derive(Deserialize, Default)]
struct UnitOnly {
    #[serde(default)]
    unit: String,
}

async fn version_view(
    app: &App,
    me: &CurrentOfficer,
    code: &str,
    id: &str,
    version: i64,
    error: String,
) -> Result<Response, WebError> {
    let t = T::new(me.lang);
    let view = service::version_view(app, &me.scope, code, id, version).await?;
    let page = VersionPage {
        chrome: me.chrome("kb", format!("/kb/entry/{id}?unit={code}")),
        unit_code: code.to_string(),
        entry_id: id.to_string(),
        label: change_label(t, &view.row.change),
        previous_label: view.previous.as_ref().map(|p| change_label(t, &p.change)).unwrap_or_default(),
        view,
        error,
    };
    if page.error.is_empty() { render(&page) } else { render_invalid(&page) }
}

async fn version_page(
    State(app): State<App>,
    me: CurrentOfficer,
    Path((id, version)): Path<(String, i64)>,
    Query(q): Query<UnitOnly>,
) -> Result<Response, WebError> {
    let code = resolve_unit(&app, &me, &q.unit).await?;
    version_view(&app, &me, &code, &id, version, String::new()).await
}

async fn roll_back(
    State(app): State<App>,
    me: CurrentOfficer,
    Path((id, version)): Path<(String, i64)>,
    Query(q): Query<UnitOnly>,
) -> Result<Response, WebError> {
    let code = resolve_unit(&app, &me, &q.unit).await?;
    match form::posted(service::roll_back(&app, &me.scope, &code, &id, version).await)? {
        Posted::Saved(()) => form::see_other(&format!("/kb/entry/{id}?unit={code}&rolled=1")),
        Posted::Refused(errs) => {
            let msg = form::first_message(&errs, me.lang);
            version_view(&app, &me, &code, &id, version, msg).await
        }
    }
}

#[derive(Deserialize)]
struct ReviewForm {
    ids: String,
    #[serde(default)]
    entry_id: String,
    /// An emergency kind's name or "none" ([`service::label_emergency`]).
    #[serde(default)]
    label: String,
}

fn parse_ids(s: &str) -> Vec<i64> {
    s.split(',').filter_map(|x| x.trim().parse().ok()).take(500).collect()
}

async fn review_paraphrase(
    State(app): State<App>,
    me: CurrentOfficer,
    Form(f): Form<ReviewForm>,
) -> Result<Response, WebError> {
    let done = service::add_as_paraphrases(&app, &me.scope, &parse_ids(&f.ids), f.entry_id.trim()).await;
    after_review_action(&app, &me, done).await
}

/// Back to the review when a review action was done, or the review with the refusal's message.
async fn after_review_action(
    app: &App,
    me: &CurrentOfficer,
    done: Result<(), crate::error::ServiceError>,
) -> Result<Response, WebError> {
    match form::posted(done)? {
        Posted::Saved(()) => Ok(Redirect::to("/kb/review?saved=1").into_response()),
        Posted::Refused(errs) => {
            let msg = form::first_message(&errs, me.lang);
            review_view(app, me, String::new(), msg).await
        }
    }
}

async fn review_emergency(
    State(app): State<App>,
    me: CurrentOfficer,
    Form(f): Form<ReviewForm>,
) -> Result<Response, WebError> {
    let done = service::label_emergency(&app, &me.scope, &parse_ids(&f.ids), &f.label).await;
    after_review_action(&app, &me, done).await
}

/// The messages labelled in the review, as an emergency set to download (audited).
async fn review_labels(
    State(app): State<App>,
    me: CurrentOfficer,
    Query(q): Query<UnitQuery>,
) -> Result<Response, WebError> {
    let code = resolve_unit(&app, &me, &q.unit).await?;
    let json = service::safety_labels_json(&app, Some((&me.scope, &code))).await?;
    Ok(json_download(&format!("emergency-labels-{code}.json"), json))
}

async fn review_dismiss(
    State(app): State<App>,
    me: CurrentOfficer,
    Form(f): Form<ReviewForm>,
) -> Result<Response, WebError> {
    service::dismiss(&app, &me.scope, &parse_ids(&f.ids)).await?;
    Ok(Redirect::to("/kb/review?saved=1").into_response())
}
