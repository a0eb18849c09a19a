//! Knowledge-base use cases: a unit's effective entries, editing them through overrides (every
//! change is versioned with who made it and rebuilds the live index before returning), local
//! entries, import and export of the JSON format, and the unanswered-question review.

use super::live::Effective;
use super::store;
use crate::app::App;
use crate::audit::store::NewEntry;
use crate::db::{StoreError, Tx};
use crate::error::ServiceError;
use crate::units::store::Unit;
use caunoi_core::audit::AuditAction;
use caunoi_core::input::{FieldErrors, InvalidInput, text_field};
use caunoi_core::kb::{
    EntryChanges, EntryId, KbEntry, KbImportError, KbOverride, UnitPlaceholders, fill_placeholders, parse_kb_json,
    to_kb_json,
};
use caunoi_core::staff::{Action, OfficerId, Scope};
use caunoi_core::units::{WEEKDAYS, fmt_hhmm};
use std::sync::Arc;

/// An entry ready to send to a citizen: placeholders filled with the unit's details.
#[derive(Debug, Clone, PartialEq)]
pub struct FilledEntry {
    pub id: String,
    pub title: String,
    pub answer: String,
}

/// The unit's values for answer placeholders.
pub fn placeholders(unit: &Unit) -> UnitPlaceholders {
    let d = &unit.details;
    let days = working_hours_text(&d.opening_hours);
    let nonempty = |s: &str| (!s.trim().is_empty()).then(|| s.to_string());
    UnitPlaceholders {
        unit_name: Some(d.name.clone()),
        address: nonempty(&d.address),
        hotline: d.hotline.as_ref().or(d.duty_phone.as_ref()).map(|p| p.display()),
        email: nonempty(&d.email),
        working_hours: (!days.is_empty()).then_some(days),
        reception_schedule: None,
        booking_link: None,
        survey_link: None,
    }
}

/// Opening hours in words, runs of days with the same hours joined:
/// "Thứ Hai–Thứ Sáu: 07:30–11:30, 13:30–17:00; Thứ Bảy: 07:30–11:30".
pub fn working_hours_text(hours: &caunoi_core::units::OpeningHours) -> String {
    const NAMES: [&str; 7] = ["Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật"];
    let day_text: Vec<Option<String>> = WEEKDAYS
        .iter()
        .map(|key| {
            let iv = hours.days.get(*key).filter(|iv| !iv.is_empty())?;
            Some(iv.iter().map(|(a, b)| format!("{}–{}", fmt_hhmm(*a), fmt_hhmm(*b))).collect::<Vec<_>>().join(", "))
        })
        .collect();
    let mut parts = Vec::new();
    let mut i = 0;
    while i < 7 {
        let Some(text) = &day_text[i] else {
            i += 1;
            continue;
        };
        let mut j = i;
        while j + 1 < 7 && day_text[j + 1].as_ref() == Some(text) {
            j += 1;
        }
        let days = if j > i { format!("{}–{}", NAMES[i], NAMES[j]) } else { NAMES[i].to_string() };
        parts.push(format!("{days}: {text}"));
        i = j + 1;
    }
    parts.join("; ")
}

/// An entry of the unit's knowledge base, filled for sending.
pub fn filled(app: &App, unit: &Unit, entry_id: &str) -> Option<FilledEntry> {
    let effective = app.kb().effective(&unit.path);
    let e = effective.entry(entry_id)?;
    Some(FilledEntry {
        id: e.id.to_string(),
        title: e.title.clone(),
        answer: fill_placeholders(&e.answer, &placeholders(unit)),
    })
}

/// How an entry stands in a unit's knowledge base.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryOrigin {
    /// The shared entry, unchanged here.
    Base,
    /// Changed by this unit or one above it.
    Modified,
    /// A local entry added by this unit or one above it.
    Local,
}

/// The unit's effective knowledge base, for the console.
pub async fn effective_for(app: &App, scope: &Scope, unit_code: &str) -> Result<(Unit, Arc<Effective>), ServiceError> {
    let unit = crate::units::service::get(app, scope, unit_code).await?;
    let eff = app.kb().effective(&unit.path);
    Ok((unit, eff))
}

/// Where an entry of a unit's effective knowledge base comes from.
pub fn origin(app: &App, entry: &KbEntry) -> EntryOrigin {
    match app.kb().base_entry(entry.id.as_str()) {
        None => EntryOrigin::Local,
        Some(base) if base == *entry => EntryOrigin::Base,
        Some(_) => EntryOrigin::Modified,
    }
}

