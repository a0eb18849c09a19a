//! The queues: the inbox page with its tabs, the list fragment the live stream reloads, and
//! "take the next conversation".

use super::common::*;
use crate::app::App;
use crate::inbox::service::{self};
use crate::web::error::render;
use crate::web::{Chrome, CurrentOfficer, Opt, T, WebError};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use caunoi_core::inbox::Queue;
use caunoi_core::input::Lang;
use serde::Deserialize;

pub struct Row {
    pub id: i64,
    pub urgent: bool,
    pub citizen: String,
    pub channel: &'static str,
    pub unit: String,
    pub preview: String,
    pub at: i64,
    pub status: &'static str,
    pub status_class: &'static str,
    pub assignee: String,
}

/// One inbox tab.
pub struct Tab {
    pub key: &'static str,
    pub label: &'static str,
    pub on: bool,
}

#[derive(Deserialize, Default)]
pub(super) struct QueueQuery {
    #[serde(default)]
    queue: String,
    #[serde(default)]
    none: Option<String>,
}

pub(super) fn pick_queue(raw: &str) -> Queue {
    Queue::parse(raw).unwrap_or(Queue::WaitingForHuman)
}

pub(super) async fn rows(app: &App, me: &CurrentOfficer, q: Queue) -> Result<Vec<Row>, WebError> {
    let t = T::new(me.lang);
    Ok(service::queue(app, &me.scope, q)
        .await?
        .into_iter()
        .map(|i| Row {
            id: i.id.0,
            urgent: i.urgent,
            citizen: citizen_label(&t, i.contact_name.as_deref(), i.contact_id),
            channel: channel_label(i.channel),
            unit: i.unit_name,
            preview: if i.preview.is_empty() && !i.last_kind.is_empty() && i.last_kind != "text" {
                format!("[{}]", i.last_kind)
            } else {
                i.preview
            },
            at: i.at,
            status: status_label(&t, i.status),
            status_class: i.status.as_str(),
            assignee: i.assignee_name.unwrap_or_default(),
        })
        .collect())
}

#[derive(Template)]
#[template(path = "inbox.html")]
pub(super) struct InboxPage {
    chrome: Chrome,
    tabs: Vec<Tab>,
    queue: &'static str,
    rows: Vec<Row>,
    notice: String,
    /// Whether the officer handles dead letters (admins, leaders, duty officers).
    sees_dead: bool,
    dead_count: usize,
    /// The officer's own units with nobody on duty now (code as value, name as label).
    no_duty: Vec<Opt>,
}

pub(super) async fn inbox_page(
    State(app): State<App>,
    me: CurrentOfficer,
    Query(q): Query<QueueQuery>,
) -> Result<Response, WebError> {
    let t = T::new(me.lang);
    let queue = pick_queue(&q.queue);
    let tabs = Queue::ALL
        .iter()
        .map(|k| Tab {
            key: k.as_str(),
            label: match t.lang {
                Lang::Vi => k.label_vi(),
                Lang::En => k.label_en(),
            },
            on: *k == queue,
        })
        .collect();
    let notice = if q.none.is_some() {
        t.tr("Không có cuộc trò chuyện nào đang chờ.", "Nobody is waiting.").to_string()
    } else {
        String::new()
    };
    let sees_dead = crate::outbox::service::handles_dead_letters(&me.scope);
    let dead_count = if sees_dead { crate::outbox::service::count_dead(&app, &me.scope).await? } else { 0 };
    let no_duty = service::own_units_without_duty(&app, &me.scope)
        .await?
        .into_iter()
        .map(|(code, name)| Opt { value: code, label: name, selected: false })
        .collect();
    render(&InboxPage {
        no_duty,
        chrome: me.chrome("inbox", format!("/inbox?queue={}", queue.as_str())),
        tabs,
        queue: queue.as_str(),
        rows: rows(&app, &me, queue).await?,
        notice,
        sees_dead,
        dead_count,
    })
}

#[derive(Template)]
#[template(path = "inbox_list.html")]
pub(super) struct ListFragment {
    chrome: Chrome,
    rows: Vec<Row>,
}

pub(super) async fn list_fragment(
    State(app): State<App>,
    me: CurrentOfficer,
    Query(q): Query<QueueQuery>,
) -> Result<Response, WebError> {
    let rows = rows(&app, &me, pick_queue(&q.queue)).await?;
    render(&ListFragment { chrome: Chrome::plain(T::new(me.lang)), rows })
}

pub(super) async fn take_next(State(app): State<App>, me: CurrentOfficer) -> Result<Response, WebError> {
    match service::take_next(&app, &me.scope).await? {
        Some(id) => Ok(Redirect::to(&format!("/inbox/{id}?done=assign")).into_response()),
        None => Ok(Redirect::to("/inbox?queue=waiting&none=1").into_response()),
    }
}
