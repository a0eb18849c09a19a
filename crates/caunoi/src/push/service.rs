//! Web Push use cases: the instance's VAPID keys (made at first start, kept sealed in the
//! database), an officer's devices (subscribe, list, remove, send a test), and [`alarm`], the
//! door other features use to ring officers' devices.
//!
//! Invariants: an alarm is only ever queued (rows in `push_outbox`, in one transaction), never
//! sent on the caller's path; the worker (`push::delivery`) sends it. An officer reaches only
//! their own devices: every query of a device is filtered by its officer.

use super::crypto::{MAX_PLAINTEXT, VapidKeys};
use super::store::{self, DeviceRow, NewPush, NewSubscriptionRow};
use super::subscription::NewSubscription;
use super::{Alarm, AlarmPayload};
use crate::app::App;
use crate::db::{StoreError, Tx};
use crate::error::ServiceError;
use caunoi_core::input::{FieldErrors, InvalidInput};
use caunoi_core::staff::OfficerId;

/// How many devices one officer may have (a phone, a desktop or two, a tablet; a list of 20
/// means old ones were never removed).
pub const MAX_DEVICES: i64 = 20;

/// The instance's VAPID key pair: read from the database, or made and stored on first use
/// (`server::open` calls this at start). Cached in the push runtime afterwards.
pub async fn vapid_keys(app: &App) -> Result<VapidKeys, ServiceError> {
    if let Some(keys) = app.push().cached_keys() {
        return Ok(keys);
    }
    let keys = match load_keys(app).await? {
        Some(keys) => keys,
        None => {
            let fresh = VapidKeys::generate();
            let sealed = app.secrets.encrypt(&fresh.private_bytes());
            store::insert_vapid_keys(&app.db, &fresh.public_key_text(), &sealed, app.clock.now_micros()).await?;
            // Another instance may have stored its pair first: use whichever is in the database.
            load_keys(app).await?.ok_or(ServiceError::NotFound)?
        }
    };
    Ok(app.push().cache_keys(keys))
}

async fn load_keys(app: &App) -> Result<Option<VapidKeys>, ServiceError> {
    let Some((public, sealed)) = store::vapid_keys(&app.db).await? else { return Ok(None) };
    let bytes = app.secrets.decrypt(&sealed).map_err(|e| {
        tracing::error!(error = %e, "the VAPID private key does not decrypt");
        ServiceError::Store(StoreError::Conflict("VAPID key sealed with another instance key"))
    })?;
    let keys = VapidKeys::from_private_bytes(&bytes)
        .map_err(|_| ServiceError::Store(StoreError::Conflict("stored VAPID key is not a P-256 key")))?;
    if keys.public_key_text() != public {
        return Err(ServiceError::Store(StoreError::Conflict("stored VAPID public key does not match")));
    }
    Ok(Some(keys))
}

/// The public key browsers subscribe with (`applicationServerKey`), base64url.
pub async fn public_key(app: &App) -> Result<String, ServiceError> {
    Ok(vapid_keys(app).await?.public_key_text())
}

/// Stores a browser's subscription for the officer (the same endpoint again refreshes it) and
/// returns its id. Refused with a field error: a bad endpoint or key, or too many devices.
pub async fn subscribe(app: &App, officer: OfficerId, s: &NewSubscription) -> Result<i64, ServiceError> {
    let endpoint = s.endpoint.as_str();
    let mut tx = app.db.begin().await?;
    if store::count_other_devices(&mut tx, officer, endpoint).await? >= MAX_DEVICES {
        return Err(InvalidInput::new(
            "endpoint",
            format!("Bạn đã bật báo động trên {MAX_DEVICES} thiết bị. Hãy gỡ bớt thiết bị cũ rồi thử lại."),
            format!("Alarms are on for {MAX_DEVICES} devices already. Remove old devices and try again."),
        )
        .into());
    }
    let (p256dh, auth) = (s.keys.p256dh_text(), s.keys.auth_text());
    let row = NewSubscriptionRow {
        officer,
        endpoint,
        p256dh: &p256dh,
        auth: &auth,
        device: &s.device,
        now: app.clock.now_micros(),
    };
    let id = store::upsert_subscription(&mut tx, &row).await?;
    tx.commit().await?;
    tracing::info!(officer = officer.0, subscription = id, device = %s.device, "push subscription stored");
    Ok(id)
}

