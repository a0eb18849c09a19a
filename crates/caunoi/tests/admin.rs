//! The admin screens through real HTTP: the officer list with roles, units and status;
//! disabling and re-enabling an account; the one-time password reset link; knowledge-base
//! versions with their content, comparison and rollback; the review that never offers a "not
//! helpful" tap as a question; disconnecting a unit's Zalo OA; the audit log in sentences.
//! Every new action is tried by every role (the unit's admin may, others get 403 or 404, and a
//! refusal changes nothing). Runs on SQLite, and on PostgreSQL when `CAUNOI_TEST_DATABASE_URL`
//! is set.

use caunoi::db_read;
use caunoi::staff::service::{NewOfficerInput, create_officer};
use caunoi_testkit::{DEMO_PASSWORD, Options, TestApp};

async fn id_of(t: &TestApp, username: &str) -> i64 {
    let db = &t.app.db;
    db_read!(db, pool => sqlx::query_scalar("SELECT id FROM officers WHERE username = $1").bind(username).fetch_one(pool).await)
        .unwrap()
}

async fn is_disabled(t: &TestApp, username: &str) -> bool {
    let db = &t.app.db;
    db_read!(db, pool => sqlx::query_scalar("SELECT disabled FROM officers WHERE username = $1").bind(username).fetch_one(pool).await)
        .unwrap()
}

async fn sessions_of(t: &TestApp, username: &str) -> i64 {
    let db = &t.app.db;
    db_read!(db, pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM sessions s JOIN officers o ON o.id = s.officer_id WHERE o.username = $1"
    ).bind(username).fetch_one(pool).await)
    .unwrap()
}

async fn count(t: &TestApp, sql: &'static str) -> i64 {
    let db = &t.app.db;
    db_read!(db, pool => sqlx::query_scalar(sql).fetch_one(pool).await).unwrap()
}

async fn audit_count(t: &TestApp, action: &str) -> i64 {
    let db = &t.app.db;
    db_read!(db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = $1").bind(action).fetch_one(pool).await)
        .unwrap()
}

/// Adds `username` with `role` at `unit` (as the operator would with the CLI).
async fn add_officer(t: &TestApp, username: &str, role: &str, unit: &str) {
    let input = NewOfficerInput {
        username: username.into(),
        display_name: format!("Cán bộ {username}"),
        password: DEMO_PASSWORD.into(),
        role: role.into(),
        unit_code: unit.into(),
    };
    create_officer(&t.app, None, &input).await.expect("officer");
}

/// Whether a sign-in with `password` succeeds (303), else its status.
async fn sign_in_status(t: &TestApp, username: &str, password: &str) -> (u16, String) {
    let r = t
        .client()
        .post(t.url("/login"))
        .form(&[("username", username), ("password", password), ("next", "/units")])
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap_or_default())
}

/// The value of the read-only field `id` in a page.
fn field_value(body: &str, id: &str) -> String {
    let at = body.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no #{id} in the page"));
    let rest = &body[at..];
    let start = rest.find("value=\"").expect("a value") + 7;
    rest[start..start + rest[start..].find('"').unwrap()].replace("&#x2f;", "/").replace("&#47;", "/")
}

#[tokio::test]
async fn the_officer_list_shows_each_officers_roles_units_and_status() {
    let t = TestApp::spawn().await;
    let admin = t.login("admin.qn").await;
    let (status, body) = t.get(&admin, "/officers").await;
    assert_eq!(status, 200);
    let row = body.split("<tr>").skip(1).find(|r| r.contains("Đỗ Thu Hà")).expect("the duty officer's row");
    assert!(row.contains("Trực ban") && row.contains("Công an phường Bãi Cháy"), "{row}");
    assert!(row.contains("Đang hoạt động"), "{row}");
    let admin_row = body.split("<tr>").skip(1).find(|r| r.contains("Trần Quốc Hùng")).expect("the admin's row");
    assert!(admin_row.contains("Quản trị") && admin_row.contains("Công an tỉnh Quảng Ninh"), "{admin_row}");
    // Disabled accounts say so in the same column.
    let canbo = id_of(&t, "canbo.baichay").await;
    assert_eq!(t.post(&admin, &format!("/officers/{canbo}/disable"), &[("confirm", "yes")]).await.0, 303);
    let (_, body) = t.get(&admin, "/officers").await;
    let row = body.split("<tr>").skip(1).find(|r| r.contains("Vũ Hoàng Nam")).unwrap();
    assert!(row.contains("Đã khóa") && !row.contains("Đang hoạt động"), "{row}");
}

