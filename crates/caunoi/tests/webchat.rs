//! The web chat end to end over real HTTP: a citizen's session (cookie or the widget's token),
//! messages through the same one-transaction path as Zalo, replies delivered by the outbox
//! worker and read on the live stream (SSE), uploads checked by content, framing allowed only
//! for the chat page, and sessions that cannot read each other. Runs on SQLite, and on
//! PostgreSQL when `CAUNOI_TEST_DATABASE_URL` is set. Asynchronous outcomes are awaited with a
//! deadline, never a fixed sleep.

use caunoi::conversations::store as conv_store;
use caunoi::outbox::store as outbox_store;
use caunoi_core::conversations::{Channel, Direction};
use caunoi_core::inbox::Status;
use caunoi_testkit::TestApp;
use serde_json::Value;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(20);
const UNIT: &str = "qn-bai-chay";
const FEE_QUESTION: &str = "lam cccd het bao nhieu tien";
const FEE_TITLE: &str = "Lệ phí cấp, đổi, cấp lại thẻ căn cước";

fn chat(path: &str) -> String {
    format!("/u/{UNIT}/chat{path}")
}

/// A browser that opened the chat page: it holds the session cookie.
async fn open_chat(t: &TestApp) -> reqwest::Client {
    let c = t.client();
    let r = c.get(t.url(&chat(""))).send().await.expect("chat page");
    assert_eq!(r.status(), 200);
    c
}

async fn send(t: &TestApp, c: &reqwest::Client, body: Value) -> (u16, Value) {
    let r = c.post(t.url(&chat("/messages"))).json(&body).send().await.expect("post");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// A live stream of the chat, read as parsed `message` events.
struct Stream {
    resp: reqwest::Response,
    buf: String,
    saw_ready: bool,
    messages: Vec<Value>,
    /// The `state` events' statuses, in order.
    states: Vec<String>,
}

impl Stream {
    async fn open(t: &TestApp, c: &reqwest::Client, token: Option<&str>, last_id: Option<i64>) -> Stream {
        let mut req = c.get(t.url(&chat("/events")));
        if let Some(tok) = token {
            req = req.header("X-Chat-Token", tok);
        }
        if let Some(id) = last_id {
            req = req.header("Last-Event-ID", id.to_string());
        }
        let resp = req.send().await.expect("events");
        assert_eq!(resp.status(), 200, "the stream opens for the session");
        Stream { resp, buf: String::new(), saw_ready: false, messages: Vec::new(), states: Vec::new() }
    }

    /// Reads until `want` holds for a received message; returns it.
    async fn until(&mut self, what: &str, want: impl Fn(&Value) -> bool) -> Value {
        let end = Instant::now() + WAIT;
        loop {
            if let Some(m) = self.messages.iter().find(|m| want(m)) {
                return m.clone();
            }
            self.read_more(end, what).await;
        }
    }

    /// Reads until the last `state` event says `status`.
    async fn until_state(&mut self, status: &str) {
        let end = Instant::now() + WAIT;
        while self.states.last().map(String::as_str) != Some(status) {
            self.read_more(end, status).await;
        }
    }

    /// Reads until the `ready` event (the history is complete).
    async fn ready(&mut self) {
        let end = Instant::now() + WAIT;
        while !self.saw_ready {
            self.read_more(end, "ready").await;
        }
    }

    async fn read_more(&mut self, end: Instant, what: &str) {
        let left = end.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "timed out waiting on the stream for: {what}");
        let chunk = tokio::time::timeout(left, self.resp.chunk()).await;
        let Ok(Ok(Some(bytes))) = chunk else { panic!("stream ended while waiting for: {what}") };
        self.buf.push_str(&String::from_utf8_lossy(&bytes));
        while let Some(pos) = self.buf.find("\n\n") {
            let block: String = self.buf.drain(..pos + 2).collect();
            let event = block.lines().find_map(|l| l.strip_prefix("event:")).map(str::trim);
            let data: Vec<&str> = block.lines().filter_map(|l| l.strip_prefix("data:")).map(str::trim_start).collect();
            match event {
                Some("ready") => self.saw_ready = true,
                Some("state") => {
                    if let Ok(v) = serde_json::from_str::<Value>(&data.join("\n")) {
                        self.states.push(v["status"].as_str().unwrap_or_default().to_string());
                    }
                }
                Some(_) => {}
                None => {
                    if let Ok(v) = serde_json::from_str::<Value>(&data.join("\n")) {
                        self.messages.push(v);
                    }
                }
            }
        }
    }
}

