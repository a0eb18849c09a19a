//! Processing a citizen's message: every message, whatever its channel, takes one path: its
//! whole effect in ONE transaction ([`turns::write_turns`]), then the hand-off to the officer on
//! duty. The web chat calls [`process_citizen_message`]; stored Zalo webhook events come through
//! the worker, as a [`PreparedBatch`] ([`prepare_batch`], then [`apply_batch`]). A crash
//! anywhere before the commit leaves an event unprocessed, and the next attempt starts again
//! from the stored row.
//!
//! This is the top of the conversation feature: it calls the turn writer, the inbox (the duty
//! roster, the alarms) and, through the turns, the report flow. Other features never call it;
//! what they read and write of a conversation is in [`super::service`], which calls no other
//! feature, so the inbox and the cases can use it without an import circle.

use super::store::{self, CitizenRef, InboundEvent};
use super::turns::{self, Once, TurnInput, TurnOutcome};
use super::unit::UnitContext;
use crate::app::App;
use crate::db::{StoreError, Tx};
use crate::kb::live::Effective;
use crate::units::store::Unit;
use caunoi_core::conversations::{Channel, CitizenMessage, Inbound, InboundKind};
use caunoi_text::matcher::Decision;
use std::collections::HashMap;
use std::sync::Arc;

/// A citizen's message on any channel, with all its effects in ONE transaction (module docs):
/// the contact and conversation, the stored message, the bot's turn and unanswered-question
/// log, the conversation's state, and the replies stored and queued in the outbox for
/// `from.channel`.
pub async fn process_citizen_message(
    app: &App,
    context: &UnitContext,
    from: &CitizenRef<'_>,
    msg: &CitizenMessage,
    once: Once,
) -> Result<TurnOutcome, StoreError> {
    let decided = to_decide(app, context.unit.as_ref(), msg).map(|(kb, text)| kb.matcher.decide_question(text));
    let item = TurnInput { context, from: *from, msg, once, decided: decided.as_ref() };
    let mut tx = app.db.begin().await?;
    let mut outcomes = turns::write_turns(&mut tx, app, std::slice::from_ref(&item)).await?;
    tx.commit().await?;
    let outcome = outcomes.pop().unwrap_or_default();
    assign_hand_off(app, &outcome).await;
    Ok(outcome)
}

/// A stored webhook event made ready for its transaction: what it means (parsed once, media
/// downloaded) and the knowledge base's decision on its text.
pub struct PreparedEvent {
    pub event: InboundEvent,
    /// `None` for events with nothing to do.
    pub inbound: Option<Inbound>,
    decided: Option<Decision>,
}

impl PreparedEvent {
    /// The citizen whose conversation the event touches, if any. Events of one citizen must be
    /// applied in their order, by one transaction at a time.
    pub fn citizen(&self) -> Option<&str> {
        self.inbound.as_ref().map(Inbound::user_id)
    }
}

/// Claimed events, prepared outside any transaction, with the units' contexts looked up once
/// per OA.
pub struct PreparedBatch {
    pub events: Vec<PreparedEvent>,
    contexts: HashMap<String, UnitContext>,
}

/// Prepares claimed events (see [`PreparedBatch`]): each body is translated by its channel
/// (Zalo: `channels::zalo::inbound`), media downloaded, the units' contexts looked up, and the
/// matcher's decisions taken on a blocking thread.
pub async fn prepare_batch(app: &App, events: Vec<InboundEvent>) -> Result<PreparedBatch, StoreError> {
    let mut contexts: HashMap<String, UnitContext> = HashMap::new();
    let mut prepared = Vec::with_capacity(events.len());
    for event in events {
        let inbound = crate::channels::zalo::inbound::translate(app, &event.raw_body, event.received_at).await;
        if matches!(inbound, Some(Inbound::Message { .. })) && !contexts.contains_key(&event.oa_id) {
            contexts.insert(event.oa_id.clone(), UnitContext::of_zalo_oa(app, &event.oa_id).await?);
        }
        prepared.push(PreparedEvent { event, inbound, decided: None });
    }
    let jobs: Vec<(usize, Arc<Effective>, String)> = prepared
        .iter()
        .enumerate()
        .filter_map(|(i, p)| {
            let Some(Inbound::Message { message, .. }) = &p.inbound else { return None };
            let unit = contexts.get(&p.event.oa_id)?.unit.as_ref();
            let (kb, text) = to_decide(app, unit, message)?;
            Some((i, kb, text.to_string()))
        })
        .collect();
    for (i, decision) in decide_off_runtime(jobs).await {
        prepared[i].decided = Some(decision);
    }
    Ok(PreparedBatch { events: prepared, contexts })
}

/// The matcher's decisions on a batch's texts (the FAQ part: the bot runs the safety rules
/// itself, first, [`Matcher::decide_question`](caunoi_text::matcher::Matcher::decide_question)), taken before the batch's transaction (so the
/// writer is not held while the matcher runs), on a blocking thread: the runtime's threads go
/// on serving requests and driving the writer's transactions. One thread, not one per core:
/// the worker prepares a batch while the previous one is applied, and that transaction is a
/// chain of short round trips that slows down whenever both cores are taken. If the thread
/// fails the texts are left out (the bot then decides them itself, inside the transaction).
async fn decide_off_runtime(jobs: Vec<(usize, Arc<Effective>, String)>) -> Vec<(usize, Decision)> {
    if jobs.is_empty() {
        return Vec::new();
    }
    let decide = move || jobs.into_iter().map(|(i, kb, text)| (i, kb.matcher.decide_question(&text))).collect();
    tokio::task::spawn_blocking(decide).await.unwrap_or_default()
}

