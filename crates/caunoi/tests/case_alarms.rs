//! Alarms and deadlines of cases, through real HTTP on the engine the suite runs on (SQLite, or
//! PostgreSQL when `CAUNOI_TEST_DATABASE_URL` is set):
//! - an urgent web report (an emergency in its text) and an officer's phone-in marked urgent
//!   raise the case's alarm: the ward's duty desk rings (live stream, push), nobody else yet;
//! - a case made from an urgent chat rings through the conversation's alarm only;
//! - unacknowledged, the alarm widens on the fake clock, each step on the case's timeline;
//!   acknowledging (or opening) it stops it;
//! - a forward pushes to the receiving unit's desk, and an urgent one rings there;
//! - the daily digest is the leader's subtree only, on the page and in the push.

use caunoi::cases::{alarms, digest};
use caunoi::db_read;
use caunoi::inbox::alarms::ESCALATE_AFTER_SECONDS;
use caunoi_core::cases::{CaseCode, CaseId};
use caunoi_core::staff::OfficerId;
use caunoi_testkit::push::TestPushService;
use caunoi_testkit::{Options, TestApp, eventually};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);
const WARD: &str = "qn-bai-chay";
const OTHER_WARD: &str = "qn-hong-gai";
const DUTY: &str = "trucban.baichay";
const OFFICER: &str = "canbo.baichay";
const OTHER_ADMIN: &str = "admin.honggai";
const LEADER: &str = "lanhdao.qn";
const FIGHT: &str = "Có người đánh nhau cầm dao trước cổng chợ, đang rất hỗn loạn.";

async fn officer(t: &TestApp, username: &str) -> OfficerId {
    t.scope(username).await.officer_id
}