fn text_of(m: &Value) -> &str {
    m["text"].as_str().unwrap_or_default()
}

async fn web_conversation(t: &TestApp, session_id: &str) -> conv_store::ConversationRow {
    conv_store::open_conversation_of(&t.app.db, "web", UNIT, session_id).await.expect("read").expect("a conversation")
}

async fn session_ids(t: &TestApp) -> Vec<String> {
    let db = &t.app.db;
    caunoi::db_read!(db, pool => sqlx::query_scalar(
        "SELECT external_id FROM contacts WHERE channel = 'web' ORDER BY id"
    )
    .fetch_all(pool)
    .await)
    .expect("contacts")
}

/// The token of the session the client's cookie holds (what the widget keeps).
async fn token_of(t: &TestApp, c: &reqwest::Client) -> String {
    let r = c.post(t.url(&chat("/session"))).send().await.expect("session");
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["resumed"], true, "the cookie's session is confirmed, not replaced");
    v["token"].as_str().expect("token").to_string()
}

fn multipart(filename: &str, content_type: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "caunoiTestBoundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: {content_type}\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn upload(t: &TestApp, c: &reqwest::Client, filename: &str, content_type: &str, bytes: &[u8]) -> (u16, Value) {
    let (ct, body) = multipart(filename, content_type, bytes);
    let r = c.post(t.url(&chat("/upload"))).header("content-type", ct).body(body).send().await.expect("upload");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// A 1×1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0A, 0x49,
    0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00,
    0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

#[tokio::test]
async fn citizen_asking_the_fee_receives_the_answer_over_the_live_stream() {
    let t = TestApp::spawn().await;
    let c = t.client();
    let page = c.get(t.url(&chat(""))).send().await.expect("page");
    let cookie = page.headers().get("set-cookie").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    assert!(cookie.starts_with("caunoi_chat="), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(cookie.contains(&format!("Path=/u/{UNIT}/chat")), "{cookie}");
    assert!(cookie.contains(&format!("Max-Age={}", 30 * 24 * 3600)), "{cookie}");
    let html = page.text().await.unwrap_or_default();
    assert!(html.contains("Công an phường Bãi Cháy") && html.contains("Nhập câu hỏi"), "Vietnamese by default");

    let mut live = Stream::open(&t, &c, None, None).await;
    live.ready().await;
    let (status, sent) = send(&t, &c, serde_json::json!({ "text": FEE_QUESTION })).await;
    assert_eq!(status, 200, "{sent}");
    assert_eq!(sent["status"], "bot");
    let mine = live.until("the citizen's own message", |m| m["dir"] == "in").await;
    assert_eq!(text_of(&mine), FEE_QUESTION);
    let answer = live.until("the fee answer", |m| m["dir"] == "out" && text_of(m).contains(FEE_TITLE)).await;
    assert_eq!(answer["author"], "bot");
    let asks_feedback = answer["feedback_for"] == "can-cuoc.le-phi"
        || answer["buttons"].as_array().is_some_and(|b| b.iter().any(|b| b["payload"] == "fb:yes:can-cuoc.le-phi"));
    assert!(asks_feedback, "the answer asks whether it helped: {answer}");

    // The reply went through the outbox on channel `web` and was delivered (marked sent).
    let rows = outbox_store::all(&t.app.db).await.expect("outbox");
    let row = rows.iter().find(|r| r.message_id == answer["id"].as_i64()).expect("the answer's outbox row");
    assert_eq!(row.channel, caunoi_core::conversations::Channel::Web);
    assert_eq!(row.status, caunoi::outbox::OutboxStatus::Sent);

    // Tapping 👍 sends the payload back as a choice.
    let (status, _) =
        send(&t, &c, serde_json::json!({ "payload": "fb:yes:can-cuoc.le-phi", "label": "👍 Hữu ích" })).await;
    assert_eq!(status, 200);
    live.until("the thumbs-up as the citizen's message", |m| m["dir"] == "in" && text_of(m) == "👍 Hữu ích").await;
}

#[tokio::test]
async fn reloading_the_chat_resumes_the_same_conversation_with_its_history() {
    let t = TestApp::spawn().await;
    let c = open_chat(&t).await;
    let mut live = Stream::open(&t, &c, None, None).await;
    send(&t, &c, serde_json::json!({ "text": FEE_QUESTION })).await;
    let answer = live.until("the answer", |m| m["dir"] == "out").await;

    // Reload: the page resumes the session (no new cookie), the stream replays the history.
    let again = c.get(t.url(&chat(""))).send().await.expect("reload");
    assert!(again.headers().get("set-cookie").is_none(), "the same session is kept");
    let mut replay = Stream::open(&t, &c, None, None).await;
    replay.ready().await;
    let texts: Vec<&str> = replay.messages.iter().map(text_of).collect();
    assert!(texts.contains(&FEE_QUESTION), "{texts:?}");
    assert!(replay.messages.iter().any(|m| m["id"] == answer["id"]), "{texts:?}");

    // Resuming after Last-Event-ID sends only what follows it.
    let mut after = Stream::open(&t, &c, None, answer["id"].as_i64()).await;
    after.ready().await;
    assert!(after.messages.iter().all(|m| m["id"].as_i64() > answer["id"].as_i64()), "{:?}", after.messages);

    // The widget keeps the token: a browser without the cookie resumes with it.
    let token = token_of(&t, &c).await;
    assert_eq!(token.len(), 43, "256 random bits, base64url");
    let other_browser = t.client();
    let mut widget = Stream::open(&t, &other_browser, Some(&token), None).await;
    widget.ready().await;
    assert!(widget.messages.iter().any(|m| text_of(m) == FEE_QUESTION));
    let ids = session_ids(&t).await;
    assert_eq!(ids.len(), 1, "one contact for the one session");
    let conv = web_conversation(&t, &ids[0]).await;
    assert_eq!(conv.channel, Channel::Web);
    let stored = conv_store::messages(&t.app.db, conv.id).await.expect("messages");
    assert_eq!(stored.iter().filter(|m| m.direction == Direction::In).count(), 1, "one conversation, one question");

    // The token is stored hashed, never in clear.
    let db = &t.app.db;
    let hashes: Vec<String> =
        caunoi::db_read!(db, pool => sqlx::query_scalar("SELECT token_hash FROM webchat_sessions").fetch_all(pool).await)
            .expect("sessions");
    assert!(!hashes.contains(&token) && hashes.contains(&caunoi::crypto::token_hash(&token)));
}

/// `YYYY-MM-DDTHH:MM` in Vietnam's time, as the roster form takes it.
fn roster_time(micros: i64) -> String {
    let t = jiff::Timestamp::from_microsecond(micros).expect("timestamp");
    t.to_zoned(caunoi::app::vietnam_tz()).strftime("%Y-%m-%dT%H:%M").to_string()
}

#[tokio::test]
async fn the_on_duty_officer_is_looked_for_at_the_hand_off_only() {
    let t = TestApp::spawn().await;
    // Nobody is on duty: the hand-off waits in the unit's queue.
    let first = open_chat(&t).await;
    assert_eq!(send(&t, &first, serde_json::json!({ "text": "cho em gặp cán bộ" })).await.1["status"], "waiting_human");

    // An officer comes on duty.
    let duty = t.login("trucban.baichay").await;
    let db = &t.app.db;
    let officer: i64 = caunoi::db_read!(db, pool => sqlx::query_scalar(
        "SELECT id FROM officers WHERE username = 'canbo.baichay'"
    )
    .fetch_one(pool)
    .await)
    .expect("officer");
    let now = t.app.clock.now_micros();
    let (from, to) = (roster_time(now - 3_600_000_000), roster_time(now + 3_600_000_000));
    let shift = [("unit", UNIT), ("officer", &officer.to_string()), ("starts_at", &from), ("ends_at", &to)];
    assert_eq!(t.post(&duty, "/inbox/roster", &shift).await.0, 303);

    // The waiting citizen writes again: the conversation keeps waiting in the queue.
    assert_eq!(send(&t, &first, serde_json::json!({ "text": "alo" })).await.1["status"], "waiting_human");
    let ids = session_ids(&t).await;
    let waiting = web_conversation(&t, &ids[0]).await;
    assert_eq!((waiting.status.as_str(), waiting.assignee_id), ("waiting_human", None));

    // A new hand-off goes to the officer on duty.
    let second = open_chat(&t).await;
    send(&t, &second, serde_json::json!({ "text": "cho em gặp cán bộ" })).await;
    let handed = web_conversation(&t, &session_ids(&t).await[1]).await;
    assert_eq!((handed.status.as_str(), handed.assignee_id), ("assigned", Some(officer)));
}

#[tokio::test]
async fn asking_for_an_officer_hands_the_conversation_off() {
    let t = TestApp::spawn().await;
    let c = open_chat(&t).await;
    let (status, sent) = send(&t, &c, serde_json::json!({ "text": "cho em gặp cán bộ" })).await;
    assert_eq!(status, 200);
    assert_eq!(sent["status"], "waiting_human");
    let ids = session_ids(&t).await;
    let conv = web_conversation(&t, &ids[0]).await;
    assert_eq!(conv.status, Status::WaitingHuman);

    // An officer's reply from the inbox reaches the chat through the outbox.
    let officer = t.login("canbo.baichay").await;
    let (status, _) =
        t.post(&officer, &format!("/inbox/{}/reply", conv.id), &[("text", "Chào anh, tôi là cán bộ phường.")]).await;
    assert!(status == 200 || status == 303, "reply accepted: {status}");
    let mut live = Stream::open(&t, &c, None, None).await;
    let reply = live.until("the officer's reply", |m| m["author"] == "officer").await;
    assert_eq!(text_of(&reply), "Chào anh, tôi là cán bộ phường.");
}

#[tokio::test]
async fn disguised_upload_is_refused_and_nothing_is_stored() {
    let t = TestApp::spawn().await;
    let c = open_chat(&t).await;
    let (status, body) = upload(&t, &c, "anh-chup.jpg", "image/jpeg", b"Day la van ban, khong phai anh.").await;
    assert_eq!(status, 415, "{body}");
    assert_eq!(body["message"], "Tệp không đúng định dạng ảnh/video.");
    assert!(session_ids(&t).await.is_empty(), "no contact, conversation or message was created");
    let dir = t.app.config.data_dir.join("media").join("web");
    let files = std::fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0);
    assert_eq!(files, 0, "nothing written to {}", dir.display());

    // A real JPEG over 10 MB is refused as too large, and its partial file removed.
    let mut big = vec![0xFF, 0xD8, 0xFF, 0xE0];
    big.resize(10 * 1024 * 1024 + 1, 0);
    let (status, body) = upload(&t, &c, "lon.jpg", "image/jpeg", &big).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["message"], "Ảnh quá lớn: tối đa 10 MB.");
    let files = std::fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0);
    assert_eq!(files, 0, "nothing left in {}", dir.display());
    assert!(session_ids(&t).await.is_empty());

    // A real photo is stored, recorded as an image, and hands off to an officer.
    let (status, body) = upload(&t, &c, "x.bin", "application/octet-stream", PNG).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["kind"], "image");
    assert_eq!(body["status"], "waiting_human");
    let id = body["id"].as_i64().expect("message id");
    let r = c.get(t.url(&chat(&format!("/media/{id}")))).send().await.expect("media");
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("image/png"));
    assert_eq!(r.bytes().await.expect("bytes").as_ref(), PNG);
}

