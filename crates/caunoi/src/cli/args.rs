//! The command line's shared arguments (database, serving) and how they become configuration
//! [`Overrides`]. A leaf: the subcommands of every feature take these.

use crate::config::{Overrides, parse_switch};
use clap::Args;
use std::path::PathBuf;

#[derive(Args, Debug, Clone, Default)]
pub struct DbArgs {
    /// Data directory: the SQLite database, the instance key, media. Default ./caunoi-data.
    #[arg(long, env = "CAUNOI_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Database URL: sqlite://PATH or postgres://USER@HOST/DB. Default: SQLite in the data dir.
    #[arg(long, env = "CAUNOI_DATABASE_URL", value_name = "URL")]
    pub database_url: Option<String>,
}

#[derive(Args, Debug, Clone, Default)]
pub struct ServeArgs {
    /// Address to listen on. Default 127.0.0.1:8080.
    #[arg(long, env = "CAUNOI_LISTEN", value_name = "HOST:PORT")]
    pub listen: Option<String>,
    #[command(flatten)]
    pub db: DbArgs,
    /// Public address of this instance, used in links and QR codes (https enables Secure cookies and HSTS).
    #[arg(long, env = "CAUNOI_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,
    /// Instance key (32 bytes, base64) that encrypts stored secrets. Default: <data-dir>/secret.key.
    #[arg(long, env = "CAUNOI_SECRET_KEY", hide_env_values = true, value_name = "BASE64")]
    pub secret_key: Option<String>,
    /// Require admins to turn on two-step verification before using the console: on or off.
    #[arg(long, env = "CAUNOI_REQUIRE_TOTP_FOR_ADMINS", value_name = "on|off", value_parser = parse_switch)]
    pub require_totp_for_admins: Option<bool>,
    /// Log filter: a level (error, warn, info, debug, trace) or directives. Default info.
    #[arg(long, env = "CAUNOI_LOG", value_name = "FILTER")]
    pub log: Option<String>,
    /// Minutes of inactivity after which an officer's session ends (1–1440). Default 30.
    #[arg(long, env = "CAUNOI_SESSION_IDLE_MINUTES", value_name = "MINUTES")]
    pub session_idle_minutes: Option<u64>,
    /// Requests per minute towards Zalo per OA. Default 4000 (Zalo's documented limit per App).
    #[arg(long, env = "CAUNOI_ZALO_REQUESTS_PER_MINUTE", value_name = "N")]
    pub zalo_requests_per_minute: Option<u32>,
    /// A bearer token that lets monitoring on another machine read /metrics. Default: none (local only).
    #[arg(long, env = "CAUNOI_METRICS_TOKEN", hide_env_values = true, value_name = "TOKEN")]
    pub metrics_token: Option<String>,
    /// Base URL of the Zalo API hosts (the fake Zalo in tests and the demo). Default: real Zalo.
    #[arg(long, env = "CAUNOI_ZALO_API_URL", value_name = "URL")]
    pub zalo_api_url: Option<String>,
    /// Webhook signature variant: oa-secret (documented default), app-secret, oa-id, diagnostic.
    #[arg(long, env = "CAUNOI_ZALO_SIGNATURE", value_name = "VARIANT")]
    pub zalo_signature: Option<String>,
    /// Run the background workers (inbound events, outbox): on (default) or off.
    #[arg(long, env = "CAUNOI_WORKERS", value_name = "on|off", value_parser = parse_switch)]
    pub workers: Option<bool>,
    /// Reverse proxies (IPs or CIDR ranges, comma-separated) whose X-Forwarded-For names the client. Default: none.
    #[arg(long, env = "CAUNOI_TRUSTED_PROXIES", value_name = "IP|CIDR,...")]
    pub trusted_proxies: Option<String>,
    /// Free space the media disk must keep; uploads are refused below it (2GiB, 500MB or 5%). Default 2GiB.
    #[arg(long, env = "CAUNOI_MEDIA_FREE_FLOOR", value_name = "SIZE|PERCENT")]
    pub media_free_floor: Option<String>,
    /// Web chat upload bytes per chat session per hour. Default 200MB.
    #[arg(long, env = "CAUNOI_UPLOAD_QUOTA_SESSION_HOUR", value_name = "SIZE")]
    pub upload_quota_session_hour: Option<String>,
    /// Web chat upload bytes per chat session per day. Default 500MB.
    #[arg(long, env = "CAUNOI_UPLOAD_QUOTA_SESSION_DAY", value_name = "SIZE")]
    pub upload_quota_session_day: Option<String>,
    /// Web chat upload bytes per client address per hour. Default 1GB.
    #[arg(long, env = "CAUNOI_UPLOAD_QUOTA_ADDRESS_HOUR", value_name = "SIZE")]
    pub upload_quota_address_hour: Option<String>,
    /// Web chat upload bytes per client address per day. Default 4GB.
    #[arg(long, env = "CAUNOI_UPLOAD_QUOTA_ADDRESS_DAY", value_name = "SIZE")]
    pub upload_quota_address_day: Option<String>,
    /// Days after its conversation was closed that a citizen's photo, video or file is removed (at least 30), or off. Default off.
    #[arg(long, env = "CAUNOI_MEDIA_RETENTION_DAYS", value_name = "DAYS|off")]
    pub media_retention_days: Option<String>,
    /// Where photos, videos and files are kept: local (<data-dir>/media) or s3 (a bucket several instances share). Default local.
    #[arg(long, env = "CAUNOI_MEDIA_STORE", value_name = "local|s3")]
    pub media_store: Option<String>,
    /// The S3-compatible bucket of media (media_store = s3).
    #[arg(long, env = "CAUNOI_MEDIA_S3_BUCKET", value_name = "NAME")]
    pub media_s3_bucket: Option<String>,
    /// The S3-compatible service's address, e.g. https://s3.example.vn. Default: Amazon S3.
    #[arg(long, env = "CAUNOI_MEDIA_S3_ENDPOINT", value_name = "URL")]
    pub media_s3_endpoint: Option<String>,
    /// The bucket's region. Default us-east-1.
    #[arg(long, env = "CAUNOI_MEDIA_S3_REGION", value_name = "REGION")]
    pub media_s3_region: Option<String>,
    /// A folder inside the bucket for this installation's media. Default: none.
    #[arg(long, env = "CAUNOI_MEDIA_S3_PREFIX", value_name = "PATH")]
    pub media_s3_prefix: Option<String>,
    /// The bucket's access key id (prefer the environment variable).
    #[arg(long, env = "CAUNOI_MEDIA_S3_ACCESS_KEY_ID", value_name = "ID", hide_env_values = true)]
    pub media_s3_access_key_id: Option<String>,
    /// The bucket's secret access key (prefer the environment variable: a flag shows in process lists).
    #[arg(long, env = "CAUNOI_MEDIA_S3_SECRET_ACCESS_KEY", value_name = "SECRET", hide_env_values = true)]
    pub media_s3_secret_access_key: Option<String>,
    /// Contact sent to Web Push services with every alarm (VAPID subject): mailto: or https:. Default: the public URL when https.
    #[arg(long, env = "CAUNOI_PUSH_CONTACT", value_name = "mailto:|https:")]
    pub push_contact: Option<String>,
    /// Tests only: allow Web Push to a test push service on the loopback address over plain HTTP.
    #[arg(long, env = "CAUNOI_PUSH_TEST_ENDPOINTS", value_name = "on|off", value_parser = parse_switch)]
    pub push_test_endpoints: Option<bool>,
    /// Tests only: `POST /__test/clock?advance=SECONDS` from this machine moves the server's clock forward (browser tests of timeouts).
    #[arg(long, env = "CAUNOI_TEST_CLOCK", value_name = "on|off", value_parser = parse_switch)]
    pub test_clock: Option<bool>,
    /// Minutes a unit has to acknowledge a forwarded report before it returns to the sender (1–1440). Default 15.
    #[arg(long, env = "CAUNOI_CASE_ACK_MINUTES", value_name = "MINUTES")]
    pub case_ack_minutes: Option<u32>,
    /// Hour (0–23, Vietnam time) of the daily digest of cases pushed to unit leaders. Default 7.
    #[arg(long, env = "CAUNOI_CASE_DIGEST_HOUR", value_name = "HOUR")]
    pub case_digest_hour: Option<u32>,
}

