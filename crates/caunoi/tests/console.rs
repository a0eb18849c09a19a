//! The officer console and the citizen page through real HTTP, on the engine the suite runs on
//! (SQLite, or PostgreSQL when `CAUNOI_TEST_DATABASE_URL` is set).

use caunoi::db_read;
use caunoi_testkit::{Options, TestApp};

async fn unit_hotline(t: &TestApp, code: &str) -> Option<String> {
    let db = &t.app.db;
    db_read!(db, pool => sqlx::query_scalar::<_, Option<String>>("SELECT hotline FROM units WHERE code = $1")
        .bind(code)
        .fetch_one(pool)
        .await)
    .unwrap()
}

async fn audit_actions(t: &TestApp) -> Vec<String> {
    let db = &t.app.db;
    db_read!(db, pool => sqlx::query_scalar::<_, String>("SELECT action FROM audit_log ORDER BY id").fetch_all(pool).await)
        .unwrap()
}

#[tokio::test]
async fn healthz_answers_ok_while_the_database_answers() {
    let t = TestApp::spawn().await;
    let (status, body) = t.get(&t.client(), "/healthz").await;
    assert_eq!((status, body.as_str()), (200, "ok"));
}

#[tokio::test]
async fn metrics_are_prometheus_text_with_request_counts() {
    let t = TestApp::spawn().await;
    let c = t.client();
    t.get(&c, "/healthz").await;
    let (status, body) = t.get(&c, "/metrics").await;
    assert_eq!(status, 200);
    assert!(body.contains("caunoi_http_requests_total"), "{body}");
    assert!(body.contains("route=\"/healthz\""), "{body}");
}

#[tokio::test]
async fn every_page_carries_strict_security_headers() {
    let t = TestApp::spawn().await;
    for path in ["/login", "/u/qn-bai-chay", "/nowhere", "/healthz"] {
        let r = t.client().get(t.url(path)).send().await.unwrap();
        let h = r.headers();
        let csp = h.get("content-security-policy").unwrap().to_str().unwrap();
        assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}");
        assert_eq!(h.get("referrer-policy").unwrap(), "no-referrer", "{path}");
        assert_eq!(h.get("x-content-type-options").unwrap(), "nosniff", "{path}");
        assert_eq!(h.get("cache-control").unwrap(), "no-store", "{path}");
        // Served over plain HTTP in tests: no HSTS.
        assert!(h.get("strict-transport-security").is_none());
    }
}