/// What the matcher decides ahead for a message to `unit`: its text against the unit's
/// knowledge base, for text messages to a known unit only.
fn to_decide<'m>(app: &App, unit: Option<&Unit>, msg: &'m CitizenMessage) -> Option<(Arc<Effective>, &'m str)> {
    let unit = unit.filter(|_| msg.inbound == InboundKind::Text)?;
    Some((app.kb().effective(&unit.path), msg.text.as_str()))
}

/// Applies the events `which` of a batch (in their order) in ONE transaction: one commit (one
/// WAL flush) for all of them instead of one per event. Every event keeps its own guarantees
/// (recorded as applied together with its effects, outbox keys from its id), so a replay stays
/// harmless (on SQLite the caller then marks them in the inbound log, [`log_applied`]); when
/// any event fails the whole transaction rolls back and the caller retries the events one by
/// one (`worker`), so one bad event cannot hold back the rest. One outcome per event of `which`.
pub async fn apply_batch(
    app: &App,
    batch: &PreparedBatch,
    which: &[&PreparedEvent],
) -> Result<Vec<TurnOutcome>, StoreError> {
    let ids: Vec<i64> = which.iter().map(|p| p.event.id).collect();
    let mut tx = app.db.begin().await?;
    // One statement marks the batch; what another worker already processed is skipped.
    let fresh = store::mark_processed(&mut tx, &ids, app.clock.now_micros()).await?;
    let mut outcomes: Vec<TurnOutcome> = vec![TurnOutcome::default(); which.len()];
    // Citizens' messages are written together, a run of consecutive ones at a time; the rare
    // events without a message (taps on "Nhắn tin", echoes of OA Manager) one by one, in their
    // place.
    let mut run: Vec<TurnInput<'_>> = Vec::new();
    let mut run_slots: Vec<usize> = Vec::new();
    for (slot, prepared) in which.iter().enumerate() {
        if !fresh.contains(&prepared.event.id) {
            continue;
        }
        if let Some(item) = turn_input(batch, prepared)? {
            run_slots.push(slot);
            run.push(item);
            continue;
        }
        write_run(&mut tx, app, &mut run, &mut run_slots, &mut outcomes).await?;
        outcomes[slot] = match &prepared.inbound {
            Some(inbound) => {
                turns::write_event(&mut tx, app, prepared.event.unit_id, &prepared.event.oa_id, inbound).await?
            }
            None => TurnOutcome::applied(),
        };
    }
    write_run(&mut tx, app, &mut run, &mut run_slots, &mut outcomes).await?;
    tx.commit().await?;
    for outcome in &outcomes {
        assign_hand_off(app, outcome).await;
    }
    Ok(outcomes)
}

/// Writes a run of citizens' messages and puts their outcomes in their events' slots.
async fn write_run(
    tx: &mut Tx,
    app: &App,
    run: &mut Vec<TurnInput<'_>>,
    slots: &mut Vec<usize>,
    outcomes: &mut [TurnOutcome],
) -> Result<(), StoreError> {
    if run.is_empty() {
        return Ok(());
    }
    let written = turns::write_turns(tx, app, run).await?;
    for (&slot, outcome) in slots.iter().zip(written) {
        outcomes[slot] = outcome;
    }
    run.clear();
    slots.clear();
    Ok(())
}

/// A stored event's citizen message, ready for [`turns::write_turns`] (`None` for events
/// without one).
fn turn_input<'a>(batch: &'a PreparedBatch, prepared: &'a PreparedEvent) -> Result<Option<TurnInput<'a>>, StoreError> {
    let Some(Inbound::Message { user_id, at, message }) = &prepared.inbound else { return Ok(None) };
    let ev = &prepared.event;
    let context = batch.contexts.get(&ev.oa_id).ok_or(StoreError::NotFound)?;
    Ok(Some(TurnInput {
        context,
        from: CitizenRef {
            unit_id: ev.unit_id,
            channel: Channel::Zalo,
            account: &ev.oa_id,
            external_id: user_id,
            interaction_at: Some(*at),
        },
        msg: message,
        once: Once::InboundEvent { event_id: ev.id },
        decided: prepared.decided.as_ref(),
    }))
}

/// A hand-off goes to the officer on duty with the fewest open conversations (after the
/// commit: the assignment is its own small transaction and may find nobody on duty). Only at
/// the hand-off itself: a conversation that found nobody on duty waits in its unit's queue,
/// and the citizen's further messages while it waits do not look for an officer again (at
/// peak that was three reads per message on the worker's path).
async fn assign_hand_off(app: &App, outcome: &TurnOutcome) {
    if outcome.handed_off
        && let Some(conversation) = outcome.conversation_id
        && let Err(e) = crate::inbox::service::assign_on_duty(app, conversation.0).await
    {
        tracing::warn!(error = %e, "duty assignment failed");
    }
    // After the roster picked someone: the alarm reaches the assignee and the duty desk.
    if outcome.alarm_raised
        && let Some(conversation) = outcome.conversation_id
        && let Err(e) = crate::inbox::alarms::alert_raised(app, conversation).await
    {
        tracing::warn!(error = %e, "urgent alarm not sent");
    }
}
