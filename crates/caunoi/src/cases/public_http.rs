//! Routes of the citizen's web side of reports (use cases in [`super::public`]). Thin: parse,
//! call one use case, render. Every page works without JavaScript (`static/report.js` only adds
//! the browser's location and hides what a choice makes irrelevant) and on a 390 px phone.
//!
//! - `GET /u/{code}/bao-tin`: the categories (emergencies with their numbers to call); with
//!   `?loai=<key>` the form of that category, whose extra questions then fit without script.
//! - `POST /u/{code}/bao-tin` (multipart): makes the case, or shows the form again (422).
//! - `GET|POST /bao-tin/bien-nhan`: the receipt, shown once (below).
//! - `GET|POST /bao-tin/theo-doi`, `POST /bao-tin/theo-doi/tin-nhan`, `POST /bao-tin/theo-doi/thoat`:
//!   the reporter's thread.
//! - `GET /bao-tin/tra-cuu?ma=TB-XXXX-XXXX`: the status line of a code.
//!
//! **The receipt is shown once** through POST-redirect-GET: the report's POST answers 303 to
//! `/bao-tin/bien-nhan` with the receipt sealed (encrypted with the instance key, so any
//! instance can open it) in a cookie that only that page reads (HttpOnly, SameSite=Strict, 15
//! minutes). The page shows it until the reporter ticks "Tôi đã lưu mã"; that POST clears the
//! cookie, so neither a reload nor the back button shows the receipt again, and no server keeps
//! it. A reload of the report's POST cannot happen (the browser is on the GET).
//!
//! **The reporter's session**: after the receipt is verified, a random 256-bit cookie value
//! (HttpOnly, SameSite=Strict, path `/bao-tin/theo-doi`, 30 minutes, extended on use) maps
//! server-side, by its SHA-256, to the case. Chosen over re-posting the receipt in a hidden
//! field so the receipt never sits in a page's HTML (cached copies, screenshots of the
//! source, a shared phone's form restore); a server-side row rather than a signed cookie so
//! "Thoát" ends it for good, on every instance.
//!
//! Nothing here logs the client's address, user agent or a receipt; the request log
//! (`web::observe`) holds only the route pattern, never the path's values or the query.

use super::public::{self, MAX_FILES, MAX_REPORT_BYTES, PublicError, StatusLine, Thread, Throttle, WebReport};
use crate::app::App;
use crate::units::store::Unit;
use crate::web::auth::read_cookie;
use crate::web::client_ip::ClientAddr;
use crate::web::error::render;
use crate::web::{Chrome, PageLang, T, WebError};
use askama::Template;
use axum::Router;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Form, Multipart, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use caunoi_core::cases::{Category, ReporterMode};
use caunoi_core::input::{FieldErrors, InvalidInput, Lang};
use serde::Deserialize;

/// The cookie that carries the sealed receipt to the receipt page.
pub const RECEIPT_COOKIE: &str = "caunoi_receipt";
const RECEIPT_PATH: &str = "/bao-tin/bien-nhan";
/// The reporter's session cookie.
pub const THREAD_COOKIE: &str = "caunoi_tip";
const THREAD_PATH: &str = "/bao-tin/theo-doi";
/// Longest text field of the report form, in bytes (the description's 4,000 characters in
/// Vietnamese take up to about 12 KB).
const MAX_TEXT_FIELD_BYTES: usize = 32 * 1024;

pub fn routes() -> Router<App> {
    Router::new()
        .route(
            "/u/{code}/bao-tin",
            get(form_page).post(post_report).layer(DefaultBodyLimit::max((MAX_REPORT_BYTES + (1 << 20)) as usize)),
        )
        .route(RECEIPT_PATH, get(receipt_page).post(receipt_saved))
        .route(THREAD_PATH, get(thread_page).post(open_thread))
        .route("/bao-tin/theo-doi/tin-nhan", post(write_back))
        .route("/bao-tin/theo-doi/thoat", post(sign_out))
        .route("/bao-tin/tra-cuu", get(status_page))
}

fn cookie(app: &App, name: &str, value: &str, path: &str, max_age: i64) -> String {
    let secure = if app.config.tls() { "; Secure" } else { "" };
    format!("{name}={value}; Path={path}; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}")
}

