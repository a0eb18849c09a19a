//! What the outside probe of the media found, each closed, through real HTTP on the engine the
//! suite runs on (SQLite, or PostgreSQL when `CAUNOI_TEST_DATABASE_URL` is set):
//! - a citizen's GPS-tagged photo is served without its metadata, and the bytes as received are
//!   kept (not served) under the SHA-256 the reference names;
//! - an officer's GPS-tagged attachment reaches the citizen without its GPS;
//! - a 3-byte JPEG, a truncated one, `ftypheic` and junk, a video without its boxes are refused
//!   with their specific message, and nothing is stored;
//! - a DOCX carrying `word/evil.exe` is refused;
//! - parallel uploads fit the byte quota exactly, and a refused upload gives its bytes back;
//! - below the free-space floor nothing is accepted;
//! - a citizen's photo, location and sentence pass every limit;
//! - media kept in an S3-compatible bucket behave the same, and several instances share them.

use caunoi::config::{Config, UploadQuotas};
use caunoi::media::space::FreeFloor;
use caunoi::media::{MediaStore, S3Settings};
use caunoi_testkit::media::{gps_jpeg, multipart};
use caunoi_testkit::{Options, TestApp, eventually};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::time::Duration;

const UNIT: &str = "qn-bai-chay";
const WAIT: Duration = Duration::from_secs(20);