/// Posts the public report form as an anonymous citizen; returns the new case's id.
async fn web_report(t: &TestApp, category: &str, description: &str) -> CaseId {
    let c = t.client();
    let boundary = "caunoiCaseAlarmBoundary";
    let mut body = String::new();
    for (name, value) in [("category", category), ("description", description), ("mode", "anonymous")] {
        body.push_str(&format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    let r = c
        .post(t.url(&format!("/u/{WARD}/bao-tin")))
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(body)
        .send()
        .await
        .expect("report");
    assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap_or_default());
    let (status, page) = t.get(&c, "/bao-tin/bien-nhan").await;
    assert_eq!(status, 200);
    let start = page.find("id=\"case-code\"").expect("the code is shown");
    let rest = &page[start..];
    let open = rest.find('>').unwrap() + 1;
    let code = rest[open..open + rest[open..].find('<').unwrap()].trim().to_string();
    let code = CaseCode::parse(&code).expect("a code");
    caunoi::cases::service::by_code(&t.app, &code).await.unwrap().expect("the case").id
}

/// The texts of the case's alarm steps, oldest first.
async fn alarm_steps(t: &TestApp, case: CaseId) -> Vec<String> {
    let db = &t.app.db;
    db_read!(db, pool => sqlx::query_scalar("SELECT text FROM case_events WHERE case_id = $1 AND kind = 'alarm' ORDER BY id")
        .bind(case.0)
        .fetch_all(pool)
        .await)
    .unwrap()
}

/// The `ready` event of the officer's live stream (what an open console page rings with).
async fn live_ready(t: &TestApp, c: &reqwest::Client) -> serde_json::Value {
    let mut r = c.get(t.url("/inbox/events")).send().await.expect("live stream");
    assert_eq!(r.status().as_u16(), 200);
    let mut text = String::new();
    while let Some(chunk) = tokio::time::timeout(WAIT, r.chunk()).await.expect("an event in time").expect("stream") {
        text.push_str(&String::from_utf8_lossy(&chunk));
        if let Some(line) = text.lines().find(|l| l.starts_with("data:")) {
            return serde_json::from_str(line.trim_start_matches("data:").trim()).expect("json");
        }
    }
    panic!("the stream ended: {text}");
}

async fn pushed_to(push: &TestPushService, device: &str, what: &str, url: &str) -> serde_json::Value {
    eventually(what, WAIT, || {
        let r = push.received();
        let (device, url) = (device.to_owned(), url.to_owned());
        async move {
            r.into_iter().map(|m| (m.subscription.clone(), m.json())).find(|(s, j)| *s == device && j["url"] == url)
        }
    })
    .await
    .1
}

#[tokio::test]
async fn an_urgent_web_report_rings_the_duty_desk_at_once_and_nobody_else_yet() {
    let t = TestApp::spawn_with(Options { demo: true, push_test_endpoints: true, ..Default::default() }).await;
    let push = TestPushService::start().await;
    let duty_device = t.enable_push(&push, DUTY).await;
    let officer_device = t.enable_push(&push, OFFICER).await;
    // "violence" is not an urgent category: the text makes it urgent.
    let case = web_report(&t, "violence", FIGHT).await;
    let view = caunoi::cases::service::get_unscoped(&t.app, case).await.unwrap().unwrap();
    assert!(view.urgent, "an emergency in the text makes the case urgent");
    assert_eq!(alarms::alarm_of(&t.app, case).await.unwrap(), Some((0, None)));
    let steps = alarm_steps(&t, case).await;
    assert_eq!(steps.len(), 1, "{steps:?}");
    assert!(steps[0].contains("báo trực ban đơn vị (1 người)"), "{steps:?}");

    // The duty officer's open console rings with a link to the case; the ward officer's not.
    let duty = t.login(DUTY).await;
    let ready = live_ready(&t, &duty).await;
    assert_eq!(ready["case_alarm"]["count"], 1, "{ready}");
    assert_eq!(ready["case_alarm"]["href"], format!("/cases/{}", case.0), "{ready}");
    let other = live_ready(&t, &t.login(OFFICER).await).await;
    assert_eq!(other["case_alarm"]["count"], 0, "{other}");

    let alarm = pushed_to(&push, &duty_device, "the duty officer's phone rings", &format!("/cases/{}", case.0)).await;
    assert!(alarm["body"].as_str().unwrap().contains("Công an phường Bãi Cháy"), "{alarm}");
    assert!(!alarm.to_string().contains("cầm dao"), "no report text in the alarm: {alarm}");
    assert!(push.received().iter().all(|m| m.subscription != officer_device), "not yet every officer");

    // A calm web report of a category that is not urgent rings nobody.
    let calm = web_report(&t, "environment", "Bãi rác cuối ngõ bốc mùi hôi thối nhiều ngày nay.").await;
    assert_eq!(alarms::alarm_of(&t.app, calm).await.unwrap(), None);
    // An urgent category rings whatever the text says.
    let fire = web_report(&t, "fire", "Khói bốc lên từ kho hàng cuối phố.").await;
    assert_eq!(alarms::alarm_of(&t.app, fire).await.unwrap(), Some((0, None)));
}

#[tokio::test]
async fn an_officers_urgent_phone_in_rings_and_opening_it_stops_the_alarm() {
    let t = TestApp::spawn_with(Options { demo: true, workers_off: true, ..Default::default() }).await;
    let c = t.login(OFFICER).await;
    let fields = [
        ("unit", WARD),
        ("category", "noise"),
        ("attr_noise_source", "gathering"),
        ("description", "Người dân gọi: nhóm thanh niên tụ tập, ném chai vào nhà dân."),
        ("mode", "anonymous"),
        ("urgent", "1"),
    ];
    let (status, created) = t.post(&c, "/cases/new", &fields).await;
    assert_eq!(status, 200, "{created}");
    let db = &t.app.db;
    let case: i64 =
        db_read!(db, pool => sqlx::query_scalar("SELECT MAX(id) FROM cases WHERE channel = 'officer'").fetch_one(pool).await)
            .unwrap();
    let case = CaseId(case);
    assert_eq!(alarms::alarm_of(&t.app, case).await.unwrap(), Some((0, None)), "marked urgent: it rings");
    let duty = officer(&t, DUTY).await;
    assert_eq!(alarms::ringing_for(&t.app, duty).await.unwrap(), (1, case.0));
    assert_eq!(alarms::ringing_for(&t.app, officer(&t, OFFICER).await).await.unwrap().0, 0);

    // The same entry without the mark rings nobody.
    let calm: Vec<(&str, &str)> = fields.iter().copied().filter(|(k, _)| *k != "urgent").collect();
    assert_eq!(t.post(&c, "/cases/new", &calm).await.0, 200);
    let calm_case: i64 =
        db_read!(db, pool => sqlx::query_scalar("SELECT MAX(id) FROM cases WHERE channel = 'officer'").fetch_one(pool).await)
            .unwrap();
    assert_ne!(calm_case, case.0);
    assert_eq!(alarms::alarm_of(&t.app, CaseId(calm_case)).await.unwrap(), None);

    // The duty officer opens it: taken, on the timeline, nothing rings or widens any more.
    let desk = t.login(DUTY).await;
    let (status, page) = t.get(&desk, &format!("/cases/{}", case.0)).await;
    assert_eq!(status, 200);
    let (_, acknowledged) = alarms::alarm_of(&t.app, case).await.unwrap().expect("alarm");
    assert!(acknowledged.is_some());
    assert_eq!(alarms::ringing_for(&t.app, duty).await.unwrap().0, 0);
    assert!(alarm_steps(&t, case).await.last().unwrap().contains("đã nhận tin khẩn"));
    let (_, page) = (page, t.get(&desk, &format!("/cases/{}", case.0)).await.1);
    assert!(page.contains("Báo động tin khẩn"), "the alarm's steps are on the timeline");
    t.app.clock.advance(10 * ESCALATE_AFTER_SECONDS);
    assert_eq!(alarms::escalate_due(&t.app).await.unwrap(), 0);
}

#[tokio::test]
async fn a_case_made_from_an_urgent_chat_rings_once_through_the_conversation() {
    let t = TestApp::spawn_with(Options { demo: true, workers_off: true, ..Default::default() }).await;
    t.web_citizen(WARD).await.says("nha toi bi chay, cuu voi").await;
    let db = &t.app.db;
    let (conversation, case): (i64, i64) = db_read!(db, pool => sqlx::query_as(
        "SELECT c.id, k.id FROM conversations c JOIN cases k ON k.conversation_id = c.id WHERE c.urgent = $1 ORDER BY c.id DESC LIMIT 1"
    )
    .bind(true)
    .fetch_one(pool)
    .await)
    .expect("the emergency made an urgent conversation and its case");
    assert!(caunoi::inbox::store::alarm_of(&t.app.db, conversation).await.unwrap().is_some(), "the chat rings");
    assert_eq!(alarms::alarm_of(&t.app, CaseId(case)).await.unwrap(), None, "its case does not ring again");
    let ready = live_ready(&t, &t.login(DUTY).await).await;
    assert_eq!(ready["alarm"]["count"], 1, "{ready}");
    assert_eq!(ready["case_alarm"]["count"], 0, "{ready}");
    t.app.clock.advance(ESCALATE_AFTER_SECONDS + 1);
    assert_eq!(alarms::escalate_due(&t.app).await.unwrap(), 0, "no case alarm to widen");
}

#[tokio::test]
async fn an_untaken_case_alarm_widens_on_the_clock_until_acknowledged() {
    let t = TestApp::spawn_with(Options { demo: true, workers_off: true, ..Default::default() }).await;
    let case = web_report(&t, "violence", FIGHT).await;
    assert_eq!(alarms::escalate_due(&t.app).await.unwrap(), 0, "not before two minutes");
    let ward_officer = officer(&t, OFFICER).await;
    assert_eq!(alarms::ringing_for(&t.app, ward_officer).await.unwrap().0, 0);

    t.app.clock.advance(ESCALATE_AFTER_SECONDS + 1);
    assert_eq!(alarms::escalate_due(&t.app).await.unwrap(), 1);
    assert_eq!(alarms::escalate_due(&t.app).await.unwrap(), 0, "one step at a time");
    let steps = alarm_steps(&t, case).await;
    assert_eq!(steps.len(), 2, "{steps:?}");
    assert!(steps[1].contains("báo cho tất cả cán bộ của đơn vị"), "{steps:?}");
    assert_eq!(alarms::ringing_for(&t.app, ward_officer).await.unwrap(), (1, case.0), "the ward's officers ring now");
    t.app.clock.advance(ESCALATE_AFTER_SECONDS + 1);
    assert_eq!(alarms::escalate_due(&t.app).await.unwrap(), 1);
    assert!(alarm_steps(&t, case).await[2].contains("lãnh đạo đơn vị và đơn vị cấp trên"));
    let leader = officer(&t, LEADER).await;
    assert_eq!(alarms::ringing_for(&t.app, leader).await.unwrap().0, 1, "the province's leader rings at step 2");

    // The ward officer acknowledges the case: the alarm is taken, nothing widens any more.
    let c = t.login(OFFICER).await;
    assert_eq!(t.post(&c, &format!("/cases/{}/acknowledge", case.0), &[]).await.0, 303);
    let (level, acknowledged) = alarms::alarm_of(&t.app, case).await.unwrap().expect("alarm");
    assert_eq!(level, 2);
    assert!(acknowledged.is_some());
    assert_eq!(alarms::ringing_for(&t.app, leader).await.unwrap().0, 0);
    t.app.clock.advance(10 * ESCALATE_AFTER_SECONDS);
    assert_eq!(alarms::escalate_due(&t.app).await.unwrap(), 0);
    assert_eq!(alarm_steps(&t, case).await.len(), 4, "raised, two steps, taken");
}

#[tokio::test]
async fn a_forward_pushes_to_the_receiving_desk_and_an_urgent_one_rings_there() {
    let t = TestApp::spawn_with(Options { demo: true, push_test_endpoints: true, ..Default::default() }).await;
    let push = TestPushService::start().await;
    let receiver_device = t.enable_push(&push, OTHER_ADMIN).await;
    let c = t.login(DUTY).await;

    // Not urgent: a push notice to Hồng Gai (no duty desk there: its officers), no ringing.
    let calm = web_report(&t, "environment", "Bãi rác cuối ngõ bốc mùi hôi thối nhiều ngày nay.").await;
    let to = [("unit", OTHER_WARD), ("reason", "Thuộc địa bàn Hồng Gai")];
    assert_eq!(t.post(&c, &format!("/cases/{}/forward", calm.0), &to).await.0, 303);
    let notice =
        pushed_to(&push, &receiver_device, "the receiving unit hears of it", &format!("/cases/{}", calm.0)).await;
    assert!(notice["title"].as_str().unwrap().contains("chuyển đến"), "{notice}");
    assert!(notice["body"].as_str().unwrap().contains("Công an phường Bãi Cháy"), "{notice}");
    let receiver = officer(&t, OTHER_ADMIN).await;
    assert_eq!(alarms::ringing_for(&t.app, receiver).await.unwrap().0, 0);

    // Urgent, already taken at Bãi Cháy: forwarded, it rings at Hồng Gai afresh.
    let urgent = web_report(&t, "violence", FIGHT).await;
    assert_eq!(t.post(&c, &format!("/cases/{}/acknowledge", urgent.0), &[]).await.0, 303);
    assert!(alarms::alarm_of(&t.app, urgent).await.unwrap().unwrap().1.is_some());
    let to = [("unit", OTHER_WARD), ("reason", "Thuộc địa bàn Hồng Gai")];
    assert_eq!(t.post(&c, &format!("/cases/{}/forward", urgent.0), &to).await.0, 303);
    assert_eq!(alarms::alarm_of(&t.app, urgent).await.unwrap(), Some((0, None)), "raised again at the new unit");
    assert_eq!(alarms::ringing_for(&t.app, receiver).await.unwrap(), (1, urgent.0));
    assert_eq!(alarms::ringing_for(&t.app, officer(&t, DUTY).await).await.unwrap().0, 0, "not at the sender");
    pushed_to(&push, &receiver_device, "the receiving unit's phone rings", &format!("/cases/{}", urgent.0)).await;
}

#[tokio::test]
async fn the_daily_digest_is_the_leaders_subtree_on_the_page_and_in_the_push() {
    let t = TestApp::spawn_with(Options { demo: true, push_test_endpoints: true, ..Default::default() }).await;
    let push = TestPushService::start().await;
    let leader_device = t.enable_push(&push, LEADER).await;
    // A theft tip (20 days to decide) at each ward.
    let here = web_report(&t, "theft", "Nhà tôi bị trộm mất xe máy đêm qua ở khu 2.").await;
    let db = &t.app.db;
    let there_unit: i64 =
        db_read!(db, pool => sqlx::query_scalar("SELECT id FROM units WHERE code = $1").bind(OTHER_WARD).fetch_one(pool).await)
            .unwrap();
    let mut new = caunoi::cases::service::NewCase {
        channel: caunoi_core::cases::Channel::Officer,
        received_by: caunoi_core::units::UnitId(there_unit),
        category: "theft".into(),
        description: "Mất trộm điện thoại tại chợ Hạ Long.".into(),
        point: None,
        address: None,
        place_unknown: true,
        occurred: None,
        attributes: Default::default(),
        mode: caunoi_core::cases::ReporterMode::Anonymous,
        reporter: Default::default(),
        conversation: None,
        entered_by: None,
        urgent: false,
        own_alarm: true,
        media: Vec::new(),
    };
    let there = caunoi::cases::service::create(&t.app, new.clone()).await.unwrap().id;
    // Received eighteen days ago: both near their deadline (the clock stays real: the test push
    // service checks the VAPID token's expiry against the machine's clock).
    let app = &t.app;
    let age = |case: CaseId, days: i64| async move {
        let db = &app.db;
        caunoi::db_write!(db, pool => sqlx::query("UPDATE cases SET received_at = received_at - $1 WHERE id = $2")
            .bind(days * 86_400_000_000)
            .bind(case.0)
            .execute(pool)
            .await
            .map(|_| ()))
        .unwrap();
    };
    age(here, 18).await;
    age(there, 18).await;
    let now = t.app.clock.now_micros();
    let ids = |rows: &[caunoi::cases::store::BoardRow]| rows.iter().map(|r| r.id).collect::<Vec<_>>();
    let d = digest::for_officer(&t.app, officer(&t, LEADER).await, now).await.unwrap();
    assert!(ids(&d.due_soon).contains(&here.0) && ids(&d.due_soon).contains(&there.0), "{:?}", ids(&d.due_soon));
    assert!(d.overdue.iter().all(|r| r.id != here.0 && r.id != there.0));
    // Three more days: both overdue; a tip of today is neither.
    age(here, 3).await;
    age(there, 3).await;
    new.description = "Mất trộm ví tại bến xe.".into();
    let fresh = caunoi::cases::service::create(&t.app, new).await.unwrap().id;

    let leader = digest::for_officer(&t.app, officer(&t, LEADER).await, now).await.unwrap();
    let overdue = ids(&leader.overdue);
    assert!(overdue.contains(&here.0) && overdue.contains(&there.0), "the province sees both wards: {overdue:?}");
    assert!(!overdue.contains(&fresh.0) && !ids(&leader.due_soon).contains(&fresh.0));
    let ward = digest::for_officer(&t.app, officer(&t, OTHER_ADMIN).await, now).await.unwrap();
    assert!(ids(&ward.overdue).contains(&there.0), "{:?}", ids(&ward.overdue));
    assert!(!ids(&ward.overdue).contains(&here.0), "another ward's case is not in this ward's digest");
    assert!(ward.counts.overdue < leader.counts.overdue);
    assert!(ward.counts.received_day >= 1 && ward.counts.received_day < leader.counts.received_day + 1);

    // The page, for the ward: its own case, not the other ward's.
    let here_code = caunoi::cases::service::get_unscoped(&t.app, here).await.unwrap().unwrap().code.to_string();
    let there_code = caunoi::cases::service::get_unscoped(&t.app, there).await.unwrap().unwrap().code.to_string();
    let (status, page) = t.get(&t.login(OTHER_ADMIN).await, "/cases/digest").await;
    assert_eq!(status, 200);
    assert!(page.contains(&there_code) && !page.contains(&here_code), "{page}");
    let (_, board) = t.get(&t.login(LEADER).await, "/cases").await;
    assert!(board.contains("href=\"/cases/digest\""), "the board links to the digest");

    // The push of a day's digest (the hour's rule is `clock::digest_day`'s, tested in the core):
    // the leader's counts, nothing personal, once per device and day.
    let day = 30_000;
    digest::send(&t.app, day).await.unwrap();
    let notice = pushed_to(&push, &leader_device, "the leader's digest", "/cases/digest").await;
    let counts = digest::counts(&t.app, officer(&t, LEADER).await, t.app.clock.now_micros()).await.unwrap();
    let body = notice["body"].as_str().unwrap();
    assert!(body.starts_with(&format!("{} quá hạn", counts.overdue)), "{body}");
    assert!(counts.overdue >= 2, "{counts:?}");
    assert!(!body.contains("trộm"), "counts only: {body}");
    assert_eq!(digest::send(&t.app, day).await.unwrap(), 0, "the same day again queues nothing");
    assert!(digest::send(&t.app, day + 1).await.unwrap() >= 1, "the next day's digest");
}
