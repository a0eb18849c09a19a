//! Routing a report by place (định tuyến theo địa bàn): a point (a Zalo location message, the
//! browser's location) or a typed address, to the commune/ward police unit whose area holds it.
//!
//! Here live the point type ([`GeoPoint`], inside Vietnam only), a unit's area parsed from GeoJSON
//! once ([`parse_boundary`] → [`Boundary`], with a specific error per mistake, in Vietnamese and
//! English), the index over every unit's area ([`Boundaries::locate`]) and the typed-address
//! matcher ([`AddressMatcher::find`]). No I/O: the application builds these from the units table
//! and keeps them in memory.
//!
//! Invariants: nothing here panics on any input; a [`Boundary`] always has closed rings of at
//! least four positions inside Vietnam and at most [`MAX_BOUNDARY_POINTS`] positions; when areas
//! nest or overlap, [`Boundaries::locate`] answers the smallest one that holds the point.

use std::collections::HashMap;
use std::fmt;

/// Vietnam's bounding box, including the Hoàng Sa (Paracel) and Trường Sa (Spratly)
/// archipelagos: latitude 6.0–23.5° N, longitude 102.0–117.9° E. A report or a boundary outside
/// it is a mistake (a swapped pair, a default of 0, 0), not a place caunoi serves.
pub const VIETNAM_LAT: (f64, f64) = (6.0, 23.5);
/// See [`VIETNAM_LAT`].
pub const VIETNAM_LON: (f64, f64) = (102.0, 117.9);

/// The most positions one boundary may have. Real commune boundaries have a few thousand; the
/// cap keeps one upload from holding the index (and the server's memory) hostage.
pub const MAX_BOUNDARY_POINTS: usize = 200_000;

/// The largest GeoJSON text [`parse_boundary`] reads (200,000 positions at full precision fit).
pub const MAX_BOUNDARY_BYTES: usize = 16 * 1024 * 1024;

/// Within this distance of its area's edge, a located report is flagged for the receiving
/// officer to confirm: GPS error and hand-drawn boundaries are both of this order.
pub const NEAR_EDGE_M: f64 = 50.0;

/// Mean Earth radius (IUGG), metres.
const EARTH_RADIUS_M: f64 = 6_371_008.8;
/// Metres per degree of latitude on that sphere.
const M_PER_DEG: f64 = EARTH_RADIUS_M * std::f64::consts::PI / 180.0;

fn in_vietnam(lat: f64, lon: f64) -> bool {
    (VIETNAM_LAT.0..=VIETNAM_LAT.1).contains(&lat) && (VIETNAM_LON.0..=VIETNAM_LON.1).contains(&lon)
}

// ---------------------------------------------------------------------------------------------
// Points

/// A place in Vietnam (WGS84 degrees), where a report happened. Only points inside
/// [`VIETNAM_LAT`] × [`VIETNAM_LON`] (the mainland, Hoàng Sa and Trường Sa) exist.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeoPoint {
    lat: f64,
    lon: f64,
}

/// Why a point was refused.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum GeoError {
    #[error("the coordinates are not numbers")]
    NotFinite,
    #[error("the point {lat}, {lon} is outside Vietnam")]
    OutsideVietnam { lat: f64, lon: f64 },
}

impl GeoError {
    /// The message for a Vietnamese reader.
    pub fn message_vi(&self) -> String {
        match self {
            GeoError::NotFinite => "Tọa độ không phải là số.".to_string(),
            GeoError::OutsideVietnam { lat, lon } => {
                format!("Vị trí {lat}, {lon} nằm ngoài lãnh thổ Việt Nam.")
            }
        }
    }
}

impl GeoPoint {
    /// A point from latitude and longitude in degrees. Refuses NaN and infinities, and any point
    /// outside Vietnam's bounding box (which includes the Hoàng Sa and Trường Sa archipelagos:
    /// latitude 6.0–23.5, longitude 102.0–117.9).
    pub fn new(lat: f64, lon: f64) -> Result<GeoPoint, GeoError> {
        if !lat.is_finite() || !lon.is_finite() {
            return Err(GeoError::NotFinite);
        }
        if !in_vietnam(lat, lon) {
            return Err(GeoError::OutsideVietnam { lat, lon });
        }
        Ok(GeoPoint { lat, lon })
    }

    pub fn lat(&self) -> f64 {
        self.lat
    }

    pub fn lon(&self) -> f64 {
        self.lon
    }
}

/// The great-circle distance between two points in metres (haversine).
pub fn distance_m(a: GeoPoint, b: GeoPoint) -> f64 {
    distance_latlon_m((a.lat, a.lon), (b.lat, b.lon))
}

/// [`distance_m`] of two (lat, lon) pairs already checked (as stored).
pub fn distance_latlon_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (phi1, phi2) = (a.0.to_radians(), b.0.to_radians());
    let dphi = (b.0 - a.0).to_radians();
    let dlambda = (b.1 - a.1).to_radians();
    let h = (dphi / 2.0).sin().powi(2) + phi1.cos() * phi2.cos() * (dlambda / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
}

// ---------------------------------------------------------------------------------------------
// Boundaries

