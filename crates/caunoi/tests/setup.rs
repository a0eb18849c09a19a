//! The first start of an empty installation through real HTTP, on the engine the suite runs on:
//! the one-time link, the setup form's checks, one transaction or nothing, one setup of two
//! posted at once, and the link closed for good afterwards (or from the start when officers
//! exist).

use caunoi::db_read;
use caunoi_testkit::{Options, TestApp};

async fn count(t: &TestApp, table: &str) -> i64 {
    let db = &t.app.db;
    let sql = match table {
        "units" => "SELECT COUNT(*) FROM units",
        "officers" => "SELECT COUNT(*) FROM officers",
        "role_grants" => "SELECT COUNT(*) FROM role_grants",
        "kb_entries" => "SELECT COUNT(*) FROM kb_entries",
        _ => unreachable!("a table of this test"),
    };
    db_read!(db, pool => sqlx::query_scalar(sql).fetch_one(pool).await).unwrap()
}

async fn empty() -> TestApp {
    TestApp::spawn_with(Options { demo: false, ..Default::default() }).await
}

/// The token of the link the server prints.
fn token(t: &TestApp) -> String {
    let link = caunoi::setup::link(&t.app);
    link.split("token=").nth(1).expect("a token in the link").to_string()
}

fn form<'a>(token: &'a str, code: &'a str, username: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("token", token),
        ("unit_name", "Công an tỉnh Quảng Ninh"),
        ("unit_kind", "province"),
        ("unit_code", code),
        ("display_name", "Nguyễn Văn An"),
        ("username", username),
        ("password", "mat-khau-rat-dai-2027"),
        ("password_again", "mat-khau-rat-dai-2027"),
        ("starter_kb", "yes"),
    ]
}

