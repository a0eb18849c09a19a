//! Tests of the bot's decisions, with a fake FAQ engine (decisions chosen per message) and one
//! test through the real matcher.

use caunoi_text::abbrev::Abbreviations;
use caunoi_text::matcher::{Candidate, FaqDoc, HandOffReason as MatcherHandOff, Matcher, MatcherConfig};
use caunoi_text::safety::{self, EmergencyKind, ReportKind, Safety};
use proptest::prelude::*;

use super::phrases::Words;
use super::turn::clip_for_test;
use super::*;

fn unit() -> UnitFacts {
    UnitFacts {
        name: "Công an phường Ba Đình".into(),
        hotline: Some("0243 8234 567".into()),
        duty_phone: Some("0243 8234 113".into()),
        open_now: true,
        on_duty: false,
        typical_wait_minutes: None,
        opening_hours_text: "Thứ Hai – Thứ Sáu 7:30–11:30, 13:30–17:00".into(),
        booking_url: None,
        dossier_lookup: false,
        chat_url: Some("https://caunoi.example.vn/u/ba-dinh".into()),
    }
}

fn closed_unit() -> UnitFacts {
    UnitFacts { open_now: false, ..unit() }
}

fn entry(id: &str) -> Option<KbAnswer> {
    let (title, answer) = match id {
        "can-cuoc.cap-moi" => {
            ("Cấp căn cước lần đầu", "Anh/chị mang giấy khai sinh đến trụ sở Công an phường Ba Đình.")
        }
        "cu-tru.tam-tru" => ("Đăng ký tạm trú", "Anh/chị nộp tờ khai CT01 và giấy tờ chứng minh chỗ ở hợp pháp."),
        "cu-tru.thuong-tru" => ("Đăng ký thường trú", "Hồ sơ gồm tờ khai CT01 và giấy tờ chứng minh chỗ ở."),
        "ho-chieu.le-phi" => (
            "Lệ phí cấp hộ chiếu phổ thông lần đầu và cấp lại do bị mất, hỏng hoặc hết hạn sử dụng",
            "Lệ phí cấp hộ chiếu là 200.000 đồng.",
        ),
        "chuyen-tiep.dat-dai" => {
            ("Tranh chấp đất đai", "Việc tranh chấp đất đai do UBND xã/phường hòa giải; anh/chị liên hệ UBND phường.")
        }
        "dai.qua" => ("Hướng dẫn rất dài", LONG_ANSWER.as_str()),
        _ => return None,
    };
    Some(KbAnswer { id: id.into(), title: title.into(), answer: answer.into() })
}

static LONG_ANSWER: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    (1..=60)
        .map(|i| format!("Bước {i}: anh/chị chuẩn bị giấy tờ theo hướng dẫn và nộp tại bộ phận một cửa."))
        .collect::<Vec<_>>()
        .join("\n\n")
});

fn candidates(ids: &[&str]) -> Vec<Candidate> {
    ids.iter().enumerate().map(|(i, id)| Candidate { id: (*id).into(), score: 0.5 - i as f32 * 0.05 }).collect()
}

/// The fake FAQ engine: a few known messages, everything else low confidence.
fn decide(text: &str) -> Decision {
    match text {
        "làm căn cước" => Decision::Answer {
            id: "can-cuoc.cap-moi".into(),
            score: 0.6,
            candidates: candidates(&["can-cuoc.cap-moi"]),
        },
        "hộ chiếu" => Decision::Answer { id: "ho-chieu.le-phi".into(), score: 0.6, candidates: vec![] },
        "dài" => Decision::Answer { id: "dai.qua".into(), score: 0.6, candidates: vec![] },
        "mất entry" => Decision::Answer { id: "khong-con".into(), score: 0.6, candidates: vec![] },
        "tranh chấp đất" => Decision::Refer { id: "chuyen-tiep.dat-dai".into(), score: 0.6, candidates: vec![] },
        "đăng ký cư trú" => {
            Decision::Clarify { candidates: candidates(&["cu-tru.tam-tru", "cu-tru.thuong-tru", "ho-chieu.le-phi"]) }
        }
        "giấy tờ" => Decision::Clarify {
            candidates: candidates(&[
                "cu-tru.tam-tru",
                "khong-con",
                "cu-tru.tam-tru",
                "can-cuoc.cap-moi",
                "ho-chieu.le-phi",
            ]),
        },
        "cháy" => Decision::Emergency { kind: EmergencyKind::Fire },
        "có người ngất" => Decision::Emergency { kind: EmergencyKind::Medical },
        "đánh nhau" => Decision::Emergency { kind: EmergencyKind::Violence },
        "bị trộm xe" => Decision::Report { kind: ReportKind::Theft },
        "dài quá" => Decision::HandOff { reason: MatcherHandOff::TooLong },
        "你好" => Decision::HandOff { reason: MatcherHandOff::UnsupportedScript },
        "👍" | "" => Decision::HandOff { reason: MatcherHandOff::Empty },
        _ => Decision::HandOff { reason: MatcherHandOff::LowConfidence },
    }
}

fn run_with(
    memory: &BotMemory,
    status: Status,
    incoming: Incoming<'_>,
    unit: &UnitFacts,
    settings: &BotSettings,
) -> BotTurn {
    let kb = KbView { decide: &decide, entry: &entry };
    respond(memory, status, incoming, unit, settings, &kb)
}

fn run(memory: &BotMemory, status: Status, incoming: Incoming<'_>) -> BotTurn {
    run_with(memory, status, incoming, &unit(), &BotSettings::default())
}

fn greeted() -> BotMemory {
    BotMemory { greeted: true, ..BotMemory::default() }
}

fn text(memory: &BotMemory, message: &str) -> BotTurn {
    run(memory, Status::Bot, Incoming::Text(message))
}

fn payloads(reply: &BotReply) -> Vec<&str> {
    reply.buttons.iter().map(|b| b.payload.as_str()).collect()
}

// ---- greeting and menu ----

#[test]
fn follow_greets_with_the_menu() {
    let turn = run(&BotMemory::default(), Status::Bot, Incoming::Follow);
    assert_eq!(turn.replies.len(), 1);
    let reply = &turn.replies[0];
    assert!(reply.text.starts_with("Công an phường Ba Đình xin chào anh/chị!"), "{}", reply.text);
    // Only what exists here: no booking link, no dossier look-up.
    assert_eq!(payloads(reply), ["menu:procedures", "menu:report", "menu:talk_to_officer", "menu:hotline"]);
    assert!(!reply.text.contains("1. "), "the channel numbers the items, not the text: {}", reply.text);
    assert!(!reply.text.contains("bấm nút"), "{}", reply.text);
    assert!(turn.memory.greeted);
    assert_eq!(turn.action, BotAction::None);
    assert_eq!(turn.memory.choices.len(), 4, "every item can be picked by number");
}

