//! Tests of the inbox rules: transitions, queues, the duty roster, the reply window and
//! canned replies.

use std::collections::HashMap;

use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;

use super::*;
use crate::units::UnitPath;

const WARD: UnitId = UnitId(9);
const OTHER_WARD: UnitId = UnitId(10);
const ALICE: OfficerId = OfficerId(1);
const BOB: OfficerId = OfficerId(2);

fn state(status: Status) -> ConversationState {
    let assignee = (status == Status::Assigned).then_some(ALICE);
    ConversationState { status, unit_id: WARD, assignee, urgent: false }
}

fn transfer(to: TransferTarget, reason: &str) -> Transition {
    Transition::Transfer { to, reason: reason.to_owned() }
}

// ---- transitions ----

#[test]
fn hand_off_moves_a_bot_conversation_to_the_queue() {
    let next = transition(&state(Status::Bot), &Transition::HandOff).unwrap();
    assert_eq!(next.status, Status::WaitingHuman);
    assert_eq!(next.assignee, None);
}

#[test]
fn hand_off_is_illegal_once_officers_have_it_or_it_is_closed() {
    for status in [Status::WaitingHuman, Status::Assigned, Status::Closed] {
        let err = transition(&state(status), &Transition::HandOff).unwrap_err();
        assert_eq!(err, TransitionError::NotAllowed { from: status, action: "chuyển cho cán bộ" });
    }
}

#[test]
fn assign_takes_a_waiting_conversation() {
    let next = transition(&state(Status::WaitingHuman), &Transition::Assign { officer: BOB }).unwrap();
    assert_eq!((next.status, next.assignee), (Status::Assigned, Some(BOB)));
}

#[test]
fn an_officer_may_take_a_conversation_from_the_bot() {
    let next = transition(&state(Status::Bot), &Transition::Assign { officer: BOB }).unwrap();
    assert_eq!((next.status, next.assignee), (Status::Assigned, Some(BOB)));
}

#[test]
fn reassigning_needs_a_transfer_with_a_reason() {
    let assigned = state(Status::Assigned);
    assert!(matches!(
        transition(&assigned, &Transition::Assign { officer: BOB }),
        Err(TransitionError::NotAllowed { from: Status::Assigned, .. })
    ));
    assert_eq!(transition(&assigned, &Transition::Assign { officer: ALICE }), Err(TransitionError::SameAssignee));
}

#[test]
fn transfer_needs_a_reason() {
    for reason in ["", "   ", "\n\t"] {
        let err = transition(&state(Status::Assigned), &transfer(TransferTarget::Officer(BOB), reason)).unwrap_err();
        assert_eq!(err, TransitionError::ReasonRequired);
        assert!(err.to_string().contains("lý do"));
    }
    let long = "x".repeat(MAX_REASON_CHARS + 1);
    assert_eq!(
        transition(&state(Status::Assigned), &transfer(TransferTarget::Officer(BOB), &long)),
        Err(TransitionError::ReasonTooLong)
    );
}

#[test]
fn transfer_to_an_officer_assigns_it_to_them() {
    let next = transition(
        &state(Status::Assigned),
        &transfer(TransferTarget::Officer(BOB), "Đồng chí Bình phụ trách địa bàn"),
    )
    .unwrap();
    assert_eq!((next.status, next.assignee, next.unit_id), (Status::Assigned, Some(BOB), WARD));
}

#[test]
fn transfer_to_a_unit_puts_it_in_that_units_queue() {
    let mut urgent = state(Status::Assigned);
    urgent.urgent = true;
    let next =
        transition(&urgent, &transfer(TransferTarget::Unit(OTHER_WARD), "Sự việc thuộc địa bàn phường bên")).unwrap();
    assert_eq!((next.status, next.assignee, next.unit_id), (Status::WaitingHuman, None, OTHER_WARD));
    assert!(next.urgent, "a transfer keeps the urgent flag");
}

#[test]
fn transfer_back_to_the_own_unit_releases_the_assignee() {
    let next = transition(&state(Status::Assigned), &transfer(TransferTarget::Unit(WARD), "Hết ca trực")).unwrap();
    assert_eq!((next.status, next.assignee), (Status::WaitingHuman, None));
}

#[test]
fn transfer_that_changes_nothing_is_refused() {
    assert_eq!(
        transition(&state(Status::Assigned), &transfer(TransferTarget::Officer(ALICE), "lý do")),
        Err(TransitionError::SameAssignee)
    );
    assert_eq!(
        transition(&state(Status::WaitingHuman), &transfer(TransferTarget::Unit(WARD), "lý do")),
        Err(TransitionError::SameUnit)
    );
}

