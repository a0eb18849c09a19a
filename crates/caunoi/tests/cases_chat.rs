//! The chat's report flow end to end: on Zalo through the fake Zalo (signed webhooks, the
//! worker, replies read from the fake) and on the web chat over HTTP. An emergency files its
//! case at once after the unchanged guidance and the later answers complete it; a report asks
//! one thing at a time and files at the end or on "Gửi ngay"; "Dừng" and an abandoned flow file
//! nothing; a status question finds only the citizen's own case. Runs on SQLite, and on
//! PostgreSQL when `CAUNOI_TEST_DATABASE_URL` is set.

use caunoi::cases::service as cases;
use caunoi::conversations::store as conv_store;
use caunoi::demo::DEMO_OAS;
use caunoi_core::cases::CaseId;
use caunoi_core::conversations::{Author, ConversationId, StoredMemory};
use caunoi_core::inbox::Status;
use caunoi_testkit::{Options, TestApp, eventually};
use caunoi_zalo::fake::{Fault, SentRecord, UserAction};
use serde_json::{Value, json};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);
const UNIT: &str = "qn-bai-chay";

// ---- Zalo ----

fn ward() -> caunoi::demo::DemoOa {
    DEMO_OAS[1]
}

async fn replies_to(t: &TestApp, user: &str, n: usize) -> Vec<SentRecord> {
    let zalo = t.zalo.as_ref().expect("fake zalo");
    eventually(&format!("{n} message(s) sent to {user}"), WAIT, || async {
        let sent = zalo.sent_messages(user);
        (sent.len() >= n).then_some(sent)
    })
    .await
}

fn text(r: &SentRecord) -> String {
    r.text.clone().unwrap_or_default()
}

async fn zalo_conversation(t: &TestApp, user: &str) -> conv_store::ConversationRow {
    eventually("the citizen's conversation", WAIT, || async {
        conv_store::open_conversation_of(&t.app.db, "zalo", ward().oa_id, user).await.ok().flatten()
    })
    .await
}

async fn cases_of(t: &TestApp, conversation: ConversationId) -> Vec<caunoi::cases::store::CaseRow> {
    cases::of_conversation(&t.app, conversation).await.expect("cases")
}

async fn updated_events(t: &TestApp, case: i64) -> usize {
    cases::timeline(&t.app, CaseId(case)).await.expect("timeline").iter().filter(|e| e.kind == "updated").count()
}

#[tokio::test]
async fn a_fire_on_zalo_is_a_case_at_once_and_the_later_answers_complete_it() {
    let t = TestApp::spawn_with(Options { demo: true, zalo: true, ..Default::default() }).await;
    let zalo = t.zalo.as_ref().expect("fake zalo");
    let user = "7712390045123988001";
    zalo.user_sends_text(ward().oa_id, user, "chay nha o so 5 ngo 3 roi cuu voi").await.expect("send");
    let sent = replies_to(&t, user, 2).await;
    // The guidance first, as it always was; the case's code and the first question after it.
    assert!(text(&sent[0]).starts_with("KHẨN CẤP: Anh/chị gọi ngay 114"), "{}", text(&sent[0]));
    assert!(!text(&sent[0]).contains("TB-"), "the guidance is not changed");
    let second = text(&sent[1]);
    assert!(second.contains("Tin báo của anh/chị đã được tiếp nhận, mã TB-"), "{second}");
    assert!(second.contains("ở đâu") && second.contains("1. Không nhớ địa điểm"), "{second}");
    let conv = zalo_conversation(&t, user).await;
    assert!(conv.urgent, "the alarm path is unchanged");
    let found = cases_of(&t, conv.id).await;
    assert_eq!(found.len(), 1);
    let case = &found[0];
    assert!(case.urgent);
    assert_eq!((case.category.as_str(), case.channel.as_str()), ("fire", "zalo"));
    assert_eq!(case.conversation_id, Some(conv.id.0));
    assert!(second.contains(&case.code), "the citizen is given this case's code");

    // Where: a Zalo location message, delivered twice by Zalo.
    zalo.inject(Fault::DuplicateWebhooks { copies: 2, count: 1 });
    zalo.user_sends(user, UserAction::location(ward().oa_id, 20.9512, 107.0731)).await.expect("location");
    let sent = replies_to(&t, user, 3).await;
    assert!(text(&sent[2]).contains("ảnh hoặc video"), "{}", text(&sent[2]));
    let case = eventually("the case's place", WAIT, || async {
        cases_of(&t, conv.id).await.into_iter().next().filter(|c| c.lat.is_some())
    })
    .await;
    assert_eq!((case.lat, case.lon), (Some(20.9512), Some(107.0731)));

    // A photo: kept as evidence.
    zalo.user_sends(user, UserAction::image(ward().oa_id, None)).await.expect("image");
    let sent = replies_to(&t, user, 4).await;
    assert!(text(&sent[3]).contains("Đã nhận 1 ảnh/video"), "{}", text(&sent[3]));
    let media = cases::media(&t.app, CaseId(case.id)).await.expect("media");
    assert_eq!(media.len(), 1);
    assert_eq!(media[0].kind, "image");
    assert!(media[0].bytes > 0, "the stored file's size");

    // Done with photos, then the reporter mode: anonymous.
    zalo.user_sends_text(ward().oa_id, user, "1").await.expect("done");
    let sent = replies_to(&t, user, 5).await;
    assert!(text(&sent[4]).contains("Ẩn danh"), "{}", text(&sent[4]));
    zalo.user_sends_text(ward().oa_id, user, "an danh").await.expect("mode");
    let sent = replies_to(&t, user, 6).await;
    assert!(text(&sent[5]).contains(&case.code), "{}", text(&sent[5]));
    let case = cases_of(&t, conv.id).await.remove(0);
    assert_eq!(case.reporter_mode, "anonymous");
    assert_eq!((case.reporter_name, case.reporter_phone), (None, None));
    assert_eq!(case.conversation_id, Some(conv.id.0), "replies can still reach the citizen");
    assert_eq!(cases_of(&t, conv.id).await.len(), 1, "one case for the whole exchange");

    // The location delivered twice was applied once.
    let messages = conv_store::messages(&t.app.db, conv.id).await.expect("messages");
    assert_eq!(messages.iter().filter(|m| m.kind == "location").count(), 1);
    assert_eq!(updated_events(&t, case.id).await, 2, "the place once and the mode once");
}

