//! Tests of the chat's report flow: each step and input, skip, back, stop, resume, expiry, the
//! emergency path and the status question — first on the flow's own functions, then through a
//! whole turn ([`crate::conversations::plan_turn`]) as the app runs it.

use super::*;
use crate::bot::{BotAction, BotSettings, KbView, MAX_REPLIES, UnitFacts};
use crate::cases::default_categories;
use crate::conversations::{CaseFlow, Channel, InboundKind, PlannedTurn, StoredMemory, UnitView, plan_turn};
use crate::inbox::{ConversationState, Status as ConvStatus};
use crate::units::UnitId;
use caunoi_text::matcher::{Decision, HandOffReason as MatcherHandOff};

const UNIT: &str = "Công an phường Bãi Cháy";
const MIN: i64 = 60 * 1_000_000;
const T0: i64 = 1_750_000_000_000_000;

fn cats() -> Vec<Category> {
    default_categories()
}

fn payloads(r: &BotReply) -> Vec<&str> {
    r.buttons.iter().map(|b| b.payload.as_str()).collect()
}

fn run(intake: Intake, input: IntakeInput<'_>) -> Outcome {
    let c = cats();
    let ctx = Ctx { categories: &c, unit_name: UNIT, staffed: Staffed::OnDuty };
    step(&ctx, intake, input, T0 + MIN)
}

fn started(category: Option<&str>, text: &str) -> Outcome {
    let c = cats();
    let ctx = Ctx { categories: &c, unit_name: UNIT, staffed: Staffed::OnDuty };
    start(&ctx, category, text, T0)
}

fn theft() -> Intake {
    started(Some("theft"), "nhà em bị trộm mất xe máy đêm qua").intake.expect("a flow")
}

fn choose(intake: Intake, payload: &str) -> Outcome {
    run(intake, IntakeInput::Choice(payload))
}

fn filed_draft(o: &Outcome) -> &Draft {
    o.effects
        .iter()
        .find_map(|e| match e {
            Effect::File(d) => Some(d),
            _ => None,
        })
        .expect("the case is filed")
}

#[test]
fn a_recognised_report_asks_where_first_and_keeps_the_message_as_the_description() {
    let o = started(Some("theft"), "nhà em bị trộm mất xe máy đêm qua");
    let i = o.intake.as_ref().unwrap();
    assert_eq!(i.step, Step::Where);
    assert_eq!(i.description, "nhà em bị trộm mất xe máy đêm qua");
    assert_eq!(o.replies.len(), 1, "one question per message");
    assert!(o.replies[0].text.contains("Trộm cắp, cướp tài sản"), "{}", o.replies[0].text);
    assert!(o.replies[0].text.contains("ở đâu"));
    assert!(payloads(&o.replies[0]).contains(&"rp:noplace"));
    assert!(o.effects.is_empty(), "nothing is filed before the end");
}

#[test]
fn a_report_typed_where_the_place_is_asked_is_not_taken_as_the_address() {
    // After a fire was filed, the citizen tells another incident instead of the place.
    let c = cats();
    let ctx = Ctx { categories: &c, unit_name: UNIT, staffed: Staffed::OnDuty };
    let mut i = start_emergency(&ctx, None, "fire", "fire", "nha toi bi chay", T0).intake.unwrap();
    i.case = Some(7);
    let o = run(i, IntakeInput::Text("xe may nha e bi trom dem qua bao cong an ntn"));
    assert!(o.effects.is_empty(), "no address is written to the filed case: {:?}", o.effects);
    let i = o.intake.unwrap();
    assert_eq!((i.step, i.address.as_deref()), (Step::Where, None));
    assert!(o.replies[0].text.contains("Đã ghi thêm") && o.replies[0].text.contains("ở đâu"), "{}", o.replies[0].text);
    // Then a real address is taken.
    let o = run(i, IntakeInput::Text("số 12 đường Hạ Long, tổ 5 khu 3"));
    assert_eq!(o.intake.unwrap().address.as_deref(), Some("số 12 đường Hạ Long, tổ 5 khu 3"));

    // Before filing, the words join the description instead.
    let o = run(theft(), IntakeInput::Text("hom qua toi con bi lua mat 5 trieu qua mang"));
    let i = o.intake.unwrap();
    assert_eq!((i.step, i.address.as_deref()), (Step::Where, None));
    assert!(i.description.contains("trộm") && i.description.contains("lua mat 5 trieu"), "{}", i.description);
}

