//! Console routes of the outbox: the dead letters (tin gửi lỗi) of the units an officer directs,
//! each with the reason in plain words and a "Gửi lại" button. Listing and retrying are scoped
//! in the service; recipients are shown masked (a Zalo user id or a chat session is personal).

use super::service;
use crate::app::App;
use crate::web::error::render;
use crate::web::{Chrome, CurrentOfficer, T, WebError};
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use caunoi_core::conversations::Channel;
use serde::Deserialize;

pub fn routes() -> Router<App> {
    Router::new().route("/outbox/dead", get(dead_page)).route("/outbox/dead/{id}/retry", post(retry))
}

/// A dead letter as the page lists it.
pub struct DeadLine {
    pub id: i64,
    pub unit: String,
    pub channel: &'static str,
    pub recipient: String,
    pub reason: String,
    pub at: i64,
    pub attempts: i64,
    /// What the message said (its text, or the file's name), shortened.
    pub text: String,
    /// The conversation it belongs to, to open from the list (`/inbox/{id}`); empty without.
    pub conversation: String,
}

/// What a queued message says, for the failed-messages list: its text or its file's name.
fn payload_text(payload: &str) -> String {
    let text = match serde_json::from_str::<crate::outbox::Payload>(payload) {
        Ok(crate::outbox::Payload::Text { text, .. }) => text,
        Ok(crate::outbox::Payload::Image { caption, .. }) => caption.unwrap_or_else(|| "[ảnh]".to_owned()),
        Ok(crate::outbox::Payload::File { name, .. }) => format!("[tệp] {name}"),
        _ => String::new(),
    };
    let mut short: String = text.chars().take(140).collect();
    if text.chars().count() > 140 {
        short.push('…');
    }
    short
}

/// Shows the first four and last three characters of a recipient id.
pub fn mask_recipient(recipient: &str) -> String {
    let chars: Vec<char> = recipient.chars().collect();
    if chars.len() <= 8 {
        return "•••".to_string();
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 3..].iter().collect();
    format!("{head}•••{tail}")
}

/// The reason a message could not be delivered, for an officer: what happened and what to do.
/// `last_error` starts with the code the Zalo sender gives (`reply_window_closed: …`).
pub fn reason_text(t: &T, last_error: &str) -> String {
    let code = last_error.split(':').next().unwrap_or("").trim();
    let (vi, en) = match code {
        "reply_window_closed" => (
            "Đã quá 7 ngày kể từ lần cuối người dân tương tác nên Zalo không cho gửi. Hãy gọi điện cho người dân, \
             hoặc gửi lại khi họ nhắn lại.",
            "More than 7 days since the citizen last interacted, so Zalo refused it. Call the citizen, or retry \
             after they write again.",
        ),
        "user_blocked" => ("Người dân đã chặn Zalo OA của đơn vị.", "The citizen has blocked the unit's Zalo OA."),
        "user_not_follower" => (
            "Người dân chưa quan tâm Zalo OA của đơn vị nên Zalo không cho gửi. Tin sẽ gửi được khi người dân nhắn lại \
             cho OA; việc gấp, hãy gọi điện cho người dân.",
            "The citizen does not follow the OA, so Zalo refused it. It can be sent once the citizen writes to the \
             OA again; if urgent, call the citizen.",
        ),
        "invalid_params" | "unsupported_message_type" => {
            ("Zalo từ chối nội dung tin nhắn (không hợp lệ).", "Zalo refused the message's content as invalid.")
        }
        "rate_limited" => ("Zalo báo gửi quá nhiều tin trong thời gian ngắn.", "Zalo reported too many messages."),
        "access_token_invalid" | "access_token_expired" => (
            "Kết nối Zalo OA của đơn vị đã hết hạn; quản trị viên cần kết nối lại.",
            "The unit's Zalo OA connection has expired; an admin must reconnect it.",
        ),
        "night_ban" => ("Zalo không cho gửi loại tin này vào ban đêm.", "Zalo does not allow this message at night."),
        "out_of_quota" => ("Đơn vị đã hết hạn mức gửi tin của Zalo.", "The unit's Zalo message quota is used up."),
        "attachment_expired" => ("Tệp đính kèm trên Zalo đã hết hạn.", "The attachment expired on Zalo."),
        "media_missing" => ("Không tìm thấy ảnh hoặc tệp đính kèm đã lưu.", "The stored photo or file is missing."),
        "media_unreadable" => (
            "Không đọc được ảnh hoặc tệp đính kèm từ kho lưu trữ.",
            "The stored photo or file could not be read from the media storage.",
        ),
        "send_failed" | "account_setup" => (
            "Zalo không gửi được tin (lỗi phía Zalo hoặc cấu hình OA).",
            "Zalo could not send it (a Zalo-side error or the OA's setup).",
        ),
        _ if last_error.contains("no unit is bound") || last_error.contains("has no secrets") => (
            "Đơn vị chưa liên kết Zalo OA (hoặc liên kết đã bị gỡ).",
            "The unit has no Zalo OA bound (or the binding was removed).",
        ),
        _ if last_error.contains("not connected") => (
            "Zalo OA của đơn vị chưa được kết nối (chưa cấp quyền).",
            "The unit's Zalo OA is not connected yet (no grant).",
        ),
        _ => ("Không gửi được tin nhắn (lỗi khác, xem nhật ký hệ thống).", "Delivery failed (see the server log)."),
    };
    t.tr(vi, en).to_string()
}

