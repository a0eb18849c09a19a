//! The queues: the inbox page (the list pane with its tabs, counts, search and filters, beside
//! an empty conversation pane), the list fragment the live stream reloads, and "take the next
//! conversation". The list pane is shared with the conversation page ([`list_pane`]).

use super::common::*;
use crate::app::App;
use crate::inbox::service::{self, COUNT_CAP};
use crate::web::error::render;
use crate::web::{Chrome, CurrentOfficer, Opt, T, WebError};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use caunoi_core::inbox::{AssignedFilter, InboxFilter, Queue, RawFilter, StatusFilter};
use caunoi_core::input::Lang;
use serde::Deserialize;

pub struct Row {
    pub id: i64,
    /// Where the card leads: the conversation, keeping the list's filters.
    pub href: String,
    pub urgent: bool,
    pub citizen: String,
    pub channel: &'static str,
    pub unit: String,
    pub preview: String,
    pub at: i64,
    pub status: &'static str,
    pub status_class: &'static str,
    pub assignee: String,
    /// The conversation open beside the list.
    pub open: bool,
}

/// One inbox tab with how many conversations it holds under the same filters.
pub struct Tab {
    pub key: &'static str,
    pub label: &'static str,
    pub on: bool,
    pub href: String,
    /// The count as shown ("999+" past the cap).
    pub count: String,
}

/// The list pane: tabs with counts, the filter form's choices and the cards.
pub struct ListPane {
    pub tabs: Vec<Tab>,
    pub rows: Vec<Row>,
    /// The filter as a URL query (empty: the default tab without filters).
    pub query: String,
    pub queue: &'static str,
    pub q: String,
    pub channels: Vec<Opt>,
    pub statuses: Vec<Opt>,
    pub assigned: Vec<Opt>,
    pub units: Vec<Opt>,
    pub urgent: bool,
    pub narrows: bool,
    /// The conversation open beside the list (0: none).
    pub open: i64,
}

/// The inbox's filters as the URL gives them.
#[derive(Deserialize, Default)]
pub(super) struct FilterQuery {
    #[serde(default)]
    queue: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    urgent: String,
    #[serde(default)]
    assigned: String,
    /// The conversation open beside the list (the live list keeps it highlighted).
    #[serde(default)]
    open: Option<i64>,
    #[serde(default)]
    none: Option<String>,
    /// What the officer just did (the conversation page's notice).
    #[serde(default)]
    pub(super) done: Option<String>,
    /// A canned reply to put into the reply box (without script).
    #[serde(default)]
    pub(super) canned: Option<String>,
}

impl FilterQuery {
    pub(super) fn filter(&self) -> InboxFilter {
        InboxFilter::parse(&RawFilter {
            queue: &self.queue,
            q: &self.q,
            channel: &self.channel,
            unit: &self.unit,
            status: &self.status,
            urgent: &self.urgent,
            assigned: &self.assigned,
        })
    }
}

fn count_text(n: i64) -> String {
    if n >= COUNT_CAP { format!("{}+", COUNT_CAP - 1) } else { n.to_string() }
}

/// The list pane for the officer under filter `f`, with conversation `open` highlighted.
pub(super) async fn list_pane(
    app: &App,
    me: &CurrentOfficer,
    f: &InboxFilter,
    open: i64,
) -> Result<ListPane, WebError> {
    let t = T::new(me.lang);
    let query = f.query();
    let suffix = if query.is_empty() { String::new() } else { format!("?{query}") };
    let rows = service::search(app, &me.scope, f)
        .await?
        .into_iter()
        .map(|i| Row {
            id: i.id.0,
            href: format!("/inbox/{}{suffix}", i.id.0),
            urgent: i.urgent,
            citizen: citizen_label(&t, i.contact_name.as_deref(), i.contact_id),
            channel: channel_label(i.channel),
            unit: i.unit_name,
            preview: if i.last_kind == "location" {
                t.tr("📍 Vị trí được chia sẻ", "📍 Shared location").to_string()
            } else if i.preview.is_empty() && !i.last_kind.is_empty() && i.last_kind != "text" {
                format!("[{}]", i.last_kind)
            } else {
                i.preview
            },
            at: i.at,
            status: status_label(&t, i.status),
            status_class: i.status.as_str(),
            assignee: i.assignee_name.unwrap_or_default(),
            open: i.id.0 == open,
        })
        .collect();
    let in_scope = crate::units::service::list_in_scope(app, &me.scope).await?;
    // "Gồm đơn vị trực thuộc" only says something when a unit below the officer's own exists:
    // on a ward without sub-units it would repeat "Đơn vị tôi" with the same count.
    let has_sub_units = in_scope.iter().any(|u| !me.scope.grants.iter().any(|g| g.unit_path == u.path));
    let tabs = service::tab_counts(app, &me.scope, f)
        .await?
        .into_iter()
        .filter(|(k, _)| *k != Queue::MySubtree || has_sub_units || f.queue == Queue::MySubtree)
        .map(|(k, n)| {
            let q = f.query_for(k);
            Tab {
                key: k.as_str(),
                label: match t.lang {
                    Lang::Vi => k.label_vi(),
                    Lang::En => k.label_en(),
                },
                on: k == f.queue,
                href: if q.is_empty() { "/inbox".to_string() } else { format!("/inbox?{q}") },
                count: count_text(n),
            }
        })
        .collect();
    let opt = |value: &str, label: &str, selected: bool| Opt { value: value.into(), label: label.into(), selected };
    let channel = f.channel.map_or("", |c| c.as_str());
    let channels = vec![
        opt("", t.tr("Mọi kênh", "Any channel"), channel.is_empty()),
        opt("zalo", "Zalo", channel == "zalo"),
        opt("web", "Web", channel == "web"),
    ];
    let label = |vi: &'static str, en: &'static str| if t.lang == Lang::Vi { vi } else { en };
    let statuses = StatusFilter::CHOICES
        .iter()
        .map(|s| opt(s.as_str(), label(s.label_vi(), s.label_en()), *s == f.status))
        .collect();
    let assigned = AssignedFilter::CHOICES
        .iter()
        .map(|a| opt(a.as_str(), label(a.label_vi(), a.label_en()), *a == f.assigned))
        .collect();
    let mut units = vec![opt("", t.tr("Mọi đơn vị", "Any unit"), f.unit.is_empty())];
    units.extend(in_scope.iter().map(|u| Opt::unit(u, u.code.as_str() == f.unit)));
    Ok(ListPane {
        tabs,
        rows,
        query,
        queue: f.queue.as_str(),
        q: f.q.clone(),
        channels,
        statuses,
        assigned,
        units,
        urgent: f.urgent,
        narrows: f.narrows(),
        open,
    })
}

