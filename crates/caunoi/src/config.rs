//! Configuration: command-line flags, then `CAUNOI_*` environment variables (clap reads both),
//! then the TOML file (`caunoi.toml` or `--config`), then defaults. Resolved once at start into a
//! [`Config`] that the rest of the program trusts.

use crate::crypto::{self, KEY_LEN};
use crate::media::space::{FreeFloor, parse_bytes};
use crate::media::{MediaStore, S3Settings};
use crate::proxies::TrustedProxies;
use caunoi_zalo::signature::{MacFirstTerm, MacSecret, MacVariant, SignatureConfig, VerifyMode};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What can be set in `caunoi.toml`. Every key is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub public_url: Option<String>,
    pub secret_key: Option<String>,
    pub require_totp_for_admins: Option<Switch>,
    pub session_idle_minutes: Option<u64>,
    pub log: Option<String>,
    pub zalo_api_url: Option<String>,
    pub zalo_signature: Option<String>,
    pub workers: Option<Switch>,
    pub trusted_proxies: Option<String>,
    pub zalo_requests_per_minute: Option<u32>,
    pub metrics_token: Option<String>,
    pub media_free_floor: Option<String>,
    pub upload_quota_session_hour: Option<String>,
    pub upload_quota_session_day: Option<String>,
    pub upload_quota_address_hour: Option<String>,
    pub upload_quota_address_day: Option<String>,
    pub media_retention_days: Option<String>,
    pub media_store: Option<String>,
    pub media_s3_bucket: Option<String>,
    pub media_s3_endpoint: Option<String>,
    pub media_s3_region: Option<String>,
    pub media_s3_prefix: Option<String>,
    pub media_s3_access_key_id: Option<String>,
    pub media_s3_secret_access_key: Option<String>,
    pub push_contact: Option<String>,
    pub push_test_endpoints: Option<Switch>,
    pub test_clock: Option<Switch>,
    pub case_ack_minutes: Option<u32>,
    pub case_digest_hour: Option<u32>,
}

/// An on/off setting as the file may write it: `true`/`false`, `"on"`/`"off"`, `"yes"`/`"no"`,
/// `1`/`0` — the same words the flags and the environment take ([`parse_switch`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Switch(pub bool);

impl<'de> Deserialize<'de> for Switch {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Switch, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Bool(bool),
            Int(i64),
            Text(String),
        }
        let bad = || serde::de::Error::custom("expected on or off (also true/false, yes/no, 1/0)");
        match Raw::deserialize(d)? {
            Raw::Bool(b) => Ok(Switch(b)),
            Raw::Int(1) => Ok(Switch(true)),
            Raw::Int(0) => Ok(Switch(false)),
            Raw::Int(_) => Err(bad()),
            Raw::Text(t) => parse_switch(&t).map(Switch).map_err(|_| bad()),
        }
    }
}

/// Reads an on/off value: on, true, yes, 1 / off, false, no, 0 (any case).
pub fn parse_switch(s: &str) -> Result<bool, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "on" | "true" | "1" | "yes" => Ok(true),
        "off" | "false" | "0" | "no" => Ok(false),
        _ => Err("use on or off (also true/false, yes/no, 1/0)".into()),
    }
}

/// Shortest and longest session idle timeout, in minutes.
pub const SESSION_IDLE_MINUTES: std::ops::RangeInclusive<u64> = 1..=24 * 60;

/// Values given on the command line or in the environment (highest precedence).
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub config_file: Option<PathBuf>,
    pub listen: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub public_url: Option<String>,
    pub secret_key: Option<String>,
    pub require_totp_for_admins: Option<bool>,
    pub zalo_api_url: Option<String>,
    pub zalo_signature: Option<String>,
    pub workers: Option<bool>,
    pub trusted_proxies: Option<String>,
    pub log: Option<String>,
    pub session_idle_minutes: Option<u64>,
    pub zalo_requests_per_minute: Option<u32>,
    pub metrics_token: Option<String>,
    /// The data directory must exist already (commands that only read, such as `kb ask`): a
    /// mistyped path is an error instead of a new, empty database.
    pub existing_data_dir: bool,
    pub media_free_floor: Option<String>,
    pub upload_quota_session_hour: Option<String>,
    pub upload_quota_session_day: Option<String>,
    pub upload_quota_address_hour: Option<String>,
    pub upload_quota_address_day: Option<String>,
    pub media_retention_days: Option<String>,
    /// `local` (the default) or `s3`.
    pub media_store: Option<String>,
    pub media_s3: S3Overrides,
    pub push_contact: Option<String>,
    pub push_test_endpoints: Option<bool>,
    pub test_clock: Option<bool>,
    pub case_ack_minutes: Option<u32>,
    pub case_digest_hour: Option<u32>,
}

