//! Officers' photos and documents and the dead letters, through real HTTP on the engine the suite
//! runs on (SQLite, or PostgreSQL when `CAUNOI_TEST_DATABASE_URL` is set): a reply with an
//! attachment reaches the fake Zalo (upload, then send) and the web chat (an image message the
//! session may open); a disguised or oversized attachment leaves nothing behind; the dead
//! letters page is scoped and its "Gửi lại" delivers.

use caunoi::conversations::store as conv_store;
use caunoi::outbox::store as outbox_store;
use caunoi_testkit::webchat::WebCitizen;
use caunoi_testkit::{Options, TestApp, eventually};
use caunoi_zalo::fake::{Fault, UserAction};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);
const UNIT: &str = "qn-bai-chay";

/// A 1×1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0A, 0x49,
    0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00,
    0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

/// A multipart reply form: `text` and, when given, `file`.
fn reply_form(text: &str, file: Option<(&str, &str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "caunoiReplyBoundary9fK2mQ";
    let mut body =
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\n{text}\r\n").into_bytes();
    if let Some((name, content_type, bytes)) = file {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: {content_type}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn post_reply(
    t: &TestApp,
    c: &reqwest::Client,
    conversation: i64,
    text: &str,
    file: Option<(&str, &str, &[u8])>,
) -> (u16, String) {
    let (ct, body) = reply_form(text, file);
    let r = c
        .post(t.url(&format!("/inbox/{conversation}/reply")))
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .expect("reply");
    let status = r.status().as_u16();
    (status, r.text().await.unwrap_or_default())
}

async fn count(t: &TestApp, sql: &'static str) -> i64 {
    let db = &t.app.db;
    caunoi::db_read!(db, pool => sqlx::query_scalar(sql).fetch_one(pool).await).expect("count")
}

fn officer_media_files(t: &TestApp) -> usize {
    std::fs::read_dir(t.app.config.data_dir.join("media").join("officer"))
        .map(|d| d.filter_map(Result::ok).count())
        .unwrap_or(0)
}

/// The citizen's Zalo conversation, once their first message was processed.
async fn zalo_conversation(t: &TestApp, user: &str) -> i64 {
    let oa = caunoi::demo::DEMO_OAS[1].oa_id;
    eventually("the citizen's conversation", WAIT, || async {
        conv_store::open_conversation_of(&t.app.db, "zalo", oa, user).await.ok().flatten().map(|c| c.id.0)
    })
    .await
}

/// A web chat that asked for an officer, and its conversation id.
async fn web_conversation(t: &TestApp) -> (WebCitizen<'_>, i64) {
    let citizen = t.web_citizen(UNIT).await;
    citizen.says("cho em gặp cán bộ").await;
    let conv = citizen.conversation().await;
    (citizen, conv)
}

#[tokio::test]
async fn officer_photo_reply_reaches_zalo_as_an_uploaded_image() {
    let t = TestApp::spawn_with(Options { demo: true, zalo: true, ..Default::default() }).await;
    let zalo = t.zalo.as_ref().expect("fake zalo");
    let user = "7712390045123987101";
    zalo.user_sends(user, UserAction::text(caunoi::demo::DEMO_OAS[1].oa_id, "cho em gặp cán bộ")).await.expect("send");
    let conv = zalo_conversation(&t, user).await;

    let officer = t.login("canbo.baichay").await;
    let (status, body) =
        post_reply(&t, &officer, conv, "Sơ đồ Bộ phận một cửa", Some(("so-do.png", "image/png", PNG))).await;
    assert_eq!(status, 303, "{body}");

    let image = eventually("the photo sent to Zalo", WAIT, || async {
        zalo.sent_messages(user).into_iter().find(|m| m.kind == "image")
    })
    .await;
    assert!(image.attachment_id.as_deref().is_some_and(|id| !id.is_empty()), "uploaded first: {image:?}");
    assert_eq!(image.text.as_deref(), Some("Sơ đồ Bộ phận một cửa"));

    // The thread shows the photo through the officer-only media route.
    let (status, page) = t.get(&officer, &format!("/inbox/{conv}")).await;
    assert_eq!(status, 200);
    let start = page.find("/inbox/media/").expect("the photo in the thread");
    let link: String = page[start..].chars().take_while(|c| *c != '"').collect();
    let r = officer.get(t.url(&link)).send().await.expect("media");
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    let outsider = t.login("admin.honggai").await;
    assert_eq!(outsider.get(t.url(&link)).send().await.expect("media").status(), 404);

    // A document goes the same way: upload for a token, then send.
    let pdf = b"%PDF-1.4\n% mau to khai CT01\ntrailer<<>>\n%%EOF\n";
    let (status, body) = post_reply(&t, &officer, conv, "", Some(("Mẫu CT01.pdf", "application/pdf", pdf))).await;
    assert_eq!(status, 303, "{body}");
    let file = eventually("the file sent to Zalo", WAIT, || async {
        zalo.sent_messages(user).into_iter().find(|m| m.kind == "file")
    })
    .await;
    assert!(file.file_token.as_deref().is_some_and(|t| !t.is_empty()), "{file:?}");
}

#[tokio::test]
async fn officer_photo_reply_reaches_the_web_chat_as_an_image_its_session_may_open() {
    let t = TestApp::spawn().await;
    let (citizen, conv) = web_conversation(&t).await;
    let officer = t.login("canbo.baichay").await;
    let (status, body) = post_reply(&t, &officer, conv, "", Some(("anh.png", "image/png", PNG))).await;
    assert_eq!(status, 303, "{body}");

    let m = citizen.message(|m| m["author"] == "officer" && m["kind"] == "image").await;
    let media = m["media"].as_str().expect("a media link").to_string();
    let r = citizen.browser.get(t.url(&media)).send().await.expect("media");
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    assert_eq!(r.bytes().await.expect("bytes").as_ref(), PNG);
    let stranger = t.client();
    stranger.get(t.url(&format!("/u/{UNIT}/chat"))).send().await.expect("chat page");
    assert_eq!(stranger.get(t.url(&media)).send().await.expect("media").status(), 404);

    let sent = eventually("the outbox row settled", WAIT, || async {
        let rows = outbox_store::all(&t.app.db).await.ok()?;
        rows.into_iter()
            .find(|r| r.payload.contains(r#""kind":"image""#) && r.status == caunoi::outbox::OutboxStatus::Sent)
    })
    .await;
    assert_eq!(sent.channel, caunoi_core::conversations::Channel::Web);
}

#[tokio::test]
async fn disguised_or_oversized_attachment_is_refused_and_nothing_is_stored() {
    let t = TestApp::spawn().await;
    let (_citizen, conv) = web_conversation(&t).await;
    let officer = t.login("canbo.baichay").await;
    let messages = count(&t, "SELECT COUNT(*) FROM messages").await;
    let outbox = count(&t, "SELECT COUNT(*) FROM outbox").await;

    let (status, page) =
        post_reply(&t, &officer, conv, "ảnh đây", Some(("anh.jpg", "image/jpeg", b"MZ\x90\x00 not a photo at all")))
            .await;
    assert_eq!(status, 422);
    assert!(page.contains("Tệp không đúng định dạng."), "{page}");

    let mut big = vec![0xFF, 0xD8, 0xFF, 0xE0];
    big.resize(1024 * 1024 + 10, 0);
    let (status, page) = post_reply(&t, &officer, conv, "", Some(("lon.jpg", "image/jpeg", &big))).await;
    assert_eq!(status, 422);
    assert!(page.contains("Ảnh quá lớn"), "{page}");

    let zip = b"PK\x03\x04 not a word document, payload.exe";
    let (status, page) = post_reply(&t, &officer, conv, "", Some(("don.docx", "application/msword", zip))).await;
    assert_eq!(status, 422);
    assert!(page.contains("Tệp không đúng định dạng."), "{page}");

    assert_eq!(count(&t, "SELECT COUNT(*) FROM messages").await, messages, "no message");
    assert_eq!(count(&t, "SELECT COUNT(*) FROM outbox").await, outbox, "no outbox row");
    assert_eq!(officer_media_files(&t), 0, "no file");

    // Another ward's officer cannot even learn the conversation exists.
    let outsider = t.login("admin.honggai").await;
    let (status, _) = post_reply(&t, &outsider, conv, "", Some(("anh.png", "image/png", PNG))).await;
    assert_eq!(status, 404);
    assert_eq!(officer_media_files(&t), 0);
}

#[tokio::test]
async fn dead_letters_page_is_scoped_and_retry_delivers() {
    let t = TestApp::spawn_with(Options { demo: true, zalo: true, ..Default::default() }).await;
    let zalo = t.zalo.as_ref().expect("fake zalo");
    let user = "7712390045123987102";
    zalo.user_sends(user, UserAction::text(caunoi::demo::DEMO_OAS[1].oa_id, "cho em gặp cán bộ")).await.expect("send");
    let conv = zalo_conversation(&t, user).await;
    let before = eventually("the bot's answer", WAIT, || async {
        let rows = outbox_store::all(&t.app.db).await.ok()?;
        (!rows.is_empty() && rows.iter().all(|r| r.status == caunoi::outbox::OutboxStatus::Sent))
            .then_some(zalo.sent_messages(user).len())
    })
    .await;

    // Zalo refuses the officer's reply for good: it becomes a dead letter.
    zalo.inject(Fault::Error {
        code: -230,
        message: "User has not interacted with the OA in the past 7 days".into(),
        count: 1,
    });
    let duty = t.login("trucban.baichay").await;
    let (status, _) = t.post(&duty, &format!("/inbox/{conv}/reply"), &[("text", "Chào anh, cán bộ phường đây.")]).await;
    assert_eq!(status, 303);
    let dead = eventually("a dead letter", WAIT, || async {
        outbox_store::all(&t.app.db).await.ok()?.into_iter().find(|r| r.status == caunoi::outbox::OutboxStatus::Dead)
    })
    .await;

    let (status, page) = t.get(&duty, "/outbox/dead").await;
    assert_eq!(status, 200);
    assert!(page.contains("Gửi lại") && page.contains("7 ngày"), "{page}");
    assert!(!page.contains(user), "the recipient is masked");
    let (status, inbox) = t.get(&duty, "/inbox").await;
    assert_eq!(status, 200);
    assert!(inbox.contains("/outbox/dead") && inbox.contains(r#"<span class="badge""#), "badge on the inbox");

    // Another ward's admin sees none and cannot retry; a plain officer has no such page.
    let outsider = t.login("admin.honggai").await;
    let (status, page) = t.get(&outsider, "/outbox/dead").await;
    assert_eq!(status, 200);
    assert!(page.contains(r#"id="no-dead""#), "{page}");
    let (status, _) = t.post(&outsider, &format!("/outbox/dead/{}/retry", dead.id), &[]).await;
    assert_eq!(status, 404);
    let officer = t.login("canbo.baichay").await;
    assert_eq!(t.get(&officer, "/outbox/dead").await.0, 403);
    assert_eq!(t.post(&officer, &format!("/outbox/dead/{}/retry", dead.id), &[]).await.0, 403);

    // "Gửi lại" delivers, and is in the audit log.
    let (status, _) = t.post(&duty, &format!("/outbox/dead/{}/retry", dead.id), &[]).await;
    assert_eq!(status, 303);
    eventually("the retried reply delivered", WAIT, || async {
        let sent = zalo.sent_messages(user);
        (sent.len() > before && sent.iter().any(|m| m.text.as_deref() == Some("Chào anh, cán bộ phường đây.")))
            .then_some(())
    })
    .await;
    assert_eq!(count(&t, "SELECT COUNT(*) FROM audit_log WHERE action = 'outbox_retried'").await, 1);
    let (_, page) = t.get(&duty, "/outbox/dead").await;
    assert!(page.contains(r#"id="no-dead""#), "{page}");
}

#[tokio::test]
async fn citizens_zalo_photo_shows_inline_for_officers_of_the_unit_only() {
    let t = TestApp::spawn_with(Options { demo: true, zalo: true, ..Default::default() }).await;
    let zalo = t.zalo.as_ref().expect("fake zalo");
    let user = "7712390045123987103";
    let oa = caunoi::demo::DEMO_OAS[1].oa_id;
    zalo.user_sends(user, UserAction::image(oa, Some("Xe máy bị lấy trộm"))).await.expect("send");
    let conv = zalo_conversation(&t, user).await;
    let message = eventually("the photo kept", WAIT, || async {
        conv_store::messages(&t.app.db, caunoi_core::conversations::ConversationId(conv))
            .await
            .ok()?
            .into_iter()
            .find(|m| m.media_ref.is_some())
    })
    .await;

    let officer = t.login("canbo.baichay").await;
    let (status, page) = t.get(&officer, &format!("/inbox/{conv}/thread")).await;
    assert_eq!(status, 200);
    let link = format!("/inbox/media/{}", message.id);
    assert!(page.contains(&format!(r#"<img class="thread-img" src="{link}""#)), "{page}");
    let r = officer.get(t.url(&link)).send().await.expect("media");
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    let outsider = t.login("admin.honggai").await;
    assert_eq!(outsider.get(t.url(&link)).send().await.expect("media").status(), 404);
    assert_eq!(t.client().get(t.url(&link)).send().await.expect("media").status(), 303, "sign-in first");
}