#[tokio::test]
async fn empty_oversized_and_binary_texts_are_refused_with_a_specific_error() {
    let t = TestApp::spawn().await;
    let c = open_chat(&t).await;
    let (status, body) = send(&t, &c, serde_json::json!({ "text": "x".repeat(2001) })).await;
    assert_eq!(status, 413);
    assert_eq!(body["error"], "too_long");
    assert_eq!(body["message"], "Tin nhắn quá dài: tối đa 2.000 ký tự.");
    let (status, body) = send(&t, &c, serde_json::json!({ "text": "   " })).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("empty")));
    let (status, body) = send(&t, &c, serde_json::json!({ "text": "abc\u{0}\u{7}" })).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("not_text")));
    let r = c
        .post(t.url(&chat("/messages")))
        .header("content-type", "application/json")
        .body(vec![0xFF, 0xFE, 0x00, 0x9C])
        .send()
        .await
        .expect("binary body");
    assert_eq!(r.status(), 400);
    let (status, body) = send(&t, &c, serde_json::json!({ "payload": "tel:113" })).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("bad_choice")));
    // A form post works as well as JSON.
    let (status, _) = t.post(&c, &chat("/messages"), &[("text", "xin chào")]).await;
    assert_eq!(status, 200);
    let ids = session_ids(&t).await;
    let conv = web_conversation(&t, &ids[0]).await;
    let stored = conv_store::messages(&t.app.db, conv.id).await.expect("messages");
    assert_eq!(stored.iter().filter(|m| m.direction == Direction::In).count(), 1, "only the valid message was stored");
}

