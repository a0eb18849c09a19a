//! The board (`/cases`): the cases of the officer's scope in tabs (open, new, overdue, closed,
//! all) with their counts, filtered by category and unit, urgent first, 50 a page; cards that
//! read on a phone and line up on a desk. Above them: identity requests waiting for this
//! leader, and cases that came back after a forward nobody acknowledged.

use super::labels::*;
use crate::app::App;
use crate::cases::service;
use crate::cases::store::{self, BoardRow};
use crate::web::error::render;
use crate::web::{Chrome, CurrentOfficer, Opt, T, WebError};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use caunoi_core::cases::{LegalClock, ReporterMode, Status};
use caunoi_core::staff::Action;
use caunoi_core::units::UnitPath;
use serde::Deserialize;

/// The labels of the board's tabs (`service::BOARD_TABS`): (Vietnamese, English).
const TAB_LABELS: [(&str, &str); 5] =
    [("Đang xử lý", "Open"), ("Mới", "New"), ("Quá hạn", "Overdue"), ("Đã đóng", "Closed"), ("Tất cả", "All")];

pub struct Tab {
    pub href: String,
    pub label: &'static str,
    pub count: i64,
    pub on: bool,
}

pub struct Card {
    pub id: i64,
    pub code: String,
    pub category: String,
    pub unit: String,
    pub received_at: i64,
    pub status: &'static str,
    pub status_class: &'static str,
    pub urgent: bool,
    pub badge: String,
    pub badge_class: &'static str,
    pub ack: String,
    pub ack_class: &'static str,
    pub assignee: String,
    pub mode: &'static str,
    pub mode_icon: &'static str,
    pub excerpt: String,
    pub address: String,
}

pub struct PendingLine {
    pub case_id: i64,
    pub code: String,
    pub officer: String,
    pub at: i64,
}

pub struct ReturnedLine {
    pub id: i64,
    pub code: String,
    pub unit: String,
}

#[derive(Template)]
#[template(path = "cases_board.html")]
struct BoardPage {
    chrome: Chrome,
    tabs: Vec<Tab>,
    cards: Vec<Card>,
    view: String,
    categories: Vec<Opt>,
    units: Vec<Opt>,
    page: i64,
    pages: i64,
    total: i64,
    prev: String,
    next: String,
    pending: Vec<PendingLine>,
    returned: Vec<ReturnedLine>,
}

#[derive(Deserialize, Default)]
pub(super) struct BoardQuery {
    #[serde(default)]
    view: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    page: Option<String>,
}

fn href(view: &str, category: &str, unit: &str, page: i64) -> String {
    let mut q = vec![format!("view={view}")];
    if !category.is_empty() {
        q.push(format!("category={}", crate::web::auth::urlencode(category)));
    }
    if !unit.is_empty() {
        q.push(format!("unit={}", crate::web::auth::urlencode(unit)));
    }
    if page > 0 {
        q.push(format!("page={page}"));
    }
    format!("/cases?{}", q.join("&"))
}

fn excerpt(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default();
    let mut s: String = line.chars().take(140).collect();
    if line.chars().count() > 140 || text.lines().count() > 1 {
        s.push('…');
    }
    s
}