fn chat(path: &str) -> String {
    format!("/u/{UNIT}/chat{path}")
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// None of the metadata of [`gps_jpeg`] is in `bytes`.
fn assert_no_metadata(bytes: &[u8]) {
    assert!(bytes.starts_with(&[0xFF, 0xD8]) && bytes.ends_with(&[0xFF, 0xD9]), "still a JPEG");
    for needle in [&b"GPS!"[..], b"GPSLatitude", b"Acme", b"Photoshop", b"Ha Long", b"Nguyen Van A", b"xmpmeta"] {
        assert!(!contains(bytes, needle), "{} is still served", String::from_utf8_lossy(needle));
    }
    assert!(!contains(bytes, &[0x25, 0x88]) && !contains(bytes, &[0x88, 0x25]), "no GPS IFD pointer");
}

fn bx(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut v = ((body.len() + 8) as u32).to_be_bytes().to_vec();
    v.extend_from_slice(kind);
    v.extend_from_slice(body);
    v
}

/// An MP4 whose movie carries a `©xyz` location, with `len` bytes of media data.
fn located_video(len: usize) -> Vec<u8> {
    let xyz = bx(b"\xA9xyz", b"\0\x11\0\0+20.9517+107.0480/");
    let moov = bx(b"moov", &[bx(b"mvhd", &[0; 100]), bx(b"trak", &bx(b"tkhd", &[0; 84])), bx(b"udta", &xyz)].concat());
    let mdat: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
    [bx(b"ftyp", b"isom\0\0\x02\0isomiso2avc1mp41"), moov, bx(b"mdat", &mdat)].concat()
}

async fn upload(base: &str, c: &reqwest::Client, filename: &str, bytes: &[u8]) -> (u16, Value) {
    let (ct, body) = multipart(filename, bytes);
    let r = c
        .post(format!("{base}{}", chat("/upload")))
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .expect("upload");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn open_chat(base: &str, t: &TestApp) -> reqwest::Client {
    let c = t.client();
    let r = c.get(format!("{base}{}", chat(""))).send().await.expect("chat page");
    assert_eq!(r.status(), 200);
    c
}

fn files_in(t: &TestApp, rel: &str) -> usize {
    std::fs::read_dir(t.app.config.data_dir.join(rel)).map(|d| d.filter_map(Result::ok).count()).unwrap_or(0)
}

async fn count(t: &TestApp, sql: &'static str) -> i64 {
    let db = &t.app.db;
    caunoi::db_read!(db, pool => sqlx::query_scalar(sql).fetch_one(pool).await).expect("count")
}

/// A web chat session that asked for an officer, and its conversation.
async fn web_conversation(t: &TestApp) -> (reqwest::Client, i64) {
    let citizen = open_chat(&t.base, t).await;
    let r = citizen.post(t.url(&chat("/messages"))).json(&serde_json::json!({ "text": "cho em gặp cán bộ" }));
    assert_eq!(r.send().await.expect("post").status(), 200);
    let db = &t.app.db;
    let conv = caunoi::db_read!(db, pool => sqlx::query_scalar("SELECT id FROM conversations ORDER BY id DESC LIMIT 1")
        .fetch_one(pool)
        .await)
    .expect("conversation");
    (citizen, conv)
}

/// An officer's reply with `text` and an attached file: the response's status and page.
async fn reply_with_file(
    t: &TestApp,
    officer: &reqwest::Client,
    conv: i64,
    text: &str,
    filename: &str,
    bytes: &[u8],
) -> (u16, String) {
    let boundary = "caunoiOfficerBoundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\n{text}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let r = officer
        .post(t.url(&format!("/inbox/{conv}/reply")))
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(body)
        .send()
        .await
        .expect("reply");
    (r.status().as_u16(), r.text().await.unwrap_or_default())
}

/// A second server on the test's database with a changed configuration (workers off: the
/// test's own server runs them).
async fn server_with(t: &TestApp, change: impl FnOnce(&mut Config)) -> String {
    let mut config = t.app.config.clone();
    config.workers = false;
    change(&mut config);
    let app = caunoi::server::assemble(t.app.db.clone(), config);
    app.kb().reload(&app.db).await.expect("knowledge base");
    app.bot_settings().reload(&app.db).await.expect("bot settings");
    let (addr, _server) = caunoi::server::spawn(app).await.expect("server");
    format!("http://{addr}")
}

#[tokio::test]
async fn citizens_gps_photo_is_served_without_metadata_and_the_original_kept_with_its_hash() {
    let t = TestApp::spawn().await;
    let c = open_chat(&t.base, &t).await;
    let photo = gps_jpeg(1);
    let (status, body) = upload(&t.base, &c, "IMG_0001.jpg", &photo).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["kind"], "image");
    let id = body["id"].as_i64().expect("message id");

    // The citizen's own view and the officer's both get the stripped copy.
    let served = c.get(t.url(&chat(&format!("/media/{id}")))).send().await.expect("media");
    assert_eq!(served.status(), 200);
    let served = served.bytes().await.expect("bytes").to_vec();
    assert_no_metadata(&served);
    assert!(!contains(&served, b"Exif"), "upright photo: no EXIF block at all");
    assert!(served.len() < photo.len());
    let officer = t.login("canbo.baichay").await;
    let in_inbox = officer.get(t.url(&format!("/inbox/media/{id}"))).send().await.expect("inbox media");
    assert_eq!(in_inbox.status(), 200);
    assert_eq!(in_inbox.bytes().await.expect("bytes").as_ref(), served.as_slice());

    // The original: kept byte for byte outside what any route serves, under its own hash.
    let hash = hex::encode(Sha256::digest(&photo));
    let media_ref = format!("web/{hash}.jpg");
    let kept = std::fs::read(t.app.config.data_dir.join("media/originals").join(&media_ref)).expect("original kept");
    assert_eq!(kept, photo);
    assert!(caunoi::media::verify_original(&t.app.config.data_dir, &media_ref).await.expect("verify"));
    let db = &t.app.db;
    let stored: Option<String> = caunoi::db_read!(db, pool => sqlx::query_scalar(
        "SELECT media_ref FROM messages WHERE id = $1"
    )
    .bind(id)
    .fetch_one(pool)
    .await)
    .expect("message");
    assert_eq!(stored.as_deref(), Some(media_ref.as_str()), "the message names the original's SHA-256");
    assert!(caunoi::media::resolve(&t.app.config.data_dir, &format!("originals/{hash}.jpg")).is_none());

    // A photo taken sideways keeps its Orientation, and nothing else of its EXIF.
    let (status, body) = upload(&t.base, &c, "IMG_0002.jpg", &gps_jpeg(6)).await;
    assert_eq!(status, 200, "{body}");
    let r = c.get(t.url(&chat(&format!("/media/{}", body["id"])))).send().await.expect("media");
    let rotated = r.bytes().await.expect("bytes").to_vec();
    assert_no_metadata(&rotated);
    let exif = rotated.windows(6).position(|w| w == b"Exif\0\0").expect("an EXIF block for the orientation") + 6;
    assert_eq!(&rotated[exif..exif + 20], b"MM\0\x2A\0\0\0\x08\0\x05\x01\x12\0\x03\0\0\0\x01\0\x06");
    assert!(!contains(&rotated[exif..], b"Acme"), "the rest of IFD0 is constants only");
}

#[tokio::test]
async fn officers_gps_photo_reaches_the_citizen_without_it() {
    let t = TestApp::spawn().await;
    let (citizen, conv) = web_conversation(&t).await;
    let officer = t.login("canbo.baichay").await;
    let (status, page) = reply_with_file(&t, &officer, conv, "Ảnh hiện trường", "hien-truong.jpg", &gps_jpeg(1)).await;
    assert_eq!(status, 303, "{page}");

    // What the outbox sends (to Zalo's upload or the chat) is the served file.
    let media_ref = eventually("the officer's photo message", WAIT, || async {
        let db = &t.app.db;
        caunoi::db_read!(db, pool => sqlx::query_scalar::<_, String>(
            "SELECT media_ref FROM messages WHERE author = 'officer' AND media_ref IS NOT NULL"
        )
        .fetch_optional(pool)
        .await)
        .ok()
        .flatten()
    })
    .await;
    let (path, mime) = caunoi::media::resolve(&t.app.config.data_dir, &media_ref).expect("resolves");
    assert_eq!(mime, "image/jpeg");
    assert_no_metadata(&std::fs::read(path).expect("served file"));
    assert!(caunoi::media::verify_original(&t.app.config.data_dir, &media_ref).await.expect("verify"));

    let id: i64 = {
        let db = &t.app.db;
        caunoi::db_read!(db, pool => sqlx::query_scalar(
            "SELECT id FROM messages WHERE media_ref = $1"
        )
        .bind(&media_ref)
        .fetch_one(pool)
        .await)
        .expect("message")
    };
    let r = citizen.get(t.url(&chat(&format!("/media/{id}")))).send().await.expect("media");
    assert_eq!(r.status(), 200);
    assert_no_metadata(&r.bytes().await.expect("bytes"));
}

#[tokio::test]
async fn broken_photos_and_videos_are_refused_with_their_reason_and_nothing_is_stored() {
    let t = TestApp::spawn().await;
    let c = open_chat(&t.base, &t).await;
    let jpeg = gps_jpeg(1);
    let mut heic = bx(b"ftyp", b"heic\0\0\0\0mif1heic");
    heic.extend_from_slice(&[0x55; 400]);
    let only_ftyp = bx(b"ftyp", b"mp42\0\0\0\0mp42isom");
    let video = located_video(5000);
    let cases: [(&str, &[u8], &str, &str); 5] = [
        ("three-bytes.jpg", &[0xFF, 0xD8, 0xFF], "photo_truncated", "Ảnh bị lỗi hoặc chưa tải lên hết"),
        ("cut.jpg", &jpeg[..jpeg.len() / 2], "photo_truncated", "Ảnh bị lỗi hoặc chưa tải lên hết"),
        ("junk.heic", &heic, "photo_invalid", "Tệp không phải là ảnh hợp lệ"),
        ("ftyp.mp4", &only_ftyp, "video_invalid", "Tệp không phải là video hợp lệ"),
        ("cut.mp4", &video[..video.len() - 100], "video_truncated", "Video bị lỗi hoặc chưa tải lên hết"),
    ];
    for (name, bytes, code, message) in cases {
        let (status, body) = upload(&t.base, &c, name, bytes).await;
        assert_eq!(status, 422, "{name}: {body}");
        assert_eq!(body["error"], code, "{name}");
        assert!(body["message"].as_str().is_some_and(|m| m.starts_with(message)), "{name}: {body}");
        assert!(body["message_en"].as_str().is_some_and(|m| !m.is_empty()), "{name}: English too");
    }
    assert_eq!(count(&t, "SELECT COUNT(*) FROM messages WHERE media_ref IS NOT NULL").await, 0);
    assert_eq!(count(&t, "SELECT COUNT(*) FROM contacts WHERE channel = 'web'").await, 0, "no conversation");
    assert_eq!(files_in(&t, "media/web"), 0, "no file, not even a temporary one");
    assert_eq!(files_in(&t, "media/originals/web"), 0);
    assert_eq!(count(&t, "SELECT COUNT(*) FROM webchat_uploads").await, 0, "refusals take no quota");

    // The whole video is accepted; its location box is blanked in what is served.
    let (status, body) = upload(&t.base, &c, "clip.mp4", &video).await;
    assert_eq!(status, 200, "{body}");
    let r = c.get(t.url(&chat(&format!("/media/{}", body["id"])))).send().await.expect("media");
    let served = r.bytes().await.expect("bytes");
    assert_eq!(served.len(), video.len(), "same size: no offset moved");
    assert!(!contains(&served, b"+20.9517"), "location gone");
    assert!(contains(&video, b"+20.9517"));
    let hash = hex::encode(Sha256::digest(&video));
    let kept = std::fs::read(t.app.config.data_dir.join(format!("media/originals/web/{hash}.mp4"))).expect("kept");
    assert_eq!(kept, video);
    assert_eq!(
        count(&t, "SELECT CAST(COALESCE(SUM(bytes), 0) AS BIGINT) FROM webchat_uploads").await,
        video.len() as i64,
        "the accepted video's quota settled to its size"
    );
}

fn docx_with(parts: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in parts {
        w.start_file(*name, opts).expect("part");
        w.write_all(data).expect("write");
    }
    w.finish().expect("zip").into_inner()
}

#[tokio::test]
async fn a_docx_carrying_a_program_is_refused_and_a_clean_one_sent() {
    let t = TestApp::spawn().await;
    let (_citizen, conv) = web_conversation(&t).await;
    let officer = t.login("canbo.baichay").await;
    let types =
        b"<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"/>";
    let messages = count(&t, "SELECT COUNT(*) FROM messages").await;
    let evil = docx_with(&[
        ("[Content_Types].xml", types),
        ("word/document.xml", b"<w:document/>"),
        ("word/evil.exe", b"MZ\x90\0\x03\0\0\0"),
    ]);
    let (status, page) = reply_with_file(&t, &officer, conv, "", "Mau CT01.docx", &evil).await;
    assert_eq!(status, 422);
    assert!(page.contains("Tài liệu có chứa tệp chương trình (exe, script) nên không được gửi."), "{page}");
    let macros = docx_with(&[
        ("[Content_Types].xml", types),
        ("word/document.xml", b"<w:document/>"),
        ("word/vbaProject.bin", b"\xD0\xCF\x11\xE0"),
    ]);
    let (status, page) = reply_with_file(&t, &officer, conv, "", "Mau CT01.docx", &macros).await;
    assert_eq!(status, 422);
    assert!(page.contains("macro"), "{page}");
    assert_eq!(count(&t, "SELECT COUNT(*) FROM messages").await, messages, "nothing sent");
    assert_eq!(files_in(&t, "media/officer"), 0, "nothing stored");

    let clean = docx_with(&[("[Content_Types].xml", types), ("word/document.xml", b"<w:document/>")]);
    assert_eq!(reply_with_file(&t, &officer, conv, "", "Mau CT01.docx", &clean).await.0, 303);
    assert_eq!(files_in(&t, "media/officer"), 1);
}

#[tokio::test]
async fn parallel_uploads_fit_the_session_quota_exactly_and_refusals_give_it_back() {
    let t = TestApp::spawn().await;
    let video = located_video(100_000);
    // Three uploads of this video (with their multipart framing) fit; a fourth does not.
    let quota = 3 * (video.len() as u64 + 400);
    let base = server_with(&t, |c| {
        c.upload_quotas = UploadQuotas { session_hour: quota, ..UploadQuotas::default() };
    })
    .await;
    let c = open_chat(&base, &t).await;
    // Six different videos at once, as the probe sent them.
    let uploads = (0..6u8).map(|n| {
        let mut v = located_video(100_000);
        let last = v.len() - 1;
        v[last] = n;
        let (c, base) = (c.clone(), base.clone());
        async move { upload(&base, &c, "clip.mp4", &v).await }
    });
    let results = futures::future::join_all(uploads).await;
    let accepted = results.iter().filter(|(s, _)| *s == 200).count();
    let refused: Vec<&Value> = results.iter().filter(|(s, _)| *s == 429).map(|(_, b)| b).collect();
    assert_eq!((accepted, refused.len()), (3, 3), "{results:?}");
    for body in refused {
        assert_eq!(body["error"], "upload_quota");
        assert!(body["message"].as_str().is_some_and(|m| m.contains("trong một giờ qua")), "{body}");
    }
    assert_eq!(count(&t, "SELECT COUNT(*) FROM messages WHERE media_ref IS NOT NULL").await, 3);
    assert_eq!(files_in(&t, "media/originals/web"), 3);

    // The same quota for a fresh session: a refused upload's reservation is given back.
    let c = open_chat(&base, &t).await;
    let (status, _) = upload(&base, &c, "cut.mp4", &video[..video.len() - 10]).await;
    assert_eq!(status, 422);
    for n in 0..3u8 {
        let mut v = video.clone();
        let last = v.len() - 1;
        v[last] = 100 + n;
        let (status, body) = upload(&base, &c, "clip.mp4", &v).await;
        assert_eq!(status, 200, "upload {n}: {body}");
    }
    assert_eq!(upload(&base, &c, "clip.mp4", &video).await.0, 429);
}

#[tokio::test]
async fn the_quota_guard_holds_under_parallel_reservations() {
    let t = TestApp::spawn().await;
    let db = &t.app.db;
    let now = 1_900_000_000_000_000i64;
    let limits = caunoi::channels::webchat::store::UploadLimits {
        hour_since: now - 3_600_000_000,
        day_since: now - 86_400_000_000,
        session_hour: 1_000,
        session_day: 10_000,
        address_hour: 10_000,
        address_day: 10_000,
    };
    let tries = (0..12).map(|_| async {
        caunoi::channels::webchat::store::reserve_upload_within(db, 7, "address", now, 300, limits)
            .await
            .expect("reserve")
    });
    let results = futures::future::join_all(tries).await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 3, "3 × 300 fit in 1,000: {results:?}");
    // Another session behind the same address has the address's room only.
    let other = caunoi::channels::webchat::store::UploadLimits { session_hour: 100_000, ..limits };
    let tries = (0..40).map(|_| async {
        caunoi::channels::webchat::store::reserve_upload_within(db, 8, "address", now, 300, other)
            .await
            .expect("reserve")
    });
    let results = futures::future::join_all(tries).await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), (10_000 - 900) / 300, "{results:?}");
}

