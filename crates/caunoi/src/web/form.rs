//! The one form flow of the console: a form is posted and the service saves it or refuses it
//! with field errors. Saved: redirect (303 See Other) to the page that shows the result.
//! Refused: show the same form again with what was typed and its errors, answering 422
//! (`render_invalid`). Anything else (not found, forbidden, the database) is the edge's error.
//!
//! ```text
//! match form::posted(service::move_unit(&app, &me.scope, &code, &f.parent).await)? {
//!     Posted::Saved(()) => form::see_other(&format!("/units/{code}?moved=1")),
//!     Posted::Refused(errors) => unit_view(&app, &me, &code, String::new(), errors).await,
//! }
//! ```

use crate::error::ServiceError;
use crate::web::WebError;
use axum::response::{IntoResponse, Redirect, Response};
use caunoi_core::input::FieldErrors;

/// What became of a posted form.
pub enum Posted<V> {
    /// The service saved it and returned this.
    Saved(V),
    /// The service refused the input; nothing was saved.
    Refused(FieldErrors),
}

/// Sorts a service's answer to a form (module docs); other failures become the edge's error.
pub fn posted<V>(result: Result<V, ServiceError>) -> Result<Posted<V>, WebError> {
    match result {
        Ok(saved) => Ok(Posted::Saved(saved)),
        Err(ServiceError::Invalid(errors)) => Ok(Posted::Refused(errors)),
        Err(e) => Err(e.into()),
    }
}

/// The first refusal's message in `lang`, for a page that shows one line rather than the form
/// again.
pub fn first_message(errors: &FieldErrors, lang: caunoi_core::input::Lang) -> String {
    errors.0.first().map(|e| e.message.get(lang).to_string()).unwrap_or_default()
}

/// The confirmation box of a destructive action (`<input type="checkbox" name="confirm"
/// value="yes">`): without it ticked, the action changes nothing.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Confirmation {
    #[serde(default)]
    confirm: String,
}

impl Confirmation {
    pub fn is_given(&self) -> bool {
        self.confirm == "yes"
    }
}

/// The redirect after a saved form.
pub fn see_other(to: &str) -> Result<Response, WebError> {
    Ok(Redirect::to(to).into_response())
}