#[tokio::test]
async fn a_session_sending_too_fast_is_told_to_wait() {
    let t = TestApp::spawn().await;
    let c = open_chat(&t).await;
    for i in 0..caunoi::channels::webchat::service::POSTS_PER_MINUTE_PER_SESSION {
        let (status, body) = send(&t, &c, serde_json::json!({ "text": format!("câu hỏi số {i}") })).await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, body) = send(&t, &c, serde_json::json!({ "text": "thêm một câu" })).await;
    assert_eq!(status, 429);
    assert!(body["message"].as_str().unwrap_or_default().contains("chờ một phút"), "{body}");
    // A minute later the session may write again.
    t.app.clock.advance(61);
    let (status, _) = send(&t, &c, serde_json::json!({ "text": "thêm một câu" })).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn parallel_posts_and_new_chats_cannot_pass_their_limits() {
    let t = TestApp::spawn().await;
    let c = open_chat(&t).await;
    let limit = caunoi::channels::webchat::service::POSTS_PER_MINUTE_PER_SESSION as usize;
    let posts = (0..limit + 20).map(|i| send(&t, &c, serde_json::json!({ "text": format!("câu hỏi số {i}") })));
    let statuses: Vec<u16> = futures::future::join_all(posts).await.into_iter().map(|(s, _)| s).collect();
    let accepted = statuses.iter().filter(|s| **s == 200).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((accepted, refused), (limit, 20), "{limit} a minute per chat: {statuses:?}");
    // New chats from one address: 30 an hour (one was opened above).
    let opens = (0..40).map(|_| async {
        let r = t.client().get(t.url(&chat(""))).send().await.expect("chat page");
        r.headers().get("set-cookie").is_some()
    });
    let started = futures::future::join_all(opens).await.into_iter().filter(|s| *s).count();
    assert_eq!(started, 29, "30 new chats an hour per address, the first included");
}

#[tokio::test]
async fn only_the_chat_page_may_be_framed_by_other_sites() {
    let t = TestApp::spawn().await;
    let c = t.client();
    let r = c.get(t.url(&chat("?embed=1"))).send().await.expect("chat");
    let csp = r.headers().get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(csp.contains("frame-ancestors *"), "{csp}");
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");
    let xfo = r.headers().get("x-frame-options").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert_ne!(xfo.to_ascii_uppercase(), "DENY");
    assert!(r.headers().get("set-cookie").is_none(), "the framed page does not start sessions by itself");

    for path in [format!("/u/{UNIT}"), "/login".to_string()] {
        let r = c.get(t.url(&path)).send().await.expect("page");
        let csp = r.headers().get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or_default();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(r.headers().get("x-frame-options").and_then(|v| v.to_str().ok()), Some("DENY"), "{path}");
    }

    let w = c.get(t.url("/widget.js")).send().await.expect("widget");
    assert_eq!(w.status(), 200);
    let cache = w.headers().get("cache-control").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    assert!(cache.contains("max-age=300"), "{cache}");
    assert!(w.text().await.unwrap_or_default().contains("/chat?embed=1"));
}

#[tokio::test]
async fn another_session_cannot_read_this_sessions_messages_or_media() {
    let t = TestApp::spawn().await;
    let alice = open_chat(&t).await;
    send(&t, &alice, serde_json::json!({ "text": "nhà tôi ở số 12 phố Hạ Long" })).await;
    let (status, body) = upload(&t, &alice, "a.png", "image/png", PNG).await;
    assert_eq!(status, 200, "{body}");
    let media_id = body["id"].as_i64().expect("id");

    let bob = open_chat(&t).await;
    send(&t, &bob, serde_json::json!({ "text": "xin chào" })).await;
    let mut live = Stream::open(&t, &bob, None, Some(0)).await;
    live.ready().await;
    assert!(
        live.messages.iter().all(|m| !text_of(m).contains("Hạ Long") && m["media"].is_null()),
        "{:?}",
        live.messages
    );
    let r = bob.get(t.url(&chat(&format!("/media/{media_id}")))).send().await.expect("media");
    assert_eq!(r.status(), 404, "existence does not leak");

    // Without a session nothing is readable; a token works only on its own unit.
    let stranger = t.client();
    assert_eq!(stranger.get(t.url(&chat("/events"))).send().await.expect("events").status(), 401);
    assert_eq!(stranger.get(t.url(&chat(&format!("/media/{media_id}")))).send().await.expect("media").status(), 404);
    let token = token_of(&t, &alice).await;
    let other_unit =
        stranger.get(t.url("/u/qn-hong-gai/chat/events")).header("X-Chat-Token", &token).send().await.expect("events");
    assert!(other_unit.status() == 401 || other_unit.status() == 404, "{}", other_unit.status());

    // Officers: in scope may open the photo, another ward's officer may not.
    let officer = t.login("canbo.baichay").await;
    assert_eq!(officer.get(t.url(&chat(&format!("/media/{media_id}")))).send().await.expect("media").status(), 200);
    let outsider = t.login_outside(UNIT).await;
    assert_eq!(outsider.get(t.url(&chat(&format!("/media/{media_id}")))).send().await.expect("media").status(), 404);
}

#[tokio::test]
async fn cross_site_posts_to_the_chat_are_refused() {
    let t = TestApp::spawn().await;
    let c = open_chat(&t).await;
    let r = c
        .post(t.url(&chat("/messages")))
        .header("origin", "https://evil.example")
        .header("sec-fetch-site", "cross-site")
        .json(&serde_json::json!({ "text": "xin chào" }))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 403);
    let r = c
        .post(t.url(&chat("/messages")))
        .header("origin", t.base.clone())
        .header("sec-fetch-site", "same-origin")
        .json(&serde_json::json!({ "text": "xin chào" }))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 200, "the chat page's own fetch passes");
}