#[tokio::test]
async fn anonymous_visitor_is_sent_to_the_sign_in_page() {
    let t = TestApp::spawn().await;
    let r = t.client().get(t.url("/units/qn-bai-chay")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/login?next=/units/qn-bai-chay");
    let (status, body) = t.get(&t.client(), "/login").await;
    assert_eq!(status, 200);
    assert!(body.contains("Đăng nhập cán bộ"));
}

#[tokio::test]
async fn province_admin_sees_the_whole_province_tree() {
    let t = TestApp::spawn().await;
    let c = t.login("admin.qn").await;
    let (status, body) = t.get(&c, "/units").await;
    assert_eq!(status, 200);
    assert!(body.contains("Công an tỉnh Quảng Ninh"));
    assert!(body.contains("Công an đặc khu Cô Tô"));
    assert_eq!(body.matches("href=\"/units/qn-").count(), 28, "27 wards, communes and zones plus the team");
    // The Ministry lies above the admin's grant and stays hidden.
    assert!(!body.contains("href=\"/units/bo-cong-an\""));
}

#[tokio::test]
async fn wrong_password_is_refused_and_audited() {
    let t = TestApp::spawn().await;
    let (status, body) =
        t.post(&t.client(), "/login", &[("username", "admin.qn"), ("password", "wrong-password"), ("next", "/")]).await;
    assert_eq!(status, 422);
    assert!(body.contains("Tên đăng nhập hoặc mật khẩu không đúng."));
    assert!(audit_actions(&t).await.contains(&"sign_in_failed".to_string()));
}

#[tokio::test]
async fn account_is_locked_after_five_failed_sign_ins() {
    let t = TestApp::spawn().await;
    for _ in 0..5 {
        let (status, _) =
            t.post(&t.client(), "/login", &[("username", "canbo.baichay"), ("password", "nope-nope-nope")]).await;
        assert_eq!(status, 422);
    }
    let (status, body) = t
        .post(&t.client(), "/login", &[("username", "canbo.baichay"), ("password", caunoi_testkit::DEMO_PASSWORD)])
        .await;
    assert_eq!(status, 429, "even the right password waits while locked");
    assert!(body.contains("Vui lòng thử lại sau 15 phút"), "{body}");
    t.app.clock.advance(16 * 60);
    t.login("canbo.baichay").await;
}

#[tokio::test]
async fn parallel_wrong_passwords_are_counted_before_any_is_checked() {
    let t = TestApp::spawn().await;
    let attempts = (0..30).map(|_| async {
        t.post(&t.client(), "/login", &[("username", "canbo.baichay"), ("password", "nope-nope-nope")]).await.0
    });
    let statuses = futures::future::join_all(attempts).await;
    let checked = statuses.iter().filter(|s| **s == 422).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((checked, refused), (5, 25), "only the first five are checked: {statuses:?}");
    let (status, _) = t
        .post(&t.client(), "/login", &[("username", "canbo.baichay"), ("password", caunoi_testkit::DEMO_PASSWORD)])
        .await;
    assert_eq!(status, 429, "the right password sent after them waits too");
}

#[tokio::test]
async fn a_right_password_does_not_count_against_the_address() {
    let t = TestApp::spawn().await;
    // The address allows 20 failures; 25 successful sign-ins from it must not lock it.
    for _ in 0..25 {
        t.login("canbo.baichay").await;
    }
    let (status, _) =
        t.post(&t.client(), "/login", &[("username", "admin.qn"), ("password", caunoi_testkit::DEMO_PASSWORD)]).await;
    assert_eq!(status, 303);
}

#[tokio::test]
async fn session_ends_after_thirty_idle_minutes() {
    let t = TestApp::spawn().await;
    let c = t.login("admin.qn").await;
    assert_eq!(t.get(&c, "/units").await.0, 200);
    t.app.clock.advance(29 * 60);
    assert_eq!(t.get(&c, "/units").await.0, 200, "activity within 30 minutes keeps the session");
    t.app.clock.advance(31 * 60);
    assert_eq!(t.get(&c, "/units").await.0, 303);
}

#[tokio::test]
async fn session_cookie_is_http_only_and_same_site_lax() {
    let t = TestApp::spawn().await;
    let r = t
        .client()
        .post(t.url("/login"))
        .form(&[("username", "admin.qn"), ("password", caunoi_testkit::DEMO_PASSWORD)])
        .send()
        .await
        .unwrap();
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("caunoi_session="));
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain HTTP in tests");
}

#[tokio::test]
async fn sign_out_ends_the_session() {
    let t = TestApp::spawn().await;
    let c = t.login("admin.qn").await;
    let (status, _) = t.post(&c, "/logout", &[]).await;
    assert_eq!(status, 303);
    assert_eq!(t.get(&c, "/units").await.0, 303);
    assert!(audit_actions(&t).await.contains(&"sign_out".to_string()));
}

#[tokio::test]
async fn cross_site_form_posts_are_refused_and_change_nothing() {
    let t = TestApp::spawn().await;
    let c = t.login("admin.qn").await;
    let before = unit_hotline(&t, "qn-bai-chay").await;
    let r = c
        .post(t.url("/units/qn-bai-chay/edit"))
        .header("origin", "https://evil.example")
        .header("sec-fetch-site", "cross-site")
        .form(&[("name", "Hacked"), ("kind", "ward"), ("hotline", "0912345678")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(unit_hotline(&t, "qn-bai-chay").await, before);
}

fn edit_form<'a>(name: &'a str, hotline: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("name", name),
        ("kind", "ward"),
        ("address", "Số 1 đường Hạ Long, phường Bãi Cháy"),
        ("hotline", hotline),
        ("duty_phone", "0912 000 111"),
        ("hours_mon", "07:00-11:30, 13:30-17:00"),
        ("holidays", "2027-01-01"),
    ]
}