#[test]
fn the_menu_asks_what_with_at_most_six_buttons_and_pages_through_the_categories() {
    let o = started(None, "Gửi tin báo, phản ánh");
    let i = o.intake.clone().unwrap();
    assert_eq!(i.step, Step::What);
    assert!(i.description.is_empty(), "the menu's words are no description");
    let first = payloads(&o.replies[0]).iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert!(first.len() <= MAX_BUTTONS);
    assert!(first.contains(&"rp:more".to_string()) && first.contains(&"rp:stop".to_string()));
    assert!(!first.contains(&"rp:cat:fire".to_string()), "emergencies are for 114, not a button");
    let next = choose(i, "rp:more");
    let second = payloads(&next.replies[0]).iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert!(second.len() <= MAX_BUTTONS);
    assert_ne!(first[0], second[0], "another page");
}

#[test]
fn a_category_from_a_button_asks_for_a_description_which_can_be_skipped() {
    let i = started(None, "gửi tin báo").intake.unwrap();
    let o = choose(i, "rp:cat:drugs");
    let i = o.intake.unwrap();
    assert_eq!((i.step, i.category.as_deref()), (Step::Describe, Some("drugs")));
    let o = choose(i, "rp:skip");
    let i = o.intake.unwrap();
    assert_eq!(i.step, Step::Where);
    let o = choose(i, "rp:send");
    assert_eq!(filed_draft(&o).description, "Ma túy", "the category names a skipped description");
}

#[test]
fn a_typed_description_at_what_is_understood_or_kept_as_a_public_order_tip() {
    let i = started(None, "gửi tin báo").intake.unwrap();
    let o = run(i.clone(), IntakeInput::Text("toi bi lua dao chuyen khoan mat 20 trieu"));
    assert_eq!(o.intake.as_ref().unwrap().category.as_deref(), Some("fraud"));
    let o = run(i, IntakeInput::Text("cái cột điện trước nhà nghiêng sắp đổ"));
    assert_eq!(o.intake.as_ref().unwrap().category.as_deref(), Some(crate::cases::category::FALLBACK));
    assert_eq!(o.intake.as_ref().unwrap().description, "cái cột điện trước nhà nghiêng sắp đổ");
}

#[test]
fn the_whole_flow_files_once_at_the_end_with_every_answer() {
    let o = run(theft(), IntakeInput::Location { lat: 20.95, lon: 107.07 });
    let i = o.intake.unwrap();
    assert_eq!(i.step, Step::When);
    assert!(o.effects.is_empty());
    let o = run(i, IntakeInput::Text("khoảng 2 giờ sáng"));
    let i = o.intake.unwrap();
    assert_eq!(i.step, Step::Media);
    let o = run(i, IntakeInput::Media { kind: MediaKind::Image, media_ref: Some("zalo/abc.jpg") });
    let i = o.intake.unwrap();
    assert_eq!((i.step, i.media.len()), (Step::Media, 1), "more photos may follow");
    assert!(o.replies[0].text.contains("Đã nhận 1 ảnh/video"));
    assert_eq!(payloads(&o.replies[0])[0], "rp:done");
    let o = choose(i, "rp:done");
    let i = o.intake.unwrap();
    assert_eq!(i.step, Step::Mode);
    let mode_text = &o.replies[0].text;
    assert!(mode_text.contains(ReporterMode::Sealed.explain_vi()), "{mode_text}");
    assert_eq!(&payloads(&o.replies[0])[..3], ["rp:mode:open", "rp:mode:sealed", "rp:mode:anonymous"]);
    let o = choose(i, "rp:mode:anonymous");
    assert!(o.intake.is_none(), "the flow is over");
    let d = filed_draft(&o);
    assert_eq!(d.category, "theft");
    assert_eq!(d.point, Some(Point { lat: 20.95, lon: 107.07 }));
    assert_eq!(d.occurred.as_deref(), Some("khoảng 2 giờ sáng"));
    assert_eq!(d.mode, ReporterMode::Anonymous);
    assert_eq!(d.media, vec![Evidence { media_ref: "zalo/abc.jpg".into(), kind: "image".into() }]);
    assert!(!d.urgent);
    assert!(o.hand_off, "theft is sensitive: an officer follows it up");
    assert!(o.replies[0].text.contains(CODE_PLACEHOLDER), "the citizen gets the code at once");
}

