//! Case use cases: making a case from any channel, reading it within scope, the board.
//!
//! Every case is made by [`create`] (or [`create_in`] inside a caller's transaction): the
//! category decides urgency and the legal clock, the place decides the responsible unit, the
//! reporter mode decides what is kept about the reporter (an open reporter's name and phone; a
//! sealed one's encrypted; an anonymous one's nothing, with a receipt whose Argon2 hash alone
//! is stored). The timeline gets `created` and `routed` in the same transaction.

use super::Categories;
use super::store::{self, BoardFilter, BoardRow, CaseRow, EventRow, MediaRow, NewCaseRow, NewEventRow, ScopedCaseRow};
use crate::app::App;
use crate::db::{StoreError, Tx};
use crate::error::ServiceError;
use caunoi_core::cases::clock::{Countdown, first_reply_due};
use caunoi_core::cases::{
    CaseCode, CaseId, Category, Channel, EventKind, LegalClock, MAX_DESCRIPTION_CHARS, MAX_PLACE_CHARS, Receipt,
    ReporterMode, Status,
};
use caunoi_core::conversations::ConversationId;
use caunoi_core::input::{FieldErrors, InvalidInput, text_field};
use caunoi_core::staff::{Action, OfficerId, Scope};
use caunoi_core::units::{UnitId, UnitPath};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Who reported, as the intake knows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ReporterDetails {
    pub name: Option<String>,
    pub phone: Option<String>,
    /// How to reach them besides the phone (an address, an e-mail), as they wrote it.
    pub contact: Option<String>,
}

/// A report to make into a case.
#[derive(Debug, Clone)]
pub struct NewCase {
    pub channel: Channel,
    /// The unit whose page, OA or console received it: the fallback owner (its duty desk).
    pub received_by: UnitId,
    pub category: String,
    pub description: String,
    /// (lat, lon).
    pub point: Option<(f64, f64)>,
    pub address: Option<String>,
    pub place_unknown: bool,
    /// When it happened, as told ("tối qua khoảng 10 giờ").
    pub occurred: Option<String>,
    /// Answers to the category's extra questions.
    pub attributes: BTreeMap<String, String>,
    pub mode: ReporterMode,
    pub reporter: ReporterDetails,
    pub conversation: Option<ConversationId>,
    /// The officer who entered it (phone-ins and walk-ins).
    pub entered_by: Option<OfficerId>,
    /// Urgent regardless of the category (an emergency the bot or the form's text check
    /// recognised, an officer's mark).
    pub urgent: bool,
    /// Whether an urgent case raises its own alarm (`super::alarms`): yes for what reaches
    /// nobody otherwise (the web form, an officer's entry); no when the chat it came from rings
    /// for it (an urgent conversation has its own alarm) and for seeded history (the demo).
    pub own_alarm: bool,
    pub media: Vec<NewMedia>,
}

/// A stored file to attach as evidence.
#[derive(Debug, Clone)]
pub struct NewMedia {
    pub media_ref: String,
    /// `image` or `video`.
    pub kind: String,
    pub bytes: i64,
    pub received_at: i64,
    /// A position found in the photo's metadata, kept only when the reporter agreed.
    pub gps: Option<(f64, f64)>,
}

/// What the reporter is given back.
#[derive(Debug, Clone)]
pub struct Created {
    pub id: CaseId,
    pub code: CaseCode,
    /// For an anonymous report and any web-form report not made from a chat: shown once,
    /// never stored.
    pub receipt: Option<Receipt>,
    pub unit: UnitId,
    pub urgent: bool,
    /// The case raised its own alarm, and how many push messages it queued.
    pub alarm: Option<usize>,
}

/// A case decoded for the console and the reporter's views.
#[derive(Debug, Clone)]
pub struct CaseView {
    pub id: CaseId,
    pub code: CaseCode,
    pub unit: UnitId,
    pub unit_name: String,
    pub unit_path: UnitPath,
    pub category: Category,
    pub channel: Channel,
    pub status: Status,
    pub urgent: bool,
    pub description: String,
    pub point: Option<(f64, f64)>,
    pub address: Option<String>,
    pub place_unknown: bool,
    pub place_to_confirm: bool,
    pub occurred: Option<String>,
    pub attributes: BTreeMap<String, String>,
    pub mode: ReporterMode,
    /// The open reporter's details; `None` for sealed and anonymous reports.
    pub reporter: Option<ReporterDetails>,
    pub conversation: Option<ConversationId>,
    pub assignee: Option<OfficerId>,
    pub clock: LegalClock,
    pub forwarded_from: Option<UnitId>,
    pub ack_due_at: Option<i64>,
    pub acknowledged_at: Option<i64>,
    pub first_reply_at: Option<i64>,
    pub duplicate_of: Option<CaseId>,
    pub received_at: i64,
    pub updated_at: i64,
    pub has_sealed_identity: bool,
}