#[test]
fn greeting_words_and_menu_show_the_menu() {
    for message in ["xin chào", "hi", "menu", "Chào ad ạ", "Xin chào công an phường", "MENU", "alo"] {
        let turn = text(&greeted(), message);
        assert_eq!(turn.replies.len(), 1, "{message}");
        assert!(turn.replies[0].text.contains("xin chào anh/chị"), "{message}: {}", turn.replies[0].text);
        assert_eq!(turn.action, BotAction::None, "{message}");
        assert_eq!(turn.memory.failed_turns, 0, "{message}");
    }
}

#[test]
fn a_greeting_with_a_name_the_faq_does_not_know_still_greets() {
    let turn = text(&greeted(), "chào công an phường Ba Đình");
    assert!(turn.replies[0].text.contains("xin chào anh/chị"));
    assert_eq!(turn.review, None);
}

#[test]
fn booking_is_in_the_menu_only_where_the_unit_takes_bookings() {
    let with_booking = UnitFacts { booking_url: Some("https://dat-lich.example.vn".into()), ..unit() };
    let turn = run_with(&BotMemory::default(), Status::Bot, Incoming::Follow, &with_booking, &BotSettings::default());
    assert!(payloads(&turn.replies[0]).contains(&"menu:booking"));
    assert!(turn.memory.choices.contains(&"menu:booking".to_owned()));
    let turn = run(&BotMemory::default(), Status::Bot, Incoming::Follow);
    assert!(!payloads(&turn.replies[0]).contains(&"menu:booking"));
    let with_lookup = UnitFacts { dossier_lookup: true, ..unit() };
    let turn = run_with(&BotMemory::default(), Status::Bot, Incoming::Follow, &with_lookup, &BotSettings::default());
    assert!(payloads(&turn.replies[0]).contains(&"menu:status_lookup"), "offered where the feature exists");
}

#[test]
fn the_unit_configures_greeting_and_menu() {
    let settings = BotSettings {
        greeting: "Chào mừng đến với {ten_don_vi}. Hotline {hotline}.".into(),
        menu: vec![MenuItem { key: MenuKey::Hotline, label: "Gọi cho chúng tôi".into() }],
    };
    let turn = run_with(&BotMemory::default(), Status::Bot, Incoming::Follow, &unit(), &settings);
    let reply = &turn.replies[0];
    assert!(reply.text.starts_with("Chào mừng đến với Công an phường Ba Đình. Hotline 0243 8234 567."));
    assert_eq!(payloads(reply), ["menu:hotline"]);
}

#[test]
fn an_invalid_greeting_template_falls_back_to_the_default() {
    let settings = BotSettings { greeting: "Chào {ten_nguoi_dan}".into(), ..BotSettings::default() };
    let turn = run_with(&BotMemory::default(), Status::Bot, Incoming::Follow, &unit(), &settings);
    assert!(turn.replies[0].text.starts_with("Công an phường Ba Đình xin chào anh/chị!"));
}

#[test]
fn typed_number_picks_a_menu_item_where_buttons_are_not_shown() {
    let menu = run(&BotMemory::default(), Status::Bot, Incoming::Follow);
    let turn = text(&menu.memory, "4");
    assert!(
        turn.replies[0].text.contains("Đường dây nóng Công an phường Ba Đình: 0243 8234 567"),
        "{}",
        turn.replies[0].text
    );
    let turn = text(&menu.memory, "số 3");
    assert_eq!(turn.action, BotAction::HandOff { reason: HandOffReason::Requested });
}

#[test]
fn typing_a_menu_item_works_like_the_button() {
    let turn = text(&greeted(), "Đặt lịch");
    assert!(turn.replies[0].text.contains("chưa nhận đặt lịch trực tuyến"), "{}", turn.replies[0].text);
    let turn = text(&greeted(), "tra cứu hồ sơ");
    assert_eq!(turn.action, BotAction::HandOff { reason: HandOffReason::StatusLookup });
}

#[test]
fn menu_booking_gives_the_link() {
    let with_booking = UnitFacts { booking_url: Some("https://dat-lich.example.vn".into()), ..unit() };
    let turn =
        run_with(&greeted(), Status::Bot, Incoming::Choice("menu:booking"), &with_booking, &BotSettings::default());
    assert!(turn.replies[0].text.contains("https://dat-lich.example.vn"));
}

#[test]
fn menu_hotline_gives_numbers_as_text_and_call_buttons() {
    let turn = run(&greeted(), Status::Bot, Incoming::Choice("menu:hotline"));
    let reply = &turn.replies[0];
    assert!(reply.text.contains("0243 8234 567") && reply.text.contains("113"));
    assert_eq!(payloads(reply), ["tel:02438234567", "tel:02438234113", "tel:113"]);
}

#[test]
fn menu_procedures_invites_a_question() {
    let turn = run(&greeted(), Status::Bot, Incoming::Choice("menu:procedures"));
    assert!(turn.replies[0].text.contains("Làm căn cước cần giấy tờ gì?"));
    assert_eq!(turn.action, BotAction::None);
}

// ---- answers ----

#[test]
fn answer_is_one_complete_message_with_a_helpfulness_question() {
    let turn = text(&greeted(), "làm căn cước");
    assert_eq!(turn.replies.len(), 1);
    let reply = &turn.replies[0];
    assert!(reply.text.starts_with("Cấp căn cước lần đầu\n\nAnh/chị mang giấy khai sinh"), "{}", reply.text);
    assert!(reply.text.ends_with("Thông tin trên có giúp ích cho anh/chị không ạ?"));
    assert_eq!(reply.feedback_for.as_deref(), Some("can-cuoc.cap-moi"));
    assert_eq!(payloads(reply), ["fb:yes:can-cuoc.cap-moi", "fb:no:can-cuoc.cap-moi"]);
    assert_eq!(turn.memory.last_answer.as_deref(), Some("can-cuoc.cap-moi"));
    assert_eq!(turn.action, BotAction::None);
    assert_eq!(turn.review, None);
}

#[test]
fn first_answer_of_a_conversation_carries_the_greeting() {
    let turn = text(&BotMemory::default(), "làm căn cước");
    assert_eq!(turn.replies.len(), 1, "greeting and answer in one message");
    assert!(turn.replies[0].text.starts_with("Công an phường Ba Đình xin chào anh/chị!\n\nCấp căn cước lần đầu"));
    assert!(turn.memory.greeted);
}

#[test]
fn referral_is_answered_with_an_offer_to_talk_to_an_officer() {
    let turn = text(&greeted(), "tranh chấp đất");
    assert_eq!(turn.replies.len(), 1);
    let reply = &turn.replies[0];
    assert!(reply.text.contains("UBND xã/phường hòa giải"));
    assert!(reply.text.contains("Gặp cán bộ"));
    assert_eq!(payloads(reply), ["fb:yes:chuyen-tiep.dat-dai", "fb:no:chuyen-tiep.dat-dai", "menu:talk_to_officer"]);
    assert_eq!(reply.feedback_for.as_deref(), Some("chuyen-tiep.dat-dai"));
    assert_eq!(turn.action, BotAction::None);
}

