use super::*;
use crate::units::UnitId;
use proptest::prelude::*;

/// Metres to degrees of latitude.
fn m_lat(m: f64) -> f64 {
    m / M_PER_DEG
}

fn pt(lat: f64, lon: f64) -> GeoPoint {
    GeoPoint::new(lat, lon).unwrap()
}

/// A closed ring of `[lon, lat]` around a box.
fn rect(min_lon: f64, min_lat: f64, max_lon: f64, max_lat: f64) -> serde_json::Value {
    serde_json::json!([
        [min_lon, min_lat],
        [max_lon, min_lat],
        [max_lon, max_lat],
        [min_lon, max_lat],
        [min_lon, min_lat]
    ])
}

fn polygon(rings: Vec<serde_json::Value>) -> Boundary {
    parse_boundary(&serde_json::json!({ "type": "Polygon", "coordinates": rings }).to_string()).unwrap()
}

/// A square of 0.02° around Hoàn Kiếm, Hà Nội.
fn square() -> Boundary {
    polygon(vec![rect(105.84, 21.02, 105.86, 21.04)])
}

#[test]
fn points_outside_vietnam_or_not_numbers_are_refused() {
    assert_eq!(GeoPoint::new(0.0, 0.0), Err(GeoError::OutsideVietnam { lat: 0.0, lon: 0.0 }));
    assert!(GeoPoint::new(48.85, 2.35).is_err(), "Paris");
    assert!(GeoPoint::new(105.8, 21.0).is_err(), "swapped");
    assert_eq!(GeoPoint::new(f64::NAN, 105.0), Err(GeoError::NotFinite));
    assert_eq!(GeoPoint::new(21.0, f64::INFINITY), Err(GeoError::NotFinite));
    assert!(GeoError::OutsideVietnam { lat: 0.0, lon: 0.0 }.message_vi().contains("ngoài lãnh thổ Việt Nam"));
}

#[test]
fn the_archipelagos_are_in_vietnam() {
    assert!(GeoPoint::new(16.53, 111.6).is_ok(), "Hoàng Sa");
    assert!(GeoPoint::new(8.64, 111.92).is_ok(), "Trường Sa");
    assert!(GeoPoint::new(8.6, 104.7).is_ok(), "Cà Mau");
    assert!(GeoPoint::new(23.39, 105.32).is_ok(), "Lũng Cú");
}

#[test]
fn haversine_distance_matches_known_figures() {
    let hanoi = pt(21.0285, 105.8542);
    let saigon = pt(10.8231, 106.6297);
    let d = distance_m(hanoi, saigon);
    assert!((1_130_000.0..1_145_000.0).contains(&d), "{d}");
    assert_eq!(distance_m(hanoi, hanoi), 0.0);
    let north = pt(21.0285 + m_lat(100.0), 105.8542);
    assert!((distance_m(hanoi, north) - 100.0).abs() < 0.01);
}

#[test]
fn a_square_holds_its_inside_and_not_its_outside() {
    let b = square();
    assert!(b.contains(pt(21.03, 105.85)));
    assert!(!b.contains(pt(21.05, 105.85)));
    assert!(!b.contains(pt(21.03, 105.87)));
    assert!(!b.contains(pt(21.03, 105.83)));
    assert_eq!(b.point_count(), 5);
    assert_eq!(b.polygon_count(), 1);
    // 0.02° × 0.02° at 21° N: about 2.224 km × 2.076 km.
    let expected = (0.02 * M_PER_DEG / 1000.0) * (0.02 * M_PER_DEG * 21.03_f64.to_radians().cos() / 1000.0);
    assert!((b.area_km2() - expected).abs() < 0.01, "{} vs {expected}", b.area_km2());
}

#[test]
fn a_hole_is_outside_and_reduces_the_area() {
    let outer = rect(105.84, 21.02, 105.86, 21.04);
    let hole = rect(105.845, 21.025, 105.855, 21.035);
    let with_hole = polygon(vec![outer.clone(), hole]);
    assert!(!with_hole.contains(pt(21.03, 105.85)), "inside the hole");
    assert!(with_hole.contains(pt(21.022, 105.85)), "between the rings");
    assert!(with_hole.area_km2() < square().area_km2() * 0.76);
    assert!(with_hole.area_km2() > square().area_km2() * 0.74);
}

