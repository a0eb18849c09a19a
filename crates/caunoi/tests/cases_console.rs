//! The officers' side of reported cases through real HTTP, on the engine the suite runs on
//! (SQLite, or PostgreSQL when `CAUNOI_TEST_DATABASE_URL` is set): no case, evidence or action
//! outside the officer's scope; the sealed identity only for the approved requester; status
//! moves along the rules (a refused move changes nothing); forwarding keeps the legal clock and
//! an unacknowledged forward comes back on the fake clock; a reply to a case made from a web
//! chat reaches that chat; the officer's entry of a phone-in; the board and the case page.

use caunoi::cases::service::{NewCase, ReporterDetails};
use caunoi::db_read;
use caunoi_core::cases::{Channel, ReporterMode};
use caunoi_testkit::TestApp;
use caunoi_testkit::webchat::WebCitizen;
use serde_json::Value;

const WARD: &str = "qn-bai-chay";
const OTHER_WARD: &str = "qn-hong-gai";
/// Officer, duty officer of the ward; admin of the other ward; leader and analyst of the province.
const OFFICER: &str = "canbo.baichay";
const DUTY: &str = "trucban.baichay";
const OTHER: &str = "admin.honggai";
const LEADER: &str = "lanhdao.qn";
const ANALYST: &str = "phantich.qn";

async fn unit_id(t: &TestApp, code: &str) -> i64 {
    let db = &t.app.db;
    db_read!(db, pool => sqlx::query_scalar("SELECT id FROM units WHERE code = $1").bind(code).fetch_one(pool).await)
        .unwrap()
}

fn report(unit: i64, category: &str, mode: ReporterMode) -> NewCase {
    NewCase {
        channel: Channel::Officer,
        received_by: caunoi_core::units::UnitId(unit),
        category: category.into(),
        description: "Có người lạ cạy cửa nhà số 5 lúc nửa đêm.".into(),
        point: Some((20.9600, 107.0420)),
        address: Some("Tổ 3, khu 1, phường Bãi Cháy".into()),
        place_unknown: false,
        occurred: Some("khoảng 0 giờ".into()),
        attributes: if category == "noise" {
            [("source".to_string(), "karaoke".to_string())].into_iter().collect()
        } else {
            Default::default()
        },
        mode,
        reporter: ReporterDetails {
            name: Some("Nguyễn Bí Mật".into()),
            phone: Some("+84911222333".into()),
            contact: None,
        },
        conversation: None,
        entered_by: None,
        urgent: false,
        own_alarm: false,
        media: Vec::new(),
    }
}

async fn make(t: &TestApp, unit: &str, category: &str, mode: ReporterMode) -> (i64, String) {
    let u = unit_id(t, unit).await;
    let mut new = report(u, category, mode);
    if unit != WARD {
        // The report's place is in the Bãi Cháy ward, where routing by place would send it.
        new.point = None;
        new.address = None;
    }
    let c = caunoi::cases::service::create(&t.app, new).await.expect("case");
    assert_eq!(c.unit.0, u, "stays at the unit that received it");
    (c.id.0, c.code.to_string())
}

/// unit id, status, received_at, legal_days, legal_extended_to, suspended_micros, ack_due_at
type CaseState = (i64, String, i64, Option<i64>, Option<i64>, i64, Option<i64>);

async fn state(t: &TestApp, id: i64) -> CaseState {
    let db = &t.app.db;
    db_read!(db, pool => sqlx::query_as(
        "SELECT unit_id, status, received_at, legal_days, legal_extended_to, suspended_micros, ack_due_at \
         FROM cases WHERE id = $1"
    ).bind(id).fetch_one(pool).await)
    .unwrap()
}

async fn events(t: &TestApp, id: i64) -> Vec<(String, String)> {
    let db = &t.app.db;
    db_read!(db, pool => sqlx::query_as("SELECT kind, text FROM case_events WHERE case_id = $1 ORDER BY id")
        .bind(id).fetch_all(pool).await)
    .unwrap()
}

fn kinds(e: &[(String, String)]) -> Vec<&str> {
    e.iter().map(|(k, _)| k.as_str()).collect()
}

