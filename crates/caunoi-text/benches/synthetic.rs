//! Test data for benchmarks and latency checks: the repository's knowledge base and question
//! file when present, and a deterministic synthetic base of any size made from it.

use caunoi_text::matcher::FaqDoc;

/// Reads `kb/kb_seed.json` (the repository copy) as matcher documents; empty if absent.
pub fn real_base() -> Vec<FaqDoc> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../kb/kb_seed.json");
    let Ok(text) = std::fs::read_to_string(path) else { return Vec::new() };
    let Ok(serde_json::Value::Array(items)) = serde_json::from_str::<serde_json::Value>(&text) else {
        return Vec::new();
    };
    items
        .iter()
        .map(|e| FaqDoc {
            id: e["id"].as_str().unwrap_or_default().to_owned(),
            title: e["title"].as_str().unwrap_or_default().to_owned(),
            questions: e["questions"]
                .as_array()
                .map(|qs| qs.iter().filter_map(|q| q.as_str().map(str::to_owned)).collect())
                .unwrap_or_default(),
            answer: e["answer"].as_str().unwrap_or_default().to_owned(),
            referral: caunoi_text::matcher::is_referral(
                e["category"].as_str().unwrap_or_default(),
                e["id"].as_str().unwrap_or_default(),
            ),
        })
        .collect()
}

/// The texts of `kb/dev_questions.json`, or a few built-in questions if absent.
pub fn queries() -> Vec<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../kb/dev_questions.json");
    let from_file = std::fs::read_to_string(path)
        .ok()
        .and_then(|t| serde_json::from_str::<Vec<serde_json::Value>>(&t).ok())
        .map(|qs| qs.iter().filter_map(|q| q["text"].as_str().map(str::to_owned)).collect::<Vec<_>>())
        .unwrap_or_default();
    if !from_file.is_empty() {
        return from_file;
    }
    ["làm căn cước ở đâu", "dk tam tru can giay to gi", "lam ho chieu bn tien", "mat cccd lm lai ntn ad"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect()
}

/// A deterministic synthetic base of `n` entries: entry `i` copies real entry `i % real`, with
/// about a third of each question's words replaced by words drawn from the whole base (so
/// common words get proportionally longer posting lists) and a made-up topic word pair that
/// makes the entry distinct.
pub fn synthetic_base(real: &[FaqDoc], n: usize) -> Vec<FaqDoc> {
    let words: Vec<&str> = real.iter().flat_map(|d| d.questions.iter()).flat_map(|q| q.split_whitespace()).collect();
    if real.is_empty() || words.is_empty() {
        return Vec::new();
    }
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let syllables = ["ba", "ki", "lo", "mu", "ne", "po", "ra", "su", "ti", "vo", "xe", "yu"];
    (0..n)
        .map(|i| {
            let src = &real[i % real.len()];
            let topic = format!(
                "{}{} {}{}",
                syllables[i % 12],
                syllables[(i / 12) % 12],
                syllables[(i / 144) % 12],
                syllables[(i / 7) % 12]
            );
            let questions = src
                .questions
                .iter()
                .map(|q| {
                    let mut out: Vec<String> = q
                        .split_whitespace()
                        .map(|w| {
                            if next() % 3 == 0 {
                                words[(next() % words.len() as u64) as usize].to_owned()
                            } else {
                                w.to_owned()
                            }
                        })
                        .collect();
                    out.push(topic.clone());
                    out.join(" ")
                })
                .collect();
            FaqDoc {
                id: format!("{}.synthetic-{i}", src.id),
                title: format!("{} {topic}", src.title),
                questions,
                answer: src.answer.clone(),
                referral: src.referral,
            }
        })
        .collect()
}