#[tokio::test]
async fn an_empty_installation_is_set_up_once_through_the_link() {
    let t = empty().await;
    let c = t.client();
    let token = token(&t);

    // The sign-in page says how to begin.
    let (status, login) = t.get(&c, "/login").await;
    assert_eq!(status, 200);
    assert!(login.contains("Cài đặt lần đầu"), "{login}");

    // Without the right token, no form and nothing changes.
    assert_eq!(t.get(&c, "/setup").await.0, 403);
    assert_eq!(t.get(&c, "/setup?token=0123456789abcdef0123456789abcdef").await.0, 403);
    let (status, _) = t.post(&c, "/setup", &form("wrong", "quang-ninh", "quantri.qn")).await;
    assert_eq!(status, 403);
    assert_eq!((count(&t, "units").await, count(&t, "officers").await), (0, 0));

    // The form, then hostile and mistaken fields: each named, nothing stored.
    let (status, page) = t.get(&c, &format!("/setup?token={token}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("Tài khoản quản trị") && page.contains(&token));
    // Switching to English comes back to the form, token and all.
    let r = c.get(t.url(&format!("/lang?to=en&back=/setup?token={token}"))).send().await.unwrap();
    assert_eq!(r.headers()["location"].to_str().unwrap(), format!("/setup?token={token}"));
    let (status, english) = t.get(&c, &format!("/setup?token={token}")).await;
    assert!(status == 200 && english.contains("First setup"), "{english}");
    let _ = c.get(t.url("/lang?to=vi&back=/")).send().await.unwrap();
    let mut bad = form(&token, "Quảng Ninh!", "A B");
    bad.retain(|(k, _)| *k != "password_again");
    bad.push(("password_again", "something-else-2027"));
    bad.retain(|(k, _)| *k != "unit_kind");
    bad.push(("unit_kind", "team"));
    let (status, page) = t.post(&c, "/setup", &bad).await;
    assert_eq!(status, 422, "{page}");
    for message in ["Hãy chọn cấp của đơn vị.", "Hai lần nhập mật khẩu không giống nhau.", "Chưa có gì được lưu."]
    {
        assert!(page.contains(message), "{message}: {page}");
    }
    assert!(!page.contains("mat-khau-rat-dai-2027"), "a refused form never shows the password again");
    assert!(page.contains("Công an tỉnh Quảng Ninh"), "what was typed is kept");
    // Markup typed into a refused form comes back escaped, never as markup.
    let script = "<script>alert(1)</script>";
    let mut hostile = form(&token, "x", "quantri.qn");
    hostile.retain(|(k, _)| *k != "unit_name");
    hostile.push(("unit_name", script));
    let (status, page) = t.post(&c, "/setup", &hostile).await;
    assert_eq!(status, 422, "a one-letter code is refused: {page}");
    assert!(!page.contains(script) && page.contains("&#60;script&#62;"), "{page}");
    assert_eq!((count(&t, "units").await, count(&t, "officers").await, count(&t, "kb_entries").await), (0, 0, 0));

    // The right form: one unit, one admin over it, the starter knowledge base, signed in.
    let r = c.post(t.url("/setup")).form(&form(&token, "quang-ninh", "quantri.qn")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let to = r.headers()["location"].to_str().unwrap().to_string();
    assert!(to.starts_with("/setup/done?unit=quang-ninh"), "{to}");
    assert_eq!((count(&t, "units").await, count(&t, "officers").await, count(&t, "role_grants").await), (1, 1, 1));
    let entries = count(&t, "kb_entries").await;
    assert!(entries > 50, "the starter knowledge base is loaded: {entries}");
    let (status, done) = t.get(&c, &to).await;
    assert_eq!(status, 200, "{done}");
    assert!(
        done.contains("Đã cài đặt xong") && done.contains("/units/quang-ninh/edit") && done.contains("/officers/new")
    );
    let (status, unit) = t.get(&c, "/units/quang-ninh").await;
    assert_eq!(status, 200);
    assert!(unit.contains("Công an tỉnh Quảng Ninh"));
    // The new admin signs in again like anyone, and the bot answers from the starter base.
    let again = t.login_with("quantri.qn", "mat-khau-rat-dai-2027").await;
    assert_eq!(t.get(&again, "/officers/new").await.0, 200);
    let db = &t.app.db;
    let audited: i64 = db_read!(db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'unit_created' AND detail = 'first_setup'").fetch_one(pool).await).unwrap();
    assert_eq!(audited, 1);

    // Closed for good: the same link, another form, the sign-in page.
    assert_eq!(t.get(&t.client(), &format!("/setup?token={token}")).await.0, 410);
    let (status, _) = t.post(&t.client(), "/setup", &form(&token, "other-top", "intruder")).await;
    assert_eq!(status, 410);
    assert_eq!((count(&t, "units").await, count(&t, "officers").await), (1, 1));
    assert!(!t.get(&t.client(), "/login").await.1.contains("Cài đặt lần đầu"));
}

#[tokio::test]
async fn of_two_setups_posted_at_once_exactly_one_is_applied() {
    let t = empty().await;
    let token = token(&t);
    let (a, b) = (t.client(), t.client());
    let fa = form(&token, "top-a", "quantri.a");
    let fb = form(&token, "top-b", "quantri.b");
    let (ra, rb) = tokio::join!(t.post(&a, "/setup", &fa), t.post(&b, "/setup", &fb));
    let mut statuses = [ra.0, rb.0];
    statuses.sort();
    assert_eq!(statuses, [303, 410], "one applied, the other told the server is set up");
    assert_eq!((count(&t, "units").await, count(&t, "officers").await, count(&t, "role_grants").await), (1, 1, 1));
}

#[tokio::test]
async fn without_the_starter_knowledge_base_nothing_is_imported() {
    let t = empty().await;
    let token = token(&t);
    let mut f = form(&token, "phuong-x", "quantri.x");
    f.retain(|(k, _)| *k != "starter_kb");
    f.retain(|(k, _)| *k != "unit_kind");
    f.push(("unit_kind", "ward"));
    let (status, body) = t.post(&t.client(), "/setup", &f).await;
    assert_eq!(status, 303, "{body}");
    assert_eq!(count(&t, "kb_entries").await, 0);
}

#[tokio::test]
async fn an_installation_with_officers_never_opens_the_link() {
    let t = TestApp::spawn().await;
    let token = token(&t);
    assert_eq!(t.get(&t.client(), &format!("/setup?token={token}")).await.0, 410);
    let units = count(&t, "units").await;
    let (status, _) = t.post(&t.client(), "/setup", &form(&token, "top-z", "quantri.z")).await;
    assert_eq!(status, 410);
    assert_eq!(count(&t, "units").await, units);
    assert!(!t.get(&t.client(), "/login").await.1.contains("Cài đặt lần đầu"));
}

#[tokio::test]
async fn the_setup_page_renders_the_same() {
    let t = empty().await;
    let token = token(&t);
    let (status, body) = t.get(&t.client(), &format!("/setup?token={token}")).await;
    assert_eq!(status, 200);
    let body = body.replace(&token, "[token]");
    let mut s = insta::Settings::clone_current();
    s.set_prepend_module_to_snapshot(false);
    s.set_omit_expression(true);
    s.set_description("GET /setup?token=… on an empty installation");
    s.bind(|| insta::assert_snapshot!("first_setup_page", body));
}