async fn audit_actions(t: &TestApp, code: &str) -> Vec<String> {
    let db = &t.app.db;
    db_read!(db, pool => sqlx::query_scalar("SELECT action FROM audit_log WHERE target = $1 ORDER BY id")
        .bind(code).fetch_all(pool).await)
    .unwrap()
}

/// Every action of the case page, with a form that would be accepted in scope.
fn actions() -> Vec<(&'static str, Vec<(&'static str, &'static str)>)> {
    vec![
        ("acknowledge", vec![]),
        ("status", vec![("status", "verifying"), ("outcome", "")]),
        ("note", vec![("note", "ghi chú")]),
        ("reply", vec![("text", "Công an phường đã nhận tin.")]),
        ("assign", vec![("officer", "1")]),
        ("extend", vec![("until", "2099-01-01"), ("reason", "cần thêm thời gian xác minh")]),
        ("suspend", vec![("reason", "chờ kết quả giám định")]),
        ("resume", vec![("reason", "đã có kết quả giám định")]),
        ("merge", vec![("primary", "TB-0000-0000")]),
        ("forward", vec![("unit", "qn-ha-long"), ("reason", "thuộc địa bàn phường Hạ Long")]),
        ("identity/request", vec![("reason", "cần xác minh với người báo tin")]),
        ("identity/decide", vec![("request", "1"), ("decision", "approve"), ("reason", "đồng ý")]),
        ("identity/view", vec![]),
    ]
}

#[tokio::test]
async fn officers_outside_the_cases_unit_get_not_found_for_the_case_its_media_and_every_action() {
    let t = TestApp::spawn().await;
    let (id, code) = make(&t, WARD, "theft", ReporterMode::Sealed).await;
    let before = (state(&t, id).await, events(&t, id).await.len());

    for who in [OFFICER, LEADER] {
        let c = t.login(who).await;
        let (status, page) = t.get(&c, &format!("/cases/{id}")).await;
        assert_eq!(status, 200, "{who} works the ward's cases");
        assert!(page.contains(&code));
        let (_, board) = t.get(&c, "/cases").await;
        assert!(board.contains(&code), "{who} sees it on the board");
    }
    let other = t.login(OTHER).await;
    let (_, board) = t.get(&other, "/cases?view=all").await;
    assert!(!board.contains(&code), "another ward's board does not list it");
    let analyst = t.login(ANALYST).await;
    assert_eq!(t.get(&analyst, "/cases").await.0, 404, "analysts read statistics only");
    let before_reads = (state(&t, id).await, events(&t, id).await.len());
    for (who, c) in [(OTHER, &other), (ANALYST, &analyst)] {
        assert_eq!(t.get(c, &format!("/cases/{id}")).await.0, 404, "{who}: the case");
        assert_eq!(t.get(c, &format!("/cases/{id}/media/1")).await.0, 404, "{who}: its media");
        for (action, form) in actions() {
            let (status, body) = t.post(c, &format!("/cases/{id}/{action}"), &form).await;
            assert_eq!(status, 404, "{who}: {action}");
            assert!(!body.contains("Nguyễn Bí Mật"));
        }
    }
    assert_eq!(state(&t, id).await, before.0, "nothing changed");
    assert_eq!(events(&t, id).await.len(), before_reads.1, "no event from outside");
    assert!(before_reads.1 >= before.1);
    assert_eq!(t.get(&other, "/cases/999999").await.0, 404, "a missing case looks the same");
}

