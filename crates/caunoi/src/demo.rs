//! Demo data: the Ministry, one province (Quảng Ninh) with 27 wards, communes and special zones
//! plus a specialist team, plausible locations and simple boundary polygons, and officers in
//! different roles and units. Deterministic: the same data on every machine, so tests and
//! screenshots are stable. Phone numbers are made up for the demo.

use crate::app::App;
use crate::cli::CliError;
use crate::staff::service::{NewOfficerInput, create_officer};
use caunoi_core::units::{ImportRow, UnitDetailsInput};
use serde::Serialize;

/// The password of every demo account (printed by `caunoi demo`).
pub const DEMO_PASSWORD: &str = "CauNoi@2026";

/// One demo account.
#[derive(Debug, Clone, Serialize)]
pub struct DemoLogin {
    pub username: &'static str,
    pub display_name: &'static str,
    pub role: &'static str,
    pub unit: &'static str,
}

pub const LOGINS: [DemoLogin; 7] = [
    DemoLogin { username: "admin.qn", display_name: "Trần Quốc Hùng", role: "admin", unit: "quang-ninh" },
    DemoLogin { username: "lanhdao.qn", display_name: "Nguyễn Thị Lan", role: "leader", unit: "quang-ninh" },
    DemoLogin { username: "phantich.qn", display_name: "Lê Minh Tuấn", role: "analyst", unit: "quang-ninh" },
    DemoLogin { username: "admin.honggai", display_name: "Phạm Văn Đức", role: "admin", unit: "qn-hong-gai" },
    DemoLogin { username: "trucban.baichay", display_name: "Đỗ Thu Hà", role: "duty_officer", unit: "qn-bai-chay" },
    DemoLogin { username: "canbo.baichay", display_name: "Vũ Hoàng Nam", role: "officer", unit: "qn-bai-chay" },
    // The deployment's admin (the tree's root): report categories and other settings every unit
    // shares (`Action::ManageDeployment`).
    DemoLogin { username: "quantri.bca", display_name: "Hoàng Minh Châu", role: "admin", unit: "bo-cong-an" },
];

/// (code, name, kind, lat, lon)
const PLACES: [(&str, &str, &str, f64, f64); 27] = [
    ("qn-ha-long", "Công an phường Hạ Long", "ward", 20.9510, 107.0800),
    ("qn-bai-chay", "Công an phường Bãi Cháy", "ward", 20.9600, 107.0420),
    ("qn-hong-gai", "Công an phường Hồng Gai", "ward", 20.9560, 107.0950),
    ("qn-tuan-chau", "Công an phường Tuần Châu", "ward", 20.9300, 106.9900),
    ("qn-viet-hung", "Công an phường Việt Hưng", "ward", 21.0000, 106.9800),
    ("qn-hoanh-bo", "Công an phường Hoành Bồ", "ward", 21.0300, 107.0300),
    ("qn-cao-xanh", "Công an phường Cao Xanh", "ward", 20.9750, 107.0700),
    ("qn-ha-tu", "Công an phường Hà Tu", "ward", 20.9620, 107.1400),
    ("qn-ha-lam", "Công an phường Hà Lầm", "ward", 20.9640, 107.1100),
    ("qn-cam-pha", "Công an phường Cẩm Phả", "ward", 21.0100, 107.2900),
    ("qn-quang-hanh", "Công an phường Quang Hanh", "ward", 21.0000, 107.2300),
    ("qn-cua-ong", "Công an phường Cửa Ông", "ward", 21.0300, 107.3600),
    ("qn-mong-duong", "Công an phường Mông Dương", "ward", 21.0600, 107.3300),
    ("qn-uong-bi", "Công an phường Uông Bí", "ward", 21.0400, 106.7700),
    ("qn-vang-danh", "Công an phường Vàng Danh", "ward", 21.1000, 106.8000),
    ("qn-yen-tu", "Công an phường Yên Tử", "ward", 21.1200, 106.7200),
    ("qn-dong-trieu", "Công an phường Đông Triều", "ward", 21.0800, 106.5200),
    ("qn-mao-khe", "Công an phường Mạo Khê", "ward", 21.0600, 106.6000),
    ("qn-quang-yen", "Công an phường Quảng Yên", "ward", 20.9400, 106.8100),
    ("qn-mong-cai-1", "Công an phường Móng Cái 1", "ward", 21.5300, 107.9700),
    ("qn-van-don", "Công an đặc khu Vân Đồn", "special_zone", 21.0700, 107.4200),
    ("qn-co-to", "Công an đặc khu Cô Tô", "special_zone", 20.9800, 107.7600),
    ("qn-tien-yen", "Công an xã Tiên Yên", "commune", 21.3300, 107.4000),
    ("qn-ba-che", "Công an xã Ba Chẽ", "commune", 21.2700, 107.2900),
    ("qn-binh-lieu", "Công an xã Bình Liêu", "commune", 21.5300, 107.4000),
    ("qn-dam-ha", "Công an xã Đầm Hà", "commune", 21.3500, 107.6000),
    ("qn-hai-ha", "Công an xã Hải Hà", "commune", 21.4500, 107.7500),
];

