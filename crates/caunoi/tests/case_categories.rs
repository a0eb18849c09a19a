//! The report categories screen (`/cases/categories`) through real HTTP, on the engine the suite
//! runs on: only the deployment's admin (an admin of the root unit) may read or change it; a
//! change shows at once in the web report form and in Open311's `services.json` (a category made
//! sensitive leaves Open311); every change is one audit sentence; bad input changes nothing.

use caunoi::db_read;
use caunoi::staff::service::{NewOfficerInput, create_officer};
use caunoi_testkit::{DEMO_PASSWORD, TestApp};
use serde_json::Value;

const UNIT: &str = "qn-bai-chay";

/// Makes the deployment's admin (admin of the demo's root unit, the ministry) and signs in.
async fn deployment_admin(t: &TestApp) -> reqwest::Client {
    let input = NewOfficerInput {
        username: "quantri.hethong".into(),
        display_name: "Quản trị hệ thống".into(),
        password: DEMO_PASSWORD.into(),
        role: "admin".into(),
        unit_code: "bo-cong-an".into(),
    };
    create_officer(&t.app, None, &input).await.expect("deployment admin");
    t.login("quantri.hethong").await
}

async fn stored(t: &TestApp, key: &str) -> (String, String, bool, String) {
    let db = &t.app.db;
    db_read!(db, pool => sqlx::query_as(
        "SELECT label_vi, sensitivity, enabled, questions FROM case_categories WHERE key = $1"
    )
    .bind(key)
    .fetch_one(pool)
    .await)
    .unwrap()
}

async fn audit_count(t: &TestApp) -> i64 {
    let db = &t.app.db;
    db_read!(db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'category_changed'")
        .fetch_one(pool)
        .await)
    .unwrap()
}

async fn open311_codes(t: &TestApp) -> Vec<String> {
    let body = reqwest::get(t.url("/open311/v2/services.json")).await.unwrap().text().await.unwrap();
    let v: Value = serde_json::from_str(&body).unwrap();
    v.as_array().unwrap().iter().map(|s| s["service_code"].as_str().unwrap().to_string()).collect()
}

/// The noise category's form as the page sends it, with `changes` applied.
fn noise_form(changes: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    let mut f = vec![
        ("label_vi", "Gây ồn ào, mất trật tự"),
        ("label_en", "Noise, disorder"),
        ("sensitivity", "public"),
        ("handling", "local"),
        ("legal_days", ""),
        ("q0_code", "source"),
        ("q0_label_vi", "Nguồn gây ồn"),
        ("q0_label_en", "Source of the noise"),
        ("q0_required", "1"),
        ("q0_choices", "karaoke | Hát karaoke, loa\nconstruction | Công trình\ngathering | Tụ tập\nother | Khác"),
        ("q1_code", ""),
        ("q1_label_vi", ""),
        ("q1_label_en", ""),
        ("q1_choices", ""),
    ];
    for (k, v) in changes {
        match f.iter_mut().find(|(name, _)| name == k) {
            Some(slot) => slot.1 = v,
            None => f.push((k, v)),
        }
    }
    f
}

