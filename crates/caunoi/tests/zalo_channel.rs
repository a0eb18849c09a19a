//! The Zalo channel end to end, against the fake Zalo: signed webhook → durable inbound event →
//! worker (bot, conversation, outbox) → sender → Zalo OpenAPI. Runs on SQLite, and on
//! PostgreSQL when `CAUNOI_TEST_DATABASE_URL` is set. Asynchronous outcomes are polled with a
//! deadline; time-based retries move the app's clock instead of sleeping.

use caunoi::conversations::store as conv_store;
use caunoi::demo::DEMO_OAS;
use caunoi::outbox::store as outbox_store;
use caunoi_core::conversations::Direction;
use caunoi_core::inbox::Status;
use caunoi_testkit::{Options, TestApp, eventually};
use caunoi_zalo::fake::{Fault, SentRecord, UserAction};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);
const FEE_QUESTION: &str = "lam cccd het bao nhieu tien";

fn ward() -> caunoi::demo::DemoOa {
    DEMO_OAS[1]
}

async fn spawn() -> TestApp {
    TestApp::spawn_with(Options { demo: true, zalo: true, ..Default::default() }).await
}

fn fee_answer_start() -> String {
    let entries = caunoi_core::kb::parse_kb_json(include_str!("../../../kb/kb_seed.json")).expect("seed kb");
    let e = entries.iter().find(|e| e.id.as_str() == "can-cuoc.le-phi").expect("fee entry");
    e.answer.chars().take(60).collect()
}

async fn replies_to(t: &TestApp, user: &str, n: usize) -> Vec<SentRecord> {
    let zalo = t.zalo.as_ref().expect("fake zalo");
    eventually(&format!("{n} message(s) sent to {user}"), WAIT, || async {
        let sent = zalo.sent_messages(user);
        (sent.len() >= n).then_some(sent)
    })
    .await
}

async fn all_processed(t: &TestApp) {
    eventually("every inbound event processed", WAIT, || async {
        let c = conv_store::inbound_counts(&t.app.db).await.ok()?;
        (c.unprocessed == 0).then_some(())
    })
    .await
}

fn signed(app_id: &str, secret: &str, body: &str) -> String {
    let ts: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    let ts = ts["timestamp"].as_str().unwrap_or("0").to_string();
    caunoi_zalo::signature::signature_header_value(app_id, body.as_bytes(), &ts, secret)
}

fn text_event(app_id: &str, oa_id: &str, user: &str, msg_id: &str, text: &str) -> String {
    serde_json::json!({
        "app_id": app_id, "user_id_by_app": "1", "event_name": "user_send_text",
        "timestamp": jiff::Timestamp::now().as_millisecond().to_string(),
        "sender": { "id": user }, "recipient": { "id": oa_id },
        "message": { "text": text, "msg_id": msg_id },
    })
    .to_string()
}

async fn post_webhook(t: &TestApp, oa_id: &str, content_type: &str, mac: Option<&str>, body: Vec<u8>) -> u16 {
    let mut r = t
        .client()
        .post(t.url(&format!("/channels/zalo/{oa_id}/webhook")))
        .header("content-type", content_type)
        .header("origin", "https://openapi.zalo.me")
        .body(body);
    if let Some(mac) = mac {
        r = r.header("X-ZEvent-Signature", mac);
    }
    r.send().await.expect("webhook request").status().as_u16()
}