/// Where an S3-compatible media bucket is and how to sign in to it (`media_store = "s3"`).
#[derive(Default, Clone)]
pub struct S3Overrides {
    pub bucket: Option<String>,
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub prefix: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
}

impl std::fmt::Debug for S3Overrides {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Overrides")
            .field("bucket", &self.bucket)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

/// Bytes the web chat accepts in uploads over a window, per chat session and per client
/// address (many citizens share one address behind a mobile carrier's NAT, hence the room).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadQuotas {
    pub session_hour: u64,
    pub session_day: u64,
    pub address_hour: u64,
    pub address_day: u64,
}

impl Default for UploadQuotas {
    /// 200 MB an hour and 500 MB a day per chat; 1 GB an hour and 4 GB a day per address.
    fn default() -> Self {
        UploadQuotas { session_hour: 200 << 20, session_day: 500 << 20, address_hour: 1 << 30, address_day: 4 << 30 }
    }
}

/// The resolved configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: String,
    /// The address citizens and officers use, e.g. `https://caunoi.example.gov.vn`; QR codes and
    /// links are built from it. `https` turns on Secure cookies and HSTS.
    pub public_url: String,
    pub secret_key: [u8; KEY_LEN],
    pub require_totp_for_admins: bool,
    pub session_idle: Duration,
    pub log: String,
    /// Base URL of the Zalo hosts (OAuth, OpenAPI, business) when not the real ones: the fake
    /// Zalo in tests and the demo. `None` means production Zalo.
    pub zalo_api_url: Option<String>,
    /// How webhook signatures are checked (zalo-oa.md §3.5, §13.1).
    pub zalo_signature: caunoi_zalo::SignatureConfig,
    /// Whether this process runs the background workers (inbound events, outbox). Off only
    /// for tests that stop the process between the webhook's answer and its processing.
    pub workers: bool,
    /// Reverse proxies whose `X-Forwarded-For` names the client (rate limits, throttling).
    /// Empty: the socket's peer is the client.
    pub trusted_proxies: TrustedProxies,
    /// Requests per minute caunoi allows itself towards Zalo per OA (sends, uploads).
    pub zalo_requests_per_minute: std::num::NonZeroU32,
    /// A bearer token that lets a monitoring system on another machine read `/metrics`.
    pub metrics_token: Option<String>,
    /// Uploads are refused while the media disk has less free space than this.
    pub media_free_floor: FreeFloor,
    /// The web chat's upload byte quotas.
    pub upload_quotas: UploadQuotas,
    /// Days after its last conversation was closed that a citizen's media is removed; `None`
    /// keeps it (the default).
    pub media_retention_days: Option<u32>,
    /// Where photos, videos and files are kept: `<data_dir>/media` (the default) or an
    /// S3-compatible bucket shared by several instances.
    pub media_store: MediaStore,
    /// The contact push services see in every Web Push request (the VAPID `sub`, RFC 8292 §2.1):
    /// `mailto:` or `https:`. Default: the public URL when it is https.
    pub push_contact: String,
    /// Tests only: lets Web Push send to a push service on the loopback address over plain
    /// HTTP. Off in production, where endpoints must be https to public hosts.
    pub push_test_endpoints: bool,
    /// Tests only: `POST /__test/clock?advance=SECONDS`, from this machine, moves the clock
    /// ([`crate::app::Clock::advance`]) so a browser test can cross a timeout (the duty
    /// device's idle lock) without waiting. Off in production; the start warns when on.
    pub test_clock: bool,
    /// Minutes a unit has to acknowledge a case forwarded to it before the case goes back to
    /// the sender (default `caunoi_core::cases::clock::DEFAULT_ACK_MINUTES`).
    pub case_ack_minutes: u32,
    /// The hour, Vietnam time (UTC+7), at which unit leaders get the daily digest of cases
    /// (default [`caunoi_core::cases::clock::DEFAULT_DIGEST_HOUR`], 07:00).
    pub case_digest_hour: u32,
}

