//! Web Push through real HTTP and a test push service on 127.0.0.1 that decrypts every message
//! as RFC 8291 says and checks its VAPID token (RFC 8292), on the engine the suite runs on
//! (SQLite, or PostgreSQL when `CAUNOI_TEST_DATABASE_URL` is set): subscribing from the
//! console, alarms that arrive decrypted with `Urgency: high`, a revoked subscription removed,
//! retries after 503, a queued alarm that survives a crashed worker, bad input refused with a
//! clear message, and devices that only their officer sees.

use caunoi::db_read;
use caunoi::push::service::{self, alarm};
use caunoi::push::{Alarm, store};
use caunoi_core::staff::OfficerId;
use caunoi_testkit::push::{TestPushService, TestSubscription};
use caunoi_testkit::{Options, TestApp, eventually};
use std::time::Duration;

const ANDROID_CHROME: &str = "Mozilla/5.0 (Linux; Android 14; SM-A546E) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36";
const WAIT: Duration = Duration::from_secs(20);

async fn spawn(workers: bool) -> TestApp {
    TestApp::spawn_with(Options { demo: true, push_test_endpoints: true, workers_off: !workers, ..Default::default() })
        .await
}

async fn officer_id(t: &TestApp, username: &str) -> OfficerId {
    let db = &t.app.db;
    OfficerId(
        db_read!(db, pool => sqlx::query_scalar("SELECT id FROM officers WHERE username = $1").bind(username).fetch_one(pool).await)
            .unwrap(),
    )
}

/// Posts `body` as JSON to `path`; (status, JSON answer).
async fn post_json(t: &TestApp, c: &reqwest::Client, path: &str, body: &str) -> (u16, serde_json::Value) {
    let r = c
        .post(t.url(path))
        .header("content-type", "application/json")
        .header("user-agent", ANDROID_CHROME)
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(serde_json::Value::Null))
}

/// Turns alarms on for `sub` as the console's script does; the stored subscription's id.
async fn subscribe(t: &TestApp, c: &reqwest::Client, sub: &TestSubscription) -> i64 {
    let (status, body) = post_json(t, c, "/push/subscriptions", &sub.json().to_string()).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["device"], "Chrome · Android");
    body["id"].as_i64().unwrap()
}

async fn subscription_count(t: &TestApp) -> i64 {
    let db = &t.app.db;
    db_read!(db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM push_subscriptions").fetch_one(pool).await).unwrap()
}

/// The first message the push service accepted, once there is one.
async fn first_received(push: &TestPushService, what: &str) -> caunoi_testkit::push::Received {
    eventually(what, WAIT, || {
        let r = push.received();
        async move { r.into_iter().next() }
    })
    .await
}

/// The first queued push message for which `check` holds, once there is one.
async fn row_where(t: &TestApp, what: &str, check: impl Fn(&store::PushRow) -> bool) -> store::PushRow {
    eventually(what, WAIT, || {
        let db = t.app.db.clone();
        let check = &check;
        async move { store::all_pushes(&db).await.ok()?.into_iter().find(|r| check(r)) }
    })
    .await
}

fn fire_alarm() -> Alarm {
    Alarm::new(
        "Tin khẩn: cháy",
        "Công an phường Bãi Cháy — tin báo khẩn đang chờ",
        "/inbox/42",
        "urgent-conversation-42",
    )
}

#[tokio::test]
async fn an_alarm_arrives_decrypted_with_a_valid_vapid_token_and_urgency_high() {
    let t = spawn(true).await;
    let push = TestPushService::start().await;
    let c = t.login("canbo.baichay").await;
    let sub = push.subscribe();
    let id = subscribe(&t, &c, &sub).await;
    let (status, key) = {
        let r = c.get(t.url("/push/key")).send().await.unwrap();
        (r.status().as_u16(), r.json::<serde_json::Value>().await.unwrap())
    };
    assert_eq!(status, 200);

    let officer = officer_id(&t, "canbo.baichay").await;
    let started = std::time::Instant::now();
    assert_eq!(alarm(&t.app, &[officer], &fire_alarm()).await.unwrap(), 1);
    let got = first_received(&push, "the alarm reaches the push service").await;
    assert!(started.elapsed() < WAIT);
    assert!(push.rejected().is_empty(), "{:?}", push.rejected());

    let payload = got.json();
    assert_eq!(payload["title"], "Tin khẩn: cháy");
    assert_eq!(payload["body"], "Công an phường Bãi Cháy — tin báo khẩn đang chờ");
    assert_eq!(payload["url"], "/inbox/42");
    assert_eq!(payload["tag"], "urgent-conversation-42");
    assert_eq!(got.urgency.as_deref(), Some("high"));
    assert_eq!(got.topic.as_deref(), Some("urgent-conversation-42"));
    assert!(got.ttl.is_some_and(|ttl| ttl > 1700 && ttl <= 1800), "{:?}", got.ttl);
    assert_eq!(got.claims["aud"], push.origin());
    assert_eq!(got.claims["sub"], t.app.config.push_contact.as_str());
    let exp = got.claims["exp"].as_i64().unwrap();
    assert!(exp - jiff::Timestamp::now().as_second() <= 24 * 3600);
    assert_eq!(got.vapid_key, key["key"].as_str().unwrap(), "signed with the key browsers subscribe with");

    // The device list shows the success.
    let devices = service::devices(&t.app, officer).await.unwrap();
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0].id, id);
    let delivered = eventually("the device records the success", WAIT, || {
        let app = t.app.clone();
        async move { service::devices(&app, officer).await.ok()?.into_iter().find(|d| d.last_success_at.is_some()) }
    })
    .await;
    assert_eq!(delivered.device, "Chrome · Android");
    let (status, page) = t.get(&c, "/account/alarms").await;
    assert_eq!(status, 200);
    assert!(page.contains("Chrome · Android") && page.contains("Gửi thử") && page.contains("127.0.0.1"), "{page}");
}

