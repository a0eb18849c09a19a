//! The push worker: leases due rows of `push_outbox`, encrypts each for its browser, posts it to
//! the browser's push service and settles it — sent (2xx), the subscription removed (404/410:
//! the browser unsubscribed or the push service forgot it), back to the queue with exponential
//! backoff (429, 5xx, a timeout or network failure; `Retry-After` is honoured), or dead (any
//! other refusal, the attempts used up, or the alarm's TTL passed). Woken through
//! `app.push().wake()`, with a polling fallback; due times follow `app.clock`.
//!
//! The HTTP client only connects to public addresses (a name that resolves to a private one is
//! refused when connecting, not only when the subscription was stored), follows no redirects
//! and speaks TLS through rustls (reqwest), like every other outbound call of caunoi.

use super::crypto::{self, SubscriptionKeys, VapidKeys};
use super::store::{self, PushRow, Settlement, Target};
use super::subscription::{EndpointPolicy, endpoint_allowed, is_public_ip};
use crate::app::App;
use crate::outbox::backoff_micros;
use rand::Rng;
use reqwest::Url;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// How long a claimed row is ours before another worker may take it over.
pub const LEASE: Duration = Duration::from_secs(60);
/// Rows claimed at once; they are sent side by side.
pub const BATCH: i64 = 32;
/// How often the worker looks for due rows when nobody woke it.
pub const POLL: Duration = Duration::from_millis(1000);
/// Attempts before a message is given up.
pub const MAX_ATTEMPTS: i64 = 8;
/// The longest `Retry-After` honoured.
const MAX_RETRY_AFTER_SECS: i64 = 15 * 60;

/// The worker's loop (see the module docs).
pub async fn run(app: App) {
    tracing::debug!("push worker started");
    let mut rounds: u64 = 0;
    loop {
        rounds += 1;
        if rounds % 3600 == 1
            && let Err(e) = super::service::purge_settled(&app).await
        {
            tracing::warn!(error = %e, "push outbox purge failed");
        }
        match deliver_due(&app).await {
            Ok(n) if n > 0 => continue,
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "push delivery round failed"),
        }
        let sleep = match store::next_due(&app.db).await {
            Ok(Some(due)) => {
                let wait = (due - app.clock.now_micros()).max(0) as u64;
                Duration::from_micros(wait).min(POLL)
            }
            _ => POLL,
        };
        tokio::select! {
            _ = app.push().wake.notified() => {}
            _ = tokio::time::sleep(sleep) => {}
        }
    }
}

/// Claims one batch of due rows, sends them side by side and settles them in one transaction;
/// the number of rows claimed.
pub async fn deliver_due(app: &App) -> Result<usize, crate::error::ServiceError> {
    let now = app.clock.now_micros();
    let rows = store::claim(&app.db, now, now + LEASE.as_micros() as i64, BATCH).await?;
    if rows.is_empty() {
        return Ok(0);
    }
    let keys = super::service::vapid_keys(app).await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.subscription_id).collect();
    let targets: HashMap<i64, Target> = store::targets(&app.db, &ids).await?.into_iter().map(|t| (t.id, t)).collect();
    let sends = rows.iter().map(|row| {
        let target = targets.get(&row.subscription_id);
        let keys = &keys;
        async move {
            let outcome = match target {
                Some(target) => settlement(app, row, send(app, keys, row, target).await),
                // Removed since it was queued: the row went with it.
                None => Settlement::Gone,
            };
            (row, outcome)
        }
    });
    let outcomes = futures::future::join_all(sends).await;
    let now = app.clock.now_micros();
    let mut tx = app.db.begin().await?;
    for (row, outcome) in &outcomes {
        store::settle(&mut tx, row, outcome, now).await?;
    }
    tx.commit().await?;
    Ok(rows.len())
}

/// How one attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    Accepted,
    /// 404 or 410: the subscription is gone.
    Gone(u16),
    /// Worth trying again, not before `after` seconds when the service said so.
    Temporary {
        reason: String,
        after: Option<i64>,
    },
    /// Will not succeed.
    Refused(String),
}

