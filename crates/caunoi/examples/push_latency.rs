//! How long an alarm takes from `push::service::alarm(...)` to its request reaching a push
//! service on 127.0.0.1 (which is when it left caunoi, plus a loopback hop): the time the
//! caller waits (the queue's commit) and the time to the wire (worker wake-up, claim,
//! encryption, VAPID signature, HTTP). A figure for BENCHMARKS.md, never asserted.
//!
//! ```text
//! cargo run --release -p caunoi --example push_latency [-- ROUNDS DEVICES]
//! CAUNOI_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo run --release -p caunoi --example push_latency
//! ```

use caunoi::push::Alarm;
use caunoi_core::staff::OfficerId;
use caunoi_testkit::push::TestPushService;
use caunoi_testkit::{Options, TestApp, eventually};
use std::time::{Duration, Instant};

#[tokio::main]
async fn main() {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let rounds = args.first().copied().unwrap_or(200);
    let devices = args.get(1).copied().unwrap_or(1);
    let t = TestApp::spawn_with(Options { demo: true, push_test_endpoints: true, ..Default::default() }).await;
    let push = TestPushService::start().await;
    let c = t.login("trucban.baichay").await;
    for _ in 0..devices {
        let r = c
            .post(t.url("/push/subscriptions"))
            .header("content-type", "application/json")
            .body(push.subscribe().json().to_string())
            .send()
            .await
            .expect("subscribe");
        assert_eq!(r.status().as_u16(), 201);
    }
    let db = &t.app.db;
    let officer = OfficerId(
        caunoi::db_read!(db, pool => sqlx::query_scalar("SELECT id FROM officers WHERE username = 'trucban.baichay'")
            .fetch_one(pool)
            .await)
        .expect("officer"),
    );
    let alarm = Alarm::new("Tin khẩn: cháy", "Công an phường Bãi Cháy — tin báo khẩn đang chờ", "/inbox/1", "urgent-1");
    let mut call = Vec::with_capacity(rounds);
    let mut wire = Vec::with_capacity(rounds * devices);
    for round in 0..rounds {
        let before = push.received().len();
        let started_at = jiff::Timestamp::now().as_microsecond();
        let started = Instant::now();
        caunoi::push::service::alarm(&t.app, &[officer], &alarm).await.expect("alarm");
        call.push(started.elapsed().as_secs_f64() * 1e3);
        let received = eventually("the round's messages", Duration::from_secs(30), || {
            let r = push.received();
            async move { (r.len() >= before + devices).then_some(r) }
        })
        .await;
        wire.extend(received[before..].iter().map(|m| (m.at_micros - started_at) as f64 / 1e3));
        if round % 50 == 49 {
            eprintln!("{} rounds", round + 1);
        }
    }
    assert!(push.rejected().is_empty(), "{:?}", push.rejected());
    println!("engine {:?}, {rounds} alarms to {devices} device(s) each", caunoi_testkit::engine());
    report("alarm() returns (queued, committed)", &mut call);
    report("alarm() -> request at the push service", &mut wire);
}

fn report(what: &str, ms: &mut [f64]) {
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| ms[((ms.len() - 1) as f64 * q).round() as usize];
    println!("{what}: p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, max {:.2} ms", at(0.5), at(0.95), at(0.99), at(1.0));
}