/// A small deterministic generator (SplitMix64) so demo data does not depend on the machine.
struct Seeded(u64);

impl Seeded {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A hexagon-like polygon around a place, radius about 1.5–2.5 km, as GeoJSON text; smaller
/// where another place is near, so that no two demo areas overlap (each hexagon lies within
/// 0.45 × the distance to the nearest other place, in degrees).
fn boundary(index: usize, rng: &mut Seeded) -> String {
    let (_, _, _, lat, lon) = PLACES[index];
    let nearest = PLACES
        .iter()
        .enumerate()
        .filter(|(j, _)| *j != index)
        .map(|(_, p)| ((p.3 - lat).powi(2) + (p.4 - lon).powi(2)).sqrt())
        .fold(f64::INFINITY, f64::min);
    let mut ring: Vec<[f64; 2]> = (0..6)
        .map(|i| {
            let angle = std::f64::consts::PI / 3.0 * i as f64;
            let r = (0.014 + 0.008 * rng.unit()).min(0.45 * nearest);
            [round6(lon + r * angle.cos()), round6(lat + r * angle.sin() * 0.93)]
        })
        .collect();
    ring.push(ring[0]);
    serde_json::json!({ "type": "Polygon", "coordinates": [ring] }).to_string()
}

/// The province's area: a box around every demo place with a margin, so a report anywhere near
/// them that no ward's area holds goes to the province.
fn province_boundary() -> String {
    let margin = 0.08;
    let min_lat = PLACES.iter().map(|p| p.3).fold(f64::INFINITY, f64::min) - margin;
    let max_lat = PLACES.iter().map(|p| p.3).fold(f64::NEG_INFINITY, f64::max) + margin;
    let min_lon = PLACES.iter().map(|p| p.4).fold(f64::INFINITY, f64::min) - margin;
    let max_lon = PLACES.iter().map(|p| p.4).fold(f64::NEG_INFINITY, f64::max) + margin;
    let ring = [[min_lon, min_lat], [max_lon, min_lat], [max_lon, max_lat], [min_lon, max_lat], [min_lon, min_lat]]
        .map(|[x, y]| [round6(x), round6(y)]);
    serde_json::json!({ "type": "Polygon", "coordinates": [ring] }).to_string()
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

fn office_hours(input: &mut UnitDetailsInput) {
    for d in
        [&mut input.hours_mon, &mut input.hours_tue, &mut input.hours_wed, &mut input.hours_thu, &mut input.hours_fri]
    {
        *d = "07:30-11:30, 13:30-17:00".into();
    }
    input.hours_sat = "07:30-11:30".into();
    input.holidays = "2027-01-01, 2027-04-30, 2027-05-01, 2027-09-02".into();
}

/// The demo unit tree as import rows.
pub fn unit_rows() -> Vec<ImportRow> {
    let mut rng = Seeded(20261122);
    let mut rows = Vec::new();
    let mut push = |code: &str, parent: &str, d: UnitDetailsInput| {
        rows.push(ImportRow { line: rows.len() + 1, code: code.into(), parent_code: parent.into(), details: d });
    };
    push(
        "bo-cong-an",
        "",
        UnitDetailsInput {
            name: "Bộ Công an".into(),
            kind: "ministry".into(),
            address: "47 Phạm Văn Đồng, Cầu Giấy, Hà Nội".into(),
            hotline: "069 234 2593".into(),
            ..Default::default()
        },
    );
    let mut province = UnitDetailsInput {
        name: "Công an tỉnh Quảng Ninh".into(),
        kind: "province".into(),
        address: "Đường Nguyễn Văn Cừ, phường Hồng Gai, tỉnh Quảng Ninh".into(),
        lat: "20.9525".into(),
        lon: "107.0790".into(),
        hotline: "0203 3825 111".into(),
        duty_phone: "0203 3825 113".into(),
        email: "tiepnhan@congan.quangninh.example".into(),
        boundary: province_boundary(),
        ..Default::default()
    };
    office_hours(&mut province);
    push("quang-ninh", "bo-cong-an", province);
    let mut team = UnitDetailsInput {
        name: "Phòng Cảnh sát PCCC và CNCH".into(),
        kind: "team".into(),
        address: "Phường Hồng Gai, tỉnh Quảng Ninh".into(),
        hotline: "114".into(),
        ..Default::default()
    };
    office_hours(&mut team);
    push("qn-pccc", "quang-ninh", team);
    for (i, (code, name, kind, lat, lon)) in PLACES.iter().enumerate() {
        let place = name.trim_start_matches("Công an ");
        let mut d = UnitDetailsInput {
            name: (*name).into(),
            kind: (*kind).into(),
            address: format!("Trụ sở Công an {place}, tỉnh Quảng Ninh"),
            lat: format!("{lat:.4}"),
            lon: format!("{lon:.4}"),
            boundary: boundary(i, &mut rng),
            hotline: format!("0203 38{:02} {:03}", 30 + i, 100 + (rng.next() % 900)),
            duty_phone: format!("0912 {:03} {:03}", 100 + i * 7, 200 + (rng.next() % 800)),
            ..Default::default()
        };
        office_hours(&mut d);
        d.former_names = former_names(code).join("\n");
        push(code, "quang-ninh", d);
    }
    rows
}

/// Example former names (tên cũ) of demo units, for routing typed addresses: the district
/// towns became communes of the same name in 2025, and phường Hồng Hải joined phường Hồng Gai.
/// Examples for the demo, not a copy of the 2025 resolution.
fn former_names(code: &str) -> &'static [&'static str] {
    match code {
        "qn-hong-gai" => &["phường Hồng Hải"],
        "qn-tien-yen" => &["thị trấn Tiên Yên"],
        "qn-ba-che" => &["thị trấn Ba Chẽ"],
        _ => &[],
    }
}

/// Creates the demo data when the database holds no unit yet. Returns whether it did.
pub async fn seed_if_empty(app: &App) -> Result<bool, CliError> {
    if crate::units::service::count(app).await? > 0 {
        return Ok(false);
    }
    seed(app).await?;
    // A few cases so the board of a new demo is not empty (not part of `seed`, which tests
    // build on and count cases from).
    seed_cases(app).await?;
    Ok(true)
}

/// Creates the demo units, officers and the starter knowledge base (the database must be empty
/// of them).
pub async fn seed(app: &App) -> Result<(), CliError> {
    crate::kb::service::import_base(app, crate::kb::service::STARTER_KB, None, "kb_seed.json")
        .await
        .map_err(|e| CliError::Message(e.to_string()))?;
    crate::units::service::import(app, unit_rows(), "demo").await.map_err(|e| CliError::Message(e.to_string()))?;
    for l in LOGINS {
        let input = NewOfficerInput {
            username: l.username.into(),
            display_name: l.display_name.into(),
            password: DEMO_PASSWORD.into(),
            role: l.role.into(),
            unit_code: l.unit.into(),
        };
        create_officer(app, None, &input).await?;
    }
    ensure_open311_key(app).await?;
    Ok(())
}

/// The unit the demo's Open311 API key is issued to.
pub const OPEN311_UNIT: &str = "quang-ninh";

/// The demo's Open311 API key (written to `demo.json` as `open311_api_key`): derived from the
/// instance key, so one data directory keeps one key across restarts and no two installations
/// share it.
pub fn open311_key(app: &App) -> String {
    let digest = app.secrets.keyed_hash("demo open311 key", OPEN311_UNIT.as_bytes());
    format!("o311_demo_{}", &digest[..32])
}

/// Issues the demo's Open311 key to the province unless it exists (also for data made before
/// Open311 came).
pub async fn ensure_open311_key(app: &App) -> Result<(), CliError> {
    let Some((unit, _)) = crate::units::service::locate(&app.db, OPEN311_UNIT).await? else {
        return Ok(());
    };
    crate::cases::open311::ensure_key_for_setup(app, unit, &open311_key(app), "Demo (caunoi demo)").await?;
    Ok(())
}

/// A few reported cases so the board is not empty: an urgent fire and a noise complaint at the
/// Bãi Cháy ward, and a sealed drugs tip taken at the province and forwarded to the ward
/// (waiting for its acknowledgement).
pub async fn seed_cases(app: &App) -> Result<(), CliError> {
    use crate::cases::service::{NewCase, ReporterDetails, create};
    use caunoi_core::cases::{Channel, ReporterMode};
    let unit = |code: &'static str| async move {
        crate::units::service::locate(&app.db, code)
            .await?
            .map(|(id, _)| id)
            .ok_or_else(|| CliError::Message(format!("demo unit {code} is missing")))
    };
    let (ward, province) = (unit("qn-bai-chay").await?, unit("quang-ninh").await?);
    let case = |received_by, category: &str, description: &str, point, address: &str, mode, reporter| NewCase {
        // The noise category asks for the source of the noise.
        attributes: if category == "noise" {
            [("source".to_string(), "karaoke".to_string())].into_iter().collect()
        } else {
            Default::default()
        },
        channel: Channel::Officer,
        received_by,
        category: category.into(),
        description: description.into(),
        point,
        address: Some(address.into()),
        place_unknown: false,
        occurred: Some("vừa xảy ra".into()),
        mode,
        reporter,
        conversation: None,
        entered_by: None,
        urgent: false,
        // Seeded history: nobody is rung for it.
        own_alarm: false,
        media: Vec::new(),
    };
    let caller =
        |name: &str, phone: &str| ReporterDetails { name: Some(name.into()), phone: Some(phone.into()), contact: None };
    let cases = [
        case(
            ward,
            "fire",
            "Cháy quán ăn ven đường, khói đen bốc cao, có người mắc kẹt trên tầng 2.",
            Some((20.9583, 107.0441)),
            "Đường Hạ Long, tổ 5, khu 2, phường Bãi Cháy",
            ReporterMode::Open,
            caller("Trần Văn Bình", "+84912000111"),
        ),
        case(
            ward,
            "noise",
            "Quán karaoke hát to sau 23 giờ đêm nhiều ngày liền, ảnh hưởng người già và trẻ nhỏ.",
            Some((20.9611, 107.0398)),
            "Khu 4, phường Bãi Cháy",
            ReporterMode::Open,
            caller("Lê Thị Hoa", "+84983000222"),
        ),
        case(
            province,
            "drugs",
            "Một nhóm thanh niên thường tụ tập sử dụng ma túy trong căn nhà bỏ hoang cuối ngõ, tối nào cũng có người lạ ra vào.",
            Some((20.9595, 107.0460)),
            "Ngõ 12, khu 3, phường Bãi Cháy",
            ReporterMode::Sealed,
            caller("Người báo tin (bảo mật)", "+84904000333"),
        ),
    ];
    let mut ids = Vec::new();
    for c in cases {
        ids.push(create(app, c).await.map_err(|e| CliError::Message(format!("demo case: {e}")))?.id);
    }
    if let Some(tip) = crate::cases::service::get_unscoped(app, ids[2]).await? {
        let target = crate::cases::ForwardTarget {
            id: ward,
            code: "qn-bai-chay".into(),
            name: "Công an phường Bãi Cháy".into(),
            depth: 2,
        };
        crate::cases::handling::forward_in(
            app,
            &tip,
            &target,
            "Địa bàn thuộc phường Bãi Cháy; đề nghị xác minh.",
            None,
        )
        .await
        .map_err(|e| CliError::Message(format!("demo case: {e}")))?;
    }
    Ok(())
}

