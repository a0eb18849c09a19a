//! The officer inbox through real HTTP, on the engine the suite runs on (SQLite, or PostgreSQL
//! when `CAUNOI_TEST_DATABASE_URL` is set): queues by scope and status, scope on every action,
//! replies that become one message and one outbox row, Zalo's reply window, transfers, canned
//! replies, the duty roster and the live event stream.

use caunoi::{db_read, db_write};
use caunoi_testkit::TestApp;
use std::time::Duration;

const DAY_MICROS: i64 = 24 * 3600 * 1_000_000;

async fn unit_id(t: &TestApp, code: &str) -> i64 {
    let db = &t.app.db;
    db_read!(db, pool => sqlx::query_scalar("SELECT id FROM units WHERE code = $1").bind(code).fetch_one(pool).await)
        .unwrap()
}

async fn officer_id(t: &TestApp, username: &str) -> i64 {
    let db = &t.app.db;
    db_read!(db, pool => sqlx::query_scalar("SELECT id FROM officers WHERE username = $1").bind(username).fetch_one(pool).await)
        .unwrap()
}

/// A Zalo conversation of `unit` in `status`, with one citizen message `text` and a last
/// interaction `age_micros` ago.
struct Seed<'a> {
    unit: &'a str,
    status: &'a str,
    urgent: bool,
    assignee: Option<i64>,
    name: Option<&'a str>,
    text: &'a str,
    age_micros: i64,
}

impl Default for Seed<'_> {
    fn default() -> Self {
        Seed {
            unit: "qn-bai-chay",
            status: "waiting_human",
            urgent: false,
            assignee: None,
            name: Some("Nguyễn Văn An"),
            text: "cho em gặp cán bộ",
            age_micros: 60_000_000,
        }
    }
}

async fn seed(t: &TestApp, s: Seed<'_>) -> i64 {
    let db = &t.app.db;
    let unit = unit_id(t, s.unit).await;
    let now = t.app.clock.now_micros();
    let at = now - s.age_micros;
    let external = format!("77{}{}", unit, rand_digits());
    let contact: i64 = db_write!(db, pool => sqlx::query_scalar(
        "INSERT INTO contacts (unit_id, channel, channel_account, external_id, display_name, last_interaction_at, \
         created_at, updated_at) VALUES ($1, 'zalo', '2960384411273650002', $2, $3, $4, $4, $4) RETURNING id"
    ).bind(unit).bind(&external).bind(s.name).bind(at).fetch_one(pool).await)
    .unwrap();
    let conv: i64 = db_write!(db, pool => sqlx::query_scalar(
        "INSERT INTO conversations (unit_id, contact_id, channel, status, assignee_id, urgent, bot_memory, \
         last_citizen_message_at, created_at, updated_at) VALUES ($1, $2, 'zalo', $3, $4, $5, '{}', $6, $6, $7) RETURNING id"
    ).bind(unit).bind(contact).bind(s.status).bind(s.assignee).bind(s.urgent).bind(at).bind(now).fetch_one(pool).await)
    .unwrap();
    let _: i64 = db_write!(db, pool => sqlx::query_scalar(
        "INSERT INTO messages (conversation_id, direction, author, kind, text, created_at) \
         VALUES ($1, 'in', 'citizen', 'text', $2, $3) RETURNING id"
    ).bind(conv).bind(s.text).bind(at).fetch_one(pool).await)
    .unwrap();
    conv
}

fn rand_digits() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(1);
    format!("{}{:06}", std::process::id(), N.fetch_add(1, Ordering::Relaxed))
}