#[test]
fn a_closed_conversation_cannot_be_transferred_assigned_or_closed_again() {
    let closed = state(Status::Closed);
    for t in [
        transfer(TransferTarget::Officer(BOB), "lý do"),
        Transition::Assign { officer: BOB },
        Transition::Close,
        Transition::SetUrgent { urgent: true },
    ] {
        assert!(
            matches!(transition(&closed, &t), Err(TransitionError::NotAllowed { from: Status::Closed, .. })),
            "{t:?}"
        );
    }
}

#[test]
fn close_clears_the_urgent_flag() {
    let mut s = state(Status::Assigned);
    s.urgent = true;
    let next = transition(&s, &Transition::Close).unwrap();
    assert_eq!(next.status, Status::Closed);
    assert!(!next.urgent);
}

#[test]
fn citizen_writing_again_reopens_to_the_bot() {
    let closed = transition(&state(Status::Assigned), &Transition::Close).unwrap();
    let next = transition(&closed, &Transition::Reopen { by: ReopenBy::Citizen }).unwrap();
    assert_eq!((next.status, next.assignee), (Status::Bot, None));
}

#[test]
fn officer_reopening_keeps_the_conversation() {
    let closed = transition(&state(Status::WaitingHuman), &Transition::Close).unwrap();
    let next = transition(&closed, &Transition::Reopen { by: ReopenBy::Officer(BOB) }).unwrap();
    assert_eq!((next.status, next.assignee), (Status::Assigned, Some(BOB)));
}

#[test]
fn reopening_an_open_conversation_is_refused() {
    for status in [Status::Bot, Status::WaitingHuman, Status::Assigned] {
        assert!(transition(&state(status), &Transition::Reopen { by: ReopenBy::Citizen }).is_err());
    }
}

#[test]
fn transition_errors_have_both_languages() {
    let err = transition(&state(Status::Closed), &Transition::Close).unwrap_err();
    let msg = err.message();
    assert!(msg.vi.contains("Đã đóng"), "{}", msg.vi);
    assert!(msg.en.contains("Closed"), "{}", msg.en);
}

#[test]
fn status_round_trips_through_its_stored_form() {
    for s in Status::ALL {
        assert_eq!(Status::parse(s.as_str()), Some(s));
        assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
    }
    assert_eq!(Status::parse("open"), None);
}

fn any_status() -> impl Strategy<Value = Status> {
    prop::sample::select(Status::ALL.to_vec())
}

fn any_transition() -> impl Strategy<Value = Transition> {
    let officer = (1i64..4).prop_map(OfficerId);
    let unit = (8i64..11).prop_map(UnitId);
    prop_oneof![
        Just(Transition::HandOff),
        officer.clone().prop_map(|officer| Transition::Assign { officer }),
        (officer.clone(), "[ a-z]{0,5}").prop_map(|(o, r)| transfer(TransferTarget::Officer(o), &r)),
        (unit, "[ a-z]{0,5}").prop_map(|(u, r)| transfer(TransferTarget::Unit(u), &r)),
        Just(Transition::Close),
        Just(Transition::Reopen { by: ReopenBy::Citizen }),
        officer.prop_map(|o| Transition::Reopen { by: ReopenBy::Officer(o) }),
        any::<bool>().prop_map(|urgent| Transition::SetUrgent { urgent }),
    ]
}

proptest! {
    #[test]
    fn every_reachable_state_keeps_the_inbox_invariants(
        start in any_status(),
        moves in prop::collection::vec(any_transition(), 0..20),
    ) {
        let mut s = state(start);
        for t in &moves {
            if let Ok(next) = transition(&s, t) {
                s = next;
            }
            if s.status == Status::Assigned {
                prop_assert!(s.assignee.is_some());
            }
            if s.status == Status::Closed {
                prop_assert!(!s.urgent);
            }
            if matches!(s.status, Status::Bot | Status::WaitingHuman) {
                prop_assert!(s.assignee.is_none());
            }
        }
    }
}

// ---- queues ----

fn path(ids: &[i64]) -> UnitPath {
    let mut p = UnitPath::root(UnitId(ids[0]));
    for id in &ids[1..] {
        p = p.child(UnitId(*id));
    }
    p
}

fn summary(status: Status, unit: &[i64], assignee: Option<OfficerId>) -> ConversationSummary {
    ConversationSummary { status, unit_path: path(unit), assignee, urgent: false, waiting_since: None }
}

#[test]
fn waiting_queue_holds_only_handed_off_conversations_of_my_unit() {
    let f = Queue::WaitingForHuman.filter(ALICE, &path(&[1, 9]));
    assert!(f.matches(&summary(Status::WaitingHuman, &[1, 9], None)));
    assert!(!f.matches(&summary(Status::WaitingHuman, &[1, 10], None)), "another ward");
    assert!(!f.matches(&summary(Status::WaitingHuman, &[1, 9, 12], None)), "a team below is its own queue");
    assert!(!f.matches(&summary(Status::Bot, &[1, 9], None)));
    assert!(!f.matches(&summary(Status::Assigned, &[1, 9], Some(BOB))));
}