/// Why a GeoJSON boundary was refused. Positions are counted from 1, as a person reads them.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BoundaryError {
    #[error("the text is not JSON ({0})")]
    NotJson(String),
    #[error("the text is larger than {} MB", MAX_BOUNDARY_BYTES / (1024 * 1024))]
    TooLarge,
    #[error(
        "the GeoJSON type is {found:?}; expected Polygon or MultiPolygon (or a Feature or FeatureCollection of them)"
    )]
    WrongType { found: String },
    #[error("the GeoJSON holds no polygon")]
    Empty,
    #[error(
        "polygon {polygon}, ring {ring} has {points} position(s); a ring needs at least 4 (the last repeats the first)"
    )]
    RingTooShort { polygon: usize, ring: usize, points: usize },
    #[error("polygon {polygon}, ring {ring} is not closed: its last position must repeat its first")]
    RingNotClosed { polygon: usize, ring: usize },
    #[error(
        "polygon {polygon}, ring {ring}, position {position}: coordinates must be a pair of numbers [longitude, latitude]"
    )]
    NotNumbers { polygon: usize, ring: usize, position: usize },
    #[error(
        "polygon {polygon}, ring {ring}, position {position} ({lon}, {lat}) is outside Vietnam; GeoJSON writes [longitude, latitude]"
    )]
    OutsideVietnam { polygon: usize, ring: usize, position: usize, lon: f64, lat: f64 },
    #[error(
        "polygon {polygon}, ring {ring}, position {position} is [{first}, {second}]: latitude and longitude look swapped; GeoJSON writes [longitude, latitude], e.g. [{second}, {first}]"
    )]
    Swapped { polygon: usize, ring: usize, position: usize, first: f64, second: f64 },
    #[error("the boundary has more than {MAX_BOUNDARY_POINTS} positions; simplify it first")]
    TooManyPoints,
}

impl BoundaryError {
    /// The message for a Vietnamese reader, saying what to fix.
    pub fn message_vi(&self) -> String {
        match self {
            BoundaryError::NotJson(_) => {
                "Ranh giới không phải JSON hợp lệ: hãy chọn tệp GeoJSON (.geojson, .json).".into()
            }
            BoundaryError::TooLarge => {
                format!("Tệp ranh giới quá lớn: tối đa {} MB.", MAX_BOUNDARY_BYTES / (1024 * 1024))
            }
            BoundaryError::WrongType { found } => format!(
                "Kiểu GeoJSON là \"{found}\": chỉ nhận Polygon hoặc MultiPolygon (hoặc Feature/FeatureCollection chứa chúng)."
            ),
            BoundaryError::Empty => "GeoJSON không chứa đa giác nào.".into(),
            BoundaryError::RingTooShort { polygon, ring, points } => format!(
                "Đa giác {polygon}, vòng {ring} chỉ có {points} điểm: mỗi vòng cần ít nhất 4 điểm (điểm cuối trùng điểm đầu)."
            ),
            BoundaryError::RingNotClosed { polygon, ring } => {
                format!("Đa giác {polygon}, vòng {ring} chưa khép kín: điểm cuối phải trùng điểm đầu.")
            }
            BoundaryError::NotNumbers { polygon, ring, position } => {
                format!("Đa giác {polygon}, vòng {ring}, điểm {position}: tọa độ phải là cặp số [kinh độ, vĩ độ].")
            }
            BoundaryError::OutsideVietnam { polygon, ring, position, lon, lat } => format!(
                "Đa giác {polygon}, vòng {ring}, điểm {position} ({lon}, {lat}) nằm ngoài lãnh thổ Việt Nam. GeoJSON ghi [kinh độ, vĩ độ]."
            ),
            BoundaryError::Swapped { polygon, ring, position, first, second } => format!(
                "Đa giác {polygon}, vòng {ring}, điểm {position} là [{first}, {second}]: có vẻ vĩ độ và kinh độ bị đảo. GeoJSON ghi [kinh độ, vĩ độ], ví dụ [{second}, {first}]."
            ),
            BoundaryError::TooManyPoints => format!(
                "Ranh giới có hơn {MAX_BOUNDARY_POINTS} điểm: hãy đơn giản hóa (ví dụ bằng QGIS hoặc mapshaper) rồi tải lại."
            ),
        }
    }
}

/// An axis-aligned box in degrees: `[min_lon, min_lat, max_lon, max_lat]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BBox {
    pub min_lon: f64,
    pub min_lat: f64,
    pub max_lon: f64,
    pub max_lat: f64,
}

impl BBox {
    const EMPTY: BBox =
        BBox { min_lon: f64::INFINITY, min_lat: f64::INFINITY, max_lon: f64::NEG_INFINITY, max_lat: f64::NEG_INFINITY };

    fn add(&mut self, lon: f64, lat: f64) {
        self.min_lon = self.min_lon.min(lon);
        self.min_lat = self.min_lat.min(lat);
        self.max_lon = self.max_lon.max(lon);
        self.max_lat = self.max_lat.max(lat);
    }

    fn union(&mut self, o: &BBox) {
        self.add(o.min_lon, o.min_lat);
        self.add(o.max_lon, o.max_lat);
    }

    pub fn contains(&self, p: GeoPoint) -> bool {
        p.lon >= self.min_lon && p.lon <= self.max_lon && p.lat >= self.min_lat && p.lat <= self.max_lat
    }

