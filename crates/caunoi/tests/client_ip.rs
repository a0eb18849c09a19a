//! The client address behind a reverse proxy: with `trusted_proxies` naming the proxy (the test
//! client connects from 127.0.0.1, as nginx on the same host would), citizens and officers
//! behind it are throttled each in their own bucket, by the address the proxy appended to
//! `X-Forwarded-For`; without the setting the header is ignored and everyone shares the
//! proxy's bucket. Runs on SQLite, and on PostgreSQL when `CAUNOI_TEST_DATABASE_URL` is set.

use caunoi_testkit::{DEMO_PASSWORD, Options, TestApp};
use reqwest::StatusCode;

const ALICE: &str = "203.0.113.7";
const BOB: &str = "198.51.100.9";
/// Failed sign-ins that lock an address (`ThrottlePolicy::PER_ADDRESS`).
const ADDRESS_FAILURES: usize = 20;
/// Chats one address may start per hour (`SESSIONS_PER_HOUR_PER_ADDRESS`).
const CHATS_PER_HOUR: usize = 30;

async fn behind_proxy(trusted_proxies: Option<&str>) -> TestApp {
    TestApp::spawn_with(Options {
        demo: true,
        trusted_proxies: trusted_proxies.map(str::to_string),
        ..Default::default()
    })
    .await
}

async fn sign_in(t: &TestApp, forwarded_for: &str, username: &str, password: &str) -> StatusCode {
    t.client()
        .post(t.url("/login"))
        .header("x-forwarded-for", forwarded_for)
        .form(&[("username", username), ("password", password), ("next", "/units")])
        .send()
        .await
        .expect("sign-in")
        .status()
}

/// Locks `forwarded_for`'s address with wrong passwords for unknown accounts (so no account
/// lock gets in the way).
async fn exhaust_sign_ins(t: &TestApp, forwarded_for: &str) {
    for i in 0..ADDRESS_FAILURES {
        let status = sign_in(t, forwarded_for, &format!("khong-ton-tai-{i}"), "sai-mat-khau").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "failure {i} is refused, not yet throttled");
    }
}

#[tokio::test]
async fn clients_behind_a_trusted_proxy_are_throttled_separately() {
    let t = behind_proxy(Some("127.0.0.1")).await;
    exhaust_sign_ins(&t, ALICE).await;
    assert_eq!(sign_in(&t, ALICE, "canbo.baichay", DEMO_PASSWORD).await, StatusCode::TOO_MANY_REQUESTS);
    // Writing another address on the left does not get Alice out of her bucket.
    let spoofed = format!("{BOB}, {ALICE}");
    assert_eq!(sign_in(&t, &spoofed, "canbo.baichay", DEMO_PASSWORD).await, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(sign_in(&t, BOB, "canbo.baichay", DEMO_PASSWORD).await, StatusCode::SEE_OTHER, "Bob is not locked");
}

#[tokio::test]
async fn without_trusted_proxies_the_forwarded_header_is_ignored() {
    let t = behind_proxy(None).await;
    exhaust_sign_ins(&t, ALICE).await;
    assert_eq!(
        sign_in(&t, BOB, "canbo.baichay", DEMO_PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS,
        "every request comes from 127.0.0.1: one bucket"
    );
}

async fn start_chat(t: &TestApp, forwarded_for: &str) -> StatusCode {
    t.client()
        .post(t.url("/u/qn-bai-chay/chat/session"))
        .header("x-forwarded-for", forwarded_for)
        .send()
        .await
        .expect("chat session")
        .status()
}

#[tokio::test]
async fn web_chat_limits_count_each_citizen_behind_a_trusted_proxy() {
    let t = behind_proxy(Some("127.0.0.0/8, ::1")).await;
    for i in 0..CHATS_PER_HOUR {
        assert_eq!(start_chat(&t, ALICE).await, StatusCode::OK, "chat {i}");
    }
    assert_eq!(start_chat(&t, ALICE).await, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(start_chat(&t, BOB).await, StatusCode::OK);
    assert_eq!(start_chat(&t, "not an address").await, StatusCode::OK, "malformed: the proxy's own bucket");
}