#[tokio::test]
async fn citizen_asking_the_fee_without_diacritics_gets_the_fee_answer() {
    let t = spawn().await;
    let zalo = t.zalo.as_ref().expect("fake zalo");
    let user = "7712390045123987001";
    let d = zalo.user_sends_text(ward().oa_id, user, FEE_QUESTION).await.expect("send");
    assert_eq!(d.statuses, vec![Some(200)]);
    let sent = replies_to(&t, user, 1).await;
    assert_eq!(sent.len(), 1, "one question, one reply");
    assert_eq!(sent[0].oa_id, ward().oa_id);
    // One complete answer at once: the greeting of a first contact, the entry's title and its
    // full text, and the "was this helpful?" question.
    let text = sent[0].text.clone().unwrap_or_default();
    assert!(text.contains("Lệ phí cấp, đổi, cấp lại thẻ căn cước"), "{text}");
    assert!(text.contains(&fee_answer_start()), "{text}");
    let conv = conv_store::open_conversation_of(&t.app.db, "zalo", ward().oa_id, user)
        .await
        .expect("read")
        .expect("a conversation");
    assert_eq!(conv.status, Status::Bot);
    let messages = conv_store::messages(&t.app.db, conv.id).await.expect("messages");
    assert_eq!(messages[0].direction, Direction::In);
    assert_eq!(messages[0].text, FEE_QUESTION);
    eventually("the answer's Zalo id is stored", WAIT, || async {
        let m = conv_store::messages(&t.app.db, conv.id).await.ok()?;
        m.iter().any(|m| m.channel_message_id.as_deref() == Some(sent[0].message_id.as_str())).then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_zalo_text_longer_than_the_limit_is_cut() {
    let t = spawn().await;
    let zalo = t.zalo.as_ref().expect("fake zalo");
    let user = "7712390045123987033";
    zalo.user_sends_text(ward().oa_id, user, &"a".repeat(50_000)).await.expect("send");
    let conv = eventually("the citizen's conversation", WAIT, || async {
        conv_store::open_conversation_of(&t.app.db, "zalo", ward().oa_id, user).await.ok().flatten()
    })
    .await;
    let messages = conv_store::messages(&t.app.db, conv.id).await.expect("messages");
    assert_eq!(messages[0].text.chars().count(), caunoi_core::conversations::MAX_TEXT_CHARS);
}

#[tokio::test]
async fn a_webhook_timestamp_far_from_its_receipt_is_not_believed() {
    let t = spawn().await;
    let w = ward();
    let user = "7712390045123987032";
    let mut event: serde_json::Value =
        serde_json::from_str(&text_event(w.app_id, w.oa_id, user, "year2100001", FEE_QUESTION)).expect("event");
    event["timestamp"] = serde_json::json!("4102444800000"); // 2100-01-01
    let body = event.to_string();
    let mac = signed(w.app_id, w.oa_secret_key, &body);
    let before = t.app.clock.now_micros();
    assert_eq!(post_webhook(&t, w.oa_id, "application/json", Some(&mac), body.into_bytes()).await, 200);
    // The fake Zalo never saw this citizen, so it refuses the reply; the turn is what counts.
    let conv = eventually("the citizen's conversation", WAIT, || async {
        conv_store::open_conversation_of(&t.app.db, "zalo", w.oa_id, user).await.ok().flatten()
    })
    .await;
    let at = conv.last_citizen_message_at.expect("the citizen's last message time");
    assert!(at >= before && at <= t.app.clock.now_micros(), "the time of receipt, not 2100: {at}");
}

#[tokio::test]
async fn a_text_with_control_characters_is_kept_clean_and_answered() {
    let t = spawn().await;
    let zalo = t.zalo.as_ref().expect("fake zalo");
    let user = "7712390045123987031";
    let text = format!("{FEE_QUESTION}\u{0}\u{7}\u{202E}");
    zalo.user_sends_text(ward().oa_id, user, &text).await.expect("send");
    let sent = replies_to(&t, user, 1).await;
    assert!(sent[0].text.as_deref().unwrap_or_default().contains(&fee_answer_start()), "answered like the clean text");
    let conv =
        conv_store::open_conversation_of(&t.app.db, "zalo", ward().oa_id, user).await.expect("read").expect("conv");
    let messages = conv_store::messages(&t.app.db, conv.id).await.expect("messages");
    assert_eq!(messages[0].text, FEE_QUESTION, "stored without the control characters");
}

#[tokio::test]
async fn webhook_replayed_five_times_produces_one_reply() {
    let t = spawn().await;
    let zalo = t.zalo.as_ref().expect("fake zalo");
    zalo.inject(Fault::DuplicateWebhooks { copies: 5, count: 1 });
    let d = zalo.user_sends_text(ward().oa_id, "7712390045123987002", FEE_QUESTION).await.expect("send");
    assert_eq!(d.statuses.len(), 5);
    assert!(d.statuses.iter().all(|s| *s == Some(200)), "{:?}", d.statuses);
    replies_to(&t, "7712390045123987002", 1).await;
    all_processed(&t).await;
    // (The fake's echo and receipt of our reply are stored too; count the citizen's message.)
    let db = &t.app.db.inbound_log();
    let stored: i64 = caunoi::db_read!(db, pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM inbound_events WHERE event_name = 'user_send_text'"
    )
    .fetch_one(pool)
    .await)
    .expect("count");
    assert_eq!(stored, 1, "one stored event for five deliveries");
    let rows = outbox_store::all(&t.app.db).await.expect("outbox");
    assert_eq!(rows.len(), 1);
    assert_eq!(zalo.sent_messages("7712390045123987002").len(), 1);
}

#[tokio::test]
async fn invalid_signature_is_refused_and_nothing_is_stored() {
    let t = spawn().await;
    let w = ward();
    let body = text_event(w.app_id, w.oa_id, "7712390045123987003", "badsig0001", FEE_QUESTION);
    let wrong = signed(w.app_id, "not-the-secret", &body);
    assert_eq!(post_webhook(&t, w.oa_id, "application/json", Some(&wrong), body.clone().into_bytes()).await, 401);
    assert_eq!(post_webhook(&t, w.oa_id, "application/json", None, body.clone().into_bytes()).await, 401);
    assert_eq!(post_webhook(&t, w.oa_id, "application/json", Some("mac=zz"), body.clone().into_bytes()).await, 401);
    assert_eq!(post_webhook(&t, "999999999", "application/json", Some(&wrong), body.into_bytes()).await, 401);
    assert_eq!(conv_store::inbound_counts(&t.app.db).await.expect("counts").total, 0);
    let metrics = t.client().get(t.url("/metrics")).send().await.expect("metrics").text().await.unwrap_or_default();
    assert!(metrics.contains("caunoi_webhook_rejected_total{reason=\"bad_signature\"}"), "{metrics}");
    assert!(metrics.contains("caunoi_webhook_rejected_total{reason=\"unknown_oa\"}"));
}

#[tokio::test]
async fn signature_of_another_oa_is_refused() {
    let t = spawn().await;
    let (province, w) = (DEMO_OAS[0], ward());
    // Signed correctly, but with the province OA's app and secret, sent to the ward's URL.
    let body = text_event(province.app_id, w.oa_id, "7712390045123987004", "otheroa001", FEE_QUESTION);
    let mac = signed(province.app_id, province.oa_secret_key, &body);
    assert_eq!(post_webhook(&t, w.oa_id, "application/json", Some(&mac), body.into_bytes()).await, 401);
    // The ward's app id with the province's secret.
    let body = text_event(w.app_id, w.oa_id, "7712390045123987004", "otheroa002", FEE_QUESTION);
    let mac = signed(w.app_id, province.oa_secret_key, &body);
    assert_eq!(post_webhook(&t, w.oa_id, "application/json", Some(&mac), body.into_bytes()).await, 401);
    assert_eq!(conv_store::inbound_counts(&t.app.db).await.expect("counts").total, 0);
}

#[tokio::test]
async fn bad_bodies_get_clear_status_codes_and_unknown_events_are_kept() {
    let t = spawn().await;
    let w = ward();
    let json = "application/json";
    assert_eq!(post_webhook(&t, w.oa_id, json, None, b"{not json".to_vec()).await, 400);
    let body = text_event(w.app_id, w.oa_id, "7712390045123987005", "ctype00001", "x");
    let mac = signed(w.app_id, w.oa_secret_key, &body);
    assert_eq!(post_webhook(&t, w.oa_id, "text/plain", Some(&mac), body.into_bytes()).await, 415);
    let huge = format!("{{\"pad\":\"{}\"}}", "a".repeat(10 * 1024 * 1024));
    assert_eq!(post_webhook(&t, w.oa_id, json, Some("mac=00"), huge.into_bytes()).await, 413);
    // Correctly signed, but a text message without its msg_id.
    let missing = serde_json::json!({
        "app_id": w.app_id, "event_name": "user_send_text", "timestamp": "1763802000123",
        "sender": { "id": "7712390045123987005" }, "recipient": { "id": w.oa_id }, "message": { "text": "x" },
    })
    .to_string();
    let mac = signed(w.app_id, w.oa_secret_key, &missing);
    assert_eq!(post_webhook(&t, w.oa_id, json, Some(&mac), missing.into_bytes()).await, 400);
    // The unsigned registration probe.
    assert_eq!(post_webhook(&t, w.oa_id, json, None, b"{}".to_vec()).await, 200);
    assert_eq!(conv_store::inbound_counts(&t.app.db).await.expect("counts").total, 0);

    let unknown = serde_json::json!({
        "app_id": w.app_id, "oa_id": w.oa_id, "event_name": "shop_has_order", "timestamp": "1763802000999",
        "order": { "id": "42" },
    })
    .to_string();
    let mac = signed(w.app_id, w.oa_secret_key, &unknown);
    assert_eq!(post_webhook(&t, w.oa_id, json, Some(&mac), unknown.into_bytes()).await, 200);
    all_processed(&t).await;
    assert_eq!(conv_store::inbound_counts(&t.app.db).await.expect("counts").total, 1, "the unknown event is kept");
    assert!(outbox_store::all(&t.app.db).await.expect("outbox").is_empty());
}

#[tokio::test]
async fn expired_token_is_refreshed_once_then_the_reply_is_delivered() {
    let t = spawn().await;
    let zalo = t.zalo.as_ref().expect("fake zalo");
    let w = ward();
    zalo.inject(Fault::ExpireAccessToken { oa_id: w.oa_id.into() });
    zalo.user_sends_text(w.oa_id, "7712390045123987006", FEE_QUESTION).await.expect("send");
    replies_to(&t, "7712390045123987006", 1).await;
    assert_eq!(zalo.refresh_call_count_for(w.oa_id), 1);
    let pair = caunoi::channels::zalo::tokens::load_pair(&t.app.db, &t.app.secrets, w.oa_id)
        .await
        .expect("read")
        .expect("tokens");
    assert_ne!(pair.access_token.expose(), format!("FAKE-OA-AT-{}-0", w.oa_id), "the rotated pair is stored");
    assert_eq!(Some(pair.refresh_token.expose().to_string()), zalo.current_refresh_token(w.oa_id));
}

#[tokio::test]
async fn rate_limited_send_is_retried_later() {
    let t = spawn().await;
    let zalo = t.zalo.as_ref().expect("fake zalo");
    zalo.inject(Fault::RateLimit { count: 1 });
    zalo.user_sends_text(ward().oa_id, "7712390045123987007", FEE_QUESTION).await.expect("send");
    let row = eventually("the send is rescheduled", WAIT, || async {
        let rows = outbox_store::all(&t.app.db).await.ok()?;
        rows.into_iter().find(|r| r.status == caunoi::outbox::OutboxStatus::Pending && r.attempts == 1)
    })
    .await;
    assert!(row.last_error.as_deref().unwrap_or("").starts_with("rate_limited"), "{:?}", row.last_error);
    assert!(zalo.sent_messages("7712390045123987007").is_empty());
    t.app.clock.advance(60);
    t.app.channels().outbox_wake.notify_one();
    let sent = replies_to(&t, "7712390045123987007", 1).await;
    assert_eq!(sent.len(), 1);
}

#[tokio::test]
async fn closed_reply_window_makes_a_dead_letter_an_officer_can_retry() {
    let t = spawn().await;
    let zalo = t.zalo.as_ref().expect("fake zalo");
    zalo.inject(Fault::Error { code: -230, message: "User has not interacted with the OA".into(), count: 1 });
    zalo.user_sends_text(ward().oa_id, "7712390045123987008", FEE_QUESTION).await.expect("send");
    let dead = eventually("a dead letter", WAIT, || async {
        outbox_store::all(&t.app.db).await.ok()?.into_iter().find(|r| r.status == caunoi::outbox::OutboxStatus::Dead)
    })
    .await;
    assert!(dead.last_error.as_deref().unwrap_or("").starts_with("reply_window_closed"), "{:?}", dead.last_error);

    let scope_of = |username: &'static str| {
        let db = t.app.db.clone();
        async move {
            let id: i64 =
                caunoi::db_read!(&db, pool => sqlx::query_scalar("SELECT id FROM officers WHERE username = $1")
                .bind(username)
                .fetch_one(pool)
                .await)
                .expect("officer");
            let officer_id = caunoi_core::staff::OfficerId(id);
            let grants = caunoi::staff::store::grants_of(&db, officer_id).await.expect("grants");
            caunoi_core::staff::Scope { officer_id, grants }
        }
    };
    let ward_officer = scope_of("trucban.baichay").await;
    let other_ward = scope_of("admin.honggai").await;
    let listed = caunoi::outbox::service::list_dead(&t.app, &ward_officer).await.expect("list");
    assert_eq!(listed.iter().map(|r| r.id).collect::<Vec<_>>(), vec![dead.id]);
    assert!(caunoi::outbox::service::list_dead(&t.app, &other_ward).await.expect("list").is_empty());
    assert!(caunoi::outbox::service::retry(&t.app, &other_ward, dead.id).await.is_err());
    caunoi::outbox::service::retry(&t.app, &ward_officer, dead.id).await.expect("retry");
    replies_to(&t, "7712390045123987008", 1).await;
}

#[tokio::test]
async fn media_in_an_event_is_downloaded_and_kept() {
    let t = spawn().await;
    let zalo = t.zalo.as_ref().expect("fake zalo");
    zalo.user_sends("7712390045123987009", UserAction::image(ward().oa_id, Some("Xe máy bị lấy trộm")))
        .await
        .expect("send");
    all_processed(&t).await;
    let conv = conv_store::open_conversation_of(&t.app.db, "zalo", ward().oa_id, "7712390045123987009")
        .await
        .expect("read")
        .expect("conversation");
    assert_eq!(conv.status, Status::WaitingHuman);
    let messages = conv_store::messages(&t.app.db, conv.id).await.expect("messages");
    let media = messages[0].media_ref.clone().expect("media kept");
    let bytes = std::fs::read(t.app.config.data_dir.join("media").join(&media)).expect("file");
    assert_eq!(caunoi::media::sniff(&bytes), Some(caunoi::media::FileType::Png));
}

/// Runs the real `caunoi demo` binary against this test's fake Zalo.
fn start_binary(
    data_dir: &std::path::Path,
    port: u16,
    db_url: &Option<String>,
    fake: &str,
    workers: &str,
) -> std::process::Child {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_caunoi"));
    cmd.arg("demo")
        .env("CAUNOI_DATA_DIR", data_dir)
        .env("CAUNOI_LISTEN", format!("127.0.0.1:{port}"))
        .env("CAUNOI_ZALO_API_URL", fake)
        .env("CAUNOI_WORKERS", workers)
        .env_remove("CAUNOI_DATABASE_URL")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    if let Some(url) = db_url {
        cmd.env("CAUNOI_DATABASE_URL", url);
    }
    cmd.spawn().expect("start caunoi")
}

async fn wait_healthy(port: u16) {
    let http = reqwest::Client::new();
    eventually("caunoi answers /healthz", Duration::from_secs(60), || {
        let http = http.clone();
        async move {
            let r = http.get(format!("http://127.0.0.1:{port}/healthz")).send().await.ok()?;
            r.status().is_success().then_some(())
        }
    })
    .await;
}

#[tokio::test]
async fn crash_between_ack_and_processing_still_answers_after_restart() {
    use caunoi_zalo::fake::{FakeApp, FakeConfig, FakeZalo};
    let apps = DEMO_OAS.iter().map(|d| FakeApp::new(d.app_id, d.app_secret, d.oa_id, d.oa_secret_key)).collect();
    let fake = FakeZalo::start(FakeConfig::new(apps)).await.expect("fake");
    let dir = tempfile::tempdir().expect("dir");
    let db = caunoi_testkit::fresh_pg_database().await;
    let db_url = db.as_ref().map(|d| d.url.clone());
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("port").port();
    let w = ward();
    fake.set_webhook_url(w.oa_id, format!("http://127.0.0.1:{port}/channels/zalo/{}/webhook", w.oa_id)).expect("url");

    let mut first = start_binary(dir.path(), port, &db_url, fake.base_url(), "off");
    wait_healthy(port).await;
    let d = fake.user_sends_text(w.oa_id, "7712390045123987010", FEE_QUESTION).await.expect("send");
    assert_eq!(d.statuses, vec![Some(200)], "acknowledged");
    first.kill().expect("kill");
    let _ = first.wait();
    assert!(fake.sent_messages("7712390045123987010").is_empty(), "nothing was processed before the crash");

    let mut second = start_binary(dir.path(), port, &db_url, fake.base_url(), "on");
    wait_healthy(port).await;
    let sent = eventually("the acknowledged question is answered", WAIT, || async {
        let s = fake.sent_messages("7712390045123987010");
        (!s.is_empty()).then_some(s)
    })
    .await;
    let _ = second.kill();
    let _ = second.wait();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].oa_id, w.oa_id);
}

