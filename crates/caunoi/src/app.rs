//! The application: the database, configuration, instance secrets, clock and metrics that every
//! service shares, and the feature runtimes (caches, wake-up signals, clients) registered by type
//! when the app is assembled (`server::assemble`). This module knows no feature: a feature
//! reaches its runtime through an accessor it defines itself (`app.kb()`, `app.channels()`).
//! Cheap to clone; built once by `serve`/`demo` and by the testkit.

use crate::config::Config;
use crate::crypto::SecretBox;
use crate::db::Db;
use metrics_exporter_prometheus::PrometheusHandle;
use std::any::{Any, TypeId};
use std::collections::HashMap;
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
    runtimes: Runtimes,
}

/// Feature runtimes by type, one of each.
#[derive(Default)]
pub struct Runtimes(HashMap<TypeId, Box<dyn Any + Send + Sync>>);

impl Runtimes {
    /// Registers `value` as the runtime of its type (replacing any earlier one).
    pub fn with<T: Any + Send + Sync>(mut self, value: T) -> Runtimes {
        self.0.insert(TypeId::of::<T>(), Box::new(value));
        self
    }

    fn get<T: Any + Send + Sync>(&self) -> Option<&T> {
        self.0.get(&TypeId::of::<T>())?.downcast_ref()
    }
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
    pub fn new(db: Db, config: Config, runtimes: Runtimes) -> App {
        let secrets = SecretBox::new(config.secret_key);
        App(Arc::new(AppInner { db, config, secrets, clock: Clock::default(), metrics: metrics_handle(), runtimes }))
    }

    /// The registered runtime of type `T`. Every runtime is registered by `server::assemble`,
    /// which every way of starting caunoi (and the testkit) goes through; a missing one is a
    /// mistake in that function, found by the first test that boots the app, never by input.
    pub fn runtime<T: Any + Send + Sync>(&self) -> &T {
        match self.runtimes.get::<T>() {
            Some(runtime) => runtime,
            None => panic!("the runtime {} is not registered (server::assemble)", std::any::type_name::<T>()),
        }
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