#[test]
fn a_noise_complaint_asks_its_required_question_and_is_not_handed_off() {
    let o = started(Some("noise"), "hàng xóm hát karaoke to quá nửa đêm");
    let i = o.intake.unwrap();
    assert_eq!(i.step, Step::Question(0));
    assert!(!payloads(&o.replies[0]).contains(&"rp:skip"), "a required question has no skip");
    let o = choose(i.clone(), "rp:skip");
    assert_eq!(o.intake.as_ref().unwrap().step, Step::Question(0), "not skipped");
    let o = choose(i.clone(), "rp:send");
    assert_eq!(o.intake.as_ref().unwrap().step, Step::Question(0), "not sent without it");
    assert!(o.effects.is_empty());
    let o = run(i, IntakeInput::Text("Hát karaoke, loa"));
    let i = o.intake.unwrap();
    assert_eq!(i.attributes.get("source").map(String::as_str), Some("karaoke"));
    assert_eq!(i.step, Step::Where);
    let o = choose(i, "rp:send");
    assert!(!o.hand_off, "a public nuisance is not an officer's hand-off");
    assert_eq!(filed_draft(&o).mode, ReporterMode::Sealed, "not chosen: protected");
}

#[test]
fn skip_moves_on_and_leaves_the_answer_empty() {
    let o = choose(theft(), "rp:noplace");
    let i = o.intake.unwrap();
    assert!(i.place_unknown);
    assert_eq!(i.step, Step::When);
    let o = run(i, IntakeInput::Text("bo qua"));
    let i = o.intake.unwrap();
    assert_eq!((i.step, i.occurred.clone()), (Step::Media, None));
    let o = run(i, IntakeInput::Text("không có"));
    assert_eq!(o.intake.unwrap().step, Step::Mode);
}

#[test]
fn back_returns_to_the_previous_question() {
    let o = choose(theft(), "rp:noplace");
    let o = choose(o.intake.unwrap(), "rp:back");
    let i = o.intake.unwrap();
    assert_eq!(i.step, Step::Where);
    assert!(o.replies[0].text.contains("ở đâu"));
    let o = run(i, IntakeInput::Text("quay lại"));
    assert_eq!(o.intake.unwrap().step, Step::What, "back to the category");
}

#[test]
fn stop_files_nothing_and_says_how_to_resume_then_resume_asks_the_same_question() {
    let o = run(theft(), IntakeInput::Text("Dừng"));
    assert!(o.effects.is_empty());
    let i = o.intake.unwrap();
    assert!(i.paused && !i.listening(T0 + 2 * MIN));
    assert!(o.replies[0].text.contains("chưa được gửi") && o.replies[0].text.contains("tiếp tục"));
    let c = cats();
    let ctx = Ctx { categories: &c, unit_name: UNIT, staffed: Staffed::OnDuty };
    let o = resume(&ctx, i, T0 + 60 * MIN);
    let i = o.intake.unwrap();
    assert!(!i.paused);
    assert_eq!(i.step, Step::Where);
    assert!(o.replies[0].text.contains("ở đâu"));
}

