//! The reply form as it arrives: urlencoded (text only) or multipart (text and an optional
//! file), the file checked at the boundary.

use crate::inbox::media::{Attachment, AttachmentError, MAX_FILE_BYTES};
use crate::web::WebError;
use axum::Form;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header;
use serde::Deserialize;

#[derive(Deserialize)]
pub(super) struct TextForm {
    #[serde(default)]
    text: String,
}

/// The reply form: urlencoded (text only) or multipart (`text` and an optional `file`). The file
/// is checked here, at the boundary; a refused one is reported, never stored.
pub(super) struct ReplyInput {
    pub(super) text: String,
    pub(super) file: Option<Result<Attachment, AttachmentError>>,
}

impl<S: Send + Sync> FromRequest<S> for ReplyInput {
    type Rejection = WebError;

    async fn from_request(req: Request, state: &S) -> Result<Self, WebError> {
        let is_multipart = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data"));
        if !is_multipart {
            let Form(f) =
                Form::<TextForm>::from_request(req, state).await.map_err(|_| WebError::BadRequest("form".into()))?;
            return Ok(ReplyInput { text: f.text, file: None });
        }
        let mut parts =
            Multipart::from_request(req, state).await.map_err(|_| WebError::BadRequest("multipart".into()))?;
        let mut input = ReplyInput { text: String::new(), file: None };
        let too_large = |head: &[u8]| match crate::media::sniff(head).filter(|t| crate::inbox::media::accepted(*t)) {
            None => AttachmentError::NotAccepted,
            Some(k) if k.is_image() => AttachmentError::ImageTooLarge,
            Some(_) => AttachmentError::FileTooLarge,
        };
        loop {
            let mut field = match parts.next_field().await {
                Ok(Some(field)) => field,
                Ok(None) => break,
                Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                    input.file = Some(Err(AttachmentError::FileTooLarge));
                    break;
                }
                Err(_) => return Err(WebError::BadRequest("multipart".into())),
            };
            match field.name() {
                Some("text") => {
                    input.text = field.text().await.map_err(|_| WebError::BadRequest("text".into()))?;
                }
                Some("file") => {
                    let name = field.file_name().unwrap_or_default().to_string();
                    let mut bytes = Vec::new();
                    loop {
                        match field.chunk().await {
                            Ok(Some(chunk)) if bytes.len() + chunk.len() > MAX_FILE_BYTES => {
                                bytes.extend_from_slice(&chunk);
                                input.file = Some(Err(too_large(&bytes)));
                                break;
                            }
                            Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
                            Ok(None) => {
                                // A form submitted without choosing a file sends an empty part.
                                if !(bytes.is_empty() && name.is_empty()) {
                                    input.file = Some(Attachment::parse(&name, bytes));
                                }
                                break;
                            }
                            Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                                input.file = Some(Err(too_large(&bytes)));
                                break;
                            }
                            Err(_) => return Err(WebError::BadRequest("file".into())),
                        }
                    }
                    if matches!(input.file, Some(Err(_))) {
                        break;
                    }
                }
                _ => {}
            }
        }
        Ok(input)
    }
}