/// A demo Zalo OA bound to a demo unit; ids and secrets are fixed so scripts can sign events.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct DemoOa {
    pub unit: &'static str,
    /// The OA's name on (the fake) Zalo.
    pub name: &'static str,
    /// Connected at start; the others wait for an admin to connect them from the console.
    pub connected: bool,
    pub app_id: &'static str,
    pub oa_id: &'static str,
    pub app_secret: &'static str,
    pub oa_secret_key: &'static str,
}

/// The province's OA and the Bãi Cháy ward's OA, connected; and the Hồng Gai ward's, which
/// the fake knows but nobody connected yet (to try the console's "Kết nối với Zalo").
pub const DEMO_OAS: [DemoOa; 3] = [
    DemoOa {
        unit: "quang-ninh",
        name: "Công an tỉnh Quảng Ninh",
        connected: true,
        app_id: "1434927390812340001",
        oa_id: "2960384411273650001",
        app_secret: "demo-app-secret-quang-ninh",
        oa_secret_key: "demo-oa-secret-quang-ninh",
    },
    DemoOa {
        unit: "qn-bai-chay",
        name: "Công an phường Bãi Cháy",
        connected: true,
        app_id: "1434927390812340002",
        oa_id: "2960384411273650002",
        app_secret: "demo-app-secret-bai-chay",
        oa_secret_key: "demo-oa-secret-bai-chay",
    },
    DemoOa {
        unit: "qn-hong-gai",
        name: "Công an phường Hồng Gai",
        connected: false,
        app_id: "1434927390812340003",
        oa_id: "2960384411273650003",
        app_secret: "demo-app-secret-hong-gai",
        oa_secret_key: "demo-oa-secret-hong-gai",
    },
];

