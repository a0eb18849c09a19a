//! The client, the token store and the signature check against the fake Zalo server.
#![cfg(feature = "fake")]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use caunoi_zalo::client::{AppRateLimiter, ImageSource, OaClient, OaClientConfig, PhoneTemplate, Upload};
use caunoi_zalo::event::{Event, EventKind};
use caunoi_zalo::fake::{FakeApp, FakeConfig, FakeZalo, Fault, UserAction};
use caunoi_zalo::signature::{self, SignatureConfig, SignedRequest, WebhookCredentials};
use caunoi_zalo::token::{BoxFuture, OAuthClient, TokenPair, TokenPersistence, TokenStore};
use caunoi_zalo::{ApiError, AppId, OaId, Secret, TokenError, UserId, ZaloErrorKind};
use tokio::sync::mpsc;

const APP_ID: &str = "1434927390812345678";
const APP_SECRET: &str = "FakeAppSecretXYZ";
const OA_ID: &str = "2960384411273650001";
const OA_SECRET: &str = "TestOaSecretKey123";
const USER: &str = "7712390045123987654";

/// Records every pair the store hands to the app; can be told to fail.
#[derive(Default)]
struct RecordingPersistence {
    saved: Mutex<Vec<TokenPair>>,
    fail: Mutex<bool>,
}

impl TokenPersistence for RecordingPersistence {
    fn save<'a>(&'a self, _: &'a OaId, pair: &'a TokenPair) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            if *self.fail.lock().unwrap() {
                return Err("database unavailable".into());
            }
            self.saved.lock().unwrap().push(pair.clone());
            Ok(())
        })
    }
}

/// What the test webhook receiver got: signature verdict and parsed event.
struct Received {
    verified: Result<(), signature::SignatureError>,
    event: Event,
    num_retry: Option<String>,
    zns: bool,
}

async fn start_receiver() -> (String, mpsc::UnboundedReceiver<Received>) {
    let (tx, rx) = mpsc::unbounded_channel();
    async fn receive(State(tx): State<mpsc::UnboundedSender<Received>>, headers: HeaderMap, body: Bytes) -> StatusCode {
        let creds = WebhookCredentials {
            app_id: AppId::new(APP_ID),
            oa_id: OaId::new(OA_ID),
            oa_secret_key: Secret::new(OA_SECRET),
            app_secret: None,
        };
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let request =
            SignedRequest { raw_body: &body, signature: header(signature::SIGNATURE_HEADER), timestamp_header: None };
        let verified = signature::verify(&SignatureConfig::default(), &creds, &request).map(|_| ());
        let Ok(event) = Event::parse(&body) else {
            return StatusCode::BAD_REQUEST;
        };
        let _ = tx.send(Received {
            verified,
            event,
            num_retry: header(signature::RETRY_HEADER).map(str::to_owned),
            zns: header(signature::SERVER_HEADER) == Some("ZNS"),
        });
        StatusCode::OK
    }
    let app = Router::new().route("/webhook", post(receive)).with_state(tx);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/webhook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, rx)
}

struct Setup {
    fake: FakeZalo,
    client: OaClient,
    persistence: Arc<RecordingPersistence>,
    webhooks: mpsc::UnboundedReceiver<Received>,
}

fn initial_pair(access_expires_at_ms: i64) -> TokenPair {
    TokenPair {
        access_token: Secret::new(format!("FAKE-OA-AT-{OA_ID}-0")),
        refresh_token: Secret::new(format!("FAKE-OA-RT-{OA_ID}-0")),
        access_expires_at_ms,
        refresh_expires_at_ms: i64::MAX,
        rotated_at_ms: 0,
    }
}

async fn setup_with(config: impl FnOnce(&mut FakeConfig), access_expires_at_ms: i64, http_timeout: Duration) -> Setup {
    let mut fake_config = FakeConfig::new(vec![FakeApp::new(APP_ID, APP_SECRET, OA_ID, OA_SECRET)]);
    config(&mut fake_config);
    let fake = FakeZalo::start(fake_config).await.unwrap();
    let (url, webhooks) = start_receiver().await;
    // Registered after start, as the app does once its port is known.
    fake.set_webhook_url(OA_ID, url).unwrap();
    let http = reqwest::Client::builder().timeout(http_timeout).build().unwrap();
    let endpoints = fake.endpoints();
    let oauth = OAuthClient::new(http.clone(), &endpoints.oauth_base, AppId::new(APP_ID), Secret::new(APP_SECRET));
    let persistence = Arc::new(RecordingPersistence::default());
    let tokens = TokenStore::new(
        OaId::new(OA_ID),
        initial_pair(access_expires_at_ms),
        oauth,
        Arc::clone(&persistence) as Arc<dyn TokenPersistence>,
    );
    let client = OaClient::new(
        http,
        OaClientConfig { oa_id: OaId::new(OA_ID), endpoints, appsecret_proof_key: None },
        tokens,
        AppRateLimiter::documented(),
    );
    Setup { fake, client, persistence, webhooks }
}