/// The chrome of a citizen's page; `back` is where the language switch returns (encoded here,
/// since it may carry a query).
fn page_chrome(t: T, back: &str) -> Chrome {
    Chrome { back: crate::web::auth::urlencode(back), ..Chrome::plain(t) }
}

fn with_cookie(mut resp: Response, c: String) -> Response {
    if let Ok(v) = HeaderValue::from_str(&c) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

fn with_status(status: StatusCode, resp: Result<Response, WebError>) -> Result<Response, WebError> {
    resp.map(|mut r| {
        *r.status_mut() = status;
        r
    })
}

fn label(lang: Lang, vi: &str, en: &str) -> String {
    match lang {
        Lang::Vi => vi.to_string(),
        Lang::En => en.to_string(),
    }
}

async fn public_unit(app: &App, code: &str) -> Result<Unit, WebError> {
    crate::units::service::get_public(app, code).await?.ok_or(WebError::NotFound)
}

/// Unexpected failures: logged without anything the citizen typed, shown as the edge's 500.
fn internal(e: PublicError) -> WebError {
    tracing::error!(error = %e, "citizen report request failed");
    WebError::Internal
}

// ---------------------------------------------------------------------------------------------
// A short message page (throttled, storage full, receipt already shown)

#[derive(Template)]
#[template(path = "report_message.html")]
struct MessagePage {
    chrome: Chrome,
    title: String,
    message: String,
    back: Option<(String, String)>,
}

fn message_page(t: T, status: StatusCode, title: &str, message: &str, back: Option<(String, String)>) -> Response {
    let page =
        MessagePage { chrome: page_chrome(t, "/bao-tin/theo-doi"), title: title.into(), message: message.into(), back };
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => WebError::from(e).into_response(),
    }
}

fn throttled_page(t: T, th: Throttle, back: Option<(String, String)>) -> Response {
    let m = th.message();
    message_page(
        t,
        StatusCode::TOO_MANY_REQUESTS,
        t.tr("Vui lòng thử lại sau", "Please try again later"),
        t.msg(&m),
        back,
    )
}

// ---------------------------------------------------------------------------------------------
// The report form

/// A category as the picker and the form show it.
struct CategoryOption {
    key: String,
    label: String,
    sensitive: bool,
    /// Numbers to call now (fire 114…), empty for what is not an emergency.
    numbers: Vec<&'static str>,
}

impl CategoryOption {
    fn of(c: &Category, lang: Lang) -> CategoryOption {
        CategoryOption {
            key: c.key.clone(),
            label: label(lang, &c.label_vi, &c.label_en),
            sensitive: c.is_sensitive(),
            numbers: public::emergency_numbers(c),
        }
    }
}

struct ChoiceView {
    value: String,
    label: String,
    checked: bool,
}

struct QuestionView {
    /// The form field: `q_<code>`.
    field: String,
    label: String,
    required: bool,
    choices: Vec<ChoiceView>,
    /// A free-text answer as typed.
    value: String,
}

struct ModeOption {
    value: &'static str,
    label: &'static str,
    explain: &'static str,
    checked: bool,
}

#[derive(Template)]
#[template(path = "report_categories.html")]
struct CategoriesPage {
    chrome: Chrome,
    unit: Unit,
    categories: Vec<CategoryOption>,
}

#[derive(Template)]
#[template(path = "report_form.html")]
struct FormPage {
    chrome: Chrome,
    unit: Unit,
    category: CategoryOption,
    questions: Vec<QuestionView>,
    modes: Vec<ModeOption>,
    report: WebReport,
    errors: FieldErrors,
    max_files: usize,
}

fn form_view(t: T, unit: Unit, category: &Category, report: WebReport, errors: FieldErrors) -> FormPage {
    let lang = t.lang;
    let questions = category
        .questions
        .iter()
        .map(|q| {
            let answer = report.attributes.get(&q.code).cloned().unwrap_or_default();
            QuestionView {
                field: format!("q_{}", q.code),
                label: label(lang, &q.label_vi, &q.label_en),
                required: q.required,
                choices: q
                    .choices
                    .iter()
                    .map(|(value, l)| ChoiceView { value: value.clone(), label: l.clone(), checked: *value == answer })
                    .collect(),
                value: answer,
            }
        })
        .collect();
    let modes = ReporterMode::ALL
        .into_iter()
        .map(|m| ModeOption {
            value: m.as_str(),
            label: t.tr(m.label_vi(), m.label_en()),
            explain: t.tr(m.explain_vi(), m.explain_en()),
            checked: report.mode == m.as_str(),
        })
        .collect();
    FormPage {
        chrome: page_chrome(t, &format!("/u/{}/bao-tin?loai={}", unit.code, category.key)),
        category: CategoryOption::of(category, lang),
        unit,
        questions,
        modes,
        report,
        errors,
        max_files: MAX_FILES,
    }
}

