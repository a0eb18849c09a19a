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

#[tokio::test]
async fn a_week_of_night_shifts_is_planned_at_once_and_an_overlap_saves_nothing() {
    let t = TestApp::spawn().await;
    let duty = t.login("trucban.baichay").await;
    let me = officer_id(&t, "trucban.baichay").await.to_string();
    let now = t.app.clock.now_micros();
    let hour = 3_600_000_000;
    let (from, to) = (local_input(now + 2 * hour), local_input(now + 10 * hour));
    let count = |t: &TestApp| {
        let db = t.app.db.clone();
        async move {
            let db = &db;
            db_read!(db, pool => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM duty_shifts").fetch_one(pool).await)
                .unwrap()
        }
    };
    let before = count(&t).await;
    let week = [
        ("unit", "qn-bai-chay"),
        ("officer", me.as_str()),
        ("starts_at", &from),
        ("ends_at", &to),
        ("repeat", "daily"),
        ("times", "7"),
    ];
    assert_eq!(t.post(&duty, "/inbox/roster", &week).await.0, 303);
    assert_eq!(count(&t).await, before + 7);
    // The same nights again: every one overlaps, nothing is saved.
    let (status, body) = t.post(&duty, "/inbox/roster", &week).await;
    assert_eq!(status, 422);
    assert!(body.contains("trùng giờ"), "{body}");
    assert_eq!(count(&t).await, before + 7);
    // Too many repeats: a clear message, nothing saved.
    let many = [
        ("unit", "qn-bai-chay"),
        ("officer", me.as_str()),
        ("starts_at", &local_input(now + 40 * 24 * hour)),
        ("ends_at", &local_input(now + 40 * 24 * hour + hour)),
        ("repeat", "daily"),
        ("times", "400"),
    ];
    let (status, body) = t.post(&duty, "/inbox/roster", &many).await;
    assert_eq!(status, 422);
    assert!(body.contains("Số lần lặp cần từ 1 đến 31"), "{body}");
    assert_eq!(count(&t).await, before + 7);
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
    assert_eq!(tab_count(&page, "subtree"), "1");
    assert_eq!(tab_count(&page, "mine"), "0", "the closed one counts only when closed ones are asked for");
    // The live list fragment keeps the filter and the same scope.
    let (_, fragment) = t.get(&c, "/inbox/list?q=ch%C3%A1y&queue=subtree&status=all").await;
    assert!(listed(&fragment, fire) && listed(&fragment, mine_closed) && !listed(&fragment, elsewhere));
    // Bad filter values are ignored, never an error.
    assert_eq!(t.get(&c, "/inbox?queue=x&status=y&channel=z&assigned=w&urgent=q&unit=nope").await.0, 200);

    // The province finds both fires.
    let province = t.login("admin.qn").await;
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