/// The account actions, by who tries them on `canbo.baichay` (officer at Bãi Cháy): Bãi Cháy's
/// own admin and the province admin may; the admin of a sibling ward does not even see the
/// officer (404); a leader, a duty officer and an analyst see but may not (403); nobody may act
/// on their own account.
#[tokio::test]
async fn account_actions_are_for_admins_over_every_unit_of_the_account() {
    let t = TestApp::spawn().await;
    add_officer(&t, "admin.baichay", "admin", "qn-bai-chay").await;
    let target = id_of(&t, "canbo.baichay").await;
    let cases: [(&str, u16); 6] = [
        ("admin.honggai", 404),
        ("lanhdao.qn", 403),
        ("trucban.baichay", 403),
        ("phantich.qn", 403),
        ("admin.baichay", 303),
        ("admin.qn", 303),
    ];
    for (who, expected) in cases {
        let c = t.login(who).await;
        let issued = audit_count(&t, "password_reset_issued").await;
        let (status, _) = t.post(&c, &format!("/officers/{target}/reset-link"), &[]).await;
        let made = audit_count(&t, "password_reset_issued").await - issued;
        if expected == 303 {
            assert_eq!((status, made), (200, 1), "{who} makes a reset link");
        } else {
            assert_eq!((status, made), (expected, 0), "{who} must not make a reset link");
        }
        let (status, _) = t.post(&c, &format!("/officers/{target}/disable"), &[("confirm", "yes")]).await;
        assert_eq!(status, expected, "{who} disabling");
        assert_eq!(is_disabled(&t, "canbo.baichay").await, expected == 303, "{who}");
        let (status, _) = t.post(&c, &format!("/officers/{target}/enable"), &[]).await;
        assert_eq!(status, expected, "{who} re-enabling");
        assert!(!is_disabled(&t, "canbo.baichay").await, "{who}");
        // The page shows the buttons only to who may use them.
        let (_, page) = t.get(&c, &format!("/officers/{target}")).await;
        assert_eq!(page.contains("id=\"account-actions\""), expected == 303, "{who}");
    }
    // Own account: never, even for the province admin.
    let admin = t.login("admin.qn").await;
    let me = id_of(&t, "admin.qn").await;
    assert_eq!(t.post(&admin, &format!("/officers/{me}/disable"), &[("confirm", "yes")]).await.0, 403);
    assert!(!is_disabled(&t, "admin.qn").await);
    // Someone who also works at Hồng Gai is out of Bãi Cháy's admin's reach, not of the province's.
    let scope = t.scope("admin.qn").await;
    caunoi::staff::service::add_grant(&t.app, &scope, caunoi_core::staff::OfficerId(target), "officer", "qn-hong-gai")
        .await
        .unwrap();
    let ward = t.login("admin.baichay").await;
    assert_eq!(t.post(&ward, &format!("/officers/{target}/disable"), &[("confirm", "yes")]).await.0, 403);
    assert!(!is_disabled(&t, "canbo.baichay").await);
    assert_eq!(t.post(&admin, &format!("/officers/{target}/disable"), &[("confirm", "yes")]).await.0, 303);
    assert!(is_disabled(&t, "canbo.baichay").await);
}

