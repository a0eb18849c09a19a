//! Golden vectors for the webhook MAC (zalo-oa.md §3.5). Every expected hex value below was
//! computed outside Rust with `printf '%s%s%s%s' APP_ID BODY TIMESTAMP SECRET | sha256sum`.

use caunoi_zalo::signature::{
    self, HexCase, MacFirstTerm, MacPrefix, MacSecret, MacVariant, SignatureConfig, SignatureError, SignedRequest,
    TimestampSource, VerifyMode, WebhookCredentials,
};
use caunoi_zalo::{AppId, OaId, Secret};

const BODY: &str = r#"{"app_id":"1434927390812345678","user_id_by_app":"5587713006543219870","event_name":"user_send_text","timestamp":"1763802000123","sender":{"id":"7712390045123987654"},"recipient":{"id":"2960384411273650001"},"message":{"text":"Cho tôi hỏi thủ tục đăng ký tạm trú","msg_id":"a1b2c3d4e5f60718293a"}}"#;
/// app_id + BODY + timestamp + OA secret `TestOaSecretKey123` (the doc's vector).
const MAC_OA_SECRET: &str = "81c54a8fddd2f227939a123573dac12dbc36c9de7f2eae5da507e9662f65b3ac";
/// app_id + BODY + timestamp + App secret `TestAppSecret456`.
const MAC_APP_SECRET: &str = "93f36192670ca084ecb35517d16081252f97b2586be23f3299718492e4f995c8";
/// oa_id + BODY + timestamp + OA secret.
const MAC_OA_ID_FIRST: &str = "4a6801fdb2cdf01b59b2858cf176d65a32a481f10e595be480d5bc5e8044afcf";

fn credentials() -> WebhookCredentials {
    WebhookCredentials {
        app_id: AppId::new("1434927390812345678"),
        oa_id: OaId::new("2960384411273650001"),
        oa_secret_key: Secret::new("TestOaSecretKey123"),
        app_secret: Some(Secret::new("TestAppSecret456")),
    }
}

fn request<'a>(body: &'a str, header: &'a str) -> SignedRequest<'a> {
    SignedRequest { raw_body: body.as_bytes(), signature: Some(header), timestamp_header: None }
}

fn verify(config: SignatureConfig, body: &str, header: &str) -> Result<MacVariant, SignatureError> {
    signature::verify(&config, &credentials(), &request(body, header))
}

#[test]
fn doc_vector_body_is_310_bytes() {
    assert_eq!(BODY.len(), 310);
}

#[test]
fn documented_vector_is_accepted() {
    let header = format!("mac={MAC_OA_SECRET}");
    assert_eq!(verify(SignatureConfig::default(), BODY, &header), Ok(MacVariant::default()));
}

#[test]
fn header_value_matches_the_documented_vector() {
    let header = signature::signature_header_value(
        "1434927390812345678",
        BODY.as_bytes(),
        "1763802000123",
        "TestOaSecretKey123",
    );
    assert_eq!(header, format!("mac={MAC_OA_SECRET}"));
}

#[test]
fn tampered_body_is_rejected() {
    let tampered = BODY.replace("tạm trú", "thường trú");
    let header = format!("mac={MAC_OA_SECRET}");
    assert_eq!(verify(SignatureConfig::default(), &tampered, &header), Err(SignatureError::Mismatch));
}

#[test]
fn reserialized_body_is_rejected() {
    // Re-serializing (sorted keys) changes the bytes; the MAC is over the raw body.
    let value: serde_json::Value = serde_json::from_str(BODY).unwrap();
    let reserialized = serde_json::to_string(&value).unwrap();
    assert_ne!(reserialized, BODY);
    let header = format!("mac={MAC_OA_SECRET}");
    assert_eq!(verify(SignatureConfig::default(), &reserialized, &header), Err(SignatureError::Mismatch));
}

#[test]
fn wrong_secret_is_rejected() {
    let mut creds = credentials();
    creds.oa_secret_key = Secret::new("TestOaSecretKey124");
    let header = format!("mac={MAC_OA_SECRET}");
    let result = signature::verify(&SignatureConfig::default(), &creds, &request(BODY, &header));
    assert_eq!(result, Err(SignatureError::Mismatch));
}

#[test]
fn wrong_timestamp_is_rejected() {
    let body = BODY.replace("\"timestamp\":\"1763802000123\"", "\"timestamp\":\"1763802000124\"");
    let header = format!("mac={MAC_OA_SECRET}");
    assert_eq!(verify(SignatureConfig::default(), &body, &header), Err(SignatureError::Mismatch));
}

#[test]
fn timestamp_header_variant_uses_the_header_value() {
    let config = SignatureConfig { timestamp: TimestampSource::Header, ..SignatureConfig::default() };
    let header = format!("mac={MAC_OA_SECRET}");
    let mut req = request(BODY, &header);
    assert_eq!(signature::verify(&config, &credentials(), &req), Err(SignatureError::MissingTimestampHeader));
    req.timestamp_header = Some("1763802000123");
    assert!(signature::verify(&config, &credentials(), &req).is_ok());
    req.timestamp_header = Some("1763802000999");
    assert_eq!(signature::verify(&config, &credentials(), &req), Err(SignatureError::Mismatch));
}