#[test]
fn a_flow_idle_for_half_an_hour_stops_listening_and_is_forgotten_after_a_day() {
    let i = theft();
    assert!(i.listening(T0 + 29 * MIN));
    assert!(!i.listening(T0 + 31 * MIN));
    assert!(!i.expired(T0 + 23 * 60 * MIN));
    assert!(i.expired(T0 + 24 * 60 * MIN + 1));
}

#[test]
fn a_location_outside_vietnam_is_refused_with_a_clear_message() {
    let o = run(theft(), IntakeInput::Location { lat: 48.85, lon: 2.35 });
    let i = o.intake.unwrap();
    assert_eq!((i.step, i.point), (Step::Where, None));
    assert!(o.replies[0].text.contains("không nằm trong lãnh thổ Việt Nam"));
    assert!(in_vietnam(10.78, 106.70) && in_vietnam(23.5, 117.9));
    assert!(!in_vietnam(5.9, 106.0) && !in_vietnam(f64::NAN, 106.0) && !in_vietnam(21.0, 118.0));
}

#[test]
fn a_typed_address_is_the_place() {
    let o = run(theft(), IntakeInput::Text("12 Hạ Long, phường Bãi Cháy"));
    let i = o.intake.unwrap();
    assert_eq!(i.address.as_deref(), Some("12 Hạ Long, phường Bãi Cháy"));
    assert!(!i.place_unknown);
}

#[test]
fn a_photo_or_a_place_is_taken_whenever_it_comes_and_the_question_is_asked_again() {
    let o = run(theft(), IntakeInput::Media { kind: MediaKind::Video, media_ref: Some("web/v.mp4") });
    let i = o.intake.unwrap();
    assert_eq!((i.step, i.media.len()), (Step::Where, 1));
    assert!(o.replies[0].text.contains("ở đâu"));
    let o = run(i, IntakeInput::Media { kind: MediaKind::Audio, media_ref: Some("zalo/a.m4a") });
    assert_eq!(o.intake.as_ref().unwrap().media.len(), 1, "a voice message is not evidence here");
    let o = run(o.intake.unwrap(), IntakeInput::Text("khong nho"));
    let o = run(o.intake.unwrap(), IntakeInput::Location { lat: 21.0, lon: 105.8 });
    let i = o.intake.unwrap();
    assert_eq!((i.step, i.point.is_some()), (Step::When, true), "a late place is kept without moving on");
}

#[test]
fn at_most_ten_photos_are_taken() {
    let mut i = theft();
    for n in 0..12 {
        let r = format!("zalo/{n}.jpg");
        i = run(i, IntakeInput::Media { kind: MediaKind::Image, media_ref: Some(&r) }).intake.unwrap();
    }
    assert_eq!(i.media.len(), MAX_MEDIA);
}

#[test]
fn an_unexpected_message_repeats_the_question() {
    let o = choose(theft(), "rp:noplace");
    let o = choose(o.intake.unwrap(), "rp:done");
    let o = choose(o.intake.unwrap(), "rp:done");
    let i = o.intake.unwrap();
    assert_eq!(i.step, Step::Mode);
    let o = run(i, IntakeInput::Text("sao lại hỏi vậy"));
    assert_eq!(o.intake.as_ref().unwrap().step, Step::Mode);
    assert!(o.replies[0].text.starts_with("Anh/chị chọn một trong ba cách"));
    let o = run(o.intake.unwrap(), IntakeInput::Other);
    assert_eq!(o.intake.unwrap().step, Step::Mode);
}

#[test]
fn send_now_is_refused_before_the_category_is_known() {
    let i = started(None, "gửi tin báo").intake.unwrap();
    let o = choose(i, "rp:send");
    assert!(o.effects.is_empty());
    assert_eq!(o.intake.unwrap().step, Step::What);
}