#[tokio::test]
async fn below_the_free_space_floor_uploads_are_refused_and_nothing_is_stored() {
    let t = TestApp::spawn().await;
    let base = server_with(&t, |c| c.media_free_floor = FreeFloor::Bytes(1 << 60)).await;
    let c = open_chat(&base, &t).await;
    let (status, body) = upload(&base, &c, "IMG_0001.jpg", &gps_jpeg(1)).await;
    assert_eq!(status, 507, "{body}");
    assert_eq!(body["error"], "storage_full");
    assert!(body["message"].as_str().is_some_and(|m| m.contains("không nhận thêm ảnh/video")), "{body}");
    assert_eq!(files_in(&t, "media/web"), 0);
    assert_eq!(count(&t, "SELECT COUNT(*) FROM webchat_uploads").await, 0);
    // Texts still go through.
    let r = c.post(format!("{base}{}", chat("/messages"))).json(&serde_json::json!({ "text": "Mất xe máy" }));
    assert_eq!(r.send().await.expect("post").status(), 200);
}

#[tokio::test]
async fn a_citizen_sending_a_photo_a_location_and_a_sentence_meets_no_limit() {
    let t = TestApp::spawn().await;
    let c = open_chat(&t.base, &t).await;
    let mut photo = gps_jpeg(6);
    // A phone photo's size.
    let eoi = photo.len() - 2;
    photo.splice(eoi..eoi, (0..4_000_000u32).map(|i| (i % 200) as u8 + 1));
    let (status, body) = upload(&t.base, &c, "IMG_2041.jpg", &photo).await;
    assert_eq!(status, 200, "{body}");
    let r = c.post(t.url(&chat("/messages"))).json(&serde_json::json!({ "lat": 20.9517, "lon": 107.048 }));
    assert_eq!(r.send().await.expect("location").status(), 200);
    let r = c
        .post(t.url(&chat("/messages")))
        .json(&serde_json::json!({ "text": "Xe máy của tôi bị lấy trộm trước nhà văn hoá khu 3." }));
    assert_eq!(r.send().await.expect("text").status(), 200);
}

