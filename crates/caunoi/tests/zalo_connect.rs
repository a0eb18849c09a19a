//! Connecting a unit's Zalo OA from the console, against the fake Zalo: the consent flow
//! (state bound to the admin's session and unit, PKCE verifier kept server-side, code
//! exchanged once), the pasted token pair, the live check, the status that stays true (revoked
//! permission, refused refresh, a day of silence), the public page that only advertises a
//! connected OA, and Zalo's domain verification at the site root. Runs on SQLite, and on
//! PostgreSQL when `CAUNOI_TEST_DATABASE_URL` is set.

use caunoi::db::Db;
use caunoi::db_read;
use caunoi::demo::DEMO_OAS;
use caunoi_testkit::{Options, TestApp, eventually};
use caunoi_zalo::fake::{Consent, Fault};
use std::collections::BTreeMap;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

/// Hồng Gai's OA: known to the fake, not connected at start. Its admin is `admin.honggai`.
fn spare() -> caunoi::demo::DemoOa {
    DEMO_OAS[2]
}

/// Bãi Cháy's OA, connected at start.
fn ward() -> caunoi::demo::DemoOa {
    DEMO_OAS[1]
}

async fn spawn() -> TestApp {
    TestApp::spawn_with(Options { demo: true, zalo: true, workers_off: true, ..Default::default() }).await
}

fn form(d: &caunoi::demo::DemoOa) -> Vec<(&'static str, &'static str)> {
    vec![("app_id", d.app_id), ("oa_id", d.oa_id), ("app_secret", d.app_secret), ("oa_secret_key", d.oa_secret_key)]
}