/// The edit form of an entry for a unit.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct EntryInput {
    pub title: String,
    pub answer: String,
    /// One paraphrase question per line.
    pub questions: String,
    pub notes: String,
    pub verified: Option<String>,
}

fn validate_entry_input(input: &EntryInput) -> Result<(String, String, Vec<String>, String), ServiceError> {
    let mut errs = FieldErrors::default();
    let title = errs.take(text_field("title", &input.title, 200, true));
    let answer = errs.take(text_field("answer", &input.answer, 8000, true));
    let notes = errs.take(text_field("notes", &input.notes, 2000, false));
    let questions: Vec<String> = input
        .questions
        .lines()
        .map(|l| l.trim().chars().filter(|c| !c.is_control()).collect::<String>())
        .filter(|l| !l.is_empty())
        .collect();
    if questions.iter().any(|q| q.chars().count() > 300) {
        errs.push(InvalidInput::new(
            "questions",
            "Mỗi câu hỏi tối đa 300 ký tự.",
            "Each question has at most 300 characters.",
        ));
    }
    if questions.len() > 200 {
        errs.push(InvalidInput::new("questions", "Tối đa 200 câu hỏi.", "At most 200 questions."));
    }
    match (title, answer, notes) {
        (Some(t), Some(a), Some(n)) if errs.is_empty() => Ok((t, a, questions, n)),
        _ => Err(errs.into()),
    }
}

fn require_kb_edit(scope: &Scope, unit: &Unit) -> Result<(), ServiceError> {
    Ok(scope.require(Action::EditKb, &unit.path)?)
}

/// Saves a unit's version of an entry: for a shared entry a "modify" override at this unit (the
/// base stays untouched for everyone else); for a local entry of this unit, the entry itself.
pub async fn save_entry(
    app: &App,
    scope: &Scope,
    unit_code: &str,
    entry_id: &str,
    input: &EntryInput,
) -> Result<(), ServiceError> {
    let (unit, eff) = effective_for(app, scope, unit_code).await?;
    require_kb_edit(scope, &unit)?;
    let current = eff.entry(entry_id).cloned().ok_or(ServiceError::NotFound)?;
    let (title, answer, questions, notes) = validate_entry_input(input)?;
    let verified = input.verified.is_some();
    // A local entry (not in the shared base) is saved whole at this unit; a shared entry gets a
    // "modify" override that leaves the base untouched for everyone else.
    let o = if app.kb().base_entry(entry_id).is_none() {
        let mut e = current.clone();
        e.title = title;
        e.answer = answer;
        e.questions = if questions.is_empty() { e.questions } else { questions };
        e.notes = (!notes.is_empty()).then_some(notes);
        e.verified = verified;
        KbOverride::Add { entry: e }
    } else {
        let base = app.kb().base_entry(entry_id).unwrap_or_else(|| current.clone());
        let extra: Vec<String> = questions.into_iter().filter(|q| !base.questions.contains(q)).collect();
        let changes = EntryChanges {
            title: (title != base.title).then_some(title),
            answer: (answer != base.answer).then_some(answer),
            extra_questions: extra,
            legal_basis: None,
            source_urls: None,
            verified: (verified != base.verified).then_some(verified),
            notes: (Some(&notes) != base.notes.as_ref() && !notes.is_empty()).then_some(notes),
        };
        KbOverride::Modify { id: current.id.clone(), changes }
    };
    put_override(app, scope.officer_id, &unit, entry_id, &o).await
}

async fn put_override(
    app: &App,
    by: OfficerId,
    unit: &Unit,
    entry_id: &str,
    o: &KbOverride,
) -> Result<(), ServiceError> {
    let now = app.clock.now_micros();
    let mut tx = app.db.begin().await?;
    store::put_override(&mut tx, unit.id, entry_id, o, now, by, None).await?;
    record_kb(&mut tx, now, by, unit, AuditAction::KbChanged, &format!("kb={entry_id}")).await?;
    tx.commit().await?;
    app.kb().reload(&app.db).await?;
    Ok(())
}

/// Audits a change of a unit's knowledge base inside its transaction.
async fn record_kb(
    tx: &mut Tx,
    at: i64,
    by: OfficerId,
    unit: &Unit,
    action: AuditAction,
    detail: &str,
) -> Result<(), StoreError> {
    let entry = NewEntry { at, officer: Some(by), action, unit: Some(unit.id), target: unit.code.as_str(), detail };
    crate::audit::service::record(tx, &entry).await
}