#[derive(Deserialize, Default)]
struct FormQuery {
    loai: Option<String>,
}

async fn form_page(
    State(app): State<App>,
    PageLang(lang): PageLang,
    Path(code): Path<String>,
    Query(q): Query<FormQuery>,
) -> Result<Response, WebError> {
    let unit = public_unit(&app, &code).await?;
    let t = T::new(lang);
    let chosen = q.loai.as_deref().and_then(|k| super::service::category(&app, k));
    match chosen {
        Some(category) => {
            let report = WebReport { category: category.key.clone(), ..Default::default() };
            render(&form_view(t, unit, &category, report, FieldErrors::default()))
        }
        None => {
            let categories = public::offered_categories(&app).iter().map(|c| CategoryOption::of(c, lang)).collect();
            let back = format!("/u/{}/bao-tin", unit.code);
            render(&CategoriesPage { chrome: page_chrome(t, &back), unit, categories })
        }
    }
}

/// Reads a text part, refusing one longer than [`MAX_TEXT_FIELD_BYTES`].
async fn read_text(field: &mut axum::extract::multipart::Field<'_>) -> Result<String, ()> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(|_| ())? {
        bytes.extend_from_slice(&chunk);
        if bytes.len() > MAX_TEXT_FIELD_BYTES {
            return Err(());
        }
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Reads the form: its fields into a [`WebReport`], its files into the staging directory.
/// The first file refused is returned with the report (the other fields are still read, so
/// the form comes back as typed); later files are then not stored.
async fn read_report(
    staging: &mut public::Staging,
    multipart: &mut Multipart,
) -> Result<(WebReport, Option<PublicError>), PublicError> {
    let mut r = WebReport::default();
    let mut refused: Option<PublicError> = None;
    let broken = || public::upload_refusal(crate::media::upload::UploadError::Broken);
    loop {
        let mut field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => return Ok((r, Some(refused.unwrap_or_else(broken)))),
        };
        let name = field.name().unwrap_or_default().to_string();
        if name == "media" {
            // A file input left empty still sends an empty part without a file name.
            if field.file_name().is_none_or(str::is_empty) || refused.is_some() {
                while let Ok(Some(_)) = field.chunk().await {}
                continue;
            }
            if staging.len() >= MAX_FILES {
                refused = Some(public::too_many_files());
                continue;
            }
            let mut up = staging.upload();
            let mut failed = None;
            loop {
                match field.chunk().await {
                    Ok(Some(chunk)) => {
                        if let Err(e) = up.push(&chunk).await {
                            failed = Some(public::upload_refusal(e));
                            break;
                        }
                    }
                    Ok(None) => break,
                    Err(_) => {
                        failed = Some(broken());
                        break;
                    }
                }
            }
            if let Some(e) = failed {
                up.discard().await;
                if matches!(e, PublicError::Io(_)) {
                    return Err(e);
                }
                refused = Some(e);
                continue;
            }
            if up.size() == 0 {
                continue;
            }
            let size = up.size();
            match up.finish().await {
                Ok((media_ref, kind)) => staging.accept(media_ref, kind, size).await,
                Err(e) => match public::upload_refusal(e) {
                    PublicError::Io(e) => return Err(PublicError::Io(e)),
                    e => refused = Some(e),
                },
            }
            continue;
        }
        let Ok(value) = read_text(&mut field).await else {
            let e = InvalidInput::new("form", "Một ô nhập quá dài.", "A field is too long.");
            refused.get_or_insert(PublicError::Invalid(FieldErrors(vec![e])));
            continue;
        };
        match name.as_str() {
            "category" => r.category = value,
            "description" => r.description = value,
            "address" => r.address = value,
            "place_unknown" => r.place_unknown = !value.is_empty(),
            "lat" => r.lat = value,
            "lon" => r.lon = value,
            "occurred" => r.occurred = value,
            "mode" => r.mode = value,
            "name" => r.name = value,
            "phone" => r.phone = value,
            "use_photo_gps" => r.use_photo_gps = !value.is_empty(),
            other => {
                if let Some(code) = other.strip_prefix("q_")
                    && code.len() <= 40
                    && r.attributes.len() < 20
                {
                    r.attributes.insert(code.to_string(), value);
                }
            }
        }
    }
    Ok((r, refused))
}

