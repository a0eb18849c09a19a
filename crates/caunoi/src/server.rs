//! Running the server: logging, the listener, background housekeeping and graceful shutdown
//! (SIGINT/SIGTERM stop accepting, let requests in flight finish, then close the database).

use crate::app::App;
use crate::error::CliError;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;

/// Builds the application with every feature's runtime registered: the live knowledge base,
/// the units' bot settings and routing index, the channels' runtime (worker wake-ups, Zalo clients, the web
/// chat's notifier, the webhook's writer) and Web Push's (worker wake-up, the push services'
/// client, the VAPID keys). The one place that knows them all.
pub fn assemble(db: crate::db::Db, config: crate::config::Config) -> App {
    let runtimes = crate::app::Runtimes::default()
        .with(crate::kb::live::KbLive::default())
        .with(crate::units::bot_settings::BotSettingsLive::default())
        .with(crate::units::routing::RoutingLive::default())
        .with(crate::inbox::presence::Presence::default())
        .with(crate::inbox::alarms::AlarmWake::default())
        .with(crate::channels::Channels::new(&config))
        .with(crate::push::PushRuntime::new(&config))
        .with(crate::cases::Categories::default())
        .with(crate::cases::open311::Open311Limits::default())
        .with(crate::web::PageNotes::new(crate::inbox::service::page_notes));
    App::new(db, config, runtimes)
}

/// The keyed hash that tells whether the configured secret key is the installation's.
const KEY_CHECK_PURPOSE: &str = "instance key check";

/// Stops a start whose secret key is not the one the database was set up with: stored Zalo
/// tokens and two-step secrets would not decrypt, and new ones would be written under the
/// wrong key. The first start records the key's check value.
pub async fn check_secret_key(app: &App) -> Result<(), CliError> {
    let expected = app.secrets.keyed_hash(KEY_CHECK_PURPOSE, b"caunoi");
    match crate::db::instance_fact(&app.db, "key_check").await? {
        None => crate::db::set_instance_fact(&app.db, "key_check", &expected).await?,
        Some(stored) if stored == expected => {}
        Some(_) => {
            return Err(CliError::Message(
                "the secret key is not the one this database was set up with: start with the original key \
                 (--secret-key, CAUNOI_SECRET_KEY, secret_key in caunoi.toml or <data-dir>/secret.key); \
                 stored Zalo tokens and two-step secrets cannot be read with another key"
                    .to_owned(),
            ));
        }
    }
    Ok(())
}

/// Resolves configuration, opens and migrates the database, loads the knowledge base.
pub async fn open(o: &crate::config::Overrides) -> Result<App, CliError> {
    let config = crate::config::Config::resolve(o)?;
    let db = crate::db::Db::connect(&config.database_url).await?;
    db.migrate().await?;
    let app = crate::server::assemble(db, config);
    check_secret_key(&app).await?;
    app.config.media_store.check().await.map_err(CliError::Message)?;
    app.kb().reload(&app.db).await?;
    app.bot_settings().reload(&app.db).await?;
    crate::cases::service::load_categories(&app).await?;
    // The instance's VAPID key pair is made at the first start (and read at every other). A
    // pair that does not open (the instance key changed) stops alarms on devices, not the
    // console: said loudly here, and again by every attempt to send.
    if let Err(e) = crate::push::service::vapid_keys(&app).await {
        tracing::error!(error = %e, "Web Push keys are unavailable: alarms will not reach officers' devices");
    }
    Ok(app)
}

/// JSON logs on stdout. `RUST_LOG` overrides the configured level.
pub fn init_logging(level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .or_else(|_| tracing_subscriber::EnvFilter::try_new(level))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().json().with_env_filter(filter).with_current_span(false).try_init();
}