#[tokio::test]
async fn admin_edits_unit_details_and_the_public_page_shows_them() {
    let t = TestApp::spawn().await;
    let c = t.login("admin.qn").await;
    let (status, _) =
        t.post(&c, "/units/qn-bai-chay/edit", &edit_form("Công an phường Bãi Cháy", "0203 3999 888")).await;
    assert_eq!(status, 303);
    assert_eq!(unit_hotline(&t, "qn-bai-chay").await.as_deref(), Some("+842033999888"));
    let (_, page) = t.get(&t.client(), "/u/qn-bai-chay").await;
    assert!(page.contains("href=\"tel:+842033999888\""), "tap to call");
    assert!(page.contains("0203 3999 888"));
    let (_, unit) = t.get(&c, "/units/qn-bai-chay").await;
    assert!(unit.contains("Sửa thông tin") && unit.contains("Trần Quốc Hùng"), "history names the editor");
    assert!(audit_actions(&t).await.contains(&"unit_edited".to_string()));
}

#[tokio::test]
async fn invalid_unit_form_shows_field_errors_and_saves_nothing() {
    let t = TestApp::spawn().await;
    let c = t.login("admin.qn").await;
    let before = unit_hotline(&t, "qn-bai-chay").await;
    let mut form = edit_form("", "12ab");
    form.push(("hours_tue", "17:00-08:00"));
    form.push(("lat", "200"));
    form.push(("lon", "107"));
    let (status, body) = t.post(&c, "/units/qn-bai-chay/edit", &form).await;
    assert_eq!(status, 422);
    assert!(body.contains("Trường này không được để trống."));
    assert!(body.contains("Số điện thoại không hợp lệ"));
    assert!(body.contains("Giờ làm việc không hợp lệ"));
    assert!(body.contains("Tọa độ không hợp lệ"));
    assert!(body.contains("value=\"12ab\""), "what was typed is kept");
    assert_eq!(unit_hotline(&t, "qn-bai-chay").await, before);
}

#[tokio::test]
async fn hostile_text_is_escaped_on_every_page() {
    let t = TestApp::spawn().await;
    let c = t.login("admin.qn").await;
    let (status, _) = t.post(&c, "/units/qn-bai-chay/edit", &edit_form("<script>alert(1)</script>", "")).await;
    assert_eq!(status, 303);
    for (client, path) in [(&t.client(), "/u/qn-bai-chay"), (&c, "/units/qn-bai-chay"), (&c, "/units")] {
        let (_, body) = t.get(client, path).await;
        assert!(!body.contains("<script>alert(1)"), "{path}");
        assert!(body.contains("&#60;script&#62;alert(1)"), "{path}");
    }
}

#[tokio::test]
async fn admin_adds_an_officer_whose_role_covers_only_that_subtree() {
    let t = TestApp::spawn().await;
    let c = t.login("admin.qn").await;
    let form = [
        ("display_name", "Ngô Thị Mai"),
        ("username", "mai.tuanchau"),
        ("password", "mật khẩu đủ dài"),
        ("role", "leader"),
        ("unit_code", "qn-tuan-chau"),
    ];
    let (status, _) = t.post(&c, "/officers/new", &form).await;
    assert_eq!(status, 303);
    let mai = t.login_with("mai.tuanchau", "mật khẩu đủ dài").await;
    let (_, tree) = t.get(&mai, "/units").await;
    assert!(tree.contains("Công an phường Tuần Châu"));
    assert!(!tree.contains("Công an phường Bãi Cháy"));
    assert_eq!(t.get(&mai, "/units/qn-bai-chay").await.0, 404);
    // A leader edits their unit but manages no officers.
    assert_eq!(t.get(&mai, "/units/qn-tuan-chau/edit").await.0, 200);
    assert_eq!(t.get(&mai, "/officers/new").await.0, 403);
    let actions = audit_actions(&t).await;
    assert!(actions.contains(&"officer_created".into()) && actions.contains(&"grant_added".into()));
}