// ---- web chat ----

fn chat(path: &str) -> String {
    format!("/u/{UNIT}/chat{path}")
}

async fn open_chat(t: &TestApp) -> reqwest::Client {
    let c = t.client();
    let r = c.get(t.url(&chat(""))).send().await.expect("chat page");
    assert_eq!(r.status(), 200);
    c
}

async fn send(t: &TestApp, c: &reqwest::Client, body: Value) -> ConversationId {
    let r = c.post(t.url(&chat("/messages"))).json(&body).send().await.expect("post");
    assert_eq!(r.status(), 200, "accepted");
    let id = r.json::<Value>().await.expect("json")["id"].as_i64().expect("message id");
    let db = &t.app.db;
    let conv: i64 = caunoi::db_read!(db, pool => sqlx::query_scalar(
        "SELECT conversation_id FROM messages WHERE id = $1"
    )
    .bind(id)
    .fetch_one(pool)
    .await)
    .expect("conversation");
    ConversationId(conv)
}

async fn say(t: &TestApp, c: &reqwest::Client, words: &str) -> ConversationId {
    send(t, c, json!({ "text": words })).await
}

async fn tap(t: &TestApp, c: &reqwest::Client, payload: &str, label: &str) -> ConversationId {
    send(t, c, json!({ "payload": payload, "label": label })).await
}

/// The bot's messages in the conversation, oldest first.
async fn bot_texts(t: &TestApp, conv: ConversationId) -> Vec<String> {
    let messages = conv_store::messages(&t.app.db, conv).await.expect("messages");
    messages.into_iter().filter(|m| m.author == Author::Bot).map(|m| m.text).collect()
}

async fn memory(t: &TestApp, conv: ConversationId) -> StoredMemory {
    let db = &t.app.db;
    let json: String = caunoi::db_read!(db, pool => sqlx::query_scalar(
        "SELECT bot_memory FROM conversations WHERE id = $1"
    )
    .bind(conv.0)
    .fetch_one(pool)
    .await)
    .expect("memory");
    StoredMemory::parse(&json)
}

async fn conv_state(t: &TestApp, conv: ConversationId) -> (Status, bool) {
    let db = &t.app.db;
    let (status, urgent): (String, bool) = caunoi::db_read!(db, pool => sqlx::query_as(
        "SELECT status, urgent FROM conversations WHERE id = $1"
    )
    .bind(conv.0)
    .fetch_one(pool)
    .await)
    .expect("conversation");
    (Status::parse(&status).expect("a status"), urgent)
}

