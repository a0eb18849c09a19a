//! Tests of a citizen's turn: what it does to the conversation, how replies fit a channel
//! without buttons and how a typed number is read back, and the waves of a batch.

use super::*;
use crate::bot::HandOffReason;
use crate::inbox::ConversationState;
use crate::staff::OfficerId;
use crate::units::UnitId;
use caunoi_text::matcher::{Decision, HandOffReason as MatcherHandOff};

const WARD: UnitId = UnitId(9);
const ALICE: OfficerId = OfficerId(1);

fn state(status: Status) -> ConversationState {
    let assignee = (status == Status::Assigned).then_some(ALICE);
    ConversationState { status, unit_id: WARD, assignee, urgent: false }
}

fn button(label: &str, payload: &str) -> Button {
    Button { label: label.into(), payload: payload.into() }
}

fn facts() -> UnitFacts {
    UnitFacts { name: "Công an phường Bãi Cháy".into(), open_now: true, ..UnitFacts::default() }
}

/// A turn with a knowledge base that knows nothing (every text is handed off for low
/// confidence) and the default bot settings.
fn plan(channel: Channel, status: Status, memory: &StoredMemory, kind: &InboundKind, text: &str) -> PlannedTurn {
    let decide = |_: &str| Decision::HandOff { reason: MatcherHandOff::LowConfidence };
    let entry = |_: &str| None;
    let kb = KbView { decide: &decide, entry: &entry };
    let unit = UnitView { facts: &facts(), settings: &BotSettings::default(), kb: &kb };
    let categories = crate::cases::default_categories();
    let flow = CaseFlow { categories: &categories, now: 0, media_ref: None };
    plan_turn(channel, &state(status), memory, kind, text, &unit, &flow)
}

// ---- after a bot turn ----

#[test]
fn bot_hand_off_queues_the_conversation() {
    let next = after_bot_turn(&state(Status::Bot), &BotAction::HandOff { reason: HandOffReason::Requested });
    assert_eq!(next.status, Status::WaitingHuman);
    assert!(!next.urgent);
}

#[test]
fn emergency_marks_urgent_and_keeps_the_officer() {
    let next = after_bot_turn(&state(Status::Assigned), &BotAction::Urgent { kind: "fire".into() });
    assert_eq!((next.status, next.assignee, next.urgent), (Status::Assigned, Some(ALICE), true));
    let from_bot = after_bot_turn(&state(Status::Bot), &BotAction::Urgent { kind: "fire".into() });
    assert_eq!((from_bot.status, from_bot.urgent), (Status::WaitingHuman, true));
}

#[test]
fn a_report_seen_outside_the_flow_is_queued_but_not_an_alarm() {
    // The chat's report flow answers reports; this is only what officers' conversations get,
    // and a noise complaint is no alarm (the flow files the case, `cases::intake`).
    let next = after_bot_turn(&state(Status::Bot), &BotAction::StartReport { kind: "theft".into() });
    assert_eq!((next.status, next.urgent), (Status::WaitingHuman, false));
}

#[test]
fn feedback_and_plain_answers_change_nothing() {
    for action in [BotAction::None, BotAction::Feedback { entry_id: "a".into(), helpful: false }] {
        assert_eq!(after_bot_turn(&state(Status::Bot), &action), state(Status::Bot));
    }
}

// ---- a whole turn ----

#[test]
fn a_closed_conversation_is_reopened_by_the_citizen_writing_again() {
    let turn = plan(Channel::Web, Status::Closed, &StoredMemory::default(), &InboundKind::Follow, "");
    assert_ne!(turn.state.status, Status::Closed);
    assert!(!turn.replies.is_empty());
}

#[test]
fn on_zalo_the_menu_is_a_numbered_list_and_the_number_picks_its_item() {
    let first = plan(Channel::Zalo, Status::Bot, &StoredMemory::default(), &InboundKind::Follow, "");
    assert!(first.replies.iter().all(|r| r.buttons.is_empty()), "{:?}", first.replies);
    assert!(first.replies.iter().any(|r| r.text.contains("\n1. ")), "{:?}", first.replies);
    assert!(!first.memory.menu.is_empty());
    assert!(first.memory.menu.iter().all(|p| !p.starts_with("tel:")));
    // "2" is the menu's second item: the same turn as tapping it.
    let typed = plan(Channel::Zalo, Status::Bot, &first.memory, &InboundKind::Text, "2");
    let tapped =
        plan(Channel::Zalo, Status::Bot, &first.memory, &InboundKind::Choice(first.memory.menu[1].clone()), "");
    assert_eq!(typed.replies, tapped.replies);
    assert_eq!(typed.state, tapped.state);
}