impl CaseView {
    pub fn countdown(&self, now: i64) -> Countdown {
        self.clock.countdown(now)
    }

    /// Whether the first reply to the reporter is late.
    pub fn first_reply_late(&self, now: i64) -> bool {
        self.status.is_open() && self.first_reply_at.is_none() && now > first_reply_due(self.received_at)
    }
}

/// The deployment's categories (enabled or not), in order.
pub fn categories(app: &App) -> Arc<Vec<(Category, bool)>> {
    app.runtime::<Categories>().current()
}

/// The enabled category `key`.
pub fn category(app: &App, key: &str) -> Option<Category> {
    categories(app).iter().find(|(c, enabled)| *enabled && c.key == key).map(|(c, _)| c.clone())
}

/// Any category `key`, enabled or not (to show stored cases).
fn category_any(app: &App, key: &str) -> Category {
    categories(app).iter().find(|(c, _)| c.key == key).map(|(c, _)| c.clone()).unwrap_or_else(|| Category {
        key: key.to_string(),
        label_vi: key.to_string(),
        label_en: key.to_string(),
        sensitivity: caunoi_core::cases::Sensitivity::Sensitive,
        urgent: false,
        legal_days: None,
        handling: Default::default(),
        questions: vec![],
    })
}

/// Loads the categories, adding the defaults a deployment does not have yet.
pub async fn load_categories(app: &App) -> Result<(), StoreError> {
    store::insert_missing_categories(&app.db, &caunoi_core::cases::default_categories()).await?;
    super::category_service::reload(app).await
}

/// Checks what a reporter or officer typed; all field errors at once.
fn check(app: &App, new: &NewCase) -> Result<(Category, String), ServiceError> {
    let mut errs = FieldErrors::default();
    let category = category(app, &new.category);
    if category.is_none() {
        errs.push(InvalidInput::new("category", "Vui lòng chọn loại tin báo.", "Please choose a category."));
    }
    let description = errs.take(text_field("description", &new.description, MAX_DESCRIPTION_CHARS, true));
    if let Some(a) = &new.address {
        errs.take(text_field("address", a, MAX_PLACE_CHARS, false));
    }
    if let Some(o) = &new.occurred {
        errs.take(text_field("occurred", o, MAX_PLACE_CHARS, false));
    }
    if let Some((lat, lon)) = new.point
        && caunoi_core::geo::GeoPoint::new(lat, lon).is_err()
    {
        errs.push(InvalidInput::new(
            "location",
            "Vị trí không nằm trong lãnh thổ Việt Nam. Vui lòng chọn lại hoặc nhập địa chỉ.",
            "The location is outside Vietnam. Please choose again or type an address.",
        ));
    }
    if let Some(category) = &category {
        for q in category.questions.iter().filter(|q| q.required) {
            let answer = new.attributes.get(&q.code).map(|a| a.trim()).unwrap_or("");
            if answer.is_empty() {
                errs.push(InvalidInput::new(
                    "attributes",
                    format!("Vui lòng trả lời: {}", q.label_vi),
                    format!("Please answer: {}", q.label_en),
                ));
            } else if !q.choices.is_empty() && !q.choices.iter().any(|(k, _)| k == answer) {
                errs.push(InvalidInput::new(
                    "attributes",
                    format!("Câu trả lời không hợp lệ: {}", q.label_vi),
                    format!("Not a valid answer: {}", q.label_en),
                ));
            }
        }
    }
    if new.mode == ReporterMode::Sealed
        && new.reporter.name.as_deref().is_none_or(|n| n.trim().is_empty())
        && new.reporter.phone.is_none()
        && new.conversation.is_none()
    {
        errs.push(InvalidInput::new(
            "name",
            "Để bảo mật danh tính, vui lòng cho biết họ tên hoặc số điện thoại (chỉ lãnh đạo đơn vị được duyệt mới xem được).",
            "For a sealed identity, please give a name or phone number (only an approved request lets anyone see it).",
        ));
    }
    match (category, description) {
        (Some(c), Some(d)) if errs.is_empty() => Ok((c, d)),
        _ => Err(ServiceError::Invalid(errs)),
    }
}

