//! Fuzz target: any bytes, read as (lossy) UTF-8, go through normalization, masking, the
//! abbreviation parser, grouping and a full decision without panicking, and normalization
//! stays idempotent.
//!
//! `cd crates/caunoi-text && cargo +nightly fuzz run decide`

#![no_main]

use std::sync::LazyLock;

use caunoi_text::abbrev::Abbreviations;
use caunoi_text::group::group_similar;
use caunoi_text::matcher::{FaqDoc, Matcher, MatcherConfig};
use caunoi_text::normalize::{fold, mask_personal_data, normalize};
use libfuzzer_sys::fuzz_target;

static MATCHER: LazyLock<Matcher> = LazyLock::new(|| {
    let doc = |id: &str, title: &str, q: &[&str]| FaqDoc {
        id: id.to_owned(),
        title: title.to_owned(),
        questions: q.iter().map(|s| (*s).to_owned()).collect(),
        answer: String::new(),
        referral: false,
    };
    let docs = vec![
        doc("can-cuoc.le-phi", "Lệ phí căn cước", &["làm căn cước hết bao nhiêu tiền", "phí cccd"]),
        doc("cu-tru.tam-tru", "Đăng ký tạm trú", &["đăng ký tạm trú cần gì", "dk tt o dau"]),
        doc("ho-chieu", "Làm hộ chiếu", &["làm hộ chiếu ở đâu", "passport lần đầu"]),
    ];
    Matcher::build(docs, &Abbreviations::builtin(), MatcherConfig::default())
});

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let once = normalize(&text);
    assert_eq!(normalize(&once), once);
    assert!(fold(&text).is_ascii());
    let _ = mask_personal_data(&text);
    let _ = MATCHER.decide(&text);
    let _ = Abbreviations::parse(&text);
    let parts: Vec<&str> = text.split('\n').take(20).collect();
    let _ = group_similar(&parts, 0.5);
});