/// Stops answering from an entry in this unit (and below).
pub async fn hide_entry(app: &App, scope: &Scope, unit_code: &str, entry_id: &str) -> Result<(), ServiceError> {
    let (unit, eff) = effective_for(app, scope, unit_code).await?;
    require_kb_edit(scope, &unit)?;
    let e = eff.entry(entry_id).ok_or(ServiceError::NotFound)?;
    put_override(app, scope.officer_id, &unit, entry_id, &KbOverride::Hide { id: e.id.clone() }).await
}

/// Drops this unit's own change to an entry: the unit sees the entry as its parent does.
pub async fn restore_entry(app: &App, scope: &Scope, unit_code: &str, entry_id: &str) -> Result<(), ServiceError> {
    let unit = crate::units::service::get(app, scope, unit_code).await?;
    require_kb_edit(scope, &unit)?;
    let now = app.clock.now_micros();
    let by = scope.officer_id;
    let removed = {
        let mut tx = app.db.begin().await?;
        let value = {
            let removed = store::delete_override(&mut tx, unit.id, entry_id, now, by).await?;
            if removed {
                let detail = format!("kb={entry_id} restored");
                crate::audit::service::record(
                    &mut tx,
                    &NewEntry {
                        at: now,
                        officer: Some(by),
                        action: AuditAction::KbChanged,
                        unit: Some(unit.id),
                        target: unit.code.as_str(),
                        detail: &detail,
                    },
                )
                .await?;
            }
            removed
        };
        tx.commit().await?;
        value
    };
    if !removed {
        return Err(ServiceError::NotFound);
    }
    app.kb().reload(&app.db).await?;
    Ok(())
}

/// An ASCII slug of a title for local entry ids.
fn slug(title: &str) -> String {
    let folded = caunoi_text::normalize::fold(title);
    let mut out = String::new();
    for c in folded.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
        if out.len() >= 40 {
            break;
        }
    }
    out.trim_end_matches('-').to_string()
}

/// Adds a local entry for this unit (and its subtree). Returns its id.
pub async fn add_local_entry(
    app: &App,
    scope: &Scope,
    unit_code: &str,
    input: &EntryInput,
    category: &str,
) -> Result<String, ServiceError> {
    let (unit, eff) = effective_for(app, scope, unit_code).await?;
    require_kb_edit(scope, &unit)?;
    let (title, answer, questions, notes) = validate_entry_input(input)?;
    if questions.is_empty() {
        return Err(InvalidInput::new(
            "questions",
            "Cần ít nhất một câu hỏi mẫu.",
            "At least one example question is needed.",
        )
        .into());
    }
    let base_slug = format!("{}.{}", unit.code, slug(&title));
    let mut id_text = base_slug.clone();
    let mut n = 2;
    while eff.entry(&id_text).is_some() {
        id_text = format!("{base_slug}-{n}");
        n += 1;
    }
    let id: EntryId = id_text.parse().map_err(|_| {
        InvalidInput::new("title", "Tiêu đề cần có chữ cái hoặc số.", "The title needs letters or digits.")
    })?;
    let category = text_field("category", category, 100, false)?;
    let entry = KbEntry {
        id: id.clone(),
        category: if category.is_empty() { "Thông tin địa phương".into() } else { category },
        title,
        questions,
        answer,
        legal_basis: Vec::new(),
        source_urls: Vec::new(),
        verified: input.verified.is_some(),
        notes: (!notes.is_empty()).then_some(notes),
    };
    put_override(app, scope.officer_id, &unit, id.as_str(), &KbOverride::Add { entry }).await?;
    Ok(id.to_string())
}

/// The starter knowledge base shipped with caunoi (`kb/kb_seed.json`): loaded by `caunoi demo`
/// and, when the installer asks for it, by the first start's setup.
pub const STARTER_KB: &str = include_str!("../../../../kb/kb_seed.json");

/// Replaces the shared base from a `kb_seed.json`-format file: all entries or none. Entries not
/// in the file stay (removing shared entries is a deliberate, separate act). Returns the count.
pub async fn import_base(
    app: &App,
    text: &str,
    by: Option<OfficerId>,
    source: &str,
) -> Result<usize, KbImportOrService> {
    let entries = parse_kb_json(text).map_err(KbImportOrService::Import)?;
    let now = app.clock.now_micros();
    let count = entries.len();
    let result: Result<(), ServiceError> = async {
        let mut tx = app.db.begin().await?;
        put_base_entries(&mut tx, &entries, by, source, now).await?;
        tx.commit().await?;
        app.kb().reload(&app.db).await?;
        Ok(())
    }
    .await;
    result.map_err(KbImportOrService::Service)?;
    Ok(count)
}

