//! Media that citizens send through Zalo count against their quotas (issue 17): the bytes one
//! citizen may have downloaded in an hour and a day, reserved before the download so parallel
//! events cannot all pass, and the media disk's free-space floor. Over a quota nothing is
//! fetched or stored and the message keeps Zalo's URL.

use caunoi::channels::zalo::media::{self, Expect, MediaError, Sender};
use caunoi::config::Config;
use caunoi::demo::DEMO_OAS;
use caunoi::media::space::FreeFloor;
use caunoi_core::conversations::Inbound;
use caunoi_testkit::media::gps_jpeg;
use caunoi_testkit::{Options, TestApp};
use caunoi_zalo::fake::{FakeZalo, UserAction};

const OA: &str = DEMO_OAS[1].oa_id;

/// The test's app with a changed configuration (same database and fake Zalo; workers off).
fn app_with(t: &TestApp, change: impl FnOnce(&mut Config)) -> caunoi::app::App {
    let mut config = t.app.config.clone();
    config.workers = false;
    change(&mut config);
    caunoi::server::assemble(t.app.db.clone(), config)
}

fn zalo(t: &TestApp) -> &FakeZalo {
    t.zalo.as_ref().expect("the fake Zalo")
}

/// The size of every test photo (a real JPEG; the orientation tag makes each one different).
fn photo_len() -> i64 {
    gps_jpeg(1).len() as i64
}

/// A test photo served by the fake Zalo's CDN.
fn photo_url(t: &TestApp, orientation: u16) -> String {
    zalo(t).add_media("image/jpeg", "jpg", gps_jpeg(orientation))
}

async fn reserved_bytes(t: &TestApp) -> i64 {
    let db = &t.app.db;
    caunoi::db_read!(db, pool => sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(bytes), 0) AS BIGINT) FROM zalo_media_downloads"
    ).fetch_one(pool).await)
    .expect("sum")
}

#[tokio::test]
async fn a_citizen_may_download_up_to_the_hourly_quota_and_no_more_while_another_is_untouched() {
    let t = TestApp::spawn_with(Options { demo: true, zalo: true, ..Default::default() }).await;
    let quota = 3 * photo_len() + photo_len() / 2;
    let app = app_with(&t, |c| c.upload_quotas.session_hour = quota as u64);
    let alice = Sender { oa_id: OA, user_id: "4001" };
    let bob = Sender { oa_id: OA, user_id: "4002" };

    // Three photos fit; the fourth does not.
    for o in 1..=3 {
        media::download(&app, alice, &photo_url(&t, o), Expect::Image).await.expect("within the quota");
    }
    let over = media::download(&app, alice, &photo_url(&t, 4), Expect::Image).await;
    assert!(matches!(over, Err(MediaError::QuotaUsed)), "{over:?}");
    assert_eq!(reserved_bytes(&t).await, 3 * photo_len(), "the three stored files are counted at their size");

    // Another citizen has a quota of their own.
    media::download(&app, bob, &photo_url(&t, 5), Expect::Image).await.expect("another citizen");

    // An hour later the first citizen may send again.
    app.clock.advance(3601);
    media::download(&app, alice, &photo_url(&t, 6), Expect::Image).await.expect("a new hour");
}

#[tokio::test]
async fn parallel_downloads_fit_the_quota_exactly_and_a_refused_file_gives_its_claim_back() {
    let t = TestApp::spawn_with(Options { demo: true, zalo: true, ..Default::default() }).await;
    let quota = 4 * photo_len() + photo_len() / 2;
    let app = app_with(&t, |c| c.upload_quotas.session_hour = quota as u64);
    let alice = Sender { oa_id: OA, user_id: "4101" };
    let urls: Vec<String> = (1..=12).map(|o| photo_url(&t, o)).collect();
    let results = futures::future::join_all(urls.iter().map(|u| media::download(&app, alice, u, Expect::Image))).await;
    let ok = results.iter().filter(|r| r.is_ok()).count();
    let refused = results.iter().filter(|r| matches!(r, Err(MediaError::QuotaUsed))).count();
    assert_eq!(ok + refused, 12, "{results:?}");
    // Four fit in the quota, a fifth does not.
    assert_eq!(ok, 4, "{results:?}");
    assert_eq!(reserved_bytes(&t).await, 4 * photo_len());

    // A file that is not what it claims is refused after its claim; the claim is given back.
    let before = reserved_bytes(&t).await;
    let fake_png = zalo(&t).add_media("image/png", "png", b"not a picture at all".to_vec());
    let app_roomy = app_with(&t, |c| c.upload_quotas.session_hour = 10 << 20);
    let bad = media::download(&app_roomy, Sender { oa_id: OA, user_id: "4102" }, &fake_png, Expect::Image).await;
    assert!(matches!(bad, Err(MediaError::NotAnImage)), "{bad:?}");
    assert_eq!(reserved_bytes(&t).await, before, "nothing is counted for a refused file");
}

#[tokio::test]
async fn below_the_free_space_floor_nothing_is_downloaded_and_the_message_keeps_its_url() {
    let t = TestApp::spawn_with(Options { demo: true, zalo: true, ..Default::default() }).await;
    let app = app_with(&t, |c| c.media_free_floor = FreeFloor::Bytes(1 << 60));
    let refused = media::download(&app, Sender { oa_id: OA, user_id: "4201" }, &photo_url(&t, 1), Expect::Image).await;
    assert!(matches!(refused, Err(MediaError::StorageFull)), "{refused:?}");
    assert_eq!(reserved_bytes(&t).await, 0);
}

#[tokio::test]
async fn a_zalo_photo_over_the_quota_is_kept_as_a_message_with_its_url_only() {
    let t = TestApp::spawn_with(Options { demo: true, zalo: true, workers_off: true, ..Default::default() }).await;
    let app = app_with(&t, |c| c.upload_quotas.session_hour = (photo_len() + photo_len() / 2) as u64);
    let mut kept = Vec::new();
    for o in 1..=2 {
        let url = photo_url(&t, o);
        let action = UserAction { url: Some(url.clone()), ..UserAction::image(OA, None) };
        let delivery = zalo(&t).user_sends("4301", action).await.expect("image");
        let inbound = caunoi::channels::zalo::inbound::translate(&app, &delivery.body, app.clock.now_micros()).await;
        let Some(Inbound::Message { message, .. }) = inbound else { panic!("a citizen's message: {inbound:?}") };
        assert_eq!(message.media_url.as_deref(), Some(url.as_str()), "Zalo's URL is always kept");
        kept.push(message.media_ref);
    }
    assert!(kept[0].as_deref().is_some_and(|r| r.starts_with("zalo/")), "the first photo is downloaded: {kept:?}");
    assert_eq!(kept[1], None, "the second is over the quota: {kept:?}");
}