#[test]
fn a_multipolygon_holds_each_of_its_parts() {
    let text = serde_json::json!({
        "type": "MultiPolygon",
        "coordinates": [[rect(107.0, 20.9, 107.01, 20.91)], [rect(107.1, 20.9, 107.11, 20.91)]]
    })
    .to_string();
    let b = parse_boundary(&text).unwrap();
    assert_eq!(b.polygon_count(), 2);
    assert!(b.contains(pt(20.905, 107.005)));
    assert!(b.contains(pt(20.905, 107.105)));
    assert!(!b.contains(pt(20.905, 107.05)), "between the islands");
    let again = parse_boundary(&b.to_geojson()).unwrap();
    assert_eq!(again.to_geojson(), b.to_geojson());
    assert!(b.to_geojson().contains(r#""type":"MultiPolygon""#));
}

#[test]
fn features_and_feature_collections_are_unwrapped_and_normalized() {
    let feature = serde_json::json!({
        "type": "Feature",
        "properties": { "name": "Phường Bãi Cháy" },
        "geometry": { "type": "Polygon", "coordinates": [rect(107.0, 20.9, 107.01, 20.91)] }
    });
    let b = parse_boundary(&feature.to_string()).unwrap();
    assert!(b.to_geojson().contains(r#""type":"Polygon""#));
    assert!(!b.to_geojson().contains("properties"));
    let collection = serde_json::json!({
        "type": "FeatureCollection",
        "features": [feature, { "type": "Feature", "properties": {}, "geometry": {
            "type": "Polygon", "coordinates": [rect(107.1, 20.9, 107.11, 20.91)] } }]
    });
    let b = parse_boundary(&collection.to_string()).unwrap();
    assert_eq!(b.polygon_count(), 2);
    assert!(b.to_geojson().contains("MultiPolygon"));
}

#[test]
fn nested_areas_route_to_the_smallest() {
    let province = polygon(vec![rect(106.4, 20.7, 107.9, 21.6)]);
    let ward = polygon(vec![rect(107.03, 20.95, 107.05, 20.97)]);
    let index = Boundaries::new(vec![(UnitId(1), province), (UnitId(2), ward)]);
    assert_eq!(index.locate(pt(20.96, 107.04)), Some(Located { unit: UnitId(2), near_edge: false }));
    assert_eq!(index.locate(pt(21.2, 107.0)), Some(Located { unit: UnitId(1), near_edge: false }));
    assert_eq!(index.locate(pt(16.0, 108.2)), None, "Đà Nẵng is in neither");
}

#[test]
fn overlapping_areas_route_to_the_smaller() {
    let big = polygon(vec![rect(107.0, 20.9, 107.04, 20.94)]);
    let small = polygon(vec![rect(107.03, 20.93, 107.05, 20.95)]);
    let index = Boundaries::new(vec![(UnitId(7), big), (UnitId(8), small)]);
    assert_eq!(index.locate(pt(20.935, 107.035)).map(|l| l.unit), Some(UnitId(8)));
    assert_eq!(index.locate(pt(20.91, 107.01)).map(|l| l.unit), Some(UnitId(7)));
}

#[test]
fn a_point_30_m_from_the_edge_is_flagged_and_80_m_is_not() {
    let index = Boundaries::new(vec![(UnitId(3), square())]);
    let near = pt(21.02 + m_lat(30.0), 105.85);
    let far = pt(21.02 + m_lat(80.0), 105.85);
    assert_eq!(index.locate(near), Some(Located { unit: UnitId(3), near_edge: true }));
    assert_eq!(index.locate(far), Some(Located { unit: UnitId(3), near_edge: false }));
    let d = square().distance_to_edge_m(near);
    assert!((d - 30.0).abs() < 0.1, "{d}");
    assert_eq!(square().edge_within_m(far, NEAR_EDGE_M), None);
}

#[test]
fn a_point_just_outside_every_area_goes_to_the_nearest_flagged() {
    let west = polygon(vec![rect(105.84, 21.02, 105.85, 21.04)]);
    let index = Boundaries::new(vec![(UnitId(4), west)]);
    let just_outside = pt(21.03, 105.85 + 20.0 / (M_PER_DEG * 21.03_f64.to_radians().cos()));
    assert_eq!(index.locate(just_outside), Some(Located { unit: UnitId(4), near_edge: true }));
    let well_outside = pt(21.03, 105.85 + 80.0 / (M_PER_DEG * 21.03_f64.to_radians().cos()));
    assert_eq!(index.locate(well_outside), None);
}

#[test]
fn an_empty_index_locates_nothing() {
    let index: Boundaries<UnitId> = Boundaries::new(Vec::new());
    assert!(index.is_empty());
    assert_eq!(index.locate(pt(21.0, 105.8)), None);
}

#[test]
fn a_detailed_ring_is_tested_through_its_slabs() {
    // A 2,000-vertex circle of radius 0.01° around a point in Huế.
    let (clat, clon) = (16.46, 107.59);
    let ring: Vec<[f64; 2]> = (0..=2000)
        .map(|i| {
            let a = std::f64::consts::TAU * (i % 2000) as f64 / 2000.0;
            [clon + 0.01 * a.cos(), clat + 0.01 * a.sin()]
        })
        .collect();
    let b = polygon(vec![serde_json::json!(ring)]);
    assert!(b.edges.slabs >= 500);
    let longest = (0..b.edges.slabs).map(|s| b.edges.slab(s).len()).max().unwrap();
    assert!(longest < 60, "{longest} edges in one slab");
    for i in 0..200 {
        let a = i as f64 * 0.1;
        let r = 0.0001 * (i as f64 % 50.0) * 2.0 + 0.0001;
        let p = pt(clat + r * a.sin(), clon + r * a.cos());
        assert_eq!(b.contains(p), r < 0.01 * (std::f64::consts::PI / 2000.0).cos(), "r = {r}");
    }
}

fn err(text: &str) -> BoundaryError {
    parse_boundary(text).unwrap_err()
}

#[test]
fn malformed_geojson_gets_a_specific_error() {
    assert!(matches!(err("not json"), BoundaryError::NotJson(_)));
    assert!(matches!(err(""), BoundaryError::NotJson(_)));
    assert_eq!(
        err(r#"{"type": "Point", "coordinates": [105.8, 21.0]}"#),
        BoundaryError::WrongType { found: "Point".into() }
    );
    assert!(matches!(err("[1, 2]"), BoundaryError::WrongType { .. }));
    assert!(matches!(err(r#"{"coordinates": []}"#), BoundaryError::WrongType { .. }));
    assert_eq!(err(r#"{"type": "MultiPolygon", "coordinates": []}"#), BoundaryError::Empty);
    assert_eq!(err(r#"{"type": "Feature", "geometry": null}"#), BoundaryError::Empty);
    assert_eq!(
        err(r#"{"type": "Polygon", "coordinates": [[[105.8, 21.0], [105.9, 21.0], [105.8, 21.0]]]}"#),
        BoundaryError::RingTooShort { polygon: 1, ring: 1, points: 3 }
    );
    assert_eq!(
        err(r#"{"type": "Polygon", "coordinates": [[[105.8, 21.0], [105.9, 21.0], [105.9, 21.1], [105.8, 21.1]]]}"#),
        BoundaryError::RingNotClosed { polygon: 1, ring: 1 }
    );
    assert_eq!(
        err(r#"{"type": "Polygon", "coordinates": [[[105.8, 21.0], ["105.9", 21.0], [105.9, 21.1], [105.8, 21.0]]]}"#),
        BoundaryError::NotNumbers { polygon: 1, ring: 1, position: 2 }
    );
    assert_eq!(
        err(r#"{"type": "Polygon", "coordinates": [[[2.3, 48.8], [2.4, 48.8], [2.4, 48.9], [2.3, 48.8]]]}"#),
        BoundaryError::OutsideVietnam { polygon: 1, ring: 1, position: 1, lon: 2.3, lat: 48.8 }
    );
    let swapped =
        err(r#"{"type": "Polygon", "coordinates": [[[21.0, 105.8], [21.0, 105.9], [21.1, 105.9], [21.0, 105.8]]]}"#);
    assert_eq!(swapped, BoundaryError::Swapped { polygon: 1, ring: 1, position: 1, first: 21.0, second: 105.8 });
    assert!(swapped.message_vi().contains("đảo"), "{}", swapped.message_vi());
    assert!(swapped.to_string().contains("swapped"));
}

#[test]
fn more_than_200_000_points_are_refused() {
    let ring: Vec<[f64; 2]> = (0..=200_001).map(|i| [105.8 + (i % 7) as f64 * 1e-4, 21.0]).collect();
    let text = serde_json::json!({ "type": "Polygon", "coordinates": [ring] }).to_string();
    assert_eq!(err(&text), BoundaryError::TooManyPoints);
    assert!(BoundaryError::TooManyPoints.message_vi().contains("200000"));
}

#[test]
fn every_error_has_a_vietnamese_and_an_english_message() {
    let all = [
        BoundaryError::NotJson("x".into()),
        BoundaryError::TooLarge,
        BoundaryError::WrongType { found: "Point".into() },
        BoundaryError::Empty,
        BoundaryError::RingTooShort { polygon: 1, ring: 2, points: 3 },
        BoundaryError::RingNotClosed { polygon: 1, ring: 1 },
        BoundaryError::NotNumbers { polygon: 1, ring: 1, position: 4 },
        BoundaryError::OutsideVietnam { polygon: 1, ring: 1, position: 1, lon: 0.0, lat: 0.0 },
        BoundaryError::Swapped { polygon: 1, ring: 1, position: 1, first: 21.0, second: 105.8 },
        BoundaryError::TooManyPoints,
    ];
    for e in all {
        assert!(!e.message_vi().is_empty() && !e.to_string().is_empty());
        assert_ne!(e.message_vi(), e.to_string());
    }
}

proptest! {
    #[test]
    fn parsing_any_text_never_panics(text in ".{0,200}") {
        let _ = parse_boundary(&text);
    }

    #[test]
    fn parsing_random_geojson_like_values_never_panics(
        kind in prop::sample::select(vec!["Polygon", "MultiPolygon", "Feature", "FeatureCollection", "Point", ""]),
        coords in prop::collection::vec(prop::collection::vec((-200.0f64..200.0, -100.0f64..100.0), 0..8), 0..4),
        close in any::<bool>(),
    ) {
        let rings: Vec<Vec<[f64; 2]>> = coords
            .into_iter()
            .map(|mut r| {
                if close && let Some(first) = r.first().copied() {
                    r.push(first);
                }
                r.into_iter().map(|(x, y)| [x, y]).collect()
            })
            .collect();
        let geometry = serde_json::json!({ "type": kind, "coordinates": rings.clone() });
        let _ = parse_boundary(&geometry.to_string());
        let multi = serde_json::json!({ "type": "MultiPolygon", "coordinates": [rings] });
        let _ = parse_boundary(&multi.to_string());
        let feature = serde_json::json!({ "type": "Feature", "geometry": geometry });
        let _ = parse_boundary(&serde_json::json!({ "type": "FeatureCollection", "features": [feature] }).to_string());
    }

    #[test]
    fn random_polygons_in_vietnam_locate_without_panic(
        pts in prop::collection::vec((20.0f64..21.0, 106.0f64..107.0), 3..30),
        probe in (19.9f64..21.1, 105.9f64..107.1),
    ) {
        let mut ring: Vec<[f64; 2]> = pts.iter().map(|(lat, lon)| [*lon, *lat]).collect();
        ring.push(ring[0]);
        let b = polygon(vec![serde_json::json!(ring)]);
        let index = Boundaries::new(vec![(UnitId(1), b.clone())]);
        let p = pt(probe.0, probe.1);
        let located = index.locate(p);
        if b.contains(p) {
            prop_assert_eq!(located.map(|l| l.unit), Some(UnitId(1)));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Addresses

fn quang_ninh() -> AddressMatcher<UnitId> {
    AddressMatcher::new(vec![
        (UnitId(1), vec!["Công an tỉnh Quảng Ninh".into()]),
        (UnitId(10), vec!["Công an phường Bãi Cháy".into(), "P. Bãi Cháy".into(), "Phường Hùng Thắng".into()]),
        (UnitId(11), vec!["Công an phường Hạ Long".into()]),
        (UnitId(12), vec!["Công an phường Hồng Gai".into()]),
        (UnitId(13), vec!["Công an xã Tiên Yên".into(), "Thị trấn Tiên Yên".into()]),
        (UnitId(14), vec!["Công an đặc khu Cô Tô".into()]),
        (UnitId(15), vec!["Công an phường Hà Lầm".into()]),
    ])
    .with_parents([
        (UnitId(10), UnitId(1)),
        (UnitId(11), UnitId(1)),
        (UnitId(12), UnitId(1)),
        (UnitId(13), UnitId(1)),
    ])
}

#[test]
fn an_address_finds_its_ward_with_or_without_diacritics() {
    let m = quang_ninh();
    for text in [
        "Phường Bãi Cháy",
        "phuong bai chay",
        "P. Bãi Cháy",
        "p.bai chay",
        "P Bai Chay",
        "BÃI CHÁY, QUẢNG NINH",
        "số 12 đường Hạ Long, p bai chay, tp ha long",
        "tổ 3 khu 5 phường Hùng Thắng",
        "Công an phường Bãi Cháy",
    ] {
        assert_eq!(m.find(text), Some(UnitId(10)), "{text}");
    }
}

#[test]
fn abbreviations_of_each_kind_are_understood() {
    let m = quang_ninh();
    assert_eq!(m.find("x. Tiên Yên"), Some(UnitId(13)));
    assert_eq!(m.find("xa tien yen"), Some(UnitId(13)));
    assert_eq!(m.find("tt tiên yên"), Some(UnitId(13)), "the old town name");
    assert_eq!(m.find("thị trấn Tiên Yên"), Some(UnitId(13)));
    assert_eq!(m.find("đặc khu Cô Tô"), Some(UnitId(14)));
    assert_eq!(m.find("tỉnh Quảng Ninh"), Some(UnitId(1)));
}

#[test]
fn a_street_or_a_city_of_the_same_name_is_not_the_ward() {
    let m = quang_ninh();
    assert_eq!(m.find("đường Hạ Long"), None);
    assert_eq!(m.find("tp Hạ Long"), None);
    assert_eq!(m.find("vinh ha long"), None);
    assert_eq!(m.find("phường Hạ Long"), Some(UnitId(11)));
    assert_eq!(m.find("12 đường Hạ Long, p. Hồng Gai"), Some(UnitId(12)));
}

#[test]
fn the_most_specific_name_wins() {
    let m = quang_ninh();
    assert_eq!(m.find("p Hà Lầm, tỉnh Quảng Ninh"), Some(UnitId(15)));
    assert_eq!(m.find("tỉnh Quảng Ninh, Hồng Gai"), Some(UnitId(12)));
}

#[test]
fn unrelated_text_finds_nothing() {
    let m = quang_ninh();
    assert_eq!(m.find(""), None);
    assert_eq!(m.find("có người đánh nhau ở chợ"), None);
    assert_eq!(m.find("bai"), None);
}

#[test]
fn numbered_wards_need_their_marker() {
    let m = AddressMatcher::new(vec![
        (UnitId(1), vec!["Công an thành phố Hồ Chí Minh".into()]),
        (UnitId(2), vec!["Phường 1".into()]),
        (UnitId(3), vec!["Phường 12".into()]),
    ]);
    assert_eq!(m.find("p1"), Some(UnitId(2)));
    assert_eq!(m.find("P.01"), Some(UnitId(2)));
    assert_eq!(m.find("phường 12"), Some(UnitId(3)));
    assert_eq!(m.find("F12"), Some(UnitId(3)));
    assert_eq!(m.find("số 1 Lê Lợi"), None);
    assert_eq!(m.find("TP Hồ Chí Minh"), Some(UnitId(1)));
}

#[test]
fn two_wards_of_one_name_need_the_province_to_decide() {
    let m = AddressMatcher::new(vec![
        (UnitId(1), vec!["Công an tỉnh Quảng Ninh".into()]),
        (UnitId(2), vec!["Công an tỉnh Lạng Sơn".into()]),
        (UnitId(11), vec!["Công an xã Quảng Đức".into()]),
        (UnitId(21), vec!["Công an xã Quảng Đức".into()]),
    ])
    .with_parents([(UnitId(11), UnitId(1)), (UnitId(21), UnitId(2))]);
    assert_eq!(m.find("xã Quảng Đức"), None);
    assert_eq!(m.find("xã Quảng Đức, Quảng Ninh"), Some(UnitId(11)));
    assert_eq!(m.find("thôn 2, xa quang duc, tinh lang son"), Some(UnitId(21)));
}