/// Writes the starter knowledge base into the shared base inside the caller's transaction (the
/// first start's setup, which commits it with the first unit and admin, then calls
/// [`reload`]). Returns the count.
pub async fn import_starter_in(tx: &mut Tx, by: Option<OfficerId>, now: i64) -> Result<usize, ServiceError> {
    // The starter file is checked by the test suite; a broken one refuses the setup cleanly.
    let entries = parse_kb_json(STARTER_KB).map_err(|e| {
        ServiceError::from(InvalidInput::new(
            "starter_kb",
            "Bộ hỏi đáp mẫu kèm theo bị lỗi; hãy cài đặt không kèm bộ hỏi đáp mẫu.",
            format!("The bundled starter knowledge base is broken ({e}); set up without it."),
        ))
    })?;
    put_base_entries(tx, &entries, by, "kb_seed.json", now).await?;
    Ok(entries.len())
}

/// Rebuilds the live index from the database (after a transaction that wrote the shared base).
pub async fn reload(app: &App) -> Result<(), ServiceError> {
    app.kb().reload(&app.db).await?;
    Ok(())
}

async fn put_base_entries(
    tx: &mut Tx,
    entries: &[KbEntry],
    by: Option<OfficerId>,
    source: &str,
    now: i64,
) -> Result<(), ServiceError> {
    for e in entries {
        store::put_base(tx, e, now, by, "imported").await?;
    }
    let detail = format!("count={} source={source}", entries.len());
    crate::audit::service::record(
        tx,
        &NewEntry {
            at: now,
            officer: by,
            action: AuditAction::KbImported,
            unit: None,
            target: source,
            detail: &detail,
        },
    )
    .await?;
    Ok(())
}

/// An import refused for its content, or a storage failure.
#[derive(Debug, thiserror::Error)]
pub enum KbImportOrService {
    #[error("the knowledge base file was refused, nothing was imported: {0}")]
    Import(KbImportError),
    #[error(transparent)]
    Service(ServiceError),
}

/// The unit's effective knowledge base as JSON (the import format). Audited as an export.
pub async fn export(app: &App, scope: &Scope, unit_code: &str) -> Result<String, ServiceError> {
    let (unit, eff) = effective_for(app, scope, unit_code).await?;
    record_export(app, scope, &unit, &format!("kb entries={}", eff.entries.len())).await?;
    Ok(to_kb_json(&eff.entries))
}

/// Records a download of a unit's data in the audit log (`detail` says what and how much).
async fn record_export(app: &App, scope: &Scope, unit: &Unit, detail: &str) -> Result<(), ServiceError> {
    crate::audit::service::record_now(
        &app.db,
        &NewEntry {
            at: app.clock.now_micros(),
            officer: Some(scope.officer_id),
            action: AuditAction::DataExported,
            unit: Some(unit.id),
            target: unit.code.as_str(),
            detail,
        },
    )
    .await?;
    Ok(())
}

/// A group of similar unanswered questions, with the entry they most resemble.
#[derive(Debug, Clone)]
pub struct ReviewGroup {
    pub items: Vec<store::UnansweredRow>,
    pub unit_code: String,
    pub suggestion: Option<(String, String)>,
}

/// The review kind of a citizen's "not helpful" tap on an answer: the row's text is the tap's
/// label ("👎 Chưa hữu ích", or "2" typed on Zalo), never a question, so it is reviewed per
/// entry and never offered as an example question (that would teach the matcher to answer the
/// entry to "not helpful").
pub const FEEDBACK_KIND: &str = "unhelpful";

/// "Not helpful" taps on one entry's answer in one unit, waiting for review.
#[derive(Debug, Clone)]
pub struct FeedbackGroup {
    pub ids: Vec<i64>,
    pub unit_code: String,
    pub unit_name: String,
    pub entry_id: Option<String>,
    /// The entry's title in the unit's knowledge base, when it is still there.
    pub entry_title: Option<String>,
    pub last_at: i64,
}

