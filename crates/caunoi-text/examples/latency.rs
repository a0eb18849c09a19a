//! Prints index build time and decision latency percentiles on the repository knowledge base
//! and on synthetic bases of 1,000 (and more) entries.
//!
//! `cargo run -p caunoi-text --release --example latency`

#[path = "../benches/synthetic.rs"]
mod synthetic;

use std::time::Instant;

use caunoi_text::abbrev::Abbreviations;
use caunoi_text::matcher::{Matcher, MatcherConfig};

fn main() {
    let abbrev = Abbreviations::builtin();
    let real = synthetic::real_base();
    let queries = synthetic::queries();
    for n in [0usize, 1000, 3000] {
        let docs = if n == 0 { real.clone() } else { synthetic::synthetic_base(&real, n) };
        let questions: usize = docs.iter().map(|d| d.questions.len() + 1).sum();
        let started = Instant::now();
        let matcher = Matcher::build(docs.clone(), &abbrev, MatcherConfig::default());
        let build = started.elapsed();
        let mut times: Vec<u128> = Vec::new();
        for _ in 0..5 {
            for q in &queries {
                let t = Instant::now();
                let _ = matcher.decide(q);
                times.push(t.elapsed().as_micros());
            }
        }
        times.sort_unstable();
        let p = |x: f64| times[((x * times.len() as f64).ceil() as usize).clamp(1, times.len()) - 1];
        println!(
            "{:>5} entries ({questions} documents): build {:.1} ms; decide p50 {} µs, p95 {} µs, p99 {} µs, max {} µs ({} decisions)",
            docs.len(),
            build.as_secs_f64() * 1000.0,
            p(0.50),
            p(0.95),
            p(0.99),
            times.last().copied().unwrap_or(0),
            times.len()
        );
    }
}