#[tokio::test]
async fn vapid_keys_are_made_once_and_kept_sealed_with_the_instance_key() {
    let t = spawn(false).await;
    let first = service::public_key(&t.app).await.unwrap();
    let (public, sealed) = store::vapid_keys(&t.app.db).await.unwrap().unwrap();
    assert_eq!(public, first);
    assert!(sealed.starts_with("v1:"), "sealed by the secret box");
    assert_eq!(t.app.secrets.decrypt(&sealed).unwrap().len(), 32);
    // Another process over the same database (a restart, or a second instance) uses the same pair.
    let again = caunoi::server::assemble(t.app.db.clone(), t.app.config.clone());
    assert_eq!(service::public_key(&again).await.unwrap(), first);
    // With another instance key the sealed pair does not open, and no new pair replaces it.
    let mut foreign = t.app.config.clone();
    foreign.secret_key = [9; 32];
    let foreign = caunoi::server::assemble(t.app.db.clone(), foreign);
    assert!(service::public_key(&foreign).await.is_err());
    assert_eq!(store::vapid_keys(&t.app.db).await.unwrap().unwrap().0, first);
}

#[tokio::test]
async fn a_revoked_subscription_is_removed_when_the_push_service_answers_410() {
    let t = spawn(true).await;
    let push = TestPushService::start().await;
    let c = t.login("trucban.baichay").await;
    let kept = push.subscribe();
    let revoked = push.subscribe();
    subscribe(&t, &c, &kept).await;
    let gone = subscribe(&t, &c, &revoked).await;
    push.revoke(&revoked);

    let officer = officer_id(&t, "trucban.baichay").await;
    assert_eq!(alarm(&t.app, &[officer], &fire_alarm()).await.unwrap(), 2);
    eventually("the revoked subscription is removed", WAIT, || {
        let app = t.app.clone();
        async move { service::devices(&app, officer).await.ok().filter(|d| d.iter().all(|d| d.id != gone)) }
    })
    .await;
    eventually("the other device still gets the alarm", WAIT, || {
        let n = push.received().len();
        async move { (n == 1).then_some(()) }
    })
    .await;
    let rows = store::all_pushes(&t.app.db).await.unwrap();
    assert!(rows.iter().all(|r| r.subscription_id != gone), "its queued messages went with it");
    assert_eq!(subscription_count(&t).await, 1);
}