/// The fake Zalo's App and OA for a demo OA.
pub fn fake_app(d: &DemoOa) -> caunoi_zalo::fake::FakeApp {
    caunoi_zalo::fake::FakeApp::new(d.app_id, d.app_secret, d.oa_id, d.oa_secret_key).with_name(d.name)
}

/// Starts the fake Zalo for the demo OAs (on the port after caunoi's when free) and points
/// caunoi's Zalo client at it unless `CAUNOI_ZALO_API_URL` says otherwise.
pub async fn start_fake_zalo(o: &mut crate::config::Overrides) -> Result<caunoi_zalo::fake::FakeZalo, CliError> {
    use caunoi_zalo::fake::{FakeConfig, FakeZalo};
    let config = crate::config::Config::resolve(o)?;
    let apps = DEMO_OAS.iter().map(fake_app).collect();
    let mut fake_config = FakeConfig::new(apps);
    let next_port = config.listen.port().checked_add(1).filter(|_| config.listen.port() != 0);
    let fake = match next_port {
        Some(port) => {
            fake_config.bind = std::net::SocketAddr::from(([127, 0, 0, 1], port));
            match FakeZalo::start(fake_config.clone()).await {
                Ok(f) => Ok(f),
                Err(_) => {
                    fake_config.bind = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
                    FakeZalo::start(fake_config).await
                }
            }
        }
        None => FakeZalo::start(fake_config).await,
    }
    .map_err(|e| CliError::Message(format!("cannot start the fake Zalo: {e}")))?;
    if o.zalo_api_url.is_none() {
        o.zalo_api_url = Some(fake.base_url().to_string());
    }
    Ok(fake)
}

