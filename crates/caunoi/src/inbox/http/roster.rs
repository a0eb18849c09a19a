//! The duty roster page: shifts of a unit (the next two weeks) and its recurring plannings;
//! add (once or repeating), delete a shift, end a planning; and the shift hand-over note
//! (write on this page, read and dismiss at the top of the inbox).

use super::common::*;
use crate::app::App;
use crate::inbox::service::{self};
use crate::web::error::render_form;
use crate::web::form::{self, Posted};
use crate::web::{Chrome, CurrentOfficer, Opt, T, WebError};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use caunoi_core::input::FieldErrors;
use caunoi_core::staff::{Action, OfficerId};
use serde::Deserialize;

/// A shift as the roster lists it.
pub struct ShiftLine {
    pub id: i64,
    pub officer: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub on_now: bool,
    /// Part of a recurring planning.
    pub repeating: bool,
}

/// A recurring planning as the roster lists it.
pub struct SeriesLine {
    pub id: i64,
    pub officer: String,
    /// "Hằng ngày", "Cuối tuần (T7, CN)", "T2, T4, T6".
    pub days: String,
    /// "22:00–06:00".
    pub hours: String,
    /// "07/12/2026 – 31/12/2026".
    pub dates: String,
    pub remaining: i64,
}

/// How far ahead the roster lists single shifts (a year of nights would bury the page).
const LISTED_DAYS: i64 = 14;

fn vn_date(stored: &str) -> String {
    stored.parse::<jiff::civil::Date>().map(caunoi_core::inbox::vn_date).unwrap_or_else(|_| stored.to_string())
}