/// Makes storing a citizen message whose text is `boom` fail, as a bad event would.
async fn refuse_boom_messages(db: &caunoi::db::Db) {
    let r = match db {
        caunoi::db::Db::Sqlite(s) => sqlx::raw_sql(
            "CREATE TRIGGER refuse_boom BEFORE INSERT ON messages WHEN NEW.text = 'boom' \
             BEGIN SELECT RAISE(ABORT, 'refused for the test'); END",
        )
        .execute(&s.write)
        .await
        .map(|_| ()),
        caunoi::db::Db::Postgres(p) => sqlx::raw_sql(
            "CREATE FUNCTION refuse_boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
             IF NEW.text = 'boom' THEN RAISE EXCEPTION 'refused for the test'; END IF; RETURN NEW; END $$; \
             CREATE TRIGGER refuse_boom BEFORE INSERT ON messages FOR EACH ROW EXECUTE FUNCTION refuse_boom();",
        )
        .execute(p)
        .await
        .map(|_| ()),
    };
    r.expect("test trigger");
}

#[tokio::test]
async fn a_failing_event_does_not_block_the_rest_of_its_batch() {
    let t = TestApp::spawn_with(Options { demo: true, zalo: true, workers_off: true, ..Default::default() }).await;
    let w = ward();
    refuse_boom_messages(&t.app.db).await;
    // One citizen, so on every engine the three events share one batch transaction.
    let user = "7712390045123987010";
    for (msg_id, text) in [("batch0001", FEE_QUESTION), ("batch0002", "boom"), ("batch0003", FEE_QUESTION)] {
        let body = text_event(w.app_id, w.oa_id, user, msg_id, text);
        let mac = signed(w.app_id, w.oa_secret_key, &body);
        assert_eq!(post_webhook(&t, w.oa_id, "application/json", Some(&mac), body.into_bytes()).await, 200);
    }
    let now = t.app.clock.now_micros();
    let events = conv_store::claim_inbound(&t.app.db, now, now + 30_000_000, 32).await.expect("claim");
    assert_eq!(events.len(), 3);
    let replies = caunoi::conversations::worker::process_claimed(&t.app, events).await;
    assert!(replies >= 2, "both good events answered ({replies} replies)");
    assert_eq!(conv_store::inbound_counts(&t.app.db).await.expect("counts").unprocessed, 1);
    let db = &t.app.db.inbound_log();
    let failed: Vec<(String, Option<String>)> = caunoi::db_read!(db, pool => sqlx::query_as(
        "SELECT dedupe_key, last_error FROM inbound_events WHERE processed_at IS NULL"
    )
    .fetch_all(pool)
    .await)
    .expect("failed events");
    assert!(failed[0].0.ends_with("batch0002"), "{failed:?}");
    assert!(failed[0].1.as_deref().is_some_and(|e| e.contains("refused for the test")), "{failed:?}");
    let db = &t.app.db;
    let conv = conv_store::open_conversation_of(db, "zalo", w.oa_id, user).await.expect("read").expect("conversation");
    let texts: Vec<String> = conv_store::messages(db, conv.id)
        .await
        .expect("messages")
        .into_iter()
        .filter(|m| m.direction == Direction::In)
        .map(|m| m.text)
        .collect();
    assert_eq!(texts, vec![FEE_QUESTION.to_string(), FEE_QUESTION.to_string()], "in order, the bad one left out");
}