/// The media store the settings name (flag or environment first, then the file).
fn media_store(
    o: &Overrides,
    kind_in_file: Option<String>,
    file: &S3Overrides,
    data_dir: &Path,
) -> Result<MediaStore, ConfigError> {
    let kind = o.media_store.clone().or(kind_in_file).unwrap_or_else(|| "local".into());
    let s3 = &o.media_s3;
    let pick = |given: &Option<String>, in_file: &Option<String>| {
        given.clone().or(in_file.clone()).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
    };
    match kind.trim() {
        "local" => Ok(MediaStore::local(data_dir)),
        "s3" => {
            let settings = S3Settings {
                bucket: pick(&s3.bucket, &file.bucket).unwrap_or_default(),
                endpoint: pick(&s3.endpoint, &file.endpoint).map(|e| e.trim_end_matches('/').to_owned()),
                region: pick(&s3.region, &file.region).unwrap_or_else(|| "us-east-1".into()),
                prefix: pick(&s3.prefix, &file.prefix).unwrap_or_default(),
                access_key_id: pick(&s3.access_key_id, &file.access_key_id).unwrap_or_default(),
                secret_access_key: pick(&s3.secret_access_key, &file.secret_access_key).unwrap_or_default(),
            };
            MediaStore::s3(&settings, data_dir).map_err(|reason| ConfigError::Media { key: "media_store", reason })
        }
        other => Err(ConfigError::Media { key: "media_store", reason: format!("{other:?} is not local or s3") }),
    }
}

/// Zalo's documented limit is per App, 4,000 requests a minute; one OA per App is the usual
/// set-up.
pub const DEFAULT_ZALO_REQUESTS_PER_MINUTE: u32 = 4000;

/// A configuration problem, in one sentence for the operator.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the config file {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("the config file {path} is not valid: {reason}")]
    Parse { path: String, reason: String },
    #[error("listen address {0:?} is not valid: use HOST:PORT, e.g. 127.0.0.1:8080")]
    Listen(String),
    #[error("public_url {0:?} is not valid: use http:// or https:// followed by a host")]
    PublicUrl(String),
    #[error("secret_key is not valid: give 32 random bytes in base64 (e.g. `openssl rand -base64 32`)")]
    SecretKey,
    #[error("zalo_signature {0:?} is not valid: use oa-secret, app-secret, oa-id or diagnostic")]
    ZaloSignature(String),
    #[error("zalo_api_url {0:?} is not valid: use http:// or https:// followed by a host")]
    ZaloApiUrl(String),
    #[error("trusted_proxies is not valid: {0}; use IPs or CIDR ranges, comma-separated (127.0.0.1, 10.0.0.0/8)")]
    TrustedProxies(#[from] crate::proxies::InvalidProxy),
    #[error("{key} is not valid: {reason}")]
    Media { key: &'static str, reason: String },
    #[error("push_contact {0:?} is not valid: use mailto:someone@example.vn or an https:// address")]
    PushContact(String),
    #[error("case_ack_minutes {0} is not valid: give minutes from 1 to 1440")]
    CaseAckMinutes(u32),
    #[error("case_digest_hour {0} is not valid: give an hour from 0 to 23 (Vietnam time)")]
    CaseDigestHour(u32),
    #[error("cannot prepare the data directory {path}: {reason}")]
    DataDir { path: String, reason: String },
    #[error("the data directory {0} does not exist: give the --data-dir of an existing caunoi installation")]
    MissingDataDir(String),
    #[error(
        "log filter {0:?} is not valid: use a level (error, warn, info, debug, trace) or directives such as caunoi=debug,info"
    )]
    Log(String),
    #[error(
        "RUST_LOG {0:?} is not valid: use a level (error, warn, info, debug, trace) or directives such as caunoi=debug,info"
    )]
    RustLog(String),
    #[error("session_idle_minutes {0} is not valid: use a number of minutes from 1 to 1440")]
    SessionIdle(u64),
    #[error("zalo_requests_per_minute 0 is not valid: use a positive number (Zalo's limit is 4000 per App)")]
    ZaloRate,
}