/// The officer's devices, newest first.
pub async fn devices(app: &App, officer: OfficerId) -> Result<Vec<DeviceRow>, ServiceError> {
    Ok(store::devices_of(&app.db, officer).await?)
}

/// Removes one of the officer's devices; another officer's device does not exist (404).
pub async fn remove_device(app: &App, officer: OfficerId, id: i64) -> Result<(), ServiceError> {
    if store::delete_device(&app.db, officer, id).await? { Ok(()) } else { Err(ServiceError::NotFound) }
}

/// Removes the officer's subscription with this endpoint (the browser turned alarms off);
/// nothing happens when there is none.
pub async fn remove_endpoint(app: &App, officer: OfficerId, endpoint: &str) -> Result<(), ServiceError> {
    store::delete_endpoint(&app.db, officer, endpoint).await?;
    Ok(())
}

/// Queues a test alarm ("Gửi thử") to one of the officer's own devices.
pub async fn send_test(
    app: &App,
    officer: OfficerId,
    id: i64,
    lang: caunoi_core::input::Lang,
) -> Result<(), ServiceError> {
    let t = crate::web::T::new(lang);
    let alarm = Alarm::new(
        t.tr("Thử báo động caunoi", "caunoi test alarm"),
        t.tr(
            "Thiết bị này sẽ nhận báo động khi có tin khẩn.",
            "This device will receive alarms when an urgent conversation arrives.",
        ),
        "/account/alarms",
        "caunoi-test",
    );
    let payload = payload_json(&alarm, app.clock.now_micros())?;
    let topic = alarm.topic();
    let mut tx = app.db.begin().await?;
    let subscription = store::own_subscription(&mut tx, officer, id).await?.ok_or(ServiceError::NotFound)?;
    let row = push_row(&alarm, &topic, subscription, &crate::crypto::random_token(), &payload, app.clock.now_micros());
    store::insert_pushes(&mut tx, std::slice::from_ref(&row)).await?;
    tx.commit().await?;
    app.push().wake();
    Ok(())
}

/// Rings `alarm` on every device of these officers (báo động): queues one push message per
/// device in one short transaction of its own, wakes the push worker and returns how many
/// devices it queued for (0 when none of them turned alarms on; disabled accounts are
/// skipped). Sending happens on the worker, never here: a slow or failing push service cannot
/// hold the caller up, and a crash after this returns loses nothing (the rows are committed;
/// the worker, or the next process, sends them).
///
/// Refused (`ServiceError::Invalid`) when the alarm is malformed: empty or overlong title,
/// a URL that is not a path on this site, a tag that is empty or longer than 64 characters,
/// or a payload that would not fit the 4 KB of a push message.
///
/// ```text
/// use caunoi::push::{self, Alarm};
/// let alarm = Alarm::new(
///     "Tin khẩn: cháy",
///     "Công an phường Bãi Cháy — có tin báo khẩn đang chờ",
///     format!("/inbox/{}", conversation.id),
///     format!("urgent-conversation-{}", conversation.id),
/// )
/// .once_per(format!("urgent:{}:{}", conversation.id, escalation_level));
/// push::service::alarm(&app, &on_duty_officers, &alarm).await?;
/// ```
pub async fn alarm(app: &App, officers: &[OfficerId], alarm: &Alarm) -> Result<usize, ServiceError> {
    let mut tx = app.db.begin().await?;
    let queued = enqueue_alarm(&mut tx, app, officers, alarm).await?;
    tx.commit().await?;
    if queued > 0 {
        app.push().wake();
    }
    Ok(queued)
}

