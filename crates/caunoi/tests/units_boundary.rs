//! A unit's area boundary: the admin's upload on the unit page, what it refuses, who may do it,
//! and routing a report by place or typed address on the demo data — through real HTTP, on the
//! engine the suite runs on (SQLite, or PostgreSQL when `CAUNOI_TEST_DATABASE_URL` is set).

use caunoi::db_read;
use caunoi::units::service::{route_address, route_point};
use caunoi_core::geo::GeoPoint;
use caunoi_core::units::UnitId;
use caunoi_testkit::TestApp;

/// A square of about 2 km around a point east of Hạ Long that no demo ward covers (the
/// province's area does).
const SQUARE: &str = r#"{"type":"Polygon","coordinates":[[[107.19,20.89],[107.21,20.89],[107.21,20.91],[107.19,20.91],[107.19,20.89]]]}"#;

fn inside_square() -> GeoPoint {
    GeoPoint::new(20.90, 107.20).unwrap()
}

async fn unit_id(t: &TestApp, code: &str) -> UnitId {
    caunoi::units::service::locate(&t.app.db, code).await.unwrap().unwrap().0
}

async fn stored_boundary(t: &TestApp, code: &str) -> Option<String> {
    let db = &t.app.db;
    db_read!(db, pool => sqlx::query_scalar::<_, Option<String>>("SELECT boundary FROM units WHERE code = $1")
        .bind(code)
        .fetch_one(pool)
        .await)
    .unwrap()
}

async fn audit_details(t: &TestApp) -> Vec<(String, String)> {
    let db = &t.app.db;
    db_read!(db, pool => sqlx::query_as::<_, (String, String)>("SELECT action, detail FROM audit_log ORDER BY id")
        .fetch_all(pool)
        .await)
    .unwrap()
}