fn query_of(url: &str) -> BTreeMap<String, String> {
    reqwest::Url::parse(url).unwrap().query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

/// Posts "Kết nối với Zalo" and returns the consent page's URL it redirects to.
async fn press_connect(t: &TestApp, c: &reqwest::Client, unit: &str, form: &[(&str, &str)]) -> String {
    let r = c.post(t.url(&format!("/units/{unit}/zalo"))).form(form).send().await.unwrap();
    assert_eq!(r.status(), 303, "{:?}", r.text().await);
    r.headers()["location"].to_str().unwrap().to_string()
}

/// Plays the admin's browser on Zalo's consent page: returns the callback's path and query
/// on caunoi (the fake redirects to the configured public URL).
async fn consent(consent_url: &str) -> String {
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = http.get(consent_url).send().await.unwrap();
    assert_eq!(r.status(), 302, "{:?}", r.text().await);
    let back = reqwest::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
    format!("{}?{}", back.path(), back.query().unwrap_or(""))
}

async fn location_of(t: &TestApp, c: &reqwest::Client, path: &str) -> (u16, String, String) {
    let r = c.get(t.url(path)).send().await.unwrap();
    let status = r.status().as_u16();
    let location = r.headers().get("location").map(|l| l.to_str().unwrap().to_string()).unwrap_or_default();
    (status, location, r.text().await.unwrap_or_default())
}

async fn connection(t: &TestApp, unit: &str) -> Option<(String, String, String)> {
    let db = &t.app.db;
    db_read!(db, pool => sqlx::query_as(
        "SELECT c.oa_id, c.status, c.sealed_secrets FROM zalo_oa_connections c JOIN units u ON u.id = c.unit_id \
         WHERE u.code = $1"
    )
    .bind(unit)
    .fetch_optional(pool)
    .await)
    .unwrap()
}

async fn count(t: &TestApp, sql: &'static str) -> i64 {
    let db = &t.app.db;
    db_read!(db, pool => sqlx::query_scalar(sql).fetch_one(pool).await).unwrap()
}

async fn audit_count(t: &TestApp, action: &str) -> i64 {
    let db = &t.app.db;
    db_read!(db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = $1")
        .bind(action).fetch_one(pool).await)
    .unwrap()
}

#[tokio::test]
async fn an_admin_connects_the_oa_through_zalos_consent_page_with_pkce() {
    let t = spawn().await;
    let d = spare();
    let c = t.login("admin.honggai").await;
    let (status, page) = t.get(&c, "/units/qn-hong-gai/zalo").await;
    assert_eq!(status, 200);
    assert!(page.contains("Kết nối với Zalo") && page.contains("ID ứng dụng"), "Vietnamese labels");
    for english in
        ["(App ID)", "(OA ID)", "(App Secret Key)", "(OA Secret Key)", "(Access Token)", "aria-label=\"Callback URL\""]
    {
        assert!(!page.contains(english), "no English label {english} on the Vietnamese page");
    }
    assert!(page.contains(&format!("{}/zalo/callback", t.app.config.public_url)), "the callback URL to register");
    let (_, public) = t.get(&t.client(), "/u/qn-hong-gai").await;
    assert!(!public.contains("zalo.me/"), "nothing advertised before the OA is connected");

    let url = press_connect(&t, &c, "qn-hong-gai", &form(&d)).await;
    let zalo_base = t.zalo.as_ref().unwrap().base_url().to_string();
    assert!(url.starts_with(&format!("{zalo_base}/v4/oa/permission?")), "{url}");
    let q = query_of(&url);
    assert_eq!(q["app_id"], d.app_id);
    assert_eq!(q["redirect_uri"], format!("{}/zalo/callback", t.app.config.public_url));
    // Only the state's hash is stored; the PKCE verifier waits encrypted, server-side.
    let db = &t.app.db;
    let sealed: String = db_read!(db, pool => sqlx::query_scalar(
        "SELECT sealed FROM zalo_oauth_states WHERE state_hash = $1"
    ).bind(caunoi::crypto::token_hash(&q["state"])).fetch_one(pool).await)
    .unwrap();
    assert!(!sealed.contains(d.app_secret) && !url.contains("verifier"));
    let pending: serde_json::Value = serde_json::from_slice(&t.app.secrets.decrypt(&sealed).unwrap()).unwrap();
    let verifier = pending["code_verifier"].as_str().unwrap();
    assert_eq!(verifier.len(), 43);
    assert_eq!(caunoi_zalo::consent::code_challenge(verifier), q["code_challenge"]);

    let callback = consent(&url).await;
    assert!(callback.starts_with("/zalo/callback?code="), "{callback}");
    let (status, to, _) = location_of(&t, &c, &callback).await;
    assert_eq!((status, to.as_str()), (303, "/units/qn-hong-gai/zalo?done=connected"));
    let (oa, state, secrets) = connection(&t, "qn-hong-gai").await.expect("connected");
    assert_eq!((oa.as_str(), state.as_str()), (d.oa_id, "connected"));
    assert!(secrets.starts_with("v1:") && !secrets.contains(d.app_secret) && !secrets.contains(d.oa_secret_key));
    assert_eq!(count(&t, "SELECT COUNT(*) FROM zalo_oauth_states").await, 0, "the state is spent");
    assert_eq!(audit_count(&t, "channel_bound").await, 3, "two demo OAs at start, this one");

    let (_, page) = t.get(&c, "/units/qn-hong-gai/zalo?done=connected").await;
    assert!(page.contains("Đã kết nối Zalo OA"), "the outcome is said");
    assert!(page.contains("Công an phường Hồng Gai"), "the live check shows the OA's name from Zalo");
    assert!(page.contains(&format!("{}/channels/zalo/{}/webhook", t.app.config.public_url, d.oa_id)), "webhook URL");
    assert!(!page.contains(d.app_secret) && !page.contains("FAKE-OA-"), "no secret or token is shown");
    let (_, public) = t.get(&t.client(), "/u/qn-hong-gai").await;
    assert!(public.contains(&format!("https://zalo.me/{}", d.oa_id)), "advertised once connected");

    // The same callback again: the state was used once.
    let (status, _, body) = location_of(&t, &c, &callback).await;
    assert_eq!(status, 400);
    assert!(body.contains("Phiên kết nối đã hết hạn hoặc không hợp lệ"));
    // The connected OA's webhooks are accepted and its replies can be sent.
    let zalo = t.zalo.as_ref().unwrap();
    let delivery = zalo.user_sends_text(d.oa_id, "7712390045123980001", "xin chào").await.unwrap();
    assert_eq!(delivery.statuses, vec![Some(200)]);
}

#[tokio::test]
async fn a_state_of_another_session_unit_or_time_connects_nothing() {
    let t = spawn().await;
    let d = spare();
    let honggai = t.login("admin.honggai").await;
    // Unknown and malformed states.
    for path in ["/zalo/callback?code=x&oa_id=1&state=nope", "/zalo/callback", "/zalo/callback?state="] {
        let (status, _, body) = location_of(&t, &honggai, path).await;
        assert_eq!(status, 400, "{path}");
        assert!(body.contains("không hợp lệ"), "{path}");
    }
    let long = format!("/zalo/callback?code=x&state={}", "a".repeat(10_000));
    assert_eq!(location_of(&t, &honggai, &long).await.0, 400);

    // Another admin (who also manages the ward) brings back this admin's consent.
    let url = press_connect(&t, &honggai, "qn-hong-gai", &form(&d)).await;
    let callback = consent(&url).await;
    let province = t.login("admin.qn").await;
    assert_eq!(location_of(&t, &province, &callback).await.0, 400);
    // The state is spent by that attempt.
    assert_eq!(location_of(&t, &honggai, &callback).await.0, 400);

    // The same admin in another session (signed in again elsewhere).
    let url = press_connect(&t, &honggai, "qn-hong-gai", &form(&d)).await;
    let callback = consent(&url).await;
    let elsewhere = t.login("admin.honggai").await;
    assert_eq!(location_of(&t, &elsewhere, &callback).await.0, 400);

    // Too late: a consent lives 10 minutes.
    let url = press_connect(&t, &honggai, "qn-hong-gai", &form(&d)).await;
    let callback = consent(&url).await;
    t.app.clock.advance(11 * 60);
    assert_eq!(location_of(&t, &honggai, &callback).await.0, 400);

    assert_eq!(connection(&t, "qn-hong-gai").await, None, "nothing was connected");
}

/// A fault to inject, the form to post, the error kind expected, and a piece of its message.
type Refusal = (Option<Fault>, Vec<(&'static str, &'static str)>, &'static str, &'static str);

#[tokio::test]
async fn refusals_on_zalos_side_come_back_as_clear_messages_and_change_nothing() {
    let t = spawn().await;
    let d = spare();
    let zalo = t.zalo.as_ref().unwrap();
    let c = t.login("admin.honggai").await;
    let cases: Vec<Refusal> = vec![
        (
            Some(Fault::NextConsent { consent: Consent::Deny }),
            form(&d),
            "denied",
            "Bạn đã từ chối hoặc hủy việc cấp quyền",
        ),
        (
            Some(Fault::OauthError { code: -14002, message: "Invalid appId".into(), count: 1 }),
            form(&d),
            "app_id",
            "mã lỗi -14002",
        ),
        (
            Some(Fault::OauthError { code: -14003, message: "Invalid redirect uri".into(), count: 1 }),
            form(&d),
            "redirect_uri",
            "mã lỗi -14003",
        ),
        (
            None,
            {
                // The admin typed another OA id than the one Zalo grants access to.
                let mut f = form(&d);
                f[1] = ("oa_id", "2960384411273659999");
                f
            },
            "other_oa",
            "Zalo đã cấp quyền cho một OA khác",
        ),
        (
            None,
            {
                // A wrong App secret: Zalo refuses the exchange.
                let mut f = form(&d);
                f[2] = ("app_secret", "not-the-secret");
                f
            },
            "code",
            "Kiểm tra lại khóa bí mật của ứng dụng",
        ),
    ];
    for (fault, f, kind, message) in cases {
        if let Some(fault) = fault {
            zalo.inject(fault);
        }
        let url = press_connect(&t, &c, "qn-hong-gai", &f).await;
        let callback = consent(&url).await;
        let (status, to, _) = location_of(&t, &c, &callback).await;
        assert_eq!((status, to.clone()), (303, format!("/units/qn-hong-gai/zalo?error={kind}")));
        let (_, page) = t.get(&c, &to).await;
        assert!(page.contains(message), "{kind}: {page}");
        assert_eq!(connection(&t, "qn-hong-gai").await, None, "{kind} connected nothing");
        zalo.inject(Fault::Clear);
    }
    // A made-up error kind in the address shows nothing.
    let (_, page) = t.get(&c, "/units/qn-hong-gai/zalo?error=<script>").await;
    assert!(!page.contains("<script>") && !page.contains("zalo-problem"));
}

#[tokio::test]
async fn the_form_refuses_bad_input_in_vietnamese_and_stores_nothing() {
    let t = spawn().await;
    let c = t.login("admin.honggai").await;
    let long = "x".repeat(5000);
    let bad =
        [("app_id", "abc"), ("oa_id", "\"><script>x()</script>"), ("app_secret", ""), ("oa_secret_key", long.as_str())];
    let (status, page) = t.post(&c, "/units/qn-hong-gai/zalo", &bad).await;
    assert_eq!(status, 422);
    assert!(page.contains("ID ứng dụng là một dãy số") && page.contains("ID Official Account là một dãy số"));
    assert!(page.contains("Trường này không được để trống") && page.contains("Quá dài"));
    assert!(!page.contains("<script>x()"), "typed text is escaped");
    // Another unit's OA cannot be taken.
    let (status, page) = t.post(&c, "/units/qn-hong-gai/zalo", &form(&ward())).await;
    assert_eq!(status, 422);
    assert!(page.contains("đã được kết nối với đơn vị khác"));
    assert_eq!(count(&t, "SELECT COUNT(*) FROM zalo_oauth_states").await, 0);
    assert_eq!(connection(&t, "qn-hong-gai").await, None);
    // A ward's admin cannot reach another ward's connection, nor an officer without the role.
    assert_eq!(t.get(&c, "/units/qn-bai-chay/zalo").await.0, 404);
    assert_eq!(t.post(&c, "/units/qn-bai-chay/zalo", &form(&spare())).await.0, 404);
    let officer = t.login("canbo.baichay").await;
    assert_eq!(t.get(&officer, "/units/qn-bai-chay/zalo").await.0, 403);
}

#[tokio::test]
async fn a_pasted_token_pair_is_checked_with_zalo_before_it_is_saved() {
    let t = spawn().await;
    let d = spare();
    let c = t.login("admin.honggai").await;
    let mut f = form(&d);
    f.push(("access_token", "made-up-access-token"));
    f.push(("refresh_token", "made-up-refresh-token"));
    let (status, page) = t.post(&c, "/units/qn-hong-gai/zalo/tokens", &f).await;
    assert_eq!(status, 422);
    assert!(page.contains("Zalo không chấp nhận cặp mã này"), "{page}");
    assert_eq!(connection(&t, "qn-hong-gai").await, None);

    let (access, refresh) = (format!("FAKE-OA-AT-{}-0", d.oa_id), format!("FAKE-OA-RT-{}-0", d.oa_id));
    let mut f = form(&d);
    f.push(("access_token", &access));
    f.push(("refresh_token", &refresh));
    let (status, _) = t.post(&c, "/units/qn-hong-gai/zalo/tokens", &f).await;
    assert_eq!(status, 303);
    assert_eq!(connection(&t, "qn-hong-gai").await.map(|c| c.1).as_deref(), Some("connected"));
    let (_, page) = t.get(&c, "/units/qn-hong-gai/zalo").await;
    assert!(page.contains("Công an phường Hồng Gai") && page.contains("mã truy cập hoạt động"));
    // Reconnecting keeps the stored secrets when the fields are left empty.
    let (status, _) = t
        .post(
            &c,
            "/units/qn-hong-gai/zalo",
            &[("app_id", d.app_id), ("oa_id", d.oa_id), ("app_secret", ""), ("oa_secret_key", "")],
        )
        .await;
    assert_eq!(status, 303);
}

#[tokio::test]
async fn revoked_permission_disconnects_the_oa_and_tells_its_admins() {
    let t = spawn().await;
    let w = ward();
    let zalo = t.zalo.as_ref().unwrap();
    let (_, public) = t.get(&t.client(), "/u/qn-bai-chay").await;
    assert!(public.contains(&format!("https://zalo.me/{}", w.oa_id)));

    let delivery = zalo.revoke_permission(w.oa_id).await.unwrap();
    assert_eq!(delivery.statuses, vec![Some(200)]);
    assert_eq!(connection(&t, "qn-bai-chay").await.map(|c| c.1).as_deref(), Some("revoked"));
    assert_eq!(audit_count(&t, "channel_lost").await, 1);
    // A redelivery records nothing more.
    zalo.revoke_permission(w.oa_id).await.unwrap();
    assert_eq!(audit_count(&t, "channel_lost").await, 1);

    let admin = t.login("admin.qn").await;
    let (_, landing) = t.get(&admin, "/units").await;
    assert!(landing.contains("Zalo OA · Công an phường Bãi Cháy") && landing.contains("đã mất kết nối"));
    let (_, unit) = t.get(&admin, "/units/qn-bai-chay").await;
    assert!(unit.contains("id=\"zalo-lost\"") && unit.contains("đã bị thu hồi quyền"));
    let (_, page) = t.get(&admin, "/units/qn-bai-chay/zalo").await;
    assert!(page.contains("Quản trị viên OA đã thu hồi quyền"));
    let (_, audit) = t.get(&admin, "/audit").await;
    let lost = format!(
        "Zalo OA {} của đơn vị qn-bai-chay mất kết nối: quản trị viên OA đã thu hồi quyền trên Zalo",
        ward().oa_id
    );
    assert!(audit.contains(&lost), "{audit}");
    // Officers without the role see no call to action on the landing page.
    let officer = t.login("canbo.baichay").await;
    assert!(!t.get(&officer, "/units").await.1.contains("đã mất kết nối"));
    // Citizens are no longer sent to the OA.
    let (_, public) = t.get(&t.client(), "/u/qn-bai-chay").await;
    assert!(!public.contains("zalo.me/"));
    assert_eq!(t.get(&t.client(), "/u/qn-bai-chay/qr.png?target=zalo").await.0, 404);
    assert_eq!(t.get(&t.client(), "/u/qn-bai-chay/qr.svg?target=zalo").await.0, 404);
}

#[tokio::test]
async fn a_refused_token_refresh_asks_for_reconnection() {
    let t = spawn().await;
    let w = ward();
    let zalo = t.zalo.as_ref().unwrap();
    zalo.inject(Fault::ExpireAccessToken { oa_id: w.oa_id.into() });
    zalo.inject(Fault::OauthError { code: -14014, message: "Invalid refresh token".into(), count: 1 });
    let admin = t.login("admin.qn").await;
    assert_eq!(t.post(&admin, "/units/qn-bai-chay/zalo/check", &[]).await.0, 303);
    assert_eq!(connection(&t, "qn-bai-chay").await.map(|c| c.1).as_deref(), Some("refresh_failed"));
    assert_eq!(audit_count(&t, "channel_lost").await, 1);
    let (_, page) = t.get(&admin, "/units/qn-bai-chay/zalo").await;
    assert!(page.contains("Cần kết nối lại Zalo OA") && page.contains("Zalo đã từ chối gia hạn mã truy cập"));
    let (_, landing) = t.get(&admin, "/units").await;
    assert!(landing.contains("Kết nối lại"));
    // Reconnecting through the consent page makes it whole again.
    let url = press_connect(&t, &admin, "qn-bai-chay", &form(&w)).await;
    let callback = consent(&url).await;
    let (_, to, _) = location_of(&t, &admin, &callback).await;
    assert_eq!(to, "/units/qn-bai-chay/zalo?done=connected");
    assert_eq!(connection(&t, "qn-bai-chay").await.map(|c| c.1).as_deref(), Some("connected"));
    assert!(!t.get(&admin, "/units").await.1.contains("Kết nối lại"));
}

#[tokio::test]
async fn a_connected_oa_silent_for_a_day_gets_a_warning_until_zalo_writes() {
    let t = spawn().await;
    let w = ward();
    let admin = t.login("admin.qn").await;
    assert!(!t.get(&admin, "/units/qn-bai-chay/zalo").await.1.contains("id=\"zalo-quiet\""));
    t.app.clock.advance(25 * 3600);
    // (A day later the session has timed out: sign in again.)
    let admin = t.login("admin.qn").await;
    let (_, page) = t.get(&admin, "/units/qn-bai-chay/zalo").await;
    assert!(page.contains("id=\"zalo-quiet\"") && page.contains("Hơn 24 giờ"), "{page}");
    assert!(t.get(&admin, "/units").await.1.contains("chưa nhận sự kiện nào từ Zalo"));
    // Still connected for citizens.
    assert!(t.get(&t.client(), "/u/qn-bai-chay").await.1.contains("zalo.me/"));
    let zalo = t.zalo.as_ref().unwrap();
    zalo.user_sends_text(w.oa_id, "7712390045123980002", "alo").await.unwrap();
    eventually("the webhook is noted", WAIT, || async {
        let page = t.get(&admin, "/units/qn-bai-chay/zalo").await.1;
        (!page.contains("id=\"zalo-quiet\"")).then_some(())
    })
    .await;
    // Webhooks note the time at most once a minute per OA, not once each.
    let before: Option<i64> = {
        let db = &t.app.db;
        db_read!(db, pool => sqlx::query_scalar("SELECT last_webhook_at FROM zalo_oa_connections WHERE oa_id = $1")
            .bind(w.oa_id).fetch_one(pool).await)
        .unwrap()
    };
    t.app.clock.advance(10);
    zalo.user_sends_text(w.oa_id, "7712390045123980002", "alo lần hai").await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let after: Option<i64> = {
        let db = &t.app.db;
        db_read!(db, pool => sqlx::query_scalar("SELECT last_webhook_at FROM zalo_oa_connections WHERE oa_id = $1")
            .bind(w.oa_id).fetch_one(pool).await)
        .unwrap()
    };
    assert_eq!(before, after);
}

#[tokio::test]
async fn zalos_domain_verification_is_served_for_codes_admins_entered() {
    let t = spawn().await;
    let anon = t.client();
    let (status, to, _) = location_of(&t, &anon, "/").await;
    assert_eq!((status, to.as_str()), (303, "/units"), "without codes the root is the console");
    let code_a = "SeEEB8ES51jdZCu-hOfK5MQ3rGwAyW9ICpW";
    let code_b = "GTcnSB_B2MPytA1gfzecS7_abawJaaCMDJas";
    let province = t.login("admin.qn").await;
    let file_name = format!("zalo_verifier{code_a}.html");
    let (status, _) = t.post(&province, "/units/quang-ninh/zalo/verification", &[("site_code", &file_name)]).await;
    assert_eq!(status, 303);
    let honggai = t.login("admin.honggai").await;
    let meta = format!("<meta name=\"zalo-platform-site-verification\" content=\"{code_b}\" />");
    assert_eq!(t.post(&honggai, "/units/qn-hong-gai/zalo/verification", &[("site_code", &meta)]).await.0, 303);

    let r = anon.get(t.url(&format!("/zalo_verifier{code_a}.html"))).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let body = r.text().await.unwrap();
    assert!(body.contains(&format!("content=\"{code_a}\"")) && body.contains("zalo-platform-site-verification"));
    assert_eq!(t.get(&anon, &format!("/zalo_verifier{code_b}.html")).await.0, 200);
    for path in [
        "/zalo_verifierUnknownCode1234.html",
        "/zalo_verifier.html",
        "/nothing-here",
        "/zalo_verifier%3Cscript%3E.html",
    ] {
        assert_eq!(t.get(&anon, path).await.0, 404, "{path}");
    }
    let (status, root) = t.get(&anon, "/").await;
    assert_eq!(status, 200);
    for code in [code_a, code_b] {
        assert!(root.contains(&format!("<meta name=\"zalo-platform-site-verification\" content=\"{code}\">")));
    }
    assert!(root.contains("url=/units"), "people still land in the console");

    // Hostile input is refused and changes nothing; an empty code removes it.
    let (status, page) =
        t.post(&honggai, "/units/qn-hong-gai/zalo/verification", &[("site_code", "<script>alert(1)</script>")]).await;
    assert_eq!(status, 422);
    assert!(page.contains("Mã xác thực gồm") && !page.contains("<script>alert"));
    assert_eq!(t.get(&anon, &format!("/zalo_verifier{code_b}.html")).await.0, 200);
    assert_eq!(t.post(&honggai, "/units/qn-hong-gai/zalo/verification", &[("site_code", "")]).await.0, 303);
    assert_eq!(t.get(&anon, &format!("/zalo_verifier{code_b}.html")).await.0, 404);
    assert_eq!(count(&t, "SELECT COUNT(*) FROM zalo_site_verifications").await, 1);
}

#[tokio::test]
async fn an_oa_bound_in_the_units_table_moves_to_the_channels_table() {
    let (db, _dir, _pg) = database_before_0010().await;
    let sealed = "v1:sealed-secrets";
    let insert_units = "INSERT INTO units (id, code, kind, name, path, zalo_app_id, zalo_oa_id, zalo_secrets, created_at, updated_at) \
         VALUES (1, 'a', 'ward', 'A', '/1/', '11111', '22222', 'v1:sealed-secrets', 5, 7), \
                (2, 'b', 'ward', 'B', '/2/', '33333', '44444', 'v1:other', 5, 8), \
                (3, 'c', 'ward', 'C', '/3/', NULL, NULL, NULL, 5, 9)";
    let insert_tokens = "INSERT INTO oa_tokens (oa_id, unit_id, sealed_tokens, access_expires_at, refresh_expires_at, updated_at) \
         VALUES ('22222', 1, 'v1:t', 1, 2, 3)";
    match &db {
        Db::Sqlite(s) => {
            sqlx::raw_sql(insert_units).execute(&s.write).await.unwrap();
            sqlx::raw_sql(insert_tokens).execute(&s.write).await.unwrap();
        }
        Db::Postgres(p) => {
            sqlx::raw_sql(insert_units).execute(p).await.unwrap();
            sqlx::raw_sql(insert_tokens).execute(p).await.unwrap();
        }
    }
    db.migrate().await.unwrap();
    let rows: Vec<(i64, String, String, String, String, Option<i64>)> = db_read!(&db, pool => sqlx::query_as(
        "SELECT unit_id, app_id, oa_id, sealed_secrets, status, connected_at FROM zalo_oa_connections ORDER BY unit_id"
    ).fetch_all(pool).await)
    .unwrap();
    assert_eq!(
        rows,
        vec![
            (1, "11111".into(), "22222".into(), sealed.into(), "connected".into(), Some(7)),
            (2, "33333".into(), "44444".into(), "v1:other".into(), "awaiting_consent".into(), None),
        ]
    );
    let units: Vec<(i64, String)> =
        db_read!(&db, pool => sqlx::query_as("SELECT id, code FROM units ORDER BY id").fetch_all(pool).await).unwrap();
    assert_eq!(units.len(), 3, "every unit kept its id");
    // Foreign keys still point at the rebuilt table.
    let grants_ok = match &db {
        Db::Sqlite(s) => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM pragma_foreign_key_check")
            .fetch_one(&s.read)
            .await
            .map(|n| n == 0)
            .unwrap_or(false),
        Db::Postgres(_) => true,
    };
    assert!(grants_ok);
}

/// A database migrated up to 0009, i.e. with the OA binding still in `units`.
async fn database_before_0010() -> (Db, tempfile::TempDir, Option<caunoi_testkit::PgDatabase>) {
    let dir = tempfile::tempdir().unwrap();
    let pg = caunoi_testkit::fresh_pg_database().await;
    let url = match &pg {
        Some(p) => p.url.clone(),
        None => format!("sqlite://{}", dir.path().join("old.db").display()),
    };
    let db = Db::connect(&url).await.unwrap();
    let engine = if pg.is_some() { "postgres" } else { "sqlite" };
    let migrations = std::path::PathBuf::from(format!("{}/migrations/{engine}", env!("CARGO_MANIFEST_DIR")));
    let migrator = sqlx::migrate::Migrator::new(migrations).await.unwrap();
    match &db {
        Db::Sqlite(s) => migrator.run_to(9, &s.write).await.unwrap(),
        Db::Postgres(p) => migrator.run_to(9, p).await.unwrap(),
    }
    (db, dir, pg)
}

#[tokio::test]
async fn the_page_says_when_the_real_zalo_could_not_reach_the_public_address() {
    // Talking to the real Zalo hosts with the default public address (http on this machine).
    let real = TestApp::spawn().await;
    let c = real.login("admin.qn").await;
    let (status, page) = real.get(&c, "/units/qn-bai-chay/zalo").await;
    assert_eq!(status, 200);
    assert!(page.contains("id=\"zalo-public-url\"") && page.contains("Zalo chưa gọi được máy chủ này."), "{page}");
    // With a Zalo of our own (the demo's, the tests') there is nothing to warn about.
    let t = spawn().await;
    let c = t.login("admin.qn").await;
    let (_, page) = t.get(&c, "/units/qn-bai-chay/zalo").await;
    assert!(!page.contains("zalo-public-url"));
}
