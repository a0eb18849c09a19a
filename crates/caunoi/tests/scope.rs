//! Scope: an officer of one ward can neither read nor change anything of another ward, through
//! any route. The table below lists every console route; a new route without a row here fails
//! `every_console_route_is_covered`.

use caunoi::db_read;
use caunoi_testkit::TestApp;

/// Every route the console serves (method, pattern). Public and infrastructure routes are
/// listed too, with the reason they carry no unit scope.
const ROUTES: &[(&str, &str)] = &[
    ("GET", "/"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("GET", "/login/totp"),
    ("POST", "/login/totp"),
    // A locked duty device's password prompt: the session's own officer only (tests/inbox.rs).
    ("GET", "/unlock"),
    ("POST", "/unlock"),
    ("POST", "/logout"),
    ("GET", "/officers"),
    ("GET", "/officers/new"),
    ("POST", "/officers/new"),
    ("GET", "/officers/{id}"),
    ("POST", "/officers/{id}/grants"),
    ("POST", "/officers/{id}/grants/{grant}/delete"),
    // Account actions: only an admin over every unit of the account (tests/admin.rs).
    ("POST", "/officers/{id}/disable"),
    ("POST", "/officers/{id}/enable"),
    ("POST", "/officers/{id}/reset-link"),
    // The reset link itself: public, the random token is the authority (tests/admin.rs).
    ("GET", "/password-reset/{token}"),
    ("POST", "/password-reset/{token}"),
    ("GET", "/account"),
    ("POST", "/account/password"),
    ("GET", "/account/totp"),
    ("POST", "/account/totp"),
    ("GET", "/units"),
    ("GET", "/units/{code}"),
    ("GET", "/units/{code}/edit"),
    ("POST", "/units/{code}/edit"),
    ("GET", "/units/{code}/new"),
    ("POST", "/units/{code}/new"),
    ("POST", "/units/{code}/move"),
    // A unit's area boundary: admins of the unit only (tests/units_boundary.rs).
    ("POST", "/units/{code}/boundary"),
    ("POST", "/units/{code}/boundary/remove"),
    // A unit's Zalo OA: scoped like the unit page (tests/zalo_connect.rs); the callback finds
    // its unit through the consent's state, bound to the admin's session.
    ("GET", "/units/{code}/zalo"),
    ("POST", "/units/{code}/zalo"),
    ("POST", "/units/{code}/zalo/tokens"),
    ("POST", "/units/{code}/zalo/check"),
    ("POST", "/units/{code}/zalo/verification"),
    ("POST", "/units/{code}/zalo/disconnect"),
    ("GET", "/zalo/callback"),
    // Zalo's domain verification: public, serves only codes that admins entered.
    ("GET", "/{zalo_verifier_file}"),
    ("GET", "/audit"),
    // The knowledge base: each entry, version and review question is checked against the
    // officer's units (tests/kb.rs, tests/admin.rs); the review's labelled messages download for
    // a unit the officer edits the knowledge base of.
    ("GET", "/kb"),
    ("GET", "/kb/entry/{id}"),
    ("POST", "/kb/entry/{id}"),
    ("POST", "/kb/entry/{id}/hide"),
    ("POST", "/kb/entry/{id}/restore"),
    ("GET", "/kb/new"),
    ("POST", "/kb/new"),
    ("GET", "/kb/export"),
    ("GET", "/kb/entry/{id}/versions/{version}"),
    ("POST", "/kb/entry/{id}/versions/{version}/rollback"),
    ("GET", "/kb/review"),
    ("POST", "/kb/review/paraphrase"),
    ("POST", "/kb/review/dismiss"),
    ("POST", "/kb/review/emergency"),
    ("GET", "/kb/review/labels"),
    ("GET", "/u/{code}"),
    ("GET", "/u/{code}/qr.svg"),
    ("GET", "/u/{code}/qr.png"),
    ("GET", "/start"),
    ("GET", "/healthz"),
    ("GET", "/metrics"),
    // Tests only (`test_clock` on), from this machine only: moves the clock; 404 otherwise.
    ("POST", "/__test/clock"),
    ("GET", "/static/{*path}"),
    ("GET", "/lang"),
    ("GET", "/favicon.ico"),
    ("GET", "/units/{code}/bot"),
    ("POST", "/units/{code}/bot"),
    ("POST", "/channels/zalo/{oa_id}/webhook"),
    // The web chat: anonymous, keyed by the session token; a session reads only its own
    // messages and files, media also for officers whose scope holds the conversation
    // (tests/webchat.rs).
    ("GET", "/u/{code}/chat"),
    ("POST", "/u/{code}/chat/session"),
    ("POST", "/u/{code}/chat/messages"),
    ("GET", "/u/{code}/chat/events"),
    ("POST", "/u/{code}/chat/upload"),
    ("GET", "/u/{code}/chat/media/{id}"),
    ("GET", "/widget.js"),
    // The inbox: every conversation route filters by the conversation's unit (tests/inbox.rs).
    ("GET", "/inbox"),
    ("GET", "/inbox/list"),
    ("GET", "/inbox/events"),
    ("POST", "/inbox/next"),
    ("GET", "/inbox/canned"),
    ("POST", "/inbox/canned"),
    ("POST", "/inbox/canned/{id}/delete"),
    ("GET", "/inbox/roster"),
    ("POST", "/inbox/roster"),
    ("POST", "/inbox/roster/{id}/delete"),
    // Recurring plannings and hand-over notes: the unit's scope (tests/inbox.rs,
    // recurring_shifts_and_handover_notes_endpoint_by_role).
    ("POST", "/inbox/roster/series/{id}/end"),
    ("POST", "/inbox/handover"),
    ("POST", "/inbox/handover/{id}/dismiss"),
    // Duty devices' sessions: the unit's admin sets the allowance, an officer marks the device.
    ("POST", "/inbox/roster/duty-session"),
    ("POST", "/inbox/duty-device"),
    ("GET", "/inbox/{id}"),
    ("GET", "/inbox/{id}/thread"),
    ("POST", "/inbox/{id}/reply"),
    ("POST", "/inbox/{id}/canned"),
    ("POST", "/inbox/{id}/note"),
    ("POST", "/inbox/{id}/assign"),
    ("POST", "/inbox/{id}/duty"),
    ("POST", "/inbox/{id}/transfer"),
    ("POST", "/inbox/{id}/close"),
    ("POST", "/inbox/{id}/reopen"),
    ("GET", "/inbox/media/{id}"),
    // Dead letters: listed and retried only within the officer's units (tests/officer_media.rs).
    ("GET", "/outbox/dead"),
    ("POST", "/outbox/dead/{id}/retry"),
    // Reported cases: every route reads the case within the officer's scope, 404 outside it
    // (tests/cases_console.rs).
    ("GET", "/cases"),
    // The daily digest reads the board's views within the officer's scope (tests/case_alarms.rs).
    ("GET", "/cases/digest"),
    // The report categories: the deployment's admin only, 403 for everyone else
    // (tests/case_categories.rs).
    ("GET", "/cases/categories"),
    ("GET", "/cases/categories/new"),
    ("POST", "/cases/categories/new"),
    ("GET", "/cases/categories/{key}"),
    ("POST", "/cases/categories/{key}"),
    ("POST", "/cases/categories/{key}/enabled"),
    ("POST", "/cases/categories/{key}/move"),
    ("GET", "/cases/new"),
    ("POST", "/cases/new"),
    ("GET", "/cases/{id}"),
    ("GET", "/cases/{id}/media/{media}"),
    ("POST", "/cases/{id}/acknowledge"),
    ("POST", "/cases/{id}/status"),
    ("POST", "/cases/{id}/note"),
    ("POST", "/cases/{id}/reply"),
    ("POST", "/cases/{id}/assign"),
    ("POST", "/cases/{id}/extend"),
    ("POST", "/cases/{id}/suspend"),
    ("POST", "/cases/{id}/resume"),
    ("POST", "/cases/{id}/merge"),
    ("POST", "/cases/{id}/forward"),
    ("POST", "/cases/{id}/identity/request"),
    ("POST", "/cases/{id}/identity/decide"),
    ("POST", "/cases/{id}/identity/view"),
];

#[test]
fn every_console_route_is_covered() {
    // Collect `.route("…", …)` patterns from the sources so a new route cannot slip past.
    let src = concat!(
        include_str!("../src/web/routes.rs"),
        include_str!("../src/staff/http.rs"),
        include_str!("../src/units/http.rs"),
        include_str!("../src/units/public.rs"),
        include_str!("../src/units/bot_settings/http.rs"),
        include_str!("../src/audit/http.rs"),
        include_str!("../src/channels/zalo/webhook.rs"),
        include_str!("../src/channels/zalo/console.rs"),
        include_str!("../src/channels/zalo/site.rs"),
        include_str!("../src/inbox/http/mod.rs"),
        include_str!("../src/channels/webchat/http.rs"),
        include_str!("../src/outbox/http.rs"),
        include_str!("../src/cases/http/mod.rs"),
        include_str!("../src/kb/http.rs"),
    );
    let mut found: Vec<&str> = src.split(".route(\"").skip(1).filter_map(|rest| rest.split('"').next()).collect();
    found.sort();
    found.dedup();
    for pattern in found {
        assert!(ROUTES.iter().any(|(_, p)| *p == pattern), "route {pattern} has no row in ROUTES");
    }
}

async fn id_of(t: &TestApp, username: &str) -> i64 {
    let db = &t.app.db;
    db_read!(db, pool => sqlx::query_scalar("SELECT id FROM officers WHERE username = $1").bind(username).fetch_one(pool).await)
        .unwrap()
}

async fn grant_of(t: &TestApp, username: &str) -> i64 {
    let db = &t.app.db;
    db_read!(db, pool => sqlx::query_scalar(
        "SELECT g.id FROM role_grants g JOIN officers o ON o.id = g.officer_id WHERE o.username = $1"
    ).bind(username).fetch_one(pool).await)
    .unwrap()
}

/// A valid area in Quảng Ninh, for attempts that must be refused for scope, not for the text.
const BOUNDARY: &str = r#"{"type":"Polygon","coordinates":[[[107.19,20.89],[107.21,20.89],[107.21,20.91],[107.19,20.91],[107.19,20.89]]]}"#;

/// code, name, path, hotline, boundary
type UnitFacts = (String, String, String, Option<String>, Option<String>);

/// A fingerprint of everything scope protects, to prove a refused request changed nothing.
async fn fingerprint(t: &TestApp) -> String {
    let db = &t.app.db;
    let units: Vec<UnitFacts> = db_read!(db, pool => sqlx::query_as(
        "SELECT code, name, path, hotline, boundary FROM units ORDER BY code"
    ).fetch_all(pool).await)
    .unwrap();
    let zalo: Vec<(i64, String, String)> = db_read!(db, pool => sqlx::query_as(
        "SELECT unit_id, oa_id, status FROM zalo_oa_connections ORDER BY unit_id"
    ).fetch_all(pool).await)
    .unwrap();
    let verifications: Vec<(i64, String)> = db_read!(db, pool => sqlx::query_as(
        "SELECT unit_id, code FROM zalo_site_verifications ORDER BY unit_id"
    ).fetch_all(pool).await)
    .unwrap();
    let grants: Vec<(i64, String, i64)> = db_read!(db, pool => sqlx::query_as(
        "SELECT officer_id, role, unit_id FROM role_grants ORDER BY id"
    ).fetch_all(pool).await)
    .unwrap();
    let officers: Vec<(i64, bool)> =
        db_read!(db, pool => sqlx::query_as("SELECT id, disabled FROM officers ORDER BY id").fetch_all(pool).await)
            .unwrap();
    let resets: i64 =
        db_read!(db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM password_resets").fetch_one(pool).await).unwrap();
    format!("{units:?}{zalo:?}{verifications:?}{grants:?}{officers:?}{resets}")
}

#[tokio::test]
async fn ward_admin_cannot_read_another_wards_data_through_any_route() {
    let t = TestApp::spawn().await;
    // admin.honggai administers Hồng Gai; Bãi Cháy is a sibling ward.
    let hg = t.login("admin.honggai").await;
    let other_officer = id_of(&t, "canbo.baichay").await;
    let other_grant = grant_of(&t, "canbo.baichay").await;
    for path in [
        "/units/qn-bai-chay".to_string(),
        "/units/qn-bai-chay/edit".to_string(),
        "/units/qn-bai-chay/new".to_string(),
        "/units/quang-ninh".to_string(),
        format!("/officers/{other_officer}"),
    ] {
        let (status, body) = t.get(&hg, &path).await;
        assert_eq!(status, 404, "{path}");
        assert!(!body.contains("Bãi Cháy"), "{path} leaks the other ward");
    }
    let (_, tree) = t.get(&hg, "/units").await;
    assert!(tree.contains("Công an phường Hồng Gai") && !tree.contains("Bãi Cháy") && !tree.contains("Tuần Châu"));
    let (_, officers) = t.get(&hg, "/officers").await;
    assert!(
        officers.contains("Phạm Văn Đức") && !officers.contains("Vũ Hoàng Nam") && !officers.contains("Trần Quốc Hùng")
    );
    let (_, audit) = t.get(&hg, "/audit").await;
    assert!(!audit.contains("Bãi Cháy") && !audit.contains("Vũ Hoàng Nam"));
    let (_, account) = t.get(&hg, "/account").await;
    assert!(!account.contains("Bãi Cháy"));
    // The new-officer form offers only units inside the admin's subtree.
    let (_, form) = t.get(&hg, "/officers/new").await;
    assert!(form.contains("value=\"qn-hong-gai\"") && !form.contains("value=\"qn-bai-chay\""));
    let _ = other_grant;
}

#[tokio::test]
async fn ward_admin_cannot_change_another_wards_data_through_any_route() {
    let t = TestApp::spawn().await;
    let hg = t.login("admin.honggai").await;
    let other_officer = id_of(&t, "canbo.baichay").await;
    let other_grant = grant_of(&t, "canbo.baichay").await;
    let own_officer = id_of(&t, "admin.honggai").await;
    let before = fingerprint(&t).await;
    let unit_form = [("name", "Đã bị sửa"), ("kind", "ward"), ("hotline", "0912345678")];
    let attempts: Vec<(String, Vec<(&str, &str)>)> = vec![
        ("/units/qn-bai-chay/edit".into(), unit_form.to_vec()),
        ("/units/qn-bai-chay/new".into(), [("code", "qn-intruder"), ("name", "X"), ("kind", "ward")].to_vec()),
        ("/units/qn-bai-chay/move".into(), vec![("parent", "qn-hong-gai")]),
        ("/units/qn-hong-gai/move".into(), vec![("parent", "qn-bai-chay")]),
        ("/units/qn-bai-chay/boundary".into(), vec![("text", BOUNDARY)]),
        ("/units/qn-bai-chay/boundary/remove".into(), vec![]),
        (
            "/units/qn-bai-chay/zalo".into(),
            vec![("app_id", "123456"), ("oa_id", "654321"), ("app_secret", "s"), ("oa_secret_key", "k")],
        ),
        (
            "/units/qn-bai-chay/zalo/tokens".into(),
            vec![
                ("app_id", "123456"),
                ("oa_id", "654321"),
                ("app_secret", "s"),
                ("oa_secret_key", "k"),
                ("access_token", "access-token-1234"),
                ("refresh_token", "refresh-token-1234"),
            ],
        ),
        ("/units/qn-bai-chay/zalo/check".into(), vec![]),
        ("/units/qn-bai-chay/zalo/verification".into(), vec![("site_code", "Intruder-Code-1234")]),
        (format!("/officers/{other_officer}/grants"), vec![("role", "admin"), ("unit_code", "qn-hong-gai")]),
        (format!("/officers/{own_officer}/grants"), vec![("role", "admin"), ("unit_code", "qn-bai-chay")]),
        (format!("/officers/{other_officer}/grants/{other_grant}/delete"), vec![]),
        (format!("/officers/{own_officer}/grants/{other_grant}/delete"), vec![]),
        (format!("/officers/{other_officer}/disable"), vec![("confirm", "yes")]),
        (format!("/officers/{other_officer}/enable"), vec![]),
        (format!("/officers/{other_officer}/reset-link"), vec![]),
        (format!("/officers/{own_officer}/disable"), vec![("confirm", "yes")]),
        ("/units/qn-bai-chay/zalo/disconnect".into(), vec![("confirm", "yes")]),
        (
            "/officers/new".into(),
            vec![
                ("display_name", "X"),
                ("username", "intruder"),
                ("password", "long enough pw"),
                ("role", "admin"),
                ("unit_code", "qn-bai-chay"),
            ],
        ),
    ];
    for (path, form) in attempts {
        let (status, _) = t.post(&hg, &path, &form).await;
        assert!([403, 404, 422].contains(&status), "{path} answered {status}");
        assert_eq!(fingerprint(&t).await, before, "{path} changed data outside the admin's scope");
    }
}

#[tokio::test]
async fn officers_without_the_role_cannot_edit_or_manage_even_their_own_unit() {
    let t = TestApp::spawn().await;
    let before = fingerprint(&t).await;
    for username in ["canbo.baichay", "trucban.baichay", "phantich.qn"] {
        let c = t.login(username).await;
        assert_eq!(t.get(&c, "/units/qn-bai-chay").await.0, 200, "{username} may read");
        assert_eq!(t.get(&c, "/units/qn-bai-chay/edit").await.0, 403, "{username}");
        assert_eq!(t.post(&c, "/units/qn-bai-chay/edit", &[("name", "X"), ("kind", "ward")]).await.0, 403);
        assert_eq!(t.get(&c, "/officers/new").await.0, 403, "{username}");
        assert_eq!(t.get(&c, "/audit").await.0, 403, "{username}");
        assert_eq!(t.post(&c, "/units/qn-bai-chay/zalo", &[("app_id", "1234")]).await.0, 403);
        assert_eq!(t.get(&c, "/units/qn-bai-chay/zalo").await.0, 403, "{username}");
        assert_eq!(t.post(&c, "/units/qn-bai-chay/zalo/verification", &[("site_code", "Code-12345678")]).await.0, 403);
        let (status, _) = t.post(&c, "/units/qn-bai-chay/move", &[("parent", "qn-hong-gai")]).await;
        assert!([403, 422].contains(&status));
        assert_eq!(t.post(&c, "/units/qn-bai-chay/boundary", &[("text", BOUNDARY)]).await.0, 403, "{username}");
        assert_eq!(t.post(&c, "/units/qn-bai-chay/boundary/remove", &[]).await.0, 403, "{username}");
    }
    assert_eq!(fingerprint(&t).await, before);
}

#[tokio::test]
async fn an_admin_cannot_remove_their_own_last_admin_role() {
    let t = TestApp::spawn().await;
    let hg = t.login("admin.honggai").await;
    let me = id_of(&t, "admin.honggai").await;
    let grant = grant_of(&t, "admin.honggai").await;
    let (status, _) = t.post(&hg, &format!("/officers/{me}/grants/{grant}/delete"), &[]).await;
    assert_eq!(status, 403);
    assert_eq!(t.get(&hg, "/units/qn-hong-gai").await.0, 200);
}

#[tokio::test]
async fn store_queries_filter_by_the_callers_subtree() {
    // Below HTTP: the storage layer itself returns nothing outside the scope.
    let t = TestApp::spawn().await;
    let hg = caunoi_core::staff::OfficerId(id_of(&t, "admin.honggai").await);
    let units = caunoi::units::store::list_in_scope(&t.app.db, hg).await.unwrap();
    assert_eq!(units.iter().map(|u| u.code.as_str()).collect::<Vec<_>>(), ["qn-hong-gai"]);
    assert!(caunoi::units::store::get_in_scope(&t.app.db, hg, "qn-bai-chay").await.unwrap().is_none());
    let officers = caunoi::staff::store::list_in_scope(&t.app.db, hg).await.unwrap();
    assert_eq!(officers.iter().map(|o| o.username.as_str()).collect::<Vec<_>>(), ["admin.honggai"]);
    let audit = caunoi::audit::store::list_for_admin(&t.app.db, hg, None, 100).await.unwrap();
    assert!(audit.iter().all(|e| e.unit_name.as_deref() == Some("Công an phường Hồng Gai")), "{audit:?}");
}
