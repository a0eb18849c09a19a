//! Routing a report by place: 3,500 synthetic commune areas (perturbed grid cells of 200–500
//! vertices tiling a Vietnam-sized region, shared edges identical on both sides) plus 50
//! province areas that follow the communes' edges, indexed by `Boundaries`; 100,000 random
//! points located. Criterion reports the mean; a custom pass prints p50/p99/max per look-up.
//!
//! `cargo bench -p caunoi-core --bench routing`

use caunoi_core::geo::{Boundaries, Boundary, GeoPoint, parse_boundary};
use caunoi_core::units::UnitId;
use criterion::{Criterion, criterion_group, criterion_main};
use std::f64::consts::TAU;
use std::hint::black_box;
use std::time::{Duration, Instant};

const COLS: usize = 50;
const ROWS: usize = 70;
/// The tiled region: 7° of longitude × 14.7° of latitude, about the mainland's extent.
const LON0: f64 = 102.5;
const LAT0: f64 = 8.6;
const CELL_LON: f64 = 7.0 / COLS as f64;
const CELL_LAT: f64 = 14.7 / ROWS as f64;
/// Provinces: blocks of 10 × 7 communes.
const BLOCK_COLS: usize = 10;
const BLOCK_ROWS: usize = 7;

/// SplitMix64: deterministic on every machine.
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

type Polyline = Vec<[f64; 2]>;

/// A wiggly edge from `a` to `b`: `n` segments, offset sideways by a sum of sines that vanishes
/// at both ends.
fn wiggle(a: [f64; 2], b: [f64; 2], n: usize, rng: &mut Seeded) -> Polyline {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len = (dx * dx + dy * dy).sqrt();
    let (px, py) = (-dy / len, dx / len);
    let amp = len * 0.08;
    let (f1, f2, ph) = (1.0 + rng.unit() * 3.0, 5.0 + rng.unit() * 9.0, rng.unit() * TAU);
    (0..=n)
        .map(|i| {
            let t = i as f64 / n as f64;
            let off =
                amp * (std::f64::consts::PI * t).sin() * (0.7 * (f1 * t * TAU + ph).sin() + 0.3 * (f2 * t * TAU).sin());
            [a[0] + t * dx + off * px, a[1] + t * dy + off * py]
        })
        .collect()
}

struct Tiling {
    /// `h[r][c]`: from corner (r, c) to (r, c + 1); `v[r][c]`: from (r, c) to (r + 1, c).
    h: Vec<Vec<Polyline>>,
    v: Vec<Vec<Polyline>>,
}

fn tiling() -> Tiling {
    let mut rng = Seeded(20_261_207);
    let corner: Vec<Vec<[f64; 2]>> = (0..=ROWS)
        .map(|r| {
            (0..=COLS)
                .map(|c| {
                    let inner = r > 0 && r < ROWS && c > 0 && c < COLS;
                    let (jx, jy) = if inner { (rng.unit() - 0.5, rng.unit() - 0.5) } else { (0.0, 0.0) };
                    [LON0 + (c as f64 + 0.3 * jx) * CELL_LON, LAT0 + (r as f64 + 0.3 * jy) * CELL_LAT]
                })
                .collect()
        })
        .collect();
    // 50–125 segments per edge: 200–500 vertices per commune.
    let segments = |rng: &mut Seeded| 50 + (rng.next() % 76) as usize;
    let h = (0..=ROWS)
        .map(|r| {
            (0..COLS)
                .map(|c| {
                    let n = segments(&mut rng);
                    wiggle(corner[r][c], corner[r][c + 1], n, &mut rng)
                })
                .collect()
        })
        .collect();
    let v = (0..ROWS)
        .map(|r| {
            (0..=COLS)
                .map(|c| {
                    let n = segments(&mut rng);
                    wiggle(corner[r][c], corner[r + 1][c], n, &mut rng)
                })
                .collect()
        })
        .collect();
    Tiling { h, v }
}

fn push_forward(ring: &mut Polyline, edge: &Polyline) {
    ring.extend_from_slice(&edge[..edge.len() - 1]);
}

fn push_backward(ring: &mut Polyline, edge: &Polyline) {
    ring.extend(edge.iter().rev().take(edge.len() - 1));
}