#[tokio::test]
async fn the_sealed_identity_is_shown_only_to_the_requester_after_a_leaders_approval() {
    let t = TestApp::spawn().await;
    let (id, code) = make(&t, WARD, "drugs", ReporterMode::Sealed).await;
    let officer = t.login(OFFICER).await;
    let duty = t.login(DUTY).await;
    let leader = t.login(LEADER).await;

    let (status, page) = t.get(&officer, &format!("/cases/{id}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("Danh tính được bảo mật") && !page.contains("Nguyễn Bí Mật") && !page.contains("911222333"));
    let (status, body) = t.post(&officer, &format!("/cases/{id}/identity/view"), &[]).await;
    assert_eq!(status, 403, "no request, no identity");
    assert!(!body.contains("Nguyễn Bí Mật"));

    let (status, body) = t.post(&officer, &format!("/cases/{id}/identity/request"), &[("reason", "gọi")]).await;
    assert_eq!(status, 422, "a reason of at least 10 characters");
    assert!(body.contains("ít nhất 10 ký tự"));
    let (status, _) = t
        .post(
            &officer,
            &format!("/cases/{id}/identity/request"),
            &[("reason", "Cần gọi lại người báo để xác minh địa điểm")],
        )
        .await;
    assert_eq!(status, 303);
    let request: i64 = {
        let db = &t.app.db;
        db_read!(db, pool => sqlx::query_scalar("SELECT id FROM case_identity_requests WHERE case_id = $1")
            .bind(id).fetch_one(pool).await)
        .unwrap()
    };
    let request = request.to_string();
    let (status, _) = t.post(&officer, &format!("/cases/{id}/identity/view"), &[]).await;
    assert_eq!(status, 403, "a pending request is not an approval");
    let decide = [("request", request.as_str()), ("decision", "approve"), ("reason", "Đồng ý để xác minh")];
    let (status, _) = t.post(&duty, &format!("/cases/{id}/identity/decide"), &decide).await;
    assert_eq!(status, 403, "a duty officer is not the custodian");
    let (_, board) = t.get(&leader, "/cases").await;
    assert!(board.contains("pending-identity") && board.contains(&code), "the leader sees the request on the board");
    let (status, _) = t.post(&leader, &format!("/cases/{id}/identity/decide"), &decide).await;
    assert_eq!(status, 303);

    let (status, body) = t.post(&duty, &format!("/cases/{id}/identity/view"), &[]).await;
    assert_eq!(status, 403, "approved for the requester only");
    assert!(!body.contains("Nguyễn Bí Mật"));
    let (status, body) = t.post(&leader, &format!("/cases/{id}/identity/view"), &[]).await;
    assert_eq!(status, 403, "not even the leader who approved");
    assert!(!body.contains("Nguyễn Bí Mật"));
    let (status, body) = t.post(&officer, &format!("/cases/{id}/identity/view"), &[]).await;
    assert_eq!(status, 200);
    assert!(body.contains("Nguyễn Bí Mật") && body.contains("+84911222333"));

    let e = events(&t, id).await;
    for k in ["identity_requested", "identity_approved", "identity_viewed"] {
        assert!(kinds(&e).contains(&k), "{k} in {e:?}");
    }
    assert_eq!(
        audit_actions(&t, &code).await,
        vec!["case_identity_requested", "case_identity_approved", "case_identity_viewed"]
    );
    let (_, page) = t.get(&officer, &format!("/cases/{id}")).await;
    assert!(!page.contains("Nguyễn Bí Mật"), "shown once, not on every later view");
}

#[tokio::test]
async fn status_moves_follow_the_rules_and_a_refused_move_changes_nothing() {
    let t = TestApp::spawn().await;
    let (id, _) = make(&t, WARD, "theft", ReporterMode::Open).await;
    let c = t.login(OFFICER).await;
    let before = (state(&t, id).await, events(&t, id).await.len());

    let (status, body) = t.post(&c, &format!("/cases/{id}/status"), &[("status", "closed"), ("outcome", "")]).await;
    assert_eq!(status, 422, "new cannot go straight to closed");
    assert!(body.contains("Không thể chuyển tin báo"), "{body}");
    let (status, _) = t.post(&c, &format!("/cases/{id}/status"), &[("status", "nonsense"), ("outcome", "")]).await;
    assert_eq!(status, 422);
    assert_eq!(state(&t, id).await, before.0);
    let after_refusals = events(&t, id).await;
    assert!(!kinds(&after_refusals).contains(&"status_changed"));

    let (status, _) = t.post(&c, &format!("/cases/{id}/acknowledge"), &[]).await;
    assert_eq!(status, 303);
    assert_eq!(state(&t, id).await.1, "acknowledged");
    let (status, _) = t.post(&c, &format!("/cases/{id}/acknowledge"), &[]).await;
    assert_eq!(status, 422, "acknowledged twice");

    let (status, body) = t.post(&c, &format!("/cases/{id}/status"), &[("status", "resolved"), ("outcome", " ")]).await;
    assert_eq!(status, 422, "resolved needs an outcome");
    assert!(body.contains("Cần ghi kết quả xử lý"));
    assert_eq!(state(&t, id).await.1, "acknowledged");
    let (status, _) = t
        .post(
            &c,
            &format!("/cases/{id}/status"),
            &[("status", "resolved"), ("outcome", "Đã thu hồi tài sản, trả lại người bị hại.")],
        )
        .await;
    assert_eq!(status, 303);
    assert_eq!(state(&t, id).await.1, "resolved");
    let e = events(&t, id).await;
    assert!(e.iter().any(|(k, text)| k == "status_changed" && text.contains("thu hồi tài sản")));
    assert!(
        e.iter().any(|(k, text)| k == "message_out" && text == "Công an phường Bãi Cháy đã giải quyết xong."),
        "the reporter is told, without an officer's name: {e:?}"
    );

    let (status, _) = t.post(&c, &format!("/cases/{id}/note"), &[("note", "  ")]).await;
    assert_eq!(status, 422, "an empty note");
    let (status, _) =
        t.post(&c, &format!("/cases/{id}/extend"), &[("until", "2001-01-01"), ("reason", "quá ngắn")]).await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn a_forwarded_case_keeps_its_legal_clock_and_returns_when_nobody_acknowledges_it() {
    let t = TestApp::spawn().await;
    let (id, _) = make(&t, WARD, "theft", ReporterMode::Open).await;
    let ward = unit_id(&t, WARD).await;
    let other = unit_id(&t, OTHER_WARD).await;
    let before = state(&t, id).await;
    assert_eq!(before.3, Some(20), "a theft tip has the 20-day legal clock");
    let c = t.login(OFFICER).await;

    let (status, _) = t.post(&c, &format!("/cases/{id}/forward"), &[("unit", OTHER_WARD), ("reason", "")]).await;
    assert_eq!(status, 422, "a reason is required");
    assert_eq!(state(&t, id).await, before);
    let (status, _) = t
        .post(
            &c,
            &format!("/cases/{id}/forward"),
            &[("unit", OTHER_WARD), ("reason", "Địa điểm thuộc phường Hồng Gai")],
        )
        .await;
    assert_eq!(status, 303);
    let forwarded = state(&t, id).await;
    assert_eq!((forwarded.0, forwarded.1.as_str()), (other, "new"));
    assert_eq!((forwarded.2, forwarded.3, forwarded.4, forwarded.5), (before.2, before.3, before.4, before.5));
    let now = t.app.clock.now_micros();
    let due = forwarded.6.expect("an acknowledgement deadline");
    assert!(due > now && due <= now + 15 * 60_000_000);
    assert_eq!(t.get(&c, &format!("/cases/{id}")).await.0, 404, "gone from the sender's scope");
    let e = events(&t, id).await;
    assert!(e.iter().any(|(k, text)| k == "message_out" && text == "Đã chuyển Công an phường Hồng Gai xử lý."));

    let receiver = t.login(OTHER).await;
    let (_, board) = t.get(&receiver, "/cases?view=new").await;
    assert!(board.contains("chờ xác nhận"), "the receiving board shows the wait");

    t.app.clock.advance(16 * 60);
    caunoi::cases::worker::return_unacknowledged(&t.app).await.expect("worker step");
    let back = state(&t, id).await;
    assert_eq!(back.0, ward, "back at the sender");
    assert_eq!(back.6, None);
    assert_eq!((back.2, back.3, back.4, back.5), (before.2, before.3, before.4, before.5), "legal clock unchanged");
    assert!(kinds(&events(&t, id).await).contains(&"returned"));
    let (_, board) = t.get(&c, "/cases").await;
    assert!(board.contains("id=\"returned\""), "the sender's board shows it came back");
    assert_eq!(t.get(&receiver, &format!("/cases/{id}")).await.0, 404);
}

#[tokio::test]
async fn an_acknowledged_forward_stays_with_the_receiving_unit() {
    let t = TestApp::spawn().await;
    let (id, _) = make(&t, WARD, "violence", ReporterMode::Open).await;
    let other = unit_id(&t, OTHER_WARD).await;
    let c = t.login(OFFICER).await;
    let (status, _) = t
        .post(&c, &format!("/cases/{id}/forward"), &[("unit", OTHER_WARD), ("reason", "Thuộc địa bàn Hồng Gai")])
        .await;
    assert_eq!(status, 303);
    let receiver = t.login(OTHER).await;
    let (status, _) = t.post(&receiver, &format!("/cases/{id}/acknowledge"), &[]).await;
    assert_eq!(status, 303);
    t.app.clock.advance(60 * 60);
    caunoi::cases::worker::return_unacknowledged(&t.app).await.expect("worker step");
    let s = state(&t, id).await;
    assert_eq!((s.0, s.1.as_str(), s.6), (other, "acknowledged", None));
}

/// A web chat that asked for an officer, and its conversation id.
async fn web_conversation(t: &TestApp) -> (WebCitizen<'_>, i64) {
    let citizen = t.web_citizen(WARD).await;
    citizen.says("nhà em bị trộm mất xe máy đêm qua").await;
    let conv = citizen.conversation().await;
    (citizen, conv)
}

#[tokio::test]
async fn a_reply_to_a_case_made_from_a_web_chat_reaches_that_chat() {
    let t = TestApp::spawn().await;
    let (citizen, conv) = web_conversation(&t).await;
    let officer = t.login(OFFICER).await;
    // The conversation's citizen panel offers to make a report from it, prefilled.
    let (status, page) = t.get(&officer, &format!("/inbox/{conv}")).await;
    if status == 200 {
        assert!(page.contains(&format!("/cases/new?conversation={conv}")));
    }
    let (status, form) = t.get(&officer, &format!("/cases/new?conversation={conv}")).await;
    assert_eq!(status, 200);
    assert!(form.contains("nhà em bị trộm mất xe máy đêm qua"), "prefilled with what the citizen wrote");
    let conv_s = conv.to_string();
    let fields = [
        ("conversation", conv_s.as_str()),
        ("unit", WARD),
        ("category", "theft"),
        ("description", "Mất xe máy Honda Wave đêm qua trước cửa nhà."),
        ("address", "Khu 2, phường Bãi Cháy"),
        ("mode", "open"),
        ("name", "Người dân"),
        ("phone", ""),
    ];
    let (status, created) = t.post(&officer, "/cases/new", &fields).await;
    assert_eq!(status, 200, "{created}");
    assert!(created.contains("case-code") && created.contains("TB-"));
    let db = &t.app.db;
    let id: i64 = db_read!(db, pool => sqlx::query_scalar("SELECT id FROM cases WHERE conversation_id = $1")
        .bind(conv).fetch_one(pool).await)
    .unwrap();
    let (_, page) = t.get(&officer, &format!("/inbox/{conv}")).await;
    assert!(page.contains(&format!("/cases/{id}")), "the citizen panel lists the case");
    let (_, case_page) = t.get(&officer, &format!("/cases/{id}")).await;
    assert!(case_page.contains(&format!("/inbox/{conv}")), "the case links to its conversation");

    let (status, _) = t
        .post(&officer, &format!("/cases/{id}/reply"), &[("text", "Công an phường đang xác minh, sẽ liên hệ lại.")])
        .await;
    assert_eq!(status, 303);
    let first_reply: Option<i64> =
        db_read!(db, pool => sqlx::query_scalar("SELECT first_reply_at FROM cases WHERE id = $1")
        .bind(id).fetch_one(pool).await)
        .unwrap();
    assert!(first_reply.is_some(), "the first reply is noted");
    let message = citizen
        .message(|v| v.get("text").and_then(Value::as_str).is_some_and(|s| s.contains("đang xác minh, sẽ liên hệ lại")))
        .await;
    assert!(message.to_string().contains("TB-"), "the chat names the case: {message}");
    let out: i64 = db_read!(db, pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM messages WHERE conversation_id = $1 AND direction = 'out' AND text LIKE '%đang xác minh%'"
    ).bind(conv).fetch_one(pool).await)
    .unwrap();
    assert_eq!(out, 1);
}

#[tokio::test]
async fn an_officer_enters_a_phone_in_and_reads_out_its_code() {
    let t = TestApp::spawn().await;
    let c = t.login(DUTY).await;
    let (status, form) = t.get(&c, "/cases/new").await;
    assert_eq!(status, 200);
    assert!(form.contains("Nhập tin báo"));
    let count = || async {
        let db = &t.app.db;
        db_read!(db, pool => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM cases").fetch_one(pool).await).unwrap()
    };
    let before = count().await;
    let bad =
        [("unit", WARD), ("category", "noise"), ("description", ""), ("mode", "open"), ("lat", "abc"), ("lon", "1")];
    let (status, body) = t.post(&c, "/cases/new", &bad).await;
    assert_eq!(status, 422);
    assert!(body.contains("Tọa độ không hợp lệ"));
    let outside = [("unit", OTHER_WARD), ("category", "noise"), ("description", "Hát karaoke to"), ("mode", "open")];
    assert_eq!(t.post(&c, "/cases/new", &outside).await.0, 422, "only a unit the officer works at");
    assert_eq!(count().await, before, "nothing saved");
    let unanswered = [("unit", WARD), ("category", "noise"), ("description", "Hát karaoke to"), ("mode", "open")];
    let (status, body) = t.post(&c, "/cases/new", &unanswered).await;
    assert_eq!(status, 422, "the category's required question");
    assert!(body.contains("Nguồn gây ồn"));
    let good = [
        ("unit", WARD),
        ("category", "noise"),
        ("attr_noise_source", "karaoke"),
        ("description", "Hát karaoke to sau 23 giờ"),
        ("mode", "anonymous"),
        ("name", "Trần Ẩn Danh"),
    ];
    let (status, body) = t.post(&c, "/cases/new", &good).await;
    assert_eq!(status, 200);
    assert!(body.contains("case-code") && body.contains("case-receipt"), "an anonymous caller gets a receipt");
    assert!(!body.contains("Trần Ẩn Danh"));
    assert_eq!(count().await, before + 1);
    let db = &t.app.db;
    let (channel, name): (String, Option<String>) = db_read!(db, pool => sqlx::query_as(
        "SELECT channel, reporter_name FROM cases ORDER BY id DESC LIMIT 1"
    ).fetch_one(pool).await)
    .unwrap();
    assert_eq!((channel.as_str(), name), ("officer", None));
}

#[tokio::test]
async fn opening_a_sensitive_case_is_recorded_once_an_hour() {
    let t = TestApp::spawn().await;
    let (id, _) = make(&t, WARD, "drugs", ReporterMode::Open).await;
    let c = t.login(OFFICER).await;
    let viewed = || async { events(&t, id).await.iter().filter(|(k, _)| k == "viewed").count() };
    t.get(&c, &format!("/cases/{id}")).await;
    t.get(&c, &format!("/cases/{id}")).await;
    assert_eq!(viewed().await, 1);
    t.app.clock.advance(61 * 60);
    // The session has gone idle meanwhile: sign in again.
    let c = t.login(OFFICER).await;
    assert_eq!(t.get(&c, &format!("/cases/{id}")).await.0, 200);
    assert_eq!(viewed().await, 2);
    let (public, _) = make(&t, WARD, "noise", ReporterMode::Open).await;
    t.get(&c, &format!("/cases/{public}")).await;
    assert!(!kinds(&events(&t, public).await).contains(&"viewed"), "a noise complaint is not sensitive");
}

#[tokio::test]
async fn a_merged_duplicates_reporter_hears_the_primarys_updates() {
    let t = TestApp::spawn().await;
    let (primary, code) = make(&t, WARD, "fire", ReporterMode::Open).await;
    let (dup, _) = make(&t, WARD, "fire", ReporterMode::Open).await;
    let c = t.login(OFFICER).await;
    let (_, page) = t.get(&c, &format!("/cases/{dup}")).await;
    assert!(page.contains("id=\"duplicates\"") && page.contains(&code), "suggested as a duplicate");
    let (status, _) = t.post(&c, &format!("/cases/{dup}/merge"), &[("primary", "TB-ZZZZ-ZZZZ")]).await;
    assert_eq!(status, 422);
    let (status, _) = t.post(&c, &format!("/cases/{dup}/merge"), &[("primary", code.to_lowercase().as_str())]).await;
    assert_eq!(status, 303);
    assert_eq!(state(&t, dup).await.1, "duplicate");
    let (status, _) =
        t.post(&c, &format!("/cases/{primary}/reply"), &[("text", "Lực lượng chữa cháy đã có mặt.")]).await;
    assert_eq!(status, 303);
    assert!(
        events(&t, dup).await.iter().any(|(k, text)| k == "message_out" && text == "Lực lượng chữa cháy đã có mặt.")
    );
}

#[tokio::test]
async fn the_board_lists_urgent_first_with_tabs_and_filters() {
    let t = TestApp::spawn().await;
    let (calm, calm_code) = make(&t, WARD, "noise", ReporterMode::Anonymous).await;
    let (_, fire_code) = make(&t, WARD, "fire", ReporterMode::Open).await;
    let (_, other_code) = make(&t, OTHER_WARD, "noise", ReporterMode::Open).await;
    let c = t.login(OFFICER).await;
    let (status, board) = t.get(&c, "/cases").await;
    assert_eq!(status, 200);
    assert!(board.contains("Tin báo") && board.contains("Quá hạn") && board.contains("Đã đóng"));
    let (f, n) = (board.find(&fire_code).expect("fire"), board.find(&calm_code).expect("noise"));
    assert!(f < n, "urgent first");
    assert!(!board.contains(&other_code));
    assert!(board.contains("Ẩn danh"));
    let (_, fires) = t.get(&c, "/cases?view=all&category=fire").await;
    assert!(fires.contains(&fire_code) && !fires.contains(&calm_code));
    let (status, _) = t
        .post(
            &c,
            &format!("/cases/{calm}/status"),
            &[("status", "unfounded"), ("outcome", "Không có tiếng ồn khi kiểm tra")],
        )
        .await;
    assert_eq!(status, 303);
    let (_, closed) = t.get(&c, "/cases?view=closed").await;
    assert!(closed.contains(&calm_code));
    let (_, open) = t.get(&c, "/cases?view=open&page=abc").await;
    assert!(!open.contains(&calm_code));
}

/// The part of a page people read, with what varies between runs replaced.
fn main_of(html: &str) -> String {
    let start = html.find("<main>").unwrap_or(0);
    let end = html.find("</main>").map(|i| i + "</main>".len()).unwrap_or(html.len());
    html[start..end].to_string()
}

fn snapshot_settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_prepend_module_to_snapshot(false);
    s.set_omit_expression(true);
    s.add_filter(r"\b\d{2}/\d{2}/\d{4} \d{2}:\d{2}\b", "[datetime]");
    s.add_filter(r"TB-[0-9A-Z]{4}-[0-9A-Z]{4}", "[code]");
    s.add_filter(r"/(cases|inbox)/\d+", "/$1/[id]");
    s.add_filter(r#"data-id="\d+""#, r#"data-id="[id]""#);
    s.add_filter(r"còn \d+ (phút|giờ|ngày)", "còn [n] $1");
    s
}

#[tokio::test]
async fn snapshot_of_the_board_and_a_case_page() {
    let t = TestApp::spawn().await;
    let (id, _) = make(&t, WARD, "theft", ReporterMode::Sealed).await;
    let c = t.login(OFFICER).await;
    let (status, board) = t.get(&c, "/cases").await;
    assert_eq!(status, 200);
    let (status, page) = t.get(&c, &format!("/cases/{id}")).await;
    assert_eq!(status, 200);
    snapshot_settings().bind(|| {
        insta::assert_snapshot!("cases_board", main_of(&board));
        insta::assert_snapshot!("cases_case_page", main_of(&page));
    });
}
