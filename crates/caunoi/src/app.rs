//! The application: the database, configuration, instance secrets and clock that every service
//! shares. Cheap to clone; built once by `serve`/`demo` and by the testkit.

use crate::config::Config;
use crate::crypto::SecretBox;
use crate::db::Db;
use metrics_exporter_prometheus::PrometheusHandle;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, OnceLock};

/// The source of "now". Production reads the system clock; tests may shift it forward to cross
/// a timeout without sleeping.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset_micros: Arc<AtomicI64>,
}

impl Clock {
    /// Microseconds since the Unix epoch (UTC).
    pub fn now_micros(&self) -> i64 {
        jiff::Timestamp::now().as_microsecond() + self.offset_micros.load(Ordering::Relaxed)
    }

    pub fn now(&self) -> jiff::Timestamp {
        jiff::Timestamp::from_microsecond(self.now_micros()).unwrap_or_else(|_| jiff::Timestamp::now())
    }

    /// Moves this clock forward (tests).
    pub fn advance(&self, seconds: i64) {
        self.offset_micros.fetch_add(seconds * 1_000_000, Ordering::Relaxed);
    }
}

/// Vietnam's time zone; every date and time shown to people is in it.
pub fn vietnam_tz() -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap_or_else(|_| jiff::tz::TimeZone::fixed(jiff::tz::offset(7)))
}

/// Formats stored microseconds as local Vietnamese date and time: `22/11/2026 15:04`.
pub fn format_local(micros: i64) -> String {
    match jiff::Timestamp::from_microsecond(micros) {
        Ok(ts) => ts.to_zoned(vietnam_tz()).strftime("%d/%m/%Y %H:%M").to_string(),
        Err(_) => String::new(),
    }
}

pub struct AppInner {
    pub db: Db,
    pub config: Config,
    pub secrets: SecretBox,
    pub clock: Clock,
    pub metrics: PrometheusHandle,
    /// The live knowledge base; call `kb.reload` after opening the database.
    pub kb: crate::kb::live::KbLive,
    /// Units' bot settings in memory; call `bot_settings.reload` after opening the database.
    pub bot_settings: crate::units::bot_settings::BotSettingsLive,
    /// Channel runtime: worker wake-ups and Zalo clients.
    pub channels: crate::channels::Channels,
}

/// Shared application state.
#[derive(Clone)]
pub struct App(pub Arc<AppInner>);

impl std::ops::Deref for App {
    type Target = AppInner;
    fn deref(&self) -> &AppInner {
        &self.0
    }
}

impl App {
    pub fn new(db: Db, config: Config) -> App {
        let secrets = SecretBox::new(config.secret_key);
        let channels = crate::channels::Channels::new(&config);
        App(Arc::new(AppInner {
            db,
            config,
            secrets,
            clock: Clock::default(),
            metrics: metrics_handle(),
            kb: crate::kb::live::KbLive::default(),
            bot_settings: Default::default(),
            channels,
        }))
    }
}

/// The process-wide Prometheus recorder, installed once.
fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            // Fails only if another recorder was installed first; then ours simply stays unused.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}