/// The counter-clockwise ring around the block of cells rows r0..r1, columns c0..c1.
fn block_ring(t: &Tiling, (r0, r1): (usize, usize), (c0, c1): (usize, usize)) -> Polyline {
    let mut ring = Vec::new();
    for c in c0..c1 {
        push_forward(&mut ring, &t.h[r0][c]);
    }
    for r in r0..r1 {
        push_forward(&mut ring, &t.v[r][c1]);
    }
    for c in (c0..c1).rev() {
        push_backward(&mut ring, &t.h[r1][c]);
    }
    for r in (r0..r1).rev() {
        push_backward(&mut ring, &t.v[r][c0]);
    }
    ring.push(ring[0]);
    ring
}

fn parse(ring: Polyline) -> Boundary {
    let text = serde_json::json!({ "type": "Polygon", "coordinates": [ring] }).to_string();
    match parse_boundary(&text) {
        Ok(b) => b,
        Err(e) => panic!("synthetic boundary refused: {e}"),
    }
}

/// The 3,500 communes (ids 1000…) and the 50 provinces (ids 1…).
fn areas() -> Vec<(UnitId, Boundary)> {
    let t = tiling();
    let mut out = Vec::new();
    for r in 0..ROWS {
        for c in 0..COLS {
            out.push((UnitId(1000 + (r * COLS + c) as i64), parse(block_ring(&t, (r, r + 1), (c, c + 1)))));
        }
    }
    for br in 0..ROWS / BLOCK_ROWS {
        for bc in 0..COLS / BLOCK_COLS {
            let rows = (br * BLOCK_ROWS, (br + 1) * BLOCK_ROWS);
            let cols = (bc * BLOCK_COLS, (bc + 1) * BLOCK_COLS);
            out.push((UnitId(1 + (br * (COLS / BLOCK_COLS) + bc) as i64), parse(block_ring(&t, rows, cols))));
        }
    }
    out
}

fn points(n: usize) -> Vec<GeoPoint> {
    let mut rng = Seeded(42);
    (0..n)
        .filter_map(|_| {
            let lat = LAT0 + rng.unit() * ROWS as f64 * CELL_LAT;
            let lon = LON0 + rng.unit() * COLS as f64 * CELL_LON;
            GeoPoint::new(lat, lon).ok()
        })
        .collect()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

fn bench(c: &mut Criterion) {
    let started = Instant::now();
    let areas = areas();
    let generated = started.elapsed();
    let vertices: usize = areas.iter().map(|(_, b)| b.point_count()).sum();
    let communes: Vec<usize> = areas.iter().filter(|(u, _)| u.0 >= 1000).map(|(_, b)| b.point_count()).collect();
    let started = Instant::now();
    let index = Boundaries::new(areas.clone());
    let built = started.elapsed();
    let pts = points(100_000);

    // Per look-up latency over the 100,000 points, each timed on its own.
    let mut times = Vec::with_capacity(pts.len());
    let (mut found, mut near, mut communes_hit) = (0usize, 0usize, 0usize);
    for p in &pts {
        let t = Instant::now();
        let located = black_box(index.locate(black_box(*p)));
        times.push(t.elapsed());
        if let Some(l) = located {
            found += 1;
            near += usize::from(l.near_edge);
            communes_hit += usize::from(l.unit.0 >= 1000);
        }
    }
    times.sort();
    let mean = times.iter().sum::<Duration>() / times.len() as u32;
    println!(
        "routing: {} areas ({} communes of {}–{} vertices, {} vertices in all), generated and parsed in {:.2?}, indexed in {:.2?}",
        areas.len(),
        communes.len(),
        communes.iter().min().copied().unwrap_or(0),
        communes.iter().max().copied().unwrap_or(0),
        vertices,
        generated,
        built
    );
    println!(
        "routing: {} look-ups: mean {:.2?}, p50 {:.2?}, p99 {:.2?}, p99.9 {:.2?}, max {:.2?}; {} located ({} to a commune, {} near an edge)",
        times.len(),
        mean,
        percentile(&times, 0.50),
        percentile(&times, 0.99),
        percentile(&times, 0.999),
        times[times.len() - 1],
        found,
        communes_hit,
        near
    );

    let mut group = c.benchmark_group("routing");
    group.sample_size(20).measurement_time(Duration::from_secs(5));
    let mut i = 0;
    group.bench_function("locate/3500_communes", |b| {
        b.iter(|| {
            i = (i + 1) % pts.len();
            index.locate(black_box(pts[i]))
        })
    });
    group.bench_function("index/3550_areas", |b| b.iter(|| Boundaries::new(black_box(areas.clone()))));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