#[tokio::test]
async fn officer_form_reports_taken_username_and_weak_password() {
    let t = TestApp::spawn().await;
    let c = t.login("admin.qn").await;
    let form = [
        ("display_name", "X"),
        ("username", "canbo.baichay"),
        ("password", "short"),
        ("role", "officer"),
        ("unit_code", "qn-bai-chay"),
    ];
    let (status, body) = t.post(&c, "/officers/new", &form).await;
    assert_eq!(status, 422);
    assert!(body.contains("Mật khẩu cần ít nhất 10 ký tự."));
    let form = [
        ("display_name", "X"),
        ("username", "canbo.baichay"),
        ("password", "long enough password"),
        ("role", "officer"),
        ("unit_code", "qn-bai-chay"),
    ];
    let (status, body) = t.post(&c, "/officers/new", &form).await;
    assert_eq!(status, 422);
    assert!(body.contains("Tên đăng nhập đã có người dùng."));
}

#[tokio::test]
async fn a_new_unit_starts_with_office_hours_and_takes_coordinates_pasted_from_a_map() {
    let t = TestApp::spawn().await;
    let c = t.login("admin.qn").await;
    let (status, page) = t.get(&c, "/units/quang-ninh/new").await;
    assert_eq!(status, 200);
    assert_eq!(page.matches("value=\"07:30-11:30, 13:30-17:00\"").count(), 5, "Monday to Friday are filled in");
    let mut form = edit_form("Công an phường Mới", "113");
    form.retain(|(k, _)| !matches!(*k, "lat" | "lon"));
    form.extend([("code", "qn-moi"), ("lat", "20.9543, 107.0821"), ("lon", "")]);
    let (status, body) = t.post(&c, "/units/quang-ninh/new", &form).await;
    assert_eq!(status, 303, "{body}");
    let db = &t.app.db;
    let (lat, lon): (Option<f64>, Option<f64>) = db_read!(db, pool => sqlx::query_as(
        "SELECT lat, lon FROM units WHERE code = 'qn-moi'"
    ).fetch_one(pool).await)
    .unwrap();
    assert_eq!((lat, lon), (Some(20.9543), Some(107.0821)));
}

#[tokio::test]
async fn moving_a_unit_keeps_its_code_officers_and_history() {
    let t = TestApp::spawn().await;
    let c = t.login("admin.qn").await;
    // Give the team a sub-unit so the whole subtree must move.
    let mut form = edit_form("Đội PCCC khu vực Hạ Long", "114");
    form.retain(|(k, _)| *k != "kind");
    form.push(("kind", "team"));
    form.push(("code", "qn-pccc-ha-long"));
    assert_eq!(t.post(&c, "/units/qn-pccc/new", &form).await.0, 303);
    assert_eq!(t.post(&c, "/units/qn-pccc/move", &[("parent", "qn-hong-gai")]).await.0, 303);
    let db = &t.app.db;
    let paths: Vec<(String, String)> = db_read!(db, pool => sqlx::query_as(
        "SELECT code, path FROM units WHERE code IN ('qn-pccc', 'qn-pccc-ha-long', 'qn-hong-gai') ORDER BY code"
    ).fetch_all(pool).await)
    .unwrap();
    let hong_gai = &paths[0].1;
    assert!(paths[1].1.starts_with(hong_gai.as_str()), "{paths:?}");
    assert!(paths[2].1.starts_with(paths[1].1.as_str()), "the sub-unit moved along: {paths:?}");
    let (_, page) = t.get(&c, "/units/qn-pccc").await;
    assert!(page.contains("Chuyển từ Công an tỉnh Quảng Ninh đến Công an phường Hồng Gai"), "history keeps the move");
    assert!(audit_actions(&t).await.contains(&"unit_moved".into()));
    // The admin of Hồng Gai now sees the team.
    let hg = t.login("admin.honggai").await;
    assert_eq!(t.get(&hg, "/units/qn-pccc-ha-long").await.0, 200);
}