/// A multipart body with one file part, as a browser sends the upload form.
fn multipart(file_name: &str, content: &[u8]) -> (String, Vec<u8>) {
    let b = "caunoi-test-boundary-7d1f";
    let mut body = Vec::new();
    body.extend_from_slice(format!("--{b}\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\n\r\n").as_bytes());
    body.extend_from_slice(
        format!(
            "--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
             Content-Type: application/geo+json\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{b}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={b}"), body)
}

async fn post_file(t: &TestApp, c: &reqwest::Client, code: &str, file_name: &str, content: &[u8]) -> (u16, String) {
    let (content_type, body) = multipart(file_name, content);
    t.post_body(c, &format!("/units/{code}/boundary"), &content_type, body).await
}

#[tokio::test]
async fn demo_places_route_to_their_wards_by_point_and_by_address() {
    let t = TestApp::spawn().await;
    let bai_chay = unit_id(&t, "qn-bai-chay").await;
    let located = route_point(&t.app, GeoPoint::new(20.9600, 107.0420).unwrap()).await.unwrap().unwrap();
    assert_eq!(located.unit, bai_chay);
    assert!(!located.near_edge);
    let province = unit_id(&t, "quang-ninh").await;
    assert_eq!(route_point(&t.app, inside_square()).await.unwrap().map(|l| l.unit), Some(province));
    assert_eq!(route_point(&t.app, GeoPoint::new(10.77, 106.70).unwrap()).await.unwrap(), None, "Sài Gòn");
    let address = "số 12 đường Hạ Long, p bai chay, tp ha long";
    assert_eq!(route_address(&t.app, address).await.unwrap(), Some(bai_chay));
    assert_eq!(route_address(&t.app, "xa tien yen").await.unwrap(), Some(unit_id(&t, "qn-tien-yen").await));
    assert_eq!(route_address(&t.app, "đường Hạ Long").await.unwrap(), None);
}

#[tokio::test]
async fn an_admin_pastes_a_boundary_and_routing_follows_at_once() {
    let t = TestApp::spawn().await;
    let admin = t.login("admin.qn").await;
    let before = route_point(&t.app, inside_square()).await.unwrap().unwrap().unit;
    assert_eq!(before, unit_id(&t, "quang-ninh").await);

    let (status, _) = t.post(&admin, "/units/qn-bai-chay/boundary", &[("text", SQUARE)]).await;
    assert_eq!(status, 303);
    let stored = stored_boundary(&t, "qn-bai-chay").await.unwrap();
    assert!(stored.contains("107.19") && stored.contains(r#""type":"Polygon""#), "{stored}");
    let located = route_point(&t.app, inside_square()).await.unwrap().unwrap();
    assert_eq!(located.unit, unit_id(&t, "qn-bai-chay").await);
    // Its old area no longer routes to it: the province holds it now.
    let old_place = route_point(&t.app, GeoPoint::new(20.9600, 107.0420).unwrap()).await.unwrap().unwrap();
    assert_eq!(old_place.unit, unit_id(&t, "quang-ninh").await);

    let (status, page) = t.get(&admin, "/units/qn-bai-chay?boundary=5").await;
    assert_eq!(status, 200);
    assert!(page.contains("Đã lưu ranh giới địa bàn: 5 điểm."), "{page}");
    assert!(page.contains("Ranh giới địa bàn") && page.contains("Xóa ranh giới"));
    let audit = audit_details(&t).await;
    assert!(audit.iter().any(|(a, d)| a == "unit_edited" && d.starts_with("boundary set: 5 points")), "{audit:?}");
}

#[tokio::test]
async fn a_geojson_file_is_uploaded_normalized_and_can_be_removed() {
    let t = TestApp::spawn().await;
    let admin = t.login("admin.qn").await;
    let feature = format!(r#"{{"type":"Feature","properties":{{"ten":"Bãi Cháy"}},"geometry":{SQUARE}}}"#);
    let (status, _) = post_file(&t, &admin, "qn-bai-chay", "bai-chay.geojson", feature.as_bytes()).await;
    assert_eq!(status, 303);
    let stored = stored_boundary(&t, "qn-bai-chay").await.unwrap();
    assert!(!stored.contains("Feature") && !stored.contains("properties"), "{stored}");
    assert_eq!(
        route_point(&t.app, inside_square()).await.unwrap().map(|l| l.unit),
        Some(unit_id(&t, "qn-bai-chay").await)
    );

    let (status, _) = t.post(&admin, "/units/qn-bai-chay/boundary/remove", &[]).await;
    assert_eq!(status, 303);
    assert_eq!(stored_boundary(&t, "qn-bai-chay").await, None);
    assert_eq!(
        route_point(&t.app, inside_square()).await.unwrap().map(|l| l.unit),
        Some(unit_id(&t, "quang-ninh").await)
    );
    let (_, page) = t.get(&admin, "/units/qn-bai-chay").await;
    assert!(page.contains("Chưa có ranh giới"), "{page}");
    assert!(audit_details(&t).await.iter().any(|(_, d)| d == "boundary removed"));
}

#[tokio::test]
async fn a_malformed_boundary_is_refused_with_its_reason_and_changes_nothing() {
    let t = TestApp::spawn().await;
    let admin = t.login("admin.qn").await;
    let before = stored_boundary(&t, "qn-bai-chay").await;
    let swapped = r#"{"type":"Polygon","coordinates":[[[20.89,107.19],[20.89,107.21],[20.91,107.21],[20.89,107.19]]]}"#;
    let paris = r#"{"type":"Polygon","coordinates":[[[2.3,48.8],[2.4,48.8],[2.4,48.9],[2.3,48.8]]]}"#;
    let open = r#"{"type":"Polygon","coordinates":[[[107.19,20.89],[107.21,20.89],[107.21,20.91],[107.19,20.91]]]}"#;
    for (text, says) in [
        ("không phải json", "không phải JSON hợp lệ"),
        (swapped, "vĩ độ và kinh độ bị đảo"),
        (paris, "nằm ngoài lãnh thổ Việt Nam"),
        (open, "chưa khép kín"),
        (r#"{"type":"Point","coordinates":[107.2,20.9]}"#, "chỉ nhận Polygon hoặc MultiPolygon"),
        ("", "Hãy chọn tệp GeoJSON"),
    ] {
        let (status, page) = t.post(&admin, "/units/qn-bai-chay/boundary", &[("text", text)]).await;
        assert_eq!(status, 422, "{text}");
        assert!(page.contains(says), "{text}: {page}");
        assert!(page.contains("chưa lưu gì") || text.is_empty(), "{text}");
    }
    let (status, page) = post_file(&t, &admin, "qn-bai-chay", "sai.geojson", swapped.as_bytes()).await;
    assert_eq!(status, 422);
    assert!(page.contains("bị đảo"));
    let huge = vec![b' '; 5 * 1024 * 1024 + 10];
    let (status, page) = post_file(&t, &admin, "qn-bai-chay", "lon.geojson", &huge).await;
    assert_eq!(status, 422);
    assert!(page.contains("tối đa 5 MB"), "{page}");
    let (status, page) = post_file(&t, &admin, "qn-bai-chay", "anh.geojson", &[0xff, 0xfe, 0x00]).await;
    assert_eq!(status, 422);
    assert!(page.contains("UTF-8"));
    assert_eq!(stored_boundary(&t, "qn-bai-chay").await, before);
    assert!(!audit_details(&t).await.iter().any(|(_, d)| d.starts_with("boundary")));
}

#[tokio::test]
async fn only_admins_of_the_unit_may_change_its_boundary() {
    let t = TestApp::spawn().await;
    let before = stored_boundary(&t, "qn-bai-chay").await;
    for officer in ["trucban.baichay", "canbo.baichay", "lanhdao.qn"] {
        let c = t.login(officer).await;
        assert_eq!(t.post(&c, "/units/qn-bai-chay/boundary", &[("text", SQUARE)]).await.0, 403, "{officer}");
        assert_eq!(t.post(&c, "/units/qn-bai-chay/boundary", &[("text", "not json")]).await.0, 403, "{officer}");
        assert_eq!(t.post(&c, "/units/qn-bai-chay/boundary/remove", &[]).await.0, 403, "{officer}");
        let (_, page) = t.get(&c, "/units/qn-bai-chay").await;
        assert!(!page.contains("Xóa ranh giới"), "{officer} sees no boundary form");
    }
    // An admin of another ward does not even see this one.
    let other = t.login("admin.honggai").await;
    assert_eq!(t.post(&other, "/units/qn-bai-chay/boundary", &[("text", SQUARE)]).await.0, 404);
    assert_eq!(t.post(&other, "/units/qn-bai-chay/boundary/remove", &[]).await.0, 404);
    assert_eq!(stored_boundary(&t, "qn-bai-chay").await, before);
}

#[tokio::test]
async fn editing_a_units_details_keeps_its_boundary() {
    let t = TestApp::spawn().await;
    let admin = t.login("admin.qn").await;
    let before = stored_boundary(&t, "qn-bai-chay").await;
    assert!(before.is_some());
    let (status, _) =
        t.post(&admin, "/units/qn-bai-chay/edit", &[("name", "Công an phường Bãi Cháy"), ("kind", "ward")]).await;
    assert_eq!(status, 303);
    assert_eq!(stored_boundary(&t, "qn-bai-chay").await, before);
}