/// The message id and conversation of an accepted upload (`body` of the upload's answer).
async fn message_and_conversation(t: &TestApp, body: &Value) -> (i64, i64) {
    let id = body["id"].as_i64().expect("message id");
    let db = &t.app.db;
    let conv: i64 = caunoi::db_read!(db, pool => sqlx::query_scalar(
        "SELECT conversation_id FROM messages WHERE id = $1"
    )
    .bind(id)
    .fetch_one(pool)
    .await)
    .expect("conversation");
    (id, conv)
}

async fn media_ref_of(t: &TestApp, message: i64) -> Option<String> {
    let db = &t.app.db;
    caunoi::db_read!(db, pool => sqlx::query_scalar("SELECT media_ref FROM messages WHERE id = $1")
        .bind(message)
        .fetch_one(pool)
        .await)
    .expect("message")
}

#[tokio::test]
async fn retention_removes_citizens_media_of_long_closed_conversations_and_nothing_else() {
    let t = TestApp::spawn().await;
    let data = t.app.config.data_dir.clone();
    let photo = |n: u8| {
        let mut p = gps_jpeg(1);
        let eoi = p.len() - 2;
        p[eoi - 1] = n;
        p
    };
    // A closed conversation with a photo (to go) and an officer's attachment (to stay).
    let a = open_chat(&t.base, &t).await;
    let (status, body) = upload(&t.base, &a, "a.jpg", &photo(1)).await;
    assert_eq!(status, 200, "{body}");
    let (expired, closed) = message_and_conversation(&t, &body).await;
    let expired_ref = media_ref_of(&t, expired).await.expect("stored");
    let officer = t.login("canbo.baichay").await;
    let (status, page) = reply_with_file(&t, &officer, closed, "", "so-do.jpg", &photo(9)).await;
    assert_eq!(status, 303, "{page}");
    // An open conversation with its photo.
    let b = open_chat(&t.base, &t).await;
    let (_, body) = upload(&t.base, &b, "b.jpg", &photo(2)).await;
    let (open_photo, _) = message_and_conversation(&t, &body).await;
    // The same photo in a closed conversation and in an open one: still used, so kept.
    let c = open_chat(&t.base, &t).await;
    let (_, body) = upload(&t.base, &c, "c.jpg", &photo(3)).await;
    let (shared_closed, closed_too) = message_and_conversation(&t, &body).await;
    let d = open_chat(&t.base, &t).await;
    let (_, body) = upload(&t.base, &d, "c.jpg", &photo(3)).await;
    let (shared_open, _) = message_and_conversation(&t, &body).await;

    let closed_at = t.app.clock.now_micros();
    let db = &t.app.db;
    caunoi::db_write!(db, pool => sqlx::query(
        "UPDATE conversations SET status = 'closed', closed_at = $1 WHERE id IN ($2, $3)"
    )
    .bind(closed_at)
    .bind(closed)
    .bind(closed_too)
    .execute(pool)
    .await
    .map(|_| ()))
    .expect("closed");
    let retention = caunoi::conversations::retention::expire_citizen_media;

    // Not yet past the period: nothing goes.
    assert_eq!(retention(&t.app, closed_at - 1).await.expect("pass"), 0);
    assert!(caunoi::media::verify_original(&data, &expired_ref).await.expect("verify"));

    assert_eq!(retention(&t.app, closed_at + 1).await.expect("pass"), 1);
    assert_eq!(media_ref_of(&t, expired).await, None, "the message keeps its place, not its file");
    assert!(caunoi::media::resolve(&data, &expired_ref).is_some_and(|(p, _)| !p.exists()), "served copy gone");
    assert!(!data.join("media/originals").join(&expired_ref).exists(), "original gone");
    let r = a.get(t.url(&chat(&format!("/media/{expired}")))).send().await.expect("media");
    assert_eq!(r.status(), 404);
    for kept in [open_photo, shared_closed, shared_open] {
        let media_ref = media_ref_of(&t, kept).await.expect("kept");
        assert!(caunoi::media::verify_original(&data, &media_ref).await.expect("verify"), "{media_ref}");
    }
    assert_eq!(files_in(&t, "media/officer"), 1, "the officer's attachment stays");
    assert_eq!(count(&t, "SELECT COUNT(*) FROM audit_log WHERE action = 'media_expired'").await, 1);
    assert_eq!(files_in(&t, "media/web"), 2, "no file left aside");

    assert_eq!(retention(&t.app, closed_at + 1).await.expect("pass"), 0, "nothing twice");
}