/// The request for one row, as it leaves caunoi (headers and encrypted body).
pub struct PushRequest {
    pub url: Url,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

/// Builds the request of `row` to `target`: the payload encrypted for the browser, the VAPID
/// authorization that `authorize` gives for the endpoint's origin, `TTL` (what is left of the
/// alarm's), `Urgency: high` and `Topic`.
pub fn build_request(
    authorize: impl FnOnce(&str) -> String,
    policy: EndpointPolicy,
    row: &PushRow,
    target: &Target,
    now_micros: i64,
) -> Result<PushRequest, Attempt> {
    let url = Url::parse(&target.endpoint).map_err(|_| Attempt::Refused("invalid endpoint".into()))?;
    if !endpoint_allowed(&url, policy) {
        return Err(Attempt::Refused("endpoint not allowed".into()));
    }
    let sub = SubscriptionKeys::parse(&target.p256dh, &target.auth).map_err(|e| Attempt::Refused(e.to_string()))?;
    let body = crypto::encrypt(&sub, row.payload.as_bytes()).map_err(|e| Attempt::Refused(e.to_string()))?;
    let authorization = authorize(&url.origin().ascii_serialization());
    let age = (now_micros - row.created_at).max(0) / 1_000_000;
    let ttl = (row.ttl_secs - age).max(0);
    Ok(PushRequest {
        url,
        headers: vec![
            ("authorization", authorization),
            ("ttl", ttl.to_string()),
            ("urgency", "high".into()),
            ("topic", row.topic.clone()),
            ("content-encoding", "aes128gcm".into()),
            ("content-type", "application/octet-stream".into()),
        ],
        body,
    })
}

async fn send(app: &App, keys: &VapidKeys, row: &PushRow, target: &Target) -> Attempt {
    let now = app.clock.now_micros();
    if now > row.created_at + row.ttl_secs * 1_000_000 {
        return Attempt::Refused("expired: the alarm's TTL passed before it could be sent".into());
    }
    let rt = app.push();
    let authorize = |audience: &str| rt.authorization(keys, audience, now / 1_000_000);
    let request = match build_request(authorize, rt.policy, row, target, now) {
        Ok(r) => r,
        Err(attempt) => return attempt,
    };
    let mut builder = rt.http.post(request.url);
    for (name, value) in request.headers {
        builder = builder.header(name, value);
    }
    metrics::histogram!("caunoi_push_queue_seconds").record((now - row.created_at).max(0) as f64 / 1e6);
    match builder.body(request.body).send().await {
        Ok(resp) => classify(resp.status().as_u16(), retry_after(resp.headers())),
        Err(e) => Attempt::Temporary { reason: format!("network: {}", without_url(&e)), after: None },
    }
}

/// What the push service's answer means (RFC 8030 §5, §6, §8.3; RFC 8292 §4.2).
pub fn classify(status: u16, retry_after: Option<i64>) -> Attempt {
    match status {
        200..=299 => Attempt::Accepted,
        404 | 410 => Attempt::Gone(status),
        408 | 425 | 429 | 500..=599 => {
            Attempt::Temporary { reason: format!("push service answered {status}"), after: retry_after }
        }
        _ => Attempt::Refused(format!("push service answered {status}")),
    }
}

fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<i64> {
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<i64>().ok().map(|s| s.clamp(0, MAX_RETRY_AFTER_SECS))
}

/// A reqwest error without the URL (an endpoint is a capability for the officer's device).
fn without_url(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "cannot connect"
    } else {
        "request failed"
    };
    kind.to_string()
}

/// What an attempt means for its row.
fn settlement(app: &App, row: &PushRow, attempt: Attempt) -> Settlement {
    match attempt {
        Attempt::Accepted => {
            metrics::counter!("caunoi_push_sent_total").increment(1);
            Settlement::Sent
        }
        Attempt::Gone(status) => {
            tracing::info!(
                push_id = row.id,
                subscription = row.subscription_id,
                status,
                "push subscription is gone; removed"
            );
            metrics::counter!("caunoi_push_gone_total").increment(1);
            Settlement::Gone
        }
        Attempt::Temporary { reason, after } if row.attempts < MAX_ATTEMPTS => {
            let jitter: f64 = rand::rng().random();
            let backoff = backoff_micros(row.attempts, jitter);
            let delay = after.map(|s| s * 1_000_000).unwrap_or(0).max(backoff);
            tracing::info!(push_id = row.id, attempts = row.attempts, reason = %reason, "push will be retried");
            metrics::counter!("caunoi_push_retried_total").increment(1);
            Settlement::Retry { run_at: app.clock.now_micros() + delay, error: reason }
        }
        Attempt::Temporary { reason, .. } | Attempt::Refused(reason) => {
            tracing::warn!(push_id = row.id, attempts = row.attempts, reason = %reason, "push message given up");
            metrics::counter!("caunoi_push_dead_total").increment(1);
            Settlement::Dead { error: reason }
        }
    }
}

/// The client that reaches push services: connects only to addresses the policy allows (see
/// [`PolicyResolver`]), no redirects, a 15-second limit per request, https only in production.
pub fn http_client(policy: EndpointPolicy) -> reqwest::Client {
    reqwest::Client::builder()
        .dns_resolver(Arc::new(PolicyResolver { policy }))
        .redirect(reqwest::redirect::Policy::none())
        .https_only(policy == EndpointPolicy::PublicOnly)
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(15))
        .user_agent(concat!("caunoi/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_default()
}

/// Resolves a push service's name and keeps only the addresses the policy allows, so a name
/// that points (or is re-pointed) at an internal address is never connected to.
struct PolicyResolver {
    policy: EndpointPolicy,
}

impl reqwest::dns::Resolve for PolicyResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.policy;
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found = tokio::net::lookup_host((host.as_str(), 0)).await?;
            let allowed: Vec<SocketAddr> = found
                .filter(|a| is_public_ip(a.ip()) || (policy == EndpointPolicy::AllowLoopback && a.ip().is_loopback()))
                .collect();
            if allowed.is_empty() {
                return Err("the push service's name resolves to no public address".into());
            }
            Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_of_the_push_service_are_classified() {
        assert_eq!(classify(201, None), Attempt::Accepted);
        assert_eq!(classify(410, None), Attempt::Gone(410));
        assert_eq!(classify(404, None), Attempt::Gone(404));
        assert!(matches!(classify(429, Some(30)), Attempt::Temporary { after: Some(30), .. }));
        assert!(matches!(classify(503, None), Attempt::Temporary { .. }));
        assert!(matches!(classify(413, None), Attempt::Refused(_)));
        assert!(matches!(classify(403, None), Attempt::Refused(_)));
        assert!(matches!(classify(400, None), Attempt::Refused(_)));
    }
}