/// Binds the configured address (or uses `listener`) and serves until a shutdown signal.
pub async fn serve(app: App, listener: Option<TcpListener>) -> Result<(), CliError> {
    let listener = match listener {
        Some(l) => l,
        None => TcpListener::bind(app.config.listen)
            .await
            .map_err(|e| CliError::Message(format!("cannot listen on {}: {e}", app.config.listen)))?,
    };
    let addr = listener.local_addr().map_err(|e| CliError::Message(e.to_string()))?;
    tracing::info!(address = %addr, public_url = %app.config.public_url, "caunoi is listening");
    if app.config.test_clock {
        tracing::warn!("test_clock is on: POST /__test/clock moves this server's clock; never in production");
    }
    announce_first_setup(&app).await;
    let housekeeping = tokio::spawn(housekeeping(app.clone()));
    tokio::spawn(strip_stored_media(app.config.data_dir.clone()));
    // The emergency rules and their second opinion are built off the async threads now, not
    // by the first citizen's message.
    tokio::task::spawn_blocking(caunoi_text::safety::warm_up);
    let workers = crate::channels::start_workers(&app);
    let push_worker = crate::push::start_worker(&app);
    let router = crate::web::routes::router(app.clone());
    let result = axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await;
    housekeeping.abort();
    drop(workers);
    drop(push_worker);
    app.db.close().await;
    tracing::info!("caunoi stopped");
    result.map_err(|e| CliError::Message(format!("the server stopped: {e}")))
}

/// While the installation has no officer, prints the one-time first-setup link (`crate::setup`)
/// to the log and, for whoever started the server in a terminal, to stderr.
async fn announce_first_setup(app: &App) {
    match crate::setup::is_open(app).await {
        Ok(true) => {
            let link = crate::setup::link(app);
            tracing::warn!(link = %link, "no officer yet: open the first-setup link to create the top unit and its admin");
            eprintln!("\nCài đặt lần đầu / First setup: {link}\n");
        }
        Ok(false) => {}
        Err(e) => tracing::warn!(error = %e, "could not tell whether the first setup is done"),
    }
}

/// Starts serving on an ephemeral local port in the background (tests, demo helpers).
pub async fn spawn(app: App) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let workers = crate::channels::start_workers(&app);
    let push_worker = crate::push::start_worker(&app);
    let router = crate::web::routes::router(app);
    let handle = tokio::spawn(async move {
        // The workers live as long as this server task: aborting it stops them too.
        let _workers = (workers, push_worker);
        let _ = axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>()).await;
    });
    Ok((addr, handle))
}

/// Photos stored before caunoi stripped metadata get their served copy cleaned, once.
async fn strip_stored_media(data_dir: std::path::PathBuf) {
    match crate::media::strip_stored(&data_dir).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(photos = n, "stored photos cleaned of their metadata"),
        Err(e) => tracing::warn!(error = %e, "stored photos could not all be cleaned of their metadata"),
    }
}

async fn housekeeping(app: App) {
    let mut tick = tokio::time::interval(Duration::from_secs(10));
    let mut rounds: u64 = 0;
    loop {
        tick.tick().await;
        rounds += 1;
        // Another instance (or `caunoi kb import`) may have changed the knowledge base.
        if let Err(e) = app.kb().refresh_if_changed(&app.db).await {
            tracing::warn!(error = %e, "knowledge base refresh failed");
        }
        if let Err(e) = app.bot_settings().reload(&app.db).await {
            tracing::warn!(error = %e, "bot settings refresh failed");
        }
        if let Err(e) = crate::cases::category_service::reload(&app).await {
            tracing::warn!(error = %e, "report categories refresh failed");
        }
        if let Err(e) = app.routing().refresh_if_changed(&app.db).await {
            tracing::warn!(error = %e, "routing index refresh failed");
        }
        // Messages and names stored before the search folded them (migration 0022).
        match crate::conversations::service::fold_backlog(&app.db, 1000, 20).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(rows = n, "older messages folded for the inbox search"),
            Err(e) => tracing::warn!(error = %e, "folding older messages for the search failed"),
        }
        // Hourly: citizens' media past the retention period, when one is set.
        if rounds % 360 == 2
            && let Some(days) = app.config.media_retention_days
        {
            let closed_before = app.clock.now_micros() - i64::from(days) * 24 * 3600 * 1_000_000;
            match crate::conversations::retention::expire_citizen_media(&app, closed_before).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(files = n, "media past its retention period removed"),
                Err(e) => tracing::warn!(error = %e, "media retention pass failed"),
            }
        }
        if rounds % 60 != 1 {
            continue;
        }
        let cutoff = app.clock.now_micros() - app.config.session_idle.as_micros() as i64;
        if let Err(e) = crate::staff::service::purge_sessions(&app, cutoff).await {
            tracing::warn!(error = %e, "session purge failed");
        }
        if let Err(e) = crate::channels::webchat::store::purge_expired_sessions(&app.db, app.clock.now_micros()).await {
            tracing::warn!(error = %e, "web chat session purge failed");
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutdown requested");
}