    /// The box grown by `m` metres on every side (at the latitude of its middle).
    fn grown_m(&self, m: f64) -> BBox {
        let dlat = m / M_PER_DEG;
        let dlon = m / (M_PER_DEG * ((self.min_lat + self.max_lat) / 2.0).to_radians().cos().max(0.1));
        BBox {
            min_lon: self.min_lon - dlon,
            min_lat: self.min_lat - dlat,
            max_lon: self.max_lon + dlon,
            max_lat: self.max_lat + dlat,
        }
    }
}

/// A unit's area (ranh giới địa bàn): one or more polygons, each an outer ring and any holes,
/// parsed by [`parse_boundary`]. Inside means inside an odd number of rings (an outer ring and
/// none of its holes), so a hole is outside and an island in a hole is inside again.
///
/// The edges are bucketed by latitude into horizontal slabs when the boundary is parsed, so a
/// point test reads only the few edges that cross its own slab instead of every edge: a
/// 2,000-vertex ward costs tens of edge tests, not 2,000.
#[derive(Debug, Clone)]
pub struct Boundary {
    /// The rings as parsed, `[lon, lat]`, closed; `rings_of[i]` is the ring count of polygon i.
    rings: Vec<Vec<[f64; 2]>>,
    rings_of: Vec<usize>,
    bbox: BBox,
    area_km2: f64,
    points: usize,
    edges: EdgeIndex,
}

/// Parses a GeoJSON Polygon or MultiPolygon, bare or wrapped in a Feature or a
/// FeatureCollection (whose polygons are merged into one area). Coordinates are
/// `[longitude, latitude]` as GeoJSON says; every ring must be closed, have at least four
/// positions and lie in Vietnam. The first error found is returned.
pub fn parse_boundary(text: &str) -> Result<Boundary, BoundaryError> {
    if text.len() > MAX_BOUNDARY_BYTES {
        return Err(BoundaryError::TooLarge);
    }
    let text = text.trim_start_matches('\u{feff}');
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| BoundaryError::NotJson(e.to_string()))?;
    let mut polygons: Vec<&serde_json::Value> = Vec::new();
    collect_polygons(&value, &mut polygons, 0)?;
    if polygons.is_empty() {
        return Err(BoundaryError::Empty);
    }
    let mut rings = Vec::new();
    let mut rings_of = Vec::new();
    let mut points = 0usize;
    for (pi, polygon) in polygons.iter().enumerate() {
        let polygon_no = pi + 1;
        let Some(polygon_rings) = polygon.as_array() else {
            return Err(BoundaryError::NotNumbers { polygon: polygon_no, ring: 1, position: 1 });
        };
        if polygon_rings.is_empty() {
            return Err(BoundaryError::RingTooShort { polygon: polygon_no, ring: 1, points: 0 });
        }
        for (ri, ring) in polygon_rings.iter().enumerate() {
            let ring_no = ri + 1;
            let Some(positions) = ring.as_array() else {
                return Err(BoundaryError::NotNumbers { polygon: polygon_no, ring: ring_no, position: 1 });
            };
            points += positions.len();
            if points > MAX_BOUNDARY_POINTS {
                return Err(BoundaryError::TooManyPoints);
            }
            let mut parsed = Vec::with_capacity(positions.len());
            for (qi, position) in positions.iter().enumerate() {
                let at = (polygon_no, ring_no, qi + 1);
                parsed.push(parse_position(position, at)?);
            }
            if parsed.len() < 4 {
                return Err(BoundaryError::RingTooShort { polygon: polygon_no, ring: ring_no, points: parsed.len() });
            }
            if parsed.first() != parsed.last() {
                return Err(BoundaryError::RingNotClosed { polygon: polygon_no, ring: ring_no });
            }
            rings.push(parsed);
        }
        rings_of.push(polygon_rings.len());
    }
    Ok(Boundary::from_rings(rings, rings_of, points))
}

/// Finds the polygons of a GeoJSON object. `depth` stops a Feature nested in a Feature nested…
fn collect_polygons<'a>(
    value: &'a serde_json::Value,
    out: &mut Vec<&'a serde_json::Value>,
    depth: usize,
) -> Result<(), BoundaryError> {
    let kind = value.get("type").and_then(|t| t.as_str());
    let wrong = |found: &str| BoundaryError::WrongType { found: found.to_string() };
    match kind {
        Some("Polygon") => match value.get("coordinates") {
            Some(c) => out.push(c),
            None => return Err(BoundaryError::Empty),
        },
        Some("MultiPolygon") => match value.get("coordinates").and_then(|c| c.as_array()) {
            Some(ps) => out.extend(ps.iter()),
            None => return Err(BoundaryError::Empty),
        },
        Some("Feature") if depth < 2 => match value.get("geometry") {
            Some(g) if !g.is_null() => collect_polygons(g, out, depth + 1)?,
            _ => return Err(BoundaryError::Empty),
        },
        Some("FeatureCollection") if depth == 0 => {
            for f in value.get("features").and_then(|f| f.as_array()).map(Vec::as_slice).unwrap_or_default() {
                if f.get("type").and_then(|t| t.as_str()) != Some("Feature") {
                    return Err(wrong(f.get("type").and_then(|t| t.as_str()).unwrap_or("?")));
                }
                collect_polygons(f, out, depth + 1)?;
            }
        }
        Some(other) => return Err(wrong(other)),
        None if value.is_object() => return Err(wrong("(không có / none)")),
        None => return Err(wrong(json_kind(value))),
    }
    Ok(())
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "boolean",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
    }
}

