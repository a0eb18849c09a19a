//! Outbox use cases for officers: the dead letters of their units and sending one again. Both
//! are scoped: a row of a unit outside the officer's subtrees does not exist for them (404).
//! Handling dead letters is for those who direct a unit's work (admins, leaders, duty
//! officers); a retry is audited in the same transaction that puts the row back in the queue.

use super::store::{self, DeadLetter, OutboxRow};
use crate::app::App;
use crate::db::{StoreError, Tx};
use crate::error::ServiceError;
use caunoi_core::audit::AuditAction;
use caunoi_core::staff::{Action, Forbidden, Scope};
use caunoi_core::units::UnitPath;

/// Most dead letters read at once.
const LIST_LIMIT: i64 = 200;

/// Dead letters of the officer's units, newest first (at most 200), with the reason in
/// `last_error` (e.g. `reply_window_closed: …`).
pub async fn list_dead(app: &App, scope: &Scope) -> Result<Vec<OutboxRow>, ServiceError> {
    Ok(store::list_dead_in_scope(&app.db, scope.officer_id, LIST_LIMIT).await?)
}

/// Whether the officer handles dead letters anywhere: an admin, leader or duty officer grant.
pub fn handles_dead_letters(scope: &Scope) -> bool {
    scope.can_anywhere(Action::DirectWork)
}

/// Dead letters of the units whose work the officer directs, with their units, newest first.
pub async fn dead_letters(app: &App, scope: &Scope) -> Result<Vec<DeadLetter>, ServiceError> {
    if !handles_dead_letters(scope) {
        return Err(Forbidden { action: Action::EditUnit }.into());
    }
    Ok(store::dead_letters_in_scope(&app.db, scope.officer_id, LIST_LIMIT)
        .await?
        .into_iter()
        .filter(|d| scope.can(Action::DirectWork, &UnitPath::from_stored(d.unit_path.clone())))
        .collect())
}

/// How many dead letters wait in the units whose work the officer directs (the inbox badge).
pub async fn count_dead(app: &App, scope: &Scope) -> Result<usize, ServiceError> {
    if !handles_dead_letters(scope) {
        return Ok(0);
    }
    Ok(dead_letters(app, scope).await?.len())
}

/// Puts a dead letter back in the queue, due now, with a fresh attempt budget, and records who
/// did it. Only those who direct the unit's work may (403); elsewhere the row does not exist.
pub async fn retry(app: &App, scope: &Scope, id: i64) -> Result<(), ServiceError> {
    let (row, path) = store::get_in_scope(&app.db, scope.officer_id, id).await?.ok_or(ServiceError::NotFound)?;
    let path = UnitPath::from_stored(path);
    scope.require(Action::ViewUnit, &path)?;
    if !scope.can(Action::DirectWork, &path) {
        return Err(Forbidden { action: Action::EditUnit }.into());
    }
    if row.status != super::OutboxStatus::Dead {
        return Err(ServiceError::NotFound);
    }
    let now = app.clock.now_micros();
    let target = row.id.to_string();
    let requeued = {
        let mut tx = app.db.begin().await?;
        let value = {
            let requeued = store::requeue_dead(&mut tx, id, now).await?;
            if requeued {
                let entry = crate::audit::store::NewEntry {
                    at: now,
                    officer: Some(scope.officer_id),
                    action: AuditAction::OutboxRetried,
                    unit: Some(row.unit_id),
                    target: &target,
                    detail: row.channel.as_str(),
                };
                crate::audit::service::record(&mut tx, &entry).await?;
            }
            requeued
        };
        tx.commit().await?;
        value
    };
    if !requeued {
        return Err(ServiceError::NotFound);
    }
    app.channels().outbox_wake.notify_one();
    Ok(())
}

/// Queues messages inside the caller's transaction, each unless its idempotency key is known;
/// returns the ids and keys of those that were new (see `store::insert_many`).
pub async fn enqueue(tx: &mut Tx, rows: &[store::NewOutbox<'_>]) -> Result<Vec<(i64, String)>, StoreError> {
    store::insert_many(tx, rows).await
}

/// Of the given messages, those still waiting in the outbox (see `store::still_queued`).
pub async fn still_queued(
    db: &crate::db::Db,
    message_ids: &[i64],
) -> Result<std::collections::HashSet<i64>, StoreError> {
    store::still_queued(db, message_ids).await
}

/// The messages among `message_ids` that could not be delivered, with the last error (the
/// inbox marks them in the thread).
pub async fn undelivered(
    db: &crate::db::Db,
    message_ids: &[i64],
) -> Result<std::collections::HashMap<i64, String>, StoreError> {
    store::dead_for_messages(db, message_ids).await
}

/// Settles a delivered batch in the caller's transaction; the messages sent, with the
/// provider's ids (see `store::settle_many`).
pub async fn settle(
    tx: &mut Tx,
    outcomes: &[(&OutboxRow, store::Settlement)],
    now: i64,
) -> Result<Vec<(i64, String)>, StoreError> {
    store::settle_many(tx, outcomes, now).await
}

/// Leases up to `limit` due rows (see `store::claim`).
pub async fn claim(db: &crate::db::Db, now: i64, lease_until: i64, limit: i64) -> Result<Vec<OutboxRow>, StoreError> {
    store::claim(db, now, lease_until, limit).await
}
