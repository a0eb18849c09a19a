//! The citizen's web side of reports, through real HTTP on the engine the suite runs on (SQLite,
//! or PostgreSQL when `CAUNOI_TEST_DATABASE_URL` is set):
//! - a web report with a GPS-tagged photo: the served copy has no GPS, the original is kept under
//!   its SHA-256, the place comes from the photo only with consent, and the case is the ward's;
//! - an anonymous tip: the receipt shown once, an officer's reply read with the receipt (typed
//!   with spaces), the reporter writes back; a message carrying the receipt is refused;
//! - wrong receipts, another case's receipt, disguised and broken uploads, hostile fields: a
//!   specific message and nothing stored;
//! - look-ups throttled per address under parallel requests, and reports per address;
//! - snapshots of the form and the receipt page.

use caunoi::cases::service;
use caunoi_core::cases::{CaseCode, Channel, EventKind, ReporterMode};
use caunoi_testkit::media::jpeg_at;
use caunoi_testkit::{DEMO_PASSWORD, Options, TestApp};
use sha2::{Digest, Sha256};

const UNIT: &str = "qn-bai-chay";

/// A form part: a text field, or a file (field name, file name, bytes).
enum Part<'a> {
    Text(&'a str, &'a str),
    File(&'a str, &'a [u8]),
}