fn parse_position(v: &serde_json::Value, at: (usize, usize, usize)) -> Result<[f64; 2], BoundaryError> {
    let (polygon, ring, position) = at;
    let pair = v.as_array().filter(|a| a.len() == 2 || a.len() == 3);
    let lon = pair.and_then(|a| a[0].as_f64()).filter(|x| x.is_finite());
    let lat = pair.and_then(|a| a[1].as_f64()).filter(|x| x.is_finite());
    let (Some(lon), Some(lat)) = (lon, lat) else {
        return Err(BoundaryError::NotNumbers { polygon, ring, position });
    };
    if in_vietnam(lat, lon) {
        return Ok([lon, lat]);
    }
    // Vietnam's latitudes and longitudes do not overlap, so a swapped pair is unmistakable.
    if in_vietnam(lon, lat) {
        return Err(BoundaryError::Swapped { polygon, ring, position, first: lon, second: lat });
    }
    Err(BoundaryError::OutsideVietnam { polygon, ring, position, lon, lat })
}

impl Boundary {
    fn from_rings(rings: Vec<Vec<[f64; 2]>>, rings_of: Vec<usize>, points: usize) -> Boundary {
        let mut bbox = BBox::EMPTY;
        for p in rings.iter().flatten() {
            bbox.add(p[0], p[1]);
        }
        let mut area_m2 = 0.0;
        let mut at = 0;
        for &n in &rings_of {
            for (i, ring) in rings[at..at + n].iter().enumerate() {
                let a = ring_area_m2(ring);
                area_m2 += if i == 0 { a } else { -a };
            }
            at += n;
        }
        let edges = EdgeIndex::build(&rings, &bbox);
        Boundary { rings, rings_of, bbox, area_km2: area_m2.max(0.0) / 1e6, points, edges }
    }

    /// How many positions the GeoJSON held (closing positions included).
    pub fn point_count(&self) -> usize {
        self.points
    }

    /// The area in km² (outer rings less their holes).
    pub fn area_km2(&self) -> f64 {
        self.area_km2
    }

    pub fn bbox(&self) -> BBox {
        self.bbox
    }

    /// How many polygons the area has.
    pub fn polygon_count(&self) -> usize {
        self.rings_of.len()
    }

    /// Whether the point lies inside the area (outside every hole). A point exactly on an edge
    /// may fall either way; [`Boundaries::locate`] flags such points as near the edge.
    pub fn contains(&self, p: GeoPoint) -> bool {
        self.bbox.contains(p) && self.edges.crosses_odd(p.lon, p.lat)
    }

    /// The distance from the point to the nearest edge of the area, in metres, if it is at most
    /// `limit_m` (reads only the edges near the point).
    pub fn edge_within_m(&self, p: GeoPoint, limit_m: f64) -> Option<f64> {
        self.edges.nearest_within(p, limit_m)
    }

    /// The distance from the point to the nearest edge of the area, in metres (every edge read).
    pub fn distance_to_edge_m(&self, p: GeoPoint) -> f64 {
        let mut best = f64::INFINITY;
        for ring in &self.rings {
            for w in ring.windows(2) {
                best = best.min(segment_distance_m(p, w[0], w[1]));
            }
        }
        best
    }

    /// The normalized GeoJSON geometry: a Polygon, or a MultiPolygon when there are several,
    /// with `[longitude, latitude]` positions and nothing else (no Feature, no properties).
    pub fn to_geojson(&self) -> String {
        let mut polygons = Vec::with_capacity(self.rings_of.len());
        let mut at = 0;
        for &n in &self.rings_of {
            polygons.push(&self.rings[at..at + n]);
            at += n;
        }
        let value = if let [single] = polygons.as_slice() {
            serde_json::json!({ "type": "Polygon", "coordinates": single })
        } else {
            serde_json::json!({ "type": "MultiPolygon", "coordinates": polygons })
        };
        value.to_string()
    }
}

/// The area of a ring in m², in a local equirectangular projection at its middle latitude
/// (well under 1 % off for a commune-sized area).
fn ring_area_m2(ring: &[[f64; 2]]) -> f64 {
    let Some(first) = ring.first() else { return 0.0 };
    let mid_lat = ring.iter().map(|p| p[1]).sum::<f64>() / ring.len() as f64;
    let kx = M_PER_DEG * mid_lat.to_radians().cos();
    let mut twice = 0.0;
    for w in ring.windows(2) {
        let (x0, y0) = ((w[0][0] - first[0]) * kx, (w[0][1] - first[1]) * M_PER_DEG);
        let (x1, y1) = ((w[1][0] - first[0]) * kx, (w[1][1] - first[1]) * M_PER_DEG);
        twice += x0 * y1 - x1 * y0;
    }
    twice.abs() / 2.0
}

/// Distance from a point to a segment in metres, in a local projection around the point.
fn segment_distance_m(p: GeoPoint, a: [f64; 2], b: [f64; 2]) -> f64 {
    let kx = M_PER_DEG * p.lat.to_radians().cos();
    let (ax, ay) = ((a[0] - p.lon) * kx, (a[1] - p.lat) * M_PER_DEG);
    let (bx, by) = ((b[0] - p.lon) * kx, (b[1] - p.lat) * M_PER_DEG);
    let (dx, dy) = (bx - ax, by - ay);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 { (-(ax * dx + ay * dy) / len2).clamp(0.0, 1.0) } else { 0.0 };
    let (cx, cy) = (ax + t * dx, ay + t * dy);
    (cx * cx + cy * cy).sqrt()
}