/// Connects the demo OAs that start connected (with the fake's start tokens, checked with the
/// fake like any connection) and points every demo OA's webhooks at this caunoi.
pub async fn bind_demo_oas(app: &App, fake: &caunoi_zalo::fake::FakeZalo) -> Result<(), CliError> {
    for d in DEMO_OAS {
        if d.connected {
            bind_demo_oa(app, &d).await?;
        }
        let url = format!("{}/channels/zalo/{}/webhook", app.config.public_url, d.oa_id);
        fake.set_webhook_url(d.oa_id, url).map_err(|e| CliError::Message(e.to_string()))?;
    }
    Ok(())
}

/// Connects one demo OA to its unit (no officer: this is setup, like the import).
pub async fn bind_demo_oa(app: &App, d: &DemoOa) -> Result<(), CliError> {
    let pair = caunoi_zalo::TokenPair::issued(
        caunoi_zalo::token::IssuedTokens {
            access_token: format!("FAKE-OA-AT-{}-0", d.oa_id).into(),
            refresh_token: format!("FAKE-OA-RT-{}-0", d.oa_id).into(),
            expires_in: std::time::Duration::from_secs(90_000),
        },
        app.clock.now_micros() / 1000,
    );
    let secrets = crate::channels::zalo::connection::ZaloSecrets {
        app_secret: d.app_secret.to_string(),
        oa_secret_key: d.oa_secret_key.to_string(),
    };
    crate::channels::zalo::service::connect_for_setup(app, d.unit, d.app_id, d.oa_id, &secrets, pair)
        .await
        .map_err(|e| CliError::Message(format!("cannot connect the demo OA of {}: {e}", d.unit)))
}

