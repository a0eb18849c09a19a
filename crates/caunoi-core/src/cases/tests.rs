use super::*;
use crate::cases::clock::{Countdown, first_reply_due};
use crate::cases::duplicates::{Candidate, distance_m, is_duplicate, suggestions};

const DAY: i64 = 86_400_000_000;
/// 2026-12-06 09:00 in Vietnam.
const T0: i64 = 1_796_522_400_000_000;

#[test]
fn codes_are_read_as_people_type_them() {
    let code = CaseCode::from_random(0xABCD_EF12_3456);
    assert_eq!(code.as_str().len(), 12);
    assert!(code.as_str().starts_with("TB-"));
    for typed in [code.as_str().to_string(), code.as_str().to_lowercase(), code.as_str().replace('-', " ")] {
        assert_eq!(CaseCode::parse(&typed).unwrap(), code, "{typed}");
    }
    assert_eq!(CaseCode::parse(&code.as_str()[3..]).unwrap(), code, "without TB");
    assert_eq!(CaseCode::parse("tb-4kx9-m2qo").unwrap().as_str(), "TB-4KX9-M2Q0", "O read as zero");
    for bad in ["", "TB-4KX9", "TB-4KX9-M2QD-1", "TB-4KX9-M2Q!", "TB-4KX9-M2QU"] {
        assert!(CaseCode::parse(bad).is_err(), "{bad}");
    }
    assert_ne!(CaseCode::from_random(1), CaseCode::from_random(2));
}

#[test]
fn receipts_have_sixteen_digits_and_tolerate_separators() {
    let r = Receipt::from_random(u64::MAX);
    assert_eq!(r.digits().len(), 16);
    assert_eq!(Receipt::from_random(7).digits(), "0000000000000007");
    let grouped = r.grouped();
    assert_eq!(grouped.len(), 19);
    assert_eq!(Receipt::parse(&grouped).unwrap(), r);
    assert_eq!(Receipt::parse(&format!(" {} ", grouped.replace(' ', "-"))).unwrap(), r);
    let e = Receipt::parse("1234 5678 9012 345").unwrap_err();
    assert!(e.message.vi.contains("15"), "{}", e.message.vi);
    assert!(Receipt::parse("1234 5678 9012 345a").is_err());
    assert!(Receipt::parse("12345678901234567").is_err());
    assert!(r.is_in(&format!("ma cua toi la {grouped} nhe")));
    assert!(!r.is_in("ma cua toi la 1234"));
    assert_eq!(format!("{r:?}"), "Receipt(…)", "never printed");
}

#[test]
fn statuses_move_only_along_the_rules() {
    use Status::*;
    assert!(transition(New, Acknowledged).is_ok());
    assert!(transition(Acknowledged, Verifying).is_ok());
    assert!(transition(Verifying, Resolved).is_ok());
    assert!(transition(Resolved, Closed).is_ok());
    assert!(transition(Closed, Verifying).is_ok(), "reopen");
    assert_eq!(transition(New, Resolved), Err(TransitionError { from: New, to: Resolved }));
    assert!(transition(Closed, New).is_err());
    assert!(transition(Duplicate, Verifying).is_err(), "a merged case is not reopened on its own");
    for s in Status::ALL {
        assert!(transition(s, s).is_err(), "{s:?} to itself");
        assert_eq!(Status::parse(s.as_str()), Some(s));
        assert!(!next_statuses(s).is_empty(), "{s:?} is never a dead end");
    }
    assert!(TransitionError { from: New, to: Resolved }.message_vi().contains("Mới tiếp nhận"));
}

#[test]
fn citizens_are_told_the_unit_never_an_officer() {
    for s in Status::ALL {
        let text = s.citizen_vi("Công an phường Bãi Cháy");
        assert!(!text.is_empty());
        assert!(!s.citizen_en("Bai Chay ward police").is_empty());
    }
    assert!(Status::Acknowledged.citizen_vi("Công an phường Bãi Cháy").starts_with("Công an phường Bãi Cháy"));
}

