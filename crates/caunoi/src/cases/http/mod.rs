//! Console routes of reported cases: the board (`/cases`), one case and what officers do to it,
//! its evidence (`/cases/{id}/media/{media}`), the sealed-identity steps and the officer's entry
//! of a phone-in or walk-in (`/cases/new`).
//!
//! One module per screen: [`board`], the leaders' [`digest`], the deployment admin's [`categories`], [`case_page`] and its
//! [`actions`], [`identity`], [`new_case`]; [`labels`] holds the words they share. Every route takes the signed-in officer
//! and reads the case through the scoped service: outside the officer's scope a case, its media
//! and every action answer 404 like a case that does not exist.

mod actions;
mod board;
mod case_page;
mod categories;
mod digest;
mod identity;
mod labels;
mod new_case;

use crate::app::App;
use axum::Router;
use axum::routing::{get, post};

pub use labels::{CaseLink, conversation_cases};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/cases", get(board::board_page))
        .route("/cases/new", get(new_case::new_page).post(new_case::create))
        .route("/cases/digest", get(digest::digest_page))
        .route("/cases/categories", get(categories::list_page))
        .route("/cases/categories/new", get(categories::new_page).post(categories::create))
        .route("/cases/categories/{key}", get(categories::edit_page).post(categories::save))
        .route("/cases/categories/{key}/enabled", post(categories::set_enabled))
        .route("/cases/categories/{key}/move", post(categories::move_category))
        .route("/cases/{id}", get(case_page::case_page))
        .route("/cases/{id}/media/{media}", get(case_page::media_file))
        .route("/cases/{id}/acknowledge", post(actions::acknowledge))
        .route("/cases/{id}/status", post(actions::status))
        .route("/cases/{id}/note", post(actions::note))
        .route("/cases/{id}/reply", post(actions::reply))
        .route("/cases/{id}/assign", post(actions::assign))
        .route("/cases/{id}/extend", post(actions::extend))
        .route("/cases/{id}/suspend", post(actions::suspend))
        .route("/cases/{id}/resume", post(actions::resume))
        .route("/cases/{id}/merge", post(actions::merge))
        .route("/cases/{id}/forward", post(actions::forward))
        .route("/cases/{id}/identity/request", post(identity::request))
        .route("/cases/{id}/identity/decide", post(identity::decide))
        .route("/cases/{id}/identity/view", post(identity::view))
}