#[derive(Serialize)]
struct DemoFile<'a> {
    base_url: &'a str,
    password: &'a str,
    logins: &'a [DemoLogin],
    #[serde(skip_serializing_if = "Option::is_none")]
    fake_zalo_url: Option<&'a str>,
    zalo_oas: &'a [DemoOa],
    /// Issued to the province (`OPEN311_UNIT`); the API is at `<base_url>/open311/v2`.
    open311_api_key: String,
}

/// Prints the demo logins and writes `<data-dir>/demo.json`.
pub fn announce(app: &App, seeded: bool, zalo: Option<&caunoi_zalo::fake::FakeZalo>) -> Result<(), CliError> {
    let fake_zalo_url = zalo.map(|z| z.base_url());
    let oas: &[DemoOa] = if zalo.is_some() { &DEMO_OAS } else { &[] };
    let file = DemoFile {
        base_url: &app.config.public_url,
        password: DEMO_PASSWORD,
        logins: &LOGINS,
        fake_zalo_url,
        zalo_oas: oas,
        open311_api_key: open311_key(app),
    };
    // On PostgreSQL with a given secret key nothing else has created the data directory yet.
    std::fs::create_dir_all(&app.config.data_dir)
        .map_err(|e| CliError::Message(format!("cannot create {}: {e}", app.config.data_dir.display())))?;
    let path = app.config.data_dir.join("demo.json");
    let json = serde_json::to_string_pretty(&file).map_err(|e| CliError::Message(e.to_string()))?;
    std::fs::write(&path, json).map_err(|e| CliError::Message(format!("cannot write {}: {e}", path.display())))?;
    println!();
    println!("  caunoi demo — {}", app.config.public_url);
    println!("  {}", if seeded { "Demo data created." } else { "Using the existing demo data." });
    println!("  Public page of a ward: {}/u/qn-bai-chay", app.config.public_url);
    println!("  Sign in at {}/login with password {DEMO_PASSWORD} and one of:", app.config.public_url);
    for l in LOGINS {
        println!("    {:<16} {:<13} {}", l.username, l.role, l.unit);
    }
    if let Some(url) = fake_zalo_url {
        println!("  Fake Zalo: {url} — OAs of {} (see demo.json)", DEMO_OAS.map(|d| d.unit).join(", "));
    }
    println!("  Open311 (GeoReport v2): {}/open311/v2 — API key in demo.json", app.config.public_url);
    println!("  (also written to {})", path.display());
    println!();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn demo_tree_is_valid_deterministic_and_large_enough() {
        let a = caunoi_core::units::plan_import(unit_rows(), &HashSet::new()).expect("demo rows are valid");
        let b = caunoi_core::units::plan_import(unit_rows(), &HashSet::new()).unwrap();
        assert_eq!(a, b);
        let wards = a.iter().filter(|p| p.parent_code.as_ref().is_some_and(|c| c.as_str() == "quang-ninh")).count();
        assert!(wards >= 25, "{wards}");
        assert!(a.iter().filter(|p| p.details.boundary.is_some()).count() >= 25);
    }

    #[test]
    fn every_demo_place_routes_to_its_own_unit_and_no_two_areas_overlap() {
        use caunoi_core::geo::{Boundaries, GeoPoint, parse_boundary};
        use caunoi_core::units::UnitId;
        let rows = unit_rows();
        let areas: Vec<(UnitId, caunoi_core::geo::Boundary)> = rows
            .iter()
            .enumerate()
            .filter(|(_, r)| !r.details.boundary.is_empty())
            .map(|(i, r)| (UnitId(i as i64), parse_boundary(&r.details.boundary).expect("valid demo boundary")))
            .collect();
        let index = Boundaries::new(areas.clone());
        for (i, row) in rows.iter().enumerate().filter(|(_, r)| r.details.kind != "province") {
            let Ok(p) = GeoPoint::new(row.details.lat.parse().unwrap_or(0.0), row.details.lon.parse().unwrap_or(0.0))
            else {
                continue;
            };
            assert_eq!(index.locate(p).map(|l| l.unit), Some(UnitId(i as i64)), "{}", row.code);
            // A place is inside its own area only: the areas do not overlap.
            let holding = areas.iter().filter(|(_, b)| b.contains(p)).count();
            assert_eq!(holding, 2, "{} lies in its ward and the province only", row.code);
        }
    }
}