async fn post_report(
    State(app): State<App>,
    PageLang(lang): PageLang,
    Path(code): Path<String>,
    ClientAddr(address): ClientAddr,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, WebError> {
    let unit = public_unit(&app, &code).await?;
    let t = T::new(lang);
    let back = Some((format!("/u/{}", unit.code), unit.details.name.clone()));
    let Ok(mut multipart) = multipart else {
        return Err(WebError::BadRequest("the report form is sent as multipart/form-data".into()));
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .map_or(MAX_REPORT_BYTES, |n| n.min(MAX_REPORT_BYTES));
    let claim = match public::claim_submission(&app, &address, declared).await {
        Ok(c) => c,
        Err(PublicError::Throttled(th)) => return Ok(throttled_page(t, th, back)),
        Err(PublicError::StorageFull) => return Ok(storage_full(t, back)),
        Err(e) => return Err(internal(e)),
    };
    let mut staging = match public::Staging::new(&app).await {
        Ok(s) => s,
        Err(e) => {
            public::release_submission(&app, claim).await;
            return Err(internal(e));
        }
    };
    let read = read_report(&mut staging, &mut multipart).await;
    let (report, refused) = match read {
        Ok(r) => r,
        Err(e) => {
            staging.discard().await;
            public::release_submission(&app, claim).await;
            return Err(internal(e));
        }
    };
    let category = super::service::category(&app, report.category.trim());
    if let Some(refusal) = refused {
        staging.discard().await;
        public::release_submission(&app, claim).await;
        return refused_form(&app, t, unit, category, report, refusal, back);
    }
    match public::submit(&app, &unit, claim, &report, staging).await {
        Ok(created) => {
            let Some(sealed) = public::seal_receipt(&app, &created, unit.code.as_str()) else {
                // Every web-form case has a receipt (`service::prepare`); without one, the thread.
                return Ok(see_other(THREAD_PATH));
            };
            let minutes = public::RECEIPT_PAGE_MINUTES * 60;
            Ok(with_cookie(see_other(RECEIPT_PATH), cookie(&app, RECEIPT_COOKIE, &sealed, RECEIPT_PATH, minutes)))
        }
        Err(e) => refused_form(&app, t, unit, category, report, e, back),
    }
}

fn storage_full(t: T, back: Option<(String, String)>) -> Response {
    message_page(
        t,
        StatusCode::INSUFFICIENT_STORAGE,
        t.tr("Tạm thời không nhận được tin báo", "Reports cannot be received right now"),
        t.tr(
            "Hệ thống tạm thời không nhận thêm ảnh, video. Vui lòng thử lại sau hoặc gọi đường dây nóng của đơn vị; nếu khẩn cấp hãy gọi 113.",
            "The system cannot take more photos or videos right now. Try again later or call the unit's hotline; in an emergency call 113.",
        ),
        back,
    )
}

/// The form again with what was refused (422), or the page of a refusal that is not the form's.
fn refused_form(
    app: &App,
    t: T,
    unit: Unit,
    category: Option<Category>,
    mut report: WebReport,
    e: PublicError,
    back: Option<(String, String)>,
) -> Result<Response, WebError> {
    let errors = match e {
        PublicError::Invalid(errors) => errors,
        PublicError::Throttled(th) => return Ok(throttled_page(t, th, back)),
        PublicError::StorageFull => return Ok(storage_full(t, back)),
        other => return Err(internal(other)),
    };
    let Some(category) = category else {
        // No (enabled) category: back to the list, which is what to choose from.
        let categories = public::offered_categories(app).iter().map(|c| CategoryOption::of(c, t.lang)).collect();
        let page = CategoriesPage { chrome: page_chrome(t, &format!("/u/{}/bao-tin", unit.code)), unit, categories };
        return with_status(StatusCode::UNPROCESSABLE_ENTITY, render(&page));
    };
    // Files cannot be kept across a refused form (the browser forgets them too): they are
    // chosen again.
    report.category = category.key.clone();
    with_status(StatusCode::UNPROCESSABLE_ENTITY, render(&form_view(t, unit, &category, report, errors)))
}

// ---------------------------------------------------------------------------------------------
// The receipt

#[derive(Template)]
#[template(path = "report_receipt.html")]
struct ReceiptPage {
    chrome: Chrome,
    code: String,
    grouped: String,
    qr: String,
    unit_name: String,
    category: String,
    numbers: Vec<&'static str>,
    error: String,
}

async fn receipt_view(app: &App, t: T, sealed: &str, error: String) -> Result<Option<ReceiptPage>, WebError> {
    let Some((ticket, receipt)) = public::open_receipt(app, sealed) else { return Ok(None) };
    let case =
        super::service::get_unscoped(app, caunoi_core::cases::CaseId(ticket.case)).await?.ok_or(WebError::NotFound)?;
    let grouped = receipt.grouped();
    Ok(Some(ReceiptPage {
        chrome: page_chrome(t, RECEIPT_PATH),
        code: case.code.to_string(),
        qr: crate::units::public::qr_svg(&grouped).unwrap_or_default(),
        grouped,
        unit_name: case.unit_name.clone(),
        category: label(t.lang, &case.category.label_vi, &case.category.label_en),
        numbers: public::emergency_numbers(&case.category),
        error,
    }))
}

fn receipt_gone(t: T) -> Response {
    message_page(
        t,
        StatusCode::GONE,
        t.tr("Biên nhận chỉ hiện một lần", "The receipt is shown only once"),
        t.tr(
            "Mã biên nhận chỉ hiện một lần ngay sau khi gửi tin báo và không lưu ở đâu khác. Nếu anh/chị đã lưu mã, hãy dùng mục \"Theo dõi tin báo\" để xem trả lời của cán bộ.",
            "The receipt is shown only once, right after the report is sent, and is kept nowhere else. If you saved it, use \"Follow a report\" to read the officers' replies.",
        ),
        Some((THREAD_PATH.into(), t.tr("Theo dõi tin báo", "Follow a report").into())),
    )
}

async fn receipt_page(
    State(app): State<App>,
    PageLang(lang): PageLang,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let t = T::new(lang);
    let Some(sealed) = read_cookie(&headers, RECEIPT_COOKIE) else { return Ok(receipt_gone(t)) };
    match receipt_view(&app, t, &sealed, String::new()).await? {
        Some(page) => render(&page),
        None => Ok(receipt_gone(t)),
    }
}

#[derive(Deserialize, Default)]
struct SavedForm {
    #[serde(default)]
    saved: String,
}

/// "Tôi đã lưu mã": the receipt page lets the reporter go on (to their thread, already open)
/// only with the box ticked; the sealed receipt is then forgotten.
async fn receipt_saved(
    State(app): State<App>,
    PageLang(lang): PageLang,
    headers: HeaderMap,
    Form(f): Form<SavedForm>,
) -> Result<Response, WebError> {
    let t = T::new(lang);
    let Some(sealed) = read_cookie(&headers, RECEIPT_COOKIE) else { return Ok(receipt_gone(t)) };
    if f.saved.is_empty() {
        let error = t
            .tr(
                "Vui lòng lưu mã biên nhận (chép lại, chụp màn hình hoặc in) rồi đánh dấu \"Tôi đã lưu mã\". Sau khi rời trang này, mã sẽ không hiện lại.",
                "Please save the receipt (write it down, take a screenshot or print) and tick \"I have saved it\". Once you leave this page it is not shown again.",
            )
            .to_string();
        return match receipt_view(&app, t, &sealed, error).await? {
            Some(page) => with_status(StatusCode::UNPROCESSABLE_ENTITY, render(&page)),
            None => Ok(receipt_gone(t)),
        };
    }
    let Some((ticket, receipt)) = public::open_receipt(&app, &sealed) else { return Ok(receipt_gone(t)) };
    let token =
        public::start_session(&app, caunoi_core::cases::CaseId(ticket.case), &receipt).await.map_err(internal)?;
    let to = format!("{THREAD_PATH}?u={}&da-luu=1", ticket.unit_code);
    let resp = with_cookie(see_other(&to), cookie(&app, RECEIPT_COOKIE, "", RECEIPT_PATH, 0));
    let minutes = public::SESSION_MINUTES * 60;
    Ok(with_cookie(resp, cookie(&app, THREAD_COOKIE, &token, THREAD_PATH, minutes)))
}

// ---------------------------------------------------------------------------------------------
// The reporter's thread

#[derive(Template)]
#[template(path = "report_thread.html")]
struct ThreadPage {
    chrome: Chrome,
    /// The unit whose page led here, for the way back.
    unit: Option<(String, String)>,
    thread: Option<Thread>,
    receipt: String,
    text: String,
    errors: FieldErrors,
    /// A line of good news at the top ("Đã gửi").
    notice: String,
}

#[derive(Deserialize, Default)]
struct ThreadQuery {
    u: Option<String>,
    #[serde(rename = "da-luu")]
    saved: Option<String>,
    sent: Option<String>,
}

async fn unit_back(app: &App, code: Option<&str>) -> Option<(String, String)> {
    let code = code.filter(|c| c.len() <= 64)?;
    let unit = crate::units::service::get_public(app, code).await.ok().flatten()?;
    Some((unit.code.to_string(), unit.details.name))
}

fn thread_path(unit: &Option<(String, String)>) -> String {
    match unit {
        Some((code, _)) => format!("{THREAD_PATH}?u={code}"),
        None => THREAD_PATH.into(),
    }
}

async fn current_session(app: &App, headers: &HeaderMap) -> Result<Option<public::ReporterSession>, WebError> {
    match read_cookie(headers, THREAD_COOKIE) {
        Some(token) => public::session(app, &token).await.map_err(internal),
        None => Ok(None),
    }
}

async fn thread_page(
    State(app): State<App>,
    PageLang(lang): PageLang,
    Query(q): Query<ThreadQuery>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let t = T::new(lang);
    let unit = unit_back(&app, q.u.as_deref()).await;
    let thread = match current_session(&app, &headers).await? {
        Some(s) => Some(public::thread(&app, s.case).await.map_err(internal)?),
        None => None,
    };
    let notice = if thread.is_some() && q.sent.is_some() {
        t.tr("Đã gửi tin nhắn đến cán bộ.", "Your message was sent to the officers.")
    } else if thread.is_some() && q.saved.is_some() {
        t.tr(
            "Tin báo đã được gửi. Trang này hiện trạng thái và trả lời của cán bộ; lần sau, nhập mã biên nhận để xem lại.",
            "Your report was sent. This page shows its status and the officers' replies; next time, type your receipt to come back.",
        )
    } else {
        ""
    };
    let chrome = page_chrome(t, &thread_path(&unit));
    let page = ThreadPage {
        chrome,
        unit,
        thread,
        receipt: String::new(),
        text: String::new(),
        errors: FieldErrors::default(),
        notice: notice.into(),
    };
    render(&page)
}

#[derive(Deserialize, Default)]
struct ReceiptForm {
    #[serde(default)]
    receipt: String,
    #[serde(default)]
    u: String,
}

async fn open_thread(
    State(app): State<App>,
    PageLang(lang): PageLang,
    ClientAddr(address): ClientAddr,
    Form(f): Form<ReceiptForm>,
) -> Result<Response, WebError> {
    let t = T::new(lang);
    let unit = unit_back(&app, Some(f.u.as_str()).filter(|u| !u.is_empty())).await;
    let errors = match public::open_thread(&app, &address, &f.receipt).await {
        Ok((_, token)) => {
            let minutes = public::SESSION_MINUTES * 60;
            return Ok(with_cookie(
                see_other(&thread_path(&unit)),
                cookie(&app, THREAD_COOKIE, &token, THREAD_PATH, minutes),
            ));
        }
        Err(PublicError::Invalid(errors)) => errors,
        Err(PublicError::Throttled(th)) => {
            let back = Some((thread_path(&unit), t.tr("Theo dõi tin báo", "Follow a report").into()));
            return Ok(throttled_page(t, th, back));
        }
        Err(e) => return Err(internal(e)),
    };
    let chrome = page_chrome(t, &thread_path(&unit));
    // The typed receipt is not shown back: it may be someone's real receipt.
    let page = ThreadPage {
        chrome,
        unit,
        thread: None,
        receipt: String::new(),
        text: String::new(),
        errors,
        notice: String::new(),
    };
    with_status(StatusCode::UNPROCESSABLE_ENTITY, render(&page))
}

#[derive(Deserialize, Default)]
struct MessageForm {
    #[serde(default)]
    text: String,
    #[serde(default)]
    u: String,
}

async fn write_back(
    State(app): State<App>,
    PageLang(lang): PageLang,
    headers: HeaderMap,
    Form(f): Form<MessageForm>,
) -> Result<Response, WebError> {
    let t = T::new(lang);
    let unit = unit_back(&app, Some(f.u.as_str()).filter(|u| !u.is_empty())).await;
    let Some(session) = current_session(&app, &headers).await? else {
        // The session ended (30 minutes): the receipt again; nothing was stored.
        let errors = FieldErrors(vec![InvalidInput::new(
            "receipt",
            "Phiên xem tin báo đã hết hạn (30 phút). Vui lòng nhập lại mã biên nhận; tin nhắn chưa được gửi.",
            "Your session ended (30 minutes). Type your receipt again; the message was not sent.",
        )]);
        let chrome = page_chrome(t, &thread_path(&unit));
        let page = ThreadPage {
            chrome,
            unit,
            thread: None,
            receipt: String::new(),
            text: f.text,
            errors,
            notice: String::new(),
        };
        return with_status(StatusCode::UNPROCESSABLE_ENTITY, render(&page));
    };
    let errors = match public::write_back(&app, &session, &f.text).await {
        Ok(()) => {
            let sep = if unit.is_some() { "&" } else { "?" };
            return Ok(see_other(&format!("{}{sep}sent=1", thread_path(&unit))));
        }
        Err(PublicError::Invalid(errors)) => errors,
        Err(PublicError::Throttled(th)) => FieldErrors(vec![InvalidInput { field: "text", message: th.message() }]),
        Err(e) => return Err(internal(e)),
    };
    let thread = public::thread(&app, session.case).await.map_err(internal)?;
    let chrome = page_chrome(t, &thread_path(&unit));
    let page = ThreadPage {
        chrome,
        unit,
        thread: Some(thread),
        receipt: String::new(),
        text: f.text,
        errors,
        notice: String::new(),
    };
    with_status(StatusCode::UNPROCESSABLE_ENTITY, render(&page))
}

async fn sign_out(
    State(app): State<App>,
    headers: HeaderMap,
    Form(f): Form<MessageForm>,
) -> Result<Response, WebError> {
    if let Some(token) = read_cookie(&headers, THREAD_COOKIE) {
        public::end_session(&app, &token).await.map_err(internal)?;
    }
    let unit = unit_back(&app, Some(f.u.as_str()).filter(|u| !u.is_empty())).await;
    Ok(with_cookie(see_other(&thread_path(&unit)), cookie(&app, THREAD_COOKIE, "", THREAD_PATH, 0)))
}

// ---------------------------------------------------------------------------------------------
// The status look-up by code

#[derive(Template)]
#[template(path = "report_status.html")]
struct StatusPage {
    chrome: Chrome,
    ma: String,
    found: Option<StatusLine>,
    error: String,
}

#[derive(Deserialize, Default)]
struct StatusQuery {
    ma: Option<String>,
}

async fn status_page(
    State(app): State<App>,
    PageLang(lang): PageLang,
    ClientAddr(address): ClientAddr,
    Query(q): Query<StatusQuery>,
) -> Result<Response, WebError> {
    let t = T::new(lang);
    let chrome = page_chrome(t, "/bao-tin/tra-cuu");
    let Some(ma) = q.ma.filter(|m| !m.trim().is_empty()) else {
        return render(&StatusPage { chrome, ma: String::new(), found: None, error: String::new() });
    };
    let ma: String = ma.chars().take(40).collect();
    match public::status_by_code(&app, &address, &ma).await {
        Ok(found) => render(&StatusPage { chrome, ma, found: Some(found), error: String::new() }),
        Err(PublicError::Invalid(errors)) => {
            let error = errors.0.first().map(|e| t.msg(&e.message).to_string()).unwrap_or_default();
            with_status(StatusCode::UNPROCESSABLE_ENTITY, render(&StatusPage { chrome, ma, found: None, error }))
        }
        Err(PublicError::Throttled(th)) => Ok(throttled_page(
            t,
            th,
            Some(("/bao-tin/tra-cuu".into(), t.tr("Tra cứu tin báo", "Look up a report").into())),
        )),
        Err(e) => Err(internal(e)),
    }
}
