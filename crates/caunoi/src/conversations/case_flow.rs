//! The chat's report flow meets the cases: what a planned turn's [`Effect`]s do, in the turn's
//! transaction, before its replies are written. The flow itself (questions, steps, buttons) is
//! pure, in `caunoi_core::cases::intake`; here a draft becomes a case through
//! `cases::service::create_in`, later answers update it (place, photos, reporter mode), and a
//! status question is answered from the citizen's own cases.
//!
//! Invariants: a case is filed at most once per turn and the code the citizen is given is the
//! filed case's; a status answer never reveals a case of another citizen (a typed code opens
//! only a case made from a conversation of the same contact); an anonymous reporter's name is
//! never copied onto the case.

use super::store::{self, ConversationRow};
use crate::app::App;
use crate::cases::service::{self as cases, NewCase, NewMedia, ReporterDetails, ReporterUpdate};
use crate::db::{StoreError, Tx};
use crate::error::ServiceError;
use caunoi_core::bot::BotReply;
use caunoi_core::cases::intake::{CODE_PLACEHOLDER, Draft, Effect, Evidence, FoundCase, STATUS_PLACEHOLDER};
use caunoi_core::cases::{CaseCode, CaseId, Channel as CaseChannel, ReporterMode};
use caunoi_core::conversations::{Channel, PlannedTurn, StoredMemory};
use caunoi_core::inbox::Status;

/// Applies a planned turn's case effects (module docs); the turn's replies, memory and state
/// are completed with what was filed or found.
pub async fn apply(
    tx: &mut Tx,
    app: &App,
    conversation: &ConversationRow,
    turn: &mut PlannedTurn,
    now: i64,
) -> Result<(), StoreError> {
    // The case the flow had filed before this turn (its id is in the stored memory).
    let filed_before = StoredMemory::parse(&conversation.bot_memory).intake.and_then(|i| i.case).map(CaseId);
    let effects = std::mem::take(&mut turn.case_effects);
    for effect in &effects {
        match effect {
            Effect::File(draft) => file(tx, app, conversation, turn, draft, now).await?,
            Effect::Update { point, address, place_unknown, occurred } => {
                let Some(case) = filed_before else { continue };
                let u = ReporterUpdate {
                    point: point.map(|p| (p.lat, p.lon)),
                    address: address.clone(),
                    place_unknown: *place_unknown,
                    occurred: occurred.clone(),
                };
                cases::update_from_reporter_in(tx, case, &u, now).await?;
            }
            Effect::Attach(evidence) => {
                let Some(case) = filed_before else { continue };
                cases::attach_in(tx, case, &new_media(app, evidence, now).await, now).await?;
            }
            Effect::SetMode(mode) => {
                let Some(case) = filed_before else { continue };
                let reporter = reporter_of(tx, conversation, *mode).await?;
                cases::set_reporter_mode_in(tx, app, case, *mode, &reporter, now).await?;
            }
            Effect::Status { code } => {
                let answer = status(tx, app, conversation, code.as_deref()).await?;
                fill(&mut turn.replies, STATUS_PLACEHOLDER, &answer);
            }
        }
    }
    Ok(())
}