#[tokio::test]
async fn every_acknowledged_webhook_is_stored_before_its_answer() {
    let t = TestApp::spawn_with(Options { demo: true, zalo: true, workers_off: true, ..Default::default() }).await;
    let w = ward();
    // Concurrent deliveries share group commits; each one twice (a duplicate stores nothing).
    let posts = (0..40).flat_map(|i| {
        let body =
            text_event(w.app_id, w.oa_id, &format!("77123900451239871{i:02}"), &format!("group{i:04}"), FEE_QUESTION);
        let mac = signed(w.app_id, w.oa_secret_key, &body);
        [(mac.clone(), body.clone()), (mac, body)]
    });
    let statuses = futures::future::join_all(posts.map(|(mac, body)| {
        let t = &t;
        async move { post_webhook(t, w.oa_id, "application/json", Some(&mac), body.into_bytes()).await }
    }))
    .await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    // No waiting: every 200 was sent after its event's commit.
    let counts = conv_store::inbound_counts(&t.app.db).await.expect("counts");
    assert_eq!(counts.total, 40);
    assert_eq!(counts.unprocessed, 40);
}

#[tokio::test]
async fn a_batch_of_several_citizens_keeps_each_conversation_in_order() {
    let t = TestApp::spawn_with(Options { demo: true, zalo: true, workers_off: true, ..Default::default() }).await;
    let w = ward();
    let users = ["7712390045123987201", "7712390045123987202", "7712390045123987203"];
    // Interleaved: every citizen's first message, then every citizen's second.
    for (round, text) in ["xin chào", FEE_QUESTION].into_iter().enumerate() {
        for (u, user) in users.iter().enumerate() {
            let body = text_event(w.app_id, w.oa_id, user, &format!("wave{round}{u}"), text);
            let mac = signed(w.app_id, w.oa_secret_key, &body);
            assert_eq!(post_webhook(&t, w.oa_id, "application/json", Some(&mac), body.into_bytes()).await, 200);
        }
    }
    let now = t.app.clock.now_micros();
    let events = conv_store::claim_inbound(&t.app.db, now, now + 30_000_000, 32).await.expect("claim");
    assert_eq!(events.len(), 6);
    let replies = caunoi::conversations::worker::process_claimed(&t.app, events).await;
    assert_eq!(conv_store::inbound_counts(&t.app.db).await.expect("counts").unprocessed, 0);
    let outbox = outbox_store::all(&t.app.db).await.expect("outbox");
    assert_eq!(outbox.len(), replies, "every reply counted is queued");
    let fee = fee_answer_start();
    for user in users {
        let db = &t.app.db;
        let conv =
            conv_store::open_conversation_of(db, "zalo", w.oa_id, user).await.expect("read").expect("one conversation");
        let messages = conv_store::messages(db, conv.id).await.expect("messages");
        let incoming: Vec<&str> =
            messages.iter().filter(|m| m.direction == Direction::In).map(|m| m.text.as_str()).collect();
        assert_eq!(incoming, vec!["xin chào", FEE_QUESTION], "{user}: in order");
        // The greeting's replies come before the second message, the fee answer after it.
        let second = messages.iter().position(|m| m.text == FEE_QUESTION).expect("second message");
        assert!(messages[..second].iter().any(|m| m.direction == Direction::Out), "{user}: greeted first");
        assert!(
            messages[second..].iter().any(|m| m.direction == Direction::Out && m.text.contains(&fee)),
            "{user}: fee answer"
        );
        let queued = outbox.iter().filter(|o| o.recipient == user).count();
        let out = messages.iter().filter(|m| m.direction == Direction::Out).count();
        assert_eq!(queued, out, "{user}: each bot message queued once");
    }
}