#[test]
fn a_long_answer_fits_in_two_messages_and_says_where_the_rest_is() {
    let turn = text(&greeted(), "dài");
    assert_eq!(turn.replies.len(), 2);
    assert!(turn.replies.iter().all(|r| r.text.chars().count() <= MAX_REPLY_CHARS));
    assert!(turn.replies[0].buttons.is_empty() && turn.replies[0].feedback_for.is_none());
    let last = &turn.replies[1];
    assert!(last.text.contains("https://caunoi.example.vn/u/ba-dinh"), "{}", last.text);
    assert!(last.text.ends_with("không ạ?"));
    assert_eq!(last.feedback_for.as_deref(), Some("dai.qua"));
    assert!(turn.replies[0].text.starts_with("Hướng dẫn rất dài\n\nBước 1:"));
}

#[test]
fn a_vanished_entry_counts_as_not_understood() {
    let turn = text(&greeted(), "mất entry");
    assert_eq!(turn.memory.failed_turns, 1);
    assert_eq!(turn.review, Some(ReviewReason::NotUnderstood));
}

// ---- clarification ----

#[test]
fn clarify_offers_up_to_three_entries_as_buttons() {
    let turn = text(&greeted(), "đăng ký cư trú");
    assert_eq!(turn.replies.len(), 1);
    let reply = &turn.replies[0];
    assert_eq!(payloads(reply), ["kb:cu-tru.tam-tru", "kb:cu-tru.thuong-tru", "kb:ho-chieu.le-phi"]);
    assert!(reply.buttons.iter().all(|b| b.label.chars().count() <= MAX_BUTTON_LABEL_CHARS));
    let long = &reply.buttons[2].label;
    assert_eq!(long, "Lệ phí cấp hộ chiếu phổ thông lần đầu và cấp lại do bị mất, hỏng hoặc hết hạn…");
    assert!(!reply.text.contains("1. "), "the choices are not listed twice: {}", reply.text);
    assert_eq!(turn.memory.offered, ["cu-tru.tam-tru", "cu-tru.thuong-tru", "ho-chieu.le-phi"]);
    assert_eq!(turn.review, Some(ReviewReason::Clarified));
    assert_eq!(reply.feedback_for, None);
}

#[test]
fn clarify_skips_missing_and_repeated_entries() {
    let turn = text(&greeted(), "giấy tờ");
    assert_eq!(turn.memory.offered, ["cu-tru.tam-tru", "can-cuoc.cap-moi", "ho-chieu.le-phi"]);
}

#[test]
fn choice_after_clarify_answers_that_entry() {
    let clarified = text(&greeted(), "đăng ký cư trú").memory;
    for incoming in [
        Incoming::Choice("kb:cu-tru.thuong-tru"),
        Incoming::Text("2"),
        Incoming::Text("số 2"),
        Incoming::Text("chọn câu 2 ạ"),
        Incoming::Text("hai"),
    ] {
        let turn = run(&clarified, Status::Bot, incoming);
        assert_eq!(turn.replies.len(), 1, "{incoming:?}");
        assert!(turn.replies[0].text.starts_with("Đăng ký thường trú"), "{incoming:?}: {}", turn.replies[0].text);
        assert_eq!(turn.memory.failed_turns, 0, "{incoming:?}");
        assert!(turn.memory.offered.is_empty(), "{incoming:?}");
        assert_eq!(turn.memory.last_answer.as_deref(), Some("cu-tru.thuong-tru"));
    }
}

#[test]
fn a_number_beyond_the_offer_is_not_a_choice() {
    let clarified = text(&greeted(), "đăng ký cư trú").memory;
    let turn = text(&clarified, "7");
    assert_eq!(turn.action, BotAction::HandOff { reason: HandOffReason::NotUnderstood });
}

#[test]
fn a_number_without_a_list_goes_to_the_faq() {
    let turn = text(&greeted(), "2");
    assert_eq!(turn.review, Some(ReviewReason::NotUnderstood));
}

#[test]
fn a_stale_choice_shows_the_menu() {
    let turn = run(&greeted(), Status::Bot, Incoming::Choice("kb:khong-con"));
    assert!(turn.replies[0].text.contains("không còn hiệu lực"));
    assert_eq!(payloads(&turn.replies[0])[0], "menu:procedures");
    let turn = run(&greeted(), Status::Bot, Incoming::Choice("menu:khong-co"));
    assert!(turn.replies[0].text.contains("không còn hiệu lực"));
}

// ---- unsuccessful turns ----

#[test]
fn two_unsuccessful_turns_hand_off() {
    let first = text(&greeted(), "abc xyz");
    assert_eq!(first.memory.failed_turns, 1);
    assert_eq!(first.action, BotAction::None);
    assert_eq!(first.review, Some(ReviewReason::NotUnderstood));
    assert!(first.replies[0].text.contains("chưa tìm thấy câu trả lời phù hợp"));
    assert_eq!(payloads(&first.replies[0]), ["menu:talk_to_officer"]);

    let second = text(&first.memory, "qwe rty");
    assert_eq!(second.action, BotAction::HandOff { reason: HandOffReason::NotUnderstood });
    assert_eq!(second.review, Some(ReviewReason::HandedOff));
    assert_eq!(second.memory.failed_turns, 0);
    assert_eq!(second.replies.len(), 1);
    assert!(second.replies[0].text.contains("cán bộ"));
}

#[test]
fn unresolved_clarify_then_not_understood_hands_off() {
    let clarified = text(&greeted(), "đăng ký cư trú");
    assert_eq!(clarified.memory.failed_turns, 1);
    let turn = text(&clarified.memory, "abc xyz");
    assert_eq!(turn.action, BotAction::HandOff { reason: HandOffReason::NotUnderstood });
    assert!(turn.memory.offered.is_empty());
}

#[test]
fn a_second_clarification_in_a_row_hands_off_instead() {
    let clarified = text(&greeted(), "đăng ký cư trú");
    let turn = text(&clarified.memory, "giấy tờ");
    assert_eq!(turn.action, BotAction::HandOff { reason: HandOffReason::NotUnderstood });
    assert_eq!(turn.review, Some(ReviewReason::HandedOff));
}

#[test]
fn an_answer_resets_the_count_of_unsuccessful_turns() {
    let first = text(&greeted(), "abc xyz");
    let answered = text(&first.memory, "làm căn cước");
    assert_eq!(answered.memory.failed_turns, 0);
    let again = text(&answered.memory, "abc xyz");
    assert_eq!(again.action, BotAction::None);
}

// ---- asking for an officer ----