/// The open review: questions grouped by similarity, and the "not helpful" taps by entry.
#[derive(Debug, Clone, Default)]
pub struct Review {
    pub questions: Vec<ReviewGroup>,
    pub feedback: Vec<FeedbackGroup>,
}

/// Open unanswered questions of the officer's units, grouped by similarity (within a unit);
/// "not helpful" taps apart, by entry.
pub async fn review(app: &App, scope: &Scope) -> Result<Review, ServiceError> {
    let rows = store::open_unanswered(&app.db, scope.officer_id, 500).await?;
    let (feedback_rows, question_rows): (Vec<_>, Vec<_>) = rows.into_iter().partition(|r| r.kind == FEEDBACK_KIND);
    let mut feedback: Vec<FeedbackGroup> = Vec::new();
    for r in feedback_rows {
        match feedback.iter_mut().find(|g| g.unit_code == r.unit_code && g.entry_id == r.entry_id) {
            Some(g) => {
                g.ids.push(r.id);
                g.last_at = g.last_at.max(r.at);
            }
            None => {
                let entry_title = match (&r.entry_id, crate::units::service::locate(&app.db, &r.unit_code).await?) {
                    (Some(id), Some((_, path))) => app.kb().effective(&path).entry(id).map(|e| e.title.clone()),
                    _ => None,
                };
                feedback.push(FeedbackGroup {
                    ids: vec![r.id],
                    unit_code: r.unit_code,
                    unit_name: r.unit_name,
                    entry_id: r.entry_id,
                    entry_title,
                    last_at: r.at,
                });
            }
        }
    }
    feedback.sort_by_key(|g| std::cmp::Reverse(g.ids.len()));
    Ok(Review { questions: group_questions(app, question_rows).await?, feedback })
}

/// Open unanswered questions (not feedback) grouped by similarity within each unit, with the
/// entry each group most resembles.
async fn group_questions(app: &App, rows: Vec<store::UnansweredRow>) -> Result<Vec<ReviewGroup>, ServiceError> {
    let mut by_unit: Vec<(String, Vec<store::UnansweredRow>)> = Vec::new();
    for r in rows {
        match by_unit.iter_mut().find(|(u, _)| *u == r.unit_code) {
            Some((_, v)) => v.push(r),
            None => by_unit.push((r.unit_code.clone(), vec![r])),
        }
    }
    let mut out = Vec::new();
    for (unit_code, rows) in by_unit {
        let texts: Vec<&str> = rows.iter().map(|r| r.text.as_str()).collect();
        let groups = caunoi_text::group::group_similar(&texts, 0.5);
        let unit = crate::units::service::locate(&app.db, &unit_code).await?;
        let eff = unit.map(|(_, path)| app.kb().effective(&path));
        for g in groups {
            let items: Vec<store::UnansweredRow> = g.iter().filter_map(|i| rows.get(*i).cloned()).collect();
            let suggestion = eff.as_ref().and_then(|eff| {
                let first = items.first()?;
                let top = eff.matcher.rank(&first.text, 1).into_iter().next()?;
                let e = eff.entry(&top.id)?;
                Some((e.id.to_string(), e.title.clone()))
            });
            out.push(ReviewGroup { items, unit_code: unit_code.clone(), suggestion });
        }
    }
    out.sort_by_key(|g| std::cmp::Reverse(g.items.len()));
    Ok(out)
}