#[test]
fn webhook_of_another_app_is_rejected() {
    let mut creds = credentials();
    creds.app_id = AppId::new("9999999999999999999");
    let header = format!("mac={MAC_OA_SECRET}");
    let result = signature::verify(&SignatureConfig::default(), &creds, &request(BODY, &header));
    assert_eq!(result, Err(SignatureError::AppMismatch));
}

#[test]
fn webhook_signed_for_another_oa_of_the_same_app_is_rejected() {
    let other_oa = WebhookCredentials {
        oa_id: OaId::new("2960384411273650002"),
        oa_secret_key: Secret::new("OtherOaSecret"),
        ..credentials()
    };
    let header = format!("mac={MAC_OA_SECRET}");
    let result = signature::verify(&SignatureConfig::default(), &other_oa, &request(BODY, &header));
    assert_eq!(result, Err(SignatureError::Mismatch));
}

#[test]
fn app_secret_variant_is_accepted_only_when_configured() {
    let header = format!("mac={MAC_APP_SECRET}");
    assert_eq!(verify(SignatureConfig::default(), BODY, &header), Err(SignatureError::Mismatch));
    let variant = MacVariant { first_term: MacFirstTerm::AppId, secret: MacSecret::AppSecret };
    let config = SignatureConfig { variant, ..SignatureConfig::default() };
    assert_eq!(verify(config, BODY, &header), Ok(variant));
}

#[test]
fn diagnostic_mode_reports_which_variant_matched() {
    let config = SignatureConfig { mode: VerifyMode::Diagnostic, ..SignatureConfig::default() };
    let app_secret = verify(config, BODY, &format!("mac={MAC_APP_SECRET}")).unwrap();
    assert_eq!(app_secret.secret, MacSecret::AppSecret);
    let oa_first = verify(config, BODY, &format!("mac={MAC_OA_ID_FIRST}")).unwrap();
    assert_eq!(oa_first.first_term, MacFirstTerm::OaId);
    assert_eq!(verify(config, BODY, &format!("mac={}", "0".repeat(64))), Err(SignatureError::Mismatch));
}

#[test]
fn upper_case_hex_follows_the_case_policy() {
    let header = format!("mac={}", MAC_OA_SECRET.to_ascii_uppercase());
    assert!(verify(SignatureConfig::default(), BODY, &header).is_ok());
    let lower_only = SignatureConfig { hex_case: HexCase::Lower, ..SignatureConfig::default() };
    assert_eq!(verify(lower_only, BODY, &header), Err(SignatureError::MalformedSignature));
}

#[test]
fn missing_prefix_follows_the_prefix_policy() {
    assert!(verify(SignatureConfig::default(), BODY, MAC_OA_SECRET).is_ok());
    let required = SignatureConfig { prefix: MacPrefix::Required, ..SignatureConfig::default() };
    assert_eq!(verify(required, BODY, MAC_OA_SECRET), Err(SignatureError::MalformedSignature));
}

#[test]
fn missing_or_garbled_header_is_rejected() {
    let req = SignedRequest { raw_body: BODY.as_bytes(), signature: None, timestamp_header: None };
    assert_eq!(
        signature::verify(&SignatureConfig::default(), &credentials(), &req),
        Err(SignatureError::MissingSignature)
    );
    assert_eq!(verify(SignatureConfig::default(), BODY, "mac=xyz"), Err(SignatureError::MalformedSignature));
    assert_eq!(
        verify(SignatureConfig::default(), BODY, &format!("mac={}", "g".repeat(64))),
        Err(SignatureError::MalformedSignature)
    );
}

#[test]
fn body_without_app_id_or_timestamp_is_rejected() {
    let header = format!("mac={MAC_OA_SECRET}");
    assert_eq!(
        verify(SignatureConfig::default(), "not json", &header),
        Err(SignatureError::MissingBodyField("app_id"))
    );
    assert_eq!(
        verify(SignatureConfig::default(), r#"{"app_id":"1434927390812345678"}"#, &header),
        Err(SignatureError::MissingBodyField("timestamp"))
    );
}

#[test]
fn empty_object_is_the_registration_probe() {
    assert!(signature::is_registration_probe(b"{}"));
    assert!(signature::is_registration_probe(b" { } "));
    assert!(!signature::is_registration_probe(BODY.as_bytes()));
    assert!(!signature::is_registration_probe(b""));
}

#[test]
fn appsecret_proof_matches_the_documented_vector() {
    // §2.4; also checked with `openssl dgst -sha256 -hmac FakeAppSecretXYZ`.
    assert_eq!(
        caunoi_zalo::client::appsecret_proof("FakeAppSecretXYZ", "FAKE_ACCESS_TOKEN_abc123"),
        "f05051ab1b011098d8f74daa0f0be3f2dda46d85c9cdf94ee77cfcb427f32577"
    );
}
