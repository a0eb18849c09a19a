//! The unit tree (cây đơn vị): police units of any depth — Ministry, province, commune/ward/special
//! zone, specialist teams, or the district level of older trees.
//!
//! A unit's place in the tree is an adjacency list plus a materialised path (`/1/5/9/`), so "this
//! unit and everything below it" is a prefix test both in Rust ([`UnitPath::contains`]) and in SQL
//! (`path LIKE prefix || '%'`). The tree is data, never code: kinds are labels, not levels.
//! Here live the rules: parsing unit fields, opening hours, the boundary polygon, the import plan
//! (cycles, unknown parents, duplicates — all reported at once) and moving a unit.

use crate::input::{FieldErrors, InvalidInput, text_field};
use crate::phone::PhoneNumber;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

/// Database id of a unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct UnitId(pub i64);

/// How a row's integer column becomes the id (rows decode ids once, when read).
impl From<i64> for UnitId {
    fn from(id: i64) -> Self {
        UnitId(id)
    }
}

impl fmt::Display for UnitId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The public code of a unit, used in URLs (`/u/{code}`): the administrative code where one
/// exists, otherwise a short slug. Lowercase ASCII letters, digits and `-`, 2–40 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct UnitCode(String);

impl UnitCode {
    pub fn parse(raw: &str) -> Result<UnitCode, InvalidInput> {
        let s = raw.trim().to_ascii_lowercase();
        let ok = (2..=40).contains(&s.len())
            && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-');
        if ok {
            Ok(UnitCode(s))
        } else {
            Err(InvalidInput::new(
                "code",
                "Mã đơn vị gồm 2–40 ký tự: chữ thường không dấu, số và dấu gạch ngang (ví dụ: 22-bai-chay).",
                "A unit code has 2–40 characters: lowercase letters, digits and hyphens (e.g. 22-bai-chay).",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn from_stored(s: String) -> UnitCode {
        UnitCode(s)
    }
}

impl fmt::Display for UnitCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What kind of unit this is. A label for people; the tree's shape does not depend on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    /// Bộ Công an
    Ministry,
    /// Công an tỉnh / thành phố
    Province,
    /// Công an huyện (trees from before 2025)
    District,
    /// Công an xã
    Commune,
    /// Công an phường
    Ward,
    /// Công an đặc khu
    SpecialZone,
    /// Phòng / đội chuyên trách
    Team,
}

impl UnitKind {
    pub const ALL: [UnitKind; 7] = [
        UnitKind::Ministry,
        UnitKind::Province,
        UnitKind::District,
        UnitKind::Commune,
        UnitKind::Ward,
        UnitKind::SpecialZone,
        UnitKind::Team,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            UnitKind::Ministry => "ministry",
            UnitKind::Province => "province",
            UnitKind::District => "district",
            UnitKind::Commune => "commune",
            UnitKind::Ward => "ward",
            UnitKind::SpecialZone => "special_zone",
            UnitKind::Team => "team",
        }
    }

    pub fn parse(raw: &str) -> Result<UnitKind, InvalidInput> {
        UnitKind::ALL.into_iter().find(|k| k.as_str() == raw.trim()).ok_or_else(|| {
            InvalidInput::new(
                "kind",
                "Loại đơn vị không hợp lệ (ministry, province, district, commune, ward, special_zone, team).",
                "Unknown unit kind (ministry, province, district, commune, ward, special_zone, team).",
            )
        })
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            UnitKind::Ministry => "Bộ",
            UnitKind::Province => "Tỉnh/Thành phố",
            UnitKind::District => "Huyện",
            UnitKind::Commune => "Xã",
            UnitKind::Ward => "Phường",
            UnitKind::SpecialZone => "Đặc khu",
            UnitKind::Team => "Đội chuyên trách",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            UnitKind::Ministry => "Ministry",
            UnitKind::Province => "Province",
            UnitKind::District => "District",
            UnitKind::Commune => "Commune",
            UnitKind::Ward => "Ward",
            UnitKind::SpecialZone => "Special zone",
            UnitKind::Team => "Specialist team",
        }
    }
}

/// A materialised path `/1/5/9/`: the ids from the root down to this unit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct UnitPath(String);

impl UnitPath {
    pub fn root(id: UnitId) -> UnitPath {
        UnitPath(format!("/{}/", id.0))
    }

    pub fn child(&self, id: UnitId) -> UnitPath {
        UnitPath(format!("{}{}/", self.0, id.0))
    }