pub(super) async fn board_page(
    State(app): State<App>,
    me: CurrentOfficer,
    Query(q): Query<BoardQuery>,
) -> Result<Response, WebError> {
    if !me.scope.can_anywhere(Action::WorkCases) {
        return Err(WebError::NotFound);
    }
    let t = T::new(me.lang);
    let view = service::BOARD_TABS.iter().copied().find(|k| *k == q.view).unwrap_or("open");
    let cats = service::categories(&app);
    let category = cats.iter().find(|(c, _)| c.key == q.category).map(|(c, _)| c.key.clone()).unwrap_or_default();
    let scope_units = crate::units::service::list_in_scope(&app, &me.scope).await?;
    let unit = scope_units.iter().find(|u| u.code.as_str() == q.unit.trim());
    let unit_code = unit.map(|u| u.code.to_string()).unwrap_or_default();
    let unit_path = unit.map(|u| u.path.as_str().to_string());
    let page = q.page.as_deref().and_then(|p| p.trim().parse::<i64>().ok()).unwrap_or(0).clamp(0, 100_000);
    let category_filter = (!category.is_empty()).then_some(category.as_str());

    let now = app.clock.now_micros();
    let counts = service::board_counts(&app, &me.scope, category_filter, unit_path.as_deref()).await?;
    let tabs = service::BOARD_TABS
        .into_iter()
        .zip(TAB_LABELS)
        .zip(counts)
        .map(|((key, (vi, en)), count)| Tab {
            href: href(key, &category, &unit_code, 0),
            label: t.tr(vi, en),
            count,
            on: key == view,
        })
        .collect();
    let (rows, total) = service::board(&app, &me.scope, view, category_filter, unit_path.as_deref(), page).await?;
    let cards = rows.into_iter().map(|r| card(&t, &cats, now, r)).collect();
    let pending = store::pending_identity_requests(&app.db, me.id)
        .await?
        .into_iter()
        .filter(|p| me.scope.can(Action::ApproveIdentity, &UnitPath::from_stored(p.unit_path.clone())))
        .map(|p| PendingLine { case_id: p.case_id, code: p.code, officer: p.officer_name, at: p.requested_at })
        .collect();
    let returned = store::returned_in_scope(&app.db, me.id)
        .await?
        .into_iter()
        .map(|(id, code, unit)| ReturnedLine { id, code, unit })
        .collect();
    let pages = ((total + service::PAGE - 1) / service::PAGE).max(1);
    let categories = cats
        .iter()
        .map(|(c, _)| Opt { value: c.key.clone(), label: category_label(&t, c), selected: c.key == category })
        .collect();
    let units = scope_units.iter().map(|u| Opt::unit(u, u.code.as_str() == unit_code)).collect();
    let back = href(view, &category, &unit_code, page);
    let page_view = BoardPage {
        chrome: me.chrome("cases", back),
        tabs,
        cards,
        view: view.to_string(),
        categories,
        units,
        page,
        pages,
        total,
        prev: if page > 0 { href(view, &category, &unit_code, page - 1) } else { String::new() },
        next: if page + 1 < pages { href(view, &category, &unit_code, page + 1) } else { String::new() },
        pending,
        returned,
    };
    render(&page_view)
}

/// A board row as a card (the board and the daily digest).
pub(super) fn card(t: &T, cats: &[(caunoi_core::cases::Category, bool)], now: i64, r: BoardRow) -> Card {
    let status = Status::parse(&r.status).unwrap_or(Status::New);
    let clock = LegalClock {
        received_at: r.received_at,
        legal_days: r.legal_days.and_then(|d| u16::try_from(d).ok()),
        extended_to: r.legal_extended_to,
        suspended_micros: r.suspended_micros,
        suspended_since: r.suspended_since,
    };
    let countdown = clock.countdown(now);
    let (badge, badge_class) =
        if status.is_open() { (countdown_label(t, countdown), countdown.class()) } else { (String::new(), "") };
    let (ack, ack_class) = ack_label(t, status, r.ack_due_at, now);
    let mode = ReporterMode::parse(&r.reporter_mode).unwrap_or(ReporterMode::Anonymous);
    let category = cats
        .iter()
        .find(|(c, _)| c.key == r.category)
        .map(|(c, _)| category_label(t, c))
        .unwrap_or_else(|| r.category.clone());
    Card {
        id: r.id,
        code: r.code,
        category,
        unit: r.unit_name,
        received_at: r.received_at,
        status: status_label(t, status),
        status_class: status.as_str(),
        urgent: r.urgent,
        badge,
        badge_class,
        ack,
        ack_class,
        assignee: r.assignee_name.unwrap_or_default(),
        mode: mode_label(t, mode),
        mode_icon: mode_icon(mode),
        excerpt: excerpt(&r.description),
        address: r.address.unwrap_or_default(),
    }
}