#[tokio::test]
async fn echoes_of_our_own_sends_are_kept_without_work_and_officer_echoes_are_processed() {
    let t = TestApp::spawn_with(Options { demo: true, zalo: true, workers_off: true, ..Default::default() }).await;
    let w = ward();
    let echo = |msg_id: &str, admin: Option<&str>| {
        let mut body = serde_json::json!({
            "app_id": w.app_id, "event_name": "oa_send_text",
            "timestamp": jiff::Timestamp::now().as_millisecond().to_string(),
            "sender": { "id": w.oa_id }, "recipient": { "id": "7712390045123987301" },
            "message": { "text": "Chào anh", "msg_id": msg_id },
        });
        if let Some(admin) = admin {
            body["sender"]["admin_id"] = serde_json::json!(admin);
        }
        body.to_string()
    };
    for body in [echo("echo0001", None), echo("echo0002", Some("4455667788"))] {
        let mac = signed(w.app_id, w.oa_secret_key, &body);
        assert_eq!(post_webhook(&t, w.oa_id, "application/json", Some(&mac), body.into_bytes()).await, 200);
    }
    let counts = conv_store::inbound_counts(&t.app.db).await.expect("counts");
    assert_eq!(counts.total, 2, "both kept");
    assert_eq!(counts.unprocessed, 1, "only the echo of a human in OA Manager waits for the worker");
}

