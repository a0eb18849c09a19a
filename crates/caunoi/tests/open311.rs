//! Open311 GeoReport v2 through real HTTP, on the engine the suite runs on (SQLite, or
//! PostgreSQL when `CAUNOI_TEST_DATABASE_URL` is set): the documents in JSON and XML, sensitive
//! and urgent categories never offered nor published, filing with a live key only, what a
//! filed request becomes, the listing's filters and scope, escaping, the per-key rate limit and
//! the console's key screen. The real PyPI clients run against a demo in `e2e/open311/`.

use caunoi::cases::service::{self, NewCase, ReporterDetails};
use caunoi::cases::store;
use caunoi::db_read;
use caunoi_core::cases::{Channel, ReporterMode};
use caunoi_core::units::UnitId;
use caunoi_testkit::TestApp;
use serde_json::Value;
use std::collections::BTreeMap;

const DAY_SECS: i64 = 24 * 3600;

async fn unit_id(t: &TestApp, code: &str) -> UnitId {
    let db = &t.app.db;
    UnitId(
        db_read!(db, pool => sqlx::query_scalar("SELECT id FROM units WHERE code = $1").bind(code).fetch_one(pool).await)
            .unwrap(),
    )
}

async fn count(t: &TestApp, sql: &'static str) -> i64 {
    let db = &t.app.db;
    db_read!(db, pool => sqlx::query_scalar::<_, i64>(sql).fetch_one(pool).await).unwrap()
}

/// (status, content type, body) of a GET without cookies.
async fn get(t: &TestApp, path: &str) -> (u16, String, String) {
    let r = reqwest::get(t.url(path)).await.expect("request");
    let status = r.status().as_u16();
    let ct = r.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    (status, ct, r.text().await.unwrap_or_default())
}

async fn get_json(t: &TestApp, path: &str) -> (u16, Value) {
    let (status, ct, body) = get(t, path).await;
    assert_eq!(ct, "application/json; charset=utf-8", "{path}");
    (status, serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}")))
}

async fn post(t: &TestApp, path: &str, form: &[(&str, &str)]) -> (u16, String) {
    let r = reqwest::Client::new().post(t.url(path)).form(form).send().await.expect("request");
    let status = r.status().as_u16();
    (status, r.text().await.unwrap_or_default())
}

/// A good noise request filed with `key`, with extra fields.
fn noise_form<'a>(key: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut f = vec![
        ("api_key", key),
        ("service_code", "noise"),
        ("lat", "20.9600"),
        ("long", "107.0420"),
        ("description", "Karaoke rất to sau 23 giờ"),
        ("attribute[source]", "karaoke"),
    ];
    f.extend_from_slice(extra);
    f
}

fn first_error(v: &Value) -> (i64, String) {
    let e = &v[0];
    (e["code"].as_i64().unwrap_or_default(), e["description"].as_str().unwrap_or_default().to_string())
}

/// Makes a case as another channel would.
async fn make_case(
    t: &TestApp,
    unit: &str,
    category: &str,
    channel: Channel,
    mode: ReporterMode,
    description: &str,
) -> caunoi::cases::service::Created {
    let mut attributes = BTreeMap::new();
    if category == "noise" {
        attributes.insert("source".to_string(), "karaoke".to_string());
    }
    if category == "lost_property" {
        attributes.insert("lost_or_found".to_string(), "lost".to_string());
    }
    let new = NewCase {
        channel,
        received_by: unit_id(t, unit).await,
        category: category.into(),
        description: description.into(),
        point: None,
        address: None,
        place_unknown: true,
        occurred: None,
        attributes,
        mode,
        reporter: ReporterDetails {
            name: Some("Trần Thị Kín".into()),
            phone: Some("0987654321".into()),
            contact: None,
        },
        conversation: None,
        entered_by: None,
        urgent: false,
        own_alarm: false,
        media: vec![],
    };
    service::create(&t.app, new).await.expect("case")
}