async fn session_count(t: &TestApp) -> i64 {
    let db = &t.app.db;
    caunoi::db_read!(db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM webchat_sessions").fetch_one(pool).await)
        .expect("count")
}

#[tokio::test]
async fn expired_sessions_are_purged_but_their_conversations_stay() {
    let t = TestApp::spawn().await;
    let old = open_chat(&t).await;
    let (status, _) = send(&t, &old, serde_json::json!({"text": "cho em gặp cán bộ"})).await;
    assert_eq!(status, 200);
    t.app.clock.advance(31 * 24 * 3600);
    let _fresh = open_chat(&t).await;
    assert_eq!(session_count(&t).await, 2);
    let purged = caunoi::channels::webchat::store::purge_expired_sessions(&t.app.db, t.app.clock.now_micros())
        .await
        .expect("purge");
    assert_eq!(purged, 1, "only the expired session goes");
    assert_eq!(session_count(&t).await, 1);
    let ids = session_ids(&t).await;
    assert!(!ids.is_empty(), "the contact stays");
    assert_eq!(web_conversation(&t, &ids[0]).await.status, Status::WaitingHuman, "officers keep the conversation");
}

/// How many messages the bot wrote in a conversation.
async fn bot_messages(t: &TestApp, conversation: i64) -> i64 {
    let db = &t.app.db;
    caunoi::db_read!(db, pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM messages WHERE conversation_id = $1 AND author = 'bot'"
    )
    .bind(conversation)
    .fetch_one(pool)
    .await)
    .expect("count")
}