#[tokio::test]
async fn a_push_service_answering_503_is_tried_again_with_backoff() {
    let t = spawn(true).await;
    let push = TestPushService::start().await;
    let c = t.login("canbo.baichay").await;
    let sub = push.subscribe();
    subscribe(&t, &c, &sub).await;
    push.script(&sub, &[503, 429]);

    let officer = officer_id(&t, "canbo.baichay").await;
    alarm(&t.app, &[officer], &fire_alarm()).await.unwrap();
    let row =
        row_where(&t, "the first attempt failed and waits for its retry", |r| r.status == "pending" && r.attempts == 1)
            .await;
    assert!(row.last_error.as_deref().is_some_and(|e| e.contains("503")), "{:?}", row.last_error);
    assert!(row.run_at > t.app.clock.now_micros(), "not before its backoff");
    assert!(push.received().is_empty());

    // Time passes (the clock, not a sleep): the retry meets a 429 with Retry-After, then 201.
    for attempts in [2, 3] {
        t.app.clock.advance(20);
        t.app.push().wake();
        if attempts == 2 {
            row_where(&t, "the second attempt is answered 429", |r| r.status == "pending" && r.attempts == 2).await;
        }
    }
    let got = first_received(&push, "the third attempt is delivered").await;
    assert_eq!(got.json()["title"], "Tin khẩn: cháy");
    assert_eq!(push.requests(), 3);
    let row = row_where(&t, "the row is settled as sent", |r| r.status == "sent").await;
    assert_eq!(row.attempts, 3);
}

#[tokio::test]
async fn a_queued_alarm_is_delivered_after_its_worker_crashed() {
    // No worker in this process: the alarm is only queued.
    let t = spawn(false).await;
    let push = TestPushService::start().await;
    let c = t.login("canbo.baichay").await;
    let sub = push.subscribe();
    subscribe(&t, &c, &sub).await;
    let officer = officer_id(&t, "canbo.baichay").await;
    assert_eq!(alarm(&t.app, &[officer], &fire_alarm()).await.unwrap(), 1);

    // A worker claims it and dies before sending: the row stays leased.
    let now = t.app.clock.now_micros();
    let leased = store::claim(&t.app.db, now, now + 60_000_000, 32).await.unwrap();
    assert_eq!(leased.len(), 1);
    assert_eq!(store::all_pushes(&t.app.db).await.unwrap()[0].status, "sending");

    // A new process on the same database, with its worker, after the lease ran out.
    let mut config = t.app.config.clone();
    config.workers = true;
    let restarted = caunoi::server::assemble(t.app.db.clone(), config);
    restarted.clock.advance(61);
    let _worker = caunoi::push::start_worker(&restarted);
    let got = first_received(&push, "the new worker delivers the queued alarm").await;
    assert_eq!(got.json()["url"], "/inbox/42");
    row_where(&t, "the row is settled as sent", |r| r.status == "sent").await;
    assert_eq!(push.received().len(), 1, "delivered once");
    assert!(push.rejected().is_empty(), "{:?}", push.rejected());
}

