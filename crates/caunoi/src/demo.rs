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

pub const LOGINS: [DemoLogin; 6] = [
    DemoLogin { username: "admin.qn", display_name: "Trần Quốc Hùng", role: "admin", unit: "quang-ninh" },
    DemoLogin { username: "lanhdao.qn", display_name: "Nguyễn Thị Lan", role: "leader", unit: "quang-ninh" },
    DemoLogin { username: "phantich.qn", display_name: "Lê Minh Tuấn", role: "analyst", unit: "quang-ninh" },
    DemoLogin { username: "admin.honggai", display_name: "Phạm Văn Đức", role: "admin", unit: "qn-hong-gai" },
    DemoLogin { username: "trucban.baichay", display_name: "Đỗ Thu Hà", role: "duty_officer", unit: "qn-bai-chay" },
    DemoLogin { username: "canbo.baichay", display_name: "Vũ Hoàng Nam", role: "officer", unit: "qn-bai-chay" },
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

/// A hexagon-like polygon around a point, radius about 1.5–2.5 km, as GeoJSON text.
fn boundary(lat: f64, lon: f64, rng: &mut Seeded) -> String {
    let mut ring: Vec<[f64; 2]> = (0..6)
        .map(|i| {
            let angle = std::f64::consts::PI / 3.0 * i as f64;
            let r = 0.014 + 0.008 * rng.unit();
            [round6(lon + r * angle.cos()), round6(lat + r * angle.sin() * 0.93)]
        })
        .collect();
    ring.push(ring[0]);
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
            boundary: boundary(*lat, *lon, &mut rng),
            hotline: format!("0203 38{:02} {:03}", 30 + i, 100 + (rng.next() % 900)),
            duty_phone: format!("0912 {:03} {:03}", 100 + i * 7, 200 + (rng.next() % 800)),
            ..Default::default()
        };
        office_hours(&mut d);
        push(code, "quang-ninh", d);
    }
    rows
}

/// Creates the demo data when the database holds no unit yet. Returns whether it did.
pub async fn seed_if_empty(app: &App) -> Result<bool, CliError> {
    if crate::units::store::count(&app.db).await? > 0 {
        return Ok(false);
    }
    seed(app).await?;
    Ok(true)
}

/// Creates the demo units and officers (the database must be empty of them).
pub async fn seed(app: &App) -> Result<(), CliError> {
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
    Ok(())
}

#[derive(Serialize)]
struct DemoFile<'a> {
    base_url: &'a str,
    password: &'a str,
    logins: &'a [DemoLogin],
}

/// Prints the demo logins and writes `<data-dir>/demo.json`.
pub fn announce(app: &App, seeded: bool) -> Result<(), CliError> {
    let file = DemoFile { base_url: &app.config.public_url, password: DEMO_PASSWORD, logins: &LOGINS };
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
}
