//! Stored media over HTTP byte ranges: a phone's video player (iOS Safari) asks for parts of a
//! video and will not play one served only whole. Both media routes — the web chat's and the
//! inbox's — answer `Range: bytes=…` with `206` and `Content-Range`, refuse a range past the end
//! with `416`, advertise `Accept-Ranges: bytes`, answer `HEAD`, and still say "not found" to
//! anyone who may not see the file. Runs on SQLite, and on PostgreSQL when
//! `CAUNOI_TEST_DATABASE_URL` is set.

use caunoi_testkit::{Options, TestApp};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT_RANGES, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, RANGE};
use serde_json::Value;

const UNIT: &str = "qn-bai-chay";
const LEN: usize = 1000;

fn chat(path: &str) -> String {
    format!("/u/{UNIT}/chat{path}")
}

/// An ISO box.
fn bx(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut v = ((body.len() + 8) as u32).to_be_bytes().to_vec();
    v.extend_from_slice(kind);
    v.extend_from_slice(body);
    v
}

/// A small MP4 the upload accepts (`ftyp`, a `moov` with `mvhd` and a track, no metadata
/// boxes), then `mdat` with bytes that tell their offset apart.
fn video() -> Vec<u8> {
    let ftyp = bx(b"ftyp", b"isom\0\0\x02\0isomiso2avc1mp41");
    let moov = bx(b"moov", &[bx(b"mvhd", &[0; 100]), bx(b"trak", &bx(b"tkhd", &[0; 84]))].concat());
    let head = [ftyp, moov].concat();
    let start = head.len() + 8;
    let payload: Vec<u8> = (start..LEN).map(|i| (i % 251) as u8).collect();
    let v = [head, bx(b"mdat", &payload)].concat();
    assert_eq!(v.len(), LEN);
    v
}

/// A citizen who opened the chat and sent `bytes`: the client and the message id.
async fn citizen_with_video(t: &TestApp, bytes: &[u8]) -> (reqwest::Client, i64) {
    let c = t.client();
    assert_eq!(c.get(t.url(&chat(""))).send().await.expect("chat page").status(), 200);
    let boundary = "caunoiRangeBoundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"clip.mp4\"\r\nContent-Type: video/mp4\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let r = c
        .post(t.url(&chat("/upload")))
        .header(CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
        .body(body)
        .send()
        .await
        .expect("upload");
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["kind"], "video");
    (c, v["id"].as_i64().expect("message id"))
}

fn header(r: &reqwest::Response, name: reqwest::header::HeaderName) -> &str {
    r.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
}

async fn get_range(c: &reqwest::Client, url: &str, range: Option<&str>) -> reqwest::Response {
    let mut req = c.get(url);
    if let Some(range) = range {
        req = req.header(RANGE, range);
    }
    req.send().await.expect("media request")
}

/// What every media answer carries besides the bytes.
fn assert_media_headers(r: &reqwest::Response) {
    assert_eq!(header(r, reqwest::header::CACHE_CONTROL), "private, max-age=3600");
    assert_eq!(header(r, reqwest::header::CONTENT_DISPOSITION), "inline");
    assert_eq!(header(r, reqwest::header::CONTENT_SECURITY_POLICY), "default-src 'none'; sandbox");
}