#[tokio::test]
async fn a_later_reply_waits_for_an_earlier_one_that_must_be_retried() {
    let t = TestApp::spawn_with(Options { demo: true, zalo: true, workers_off: true, ..Default::default() }).await;
    let zalo = t.zalo.as_ref().expect("fake zalo");
    let (w, user) = (ward(), "7712390045123987401");
    // The citizen wrote (the reply window is open); two replies to them are queued, in order.
    zalo.user_sends_text(w.oa_id, user, "xin chào").await.expect("send");
    let now = t.app.clock.now_micros();
    let unit_id: i64 = caunoi::db_read!(&t.app.db, pool => sqlx::query_scalar(
        "SELECT unit_id FROM zalo_oa_connections WHERE oa_id = $1"
    )
    .bind(w.oa_id)
    .fetch_one(pool)
    .await)
    .expect("unit");
    for (i, text) in ["thứ nhất", "thứ hai"].into_iter().enumerate() {
        let payload =
            serde_json::to_string(&caunoi::outbox::Payload::Text { text: text.into(), quote_message_id: None })
                .expect("payload");
        let key = format!("order-test:{i}");
        let row = outbox_store::NewOutbox {
            idempotency_key: &key,
            channel: caunoi_core::conversations::Channel::Zalo,
            unit_id: caunoi_core::units::UnitId(unit_id),
            oa_id: Some(w.oa_id),
            recipient: user,
            conversation_id: None,
            message_id: None,
            payload: &payload,
            run_at: now,
        };
        let insert = async {
            let mut tx = t.app.db.begin().await?;
            let queued = caunoi::outbox::store::insert(&mut tx, &row).await?;
            tx.commit().await?;
            Ok::<_, caunoi::db::StoreError>(queued)
        };
        assert!(insert.await.expect("queued").is_some());
    }
    zalo.inject(Fault::RateLimit { count: 1 });
    let rows = outbox_store::claim(&t.app.db, now, now + 60_000_000, 32).await.expect("claim");
    assert_eq!(rows.len(), 2);
    caunoi::channels::delivery::deliver_batch(&t.app, &rows).await;
    let after = outbox_store::all(&t.app.db).await.expect("rows");
    let (first, second) = (&after[0], &after[1]);
    assert_eq!((first.status.as_str(), first.attempts), ("pending", 1));
    assert!(first.last_error.as_deref().unwrap_or("").starts_with("rate_limited"), "{:?}", first.last_error);
    assert_eq!((second.status.as_str(), second.attempts), ("pending", 0), "not tried, no attempt spent");
    assert_eq!(second.last_error, None);
    assert!(second.run_at >= first.run_at, "due no earlier than the first");
    assert!(zalo.sent_messages(user).iter().all(|m| m.text.as_deref() != Some("thứ hai")), "did not overtake");
    // Once the first's retry is due, both go, in order.
    t.app.clock.advance(120);
    let later = t.app.clock.now_micros();
    let rows = outbox_store::claim(&t.app.db, later, later + 60_000_000, 32).await.expect("claim again");
    assert_eq!(rows.len(), 2);
    caunoi::channels::delivery::deliver_batch(&t.app, &rows).await;
    let texts: Vec<String> = zalo.sent_messages(user).into_iter().filter_map(|m| m.text).collect();
    let ours: Vec<&str> = texts.iter().map(String::as_str).filter(|t| t.starts_with("thứ")).collect();
    assert_eq!(ours, vec!["thứ nhất", "thứ hai"]);
}