    pub fn from_stored(s: String) -> UnitPath {
        UnitPath(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True when `other` is this unit or lies below it.
    pub fn contains(&self, other: &UnitPath) -> bool {
        other.0.starts_with(&self.0)
    }

    /// Number of units on the path (a root has depth 1).
    pub fn depth(&self) -> usize {
        self.0.matches('/').count().saturating_sub(1)
    }

    /// The path of the unit right above this one; `None` for a root.
    pub fn parent(&self) -> Option<UnitPath> {
        let inner = self.0.strip_suffix('/')?;
        let cut = inner.rfind('/')?;
        (cut > 0).then(|| UnitPath(self.0[..=cut].to_string()))
    }

    /// The ids on the path, root first.
    pub fn ids(&self) -> Vec<UnitId> {
        self.0.split('/').filter_map(|s| s.parse().ok()).map(UnitId).collect()
    }
}

/// A point on the map (WGS84).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GeoPoint {
    pub lat: f64,
    pub lon: f64,
}

impl GeoPoint {
    /// Parses latitude and longitude typed into a form; both empty means "no location". Both
    /// pasted into the latitude field, as a map copies them ("20.9543, 107.0821" or with a
    /// semicolon), are taken apart when the longitude field is empty.
    pub fn parse_pair(lat: &str, lon: &str) -> Result<Option<GeoPoint>, InvalidInput> {
        let (mut lat, mut lon) = (lat.trim(), lon.trim());
        if lon.is_empty()
            && let Some((a, b)) = lat.split_once("; ").or_else(|| lat.split_once(';')).or_else(|| lat.split_once(", "))
        {
            (lat, lon) = (a.trim(), b.trim());
        }
        if lat.is_empty() && lon.is_empty() {
            return Ok(None);
        }
        let bad = || {
            InvalidInput::new(
                "location",
                "Tọa độ không hợp lệ: vĩ độ từ -90 đến 90, kinh độ từ -180 đến 180 (ví dụ 20.9517, 107.0801).",
                "Invalid coordinates: latitude -90..90, longitude -180..180 (e.g. 20.9517, 107.0801).",
            )
        };
        let lat: f64 = lat.replace(',', ".").parse().map_err(|_| bad())?;
        let lon: f64 = lon.replace(',', ".").parse().map_err(|_| bad())?;
        GeoPoint::new(lat, lon).map(Some).ok_or_else(bad)
    }

    pub fn new(lat: f64, lon: f64) -> Option<GeoPoint> {
        let ok = lat.is_finite() && lon.is_finite() && (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon);
        ok.then_some(GeoPoint { lat, lon })
    }
}

/// A unit's area as a GeoJSON Polygon or MultiPolygon geometry, validated by
/// [`crate::geo::parse_boundary`] and kept as its normalized text (the geometry alone, no
/// Feature wrapper). The units table stores this text; routing parses it again into
/// [`crate::geo::Boundary`] when it builds its index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Boundary(String);

impl Boundary {
    /// Accepts what [`crate::geo::parse_boundary`] accepts; empty text means "no boundary". The
    /// error says exactly what to fix, in both languages.
    pub fn parse(raw: &str) -> Result<Option<Boundary>, InvalidInput> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Ok(None);
        }
        let parsed = crate::geo::parse_boundary(raw).map_err(|e| {
            InvalidInput::new(
                "boundary",
                format!("Ranh giới không hợp lệ: {}", e.message_vi()),
                format!("Invalid boundary: {e}."),
            )
        })?;
        Ok(Some(Boundary::from_parsed(&parsed)))
    }

    /// The stored text of a parsed area.
    pub fn from_parsed(parsed: &crate::geo::Boundary) -> Boundary {
        Boundary(parsed.to_geojson())
    }

