//! A unit's emblem: the admin uploads it on the unit page, the public page shows it, the image
//! is served without the photo's metadata, and what is not a small photo is refused with its
//! reason and changes nothing — on the engine the suite runs on.

use caunoi::db_read;
use caunoi_testkit::TestApp;
use caunoi_testkit::media::{gps_jpeg, multipart};

const UNIT: &str = "qn-bai-chay";

async fn upload(t: &TestApp, c: &reqwest::Client, code: &str, file_name: &str, content: &[u8]) -> (u16, String) {
    let (content_type, body) = multipart(file_name, content);
    t.post_body(c, &format!("/units/{code}/emblem"), &content_type, body).await
}

async fn stored(t: &TestApp) -> i64 {
    let db = &t.app.db;
    db_read!(db, pool => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM unit_emblems").fetch_one(pool).await)
        .unwrap()
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn an_admin_sets_the_emblem_the_public_page_shows_it_without_the_photos_metadata() {
    let t = TestApp::spawn().await;
    let (_, before) = t.get(&reqwest::Client::new(), &format!("/u/{UNIT}")).await;
    assert!(!before.contains("class=\"emblem\""), "no emblem before");
    let anonymous = reqwest::Client::new();
    assert_eq!(anonymous.get(t.url(&format!("/u/{UNIT}/emblem"))).send().await.unwrap().status().as_u16(), 404);

    let admin = t.login("admin.qn").await;
    let (status, _) = upload(&t, &admin, UNIT, "cand.jpg", &gps_jpeg(1)).await;
    assert_eq!(status, 303);
    let (_, unit_page) = t.get(&admin, &format!("/units/{UNIT}?emblem=saved")).await;
    assert!(unit_page.contains("Đã lưu huy hiệu"), "{unit_page}");
    assert!(unit_page.contains("Gỡ huy hiệu"));

    let (_, page) = t.get(&anonymous, &format!("/u/{UNIT}")).await;
    let link = page.split("src=\"").find_map(|s| s.strip_prefix(&format!("/u/{UNIT}/emblem?v="))).expect("emblem link");
    let version = &link[..64];
    let r = anonymous.get(t.url(&format!("/u/{UNIT}/emblem?v={version}"))).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["content-type"], "image/jpeg");
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(etag, format!("\"{version}\""));
    let bytes = r.bytes().await.unwrap();
    assert!(bytes.starts_with(&[0xFF, 0xD8]) && bytes.ends_with(&[0xFF, 0xD9]), "still a JPEG");
    for needle in [&b"GPS!"[..], b"GPSLatitude", b"Acme", b"Nguyen Van A"] {
        assert!(!contains(&bytes, needle), "{} is served", String::from_utf8_lossy(needle));
    }
    let again = anonymous.get(t.url(&format!("/u/{UNIT}/emblem"))).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(again.status().as_u16(), 304);

    let (status, _) = t.post(&admin, &format!("/units/{UNIT}/emblem/remove"), &[]).await;
    assert_eq!(status, 303);
    assert_eq!(stored(&t).await, 0);
    let (_, page) = t.get(&anonymous, &format!("/u/{UNIT}")).await;
    assert!(!page.contains("class=\"emblem\""));
    let db = &t.app.db;
    let audit: Vec<String> =
        db_read!(db, pool => sqlx::query_scalar("SELECT detail FROM audit_log WHERE detail LIKE 'emblem%' ORDER BY id")
        .fetch_all(pool)
        .await)
        .unwrap();
    assert_eq!(audit.len(), 2, "{audit:?}");
    assert!(audit[0].starts_with("emblem set:") && audit[1] == "emblem removed", "{audit:?}");
}

#[tokio::test]
async fn what_is_not_a_small_photo_is_refused_with_its_reason_and_nothing_is_stored() {
    let t = TestApp::spawn().await;
    let admin = t.login("admin.qn").await;
    // A PDF named .png, a JPEG cut after its first bytes, a file over the limit, no file.
    let cases: [(&str, Vec<u8>, &[&str]); 4] = [
        ("emblem.png", b"%PDF-1.7 not a picture".to_vec(), &["không phải ảnh JPEG, PNG hoặc WebP"]),
        ("emblem.jpg", vec![0xFF, 0xD8, 0xFF], &["Ảnh bị lỗi hoặc chưa tải lên hết", "không phải là ảnh hợp lệ"]),
        ("huge.jpg", vec![0xFF; 600 * 1024], &["quá lớn: tối đa 512 KB"]),
        ("", Vec::new(), &["Hãy chọn một tệp ảnh."]),
    ];
    for (name, bytes, told) in cases {
        let (status, page) = upload(&t, &admin, UNIT, name, &bytes).await;
        assert_eq!(status, 422, "{name}");
        assert!(told.iter().any(|m| page.contains(m)), "{name}: {told:?}");
        assert!(page.contains("id=\"emblem\""), "the unit page comes back with the form");
    }
    assert_eq!(stored(&t).await, 0);
}

#[tokio::test]
async fn only_the_units_own_editors_may_set_its_emblem() {
    let t = TestApp::spawn().await;
    // An officer of the ward may not; another ward's admin does not see the unit at all.
    for (who, expected) in [("canbo.baichay", 403), ("trucban.baichay", 403), ("admin.honggai", 404)] {
        let c = t.login(who).await;
        let (status, _) = upload(&t, &c, UNIT, "cand.jpg", &gps_jpeg(1)).await;
        assert_eq!(status, expected, "{who}");
        let (status, _) = t.post(&c, &format!("/units/{UNIT}/emblem/remove"), &[]).await;
        assert_eq!(status, expected, "{who} removing");
    }
    assert_eq!(stored(&t).await, 0);
    // The ward's parent's admin and leader may.
    let leader = t.login("lanhdao.qn").await;
    assert_eq!(upload(&t, &leader, UNIT, "cand.jpg", &gps_jpeg(1)).await.0, 303);
    assert_eq!(stored(&t).await, 1);
}
