//! A unit as the bot sees it: the unit's row, the facts the bot may quote about it as of now,
//! the placeholders its answers are filled with, its live knowledge base and bot settings.
//! [`plan`] hands all of that to the pure turn planning in `caunoi_core::conversations`.

use crate::app::App;
use crate::db::StoreError;
use crate::units::store::Unit;
use caunoi_core::bot::{KbAnswer, KbView, UnitFacts};
use caunoi_core::conversations::{CaseFlow, Channel, CitizenMessage, PlannedTurn, StoredMemory, UnitView, plan_turn};
use caunoi_core::inbox::ConversationState;
use caunoi_core::kb::UnitPlaceholders;
use caunoi_text::matcher::{Decision, HandOffReason};

/// A unit as the bot sees it for a batch of messages (or one web chat message), worked out
/// once. `unit` is `None` for an OA bound to no unit any more: then every text is handed off.
#[derive(Debug, Clone, Default)]
pub struct UnitContext {
    pub unit: Option<Unit>,
    pub facts: UnitFacts,
    pub placeholders: UnitPlaceholders,
}

impl UnitContext {
    pub fn of(app: &App, unit: Option<Unit>) -> UnitContext {
        let Some(unit) = unit else { return UnitContext::default() };
        let placeholders = crate::kb::service::placeholders(&unit);
        let d = &unit.details;
        let now = app.clock.now().to_zoned(crate::app::vietnam_tz()).datetime();
        let facts = UnitFacts {
            name: d.name.clone(),
            hotline: d.hotline.as_ref().map(|p| p.display()),
            duty_phone: d.duty_phone.as_ref().map(|p| p.display()),
            open_now: d.opening_hours.is_open_at(now),
            on_duty: false,
            typical_wait_minutes: None,
            opening_hours_text: placeholders.working_hours.clone().unwrap_or_default(),
            booking_url: None,
            dossier_lookup: false,
            chat_url: Some(format!("{}/u/{}", app.config.public_url, unit.code.as_str())),
        };
        UnitContext { unit: Some(unit), facts, placeholders }
    }

    /// [`UnitContext::of`] with who can read the chat now: the duty roster and the typical
    /// wait (`inbox::presence`), so that the bot never promises an officer who is not there.
    pub async fn load(app: &App, unit: Option<Unit>) -> Result<UnitContext, StoreError> {
        let mut context = UnitContext::of(app, unit);
        if let Some(unit) = &context.unit {
            let presence = crate::inbox::presence::of_unit(app, unit.id).await?;
            context.facts.on_duty = presence.on_duty;
            context.facts.typical_wait_minutes = presence.typical_wait_minutes;
        }
        Ok(context)
    }

    /// The unit bound to a Zalo OA.
    pub async fn of_zalo_oa(app: &App, oa_id: &str) -> Result<UnitContext, StoreError> {
        let unit = match app.channels().zalo.bindings.get(app, oa_id).await? {
            Some(b) => crate::units::service::get_public(app, &b.unit_code).await?,
            None => None,
        };
        UnitContext::load(app, unit).await
    }
}

/// Plans one citizen message's turn against its conversation (no I/O). `known` is the
/// knowledge base's decision on one text, taken ahead (outside the transaction); any other text
/// the bot asks about is decided here.
pub fn plan(
    app: &App,
    context: &UnitContext,
    channel: Channel,
    state: &ConversationState,
    memory: &StoredMemory,
    msg: &CitizenMessage,
    known: Option<(&str, &Decision)>,
) -> PlannedTurn {
    let unit = context.unit.as_ref();
    let effective = unit.map(|u| app.kb().effective(&u.path));
    let decide = |text: &str| {
        if let Some((taken, decision)) = known
            && taken == text
        {
            return decision.clone();
        }
        match &effective {
            // The bot has run the safety rules on the message first.
            Some(e) => e.matcher.decide_question(text),
            None => Decision::HandOff { reason: HandOffReason::LowConfidence },
        }
    };
    let entry = |id: &str| {
        let e = effective.as_ref()?.entry(id)?;
        Some(KbAnswer {
            id: e.id.to_string(),
            title: e.title.clone(),
            answer: caunoi_core::kb::fill_placeholders(&e.answer, &context.placeholders),
        })
    };
    let settings = unit.map(|u| app.bot_settings().for_path(&u.path)).unwrap_or_default();
    let kb = KbView { decide: &decide, entry: &entry };
    let view = UnitView { facts: &context.facts, settings: &settings, kb: &kb };
    // The report flow offers the deployment's enabled categories, in their order.
    let categories: Vec<caunoi_core::cases::Category> =
        crate::cases::service::categories(app).iter().filter(|(_, enabled)| *enabled).map(|(c, _)| c.clone()).collect();
    let flow = CaseFlow { categories: &categories, now: app.clock.now_micros(), media_ref: msg.media_ref.as_deref() };
    plan_turn(channel, state, memory, &msg.inbound, &msg.text, &view, &flow)
}
