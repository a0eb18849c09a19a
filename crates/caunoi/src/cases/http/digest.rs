//! The daily digest (`/cases/digest`): what a unit leader looks at each morning, within the
//! officer's scope — counts, the overdue cases, those near their legal deadline and the
//! forwards waiting for the receiving unit's acknowledgement (`cases::digest`). The same
//! counts are pushed to leaders once a day.

use super::board::{Card, card};
use crate::app::App;
use crate::cases::{digest, service};
use crate::web::error::render;
use crate::web::{Chrome, CurrentOfficer, T, WebError};
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use caunoi_core::staff::Action;

#[derive(Template)]
#[template(path = "cases_digest.html")]
struct DigestPage {
    chrome: Chrome,
    counts: digest::Counts,
    due_soon_days: i64,
    overdue: Vec<Card>,
    due_soon: Vec<Card>,
    forwards: Vec<Card>,
}

pub(super) async fn digest_page(State(app): State<App>, me: CurrentOfficer) -> Result<Response, WebError> {
    if !me.scope.can_anywhere(Action::WorkCases) {
        return Err(WebError::NotFound);
    }
    let t = T::new(me.lang);
    let now = app.clock.now_micros();
    let d = digest::for_officer(&app, me.id, now).await?;
    let cats = service::categories(&app);
    let cards = |rows: Vec<crate::cases::store::BoardRow>| rows.into_iter().map(|r| card(&t, &cats, now, r)).collect();
    render(&DigestPage {
        chrome: me.chrome("cases", "/cases/digest"),
        counts: d.counts,
        due_soon_days: caunoi_core::cases::clock::DUE_SOON_DAYS,
        overdue: cards(d.overdue),
        due_soon: cards(d.due_soon),
        forwards: cards(d.forwards),
    })
}