/// Adds reviewed questions as paraphrases of an entry in their unit, and closes them. Feedback
/// rows ("not helpful" taps) are never added: a request naming only those is refused.
pub async fn add_as_paraphrases(app: &App, scope: &Scope, ids: &[i64], entry_id: &str) -> Result<(), ServiceError> {
    let rows = store::unanswered_by_ids(&app.db, scope.officer_id, ids).await?;
    if rows.is_empty() {
        return Err(ServiceError::NotFound);
    }
    let rows: Vec<store::UnansweredRow> = rows.into_iter().filter(|r| r.kind != FEEDBACK_KIND).collect();
    let Some(first) = rows.first() else {
        return Err(InvalidInput::new(
            "ids",
            "Đánh giá \"chưa hữu ích\" không phải là câu hỏi nên không thêm làm câu hỏi mẫu được. Hãy xem lại câu trả lời của mục hỏi đáp.",
            "A \"not helpful\" rating is not a question and cannot become an example question. Review the entry's answer instead.",
        )
        .into());
    };
    let (unit, eff) = effective_for(app, scope, &first.unit_code).await?;
    require_kb_edit(scope, &unit)?;
    let entry = eff.entry(entry_id).cloned().ok_or(ServiceError::NotFound)?;
    let new_questions: Vec<String> = rows
        .iter()
        .filter(|r| r.unit_code == first.unit_code)
        .map(|r| r.text.clone())
        .filter(|q| !entry.questions.contains(q))
        .collect();
    let existing = app.kb().own_overrides(unit.id).into_iter().find(|o| match o {
        KbOverride::Modify { id, .. } | KbOverride::Hide { id } => id.as_str() == entry_id,
        KbOverride::Add { entry } => entry.id.as_str() == entry_id,
    });
    let o = match existing {
        Some(KbOverride::Add { entry: mut e }) => {
            e.questions.extend(new_questions);
            KbOverride::Add { entry: e }
        }
        Some(KbOverride::Modify { id, mut changes }) => {
            changes.extra_questions.extend(new_questions);
            KbOverride::Modify { id, changes }
        }
        _ => KbOverride::Modify {
            id: entry.id.clone(),
            changes: EntryChanges { extra_questions: new_questions, ..Default::default() },
        },
    };
    put_override(app, scope.officer_id, &unit, entry_id, &o).await?;
    resolve(app, scope, &rows, &format!("paraphrase:{entry_id}")).await
}

/// Closes reviewed questions without changing the knowledge base.
pub async fn dismiss(app: &App, scope: &Scope, ids: &[i64]) -> Result<(), ServiceError> {
    let rows = store::unanswered_by_ids(&app.db, scope.officer_id, ids).await?;
    require_kb_edit_of(app, scope, &rows).await?;
    resolve(app, scope, &rows, "dismissed").await
}

/// The officer edits the knowledge base of every unit the review questions belong to (each
/// unit looked up once).
async fn require_kb_edit_of(app: &App, scope: &Scope, rows: &[store::UnansweredRow]) -> Result<(), ServiceError> {
    let mut checked: Vec<&str> = Vec::new();
    for r in rows {
        if checked.contains(&r.unit_code.as_str()) {
            continue;
        }
        let path = crate::units::service::locate(&app.db, &r.unit_code)
            .await?
            .map(|(_, p)| p)
            .ok_or(ServiceError::NotFound)?;
        scope.require(Action::EditKb, &path)?;
        checked.push(&r.unit_code);
    }
    Ok(())
}

/// Says which emergency a review question was (`label` is an emergency kind's name, "fire",
/// "crime_in_progress", …) or that it was none ("none"): the questions are closed as
/// `emergency:<kind>` or `not_emergency`, and [`safety_labels_json`] exports them as labelled
/// messages for the safety rules' next round (`kb/README.md`). Ratings are no messages and are
/// left alone.
pub async fn label_emergency(app: &App, scope: &Scope, ids: &[i64], label: &str) -> Result<(), ServiceError> {
    let resolution = match label.trim() {
        "none" => "not_emergency".to_owned(),
        kind if caunoi_text::safety::EmergencyKind::ALL.iter().any(|k| k.as_str() == kind) => {
            format!("emergency:{kind}")
        }
        _ => {
            return Err(InvalidInput::new(
                "label",
                "Chọn loại tin khẩn cấp, hoặc \"Không phải tin khẩn cấp\".",
                "Choose the kind of emergency, or \"Not an emergency\".",
            )
            .into());
        }
    };
    let rows: Vec<store::UnansweredRow> = store::unanswered_by_ids(&app.db, scope.officer_id, ids)
        .await?
        .into_iter()
        .filter(|r| r.kind != FEEDBACK_KIND)
        .collect();
    if rows.is_empty() {
        return Err(ServiceError::NotFound);
    }
    require_kb_edit_of(app, scope, &rows).await?;
    resolve(app, scope, &rows, &resolution).await
}

/// The labelled review questions of a unit and the units below it as an emergency set
/// (`kb/emergency_dev.json`'s format: `{"text", "expected", "group": "real"}`), masked as
/// logged; the export is audited. Every unit's with `None` (the command line, which has no
/// officer).
pub async fn safety_labels_json(app: &App, scope: Option<(&Scope, &str)>) -> Result<String, ServiceError> {
    let path = match scope {
        Some((scope, code)) => {
            let unit = crate::units::service::get(app, scope, code).await?;
            require_kb_edit(scope, &unit)?;
            Some((scope, unit))
        }
        None => None,
    };
    let rows = store::safety_labels(&app.db, path.as_ref().map_or("", |(_, u)| u.path.as_str())).await?;
    if let Some((scope, unit)) = &path {
        record_export(app, scope, unit, &format!("safety entries={}", rows.len())).await?;
    }
    let lines: Vec<String> = rows
        .iter()
        .map(|r| {
            let expected = r.resolution.strip_prefix("emergency:").unwrap_or("none");
            format!("  {}", serde_json::json!({ "text": r.text, "expected": expected, "group": "real" }))
        })
        .collect();
    Ok(if lines.is_empty() { "[]\n".to_owned() } else { format!("[\n{}\n]\n", lines.join(",\n")) })
}