#[derive(Template)]
#[template(path = "inbox_roster.html")]
pub(super) struct RosterPage {
    chrome: Chrome,
    unit_opts: Vec<Opt>,
    unit_code: String,
    unit_name: String,
    can_edit: bool,
    /// No shift covers now: urgent messages ring for nobody.
    nobody_on_duty: bool,
    shifts: Vec<ShiftLine>,
    /// Shifts starting after the listed fortnight.
    later: i64,
    series: Vec<SeriesLine>,
    officers: Vec<Opt>,
    /// Whether the reader may write the hand-over note (works the unit's conversations).
    can_hand_over: bool,
    form: RosterForm,
    /// The weekday boxes: (number, short name, ticked).
    day_boxes: Vec<(u8, &'static str, bool)>,
    /// The hand-over note's text when it was refused.
    handover_text: String,
    /// Whether the reader may set how long the unit's duty devices keep a session (admins).
    can_set_duty_session: bool,
    /// The choices (0 = not allowed, or hours), the current one selected.
    duty_session: Vec<Opt>,
    notice: String,
    errors: FieldErrors,
}

impl RosterPage {
    fn repeat_is(&self, value: &str) -> bool {
        self.form.repeat == value || (value == "once" && self.form.repeat.is_empty())
    }
}

/// The days of the week for the form's boxes: (number, short name).
const DAYS_VI: [(u8, &str); 7] = [(1, "T2"), (2, "T3"), (3, "T4"), (4, "T5"), (5, "T6"), (6, "T7"), (7, "CN")];
const DAYS_EN: [(u8, &str); 7] = [(1, "Mon"), (2, "Tue"), (3, "Wed"), (4, "Thu"), (5, "Fri"), (6, "Sat"), (7, "Sun")];

pub(super) async fn roster_view(
    app: &App,
    me: &CurrentOfficer,
    asked: &str,
    form: &RosterForm,
    handover_text: &str,
    notice: String,
    errors: FieldErrors,
) -> Result<Response, WebError> {
    let (unit_opts, code) = unit_choice(app, me, asked).await?;
    let unit = crate::units::service::get(app, &me.scope, &code).await?;
    let now = app.clock.now_micros();
    let horizon = now + LISTED_DAYS * 24 * 3_600_000_000;
    let shifts = service::shifts(app, unit.id, now, horizon)
        .await?
        .into_iter()
        .map(|s| ShiftLine {
            id: s.id,
            officer: s.officer_name,
            starts_at: s.starts_at,
            ends_at: s.ends_at,
            on_now: s.starts_at <= now && now < s.ends_at,
            repeating: s.series_id.is_some(),
        })
        .collect::<Vec<ShiftLine>>();
    let later = service::shifts_from(app, unit.id, horizon).await?;
    let vi = me.lang == caunoi_core::input::Lang::Vi;
    let series = service::series(app, unit.id)
        .await?
        .into_iter()
        .map(|r| SeriesLine {
            id: r.id,
            officer: r.officer_name,
            days: caunoi_core::inbox::Repeat::from_bits(u8::try_from(r.weekdays).unwrap_or(0)).label(vi),
            hours: format!("{}–{}", r.starts_time, r.ends_time),
            dates: format!("{} – {}", vn_date(&r.first_date), vn_date(&r.until_date)),
            remaining: r.remaining,
        })
        .collect();
    let nobody_on_duty = !shifts.iter().any(|s| s.on_now);
    let officers = crate::staff::service::colleagues_for_unit(app, unit.path.as_str())
        .await?
        .into_iter()
        .map(|o| Opt { selected: o.id.to_string() == form.officer, value: o.id.to_string(), label: o.display_name })
        .collect();
    let page = RosterPage {
        chrome: me.chrome("inbox", format!("/inbox/roster?unit={code}")),
        unit_opts,
        can_edit: me.scope.can(Action::DirectWork, &unit.path),
        can_hand_over: me.scope.can(Action::WorkConversations, &unit.path),
        nobody_on_duty,
        unit_name: unit.details.name,
        unit_code: code,
        shifts,
        later,
        series,
        officers,
        day_boxes: {
            let ticked = form.days();
            let names = if vi { DAYS_VI } else { DAYS_EN };
            names.iter().map(|(d, name)| (*d, *name, ticked.contains(d))).collect()
        },
        form: form.clone(),
        handover_text: handover_text.to_string(),
        can_set_duty_session: me.scope.can(Action::ManageOfficers, &unit.path),
        duty_session: {
            let current = crate::staff::service::duty_session_hours(app, unit.id).await?;
            crate::staff::service::DUTY_SESSION_HOURS
                .iter()
                .map(|h| Opt {
                    value: h.to_string(),
                    label: if *h == 0 {
                        T::new(me.lang).tr("Không cho phép", "Not allowed").to_string()
                    } else {
                        format!("{h} {}", T::new(me.lang).tr("giờ", "hours"))
                    },
                    selected: *h == current,
                })
                .collect()
        },
        notice,
        errors,
    };
    render_form(&page, &page.errors)
}

/// The add-a-shift form. The days of a weekday repetition are boxes `d1` (Monday) … `d7`
/// (Sunday), so a plain form decoder reads them.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub(super) struct RosterForm {
    unit: String,
    officer: String,
    starts_at: String,
    ends_at: String,
    /// `once`, `daily`, `weekend` or `days`.
    repeat: String,
    until: String,
    d1: Option<String>,
    d2: Option<String>,
    d3: Option<String>,
    d4: Option<String>,
    d5: Option<String>,
    d6: Option<String>,
    d7: Option<String>,
}

impl RosterForm {
    /// The ticked days, 1 Monday … 7 Sunday.
    fn days(&self) -> Vec<u8> {
        [&self.d1, &self.d2, &self.d3, &self.d4, &self.d5, &self.d6, &self.d7]
            .iter()
            .zip(1u8..)
            .filter(|(v, _)| v.is_some())
            .map(|(_, d)| d)
            .collect()
    }
}

pub(super) async fn roster_page(
    State(app): State<App>,
    me: CurrentOfficer,
    Query(q): Query<UnitQuery>,
) -> Result<Response, WebError> {
    let t = T::new(me.lang);
    let notice = match q.saved.as_deref() {
        Some("handover") => t.tr("Đã lưu ghi chú bàn giao ca.", "Hand-over note saved.").to_string(),
        Some("session") => t
            .tr("Đã lưu cài đặt phiên đăng nhập của thiết bị trực.", "Duty devices' session setting saved.")
            .to_string(),
        Some(_) => t.tr("Đã lưu lịch trực.", "Roster saved.").to_string(),
        None => String::new(),
    };
    roster_view(&app, &me, &q.unit, &RosterForm::default(), "", notice, FieldErrors::default()).await
}