#[tokio::test]
async fn disabling_ends_the_officers_sessions_at_once_and_sign_in_is_refused_clearly() {
    let t = TestApp::spawn().await;
    let officer = t.login("canbo.baichay").await;
    assert_eq!(t.get(&officer, "/inbox").await.0, 200);
    let target = id_of(&t, "canbo.baichay").await;
    let admin = t.login("admin.qn").await;
    // Without the confirmation box nothing happens.
    let (status, body) = t.post(&admin, &format!("/officers/{target}/disable"), &[]).await;
    assert_eq!(status, 422);
    assert!(body.contains("xác nhận"), "{body}");
    assert!(!is_disabled(&t, "canbo.baichay").await);
    assert_eq!(t.get(&officer, "/inbox").await.0, 200);

    assert_eq!(t.post(&admin, &format!("/officers/{target}/disable"), &[("confirm", "yes")]).await.0, 303);
    assert_eq!(sessions_of(&t, "canbo.baichay").await, 0);
    let r = officer.get(t.url("/inbox")).send().await.unwrap();
    assert_eq!(r.status(), 303, "the open session is over");
    assert!(r.headers()["location"].to_str().unwrap().starts_with("/login"));
    // The right password hears that the account is disabled; a wrong one hears nothing more.
    let (status, body) = sign_in_status(&t, "canbo.baichay", DEMO_PASSWORD).await;
    assert_eq!(status, 403);
    assert!(body.contains("Tài khoản này đã bị khóa"), "{body}");
    let (status, body) = sign_in_status(&t, "canbo.baichay", "wrong password 123").await;
    assert_eq!(status, 422);
    assert!(body.contains("không đúng") && !body.contains("bị khóa"), "{body}");
    assert_eq!(audit_count(&t, "officer_disabled").await, 1);

    assert_eq!(t.post(&admin, &format!("/officers/{target}/enable"), &[]).await.0, 303);
    assert_eq!(sign_in_status(&t, "canbo.baichay", DEMO_PASSWORD).await.0, 303);
    assert_eq!(audit_count(&t, "officer_enabled").await, 1);
}

/// Makes a reset link for `canbo.baichay` as the province admin; returns its path.
async fn make_reset_link(t: &TestApp) -> String {
    let admin = t.login("admin.qn").await;
    let target = id_of(t, "canbo.baichay").await;
    let (status, body) = t.post(&admin, &format!("/officers/{target}/reset-link"), &[]).await;
    assert_eq!(status, 200, "{body}");
    let url = field_value(&body, "reset-url");
    let path = url[url.find("/password-reset/").expect("a reset path")..].to_string();
    assert!(url.starts_with(&t.app.config.public_url), "{url}");
    path
}

#[tokio::test]
async fn a_reset_link_sets_a_new_password_once_and_ends_every_session() {
    let t = TestApp::spawn().await;
    let officer = t.login("canbo.baichay").await;
    let path = make_reset_link(&t).await;
    let token = path.rsplit('/').next().unwrap().to_string();
    // Only the hash is stored.
    let db = &t.app.db;
    let stored: Vec<String> =
        db_read!(db, pool => sqlx::query_scalar("SELECT token_hash FROM password_resets").fetch_all(pool).await)
            .unwrap();
    assert_eq!(stored.len(), 1);
    assert!(!stored[0].contains(&token) && stored[0] != token);
    assert_eq!(audit_count(&t, "password_reset_issued").await, 1);

    let anon = t.client();
    let (status, page) = t.get(&anon, &path).await;
    assert_eq!(status, 200);
    assert!(page.contains("canbo.baichay") && page.contains("new_password"), "{page}");
    // Bad passwords: refused, the link still works, nothing changed.
    let (status, body) = t.post(&anon, &path, &[("new_password", "short"), ("repeat_password", "short")]).await;
    assert_eq!(status, 422);
    assert!(body.contains("ít nhất 10 ký tự"), "{body}");
    let (status, body) =
        t.post(&anon, &path, &[("new_password", "một mật khẩu mới"), ("repeat_password", "mật khẩu khác hẳn")]).await;
    assert_eq!(status, 422);
    assert!(body.contains("không giống nhau"), "{body}");
    assert_eq!(sign_in_status(&t, "canbo.baichay", DEMO_PASSWORD).await.0, 303, "old password still works");
    assert_eq!(t.get(&officer, "/inbox").await.0, 200);

    let new = "cầu nối mật khẩu mới 2026";
    let (status, body) = t.post(&anon, &path, &[("new_password", new), ("repeat_password", new)]).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Đã đặt mật khẩu mới"), "{body}");
    assert_eq!(sessions_of(&t, "canbo.baichay").await, 0, "every session ended");
    assert_eq!(officer.get(t.url("/inbox")).send().await.unwrap().status(), 303);
    assert_eq!(sign_in_status(&t, "canbo.baichay", new).await.0, 303);
    assert_eq!(sign_in_status(&t, "canbo.baichay", DEMO_PASSWORD).await.0, 422);
    assert_eq!(audit_count(&t, "password_reset").await, 1);

    // Used twice: a clear message, nothing changed.
    let (status, body) = t
        .post(&anon, &path, &[("new_password", "kẻ gian đặt lại 123"), ("repeat_password", "kẻ gian đặt lại 123")])
        .await;
    assert_eq!(status, 410);
    assert!(body.contains("đã được dùng"), "{body}");
    assert_eq!(t.get(&anon, &path).await.0, 410);
    assert_eq!(sign_in_status(&t, "canbo.baichay", new).await.0, 303, "the new password stands");
    assert_eq!(audit_count(&t, "password_reset").await, 1);
    // A made-up token is told apart from a used one.
    let (status, body) = t.get(&anon, "/password-reset/not-a-real-token").await;
    assert_eq!(status, 410);
    assert!(body.contains("không đúng"), "{body}");
}