#[tokio::test]
async fn a_unit_cannot_move_under_its_own_sub_unit() {
    let t = TestApp::spawn().await;
    let c = t.login("admin.qn").await;
    let (status, body) = t.post(&c, "/units/qn-pccc/move", &[("parent", "qn-pccc")]).await;
    assert_eq!(status, 422);
    assert!(body.contains("Không thể chuyển đơn vị vào chính nó"));
}

#[tokio::test]
async fn public_page_offers_calls_and_qr_codes_for_phones() {
    let t = TestApp::spawn().await;
    let c = t.client();
    let (status, page) = t.get(&c, "/u/qn-bai-chay").await;
    assert_eq!(status, 200);
    assert!(page.contains("name=\"viewport\""));
    assert!(page.contains("href=\"tel:113\""));
    assert!(page.contains("Giờ làm việc") && page.contains("Thứ Hai"));
    assert!(page.contains("<svg"), "inline QR");
    assert!(page.contains(&format!("{}/u/qn-bai-chay/chat", t.app.config.public_url)));
    let r = c.get(t.url("/u/qn-bai-chay/qr.svg")).send().await.unwrap();
    assert_eq!(r.headers()["content-type"], "image/svg+xml");
    assert!(r.text().await.unwrap().contains("<svg"));
    let r = c.get(t.url("/u/qn-bai-chay/qr.png")).send().await.unwrap();
    assert_eq!(r.headers()["content-type"], "image/png");
    assert!(r.headers()["content-disposition"].to_str().unwrap().contains("qr-qn-bai-chay.png"));
    let png = r.bytes().await.unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    // Without a bound OA there is no Zalo QR.
    assert_eq!(t.get(&c, "/u/qn-bai-chay/qr.png?target=zalo").await.0, 404);
    assert_eq!(t.get(&c, "/u/no-such-unit").await.0, 404);
}

