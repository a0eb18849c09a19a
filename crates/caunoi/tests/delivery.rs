//! The outbox's delivery against the fake Zalo: a row is marked sent as soon as Zalo accepted
//! it, so a crash in the middle of a batch re-sends at most the message in flight, never the
//! ones delivered before it. Runs on SQLite, and on PostgreSQL when `CAUNOI_TEST_DATABASE_URL`
//! is set.

use caunoi::demo::DEMO_OAS;
use caunoi::outbox::store as outbox_store;
use caunoi_testkit::{Options, TestApp, eventually};
use caunoi_zalo::fake::Fault;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

async fn queue_texts(t: &TestApp, oa_id: &str, user: &str, texts: &[String]) {
    let now = t.app.clock.now_micros();
    let db = &t.app.db;
    let unit_id: i64 =
        caunoi::db_read!(db, pool => sqlx::query_scalar("SELECT unit_id FROM zalo_oa_connections WHERE oa_id = $1")
        .bind(oa_id)
        .fetch_one(pool)
        .await)
        .expect("unit");
    let mut tx = t.app.db.begin().await.expect("begin");
    for (i, text) in texts.iter().enumerate() {
        let payload =
            serde_json::to_string(&caunoi::outbox::Payload::Text { text: text.clone(), quote_message_id: None })
                .expect("payload");
        let key = format!("crash-test:{i}");
        let row = outbox_store::NewOutbox {
            idempotency_key: &key,
            channel: caunoi_core::conversations::Channel::Zalo,
            unit_id: caunoi_core::units::UnitId(unit_id),
            oa_id: Some(oa_id),
            recipient: user,
            conversation_id: None,
            message_id: None,
            payload: &payload,
            run_at: now,
        };
        assert!(outbox_store::insert(&mut tx, &row).await.expect("insert").is_some());
    }
    tx.commit().await.expect("commit");
}

#[tokio::test]
async fn a_crash_in_the_middle_of_a_batch_does_not_resend_what_was_delivered() {
    let t = TestApp::spawn_with(Options { demo: true, zalo: true, workers_off: true, ..Default::default() }).await;
    let zalo = t.zalo.as_ref().expect("fake zalo");
    let (oa, user) = (DEMO_OAS[1].oa_id, "7712390045123987777");
    zalo.user_sends_text(oa, user, "xin chào").await.expect("the citizen writes: the window opens");
    let texts: Vec<String> = (1..=6).map(|i| format!("trả lời số {i}")).collect();
    queue_texts(&t, oa, user, &texts).await;
    // Zalo answers slowly; the process dies after two deliveries.
    zalo.inject(Fault::Delay { ms: 300, count: 6 });
    let now = t.app.clock.now_micros();
    let rows = outbox_store::claim(&t.app.db, now, now + 60_000_000, 32).await.expect("claim");
    assert_eq!(rows.len(), 6);
    let app = t.app.clone();
    let delivering = tokio::spawn(async move { caunoi::channels::delivery::deliver_batch(&app, &rows).await });
    let received =
        || zalo.sent_messages(user).into_iter().filter_map(|m| m.text).filter(|x| x.starts_with("trả lời số")).count();
    eventually("two replies reached Zalo", WAIT, || async { (received() >= 2).then_some(()) }).await;
    delivering.abort();
    let _ = delivering.await;
    // A commit already on its way to the server when the task died may still land.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let delivered = received();
    let sent_in_db = outbox_store::all(&t.app.db)
        .await
        .expect("rows")
        .iter()
        .filter(|r| r.status == caunoi::outbox::OutboxStatus::Sent)
        .count();
    assert!(
        sent_in_db + 1 >= delivered,
        "each delivered reply is marked sent at once ({sent_in_db} marked, {delivered} delivered)"
    );

    // After the lease, the rest goes; nothing delivered before the crash goes twice, save the
    // one that may have been in flight.
    t.app.clock.advance(120);
    let later = t.app.clock.now_micros();
    let rows = outbox_store::claim(&t.app.db, later, later + 60_000_000, 32).await.expect("claim again");
    assert_eq!(rows.len(), 6 - sent_in_db);
    caunoi::channels::delivery::deliver_batch(&t.app, &rows).await;
    let all: Vec<String> = zalo.sent_messages(user).into_iter().filter_map(|m| m.text).collect();
    for text in &texts {
        let copies = all.iter().filter(|x| *x == text).count();
        assert!((1..=2).contains(&copies), "{text}: {copies} copies");
    }
    assert!(all.iter().filter(|x| x.starts_with("trả lời số")).count() <= texts.len() + 1, "{all:?}");
}