#[tokio::test]
async fn only_the_deployment_admin_may_open_or_change_the_categories() {
    let t = TestApp::spawn().await;
    let before = stored(&t, "noise").await;
    for user in ["admin.qn", "lanhdao.qn", "phantich.qn", "admin.honggai", "trucban.baichay", "canbo.baichay"] {
        let c = t.login(user).await;
        for path in ["/cases/categories", "/cases/categories/noise", "/cases/categories/new"] {
            let (status, _) = t.get(&c, path).await;
            assert_eq!(status, 403, "{user} GET {path}");
        }
        let (status, _) = t.post(&c, "/cases/categories/noise/enabled", &[("enabled", "0")]).await;
        assert_eq!(status, 403, "{user} turning off");
        let (status, _) = t.post(&c, "/cases/categories/noise", &noise_form(&[("label_vi", "Đã đổi")])).await;
        assert_eq!(status, 403, "{user} editing");
        let (status, _) = t.post(&c, "/cases/categories/new", &noise_form(&[("key", "forest_fire")])).await;
        assert_eq!(status, 403, "{user} adding");
    }
    assert_eq!(stored(&t, "noise").await, before);
    assert_eq!(audit_count(&t).await, 0);

    let admin = deployment_admin(&t).await;
    let (_, root) = t.get(&admin, "/units/bo-cong-an").await;
    assert!(root.contains("href=\"/cases/categories\""), "the root unit's page links the screen");
    let (status, page) = t.get(&admin, "/cases/categories").await;
    assert_eq!(status, 200);
    assert!(page.contains("Gây ồn ào, mất trật tự") && page.contains("Tố giác tội phạm khác"), "{page}");
    let (status, _) = t.get(&admin, "/cases/categories/khong-co").await;
    assert_eq!(status, 404);
    // Cross-site posts are refused like every console form.
    let r = admin
        .post(t.url("/cases/categories/noise/enabled"))
        .header("origin", "https://evil.example")
        .header("sec-fetch-site", "cross-site")
        .form(&[("enabled", "0")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    assert!(stored(&t, "noise").await.2, "still on");
}

#[tokio::test]
async fn a_category_made_sensitive_leaves_open311_and_changes_show_in_the_report_form() {
    let t = TestApp::spawn().await;
    let admin = deployment_admin(&t).await;
    assert!(open311_codes(&t).await.contains(&"noise".to_string()));

    let form = noise_form(&[
        ("label_vi", "Tiếng ồn khu dân cư"),
        ("sensitivity", "sensitive"),
        ("q1_label_vi", "Tiếng ồn kéo dài bao lâu?"),
        ("q1_required", "1"),
    ]);
    let (status, body) = t.post(&admin, "/cases/categories/noise", &form).await;
    assert_eq!(status, 303, "{body}");
    let (name, sensitivity, _, questions) = stored(&t, "noise").await;
    assert_eq!((name.as_str(), sensitivity.as_str()), ("Tiếng ồn khu dân cư", "sensitive"));
    assert!(questions.contains("tieng_on_keo_dai_bao_lau"), "{questions}");
    assert!(!open311_codes(&t).await.contains(&"noise".to_string()), "a sensitive category is never in Open311");
    let (status, _) = t.get(&t.client(), "/open311/v2/services/noise.json").await;
    assert_eq!(status, 404);

    let (_, report) = t.get(&t.client(), &format!("/u/{UNIT}/bao-tin?loai=noise")).await;
    assert!(report.contains("Tiếng ồn khu dân cư") && report.contains("Tiếng ồn kéo dài bao lâu?"), "{report}");

    // Turned off: offered nowhere; back on and public: in Open311 again.
    let (status, _) = t.post(&admin, "/cases/categories/lost_property/enabled", &[("enabled", "0")]).await;
    assert_eq!(status, 303);
    assert!(!open311_codes(&t).await.contains(&"lost_property".to_string()));
    let (_, choices) = t.get(&t.client(), &format!("/u/{UNIT}/bao-tin")).await;
    assert!(!choices.contains("loai=lost_property"), "{choices}");
    t.post(&admin, "/cases/categories/lost_property/enabled", &[("enabled", "1")]).await;
    assert!(open311_codes(&t).await.contains(&"lost_property".to_string()));

    // A new category, then every change read back as sentences.
    let new = [
        ("key", "forest_fire"),
        ("label_vi", "Cháy rừng"),
        ("label_en", "Forest fire"),
        ("sensitivity", "public"),
        ("handling", "province"),
        ("urgent", "1"),
        ("legal_days", ""),
    ];
    let (status, body) = t.post(&admin, "/cases/categories/new", &new).await;
    assert_eq!(status, 303, "{body}");
    assert_eq!(stored(&t, "forest_fire").await.0, "Cháy rừng");
    let (_, audit) = t.get(&admin, "/audit").await;
    for sentence in [
        "Sửa loại tin báo noise (tên, mức độ nhạy cảm, câu hỏi thêm)",
        "Tắt loại tin báo lost_property",
        "Bật loại tin báo lost_property",
        "Thêm loại tin báo forest_fire",
    ] {
        assert!(audit.contains(sentence), "{sentence}: {audit}");
    }
    assert_eq!(audit_count(&t).await, 4);
}

#[tokio::test]
async fn bad_input_gets_a_vietnamese_message_and_changes_nothing() {
    let t = TestApp::spawn().await;
    let admin = deployment_admin(&t).await;
    let before = stored(&t, "noise").await;
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (noise_form(&[("label_vi", "   ")]), "Trường này không được để trống."),
        (noise_form(&[("q1_label_en", "How long?")]), "Câu hỏi 2 chưa có nội dung tiếng Việt."),
        (noise_form(&[("label_vi", "<script>alert(1)</script>")]), "Không được dùng ký tự"),
        (
            noise_form(&[
                ("q1_label_vi", "Một?"),
                ("q2_label_vi", "Hai?"),
                ("q3_label_vi", "Ba?"),
                ("q4_label_vi", "Bốn?"),
                ("q5_label_vi", "Năm?"),
                ("q6_label_vi", "Sáu?"),
            ]),
            "tối đa 6 câu hỏi thêm",
        ),
        (noise_form(&[("legal_days", "400")]), "Thời hạn giải quyết là số ngày từ 1 đến 60"),
    ];
    for (form, message) in cases {
        let (status, page) = t.post(&admin, "/cases/categories/noise", &form).await;
        assert_eq!(status, 422, "{message}");
        assert!(page.contains(message), "{message}: {page}");
        assert!(!page.contains("<script>alert"), "escaped");
        assert!(page.contains("<h1>Gây ồn ào, mất trật tự <code"), "the heading keeps the stored name: {page}");
    }
    let (status, page) = t.post(&admin, "/cases/categories/new", &noise_form(&[("key", "noise")])).await;
    assert_eq!(status, 422);
    assert!(page.contains("Mã «noise» đã có loại tin báo khác dùng"), "{page}");
    assert_eq!(stored(&t, "noise").await, before);
    assert_eq!(audit_count(&t).await, 0);
}

#[tokio::test]
async fn a_category_handled_by_the_province_goes_to_the_province_police() {
    use caunoi::cases::service::{NewCase, ReporterDetails, create};
    use caunoi_core::cases::{Channel, ReporterMode};
    let t = TestApp::spawn().await;
    let admin = deployment_admin(&t).await;
    let scope = t.scope("admin.qn").await;
    let bai_chay = caunoi::units::service::get(&t.app, &scope, UNIT).await.unwrap().id;
    let province = caunoi::units::service::get(&t.app, &scope, "quang-ninh").await.unwrap().id;
    let report = |category: &str| NewCase {
        channel: Channel::WebForm,
        received_by: bai_chay,
        category: category.into(),
        description: "Có người bán ma túy ở đầu ngõ.".into(),
        point: None,
        address: Some("tổ 3, phường Bãi Cháy".into()),
        place_unknown: false,
        occurred: None,
        attributes: Default::default(),
        mode: ReporterMode::Anonymous,
        reporter: ReporterDetails::default(),
        conversation: None,
        entered_by: None,
        urgent: false,
        own_alarm: false,
        media: vec![],
    };
    assert_eq!(create(&t.app, report("drugs")).await.unwrap().unit, bai_chay, "by default: the ward of the place");
    let form = [
        ("label_vi", "Ma túy"),
        ("label_en", "Drugs"),
        ("sensitivity", "sensitive"),
        ("handling", "province"),
        ("legal_days", "20"),
    ];
    let (status, body) = t.post(&admin, "/cases/categories/drugs", &form).await;
    assert_eq!(status, 303, "{body}");
    assert_eq!(create(&t.app, report("drugs")).await.unwrap().unit, province);
}

async fn stored_order(t: &TestApp) -> Vec<String> {
    let db = &t.app.db;
    db_read!(db, pool => sqlx::query_scalar("SELECT key FROM case_categories ORDER BY position, key")
        .fetch_all(pool)
        .await)
    .unwrap()
}

/// The order fingerprint the list page's move buttons send.
async fn shown_order(t: &TestApp, admin: &reqwest::Client) -> String {
    let (status, page) = t.get(admin, "/cases/categories").await;
    assert_eq!(status, 200);
    let at = page.find("name=\"order\" value=\"").expect("move buttons") + "name=\"order\" value=\"".len();
    page[at..at + page[at..].find('"').unwrap()].to_string()
}

/// The keys of `keys` in the order `page` first mentions them as `needle(key)`.
fn order_in(page: &str, keys: &[String], needle: impl Fn(&str) -> String) -> Vec<String> {
    let mut found: Vec<(usize, String)> =
        keys.iter().filter_map(|k| page.find(&needle(k)).map(|at| (at, k.clone()))).collect();
    found.sort();
    found.into_iter().map(|(_, k)| k).collect()
}

async fn move_one(t: &TestApp, admin: &reqwest::Client, key: &str, way: &str, order: &str) -> (u16, String) {
    t.post(admin, &format!("/cases/categories/{key}/move"), &[("way", way), ("order", order)]).await
}

#[tokio::test]
async fn a_category_moved_up_leads_every_list_citizens_and_officers_choose_from() {
    let t = TestApp::spawn().await;
    let admin = deployment_admin(&t).await;
    let start = stored_order(&t).await;
    let from = start.iter().position(|k| k == "noise").expect("noise is a default category");
    assert!(from >= 2, "noise starts further down: {start:?}");
    // Up, one place at a time, to the top; each move is one audit sentence.
    for _ in 0..from {
        let order = shown_order(&t, &admin).await;
        let (status, body) = move_one(&t, &admin, "noise", "up", &order).await;
        assert_eq!(status, 303, "{body}");
    }
    let now = stored_order(&t).await;
    let mut expected = start.clone();
    let noise = expected.remove(from);
    expected.insert(0, noise);
    assert_eq!(now, expected, "only noise moved, the others kept their order");
    assert_eq!(audit_count(&t).await, from as i64);
    let (_, audit) = t.get(&admin, "/audit").await;
    let sentence = format!("Đưa loại tin báo noise lên vị trí 1/{} trong danh sách người dân chọn", now.len());
    assert!(audit.contains(&sentence), "{sentence}: {audit}");

    // Every list follows: the web report form, Open311's services, the officers' new report
    // form and the screen itself.
    let (_, report) = t.get(&t.client(), &format!("/u/{UNIT}/bao-tin")).await;
    assert_eq!(order_in(&report, &now, |k| format!("loai={k}\""))[0], "noise", "{report}");
    assert_eq!(open311_codes(&t).await[0], "noise");
    let officer = t.login("canbo.baichay").await;
    let (_, new_case) = t.get(&officer, "/cases/new").await;
    assert_eq!(order_in(&new_case, &now, |k| format!("<option value=\"{k}\""))[0], "noise");
    let (_, screen) = t.get(&admin, "/cases/categories").await;
    assert_eq!(order_in(&screen, &now, |k| format!("id=\"cat-{k}\"")), now);

    // And down again, one place.
    let order = shown_order(&t, &admin).await;
    assert_eq!(move_one(&t, &admin, "noise", "down", &order).await.0, 303);
    assert_eq!(stored_order(&t).await[..2], [now[1].clone(), "noise".to_string()]);
}

#[tokio::test]
async fn a_refused_move_says_why_in_vietnamese_and_changes_nothing() {
    let t = TestApp::spawn().await;
    let admin = deployment_admin(&t).await;
    let start = stored_order(&t).await;
    let seen = shown_order(&t, &admin).await;
    let (first, last) = (start[0].as_str(), start[start.len() - 1].as_str());
    let cases = [
        ("khong_co", "up", seen.clone(), "Không có loại tin báo này nên thứ tự không đổi."),
        ("noise", "sideways", seen.clone(), "Hướng di chuyển không hợp lệ"),
        (first, "up", seen.clone(), "Loại tin báo này đã ở đầu danh sách."),
        (last, "down", seen.clone(), "Loại tin báo này đã ở cuối danh sách."),
        ("noise", "up", "0123456789abcdef".to_string(), "Thứ tự vừa được thay đổi ở nơi khác nên chưa di chuyển gì."),
        ("noise", "up", String::new(), "Thứ tự vừa được thay đổi ở nơi khác"),
    ];
    for (key, way, order, message) in cases {
        let (status, page) = move_one(&t, &admin, key, way, &order).await;
        assert_eq!(status, 422, "{key} {way}");
        assert!(page.contains(message), "{message}: {page}");
        assert!(page.contains("id=\"order-error\""), "shown on the list");
    }
    // Officers other than the deployment's admin: 403.
    for user in ["admin.qn", "trucban.baichay"] {
        let c = t.login(user).await;
        assert_eq!(move_one(&t, &c, "noise", "up", &seen).await.0, 403, "{user}");
    }
    assert_eq!(stored_order(&t).await, start);
    assert_eq!(audit_count(&t).await, 0);

    // Two admins move against the same order at once: one move is made, the other is told the
    // order changed; the list moved by exactly one place.
    let other = t.login("quantri.bca").await;
    let from = start.iter().position(|k| k == "noise").unwrap();
    let (a, b) = tokio::join!(move_one(&t, &admin, "noise", "up", &seen), move_one(&t, &other, "noise", "up", &seen));
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [303, 422], "{a:?} {b:?}");
    let now = stored_order(&t).await;
    assert_eq!(now.iter().position(|k| k == "noise").unwrap(), from - 1);
    assert_eq!(audit_count(&t).await, 1);
}