#[test]
fn stored_names_round_trip() {
    for k in EventKind::ALL {
        assert_eq!(EventKind::parse(k.as_str()), Some(k));
        assert!(!k.label_vi().is_empty() && !k.label_en().is_empty());
    }
    for c in Channel::ALL {
        assert_eq!(Channel::parse(c.as_str()), Some(c));
    }
    for m in ReporterMode::ALL {
        assert_eq!(ReporterMode::parse(m.as_str()), Some(m));
    }
    assert!(EventKind::MessageOut.citizen_visible());
    assert!(!EventKind::Note.citizen_visible());
    assert!(!EventKind::IdentityViewed.citizen_visible());
    assert_eq!(Status::try_from("bogus".to_string()).unwrap_err().what, "case status");
}

#[test]
fn default_categories_are_sound() {
    let cats = default_categories();
    let keys: std::collections::HashSet<&str> = cats.iter().map(|c| c.key.as_str()).collect();
    assert_eq!(keys.len(), cats.len(), "keys are unique");
    for c in &cats {
        assert!(category::valid_key(&c.key), "{}", c.key);
        if c.is_sensitive() {
            assert!(!c.open311(), "{} is sensitive and must not be published", c.key);
        }
    }
    for kind in [
        "theft",
        "robbery",
        "fraud",
        "assault",
        "abuse",
        "drugs",
        "gambling",
        "racing",
        "noise",
        "wanted",
        "lost_property",
        "environment",
        "crime_tip",
        "other",
    ] {
        assert!(keys.contains(category_for_report(kind)), "{kind}");
    }
    for kind in ["fire", "rescue", "accident", "violence", "crime_in_progress", "call_for_help"] {
        assert!(keys.contains(category_for_emergency(kind).unwrap()), "{kind}");
    }
    assert_eq!(category_for_emergency("medical"), None);
    let by = |k: &str| cats.iter().find(|c| c.key == k).unwrap().clone();
    assert_eq!(by("denunciation").legal_days, Some(20));
    assert!(by("fire").urgent);
    assert!(by("noise").open311());
    assert!(by("noise").questions.iter().any(|q| q.required), "a public category with a required question");
    assert!(!by("drugs").open311());
}

#[test]
fn the_legal_clock_runs_twenty_days_and_extends_with_a_reason_up_to_two_months() {
    let clock = LegalClock::start(T0, Some(20));
    assert_eq!(clock.due(), Some(T0 + 20 * DAY));
    assert_eq!(clock.countdown(T0 + 8 * DAY), Countdown::Due(12 * DAY));
    assert_eq!(clock.countdown(T0 + 8 * DAY).label_vi(), "còn 12 ngày");
    assert!(matches!(clock.countdown(T0 + 20 * DAY - 3_600_000_000), Countdown::DueSoon(_)));
    assert_eq!(clock.countdown(T0 + 22 * DAY).label_vi(), "quá hạn 2 ngày");

    assert_eq!(clock.extend(T0 + 40 * DAY, "ngắn"), Err(ClockError::NoReason));
    assert_eq!(clock.extend(T0 + 10 * DAY, "cần giám định tài sản"), Err(ClockError::NotLater));
    assert_eq!(clock.extend(T0 + 70 * DAY, "cần giám định tài sản"), Err(ClockError::TooFar));
    let extended = clock.extend(T0 + 45 * DAY, "cần giám định tài sản").unwrap();
    assert_eq!(extended.due(), Some(T0 + 45 * DAY));
    assert!(extended.latest_extension() >= T0 + 59 * DAY && extended.latest_extension() <= T0 + 62 * DAY);

    assert_eq!(LegalClock::start(T0, None).due(), None);
    assert_eq!(LegalClock::start(T0, None).extend(T0 + DAY, "cần giám định tài sản"), Err(ClockError::NoDeadline));
}