#[tokio::test]
async fn bad_subscriptions_are_refused_with_a_clear_message_and_nothing_is_saved() {
    let t = spawn(false).await;
    let push = TestPushService::start().await;
    let c = t.login("canbo.baichay").await;
    let good = push.subscribe();
    let with = |endpoint: &str, p256dh: &str, auth: &str| {
        serde_json::json!({ "endpoint": endpoint, "keys": { "p256dh": p256dh, "auth": auth } }).to_string()
    };
    let long = format!("https://fcm.googleapis.com/fcm/send/{}", "x".repeat(2000));
    let compressed = "A".repeat(44); // 33 octets: not an uncompressed point
    let cases = [
        (with("http://fcm.googleapis.com/fcm/send/x", &good.p256dh, &good.auth), "endpoint"),
        (with("https://10.1.2.3/push/x", &good.p256dh, &good.auth), "endpoint"),
        (with("https://169.254.169.254/latest", &good.p256dh, &good.auth), "endpoint"),
        (with("https://192.168.1.10/push/x", &good.p256dh, &good.auth), "endpoint"),
        (with(&long, &good.p256dh, &good.auth), "endpoint"),
        (with(&good.endpoint, &compressed, &good.auth), "p256dh"),
        (with(&good.endpoint, "not base64 at all!", &good.auth), "p256dh"),
        (with(&good.endpoint, &good.p256dh, "AAECAwQFBgcICQoLDA0ODxA"), "auth"),
        (with(&good.endpoint, &good.p256dh, &"A".repeat(500)), "keys"),
    ];
    for (body, field) in cases {
        let (status, answer) = post_json(&t, &c, "/push/subscriptions", &body).await;
        assert_eq!(status, 422, "{body}: {answer}");
        assert_eq!(answer["field"], field, "{answer}");
        let message = answer["message"].as_str().unwrap();
        assert!(!message.is_empty() && !message.is_ascii(), "a Vietnamese message: {message}");
    }
    let (status, answer) = post_json(&t, &c, "/push/subscriptions", "{not json").await;
    assert_eq!(status, 400);
    assert!(answer["message"].as_str().unwrap().contains("định dạng"), "{answer}");
    let (status, _) =
        post_json(&t, &c, "/push/subscriptions", &format!("{{\"pad\":\"{}\"}}", "x".repeat(10_000))).await;
    assert_eq!(status, 413);
    assert_eq!(subscription_count(&t).await, 0, "nothing half-saved");

    // Signed out: nothing reaches the service.
    let anonymous = t.client();
    let r = anonymous.post(t.url("/push/subscriptions")).body(good.json().to_string()).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 303);
    // A cross-site post is refused by the CSRF check like every other.
    let r = c
        .post(t.url("/push/subscriptions"))
        .header("sec-fetch-site", "cross-site")
        .body(good.json().to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    assert_eq!(subscription_count(&t).await, 0);
}

