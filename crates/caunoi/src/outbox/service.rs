//! Outbox use cases for officers: the dead letters of their units and sending one again. Both
//! are scoped: a row of a unit outside the officer's subtrees does not exist for them (404).

use super::store::{self, OutboxRow};
use crate::app::App;
use crate::error::ServiceError;
use caunoi_core::staff::{Action, Scope};
use caunoi_core::units::UnitPath;

/// Dead letters of the officer's units, newest first (at most 200), with the reason in
/// `last_error` (e.g. `reply_window_closed: …`).
pub async fn list_dead(app: &App, scope: &Scope) -> Result<Vec<OutboxRow>, ServiceError> {
    Ok(store::list_dead_in_scope(&app.db, scope.officer_id, 200).await?)
}

/// Puts a dead letter back in the queue, due now, with a fresh attempt budget.
pub async fn retry(app: &App, scope: &Scope, id: i64) -> Result<(), ServiceError> {
    let (row, path) = store::get_in_scope(&app.db, scope.officer_id, id).await?.ok_or(ServiceError::NotFound)?;
    scope.require(Action::ViewUnit, &UnitPath::from_stored(path))?;
    if row.status != "dead" || !store::requeue_dead(&app.db, id, app.clock.now_micros()).await? {
        return Err(ServiceError::NotFound);
    }
    app.channels.outbox_wake.notify_one();
    Ok(())
}