async fn counts(t: &TestApp) -> (i64, i64) {
    let db = &t.app.db;
    let m: i64 =
        db_read!(db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM messages").fetch_one(pool).await).unwrap();
    let o: i64 = db_read!(db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM outbox").fetch_one(pool).await).unwrap();
    (m, o)
}

/// status, unit id, assignee, urgent
type ConvState = (String, i64, Option<i64>, bool);

async fn state(t: &TestApp, id: i64) -> ConvState {
    let db = &t.app.db;
    db_read!(db, pool => sqlx::query_as(
        "SELECT status, unit_id, assignee_id, urgent FROM conversations WHERE id = $1"
    ).bind(id).fetch_one(pool).await)
    .unwrap()
}

/// Where conversation `id`'s card in a list starts (its link keeps the list's filters after
/// `?`), or `None` when the page does not list it.
fn card(page: &str, id: i64) -> Option<usize> {
    [format!("href=\"/inbox/{id}\""), format!("href=\"/inbox/{id}?")].iter().filter_map(|l| page.find(l.as_str())).min()
}

fn listed(page: &str, id: i64) -> bool {
    card(page, id).is_some()
}

#[tokio::test]
async fn queues_filter_by_scope_and_status_with_urgent_first() {
    let t = TestApp::spawn().await;
    let calm = seed(&t, Seed { age_micros: 3_600_000_000, ..Default::default() }).await;
    let urgent = seed(&t, Seed { urgent: true, text: "có cướp, gọi 0912 345 678", ..Default::default() }).await;
    let bot = seed(&t, Seed { status: "bot", ..Default::default() }).await;
    let closed = seed(&t, Seed { status: "closed", ..Default::default() }).await;
    let other_ward = seed(&t, Seed { unit: "qn-hong-gai", ..Default::default() }).await;

    let c = t.login("canbo.baichay").await;
    let (status, waiting) = t.get(&c, "/inbox").await;
    assert_eq!(status, 200);
    assert!(listed(&waiting, calm) && listed(&waiting, urgent));
    assert!(!listed(&waiting, bot) && !listed(&waiting, closed) && !listed(&waiting, other_ward));
    let (u, k) = (card(&waiting, urgent).unwrap(), card(&waiting, calm).unwrap());
    assert!(u < k, "urgent conversations come first");
    assert!(waiting.contains("KHẨN") && waiting.contains("Zalo") && waiting.contains("Nguyễn Văn An"));
    assert!(waiting.contains("[SĐT]") && !waiting.contains("0912 345 678"), "list previews are masked");

    let (_, unit) = t.get(&c, "/inbox?queue=unit").await;
    assert!(listed(&unit, bot) && !listed(&unit, closed) && !listed(&unit, other_ward));
    let (_, mine) = t.get(&c, "/inbox?queue=mine").await;
    assert!(!listed(&mine, calm));

    let province = t.login("admin.qn").await;
    let (_, subtree) = t.get(&province, "/inbox?queue=subtree").await;
    assert!(listed(&subtree, calm) && listed(&subtree, other_ward) && !listed(&subtree, closed));
    let (_, province_waiting) = t.get(&province, "/inbox?queue=waiting").await;
    assert!(!listed(&province_waiting, calm), "the province's own queue holds only its own unit");
}

#[tokio::test]
async fn ward_officer_cannot_open_reply_assign_transfer_or_close_another_wards_conversation() {
    let t = TestApp::spawn().await;
    let other = seed(&t, Seed { unit: "qn-hong-gai", ..Default::default() }).await;
    let before = (state(&t, other).await, counts(&t).await);
    let c = t.login("canbo.baichay").await;
    for path in [format!("/inbox/{other}"), format!("/inbox/{other}/thread")] {
        let (status, body) = t.get(&c, &path).await;
        assert_eq!(status, 404, "{path}");
        assert!(!body.contains("Nguyễn Văn An"), "{path} leaks the citizen");
    }
    let attempts: Vec<(String, Vec<(&str, &str)>)> = vec![
        (format!("/inbox/{other}/reply"), vec![("text", "xin chào")]),
        (format!("/inbox/{other}/note"), vec![("note", "ghi chú")]),
        (format!("/inbox/{other}/assign"), vec![("officer", "me")]),
        (format!("/inbox/{other}/duty"), vec![]),
        (format!("/inbox/{other}/transfer"), vec![("unit", "qn-bai-chay"), ("reason", "nhầm đơn vị")]),
        (format!("/inbox/{other}/close"), vec![]),
        (format!("/inbox/{other}/reopen"), vec![]),
        (format!("/inbox/{other}/canned"), vec![("canned", "1")]),
    ];
    for (path, form) in attempts {
        let (status, _) = t.post(&c, &path, &form).await;
        assert_eq!(status, 404, "{path}");
    }
    assert_eq!((state(&t, other).await, counts(&t).await), before, "nothing changed");
}

#[tokio::test]
async fn officer_reply_writes_exactly_one_message_and_one_outbox_row() {
    let t = TestApp::spawn().await;
    let id = seed(&t, Seed::default()).await;
    let me = officer_id(&t, "canbo.baichay").await;
    let (m0, o0) = counts(&t).await;
    let c = t.login("canbo.baichay").await;
    let (status, _) = t.post(&c, &format!("/inbox/{id}/reply"), &[("text", "Chào anh, tôi là cán bộ phường.")]).await;
    assert_eq!(status, 303);
    assert_eq!(counts(&t).await, (m0 + 1, o0 + 1));
    let db = &t.app.db;
    let (mid, author, officer): (i64, String, Option<i64>) = db_read!(db, pool => sqlx::query_as(
        "SELECT id, author, officer_id FROM messages WHERE conversation_id = $1 ORDER BY id DESC LIMIT 1"
    ).bind(id).fetch_one(pool).await)
    .unwrap();
    assert_eq!((author.as_str(), officer), ("officer", Some(me)));
    let (key, recipient_oa, message_id, payload): (String, Option<String>, Option<i64>, String) =
        db_read!(db, pool => sqlx::query_as(
        "SELECT idempotency_key, oa_id, message_id, payload FROM outbox WHERE conversation_id = $1"
    ).bind(id).fetch_one(pool).await)
        .unwrap();
    assert_eq!(key, format!("officer:{mid}"));
    assert_eq!(message_id, Some(mid));
    assert_eq!(recipient_oa.as_deref(), Some("2960384411273650002"));
    assert!(payload.contains("Chào anh"));
    // Replying to a waiting conversation takes it, and the timeline says so.
    assert_eq!(state(&t, id).await.0, "assigned");
    assert_eq!(state(&t, id).await.2, Some(me));
    let (_, page) = t.get(&c, &format!("/inbox/{id}")).await;
    assert!(page.contains("Chào anh, tôi là cán bộ phường.") && page.contains("Giao cho Vũ Hoàng Nam"));
}

#[tokio::test]
async fn reply_after_the_zalo_window_closed_is_refused_and_sends_nothing() {
    let t = TestApp::spawn().await;
    let id = seed(&t, Seed { age_micros: 8 * DAY_MICROS, ..Default::default() }).await;
    let before = (state(&t, id).await, counts(&t).await);
    let c = t.login("canbo.baichay").await;
    let (_, page) = t.get(&c, &format!("/inbox/{id}")).await;
    assert!(page.contains("Cửa sổ trả lời Zalo đã đóng") && page.contains("gọi điện"));
    let (status, body) = t.post(&c, &format!("/inbox/{id}/reply"), &[("text", "Chào anh")]).await;
    assert_eq!(status, 422);
    assert!(body.contains("Zalo không cho gửi tin tư vấn"), "{body}");
    assert_eq!((state(&t, id).await, counts(&t).await), before);
}

#[tokio::test]
async fn transfer_needs_a_reason_and_moves_the_conversation_to_the_other_units_queue() {
    let t = TestApp::spawn().await;
    let id = seed(&t, Seed::default()).await;
    let hong_gai = unit_id(&t, "qn-hong-gai").await;
    let province = t.login("admin.qn").await;
    let (status, body) =
        t.post(&province, &format!("/inbox/{id}/transfer"), &[("unit", "qn-hong-gai"), ("reason", " ")]).await;
    assert_eq!(status, 422);
    assert!(body.contains("Cần ghi lý do chuyển tiếp."), "{body}");
    assert_eq!(state(&t, id).await.1, unit_id(&t, "qn-bai-chay").await);

    let (status, _) = t
        .post(
            &province,
            &format!("/inbox/{id}/transfer"),
            &[("unit", "qn-hong-gai"), ("reason", "Vụ việc thuộc địa bàn Hồng Gai")],
        )
        .await;
    assert_eq!(status, 303);
    assert_eq!(state(&t, id).await, ("waiting_human".to_string(), hong_gai, None, false));
    let hg = t.login("admin.honggai").await;
    let (_, queue) = t.get(&hg, "/inbox?queue=waiting").await;
    assert!(listed(&queue, id));
    let (_, page) = t.get(&hg, &format!("/inbox/{id}")).await;
    assert!(page.contains("Vụ việc thuộc địa bàn Hồng Gai") && page.contains("Trần Quốc Hùng"));
    let bc = t.login("canbo.baichay").await;
    assert_eq!(t.get(&bc, &format!("/inbox/{id}")).await.0, 404);
}

#[tokio::test]
async fn illegal_moves_are_refused_with_a_clear_message() {
    let t = TestApp::spawn().await;
    let id = seed(&t, Seed::default()).await;
    let c = t.login("canbo.baichay").await;
    assert_eq!(t.post(&c, &format!("/inbox/{id}/close"), &[]).await.0, 303);
    let (status, body) = t.post(&c, &format!("/inbox/{id}/close"), &[]).await;
    assert_eq!(status, 422);
    assert!(body.contains("Không thể đóng khi cuộc trò chuyện đang ở trạng thái"), "{body}");
    assert_eq!(t.post(&c, &format!("/inbox/{id}/reopen"), &[]).await.0, 303);
    assert_eq!(state(&t, id).await.0, "assigned");
    let (_, page) = t.get(&c, &format!("/inbox/{id}")).await;
    assert!(page.contains("Đóng cuộc trò chuyện") && page.contains("Mở lại"));
}

#[tokio::test]
async fn canned_reply_variables_are_rendered_and_unknown_variables_refused() {
    let t = TestApp::spawn().await;
    let id = seed(&t, Seed::default()).await;
    let duty = t.login("trucban.baichay").await;
    let (status, body) =
        t.post(&duty, "/inbox/canned", &[("unit", "qn-bai-chay"), ("title", "Sai"), ("body", "Chào {ten_sai}")]).await;
    assert_eq!(status, 422);
    assert!(body.contains("Biến {ten_sai} không tồn tại"), "{body}");
    let (status, _) = t
        .post(
            &duty,
            "/inbox/canned",
            &[
                ("unit", "qn-bai-chay"),
                ("title", "Chào hỏi"),
                ("body", "Chào {ten_cong_dan}, tôi là {ten_can_bo}, {ten_don_vi}. Đường dây nóng: {hotline}."),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let db = &t.app.db;
    let canned: i64 =
        db_read!(db, pool => sqlx::query_scalar("SELECT id FROM canned_replies WHERE title = 'Chào hỏi'").fetch_one(pool).await)
            .unwrap();
    let (hotline, duty_phone): (String, String) = db_read!(db, pool => sqlx::query_as(
        "SELECT hotline, duty_phone FROM units WHERE code = 'qn-bai-chay'"
    ).fetch_one(pool).await)
    .unwrap();
    let show = |p: String| caunoi_core::phone::PhoneNumber::from_stored(p).display();
    let (hotline, duty_phone) = (show(hotline), show(duty_phone));
    assert_ne!(hotline, duty_phone);
    let expected = format!("Chào Nguyễn Văn An, tôi là Đỗ Thu Hà, Công an phường Bãi Cháy. Đường dây nóng: {hotline}.");
    // Chosen, a canned reply goes into the reply box to edit, with and without script; nothing
    // is sent.
    let before = counts(&t).await;
    let (_, page) = t.get(&duty, &format!("/inbox/{id}")).await;
    let (above, _) = page.split_once("id=\"canned\"").unwrap();
    assert!(above.contains("name=\"text\""), "the canned choice sits under the reply box");
    assert!(page.contains(&format!("data-text=\"{expected}\"")), "the insert button's text is filled");
    let (status, page) = t.post(&duty, &format!("/inbox/{id}/canned"), &[("canned", &canned.to_string())]).await;
    assert_eq!(status, 200);
    assert!(page.contains(&format!(">{expected}</textarea>")), "the reply box holds the filled text");
    assert!(!page.contains(&duty_phone), "{{hotline}} is the unit's public hotline, never the duty phone");
    let (status, page) = t.get(&duty, &format!("/inbox/{id}?canned={canned}")).await;
    assert_eq!(status, 200);
    assert!(page.contains(&format!(">{expected}</textarea>")));
    let (status, page) = t.get(&duty, &format!("/inbox/{id}?canned=999999")).await;
    assert_eq!(status, 422);
    assert!(page.contains("Hãy chọn một câu trả lời mẫu."));
    assert_eq!(counts(&t).await, before, "choosing a canned reply sends nothing");
    // The officer edits it and sends.
    let edited = format!("{expected} Cảm ơn anh.");
    assert_eq!(t.post(&duty, &format!("/inbox/{id}/reply"), &[("text", &edited)]).await.0, 303);
    let text: String = db_read!(db, pool => sqlx::query_scalar(
        "SELECT text FROM messages WHERE conversation_id = $1 AND author = 'officer'"
    ).bind(id).fetch_one(pool).await)
    .unwrap();
    assert_eq!(text, edited);
    // An officer without a directing role cannot manage the list.
    let officer = t.login("canbo.baichay").await;
    let (status, _) =
        t.post(&officer, "/inbox/canned", &[("unit", "qn-bai-chay"), ("title", "X"), ("body", "Y")]).await;
    assert_eq!(status, 403);
}

fn local_input(micros: i64) -> String {
    jiff::Timestamp::from_microsecond(micros)
        .unwrap()
        .to_zoned(caunoi::app::vietnam_tz())
        .strftime("%Y-%m-%dT%H:%M")
        .to_string()
}

#[tokio::test]
async fn roster_gives_a_waiting_conversation_to_the_on_duty_officer_with_the_fewest_open_ones() {
    let t = TestApp::spawn().await;
    let duty_officer = officer_id(&t, "trucban.baichay").await;
    let officer = officer_id(&t, "canbo.baichay").await;
    let now = t.app.clock.now_micros();
    let (from, to) = (local_input(now - 3_600_000_000), local_input(now + 3_600_000_000));
    let duty = t.login("trucban.baichay").await;
    for who in [duty_officer, officer] {
        let (status, body) = t
            .post(
                &duty,
                "/inbox/roster",
                &[("unit", "qn-bai-chay"), ("officer", &who.to_string()), ("starts_at", &from), ("ends_at", &to)],
            )
            .await;
        assert_eq!(status, 303, "{body}");
    }
    let (status, body) = t
        .post(
            &duty,
            "/inbox/roster",
            &[("unit", "qn-bai-chay"), ("officer", &officer.to_string()), ("starts_at", &to), ("ends_at", &from)],
        )
        .await;
    assert_eq!(status, 422);
    assert!(body.contains("Giờ kết thúc ca trực phải sau giờ bắt đầu."));
    // The duty officer (lower id) already has two open conversations; the officer has none.
    for _ in 0..2 {
        seed(&t, Seed { status: "assigned", assignee: Some(duty_officer), ..Default::default() }).await;
    }
    let waiting = seed(&t, Seed::default()).await;
    let picked = caunoi::inbox::service::assign_on_duty(&t.app, waiting).await.unwrap();
    assert_eq!(picked.map(|o| o.0), Some(officer));
    assert_eq!(state(&t, waiting).await.0, "assigned");
    assert_eq!(state(&t, waiting).await.2, Some(officer));
    // Nobody is on duty in another ward: nothing happens.
    let elsewhere = seed(&t, Seed { unit: "qn-hong-gai", ..Default::default() }).await;
    assert_eq!(caunoi::inbox::service::assign_on_duty(&t.app, elsewhere).await.unwrap(), None);
    assert_eq!(state(&t, elsewhere).await.0, "waiting_human");
}

/// Reads the event stream until `needle` appears or `within` passes.
async fn read_until(r: &mut reqwest::Response, seen: &mut String, needle: &str, within: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + within;
    while !seen.contains(needle) {
        match tokio::time::timeout_at(deadline, r.chunk()).await {
            Ok(Ok(Some(bytes))) => seen.push_str(&String::from_utf8_lossy(&bytes)),
            _ => return false,
        }
    }
    true
}

#[tokio::test]
async fn live_events_answer_text_event_stream_and_emit_after_a_change() {
    let t = TestApp::spawn().await;
    let c = t.login("canbo.baichay").await;
    let mut r = c.get(t.url("/inbox/events")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let ct = r.headers().get("content-type").unwrap().to_str().unwrap().to_string();
    assert!(ct.starts_with("text/event-stream"), "{ct}");
    let mut seen = String::new();
    assert!(read_until(&mut r, &mut seen, "event: ready", Duration::from_secs(5)).await, "{seen}");
    // A change in another ward is not the officer's business; an urgent one in theirs rings.
    seed(&t, Seed { unit: "qn-hong-gai", urgent: true, ..Default::default() }).await;
    seed(&t, Seed { urgent: true, ..Default::default() }).await;
    assert!(read_until(&mut r, &mut seen, "event: change", Duration::from_secs(10)).await, "{seen}");
    assert!(seen.contains("\"urgent_rose\":true") && seen.contains("\"urgent\":1"), "{seen}");
}

/// The notices queued for a conversation's citizen, oldest first: (outbox key, payload).
async fn notices(t: &TestApp, id: i64) -> Vec<(String, String)> {
    let db = &t.app.db;
    db_read!(db, pool => sqlx::query_as(
        "SELECT idempotency_key, payload FROM outbox WHERE conversation_id = $1 AND idempotency_key LIKE 'notice:%' \
         ORDER BY id"
    ).bind(id).fetch_all(pool).await)
    .unwrap()
}

#[tokio::test]
async fn on_zalo_each_move_sends_one_notice_while_the_window_is_open() {
    let t = TestApp::spawn().await;
    let id = seed(&t, Seed::default()).await;
    let c = t.login("canbo.baichay").await;
    assert_eq!(t.post(&c, &format!("/inbox/{id}/assign"), &[("officer", "me")]).await.0, 303);
    let after_take = notices(&t, id).await;
    assert_eq!(after_take.len(), 1, "{after_take:?}");
    assert!(after_take[0].1.contains("đã tiếp nhận cuộc trò chuyện"));
    // A note changes nothing the citizen sees.
    assert_eq!(t.post(&c, &format!("/inbox/{id}/note"), &[("note", "Đã gọi điện xác minh")]).await.0, 303);
    assert_eq!(notices(&t, id).await.len(), 1);
    assert_eq!(t.post(&c, &format!("/inbox/{id}/close"), &[]).await.0, 303);
    let after_close = notices(&t, id).await;
    assert_eq!(after_close.len(), 2);
    // Zalo shows no buttons: the rating is a numbered list, and a typed "1" is read back.
    let closing = &after_close[1].1;
    assert!(closing.contains("đã kết thúc") && closing.contains("1. Hữu ích") && closing.contains("2. Chưa hữu ích"));
    let db = &t.app.db;
    let memory: String =
        db_read!(db, pool => sqlx::query_scalar("SELECT bot_memory FROM conversations WHERE id = $1").bind(id).fetch_one(pool).await)
            .unwrap();
    assert!(memory.contains("rate:yes") && memory.contains("rate:no"), "{memory}");
    // Reopened by the officer: one notice more.
    assert_eq!(t.post(&c, &format!("/inbox/{id}/reopen"), &[]).await.0, 303);
    assert!(notices(&t, id).await[2].1.contains("mở lại"));

    // Past Zalo's window nothing can reach the citizen: the move happens, no notice is queued.
    let old = seed(&t, Seed { age_micros: 8 * DAY_MICROS, ..Default::default() }).await;
    assert_eq!(t.post(&c, &format!("/inbox/{old}/assign"), &[("officer", "me")]).await.0, 303);
    assert_eq!(t.post(&c, &format!("/inbox/{old}/close"), &[]).await.0, 303);
    assert_eq!(state(&t, old).await.0, "closed");
    assert!(notices(&t, old).await.is_empty());
}

#[tokio::test]
async fn nobody_on_duty_is_a_visible_warning_on_the_inbox_and_the_roster_until_a_shift_covers_now() {
    let t = TestApp::spawn().await;
    let duty = t.login("trucban.baichay").await;
    let (_, inbox) = t.get(&duty, "/inbox").await;
    assert!(inbox.contains("Không có ai đang trực tại") && inbox.contains("Công an phường Bãi Cháy"), "{inbox}");
    assert!(inbox.contains("/inbox/roster?unit=qn-bai-chay"));
    let (_, roster) = t.get(&duty, "/inbox/roster?unit=qn-bai-chay").await;
    assert!(roster.contains("id=\"no-duty\""));

    let now = t.app.clock.now_micros();
    let me = officer_id(&t, "trucban.baichay").await.to_string();
    let (from, to) = (local_input(now - 3_600_000_000), local_input(now + 3_600_000_000));
    let shift = [("unit", "qn-bai-chay"), ("officer", me.as_str()), ("starts_at", &from), ("ends_at", &to)];
    assert_eq!(t.post(&duty, "/inbox/roster", &shift).await.0, 303);
    let (_, inbox) = t.get(&duty, "/inbox").await;
    assert!(!inbox.contains("Không có ai đang trực tại"), "the warning goes once a shift covers now");
    let (_, roster) = t.get(&duty, "/inbox/roster?unit=qn-bai-chay").await;
    assert!(!roster.contains("id=\"no-duty\""));
    // A shift that has not started yet does not count.
    let hg = t.login("admin.honggai").await;
    let hg_id = officer_id(&t, "admin.honggai").await.to_string();
    let (later, much_later) = (local_input(now + 7_200_000_000), local_input(now + 10_800_000_000));
    let future =
        [("unit", "qn-hong-gai"), ("officer", hg_id.as_str()), ("starts_at", &later), ("ends_at", &much_later)];
    assert_eq!(t.post(&hg, "/inbox/roster", &future).await.0, 303);
    assert!(t.get(&hg, "/inbox").await.1.contains("Không có ai đang trực tại"));
}

#[tokio::test]
async fn a_reply_that_could_not_be_delivered_is_marked_in_the_thread_with_what_can_be_done() {
    let t = TestApp::spawn_with(caunoi_testkit::Options { demo: true, workers_off: true, ..Default::default() }).await;
    let id = seed(&t, Seed::default()).await;
    let c = t.login("canbo.baichay").await;
    assert_eq!(t.post(&c, &format!("/inbox/{id}/reply"), &[("text", "Chào anh, anh cần hỗ trợ gì?")]).await.0, 303);
    let (_, page) = t.get(&c, &format!("/inbox/{id}")).await;
    assert!(!page.contains("Không gửi được:"), "on its way: not marked");
    // Zalo refused it for good: the citizen does not follow the OA.
    let db = &t.app.db;
    db_write!(db, pool => sqlx::query(
        "UPDATE outbox SET status = 'dead', last_error = 'user_not_follower: Zalo error -213' WHERE conversation_id = $1"
    ).bind(id).execute(pool).await.map(|_| ()))
    .unwrap();
    let (_, page) = t.get(&c, &format!("/inbox/{id}")).await;
    assert!(page.contains("msg officer failed"), "the reply is marked");
    assert!(page.contains("Không gửi được:") && page.contains("khi người dân nhắn lại"), "{page}");
    // The failed-messages list shows what it said and leads to the conversation.
    let duty = t.login("trucban.baichay").await;
    let (_, dead) = t.get(&duty, "/outbox/dead").await;
    assert!(dead.contains("Chào anh, anh cần hỗ trợ gì?"), "{dead}");
    assert!(dead.contains(&format!("href=\"/inbox/{id}\"")), "{dead}");
}

#[tokio::test]
async fn taking_a_conversation_one_already_has_is_no_error_and_officers_land_on_the_inbox() {
    let t = TestApp::spawn().await;
    let me = officer_id(&t, "canbo.baichay").await;
    let id = seed(&t, Seed { status: "assigned", assignee: Some(me), ..Default::default() }).await;
    let c = t.login("canbo.baichay").await;
    let (status, body) = t.post(&c, &format!("/inbox/{id}/assign"), &[("officer", "me")]).await;
    assert_eq!(status, 303, "{body}");
    assert_eq!(state(&t, id).await.2, Some(me));
    // After signing in: officers to the inbox, admins to the unit tree.
    let r = c.get(t.url("/start")).send().await.unwrap();
    assert_eq!(r.headers().get("location").and_then(|v| v.to_str().ok()), Some("/inbox"));
    let admin = t.login("admin.qn").await;
    let r = admin.get(t.url("/start")).send().await.unwrap();
    assert_eq!(r.headers().get("location").and_then(|v| v.to_str().ok()), Some("/units"));
}

async fn count_of(t: &TestApp, table: &str) -> i64 {
    let db = &t.app.db;
    let sql = format!("SELECT COUNT(*) FROM {table}");
    db_read!(db, pool => sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql)).fetch_one(pool).await).unwrap()
}

/// What a roster planning writes: shifts, plannings, audit entries.
async fn roster_counts(t: &TestApp) -> (i64, i64, i64) {
    (count_of(t, "duty_shifts").await, count_of(t, "duty_series").await, count_of(t, "audit_log").await)
}

fn local_date(micros: i64) -> String {
    jiff::Timestamp::from_microsecond(micros)
        .unwrap()
        .to_zoned(caunoi::app::vietnam_tz())
        .strftime("%Y-%m-%d")
        .to_string()
}

#[tokio::test]
async fn a_nightly_shift_until_a_date_is_seen_by_who_is_on_duty_the_warning_and_the_alarm_routing() {
    let t = TestApp::spawn().await;
    let duty = t.login("trucban.baichay").await;
    let officer = officer_id(&t, "canbo.baichay").await;
    let hour = 3_600_000_000;
    let now = t.app.clock.now_micros();
    // An hour-long shift starting now, every day for a week (today included).
    let (from, to, until) =
        (local_input(now - hour / 2), local_input(now + hour / 2), local_date(now + 6 * DAY_MICROS));
    let who = officer.to_string();
    let plan = [
        ("unit", "qn-bai-chay"),
        ("officer", who.as_str()),
        ("starts_at", &from),
        ("ends_at", &to),
        ("repeat", "daily"),
        ("until", &until),
    ];
    let before = roster_counts(&t).await;
    let (status, body) = t.post(&duty, "/inbox/roster", &plan).await;
    assert_eq!(status, 303, "{body}");
    assert_eq!(roster_counts(&t).await, (before.0 + 7, before.1 + 1, before.2 + 1), "7 shifts, 1 planning, audited");
    let (_, roster) = t.get(&duty, "/inbox/roster?unit=qn-bai-chay").await;
    assert!(roster.contains("id=\"series\"") && roster.contains("Hằng ngày") && roster.contains("Bỏ lịch lặp lại"));
    assert!(!roster.contains("id=\"no-duty\""));
    let unit = caunoi_core::units::UnitId(unit_id(&t, "qn-bai-chay").await);

    // Three days later, between two occurrences: nobody is on duty, and the warning says so.
    // (Sessions end after 30 idle minutes: sign in again after each jump of the clock.)
    t.app.clock.advance(3 * 24 * 3600 + 3600);
    let duty = t.login("trucban.baichay").await;
    let (_, inbox) = t.get(&duty, "/inbox").await;
    assert!(inbox.contains("Không có ai đang trực tại"), "between two nights nobody is on duty");
    let desk = caunoi::inbox::alarms::duty_desk(&t.app, unit, t.app.clock.now_micros()).await.unwrap();
    assert!(!desk.iter().any(|o| o.0 == officer));
    // The fourth occurrence: on duty again; a waiting conversation goes to the officer and
    // the alarm's duty desk includes them.
    t.app.clock.advance(23 * 3600);
    let duty = t.login("trucban.baichay").await;
    let (_, inbox) = t.get(&duty, "/inbox").await;
    assert!(!inbox.contains("Không có ai đang trực tại"), "{inbox}");
    let desk = caunoi::inbox::alarms::duty_desk(&t.app, unit, t.app.clock.now_micros()).await.unwrap();
    assert!(desk.iter().any(|o| o.0 == officer), "the alarm reaches the officer of the recurring shift");
    let waiting = seed(&t, Seed::default()).await;
    let picked = caunoi::inbox::service::assign_on_duty(&t.app, waiting).await.unwrap();
    assert_eq!(picked.map(|o| o.0), Some(officer));

    // Ending the planning removes what is to come (the shift under way too), keeps the past.
    let series: i64 = {
        let db = &t.app.db;
        db_read!(db, pool => sqlx::query_scalar("SELECT id FROM duty_series").fetch_one(pool).await).unwrap()
    };
    let before = roster_counts(&t).await;
    let end = format!("/inbox/roster/series/{series}/end");
    let (status, body) = t.post(&duty, &end, &[("unit", "qn-bai-chay")]).await;
    assert_eq!(status, 422, "the confirmation box is needed");
    assert!(body.contains("Chưa bỏ: hãy đánh dấu ô xác nhận"), "{body}");
    assert_eq!(roster_counts(&t).await, before, "nothing removed");
    assert_eq!(t.post(&duty, &end, &[("unit", "qn-bai-chay"), ("confirm", "yes")]).await.0, 303);
    let after = roster_counts(&t).await;
    assert_eq!((after.0, after.1, after.2), (before.0 - 3, before.1 - 1, before.2 + 1), "4 past shifts stay");
    assert!(t.get(&duty, "/inbox").await.1.contains("Không có ai đang trực tại"));
}

#[tokio::test]
async fn a_bad_recurring_planning_gets_a_clear_message_and_saves_nothing() {
    let t = TestApp::spawn().await;
    let duty = t.login("trucban.baichay").await;
    let me = officer_id(&t, "trucban.baichay").await.to_string();
    let now = t.app.clock.now_micros();
    let hour = 3_600_000_000;
    let (from, to) = (local_input(now + 2 * hour), local_input(now + 10 * hour));
    let weekdays = [
        ("unit", "qn-bai-chay"),
        ("officer", me.as_str()),
        ("starts_at", from.as_str()),
        ("ends_at", to.as_str()),
        ("repeat", "days"),
        ("d1", "1"),
        ("d3", "1"),
        ("d5", "1"),
        ("until", &local_date(now + 20 * DAY_MICROS)),
    ];
    let (status, body) = t.post(&duty, "/inbox/roster", &weekdays).await;
    assert_eq!(status, 303, "{body}");
    let saved = roster_counts(&t).await;
    assert!(saved.0 >= 8, "three weekdays for three weeks: {saved:?}");

    let mut bad: Vec<(Vec<(&str, String)>, &str)> = Vec::new();
    let base = |repeat: &str, until: String| -> Vec<(&str, String)> {
        vec![
            ("unit", "qn-bai-chay".into()),
            ("officer", me.clone()),
            ("starts_at", from.clone()),
            ("ends_at", to.clone()),
            ("repeat", repeat.into()),
            ("until", until),
        ]
    };
    // Every night for a fortnight overlaps the Monday/Wednesday/Friday shifts.
    bad.push((base("daily", local_date(now + 14 * DAY_MICROS)), "trùng giờ"));
    // Ends before it starts.
    bad.push((base("daily", local_date(now - 2 * DAY_MICROS)), "Ngày kết thúc lặp lại ("));
    // More than a year.
    bad.push((base("weekend", local_date(now + 400 * DAY_MICROS)), "tối đa 366 ngày"));
    // Chosen weekdays, none ticked.
    bad.push((base("days", local_date(now + 7 * DAY_MICROS)), "Hãy chọn ít nhất một ngày"));
    // No end date.
    bad.push((base("daily", String::new()), "Hãy chọn ngày kết thúc lặp lại"));
    // An unknown repetition.
    bad.push((base("monthly", local_date(now + 7 * DAY_MICROS)), "Hãy chọn cách lặp lại ca trực"));
    for (form, says) in &bad {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, body) = t.post(&duty, "/inbox/roster", &form).await;
        assert_eq!(status, 422, "{says}");
        assert!(body.contains(says), "{says}: {body}");
        assert_eq!(roster_counts(&t).await, saved, "nothing half-saved: {says}");
    }
    // A cross-site post is refused by the CSRF check; nothing saved.
    let r =
        duty.post(t.url("/inbox/roster")).header("sec-fetch-site", "cross-site").form(&weekdays).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 403);
    assert_eq!(roster_counts(&t).await, saved);
}

#[tokio::test]
async fn recurring_shifts_and_handover_notes_endpoint_by_role() {
    let t = TestApp::spawn().await;
    let now = t.app.clock.now_micros();
    let hour = 3_600_000_000;
    let officer = officer_id(&t, "canbo.baichay").await.to_string();
    let (from, to) = (local_input(now + hour), local_input(now + 2 * hour));
    let until = local_date(now + 3 * DAY_MICROS);
    let plan = [
        ("unit", "qn-bai-chay"),
        ("officer", officer.as_str()),
        ("starts_at", from.as_str()),
        ("ends_at", to.as_str()),
        ("repeat", "daily"),
        ("until", until.as_str()),
    ];
    // Planning (POST /inbox/roster): who directs the ward's work may, others not.
    for (login, expected) in
        [("canbo.baichay", 403), ("phantich.qn", 403), ("admin.honggai", 404), ("trucban.baichay", 303)]
    {
        let c = t.login(login).await;
        let before = roster_counts(&t).await;
        let (status, _) = t.post(&c, "/inbox/roster", &plan).await;
        assert_eq!(status, expected, "plan as {login}");
        if expected != 303 {
            assert_eq!(roster_counts(&t).await, before, "{login} changed nothing");
        }
    }
    let series: i64 = {
        let db = &t.app.db;
        db_read!(db, pool => sqlx::query_scalar("SELECT id FROM duty_series").fetch_one(pool).await).unwrap()
    };
    // Ending it (POST /inbox/roster/series/{id}/end).
    for (login, expected) in [("canbo.baichay", 403), ("phantich.qn", 403), ("admin.honggai", 404), ("lanhdao.qn", 303)]
    {
        let c = t.login(login).await;
        let before = roster_counts(&t).await;
        let end = [("unit", "qn-bai-chay"), ("confirm", "yes")];
        let (status, _) = t.post(&c, &format!("/inbox/roster/series/{series}/end"), &end).await;
        assert_eq!(status, expected, "end as {login}");
        if expected != 303 {
            assert_eq!(roster_counts(&t).await, before, "{login} changed nothing");
        }
    }
    let leader = t.login("lanhdao.qn").await;
    assert_eq!(t.post(&leader, "/inbox/roster/series/999999/end", &[("confirm", "yes")]).await.0, 404);

    // The hand-over note (POST /inbox/handover): whoever works the ward's conversations.
    let note = [("unit", "qn-bai-chay"), ("text", "Tổ 5 khu 3 còn theo dõi vụ cháy; gọi lại chị Hoa lúc 7 giờ.")];
    for (login, expected) in
        [("phantich.qn", 403), ("admin.honggai", 404), ("trucban.baichay", 303), ("canbo.baichay", 303)]
    {
        let c = t.login(login).await;
        let before = count_of(&t, "duty_handover_notes").await;
        let (status, _) = t.post(&c, "/inbox/handover", &note).await;
        assert_eq!(status, expected, "hand over as {login}");
        let added = if expected == 303 { 1 } else { 0 };
        assert_eq!(count_of(&t, "duty_handover_notes").await, before + added, "{login}");
    }
    let written: i64 = {
        let db = &t.app.db;
        db_read!(db, pool => sqlx::query_scalar("SELECT MIN(id) FROM duty_handover_notes").fetch_one(pool).await)
            .unwrap()
    };
    // Dismissing (POST /inbox/handover/{id}/dismiss): only inside the note's unit's scope.
    for (login, expected) in [("admin.honggai", 404), ("canbo.baichay", 303), ("canbo.baichay", 303)] {
        let c = t.login(login).await;
        let (status, _) = t.post(&c, &format!("/inbox/handover/{written}/dismiss"), &[]).await;
        assert_eq!(status, expected, "dismiss as {login}");
    }
    assert_eq!(count_of(&t, "duty_handover_dismissals").await, 1, "dismissed once, however often pressed");
}

#[tokio::test]
async fn the_next_officer_on_duty_sees_the_handover_note_on_every_console_page_until_read() {
    let t = TestApp::spawn().await;
    let hour = 3_600_000_000;
    let now = t.app.clock.now_micros();
    let duty = t.login("trucban.baichay").await;
    let (duty_id, officer_id) =
        (officer_id(&t, "trucban.baichay").await.to_string(), officer_id(&t, "canbo.baichay").await.to_string());
    // The duty officer's shift ends in half an hour; the officer's night starts then.
    let ends = local_input(now + hour / 2);
    for (who, from, to) in [
        (&duty_id, local_input(now - 8 * hour), ends.clone()),
        (&officer_id, ends.clone(), local_input(now + 9 * hour)),
    ] {
        let shift = [("unit", "qn-bai-chay"), ("officer", who.as_str()), ("starts_at", &from), ("ends_at", &to)];
        assert_eq!(t.post(&duty, "/inbox/roster", &shift).await.0, 303);
    }
    // Bad notes: empty, too long, cross-site. Nothing saved, a clear message.
    let before = (count_of(&t, "duty_handover_notes").await, count_of(&t, "audit_log").await);
    let (status, body) = t.post(&duty, "/inbox/handover", &[("unit", "qn-bai-chay"), ("text", "   ")]).await;
    assert_eq!(status, 422);
    assert!(body.contains("Hãy viết nội dung ghi chú bàn giao ca."), "{body}");
    let long = "a".repeat(2001);
    let (status, body) = t.post(&duty, "/inbox/handover", &[("unit", "qn-bai-chay"), ("text", &long)]).await;
    assert_eq!(status, 422);
    assert!(body.contains("tối đa 2000 ký tự (hiện có 2001)"), "{body}");
    assert!(body.contains(&long), "the refused text comes back to be shortened");
    let r = duty
        .post(t.url("/inbox/handover"))
        .header("sec-fetch-site", "cross-site")
        .form(&[("unit", "qn-bai-chay"), ("text", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    assert_eq!((count_of(&t, "duty_handover_notes").await, count_of(&t, "audit_log").await), before);

    let text = "Tổ 5 khu 3 còn theo dõi vụ cháy; gọi lại chị Hoa lúc 7 giờ.";
    assert_eq!(t.post(&duty, "/inbox/handover", &[("unit", "qn-bai-chay"), ("text", text)]).await.0, 303);
    assert_eq!(count_of(&t, "audit_log").await, before.1 + 1, "audited");
    let audit_text: String = {
        let db = &t.app.db;
        db_read!(db, pool => sqlx::query_scalar("SELECT detail FROM audit_log WHERE action = 'handover_written'").fetch_one(pool).await).unwrap()
    };
    assert!(!audit_text.contains("cháy"), "the audit log keeps no text: {audit_text}");
    // The officer's shift has not started: nothing yet; the author never sees their own.
    let officer = t.login("canbo.baichay").await;
    assert!(!t.get(&officer, "/inbox").await.1.contains("class=\"notice handover\""));
    assert!(!t.get(&duty, "/inbox").await.1.contains("class=\"notice handover\""));
    // Once on duty, the note is at the top of the inbox until dismissed.
    t.app.clock.advance(3600);
    let officer = t.login("canbo.baichay").await;
    let (_, inbox) = t.get(&officer, "/inbox").await;
    let note_at = inbox.find("class=\"notice handover\"").expect("the note is shown");
    assert!(note_at < inbox.find("class=\"desk\"").unwrap(), "above the list");
    assert!(inbox.contains(text) && inbox.contains("Đỗ Thu Hà"), "with its author");
    let id: i64 = {
        let db = &t.app.db;
        db_read!(db, pool => sqlx::query_scalar("SELECT id FROM duty_handover_notes").fetch_one(pool).await).unwrap()
    };
    // The same note tops every console page the officer lands on (one shared piece in the page
    // frame), with "Đã đọc" returning to that page; never inside a fragment a live page swaps.
    for page in ["/cases", "/units", "/kb", "/account", "/inbox/roster", "/inbox?queue=unit"] {
        let (status, body) = t.get(&officer, page).await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(body.matches("class=\"notice handover\"").count(), 1, "{page}");
        assert!(body.contains(text), "{page}");
        assert!(body.contains(&format!("name=\"back\" value=\"{page}\"")), "{page}: read here, back here");
        assert!(body.find("class=\"notice handover\"") < body.find("<h1"), "{page}: at the top");
    }
    assert!(!t.get(&officer, "/inbox/list").await.1.contains(text), "not in the live list");
    let live = officer.get(t.url("/kb")).header("x-caunoi-live", "1").send().await.unwrap();
    assert!(!live.text().await.unwrap().contains(text), "not in a live page's own request");
    // "Đã đọc" on another page returns there; a way off the site returns to the inbox.
    let dismiss = |back: &'static str| {
        officer.post(t.url(&format!("/inbox/handover/{id}/dismiss"))).form(&[("back", back)]).send()
    };
    let r = dismiss("//evil.example/x").await.unwrap();
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(r.headers()["location"], "/inbox");
    let r = dismiss("/cases?status=new").await.unwrap();
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(r.headers()["location"], "/cases?status=new");
    for page in ["/inbox", "/cases", "/units"] {
        assert!(!t.get(&officer, page).await.1.contains(text), "{page}: gone once read");
    }
    let dismissed: i64 = {
        let db = &t.app.db;
        db_read!(db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'handover_dismissed'").fetch_one(pool).await).unwrap()
    };
    assert_eq!(dismissed, 1);
}

/// The tab counts a list page shows, by tab key (`waiting`, `mine`, `unit`, `subtree`).
fn tab_count(page: &str, key: &str) -> String {
    let at = page.find(&format!("data-queue=\"{key}\"")).expect("the tab");
    let rest = &page[at..];
    let start = rest.find("<span class=\"count\"").expect("its count");
    let rest = &rest[start..];
    let open = rest.find('>').unwrap() + 1;
    let close = rest.find("</span>").unwrap();
    rest[open..close].to_string()
}

#[tokio::test]
async fn search_and_filters_never_reach_outside_the_officers_units() {
    let t = TestApp::spawn().await;
    let me = officer_id(&t, "canbo.baichay").await;
    let fire = seed(&t, Seed { text: "Cháy nhà ở tổ 5, khu 3", urgent: true, ..Default::default() }).await;
    let lost = seed(&t, Seed { name: Some("Lê Thị Hoa"), text: "Em bị mất ví 50%_giảm", ..Default::default() }).await;
    let mine_closed =
        seed(&t, Seed { status: "closed", assignee: Some(me), text: "Cháy bếp đã xử lý", ..Default::default() }).await;
    let elsewhere = seed(
        &t,
        Seed {
            unit: "qn-hong-gai", text: "Cháy nhà ở Hồng Gai", name: Some("Lê Thị Hoa"), ..Default::default()
        },
    )
    .await;
    let c = t.login("canbo.baichay").await;

    // Message text, any case; the other ward's fire is not found.
    let (status, page) = t.get(&c, "/inbox?q=CHÁY%20NHÀ").await;
    assert_eq!(status, 200);
    assert!(listed(&page, fire) && !listed(&page, elsewhere) && !listed(&page, lost), "{page}");
    // Closed ones are found when the status says so, in "Của tôi".
    let (_, page) = t.get(&c, "/inbox?queue=mine&q=ch%C3%A1y&status=closed").await;
    assert!(listed(&page, mine_closed) && !listed(&page, fire));
    // The citizen's name; a wildcard in the search is taken literally.
    let (_, page) = t.get(&c, "/inbox?q=l%C3%AA%20th%E1%BB%8B%20hoa").await;
    assert!(listed(&page, lost) && !listed(&page, elsewhere));
    let (_, page) = t.get(&c, "/inbox?q=50%25_gi").await;
    assert!(listed(&page, lost));
    let (_, page) = t.get(&c, "/inbox?q=5_%25").await;
    assert!(!listed(&page, lost), "% and _ are not wildcards");
    // A conversation number finds it in scope only.
    let (_, page) = t.get(&c, &format!("/inbox?q=%23{fire}")).await;
    assert!(listed(&page, fire) && !listed(&page, lost));
    let (_, page) = t.get(&c, &format!("/inbox?q=%23{elsewhere}&status=all&queue=subtree")).await;
    assert!(!listed(&page, elsewhere), "another ward's number finds nothing");
    // Asking for the other ward's unit gives nothing, and its count is zero.
    let (_, page) = t.get(&c, "/inbox?unit=qn-hong-gai&queue=subtree&status=all").await;
    assert!(!listed(&page, elsewhere) && !listed(&page, fire));
    assert_eq!(tab_count(&page, "subtree"), "0");
    // Urgent only, channel, nobody assigned.
    let (_, page) = t.get(&c, "/inbox?urgent=1").await;
    assert!(listed(&page, fire) && !listed(&page, lost));
    let (_, page) = t.get(&c, "/inbox?channel=web").await;
    assert!(!listed(&page, fire) && !listed(&page, lost));
    assert_eq!(tab_count(&page, "waiting"), "0");
    let (_, page) = t.get(&c, "/inbox?queue=unit&assigned=none").await;
    assert!(listed(&page, fire) && listed(&page, lost));
    // Counts per tab under the same filter, never counting the other ward.
    let (_, page) = t.get(&c, "/inbox?q=ch%C3%A1y").await;
    assert_eq!(tab_count(&page, "waiting"), "1");
    assert_eq!(tab_count(&page, "unit"), "1");
    assert_eq!(tab_count(&page, "mine"), "0", "the closed one counts only when closed ones are asked for");
    // A ward without units below it has no "Gồm đơn vị trực thuộc" tab: it would repeat "Đơn vị
    // tôi" with the same count. Asked for by its address, the tab stays (and is the one shown).
    assert!(!page.contains("data-queue=\"subtree\""), "{page}");
    // The live list fragment keeps the filter and the same scope.
    let (_, fragment) = t.get(&c, "/inbox/list?q=ch%C3%A1y&queue=subtree&status=all").await;
    assert!(listed(&fragment, fire) && listed(&fragment, mine_closed) && !listed(&fragment, elsewhere));
    // Bad filter values are ignored, never an error.
    assert_eq!(t.get(&c, "/inbox?queue=x&status=y&channel=z&assigned=w&urgent=q&unit=nope").await.0, 200);

    // The province finds both fires.
    let province = t.login("admin.qn").await;
    let (_, page) = t.get(&province, "/inbox").await;
    assert!(page.contains("Gồm đơn vị trực thuộc"), "a province has units below it: {page}");
    let (_, page) = t.get(&province, "/inbox?queue=subtree&q=ch%C3%A1y%20nh%C3%A0").await;
    assert!(listed(&page, fire) && listed(&page, elsewhere));
    assert_eq!(tab_count(&page, "subtree"), "2");
    let (_, page) = t.get(&province, "/inbox?queue=subtree&unit=qn-hong-gai").await;
    assert!(listed(&page, elsewhere) && !listed(&page, fire));
}

#[tokio::test]
async fn a_report_code_finds_the_conversation_it_came_from_in_scope_only() {
    let t = TestApp::spawn().await;
    let id = seed(&t, Seed { text: "Có người đánh nhau trước chợ", ..Default::default() }).await;
    let c = t.login("canbo.baichay").await;
    let conv = id.to_string();
    let fields = [
        ("conversation", conv.as_str()),
        ("unit", "qn-bai-chay"),
        ("category", "theft"),
        ("description", "Mất xe máy trước chợ Bãi Cháy."),
        ("address", "Khu 2, phường Bãi Cháy"),
        ("mode", "open"),
        ("name", "Người dân"),
        ("phone", ""),
    ];
    let (status, _) = t.post(&c, "/cases/new", &fields).await;
    let db = &t.app.db;
    let code: Option<String> = db_read!(db, pool => sqlx::query_scalar(
        "SELECT code FROM cases WHERE conversation_id = $1"
    ).bind(id).fetch_optional(pool).await)
    .unwrap();
    let Some(code) = code else { panic!("no case was made from the conversation (status {status})") };
    let lower = code.to_lowercase().replace('-', " ");
    let (_, page) = t.get(&c, &format!("/inbox?q={}", lower.replace(' ', "%20"))).await;
    assert!(listed(&page, id), "the report code, typed loosely, finds the conversation");
    let other = t.login("admin.honggai").await;
    let (_, page) = t.get(&other, &format!("/inbox?queue=subtree&status=all&q={code}")).await;
    assert!(!listed(&page, id));
}

#[tokio::test]
async fn transfers_reach_the_officers_units_and_the_parent_never_sideways() {
    let t = TestApp::spawn().await;
    let province = unit_id(&t, "quang-ninh").await;
    let bai_chay = unit_id(&t, "qn-bai-chay").await;
    let reason = ("reason", "Vụ việc vượt thẩm quyền phường");

    // The ward officer's page offers the province ("cấp trên"), never another ward.
    let id = seed(&t, Seed::default()).await;
    let officer = t.login("canbo.baichay").await;
    let (_, page) = t.get(&officer, &format!("/inbox/{id}")).await;
    let select = &page[page.find("id=\"unit\" name=\"unit\"").expect("the transfer form")..];
    let select = &select[..select.find("</select>").unwrap()];
    assert!(select.contains("value=\"quang-ninh\"") && select.contains("cấp trên"), "{select}");
    assert!(!select.contains("qn-hong-gai") && !select.contains("bo-cong-an") && !select.contains("qn-bai-chay"));

    // endpoint × role: (login, target, expected status, where the conversation ends up)
    let cases: [(&str, &str, u16, i64); 7] = [
        ("canbo.baichay", "qn-hong-gai", 422, bai_chay),
        ("canbo.baichay", "bo-cong-an", 422, bai_chay),
        ("canbo.baichay", "nope", 422, bai_chay),
        ("admin.honggai", "quang-ninh", 404, bai_chay),
        ("phantich.qn", "qn-hong-gai", 403, bai_chay),
        ("trucban.baichay", "quang-ninh", 303, province),
        ("lanhdao.qn", "qn-hong-gai", 303, unit_id(&t, "qn-hong-gai").await),
    ];
    for (login, target, expected, ends_at) in cases {
        let id = seed(&t, Seed::default()).await;
        let c = t.login(login).await;
        let before = counts(&t).await;
        let (status, body) = t.post(&c, &format!("/inbox/{id}/transfer"), &[("unit", target), reason]).await;
        assert_eq!(status, expected, "{login} → {target}");
        assert_eq!(state(&t, id).await.1, ends_at, "{login} → {target}");
        if expected == 422 {
            assert!(body.contains("Hãy chọn một đơn vị được phép chuyển đến"), "{body}");
            assert_eq!(counts(&t).await, before, "nothing half-saved");
        }
    }

    // Handed up, the conversation leaves the ward officer's inbox: back to the list with a notice.
    let r = officer
        .post(t.url(&format!("/inbox/{id}/transfer")))
        .form(&[("unit", "quang-ninh"), reason])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let to = r.headers().get("location").and_then(|l| l.to_str().ok()).unwrap_or("").to_string();
    assert!(to.starts_with("/inbox?") && to.contains("done=transfer_up"), "{to}");
    assert_eq!(state(&t, id).await, ("waiting_human".to_string(), province, None, false));
    assert_eq!(t.get(&officer, &format!("/inbox/{id}")).await.0, 404);
    let (_, list) = t.get(&officer, &to).await;
    assert!(list.contains("Đã chuyển cuộc trò chuyện lên đơn vị cấp trên"));
    let leader = t.login("lanhdao.qn").await;
    let (_, queue) = t.get(&leader, "/inbox?queue=waiting").await;
    assert!(listed(&queue, id), "the province's queue has it");
}

#[tokio::test]
async fn the_assign_list_names_role_and_unit_of_those_who_can_work_it() {
    let t = TestApp::spawn().await;
    let id = seed(&t, Seed::default()).await;
    let duty = t.login("trucban.baichay").await;
    let (_, page) = t.get(&duty, &format!("/inbox/{id}")).await;
    let select = &page[page.find("id=\"officer\" name=\"officer\"").expect("the assign form")..];
    let select = &select[..select.find("</select>").unwrap()];
    assert!(select.contains("Vũ Hoàng Nam — Cán bộ, Công an phường Bãi Cháy"), "{select}");
    assert!(select.contains("Nguyễn Thị Lan — Lãnh đạo, Công an tỉnh Quảng Ninh"), "{select}");
    assert!(!select.contains("Lê Minh Tuấn"), "an analyst cannot work it");
    assert!(!select.contains("Phạm Văn Đức"), "another ward's admin cannot work it");
    let (a, b) = (select.find("Vũ Hoàng Nam").unwrap(), select.find("Nguyễn Thị Lan").unwrap());
    assert!(a < b, "the conversation's own unit first");
    // An analyst of the province assigned by id is refused; nothing moves.
    let analyst = officer_id(&t, "phantich.qn").await;
    let before = state(&t, id).await;
    let (status, body) = t.post(&duty, &format!("/inbox/{id}/assign"), &[("officer", &analyst.to_string())]).await;
    assert_eq!(status, 422);
    assert!(body.contains("Cán bộ này không làm việc tại đơn vị của cuộc trò chuyện."));
    assert_eq!(state(&t, id).await, before);
    // Someone else's conversation is taken over only with a reason; one's own needs none.
    let nam = officer_id(&t, "canbo.baichay").await;
    assert_eq!(t.post(&duty, &format!("/inbox/{id}/assign"), &[("officer", &nam.to_string())]).await.0, 303);
    let (status, body) = t.post(&duty, &format!("/inbox/{id}/assign"), &[("officer", "me")]).await;
    assert_eq!(status, 422);
    assert!(body.contains("Cần ghi lý do chuyển tiếp.") && body.contains("id=\"take-reason\""));
    let c = t.login("canbo.baichay").await;
    assert_eq!(t.post(&c, &format!("/inbox/{id}/assign"), &[("officer", "me")]).await.0, 303);
    let (_, page) = t.get(&c, &format!("/inbox/{id}")).await;
    assert!(page.contains("id=\"mine-flag\"") && !page.contains("id=\"assign-me\""), "no take button on one's own");
}

#[tokio::test]
async fn search_ignores_diacritics_in_names_and_messages_on_old_and_new_rows() {
    let t = TestApp::spawn().await;
    let named = seed(&t, Seed { name: Some("Nguyễn Văn A"), text: "cho em hỏi", ..Default::default() }).await;
    let fire = seed(&t, Seed { name: Some("Trần B"), text: "Cháy nhà ở tổ 5, khu 3", ..Default::default() }).await;
    let other = seed(&t, Seed { name: Some("Lê C"), text: "mất ví", ..Default::default() }).await;
    let elsewhere =
        seed(&t, Seed { unit: "qn-hong-gai", name: Some("Nguyễn Văn A"), text: "Cháy chợ", ..Default::default() })
            .await;
    // Rows stored before the folded columns (as the seeds are) are folded by the housekeeping.
    let folded = caunoi::conversations::service::fold_backlog(&t.app.db, 2, 100).await.unwrap();
    assert!(folded >= 8, "4 messages and 4 names: {folded}");
    assert_eq!(caunoi::conversations::service::fold_backlog(&t.app.db, 2, 100).await.unwrap(), 0, "all done");

    let c = t.login("canbo.baichay").await;
    for (q, finds, not) in [
        ("nguyen%20van%20a", named, fire),
        ("NGUYEN%20VAN", named, other),
        ("chay", fire, named),
        ("ch%C3%A1y%20nh%C3%A0", fire, other),
        ("to%205%20khu%203", fire, named),
    ] {
        let (status, page) = t.get(&c, &format!("/inbox?queue=unit&q={q}")).await;
        assert_eq!(status, 200);
        assert!(listed(&page, finds) && !listed(&page, not), "q={q}");
        assert!(!listed(&page, elsewhere), "q={q}: never outside the officer's units");
    }
    // Punctuation only folds to nothing: it finds by the literal text, not everything.
    let (_, page) = t.get(&c, "/inbox?queue=unit&q=%25").await;
    assert!(!listed(&page, named) && !listed(&page, fire));

    // A message written now is folded by the writer: found at once, without the housekeeping.
    let (status, body) =
        t.post(&c, &format!("/inbox/{other}/reply"), &[("text", "Đã cử tổ tuần tra đến hỗ trợ anh")]).await;
    assert!(status == 303 || status == 200, "{status} {body}");
    let (_, page) = t.get(&c, "/inbox?queue=unit&q=da%20cu%20to%20tuan%20tra").await;
    assert!(listed(&page, other) && !listed(&page, fire), "{page}");
}

#[tokio::test]
async fn the_citizen_panel_links_shared_locations_to_a_map_and_shows_the_photos() {
    let t = TestApp::spawn().await;
    let id = seed(&t, Seed::default()).await;
    let db = &t.app.db;
    let at = t.app.clock.now_micros();
    let mut photos = Vec::new();
    for (kind, text, media) in [
        ("location", "20.957300,107.043600", None),
        ("image", "", Some("web/aaaa.jpg")),
        ("image", "ảnh hiện trường", Some("web/bbbb.jpg")),
        ("location", "not,a place", None),
    ] {
        let m: i64 = db_write!(db, pool => sqlx::query_scalar(
            "INSERT INTO messages (conversation_id, direction, author, kind, text, media_ref, created_at) \
             VALUES ($1, 'in', 'citizen', $2, $3, $4, $5) RETURNING id"
        ).bind(id).bind(kind).bind(text).bind(media).bind(at).fetch_one(pool).await)
        .unwrap();
        if media.is_some() {
            photos.push(m);
        }
    }
    let c = t.login("canbo.baichay").await;
    let (status, page) = t.get(&c, &format!("/inbox/{id}")).await;
    assert_eq!(status, 200);
    let map = "https://www.openstreetmap.org/?mlat=20.957300&#38;mlon=107.043600#map=17/20.957300/107.043600";
    let places = &page[page.find("id=\"citizen-places\"").expect("the panel's places")..];
    let places = &places[..places.find("</ul>").unwrap()];
    assert!(places.contains(map) && places.contains("20.95730, 107.04360"), "{places}");
    assert_eq!(places.matches("<li>").count(), 1, "a text that is no place is not linked");
    assert!(page.matches(map).count() >= 2, "the thread links it too");
    assert!(!page.contains("20.957300,107.043600"), "no raw coordinates");
    let gallery = &page[page.find("id=\"citizen-photos\"").expect("the gallery")..];
    let gallery = &gallery[..gallery.find("</ul>").unwrap()];
    for m in &photos {
        assert!(gallery.contains(&format!("href=\"/inbox/media/{m}\"")), "{gallery}");
        assert!(gallery.contains(&format!("src=\"/inbox/media/{m}\"")));
    }
    // The list says "shared location" instead of masking the longitude as an ID number.
    let (_, list) = t.get(&c, "/inbox?queue=unit").await;
    let card = &list[card(&list, id).expect("the card")..];
    let card = &card[..card.find("</li>").unwrap()];
    assert!(!card.contains("SỐ GIẤY TỜ") && card.contains("Vị trí được chia sẻ"), "{card}");
}

async fn keep_until_of(t: &TestApp, username: &str) -> Vec<Option<i64>> {
    let db = &t.app.db;
    db_read!(db, pool => sqlx::query_scalar(
        "SELECT s.keep_until FROM sessions s JOIN officers o ON o.id = s.officer_id WHERE o.username = $1 ORDER BY s.created_at"
    ).bind(username).fetch_all(pool).await)
    .unwrap()
}

fn location(r: &reqwest::Response) -> String {
    r.headers().get("location").and_then(|l| l.to_str().ok()).unwrap_or("").to_string()
}

#[tokio::test]
async fn a_duty_device_keeps_its_session_behind_the_idle_lock_when_the_unit_allows_it() {
    let t = TestApp::spawn().await;
    let set = |hours: &'static str| [("unit", "qn-bai-chay"), ("hours", hours)];
    // Setting the allowance (POST /inbox/roster/duty-session): the ward's admins only.
    for (login, hours, expected) in [
        ("admin.honggai", "12", 404),
        ("trucban.baichay", "12", 403),
        ("canbo.baichay", "12", 403),
        ("admin.qn", "7", 422),
    ] {
        let c = t.login(login).await;
        let before = count_of(&t, "audit_log").await;
        let (status, body) = t.post(&c, "/inbox/roster/duty-session", &set(hours)).await;
        assert_eq!(status, expected, "{login} sets {hours}");
        if expected == 422 {
            assert!(body.contains("Hãy chọn: không cho phép, 8, 12 hoặc 24 giờ."), "{body}");
        }
        assert_eq!(count_of(&t, "duty_session_policies").await, 0, "{login}: nothing saved");
        assert_eq!(count_of(&t, "audit_log").await, before);
    }
    // Before it is allowed, an officer cannot keep their session.
    let device = t.login("canbo.baichay").await;
    let r = device.post(t.url("/inbox/duty-device")).send().await.unwrap();
    assert_eq!((r.status().as_u16(), location(&r)), (303, "/inbox?done=duty_device_refused".to_string()));
    assert!(t.get(&device, "/inbox?done=duty_device_refused").await.1.contains("chưa cho phép thiết bị trực"));
    assert!(keep_until_of(&t, "canbo.baichay").await.iter().all(Option::is_none));

    let admin = t.login("admin.qn").await;
    let r = admin
        .post(t.url("/inbox/roster/duty-session"))
        .header("sec-fetch-site", "cross-site")
        .form(&set("12"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403, "CSRF");
    assert_eq!(count_of(&t, "duty_session_policies").await, 0);
    assert_eq!(t.post(&admin, "/inbox/roster/duty-session", &set("12")).await.0, 303);
    let (_, roster) = t.get(&admin, "/inbox/roster?unit=qn-bai-chay").await;
    assert!(roster.contains("<title>Lịch trực · "), "a plain title");
    assert_eq!(roster.matches("id=\"duty-session\"").count(), 1, "the admin's form, once");
    assert!(roster.contains("<option value=\"12\" selected>12 giờ</option>"), "{roster}");
    let (_, roster) = t.get(&t.login("trucban.baichay").await, "/inbox/roster?unit=qn-bai-chay").await;
    assert!(!roster.contains("id=\"duty-session\""), "not for a duty officer");
    let (_, audit) = t.get(&admin, "/audit").await;
    assert!(audit.contains("Cho thiết bị trực của đơn vị qn-bai-chay giữ phiên đăng nhập đến 12 giờ"), "{audit}");

    // The officer marks this device; another browser of theirs stays ordinary.
    let ordinary = t.login("canbo.baichay").await;
    let (_, inbox) = t.get(&device, "/inbox").await;
    assert!(inbox.contains("action=\"/inbox/duty-device\""), "offered");
    let r = device.post(t.url("/inbox/duty-device")).send().await.unwrap();
    assert_eq!((r.status().as_u16(), location(&r)), (303, "/inbox?done=duty_device".to_string()));
    let now = t.app.clock.now_micros();
    let kept: Vec<i64> = keep_until_of(&t, "canbo.baichay").await.into_iter().flatten().collect();
    assert_eq!(kept.len(), 1, "only this device's session");
    assert!((kept[0] - (now + 12 * 3_600_000_000)).abs() < 60_000_000);
    assert!(t.get(&device, "/inbox").await.1.contains("Thiết bị trực ban: phiên đăng nhập được giữ đến"));

    // Idle past the ordinary 30 minutes: the ordinary session ends, the duty device is locked —
    // its live stream still runs (alarms ring), every page asks for the password.
    t.app.clock.advance(31 * 60);
    let r = ordinary.get(t.url("/inbox")).send().await.unwrap();
    assert!(location(&r).starts_with("/login"), "{}", location(&r));
    let r = device.get(t.url("/inbox")).send().await.unwrap();
    assert_eq!((r.status().as_u16(), location(&r)), (303, "/unlock?next=/inbox".to_string()));
    let r = device.get(t.url("/inbox/list")).header("x-caunoi-live", "1").send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401, "a live page's fragment shows the prompt");
    let r = device.get(t.url("/inbox/events")).header("accept", "text/event-stream").send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200, "the stream keeps ringing");
    drop(r);
    let r = device.get(t.url("/login?next=/inbox")).send().await.unwrap();
    assert!(location(&r).starts_with("/unlock"), "signing in again is unlocking");
    let r = device.get(t.url("/account")).send().await.unwrap();
    assert!(location(&r).starts_with("/unlock"), "every page asks for the password");
    let (status, page) = t.get(&device, "/unlock?next=/inbox").await;
    assert_eq!(status, 200);
    assert!(page.contains("Vũ Hoàng Nam") && page.contains("Mở khóa"));
    // A wrong password unlocks nothing; the right one returns to the page.
    let (status, page) = t.post(&device, "/unlock", &[("password", "sai mật khẩu rồi"), ("next", "/inbox")]).await;
    assert_eq!(status, 422);
    assert!(page.contains("Mật khẩu không đúng"), "{page}");
    assert_eq!(device.get(t.url("/inbox")).send().await.unwrap().status().as_u16(), 303, "still locked");
    let r = device
        .post(t.url("/unlock"))
        .form(&[("password", caunoi_testkit::DEMO_PASSWORD), ("next", "/inbox")])
        .send()
        .await
        .unwrap();
    assert_eq!((r.status().as_u16(), location(&r)), (303, "/inbox".to_string()));
    assert_eq!(t.get(&device, "/inbox").await.0, 200);

    // Past the kept time the session ends like any other.
    t.app.clock.advance(13 * 3600);
    let r = device.get(t.url("/inbox")).send().await.unwrap();
    assert!(location(&r).starts_with("/login"), "{}", location(&r));
    assert!(keep_until_of(&t, "canbo.baichay").await.len() <= 1, "the device's session is gone");
}

#[tokio::test]
async fn a_location_shared_on_zalo_is_stored_as_coordinates_the_console_links_to_a_map() {
    let t = TestApp::spawn_with(caunoi_testkit::Options { demo: true, zalo: true, ..Default::default() }).await;
    let zalo = t.zalo.as_ref().expect("fake Zalo");
    let oa = caunoi::demo::DEMO_OAS[1].oa_id;
    let user = "7712390045123988123";
    let action = caunoi_zalo::fake::UserAction::location(oa, 20.9573, 107.0436);
    let delivery = zalo.user_sends(user, action).await.expect("the webhook is delivered");
    assert_eq!(delivery.statuses, vec![Some(200)]);
    let db = &t.app.db;
    let text: String = caunoi_testkit::eventually("the location is stored", Duration::from_secs(20), || async {
        db_read!(db, pool => sqlx::query_scalar::<_, String>(
            "SELECT text FROM messages WHERE kind = 'location' ORDER BY id DESC LIMIT 1"
        ).fetch_optional(pool).await)
        .ok()
        .flatten()
    })
    .await;
    assert_eq!(text, "20.957300,107.043600", "stored as the web chat stores it");
}