#[tokio::test]
async fn a_reset_link_expires_after_a_day_and_a_newer_link_replaces_it() {
    let t = TestApp::spawn().await;
    let first = make_reset_link(&t).await;
    let second = make_reset_link(&t).await;
    let (status, body) = t.get(&t.client(), &first).await;
    assert_eq!(status, 410, "the older link was replaced");
    assert!(body.contains("liên kết mới hơn"), "{body}");
    assert_eq!(t.get(&t.client(), &second).await.0, 200);

    t.app.clock.advance(24 * 3600 + 1);
    let anon = t.client();
    let (status, body) = t.get(&anon, &second).await;
    assert_eq!(status, 410);
    assert!(body.contains("hết hạn"), "{body}");
    let new = "mật khẩu sau hạn 2026";
    let (status, _) = t.post(&anon, &second, &[("new_password", new), ("repeat_password", new)]).await;
    assert_eq!(status, 410);
    assert_eq!(sign_in_status(&t, "canbo.baichay", DEMO_PASSWORD).await.0, 303, "nothing changed");
    assert_eq!(audit_count(&t, "password_reset").await, 0);
}

#[tokio::test]
async fn a_disabled_account_gets_no_reset_link_and_disabling_voids_an_open_one() {
    let t = TestApp::spawn().await;
    let path = make_reset_link(&t).await;
    let admin = t.login("admin.qn").await;
    let target = id_of(&t, "canbo.baichay").await;
    assert_eq!(t.post(&admin, &format!("/officers/{target}/disable"), &[("confirm", "yes")]).await.0, 303);
    assert_eq!(t.get(&t.client(), &path).await.0, 410);
    let (status, body) = t.post(&admin, &format!("/officers/{target}/reset-link"), &[]).await;
    assert_eq!(status, 422);
    assert!(body.contains("đang bị khóa"), "{body}");
    assert_eq!(count(&t, "SELECT COUNT(*) FROM password_resets").await, 0);
}

// --- knowledge base -----------------------------------------------------------------------------

const ENTRY: &str = "can-cuoc.cap-lan-dau";

async fn unit_versions(t: &TestApp) -> Vec<(i64, String)> {
    let db = &t.app.db;
    db_read!(db, pool => sqlx::query_as(
        "SELECT v.id, v.change FROM kb_versions v JOIN units u ON u.id = v.unit_id \
         WHERE u.code = 'qn-bai-chay' AND v.entry_id = $1 ORDER BY v.id"
    ).bind(ENTRY).fetch_all(pool).await)
    .unwrap()
}

async fn answer_at_bai_chay(t: &TestApp) -> String {
    let scope = t.scope("admin.qn").await;
    let (_, eff) = caunoi::kb::service::effective_for(&t.app, &scope, "qn-bai-chay").await.unwrap();
    eff.entry(ENTRY).unwrap().answer.clone()
}

async fn save_answer(t: &TestApp, c: &reqwest::Client, answer: &str) {
    let scope = t.scope("admin.qn").await;
    let (_, eff) = caunoi::kb::service::effective_for(&t.app, &scope, "qn-bai-chay").await.unwrap();
    let e = eff.entry(ENTRY).unwrap().clone();
    let questions = e.questions.join("\n");
    let (status, body) = t
        .post(
            c,
            &format!("/kb/entry/{ENTRY}?unit=qn-bai-chay"),
            &[("title", &e.title), ("answer", answer), ("questions", &questions), ("verified", "on")],
        )
        .await;
    assert_eq!(status, 303, "{body}");
}