#[test]
fn an_emergency_files_at_once_and_asks_where_then_updates_the_filed_case() {
    let c = cats();
    let ctx = Ctx { categories: &c, unit_name: UNIT, staffed: Staffed::OnDuty };
    let o = start_emergency(&ctx, None, "fire", "fire", "cháy nhà số 5 ngõ 3", T0);
    let d = filed_draft(&o);
    assert!(d.urgent);
    assert_eq!((d.category.as_str(), d.description.as_str()), ("fire", "cháy nhà số 5 ngõ 3"));
    assert_eq!(o.replies.len(), 1, "one message after the bot's guidance");
    assert!(o.replies[0].text.contains(CODE_PLACEHOLDER) && o.replies[0].text.contains("ở đâu"));
    assert!(!payloads(&o.replies[0]).contains(&"rp:send"), "already sent");
    let mut i = o.intake.unwrap();
    i.case = Some(7);
    i.code = Some("TB-0000-0007".into());
    let o = run(i, IntakeInput::Location { lat: 20.95, lon: 107.07 });
    assert_eq!(
        o.effects,
        vec![Effect::Update {
            point: Some(Point { lat: 20.95, lon: 107.07 }),
            address: None,
            place_unknown: Some(false),
            occurred: None
        }]
    );
    let i = o.intake.unwrap();
    assert_eq!(i.step, Step::Media, "no \"when\": it is happening now");
    let o = run(i, IntakeInput::Media { kind: MediaKind::Image, media_ref: Some("zalo/f.jpg") });
    assert_eq!(o.effects, vec![Effect::Attach(Evidence { media_ref: "zalo/f.jpg".into(), kind: "image".into() })]);
    let o = choose(o.intake.unwrap(), "rp:done");
    let o = choose(o.intake.unwrap(), "rp:mode:anonymous");
    assert_eq!(o.effects, vec![Effect::SetMode(ReporterMode::Anonymous)]);
    assert!(o.intake.is_none());
    assert!(o.replies[0].text.contains("TB-0000-0007"));
}

#[test]
fn an_emergencys_code_message_says_truly_who_was_alerted() {
    let c = cats();
    let said = |staffed| {
        let ctx = Ctx { categories: &c, unit_name: UNIT, staffed };
        start_emergency(&ctx, None, "fire", "fire", "cháy nhà", T0).replies[0].text.clone()
    };
    assert!(said(Staffed::OnDuty).contains("cán bộ trực ban đã được báo"));
    assert!(said(Staffed::OfficeOpen).contains("cán bộ của đơn vị đã được báo"));
    let nobody = said(Staffed::Nobody);
    assert!(!nobody.contains("đã được báo") && nobody.contains("gọi ngay số khẩn cấp"), "{nobody}");
    assert_eq!(Staffed::of(false, false), Staffed::Nobody);
    assert_eq!(Staffed::of(true, false), Staffed::OnDuty);
}

#[test]
fn an_emergency_during_a_flow_files_what_was_gathered() {
    let i = run(theft(), IntakeInput::Media { kind: MediaKind::Image, media_ref: Some("zalo/p.jpg") }).intake.unwrap();
    let c = cats();
    let ctx = Ctx { categories: &c, unit_name: UNIT, staffed: Staffed::OnDuty };
    let o = start_emergency(&ctx, Some(i), "violence", "violence", "chúng nó đang đánh người", T0 + MIN);
    let d = filed_draft(&o);
    assert_eq!(d.category, "violence");
    assert!(d.description.contains("trộm") && d.description.contains("đánh người"));
    assert_eq!(d.media.len(), 1);
    assert!(o.intake.unwrap().media.is_empty(), "handed to the case");
}

#[test]
fn stopping_after_an_emergency_keeps_the_case() {
    let c = cats();
    let ctx = Ctx { categories: &c, unit_name: UNIT, staffed: Staffed::OnDuty };
    let mut i = start_emergency(&ctx, None, "fire", "fire", "cháy", T0).intake.unwrap();
    i.case = Some(1);
    i.code = Some("TB-AAAA-BBBB".into());
    let o = choose(i, "rp:stop");
    assert!(o.replies[0].text.contains("TB-AAAA-BBBB") && o.replies[0].text.contains("vẫn đang được xử lý"));
}