#[tokio::test]
async fn reconnecting_a_unit_to_another_oa_takes_effect_on_the_webhook_at_once() {
    let t = TestApp::spawn_with(Options { demo: true, zalo: true, workers_off: true, ..Default::default() }).await;
    let zalo = t.zalo.as_ref().expect("fake zalo");
    let w = ward();
    let post = |oa_id: &'static str, app_id: &'static str, secret: &'static str, msg_id: &'static str| {
        let body = text_event(app_id, oa_id, "7712390045123987501", msg_id, FEE_QUESTION);
        let mac = signed(app_id, secret, &body);
        let t = &t;
        async move { post_webhook(t, oa_id, "application/json", Some(&mac), body.into_bytes()).await }
    };
    // The binding is read (and kept) by the first webhook.
    assert_eq!(post(w.oa_id, w.app_id, w.oa_secret_key, "rebind0001").await, 200);
    // The ward's admin connects another OA (a token pair from the API Explorer).
    zalo.add_app(caunoi_zalo::fake::FakeApp::new("4321987654321", "new-app-secret", "1234567890123", "new-oa-secret"));
    let admin = t.login("admin.qn").await;
    let form = [
        ("app_id", "4321987654321"),
        ("oa_id", "1234567890123"),
        ("app_secret", "new-app-secret"),
        ("oa_secret_key", "new-oa-secret"),
        ("access_token", "FAKE-OA-AT-1234567890123-0"),
        ("refresh_token", "FAKE-OA-RT-1234567890123-0"),
    ];
    let (status, body) = t.post(&admin, &format!("/units/{}/zalo/tokens", w.unit), &form).await;
    assert_eq!(status, 303, "{body}");
    // The old OA is no longer connected anywhere: refused now, not after the cache's lifetime.
    assert_eq!(post(w.oa_id, w.app_id, w.oa_secret_key, "rebind0002").await, 401);
    assert_eq!(post("1234567890123", "4321987654321", "new-oa-secret", "rebind0003").await, 200);
    assert_eq!(post("1234567890123", "4321987654321", w.oa_secret_key, "rebind0004").await, 401, "old secret");
    assert_eq!(conv_store::inbound_counts(&t.app.db).await.expect("counts").total, 2);
}