    pub fn from_stored(s: String) -> Boundary {
        Boundary(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Days of the week, Monday first (Vietnamese offices count "Thứ Hai" as the first working day).
pub const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// Opening hours (giờ làm việc) per weekday, with holidays on which the office is closed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpeningHours {
    /// Intervals per weekday key (`mon`…`sun`), minutes from midnight, sorted, non-overlapping.
    pub days: BTreeMap<String, Vec<(u16, u16)>>,
    /// Closed dates, `YYYY-MM-DD`.
    #[serde(default)]
    pub holidays: Vec<String>,
}

impl OpeningHours {
    /// Parses one weekday's text: `07:30-11:30, 13:30-17:00`; empty means closed.
    pub fn parse_day(field: &'static str, raw: &str) -> Result<Vec<(u16, u16)>, InvalidInput> {
        let bad = || {
            InvalidInput::new(
                field,
                "Giờ làm việc không hợp lệ. Ví dụ: 07:30-11:30, 13:30-17:00 (để trống nếu nghỉ).",
                "Invalid hours. Example: 07:30-11:30, 13:30-17:00 (leave empty when closed).",
            )
        };
        let mut out = Vec::new();
        for part in raw.split([',', ';']).map(str::trim).filter(|p| !p.is_empty()) {
            let (a, b) = part.split_once('-').ok_or_else(bad)?;
            let (a, b) = (parse_hhmm(a.trim()).ok_or_else(bad)?, parse_hhmm(b.trim()).ok_or_else(bad)?);
            if a >= b {
                return Err(bad());
            }
            out.push((a, b));
        }
        out.sort_unstable();
        if out.windows(2).any(|w| w[0].1 > w[1].0) {
            return Err(bad());
        }
        Ok(out)
    }

    /// Parses the holiday list: dates `YYYY-MM-DD` separated by commas, spaces or new lines.
    pub fn parse_holidays(raw: &str) -> Result<Vec<String>, InvalidInput> {
        let mut out = Vec::new();
        for part in raw.split([',', ';', '\n', ' ']).map(str::trim).filter(|p| !p.is_empty()) {
            let date: jiff::civil::Date = part.parse().map_err(|_| {
                InvalidInput::new(
                    "holidays",
                    format!("Ngày nghỉ không hợp lệ: \"{part}\" (định dạng YYYY-MM-DD)."),
                    format!("Invalid holiday \"{part}\" (format YYYY-MM-DD)."),
                )
            })?;
            out.push(date.to_string());
        }
        out.sort();
        out.dedup();
        Ok(out)
    }

    /// The text form of one weekday, as the form shows it.
    pub fn day_text(&self, day: &str) -> String {
        self.days
            .get(day)
            .map(|iv| {
                iv.iter().map(|(a, b)| format!("{}-{}", fmt_hhmm(*a), fmt_hhmm(*b))).collect::<Vec<_>>().join(", ")
            })
            .unwrap_or_default()
    }

    /// Whether the office is open at a local (Asia/Ho_Chi_Minh) date and time.
    pub fn is_open_at(&self, at: jiff::civil::DateTime) -> bool {
        if self.holidays.iter().any(|h| *h == at.date().to_string()) {
            return false;
        }
        let day = WEEKDAYS[at.weekday().to_monday_zero_offset() as usize];
        let minute = at.hour() as u16 * 60 + at.minute() as u16;
        self.days.get(day).is_some_and(|iv| iv.iter().any(|(a, b)| (*a..*b).contains(&minute)))
    }

    /// The usual hours of a Vietnamese public office: Monday–Friday 7:30–11:30 and 13:30–17:00,
    /// Saturday morning.
    pub fn office_default() -> OpeningHours {
        let mut days = BTreeMap::new();
        for d in &WEEKDAYS[..5] {
            days.insert((*d).to_string(), vec![(450, 690), (810, 1020)]);
        }
        days.insert("sat".into(), vec![(450, 690)]);
        OpeningHours { days, holidays: Vec::new() }
    }
}

fn parse_hhmm(s: &str) -> Option<u16> {
    let (h, m) = s.split_once(':').or_else(|| s.split_once('h'))?;
    let h: u16 = h.trim().parse().ok()?;
    let m: u16 = if m.trim().is_empty() { 0 } else { m.trim().parse().ok()? };
    (h <= 24 && m < 60 && h * 60 + m <= 1440).then_some(h * 60 + m)
}

pub fn fmt_hhmm(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// The page details of a unit that officers edit: everything but its place in the tree.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitDetails {
    pub name: String,
    pub kind: UnitKind,
    pub address: String,
    pub location: Option<GeoPoint>,
    pub boundary: Option<Boundary>,
    pub hotline: Option<PhoneNumber>,
    pub duty_phone: Option<PhoneNumber>,
    pub email: String,
    pub opening_hours: OpeningHours,
    /// Former names (tên cũ) citizens still type in addresses: the wards, communes and towns
    /// merged into this unit ("phường Hồng Hải"), each with its kind.
    pub former_names: Vec<String>,
}

/// At most this many former names per unit.
pub const MAX_FORMER_NAMES: usize = 30;

/// Former names typed one per line (or separated by `;` in an import file): each names its
/// kind, so the matcher knows "phường Hồng Hải" from a street called Hồng Hải.
pub fn parse_former_names(raw: &str) -> Result<Vec<String>, InvalidInput> {
    let mut out: Vec<String> = Vec::new();
    for line in raw.split(['\n', ';']).map(str::trim).filter(|l| !l.is_empty()) {
        let name = text_field("former_names", line, 100, true)?;
        if name.contains(['<', '>']) {
            return Err(InvalidInput::new(
                "former_names",
                format!("Tên cũ «{name}» có ký tự không hợp lệ (< >)."),
                format!("The former name “{name}” has characters that are not allowed (< >)."),
            ));
        }
        let (has_kind, words) = crate::geo::place_name(&name);
        if !has_kind || words.is_empty() {
            return Err(InvalidInput::new(
                "former_names",
                format!(
                    "Tên cũ «{name}» cần ghi cả cấp hành chính, ví dụ: phường Hồng Hải, xã Hùng Thắng, thị trấn Tiên Yên."
                ),
                format!(
                    "The former name “{name}” needs its kind, e.g. phường Hồng Hải, xã Hùng Thắng, thị trấn Tiên Yên."
                ),
            ));
        }
        if !out.iter().any(|o| crate::geo::place_name(o) == (true, words.clone())) {
            out.push(name);
        }
    }
    if out.len() > MAX_FORMER_NAMES {
        return Err(InvalidInput::new(
            "former_names",
            format!("Tối đa {MAX_FORMER_NAMES} tên cũ cho một đơn vị."),
            format!("At most {MAX_FORMER_NAMES} former names per unit."),
        ));
    }
    Ok(out)
}

/// The raw text of a unit form or import row, before validation.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct UnitDetailsInput {
    pub name: String,
    pub kind: String,
    pub address: String,
    pub lat: String,
    pub lon: String,
    pub boundary: String,
    pub hotline: String,
    pub duty_phone: String,
    pub email: String,
    pub hours_mon: String,
    pub hours_tue: String,
    pub hours_wed: String,
    pub hours_thu: String,
    pub hours_fri: String,
    pub hours_sat: String,
    pub hours_sun: String,
    pub holidays: String,
    /// Former names, one per line (`;` between them in an import file's column).
    pub former_names: String,
}

impl UnitDetailsInput {
    /// Fills the form from a saved unit.
    pub fn from_details(d: &UnitDetails) -> UnitDetailsInput {
        let h = &d.opening_hours;
        UnitDetailsInput {
            name: d.name.clone(),
            kind: d.kind.as_str().to_string(),
            address: d.address.clone(),
            lat: d.location.map(|p| p.lat.to_string()).unwrap_or_default(),
            lon: d.location.map(|p| p.lon.to_string()).unwrap_or_default(),
            boundary: d.boundary.as_ref().map(|b| b.as_str().to_string()).unwrap_or_default(),
            hotline: d.hotline.as_ref().map(|p| p.display()).unwrap_or_default(),
            duty_phone: d.duty_phone.as_ref().map(|p| p.display()).unwrap_or_default(),
            email: d.email.clone(),
            hours_mon: h.day_text("mon"),
            hours_tue: h.day_text("tue"),
            hours_wed: h.day_text("wed"),
            hours_thu: h.day_text("thu"),
            hours_fri: h.day_text("fri"),
            hours_sat: h.day_text("sat"),
            hours_sun: h.day_text("sun"),
            holidays: h.holidays.join(", "),
            former_names: d.former_names.join("\n"),
        }
    }

