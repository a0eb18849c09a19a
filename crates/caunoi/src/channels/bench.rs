//! `caunoi bench webhook`: a load generator for the Zalo webhook of a running caunoi. It sends
//! signed `user_send_text` events (distinct message ids, a pool of citizens) at a fixed rate,
//! records each acknowledgement's latency, then watches the server's `/metrics` until every
//! accepted event is fully processed (stored, answered by the bot, outbox rows written; and the
//! echo and receipt events the fake Zalo sends back for delivered replies) and reports messages
//! per second and ack latency p50/p99.

use crate::cli::CliError;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(clap::Args, Debug, Clone)]
pub struct WebhookBenchArgs {
    /// Base URL of the running caunoi, e.g. http://127.0.0.1:8080.
    #[arg(long)]
    pub url: String,
    /// OA id bound to a unit on that caunoi.
    #[arg(long)]
    pub oa_id: String,
    /// App id of the OA.
    #[arg(long)]
    pub app_id: String,
    /// OA secret key (signs the events).
    #[arg(long)]
    pub secret: String,
    /// Events per second.
    #[arg(long, default_value_t = 200)]
    pub rate: u32,
    /// Seconds to send for.
    #[arg(long, default_value_t = 10)]
    pub duration: u64,
    /// Distinct citizens the events come from.
    #[arg(long, default_value_t = 500)]
    pub users: u32,
    /// Text of every event.
    #[arg(long, default_value = "lam cccd het bao nhieu tien")]
    pub text: String,
    /// The fake Zalo the server sends through (`fake_zalo_url` in the demo's demo.json). Each
    /// citizen first writes once through it, so the fake knows they interacted and accepts
    /// the bot's replies (Zalo's reply window), which then come back as echo and receipt
    /// webhooks, as on the real platform. Without it every reply is refused with -230 and
    /// becomes a dead letter.
    #[arg(long)]
    pub fake_zalo_url: Option<String>,
}

/// The bench's citizen number `i` (of `users`).
fn bench_user(i: u64, users: u32) -> u64 {
    7_712_390_045_000_000_000_u64 + i % u64::from(users.max(1))
}

fn err(e: impl std::fmt::Display) -> CliError {
    CliError::Message(e.to_string())
}

/// Reads a counter (summed over labels) from Prometheus text.
fn counter(text: &str, name: &str) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| l.split([' ', '{']).next() == Some(name))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// Inbound events (accepted, processed) so far. Accepted events include what the fake Zalo
/// sends back for each delivered reply (echo, receipt), so "every bench event processed" is
/// read as "processed caught up with accepted": the inbound queue is drained.
async fn progress(http: &reqwest::Client, base: &str) -> Result<(f64, f64), CliError> {
    counters(http, base, ["caunoi_webhook_accepted_total", "caunoi_inbound_processed_total"]).await
}

/// Outbox rows sent and dead-lettered so far.
async fn delivered(http: &reqwest::Client, base: &str) -> Result<(f64, f64), CliError> {
    counters(http, base, ["caunoi_outbox_sent_total", "caunoi_outbox_dead_total"]).await
}

/// Two counters read from the server's `/metrics`.
async fn counters(http: &reqwest::Client, base: &str, names: [&str; 2]) -> Result<(f64, f64), CliError> {
    let text = http.get(format!("{base}/metrics")).send().await.map_err(err)?.text().await.map_err(err)?;
    Ok((counter(&text, names[0]), counter(&text, names[1])))
}