#[test]
fn asking_for_an_officer_hands_off() {
    for message in [
        "gặp cán bộ",
        "cho em nói chuyện với công an",
        "gap can bo",
        "nói chuyện với người thật",
        "Cho e gặp cb với ạ",
        "nc vs ng that",
        "admin ơi",
        "Cho mình gặp trực tiếp cán bộ",
        "kết nối với tư vấn viên",
        "GẶP CÁN BỘ!!!",
        "cán bộ ơi",
        "cho gặp trực ban",
        "có người thật không vậy",
    ] {
        let turn = text(&greeted(), message);
        assert_eq!(turn.action, BotAction::HandOff { reason: HandOffReason::Requested }, "{message}");
        assert_eq!(turn.replies.len(), 1, "{message}");
        assert_eq!(turn.review, None, "asking for an officer is not an unanswered question: {message}");
    }
}

#[test]
fn procedure_questions_are_not_taken_for_officer_requests() {
    for message in
        ["làm căn cước", "không cần gặp cán bộ đâu", "cảm ơn", "đăng ký cư trú", "cần công an xác nhận cư trú"]
    {
        let turn = text(&greeted(), message);
        assert_ne!(turn.action, BotAction::HandOff { reason: HandOffReason::Requested }, "{message}");
    }
}

#[test]
fn hand_off_in_office_hours_says_an_officer_will_answer_here() {
    let turn = run(&greeted(), Status::Bot, Incoming::Choice("menu:talk_to_officer"));
    assert_eq!(turn.action, BotAction::HandOff { reason: HandOffReason::Requested });
    let t = &turn.replies[0].text;
    assert!(t.contains("đã chuyển yêu cầu của anh/chị tới cán bộ. Cán bộ sẽ trả lời anh/chị tại đây"), "{t}");
    assert!(!t.contains("ngoài giờ"));
}

#[test]
fn hand_off_out_of_hours_gives_the_notice_and_the_duty_phone() {
    let turn = run_with(&greeted(), Status::Bot, Incoming::Text("gặp cán bộ"), &closed_unit(), &BotSettings::default());
    let reply = &turn.replies[0];
    assert!(reply.text.contains("không có cán bộ trực tuyến (giờ làm việc: Thứ Hai – Thứ Sáu"), "{}", reply.text);
    assert!(reply.text.contains("không có cán bộ trực tuyến"), "{}", reply.text);
    assert!(reply.text.contains("trực ban 0243 8234 113, hoặc 113 (Công an) · 114 (Cứu hỏa) · 115"), "{}", reply.text);
    assert_eq!(payloads(reply), ["tel:02438234113", "tel:113"]);
}

#[test]
fn out_of_hours_without_a_duty_phone_falls_back_to_the_hotline_then_113() {
    let no_duty = UnitFacts { duty_phone: None, ..closed_unit() };
    let turn = run_with(&greeted(), Status::Bot, Incoming::Text("gặp cán bộ"), &no_duty, &BotSettings::default());
    assert!(turn.replies[0].text.contains("trực ban 0243 8234 567, hoặc 113"));
    let no_phone = UnitFacts { duty_phone: None, hotline: None, ..closed_unit() };
    let turn = run_with(&greeted(), Status::Bot, Incoming::Text("gặp cán bộ"), &no_phone, &BotSettings::default());
    assert!(turn.replies[0].text.contains("anh/chị gọi 113 (Công an) · 114 (Cứu hỏa) · 115 (Cấp cứu)"));
    assert_eq!(payloads(&turn.replies[0]), ["tel:113"]);
}

#[test]
fn status_lookup_hands_off_and_asks_for_the_dossier_code() {
    let turn = run(&greeted(), Status::Bot, Incoming::Choice("menu:status_lookup"));
    assert_eq!(turn.action, BotAction::HandOff { reason: HandOffReason::StatusLookup });
    assert!(turn.replies[0].text.contains("mã hồ sơ"));
}

#[test]
fn long_or_foreign_messages_go_to_an_officer_at_once() {
    let turn = text(&greeted(), "dài quá");
    assert_eq!(turn.action, BotAction::HandOff { reason: HandOffReason::LongMessage });
    let turn = text(&greeted(), "你好");
    assert_eq!(turn.action, BotAction::HandOff { reason: HandOffReason::OtherLanguage });
    assert_eq!(turn.review, Some(ReviewReason::HandedOff));
}

// ---- emergencies and reports ----

#[test]
fn emergency_gets_guidance_with_the_emergency_numbers() {
    let turn = text(&greeted(), "cháy");
    assert_eq!(turn.action, BotAction::Urgent { kind: "fire".into() });
    assert_eq!(turn.replies.len(), 1);
    let reply = &turn.replies[0];
    assert!(reply.text.starts_with("KHẨN CẤP: Anh/chị gọi ngay 114"), "{}", reply.text);
    for n in ["113", "114", "115"] {
        assert!(reply.text.contains(n), "{n} in the text");
    }
    assert_eq!(payloads(reply), ["tel:114", "tel:113", "tel:115"], "the fire brigade first");
}

#[test]
fn an_emergency_reply_says_honestly_whom_the_message_reached() {
    let fire = |unit: &UnitFacts| {
        let turn = run_with(&greeted(), Status::Bot, Incoming::Text("cháy"), unit, &BotSettings::default());
        assert_eq!(turn.action, BotAction::Urgent { kind: "fire".into() });
        turn.replies[0].text.clone()
    };
    let on_duty = fire(&UnitFacts { on_duty: true, ..closed_unit() });
    assert!(on_duty.contains("chuyển ngay tới cán bộ trực ban Công an phường Ba Đình (số trực ban: 0243 8234 113)"));
    let office = fire(&unit());
    assert!(office.contains("chuyển tới cán bộ Công an phường Ba Đình; anh/chị có thể gọi trực ban: 0243 8234 113"));
    assert!(!office.contains("trực ban Công an"), "{office}");
    let nobody = fire(&closed_unit());
    assert!(
        nobody.contains("không có cán bộ trực tuyến: anh/chị hãy gọi ngay số khẩn cấp hoặc trực ban 0243 8234 113")
    );
    assert!(!nobody.contains("đã được chuyển"), "{nobody}");
}

#[test]
fn the_most_relevant_emergency_number_comes_first() {
    assert_eq!(payloads(&text(&greeted(), "có người ngất").replies[0])[0], "tel:115");
    assert_eq!(payloads(&text(&greeted(), "đánh nhau").replies[0])[0], "tel:113");
    assert_eq!(text(&greeted(), "đánh nhau").action, BotAction::Urgent { kind: "violence".into() });
}