    /// Validates every field and reports all errors together.
    pub fn validate(&self) -> Result<UnitDetails, FieldErrors> {
        let mut errs = FieldErrors::default();
        let name = errs.take(text_field("name", &self.name, 200, true));
        let kind = errs.take(UnitKind::parse(&self.kind));
        let address = errs.take(text_field("address", &self.address, 300, false));
        let location = errs.take(GeoPoint::parse_pair(&self.lat, &self.lon));
        let boundary = errs.take(Boundary::parse(&self.boundary));
        let hotline = errs.take(optional_phone("hotline", &self.hotline));
        let duty_phone = errs.take(optional_phone("duty_phone", &self.duty_phone));
        let email = errs.take(parse_email(&self.email));
        let former_names = errs.take(parse_former_names(&self.former_names)).unwrap_or_default();
        let mut hours = OpeningHours::default();
        let fields: [(&'static str, &str); 7] = [
            ("hours_mon", &self.hours_mon),
            ("hours_tue", &self.hours_tue),
            ("hours_wed", &self.hours_wed),
            ("hours_thu", &self.hours_thu),
            ("hours_fri", &self.hours_fri),
            ("hours_sat", &self.hours_sat),
            ("hours_sun", &self.hours_sun),
        ];
        for (i, (field, text)) in fields.into_iter().enumerate() {
            if let Some(iv) = errs.take(OpeningHours::parse_day(field, text))
                && !iv.is_empty()
            {
                hours.days.insert(WEEKDAYS[i].to_string(), iv);
            }
        }
        if let Some(h) = errs.take(OpeningHours::parse_holidays(&self.holidays)) {
            hours.holidays = h;
        }
        match (name, kind, address, location, boundary, hotline, duty_phone, email) {
            (
                Some(name),
                Some(kind),
                Some(address),
                Some(location),
                Some(boundary),
                Some(hotline),
                Some(duty_phone),
                Some(email),
            ) if errs.is_empty() => Ok(UnitDetails {
                name,
                kind,
                address,
                location,
                boundary,
                hotline,
                duty_phone,
                email,
                opening_hours: hours,
                former_names,
            }),
            _ => Err(errs),
        }
    }
}

fn optional_phone(field: &'static str, raw: &str) -> Result<Option<PhoneNumber>, InvalidInput> {
    if raw.trim().is_empty() { Ok(None) } else { PhoneNumber::parse(field, raw).map(Some) }
}

fn parse_email(raw: &str) -> Result<String, InvalidInput> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(String::new());
    }
    let valid = s.len() <= 200
        && s.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.')
        })
        && !s.chars().any(|c| c.is_whitespace() || c.is_control());
    if valid {
        Ok(s.to_string())
    } else {
        Err(InvalidInput::new("email", "Địa chỉ email không hợp lệ.", "Invalid e-mail address."))
    }
}