/// The bot's messages received so far on the stream.
fn bot_texts(live: &Stream) -> Vec<String> {
    live.messages.iter().filter(|m| m["author"] == "bot").map(|m| text_of(m).to_string()).collect()
}

#[tokio::test]
async fn the_citizen_hears_of_every_move_once_and_comes_back_to_the_same_conversation() {
    let t = TestApp::spawn().await;
    let c = open_chat(&t).await;
    let mut live = Stream::open(&t, &c, None, None).await;
    live.ready().await;
    assert_eq!(live.states, ["new"], "the header's state comes before ready");
    send(&t, &c, serde_json::json!({ "text": "cho em gặp cán bộ" })).await;
    live.until("the hand-off notice", |m| text_of(m).contains("đã chuyển yêu cầu")).await;
    live.until_state("waiting_human").await;

    // The first message while waiting is acknowledged with the state; the next is kept quietly.
    send(&t, &c, serde_json::json!({ "text": "alo" })).await;
    live.until("the waiting notice", |m| text_of(m).contains("đang chờ cán bộ trả lời")).await;
    send(&t, &c, serde_json::json!({ "text": "còn ai không ạ" })).await;
    live.until("the citizen's second message", |m| text_of(m) == "còn ai không ạ").await;
    let conv = web_conversation(&t, &session_ids(&t).await[0]).await;
    assert_eq!(bot_messages(&t, conv.id.0).await, 2, "hand-off and one acknowledgement, nothing for the third");

    // An officer takes it: one notice.
    let officer = t.login("canbo.baichay").await;
    assert_eq!(t.post(&officer, &format!("/inbox/{}/assign", conv.id), &[("officer", "me")]).await.0, 303);
    live.until("the officer-joined notice", |m| text_of(m).contains("đã tiếp nhận cuộc trò chuyện")).await;
    live.until_state("assigned").await;
    assert_eq!(bot_messages(&t, conv.id.0).await, 3);

    // Closed: one notice with the rating buttons.
    assert_eq!(t.post(&officer, &format!("/inbox/{}/close", conv.id), &[]).await.0, 303);
    let closing = live.until("the closing notice", |m| text_of(m).contains("đã kết thúc")).await;
    live.until_state("closed").await;
    let payloads: Vec<&str> =
        closing["buttons"].as_array().unwrap().iter().filter_map(|b| b["payload"].as_str()).collect();
    assert_eq!(payloads, ["rate:yes", "rate:no"]);
    assert_eq!(bot_messages(&t, conv.id.0).await, 4);

    // The rating keeps it closed and lands on its timeline.
    let (status, sent) = send(&t, &c, serde_json::json!({ "payload": "rate:yes" })).await;
    assert_eq!((status, sent["status"].as_str()), (200, Some("closed")), "{sent}");
    live.until("the thanks", |m| text_of(m).contains("cảm ơn anh/chị đã đánh giá")).await;
    let db = &t.app.db;
    let rated: Vec<String> = caunoi::db_read!(db, pool => sqlx::query_scalar(
        "SELECT reason FROM conversation_events WHERE conversation_id = $1 AND action = 'rated'"
    )
    .bind(conv.id.0)
    .fetch_all(pool)
    .await)
    .expect("events");
    assert_eq!(rated, ["helpful"]);
    let (_, page) = t.get(&officer, &format!("/inbox/{}", conv.id)).await;
    assert!(page.contains("Người dân đánh giá: hữu ích"), "the officer sees the rating");

    // Writing again reopens the same conversation to the bot, without a second greeting.
    let (_, sent) = send(&t, &c, serde_json::json!({ "text": FEE_QUESTION })).await;
    assert_eq!(sent["status"], "bot");
    let answer = live.until("the fee answer", |m| text_of(m).contains(FEE_TITLE)).await;
    live.until_state("bot").await;
    assert!(!text_of(&answer).contains("xin chào"), "{}", text_of(&answer));
    assert_eq!(web_conversation(&t, &session_ids(&t).await[0]).await.id, conv.id, "the same conversation");
    assert!(bot_texts(&live).iter().filter(|t| t.contains("đã kết thúc")).count() == 1);
}