#[test]
fn mine_follows_the_officer_across_units() {
    let f = Queue::Mine.filter(ALICE, &path(&[1, 9]));
    assert!(f.matches(&summary(Status::Assigned, &[1, 10], Some(ALICE))));
    assert!(!f.matches(&summary(Status::Assigned, &[1, 9], Some(BOB))));
    assert!(!f.matches(&summary(Status::Closed, &[1, 9], Some(ALICE))), "closed ones are history");
}

#[test]
fn my_unit_shows_every_open_conversation_including_the_bots() {
    let f = Queue::MyUnit.filter(ALICE, &path(&[1, 9]));
    for status in [Status::Bot, Status::WaitingHuman, Status::Assigned] {
        assert!(f.matches(&summary(status, &[1, 9], (status == Status::Assigned).then_some(BOB))));
    }
    assert!(!f.matches(&summary(Status::Closed, &[1, 9], None)));
    assert!(!f.matches(&summary(Status::Bot, &[1, 9, 12], None)));
}

#[test]
fn my_subtree_reaches_every_unit_below_and_nothing_beside() {
    let f = Queue::MySubtree.filter(ALICE, &path(&[1]));
    assert!(f.matches(&summary(Status::WaitingHuman, &[1], None)));
    assert!(f.matches(&summary(Status::WaitingHuman, &[1, 9, 12], None)));
    assert!(!f.matches(&summary(Status::WaitingHuman, &[2, 9], None)));
    assert!(!f.matches(&summary(Status::WaitingHuman, &[11], None)), "/11/ is not below /1/");
}

#[test]
fn queue_names_round_trip() {
    for q in Queue::ALL {
        assert_eq!(Queue::parse(q.as_str()), Some(q));
    }
}

#[test]
fn urgent_conversations_sort_first_then_the_longest_wait() {
    let t = |h: i64| Timestamp::UNIX_EPOCH + SignedDuration::from_hours(h);
    let mut list = [
        ConversationSummary { waiting_since: Some(t(1)), ..summary(Status::WaitingHuman, &[1], None) },
        ConversationSummary { waiting_since: None, ..summary(Status::Bot, &[1], None) },
        ConversationSummary { urgent: true, waiting_since: Some(t(5)), ..summary(Status::WaitingHuman, &[1], None) },
        ConversationSummary { waiting_since: Some(t(0)), ..summary(Status::WaitingHuman, &[1], None) },
        ConversationSummary { urgent: true, waiting_since: Some(t(3)), ..summary(Status::WaitingHuman, &[1], None) },
    ];
    list.sort_by(queue_order);
    let order: Vec<(bool, Option<Timestamp>)> = list.iter().map(|c| (c.urgent, c.waiting_since)).collect();
    assert_eq!(
        order,
        vec![(true, Some(t(3))), (true, Some(t(5))), (false, Some(t(0))), (false, Some(t(1))), (false, None)]
    );
}

// ---- duty roster ----

fn at(hour: i64) -> Timestamp {
    Timestamp::UNIX_EPOCH + SignedDuration::from_hours(hour)
}

fn shift(officer: i64, unit: UnitId, from: i64, to: i64) -> DutyShift {
    DutyShift { officer_id: OfficerId(officer), unit_id: unit, starts_at: at(from), ends_at: at(to) }
}

#[test]
fn picks_the_on_duty_officer_with_the_fewest_open_conversations() {
    let shifts = [shift(1, WARD, 0, 8), shift(2, WARD, 0, 8), shift(3, WARD, 0, 8)];
    let load = HashMap::from([(OfficerId(1), 4), (OfficerId(2), 1), (OfficerId(3), 2)]);
    assert_eq!(pick_assignee(&shifts, WARD, at(2), &load), Some(OfficerId(2)));
}

#[test]
fn ties_go_to_the_lowest_officer_id() {
    let shifts = [shift(7, WARD, 0, 8), shift(3, WARD, 0, 8), shift(5, WARD, 0, 8)];
    assert_eq!(pick_assignee(&shifts, WARD, at(2), &HashMap::new()), Some(OfficerId(3)));
    let load = HashMap::from([(OfficerId(3), 1)]);
    assert_eq!(pick_assignee(&shifts, WARD, at(2), &load), Some(OfficerId(5)), "missing load counts as none");
}