/// The log row of one stored event: (attempts, locked_until, processed_at, last_error).
async fn log_row(t: &TestApp, dedupe_suffix: &str) -> Option<(i64, Option<i64>, Option<i64>, Option<String>)> {
    let db = &t.app.db.inbound_log();
    let pattern = format!("%{dedupe_suffix}");
    caunoi::db_read!(db, pool => sqlx::query_as(
        "SELECT attempts, locked_until, processed_at, last_error FROM inbound_events WHERE dedupe_key LIKE $1"
    )
    .bind(&pattern)
    .fetch_optional(pool)
    .await)
    .expect("log row")
}

async fn incoming_texts(t: &TestApp, oa_id: &str, user: &str) -> Vec<String> {
    let db = &t.app.db;
    let Some(conv) = conv_store::open_conversation_of(db, "zalo", oa_id, user).await.expect("read") else {
        return Vec::new();
    };
    let messages = conv_store::messages(db, conv.id).await.expect("messages");
    messages.into_iter().filter(|m| m.direction == Direction::In).map(|m| m.text).collect()
}

#[tokio::test]
async fn a_failed_event_rests_then_the_worker_retries_it() {
    let t = spawn().await;
    let w = ward();
    refuse_boom_messages(&t.app.db).await;
    let user = "7712390045123987301";
    let body = text_event(w.app_id, w.oa_id, user, "rest0001", "boom");
    let mac = signed(w.app_id, w.oa_secret_key, &body);
    assert_eq!(post_webhook(&t, w.oa_id, "application/json", Some(&mac), body.into_bytes()).await, 200);
    let (attempts, locked_until, processed_at, _) =
        eventually("the failure recorded", WAIT, || async { log_row(&t, "rest0001").await.filter(|r| r.3.is_some()) })
            .await;
    assert_eq!(attempts, 1);
    assert!(processed_at.is_none());
    let now = t.app.clock.now_micros();
    assert!(locked_until.is_some_and(|until| until > now + 20_000_000), "rests about 30 s: {locked_until:?}");
    assert!(incoming_texts(&t, w.oa_id, user).await.is_empty(), "nothing of it applied");
    // The cause goes away; once its rest is over the worker takes it again.
    let drop_trigger = match &t.app.db {
        caunoi::db::Db::Sqlite(_) => "DROP TRIGGER refuse_boom",
        caunoi::db::Db::Postgres(_) => "DROP TRIGGER refuse_boom ON messages",
    };
    let db = &t.app.db;
    caunoi::db_write!(db, pool => sqlx::query(drop_trigger).execute(pool).await.map(|_| ())).expect("drop trigger");
    t.app.clock.advance(31);
    t.app.channels().inbound_wake.notify_one();
    eventually("the retry applied", WAIT, || async { log_row(&t, "rest0001").await.filter(|r| r.2.is_some()) }).await;
    assert_eq!(incoming_texts(&t, w.oa_id, user).await, vec!["boom".to_string()]);
}

#[tokio::test]
async fn an_event_applied_but_not_yet_marked_in_the_log_is_not_applied_twice() {
    let t = TestApp::spawn_with(Options { demo: true, zalo: true, workers_off: true, ..Default::default() }).await;
    let w = ward();
    let user = "7712390045123987302";
    let body = text_event(w.app_id, w.oa_id, user, "mark0001", FEE_QUESTION);
    let mac = signed(w.app_id, w.oa_secret_key, &body);
    assert_eq!(post_webhook(&t, w.oa_id, "application/json", Some(&mac), body.into_bytes()).await, 200);
    let now = t.app.clock.now_micros();
    let events = conv_store::pending_inbound(&t.app.db, now, 32).await.expect("pending");
    assert_eq!(events.len(), 1);
    // Applied, then "crashed" before the inbound log was told (`worker::apply` leaves that to
    // its caller).
    let worker = caunoi::conversations::worker::apply;
    let first = worker(&t.app, caunoi::conversations::worker::prepare(&t.app, events).await).await;
    assert!(first.replies >= 1);
    let queued = outbox_store::all(&t.app.db).await.expect("outbox").len();
    let again = conv_store::pending_inbound(&t.app.db, now, 32).await.expect("pending");
    if t.app.db.engine() == caunoi::db::Engine::Sqlite {
        assert_eq!(again.len(), 1, "the log still shows it pending");
    }
    // Read again: skipped as applied, and now marked.
    assert_eq!(caunoi::conversations::worker::process_claimed(&t.app, again).await, 0);
    assert_eq!(outbox_store::all(&t.app.db).await.expect("outbox").len(), queued, "no second reply");
    assert_eq!(incoming_texts(&t, w.oa_id, user).await, vec![FEE_QUESTION.to_string()]);
    assert_eq!(conv_store::inbound_counts(&t.app.db).await.expect("counts").unprocessed, 0);
}