/// Every edge of a boundary, bucketed by latitude into horizontal slabs (compressed rows).
#[derive(Debug, Clone)]
struct EdgeIndex {
    /// Edges as `[lon0, lat0, lon1, lat1]`.
    edges: Vec<[f64; 4]>,
    min_lat: f64,
    /// Slabs per degree of latitude.
    scale: f64,
    slabs: usize,
    /// `start[s]..start[s + 1]` indexes `members` for slab s.
    start: Vec<u32>,
    members: Vec<u32>,
}

impl EdgeIndex {
    fn build(rings: &[Vec<[f64; 2]>], bbox: &BBox) -> EdgeIndex {
        let edges: Vec<[f64; 4]> = rings
            .iter()
            .flat_map(|r| r.windows(2).map(|w| [w[0][0], w[0][1], w[1][0], w[1][1]]))
            .filter(|e| e[1] != e[3] || e[0] != e[2])
            .collect();
        // About two edges per slab: a slab then holds the few edges that cross it.
        let slabs = (edges.len() / 2).clamp(1, 1 << 15);
        let height = (bbox.max_lat - bbox.min_lat).max(1e-9);
        let scale = slabs as f64 / height;
        let mut index =
            EdgeIndex { edges, min_lat: bbox.min_lat, scale, slabs, start: vec![0; slabs + 1], members: Vec::new() };
        for e in &index.edges {
            let (a, b) = index.slab_range(e[1].min(e[3]), e[1].max(e[3]));
            for s in a..=b {
                index.start[s + 1] += 1;
            }
        }
        for s in 0..slabs {
            index.start[s + 1] += index.start[s];
        }
        let mut fill: Vec<u32> = index.start[..slabs].to_vec();
        index.members = vec![0; index.start[slabs] as usize];
        for (i, e) in index.edges.iter().enumerate() {
            let (a, b) = index.slab_range(e[1].min(e[3]), e[1].max(e[3]));
            for slot in &mut fill[a..=b] {
                index.members[*slot as usize] = i as u32;
                *slot += 1;
            }
        }
        index
    }

    fn slab_of(&self, lat: f64) -> usize {
        let s = ((lat - self.min_lat) * self.scale).floor();
        if s <= 0.0 { 0 } else { (s as usize).min(self.slabs - 1) }
    }

    fn slab_range(&self, lo: f64, hi: f64) -> (usize, usize) {
        (self.slab_of(lo), self.slab_of(hi))
    }

    fn slab(&self, s: usize) -> &[u32] {
        &self.members[self.start[s] as usize..self.start[s + 1] as usize]
    }

    /// Even–odd ray casting towards +longitude over the point's slab only.
    fn crosses_odd(&self, x: f64, y: f64) -> bool {
        let mut inside = false;
        for &i in self.slab(self.slab_of(y)) {
            let [x0, y0, x1, y1] = self.edges[i as usize];
            if (y0 > y) != (y1 > y) {
                let xi = x0 + (y - y0) * (x1 - x0) / (y1 - y0);
                if x < xi {
                    inside = !inside;
                }
            }
        }
        inside
    }

    fn nearest_within(&self, p: GeoPoint, limit_m: f64) -> Option<f64> {
        let dlat = limit_m / M_PER_DEG;
        let dlon = limit_m / (M_PER_DEG * p.lat.to_radians().cos());
        let (a, b) = self.slab_range(p.lat - dlat, p.lat + dlat);
        let mut best = f64::INFINITY;
        for s in a..=b {
            for &i in self.slab(s) {
                let [x0, y0, x1, y1] = self.edges[i as usize];
                if x0.min(x1) > p.lon + dlon
                    || x0.max(x1) < p.lon - dlon
                    || y0.min(y1) > p.lat + dlat
                    || y0.max(y1) < p.lat - dlat
                {
                    continue;
                }
                best = best.min(segment_distance_m(p, [x0, y0], [x1, y1]));
            }
        }
        (best <= limit_m).then_some(best)
    }
}

// ---------------------------------------------------------------------------------------------
// The index over every unit's area

/// What the indexes below return for an area or a name: a unit's id in practice
/// (`caunoi_core::units::UnitId`); geometry itself knows no unit.
pub trait Key: Copy + Eq + std::hash::Hash + Ord + fmt::Debug {}
impl<T: Copy + Eq + std::hash::Hash + Ord + fmt::Debug> Key for T {}

/// Where a report belongs: the unit, and whether the point is within [`NEAR_EDGE_M`] of that
/// unit's edge (then the receiving officer must confirm the place is theirs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Located<K> {
    pub unit: K,
    pub near_edge: bool,
}

struct Area<K> {
    unit: K,
    boundary: Boundary,
    /// The bounding box grown by [`NEAR_EDGE_M`], what the grid indexes.
    reach: BBox,
}

/// Every unit's area in a uniform grid over their bounding boxes: a look-up reads one cell's
/// short list of candidates (smallest area first) and tests each with its slab index.
pub struct Boundaries<K> {
    areas: Vec<Area<K>>,
    grid: Grid,
}

