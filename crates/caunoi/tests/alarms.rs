//! The urgent alarm: a fire reported in the web chat raises the conversation's alarm; while no
//! officer who can work it opens it, it widens every two minutes (the app's clock is moved, not
//! waited for), each step on the conversation's timeline; opening it stops the widening. Runs
//! on SQLite, and on PostgreSQL when `CAUNOI_TEST_DATABASE_URL` is set.

use caunoi::inbox::alarms::{ESCALATE_AFTER_SECONDS, escalate_due};
use caunoi::inbox::store::alarm_of;
use caunoi_testkit::webchat::fire_in_chat;
use caunoi_testkit::{Options, TestApp};

const UNIT: &str = "qn-bai-chay";

async fn steps(t: &TestApp, id: i64) -> Vec<String> {
    let db = &t.app.db;
    caunoi::db_read!(db, pool => sqlx::query_scalar(
        "SELECT reason FROM conversation_events WHERE conversation_id = $1 AND action = 'escalated' ORDER BY id"
    )
    .bind(id)
    .fetch_all(pool)
    .await)
    .expect("events")
}

#[tokio::test]
async fn an_unopened_alarm_widens_every_two_minutes_until_an_officer_opens_it() {
    let t = TestApp::spawn_with(Options { demo: true, workers_off: true, ..Default::default() }).await;
    let id = fire_in_chat(&t, UNIT).await;
    assert_eq!(alarm_of(&t.app.db, id).await.unwrap(), Some((0, None)), "raised with the emergency");
    assert_eq!(escalate_due(&t.app).await.unwrap(), 0, "not before two minutes");

    t.app.clock.advance(ESCALATE_AFTER_SECONDS + 1);
    assert_eq!(escalate_due(&t.app).await.unwrap(), 1);
    assert_eq!(escalate_due(&t.app).await.unwrap(), 0, "one step at a time");
    let first = steps(&t, id).await;
    assert_eq!(first.len(), 1);
    assert!(first[0].contains("báo cho tất cả cán bộ của đơn vị"), "{first:?}");
    t.app.clock.advance(ESCALATE_AFTER_SECONDS + 1);
    assert_eq!(escalate_due(&t.app).await.unwrap(), 1);
    assert!(steps(&t, id).await[1].contains("lãnh đạo đơn vị và đơn vị cấp trên"));

    // The ward officer opens it: acknowledged, nothing widens any more.
    let officer = t.login("canbo.baichay").await;
    let (status, page) = t.get(&officer, &format!("/inbox/{id}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("Báo động tin khẩn lan rộng"), "the steps are on the timeline");
    let (level, acknowledged) = alarm_of(&t.app.db, id).await.unwrap().expect("alarm");
    assert_eq!(level, 2);
    assert!(acknowledged.is_some());
    t.app.clock.advance(10 * ESCALATE_AFTER_SECONDS);
    assert_eq!(escalate_due(&t.app).await.unwrap(), 0);
    assert_eq!(steps(&t, id).await.len(), 2);
}

#[tokio::test]
async fn the_last_step_is_the_parent_units_duty_desk_and_a_closed_conversation_stops() {
    let t = TestApp::spawn_with(Options { demo: true, workers_off: true, ..Default::default() }).await;
    let id = fire_in_chat(&t, UNIT).await;
    for _ in 0..3 {
        t.app.clock.advance(ESCALATE_AFTER_SECONDS + 1);
        assert_eq!(escalate_due(&t.app).await.unwrap(), 1);
    }
    assert!(steps(&t, id).await[2].contains("trực ban đơn vị cấp trên"));
    t.app.clock.advance(10 * ESCALATE_AFTER_SECONDS);
    assert_eq!(escalate_due(&t.app).await.unwrap(), 0, "no step after the last");

    // Another emergency, closed before anyone opened it: its alarm stops with it.
    let second = {
        let citizen = t.web_citizen(UNIT).await;
        citizen.says("co nguoi danh nhau cam dao truoc nha").await;
        citizen.conversation().await
    };
    assert_ne!(second, id);
    let db = &t.app.db;
    caunoi::db_write!(db, pool => sqlx::query("UPDATE conversations SET status = 'closed', urgent = $1 WHERE id = $2")
        .bind(false)
        .bind(second)
        .execute(pool)
        .await
        .map(|_| ()))
    .unwrap();
    t.app.clock.advance(ESCALATE_AFTER_SECONDS + 1);
    assert_eq!(escalate_due(&t.app).await.unwrap(), 0);
}

#[tokio::test]
async fn the_alarm_reaches_the_duty_officers_phone_and_widens_to_the_units_officers() {
    let t = TestApp::spawn_with(Options { demo: true, push_test_endpoints: true, ..Default::default() }).await;
    let push = caunoi_testkit::push::TestPushService::start().await;
    let duty_device = t.enable_push(&push, "trucban.baichay").await;
    let officer_device = t.enable_push(&push, "canbo.baichay").await;
    let id = fire_in_chat(&t, UNIT).await;
    // At once: the duty desk (a duty officer of the ward), not yet every officer.
    let first =
        caunoi_testkit::eventually("the duty officer's phone rings", std::time::Duration::from_secs(20), || {
            let r = push.received();
            async move { r.into_iter().next() }
        })
        .await;
    assert_eq!(first.subscription, duty_device);
    assert_eq!(first.urgency.as_deref(), Some("high"));
    let alarm = first.json();
    assert_eq!(alarm["url"], format!("/inbox/{id}"), "{alarm}");
    assert!(alarm["body"].as_str().unwrap().contains("Công an phường Bãi Cháy"), "{alarm}");
    assert!(!alarm.to_string().contains("chay, cuu"), "no citizen text in the alarm: {alarm}");
    assert!(push.received().iter().all(|r| r.subscription != officer_device));
    // Two minutes without anyone opening it: the ward's officers too.
    t.app.clock.advance(ESCALATE_AFTER_SECONDS + 1);
    assert_eq!(escalate_due(&t.app).await.unwrap(), 1);
    caunoi_testkit::eventually("the ward officer's phone rings", std::time::Duration::from_secs(20), || {
        let r = push.received();
        let officer_device = officer_device.clone();
        async move { r.into_iter().find(|m| m.subscription == officer_device) }
    })
    .await;
}
