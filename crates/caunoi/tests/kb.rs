//! The knowledge base in the application: the starter base loaded by the demo, per-unit
//! overrides that reach only the unit's subtree, versions, the live index rebuilt on every
//! change, export/import, and the unanswered-question review.

use caunoi_testkit::TestApp;
use caunoi_text::matcher::Decision;

fn path_of(t: &TestApp, code: &str) -> caunoi_core::units::UnitPath {
    let rt = tokio::runtime::Handle::current();
    let db = t.app.db.clone();
    let code = code.to_string();
    tokio::task::block_in_place(move || rt.block_on(caunoi::units::store::locate(&db, &code))).unwrap().unwrap().1
}

#[tokio::test(flavor = "multi_thread")]
async fn demo_loads_the_starter_base_and_answers_the_fee_question() {
    let t = TestApp::spawn().await;
    assert!(t.app.kb().base_len() >= 87);
    let d = t.app.kb().decide(&path_of(&t, "qn-bai-chay"), "lam cccd het bao nhieu tien");
    assert!(matches!(&d, Decision::Answer { id, .. } if id == "can-cuoc.le-phi"), "{d:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn officers_try_questions_and_see_the_bots_decision() {
    let t = TestApp::spawn().await;
    let c = t.login("canbo.baichay").await;
    let (status, page) = t.get(&c, "/kb?unit=qn-bai-chay&q=lam+cccd+het+bao+nhieu+tien").await;
    assert_eq!(status, 200);
    assert!(page.contains("Trả lời ngay bằng mục can-cuoc.le-phi"), "{page}");
    let (status, page) = t.get(&c, "/kb/entry/can-cuoc.le-phi?unit=qn-bai-chay").await;
    assert_eq!(status, 200);
    assert!(page.contains("Công an phường Bãi Cháy") || page.contains("Căn cước"));
    // An officer reads but does not edit.
    assert!(!page.contains("Điều chỉnh cho đơn vị"));
    assert_eq!(
        t.post(&c, "/kb/entry/can-cuoc.le-phi?unit=qn-bai-chay", &[("title", "x"), ("answer", "y")]).await.0,
        403
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_ward_override_reaches_only_that_ward_and_is_versioned() {
    let t = TestApp::spawn().await;
    let admin = t.login("admin.honggai").await;
    let base = t.app.kb().base_entry("can-cuoc.le-phi").unwrap();
    let new_answer = "Lệ phí cấp căn cước tại Công an phường Hồng Gai: theo quy định. Nộp tại quầy số 2.";
    let questions = base.questions.join("\n") + "\ncccd o hong gai bao nhieu tien";
    let form =
        [("title", base.title.as_str()), ("answer", new_answer), ("questions", questions.as_str()), ("verified", "on")];
    let (status, _) = t.post(&admin, "/kb/entry/can-cuoc.le-phi?unit=qn-hong-gai", &form).await;
    assert_eq!(status, 303);
    let hong_gai = t.app.kb().effective(&path_of(&t, "qn-hong-gai"));
    assert_eq!(hong_gai.entry("can-cuoc.le-phi").unwrap().answer, new_answer);
    assert!(
        hong_gai.entry("can-cuoc.le-phi").unwrap().questions.contains(&"cccd o hong gai bao nhieu tien".to_string())
    );
    let bai_chay = t.app.kb().effective(&path_of(&t, "qn-bai-chay"));
    assert_eq!(
        bai_chay.entry("can-cuoc.le-phi").unwrap().answer,
        base.answer,
        "a sibling ward keeps the shared answer"
    );
    assert_eq!(t.app.kb().base_entry("can-cuoc.le-phi").unwrap(), base, "the base is untouched");
    let (_, page) = t.get(&admin, "/kb/entry/can-cuoc.le-phi?unit=qn-hong-gai").await;
    assert!(page.contains("Phạm Văn Đức"), "the history names who changed it");
    assert!(page.contains("Nộp tại quầy số 2."));
    // The ward admin cannot touch another ward's knowledge base.
    let (status, _) = t.post(&admin, "/kb/entry/can-cuoc.le-phi?unit=qn-bai-chay", &form).await;
    assert_eq!(status, 404);
    // Dropping the change restores the shared entry.
    assert_eq!(t.post(&admin, "/kb/entry/can-cuoc.le-phi/restore?unit=qn-hong-gai", &[]).await.0, 303);
    assert_eq!(t.app.kb().effective(&path_of(&t, "qn-hong-gai")).entry("can-cuoc.le-phi").unwrap().answer, base.answer);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_province_change_reaches_every_ward_below() {
    let t = TestApp::spawn().await;
    let leader = t.login("lanhdao.qn").await;
    assert_eq!(t.post(&leader, "/kb/entry/can-cuoc.le-phi/hide?unit=quang-ninh", &[]).await.0, 303);
    for code in ["quang-ninh", "qn-bai-chay", "qn-co-to"] {
        assert!(t.app.kb().effective(&path_of(&t, code)).entry("can-cuoc.le-phi").is_none(), "{code}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_local_entry_is_answered_at_once_in_its_ward() {
    let t = TestApp::spawn().await;
    let admin = t.login("admin.honggai").await;
    let form = [
        ("category", "Thông tin địa phương"),
        ("title", "Chỗ gửi xe khi đến trụ sở"),
        ("answer", "Gửi xe miễn phí ở sân sau trụ sở {{TEN_DON_VI}}."),
        ("questions", "gửi xe ở đâu khi lên phường\ngui xe o dau khi len cong an phuong\nđể xe máy chỗ nào"),
    ];
    let (status, _) = t.post(&admin, "/kb/new?unit=qn-hong-gai", &form).await;
    assert_eq!(status, 303);
    let d = t.app.kb().decide(&path_of(&t, "qn-hong-gai"), "gui xe o dau khi len cong an phuong");
    assert!(id_is_local(&d), "{d:?}");
    let (_, page) = t.get(&admin, "/kb/entry/qn-hong-gai.cho-gui-xe-khi-den-tru-so?unit=qn-hong-gai").await;
    assert!(page.contains("Gửi xe miễn phí ở sân sau trụ sở Công an phường Hồng Gai."), "placeholders are filled");
    assert!(t.app.kb().effective(&path_of(&t, "qn-bai-chay")).entry("qn-hong-gai.cho-gui-xe-khi-den-tru-so").is_none());
    // Missing fields: nothing is saved.
    let (status, body) = t.post(&admin, "/kb/new?unit=qn-hong-gai", &[("title", ""), ("answer", "")]).await;
    assert_eq!(status, 422);
    assert!(body.contains("Trường này không được để trống."));
}

fn id_is_local(d: &Decision) -> bool {
    match d {
        Decision::Answer { id, .. } => id.starts_with("qn-hong-gai."),
        Decision::Clarify { candidates } => candidates.iter().any(|c| c.id.starts_with("qn-hong-gai.")),
        _ => false,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn export_is_the_import_format_and_is_audited() {
    let t = TestApp::spawn().await;
    let admin = t.login("admin.qn").await;
    let r = admin.get(t.url("/kb/export?unit=qn-bai-chay")).send().await.unwrap();
    assert_eq!(r.headers()["content-type"], "application/json");
    let json = r.text().await.unwrap();
    let entries = caunoi_core::kb::parse_kb_json(&json).expect("the export imports again");
    assert_eq!(entries.len(), t.app.kb().base_len());
    let (_, audit) = t.get(&admin, "/audit").await;
    let sentence = format!("Xuất kho hỏi đáp của đơn vị qn-bai-chay ({} mục)", entries.len());
    assert!(audit.contains(&sentence), "{audit}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_malformed_import_names_the_entry_and_imports_nothing() {
    let t = TestApp::spawn().await;
    let before = t.app.kb().base_len();
    let bad = r#"[{"id": "x.ok", "category": "C", "title": "T", "questions": ["q"], "answer": "a", "legal_basis": [], "source_urls": [], "verified": true},
                 {"id": "x.bad", "category": "C", "title": "", "questions": [], "answer": "a", "legal_basis": [], "source_urls": [], "verified": true}]"#;
    let err = caunoi::kb::service::import_base(&t.app, bad, None, "bad.json").await.unwrap_err().to_string();
    assert!(err.contains("x.bad"), "{err}");
    assert_eq!(t.app.kb().base_len(), before);
    assert!(t.app.kb().base_entry("x.ok").is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn unanswered_questions_are_grouped_and_become_paraphrases_in_two_clicks() {
    let t = TestApp::spawn().await;
    let (unit_id, _) = caunoi::units::store::locate(&t.app.db, "qn-bai-chay").await.unwrap().unwrap();
    let now = t.app.clock.now_micros();
    let texts = [
        "đổi cccd gắn chip ở phường mình mất mấy ngày",
        "doi cccd gan chip o phuong minh mat may ngay",
        "bao giờ có lịch tiêm phòng dại",
    ];
    let db = &t.app.db;
    let r: Result<(), caunoi::db::StoreError> = async {
        let mut tx = db.begin().await?;
        for text in texts {
            let masked = caunoi_text::normalize::mask_personal_data(text);
            caunoi::kb::store::log_unanswered(&mut tx, unit_id, now, &masked, "hand_off", None).await?;
        }
        tx.commit().await?;
        Ok(())
    }
    .await;
    r.unwrap();
    let leader = t.login("lanhdao.qn").await;
    let (_, page) = t.get(&leader, "/kb/review").await;
    assert_eq!(
        page.matches("class=\"card review-group\"").count(),
        2,
        "the two spellings of one question form one group"
    );
    let ids = page.split("name=\"ids\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    assert_eq!(ids.split(',').count(), 2, "the largest group comes first");
    let form = [("ids", ids.as_str()), ("entry_id", "can-cuoc.thoi-han-nhan-the")];
    assert_eq!(t.post(&leader, "/kb/review/paraphrase", &form).await.0, 303);
    let eff = t.app.kb().effective(&path_of(&t, "qn-bai-chay"));
    let questions = &eff.entry("can-cuoc.thoi-han-nhan-the").unwrap().questions;
    assert!(questions.contains(&texts[0].to_string()) && questions.contains(&texts[1].to_string()));
    let (_, page) = t.get(&leader, "/kb/review").await;
    assert_eq!(page.matches("class=\"card review-group\"").count(), 1, "the handled group is closed");
    // Another ward's admin does not see Bãi Cháy's questions.
    let hg = t.login("admin.honggai").await;
    let (_, page) = t.get(&hg, "/kb/review").await;
    assert!(!page.contains("gắn chip"));
}

/// A message that may be an emergency gets the numbers line from the bot and goes to the review
/// as "Có thể là tin khẩn cấp"; an officer of the unit says which it was, a refused label changes
/// nothing, another ward cannot label it, and the labelled message downloads (audited) and comes
/// out of the command line's export as an emergency set's item.
#[tokio::test(flavor = "multi_thread")]
async fn a_possible_emergency_is_labelled_in_the_review_and_exported() {
    const MESSAGE: &str = "nha hang xom chong danh vo lien tuc, toi bao ai";
    let t = TestApp::spawn().await;
    let citizen = t.client();
    assert_eq!(citizen.get(t.url("/u/qn-bai-chay/chat")).send().await.unwrap().status(), 200);
    let r = citizen
        .post(t.url("/u/qn-bai-chay/chat/messages"))
        .json(&serde_json::json!({ "text": MESSAGE }))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    let leader = t.login("lanhdao.qn").await;
    let page = caunoi_testkit::eventually("the message in the review", std::time::Duration::from_secs(20), || async {
        let (_, page) = t.get(&leader, "/kb/review").await;
        page.contains("Có thể là tin khẩn cấp").then_some(page)
    })
    .await;
    let group = page.split("class=\"card review-group\"").find(|g| g.contains("chong danh vo")).expect("its group");
    assert!(group.contains("action=\"/kb/review/emergency\""), "{group}");
    let ids = group.split("name=\"ids\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();

    let (status, body) = t.post(&leader, "/kb/review/emergency", &[("ids", &ids), ("label", "earthquake")]).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("Chọn loại tin khẩn cấp"), "{body}");
    let hg = t.login("admin.honggai").await;
    assert_eq!(t.post(&hg, "/kb/review/emergency", &[("ids", &ids), ("label", "violence")]).await.0, 404);
    let (_, page) = t.get(&leader, "/kb/review").await;
    assert!(page.contains("chong danh vo"), "a refused label changes nothing");

    assert_eq!(t.post(&leader, "/kb/review/emergency", &[("ids", &ids), ("label", "violence")]).await.0, 303);
    let (_, page) = t.get(&leader, "/kb/review").await;
    assert!(!page.contains("chong danh vo"), "the labelled message leaves the review");

    let r = leader.get(t.url("/kb/review/labels?unit=quang-ninh")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/json");
    let items: Vec<serde_json::Value> = serde_json::from_str(&r.text().await.unwrap()).expect("a JSON array");
    assert_eq!(items, vec![serde_json::json!({ "text": MESSAGE, "expected": "violence", "group": "real" })]);
    let (_, audit) = t.get(&t.login("admin.qn").await, "/audit").await;
    assert!(audit.contains("Tải các tin nhắn đã đánh dấu khẩn cấp hay không của đơn vị quang-ninh (1 tin)"), "{audit}");
    let (_, hg_labels) = t.get(&hg, "/kb/review/labels").await;
    assert_eq!(hg_labels.trim(), "[]", "another ward's download holds only its own messages");
    let all = caunoi::kb::service::safety_labels_json(&t.app, None).await.unwrap();
    assert!(all.contains("\"expected\":\"violence\""), "{all}");
}