#[tokio::test]
async fn kb_versions_show_content_and_changes_and_a_rollback_writes_a_new_version() {
    let t = TestApp::spawn().await;
    let admin = t.login("admin.qn").await;
    save_answer(&t, &admin, "Lệ phí 14.000 đồng, nộp tại Công an phường Bãi Cháy.").await;
    save_answer(&t, &admin, "Lệ phí 15.000 đồng, nộp tại Công an phường Bãi Cháy.").await;
    let versions = unit_versions(&t).await;
    assert_eq!(versions.iter().map(|(_, c)| c.as_str()).collect::<Vec<_>>(), ["modify", "modify"]);
    let (first, second) = (versions[0].0, versions[1].0);

    // The history names its kinds in Vietnamese and links each version.
    let (_, page) = t.get(&admin, &format!("/kb/entry/{ENTRY}?unit=qn-bai-chay")).await;
    assert!(page.contains("Điều chỉnh cho đơn vị") && page.contains("Nội dung chung nhập từ tệp"), "{page}");
    assert!(!page.contains(">modify") && !page.contains(">imported"));
    assert!(page.contains(&format!("/kb/entry/{ENTRY}/versions/{second}?unit=qn-bai-chay")));

    // A version shows its content and what changed against the one before, word by word.
    let (status, page) = t.get(&admin, &format!("/kb/entry/{ENTRY}/versions/{second}?unit=qn-bai-chay")).await;
    assert_eq!(status, 200);
    assert!(page.contains("Lệ phí 15.000 đồng"), "content");
    assert!(page.contains("<del>14.000</del><ins>15.000</ins>"), "{page}");
    assert!(!page.contains("id=\"rollback\""), "the version in use offers no rollback");
    let (_, page) = t.get(&admin, &format!("/kb/entry/{ENTRY}/versions/{first}?unit=qn-bai-chay")).await;
    assert!(page.contains("id=\"rollback\""));

    // Rolling back writes a third version with the first one's content; the bot answers with it.
    let audits = audit_count(&t, "kb_rolled_back").await;
    let r = admin
        .post(t.url(&format!("/kb/entry/{ENTRY}/versions/{first}/rollback?unit=qn-bai-chay")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let versions = unit_versions(&t).await;
    assert_eq!(versions.len(), 3);
    assert_eq!(versions[2].1, "rollback:1");
    assert!(answer_at_bai_chay(&t).await.contains("14.000"));
    assert_eq!(audit_count(&t, "kb_rolled_back").await, audits + 1);
    let (_, page) = t.get(&admin, &format!("/kb/entry/{ENTRY}?unit=qn-bai-chay")).await;
    assert!(page.contains("Khôi phục phiên bản 1"), "{page}");

    // The version in use cannot be "restored" again: a clear message, nothing written.
    let third = versions[2].0;
    let (status, body) =
        t.post(&admin, &format!("/kb/entry/{ENTRY}/versions/{third}/rollback?unit=qn-bai-chay"), &[]).await;
    assert_eq!(status, 422);
    assert!(body.contains("đang dùng"), "{body}");
    assert_eq!(unit_versions(&t).await.len(), 3);
}

#[tokio::test]
async fn only_who_edits_the_units_knowledge_base_may_roll_back() {
    let t = TestApp::spawn().await;
    let admin = t.login("admin.qn").await;
    save_answer(&t, &admin, "Phiên bản một của câu trả lời.").await;
    save_answer(&t, &admin, "Phiên bản hai của câu trả lời.").await;
    let first = unit_versions(&t).await[0].0;
    let path = format!("/kb/entry/{ENTRY}/versions/{first}/rollback?unit=qn-bai-chay");
    for (who, expected) in
        [("admin.honggai", 404), ("canbo.baichay", 403), ("trucban.baichay", 403), ("phantich.qn", 403)]
    {
        let c = t.login(who).await;
        assert_eq!(t.post(&c, &path, &[]).await.0, expected, "{who}");
        assert_eq!(unit_versions(&t).await.len(), 2, "{who} changed nothing");
    }
    // A version of another unit is not found through this unit's page.
    let hg = t.login("admin.honggai").await;
    let path = format!("/kb/entry/{ENTRY}/versions/{first}/rollback?unit=qn-hong-gai");
    assert_eq!(t.post(&hg, &path, &[]).await.0, 404);
    assert_eq!(t.get(&hg, &format!("/kb/entry/{ENTRY}/versions/{first}?unit=qn-hong-gai")).await.0, 404);
    // The leader may (leaders edit the knowledge base).
    let leader = t.login("lanhdao.qn").await;
    let path = format!("/kb/entry/{ENTRY}/versions/{first}/rollback?unit=qn-bai-chay");
    assert_eq!(t.post(&leader, &path, &[]).await.0, 303);
    assert_eq!(unit_versions(&t).await.len(), 3);
}

#[tokio::test]
async fn the_review_never_offers_a_not_helpful_tap_as_an_example_question() {
    let t = TestApp::spawn().await;
    let db = &t.app.db;
    let unit = caunoi::units::service::locate(db, "qn-bai-chay").await.unwrap().unwrap().0;
    let mut tx = db.begin().await.unwrap();
    let rows = [
        caunoi::kb::store::NewUnanswered {
            unit, text: "👎 Chưa hữu ích", reason: "unhelpful", entry_id: Some(ENTRY)
        },
        caunoi::kb::store::NewUnanswered {
            unit,
            text: "làm căn cước cho con ở đâu",
            reason: "handed_off",
            entry_id: None,
        },
    ];
    caunoi::kb::service::log_unanswered(&mut tx, t.app.clock.now_micros(), &rows).await.unwrap();
    tx.commit().await.unwrap();
    let ids: Vec<(i64, String)> =
        db_read!(db, pool => sqlx::query_as("SELECT id, kind FROM kb_unanswered ORDER BY id").fetch_all(pool).await)
            .unwrap();
    let feedback = ids.iter().find(|(_, k)| k == "unhelpful").unwrap().0.to_string();
    let question = ids.iter().find(|(_, k)| k == "handed_off").unwrap().0.to_string();

    let admin = t.login("admin.qn").await;
    let (status, page) = t.get(&admin, "/kb/review").await;
    assert_eq!(status, 200);
    // The tap is listed as a rating of the entry, with a link to its answer...
    assert!(page.contains("Câu trả lời bị đánh giá chưa hữu ích"), "{page}");
    assert!(page.contains(&format!("/kb/entry/{ENTRY}?unit=qn-bai-chay")));
    // ...and no paraphrase form carries it; the question is offered as before.
    for form in page.split("<form").filter(|f| f.contains("/kb/review/paraphrase")) {
        let ids = form.split("name=\"ids\" value=\"").nth(1).unwrap().split('"').next().unwrap();
        assert!(!ids.split(',').any(|i| i == feedback), "feedback offered as a question: {form}");
    }
    assert!(!page.contains("“👎 Chưa hữu ích”"), "not shown as a question");
    assert!(page.contains("làm căn cước cho con ở đâu"));

    // Posting it anyway is refused with a reason and adds nothing to the entry.
    let before = answer_questions(&t).await;
    let (status, body) = t.post(&admin, "/kb/review/paraphrase", &[("ids", &feedback), ("entry_id", ENTRY)]).await;
    assert_eq!(status, 422);
    assert!(body.contains("không phải là câu hỏi"), "{body}");
    assert_eq!(answer_questions(&t).await, before);
    // Mixed with a real question, only the question becomes an example.
    let both = format!("{feedback},{question}");
    assert_eq!(t.post(&admin, "/kb/review/paraphrase", &[("ids", &both), ("entry_id", ENTRY)]).await.0, 303);
    let after = answer_questions(&t).await;
    assert!(after.iter().any(|q| q == "làm căn cước cho con ở đâu"));
    assert!(!after.iter().any(|q| q.contains("hữu ích")), "{after:?}");
}

async fn answer_questions(t: &TestApp) -> Vec<String> {
    let scope = t.scope("admin.qn").await;
    let (_, eff) = caunoi::kb::service::effective_for(&t.app, &scope, "qn-bai-chay").await.unwrap();
    eff.entry(ENTRY).unwrap().questions.clone()
}

// --- Zalo OA --------------------------------------------------------------------------------------

async fn oa_state(t: &TestApp, oa_id: &str) -> (String, i64) {
    let db = &t.app.db;
    let status: String =
        db_read!(db, pool => sqlx::query_scalar("SELECT status FROM zalo_oa_connections WHERE oa_id = $1")
        .bind(oa_id).fetch_one(pool).await)
        .unwrap();
    let tokens: i64 = db_read!(db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM oa_tokens WHERE oa_id = $1")
        .bind(oa_id).fetch_one(pool).await)
    .unwrap();
    (status, tokens)
}

#[tokio::test]
async fn disconnecting_the_oa_clears_its_tokens_and_the_public_page_stops_offering_it() {
    let t = TestApp::spawn_with(Options { demo: true, zalo: true, workers_off: true, ..Default::default() }).await;
    let oa = caunoi::demo::DEMO_OAS[1];
    assert_eq!(oa.unit, "qn-bai-chay");
    assert_eq!(oa_state(&t, oa.oa_id).await, ("connected".to_string(), 1));
    assert!(t.get(&t.client(), "/u/qn-bai-chay").await.1.contains(&format!("zalo.me/{}", oa.oa_id)));
    let path = "/units/qn-bai-chay/zalo/disconnect";
    // Who may not: nothing changes.
    for (who, expected) in
        [("admin.honggai", 404), ("lanhdao.qn", 403), ("trucban.baichay", 403), ("canbo.baichay", 403)]
    {
        let c = t.login(who).await;
        assert_eq!(t.post(&c, path, &[("confirm", "yes")]).await.0, expected, "{who}");
        assert_eq!(oa_state(&t, oa.oa_id).await, ("connected".to_string(), 1), "{who}");
    }
    let admin = t.login("admin.qn").await;
    // The page offers it behind a confirmation, and without the box ticked nothing happens.
    let (_, page) = t.get(&admin, "/units/qn-bai-chay/zalo").await;
    assert!(page.contains("id=\"zalo-disconnect\"") && page.contains("name=\"confirm\""));
    let (status, body) = t.post(&admin, path, &[]).await;
    assert_eq!(status, 422);
    assert!(body.contains("Chưa ngắt kết nối"), "{body}");
    assert_eq!(oa_state(&t, oa.oa_id).await, ("connected".to_string(), 1));

    let r = admin.post(t.url(path)).form(&[("confirm", "yes")]).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/units/qn-bai-chay/zalo?done=disconnected");
    assert_eq!(oa_state(&t, oa.oa_id).await, ("disconnected".to_string(), 0));
    let public = t.get(&t.client(), "/u/qn-bai-chay").await.1;
    assert!(!public.contains("zalo.me/"), "the dead OA is not advertised");
    let (_, page) = t.get(&admin, "/units/qn-bai-chay/zalo?done=disconnected").await;
    assert!(page.contains("Đã ngắt kết nối") && page.contains("id=\"zalo-disconnected\""), "{page}");
    assert_eq!(audit_count(&t, "channel_disconnected").await, 1);
    // Nothing is sent through it any more.
    let client = t.app.channels().zalo.client(&t.app, oa.oa_id).await;
    assert!(client.is_err(), "no client for a disconnected OA");
    // A later permission_revoked does not turn a deliberate disconnection into an alarm.
    caunoi::channels::zalo::service::mark_lost(&t.app, oa.oa_id, caunoi::channels::zalo::service::Lost::Revoked, "x")
        .await
        .unwrap();
    assert_eq!(oa_state(&t, oa.oa_id).await.0, "disconnected");
    // The audit log says it in a sentence.
    let (_, audit) = t.get(&admin, "/audit").await;
    assert!(audit.contains(&format!("Ngắt kết nối Zalo OA {} của đơn vị qn-bai-chay", oa.oa_id)), "{audit}");
}

#[tokio::test]
async fn the_audit_log_reads_as_sentences() {
    let t = TestApp::spawn().await;
    let admin = t.login("admin.qn").await;
    let target = id_of(&t, "canbo.baichay").await;
    let (status, _) = t
        .post(&admin, &format!("/officers/{target}/grants"), &[("role", "duty_officer"), ("unit_code", "qn-bai-chay")])
        .await;
    assert_eq!(status, 303);
    assert_eq!(t.post(&admin, &format!("/officers/{target}/disable"), &[("confirm", "yes")]).await.0, 303);
    let (status, page) = t.get(&admin, "/audit").await;
    assert_eq!(status, 200);
    assert!(page.contains("Nhật ký hoạt động") && !page.contains("Nhật ký kiểm tra"));
    assert!(page.contains("Cấp quyền trực ban cho canbo.baichay"), "{page}");
    assert!(page.contains("Khóa tài khoản của canbo.baichay"), "{page}");
    assert!(!page.contains("role=duty_officer") && !page.contains("bot settings"), "{page}");
}