/// Like [`alarm`], inside the caller's transaction, for a caller that wants the alarm to exist
/// exactly when its own change commits. The worker finds the rows within a second of the
/// commit; call `app.push().wake()` after committing to send them at once.
pub async fn enqueue_alarm(
    tx: &mut Tx,
    app: &App,
    officers: &[OfficerId],
    alarm: &Alarm,
) -> Result<usize, ServiceError> {
    let now = app.clock.now_micros();
    let payload = payload_json(alarm, now)?;
    if officers.is_empty() {
        return Ok(0);
    }
    let subscriptions = store::subscription_ids_of(tx, officers).await?;
    let call = match &alarm.once_key {
        Some(key) => key.clone(),
        None => crate::crypto::random_token(),
    };
    let topic = alarm.topic();
    let rows: Vec<NewPush<'_>> =
        subscriptions.iter().map(|s| push_row(alarm, &topic, *s, &call, &payload, now)).collect();
    let queued = store::insert_pushes(tx, &rows).await?;
    metrics::counter!("caunoi_push_queued_total").increment(queued as u64);
    Ok(queued)
}

fn push_row<'a>(
    alarm: &Alarm,
    topic: &'a str,
    subscription: i64,
    call: &str,
    payload: &'a str,
    now: i64,
) -> NewPush<'a> {
    NewPush {
        subscription_id: subscription,
        idempotency_key: format!("{call}:{subscription}"),
        payload,
        topic,
        ttl_secs: alarm.ttl.as_secs() as i64,
        now,
    }
}

/// Checks an alarm and renders the JSON the service worker reads.
fn payload_json(alarm: &Alarm, now: i64) -> Result<String, ServiceError> {
    let mut errors = FieldErrors::default();
    let title_chars = alarm.title.trim().chars().count();
    if title_chars == 0 || title_chars > 120 {
        errors.push(InvalidInput::new(
            "title",
            "Tiêu đề báo động phải có từ 1 đến 120 ký tự.",
            "An alarm's title must have 1 to 120 characters.",
        ));
    }
    if alarm.body.chars().count() > 1000 {
        errors.push(InvalidInput::new(
            "body",
            "Nội dung báo động tối đa 1.000 ký tự.",
            "An alarm's text has at most 1,000 characters.",
        ));
    }
    if crate::web::auth::local_path(&alarm.url).is_none() || alarm.url.len() > 1000 {
        errors.push(InvalidInput::new(
            "url",
            "Đường dẫn của báo động phải là một trang của caunoi (bắt đầu bằng /).",
            "An alarm's link must be a caunoi page (starting with /).",
        ));
    }
    if alarm.tag.is_empty() || alarm.tag.chars().count() > 64 {
        errors.push(InvalidInput::new(
            "tag",
            "Nhãn báo động phải có từ 1 đến 64 ký tự.",
            "An alarm's tag must have 1 to 64 characters.",
        ));
    }
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let payload = AlarmPayload {
        title: alarm.title.trim(),
        body: alarm.body.trim(),
        url: &alarm.url,
        tag: &alarm.tag,
        at: now / 1000,
    };
    let json = serde_json::to_string(&payload).unwrap_or_default();
    if json.len() > MAX_PLAINTEXT {
        return Err(InvalidInput::new(
            "body",
            format!("Báo động quá dài: {} byte, tối đa {MAX_PLAINTEXT} byte (4 KB cho một thông báo đẩy).", json.len()),
            format!("The alarm is too long: {} bytes, at most {MAX_PLAINTEXT} (4 KB per push message).", json.len()),
        )
        .into());
    }
    Ok(json)
}

/// Deletes sent and dead push messages older than a week.
pub async fn purge_settled(app: &App) -> Result<u64, ServiceError> {
    let week = 7 * 24 * 3600 * 1_000_000;
    Ok(store::purge_settled(&app.db, app.clock.now_micros() - week).await?)
}