#[tokio::test]
async fn discovery_services_and_definitions_come_in_json_and_xml() {
    let t = TestApp::spawn().await;
    let (status, discovery) = get_json(&t, "/open311/v2/discovery.json").await;
    assert_eq!(status, 200);
    assert_eq!(discovery["endpoints"][0]["url"], format!("{}/open311/v2", t.app.config.public_url));
    assert_eq!(discovery["endpoints"][0]["formats"][1], "application/json");
    let (_, ct, xml) = get(&t, "/open311/v2/discovery.xml").await;
    assert_eq!(ct, "text/xml; charset=utf-8");
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<discovery>"), "{xml}");
    assert!(xml.contains("<formats><format>text/xml</format><format>application/json</format></formats>"), "{xml}");

    let (_, services) = get_json(&t, "/open311/v2/services.json").await;
    let codes: Vec<&str> = services.as_array().unwrap().iter().map(|s| s["service_code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["street_racing", "noise", "environment", "lost_property", "suggestion"]);
    let noise = &services[1];
    assert_eq!(noise["service_name"], "Gây ồn ào, mất trật tự");
    assert_eq!(noise["metadata"], true);
    assert_eq!(noise["type"], "realtime");
    assert_eq!(services[2]["metadata"], false, "no questions, no metadata");
    let (_, _, xml) = get(&t, "/open311/v2/services.xml").await;
    assert!(xml.contains("<services><service><service_code>street_racing</service_code>"), "{xml}");
    assert_eq!(xml.matches("<service>").count(), 5);

    let (status, def) = get_json(&t, "/open311/v2/services/noise.json").await;
    assert_eq!(status, 200);
    assert_eq!(def["service_code"], "noise");
    let source = &def["attributes"][0];
    assert_eq!(source["code"], "source");
    assert_eq!(source["variable"], true);
    assert_eq!(source["datatype"], "singlevaluelist");
    assert_eq!(source["required"], true);
    assert_eq!(source["order"], 1);
    assert_eq!(source["values"][0], serde_json::json!({"key": "karaoke", "name": "Hát karaoke, loa"}));
    let (_, _, xml) = get(&t, "/open311/v2/services/lost_property.xml").await;
    assert!(xml.contains("<service_definition><service_code>lost_property</service_code><attributes><attribute>"));
    assert!(xml.contains("<values><value><key>lost</key><name>Bị mất</name></value>"), "{xml}");
    let (_, def) = get_json(&t, "/open311/v2/services/suggestion.json").await;
    assert_eq!(def["attributes"], serde_json::json!([]));

    let (status, _, body) = get(&t, "/open311/v2/services.yaml").await;
    assert_eq!(status, 404, "{body}");
}

#[tokio::test]
async fn sensitive_and_urgent_categories_are_neither_offered_nor_accepted() {
    let t = TestApp::spawn().await;
    let key = caunoi::demo::open311_key(&t.app);
    for code in ["denunciation", "drugs", "domestic_violence", "public_order", "fire", "wanted_person", "nope"] {
        let (status, v) = get_json(&t, &format!("/open311/v2/services/{code}.json")).await;
        assert_eq!((status, first_error(&v)), (404, (404, "service_code not found".to_string())), "{code}");
        let (status, body) = post(
            &t,
            "/open311/v2/requests.json",
            &[("api_key", &key), ("service_code", code), ("address_string", "Bãi Cháy"), ("description", "x")],
        )
        .await;
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!((status, first_error(&v)), (404, (404, format!("service_code '{code}' not found"))), "{code}");
    }
    let (status, _, xml) = get(&t, "/open311/v2/services/drugs.xml").await;
    assert_eq!(status, 404);
    assert!(
        xml.contains(
            "<errors><error><code>404</code><description>service_code not found</description></error></errors>"
        )
    );
    assert_eq!(count(&t, "SELECT COUNT(*) FROM cases").await, 0);
}

#[tokio::test]
async fn filing_needs_a_live_key_issued_in_the_console() {
    let t = TestApp::spawn().await;
    // No key, an unknown key.
    let (status, body) = post(&t, "/open311/v2/requests.json", &noise_form("", &[])[1..]).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(first_error(&serde_json::from_str(&body).unwrap()).0, 403);
    let (status, body) = post(&t, "/open311/v2/requests.xml", &noise_form("o311_guessed", &[])).await;
    assert_eq!(status, 403);
    assert!(body.contains("<errors><error><code>403</code>"), "{body}");

    // The province's admin issues a key: shown once, stored as a hash, audited.
    let admin = t.login("admin.qn").await;
    let (status, page) =
        t.post(&admin, "/units/qn-bai-chay/open311", &[("label", "Ứng dụng phản ánh thành phố")]).await;
    assert_eq!(status, 200);
    let key = page
        .split("spellcheck=\"false\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .expect("the new key on the page")
        .to_string();
    assert!(key.starts_with("o311_") && key.len() > 40, "{key}");
    let (_, again) = t.get(&admin, "/units/qn-bai-chay/open311").await;
    assert!(again.contains("Ứng dụng phản ánh thành phố") && !again.contains(&key), "shown only once");
    let db = &t.app.db;
    let stored: String =
        db_read!(db, pool => sqlx::query_scalar("SELECT key_hash FROM open311_keys WHERE label LIKE 'Ứng dụng%'").fetch_one(pool).await)
            .unwrap();
    assert_eq!(stored, caunoi::crypto::token_hash(&key));

    let (status, body) = post(&t, "/open311/v2/requests.json", &noise_form(&key, &[])).await;
    assert_eq!(status, 200, "{body}");

    // Revoked: refused from then on.
    let id: i64 =
        db_read!(db, pool => sqlx::query_scalar("SELECT id FROM open311_keys WHERE key_hash = $1").bind(&stored).fetch_one(pool).await)
            .unwrap();
    let (status, _) = t.post(&admin, &format!("/units/qn-bai-chay/open311/{id}/revoke"), &[]).await;
    assert_eq!(status, 303);
    let (_, page) = t.get(&admin, "/units/qn-bai-chay/open311?revoked=1").await;
    assert!(page.contains("Đã thu hồi"), "{page}");
    let (status, body) = post(&t, "/open311/v2/requests.json", &noise_form(&key, &[])).await;
    assert_eq!((status, first_error(&serde_json::from_str(&body).unwrap()).0), (403, 403));
    // A listing given a revoked key is refused too, not silently widened.
    let (status, _) = get_json(&t, &format!("/open311/v2/requests.json?api_key={key}")).await;
    assert_eq!(status, 403);
    let actions: Vec<String> = db_read!(db, pool => sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE action LIKE 'open311%' ORDER BY id").fetch_all(pool).await)
    .unwrap();
    assert_eq!(actions, ["open311_key_created", "open311_key_revoked"]);
    assert_eq!(count(&t, "SELECT COUNT(*) FROM cases").await, 1);
}

#[tokio::test]
async fn only_the_units_admins_manage_its_keys() {
    let t = TestApp::spawn().await;
    let leader = t.login("lanhdao.qn").await;
    assert_eq!(t.get(&leader, "/units/quang-ninh/open311").await.0, 403);
    assert_eq!(t.post(&leader, "/units/quang-ninh/open311", &[("label", "x")]).await.0, 403);
    let ward_admin = t.login("admin.honggai").await;
    assert_eq!(t.get(&ward_admin, "/units/quang-ninh/open311").await.0, 404, "outside scope is not found");
    assert_eq!(t.get(&ward_admin, "/units/qn-hong-gai/open311").await.0, 200);
    let admin = t.login("admin.qn").await;
    let (status, page) = t.post(&admin, "/units/quang-ninh/open311", &[("label", "   ")]).await;
    assert_eq!(status, 422);
    assert!(page.contains("field-error"), "{page}");
    // The demo's key is the only one of the province; revoking another unit's key id is not found.
    let (_, page) = t.get(&admin, "/units/quang-ninh/open311").await;
    assert!(page.contains("Demo (caunoi demo)"), "{page}");
    let (_, unit_page) = t.get(&admin, "/units/quang-ninh").await;
    assert!(unit_page.contains("href=\"/units/quang-ninh/open311\""), "linked from the unit's page");
    assert_eq!(t.post(&admin, "/units/qn-bai-chay/open311/1/revoke", &[]).await.0, 404);
    assert_eq!(count(&t, "SELECT COUNT(*) FROM open311_keys WHERE revoked_at IS NOT NULL").await, 0);
}

#[tokio::test]
async fn a_request_without_a_place_or_a_required_answer_is_refused_and_nothing_is_kept() {
    let t = TestApp::spawn().await;
    let key = caunoi::demo::open311_key(&t.app);
    let no_place: Vec<_> = noise_form(&key, &[]).into_iter().filter(|(k, _)| *k != "lat" && *k != "long").collect();
    let (status, body) = post(&t, "/open311/v2/requests.json", &no_place).await;
    assert_eq!(status, 400);
    assert!(first_error(&serde_json::from_str(&body).unwrap()).1.contains("location is required"), "{body}");
    let half: Vec<_> = noise_form(&key, &[]).into_iter().filter(|(k, _)| *k != "long").collect();
    let (status, body) = post(&t, "/open311/v2/requests.json", &half).await;
    assert!(status == 400 && body.contains("lat and long must be given together"), "{body}");

    let unanswered: Vec<_> = noise_form(&key, &[]).into_iter().filter(|(k, _)| !k.starts_with("attribute")).collect();
    let (status, body) = post(&t, "/open311/v2/requests.json", &unanswered).await;
    assert_eq!(status, 400);
    let (code, description) = first_error(&serde_json::from_str(&body).unwrap());
    assert_eq!(code, 400);
    assert!(description.contains("attribute[source] is required"), "{description}");
    let (status, body) = post(&t, "/open311/v2/requests.xml", &unanswered).await;
    assert!(status == 400 && body.contains("<code>400</code><description>attribute[source] is required"), "{body}");

    let wrong: Vec<_> = noise_form(&key, &[])
        .into_iter()
        .map(|(k, v)| if k == "attribute[source]" { (k, "fireworks") } else { (k, v) })
        .collect();
    let (status, body) = post(&t, "/open311/v2/requests.json", &wrong).await;
    assert!(status == 400 && body.contains("attribute[source] must be one of: karaoke, construction"), "{body}");

    let abroad: Vec<_> =
        noise_form(&key, &[]).into_iter().map(|(k, v)| if k == "lat" { (k, "48.85") } else { (k, v) }).collect();
    let (status, body) = post(&t, "/open311/v2/requests.json", &abroad).await;
    assert!(status == 400 && body.contains("location: The location is outside Vietnam"), "{body}");
    let (status, body) = post(&t, "/open311/v2/requests.json", &noise_form(&key, &[("lat", "north")])[..]).await;
    assert_eq!(status, 200, "the first lat wins: {body}");

    let not_a_form = reqwest::Client::new()
        .post(t.url("/open311/v2/requests.json"))
        .header("content-type", "application/json")
        .body(r#"{"api_key":"x"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(not_a_form.status().as_u16(), 400);
    assert_eq!(count(&t, "SELECT COUNT(*) FROM cases").await, 1, "only the one good request was kept");
}

#[tokio::test]
async fn a_filed_request_is_a_case_routed_like_any_other_and_never_publishes_its_reporter() {
    let t = TestApp::spawn().await;
    let key = caunoi::demo::open311_key(&t.app);
    let extra = [
        ("first_name", "Lê"),
        ("last_name", "Báo Tin"),
        ("email", "bao.tin@example.vn"),
        ("phone", "0911222333"),
        ("media_url", "https://example.org/photo.jpg"),
        ("address_string", "Đường Hạ Long, Bãi Cháy"),
        ("jurisdiction_id", "anything"),
        ("device_id", "abc"),
    ];
    let (status, body) = post(&t, "/open311/v2/requests.json", &noise_form(&key, &extra)).await;
    assert_eq!(status, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    let id = v[0]["service_request_id"].as_str().unwrap().to_string();
    assert!(id.starts_with("TB-") && id.len() == 12, "{id}");
    assert!(v[0]["service_notice"].as_str().unwrap().contains("113"));

    let created = service::by_code(&t.app, &caunoi_core::cases::CaseCode::parse(&id).unwrap()).await.unwrap().unwrap();
    assert_eq!(created.channel, Channel::Open311);
    assert_eq!(created.mode, ReporterMode::Open);
    assert_eq!(created.category.key, "noise");
    assert_eq!(created.point, Some((20.96, 107.042)));
    assert_eq!(created.attributes.get("source").map(String::as_str), Some("karaoke"));
    assert_eq!(created.attributes.get("open311_media_url").map(String::as_str), Some("https://example.org/photo.jpg"));
    assert_eq!(created.reporter.as_ref().and_then(|r| r.name.as_deref()), Some("Lê Báo Tin"), "the officers see who");
    // Routed like any case received by the key's unit.
    let expected = service::route(
        &t.app,
        &NewCase {
            channel: Channel::Open311,
            received_by: unit_id(&t, caunoi::demo::OPEN311_UNIT).await,
            category: "noise".into(),
            description: String::new(),
            point: Some((20.96, 107.042)),
            address: Some("Đường Hạ Long, Bãi Cháy".into()),
            place_unknown: false,
            occurred: None,
            attributes: BTreeMap::new(),
            mode: ReporterMode::Open,
            reporter: ReporterDetails::default(),
            conversation: None,
            entered_by: None,
            urgent: false,
            own_alarm: false,
            media: vec![],
        },
    )
    .await
    .unwrap()
    .0;
    assert_eq!(created.unit, expected);

    let (_, one) = get_json(&t, &format!("/open311/v2/requests/{id}.json")).await;
    let r = &one[0];
    assert_eq!(r["service_request_id"], id);
    assert_eq!(r["status"], "open");
    assert_eq!(r["service_code"], "noise");
    assert_eq!(r["service_name"], "Gây ồn ào, mất trật tự");
    assert_eq!(r["description"], "Karaoke rất to sau 23 giờ");
    assert_eq!(r["agency_responsible"], created.unit_name.as_str());
    assert_eq!(r["status_notes"], format!("Đã tiếp nhận, đang chờ {} xử lý.", created.unit_name));
    assert_eq!(r["lat"], 20.96);
    assert_eq!(r["address"], "Đường Hạ Long, Bãi Cháy");
    assert_eq!(r["media_url"], Value::Null);
    let requested = r["requested_datetime"].as_str().unwrap();
    assert!(requested.ends_with("+07:00") && requested.len() == 25, "{requested}");
    for (path, body) in [
        (format!("/open311/v2/requests/{id}.json"), one.to_string()),
        (format!("/open311/v2/requests/{id}.xml"), get(&t, &format!("/open311/v2/requests/{id}.xml")).await.2),
        ("/open311/v2/requests.json".into(), get(&t, "/open311/v2/requests.json").await.2),
        ("/open311/v2/requests.xml".into(), get(&t, "/open311/v2/requests.xml").await.2),
        (format!("/open311/v2/tokens/{id}.json"), get(&t, &format!("/open311/v2/tokens/{id}.json")).await.2),
    ] {
        assert!(body.contains(&id), "{path}: {body}");
        for secret in ["Báo Tin", "bao.tin@example.vn", "0911222333", "photo.jpg", "karaoke"] {
            assert!(!body.contains(secret), "{path} publishes {secret}: {body}");
        }
    }
    let (_, token) = get_json(&t, &format!("/open311/v2/tokens/{}.json", id.to_lowercase())).await;
    assert_eq!(token, serde_json::json!([{"service_request_id": id, "token": id}]));

    // The officers' latest reply to an Open311 reporter is its status note.
    let mut tx = t.app.db.begin().await.unwrap();
    let reply =
        store::NewEventRow {
            kind: "message_out", text: "Đã cử tổ tuần tra đến kiểm tra.", ..Default::default()
        };
    service::record(&mut tx, created.id, t.app.clock.now_micros(), &reply).await.unwrap();
    tx.commit().await.unwrap();
    let (_, one) = get_json(&t, &format!("/open311/v2/requests/{id}.json")).await;
    assert_eq!(one[0]["status_notes"], "Đã cử tổ tuần tra đến kiểm tra.");
}

#[tokio::test]
async fn the_listing_publishes_only_identified_public_cases_and_honours_the_filters() {
    let t = TestApp::spawn().await;
    let noise = make_case(&t, "qn-bai-chay", "noise", Channel::Open311, ReporterMode::Open, "loa kéo ồn").await;
    let racing =
        make_case(&t, "qn-hong-gai", "street_racing", Channel::Zalo, ReporterMode::Open, "nhà tôi số 5, đua xe").await;
    let lost = make_case(&t, "qn-bai-chay", "lost_property", Channel::WebForm, ReporterMode::Open, "mất ví").await;
    let anonymous = make_case(&t, "qn-bai-chay", "noise", Channel::WebForm, ReporterMode::Anonymous, "ẩn danh").await;
    let sealed = make_case(&t, "qn-bai-chay", "environment", Channel::Zalo, ReporterMode::Sealed, "bảo mật").await;
    let drugs = make_case(&t, "qn-bai-chay", "drugs", Channel::Zalo, ReporterMode::Open, "ma túy").await;
    let fire = make_case(&t, "qn-bai-chay", "fire", Channel::Zalo, ReporterMode::Open, "cháy").await;
    let mut tx = t.app.db.begin().await.unwrap();
    assert!(store::set_status(&mut tx, lost.id, "new", "resolved", true, t.app.clock.now_micros()).await.unwrap());
    tx.commit().await.unwrap();

    let ids = |v: &Value| -> Vec<String> {
        v.as_array().unwrap().iter().map(|r| r["service_request_id"].as_str().unwrap().to_string()).collect()
    };
    let code = |c: &caunoi::cases::service::Created| c.code.as_str().to_string();
    let (_, all) = get_json(&t, "/open311/v2/requests.json").await;
    let mut listed = ids(&all);
    listed.sort();
    let mut expected = vec![code(&noise), code(&racing), code(&lost)];
    expected.sort();
    assert_eq!(listed, expected, "never anonymous, sealed, sensitive or urgent cases");
    let body = all.to_string();
    for hidden in [&anonymous, &sealed, &drugs, &fire] {
        assert!(!body.contains(hidden.code.as_str()));
    }
    // A case from another channel: no words of the reporter, the status as the citizen hears it.
    let racing_row = all.as_array().unwrap().iter().find(|r| r["service_request_id"] == code(&racing)).unwrap();
    assert_eq!(racing_row["description"], "Đua xe, lạng lách");
    assert!(!body.contains("nhà tôi số 5") && !body.contains("Trần Thị Kín") && !body.contains("0987654321"));
    let (_, xml_ct, xml) = get(&t, "/open311/v2/requests.xml").await;
    assert_eq!(xml_ct, "text/xml; charset=utf-8");
    assert_eq!(xml.matches("<request>").count(), 3);

    let (_, closed) = get_json(&t, "/open311/v2/requests.json?status=closed").await;
    assert_eq!(ids(&closed), [code(&lost)]);
    assert_eq!(closed[0]["status"], "closed");
    let (_, open) = get_json(&t, "/open311/v2/requests.json?status=open&service_code=noise,drugs").await;
    assert_eq!(ids(&open), [code(&noise)]);
    let (_, both) = get_json(&t, "/open311/v2/requests.json?status=open,closed&service_code=lost_property").await;
    assert_eq!(ids(&both), [code(&lost)]);
    let (status, bad) = get_json(&t, "/open311/v2/requests.json?status=pending").await;
    assert_eq!((status, first_error(&bad).0), (400, 400));

    // Ids override the other filters, and only published cases answer.
    let path = format!(
        "/open311/v2/requests.json?service_request_id={},{},{},nonsense&status=closed",
        code(&noise),
        code(&drugs),
        code(&anonymous)
    );
    let (_, by_id) = get_json(&t, &path).await;
    assert_eq!(ids(&by_id), [code(&noise)]);
    for hidden in [&drugs, &anonymous, &sealed, &fire] {
        let (status, v) = get_json(&t, &format!("/open311/v2/requests/{}.json", hidden.code)).await;
        assert_eq!((status, first_error(&v).0), (404, 404));
        let (status, _) = get_json(&t, &format!("/open311/v2/tokens/{}.json", hidden.code)).await;
        assert_eq!(status, 404);
    }

    // Dates: W3C times with an offset, at most 90 days apart.
    let now = jiff::Timestamp::from_microsecond(t.app.clock.now_micros()).unwrap();
    let day = jiff::SignedDuration::from_hours(24);
    let w3c = |ts: jiff::Timestamp| ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
    let (_, recent) =
        get_json(&t, &format!("/open311/v2/requests.json?start_date={}&end_date={}", w3c(now - day), w3c(now + day)))
            .await;
    assert_eq!(recent.as_array().unwrap().len(), 3);
    let (_, future) = get_json(&t, &format!("/open311/v2/requests.json?start_date={}", w3c(now + day))).await;
    assert_eq!(future, serde_json::json!([]));
    let (_, past) = get_json(&t, &format!("/open311/v2/requests.json?end_date={}", w3c(now - day))).await;
    assert_eq!(past, serde_json::json!([]));
    let (status, v) =
        get_json(&t, &format!("/open311/v2/requests.json?start_date={}&end_date={}", w3c(now - day * 100), w3c(now)))
            .await;
    assert!(status == 400 && first_error(&v).1.contains("at most 90 days"), "{v}");
    let (status, _) = get_json(&t, "/open311/v2/requests.json?start_date=last+week").await;
    assert_eq!(status, 400);
    let (_, limited) = get_json(&t, "/open311/v2/requests.json?page_size=1").await;
    assert_eq!(limited.as_array().unwrap().len(), 1);

    // A key narrows the listing to its unit's subtree.
    let admin = t.login("admin.honggai").await;
    let (_, page) = t.post(&admin, "/units/qn-hong-gai/open311", &[("label", "Ứng dụng phường")]).await;
    let ward_key = page.split("spellcheck=\"false\">").nth(1).and_then(|s| s.split('<').next()).unwrap().to_string();
    let (_, scoped) = get_json(&t, &format!("/open311/v2/requests.json?api_key={ward_key}")).await;
    let in_ward: Vec<String> = ids(&scoped);
    let racing_unit = racing.unit;
    let ward = unit_id(&t, "qn-hong-gai").await;
    assert_eq!(in_ward.contains(&code(&racing)), racing_unit == ward);
    assert!(!in_ward.contains(&code(&noise)) || noise.unit == ward);
    let (_, province) =
        get_json(&t, &format!("/open311/v2/requests.json?api_key={}", caunoi::demo::open311_key(&t.app))).await;
    assert_eq!(province.as_array().unwrap().len(), 3, "the province's key sees its whole subtree");

    // The default window is the last 90 days.
    t.app.clock.advance(91 * DAY_SECS);
    let (_, later) = get_json(&t, "/open311/v2/requests.json").await;
    assert_eq!(later, serde_json::json!([]));
    let (_, still) = get_json(&t, &format!("/open311/v2/requests/{}.json", noise.code)).await;
    assert_eq!(ids(&still), [code(&noise)], "one request is found whatever its age");
}

#[tokio::test]
async fn hostile_text_is_escaped_in_xml_and_intact_in_json() {
    let t = TestApp::spawn().await;
    let key = caunoi::demo::open311_key(&t.app);
    let hostile = "<script>alert(1)</script> & \"quoted\" 'single' ]]> \u{1}\u{7}\u{1b} tiếng Việt";
    let form = [
        ("api_key", key.as_str()),
        ("service_code", "suggestion"),
        ("address_string", "<b>Phố</b> & \"ngõ\""),
        ("description", hostile),
    ];
    let (status, body) = post(&t, "/open311/v2/requests.xml", &form).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.starts_with(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<service_requests><request><service_request_id>TB-"
        )
    );
    let id = body.split("<service_request_id>").nth(1).and_then(|s| s.split('<').next()).unwrap().to_string();
    let (_, _, xml) = get(&t, &format!("/open311/v2/requests/{id}.xml")).await;
    assert!(
        xml.contains(
            "<description>&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quoted&quot; &apos;single&apos; ]]&gt;  tiếng Việt</description>"
        ),
        "{xml}"
    );
    assert!(xml.contains("<address>&lt;b&gt;Phố&lt;/b&gt; &amp; &quot;ngõ&quot;</address>"), "{xml}");
    assert!(!xml.contains("<script>") && !xml.chars().any(|c| c.is_control() && c != '\n'), "{xml}");
    let (_, json) = get_json(&t, &format!("/open311/v2/requests/{id}.json")).await;
    assert_eq!(json[0]["description"], "<script>alert(1)</script> & \"quoted\" 'single' ]]>  tiếng Việt");
}

#[tokio::test]
async fn the_rate_limit_per_key_holds_exactly_under_parallel_posts() {
    let t = TestApp::spawn().await;
    let key = caunoi::demo::open311_key(&t.app);
    let limit = caunoi::cases::open311::POSTS_PER_MINUTE;
    let url = t.url("/open311/v2/requests.json");
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..limit + 15 {
        let (url, key) = (url.clone(), key.clone());
        tasks.spawn(async move {
            let description = format!("phản ánh số {i}");
            let form = [
                ("api_key", key.as_str()),
                ("service_code", "environment"),
                ("address_string", "Bãi Cháy"),
                ("description", description.as_str()),
            ];
            let r = reqwest::Client::new().post(url).form(&form).send().await.unwrap();
            let retry = r.headers().get("retry-after").map(|v| v.to_str().unwrap().to_string());
            (r.status().as_u16(), retry, r.text().await.unwrap())
        });
    }
    let mut accepted = 0;
    let mut refused = 0;
    while let Some(done) = tasks.join_next().await {
        let (status, retry, body) = done.unwrap();
        match status {
            200 => accepted += 1,
            429 => {
                refused += 1;
                assert!(retry.is_some_and(|s| s.parse::<u64>().is_ok_and(|s| (1..=60).contains(&s))));
                let v: Value = serde_json::from_str(&body).unwrap();
                assert_eq!(first_error(&v).0, 429, "{body}");
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!((accepted, refused), (limit, 15));
    assert_eq!(count(&t, "SELECT COUNT(*) FROM cases WHERE channel = 'open311'").await, limit as i64);
    // Another key is not held back; a minute later the first key files again.
    let other =
        caunoi::cases::open311::ensure_key_for_setup(&t.app, unit_id(&t, "qn-bai-chay").await, "o311_other", "x")
            .await
            .unwrap();
    assert!(other);
    let form = [("api_key", "o311_other"), ("service_code", "environment"), ("address_string", "Bãi Cháy")];
    assert_eq!(post(&t, "/open311/v2/requests.json", &form).await.0, 200);
    let form = [("api_key", key.as_str()), ("service_code", "environment"), ("address_string", "Bãi Cháy")];
    assert_eq!(post(&t, "/open311/v2/requests.json", &form).await.0, 429);
    t.app.clock.advance(61);
    assert_eq!(post(&t, "/open311/v2/requests.json", &form).await.0, 200);
}

#[tokio::test]
async fn the_key_screen_renders_the_same() {
    let t = TestApp::spawn().await;
    let admin = t.login("admin.qn").await;
    let (status, page) = t.get(&admin, "/units/quang-ninh/open311").await;
    assert_eq!(status, 200);
    let mut s = insta::Settings::clone_current();
    s.set_prepend_module_to_snapshot(false);
    s.set_omit_expression(true);
    s.add_filter(r"\b\d{2}/\d{2}/\d{4} \d{2}:\d{2}\b", "[datetime]");
    s.add_filter(r"127\.0\.0\.1:\d+", "127.0.0.1:[port]");
    s.add_filter(r#"id="key-\d+""#, r#"id="key-[id]""#);
    s.add_filter(r"/open311/\d+/revoke", "/open311/[id]/revoke");
    s.bind(|| insta::assert_snapshot!("open311_keys_page", page));
}