impl Config {
    /// Resolves the configuration. Creates the data directory and, when no key is configured,
    /// a random instance key in `<data_dir>/secret.key` (readable by the owner only).
    pub fn resolve(o: &Overrides) -> Result<Config, ConfigError> {
        let file = load_file(o.config_file.as_deref())?;
        let data_dir = o.data_dir.clone().or(file.data_dir).unwrap_or_else(|| PathBuf::from("./caunoi-data"));
        let listen_text = o.listen.clone().or(file.listen).unwrap_or_else(|| "127.0.0.1:8080".to_string());
        let listen: SocketAddr = listen_text.parse().map_err(|_| ConfigError::Listen(listen_text.clone()))?;
        let database_url = o.database_url.clone().or(file.database_url);
        let uses_sqlite = database_url.as_deref().is_none_or(|u| u.starts_with("sqlite:"));
        let needs_dir = uses_sqlite || (o.secret_key.is_none() && file.secret_key.is_none());
        if needs_dir && o.existing_data_dir && !data_dir.is_dir() {
            return Err(ConfigError::MissingDataDir(data_dir.display().to_string()));
        }
        if needs_dir {
            std::fs::create_dir_all(&data_dir)
                .map_err(|e| ConfigError::DataDir { path: data_dir.display().to_string(), reason: e.to_string() })?;
        }
        let database_url = database_url.unwrap_or_else(|| format!("sqlite://{}", data_dir.join("caunoi.db").display()));
        let public_url =
            o.public_url.clone().or(file.public_url).unwrap_or_else(|| format!("http://{}", display_host(&listen)));
        let public_url = public_url.trim_end_matches('/').to_string();
        let valid_public = (public_url.starts_with("http://") || public_url.starts_with("https://"))
            && public_url.split("://").nth(1).is_some_and(|h| !h.is_empty() && !h.contains(char::is_whitespace));
        if !valid_public {
            return Err(ConfigError::PublicUrl(public_url));
        }
        let secret_key = match o.secret_key.clone().or(file.secret_key) {
            Some(text) => crypto::parse_key(&text).ok_or(ConfigError::SecretKey)?,
            None => key_from_file(&data_dir.join("secret.key"))?,
        };
        let zalo_signature_text = o.zalo_signature.clone().or(file.zalo_signature).unwrap_or_default();
        let zalo_signature =
            parse_signature_config(&zalo_signature_text).ok_or(ConfigError::ZaloSignature(zalo_signature_text))?;
        let zalo_api_url =
            o.zalo_api_url.clone().or(file.zalo_api_url).map(|u| u.trim().trim_end_matches('/').to_string());
        if let Some(u) = &zalo_api_url
            && !(u.starts_with("http://") || u.starts_with("https://"))
        {
            return Err(ConfigError::ZaloApiUrl(u.clone()));
        }
        let trusted_proxies: TrustedProxies =
            o.trusted_proxies.clone().or(file.trusted_proxies).unwrap_or_default().parse()?;
        let log = o.log.clone().or(file.log).unwrap_or_else(|| "info".to_string());
        if tracing_subscriber::EnvFilter::try_new(&log).is_err() {
            return Err(ConfigError::Log(log));
        }
        if let Ok(env) = std::env::var("RUST_LOG")
            && tracing_subscriber::EnvFilter::try_new(&env).is_err()
        {
            return Err(ConfigError::RustLog(env));
        }
        let zalo_rate =
            o.zalo_requests_per_minute.or(file.zalo_requests_per_minute).unwrap_or(DEFAULT_ZALO_REQUESTS_PER_MINUTE);
        let zalo_requests_per_minute = std::num::NonZeroU32::new(zalo_rate).ok_or(ConfigError::ZaloRate)?;
        let idle = o.session_idle_minutes.or(file.session_idle_minutes).unwrap_or(30);
        if !SESSION_IDLE_MINUTES.contains(&idle) {
            return Err(ConfigError::SessionIdle(idle));
        }
        let media_free_floor = match o.media_free_floor.clone().or(file.media_free_floor) {
            Some(text) => text.parse().map_err(|reason| ConfigError::Media { key: "media_free_floor", reason })?,
            None => FreeFloor::default(),
        };
        let quota = |key: &'static str, given: Option<String>, default: u64| match given {
            Some(text) => match parse_bytes(&text) {
                Ok(n) if n > 0 => Ok(n),
                Ok(_) => Err(ConfigError::Media { key, reason: "a quota must be more than 0".into() }),
                Err(reason) => Err(ConfigError::Media { key, reason }),
            },
            None => Ok(default),
        };
        let d = UploadQuotas::default();
        let upload_quotas = UploadQuotas {
            session_hour: quota(
                "upload_quota_session_hour",
                o.upload_quota_session_hour.clone().or(file.upload_quota_session_hour),
                d.session_hour,
            )?,
            session_day: quota(
                "upload_quota_session_day",
                o.upload_quota_session_day.clone().or(file.upload_quota_session_day),
                d.session_day,
            )?,
            address_hour: quota(
                "upload_quota_address_hour",
                o.upload_quota_address_hour.clone().or(file.upload_quota_address_hour),
                d.address_hour,
            )?,
            address_day: quota(
                "upload_quota_address_day",
                o.upload_quota_address_day.clone().or(file.upload_quota_address_day),
                d.address_day,
            )?,
        };
        let media_retention_days = match o.media_retention_days.clone().or(file.media_retention_days) {
            None => None,
            Some(text) => {
                parse_retention(&text).map_err(|reason| ConfigError::Media { key: "media_retention_days", reason })?
            }
        };
        let in_file = S3Overrides {
            bucket: file.media_s3_bucket,
            endpoint: file.media_s3_endpoint,
            region: file.media_s3_region,
            prefix: file.media_s3_prefix,
            access_key_id: file.media_s3_access_key_id,
            secret_access_key: file.media_s3_secret_access_key,
        };
        let media_store = media_store(o, file.media_store, &in_file, &data_dir)?;
        let push_contact = match o.push_contact.clone().or(file.push_contact) {
            Some(c) => c.trim().to_string(),
            None if public_url.starts_with("https://") => public_url.clone(),
            None => "mailto:caunoi@localhost".to_string(),
        };
        let valid_contact = push_contact.strip_prefix("mailto:").is_some_and(|a| a.contains('@'))
            || push_contact.strip_prefix("https://").is_some_and(|h| !h.is_empty());
        if !valid_contact || push_contact.contains(char::is_whitespace) {
            return Err(ConfigError::PushContact(push_contact));
        }
        let case_ack_minutes =
            o.case_ack_minutes.or(file.case_ack_minutes).unwrap_or(caunoi_core::cases::clock::DEFAULT_ACK_MINUTES);
        if !(1..=1440).contains(&case_ack_minutes) {
            return Err(ConfigError::CaseAckMinutes(case_ack_minutes));
        }
        let case_digest_hour =
            o.case_digest_hour.or(file.case_digest_hour).unwrap_or(caunoi_core::cases::clock::DEFAULT_DIGEST_HOUR);
        if case_digest_hour > 23 {
            return Err(ConfigError::CaseDigestHour(case_digest_hour));
        }
        Ok(Config {
            listen,
            data_dir,
            database_url,
            public_url,
            secret_key,
            require_totp_for_admins: o
                .require_totp_for_admins
                .or(file.require_totp_for_admins.map(|s| s.0))
                .unwrap_or(false),
            session_idle: Duration::from_secs(60 * idle),
            log,
            zalo_api_url,
            zalo_signature,
            workers: o.workers.or(file.workers.map(|s| s.0)).unwrap_or(true),
            trusted_proxies,
            zalo_requests_per_minute,
            metrics_token: o.metrics_token.clone().or(file.metrics_token).filter(|t| !t.trim().is_empty()),
            media_free_floor,
            upload_quotas,
            media_retention_days,
            media_store,
            push_contact,
            push_test_endpoints: o.push_test_endpoints.or(file.push_test_endpoints.map(|s| s.0)).unwrap_or(false),
            test_clock: o.test_clock.or(file.test_clock.map(|s| s.0)).unwrap_or(false),
            case_ack_minutes,
            case_digest_hour,
        })
    }

    /// True when served over TLS (as seen by browsers): Secure cookies and HSTS.
    pub fn tls(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

/// `off` (or empty), or a number of days, at least [`MIN_RETENTION_DAYS`].
fn parse_retention(text: &str) -> Result<Option<u32>, String> {
    let t = text.trim();
    if t.is_empty() || t.eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    match t.parse::<u32>() {
        Ok(days) if days >= MIN_RETENTION_DAYS => Ok(Some(days)),
        _ => Err(format!("{t:?}: use off, or a number of days of at least {MIN_RETENTION_DAYS}")),
    }
}

/// The shortest retention accepted: a typo must not remove evidence of last week.
pub const MIN_RETENTION_DAYS: u32 = 30;

fn display_host(addr: &SocketAddr) -> String {
    if addr.ip().is_unspecified() { format!("127.0.0.1:{}", addr.port()) } else { addr.to_string() }
}

fn load_file(explicit: Option<&Path>) -> Result<FileConfig, ConfigError> {
    let path = match explicit {
        Some(p) => p.to_path_buf(),
        None => {
            let default = PathBuf::from("caunoi.toml");
            if !default.exists() {
                return Ok(FileConfig::default());
            }
            default
        }
    };
    let shown = path.display().to_string();
    let text =
        std::fs::read_to_string(&path).map_err(|e| ConfigError::Read { path: shown.clone(), reason: e.to_string() })?;
    toml::from_str(&text).map_err(|e| ConfigError::Parse { path: shown, reason: e.message().to_string() })
}

fn key_from_file(path: &Path) -> Result<[u8; KEY_LEN], ConfigError> {
    let err = |reason: String| ConfigError::DataDir { path: path.display().to_string(), reason };
    if path.exists() {
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        return crypto::parse_key(&text).ok_or(ConfigError::SecretKey);
    }
    let key = crypto::generate_key();
    std::fs::write(path, crypto::encode_key(&key)).map_err(|e| err(e.to_string()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(|e| err(e.to_string()))?;
    }
    Ok(key)
}

/// Parses the `zalo_signature` setting: `oa-secret` (documented default, also the empty
/// string), `app-secret`, `oa-id` (first term is the OA id), or `diagnostic` (try all three).
pub fn parse_signature_config(text: &str) -> Option<SignatureConfig> {
    let variant = |first_term, secret| MacVariant { first_term, secret };
    let mut config = SignatureConfig::default();
    match text.trim().to_ascii_lowercase().as_str() {
        "" | "oa-secret" => {}
        "app-secret" => config.variant = variant(MacFirstTerm::AppId, MacSecret::AppSecret),
        "oa-id" => config.variant = variant(MacFirstTerm::OaId, MacSecret::OaSecretKey),
        "diagnostic" => config.mode = VerifyMode::Diagnostic,
        _ => return None,
    }
    Some(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_settings_parse() {
        assert_eq!(parse_signature_config(""), Some(SignatureConfig::default()));
        assert_eq!(parse_signature_config("diagnostic").map(|c| c.mode), Some(VerifyMode::Diagnostic));
        assert!(parse_signature_config("hmac").is_none());
    }

    #[test]
    fn defaults_use_sqlite_in_the_data_dir_and_create_a_key_once() {
        let dir = tempfile::tempdir().unwrap();
        let o = Overrides { data_dir: Some(dir.path().join("d")), ..Default::default() };
        let c = Config::resolve(&o).unwrap();
        assert!(c.database_url.starts_with("sqlite://"));
        assert!(c.database_url.ends_with("caunoi.db"));
        assert_eq!(c.public_url, "http://127.0.0.1:8080");
        let again = Config::resolve(&o).unwrap();
        assert_eq!(c.secret_key, again.secret_key);
        assert!(!c.tls());
        assert!(c.trusted_proxies.is_empty(), "nobody's X-Forwarded-For is believed by default");
        assert_eq!((c.media_free_floor, c.upload_quotas), (FreeFloor::Bytes(2 << 30), UploadQuotas::default()));
        assert_eq!(c.media_retention_days, None, "media is kept unless a retention is set");
    }

    #[test]
    fn media_limits_come_from_flags_before_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        std::fs::write(
            &file,
            "media_free_floor = \"5%\"\nupload_quota_session_hour = \"50MB\"\nupload_quota_address_day = \"8GB\"\n",
        )
        .unwrap();
        let o = Overrides {
            data_dir: Some(dir.path().to_path_buf()),
            config_file: Some(file),
            upload_quota_session_hour: Some("20MB".into()),
            ..Default::default()
        };
        let c = Config::resolve(&o).unwrap();
        assert_eq!(c.media_free_floor, FreeFloor::Percent(5));
        assert_eq!(c.upload_quotas.session_hour, 20 << 20, "the flag wins over the file");
        assert_eq!(c.upload_quotas.address_day, 8 << 30);
        assert_eq!(c.upload_quotas.session_day, UploadQuotas::default().session_day);
    }

    #[test]
    fn bad_values_are_reported_in_one_sentence() {
        let dir = tempfile::tempdir().unwrap();
        let base = Overrides { data_dir: Some(dir.path().to_path_buf()), ..Default::default() };
        let e = Config::resolve(&Overrides { listen: Some("nowhere".into()), ..base.clone() }).unwrap_err();
        assert!(e.to_string().contains("listen address"));
        let e = Config::resolve(&Overrides { public_url: Some("ftp://x".into()), ..base.clone() }).unwrap_err();
        assert!(e.to_string().contains("public_url"));
        let e = Config::resolve(&Overrides { secret_key: Some("abc".into()), ..base.clone() }).unwrap_err();
        assert!(e.to_string().contains("secret_key"));
        let e = Config::resolve(&Overrides { trusted_proxies: Some("nginx".into()), ..base.clone() }).unwrap_err();
        assert!(e.to_string().contains("trusted_proxies"), "{e}");
        let e = Config::resolve(&Overrides { log: Some("loud[".into()), ..base.clone() }).unwrap_err();
        assert!(e.to_string().contains("log filter"), "{e}");
        let e = Config::resolve(&Overrides { session_idle_minutes: Some(0), ..base.clone() }).unwrap_err();
        assert!(e.to_string().contains("session_idle_minutes 0"), "{e}");
        let e = Config::resolve(&Overrides { session_idle_minutes: Some(1441), ..base.clone() }).unwrap_err();
        assert!(e.to_string().contains("1 to 1440"), "{e}");
        let e = Config::resolve(&Overrides { media_free_floor: Some("plenty".into()), ..base.clone() }).unwrap_err();
        assert!(e.to_string().contains("media_free_floor"), "{e}");
        let e = Config::resolve(&Overrides { media_retention_days: Some("7".into()), ..base.clone() }).unwrap_err();
        assert!(e.to_string().contains("at least 30"), "{e}");
        let c = Config::resolve(&Overrides { media_retention_days: Some("365".into()), ..base.clone() }).unwrap();
        assert_eq!(c.media_retention_days, Some(365));
        let e = Config::resolve(&Overrides { upload_quota_session_day: Some("0".into()), ..base.clone() }).unwrap_err();
        assert!(e.to_string().contains("upload_quota_session_day"), "{e}");
        let e = Config::resolve(&Overrides { push_contact: Some("trucban".into()), ..base.clone() }).unwrap_err();
        assert!(e.to_string().contains("push_contact"), "{e}");
        let c = Config::resolve(&Overrides { push_contact: Some("mailto:trucban@example.vn".into()), ..base.clone() });
        assert_eq!(c.unwrap().push_contact, "mailto:trucban@example.vn");
        let file = dir.path().join("c.toml");
        std::fs::write(&file, "listen = 5\nunknown = true\n").unwrap();
        let e = Config::resolve(&Overrides { config_file: Some(file.clone()), ..base.clone() }).unwrap_err();
        assert!(e.to_string().contains("not valid"), "{e}");
        std::fs::write(&file, "workers = \"maybe\"\n").unwrap();
        let e = Config::resolve(&Overrides { config_file: Some(file.clone()), ..base.clone() }).unwrap_err();
        assert!(e.to_string().contains("expected on or off"), "{e}");
        std::fs::write(&file, "session_idle_minutes = 0\n").unwrap();
        let e = Config::resolve(&Overrides { config_file: Some(file), ..base }).unwrap_err();
        assert!(e.to_string().contains("session_idle_minutes 0"), "{e}");
    }

    #[test]
    fn switches_read_the_same_from_the_file_as_from_flags_and_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        for (written, want) in [
            ("\"off\"", false),
            ("\"on\"", true),
            ("false", false),
            ("true", true),
            ("0", false),
            ("1", true),
            ("\"No\"", false),
            ("\"YES\"", true),
        ] {
            std::fs::write(&file, format!("workers = {written}\nrequire_totp_for_admins = {written}\n")).unwrap();
            let o = Overrides {
                data_dir: Some(dir.path().join("d")),
                config_file: Some(file.clone()),
                ..Default::default()
            };
            let c = Config::resolve(&o).unwrap();
            assert_eq!((c.workers, c.require_totp_for_admins), (want, want), "{written}");
            let flag = written.trim_matches('"');
            assert_eq!(parse_switch(flag), Ok(want), "{flag} as a flag or variable");
        }
        assert!(parse_switch("maybe").is_err());
    }

    #[test]
    fn the_media_store_is_the_data_directory_unless_a_bucket_is_named() {
        let dir = tempfile::tempdir().expect("dir");
        let base = Overrides { data_dir: Some(dir.path().to_path_buf()), ..Default::default() };
        let c = Config::resolve(&base).expect("config");
        assert!(matches!(&c.media_store, MediaStore::Local { root } if *root == dir.path().join("media")));
        let file = dir.path().join("caunoi.toml");
        std::fs::write(
            &file,
            "media_store = \"s3\"\nmedia_s3_bucket = \"anh-video\"\nmedia_s3_endpoint = \"https://s3.example.vn/\"\n\
             media_s3_access_key_id = \"from-file\"\nmedia_s3_secret_access_key = \"file-secret\"\n",
        )
        .expect("file");
        let from_file = Overrides { config_file: Some(file.clone()), ..base.clone() };
        let c = Config::resolve(&from_file).expect("config");
        let shown = format!("{:?}", c.media_store);
        assert!(shown.contains("s3://anh-video/") && !shown.contains("file-secret"), "{shown}");
        let flags = Overrides {
            media_s3: S3Overrides { bucket: Some("other".into()), prefix: Some("unit-1".into()), ..Default::default() },
            ..from_file.clone()
        };
        assert!(format!("{:?}", Config::resolve(&flags).expect("config").media_store).contains("s3://other/unit-1"));
        let no_secret = Overrides {
            media_store: Some("s3".into()),
            media_s3: S3Overrides { bucket: Some("b".into()), ..Default::default() },
            ..base.clone()
        };
        let e = Config::resolve(&no_secret).unwrap_err().to_string();
        assert!(e.contains("media_s3_access_key_id") && e.contains("CAUNOI_MEDIA_S3_SECRET_ACCESS_KEY"), "{e}");
        let e = Config::resolve(&Overrides { media_store: Some("ftp".into()), ..base }).unwrap_err().to_string();
        assert!(e.contains("media_store") && e.contains("\"ftp\" is not local or s3"), "{e}");
    }

    #[test]
    fn a_read_only_command_refuses_a_data_directory_that_does_not_exist() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("typo");
        let o = Overrides { data_dir: Some(missing.clone()), existing_data_dir: true, ..Default::default() };
        let e = Config::resolve(&o).unwrap_err();
        assert!(e.to_string().contains("does not exist"), "{e}");
        assert!(!missing.exists(), "nothing was created");
    }
}