#[test]
fn on_the_web_chat_buttons_stay_buttons() {
    let turn = plan(Channel::Web, Status::Bot, &StoredMemory::default(), &InboundKind::Follow, "");
    assert!(turn.replies.iter().any(|r| !r.buttons.is_empty()), "{:?}", turn.replies);
    assert!(turn.replies.len() <= MAX_REPLIES);
}

#[test]
fn asking_for_an_officer_hands_off_once() {
    let memory = StoredMemory::default();
    let turn = plan(Channel::Web, Status::Bot, &memory, &InboundKind::Text, "cho tôi gặp cán bộ");
    assert_eq!(turn.state.status, Status::WaitingHuman);
    assert!(turn.handed_off(Status::Bot));
    assert!(!turn.handed_off(Status::WaitingHuman));
}

#[test]
fn stored_memory_survives_bad_json_and_round_trips() {
    assert_eq!(StoredMemory::parse("not json"), StoredMemory::default());
    let memory = StoredMemory {
        bot: BotMemory { greeted: true, ..BotMemory::default() },
        menu: vec!["menu:x".into()],
        intake: None,
    };
    assert_eq!(StoredMemory::parse(&memory.to_json()), memory);
    assert_eq!(
        StoredMemory::default().to_json(),
        r#"{"bot":{"greeted":false,"failed_turns":0,"offered":[],"last_answer":null,"choices":[],"waiting_acknowledged":false}}"#
    );
}

// ---- rendering without buttons ----

#[test]
fn buttons_become_a_numbered_list_and_numbers_map_back() {
    let buttons = vec![button("Lệ phí căn cước", "can-cuoc.le-phi"), button("Hồ sơ căn cước", "can-cuoc.ho-so")];
    let parts = numbered_list("Anh/chị muốn hỏi về:", &buttons);
    assert_eq!(parts.len(), 1);
    assert!(parts[0].contains("1. Lệ phí căn cước\n2. Hồ sơ căn cước"), "{}", parts[0]);
    let menu: Vec<String> = buttons.iter().map(|b| b.payload.clone()).collect();
    assert_eq!(menu_choice(" 2 ", &menu), Some("can-cuoc.ho-so"));
    assert_eq!(menu_choice("0", &menu), None);
    assert_eq!(menu_choice("3", &menu), None);
    assert_eq!(menu_choice("2 cái", &menu), None);
}

#[test]
fn long_answers_are_split_only_past_the_zalo_limit() {
    assert_eq!(numbered_list(&"a ".repeat(900), &[]).len(), 1);
    let long = "Câu dài. ".repeat(400);
    let parts = numbered_list(&long, &[]);
    assert!(parts.len() >= 2);
    assert!(parts.iter().all(|p| p.chars().count() <= 2000));
}

#[test]
fn replies_over_budget_are_joined_then_cut_to_two() {
    let parts = vec![vec!["a".to_string()], vec!["b".to_string(), "c".to_string()]];
    assert_eq!(fit_budget(parts), vec!["a\n\nb\n\nc".to_string()]);
    assert_eq!(fit_budget(vec![vec!["x".into()], vec!["y".into()]]).len(), 2);
}

#[test]
fn call_buttons_stay_out_of_the_numbered_list() {
    let reply = BotReply {
        text: "Gọi ngay:".into(),
        buttons: vec![button("Gọi 114", "tel:114"), button("Gặp cán bộ", "menu:talk")],
        feedback_for: None,
    };
    let out = fit_to_channel(Channel::Zalo, &[reply]);
    assert_eq!(out.len(), 1);
    assert!(out[0].text.contains("1. Gặp cán bộ") && !out[0].text.contains("Gọi 114"), "{}", out[0].text);
}

// ---- batches ----

#[test]
fn waves_hold_each_citizen_once_and_keep_their_order() {
    // a, b, a, (same user id on another OA), a
    let keys = [("oa1", "a"), ("oa1", "b"), ("oa1", "a"), ("oa2", "a"), ("oa1", "a")];
    assert_eq!(waves(keys), vec![vec![0, 1, 3], vec![2], vec![4]]);
    assert!(waves(Vec::<u8>::new()).is_empty());
}