#[test]
fn status_questions_are_recognised_with_and_without_diacritics() {
    for text in [
        "tin bao cua toi den dau roi",
        "Tin báo của tôi đến đâu rồi ạ?",
        "bao an the nao roi ad",
        "vụ việc em trình báo hôm trước xử lý chưa",
    ] {
        assert_eq!(asks_status(text), Some(None), "{text}");
    }
    let code = asks_status("ma TB-4KX9-M2QD sao roi").unwrap().unwrap();
    assert_eq!(code.as_str(), "TB-4KX9-M2QD");
    assert_eq!(asks_status("tb 4kx9 m2qd").unwrap().unwrap().as_str(), "TB-4KX9-M2QD");
    for text in ["làm căn cước đến đâu rồi", "tôi muốn phản ánh tình hình mất trật tự", "nhà em bị trộm", "STB bank"]
    {
        assert_eq!(asks_status(text), None, "{text}");
    }
}

#[test]
fn the_status_answer_names_the_unit_never_an_officer() {
    let found = FoundCase { code: "TB-1", category_vi: "Trộm cắp", status: Status::Acknowledged, unit_name: UNIT };
    let text = status_answer(Some(found), None);
    assert!(text.contains("TB-1") && text.contains(&Status::Acknowledged.citizen_vi(UNIT)), "{text}");
    assert!(status_answer(None, Some("TB-X")).contains("Không tìm thấy tin báo TB-X"));
    assert!(status_answer(None, None).contains("Chưa có tin báo"));
}

#[test]
fn the_state_survives_storage() {
    let i = run(theft(), IntakeInput::Location { lat: 20.95, lon: 107.07 }).intake.unwrap();
    let json = serde_json::to_string(&i).unwrap();
    assert_eq!(serde_json::from_str::<Intake>(&json).unwrap(), i);
    assert_eq!(serde_json::from_str::<Intake>("{}").unwrap().step, Step::What);
}

// ---- whole turns, as the app plans them ----

fn facts() -> UnitFacts {
    UnitFacts { name: UNIT.into(), open_now: true, on_duty: true, ..UnitFacts::default() }
}

fn turn(status: ConvStatus, memory: &StoredMemory, kind: InboundKind, text: &str, now: i64) -> PlannedTurn {
    turn_on(Channel::Web, status, memory, kind, text, now)
}

fn turn_on(
    channel: Channel,
    status: ConvStatus,
    memory: &StoredMemory,
    kind: InboundKind,
    text: &str,
    now: i64,
) -> PlannedTurn {
    let decide = |_: &str| Decision::HandOff { reason: MatcherHandOff::LowConfidence };
    let entry = |_: &str| None;
    let kb = KbView { decide: &decide, entry: &entry };
    let facts = facts();
    let unit = UnitView { facts: &facts, settings: &BotSettings::default(), kb: &kb };
    let categories = cats();
    let flow = CaseFlow { categories: &categories, now, media_ref: Some("zalo/x.jpg") };
    let state = ConversationState { status, unit_id: UnitId(1), assignee: None, urgent: false };
    plan_turn(channel, &state, memory, &kind, text, &unit, &flow)
}

fn say(memory: &StoredMemory, text: &str, now: i64) -> PlannedTurn {
    turn(ConvStatus::Bot, memory, InboundKind::Text, text, now)
}

#[test]
fn a_typed_theft_report_starts_the_flow_without_an_urgent_hand_off() {
    let t = say(&StoredMemory::default(), "nha e bi trom mat xe may dem qua", T0);
    assert_eq!(t.state.status, ConvStatus::Bot, "a case now, not an inbox hand-off");
    assert!(!t.state.urgent);
    assert_eq!(t.action, BotAction::None);
    assert_eq!(t.replies.len(), 1);
    assert_eq!(t.memory.intake.as_ref().unwrap().category.as_deref(), Some("theft"));
    assert!(t.memory.menu.contains(&"rp:noplace".to_string()));
}