#[test]
fn suspension_stops_the_clock_and_moves_the_deadline() {
    let clock = LegalClock::start(T0, Some(20));
    let paused = clock.suspend(T0 + 5 * DAY, "chờ kết quả giám định").unwrap();
    assert_eq!(paused.due(), None);
    assert_eq!(paused.countdown(T0 + 30 * DAY), Countdown::Paused);
    assert_eq!(paused.suspend(T0 + 6 * DAY, "chờ kết quả giám định"), Err(ClockError::AlreadySuspended));
    let resumed = paused.resume(T0 + 12 * DAY).unwrap();
    assert_eq!(resumed.due(), Some(T0 + 27 * DAY), "seven suspended days added");
    assert_eq!(resumed.resume(T0 + 13 * DAY), Err(ClockError::NotSuspended));
    // An extension after a suspension counts the suspension too.
    let extended = resumed.extend(T0 + 50 * DAY, "cần giám định tài sản").unwrap();
    assert_eq!(extended.due(), Some(T0 + 50 * DAY));
}

#[test]
fn acknowledgement_and_first_reply_targets() {
    let ack = AckClock::start(T0, 15);
    assert!(!ack.expired(T0 + 15 * 60_000_000));
    assert!(ack.expired(T0 + 15 * 60_000_000 + 1));
    assert_eq!(first_reply_due(T0), T0 + DAY);
}

#[test]
fn nearby_open_reports_of_the_same_category_are_suggested_nearest_first() {
    let here = (20.9573, 107.0436);
    // About 111 m per 0.001 degree of latitude.
    let near = (20.9583, 107.0436);
    let nearer = (20.9575, 107.0436);
    let far = (20.9613, 107.0436);
    assert!((distance_m(here, near) - 111.2).abs() < 1.0);
    let case = Candidate { id: CaseId(1), category: "fire", open: true, received_at: T0, point: Some(here) };
    let other =
        |id, category, open, received_at, point| Candidate { id: CaseId(id), category, open, received_at, point };
    let others = [
        other(2, "fire", true, T0 - 3_600_000_000, Some(near)),
        other(3, "fire", true, T0, Some(far)),
        other(4, "noise", true, T0, Some(near)),
        other(5, "fire", false, T0, Some(near)),
        other(6, "fire", true, T0 - 7 * 3_600_000_000, Some(near)),
        other(7, "fire", true, T0, None),
        other(8, "fire", true, T0, Some(nearer)),
        case,
    ];
    let ids: Vec<i64> = suggestions(&case, &others, true).iter().map(|c| c.id.0).collect();
    assert_eq!(ids, [8, 2]);
    assert!(is_duplicate(&case, &others[4], false), "a nuisance recurs over days");
}

#[test]
fn an_emergency_in_a_reports_text_is_recognised_and_a_calm_report_is_not() {
    assert!(super::is_emergency_text("có người đánh nhau cầm dao trước cổng chợ"));
    assert!(super::is_emergency_text("cháy nhà ở tổ 5, khói đen bốc cao"));
    assert!(!super::is_emergency_text("quán karaoke hát to sau 23 giờ nhiều ngày liền"));
    assert!(!super::is_emergency_text("tuần trước tôi bị mất xe máy ở bãi gửi xe"));
}

#[test]
fn the_digest_is_due_from_its_hour_in_vietnam_time() {
    use super::clock::digest_day;
    const H: i64 = 3_600_000_000;
    // 2026-12-07 00:00 UTC is 07:00 in Vietnam: day 20,794 since 1970.
    let midnight_utc = 20_794 * 24 * H;
    assert_eq!(digest_day(midnight_utc - 1, 7), None, "06:59:59 in Vietnam");
    assert_eq!(digest_day(midnight_utc, 7), Some(20_794));
    assert_eq!(digest_day(midnight_utc + 16 * H, 7), Some(20_794), "23:00 in Vietnam, same day");
    assert_eq!(digest_day(midnight_utc + 17 * H, 7), None, "00:00 of the next day in Vietnam");
    assert_eq!(digest_day(midnight_utc + 17 * H, 0), Some(20_795));
}