async fn file(
    tx: &mut Tx,
    app: &App,
    conversation: &ConversationRow,
    turn: &mut PlannedTurn,
    draft: &Draft,
    now: i64,
) -> Result<(), StoreError> {
    let mut media = Vec::with_capacity(draft.media.len());
    for e in &draft.media {
        media.push(new_media(app, e, now).await);
    }
    let new = NewCase {
        channel: match conversation.channel {
            Channel::Zalo => CaseChannel::Zalo,
            Channel::Web => CaseChannel::WebChat,
        },
        received_by: conversation.unit_id,
        category: draft.category.clone(),
        description: draft.description.clone(),
        point: draft.point.map(|p| (p.lat, p.lon)),
        address: draft.address.clone(),
        place_unknown: draft.place_unknown,
        occurred: draft.occurred.clone(),
        attributes: draft.attributes.clone(),
        mode: draft.mode,
        reporter: reporter_of(tx, conversation, draft.mode).await?,
        conversation: Some(conversation.id),
        entered_by: None,
        urgent: draft.urgent,
        // An urgent conversation rings for its case (its own alarm, raised in this turn or
        // before); a case made urgent by its category in a calm chat rings on its own.
        own_alarm: !(turn.state.urgent || conversation.urgent),
        media,
    };
    match cases::create_in(tx, app, new).await {
        Ok(created) => {
            cases::after_commit(app, &created);
            if let Some(intake) = turn.memory.intake.as_mut() {
                intake.case = Some(created.id.0);
                intake.code = Some(created.code.to_string());
            }
            fill(&mut turn.replies, CODE_PLACEHOLDER, created.code.as_str());
            Ok(())
        }
        Err(ServiceError::Store(e)) => Err(e),
        Err(e) => {
            // Nothing was written (the checks come before any insert). The citizen's messages
            // are in the conversation: an officer takes it from there.
            tracing::warn!(conversation = %conversation.id, error = %e, "a chat report could not be filed");
            let text = "Xin lỗi, hệ thống chưa ghi nhận được tin báo. Cán bộ sẽ xem nội dung anh/chị đã gửi và trả lời \
                        tại đây. Trường hợp khẩn cấp, anh/chị gọi ngay 113.";
            for r in turn.replies.iter_mut().filter(|r| r.text.contains(CODE_PLACEHOLDER)) {
                r.text = text.to_owned();
            }
            turn.memory.intake = None;
            if turn.state.status == Status::Bot {
                turn.state.status = Status::WaitingHuman;
                turn.state.assignee = None;
            }
            Ok(())
        }
    }
}

/// Who the reporter is, as the chosen mode lets the case keep it: the name the citizen shared
/// with the channel, and nothing for an anonymous reporter.
async fn reporter_of(
    tx: &mut Tx,
    conversation: &ConversationRow,
    mode: ReporterMode,
) -> Result<ReporterDetails, StoreError> {
    if mode == ReporterMode::Anonymous {
        return Ok(ReporterDetails::default());
    }
    let name = store::contact_name_in(tx, conversation.contact_id).await?;
    Ok(ReporterDetails { name, phone: None, contact: None })
}

/// A photo or video kept by `crate::media`, as evidence: copied into the cases' own area
/// (`media::Area::Cases`), so the retention of this conversation's media never removes what the
/// case holds; its size read from the stored file. A copy that fails leaves the case with the
/// conversation's file (logged): the report is filed all the same.
async fn new_media(app: &App, e: &Evidence, now: i64) -> NewMedia {
    let store = &app.config.media_store;
    let media_ref = match store.keep_as_evidence(&e.media_ref).await {
        Ok(kept) => kept,
        Err(err) => {
            tracing::warn!(error = %err, "a chat photo or video could not be copied into the cases' evidence");
            e.media_ref.clone()
        }
    };
    let bytes = store.served_size(&media_ref).await.ok().flatten().map_or(0, |n| n as i64);
    NewMedia { media_ref, kind: e.kind.clone(), bytes, received_at: now, gps: None }
}

/// The answer to "tin báo của tôi đến đâu rồi": the conversation's latest case, or the case
/// with the typed code when a conversation of the same contact made it.
async fn status(
    tx: &mut Tx,
    app: &App,
    conversation: &ConversationRow,
    code: Option<&str>,
) -> Result<String, StoreError> {
    let case = match code {
        None => match cases::of_conversation(app, conversation.id).await?.first() {
            Some(row) => cases::get_unscoped(app, CaseId(row.id)).await?,
            None => None,
        },
        Some(code) => {
            let found = match CaseCode::parse(code) {
                Ok(code) => cases::by_code(app, &code).await?,
                Err(_) => None,
            };
            match found {
                Some(case) => {
                    let owner = match case.conversation {
                        Some(c) => store::contact_of_conversation_in(tx, c).await?,
                        None => None,
                    };
                    (owner == Some(conversation.contact_id)).then_some(case)
                }
                None => None,
            }
        }
    };
    let found = case.as_ref().map(|c| FoundCase {
        code: c.code.as_str(),
        category_vi: &c.category.label_vi,
        status: c.status,
        unit_name: &c.unit_name,
    });
    Ok(caunoi_core::cases::intake::status_answer(found, code))
}

fn fill(replies: &mut [BotReply], placeholder: &str, value: &str) {
    for r in replies {
        if r.text.contains(placeholder) {
            r.text = r.text.replace(placeholder, value);
        }
    }
}