#[test]
fn typing_the_crime_where_the_flow_asks_what_happened_picks_its_category_and_rings_nothing() {
    // "trộm cắp" names the category (typed instead of tapped), it is no thief here now; "có
    // trộm" still is.
    let started = say(&StoredMemory::default(), "tôi muốn gửi tin báo", T0);
    assert_eq!(started.memory.intake.as_ref().map(|i| i.step), Some(Step::What));
    let t = say(&started.memory, "trom cap", T0 + MIN);
    assert!(!t.state.urgent && t.action == BotAction::None, "{:?}", t.action);
    assert_eq!(t.memory.intake.as_ref().unwrap().category.as_deref(), Some("theft"));
    let t = say(&started.memory, "có trộm", T0 + MIN);
    assert!(matches!(t.action, BotAction::Urgent { .. }), "{:?}", t.action);
}

#[test]
fn a_noise_report_is_never_urgent() {
    let t = say(&StoredMemory::default(), "quán karaoke hát ồn ào quá không ngủ được", T0);
    assert!(!t.state.urgent);
    assert_ne!(t.state.status, ConvStatus::WaitingHuman);
}

#[test]
fn the_emergency_reply_stays_first_and_unchanged_and_the_case_is_filed_at_once() {
    let plain = {
        // The bot's own reply to the same message, without any flow.
        let decide = |_: &str| Decision::HandOff { reason: MatcherHandOff::LowConfidence };
        let entry = |_: &str| None;
        let kb = KbView { decide: &decide, entry: &entry };
        let f = facts();
        crate::bot::respond(
            &Default::default(),
            ConvStatus::Bot,
            crate::bot::Incoming::Text("cháy nhà rồi cứu với"),
            &f,
            &BotSettings::default(),
            &kb,
        )
    };
    let t = say(&StoredMemory::default(), "cháy nhà rồi cứu với", T0);
    assert_eq!(t.action, BotAction::Urgent { kind: "fire".into() });
    assert!(t.state.urgent);
    assert_eq!(t.replies.len(), MAX_REPLIES);
    assert_eq!(t.replies[0], plain.replies[0], "the guidance is exactly the bot's");
    assert!(t.replies[1].text.contains(CODE_PLACEHOLDER));
    assert!(matches!(t.case_effects.as_slice(), [Effect::File(d)] if d.urgent && d.category == "fire"));
}

#[test]
fn a_medical_emergency_files_no_case() {
    let t = say(&StoredMemory::default(), "ban toi vua uong thuoc sau, cuu voi", T0);
    assert_eq!(t.action, BotAction::Urgent { kind: "medical".into() });
    assert!(t.case_effects.is_empty());
    assert_eq!(t.replies.len(), 1);
}

#[test]
fn an_emergency_mid_flow_breaks_out_to_the_emergency_reply() {
    let t = say(&StoredMemory::default(), "nha e bi trom mat xe may dem qua", T0);
    let t = say(&t.memory, "chay nha roi", T0 + MIN);
    assert_eq!(t.action, BotAction::Urgent { kind: "fire".into() });
    assert!(t.replies[0].text.starts_with("KHẨN CẤP"), "{}", t.replies[0].text);
    assert!(matches!(t.case_effects.as_slice(), [Effect::File(d)] if d.category == "fire"));
}

#[test]
fn answers_go_to_the_flow_not_the_faq() {
    let t = say(&StoredMemory::default(), "nha e bi trom mat xe may dem qua", T0);
    let t = say(&t.memory, "12 Hạ Long", T0 + MIN);
    assert_eq!(t.memory.intake.as_ref().unwrap().address.as_deref(), Some("12 Hạ Long"));
    assert!(t.replies[0].text.contains("khi nào"));
    // A typed number picks from the last question's numbered list (Zalo has no buttons).
    let t = turn_on(Channel::Zalo, ConvStatus::Bot, &t.memory, InboundKind::Text, "2", T0 + 2 * MIN);
    assert_eq!(t.memory.intake.as_ref().unwrap().occurred.as_deref(), Some("Hôm nay"));
    assert!(t.replies[0].text.contains("\n1. Không có ảnh"), "{}", t.replies[0].text);
}