/// Checks that `unit` may be moved under `new_parent`: not under itself or its own subtree.
pub fn check_move(unit: &UnitPath, new_parent: &UnitPath) -> Result<(), InvalidInput> {
    if unit.contains(new_parent) {
        Err(InvalidInput::new(
            "parent",
            "Không thể chuyển đơn vị vào chính nó hoặc một đơn vị trực thuộc nó.",
            "A unit cannot be moved under itself or one of its own sub-units.",
        ))
    } else {
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Import

/// One row of a unit import file, as text, with its line number in the file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ImportRow {
    #[serde(skip)]
    pub line: usize,
    pub code: String,
    pub parent_code: String,
    #[serde(flatten)]
    pub details: UnitDetailsInput,
}

/// A validated row, ready to insert.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedUnit {
    pub line: usize,
    pub code: UnitCode,
    pub parent_code: Option<UnitCode>,
    pub details: UnitDetails,
}

/// Why one line of an import was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportProblem {
    pub line: usize,
    pub reason: String,
}

impl fmt::Display for ImportProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.reason)
    }
}

/// Validates a whole import against the codes already in the database and orders the rows so
/// that every parent comes before its children. Either every row is fine, or nothing is imported
/// and every problem is returned with its line number.
pub fn plan_import(
    rows: Vec<ImportRow>,
    existing_codes: &HashSet<String>,
) -> Result<Vec<PlannedUnit>, Vec<ImportProblem>> {
    let mut problems = Vec::new();
    let mut planned: Vec<PlannedUnit> = Vec::new();
    let mut first_line: HashMap<String, usize> = HashMap::new();
    if rows.is_empty() {
        problems.push(ImportProblem { line: 0, reason: "the file holds no unit".into() });
    }
    for row in rows {
        let mut reasons: Vec<String> = Vec::new();
        let code = match UnitCode::parse(&row.code) {
            Ok(c) => Some(c),
            Err(e) => {
                reasons.push(format!("code {:?}: {}", row.code, e.message.en));
                None
            }
        };
        let parent_code =
            if row.parent_code.trim().is_empty() { Ok(None) } else { UnitCode::parse(&row.parent_code).map(Some) };
        let parent_code = match parent_code {
            Ok(p) => p,
            Err(e) => {
                reasons.push(format!("parent_code {:?}: {}", row.parent_code, e.message.en));
                None
            }
        };
        let details = match row.details.validate() {
            Ok(d) => Some(d),
            Err(errs) => {
                reasons.extend(errs.0.iter().map(|e| format!("{}: {}", e.field, e.message.en)));
                None
            }
        };
        if let Some(code) = &code {
            if existing_codes.contains(code.as_str()) {
                reasons.push(format!("code {code} already exists"));
            }
            if let Some(first) = first_line.get(code.as_str()) {
                reasons.push(format!("duplicate code {code} (first on line {first})"));
            } else {
                first_line.insert(code.as_str().to_string(), row.line);
            }
        }
        match (code, details) {
            (Some(code), Some(details)) if reasons.is_empty() => {
                planned.push(PlannedUnit { line: row.line, code, parent_code, details })
            }
            _ => problems.push(ImportProblem { line: row.line, reason: reasons.join("; ") }),
        }
    }
    // Parents must exist in the file or the database.
    let in_file: HashMap<&str, &PlannedUnit> = planned.iter().map(|p| (p.code.as_str(), p)).collect();
    for p in &planned {
        if let Some(parent) = &p.parent_code
            && !in_file.contains_key(parent.as_str())
            && !existing_codes.contains(parent.as_str())
            && !first_line.contains_key(parent.as_str())
        {
            problems.push(ImportProblem { line: p.line, reason: format!("unknown parent {parent}") });
        }
    }
    // Cycles: follow parents inside the file; a walk that returns to a unit it saw is a cycle.
    for p in &planned {
        let mut seen = vec![p.code.as_str()];
        let mut cur = p;
        while let Some(parent) = cur.parent_code.as_ref().and_then(|c| in_file.get(c.as_str())) {
            if seen.contains(&parent.code.as_str()) {
                if parent.code == p.code {
                    problems.push(ImportProblem {
                        line: p.line,
                        reason: format!("cycle: {}", seen.join(" → ")) + &format!(" → {}", p.code),
                    });
                }
                break;
            }
            seen.push(parent.code.as_str());
            cur = parent;
        }
    }
    if !problems.is_empty() {
        problems.sort_by_key(|p| p.line);
        return Err(problems);
    }
    // Parents before children: sort by depth inside the file.
    let depth = |p: &PlannedUnit| {
        let mut d = 0;
        let mut cur = p;
        while let Some(parent) = cur.parent_code.as_ref().and_then(|c| in_file.get(c.as_str())) {
            d += 1;
            cur = parent;
        }
        d
    };
    let mut with_depth: Vec<(usize, PlannedUnit)> = planned.iter().map(|p| (depth(p), p.clone())).collect();
    with_depth.sort_by_key(|(d, p)| (*d, p.line));
    Ok(with_depth.into_iter().map(|(_, p)| p).collect())
}

