//! From an acknowledged Zalo webhook carrying a fire report to the duty officer's console alert
//! (issue 20: p99 ≤ 2 s at 100 concurrent reports). The demo data with the fake Zalo: N citizens
//! (100 by default) each send "nhà tôi bị cháy, cứu với" to the Bãi Cháy OA at once, through
//! the fake's signed webhooks; the duty officer of Bãi Cháy has the console's live stream open
//! (`/inbox/events`, what `alarm.js` rings from) and one device subscribed at a test push
//! service on 127.0.0.1. For each report, from the moment its webhook was acknowledged (the
//! fake got caunoi's 200): until its alarm was raised (the turn's `raised_at`), until the live
//! stream's alarm count included it (ranked by `raised_at`), and until its push alarm reached
//! the push service. A figure for BENCHMARKS.md, never asserted.
//!
//! ```text
//! cargo run --release -p caunoi --features caunoi-zalo/fake --example alarm_latency [-- REPORTS]
//! CAUNOI_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo run --release -p caunoi --features caunoi-zalo/fake --example alarm_latency
//! ```

use caunoi::demo::DEMO_OAS;
use caunoi_testkit::push::TestPushService;
use caunoi_testkit::{Options, TestApp, eventually};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const FIRE: &str = "nhà tôi bị cháy, cứu với";
const DUTY: &str = "trucban.baichay";

fn now_micros() -> i64 {
    jiff::Timestamp::now().as_microsecond()
}

fn summary(name: &str, mut ms: Vec<f64>) {
    ms.sort_by(f64::total_cmp);
    let at = |p: f64| ms[((ms.len() as f64 - 1.0) * p).round() as usize];
    println!(
        "{name:<40} n={:<4} p50 {:>7.1} ms  p95 {:>7.1} ms  p99 {:>7.1} ms  max {:>7.1} ms",
        ms.len(),
        at(0.5),
        at(0.95),
        at(0.99),
        ms[ms.len() - 1]
    );
}

/// The live stream's events as they arrive: (arrival, alarm count).
type Seen = Arc<Mutex<Vec<(i64, i64)>>>;

async fn watch_console(t: &TestApp, seen: Seen) {
    let c = t.login(DUTY).await;
    let mut r = c.get(t.url("/inbox/events")).send().await.expect("live stream");
    assert_eq!(r.status().as_u16(), 200);
    tokio::spawn(async move {
        let mut buf = String::new();
        while let Ok(Some(chunk)) = r.chunk().await {
            let at = now_micros();
            buf.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buf.find("\n\n") {
                let event: String = buf.drain(..end + 2).collect();
                for line in event.lines().filter_map(|l| l.strip_prefix("data:")) {
                    if let Ok(v) = serde_json::from_str::<serde_json::Value>(line.trim()) {
                        let count = v["alarm"]["count"].as_i64().unwrap_or(0);
                        seen.lock().unwrap().push((at, count));
                    }
                }
            }
        }
    });
}

#[tokio::main]
async fn main() {
    let reports: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(100);
    let t =
        TestApp::spawn_with(Options { demo: true, zalo: true, push_test_endpoints: true, ..Default::default() }).await;
    let push = TestPushService::start().await;
    t.enable_push(&push, DUTY).await;
    let seen: Seen = Arc::default();
    watch_console(&t, seen.clone()).await;
    let baseline = eventually("the stream's ready event", Duration::from_secs(10), || {
        let first = seen.lock().unwrap().first().map(|(_, n)| *n);
        async move { first }
    })
    .await;

    let oa = DEMO_OAS.iter().find(|o| o.unit == "qn-bai-chay").expect("the Bãi Cháy OA");
    let zalo = t.zalo.as_ref().expect("fake zalo");
    let users: Vec<String> = (0..reports).map(|i| format!("77123900459{i:08}")).collect();
    let acked: Vec<i64> = futures::future::join_all(users.iter().map(|u| async move {
        let d = zalo.user_sends_text(oa.oa_id, u, FIRE).await.expect("webhook");
        assert_eq!(d.statuses.first().copied().flatten(), Some(200), "acknowledged");
        now_micros()
    }))
    .await;

    // Every report's conversation, its alarm's raise and its push.
    let db = &t.app.db;
    let mut conversations = Vec::with_capacity(reports);
    for u in &users {
        let id = eventually("the report's conversation", Duration::from_secs(120), || async move {
            caunoi::conversations::store::open_conversation_of(db, "zalo", oa.oa_id, u)
                .await
                .ok()
                .flatten()
                .map(|c| c.id.0)
        })
        .await;
        conversations.push(id);
    }
    let mut raised = Vec::with_capacity(reports);
    for &id in &conversations {
        let at: i64 = eventually("the alarm", Duration::from_secs(120), || async move {
            caunoi::db_read!(db, pool => sqlx::query_scalar("SELECT raised_at FROM conversation_alarms WHERE conversation_id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await)
            .ok()
            .flatten()
        })
        .await;
        raised.push(at);
    }
    let pushed = eventually("every push alarm", Duration::from_secs(120), || {
        let r = push.received();
        let want: Vec<String> = conversations.iter().map(|id| format!("/inbox/{id}")).collect();
        async move {
            let found: Vec<i64> = want
                .iter()
                .filter_map(|url| r.iter().find(|m| m.json()["url"] == url.as_str()).map(|m| m.at_micros))
                .collect();
            (found.len() == want.len()).then_some(found)
        }
    })
    .await;
    eventually("the console counts every alarm", Duration::from_secs(120), || {
        let last = seen.lock().unwrap().last().map(|(_, n)| *n).unwrap_or(0);
        async move { (last - baseline >= reports as i64).then_some(()) }
    })
    .await;

    // The console: a report is visible at the first event whose count includes it, reports
    // ranked by when their alarm was raised.
    let events = seen.lock().unwrap().clone();
    let mut order: Vec<usize> = (0..reports).collect();
    order.sort_by_key(|&i| raised[i]);
    let mut console = vec![0i64; reports];
    for (rank, &i) in order.iter().enumerate() {
        let at = events.iter().find(|(_, n)| n - baseline > rank as i64).map(|(at, _)| *at).expect("seen");
        console[i] = at;
    }
    let ms = |to: &[i64]| to.iter().zip(&acked).map(|(to, ack)| (to - ack) as f64 / 1e3).collect::<Vec<f64>>();
    println!(
        "{reports} concurrent fire reports through the fake Zalo's signed webhooks ({:?})",
        caunoi_testkit::engine()
    );
    summary("ack → alarm raised (turn's clock)", ms(&raised));
    summary("ack → duty officer's live stream", ms(&console));
    summary("ack → push at the push service", ms(&pushed));
}