#[derive(Template)]
#[template(path = "outbox_dead.html")]
struct DeadPage {
    chrome: Chrome,
    lines: Vec<DeadLine>,
    notice: String,
}

#[derive(Deserialize, Default)]
struct DoneQuery {
    retried: Option<String>,
}

async fn dead_page(
    State(app): State<App>,
    me: CurrentOfficer,
    Query(q): Query<DoneQuery>,
) -> Result<Response, WebError> {
    let t = T::new(me.lang);
    let lines = service::dead_letters(&app, &me.scope)
        .await?
        .into_iter()
        .map(|d| DeadLine {
            id: d.row.id,
            unit: d.unit_name,
            channel: match d.row.channel {
                Channel::Zalo => "Zalo",
                Channel::Web => "Web",
            },
            recipient: mask_recipient(&d.row.recipient),
            reason: reason_text(&t, d.row.last_error.as_deref().unwrap_or("")),
            at: d.row.updated_at,
            attempts: d.row.attempts,
            text: payload_text(&d.row.payload),
            conversation: d.row.conversation_id.map(|c| format!("/inbox/{c}")).unwrap_or_default(),
        })
        .collect();
    let notice = if q.retried.is_some() {
        t.tr("Đã đưa tin nhắn vào hàng đợi gửi lại.", "The message is queued to be sent again.").to_string()
    } else {
        String::new()
    };
    render(&DeadPage { chrome: me.chrome("outbox", "/outbox/dead"), lines, notice })
}

async fn retry(State(app): State<App>, me: CurrentOfficer, Path(id): Path<i64>) -> Result<Response, WebError> {
    service::retry(&app, &me.scope, id).await?;
    Ok(Redirect::to("/outbox/dead?retried=1").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipients_are_masked() {
        assert_eq!(mask_recipient("7712390045123987654"), "7712•••654");
        assert_eq!(mask_recipient("42"), "•••");
    }

    #[test]
    fn reasons_are_told_in_plain_words() {
        let t = T::new(caunoi_core::input::Lang::Vi);
        assert!(reason_text(&t, "reply_window_closed: Zalo error -230").contains("7 ngày"));
        assert!(reason_text(&t, "no unit is bound to this OA any more").contains("chưa liên kết"));
        assert!(reason_text(&t, "weird").contains("Không gửi được"));
    }
}