#[tokio::test]
async fn pages_switch_to_english() {
    let t = TestApp::spawn().await;
    let c = t.client();
    let r = c.get(t.url("/lang?to=en&back=/u/qn-bai-chay")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/u/qn-bai-chay");
    let (_, page) = t.get(&c, "/u/qn-bai-chay").await;
    assert!(page.contains("Opening hours") && page.contains("lang=\"en\""));
    // An open redirect is not possible.
    let r = c.get(t.url("/lang?to=vi&back=//evil.example")).send().await.unwrap();
    assert_eq!(r.headers()["location"], "/");
}

#[tokio::test]
async fn tabs_and_line_breaks_cannot_turn_a_redirect_off_site() {
    let t = TestApp::spawn().await;
    let c = t.client();
    // Browsers drop the tab: "/\t/evil.example" would be followed to //evil.example.
    for back in ["/%09/evil.example", "/%0a/evil.example", "/inbox%0d%0aSet-Cookie:%20x=1"] {
        let r = c.get(t.url(&format!("/lang?to=en&back={back}"))).send().await.unwrap();
        assert_eq!(r.status(), 303, "{back}");
        assert_eq!(r.headers()["location"], "/", "{back}");
    }
    // The sign-in form keeps only a path on this site as where to go next.
    let (status, page) = t.get(&c, "/login?next=/%09/evil.example").await;
    assert_eq!(status, 200);
    assert!(!page.contains("evil.example"), "the off-site target is dropped");
}

#[tokio::test]
async fn two_step_verification_enrols_and_then_guards_sign_in() {
    let t = TestApp::spawn().await;
    let c = t.login("admin.qn").await;
    let (_, page) = t.get(&c, "/account/totp").await;
    let secret = page.split("<code id=\"totp-secret\">").nth(1).unwrap().split('<').next().unwrap().to_string();
    let (status, body) = t.post(&c, "/account/totp", &[("secret", &secret), ("code", "000000")]).await;
    assert_eq!(status, 422, "a wrong code enables nothing");
    assert!(body.contains("Mã xác thực không đúng"));
    let now = t.app.clock.now_micros() / 1_000_000;
    let code = caunoi::staff::service::totp_code_now(&secret, now).unwrap();
    assert_eq!(t.post(&c, "/account/totp", &[("secret", &secret), ("code", &code)]).await.0, 303);
    // A new sign-in now needs the code.
    let fresh = t.client();
    let r = fresh
        .post(t.url("/login"))
        .form(&[("username", "admin.qn"), ("password", caunoi_testkit::DEMO_PASSWORD), ("next", "/units")])
        .send()
        .await
        .unwrap();
    assert!(r.headers()["location"].to_str().unwrap().starts_with("/login/totp"));
    assert_eq!(t.get(&fresh, "/units").await.0, 303, "half-signed-in is not signed in");
    assert_eq!(t.post(&fresh, "/login/totp", &[("code", "123456"), ("next", "/units")]).await.0, 422);
    let code = caunoi::staff::service::totp_code_now(&secret, t.app.clock.now_micros() / 1_000_000).unwrap();
    assert_eq!(t.post(&fresh, "/login/totp", &[("code", &code), ("next", "/units")]).await.0, 303);
    assert_eq!(t.get(&fresh, "/units").await.0, 200);
    assert!(audit_actions(&t).await.contains(&"totp_enabled".into()));
}

#[tokio::test]
async fn a_two_step_code_signs_in_once() {
    let t = TestApp::spawn().await;
    let c = t.login("admin.qn").await;
    let (_, page) = t.get(&c, "/account/totp").await;
    let secret = page.split("<code id=\"totp-secret\">").nth(1).unwrap().split('<').next().unwrap().to_string();
    let now = t.app.clock.now_micros() / 1_000_000;
    let code = caunoi::staff::service::totp_code_now(&secret, now).unwrap();
    assert_eq!(t.post(&c, "/account/totp", &[("secret", &secret), ("code", &code)]).await.0, 303);
    let half_signed_in = || async {
        let fresh = t.client();
        let form = [("username", "admin.qn"), ("password", caunoi_testkit::DEMO_PASSWORD), ("next", "/units")];
        fresh.post(t.url("/login")).form(&form).send().await.unwrap();
        fresh
    };
    let first = half_signed_in().await;
    assert_eq!(t.post(&first, "/login/totp", &[("code", &code), ("next", "/units")]).await.0, 303);
    // The same code again, by someone who saw it: refused like a wrong one.
    let second = half_signed_in().await;
    assert_eq!(t.post(&second, "/login/totp", &[("code", &code), ("next", "/units")]).await.0, 422);
    assert_eq!(t.get(&second, "/units").await.0, 303, "not signed in");
}

#[tokio::test]
async fn admins_must_enrol_two_step_verification_when_required() {
    let t = TestApp::spawn_with(Options { demo: true, require_totp_for_admins: true, ..Default::default() }).await;
    let admin = t.login("admin.qn").await;
    let r = admin.get(t.url("/units")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/account/totp");
    // Non-admins are not held up.
    let officer = t.login("canbo.baichay").await;
    assert_eq!(t.get(&officer, "/units").await.0, 200);
}

#[tokio::test]
async fn password_change_checks_the_current_password_and_ends_other_sessions() {
    let t = TestApp::spawn().await;
    let a = t.login("canbo.baichay").await;
    let b = t.login("canbo.baichay").await;
    let (status, body) =
        t.post(&a, "/account/password", &[("current_password", "wrong"), ("new_password", "một mật khẩu mới")]).await;
    assert_eq!(status, 422);
    assert!(body.contains("Mật khẩu hiện tại không đúng."));
    let form = [("current_password", caunoi_testkit::DEMO_PASSWORD), ("new_password", "một mật khẩu mới")];
    assert_eq!(t.post(&a, "/account/password", &form).await.0, 303);
    assert_eq!(t.get(&a, "/units").await.0, 200);
    assert_eq!(t.get(&b, "/units").await.0, 303, "the other session ended");
    t.login_with("canbo.baichay", "một mật khẩu mới").await;
}

#[tokio::test]
async fn audit_log_is_visible_to_admins_and_append_only() {
    let t = TestApp::spawn().await;
    let c = t.login("admin.qn").await;
    let (status, page) = t.get(&c, "/audit").await;
    assert_eq!(status, 200);
    assert!(page.contains("Đăng nhập") && page.contains("Tạo tài khoản cán bộ"));
    let db = &t.app.db;
    let update =
        caunoi::db_write!(db, pool => sqlx::query("UPDATE audit_log SET action = 'x'").execute(pool).await.map(|_| ()));
    assert!(update.is_err());
    let delete = caunoi::db_write!(db, pool => sqlx::query("DELETE FROM audit_log").execute(pool).await.map(|_| ()));
    assert!(delete.is_err(), "the database refuses to delete audit entries");
}

#[tokio::test]
async fn static_assets_are_served_from_the_binary() {
    let t = TestApp::spawn_with(Options::default()).await;
    let r = t.client().get(t.url("/static/app.css")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/css; charset=utf-8");
    assert!(r.headers().get("etag").is_some());
    let r = t.client().get(t.url("/static/vendor/htmx-2.0.11.min.js")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(t.get(&t.client(), "/static/../Cargo.toml").await.0, 404);
}

#[tokio::test]
async fn metrics_are_not_for_the_public() {
    let t = TestApp::spawn().await;
    // Forwarded by a reverse proxy on this machine: a request from the internet.
    let r = t.client().get(t.url("/metrics")).header("X-Forwarded-For", "203.0.113.9").send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert!(!r.text().await.unwrap().contains("caunoi_http_requests_total"));
    // A token is believed only when one is configured, and only the right one.
    use axum::http::{HeaderMap, HeaderValue, header};
    let peer: std::net::IpAddr = "198.51.100.7".parse().unwrap();
    let mut h = HeaderMap::new();
    assert!(!caunoi::web::metrics_allowed(None, peer, &h));
    h.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer s3cret-token"));
    assert!(!caunoi::web::metrics_allowed(None, peer, &h), "no token configured: no token accepted");
    assert!(caunoi::web::metrics_allowed(Some("s3cret-token"), peer, &h));
    assert!(!caunoi::web::metrics_allowed(Some("other-token"), peer, &h));
    assert!(caunoi::web::metrics_allowed(None, "127.0.0.1".parse().unwrap(), &HeaderMap::new()), "this machine");
}

#[tokio::test]
async fn a_live_pages_requests_after_the_session_ended_get_401_not_the_sign_in_page() {
    let t = TestApp::spawn().await;
    let nobody = t.client();
    let r = nobody.get(t.url("/inbox/list?queue=waiting")).header("X-Caunoi-Live", "1").send().await.unwrap();
    assert_eq!(r.status(), 401, "the page shows its sign-in prompt");
    let r = nobody.get(t.url("/inbox/events")).header("Accept", "text/event-stream").send().await.unwrap();
    assert_eq!(r.status(), 401, "the stream stops instead of streaming a sign-in page");
    let r = nobody.get(t.url("/inbox")).send().await.unwrap();
    let to = r.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert!(
        r.status().is_redirection() && to.starts_with("/login"),
        "a page someone opens still goes to the sign-in: {to}"
    );
}