async fn resolve(app: &App, scope: &Scope, rows: &[store::UnansweredRow], how: &str) -> Result<(), ServiceError> {
    let now = app.clock.now_micros();
    let mut tx = app.db.begin().await?;
    for r in rows {
        store::resolve_unanswered(&mut tx, r.id, now, scope.officer_id, how).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Logs questions for the unanswered-question review inside the caller's transaction (the
/// bot's turn that could not settle them).
pub async fn log_unanswered(tx: &mut Tx, at: i64, rows: &[store::NewUnanswered<'_>]) -> Result<(), StoreError> {
    store::log_unanswered_many(tx, at, rows).await
}

/// The versions of an entry the reader may see, newest first.
pub async fn versions(app: &App, scope: &Scope, entry_id: &str) -> Result<Vec<store::VersionRow>, StoreError> {
    store::versions(&app.db, scope.officer_id, entry_id).await
}

/// What a unit's entry said after one version: the entry, or nothing (hidden at the unit).
/// A unit's change is shown over the shared entry as it stood then (changes of units above
/// are not part of a unit's own history).
async fn content_of(app: &App, v: &store::StoredVersion) -> Result<Option<KbEntry>, StoreError> {
    if v.row.unit_id.is_none() {
        return Ok(serde_json::from_str(&v.data).ok());
    }
    let base = || store::base_at(&app.db, &v.entry_id, v.row.at);
    if v.data.is_empty() {
        return base().await;
    }
    Ok(match serde_json::from_str::<KbOverride>(&v.data) {
        Ok(KbOverride::Add { entry }) => Some(entry),
        Ok(KbOverride::Hide { .. }) => None,
        Ok(o @ KbOverride::Modify { .. }) => {
            base().await?.and_then(|b| caunoi_core::kb::merge_overrides(&[b], &[o]).into_iter().next())
        }
        Err(_) => None,
    })
}

/// One field of an entry compared between two versions.
#[derive(Debug, Clone)]
pub struct FieldDiff {
    /// `title`, `answer`, `questions`, `legal_basis`, `notes`, `verified` or `shown`.
    pub field: &'static str,
    pub lines: Vec<caunoi_core::diff::DiffLine>,
}

/// An entry's fields as text, for comparison (empty when hidden).
fn entry_texts(e: Option<&KbEntry>) -> [(&'static str, String); 7] {
    let get = |f: fn(&KbEntry) -> String| e.map(f).unwrap_or_default();
    [
        ("shown", if e.is_some() { "✓".into() } else { String::new() }),
        ("title", get(|e| e.title.clone())),
        ("answer", get(|e| e.answer.clone())),
        ("questions", get(|e| e.questions.join("\n"))),
        ("legal_basis", get(|e| e.legal_basis.join("\n"))),
        ("notes", get(|e| e.notes.clone().unwrap_or_default())),
        ("verified", get(|e| if e.verified { "✓".into() } else { String::new() })),
    ]
}

/// The fields that differ between two versions of an entry.
pub fn compare_entries(old: Option<&KbEntry>, new: Option<&KbEntry>) -> Vec<FieldDiff> {
    entry_texts(old)
        .into_iter()
        .zip(entry_texts(new))
        .filter(|((_, a), (_, b))| a != b)
        .map(|((field, a), (_, b))| FieldDiff { field, lines: caunoi_core::diff::compare(&a, &b) })
        .collect()
}

/// One version of an entry as the console shows it.
#[derive(Debug, Clone)]
pub struct VersionView {
    pub row: store::VersionRow,
    /// What the entry said after this version (`None`: hidden).
    pub content: Option<KbEntry>,
    /// The version before it in the same lineage, if any.
    pub previous: Option<store::VersionRow>,
    /// A unit's first change, compared with the shared entry as it stood then.
    pub against_base: bool,
    /// What changed against the previous version (against nothing for the first).
    pub changes: Vec<FieldDiff>,
    /// This unit's own older version, which the reader may set the entry back to.
    pub can_roll_back: bool,
}

/// A version of an entry with its content and what it changed. The reader must see the
/// version's unit (or it is the shared base); `unit_code` is the unit whose page asks.
pub async fn version_view(
    app: &App,
    scope: &Scope,
    unit_code: &str,
    entry_id: &str,
    version_id: i64,
) -> Result<VersionView, ServiceError> {
    let unit = crate::units::service::get(app, scope, unit_code).await?;
    let v = store::version(&app.db, scope.officer_id, entry_id, version_id).await?.ok_or(ServiceError::NotFound)?;
    let content = content_of(app, &v).await?;
    let previous = store::previous_version(&app.db, entry_id, v.row.unit_id, v.row.id).await?;
    let against_base = previous.is_none() && v.row.unit_id.is_some();
    let before = match &previous {
        Some(p) => content_of(app, p).await?,
        None if against_base => store::base_at(&app.db, entry_id, v.row.at).await?,
        None => None,
    };
    let latest = store::latest_version_id(&app.db, entry_id, v.row.unit_id).await?;
    let can_roll_back =
        v.row.unit_id == Some(unit.id.0) && latest != Some(v.row.id) && scope.can(Action::EditKb, &unit.path);
    Ok(VersionView {
        changes: compare_entries(before.as_ref(), content.as_ref()),
        previous: previous.map(|p| p.row),
        against_base,
        row: v.row,
        content,
        can_roll_back,
    })
}

/// Sets a unit's entry back to one of the unit's own earlier versions. Nothing is rewritten:
/// the old override is written again as a new version (`rollback:<version>`), or, for a version
/// where the unit had dropped its change, the unit's change is dropped again. Audited; the live
/// index is rebuilt before returning.
pub async fn roll_back(
    app: &App,
    scope: &Scope,
    unit_code: &str,
    entry_id: &str,
    version_id: i64,
) -> Result<(), ServiceError> {
    let unit = crate::units::service::get(app, scope, unit_code).await?;
    let v = store::version(&app.db, scope.officer_id, entry_id, version_id).await?.ok_or(ServiceError::NotFound)?;
    if v.row.unit_id != Some(unit.id.0) {
        return Err(ServiceError::NotFound);
    }
    require_kb_edit(scope, &unit)?;
    if store::latest_version_id(&app.db, entry_id, v.row.unit_id).await? == Some(v.row.id) {
        return Err(InvalidInput::new(
            "version",
            "Đây đã là phiên bản đang dùng, không cần khôi phục.",
            "This is already the version in use; there is nothing to restore.",
        )
        .into());
    }
    let o: Option<KbOverride> = if v.data.is_empty() {
        None
    } else {
        Some(serde_json::from_str(&v.data).map_err(|_| {
            InvalidInput::new(
                "version",
                "Không đọc được nội dung phiên bản này nên không khôi phục được.",
                "This version's content cannot be read, so it cannot be restored.",
            )
        })?)
    };
    let now = app.clock.now_micros();
    let by = scope.officer_id;
    let mut tx = app.db.begin().await?;
    match &o {
        Some(o) => {
            let change = format!("rollback:{}", v.row.version);
            store::put_override(&mut tx, unit.id, entry_id, o, now, by, Some(&change)).await?;
        }
        None => {
            if !store::delete_override(&mut tx, unit.id, entry_id, now, by).await? {
                return Err(InvalidInput::new(
                    "version",
                    "Đơn vị hiện không có điều chỉnh nào với mục này: nội dung đang dùng đã giống phiên bản đó.",
                    "The unit has no change to this entry now: the content in use is already that version's.",
                )
                .into());
            }
        }
    }
    let detail = format!("kb={entry_id};version={}", v.row.version);
    record_kb(&mut tx, now, by, &unit, AuditAction::KbRolledBack, &detail).await?;
    tx.commit().await?;
    app.kb().reload(&app.db).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_of_days_with_the_same_hours_are_joined() {
        let hours = caunoi_core::units::OpeningHours::office_default();
        assert_eq!(working_hours_text(&hours), "Thứ Hai–Thứ Sáu: 07:30–11:30, 13:30–17:00; Thứ Bảy: 07:30–11:30");
        assert_eq!(working_hours_text(&caunoi_core::units::OpeningHours::default()), "");
    }
}