async fn all_cases(t: &TestApp) -> i64 {
    let db = &t.app.db;
    caunoi::db_read!(db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM cases").fetch_one(pool).await).expect("count")
}

#[tokio::test]
async fn a_theft_typed_without_diacritics_asks_one_thing_at_a_time_and_send_now_files_it() {
    let t = TestApp::spawn().await;
    let c = open_chat(&t).await;
    let conv = say(&t, &c, "nha toi bi trom mat xe may dem qua").await;
    let texts = bot_texts(&t, conv).await;
    assert_eq!(texts.len(), 1, "one question per message");
    assert!(texts[0].contains("Trộm cắp") && texts[0].contains("ở đâu"), "{}", texts[0]);
    assert_eq!(conv_state(&t, conv).await, (Status::Bot, false), "not an inbox hand-off, not an alarm");
    assert_eq!(all_cases(&t).await, 0, "nothing filed yet");

    say(&t, &c, "ngo 5 duong Ha Long").await;
    let texts = bot_texts(&t, conv).await;
    assert_eq!(texts.len(), 2);
    assert!(texts[1].contains("khi nào"), "{}", texts[1]);

    tap(&t, &c, "rp:send", "Gửi ngay").await;
    let found = cases::of_conversation(&t.app, conv).await.expect("cases");
    assert_eq!(found.len(), 1);
    let case = &found[0];
    assert_eq!((case.channel.as_str(), case.category.as_str()), ("webchat", "theft"));
    assert_eq!(case.address.as_deref(), Some("ngo 5 duong Ha Long"));
    assert_eq!(case.description, "nha toi bi trom mat xe may dem qua");
    assert_eq!(case.reporter_mode, "sealed", "not chosen: protected");
    let texts = bot_texts(&t, conv).await;
    assert!(texts[2].contains(&format!("mã {}", case.code)), "{}", texts[2]);
    assert_eq!(conv_state(&t, conv).await, (Status::WaitingHuman, false), "a theft is followed up by an officer");

    // "Tin báo của tôi đến đâu rồi": the citizen's own case.
    say(&t, &c, "tin bao cua toi den dau roi").await;
    let texts = bot_texts(&t, conv).await;
    let answer = texts.last().expect("an answer");
    assert!(answer.contains(&case.code) && answer.contains("Đã tiếp nhận, đang chờ"), "{answer}");

    // Another citizen typing the code learns nothing about it.
    let other = open_chat(&t).await;
    let other_conv = say(&t, &other, &format!("ma {} the nao roi", case.code)).await;
    let answer = bot_texts(&t, other_conv).await.pop().expect("an answer");
    assert!(answer.contains("Không tìm thấy tin báo"), "{answer}");
    assert!(!answer.contains("Trộm cắp"), "{answer}");
}

#[tokio::test]
async fn stop_files_nothing_and_the_menu_resumes_where_it_stopped() {
    let t = TestApp::spawn().await;
    let c = open_chat(&t).await;
    let conv = say(&t, &c, "nha toi bi trom mat xe may dem qua").await;
    tap(&t, &c, "rp:stop", "Dừng").await;
    let texts = bot_texts(&t, conv).await;
    assert!(texts[1].contains("Tin báo chưa được gửi đi"), "{}", texts[1]);
    assert_eq!(all_cases(&t).await, 0);
    tap(&t, &c, "menu:report", "Gửi tin báo, phản ánh").await;
    let texts = bot_texts(&t, conv).await;
    assert!(texts[2].starts_with("Tiếp tục tin báo") && texts[2].contains("ở đâu"), "{}", texts[2]);
    assert_eq!(all_cases(&t).await, 0);
}

#[tokio::test]
async fn a_flow_abandoned_halfway_files_nothing_and_expires() {
    let t = TestApp::spawn().await;
    let c = open_chat(&t).await;
    let conv = say(&t, &c, "nha toi bi trom mat xe may dem qua").await;
    say(&t, &c, "ngo 5 duong Ha Long").await;
    assert!(memory(&t, conv).await.intake.is_some());
    t.app.clock.advance(25 * 3600);
    let later = say(&t, &c, "xin chao").await;
    assert!(memory(&t, later).await.intake.is_none(), "forgotten after a day");
    assert_eq!(all_cases(&t).await, 0, "nothing was ever filed");
}

#[tokio::test]
async fn a_web_location_must_be_in_vietnam_and_sets_the_place() {
    let t = TestApp::spawn().await;
    let c = open_chat(&t).await;
    let conv = say(&t, &c, "nha toi bi trom mat xe may dem qua").await;
    send(&t, &c, json!({ "lat": 48.8566, "lon": 2.3522 })).await;
    let texts = bot_texts(&t, conv).await;
    assert!(texts[1].contains("không nằm trong lãnh thổ Việt Nam"), "{}", texts[1]);
    send(&t, &c, json!({ "lat": 20.9512, "lon": 107.0731 })).await;
    assert!(bot_texts(&t, conv).await[2].contains("khi nào"));
    tap(&t, &c, "rp:send", "Gửi ngay").await;
    let case = cases::of_conversation(&t.app, conv).await.expect("cases").remove(0);
    assert_eq!((case.lat, case.lon), (Some(20.9512), Some(107.0731)));
}

#[tokio::test]
async fn an_anonymous_chat_reporter_hears_back_in_the_chat_and_gets_no_receipt() {
    let t = TestApp::spawn().await;
    let c = open_chat(&t).await;
    let conversation = say(&t, &c, "xin chao").await;
    let unit = caunoi::units::service::locate(&t.app.db, UNIT).await.expect("unit").expect("demo unit").0;
    let new = cases::NewCase {
        channel: caunoi_core::cases::Channel::WebChat,
        received_by: unit,
        category: "drugs".into(),
        description: "Có người bán ma túy ở đầu ngõ.".into(),
        point: None,
        address: None,
        place_unknown: true,
        occurred: None,
        attributes: Default::default(),
        mode: caunoi_core::cases::ReporterMode::Anonymous,
        reporter: Default::default(),
        conversation: Some(conversation),
        entered_by: None,
        urgent: false,
        own_alarm: false,
        media: vec![],
    };
    let made = cases::create(&t.app, new).await.expect("case");
    assert!(made.receipt.is_none());
    let db = &t.app.db;
    let hash: Option<String> = caunoi::db_read!(db, pool => sqlx::query_scalar(
        "SELECT receipt_hash FROM cases WHERE id = $1"
    )
    .bind(made.id.0)
    .fetch_one(pool)
    .await)
    .expect("case row");
    assert_eq!(hash, None);
}

/// A photo sent in the chat after a report was filed is the case's evidence, copied into the
/// cases' own media area: the retention of the conversation's media removes the chat's copy
/// and leaves the case's, which officers still open and whose original still has its hash.
#[tokio::test]
async fn retention_of_a_conversations_media_leaves_the_cases_evidence() {
    let t = TestApp::spawn().await;
    let c = open_chat(&t).await;
    let conv = say(&t, &c, "chay nha o so 5 ngo 3 roi cuu voi").await;
    let case = cases_of(&t, conv).await.into_iter().next().expect("filed at once");
    let photo = caunoi_testkit::media::gps_jpeg(1);
    let (content_type, body) = caunoi_testkit::media::multipart("chay.jpg", &photo);
    let r =
        c.post(t.url(&chat("/upload"))).header("content-type", content_type).body(body).send().await.expect("upload");
    assert_eq!(r.status(), 200);
    let message = r.json::<Value>().await.expect("json")["id"].as_i64().expect("message id");
    let hash = sha256_hex(&photo);
    let evidence = eventually("the photo as evidence", WAIT, || async {
        cases::media(&t.app, CaseId(case.id)).await.expect("media").into_iter().next()
    })
    .await;
    assert_eq!(evidence.media_ref, format!("cases/{hash}.jpg"), "the case holds its own copy");
    let data = &t.app.config.data_dir;
    assert!(caunoi::media::verify_original(data, &evidence.media_ref).await.expect("verify"));

    let closed_at = t.app.clock.now_micros();
    let db = &t.app.db;
    caunoi::db_write!(db, pool => sqlx::query("UPDATE conversations SET status = 'closed', closed_at = $1 WHERE id = $2")
        .bind(closed_at)
        .bind(conv.0)
        .execute(pool)
        .await
        .map(|_| ()))
    .expect("closed");
    let removed = caunoi::conversations::retention::expire_citizen_media(&t.app, closed_at + 1).await.expect("pass");
    assert_eq!(removed, 1, "the chat's copy goes");
    assert!(!data.join(format!("media/web/{hash}.jpg")).exists());
    assert!(!data.join(format!("media/originals/web/{hash}.jpg")).exists());
    let chat_copy = c.get(t.url(&chat(&format!("/media/{message}")))).send().await.expect("media");
    assert_eq!(chat_copy.status(), 404);

    assert!(caunoi::media::verify_original(data, &evidence.media_ref).await.expect("verify"), "evidence kept");
    let officer = t.login("canbo.baichay").await;
    let r = officer.get(t.url(&format!("/cases/{}/media/{}", case.id, evidence.id))).send().await.expect("case media");
    assert_eq!(r.status(), 200);
    let served = r.bytes().await.expect("bytes");
    assert!(served.starts_with(&[0xFF, 0xD8]) && !served.windows(4).any(|w| w == b"GPS!"), "the working copy");
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}