#[tokio::test]
async fn an_officer_sees_and_removes_only_their_own_devices() {
    let t = spawn(true).await;
    let push = TestPushService::start().await;
    let owner = t.login("canbo.baichay").await;
    let other = t.login("trucban.baichay").await;
    let phone = push.subscribe();
    let desktop = push.subscribe();
    let phone_id = subscribe(&t, &owner, &phone).await;
    let desktop_id = subscribe(&t, &owner, &desktop).await;

    let (_, page) = t.get(&other, "/account/alarms").await;
    assert!(!page.contains(&format!("device-{phone_id}")), "another officer's device is not listed");
    for action in ["delete", "test"] {
        let (status, _) = t.post(&other, &format!("/account/alarms/{phone_id}/{action}"), &[]).await;
        assert_eq!(status, 404, "{action} of another officer's device");
    }
    let (_, status) = post_json(
        &t,
        &other,
        "/push/subscriptions/status",
        &serde_json::json!({"endpoint": phone.endpoint}).to_string(),
    )
    .await;
    assert_eq!(status["known"], false);
    let r = other
        .post(t.url("/push/subscriptions/remove"))
        .body(serde_json::json!({"endpoint": phone.endpoint}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 204);
    assert_eq!(subscription_count(&t).await, 2, "not removed by someone else");

    // "Gửi thử" rings the one device.
    let (status, _) = t.post(&owner, &format!("/account/alarms/{desktop_id}/test"), &[]).await;
    assert_eq!(status, 303);
    let got = first_received(&push, "the test alarm arrives").await;
    assert_eq!(got.json()["title"], "Thử báo động caunoi");
    assert_eq!(got.subscription, desktop.endpoint.rsplit('/').next().unwrap());
    let queued = store::all_pushes(&t.app.db).await.unwrap();
    assert_eq!(queued.len(), 1, "only the chosen device");
    assert_eq!(queued[0].subscription_id, desktop_id);

    let (_, known) = post_json(
        &t,
        &owner,
        "/push/subscriptions/status",
        &serde_json::json!({"endpoint": phone.endpoint}).to_string(),
    )
    .await;
    assert_eq!((known["known"].as_bool(), known["id"].as_i64()), (Some(true), Some(phone_id)));
    let (status, _) = t.post(&owner, &format!("/account/alarms/{phone_id}/delete"), &[]).await;
    assert_eq!(status, 303);
    let (_, page) = t.get(&owner, "/account/alarms?removed=1").await;
    assert!(page.contains("Đã gỡ thiết bị") && !page.contains(&format!("device-{phone_id}\"")), "{page}");
    assert_eq!(subscription_count(&t).await, 1);
}

#[tokio::test]
async fn alarms_are_checked_at_the_source_and_queued_once_per_key() {
    let t = spawn(false).await;
    let push = TestPushService::start().await;
    let c = t.login("canbo.baichay").await;
    subscribe(&t, &c, &push.subscribe()).await;
    subscribe(&t, &c, &push.subscribe()).await;
    let officer = officer_id(&t, "canbo.baichay").await;

    // Over the 4 KB a push message holds: 1,000 three-byte letters and a long link.
    let big = Alarm::new("Tin khẩn", "ệ".repeat(1000), format!("/inbox/42?{}", "a".repeat(980)), "t");
    let e = alarm(&t.app, &[officer], &big).await.unwrap_err();
    assert!(e.to_string().contains("4 KB"), "{e}");
    for bad in [
        Alarm::new("", "x", "/inbox", "t"),
        Alarm::new("Tin khẩn", "x", "https://evil.example/", "t"),
        Alarm::new("Tin khẩn", "x", "//evil.example/", "t"),
        Alarm::new("Tin khẩn", "x", "/inbox", ""),
    ] {
        assert!(alarm(&t.app, &[officer], &bad).await.is_err(), "{bad:?}");
    }
    assert!(store::all_pushes(&t.app.db).await.unwrap().is_empty(), "nothing queued");

    let once = fire_alarm().once_per("urgent:42:1");
    assert_eq!(alarm(&t.app, &[officer], &once).await.unwrap(), 2, "one per device");
    assert_eq!(alarm(&t.app, &[officer], &once).await.unwrap(), 0, "a replay queues nothing");
    assert_eq!(alarm(&t.app, &[officer], &fire_alarm()).await.unwrap(), 2, "without a key every call rings");
    assert_eq!(alarm(&t.app, &[], &fire_alarm()).await.unwrap(), 0);

    // A disabled account's devices ring no more.
    let db = &t.app.db;
    caunoi::db_write!(db, pool => sqlx::query("UPDATE officers SET disabled = TRUE WHERE id = $1").bind(officer.0).execute(pool).await.map(|_| ()))
        .unwrap();
    assert_eq!(alarm(&t.app, &[officer], &fire_alarm()).await.unwrap(), 0);
}

#[tokio::test]
async fn the_console_is_installable_and_offers_alarms_on_the_inbox() {
    let t = spawn(false).await;
    let c = t.login("canbo.baichay").await;
    let r = c.get(t.url("/sw.js")).send().await.unwrap();
    assert_eq!(r.headers()["content-type"], "text/javascript; charset=utf-8");
    let sw = r.text().await.unwrap();
    assert!(sw.contains("requireInteraction: true") && sw.contains("renotify: true") && sw.contains("vibrate"));
    let r = c.get(t.url("/manifest.webmanifest")).send().await.unwrap();
    assert_eq!(r.headers()["content-type"], "application/manifest+json");
    let manifest: serde_json::Value = r.json().await.unwrap();
    assert_eq!(manifest["name"], "caunoi – Trực ban");
    assert_eq!(manifest["display"], "standalone");
    assert_eq!(manifest["start_url"], "/inbox");
    for icon in manifest["icons"].as_array().unwrap() {
        let r = c.get(t.url(icon["src"].as_str().unwrap())).send().await.unwrap();
        assert_eq!((r.status().as_u16(), r.headers()["content-type"].to_str().unwrap()), (200, "image/png"));
    }
    let (_, inbox) = t.get(&c, "/inbox").await;
    assert!(
        inbox.contains("id=\"push-enable\"")
            && inbox.contains("data-push=\"inbox\"")
            && inbox.contains("/static/push.js")
    );
    assert!(inbox.contains("rel=\"manifest\""));
    let (_, account) = t.get(&c, "/account").await;
    assert!(account.contains("href=\"/account/alarms\""));
}