#[test]
fn every_kind_of_emergency_names_its_own_number_first() {
    let cases = [
        (EmergencyKind::Fire, ["tel:114", "tel:113", "tel:115"]),
        (EmergencyKind::Medical, ["tel:115", "tel:113", "tel:114"]),
        (EmergencyKind::Rescue, ["tel:114", "tel:115", "tel:113"]),
        (EmergencyKind::Accident, ["tel:115", "tel:113", "tel:114"]),
        (EmergencyKind::Violence, ["tel:113", "tel:114", "tel:115"]),
        (EmergencyKind::CrimeInProgress, ["tel:113", "tel:114", "tel:115"]),
        (EmergencyKind::CallForHelp, ["tel:113", "tel:114", "tel:115"]),
    ];
    for (kind, expected) in cases {
        let decide = move |_: &str| Decision::Emergency { kind };
        let kb = KbView { decide: &decide, entry: &entry };
        let turn = respond(&greeted(), Status::Bot, Incoming::Text("xyz"), &unit(), &BotSettings::default(), &kb);
        assert_eq!(turn.action, BotAction::Urgent { kind: kind.as_str().into() });
        let reply = &turn.replies[0];
        assert_eq!(payloads(reply), expected, "{kind:?}");
        let first = kind.services()[0].number();
        assert!(reply.text.starts_with(&format!("KHẨN CẤP: Anh/chị gọi ngay {first}")), "{kind:?}: {}", reply.text);
    }
}

#[test]
fn an_emergency_is_decided_before_the_faq_and_without_it() {
    // A confident FAQ answer, a long-message hand-off, a unit without a knowledge base: the
    // safety rules read the message first either way.
    let answer = |_: &str| Decision::Answer { id: "can-cuoc.cap-moi".into(), score: 0.9, candidates: vec![] };
    let too_long = |_: &str| Decision::HandOff { reason: MatcherHandOff::TooLong };
    let no_kb = |_: &str| Decision::HandOff { reason: MatcherHandOff::LowConfidence };
    let deciders: [&dyn Fn(&str) -> Decision; 3] = [&answer, &too_long, &no_kb];
    for decide in deciders {
        let kb = KbView { decide, entry: &entry };
        let ask =
            |text: &str| respond(&greeted(), Status::Bot, Incoming::Text(text), &unit(), &BotSettings::default(), &kb);
        for (text, kind, first) in [
            ("nha toi bi chay", "fire", "tel:114"),
            ("chay nha", "fire", "tel:114"),
            ("cháy nhà rồi cứu với", "fire", "tel:114"),
            ("ban toi vua uong thuoc sau, cuu voi", "medical", "tel:115"),
            ("tai nạn, có người nằm bất động", "accident", "tel:115"),
            ("co nguoi bi ket trong thang may", "rescue", "tel:114"),
            ("em bé rơi xuống giếng rồi", "rescue", "tel:114"),
        ] {
            let turn = ask(text);
            assert_eq!(turn.action, BotAction::Urgent { kind: kind.into() }, "{text}");
            assert_eq!(payloads(&turn.replies[0])[0], first, "{text}");
        }
        let turn = ask("nha e bi trom mat xe may dem qua, bao cong an ntn dc ko ad");
        assert_eq!(turn.action, BotAction::StartReport { kind: "theft".into() });
    }
}

/// A message the safety rules do not call an emergency but that may be one (a fight at home
/// asked about, "báo ai") gets its ordinary reply and one line with the three numbers, without
/// an alarm; an ordinary question and an emergency do not get the line.
#[test]
fn a_possible_emergency_gets_the_numbers_line_without_an_alarm() {
    let turn = text(&greeted(), "nha hang xom chong danh vo lien tuc, toi bao ai");
    assert!(!matches!(turn.action, BotAction::Urgent { .. }), "{:?}", turn.action);
    let first = &turn.replies.first().expect("a reply").text;
    assert!(
        first.starts_with(
            "Nếu đang có nguy hiểm, anh/chị gọi ngay 113 (công an), 114 (cháy, cứu nạn) hoặc 115 (cấp cứu).\n\n"
        ),
        "{first}"
    );
    assert!(turn.replies.len() <= MAX_REPLIES);
    assert_eq!(turn.review, Some(ReviewReason::PossibleEmergency), "an officer says in the review whether it was one");
    // On a first message the greeting comes first, then the line.
    let first_contact = text(&BotMemory::default(), "nha hang xom chong danh vo lien tuc, toi bao ai");
    let opening = &first_contact.replies[0].text;
    assert!(opening.starts_with("Công an phường Ba Đình xin chào anh/chị!\n\nNếu đang có nguy hiểm"), "{opening}");
    let plain = text(&greeted(), "làm căn cước");
    assert!(plain.replies.iter().all(|r| !r.text.contains("Nếu đang có nguy hiểm")), "{:?}", plain.replies);
    let fire = text(&greeted(), "cháy");
    assert_eq!(fire.replies.len(), 1);
    assert!(!fire.replies[0].text.contains("Nếu đang có nguy hiểm"), "{}", fire.replies[0].text);
}

/// A hand-off out of hours already gives 113, 114 and 115: the numbers line is not repeated
/// above it (the message stays short on a phone), and the message still goes to the review.
#[test]
fn the_numbers_line_is_not_repeated_when_the_reply_gives_the_numbers() {
    let memory = BotMemory { greeted: true, failed_turns: MAX_FAILED_TURNS - 1, ..BotMemory::default() };
    let message = Incoming::Text("nha hang xom chong danh vo lien tuc, toi bao ai");
    let turn = run_with(&memory, Status::Bot, message, &closed_unit(), &BotSettings::default());
    let all = turn.replies.iter().map(|r| r.text.as_str()).collect::<Vec<_>>().join("\n");
    assert!(["113", "114", "115"].iter().all(|n| all.contains(n)), "{all}");
    assert!(!all.contains("Nếu đang có nguy hiểm"), "{all}");
    assert_eq!(turn.review, Some(ReviewReason::PossibleEmergency));
}

#[test]
fn emergency_guidance_even_when_an_officer_has_the_conversation() {
    for status in [Status::WaitingHuman, Status::Assigned] {
        let turn = run(&greeted(), status, Incoming::Text("cháy"));
        assert_eq!(turn.action, BotAction::Urgent { kind: "fire".into() }, "{status:?}");
        assert_eq!(turn.replies.len(), 1, "{status:?}");
        assert!(payloads(&turn.replies[0]).contains(&"tel:113"));
    }
}

#[test]
fn report_starts_the_report_flow() {
    let turn = text(&greeted(), "bị trộm xe");
    assert_eq!(turn.action, BotAction::StartReport { kind: "theft".into() });
    assert_eq!(turn.replies.len(), 1);
    let t = &turn.replies[0].text;
    assert!(t.contains("đã nhận được tin báo"), "{t}");
    assert!(t.contains("0243 8234 567") && t.contains("113"), "{t}");
    assert_eq!(payloads(&turn.replies[0]), ["tel:113", "tel:02438234567"]);
}

#[test]
fn menu_report_starts_a_report() {
    let turn = run(&greeted(), Status::Bot, Incoming::Choice("menu:report"));
    assert_eq!(turn.action, BotAction::StartReport { kind: "other".into() });
}

#[test]
fn a_report_while_officers_have_it_raises_priority_silently() {
    let turn = run(&greeted(), Status::Assigned, Incoming::Text("bị trộm xe"));
    assert!(turn.replies.is_empty());
    assert_eq!(turn.action, BotAction::StartReport { kind: "theft".into() });
}