// ---------------------------------------------------------------------------------------------
// Tree

/// A unit as the tree view needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitNode {
    pub id: UnitId,
    pub code: UnitCode,
    pub name: String,
    pub kind: UnitKind,
    pub parent_id: Option<UnitId>,
    pub path: UnitPath,
}

/// A unit with its children, sorted by name, for display.
#[derive(Debug, Clone, PartialEq)]
pub struct TreeNode {
    pub unit: UnitNode,
    pub children: Vec<TreeNode>,
}

/// Builds the forest of the given units. A unit whose parent is not in the list (outside the
/// caller's scope) becomes a root, so an officer sees their own subtree from its top.
pub fn build_tree(units: Vec<UnitNode>) -> Vec<TreeNode> {
    let ids: HashSet<UnitId> = units.iter().map(|u| u.id).collect();
    let mut children: HashMap<Option<UnitId>, Vec<UnitNode>> = HashMap::new();
    for u in units {
        let key = u.parent_id.filter(|p| ids.contains(p));
        children.entry(key).or_default().push(u);
    }
    fn attach(key: Option<UnitId>, children: &mut HashMap<Option<UnitId>, Vec<UnitNode>>) -> Vec<TreeNode> {
        let mut list = children.remove(&key).unwrap_or_default();
        list.sort_by(|a, b| a.name.cmp(&b.name));
        list.into_iter()
            .map(|u| {
                let id = u.id;
                TreeNode { unit: u, children: attach(Some(id), children) }
            })
            .collect()
    }
    attach(None, &mut children)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pasted_pair_of_coordinates_is_taken_apart() {
        let p = |lat: &str, lon: &str| GeoPoint::parse_pair(lat, lon).map(|g| g.map(|g| (g.lat, g.lon)));
        assert_eq!(p("20.9543, 107.0821", ""), Ok(Some((20.9543, 107.0821))));
        assert_eq!(p(" 20.9543;107.0821 ", ""), Ok(Some((20.9543, 107.0821))));
        assert_eq!(p("20,9543", "107,0821"), Ok(Some((20.9543, 107.0821))), "decimal commas still read");
        assert!(p("20,9543", "").is_err(), "one number with a decimal comma is not a pair");
        assert!(p("20.9543, 207.0821", "").is_err(), "a longitude out of range is refused");
        assert_eq!(p("", ""), Ok(None));
    }

    fn row(line: usize, code: &str, parent: &str) -> ImportRow {
        ImportRow {
            line,
            code: code.into(),
            parent_code: parent.into(),
            details: UnitDetailsInput { name: format!("Công an {code}"), kind: "ward".into(), ..Default::default() },
        }
    }

    #[test]
    fn import_orders_parents_before_children() {
        let rows = vec![row(2, "ward-a", "prov"), row(3, "prov", ""), row(4, "team-x", "ward-a")];
        let plan = plan_import(rows, &HashSet::new()).unwrap();
        let codes: Vec<&str> = plan.iter().map(|p| p.code.as_str()).collect();
        assert_eq!(codes, ["prov", "ward-a", "team-x"]);
    }

    #[test]
    fn import_with_cycle_is_refused_with_lines() {
        let rows = vec![row(2, "a1", "b1"), row(3, "b1", "a1"), row(4, "ok", "")];
        let problems = plan_import(rows, &HashSet::new()).unwrap_err();
        let lines: Vec<usize> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [2, 3]);
        assert!(problems[0].reason.contains("cycle"));
    }

    #[test]
    fn import_reports_unknown_parent_duplicate_and_malformed_rows_together() {
        let mut bad = row(5, "bad-row", "");
        bad.details.hotline = "12ab".into();
        bad.details.name = String::new();
        let rows = vec![row(2, "x1", "nowhere"), row(3, "dup", ""), row(4, "dup", ""), bad, row(6, "exists", "")];
        let existing: HashSet<String> = ["exists".to_string()].into();
        let problems = plan_import(rows, &existing).unwrap_err();
        let text: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
        assert!(text[0].starts_with("line 2: unknown parent nowhere"), "{text:?}");
        assert!(text.iter().any(|t| t.starts_with("line 4: duplicate code dup (first on line 3)")), "{text:?}");
        assert!(
            text.iter().any(|t| t.starts_with("line 5:") && t.contains("name") && t.contains("hotline")),
            "{text:?}"
        );
        assert!(text.iter().any(|t| t.starts_with("line 6: code exists already exists")), "{text:?}");
    }

    #[test]
    fn import_parent_may_already_exist_in_the_database() {
        let existing: HashSet<String> = ["prov".to_string()].into();
        assert!(plan_import(vec![row(2, "ward-b", "prov")], &existing).is_ok());
    }

    #[test]
    fn former_names_need_their_kind_and_lose_duplicates() {
        assert_eq!(
            parse_former_names("phường Hồng Hải\n  \nphuong hong hai; thị trấn Tiên Yên").unwrap(),
            ["phường Hồng Hải", "thị trấn Tiên Yên"]
        );
        let e = parse_former_names("Hồng Hải").unwrap_err();
        assert!(e.message.vi.contains("cần ghi cả cấp hành chính"), "{e}");
        assert!(parse_former_names("phường <b>X</b>").is_err());
        assert_eq!(crate::geo::place_name("Công an phường Hồng Gai"), (true, "hong gai".to_string()));
    }

    #[test]
    fn empty_import_is_refused() {
        assert!(plan_import(vec![], &HashSet::new()).is_err());
    }

    #[test]
    fn path_containment_is_a_prefix_test_on_whole_ids() {
        let root = UnitPath::root(UnitId(1));
        let child = root.child(UnitId(12));
        let other = UnitPath::root(UnitId(12));
        assert!(root.contains(&child));
        assert!(child.contains(&child));
        assert!(!child.contains(&root));
        // "/1/" must not contain "/12/".
        assert!(!root.contains(&other));
        assert_eq!(child.depth(), 2);
        assert_eq!(child.ids(), vec![UnitId(1), UnitId(12)]);
    }

    #[test]
    fn moving_a_unit_under_its_own_child_is_refused() {
        let unit = UnitPath::root(UnitId(1)).child(UnitId(2));
        assert!(check_move(&unit, &unit.child(UnitId(3))).is_err());
        assert!(check_move(&unit, &unit).is_err());
        assert!(check_move(&unit, &UnitPath::root(UnitId(1)).child(UnitId(4))).is_ok());
    }

    #[test]
    fn opening_hours_parse_and_answer_open_or_closed() {
        let mut input = UnitDetailsInput { name: "CA phường".into(), kind: "ward".into(), ..Default::default() };
        input.hours_mon = "07:30-11:30, 13h30-17h".into();
        input.holidays = "2026-09-02".into();
        let d = input.validate().unwrap();
        let h = &d.opening_hours;
        assert_eq!(h.day_text("mon"), "07:30-11:30, 13:30-17:00");
        let monday_9am: jiff::civil::DateTime = "2026-11-23T09:00".parse().unwrap();
        let monday_noon: jiff::civil::DateTime = "2026-11-23T12:00".parse().unwrap();
        let tuesday_9am: jiff::civil::DateTime = "2026-11-24T09:00".parse().unwrap();
        assert!(h.is_open_at(monday_9am));
        assert!(!h.is_open_at(monday_noon));
        assert!(!h.is_open_at(tuesday_9am));
        // 2 September 2030 is a Monday and a holiday in this list? Use the listed date itself.
        let holiday: jiff::civil::DateTime = "2026-09-02T09:00".parse().unwrap();
        assert!(!h.is_open_at(holiday));
    }

    #[test]
    fn overlapping_or_backwards_hours_are_refused() {
        assert!(OpeningHours::parse_day("hours_mon", "08:00-12:00, 11:00-14:00").is_err());
        assert!(OpeningHours::parse_day("hours_mon", "17:00-08:00").is_err());
        assert!(OpeningHours::parse_day("hours_mon", "8 to 5").is_err());
    }

    #[test]
    fn boundary_must_be_a_closed_polygon() {
        let ok = r#"{"type":"Polygon","coordinates":[[[107.0,20.9],[107.1,20.9],[107.1,21.0],[107.0,20.9]]]}"#;
        assert!(Boundary::parse(ok).unwrap().is_some());
        let open = r#"{"type":"Polygon","coordinates":[[[107.0,20.9],[107.1,20.9],[107.1,21.0],[107.2,20.9]]]}"#;
        assert!(Boundary::parse(open).is_err());
        assert!(Boundary::parse(r#"{"type":"Point","coordinates":[1,2]}"#).is_err());
        assert!(Boundary::parse("not json").is_err());
        assert!(Boundary::parse("").unwrap().is_none());
    }

    #[test]
    fn boundary_is_stored_normalized_without_its_feature_wrapper() {
        let feature = r#"{"type":"Feature","properties":{"ten":"Bãi Cháy"},"geometry":{"type":"Polygon","coordinates":[[[107.0,20.9],[107.1,20.9],[107.1,21.0],[107.0,20.9]]]}}"#;
        let stored = Boundary::parse(feature).unwrap().unwrap();
        assert_eq!(
            stored.as_str(),
            r#"{"coordinates":[[[107.0,20.9],[107.1,20.9],[107.1,21.0],[107.0,20.9]]],"type":"Polygon"}"#
        );
    }

    #[test]
    fn an_import_row_with_a_bad_boundary_is_refused_with_its_line() {
        let row = |line: usize, code: &str, boundary: &str| ImportRow {
            line,
            code: code.into(),
            parent_code: String::new(),
            details: UnitDetailsInput {
                name: "Công an phường A".into(),
                kind: "ward".into(),
                boundary: boundary.into(),
                ..Default::default()
            },
        };
        let swapped = r#"{"type":"Polygon","coordinates":[[[20.9,107.0],[20.9,107.1],[21.0,107.1],[20.9,107.0]]]}"#;
        let fine = r#"{"type":"Polygon","coordinates":[[[107.0,20.9],[107.1,20.9],[107.1,21.0],[107.0,20.9]]]}"#;
        let problems =
            plan_import(vec![row(2, "ward-a", fine), row(3, "ward-b", swapped)], &HashSet::new()).unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, 3);
        assert!(
            problems[0].reason.contains("boundary") && problems[0].reason.contains("swapped"),
            "{}",
            problems[0].reason
        );
    }

    #[test]
    fn tree_puts_out_of_scope_parents_children_at_the_top() {
        let n = |id: i64, parent: Option<i64>, name: &str| UnitNode {
            id: UnitId(id),
            code: UnitCode::from_stored(format!("u{id}")),
            name: name.into(),
            kind: UnitKind::Ward,
            parent_id: parent.map(UnitId),
            path: UnitPath::from_stored(String::new()),
        };
        let tree = build_tree(vec![n(2, Some(1), "B"), n(3, Some(2), "C"), n(4, Some(2), "A")]);
        assert_eq!(tree.len(), 1);
        assert_eq!(tree[0].unit.id, UnitId(2));
        let names: Vec<&str> = tree[0].children.iter().map(|c| c.unit.name.as_str()).collect();
        assert_eq!(names, ["A", "C"]);
    }
}