#[test]
fn ids_channels_directions_and_authors_read_back_what_they_write() {
    for c in [Channel::Zalo, Channel::Web] {
        assert_eq!(Channel::parse(c.as_str()), Some(c));
    }
    for d in [Direction::In, Direction::Out] {
        assert_eq!(Direction::parse(d.as_str()), Some(d));
    }
    for a in [Author::Citizen, Author::Bot, Author::Officer] {
        assert_eq!(Author::parse(a.as_str()), Some(a));
    }
    assert_eq!(Channel::parse("sms"), None);
    assert_eq!(ConversationId(7).to_string(), "7");
}

// ---- what the citizen is told when an officer moves the conversation ----

#[test]
fn every_move_the_citizen_should_know_of_gives_exactly_one_notice() {
    let waiting = state(Status::WaitingHuman);
    let taken = ConversationState { status: Status::Assigned, assignee: Some(ALICE), ..waiting.clone() };
    let notice = move_notice(&waiting, &taken, true, &facts()).expect("an officer took it");
    assert!(notice.text.contains("đã tiếp nhận cuộc trò chuyện"), "{}", notice.text);
    assert!(notice.buttons.is_empty());
    // The roster's assignment right after the hand-off: the hand-off notice already said it.
    assert_eq!(move_notice(&waiting, &taken, false, &facts()), None);
    // Between officers, or a change of priority: nothing the citizen needs.
    let other = ConversationState { assignee: Some(OfficerId(2)), ..taken.clone() };
    assert_eq!(move_notice(&taken, &other, true, &facts()), None);
    let urgent = ConversationState { urgent: true, ..taken.clone() };
    assert_eq!(move_notice(&taken, &urgent, true, &facts()), None);
    // Another unit.
    let moved = ConversationState { unit_id: UnitId(10), status: Status::WaitingHuman, assignee: None, urgent: false };
    assert!(move_notice(&taken, &moved, true, &facts()).unwrap().text.contains("đơn vị phụ trách"));
    // Closed: announced, with the rating and the way back.
    let closed = ConversationState { status: Status::Closed, assignee: None, ..taken.clone() };
    let notice = move_notice(&taken, &closed, true, &facts()).expect("closing is announced");
    assert!(notice.text.contains("đã kết thúc") && notice.text.contains("cứ nhắn tin tại đây"), "{}", notice.text);
    let payloads: Vec<&str> = notice.buttons.iter().map(|b| b.payload.as_str()).collect();
    assert_eq!(payloads, [RATE_YES, RATE_NO]);
    // Reopened by an officer.
    assert!(move_notice(&closed, &taken, true, &facts()).unwrap().text.contains("mở lại"));
}

#[test]
fn the_closing_notice_fits_zalo_as_a_numbered_list() {
    let taken = state(Status::Assigned);
    let closed = ConversationState { status: Status::Closed, assignee: None, ..taken.clone() };
    let notice = move_notice(&taken, &closed, true, &facts()).unwrap();
    let fitted = fit_to_channel(Channel::Zalo, std::slice::from_ref(&notice));
    assert_eq!(fitted.len(), 1);
    assert!(fitted[0].text.contains("1. Hữu ích") && fitted[0].text.contains("2. Chưa hữu ích"), "{}", fitted[0].text);
}

#[test]
fn a_rating_keeps_a_closed_conversation_closed() {
    for (kind, text, memory) in [
        (InboundKind::Choice(RATE_YES.into()), "", StoredMemory::default()),
        (
            InboundKind::Text,
            "1",
            StoredMemory { menu: vec![RATE_YES.into(), RATE_NO.into()], ..StoredMemory::default() },
        ),
    ] {
        let turn = plan(Channel::Zalo, Status::Closed, &memory, &kind, text);
        assert_eq!(turn.state.status, Status::Closed);
        assert_eq!(turn.action, BotAction::Rated { helpful: true });
        assert_eq!(turn.replies.len(), 1);
        assert!(turn.replies[0].text.contains("cảm ơn anh/chị đã đánh giá"));
        assert!(turn.memory.menu.is_empty(), "a second \"1\" is a new message");
    }
    let no = plan(Channel::Web, Status::Closed, &StoredMemory::default(), &InboundKind::Choice(RATE_NO.into()), "");
    assert_eq!(no.action, BotAction::Rated { helpful: false });
    // Anything else reopens it to the bot.
    let turn = plan(Channel::Web, Status::Closed, &StoredMemory::default(), &InboundKind::Text, "làm căn cước");
    assert_eq!(turn.state.status, Status::Bot);
}