// ---- officers own the conversation ----

#[test]
fn silent_while_an_officer_has_the_conversation_unless_asked() {
    let clarified = text(&greeted(), "đăng ký cư trú").memory;
    for status in [Status::Assigned] {
        for incoming in [
            Incoming::Text("làm căn cước"),
            Incoming::Text("xin chào"),
            Incoming::Text("1"),
            Incoming::Choice("kb:cu-tru.tam-tru"),
            Incoming::Choice("menu:hotline"),
            Incoming::Media { kind: MediaKind::Image },
            Incoming::Location { lat: 21.03, lon: 105.83 },
            Incoming::Follow,
            Incoming::Sticker,
        ] {
            let turn = run(&clarified, status, incoming);
            assert!(turn.replies.is_empty(), "{status:?} {incoming:?}");
            assert_eq!(turn.action, BotAction::None, "{status:?} {incoming:?}");
            assert_eq!(turn.memory, clarified, "{status:?} {incoming:?}");
        }
    }
    let asked = run(&clarified, Status::Assigned, Incoming::Text("gặp cán bộ"));
    assert_eq!(asked.replies.len(), 1);
    assert!(asked.replies[0].text.contains("đang xử lý cuộc trò chuyện này"), "{}", asked.replies[0].text);
    assert_eq!(asked.action, BotAction::None);
}

#[test]
fn while_waiting_the_first_message_is_acknowledged_once_then_kept_quietly() {
    let handed = run(&greeted(), Status::Bot, Incoming::Text("gặp cán bộ"));
    assert_eq!(handed.action, BotAction::HandOff { reason: HandOffReason::Requested });
    assert!(!handed.memory.waiting_acknowledged);
    for first in [
        Incoming::Text("làm căn cước"),
        Incoming::Text("alo"),
        Incoming::Media { kind: MediaKind::Image },
        Incoming::Location { lat: 21.03, lon: 105.83 },
        Incoming::Sticker,
    ] {
        let ack = run(&handed.memory, Status::WaitingHuman, first);
        assert_eq!(ack.replies.len(), 1, "{first:?}");
        let t = &ack.replies[0].text;
        assert!(
            t.contains("đang chờ cán bộ trả lời")
                && t.contains("Cán bộ sẽ trả lời anh/chị tại đây trong thời gian sớm nhất."),
            "{t}"
        );
        assert!(ack.memory.waiting_acknowledged);
        assert_eq!(ack.action, BotAction::None);
        // The next messages are kept quietly…
        let quiet = run(&ack.memory, Status::WaitingHuman, Incoming::Text("có ai không"));
        assert!(quiet.replies.is_empty(), "{first:?}");
        // …unless the citizen asks for an officer again.
        let asked = run(&ack.memory, Status::WaitingHuman, Incoming::Text("gặp cán bộ"));
        assert_eq!(asked.replies.len(), 1);
        assert!(asked.replies[0].text.contains("đang chờ cán bộ"));
        let tapped = run(&ack.memory, Status::WaitingHuman, Incoming::Choice("menu:talk_to_officer"));
        assert_eq!(tapped.replies.len(), 1);
    }
    // Opening the chat again says nothing.
    assert!(run(&handed.memory, Status::WaitingHuman, Incoming::Follow).replies.is_empty());
}

#[test]
fn while_waiting_with_nobody_on_duty_the_bot_says_so_and_gives_the_numbers() {
    let handed =
        run_with(&greeted(), Status::Bot, Incoming::Text("gặp cán bộ"), &closed_unit(), &BotSettings::default());
    let ack =
        run_with(&handed.memory, Status::WaitingHuman, Incoming::Text("alo"), &closed_unit(), &BotSettings::default());
    let t = &ack.replies[0].text;
    assert!(t.contains("không có cán bộ trực tuyến") && t.contains("114 (Cứu hỏa)"), "{t}");
    assert_eq!(payloads(&ack.replies[0]), ["tel:02438234113", "tel:113"]);
    let on_duty = UnitFacts { on_duty: true, typical_wait_minutes: Some(6), ..closed_unit() };
    let ack = run_with(&handed.memory, Status::WaitingHuman, Incoming::Text("alo"), &on_duty, &BotSettings::default());
    let t = &ack.replies[0].text;
    assert!(t.contains("Cán bộ trực ban sẽ trả lời anh/chị tại đây, thường trong khoảng 6 phút."), "{t}");
}

#[test]
fn a_rating_tapped_after_reopening_is_recorded_and_thanked() {
    let turn = run(&greeted(), Status::Bot, Incoming::Choice("rate:yes"));
    assert_eq!(turn.action, BotAction::Rated { helpful: true });
    assert!(turn.replies[0].text.contains("cảm ơn anh/chị đã đánh giá"));
    let turn = run(&greeted(), Status::Assigned, Incoming::Choice("rate:no"));
    assert_eq!(turn.action, BotAction::Rated { helpful: false });
    assert!(turn.replies.is_empty());
}

#[test]
fn a_closed_conversation_is_answered_again() {
    let turn = run(&greeted(), Status::Closed, Incoming::Text("làm căn cước"));
    assert_eq!(turn.replies.len(), 1);
    assert_eq!(turn.memory.last_answer.as_deref(), Some("can-cuoc.cap-moi"));
}

// ---- media, location, sticker ----

#[test]
fn media_is_acknowledged_and_handed_off() {
    let turn = run(&greeted(), Status::Bot, Incoming::Media { kind: MediaKind::Image });
    assert_eq!(turn.action, BotAction::HandOff { reason: HandOffReason::Media });
    assert_eq!(turn.replies.len(), 1);
    assert!(turn.replies[0].text.starts_with("Công an phường Ba Đình đã nhận hình ảnh anh/chị gửi."));
    assert!(turn.replies[0].text.contains("113"));
    let turn = run(&greeted(), Status::Bot, Incoming::Media { kind: MediaKind::Audio });
    assert!(turn.replies[0].text.contains("tin nhắn thoại"));
}

#[test]
fn location_is_acknowledged_and_handed_off() {
    let turn = run(&greeted(), Status::Bot, Incoming::Location { lat: 21.03, lon: 105.83 });
    assert_eq!(turn.action, BotAction::HandOff { reason: HandOffReason::Location });
    assert!(turn.replies[0].text.contains("đã nhận vị trí"));
}

#[test]
fn a_sticker_is_answered_with_the_menu_not_handed_off() {
    let turn = run(&greeted(), Status::Bot, Incoming::Sticker);
    assert_eq!(turn.action, BotAction::None);
    assert_eq!(turn.replies.len(), 1);
    assert_eq!(payloads(&turn.replies[0]).len(), 4);
    let first = run(&BotMemory::default(), Status::Bot, Incoming::Sticker);
    assert!(first.replies[0].text.contains("xin chào anh/chị"));
}

// ---- feedback, thanks ----