pub fn overrides(config: &Option<PathBuf>, s: &ServeArgs) -> Overrides {
    Overrides {
        config_file: config.clone(),
        listen: s.listen.clone(),
        data_dir: s.db.data_dir.clone(),
        database_url: s.db.database_url.clone(),
        public_url: s.public_url.clone(),
        secret_key: s.secret_key.clone(),
        require_totp_for_admins: s.require_totp_for_admins,
        zalo_api_url: s.zalo_api_url.clone(),
        zalo_signature: s.zalo_signature.clone(),
        workers: s.workers,
        trusted_proxies: s.trusted_proxies.clone(),
        log: s.log.clone(),
        session_idle_minutes: s.session_idle_minutes,
        zalo_requests_per_minute: s.zalo_requests_per_minute,
        metrics_token: s.metrics_token.clone(),
        existing_data_dir: false,
        media_free_floor: s.media_free_floor.clone(),
        upload_quota_session_hour: s.upload_quota_session_hour.clone(),
        upload_quota_session_day: s.upload_quota_session_day.clone(),
        upload_quota_address_hour: s.upload_quota_address_hour.clone(),
        upload_quota_address_day: s.upload_quota_address_day.clone(),
        media_retention_days: s.media_retention_days.clone(),
        media_store: s.media_store.clone(),
        media_s3: crate::config::S3Overrides {
            bucket: s.media_s3_bucket.clone(),
            endpoint: s.media_s3_endpoint.clone(),
            region: s.media_s3_region.clone(),
            prefix: s.media_s3_prefix.clone(),
            access_key_id: s.media_s3_access_key_id.clone(),
            secret_access_key: s.media_s3_secret_access_key.clone(),
        },
        push_contact: s.push_contact.clone(),
        push_test_endpoints: s.push_test_endpoints,
        test_clock: s.test_clock,
        case_ack_minutes: s.case_ack_minutes,
        case_digest_hour: s.case_digest_hour,
    }
}

/// Overrides for commands that only need the database.
pub fn db_overrides(config: &Option<PathBuf>, db: DbArgs) -> Overrides {
    overrides(config, &ServeArgs { db, ..Default::default() })
}

/// Overrides for commands that only read an installation (`kb ask`, `kb export`): its data
/// directory must exist.
pub fn existing_db_overrides(config: &Option<PathBuf>, db: DbArgs) -> Overrides {
    Overrides { existing_data_dir: true, ..db_overrides(config, db) }
}