#[test]
fn the_menu_resumes_a_stopped_flow_within_a_day_and_starts_afresh_after() {
    let t = say(&StoredMemory::default(), "nha e bi trom mat xe may dem qua", T0);
    let t = say(&t.memory, "12 Hạ Long", T0 + MIN);
    let t = say(&t.memory, "dừng", T0 + 2 * MIN);
    assert!(t.case_effects.is_empty());
    let menu = InboundKind::Choice("menu:report".into());
    let r = turn(ConvStatus::Bot, &t.memory, menu.clone(), "Gửi tin báo", T0 + 60 * MIN);
    let i = r.memory.intake.as_ref().unwrap();
    assert_eq!((i.step, i.address.as_deref()), (Step::When, Some("12 Hạ Long")), "resumed where it stopped");
    let r = turn(ConvStatus::Bot, &t.memory, menu, "Gửi tin báo", T0 + 25 * 60 * MIN);
    let i = r.memory.intake.as_ref().unwrap();
    assert_eq!((i.step, i.address.as_deref()), (Step::What, None), "expired: a new report");
    let r = say(&t.memory, "tiep tuc", T0 + 3 * MIN);
    assert_eq!(r.memory.intake.as_ref().unwrap().step, Step::When);
}

#[test]
fn an_abandoned_flow_expires_and_files_nothing() {
    let t = say(&StoredMemory::default(), "nha e bi trom mat xe may dem qua", T0);
    // An hour later the citizen asks something else: the bot answers, the flow waits paused.
    let later = say(&t.memory, "lam can cuoc can giay to gi", T0 + 60 * MIN);
    assert!(later.case_effects.is_empty());
    assert!(later.memory.intake.as_ref().unwrap().paused);
    assert!(later.replies[0].text.contains("chưa tìm thấy câu trả lời"), "the bot's turn");
    // A day later the flow is gone.
    let gone = say(&later.memory, "xin chao", T0 + 26 * 60 * MIN);
    assert!(gone.memory.intake.is_none());
    assert!(gone.case_effects.is_empty());
}

#[test]
fn sending_now_files_and_a_sensitive_report_then_waits_for_an_officer() {
    let t = say(&StoredMemory::default(), "nha e bi trom mat xe may dem qua", T0);
    let t = turn(ConvStatus::Bot, &t.memory, InboundKind::Choice("rp:send".into()), "Gửi ngay", T0 + MIN);
    assert!(matches!(t.case_effects.as_slice(), [Effect::File(d)] if d.category == "theft"));
    assert_eq!(t.state.status, ConvStatus::WaitingHuman);
    assert!(!t.state.urgent);
    assert!(t.memory.intake.is_none());
}

#[test]
fn a_status_question_is_answered_from_the_cases() {
    let t = say(&StoredMemory::default(), "tin bao cua toi den dau roi", T0);
    assert_eq!(t.case_effects, vec![Effect::Status { code: None }]);
    assert_eq!(t.replies[0].text, STATUS_PLACEHOLDER);
    let t = say(&StoredMemory::default(), "ma TB-4KX9-M2QD", T0);
    assert_eq!(t.case_effects, vec![Effect::Status { code: Some("TB-4KX9-M2QD".into()) }]);
}

#[test]
fn with_an_officer_the_flow_is_silent_but_a_filed_case_still_takes_the_photo() {
    let c = cats();
    let ctx = Ctx { categories: &c, unit_name: UNIT, staffed: Staffed::OnDuty };
    let mut i = start_emergency(&ctx, None, "fire", "fire", "cháy", T0).intake.unwrap();
    i.case = Some(3);
    let memory = StoredMemory { intake: Some(i), ..StoredMemory::default() };
    let t = turn(ConvStatus::Assigned, &memory, InboundKind::Media(MediaKind::Image), "", T0 + MIN);
    assert!(t.replies.is_empty());
    assert_eq!(t.case_effects, vec![Effect::Attach(Evidence { media_ref: "zalo/x.jpg".into(), kind: "image".into() })]);
}
