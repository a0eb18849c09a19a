//! Console routes of the inbox: the queues, one conversation and its actions, canned replies,
//! the duty roster, and `/inbox/events`, the server-sent events stream that tells an open page
//! when something in the officer's scope changed. The stream polls the database (not process
//! memory), so it sees changes made by any instance.

//!
//! One module per screen: [`queues`], [`conversation`] and its [`actions`] (with the reply
//! form's parser, [`reply_form`]), [`canned`], [`roster`]; [`live`] is the stream.

mod actions;
mod canned;
mod common;
mod conversation;
mod live;
mod queues;
mod reply_form;
mod roster;

use crate::app::App;
use crate::inbox::media::MAX_FILE_BYTES;
use actions::*;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use canned::*;
use conversation::*;
use live::*;
use queues::*;
use roster::*;

pub use live::LIVE_POLL;

/// Largest reply request: a document at its limit plus the text and multipart framing.
const REPLY_BODY_LIMIT: usize = MAX_FILE_BYTES + 64 * 1024;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/inbox", get(inbox_page))
        .route("/inbox/list", get(list_fragment))
        .route("/inbox/events", get(events))
        .route("/inbox/next", post(take_next))
        .route("/inbox/canned", get(canned_page).post(canned_create))
        .route("/inbox/canned/{id}/delete", post(canned_delete))
        .route("/inbox/roster", get(roster_page).post(roster_add))
        .route("/inbox/roster/{id}/delete", post(roster_delete))
        .route("/inbox/roster/series/{id}/end", post(series_end))
        .route("/inbox/handover", post(handover_write))
        .route("/inbox/roster/duty-session", post(duty_session_set))
        .route("/inbox/duty-device", post(duty_device))
        .route("/inbox/handover/{id}/dismiss", post(handover_dismiss))
        .route("/inbox/{id}", get(conversation_page))
        .route("/inbox/{id}/thread", get(thread_fragment))
        .route("/inbox/{id}/reply", post(reply).layer(DefaultBodyLimit::max(REPLY_BODY_LIMIT)))
        .route("/inbox/media/{id}", get(media_file))
        .route("/inbox/{id}/canned", post(reply_canned))
        .route("/inbox/{id}/note", post(note))
        .route("/inbox/{id}/assign", post(assign))
        .route("/inbox/{id}/duty", post(assign_duty))
        .route("/inbox/{id}/transfer", post(transfer))
        .route("/inbox/{id}/close", post(close))
        .route("/inbox/{id}/reopen", post(reopen))
}