/// Has every bench citizen write once through the fake Zalo (which then delivers the signed
/// webhook itself) and waits until the server has processed those events.
async fn open_reply_windows(
    http: &reqwest::Client,
    base: &str,
    fake: &str,
    a: &WebhookBenchArgs,
) -> Result<(), CliError> {
    let body = serde_json::json!({ "oa_id": a.oa_id, "text": "xin chào" });
    for i in 0..u64::from(a.users.max(1)) {
        let url = format!("{fake}/__fake/users/{}/send", bench_user(i, a.users));
        let r = http.post(url).json(&body).send().await.map_err(err)?;
        if !r.status().is_success() {
            return Err(CliError::Message(format!("the fake Zalo refused a warm-up message: {}", r.status())));
        }
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let (accepted, processed) = progress(http, base).await?;
        if processed >= accepted || Instant::now() > deadline {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

pub async fn run_webhook_bench(a: WebhookBenchArgs) -> Result<(), CliError> {
    let base = a.url.trim_end_matches('/').to_string();
    let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().map_err(err)?;
    let webhook = format!("{base}/channels/zalo/{}/webhook", a.oa_id);
    if let Some(fake) = &a.fake_zalo_url {
        open_reply_windows(&http, &base, fake.trim_end_matches('/'), &a).await?;
    }
    let (accepted_before, before) = progress(&http, &base).await?;
    let delivered_before = delivered(&http, &base).await?;
    let total = u64::from(a.rate.max(1)) * a.duration;
    let run_id = crate::crypto::random_token().chars().filter(char::is_ascii_alphanumeric).take(8).collect::<String>();
    let limit = Arc::new(tokio::sync::Semaphore::new(512));
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(a.rate.max(1))));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(total as usize);
    for i in 0..total {
        tick.tick().await;
        let permit = limit.clone().acquire_owned().await.map_err(err)?;
        let timestamp = jiff::Timestamp::now().as_millisecond().to_string();
        let user = bench_user(i, a.users);
        let body = serde_json::json!({
            "app_id": a.app_id,
            "user_id_by_app": user.to_string(),
            "event_name": "user_send_text",
            "timestamp": timestamp,
            "sender": { "id": user.to_string() },
            "recipient": { "id": a.oa_id },
            "message": { "text": a.text, "msg_id": format!("bench{run_id}{i:012}") },
        })
        .to_string();
        let mac = caunoi_zalo::signature::signature_header_value(&a.app_id, body.as_bytes(), &timestamp, &a.secret);
        let (http, url) = (http.clone(), webhook.clone());
        tasks.push(tokio::spawn(async move {
            let t = Instant::now();
            let r = http
                .post(url)
                .header("content-type", "application/json")
                .header(caunoi_zalo::signature::SIGNATURE_HEADER, mac)
                .body(body)
                .send()
                .await;
            drop(permit);
            (r.map(|r| r.status().as_u16()).unwrap_or(0), t.elapsed())
        }));
    }
    let mut latencies = Vec::with_capacity(tasks.len());
    let mut ok = 0u64;
    for t in tasks {
        if let Ok((status, latency)) = t.await {
            latencies.push(latency);
            if status == 200 {
                ok += 1;
            }
        }
    }
    let sent_for = started.elapsed();
    let deadline = Instant::now() + Duration::from_secs(300);
    let drained = |(accepted, processed): (f64, f64)| {
        let (accepted, done) = (accepted - accepted_before, processed - before);
        (done >= ok as f64 && done >= accepted, done)
    };
    let (mut all_in, mut done) = drained(progress(&http, &base).await?);
    while !all_in && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
        (all_in, done) = drained(progress(&http, &base).await?);
    }
    let all_done = started.elapsed();
    latencies.sort();
    println!("events sent:        {total} in {:.1} s ({} acknowledged 200)", sent_for.as_secs_f64(), ok);
    println!("fully processed:    {ok} in {:.1} s ({done:.0} inbound events with echoes)", all_done.as_secs_f64());
    println!("throughput:         {:.0} messages/s processed end to end", ok as f64 / all_done.as_secs_f64().max(1e-9));
    println!(
        "ack latency:        p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        percentile(&latencies, 0.50).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
    );
    let (sent, dead) = delivered(&http, &base).await?;
    println!(
        "replies delivered:  {:.0} sent, {:.0} dead letters so far (the outbox keeps sending after the run)",
        sent - delivered_before.0,
        dead - delivered_before.1
    );
    if !all_in {
        return Err(CliError::Message(format!(
            "the inbound queue was not drained within 5 minutes ({done:.0} processed)"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_are_summed_over_labels() {
        let text = "# TYPE x counter\nx{a=\"1\"} 2\nx{a=\"2\"} 3\nxy 7\nx 1\n";
        assert_eq!(counter(text, "x"), 6.0);
    }
}