#[test]
fn only_officers_on_shift_in_that_unit_are_picked() {
    let shifts = [shift(1, WARD, 0, 8), shift(2, WARD, 8, 16), shift(3, OTHER_WARD, 0, 24)];
    assert_eq!(pick_assignee(&shifts, WARD, at(8), &HashMap::new()), Some(OfficerId(2)), "end is exclusive");
    assert_eq!(pick_assignee(&shifts, WARD, at(7), &HashMap::new()), Some(OfficerId(1)));
    assert_eq!(pick_assignee(&shifts, WARD, at(16), &HashMap::new()), None, "nobody on duty");
}

#[test]
fn a_shift_must_end_after_it_starts() {
    assert!(DutyShift::new(ALICE, WARD, at(8), at(8)).is_err());
    assert!(DutyShift::new(ALICE, WARD, at(8), at(7)).is_err());
    assert!(DutyShift::new(ALICE, WARD, at(8), at(20)).is_ok());
}

// ---- reply window (docs/zalo-oa.md §5.2) ----

#[test]
fn replies_are_free_for_48_hours() {
    let last = at(100);
    assert_eq!(reply_cost(last, at(100)), ReplyCost::Free { until: at(148) });
    assert_eq!(reply_cost(last, at(148)), ReplyCost::Free { until: at(148) });
    assert_eq!(reply_window(last, at(148)), ReplyWindow::Open { closes_at: at(268) });
}

#[test]
fn replies_are_billed_from_48_hours_to_7_days() {
    let last = at(100);
    assert_eq!(reply_cost(last, at(149)), ReplyCost::Billed { until: at(268) });
    assert_eq!(reply_window(last, at(268)), ReplyWindow::Open { closes_at: at(268) });
}

#[test]
fn the_window_closes_after_7_days() {
    let last = at(100);
    let just_after = at(268) + SignedDuration::from_secs(1);
    assert_eq!(reply_window(last, just_after), ReplyWindow::Closed);
    assert_eq!(reply_cost(last, just_after), ReplyCost::NotAllowed);
}

#[test]
fn the_window_never_overflows_at_the_end_of_time() {
    assert!(matches!(reply_window(Timestamp::MAX, Timestamp::MAX), ReplyWindow::Open { .. }));
}

// ---- canned replies ----

fn vars() -> CannedVars {
    CannedVars {
        citizen_name: Some("Nguyễn Văn An".into()),
        officer_name: Some("Trần Thị Bình".into()),
        unit_name: Some("Công an phường Ba Đình".into()),
        hotline: Some("0243 8234 567".into()),
    }
}

#[test]
fn canned_reply_fills_every_variable() {
    let out = render_canned("Chào {ten_cong_dan}, tôi là {ten_can_bo}, {ten_don_vi}. Cần gấp gọi {hotline}.", &vars())
        .unwrap();
    assert_eq!(out, "Chào Nguyễn Văn An, tôi là Trần Thị Bình, Công an phường Ba Đình. Cần gấp gọi 0243 8234 567.");
}

#[test]
fn unknown_canned_variable_is_an_error_naming_it() {
    let err = render_canned("Chào {ten_nguoi_dan}!", &vars()).unwrap_err();
    assert_eq!(err, CannedError::UnknownVariable { name: "ten_nguoi_dan".into() });
    assert!(err.to_string().contains("{ten_nguoi_dan}"), "{err}");
    assert!(validate_canned("{ hotline }").is_ok(), "spaces inside the braces are fine");
}

#[test]
fn unclosed_or_stray_braces_are_errors() {
    assert!(matches!(render_canned("Chào {ten_cong_dan", &vars()), Err(CannedError::Unclosed { .. })));
    assert!(matches!(render_canned("Chào {ten_{x}}", &vars()), Err(CannedError::Unclosed { .. })));
    assert_eq!(render_canned("a } b", &vars()), Err(CannedError::StrayClosingBrace));
}

#[test]
fn doubled_braces_are_literal() {
    assert_eq!(
        render_canned("{{ten_don_vi}} = {ten_don_vi}", &vars()).unwrap(),
        "{ten_don_vi} = Công an phường Ba Đình"
    );
}

#[test]
fn unknown_values_read_as_neutral_wording() {
    let out = render_canned(
        "Chào {ten_cong_dan}, gọi {hotline}.",
        &CannedVars { citizen_name: Some("  ".into()), ..CannedVars::default() },
    )
    .unwrap();
    assert_eq!(out, "Chào anh/chị, gọi số đường dây nóng của đơn vị.");
}

proptest! {
    #[test]
    fn canned_rendering_never_panics_and_plain_text_is_unchanged(template in "\\PC{0,60}", plain in "[^{}]{0,60}") {
        let _ = render_canned(&template, &vars());
        prop_assert_eq!(render_canned(&plain, &vars()), Ok(plain.clone()));
    }
}