/// Where a case goes: the unit whose area holds the place (by point, then by typed address),
/// else the unit that received it. Returns the unit and whether the receiving officer must
/// confirm the place (a point near a boundary).
pub async fn route(app: &App, new: &NewCase) -> Result<(UnitId, bool), StoreError> {
    if let Some((lat, lon)) = new.point
        && let Ok(p) = caunoi_core::geo::GeoPoint::new(lat, lon)
        && let Some(found) = crate::units::service::route_point(app, p).await?
    {
        return Ok((found.unit, found.near_edge));
    }
    if let Some(address) = new.address.as_deref()
        && let Some(unit) = crate::units::service::route_address(app, address).await?
    {
        return Ok((unit, false));
    }
    Ok((new.received_by, false))
}

/// Makes a case in its own transaction.
pub async fn create(app: &App, new: NewCase) -> Result<Created, ServiceError> {
    let prepared = prepare(app, new).await?;
    let mut tx = app.db.begin().await?;
    let created = insert(&mut tx, app, &prepared).await?;
    tx.commit().await?;
    after_commit(app, &created);
    Ok(created)
}

/// A case checked, routed and with its secrets made, ready to insert.
pub struct Prepared {
    new: NewCase,
    category: Category,
    description: String,
    unit: UnitId,
    place_to_confirm: bool,
    receipt: Option<(Receipt, String)>,
    sealed: Option<String>,
}

/// Checks, routes and hashes (the slow part) before any transaction.
pub async fn prepare(app: &App, new: NewCase) -> Result<Prepared, ServiceError> {
    let (category, description) = check(app, &new)?;
    let (mut unit, place_to_confirm) = route(app, &new).await?;
    if category.handling == caunoi_core::cases::HandlingLevel::Province {
        unit = crate::units::service::province_of(app, unit).await?;
    }
    // A receipt for whoever has no chat to hear back in: the anonymous reporter (a phone-in),
    // and a web form's reporter whatever the mode. A chat reporter hears back in the chat, so
    // no receipt is made (nor its Argon2 hash computed inside the chat turn's transaction).
    let needs_receipt =
        new.conversation.is_none() && (new.mode == ReporterMode::Anonymous || new.channel == Channel::WebForm);
    let receipt = if needs_receipt {
        let receipt = Receipt::from_random(rand::rng().next_u64());
        let hash = receipt_hash(app, &receipt).await;
        Some((receipt, hash))
    } else {
        None
    };
    let sealed = match new.mode {
        ReporterMode::Sealed => Some(app.secrets.encrypt(&serde_json::to_vec(&new.reporter).unwrap_or_default())),
        _ => None,
    };
    Ok(Prepared { new, category, description, unit, place_to_confirm, receipt, sealed })
}

/// The stored hash of a receipt.
pub async fn receipt_hash(app: &App, receipt: &Receipt) -> String {
    let secrets = app.secrets.clone();
    let digits = receipt.digits().to_string();
    tokio::task::spawn_blocking(move || secrets.slow_lookup_hash("case receipt", digits.as_bytes()))
        .await
        .unwrap_or_default()
}

