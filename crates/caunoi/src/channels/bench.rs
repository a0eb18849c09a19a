//! `caunoi bench webhook`: a load generator for the Zalo webhook of a running caunoi. It sends
//! signed `user_send_text` events (distinct message ids, a pool of citizens, one text or the
//! texts of a question file in turn) at a fixed rate, records each acknowledgement's latency,
//! then watches the server's `/metrics` until every accepted event is fully processed (stored,
//! answered by the bot, outbox rows written; and the echo and receipt events the fake Zalo
//! sends back for delivered replies) and reports messages per second and ack latency p50/p99.
//!
//! The generator keeps its own cost low, since it shares the machine with the server in the
//! figures of BENCHMARKS.md: every event is built and signed before the clock starts, and the
//! events go over a fixed set of kept-alive HTTP/1.1 connections, each sending its share of the
//! schedule (an open schedule: an event is due at `start + i / rate` whatever happened to the
//! ones before it). Latency is reported from sending and from the schedule.

use crate::error::CliError;
use axum::body::Bytes;
use axum::http::HeaderValue;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use std::path::PathBuf;
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
    /// A question file (`kb/dev_questions.json`'s format): the events carry its texts in turn
    /// instead of `--text`.
    #[arg(long)]
    pub questions: Option<PathBuf>,
    /// Kept-alive connections the events are sent over (each sends its share of the schedule
    /// in order, at once when behind).
    #[arg(long, default_value_t = 128)]
    pub connections: u32,
    /// The fake Zalo the server sends through (`fake_zalo_url` in the demo's demo.json). Each
    /// citizen first writes once through it, so the fake knows they interacted and accepts
    /// the bot's replies (Zalo's reply window), which then come back as echo and receipt
    /// webhooks, as on the real platform. Without it every reply is refused with -230 and
    /// becomes a dead letter.
    #[arg(long)]
    pub fake_zalo_url: Option<String>,
}