struct Grid {
    bbox: BBox,
    cols: usize,
    rows: usize,
    /// Cells per degree of longitude and latitude.
    sx: f64,
    sy: f64,
    start: Vec<u32>,
    members: Vec<u32>,
}

impl Grid {
    fn cell_xy(&self, lon: f64, lat: f64) -> (usize, usize) {
        let cx = ((lon - self.bbox.min_lon) * self.sx).floor().max(0.0) as usize;
        let cy = ((lat - self.bbox.min_lat) * self.sy).floor().max(0.0) as usize;
        (cx.min(self.cols - 1), cy.min(self.rows - 1))
    }

    fn cell(&self, p: GeoPoint) -> &[u32] {
        if !self.bbox.contains(p) {
            return &[];
        }
        let (cx, cy) = self.cell_xy(p.lon, p.lat);
        let c = cy * self.cols + cx;
        &self.members[self.start[c] as usize..self.start[c + 1] as usize]
    }
}

impl<K: Key> Boundaries<K> {
    /// Indexes the areas of many units. A unit may appear more than once (its areas are then
    /// separate candidates with the same answer).
    pub fn new(units: Vec<(K, Boundary)>) -> Boundaries<K> {
        let mut areas: Vec<Area<K>> = units
            .into_iter()
            .map(|(unit, boundary)| Area { unit, reach: boundary.bbox.grown_m(NEAR_EDGE_M), boundary })
            .collect();
        // Smallest first, so the first area of a cell that holds the point is the answer.
        areas.sort_by(|a, b| a.boundary.area_km2.total_cmp(&b.boundary.area_km2).then(a.unit.cmp(&b.unit)));
        let mut bbox = BBox::EMPTY;
        for a in &areas {
            bbox.union(&a.reach);
        }
        if areas.is_empty() {
            bbox = BBox { min_lon: 0.0, min_lat: 0.0, max_lon: 0.0, max_lat: 0.0 };
        }
        // About four cells per area, shaped like the covered region: a cell then holds a
        // handful of communes (and the province around them).
        let (w, h) = ((bbox.max_lon - bbox.min_lon).max(1e-6), (bbox.max_lat - bbox.min_lat).max(1e-6));
        let target = (areas.len() * 4).clamp(1, 1 << 20) as f64;
        let cols = ((target * w / h).sqrt().ceil() as usize).clamp(1, 2048);
        let rows = ((target / cols as f64).ceil() as usize).clamp(1, 2048);
        let mut grid = Grid {
            bbox,
            cols,
            rows,
            sx: cols as f64 / w,
            sy: rows as f64 / h,
            start: vec![0; cols * rows + 1],
            members: Vec::new(),
        };
        let cells_of = |g: &Grid, r: &BBox| {
            let (x0, y0) = g.cell_xy(r.min_lon, r.min_lat);
            let (x1, y1) = g.cell_xy(r.max_lon, r.max_lat);
            (x0, y0, x1, y1)
        };
        for a in &areas {
            let (x0, y0, x1, y1) = cells_of(&grid, &a.reach);
            for cy in y0..=y1 {
                for cx in x0..=x1 {
                    grid.start[cy * cols + cx + 1] += 1;
                }
            }
        }
        for c in 0..cols * rows {
            grid.start[c + 1] += grid.start[c];
        }
        let mut fill: Vec<u32> = grid.start[..cols * rows].to_vec();
        grid.members = vec![0; grid.start[cols * rows] as usize];
        for (i, a) in areas.iter().enumerate() {
            let (x0, y0, x1, y1) = cells_of(&grid, &a.reach);
            for cy in y0..=y1 {
                for cx in x0..=x1 {
                    let slot = &mut fill[cy * cols + cx];
                    grid.members[*slot as usize] = i as u32;
                    *slot += 1;
                }
            }
        }
        Boundaries { areas, grid }
    }

    /// How many areas are indexed.
    pub fn len(&self) -> usize {
        self.areas.len()
    }

    pub fn is_empty(&self) -> bool {
        self.areas.is_empty()
    }

    /// The unit whose area holds the point — the smallest one when areas nest (a province and
    /// its wards) or overlap. A point in no area but within [`NEAR_EDGE_M`] of one (a gap
    /// between two neighbours' hand-drawn boundaries, GPS drift off the coast) goes to the
    /// nearest such area, flagged `near_edge`. `None` when no area is near.
    pub fn locate(&self, p: GeoPoint) -> Option<Located<K>> {
        let candidates = self.grid.cell(p);
        for &i in candidates {
            let a = &self.areas[i as usize];
            if a.boundary.contains(p) {
                let near_edge = a.boundary.edge_within_m(p, NEAR_EDGE_M).is_some();
                return Some(Located { unit: a.unit, near_edge });
            }
        }
        let mut nearest: Option<(f64, K)> = None;
        for &i in candidates {
            let a = &self.areas[i as usize];
            if !a.reach.contains(p) {
                continue;
            }
            if let Some(d) = a.boundary.edge_within_m(p, NEAR_EDGE_M)
                && nearest.is_none_or(|(best, _)| d < best)
            {
                nearest = Some((d, a.unit));
            }
        }
        nearest.map(|(_, unit)| Located { unit, near_edge: true })
    }
}

impl<K> fmt::Debug for Boundaries<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Boundaries")
            .field("areas", &self.areas.len())
            .field("grid", &(self.grid.cols, self.grid.rows))
            .finish()
    }
}

