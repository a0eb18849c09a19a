//! Prints, for each message read from stdin, its KB-restored diacritics, the decision and the
//! top-3 entries (an error-analysis aid).
//!
//! `cargo run -p caunoi-text --release --example faq_probe -- kb/kb_seed.json < messages.txt`
use caunoi_text::abbrev::Abbreviations;
use caunoi_text::matcher::{FaqDoc, Matcher, MatcherConfig, is_referral};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let text = std::fs::read_to_string(&args[1]).expect("kb");
    let v: Vec<serde_json::Value> = serde_json::from_str(&text).expect("json");
    let docs: Vec<FaqDoc> = v
        .iter()
        .map(|e| FaqDoc {
            id: e["id"].as_str().unwrap_or_default().to_owned(),
            title: e["title"].as_str().unwrap_or_default().to_owned(),
            questions: e["questions"]
                .as_array()
                .map(|q| q.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect())
                .unwrap_or_default(),
            answer: e["answer"].as_str().unwrap_or_default().to_owned(),
            referral: is_referral(e["category"].as_str().unwrap_or_default(), e["id"].as_str().unwrap_or_default()),
        })
        .collect();
    let m = Matcher::build(docs, &Abbreviations::builtin(), MatcherConfig::default());
    for line in std::io::stdin().lines().map_while(Result::ok) {
        println!("{line}\n  -> {}\n  => {:?}", m.restore_diacritics(&line), m.decide(&line));
        for c in m.rank(&line, 3) {
            println!("     {:.3} {}", c.score, c.id);
        }
    }
}