/// The bench's citizen number `i` (of `users`).
pub fn bench_user(i: u64, users: u32) -> u64 {
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

/// One webhook delivery, signed and serialized before the clock starts, so the generator spends
/// its time sending, not building requests.
struct Prepared {
    body: Bytes,
    mac: HeaderValue,
}

/// What one delivery saw: the HTTP status (0 when the connection failed), the ack's latency
/// from the moment it was sent, and from the moment it was due by the schedule (which also
/// counts the time it waited for its connection, so a stalled server cannot hide behind a
/// few connections).
struct Sample {
    status: u16,
    ack: Duration,
    from_due: Duration,
}

/// The texts the events carry, in turn: `--questions FILE` (the knowledge base's question-set
/// format, `[{"text": …}, …]`) or `--text`.
fn bench_texts(a: &WebhookBenchArgs) -> Result<Vec<String>, CliError> {
    let Some(path) = &a.questions else { return Ok(vec![a.text.clone()]) };
    #[derive(serde::Deserialize)]
    struct Question {
        text: String,
    }
    let raw = std::fs::read_to_string(path).map_err(|e| err(format!("cannot read {}: {e}", path.display())))?;
    let questions: Vec<Question> =
        serde_json::from_str(&raw).map_err(|e| err(format!("{} is not a question file: {e}", path.display())))?;
    let texts: Vec<String> = questions.into_iter().map(|q| q.text).filter(|t| !t.trim().is_empty()).collect();
    if texts.is_empty() {
        return Err(err(format!("{} holds no question", path.display())));
    }
    Ok(texts)
}

/// Builds and signs every event of the run (event `i` from citizen `i % users`, with the
/// text `i % texts`).
fn prepare_events(a: &WebhookBenchArgs, texts: &[String], run_id: &str, total: u64) -> Result<Vec<Prepared>, CliError> {
    (0..total)
        .map(|i| {
            let timestamp = jiff::Timestamp::now().as_millisecond().to_string();
            let user = bench_user(i, a.users);
            let body = serde_json::json!({
                "app_id": a.app_id,
                "user_id_by_app": user.to_string(),
                "event_name": "user_send_text",
                "timestamp": timestamp,
                "sender": { "id": user.to_string() },
                "recipient": { "id": a.oa_id },
                "message": { "text": texts[(i % texts.len() as u64) as usize], "msg_id": format!("bench{run_id}{i:012}") },
            })
            .to_string();
            let mac = caunoi_zalo::signature::signature_header_value(&a.app_id, body.as_bytes(), &timestamp, &a.secret);
            Ok(Prepared { body: Bytes::from(body), mac: HeaderValue::from_str(&mac).map_err(err)? })
        })
        .collect()
}

/// Where the webhook is: the address to connect to and the request's path and `Host`.
struct Target {
    address: String,
    host: HeaderValue,
    path: String,
}

impl Target {
    fn new(base: &str, oa_id: &str) -> Result<Target, CliError> {
        let url = reqwest::Url::parse(base).map_err(|e| err(format!("--url {base:?} is not a URL: {e}")))?;
        if url.scheme() != "http" {
            return Err(err("the load generator speaks plain HTTP: give --url the instance's own http:// address"));
        }
        let host = url.host_str().ok_or_else(|| err(format!("--url {base:?} names no host")))?;
        let address = format!("{host}:{}", url.port_or_known_default().unwrap_or(80));
        Ok(Target {
            host: HeaderValue::from_str(&address).map_err(err)?,
            address,
            path: format!("{}/channels/zalo/{oa_id}/webhook", url.path().trim_end_matches('/')),
        })
    }

    /// A kept-alive HTTP/1.1 connection to the server.
    async fn connect(&self) -> Result<SendRequest<Full<Bytes>>, CliError> {
        let stream = tokio::net::TcpStream::connect(&self.address)
            .await
            .map_err(|e| err(format!("cannot connect to {}: {e}", self.address)))?;
        stream.set_nodelay(true).map_err(err)?;
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.map_err(err)?;
        tokio::spawn(connection);
        Ok(sender)
    }

    /// Sends one event and reads the whole answer; the status, or 0 when the connection failed.
    async fn send(&self, sender: &mut SendRequest<Full<Bytes>>, event: &Prepared) -> u16 {
        let request = hyper::Request::post(self.path.as_str())
            .header(hyper::header::HOST, self.host.clone())
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .header(caunoi_zalo::signature::SIGNATURE_HEADER, event.mac.clone())
            .body(Full::new(event.body.clone()));
        let Ok(request) = request else { return 0 };
        if sender.ready().await.is_err() {
            return 0;
        }
        match sender.send_request(request).await {
            Ok(response) => {
                let status = response.status().as_u16();
                match response.into_body().collect().await {
                    Ok(_) => status,
                    Err(_) => 0,
                }
            }
            Err(_) => 0,
        }
    }
}

/// One connection's share of the schedule: events `first`, `first + step`, … each sent when
/// due (at once when the connection is behind). A failed connection is opened again for the
/// next event.
async fn drive(
    target: Arc<Target>,
    mut sender: SendRequest<Full<Bytes>>,
    events: Arc<Vec<Prepared>>,
    first: usize,
    step: usize,
    start: Instant,
    rate: f64,
) -> Vec<Sample> {
    let mut samples = Vec::with_capacity(events.len() / step + 1);
    for i in (first..events.len()).step_by(step) {
        let due = start + Duration::from_secs_f64(i as f64 / rate);
        tokio::time::sleep_until(due.into()).await;
        let sent = Instant::now();
        let status = target.send(&mut sender, &events[i]).await;
        samples.push(Sample { status, ack: sent.elapsed(), from_due: due.elapsed() });
        if status == 0 {
            match target.connect().await {
                Ok(fresh) => sender = fresh,
                Err(_) => break,
            }
        }
    }
    samples
}

/// This process's CPU time (user + system), from `/proc/self/stat` (Linux; in USER_HZ = 100
/// ticks a second); `None` elsewhere.
fn own_cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after_name = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

/// Runs the load against a server and waits until it has processed everything.
pub async fn measure(a: WebhookBenchArgs) -> Result<Report, CliError> {
    let base = a.url.trim_end_matches('/').to_string();
    let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().map_err(err)?;
    let target = Arc::new(Target::new(&base, &a.oa_id)?);
    let texts = bench_texts(&a)?;
    if let Some(fake) = &a.fake_zalo_url {
        open_reply_windows(&http, &base, fake.trim_end_matches('/'), &a).await?;
    }
    let (accepted_before, before) = progress(&http, &base).await?;
    let delivered_before = delivered(&http, &base).await?;
    let total = u64::from(a.rate.max(1)) * a.duration;
    let run_id = crate::crypto::random_token().chars().filter(char::is_ascii_alphanumeric).take(8).collect::<String>();
    let events = Arc::new(prepare_events(&a, &texts, &run_id, total)?);
    let connections = (a.connections.max(1) as usize).min(events.len().max(1));
    let mut senders = Vec::with_capacity(connections);
    for _ in 0..connections {
        senders.push(target.connect().await?);
    }
    let cpu_before = own_cpu_time();
    let started = Instant::now();
    let rate = f64::from(a.rate.max(1));
    let tasks: Vec<_> = senders
        .into_iter()
        .enumerate()
        .map(|(c, sender)| tokio::spawn(drive(target.clone(), sender, events.clone(), c, connections, started, rate)))
        .collect();
    let mut samples = Vec::with_capacity(events.len());
    for t in tasks {
        samples.extend(t.await.map_err(err)?);
    }
    let sent_for = started.elapsed();
    let generator_cpu = own_cpu_time().zip(cpu_before).map(|(after, before)| after.saturating_sub(before));
    let ok = samples.iter().filter(|s| s.status == 200).count() as u64;
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
    let (sent, dead) = delivered(&http, &base).await?;
    let mut ack: Vec<Duration> = samples.iter().map(|s| s.ack).collect();
    let mut from_due: Vec<Duration> = samples.iter().map(|s| s.from_due).collect();
    ack.sort();
    from_due.sort();
    Ok(Report {
        events: samples.len() as u64,
        acknowledged: ok,
        sent_for,
        processed: done,
        drained: all_in,
        all_done,
        ack,
        from_due,
        generator_cpu,
        replies_sent: sent - delivered_before.0,
        dead_letters: dead - delivered_before.1,
    })
}

/// What a run measured.
pub struct Report {
    /// Events sent (all of the schedule, unless a connection could not be opened again), and
    /// how many were acknowledged with 200.
    pub events: u64,
    pub acknowledged: u64,
    /// How long sending took.
    pub sent_for: Duration,
    /// Inbound events the server processed during the run (the bench's, plus echoes and
    /// receipts with `--fake-zalo-url`), and whether that caught up with what it accepted.
    pub processed: f64,
    pub drained: bool,
    /// From the first event to the last one processed.
    pub all_done: Duration,
    /// Ack latencies from sending, and from the schedule, sorted.
    pub ack: Vec<Duration>,
    pub from_due: Vec<Duration>,
    /// The load generator's own CPU time while it sent.
    pub generator_cpu: Option<Duration>,
    /// Outbox rows sent and dead-lettered by the end.
    pub replies_sent: f64,
    pub dead_letters: f64,
}

impl Report {
    /// Bench messages processed end to end per second.
    pub fn throughput(&self) -> f64 {
        self.acknowledged as f64 / self.all_done.as_secs_f64().max(1e-9)
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// `caunoi bench webhook`: runs the load and prints what it measured.
pub async fn run_webhook_bench(a: WebhookBenchArgs) -> Result<(), CliError> {
    let r = measure(a).await?;
    println!(
        "events sent:        {} in {:.1} s ({} acknowledged 200)",
        r.events,
        r.sent_for.as_secs_f64(),
        r.acknowledged
    );
    println!(
        "fully processed:    {} in {:.1} s ({:.0} inbound events with echoes)",
        r.acknowledged,
        r.all_done.as_secs_f64(),
        r.processed
    );
    println!("throughput:         {:.0} messages/s processed end to end", r.throughput());
    for (name, latencies) in [("ack latency:       ", &r.ack), ("ack from schedule: ", &r.from_due)] {
        println!(
            "{name} p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            ms(percentile(latencies, 0.50)),
            ms(percentile(latencies, 0.99)),
            ms(latencies.last().copied().unwrap_or_default()),
        );
    }
    if let Some(cpu) = r.generator_cpu {
        println!(
            "generator CPU:      {:.2} s ({:.2} of a core while sending)",
            cpu.as_secs_f64(),
            cpu.as_secs_f64() / r.sent_for.as_secs_f64().max(1e-9)
        );
    }
    println!(
        "replies delivered:  {:.0} sent, {:.0} dead letters so far (the outbox keeps sending after the run)",
        r.replies_sent, r.dead_letters
    );
    if !r.drained {
        return Err(CliError::Message(format!(
            "the inbound queue was not drained within 5 minutes ({:.0} processed)",
            r.processed
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