/// The range rules, checked on one media URL as seen by `c`.
async fn ranges_are_served(c: &reqwest::Client, url: &str, file: &[u8]) {
    let r = get_range(c, url, None).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(header(&r, ACCEPT_RANGES), "bytes");
    assert_eq!(header(&r, CONTENT_TYPE), "video/mp4");
    assert_eq!(header(&r, CONTENT_LENGTH), LEN.to_string());
    assert_media_headers(&r);
    assert_eq!(r.bytes().await.expect("body").as_ref(), file, "the whole file");

    let r = get_range(c, url, Some("bytes=0-9")).await;
    assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(header(&r, CONTENT_RANGE), format!("bytes 0-9/{LEN}"));
    assert_eq!(header(&r, CONTENT_TYPE), "video/mp4");
    assert_media_headers(&r);
    assert_eq!(r.bytes().await.expect("body").as_ref(), &file[..10], "exactly the first 10 bytes");

    let r = get_range(c, url, Some("bytes=990-")).await;
    assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(header(&r, CONTENT_RANGE), format!("bytes 990-999/{LEN}"));
    assert_eq!(r.bytes().await.expect("body").as_ref(), &file[990..], "open-ended: to the end");

    let r = get_range(c, url, Some("bytes=-100")).await;
    assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(header(&r, CONTENT_RANGE), format!("bytes 900-999/{LEN}"));
    assert_eq!(r.bytes().await.expect("body").as_ref(), &file[900..], "suffix: the last 100 bytes");

    let r = get_range(c, url, Some("bytes=5000-6000")).await;
    assert_eq!(r.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(header(&r, CONTENT_RANGE), format!("bytes */{LEN}"));
    assert!(r.bytes().await.expect("body").is_empty());

    let r = c.head(url).send().await.expect("head");
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(header(&r, ACCEPT_RANGES), "bytes");
    assert_eq!(header(&r, CONTENT_LENGTH), LEN.to_string());
    assert!(r.bytes().await.expect("body").is_empty(), "HEAD has no body");

    let r = c.head(url).header(RANGE, "bytes=0-9").send().await.expect("head");
    assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(header(&r, CONTENT_RANGE), format!("bytes 0-9/{LEN}"));
}

#[tokio::test]
async fn the_citizens_video_is_served_in_byte_ranges_to_its_session() {
    let t = TestApp::spawn().await;
    let file = video();
    let (citizen, id) = citizen_with_video(&t, &file).await;
    ranges_are_served(&citizen, &t.url(&chat(&format!("/media/{id}"))), &file).await;
}

#[tokio::test]
async fn officers_in_scope_get_byte_ranges_on_both_media_routes() {
    let t = TestApp::spawn().await;
    let file = video();
    let (_, id) = citizen_with_video(&t, &file).await;
    let officer = t.login("canbo.baichay").await;
    ranges_are_served(&officer, &t.url(&format!("/inbox/media/{id}")), &file).await;
    ranges_are_served(&officer, &t.url(&chat(&format!("/media/{id}"))), &file).await;
}

#[tokio::test]
async fn a_range_request_does_not_open_media_to_those_who_may_not_see_it() {
    let t = TestApp::spawn().await;
    let (_, id) = citizen_with_video(&t, &video()).await;
    let chat_media = t.url(&chat(&format!("/media/{id}")));
    let inbox_media = t.url(&format!("/inbox/media/{id}"));

    let (other_session, _) = citizen_with_video(&t, &video()).await;
    for range in [None, Some("bytes=0-9"), Some("bytes=5000-")] {
        assert_eq!(get_range(&other_session, &chat_media, range).await.status(), 404, "another session {range:?}");
        assert_eq!(get_range(&t.client(), &chat_media, range).await.status(), 404, "no session {range:?}");
    }
    assert_eq!(other_session.head(&chat_media).send().await.expect("head").status(), 404);

    let outsider = t.login_outside(UNIT).await;
    for range in [None, Some("bytes=0-9")] {
        assert_eq!(get_range(&outsider, &inbox_media, range).await.status(), 404, "inbox {range:?}");
        assert_eq!(get_range(&outsider, &chat_media, range).await.status(), 404, "chat {range:?}");
    }
    let anonymous = get_range(&t.client(), &inbox_media, Some("bytes=0-9")).await;
    assert_eq!(anonymous.status(), 303, "sign in first");
}

/// The same rules when media are kept in an S3-compatible bucket (`CAUNOI_TEST_S3_URL`, started
/// by `scripts/test.sh`): every range is a ranged GET on the bucket.
#[tokio::test]
async fn the_range_rules_hold_for_a_video_kept_in_an_s3_bucket() {
    let Some(s3) = caunoi_testkit::s3_from_env() else {
        eprintln!(
            "CAUNOI_TEST_S3_URL is not set: the S3 range test has nothing to talk to (scripts/test.sh starts one)"
        );
        return;
    };
    let t = TestApp::spawn_with(Options { demo: true, media_s3: Some(s3), ..Default::default() }).await;
    let file = video();
    let (citizen, id) = citizen_with_video(&t, &file).await;
    assert!(!t.app.config.data_dir.join("media/web").exists(), "the video is in the bucket, not on the disk");
    ranges_are_served(&citizen, &t.url(&chat(&format!("/media/{id}"))), &file).await;
    let officer = t.login("canbo.baichay").await;
    ranges_are_served(&officer, &t.url(&format!("/inbox/media/{id}")), &file).await;
}
