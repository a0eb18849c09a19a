//! The shape of the starter knowledge base's answers (`kb/kb_seed.json`), as a citizen reads
//! them on a phone: a short first line that answers the question, then the details as short
//! lines; the whole answer, with its title, the greeting and the "was this helpful" footer the
//! bot adds, in one Zalo message; and no promise of a feature this deployment does not have.

use caunoi_core::bot::{MAX_REPLY_CHARS, MenuKey};
use caunoi_core::kb::{KbEntry, Placeholder, UnitPlaceholders, fill_placeholders, parse_kb_json};

/// Longest first line, in characters: one or two lines on a phone.
const FIRST_LINE_MAX_CHARS: usize = 120;
/// Longest line of the details (about 60 words): a list item, not a paragraph.
const LINE_MAX_CHARS: usize = 300;
/// Room the bot's reply needs besides the title and the answer: the greeting of a first
/// message ("<unit> xin chào anh/chị!"), the referral note and the feedback question.
const REPLY_OVERHEAD_CHARS: usize = 250;

fn seed() -> Vec<KbEntry> {
    let text = include_str!("../../../kb/kb_seed.json");
    match parse_kb_json(text) {
        Ok(entries) => entries,
        Err(e) => panic!("kb/kb_seed.json does not import: {e}"),
    }
}

/// A unit that has not filled its page yet (the fallbacks), and one that has, with long values.
fn units() -> [UnitPlaceholders; 2] {
    [
        UnitPlaceholders::default(),
        UnitPlaceholders {
            unit_name: Some("Công an phường Ba Đình, thành phố Hà Nội".to_owned()),
            address: Some("số 25 phố Hàng Bài, phường Ba Đình, thành phố Hà Nội".to_owned()),
            hotline: Some("024 3826 9999".to_owned()),
            email: Some("tiepnhan.badinh@congan.hanoi.gov.vn".to_owned()),
            working_hours: Some("thứ Hai – thứ Sáu 7:30–17:00, sáng thứ Bảy 7:30–11:30".to_owned()),
            reception_schedule: Some("thứ Năm hằng tuần, 8:00–11:00".to_owned()),
            booking_link: None,
            survey_link: None,
        },
    ]
}

/// Every problem with one answer's shape, as text (empty when the answer is fine).
fn shape_problems(entry: &KbEntry, unit: &UnitPlaceholders) -> Vec<String> {
    let answer = fill_placeholders(&entry.answer, unit);
    let mut problems = Vec::new();
    let mut lines = answer.lines();
    let first = lines.next().unwrap_or_default().trim();
    let first_chars = first.chars().count();
    if first.is_empty() {
        problems.push("the first line is empty".to_owned());
    }
    if first_chars > FIRST_LINE_MAX_CHARS {
        problems.push(format!("first line has {first_chars} characters (max {FIRST_LINE_MAX_CHARS}): {first}"));
    }
    if first.ends_with(':') {
        problems.push(format!("the first line introduces instead of answering: {first}"));
    }
    if answer.lines().count() < 2 && answer.chars().count() > FIRST_LINE_MAX_CHARS {
        problems.push("a long answer is one paragraph".to_owned());
    }
    for line in lines {
        let n = line.chars().count();
        if n > LINE_MAX_CHARS {
            problems.push(format!("a line has {n} characters (max {LINE_MAX_CHARS}): {line}"));
        }
    }
    let reply = entry.title.chars().count() + 2 + answer.chars().count() + REPLY_OVERHEAD_CHARS;
    if reply > MAX_REPLY_CHARS {
        problems.push(format!("the reply would need {reply} characters, more than one message ({MAX_REPLY_CHARS})"));
    }
    problems
}

#[test]
fn every_answer_starts_with_a_short_line_and_fits_one_message() {
    let entries = seed();
    assert!(entries.len() >= 90, "the seed has {} entries", entries.len());
    let mut problems = Vec::new();
    for unit in units() {
        for entry in &entries {
            problems.extend(shape_problems(entry, &unit).into_iter().map(|p| format!("{}: {p}", entry.id)));
        }
    }
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
}

#[test]
fn the_shape_check_rejects_a_dense_answer() {
    // The check itself can fail: the old fee answer (one paragraph, the fee in the middle).
    let mut entry = seed().into_iter().next().unwrap_or_else(|| panic!("empty seed"));
    entry.answer = format!(
        "Lệ phí (Thông tư 73/2024/TT-BTC), đang giảm 50% theo Thông tư 64/2025/TT-BTC đến hết 31/12/2026: {}",
        "đổi từ CCCD sang thẻ căn cước 15.000đ (mức gốc 30.000đ); ".repeat(6)
    );
    let problems = shape_problems(&entry, &UnitPlaceholders::default());
    assert!(problems.iter().any(|p| p.starts_with("first line has")), "{problems:?}");
    assert!(problems.iter().any(|p| p.contains("one paragraph")), "{problems:?}");
    entry.answer = format!("Lệ phí 15.000đ.\n{}", "x".repeat(MAX_REPLY_CHARS));
    let problems = shape_problems(&entry, &UnitPlaceholders::default());
    assert!(problems.iter().any(|p| p.contains("more than one message")), "{problems:?}");
}

#[test]
fn answers_promise_no_feature_this_deployment_lacks() {
    // Booking and dossier look-up are not features here yet (the menu hides them); there is no
    // survey either. An answer may not send the citizen to them.
    let mut absent: Vec<&str> = vec![Placeholder::SurveyLink.token()];
    if !MenuKey::Booking.exists_here() {
        absent.extend([Placeholder::BookingLink.token(), MenuKey::Booking.default_label()]);
    }
    if !MenuKey::StatusLookup.exists_here() {
        absent.push(MenuKey::StatusLookup.default_label());
    }
    absent.push("trên trang của {{TEN_DON_VI}}");
    for entry in seed() {
        for phrase in &absent {
            assert!(
                !entry.answer.to_lowercase().contains(&phrase.to_lowercase()),
                "{} promises \"{phrase}\":\n{}",
                entry.id,
                entry.answer
            );
        }
    }
}