#[test]
fn helpful_feedback_is_recorded() {
    let turn = run(&greeted(), Status::Bot, Incoming::Choice("fb:yes:can-cuoc.cap-moi"));
    assert_eq!(turn.action, BotAction::Feedback { entry_id: "can-cuoc.cap-moi".into(), helpful: true });
    assert_eq!(turn.review, None);
    assert_eq!(turn.replies.len(), 1);
}

#[test]
fn unhelpful_feedback_offers_an_officer_and_goes_to_review() {
    let turn = run(&greeted(), Status::Bot, Incoming::Choice("fb:no:can-cuoc.cap-moi"));
    assert_eq!(turn.action, BotAction::Feedback { entry_id: "can-cuoc.cap-moi".into(), helpful: false });
    assert_eq!(turn.review, Some(ReviewReason::Unhelpful));
    assert_eq!(payloads(&turn.replies[0]), ["menu:talk_to_officer"]);
    assert_eq!(turn.memory.failed_turns, 1);
    // Typing "1" takes the offered officer.
    let next = text(&turn.memory, "1");
    assert_eq!(next.action, BotAction::HandOff { reason: HandOffReason::Requested });
}

#[test]
fn feedback_while_officers_have_it_is_recorded_silently() {
    let turn = run(&greeted(), Status::Assigned, Incoming::Choice("fb:no:can-cuoc.cap-moi"));
    assert!(turn.replies.is_empty());
    assert_eq!(turn.action, BotAction::Feedback { entry_id: "can-cuoc.cap-moi".into(), helpful: false });
}

#[test]
fn feedback_without_an_entry_id_is_not_recorded() {
    let turn = run(&greeted(), Status::Bot, Incoming::Choice("fb:yes:"));
    assert_eq!(turn.action, BotAction::None);
}

#[test]
fn thanks_gets_a_short_reply_and_is_not_a_failure() {
    for message in ["cảm ơn", "cam on ad", "thanks", "Em cảm ơn ạ"] {
        let turn = text(&greeted(), message);
        assert_eq!(turn.replies.len(), 1, "{message}");
        assert!(turn.replies[0].text.contains("cảm ơn anh/chị"), "{message}");
        assert_eq!(turn.memory.failed_turns, 0, "{message}");
        assert_eq!(turn.review, None, "{message}");
    }
}

#[test]
fn an_acknowledgement_or_emoji_needs_no_reply() {
    for message in ["ok", "vâng ạ", "dạ em hiểu rồi", "👍"] {
        let turn = text(&greeted(), message);
        assert!(turn.replies.is_empty(), "{message}");
        assert_eq!(turn.memory.failed_turns, 0, "{message}");
    }
    let first = text(&BotMemory::default(), "👍");
    assert!(first.replies[0].text.contains("xin chào anh/chị"), "first contact is greeted");
}

#[test]
fn an_unknown_payload_is_read_as_text() {
    let turn = run(&greeted(), Status::Bot, Incoming::Choice("làm căn cước"));
    assert_eq!(turn.memory.last_answer.as_deref(), Some("can-cuoc.cap-moi"));
}

// ---- memory ----