// ---------------------------------------------------------------------------------------------
// Typed addresses

/// The administrative level a word like "phường" or "tp" names. Two names of one level never
/// nest; a smaller level is the more specific answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Level {
    /// Tỉnh, thành phố (trực thuộc trung ương).
    Province,
    /// Quận, huyện, thị xã, thành phố thuộc tỉnh (before 2025).
    District,
    /// Phường, xã, thị trấn, đặc khu.
    Commune,
}

/// What a marker word before a name says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Marker {
    /// An administrative kind: "p.", "phường", "xã", "tt", "quận", "tỉnh"…
    Admin(AdminKind),
    /// A street, hamlet or other place that is not a unit's area: "đường Hạ Long" is no ward.
    NotAnArea,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum AdminKind {
    Ward,
    Commune,
    Town,
    SpecialZone,
    District,
    TownDistrict,
    City,
    Province,
}

impl AdminKind {
    fn level(self) -> Level {
        match self {
            AdminKind::Ward | AdminKind::Commune | AdminKind::Town | AdminKind::SpecialZone => Level::Commune,
            AdminKind::District | AdminKind::TownDistrict => Level::District,
            AdminKind::City | AdminKind::Province => Level::Province,
        }
    }

    /// Whether a marker of kind `self` may name a unit of kind `unit`. A city ("tp") may be a
    /// province-level city or an old provincial city; a province is sometimes written "tp".
    fn fits(self, unit: AdminKind) -> bool {
        self == unit || (matches!(self, AdminKind::City | AdminKind::Province) && unit.level() == Level::Province)
    }
}

/// Markers written before a name, folded; two-word ones are tried first.
const MARKERS_2: [(&str, &str, AdminKind); 5] = [
    ("thi", "tran", AdminKind::Town),
    ("dac", "khu", AdminKind::SpecialZone),
    ("thi", "xa", AdminKind::TownDistrict),
    ("thanh", "pho", AdminKind::City),
    ("cong", "an", AdminKind::Ward), // never returned: "công an" is stripped from unit names
];

fn marker_1(word: &str) -> Option<Marker> {
    let kind = match word {
        "p" | "ph" | "phuong" | "f" => AdminKind::Ward,
        "x" | "xa" => AdminKind::Commune,
        "tt" => AdminKind::Town,
        "dk" => AdminKind::SpecialZone,
        "q" | "quan" | "h" | "huyen" => AdminKind::District,
        "tx" => AdminKind::TownDistrict,
        "tp" => AdminKind::City,
        "t" | "tinh" => AdminKind::Province,
        "duong" | "d" | "pho" | "ngo" | "ngach" | "hem" | "kiet" | "to" | "thon" | "ap" | "ban" | "xom" | "khu"
        | "kp" | "so" | "sn" | "cho" | "cau" | "song" | "nui" | "vinh" | "bien" | "cang" | "ho" | "cong" | "truong"
        | "benh" | "vien" | "toa" | "nha" | "chung" | "cu" | "kdt" | "kcn" | "lo" | "ql" | "tl" | "dt" => {
            return Some(Marker::NotAnArea);
        }
        _ => return None,
    };
    Some(Marker::Admin(kind))
}

/// A unit's name, split into the kind its first words say and the words that follow.
fn split_name(words: &[String]) -> (Option<AdminKind>, Vec<String>) {
    let mut rest = words;
    if rest.len() >= 2 && rest[0] == "cong" && rest[1] == "an" {
        rest = &rest[2..];
    }
    if rest.len() >= 3 {
        for (a, b, kind) in MARKERS_2 {
            if rest[0] == a && rest[1] == b && !(a == "cong" && b == "an") {
                return (Some(kind), rest[2..].to_vec());
            }
        }
    }
    if rest.len() >= 2
        && let Some(Marker::Admin(kind)) = marker_1(&rest[0])
    {
        return (Some(kind), rest[1..].to_vec());
    }
    (None, rest.to_vec())
}

/// Folds text to words with `caunoi_text`'s folding, then splits "p1", "q.3", "f12" into the
/// marker and the number and drops leading zeros ("phường 01" is "phường 1").
fn address_words(text: &str) -> Vec<String> {
    let folded = caunoi_text::normalize::fold(text);
    let mut out = Vec::new();
    for w in folded.split(' ').filter(|w| !w.is_empty()) {
        let split_at = w.find(|c: char| c.is_ascii_digit()).filter(|&i| i > 0 && i <= 2);
        match split_at {
            Some(i) if w[i..].bytes().all(|b| b.is_ascii_digit()) && marker_1(&w[..i]).is_some() => {
                out.push(w[..i].to_string());
                out.push(strip_zeros(&w[i..]));
            }
            _ if w.bytes().all(|b| b.is_ascii_digit()) => out.push(strip_zeros(w)),
            _ => out.push(w.to_string()),
        }
    }
    out
}

fn strip_zeros(digits: &str) -> String {
    let s = digits.trim_start_matches('0');
    if s.is_empty() { "0".to_string() } else { s.to_string() }
}

/// A unit's name as the address matcher reads it: whether it says its kind ("phường",
/// "xã", "thị trấn"…) and its folded words without the kind and a leading "Công an"
/// ("Công an phường Hồng Gai" and "phuong hong gai" both give `(true, "hong gai")`).
pub fn place_name(name: &str) -> (bool, String) {
    let (kind, words) = split_name(&address_words(name));
    (kind.is_some(), words.join(" "))
}

