//! Router assembly: the one place that knows every feature's routes, above the features (which
//! import `web` for extractors, errors and chrome, never this module).

use super::{healthz, metrics, not_found, observe, static_file, switch_lang, test_clock};
use crate::app::App;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::middleware;
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use tower_http::csrf::CsrfLayer;

/// Builds the whole application router.
pub fn router(app: App) -> Router {
    // Webhooks come cross-site by design and carry their own signatures (channels::zalo::webhook).
    // Open311 clients post from other sites by design with an API key in the form, never a cookie.
    let csrf = CsrfLayer::new()
        .with_insecure_bypass(|_, uri| uri.path().starts_with("/channels/") || uri.path().starts_with("/open311/"))
        .with_rejection_response(|_| {
            (
                StatusCode::FORBIDDEN,
                "Yêu cầu bị từ chối vì không đến từ trang của caunoi. / Cross-site request refused.",
            )
                .into_response()
        });
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/__test/clock", axum::routing::post(test_clock))
        .route("/static/{*path}", get(static_file))
        .route("/lang", get(switch_lang))
        .route("/favicon.ico", get(|| async { Redirect::permanent("/static/favicon.svg") }))
        .merge(crate::staff::http::routes())
        .merge(crate::setup::http::routes())
        .merge(crate::units::http::routes())
        .merge(crate::units::public::routes())
        .merge(crate::cases::public_http::routes())
        .merge(crate::audit::http::routes())
        .merge(crate::channels::routes())
        .merge(crate::channels::webchat::routes())
        .merge(crate::kb::http::routes())
        .merge(crate::units::bot_settings::http::routes())
        .merge(crate::inbox::http::routes())
        .merge(crate::outbox::http::routes())
        .merge(crate::push::http::routes())
        .merge(crate::cases::open311_routes())
        .merge(crate::cases::http::routes())
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(2 * 1024 * 1024))
        .layer(csrf)
        .layer(middleware::from_fn_with_state(app.clone(), observe))
        .with_state(app)
}