#[derive(Template)]
#[template(path = "inbox.html")]
pub(super) struct InboxPage {
    chrome: Chrome,
    pane: ListPane,
    notice: String,
    /// Whether the officer handles dead letters (admins, leaders, duty officers).
    sees_dead: bool,
    dead_count: usize,
    /// The officer's own units with nobody on duty now (code as value, name as label).
    no_duty: Vec<Opt>,
    /// Hours this device may be kept as a duty device (0: no unit of the officer allows it).
    duty_device_hours: i64,
    /// Until when this session is kept as a duty device's (0: it is not).
    duty_device_until: i64,
}

/// What the desk's header shows on the inbox page: dead letters and units nobody is on duty at.
pub(super) async fn desk_warnings(app: &App, me: &CurrentOfficer) -> Result<(bool, usize, Vec<Opt>), WebError> {
    let sees_dead = crate::outbox::service::handles_dead_letters(&me.scope);
    let dead_count = if sees_dead { crate::outbox::service::count_dead(app, &me.scope).await? } else { 0 };
    let no_duty = service::own_units_without_duty(app, &me.scope)
        .await?
        .into_iter()
        .map(|(code, name)| Opt { value: code, label: name, selected: false })
        .collect();
    Ok((sees_dead, dead_count, no_duty))
}

pub(super) async fn inbox_page(
    State(app): State<App>,
    me: CurrentOfficer,
    Query(q): Query<FilterQuery>,
) -> Result<Response, WebError> {
    let t = T::new(me.lang);
    let f = q.filter();
    let notice = if q.none.is_some() {
        t.tr("Không có cuộc trò chuyện nào đang chờ.", "Nobody is waiting.").to_string()
    } else {
        super::conversation::done_notice(&t, q.done.as_deref())
    };
    let (sees_dead, dead_count, no_duty) = desk_warnings(&app, &me).await?;
    let duty_device_hours = crate::staff::service::duty_device_hours(&app, &me).await?.unwrap_or(0);
    let duty_device_until = me.keep_until.unwrap_or(0);
    let pane = list_pane(&app, &me, &f, 0).await?;
    let back = if pane.query.is_empty() { "/inbox".to_string() } else { format!("/inbox?{}", pane.query) };
    render(&InboxPage {
        no_duty,
        duty_device_hours,
        duty_device_until,
        chrome: me.chrome("inbox", back),
        pane,
        notice,
        sees_dead,
        dead_count,
    })
}

#[derive(Template)]
#[template(path = "inbox_list.html")]
pub(super) struct ListFragment {
    chrome: Chrome,
    pane: ListPane,
}

pub(super) async fn list_fragment(
    State(app): State<App>,
    me: CurrentOfficer,
    Query(q): Query<FilterQuery>,
) -> Result<Response, WebError> {
    let pane = list_pane(&app, &me, &q.filter(), q.open.unwrap_or(0)).await?;
    render(&ListFragment { chrome: Chrome::plain(T::new(me.lang)), pane })
}

pub(super) async fn take_next(State(app): State<App>, me: CurrentOfficer) -> Result<Response, WebError> {
    match service::take_next(&app, &me.scope).await? {
        Some(id) => Ok(Redirect::to(&format!("/inbox/{id}?queue=mine&done=assign#reply")).into_response()),
        None => Ok(Redirect::to("/inbox?queue=waiting&none=1").into_response()),
    }
}