fn multipart(parts: &[Part<'_>]) -> (String, Vec<u8>) {
    let boundary = "caunoiReportBoundary7MA4YWxk";
    let mut body = Vec::new();
    for p in parts {
        match p {
            Part::Text(name, value) => {
                body.extend_from_slice(
                    format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
                );
                body.extend_from_slice(value.as_bytes());
            }
            Part::File(filename, bytes) => {
                body.extend_from_slice(
                    format!(
                        "--{boundary}\r\nContent-Disposition: form-data; name=\"media\"; filename=\"{filename}\"\r\nContent-Type: image/jpeg\r\n\r\n"
                    )
                    .as_bytes(),
                );
                body.extend_from_slice(bytes);
            }
        }
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Posts the report form; returns (status, Location header, body).
async fn report(t: &TestApp, c: &reqwest::Client, parts: &[Part<'_>]) -> (u16, String, String) {
    report_from(t, c, parts, None).await
}

async fn report_from(
    t: &TestApp,
    c: &reqwest::Client,
    parts: &[Part<'_>],
    forwarded_for: Option<&str>,
) -> (u16, String, String) {
    let (ct, body) = multipart(parts);
    let mut req = c.post(t.url(&format!("/u/{UNIT}/bao-tin"))).header("content-type", ct).body(body);
    if let Some(f) = forwarded_for {
        req = req.header("x-forwarded-for", f);
    }
    let r = req.send().await.expect("report request");
    let status = r.status().as_u16();
    let location = r.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    (status, location, r.text().await.unwrap_or_default())
}

/// The parts of a valid anonymous report of `category` with `description`.
fn anonymous<'a>(category: &'a str, description: &'a str) -> Vec<Part<'a>> {
    vec![Part::Text("category", category), Part::Text("description", description), Part::Text("mode", "anonymous")]
}

/// The text of the element with `id` (its first text node, trimmed).
fn by_id(html: &str, id: &str) -> String {
    let start = html.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no #{id} in {html}"));
    let rest = &html[start..];
    let open = rest.find('>').expect("tag end") + 1;
    let close = rest[open..].find('<').expect("text end");
    rest[open..open + close].trim().to_string()
}

/// Sends a report and reads its receipt page: (case code, receipt as shown).
async fn report_and_receipt(t: &TestApp, c: &reqwest::Client, parts: &[Part<'_>]) -> (String, String) {
    let (status, location, body) = report(t, c, parts).await;
    assert_eq!((status, location.as_str()), (303, "/bao-tin/bien-nhan"), "{body}");
    let (status, page) = t.get(c, "/bao-tin/bien-nhan").await;
    assert_eq!(status, 200, "{page}");
    (by_id(&page, "case-code"), by_id(&page, "receipt"))
}

async fn case_of(t: &TestApp, code: &str) -> service::CaseView {
    let code = CaseCode::parse(code).expect("a code");
    service::by_code(&t.app, &code).await.expect("read").expect("the case exists")
}

async fn case_count(t: &TestApp) -> i64 {
    let db = &t.app.db;
    caunoi::db_read!(db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM cases").fetch_one(pool).await).expect("count")
}

/// Every file under the media directory (staging included).
fn media_files(t: &TestApp) -> Vec<std::path::PathBuf> {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        if let Ok(entries) = std::fs::read_dir(dir) {
            for e in entries.flatten() {
                let p = e.path();
                if p.is_dir() { walk(&p, out) } else { out.push(p) }
            }
        }
    }
    let mut out = Vec::new();
    walk(&t.app.config.data_dir.join("media"), &mut out);
    out.retain(|p| !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with(".metadata-stripped")));
    out
}

/// The scope of a demo officer, as the console would have it after signing in.
async fn scope_of(t: &TestApp, username: &str) -> caunoi_core::staff::Scope {
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .post(t.url("/login"))
        .form(&[("username", username), ("password", DEMO_PASSWORD), ("next", "/units")])
        .send()
        .await
        .expect("login");
    let token = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("caunoi_session="))
        .and_then(|c| c.split(';').next())
        .expect("a session cookie")
        .to_string();
    caunoi::staff::service::officer_for_token(&t.app, &token).await.expect("read").expect("officer").scope
}

#[tokio::test]
async fn a_web_report_with_a_gps_photo_keeps_the_original_and_serves_no_gps() {
    let t = TestApp::spawn().await;
    let c = t.client();
    let (status, page) = t.get(&c, &format!("/u/{UNIT}")).await;
    assert_eq!(status, 200);
    assert!(page.contains(&format!("href=\"/u/{UNIT}/bao-tin\"")) && page.contains("Gửi tin báo, phản ánh"));
    let photo = jpeg_at(20.9517, 107.048);
    let mut parts = anonymous("theft", "Có người lấy trộm xe máy trước cửa nhà tôi, ảnh kèm theo.");
    parts.push(Part::Text("use_photo_gps", "1"));
    parts.push(Part::File("xe.jpg", &photo));
    let (code, receipt) = report_and_receipt(&t, &c, &parts).await;
    assert_eq!(receipt.len(), 19, "16 digits grouped by four: {receipt}");

    let case = case_of(&t, &code).await;
    assert_eq!(
        (case.channel, case.mode, case.category.key.as_str()),
        (Channel::WebForm, ReporterMode::Anonymous, "theft")
    );
    assert!(case.reporter.is_none(), "nothing about an anonymous reporter");
    let (lat, lon) = case.point.expect("the photo's place, with consent");
    assert!((lat - 20.9517).abs() < 1e-4 && (lon - 107.048).abs() < 1e-4, "{lat} {lon}");
    let media = service::media(&t.app, case.id).await.expect("media");
    assert_eq!(media.len(), 1);
    let m = &media[0];
    assert_eq!(m.bytes, photo.len() as i64);
    assert!(m.gps_lat.is_some(), "the photo's position is kept with the evidence (consent given)");
    let hash = hex::encode(Sha256::digest(&photo));
    assert_eq!(
        m.media_ref,
        format!("cases/{hash}.jpg"),
        "the reference names the original's SHA-256, in the cases' own area"
    );
    let data_dir = &t.app.config.data_dir;
    let (served_path, mime) = caunoi::media::resolve(data_dir, &m.media_ref).expect("served copy");
    assert_eq!(mime, "image/jpeg");
    let served = std::fs::read(served_path).expect("served bytes");
    assert!(served.starts_with(&[0xFF, 0xD8]) && served.ends_with(&[0xFF, 0xD9]));
    assert_eq!(caunoi::media::gps::jpeg_position(&served), None, "no GPS in the working copy");
    assert!(!served.windows(4).any(|w| w == b"Acme") && !served.windows(8).any(|w| w == b"Nguyen V"));
    let original = std::fs::read(caunoi::media::original(data_dir, &m.media_ref).expect("original")).expect("read");
    assert_eq!(original, photo, "the bytes as received are kept");
    assert!(caunoi::media::verify_original(data_dir, &m.media_ref).await.expect("verify"));
    assert!(
        !data_dir.join("media/.report-staging").exists()
            || std::fs::read_dir(data_dir.join("media/.report-staging")).expect("dir").count() == 0,
        "no staging left"
    );

    // The ward's officer works it; an officer of another ward does not see it.
    let ward = scope_of(&t, "canbo.baichay").await;
    let seen = service::get(&t.app, &ward, case.id.0).await.expect("the ward's officer sees it");
    assert_eq!(seen.unit_name, case.unit_name);
    let other = scope_of(&t, "admin.honggai").await;
    assert!(matches!(service::get(&t.app, &other, case.id.0).await, Err(caunoi::error::ServiceError::NotFound)));

    // The same report without consent keeps no place from the photo.
    let c2 = t.client();
    let mut parts = anonymous("theft", "Lại mất trộm, lần này không cho dùng vị trí ảnh.");
    parts.push(Part::File("xe.jpg", &photo));
    let (code2, _) = report_and_receipt(&t, &c2, &parts).await;
    let case2 = case_of(&t, &code2).await;
    assert_eq!(case2.point, None, "no consent, no place from the photo");
    assert_eq!(service::media(&t.app, case2.id).await.expect("media")[0].gps_lat, None);
}

#[tokio::test]
async fn the_receipt_is_shown_until_saved_and_never_again() {
    let t = TestApp::spawn().await;
    let c = t.client();
    let (code, receipt) =
        report_and_receipt(&t, &c, &anonymous("fire", "Cháy kho hàng cạnh chợ, khói rất nhiều.")).await;
    let (_, page) = t.get(&c, "/bao-tin/bien-nhan").await;
    assert!(page.contains("Lưu mã này: đây là cách duy nhất để xem trả lời của cán bộ"));
    assert!(page.contains("href=\"tel:114\""), "a fire report shows 114 on its receipt");
    assert!(page.contains("<svg"), "the receipt as a QR code");
    assert_eq!(by_id(&page, "case-code"), code);
    // Going on without ticking the box is refused, and the receipt stays on screen.
    let (status, page) = t.post(&c, "/bao-tin/bien-nhan", &[]).await;
    assert_eq!(status, 422);
    assert!(page.contains("Tôi đã lưu mã") && by_id(&page, "receipt") == receipt);
    let r = c.post(t.url("/bao-tin/bien-nhan")).form(&[("saved", "1")]).send().await.expect("saved");
    assert_eq!(r.status().as_u16(), 303);
    let to = r.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    assert!(to.starts_with("/bao-tin/theo-doi"), "{to}");
    // Saved: the thread is open, and the receipt page is gone for good.
    let (status, thread) = t.get(&c, &to).await;
    assert_eq!(status, 200);
    assert_eq!(by_id(&thread, "case-code"), code);
    assert!(!thread.contains(&receipt), "the thread never shows the receipt");
    let (status, gone) = t.get(&c, "/bao-tin/bien-nhan").await;
    assert_eq!(status, 410);
    assert!(gone.contains("chỉ hiện một lần") && !gone.contains(&receipt));
}

#[tokio::test]
async fn an_anonymous_tip_is_answered_through_its_receipt() {
    let t = TestApp::spawn().await;
    let (code, receipt) = report_and_receipt(
        &t,
        &t.client(),
        &anonymous("drugs", "Nhóm thanh niên tụ tập sử dụng ma túy ở bãi đất trống."),
    )
    .await;
    let case = case_of(&t, &code).await;

    // An officer replies (the console's reply, written through the service's timeline).
    let officer = scope_of(&t, "canbo.baichay").await;
    let reply = "Cảm ơn anh/chị. Công an phường đã cử tổ công tác đến kiểm tra.";
    let mut tx = t.app.db.begin().await.expect("tx");
    let event = caunoi::cases::store::NewEventRow {
        kind: EventKind::MessageOut.as_str(),
        officer: Some(officer.officer_id),
        text: reply,
        ..Default::default()
    };
    service::record(&mut tx, case.id, t.app.clock.now_micros(), &event).await.expect("reply");
    tx.commit().await.expect("commit");

    // The reporter, on another device, types the receipt with spaces and dashes.
    let c = t.client();
    let typed = format!(" {}- ", receipt.replace(' ', "  "));
    let (status, _) = t.post(&c, "/bao-tin/theo-doi", &[("receipt", &typed), ("u", UNIT)]).await;
    assert_eq!(status, 303);
    let (status, page) = t.get(&c, &format!("/bao-tin/theo-doi?u={UNIT}")).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(by_id(&page, "case-code"), code);
    assert!(page.contains(reply), "the officer's reply");
    assert!(page.contains(&format!("Đã tiếp nhận, đang chờ {} xử lý.", case.unit_name)), "the status line");
    assert!(!page.contains("Vũ Hoàng Nam"), "never an officer's name");
    assert!(!page.contains("ma túy"), "the thread does not repeat the report's content");

    // They write back; a message carrying the receipt is refused and stores nothing.
    let (status, _) =
        t.post(&c, "/bao-tin/theo-doi/tin-nhan", &[("text", "Tối nay họ lại tụ tập lúc 22 giờ."), ("u", UNIT)]).await;
    assert_eq!(status, 303);
    let leak = format!("mã của tôi là {}", receipt.replace(' ', "-"));
    let (status, page) = t.post(&c, "/bao-tin/theo-doi/tin-nhan", &[("text", &leak), ("u", UNIT)]).await;
    assert_eq!(status, 422);
    assert!(page.contains("Tin nhắn có chứa mã biên nhận"), "{page}");
    let messages: Vec<String> = service::timeline(&t.app, case.id)
        .await
        .expect("timeline")
        .into_iter()
        .filter(|e| e.kind == EventKind::MessageIn.as_str())
        .map(|e| e.text)
        .collect();
    assert_eq!(messages, vec!["Tối nay họ lại tụ tập lúc 22 giờ.".to_string()]);
    let (_, page) = t.get(&c, "/bao-tin/theo-doi").await;
    assert!(page.contains("Tối nay họ lại tụ tập lúc 22 giờ."));

    // "Thoát" ends the session: the receipt is asked again.
    let (status, _) = t.post(&c, "/bao-tin/theo-doi/thoat", &[]).await;
    assert_eq!(status, 303);
    let (_, page) = t.get(&c, "/bao-tin/theo-doi").await;
    assert!(page.contains("name=\"receipt\"") && !page.contains(reply));
    let (status, _) = t.post(&c, "/bao-tin/theo-doi/tin-nhan", &[("text", "còn đó không?")]).await;
    assert_eq!(status, 422, "no session, nothing stored");

    // The status look-up by code shows the status line and the unit, never the content.
    let (status, page) = t.get(&t.client(), &format!("/bao-tin/tra-cuu?ma={}", code.to_lowercase())).await;
    assert_eq!(status, 200);
    assert!(page.contains(&case.unit_name) && page.contains("đang chờ"));
    assert!(!page.contains(reply) && !page.contains("ma túy"));
}

#[tokio::test]
async fn wrong_receipts_are_told_what_is_wrong_and_open_only_their_own_case() {
    let t = TestApp::spawn().await;
    let (code_a, _) = report_and_receipt(&t, &t.client(), &anonymous("gambling", "Có sòng bạc trong quán nước.")).await;
    let (code_b, receipt_b) =
        report_and_receipt(&t, &t.client(), &anonymous("fraud", "Bị lừa chuyển khoản qua mạng.")).await;
    let c = t.client();
    let (status, page) = t.post(&c, "/bao-tin/theo-doi", &[("receipt", "1234 5678")]).await;
    assert_eq!(status, 422);
    assert!(page.contains("Mã biên nhận gồm đúng 16 chữ số (anh/chị đã nhập 8 chữ số)."), "{page}");
    let (status, page) = t.post(&c, "/bao-tin/theo-doi", &[("receipt", "1234 5678 9012 3456 7")]).await;
    assert_eq!(status, 422);
    assert!(page.contains("đã nhập 17 chữ số"));
    let wrong = if receipt_b.starts_with('9') { "1111 2222 3333 4444" } else { "9999 8888 7777 6666" };
    let (status, page) = t.post(&c, "/bao-tin/theo-doi", &[("receipt", wrong)]).await;
    assert_eq!(status, 422);
    assert!(page.contains("Không tìm thấy tin báo nào có mã biên nhận này") && !page.contains(wrong));
    // B's receipt opens B, never A.
    let (status, _) = t.post(&c, "/bao-tin/theo-doi", &[("receipt", &receipt_b)]).await;
    assert_eq!(status, 303);
    let (_, page) = t.get(&c, "/bao-tin/theo-doi").await;
    assert_eq!(by_id(&page, "case-code"), code_b);
    assert!(!page.contains(&code_a));
    // A malformed code is told the form; an unknown one is not found.
    let (status, page) = t.get(&c, "/bao-tin/tra-cuu?ma=TB-12").await;
    assert_eq!(status, 422);
    assert!(page.contains("Mã tin báo gồm 8 ký tự sau chữ TB"));
}

#[tokio::test]
async fn disguised_and_broken_uploads_are_refused_and_store_nothing() {
    let t = TestApp::spawn().await;
    let c = t.client();
    let exe = b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xFF\xFF\0\0This program cannot be run in DOS mode.".to_vec();
    let good = jpeg_at(20.95, 107.05);
    let cut = good[..good.len() / 2].to_vec();
    let cases: [(&str, &[u8], &str); 3] = [
        ("anh.jpg", &exe, "Tệp không phải ảnh hoặc video được chấp nhận"),
        ("cut.jpg", &cut, "Ảnh bị lỗi hoặc chưa tải lên hết"),
        ("three.jpg", &[0xFF, 0xD8, 0xFF], "Ảnh bị lỗi hoặc chưa tải lên hết"),
    ];
    for (name, bytes, message) in cases {
        // A good photo first: it must not be kept when another file of the report is refused.
        let mut parts = anonymous("theft", "Mất trộm điện thoại ở quán cà phê.");
        parts.push(Part::File("good.jpg", &good));
        parts.push(Part::File(name, bytes));
        let (status, _, page) = report(&t, &c, &parts).await;
        assert_eq!(status, 422, "{name}");
        assert!(page.contains(message), "{name}: {page}");
        assert!(page.contains("Mất trộm điện thoại ở quán cà phê."), "what was typed is kept");
        assert_eq!(case_count(&t).await, 0, "{name}: no half case");
        assert_eq!(media_files(&t), Vec::<std::path::PathBuf>::new(), "{name}: no file kept");
    }
    // Six files: more than five are refused.
    let mut parts = anonymous("theft", "Nhiều ảnh.");
    for _ in 0..6 {
        parts.push(Part::File("a.jpg", &good));
    }
    let (status, _, page) = report(&t, &c, &parts).await;
    assert_eq!(status, 422);
    assert!(page.contains("tối đa 5 ảnh hoặc video"));
    assert_eq!((case_count(&t).await, media_files(&t).len()), (0, 0));
}

#[tokio::test]
async fn hostile_and_missing_fields_are_refused_with_what_to_fix() {
    let t = TestApp::spawn().await;
    let c = t.client();
    let long = "a".repeat(4001);
    let checks: Vec<(Vec<Part<'_>>, &str)> = vec![
        (anonymous("theft", "xe\u{202E}gnp.exe"), "ký tự đảo chiều văn bản"),
        (anonymous("theft", "mất xe\u{0}\u{7}"), "ký tự điều khiển"),
        (anonymous("theft", &long), "Quá dài: tối đa 4000 ký tự (anh/chị đã nhập 4001)."),
        (anonymous("theft", "   "), "Trường này không được để trống."),
        (
            vec![Part::Text("category", "theft"), Part::Text("description", "Mất xe.")],
            "Vui lòng chọn cách anh/chị muốn được biết đến",
        ),
        (anonymous("noise", "Hát karaoke đến 2 giờ sáng."), "Vui lòng trả lời: Nguồn gây ồn"),
        (
            vec![
                Part::Text("category", "theft"),
                Part::Text("description", "Mất xe."),
                Part::Text("mode", "open"),
                Part::Text("phone", "12345"),
            ],
            "Số điện thoại không hợp lệ",
        ),
        (
            vec![Part::Text("category", "theft"), Part::Text("description", "Mất xe."), Part::Text("mode", "open")],
            "Vui lòng cho biết họ tên hoặc số điện thoại",
        ),
        (
            {
                let mut p = anonymous("theft", "Mất xe.");
                p.push(Part::Text("lat", "48.85"));
                p.push(Part::Text("lon", "2.35"));
                p
            },
            "Vị trí không nằm trong lãnh thổ Việt Nam",
        ),
        (
            {
                let mut p = anonymous("theft", "Mất xe.");
                p.push(Part::Text("address", "\u{2067}Bãi Cháy"));
                p
            },
            "ký tự đảo chiều văn bản",
        ),
    ];
    for (parts, message) in &checks {
        let (status, _, page) = report(&t, &c, parts).await;
        assert_eq!(status, 422, "{message}");
        assert!(page.contains(message), "expected {message:?} in {page}");
    }
    assert_eq!(case_count(&t).await, 0);
    // An unknown category goes back to the list.
    let (status, _, page) = report(&t, &c, &anonymous("nope", "Mất xe.")).await;
    assert_eq!(status, 422);
    assert!(page.contains("Bước 1/2"));
    // The noise report with its answer and an open reporter's phone goes through.
    let mut parts = anonymous("noise", "Hát karaoke đến 2 giờ sáng.");
    parts[2] = Part::Text("mode", "open");
    parts.push(Part::Text("q_source", "karaoke"));
    parts.push(Part::Text("phone", "0912 345 678"));
    parts.push(Part::Text("address", "Tổ 5, khu 3, phường Bãi Cháy"));
    let (code, _) = report_and_receipt(&t, &c, &parts).await;
    let case = case_of(&t, &code).await;
    assert_eq!(case.attributes.get("source").map(String::as_str), Some("karaoke"));
    assert_eq!(case.reporter.and_then(|r| r.phone).as_deref(), Some("+84912345678"));
    assert_eq!(case.address.as_deref(), Some("Tổ 5, khu 3, phường Bãi Cháy"));
}

#[tokio::test]
async fn lookups_are_throttled_per_address_even_in_parallel() {
    let t =
        TestApp::spawn_with(Options { demo: true, trusted_proxies: Some("127.0.0.1".into()), ..Default::default() })
            .await;
    let attempt = |i: usize| {
        let c = t.client();
        let url = t.url("/bao-tin/theo-doi");
        async move {
            let receipt = format!("{:016}", 1_000_000_000_000_000u64 + i as u64 * 7919);
            let r = c
                .post(url)
                .header("x-forwarded-for", "203.0.113.7")
                .form(&[("receipt", receipt.as_str())])
                .send()
                .await
                .expect("look-up");
            (r.status().as_u16(), r.text().await.unwrap_or_default())
        }
    };
    let results = futures::future::join_all((0..15).map(attempt)).await;
    let wrong = results.iter().filter(|(s, _)| *s == 422).count();
    let throttled: Vec<_> = results.iter().filter(|(s, _)| *s == 429).collect();
    assert_eq!(
        (wrong, throttled.len()),
        (10, 5),
        "exactly 10 failed look-ups an hour: {:?}",
        results.iter().map(|r| r.0).collect::<Vec<_>>()
    );
    assert!(throttled[0].1.contains("Anh/chị đã nhập sai nhiều lần trong một giờ qua"));
    // The code look-up shares the address's count.
    let r = t
        .client()
        .get(t.url("/bao-tin/tra-cuu?ma=TB-0000-0000"))
        .header("x-forwarded-for", "203.0.113.7")
        .send()
        .await
        .expect("code look-up");
    assert_eq!(r.status().as_u16(), 429);
    // Another address is not affected; an hour later neither is this one.
    let r = t
        .client()
        .post(t.url("/bao-tin/theo-doi"))
        .header("x-forwarded-for", "198.51.100.20")
        .form(&[("receipt", "1111222233334444")])
        .send()
        .await
        .expect("other address");
    assert_eq!(r.status().as_u16(), 422);
    t.app.clock.advance(3601);
    let r = t
        .client()
        .post(t.url("/bao-tin/theo-doi"))
        .header("x-forwarded-for", "203.0.113.7")
        .form(&[("receipt", "1111222233334444")])
        .send()
        .await
        .expect("an hour later");
    assert_eq!(r.status().as_u16(), 422);
}

#[tokio::test]
async fn reports_are_throttled_per_address() {
    let t =
        TestApp::spawn_with(Options { demo: true, trusted_proxies: Some("127.0.0.1".into()), ..Default::default() })
            .await;
    let c = t.client();
    // A refused report does not count: the citizen can fix it.
    let (status, _, _) = report_from(&t, &c, &anonymous("theft", ""), Some("203.0.113.9")).await;
    assert_eq!(status, 422);
    for i in 0..5 {
        let text = format!("Tin báo số {i}.");
        let (status, _, body) = report_from(&t, &c, &anonymous("suggestion", &text), Some("203.0.113.9")).await;
        assert_eq!(status, 303, "{body}");
    }
    let (status, _, page) = report_from(&t, &c, &anonymous("suggestion", "Tin thứ sáu."), Some("203.0.113.9")).await;
    assert_eq!(status, 429);
    assert!(page.contains("trong một giờ qua") && page.contains("113"));
    assert_eq!(case_count(&t).await, 5);
    let (status, _, _) = report_from(&t, &c, &anonymous("suggestion", "Từ mạng khác."), Some("198.51.100.3")).await;
    assert_eq!(status, 303);
}

#[tokio::test]
async fn a_unit_that_does_not_exist_has_no_form() {
    let t = TestApp::spawn().await;
    let (status, _) = t.get(&t.client(), "/u/khong-co/bao-tin").await;
    assert_eq!(status, 404);
    let (status, _) = t.get(&t.client(), "/bao-tin/theo-doi").await;
    assert_eq!(status, 200);
}

fn snapshot_settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_prepend_module_to_snapshot(false);
    s.set_omit_expression(true);
    s.add_filter(r"TB-[0-9A-Z]{4}-[0-9A-Z]{4}", "TB-[code]");
    s.add_filter(r"\b\d{4} \d{4} \d{4} \d{4}\b", "[receipt]");
    s.add_filter(r#"(<div class="qr" id="qr-receipt">)(?s:.*?)(</div>)"#, "$1[QR code]$2");
    s.add_filter(r"\b\d{2}/\d{2}/\d{4} \d{2}:\d{2}\b", "[datetime]");
    s
}

#[tokio::test]
async fn the_form_and_the_receipt_render_the_same() {
    let t = TestApp::spawn().await;
    let c = t.client();
    let (status, categories) = t.get(&c, &format!("/u/{UNIT}/bao-tin")).await;
    assert_eq!(status, 200);
    let (status, form) = t.get(&c, &format!("/u/{UNIT}/bao-tin?loai=noise")).await;
    assert_eq!(status, 200);
    let (status, fire) = t.get(&c, &format!("/u/{UNIT}/bao-tin?loai=traffic_accident")).await;
    assert_eq!(status, 200);
    assert!(fire.contains("href=\"tel:113\"") && fire.contains("href=\"tel:115\"") && fire.contains("Nếu đang xảy ra"));
    let mut parts = anonymous("noise", "Quán karaoke hát to đến 2 giờ sáng.");
    parts.push(Part::Text("q_source", "karaoke"));
    report_and_receipt(&t, &c, &parts).await;
    let (_, receipt) = t.get(&c, "/bao-tin/bien-nhan").await;
    snapshot_settings().bind(|| {
        insta::assert_snapshot!("report_categories_page", categories);
        insta::assert_snapshot!("report_form_page", form);
        insta::assert_snapshot!("report_receipt_page", receipt);
    });
}
