//! Criterion benchmarks: index build and one decision, on the repository knowledge base and
//! on a synthetic 1,000-entry base.
//!
//! `cargo bench -p caunoi-text --bench matcher`

mod synthetic;

use caunoi_text::abbrev::Abbreviations;
use caunoi_text::matcher::{Matcher, MatcherConfig};
use caunoi_text::normalize::normalize;
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let abbrev = Abbreviations::builtin();
    let real = synthetic::real_base();
    let big = synthetic::synthetic_base(&real, 1000);
    let queries = synthetic::queries();
    for (name, docs) in [("real", real), ("synthetic_1000", big)] {
        if docs.is_empty() {
            continue;
        }
        c.bench_function(&format!("build/{name}"), |b| {
            b.iter(|| Matcher::build(black_box(docs.clone()), &abbrev, MatcherConfig::default()))
        });
        let matcher = Matcher::build(docs.clone(), &abbrev, MatcherConfig::default());
        let mut i = 0;
        c.bench_function(&format!("decide/{name}"), |b| {
            b.iter(|| {
                i = (i + 1) % queries.len();
                matcher.decide(black_box(&queries[i]))
            })
        });
    }
    let mut i = 0;
    c.bench_function("normalize", |b| {
        b.iter(|| {
            i = (i + 1) % queries.len();
            normalize(black_box(&queries[i]))
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
