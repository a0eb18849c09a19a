//! Words the case screens share: statuses, reporter modes, countdown badges, and the short
//! link to a case other features show (the inbox's citizen panel).

use crate::app::App;
use crate::db::StoreError;
use crate::web::T;
use caunoi_core::cases::clock::Countdown;
use caunoi_core::cases::{ReporterMode, Status};
use caunoi_core::conversations::ConversationId;
use caunoi_core::input::Lang;

pub(super) fn status_label(t: &T, s: Status) -> &'static str {
    match t.lang {
        Lang::Vi => s.label_vi(),
        Lang::En => s.label_en(),
    }
}

pub(super) fn mode_label(t: &T, m: ReporterMode) -> &'static str {
    match t.lang {
        Lang::Vi => m.label_vi(),
        Lang::En => m.label_en(),
    }
}

/// A small sign before the mode, so a sealed or anonymous report stands out in a list.
pub(super) fn mode_icon(m: ReporterMode) -> &'static str {
    match m {
        ReporterMode::Open => "👤",
        ReporterMode::Sealed => "🔒",
        ReporterMode::Anonymous => "🕶",
    }
}

pub(super) fn countdown_label(t: &T, c: Countdown) -> String {
    match t.lang {
        Lang::Vi => c.label_vi(),
        Lang::En => c.label_en(),
    }
}

/// "chờ xác nhận · còn 12 phút" for a forward the receiving unit has not acknowledged yet.
pub(super) fn ack_label(t: &T, status: Status, ack_due_at: Option<i64>, now: i64) -> (String, &'static str) {
    match ack_due_at {
        Some(due) if status == Status::New => {
            let c = Countdown::of(Some(due), now);
            let class = if c.is_overdue() { "overdue" } else { "soon" };
            (format!("{} · {}", t.tr("chờ xác nhận", "awaiting acknowledgement"), countdown_label(t, c)), class)
        }
        _ => (String::new(), ""),
    }
}

pub(super) fn category_label(t: &T, c: &caunoi_core::cases::Category) -> String {
    t.tr(&c.label_vi, &c.label_en).to_string()
}

/// A case as another screen links to it.
#[derive(Debug, Clone)]
pub struct CaseLink {
    pub id: i64,
    pub code: String,
    pub status: &'static str,
    pub status_class: &'static str,
}

/// The cases made from a conversation, for the inbox's citizen panel.
pub async fn conversation_cases(app: &App, t: &T, conversation: ConversationId) -> Result<Vec<CaseLink>, StoreError> {
    Ok(crate::cases::service::of_conversation(app, conversation)
        .await?
        .into_iter()
        .filter_map(|c| {
            let status = Status::parse(&c.status)?;
            Some(CaseLink { id: c.id, code: c.code, status: status_label(t, status), status_class: status.as_str() })
        })
        .collect())
}