pub(super) async fn roster_add(
    State(app): State<App>,
    me: CurrentOfficer,
    Form(f): Form<RosterForm>,
) -> Result<Response, WebError> {
    let officer = OfficerId(f.officer.trim().parse::<i64>().unwrap_or(0));
    let days = f.days();
    let repeating = service::Repeating { every: &f.repeat, days: &days, until: &f.until };
    match form::posted(
        service::add_shift(&app, &me.scope, &f.unit, officer, &f.starts_at, &f.ends_at, repeating).await,
    )? {
        Posted::Saved(_) => {
            form::see_other(&format!("/inbox/roster?unit={}&saved=1", crate::web::auth::urlencode(&f.unit)))
        }
        Posted::Refused(errors) => roster_view(&app, &me, &f.unit, &f, "", String::new(), errors).await,
    }
}

pub(super) async fn roster_delete(
    State(app): State<App>,
    me: CurrentOfficer,
    Path(id): Path<i64>,
    Form(f): Form<BackForm>,
) -> Result<Response, WebError> {
    service::delete_shift(&app, &me.scope, id).await?;
    Ok(Redirect::to(&format!("/inbox/roster?unit={}&saved=1", crate::web::auth::urlencode(&f.unit))).into_response())
}

/// "Bỏ lịch lặp lại", behind a confirmation box.
pub(super) async fn series_end(
    State(app): State<App>,
    me: CurrentOfficer,
    Path(id): Path<i64>,
    Form(f): Form<SeriesEndForm>,
) -> Result<Response, WebError> {
    let ended = service::end_series(&app, &me.scope, id, f.confirm == "yes").await;
    saved_or_again(&app, &me, &f.unit, "", "1", ended).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct SeriesEndForm {
    unit: String,
    confirm: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct HandoverForm {
    unit: String,
    text: String,
}

/// Saves the hand-over note; a refused one comes back on the roster page with its text.
pub(super) async fn handover_write(
    State(app): State<App>,
    me: CurrentOfficer,
    Form(f): Form<HandoverForm>,
) -> Result<Response, WebError> {
    let saved = service::write_handover(&app, &me.scope, &f.unit, &f.text).await.map(|_| f.unit.clone());
    saved_or_again(&app, &me, &f.unit, &f.text, "handover", saved).await
}

/// A roster side form's outcome: back to the roster with `saved=…`, or the roster again with
/// the errors (and the hand-over text, when that was the form).
async fn saved_or_again(
    app: &App,
    me: &CurrentOfficer,
    unit: &str,
    handover_text: &str,
    what: &str,
    result: Result<String, crate::error::ServiceError>,
) -> Result<Response, WebError> {
    match form::posted(result)? {
        Posted::Saved(code) => {
            form::see_other(&format!("/inbox/roster?unit={}&saved={what}", crate::web::auth::urlencode(&code)))
        }
        Posted::Refused(errors) => {
            let form = RosterForm { unit: unit.to_string(), ..Default::default() };
            roster_view(app, me, unit, &form, handover_text, String::new(), errors).await
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct DismissForm {
    /// The page the note was read on (a path of this site; anything else returns to the inbox).
    back: String,
}

/// "Đã đọc" on a hand-over note at the top of a console page: back to that page.
pub(super) async fn handover_dismiss(
    State(app): State<App>,
    me: CurrentOfficer,
    Path(id): Path<i64>,
    Form(f): Form<DismissForm>,
) -> Result<Response, WebError> {
    service::dismiss_handover(&app, &me.scope, id).await?;
    let back = crate::web::auth::local_path(f.back.trim()).unwrap_or("/inbox");
    Ok(Redirect::to(back).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct DutySessionForm {
    unit: String,
    hours: String,
}

/// The unit's admin sets how long its duty devices keep a session (audited).
pub(super) async fn duty_session_set(
    State(app): State<App>,
    me: CurrentOfficer,
    Form(f): Form<DutySessionForm>,
) -> Result<Response, WebError> {
    let saved = crate::staff::service::set_duty_session_hours(&app, &me.scope, &f.unit, &f.hours).await;
    saved_or_again(&app, &me, &f.unit, "", "session", saved).await
}

/// "Dùng máy này làm thiết bị trực": keeps this session as long as a unit of the officer
/// allows, behind the idle lock.
pub(super) async fn duty_device(State(app): State<App>, me: CurrentOfficer) -> Result<Response, WebError> {
    match form::posted(crate::staff::service::keep_duty_device(&app, &me).await)? {
        Posted::Saved(_) => form::see_other("/inbox?done=duty_device"),
        // Only a unit's allowance can refuse it: the inbox says so.
        Posted::Refused(_) => form::see_other("/inbox?done=duty_device_refused"),
    }
}