#[test]
fn memory_round_trips_and_old_memory_still_reads() {
    let memory = text(&greeted(), "đăng ký cư trú").memory;
    let json = serde_json::to_string(&memory).unwrap();
    assert_eq!(serde_json::from_str::<BotMemory>(&json).unwrap(), memory);
    let old: BotMemory =
        serde_json::from_str(r#"{"greeted":true,"failed_turns":1,"offered":["a"],"last_answer":null}"#).unwrap();
    assert_eq!(old.offered, ["a"]);
    assert!(old.choices.is_empty());
}

// ---- budgets, over random input ----

fn any_decision() -> impl Strategy<Value = Decision> {
    let ids =
        prop::sample::select(vec!["can-cuoc.cap-moi", "cu-tru.tam-tru", "dai.qua", "khong-con", "chuyen-tiep.dat-dai"]);
    let cands = prop::collection::vec(ids.clone(), 0..6)
        .prop_map(|ids| ids.into_iter().map(|id| Candidate { id: id.into(), score: 0.4 }).collect::<Vec<_>>());
    prop_oneof![
        (ids.clone(), cands.clone()).prop_map(|(id, candidates)| Decision::Answer {
            id: id.into(),
            score: 0.5,
            candidates
        }),
        (ids, cands.clone()).prop_map(|(id, candidates)| Decision::Refer { id: id.into(), score: 0.5, candidates }),
        cands.prop_map(|candidates| Decision::Clarify { candidates }),
        prop::sample::select(vec![
            MatcherHandOff::Empty,
            MatcherHandOff::TooLong,
            MatcherHandOff::UnsupportedScript,
            MatcherHandOff::Unreadable,
            MatcherHandOff::LowConfidence,
        ])
        .prop_map(|reason| Decision::HandOff { reason }),
        prop::sample::select(vec![EmergencyKind::Fire, EmergencyKind::Medical, EmergencyKind::CallForHelp])
            .prop_map(|kind| Decision::Emergency { kind }),
        prop::sample::select(vec![ReportKind::Theft, ReportKind::Other]).prop_map(|kind| Decision::Report { kind }),
    ]
}

#[derive(Debug, Clone)]
enum AnyIncoming {
    Text(String),
    Choice(String),
    Media(MediaKind),
    Location,
    Follow,
    Sticker,
}

fn any_incoming() -> impl Strategy<Value = AnyIncoming> {
    let payload = prop_oneof![
        prop::sample::select(vec![
            "kb:cu-tru.tam-tru",
            "kb:dai.qua",
            "kb:",
            "fb:yes:dai.qua",
            "fb:no:x",
            "fb:no:",
            "menu:procedures",
            "menu:report",
            "menu:booking",
            "menu:status_lookup",
            "menu:hotline",
            "menu:talk_to_officer",
            "menu:",
            "tel:113",
            "1",
        ])
        .prop_map(str::to_owned),
        "\\PC{0,30}",
    ];
    prop_oneof![
        prop_oneof![
            prop::sample::select(vec![
                "1",
                "2",
                "3",
                "hai",
                "xin chào",
                "gặp cán bộ",
                "cảm ơn",
                "ok",
                "menu",
                "đặt lịch"
            ])
            .prop_map(str::to_owned),
            "\\PC{0,80}",
        ]
        .prop_map(AnyIncoming::Text),
        payload.prop_map(AnyIncoming::Choice),
        prop::sample::select(vec![MediaKind::Image, MediaKind::Video, MediaKind::File]).prop_map(AnyIncoming::Media),
        Just(AnyIncoming::Location),
        Just(AnyIncoming::Follow),
        Just(AnyIncoming::Sticker),
    ]
}

fn any_memory() -> impl Strategy<Value = BotMemory> {
    let ids = prop::collection::vec(prop::sample::select(vec!["cu-tru.tam-tru", "khong-con", "dai.qua"]), 0..4);
    let choices = prop::collection::vec(
        prop::sample::select(vec!["menu:hotline", "kb:dai.qua", "fb:no:dai.qua", "tel:113", "1", "x"]),
        0..6,
    );
    (any::<bool>(), 0u8..4, ids, choices).prop_map(|(greeted, failed_turns, offered, choices)| BotMemory {
        greeted,
        failed_turns,
        offered: offered.into_iter().map(str::to_owned).collect(),
        last_answer: None,
        choices: choices.into_iter().map(str::to_owned).collect(),
        waiting_acknowledged: false,
    })
}

fn any_unit() -> impl Strategy<Value = UnitFacts> {
    (any::<bool>(), any::<bool>(), any::<bool>(), "\\PC{0,3000}").prop_map(|(open_now, on_duty, phones, name)| {
        UnitFacts {
            name,
            open_now,
            on_duty,
            hotline: phones.then(|| "0243 8234 567".to_owned()),
            duty_phone: None,
            ..unit()
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn never_more_than_two_replies(
        memory in any_memory(),
        status in prop::sample::select(Status::ALL.to_vec()),
        incoming in any_incoming(),
        decision in any_decision(),
        unit in any_unit(),
    ) {
        let decide = |_: &str| decision.clone();
        let kb = KbView { decide: &decide, entry: &entry };
        let incoming = match &incoming {
            AnyIncoming::Text(t) => Incoming::Text(t),
            AnyIncoming::Choice(p) => Incoming::Choice(p),
            AnyIncoming::Media(kind) => Incoming::Media { kind: *kind },
            AnyIncoming::Location => Incoming::Location { lat: 21.0, lon: 105.8 },
            AnyIncoming::Follow => Incoming::Follow,
            AnyIncoming::Sticker => Incoming::Sticker,
        };
        let turn = respond(&memory, status, incoming, &unit, &BotSettings::default(), &kb);
        prop_assert!(turn.replies.len() <= MAX_REPLIES);
        for r in &turn.replies {
            prop_assert!(!r.text.trim().is_empty());
            prop_assert!(r.text.chars().count() <= MAX_REPLY_CHARS);
            prop_assert!(r.buttons.len() <= MAX_BUTTONS);
            prop_assert!(r.buttons.iter().all(|b| b.label.chars().count() <= MAX_BUTTON_LABEL_CHARS));
        }
        prop_assert!(turn.memory.offered.len() <= MAX_BUTTONS);
        prop_assert!(turn.memory.failed_turns < MAX_FAILED_TURNS || turn.memory.failed_turns == memory.failed_turns);
        let raised = match incoming {
            Incoming::Text(t) => matches!(safety::assess(t), Some(Safety::Emergency(_))),
            _ => false,
        };
        let emergency = matches!(incoming, Incoming::Text(_))
            && (matches!(decision, Decision::Emergency { .. }) || raised);
        if emergency {
            prop_assert_eq!(turn.replies.len(), 1);
            let urgent = matches!(turn.action, BotAction::Urgent { .. });
            prop_assert!(urgent);
            prop_assert!(turn.replies[0].buttons.iter().any(|b| b.payload == "tel:113"));
        } else if status.is_with_officers() {
            // With officers the bot only ever says where things stand, in one message.
            prop_assert!(turn.replies.len() <= 1);
            prop_assert!(turn.replies.iter().all(|r| r.buttons.iter().all(|b| b.payload.starts_with("tel:"))));
        }
    }
}

// ---- through the real matcher ----

#[test]
fn works_with_the_real_faq_matcher() {
    let docs = vec![
        FaqDoc {
            id: "ho-chieu.le-phi".into(),
            title: "Lệ phí làm hộ chiếu".into(),
            questions: vec!["làm hộ chiếu hết bao nhiêu tiền".into()],
            answer: String::new(),
            referral: false,
        },
        FaqDoc {
            id: "can-cuoc.cap-moi".into(),
            title: "Cấp căn cước lần đầu".into(),
            questions: vec!["làm căn cước lần đầu cần giấy tờ gì".into()],
            answer: String::new(),
            referral: false,
        },
    ];
    let matcher = Matcher::build(docs, &Abbreviations::builtin(), MatcherConfig::default());
    let decide = |t: &str| matcher.decide(t);
    let kb = KbView { decide: &decide, entry: &entry };
    let ask = |message: &str, status: Status| {
        respond(&greeted(), status, Incoming::Text(message), &unit(), &BotSettings::default(), &kb)
    };

    let turn = ask("lam ho chieu bn tien", Status::Bot);
    assert_eq!(turn.memory.last_answer.as_deref(), Some("ho-chieu.le-phi"));
    let turn = ask("đang có cháy nhà ở đầu ngõ", Status::Assigned);
    assert_eq!(turn.action, BotAction::Urgent { kind: "fire".into() });
    let turn = ask("cho em gặp cán bộ", Status::Bot);
    assert_eq!(turn.action, BotAction::HandOff { reason: HandOffReason::Requested });
}

#[test]
fn labels_are_never_cut_in_the_middle_of_a_word() {
    assert_eq!(clip_for_test("Đăng ký tạm trú cho người nước ngoài", 20), "Đăng ký tạm trú cho…");
    assert_eq!(clip_for_test("Ngắn", 20), "Ngắn");
    assert_eq!(clip_for_test("Mất, hỏng: cấp lại", 12), "Mất, hỏng…");
    assert_eq!(clip_for_test("Siêudàikhôngcókhoảngtrắng", 10), "Siêudàikh…", "one long word is cut");
}

#[test]
fn an_english_question_gets_an_english_reply_and_an_officer_never_a_vietnamese_guess() {
    for message in [
        "how much is an id card",
        "Where can I get a temporary residence registration?",
        "my passport was stolen, what should i do",
        "hello, do you speak english",
        // Sentences whose words are mostly outside the short list: words that cannot be
        // Vietnamese syllables count as English.
        "I am a foreigner renting an apartment, do I need to register temporary residence?",
        "my wallet was lost with my documents",
        "how to get a criminal record certificate",
        "I was scammed online and transferred money",
    ] {
        let turn = text(&greeted(), message);
        assert_eq!(turn.action, BotAction::HandOff { reason: HandOffReason::OtherLanguage }, "{message}");
        let t = &turn.replies[0].text;
        assert!(t.starts_with("Hello! The automatic answers") && t.contains("115 ambulance"), "{message}: {t}");
        assert_eq!(payloads(&turn.replies[0]), ["tel:113", "tel:114", "tel:115"]);
    }
    // Vietnamese typed without accents is not English.
    for message in [
        "lam the can cuoc o dau",
        "ho chieu het han thi lam the nao",
        "dang ky tam tru can gi",
        "hi ad",
        "help me ad oi",
        "app vneid bi loi k vao dc",
        "check tam tru online o dau ad",
        "cccd mat thi lm lai o dau",
        "vneid file apk",
    ] {
        assert!(!Words::is_english(message), "{message}");
    }
}