/// The bucket settings of the test S3 server (`caunoi_testkit::s3_from_env`).
fn s3_settings(o: &caunoi::config::S3Overrides) -> S3Settings {
    let given = |v: &Option<String>| v.clone().unwrap_or_default();
    S3Settings {
        bucket: given(&o.bucket),
        endpoint: o.endpoint.clone(),
        region: given(&o.region),
        prefix: given(&o.prefix),
        access_key_id: given(&o.access_key_id),
        secret_access_key: given(&o.secret_access_key),
    }
}

/// Media in an S3-compatible bucket (a real server: `scripts/test.sh` starts s3s-fs, which
/// checks every request's SigV4 signature, and names it in `CAUNOI_TEST_S3_URL`): a GPS-tagged
/// photo is served from the bucket without its metadata and its original kept there under its
/// hash; a 9 MB video goes up in parts and is served in byte ranges; a second instance with its
/// own, empty data directory serves the same files; a case's evidence is copied inside the
/// bucket; retention deletes the conversation's copies from the bucket and nothing else.
#[tokio::test]
async fn media_in_an_s3_bucket_are_stripped_hashed_shared_by_instances_ranged_and_expired() {
    let Some(s3) = caunoi_testkit::s3_from_env() else {
        eprintln!(
            "CAUNOI_TEST_S3_URL is not set: the S3 media test has nothing to talk to (scripts/test.sh starts one)"
        );
        return;
    };
    let t = TestApp::spawn_with(Options { demo: true, media_s3: Some(s3.clone()), ..Default::default() }).await;
    let store = t.app.config.media_store.clone();
    assert!(matches!(store, MediaStore::Bucket(_)), "{store:?}");
    let c = open_chat(&t.base, &t).await;
    let photo = gps_jpeg(1);
    let (status, body) = upload(&t.base, &c, "IMG_0001.jpg", &photo).await;
    assert_eq!(status, 200, "{body}");
    let (id, conv) = message_and_conversation(&t, &body).await;
    let media_ref = media_ref_of(&t, id).await.expect("stored");
    let hash = hex::encode(Sha256::digest(&photo));
    assert_eq!(media_ref, format!("web/{hash}.jpg"), "the reference names the original's SHA-256");

    // Served from the bucket without its metadata; nothing of it on this instance's disk.
    let url = chat(&format!("/media/{id}"));
    let r = c.get(t.url(&url)).send().await.expect("media");
    assert_eq!(r.status(), 200);
    let served = r.bytes().await.expect("bytes").to_vec();
    assert_no_metadata(&served);
    assert!(served.len() < photo.len());
    assert_eq!(store.read(&format!("web/{hash}.jpg")).await.expect("bucket"), Some(served.clone()));
    assert_eq!(store.original_bytes(&media_ref).await.expect("bucket"), Some(photo.clone()), "original kept");
    assert!(store.verify_original(&media_ref).await.expect("verify"));
    assert_eq!(files_in(&t, "media/web") + files_in(&t, "media/originals/web"), 0, "nothing on the local disk");
    assert_eq!(files_in(&t, "media/.incoming/web"), 0, "no temporary file left");

    // A byte range comes from a ranged GET on the bucket.
    let r = c.get(t.url(&url)).header(reqwest::header::RANGE, "bytes=2-11").send().await.expect("range");
    assert_eq!(r.status(), 206);
    let range = r.headers().get(reqwest::header::CONTENT_RANGE).and_then(|v| v.to_str().ok()).map(str::to_owned);
    assert_eq!(range, Some(format!("bytes 2-11/{}", served.len())));
    assert_eq!(r.bytes().await.expect("bytes").as_ref(), &served[2..12]);

    // A video larger than one upload part: sent in parts, its location blanked, ranges exact.
    let video = located_video(9 << 20);
    let (status, body) = upload(&t.base, &c, "clip.mp4", &video).await;
    assert_eq!(status, 200, "{body}");
    let (video_id, _) = message_and_conversation(&t, &body).await;
    let video_ref = media_ref_of(&t, video_id).await.expect("stored");
    assert_eq!(store.original_bytes(&video_ref).await.expect("bucket").as_deref(), Some(video.as_slice()));
    let video_url = t.url(&chat(&format!("/media/{video_id}")));
    let r = c.get(&video_url).header(reqwest::header::RANGE, "bytes=9000000-9000099").send().await.expect("range");
    assert_eq!(r.status(), 206);
    assert_eq!(r.bytes().await.expect("bytes").as_ref(), &video[9_000_000..9_000_100], "media data unchanged");
    let whole = c.get(&video_url).send().await.expect("video").bytes().await.expect("bytes");
    assert_eq!(whole.len(), video.len(), "blanking keeps the size");
    assert!(!contains(&whole, b"+20.9517+107.0480") && contains(&video, b"+20.9517+107.0480"), "location blanked");

    // A second instance: its own empty data directory, the same database and bucket.
    let other_dir = tempfile::tempdir().expect("dir");
    let settings = s3_settings(&s3);
    let other = server_with(&t, |config| {
        config.data_dir = other_dir.path().to_path_buf();
        config.media_store = MediaStore::s3(&settings, other_dir.path()).expect("bucket settings");
    })
    .await;
    let r = c.get(format!("{other}{url}")).send().await.expect("media from the other instance");
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.expect("bytes").as_ref(), served.as_slice());
    assert!(!other_dir.path().join("media/web").exists());

    // The server checks signatures: a wrong secret reads nothing.
    let wrong = S3Settings { secret_access_key: "not-the-secret-0123456789".into(), ..settings.clone() };
    let wrong = MediaStore::s3(&wrong, other_dir.path()).expect("settings");
    assert!(wrong.read(&format!("web/{hash}.jpg")).await.is_err(), "a request signed with a wrong key is refused");
    let refused = wrong.check().await.expect_err("the start stops");
    assert!(refused.starts_with("the media bucket s3://") && refused.contains("cannot be used"), "{refused}");
    assert_eq!(store.check().await, Ok(()), "the right key passes the start's check");

    // A case's evidence is copied inside the bucket; retention removes the conversation's
    // copies only.
    let evidence = store.keep_as_evidence(&media_ref).await.expect("evidence");
    assert_eq!(evidence, format!("cases/{hash}.jpg"));
    let closed_at = t.app.clock.now_micros();
    let db = &t.app.db;
    caunoi::db_write!(db, pool => sqlx::query("UPDATE conversations SET status = 'closed', closed_at = $1 WHERE id = $2")
        .bind(closed_at)
        .bind(conv)
        .execute(pool)
        .await
        .map(|_| ()))
    .expect("closed");
    let removed = caunoi::conversations::retention::expire_citizen_media(&t.app, closed_at + 1).await.expect("pass");
    assert_eq!(removed, 2, "the photo and the video");
    for key in [format!("web/{hash}.jpg"), format!("originals/web/{hash}.jpg")] {
        assert!(!store.exists(&key).await.expect("bucket"), "{key} deleted from the bucket");
    }
    assert_eq!(c.get(format!("{other}{url}")).send().await.expect("media").status(), 404);
    assert!(store.verify_original(&evidence).await.expect("verify"), "the evidence stays with its hash");
    assert_eq!(store.read(&evidence).await.expect("bucket"), Some(served));
}