async fn setup() -> Setup {
    setup_with(|_| {}, i64::MAX, Duration::from_secs(10)).await
}

async fn next_event(s: &mut Setup) -> Received {
    tokio::time::timeout(Duration::from_secs(10), s.webhooks.recv())
        .await
        .expect("a webhook within 10 s")
        .expect("receiver alive")
}

/// Signature header and body of the last webhook.
type Captured = Arc<Mutex<Option<(String, Vec<u8>)>>>;

fn user() -> UserId {
    UserId::new(USER)
}

#[tokio::test]
async fn fake_delivers_a_signed_webhook_that_the_verifier_accepts() {
    let mut s = setup().await;
    let delivery = s.fake.user_sends_text(OA_ID, USER, "Thủ tục cấp căn cước cần giấy tờ gì?").await.unwrap();
    assert_eq!(delivery.statuses, vec![Some(200)]);
    let got = next_event(&mut s).await;
    assert_eq!(got.verified, Ok(()));
    let EventKind::UserMessage(m) = got.event.kind else { panic!("not a message") };
    assert_eq!(m.text.as_deref(), Some("Thủ tục cấp căn cước cần giấy tờ gì?"));
    assert_eq!(Some(m.msg_id.to_string()), delivery.msg_id);
    // Keys in Zalo's documented order, not sorted.
    assert!(delivery.body.starts_with(r#"{"app_id":"1434927390812345678","user_id_by_app":"#));
}

#[tokio::test]
async fn image_event_points_at_media_the_fake_serves() {
    let mut s = setup().await;
    s.fake.user_sends(USER, UserAction::image(OA_ID, Some("Xe bị lấy trộm"))).await.unwrap();
    let got = next_event(&mut s).await;
    assert_eq!(got.verified, Ok(()));
    let EventKind::UserMessage(m) = got.event.kind else { panic!("not a message") };
    let Some(caunoi_zalo::Attachment::Image { url, .. }) = m.attachments.first() else { panic!("no image") };
    let bytes = reqwest::get(url).await.unwrap().bytes().await.unwrap();
    assert!(bytes.starts_with(b"\x89PNG"));
}

#[tokio::test]
async fn every_simulated_event_kind_is_signed_and_parses() {
    let mut s = setup().await;
    let actions = [
        UserAction::location(OA_ID, 21.0277644, 105.8341598),
        UserAction::event(OA_ID, "file"),
        UserAction::event(OA_ID, "video"),
        UserAction::event(OA_ID, "audio"),
        UserAction::event(OA_ID, "sticker"),
        UserAction { url: Some("https://example.vn/bai-viet".into()), ..UserAction::event(OA_ID, "link") },
        UserAction::follow(OA_ID),
        UserAction::event(OA_ID, "submit_info"),
        UserAction::event(OA_ID, "chatnow"),
        UserAction { msg_ids: Some(vec!["m1".into()]), ..UserAction::event(OA_ID, "seen") },
        UserAction {
            text: Some("Anh mang CCCD".into()),
            admin_id: Some("301".into()),
            ..UserAction::event(OA_ID, "oa_send_text")
        },
        UserAction::unfollow(OA_ID),
    ];
    for action in actions {
        let name = action.event.clone();
        s.fake.user_sends(USER, action).await.unwrap();
        let got = next_event(&mut s).await;
        assert_eq!(got.verified, Ok(()), "{name:?}");
        assert!(!matches!(got.event.kind, EventKind::Unknown { .. }), "{name:?} parsed as unknown");
        assert_eq!(got.event.oa_id(), Some(OaId::new(OA_ID)), "{name:?}");
    }
}

#[tokio::test]
async fn consultation_text_reaches_the_user_and_is_recorded() {
    let s = setup().await;
    s.fake.user_sends_text(OA_ID, USER, "Xin chào").await.unwrap();
    let sent = s.client.send_text(&user(), "Dạ, cán bộ xin trả lời…", None).await.unwrap();
    assert_eq!(sent.user_id, Some(user()));
    assert_eq!(sent.quota.and_then(|q| q.quota_type).as_deref(), Some("reply"));
    let records = s.fake.sent_messages(USER);
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].message_id, sent.message_id.as_str());
    assert_eq!(records[0].text.as_deref(), Some("Dạ, cán bộ xin trả lời…"));

    let over_http: serde_json::Value = reqwest::get(format!("{}/__fake/messages?user_id={USER}", s.fake.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(over_http[0]["text"], "Dạ, cán bộ xin trả lời…");
}

#[tokio::test]
async fn send_echo_and_receipt_follow_a_send() {
    let mut s = setup().await;
    s.fake.user_sends_text(OA_ID, USER, "Xin chào").await.unwrap();
    next_event(&mut s).await;
    let sent = s.client.send_text(&user(), "Trả lời", None).await.unwrap();
    let echo = next_event(&mut s).await;
    let EventKind::OaEcho(echo) = echo.event.kind else { panic!("expected the echo first") };
    assert_eq!(echo.msg_id, sent.message_id);
    assert_eq!(echo.admin_id, None);
    let receipt = next_event(&mut s).await;
    assert!(matches!(receipt.event.kind, EventKind::MessageReceived(r) if r.msg_id == sent.message_id));
}

#[tokio::test]
async fn send_to_a_user_who_never_wrote_reports_window_closed() {
    let s = setup().await;
    let err = s.client.send_text(&user(), "Xin chào", None).await.unwrap_err();
    assert!(matches!(err, ApiError::Zalo { kind: ZaloErrorKind::ReplyWindowClosed, code: -230, .. }), "{err:?}");
    assert!(s.fake.sent_messages(USER).is_empty());
}

#[tokio::test]
async fn window_closes_seven_days_after_the_last_interaction() {
    let s = setup().await;
    s.fake.user_sends_text(OA_ID, USER, "Xin chào").await.unwrap();
    s.fake.advance_clock(Duration::from_secs(3 * 24 * 3600));
    let billed = s.client.send_text(&user(), "Sau 3 ngày", None).await.unwrap();
    assert_eq!(billed.quota.and_then(|q| q.quota_type).as_deref(), Some("sub_quota"));
    s.fake.advance_clock(Duration::from_secs(5 * 24 * 3600));
    let err = s.client.send_text(&user(), "Sau 8 ngày", None).await.unwrap_err();
    assert_eq!(err.zalo_kind(), Some(ZaloErrorKind::ReplyWindowClosed));
}

#[tokio::test]
async fn close_window_fault_reports_window_closed() {
    let s = setup().await;
    s.fake.user_sends_text(OA_ID, USER, "Xin chào").await.unwrap();
    s.fake.inject(Fault::CloseWindow { oa_id: OA_ID.into(), user_id: USER.into() });
    let err = s.client.send_text(&user(), "x", None).await.unwrap_err();
    assert_eq!(err.zalo_kind(), Some(ZaloErrorKind::ReplyWindowClosed));
}

#[tokio::test]
async fn rate_limit_fault_is_reported_as_rate_limited() {
    let s = setup().await;
    s.fake.user_sends_text(OA_ID, USER, "Xin chào").await.unwrap();
    s.fake.inject(Fault::RateLimit { count: 2 });
    for _ in 0..2 {
        let err = s.client.send_text(&user(), "x", None).await.unwrap_err();
        assert!(matches!(err, ApiError::Zalo { kind: ZaloErrorKind::RateLimited, code: -32, .. }));
        assert!(err.is_retryable());
    }
    assert!(s.client.send_text(&user(), "x", None).await.is_ok());
}

#[tokio::test]
async fn faults_can_be_injected_over_http() {
    let s = setup().await;
    s.fake.user_sends_text(OA_ID, USER, "Xin chào").await.unwrap();
    let answer = reqwest::Client::new()
        .post(format!("{}/__fake/faults", s.fake.base_url()))
        .json(&serde_json::json!({ "kind": "error", "code": -244, "message": "User restricted", "count": 1 }))
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success());
    let err = s.client.send_text(&user(), "x", None).await.unwrap_err();
    assert!(matches!(err, ApiError::Zalo { kind: ZaloErrorKind::UserBlocked, code: -244, .. }));
}

#[tokio::test]
async fn injected_error_codes_map_to_typed_errors() {
    let s = setup().await;
    s.fake.user_sends_text(OA_ID, USER, "Xin chào").await.unwrap();
    let cases = [
        (-213, ZaloErrorKind::UserNotFollower),
        (-201, ZaloErrorKind::InvalidParams),
        (-230, ZaloErrorKind::ReplyWindowClosed),
        (-200, ZaloErrorKind::SendFailed),
        (-999, ZaloErrorKind::Other),
    ];
    for (code, kind) in cases {
        s.fake.inject(Fault::Error { code, message: "injected".into(), count: 1 });
        match s.client.send_text(&user(), "x", None).await {
            Err(ApiError::Zalo { kind: got, code: got_code, message }) => {
                assert_eq!((got, got_code, message.as_str()), (kind, code, "injected"));
            }
            other => panic!("{code}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn forced_token_expiry_is_refreshed_once_and_retried() {
    let s = setup().await;
    s.fake.user_sends_text(OA_ID, USER, "Xin chào").await.unwrap();
    s.fake.inject(Fault::TokenExpired { count: 1 });
    s.client.send_text(&user(), "x", None).await.unwrap();
    assert_eq!(s.fake.refresh_call_count(), 1);
    assert_eq!(s.persistence.saved.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn token_rejected_twice_surfaces_as_token_expired() {
    let s = setup().await;
    s.fake.user_sends_text(OA_ID, USER, "Xin chào").await.unwrap();
    s.fake.inject(Fault::TokenExpired { count: 2 });
    let err = s.client.send_text(&user(), "x", None).await.unwrap_err();
    assert!(matches!(err, ApiError::Zalo { kind: ZaloErrorKind::AccessTokenExpired, code: -220, .. }));
    assert_eq!(s.fake.refresh_call_count(), 1);
}

#[tokio::test]
async fn expired_access_token_is_refreshed_transparently() {
    let s = setup().await;
    s.fake.user_sends_text(OA_ID, USER, "Xin chào").await.unwrap();
    s.fake.inject(Fault::ExpireAccessToken { oa_id: OA_ID.into() });
    s.client.send_text(&user(), "x", None).await.unwrap();
    s.client.send_text(&user(), "y", None).await.unwrap();
    assert_eq!(s.fake.refresh_call_count(), 1);
}

#[tokio::test]
async fn concurrent_callers_share_one_refresh() {
    // The stored access token is already expired: every caller needs a refresh.
    let s = setup_with(|_| {}, 0, Duration::from_secs(10)).await;
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let tokens = s.client.tokens().clone();
        tasks.push(tokio::spawn(async move { tokens.access_token().await.map(|t| t.expose().to_owned()) }));
    }
    let mut seen = std::collections::BTreeSet::new();
    for task in tasks {
        seen.insert(task.await.unwrap().unwrap());
    }
    assert_eq!(s.fake.refresh_call_count(), 1);
    assert_eq!(seen.len(), 1, "all callers got the same new token");
    let saved = s.persistence.saved.lock().unwrap().clone();
    assert_eq!(saved.len(), 1);
    assert_eq!(seen.first().map(String::as_str), Some(saved[0].access_token.expose()));
    assert_eq!(s.fake.current_refresh_token(OA_ID).as_deref(), Some(saved[0].refresh_token.expose()));
}

#[tokio::test]
async fn concurrent_sends_after_rejection_share_one_refresh() {
    let s = setup().await;
    s.fake.user_sends_text(OA_ID, USER, "Xin chào").await.unwrap();
    s.fake.inject(Fault::ExpireAccessToken { oa_id: OA_ID.into() });
    let mut tasks = Vec::new();
    for i in 0..20 {
        let client = s.client.clone();
        tasks.push(tokio::spawn(async move { client.send_text(&user(), &format!("tin {i}"), None).await }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(s.fake.refresh_call_count(), 1);
    assert_eq!(s.fake.sent_messages(USER).len(), 20);
}

#[tokio::test]
async fn used_refresh_token_is_dead_after_rotation() {
    let s = setup().await;
    let endpoints = s.fake.endpoints();
    let oauth =
        OAuthClient::new(reqwest::Client::new(), &endpoints.oauth_base, AppId::new(APP_ID), Secret::new(APP_SECRET));
    let old = Secret::new(format!("FAKE-OA-RT-{OA_ID}-0"));
    let first = oauth.refresh(&old).await.unwrap();
    assert_eq!(first.expires_in, Duration::from_secs(90_000));
    let again = oauth.refresh(&old).await.unwrap_err();
    assert!(matches!(again, TokenError::RefreshRejected { .. }));
    assert!(oauth.refresh(&first.refresh_token).await.is_ok());
    let wrong_secret =
        OAuthClient::new(reqwest::Client::new(), &endpoints.oauth_base, AppId::new(APP_ID), Secret::new("nope"));
    assert!(matches!(wrong_secret.refresh(&old).await, Err(TokenError::RefreshRejected { .. })));
}

#[tokio::test]
async fn refresh_rejection_is_terminal_and_not_retried() {
    let s = setup_with(|_| {}, 0, Duration::from_secs(10)).await;
    // Someone else used our refresh token: the grant is lost.
    let endpoints = s.fake.endpoints();
    let thief =
        OAuthClient::new(reqwest::Client::new(), &endpoints.oauth_base, AppId::new(APP_ID), Secret::new(APP_SECRET));
    thief.refresh(&Secret::new(format!("FAKE-OA-RT-{OA_ID}-0"))).await.unwrap();
    for _ in 0..3 {
        let err = s.client.tokens().access_token().await.unwrap_err();
        assert!(matches!(err, TokenError::RefreshRejected { .. }));
        assert!(!err.is_retryable());
    }
    assert_eq!(s.fake.refresh_call_count(), 2, "the thief's call and one of ours");
}

#[tokio::test]
async fn failed_persistence_withholds_the_new_token_until_saved() {
    let s = setup_with(|_| {}, 0, Duration::from_secs(10)).await;
    *s.persistence.fail.lock().unwrap() = true;
    let err = s.client.tokens().access_token().await.unwrap_err();
    assert!(matches!(err, TokenError::Persist(_)));
    *s.persistence.fail.lock().unwrap() = false;
    let token = s.client.tokens().access_token().await.unwrap();
    assert_eq!(s.fake.refresh_call_count(), 1, "the rotated pair was kept, not refreshed again");
    assert_eq!(s.persistence.saved.lock().unwrap()[0].access_token.expose(), token.expose());
}

#[tokio::test]
async fn expires_in_as_number_is_accepted() {
    let s = setup_with(|c| c.expires_in_as_number = true, 0, Duration::from_secs(10)).await;
    s.client.tokens().access_token().await.unwrap();
    let saved = s.persistence.saved.lock().unwrap()[0].clone();
    assert_eq!(saved.access_expires_at_ms - saved.rotated_at_ms, 90_000_000);
}

#[tokio::test]
async fn slow_answer_surfaces_as_transport_timeout() {
    let s = setup_with(|_| {}, i64::MAX, Duration::from_millis(300)).await;
    s.fake.user_sends_text(OA_ID, USER, "Xin chào").await.unwrap();
    s.fake.inject(Fault::Delay { ms: 3_000, count: 1 });
    let err = s.client.send_text(&user(), "x", None).await.unwrap_err();
    assert!(matches!(err, ApiError::Transport(ref d) if d.starts_with("timeout")), "{err:?}");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn uploaded_image_and_file_can_be_sent() {
    let s = setup().await;
    s.fake.user_sends_text(OA_ID, USER, "Xin chào").await.unwrap();
    let png =
        Upload { file_name: "so-do.png".into(), content_type: "image/png".into(), bytes: b"\x89PNG....".to_vec() };
    let attachment_id = s.client.upload_image(png).await.unwrap();
    s.client.send_image(&user(), &ImageSource::AttachmentId(attachment_id.clone()), Some("Sơ đồ")).await.unwrap();
    let pdf = Upload {
        file_name: "mau-ct01.pdf".into(),
        content_type: "application/pdf".into(),
        bytes: b"%PDF-1.4".to_vec(),
    };
    let token = s.client.upload_file(pdf).await.unwrap();
    s.client.send_file(&user(), &token).await.unwrap();
    s.client.send_image(&user(), &ImageSource::Url("https://cand.example.vn/a.png".into()), None).await.unwrap();
    let sent = s.fake.sent_messages(USER);
    let kinds: Vec<&str> = sent.iter().map(|m| m.kind.as_str()).collect();
    assert_eq!(kinds, ["image", "file", "image"]);
    assert_eq!(sent[0].attachment_id.as_deref(), Some(attachment_id.as_str()));
    assert_eq!(sent[1].file_token.as_deref(), Some(token.as_str()));

    s.fake.advance_clock(Duration::from_secs(8 * 24 * 3600));
    s.fake.user_sends_text(OA_ID, USER, "Lại xin chào").await.unwrap();
    let err = s.client.send_image(&user(), &ImageSource::AttachmentId(attachment_id), None).await.unwrap_err();
    assert_eq!(err.zalo_kind(), Some(ZaloErrorKind::AttachmentExpired));
}

#[tokio::test]
async fn oversized_image_upload_is_invalid_params() {
    let s = setup().await;
    let big =
        Upload { file_name: "big.jpg".into(), content_type: "image/jpeg".into(), bytes: vec![0; 1024 * 1024 + 1] };
    let err = s.client.upload_image(big).await.unwrap_err();
    assert!(matches!(err, ApiError::Zalo { kind: ZaloErrorKind::InvalidParams, code: -210, .. }));
}

#[tokio::test]
async fn text_over_2000_characters_is_invalid_params() {
    let s = setup().await;
    s.fake.user_sends_text(OA_ID, USER, "Xin chào").await.unwrap();
    let err = s.client.send_text(&user(), &"ă".repeat(2001), None).await.unwrap_err();
    assert!(matches!(err, ApiError::Zalo { kind: ZaloErrorKind::InvalidParams, code: -201, .. }));
    assert!(s.client.send_text(&user(), &"ă".repeat(2000), None).await.is_ok());
}

#[tokio::test]
async fn user_detail_reads_profile_and_shared_info() {
    let s = setup().await;
    s.fake
        .user_sends(USER, UserAction { display_name: Some("Nguyễn Văn An".into()), ..UserAction::follow(OA_ID) })
        .await
        .unwrap();
    s.fake.user_sends(USER, UserAction::event(OA_ID, "submit_info")).await.unwrap();
    let detail = s.client.user_detail(&user()).await.unwrap();
    assert_eq!(detail.display_name.as_deref(), Some("Nguyễn Văn An"));
    assert_eq!(detail.user_is_follower, Some(true));
    assert_eq!(detail.shared_info.and_then(|i| i.phone).as_deref(), Some("84912345678"));
    assert!(!format!("{:?}", s.client.user_detail(&user()).await.unwrap()).contains("Nguyễn"));

    s.fake.user_sends(USER, UserAction::unfollow(OA_ID)).await.unwrap();
    let err = s.client.user_detail(&user()).await.unwrap_err();
    assert_eq!(err.zalo_kind(), Some(ZaloErrorKind::UserNotFollower));
}

#[tokio::test]
async fn template_by_phone_returns_msg_id_and_a_zns_receipt_follows() {
    let mut s = setup().await;
    let template = PhoneTemplate {
        phone: "0912345678".into(),
        template_id: "301234".into(),
        template_data: BTreeMap::from([("ho_ten".to_owned(), "Nguyễn Văn An".to_owned())]),
        tracking_id: "appt-2026-000123-remind24h".into(),
        development_mode: false,
    };
    let sent = s.client.send_template_to_phone(&template).await.unwrap();
    let receipt = next_event(&mut s).await;
    assert!(receipt.zns);
    let EventKind::MessageReceived(r) = receipt.event.kind else { panic!("not a receipt") };
    assert_eq!(r.msg_id, sent.msg_id);
    assert_eq!(r.recipient_id, "84912345678");
    assert_eq!(r.tracking_id.as_deref(), Some("appt-2026-000123-remind24h"));

    let bad = PhoneTemplate { phone: "12ab".into(), ..template };
    let err = s.client.send_template_to_phone(&bad).await.unwrap_err();
    assert!(matches!(err, ApiError::Zalo { kind: ZaloErrorKind::InvalidParams, code: -108, .. }));
}

#[tokio::test]
async fn template_by_uid_needs_no_window_but_a_uid_capable_template() {
    let s = setup_with(
        |c| {
            c.templates = vec![
                caunoi_zalo::fake::FakeTemplate {
                    template_id: "1".into(),
                    params: vec!["ma_ho_so".into()],
                    enabled: true,
                    uid_supported: true,
                },
                caunoi_zalo::fake::FakeTemplate {
                    template_id: "2".into(),
                    params: vec![],
                    enabled: true,
                    uid_supported: false,
                },
            ]
        },
        i64::MAX,
        Duration::from_secs(10),
    )
    .await;
    s.fake.user_sends_text(OA_ID, USER, "Xin chào").await.unwrap();
    s.fake.advance_clock(Duration::from_secs(30 * 24 * 3600));
    let data = BTreeMap::from([("ma_ho_so".to_owned(), "HS-1".to_owned())]);
    s.client.send_template_to_user(&user(), "1", &data).await.unwrap();
    let err = s.client.send_template_to_user(&user(), "2", &data).await.unwrap_err();
    assert_eq!(err.zalo_kind(), Some(ZaloErrorKind::TemplateUnavailable));
}

#[tokio::test]
async fn duplicate_fault_redelivers_with_num_retry() {
    let mut s = setup().await;
    s.fake.inject(Fault::DuplicateWebhooks { copies: 3, count: 1 });
    let delivery = s.fake.user_sends_text(OA_ID, USER, "Một lần").await.unwrap();
    assert_eq!(delivery.statuses.len(), 3);
    let mut keys = Vec::new();
    let mut retries = Vec::new();
    for _ in 0..3 {
        let got = next_event(&mut s).await;
        assert_eq!(got.verified, Ok(()));
        keys.push(got.event.dedupe_key());
        retries.push(got.num_retry);
    }
    assert!(keys.iter().all(|k| k == &keys[0]));
    assert_eq!(retries, [None, Some("1".into()), Some("2".into())]);
}

#[tokio::test]
async fn reorder_fault_delivers_newest_first() {
    let mut s = setup().await;
    s.fake.inject(Fault::ReorderWebhooks { count: 3 });
    for text in ["một", "hai"] {
        assert!(s.fake.user_sends_text(OA_ID, USER, text).await.unwrap().held);
    }
    assert!(!s.fake.user_sends_text(OA_ID, USER, "ba").await.unwrap().held);
    let mut texts = Vec::new();
    for _ in 0..3 {
        let EventKind::UserMessage(m) = next_event(&mut s).await.event.kind else { panic!() };
        texts.push(m.text.unwrap());
    }
    assert_eq!(texts, ["ba", "hai", "một"]);
}

#[tokio::test]
async fn users_can_be_simulated_over_http() {
    let mut s = setup().await;
    let answer: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/__fake/users/{USER}/send", s.fake.base_url()))
        .json(&serde_json::json!({ "oa_id": OA_ID, "event": "user_send_location", "lat": 21.03, "lon": 105.83 }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["statuses"][0], 200);
    let EventKind::UserMessage(m) = next_event(&mut s).await.event.kind else { panic!() };
    assert_eq!(m.location(), Some((21.03, 105.83)));
    let unknown = reqwest::Client::new()
        .post(format!("{}/__fake/users/{USER}/send", s.fake.base_url()))
        .json(&serde_json::json!({ "oa_id": "nope", "text": "x" }))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
}

#[tokio::test]
async fn signature_variants_of_the_fake_match_the_verifier_config() {
    use caunoi_zalo::fake::FakeSignature;
    use caunoi_zalo::signature::{MacFirstTerm, MacSecret, MacVariant, VerifyMode};
    let variant = MacVariant { first_term: MacFirstTerm::OaId, secret: MacSecret::AppSecret };
    let app = FakeApp::new(APP_ID, APP_SECRET, OA_ID, OA_SECRET).with_signature(FakeSignature {
        variant,
        with_prefix: false,
        uppercase: true,
    });
    let fake = FakeZalo::start(FakeConfig::new(vec![app])).await.unwrap();
    let captured: Captured = Arc::default();
    async fn capture(State(c): State<Captured>, h: HeaderMap, b: Bytes) -> StatusCode {
        let sig = h.get(signature::SIGNATURE_HEADER).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        *c.lock().unwrap() = Some((sig, b.to_vec()));
        StatusCode::OK
    }
    let router = Router::new().route("/hook", post(capture)).with_state(Arc::clone(&captured));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    fake.set_webhook_url(OA_ID, url).unwrap();
    fake.user_sends_text(OA_ID, USER, "x").await.unwrap();
    let (sig, body) = captured.lock().unwrap().clone().unwrap();
    assert!(!sig.starts_with("mac="));
    let creds = WebhookCredentials {
        app_id: AppId::new(APP_ID),
        oa_id: OaId::new(OA_ID),
        oa_secret_key: Secret::new(OA_SECRET),
        app_secret: Some(Secret::new(APP_SECRET)),
    };
    let req = SignedRequest { raw_body: &body, signature: Some(&sig), timestamp_header: None };
    assert!(signature::verify(&SignatureConfig::default(), &creds, &req).is_err());
    let diagnostic = SignatureConfig { mode: VerifyMode::Diagnostic, ..SignatureConfig::default() };
    assert_eq!(
        signature::verify(&diagnostic, &creds, &req),
        Err(signature::SignatureError::Mismatch),
        "oa_id+app secret is not a diagnostic candidate"
    );
    let strict = SignatureConfig { variant, ..SignatureConfig::default() };
    assert_eq!(signature::verify(&strict, &creds, &req), Ok(variant));
}

fn store_with_clock(fake: &FakeZalo, pair: TokenPair, clock: Arc<caunoi_zalo::token::ManualClock>) -> TokenStore {
    let oauth = OAuthClient::new(
        reqwest::Client::new(),
        &fake.endpoints().oauth_base,
        AppId::new(APP_ID),
        Secret::new(APP_SECRET),
    );
    TokenStore::with_clock(OaId::new(OA_ID), pair, oauth, Arc::new(caunoi_zalo::token::NoPersistence), clock)
}

#[tokio::test]
async fn access_token_is_refreshed_proactively_inside_the_leeway() {
    let fake =
        FakeZalo::start(FakeConfig::new(vec![FakeApp::new(APP_ID, APP_SECRET, OA_ID, OA_SECRET)])).await.unwrap();
    let hour = 3_600_000;
    let clock = Arc::new(caunoi_zalo::token::ManualClock::new(0));
    // Issued at 0, valid 25 h; default leeway 5 h → refresh from 20 h on.
    let store = store_with_clock(&fake, initial_pair(25 * hour), Arc::clone(&clock));
    clock.set(19 * hour);
    let before = store.access_token().await.unwrap();
    assert_eq!(fake.refresh_call_count(), 0);
    clock.set(20 * hour);
    let after = store.access_token().await.unwrap();
    assert_eq!(fake.refresh_call_count(), 1);
    assert_ne!(before.expose(), after.expose());
    // The new token runs 20 h → 45 h, so it is used as is until 40 h.
    clock.set(39 * hour);
    store.access_token().await.unwrap();
    assert_eq!(fake.refresh_call_count(), 1);
}

#[tokio::test]
async fn expired_refresh_token_asks_for_reconnection_without_calling_zalo() {
    let fake =
        FakeZalo::start(FakeConfig::new(vec![FakeApp::new(APP_ID, APP_SECRET, OA_ID, OA_SECRET)])).await.unwrap();
    let clock = Arc::new(caunoi_zalo::token::ManualClock::new(1_000));
    let pair = TokenPair { refresh_expires_at_ms: 1_000, ..initial_pair(0) };
    let store = store_with_clock(&fake, pair, clock);
    assert!(matches!(store.access_token().await, Err(TokenError::RefreshTokenExpired)));
    assert_eq!(fake.refresh_call_count(), 0);
}

/// Visits the fake's permission page as the admin's browser would and returns the query of
/// the redirect back to `redirect_uri`.
async fn consent(fake: &FakeZalo, app_id: &str, challenge: &str, state: &str) -> BTreeMap<String, String> {
    let url = caunoi_zalo::consent::permission_url(
        &fake.endpoints().oauth_base,
        app_id,
        "https://caunoi.example.vn/zalo/callback",
        challenge,
        state,
    );
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let answer = http.get(url).send().await.unwrap();
    assert_eq!(answer.status(), StatusCode::FOUND, "{:?}", answer.text().await);
    let location = answer.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("https://caunoi.example.vn/zalo/callback?"), "{location}");
    reqwest::Url::parse(&location).unwrap().query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

fn oauth(fake: &FakeZalo) -> OAuthClient {
    OAuthClient::new(reqwest::Client::new(), &fake.endpoints().oauth_base, AppId::new(APP_ID), Secret::new(APP_SECRET))
}

#[tokio::test]
async fn consent_code_is_exchanged_once_with_its_pkce_verifier() {
    let s = setup().await;
    let verifier = caunoi_zalo::consent::code_verifier(&[7; 32]);
    let back = consent(&s.fake, APP_ID, &caunoi_zalo::consent::code_challenge(&verifier), "st-1").await;
    assert_eq!(back.get("oa_id").map(String::as_str), Some(OA_ID));
    assert_eq!(back.get("state").map(String::as_str), Some("st-1"));
    let code = back.get("code").cloned().unwrap();
    // A wrong verifier is refused (and spends the code).
    let wrong = oauth(&s.fake).exchange_code(&code, "not-the-verifier").await;
    assert!(matches!(wrong, Err(TokenError::RefreshRejected { code: -14022, .. })), "{wrong:?}");
    let back = consent(&s.fake, APP_ID, &caunoi_zalo::consent::code_challenge(&verifier), "st-2").await;
    let code = back.get("code").cloned().unwrap();
    let issued = oauth(&s.fake).exchange_code(&code, &verifier).await.unwrap();
    assert_eq!(issued.expires_in, Duration::from_secs(90_000));
    // Single use.
    let again = oauth(&s.fake).exchange_code(&code, &verifier).await;
    assert!(matches!(again, Err(TokenError::RefreshRejected { code: -14019, .. })), "{again:?}");
    // The new refresh token is the OA's only valid one.
    assert_eq!(s.fake.current_refresh_token(OA_ID).as_deref(), Some(issued.refresh_token.expose()));
}

#[tokio::test]
async fn consent_can_be_denied_and_unknown_apps_get_an_oauth_error() {
    let s = setup().await;
    s.fake.inject(Fault::NextConsent { consent: caunoi_zalo::fake::Consent::Deny });
    let back = consent(&s.fake, APP_ID, "challenge", "st-3").await;
    assert_eq!(back.get("error").map(String::as_str), Some("access_denied"));
    assert_eq!(back.get("state").map(String::as_str), Some("st-3"));
    assert!(!back.contains_key("code"));
    let url = caunoi_zalo::consent::permission_url(&s.fake.endpoints().oauth_base, "999", "https://x.vn/cb", "c", "s");
    let body: serde_json::Value = reqwest::get(url).await.unwrap().json().await.unwrap();
    assert_eq!(body["error"], -14002);
}

#[tokio::test]
async fn oauth_errors_can_be_injected_into_the_exchange() {
    let s = setup().await;
    s.fake.inject(Fault::OauthError { code: -14003, message: "Invalid redirect uri".into(), count: 1 });
    let r = oauth(&s.fake).exchange_code("whatever", "v").await;
    assert!(matches!(r, Err(TokenError::RefreshRejected { code: -14003, .. })), "{r:?}");
}

#[tokio::test]
async fn oa_info_names_the_oa_of_the_token() {
    let s = setup_with(
        |c| c.apps[0] = c.apps[0].clone().with_name("Công an phường Thử"),
        i64::MAX,
        Duration::from_secs(10),
    )
    .await;
    let info = s.client.oa_info().await.unwrap();
    assert_eq!(info.oaid.as_deref(), Some(OA_ID));
    assert_eq!(info.name, "Công an phường Thử");
}

#[tokio::test]
async fn revoked_permission_kills_the_tokens_and_is_announced_by_webhook() {
    let mut s = setup().await;
    s.fake.revoke_permission(OA_ID).await.unwrap();
    let got = next_event(&mut s).await;
    assert!(got.verified.is_ok());
    assert_eq!(got.event.event_name, "permission_revoked");
    assert_eq!(got.event.oa_id().map(|o| o.to_string()).as_deref(), Some(OA_ID));
    let r = s.client.oa_info().await;
    assert!(matches!(r, Err(ApiError::Token(TokenError::RefreshRejected { .. }))), "{r:?}");
}

#[tokio::test]
async fn apps_can_be_added_to_a_running_fake() {
    let s = setup().await;
    s.fake.add_app(FakeApp::new("111222333", "second-secret", "444555666", "second-oa-secret"));
    let verifier = caunoi_zalo::consent::code_verifier(&[9; 32]);
    let back = consent(&s.fake, "111222333", &caunoi_zalo::consent::code_challenge(&verifier), "s").await;
    assert_eq!(back.get("oa_id").map(String::as_str), Some("444555666"));
}
