//! The web chat channel (trò chuyện trên web): the citizen's chat page of a unit
//! (`/u/{code}/chat`, also framed by the embeddable `/widget.js`), its JSON and multipart posts,
//! the live stream of replies (SSE), and the authorized route that serves uploaded media back.
//! What a message means is decided in `conversations::service` (the same path as Zalo); replies
//! leave through the `outbox` like every other channel, and the outbox worker "delivers" a `web`
//! row by marking it sent and waking this channel's [`Notifier`].
//!
//! Invariants: a session is known only by a 256-bit token (cookie scoped to the chat path, or the
//! widget's storage) and reads only its own contact's messages and files; the chat page is the
//! only response that may be framed by other sites; every POST stays behind the CSRF layer.

pub mod http;
pub mod media;
pub mod service;
pub mod store;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use tokio::sync::broadcast;

pub use http::routes;

/// Wakes the live streams of a session when something new may be visible to it. In-process
/// only; streams also poll the database, since another instance may have written the row.
pub struct Notifier(broadcast::Sender<i64>);

impl Default for Notifier {
    fn default() -> Self {
        Notifier(broadcast::channel(1024).0)
    }
}

impl Notifier {
    /// Something changed for session `session_id`.
    pub fn notify(&self, session_id: i64) {
        // No live stream is not an error.
        let _ = self.0.send(session_id);
    }

    /// Something changed for the contact an outbox row was sent to (`recipient` = session id).
    pub fn notify_recipient(&self, recipient: &str) {
        if let Ok(id) = recipient.parse() {
            self.notify(id);
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<i64> {
        self.0.subscribe()
    }
}

/// The outbox's delivery of a `web` row: the reply is already stored, so delivering is marking
/// it sent (done by the worker); the provider id names the message.
pub fn provider_id(row: &crate::outbox::store::OutboxRow) -> String {
    format!("web:{}", row.message_id.unwrap_or(row.id))
}

/// What went wrong, as the citizen reads it (JSON `{error, message, message_en}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ChatError {
    #[error("empty message")]
    Empty,
    #[error("message too long")]
    TooLong,
    #[error("message is not text")]
    NotText,
    #[error("unknown button")]
    BadChoice,
    #[error("invalid location")]
    BadLocation,
    #[error("not a photo or video")]
    NotMedia,
    #[error("photo too large")]
    ImageTooLarge,
    #[error("video too large")]
    VideoTooLarge,
    #[error("upload broken off")]
    UploadBroken,
    #[error("upload refused: {0}")]
    Refused(crate::media::check::Refusal),
    #[error("hourly upload quota reached")]
    UploadQuotaHour,
    #[error("daily upload quota reached")]
    UploadQuotaDay,
    #[error("media storage at its free-space floor")]
    StorageFull,
    #[error("rate limited")]
    RateLimited,
    #[error("no session")]
    NoSession,
    #[error("not found")]
    NotFound,
    #[error("internal error")]
    Internal,
}

impl ChatError {
    /// (status, code, Vietnamese, English)
    pub fn parts(self) -> (StatusCode, &'static str, &'static str, &'static str) {
        use ChatError::*;
        match self {
            Empty => (
                StatusCode::BAD_REQUEST,
                "empty",
                "Tin nhắn trống. Anh/chị hãy nhập nội dung cần hỏi.",
                "The message is empty. Please type your question.",
            ),
            TooLong => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_long",
                "Tin nhắn quá dài: tối đa 2.000 ký tự.",
                "The message is too long: at most 2,000 characters.",
            ),
            NotText => (
                StatusCode::BAD_REQUEST,
                "not_text",
                "Tin nhắn chứa ký tự không hợp lệ. Anh/chị hãy nhập lại bằng chữ.",
                "The message contains invalid characters. Please type it again.",
            ),
            BadChoice => (
                StatusCode::BAD_REQUEST,
                "bad_choice",
                "Lựa chọn không hợp lệ. Anh/chị hãy nhập câu hỏi.",
                "This choice is not valid. Please type your question.",
            ),
            BadLocation => {
                (StatusCode::BAD_REQUEST, "bad_location", "Vị trí không hợp lệ.", "The location is not valid.")
            }
            NotMedia => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "not_media",
                "Tệp không đúng định dạng ảnh/video.",
                "The file is not a photo or video we accept.",
            ),
            ImageTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "image_too_large",
                "Ảnh quá lớn: tối đa 10 MB.",
                "Photo too large: at most 10 MB.",
            ),
            VideoTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "video_too_large",
                "Video quá lớn: tối đa 50 MB.",
                "Video too large: at most 50 MB.",
            ),
            UploadBroken => (
                StatusCode::BAD_REQUEST,
                "upload_broken",
                "Tệp tải lên bị gián đoạn. Vui lòng gửi lại.",
                "The upload broke off. Please send it again.",
            ),
            Refused(r) => {
                let (vi, en) = r.message();
                (StatusCode::UNPROCESSABLE_ENTITY, r.code(), vi, en)
            }
            UploadQuotaHour => (
                StatusCode::TOO_MANY_REQUESTS,
                "upload_quota",
                "Anh/chị đã gửi quá nhiều ảnh/video trong một giờ qua. Vui lòng gửi tiếp sau ít phút, hoặc mô tả sự việc bằng tin nhắn.",
                "You have sent too many photos and videos in the past hour. Please send more later, or describe what happened in a message.",
            ),
            UploadQuotaDay => (
                StatusCode::TOO_MANY_REQUESTS,
                "upload_quota",
                "Anh/chị đã gửi quá nhiều ảnh/video trong hôm nay. Vui lòng mô tả sự việc bằng tin nhắn hoặc gửi tiếp vào ngày mai.",
                "You have sent too many photos and videos today. Please describe what happened in a message, or send more tomorrow.",
            ),
            StorageFull => (
                StatusCode::INSUFFICIENT_STORAGE,
                "storage_full",
                "Hệ thống tạm thời không nhận thêm ảnh/video. Anh/chị hãy mô tả sự việc bằng tin nhắn; trường hợp khẩn cấp xin gọi 113.",
                "The system cannot take more photos or videos right now. Please describe what happened in a message; in an emergency call 113.",
            ),
            RateLimited => (
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "Anh/chị gửi quá nhanh. Vui lòng chờ một phút rồi gửi tiếp.",
                "You are sending too fast. Please wait a minute and try again.",
            ),
            NoSession => (
                StatusCode::UNAUTHORIZED,
                "no_session",
                "Phiên trò chuyện đã hết hạn. Vui lòng tải lại trang.",
                "The chat session has expired. Please reload the page.",
            ),
            NotFound => (StatusCode::NOT_FOUND, "not_found", "Không tìm thấy.", "Not found."),
            Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Hệ thống gặp sự cố. Vui lòng thử lại sau ít phút.",
                "Something went wrong. Please try again in a few minutes.",
            ),
        }
    }
}

impl IntoResponse for ChatError {
    fn into_response(self) -> Response {
        let (status, code, vi, en) = self.parts();
        (status, Json(serde_json::json!({ "error": code, "message": vi, "message_en": en }))).into_response()
    }
}

impl From<crate::db::StoreError> for ChatError {
    fn from(e: crate::db::StoreError) -> Self {
        tracing::error!(error = %e, "web chat storage error");
        ChatError::Internal
    }
}