struct NameEntry<K> {
    unit: K,
    kind: Option<AdminKind>,
    words: Vec<String>,
}

/// Typed addresses to units: finds a unit's name ("p. Bãi Cháy", "phuong bai chay", old
/// pre-2025 names too) inside whatever the citizen typed, tolerant of missing diacritics, case,
/// and the usual abbreviations (p., x., tt, q., tp…).
///
/// A name counts when it is written after a marker of its kind ("p bai chay"), or — for names
/// of two words or more — with no marker at all; never after a marker of another kind or a
/// street word ("đường Hạ Long" is not phường Hạ Long, "tp Hạ Long" neither). Among the names
/// found, a commune-level unit beats a district beats a province, a marked name beats an
/// unmarked one, and a longer name beats a shorter one. Two different units tied at the top
/// (two "Phường 1" in different provinces) give `None`, unless exactly one of them has an
/// ancestor whose name is also in the text ([`AddressMatcher::with_parents`]).
pub struct AddressMatcher<K> {
    entries: Vec<NameEntry<K>>,
    /// Entries by their first word.
    by_first: HashMap<String, Vec<usize>>,
    parents: HashMap<K, K>,
}

impl<K: Key> AddressMatcher<K> {
    /// Each unit with its names: current name and old ones ("Công an phường Bãi Cháy",
    /// "Phường Hùng Thắng"). A leading "Công an" is ignored.
    pub fn new(units: Vec<(K, Vec<String>)>) -> AddressMatcher<K> {
        let mut entries: Vec<NameEntry<K>> = Vec::new();
        for (unit, names) in units {
            for name in names {
                let (kind, words) = split_name(&address_words(&name));
                if words.is_empty() {
                    continue;
                }
                if !entries.iter().any(|e| e.unit == unit && e.kind == kind && e.words == words) {
                    entries.push(NameEntry { unit, kind, words });
                }
            }
        }
        let mut by_first: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, e) in entries.iter().enumerate() {
            by_first.entry(e.words[0].clone()).or_default().push(i);
        }
        AddressMatcher { entries, by_first, parents: HashMap::new() }
    }

    /// Tells the matcher each unit's parent, so that a name shared by two units is settled by
    /// the province (or other ancestor) also named in the text.
    pub fn with_parents(mut self, parents: impl IntoIterator<Item = (K, K)>) -> AddressMatcher<K> {
        self.parents = parents.into_iter().collect();
        self
    }

    /// The unit the text names; see the type's documentation for the rules.
    pub fn find(&self, text: &str) -> Option<K> {
        let words = address_words(text);
        // (level, marked, length) — bigger is better.
        let mut found: Vec<((Level, bool, usize), K)> = Vec::new();
        let mut named: Vec<K> = Vec::new();
        for start in 0..words.len() {
            let Some(list) = self.by_first.get(&words[start]) else { continue };
            for &i in list {
                let e = &self.entries[i];
                let end = start + e.words.len();
                if end > words.len() || words[start..end] != e.words[..] {
                    continue;
                }
                let marker = marker_before(&words[..start]);
                let ok = match (marker, e.kind) {
                    (Some(Marker::NotAnArea), _) => false,
                    (Some(Marker::Admin(m)), Some(k)) => m.fits(k),
                    (Some(Marker::Admin(_)), None) => false,
                    (None, _) => e.words.len() >= 2 && !e.words.iter().all(|w| w.bytes().all(|b| b.is_ascii_digit())),
                };
                named.push(e.unit);
                if ok {
                    let level = e.kind.map_or(Level::Commune, AdminKind::level);
                    found.push(((level, marker.is_some(), e.words.len()), e.unit));
                }
            }
        }
        // An ancestor of another unit found is context, not the answer.
        let ancestors: Vec<K> = found.iter().flat_map(|(_, u)| self.ancestors(*u)).collect();
        found.retain(|(_, u)| !ancestors.contains(u));
        let best = found.iter().map(|(s, _)| *s).max()?;
        let mut top: Vec<K> = found.iter().filter(|(s, _)| *s == best).map(|(_, u)| *u).collect();
        top.sort();
        top.dedup();
        if let [only] = top.as_slice() {
            return Some(*only);
        }
        let fitting: Vec<K> =
            top.into_iter().filter(|u| self.ancestors(*u).iter().any(|a| named.contains(a))).collect();
        match fitting.as_slice() {
            [only] => Some(*only),
            _ => None,
        }
    }

    fn ancestors(&self, unit: K) -> Vec<K> {
        let mut out = Vec::new();
        let mut cur = unit;
        while let Some(&p) = self.parents.get(&cur) {
            if out.contains(&p) || p == unit {
                break;
            }
            out.push(p);
            cur = p;
        }
        out
    }
}

/// The marker right before a name: a two-word one ("thị trấn") or a one-word one ("p").
fn marker_before(before: &[String]) -> Option<Marker> {
    if let [.., a, b] = before {
        for (x, y, kind) in MARKERS_2 {
            if a == x && b == y {
                return if x == "cong" { None } else { Some(Marker::Admin(kind)) };
            }
        }
    }
    // "thi xa" handled above; a lone "xa" after "thi" never reaches here.
    before.last().and_then(|w| marker_1(w))
}

#[cfg(test)]
mod tests;
