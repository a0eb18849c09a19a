//! The unit's public page for citizens (`/u/{code}`), made for phones: who the unit is, where,
//! when it is open, numbers to tap and call, and QR codes that lead to the unit's web chat and,
//! while the unit's Zalo OA is connected, to the OA's follow link (a disconnected OA is not
//! advertised: citizens would write to an account nobody reads).

use super::http::{HoursLine, hours_lines};
use super::store;
use crate::app::{App, vietnam_tz};
use crate::web::error::render;
use crate::web::{Chrome, PageLang, T, WebError};
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use qrcode::QrCode;
use qrcode::render::svg;
use serde::Deserialize;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/u/{code}", get(page))
        .route("/u/{code}/qr.svg", get(qr_svg_file))
        .route("/u/{code}/qr.png", get(qr_png_file))
}

/// Where the unit's QR code leads: its web chat.
pub fn chat_url(app: &App, code: &str) -> String {
    format!("{}/u/{code}/chat", app.config.public_url)
}

/// The Zalo OA's follow link.
pub fn zalo_url(oa_id: &str) -> String {
    format!("https://zalo.me/{oa_id}")
}

/// A QR code as an SVG element (black on white, quiet zone included).
pub fn qr_svg(data: &str) -> Option<String> {
    let code = QrCode::new(data.as_bytes()).ok()?;
    Some(
        code.render::<svg::Color>()
            .min_dimensions(220, 220)
            .dark_color(svg::Color("#000000"))
            .light_color(svg::Color("#ffffff"))
            .build(),
    )
}

/// A QR code as a PNG image, large enough to print on a poster.
pub fn qr_png(data: &str) -> Option<Vec<u8>> {
    let code = QrCode::new(data.as_bytes()).ok()?;
    let img = code.render::<image::Luma<u8>>().min_dimensions(600, 600).build();
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).ok()?;
    Some(out.into_inner())
}

#[derive(Template)]
#[template(path = "public_unit.html")]
struct PublicPage {
    chrome: Chrome,
    unit: store::Unit,
    hours: Vec<HoursLine>,
    open_now: bool,
    chat_url: String,
    chat_qr: String,
    zalo: Option<(String, String)>,
    /// The emblem's version (SHA-256), if the unit has one.
    emblem: Option<String>,
    /// The unit's level, as citizens read it ("Phường").
    level: &'static str,
    /// The unit above, by name ("Công an tỉnh Quảng Ninh").
    parent_name: Option<String>,
    /// The unit's place on a map, and directions to it (from its location, else its address).
    map_url: Option<String>,
    directions_url: Option<String>,
    /// The phone the top "Gọi" button dials: the duty desk, else the hotline.
    call: Option<(String, String)>,
}

/// Links to the unit's place: OpenStreetMap to look at it, Google Maps for directions (what
/// most phones open); from the stored location, else from the address.
fn map_links(unit: &store::Unit) -> (Option<String>, Option<String>) {
    match unit.details.location {
        Some(p) => (
            Some(format!("https://www.openstreetmap.org/?mlat={0}&mlon={1}#map=17/{0}/{1}", p.lat, p.lon)),
            Some(format!("https://www.google.com/maps/dir/?api=1&destination={},{}", p.lat, p.lon)),
        ),
        None if !unit.details.address.trim().is_empty() => {
            let q = crate::web::auth::urlencode(&format!("{}, {}", unit.details.name, unit.details.address));
            (
                Some(format!("https://www.openstreetmap.org/search?query={q}")),
                Some(format!("https://www.google.com/maps/dir/?api=1&destination={q}")),
            )
        }
        None => (None, None),
    }
}

async fn page(
    State(app): State<App>,
    PageLang(lang): PageLang,
    Path(code): Path<String>,
) -> Result<Response, WebError> {
    let unit = super::service::get_public(&app, &code).await?.ok_or(WebError::NotFound)?;
    let t = T::new(lang);
    let now = app.clock.now().to_zoned(vietnam_tz()).datetime();
    let chat = chat_url(&app, unit.code.as_str());
    let oa = crate::channels::zalo::service::live_oa(&app, unit.id.0).await?;
    let zalo = oa.as_deref().map(|oa| {
        let url = zalo_url(oa);
        let svg = qr_svg(&url).unwrap_or_default();
        (url, svg)
    });
    let parent_name = match unit.parent_id {
        Some(p) => super::service::name_of(&app.db, p).await?,
        None => None,
    };
    let (map_url, directions_url) = map_links(&unit);
    let call = unit
        .details
        .duty_phone
        .as_ref()
        .map(|p| (t.tr("Gọi trực ban", "Call the duty desk").to_owned(), p.tel_uri()))
        .or_else(|| {
            unit.details
                .hotline
                .as_ref()
                .map(|p| (t.tr("Gọi đường dây nóng", "Call the hotline").to_owned(), p.tel_uri()))
        });
    render(&PublicPage {
        level: match lang {
            caunoi_core::input::Lang::Vi => unit.details.kind.label_vi(),
            caunoi_core::input::Lang::En => unit.details.kind.label_en(),
        },
        parent_name,
        map_url,
        directions_url,
        call,
        chrome: Chrome::plain(t),
        hours: hours_lines(t, &unit.details.opening_hours),
        open_now: unit.details.opening_hours.is_open_at(now),
        chat_qr: qr_svg(&chat).unwrap_or_default(),
        chat_url: chat,
        zalo,
        emblem: super::emblem::version(&app, unit.id).await?,
        unit,
    })
}

#[derive(Deserialize, Default)]
struct QrQuery {
    /// `zalo` for the OA follow link; the web chat otherwise.
    target: Option<String>,
}

async fn qr_target(app: &App, code: &str, q: &QrQuery) -> Result<String, WebError> {
    let unit = super::service::get_public(app, code).await?.ok_or(WebError::NotFound)?;
    match q.target.as_deref() {
        Some("zalo") => {
            let oa = crate::channels::zalo::service::live_oa(app, unit.id.0).await?;
            oa.as_deref().map(zalo_url).ok_or(WebError::NotFound)
        }
        _ => Ok(chat_url(app, unit.code.as_str())),
    }
}

async fn qr_svg_file(
    State(app): State<App>,
    Path(code): Path<String>,
    Query(q): Query<QrQuery>,
) -> Result<Response, WebError> {
    let data = qr_target(&app, &code, &q).await?;
    let svg = qr_svg(&data).ok_or(WebError::Internal)?;
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response())
}

async fn qr_png_file(
    State(app): State<App>,
    Path(code): Path<String>,
    Query(q): Query<QrQuery>,
) -> Result<Response, WebError> {
    let data = qr_target(&app, &code, &q).await?;
    let png = qr_png(&data).ok_or(WebError::Internal)?;
    let name = format!("attachment; filename=\"qr-{code}.png\"");
    Ok(([(header::CONTENT_TYPE, "image/png".to_string()), (header::CONTENT_DISPOSITION, name)], png).into_response())
}