/// Inserts a prepared case and its first steps in the caller's transaction.
pub async fn insert(tx: &mut Tx, app: &App, p: &Prepared) -> Result<Created, ServiceError> {
    let now = app.clock.now_micros();
    let new = &p.new;
    let urgent = new.urgent || p.category.urgent;
    let attributes = serde_json::to_string(&new.attributes).unwrap_or_else(|_| "{}".into());
    let open = new.mode == ReporterMode::Open;
    let clean = |s: &Option<String>| s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    let (name, phone) = if open { (clean(&new.reporter.name), clean(&new.reporter.phone)) } else { (None, None) };
    let address = clean(&new.address);
    let occurred = clean(&new.occurred);
    // A code is 40 random bits; a clash is retried with another.
    let mut attempt = 0;
    let (id, code) = loop {
        let code = CaseCode::from_random(rand::rng().next_u64());
        let row = NewCaseRow {
            code: code.as_str(),
            unit: p.unit,
            category: &p.category.key,
            channel: new.channel.as_str(),
            status: Status::New.as_str(),
            urgent,
            description: &p.description,
            point: new.point,
            address: address.as_deref(),
            place_unknown: new.place_unknown,
            place_to_confirm: p.place_to_confirm,
            occurred: occurred.as_deref(),
            attributes: &attributes,
            reporter_mode: new.mode.as_str(),
            reporter_name: name.as_deref(),
            reporter_phone: phone.as_deref(),
            sealed_identity: p.sealed.as_deref(),
            receipt_hash: p.receipt.as_ref().map(|(_, h)| h.as_str()),
            conversation: new.conversation.map(|c| c.0),
            received_at: now,
            legal_days: p.category.legal_days,
        };
        match store::insert_case(tx, &row).await {
            Ok(id) => break (id, code),
            Err(StoreError::Conflict(_)) if attempt < 3 => attempt += 1,
            Err(e) => return Err(e.into()),
        }
    };
    let created = NewEventRow {
        kind: EventKind::Created.as_str(),
        officer: new.entered_by,
        unit: Some(new.received_by),
        text: new.channel.label_vi(),
        ..Default::default()
    };
    store::insert_event(tx, id, now, &created).await?;
    let routed = NewEventRow {
        kind: EventKind::Routed.as_str(),
        to_unit: Some(p.unit),
        data: if p.place_to_confirm { r#"{"place_to_confirm":true}"# } else { "{}" },
        ..Default::default()
    };
    store::insert_event(tx, id, now, &routed).await?;
    for m in &new.media {
        attach_in(tx, id, m, now).await?;
    }
    let alarm = match urgent && new.own_alarm {
        true => Some(super::alarms::raise_in(tx, app, id, p.unit, now).await?),
        false => None,
    };
    Ok(Created { id, code, receipt: p.receipt.as_ref().map(|(r, _)| r.clone()), unit: p.unit, urgent, alarm })
}

/// Makes a case inside the caller's transaction (the chat flow's turn).
pub async fn create_in(tx: &mut Tx, app: &App, new: NewCase) -> Result<Created, ServiceError> {
    let prepared = prepare(app, new).await?;
    insert(tx, app, &prepared).await
}

/// What follows a committed case: the metric, and the push alarm of an urgent case sent at
/// once. (Alarms for urgent cases ride on the conversation's alarm for chat reports and on
/// [`super::alarms`] otherwise.)
pub fn after_commit(app: &App, created: &Created) {
    metrics::counter!("caunoi_cases_created_total", "urgent" => if created.urgent { "yes" } else { "no" }).increment(1);
    if let Some(queued) = created.alarm {
        metrics::counter!("caunoi_case_alarms_total").increment(1);
        if queued > 0 {
            app.push().wake();
        }
        crate::inbox::alarms::wake_consoles(app);
    }
}

/// Adds a stored file to a case's evidence in the caller's transaction.
pub async fn attach_in(tx: &mut Tx, case: CaseId, m: &NewMedia, now: i64) -> Result<(), StoreError> {
    let row = MediaRow {
        id: 0,
        media_ref: m.media_ref.clone(),
        kind: m.kind.clone(),
        bytes: m.bytes,
        received_at: m.received_at,
        gps_lat: m.gps.map(|g| g.0),
        gps_lon: m.gps.map(|g| g.1),
    };
    if store::insert_media(tx, case, &row).await? {
        let event = NewEventRow { kind: EventKind::MediaAdded.as_str(), text: &m.kind, ..Default::default() };
        store::insert_event(tx, case, now, &event).await?;
    }
    Ok(())
}

/// Decodes a stored case.
pub fn decode(app: &App, row: ScopedCaseRow) -> Result<CaseView, StoreError> {
    let bad = |what: &str| StoreError::Sql(sqlx::Error::Decode(format!("bad case {what}").into()));
    let c: CaseRow = row.case;
    let mode = ReporterMode::parse(&c.reporter_mode).ok_or_else(|| bad("reporter mode"))?;
    Ok(CaseView {
        id: CaseId(c.id),
        code: CaseCode::from_stored(c.code),
        unit: UnitId(c.unit_id),
        unit_name: row.unit_name,
        unit_path: UnitPath::from_stored(row.unit_path),
        category: category_any(app, &c.category),
        channel: Channel::parse(&c.channel).ok_or_else(|| bad("channel"))?,
        status: Status::parse(&c.status).ok_or_else(|| bad("status"))?,
        urgent: c.urgent,
        description: c.description,
        point: c.lat.zip(c.lon),
        address: c.address,
        place_unknown: c.place_unknown,
        place_to_confirm: c.place_to_confirm,
        occurred: c.occurred,
        attributes: serde_json::from_str(&c.attributes).unwrap_or_default(),
        mode,
        reporter: (mode == ReporterMode::Open).then_some(ReporterDetails {
            name: c.reporter_name,
            phone: c.reporter_phone,
            contact: None,
        }),
        conversation: c.conversation_id.map(ConversationId),
        assignee: c.assignee_id.map(OfficerId),
        clock: LegalClock {
            received_at: c.received_at,
            legal_days: c.legal_days.and_then(|d| u16::try_from(d).ok()),
            extended_to: c.legal_extended_to,
            suspended_micros: c.suspended_micros,
            suspended_since: c.suspended_since,
        },
        forwarded_from: c.forwarded_from.map(UnitId),
        ack_due_at: c.ack_due_at,
        acknowledged_at: c.acknowledged_at,
        first_reply_at: c.first_reply_at,
        duplicate_of: c.duplicate_of.map(CaseId),
        received_at: c.received_at,
        updated_at: c.updated_at,
        has_sealed_identity: c.sealed_identity.is_some(),
    })
}

/// The case `id` if the officer may work it; outside scope it does not exist (404).
pub async fn get(app: &App, scope: &Scope, id: i64) -> Result<CaseView, ServiceError> {
    let row = store::get_in_scope(&app.db, scope.officer_id, CaseId(id)).await?.ok_or(ServiceError::NotFound)?;
    let view = decode(app, row)?;
    if !scope.can(Action::WorkCases, &view.unit_path) {
        return Err(ServiceError::NotFound);
    }
    Ok(view)
}

/// The case `id`, unscoped: for workers and for the reporter's own views, which prove their
/// right otherwise (the conversation, the receipt).
pub async fn get_unscoped(app: &App, id: CaseId) -> Result<Option<CaseView>, StoreError> {
    store::get(&app.db, id).await?.map(|row| decode(app, row)).transpose()
}

/// The case a receipt opens.
pub async fn by_receipt(app: &App, receipt: &Receipt) -> Result<Option<CaseView>, StoreError> {
    let hash = receipt_hash(app, receipt).await;
    store::by_receipt_hash(&app.db, &hash).await?.map(|row| decode(app, row)).transpose()
}

/// The case with a code (the public status look-up).
pub async fn by_code(app: &App, code: &CaseCode) -> Result<Option<CaseView>, StoreError> {
    store::by_code(&app.db, code.as_str()).await?.map(|row| decode(app, row)).transpose()
}

/// The timeline of a case.
pub async fn timeline(app: &App, case: CaseId) -> Result<Vec<EventRow>, StoreError> {
    store::events(&app.db, case).await
}

/// The evidence of a case.
pub async fn media(app: &App, case: CaseId) -> Result<Vec<MediaRow>, StoreError> {
    store::media(&app.db, case).await
}

/// Whether any case holds the stored file `media_ref` as evidence (the retention of
/// conversations' media leaves such a file: a case attached before evidence had its own area
/// names the conversation's file itself).
pub async fn holds_media(app: &App, media_ref: &str) -> Result<bool, StoreError> {
    store::holds_media(&app.db, media_ref).await
}

/// Appends a step to a case's timeline in the caller's transaction.
pub async fn record(tx: &mut Tx, case: CaseId, at: i64, event: &NewEventRow<'_>) -> Result<i64, StoreError> {
    store::insert_event(tx, case, at, event).await
}

/// The cases made from a conversation (the inbox's citizen panel), newest first.
pub async fn of_conversation(app: &App, conversation: ConversationId) -> Result<Vec<CaseRow>, StoreError> {
    store::of_conversation(&app.db, conversation.0).await
}

/// Board rows per page.
pub const PAGE: i64 = 50;

/// A page of the board.
pub async fn board(
    app: &App,
    scope: &Scope,
    view: &str,
    category: Option<&str>,
    unit_path: Option<&str>,
    page: i64,
) -> Result<(Vec<BoardRow>, i64), ServiceError> {
    if !scope.can_anywhere(Action::WorkCases) {
        return Err(ServiceError::NotFound);
    }
    let filter = BoardFilter {
        view,
        category,
        unit_path,
        now: app.clock.now_micros(),
        limit: PAGE,
        offset: page.max(0).saturating_mul(PAGE),
    };
    Ok(store::board(&app.db, scope.officer_id, &filter).await?)
}

/// The board's tabs, in the order shown.
pub const BOARD_TABS: [&str; 5] = ["open", "new", "overdue", "closed", "all"];

/// The count of each of [`BOARD_TABS`] (each at most `store::COUNT_CAP` + 1), with the same
/// filters as the page.
pub async fn board_counts(
    app: &App,
    scope: &Scope,
    category: Option<&str>,
    unit_path: Option<&str>,
) -> Result<[i64; 5], ServiceError> {
    if !scope.can_anywhere(Action::WorkCases) {
        return Err(ServiceError::NotFound);
    }
    let now = app.clock.now_micros();
    let mut counts = [0; 5];
    for (count, view) in counts.iter_mut().zip(BOARD_TABS) {
        let filter = BoardFilter { view, category, unit_path, now, limit: 0, offset: 0 };
        *count = store::board(&app.db, scope.officer_id, &filter).await?.1;
    }
    Ok(counts)
}

// ----- the chat's report flow (conversations::case_flow) ---------------------------------------
//
// A case filed from the chat is completed by the citizen's later answers, each in the turn's
// transaction with an `updated` (or `media_added`) step on the timeline.

/// A place or time the reporter added in the chat after the case was filed.
#[derive(Debug, Clone, Default)]
pub struct ReporterUpdate {
    pub point: Option<(f64, f64)>,
    pub address: Option<String>,
    pub place_unknown: Option<bool>,
    pub occurred: Option<String>,
}

/// Writes what the reporter added, with an `updated` step naming what changed (never the
/// content: the timeline's text is shown to officers who may not see the place).
pub async fn update_from_reporter_in(
    tx: &mut Tx,
    case: CaseId,
    u: &ReporterUpdate,
    now: i64,
) -> Result<(), StoreError> {
    let clean = |s: &Option<String>| s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    let address = clean(&u.address).map(|a| a.chars().take(MAX_PLACE_CHARS).collect::<String>());
    let occurred = clean(&u.occurred).map(|a| a.chars().take(MAX_PLACE_CHARS).collect::<String>());
    let d = store::DetailsRow {
        point: u.point,
        address: address.as_deref(),
        place_unknown: u.place_unknown,
        place_to_confirm: None,
        occurred: occurred.as_deref(),
        description: None,
    };
    store::update_details(tx, case, &d, now).await?;
    let what = if u.point.is_some() {
        "Người báo gửi vị trí"
    } else if address.is_some() {
        "Người báo bổ sung địa chỉ"
    } else if occurred.is_some() {
        "Người báo bổ sung thời gian"
    } else {
        "Người báo không nhớ địa điểm"
    };
    let event = NewEventRow { kind: EventKind::Updated.as_str(), text: what, ..Default::default() };
    store::insert_event(tx, case, now, &event).await?;
    Ok(())
}

/// Sets how the reporter of a chat case is known, as they chose after it was filed: an open
/// reporter's name is kept, a sealed one's encrypted, an anonymous one's nothing (the
/// conversation link stays, so officers' replies still reach them).
pub async fn set_reporter_mode_in(
    tx: &mut Tx,
    app: &App,
    case: CaseId,
    mode: ReporterMode,
    reporter: &ReporterDetails,
    now: i64,
) -> Result<(), StoreError> {
    let name = reporter.name.as_deref().map(str::trim).filter(|n| !n.is_empty());
    let sealed =
        (mode == ReporterMode::Sealed).then(|| app.secrets.encrypt(&serde_json::to_vec(reporter).unwrap_or_default()));
    let (open_name, open_phone) = match mode {
        ReporterMode::Open => (name, reporter.phone.as_deref()),
        _ => (None, None),
    };
    let row = store::ReporterRow {
        mode: mode.as_str(),
        name: open_name,
        phone: open_phone,
        sealed: sealed.as_deref(),
        receipt_hash: None,
    };
    store::set_reporter(tx, case, &row, now).await?;
    let text = format!("Người báo chọn: {}", mode.label_vi());
    let event = NewEventRow { kind: EventKind::Updated.as_str(), text: &text, ..Default::default() };
    store::insert_event(tx, case, now, &event).await?;
    Ok(())
}
