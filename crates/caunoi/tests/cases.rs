//! The cases service: a case made from any channel is checked, gets a code (and a receipt
//! when the reporter needs one), keeps what its reporter mode allows and nothing more, and is
//! read only within scope. Runs on SQLite, and on PostgreSQL when `CAUNOI_TEST_DATABASE_URL`
//! is set.

use caunoi::cases::service::{self, NewCase, ReporterDetails};
use caunoi::error::ServiceError;
use caunoi_core::cases::{CaseCode, Channel, EventKind, ReporterMode, Status};
use caunoi_core::units::UnitId;
use caunoi_testkit::TestApp;
use std::collections::BTreeMap;

async fn unit(t: &TestApp, code: &str) -> UnitId {
    caunoi::units::service::locate(&t.app.db, code).await.expect("unit").expect("demo unit").0
}

fn report(unit: UnitId, category: &str, mode: ReporterMode) -> NewCase {
    report_at(unit, category, mode, "Số 12 đường Hạ Long, phường Bãi Cháy")
}

/// The case count (the demo seeds a few).
async fn count(t: &TestApp) -> i64 {
    caunoi::db_read!(&t.app.db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM cases").fetch_one(pool).await)
        .expect("count")
}

fn report_at(unit: UnitId, category: &str, mode: ReporterMode, address: &str) -> NewCase {
    NewCase {
        channel: Channel::WebForm,
        received_by: unit,
        category: category.into(),
        description: "Tối nào cũng có nhóm thanh niên hát karaoke đến 1 giờ sáng.".into(),
        point: None,
        address: Some(address.into()),
        place_unknown: false,
        occurred: Some("Tối qua".into()),
        attributes: BTreeMap::from([("source".to_string(), "karaoke".to_string())]),
        mode,
        reporter: ReporterDetails {
            name: Some("Nguyễn Văn An".into()),
            phone: Some("0912345678".into()),
            contact: None,
        },
        conversation: None,
        entered_by: None,
        urgent: false,
        own_alarm: false,
        media: vec![],
    }
}

#[tokio::test]
async fn each_reporter_mode_keeps_only_what_it_allows() {
    let t = TestApp::spawn().await;
    let ward = unit(&t, "qn-bai-chay").await;
    let scope = t.scope("canbo.baichay").await;

    let open = service::create(&t.app, report(ward, "noise", ReporterMode::Open)).await.expect("open report");
    let view = service::get(&t.app, &scope, open.id.0).await.expect("in scope");
    assert_eq!(view.status, Status::New);
    assert_eq!(view.channel, Channel::WebForm);
    assert_eq!(view.reporter.as_ref().and_then(|r| r.name.as_deref()), Some("Nguyễn Văn An"));
    assert!(!view.has_sealed_identity);
    assert!(open.receipt.is_some(), "a web form's reporter gets a receipt whatever the mode");

    let sealed = service::create(&t.app, report(ward, "drugs", ReporterMode::Sealed)).await.expect("sealed report");
    let view = service::get(&t.app, &scope, sealed.id.0).await.expect("in scope");
    assert!(view.reporter.is_none(), "a sealed identity is not shown");
    assert!(view.has_sealed_identity);
    let stored: (Option<String>, Option<String>, Option<String>) = caunoi::db_read!(&t.app.db, pool => sqlx::query_as(
        "SELECT reporter_name, reporter_phone, sealed_identity FROM cases WHERE id = $1"
    )
    .bind(sealed.id.0)
    .fetch_one(pool)
    .await)
    .expect("row");
    assert_eq!((stored.0, stored.1), (None, None), "no clear identity stored");
    let blob = stored.2.expect("sealed blob");
    assert!(!blob.contains("0912345678") && !blob.contains("An"), "encrypted");
    let opened: ReporterDetails =
        serde_json::from_slice(&t.app.secrets.decrypt(&blob).expect("opens with the instance key")).expect("json");
    assert_eq!(opened.phone.as_deref(), Some("0912345678"));

    let anonymous = service::create(&t.app, report(ward, "drugs", ReporterMode::Anonymous)).await.expect("anonymous");
    let receipt = anonymous.receipt.clone().expect("a receipt");
    let stored: (Option<String>, Option<String>, Option<String>, Option<String>) =
        caunoi::db_read!(&t.app.db, pool => sqlx::query_as(
        "SELECT reporter_name, reporter_phone, sealed_identity, receipt_hash FROM cases WHERE id = $1"
    )
    .bind(anonymous.id.0)
    .fetch_one(pool)
    .await)
        .expect("row");
    assert_eq!((stored.0, stored.1, stored.2), (None, None, None), "nothing about an anonymous reporter");
    let hash = stored.3.expect("the receipt's hash");
    assert!(!hash.contains(receipt.digits()));
    let found = service::by_receipt(&t.app, &receipt).await.expect("look-up").expect("found by its receipt");
    assert_eq!(found.id, anonymous.id);
    let wrong = caunoi_core::cases::Receipt::parse("0000 0000 0000 0001").unwrap();
    assert!(service::by_receipt(&t.app, &wrong).await.expect("look-up").is_none());
    let by_code = service::by_code(&t.app, &CaseCode::parse(&anonymous.code.as_str().to_lowercase()).unwrap())
        .await
        .expect("look-up")
        .expect("found by code");
    assert_eq!(by_code.id, anonymous.id);
}

#[tokio::test]
async fn a_case_starts_its_timeline_and_legal_clock() {
    let t = TestApp::spawn().await;
    let ward = unit(&t, "qn-bai-chay").await;
    let made = service::create(&t.app, report(ward, "drugs", ReporterMode::Open)).await.expect("report");
    let scope = t.scope("trucban.baichay").await;
    let view = service::get(&t.app, &scope, made.id.0).await.expect("in scope");
    assert_eq!(view.clock.legal_days, Some(20), "a tip has the 20-day legal clock");
    assert_eq!(view.clock.due(), Some(view.received_at + 20 * 86_400_000_000));
    let kinds: Vec<String> =
        service::timeline(&t.app, made.id).await.expect("timeline").into_iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [EventKind::Created.as_str(), EventKind::Routed.as_str()]);
    let noise = service::create(&t.app, report(ward, "noise", ReporterMode::Open)).await.expect("noise");
    let view = service::get(&t.app, &scope, noise.id.0).await.expect("in scope");
    assert_eq!(view.clock.due(), None, "noise has no legal deadline");
    let fire = service::create(&t.app, report(ward, "fire", ReporterMode::Open)).await.expect("fire");
    assert!(fire.urgent, "the category decides urgency");
}

#[tokio::test]
async fn bad_reports_are_refused_with_every_reason_and_nothing_is_stored() {
    let t = TestApp::spawn().await;
    let ward = unit(&t, "qn-bai-chay").await;
    let before = count(&t).await;
    let mut bad = report(ward, "no-such-category", ReporterMode::Open);
    bad.description = "   ".into();
    bad.point = Some((48.85, 2.35));
    let Err(ServiceError::Invalid(errs)) = service::create(&t.app, bad).await else { panic!("refused") };
    for field in ["category", "description", "location"] {
        assert!(errs.for_field(field).is_some(), "{field}: {errs}");
    }
    let mut missing = report(ward, "noise", ReporterMode::Open);
    missing.attributes.clear();
    let Err(ServiceError::Invalid(errs)) = service::create(&t.app, missing).await else { panic!("refused") };
    assert!(errs.for_field("attributes").is_some_and(|m| m.vi.contains("Nguồn gây ồn")), "{errs}");
    let mut wrong_choice = report(ward, "noise", ReporterMode::Open);
    wrong_choice.attributes.insert("source".into(), "<script>".into());
    assert!(service::create(&t.app, wrong_choice).await.is_err());
    let mut long = report(ward, "noise", ReporterMode::Open);
    long.description = "a".repeat(caunoi_core::cases::MAX_DESCRIPTION_CHARS + 1);
    assert!(service::create(&t.app, long).await.is_err());
    let mut sealed_nobody = report(ward, "drugs", ReporterMode::Sealed);
    sealed_nobody.reporter = ReporterDetails::default();
    assert!(service::create(&t.app, sealed_nobody).await.is_err(), "a sealed identity needs someone to seal");
    assert_eq!(count(&t).await, before);
}

/// The count of a board view for `scope`.
async fn board_count(t: &TestApp, scope: &caunoi_core::staff::Scope, view: &str, category: Option<&str>) -> i64 {
    service::board(&t.app, scope, view, category, None, 0).await.expect("board").1
}

#[tokio::test]
async fn cases_are_read_and_listed_only_within_scope() {
    let t = TestApp::spawn().await;
    let bai_chay = unit(&t, "qn-bai-chay").await;
    let hong_gai = unit(&t, "qn-hong-gai").await;
    let ward_officer = t.scope("canbo.baichay").await;
    let province_leader = t.scope("lanhdao.qn").await;
    let hong_gai_admin = t.scope("admin.honggai").await;
    let before_ward = board_count(&t, &ward_officer, "open", None).await;
    let before_province = board_count(&t, &province_leader, "open", None).await;
    let before_fire = board_count(&t, &province_leader, "all", Some("fire")).await;
    let before_hong_gai = board_count(&t, &hong_gai_admin, "all", None).await;

    let here = service::create(&t.app, report(bai_chay, "noise", ReporterMode::Open)).await.expect("report");
    let there =
        service::create(&t.app, report_at(hong_gai, "fire", ReporterMode::Open, "Chợ Hạ Long 1, phường Hồng Gai"))
            .await
            .expect("report");
    assert_eq!(there.unit, hong_gai, "routed by the typed address");

    assert!(service::get(&t.app, &ward_officer, here.id.0).await.is_ok());
    assert!(matches!(service::get(&t.app, &ward_officer, there.id.0).await, Err(ServiceError::NotFound)));
    assert!(matches!(service::get(&t.app, &hong_gai_admin, here.id.0).await, Err(ServiceError::NotFound)));
    let (rows, total) = service::board(&t.app, &ward_officer, "open", None, None, 0).await.expect("board");
    assert_eq!(total, before_ward + 1);
    assert!(rows.iter().any(|r| r.id == here.id.0));
    assert!(rows.iter().all(|r| r.id != there.id.0), "another ward's case is not listed");
    assert_eq!(board_count(&t, &hong_gai_admin, "all", None).await, before_hong_gai + 1);

    let (rows, total) = service::board(&t.app, &province_leader, "open", None, None, 0).await.expect("board");
    assert_eq!(total, before_province + 2);
    assert!(rows[0].urgent, "urgent first");
    assert_eq!(board_count(&t, &province_leader, "all", Some("fire")).await, before_fire + 1);

    let analyst = t.scope("phantich.qn").await;
    assert!(matches!(service::get(&t.app, &analyst, here.id.0).await, Err(ServiceError::NotFound)));
    assert!(service::board(&t.app, &analyst, "open", None, None, 0).await.is_err());
}

#[tokio::test]
async fn a_tip_past_its_twenty_days_shows_as_overdue_and_noise_never_does() {
    let t = TestApp::spawn().await;
    let ward = unit(&t, "qn-bai-chay").await;
    let scope = t.scope("canbo.baichay").await;
    let drugs = service::create(&t.app, report(ward, "drugs", ReporterMode::Open)).await.expect("report");
    let noise = service::create(&t.app, report(ward, "noise", ReporterMode::Open)).await.expect("report");
    let overdue_ids = |rows: Vec<caunoi::cases::store::BoardRow>| rows.into_iter().map(|r| r.id).collect::<Vec<_>>();
    let (rows, _) = service::board(&t.app, &scope, "overdue", None, None, 0).await.expect("board");
    assert!(!overdue_ids(rows).contains(&drugs.id.0));
    t.app.clock.advance(20 * 86_400 + 60);
    let (rows, _) = service::board(&t.app, &scope, "overdue", None, None, 0).await.expect("board");
    let ids = overdue_ids(rows);
    assert!(ids.contains(&drugs.id.0), "past its 20 days");
    assert!(!ids.contains(&noise.id.0), "noise has no legal deadline");
}

#[tokio::test]
async fn an_anonymous_phone_in_gets_a_receipt() {
    let t = TestApp::spawn().await;
    let ward = unit(&t, "qn-bai-chay").await;
    let mut phoned = report(ward, "drugs", ReporterMode::Anonymous);
    phoned.channel = Channel::Officer;
    let made = service::create(&t.app, phoned).await.expect("phone-in");
    let receipt = made.receipt.expect("an anonymous caller's only key");
    assert_eq!(service::by_receipt(&t.app, &receipt).await.expect("look-up").map(|c| c.id), Some(made.id));
    let mut open_call = report(ward, "drugs", ReporterMode::Open);
    open_call.channel = Channel::Officer;
    assert!(service::create(&t.app, open_call).await.expect("phone-in").receipt.is_none(), "the officer calls back");
}

/// The legal deadline as the database keeps it on the case (`legal_due_at`, what the overdue
/// tab and the digest read).
async fn stored_due(t: &TestApp, case: caunoi_core::cases::CaseId) -> Option<i64> {
    caunoi::db_read!(&t.app.db, pool => sqlx::query_scalar("SELECT legal_due_at FROM cases WHERE id = $1")
        .bind(case.0)
        .fetch_one(pool)
        .await)
    .expect("stored deadline")
}

/// A date as the extension form takes it: the day `at` falls on in Vietnam.
fn date_of(at: i64) -> String {
    jiff::Timestamp::from_microsecond(at).expect("time").to_zoned(caunoi::app::vietnam_tz()).date().to_string()
}

#[tokio::test]
async fn the_overdue_tab_follows_each_clock_through_extension_suspension_resumption_and_forwarding() {
    use caunoi::cases::handling;
    const DAY: i64 = 86_400;
    let t = TestApp::spawn().await;
    let ward = unit(&t, "qn-bai-chay").await;
    let leader = t.scope("lanhdao.qn").await;
    let mut made = Vec::new();
    for _ in 0..6 {
        made.push(service::create(&t.app, report(ward, "drugs", ReporterMode::Open)).await.expect("tip").id);
    }
    made.push(service::create(&t.app, report(ward, "noise", ReporterMode::Open)).await.expect("noise").id);
    let [plain, extended, suspended, resumed, forwarded, verifying, noise] = made[..] else { unreachable!() };
    let received = service::get(&t.app, &leader, plain.0).await.expect("case").received_at;
    let why = "Cần xác minh thêm với người làm chứng";

    // Day 2: one extended to day 40, one forwarded, one moved on; day 5: two suspended; day 15:
    // one of them resumed (its deadline moves by the ten days it stood still).
    t.app.clock.advance(2 * DAY);
    handling::extend(&t.app, &leader, extended.0, &date_of(received + 40 * 86_400_000_000), why).await.expect("extend");
    handling::forward(&t.app, &leader, forwarded.0, "qn-hong-gai", "Thuộc địa bàn Hồng Gai").await.expect("forward");
    handling::acknowledge(&t.app, &leader, verifying.0).await.expect("acknowledge");
    handling::change_status(&t.app, &leader, verifying.0, "verifying", "").await.expect("verifying");
    t.app.clock.advance(3 * DAY);
    handling::suspend(&t.app, &leader, suspended.0, why).await.expect("suspend");
    handling::suspend(&t.app, &leader, resumed.0, why).await.expect("suspend");
    t.app.clock.advance(10 * DAY);
    handling::resume(&t.app, &leader, resumed.0, why).await.expect("resume");

    // Days 16 (no legal deadline passed), 22 (the twenty days), 32 (the resumed one's thirty), 45
    // (the extension's forty).
    let mut seen_overdue = Vec::new();
    for step in [DAY, 6 * DAY, 10 * DAY, 13 * DAY] {
        t.app.clock.advance(step);
        let now = t.app.clock.now_micros();
        let mut expected = Vec::new();
        for &case in &made {
            let view = service::get(&t.app, &leader, case.0).await.expect("case");
            assert_eq!(stored_due(&t, case).await, view.clock.due(), "the stored deadline of {}", view.code.as_str());
            let ack_late = view.status == Status::New && view.ack_due_at.is_some_and(|due| due < now);
            if view.status.is_open() && (view.clock.countdown(now).is_overdue() || ack_late) {
                expected.push(case.0);
            }
        }
        let (rows, count) = service::board(&t.app, &leader, "overdue", None, None, 0).await.expect("board");
        let mut listed: Vec<i64> = rows.iter().map(|r| r.id).filter(|id| made.iter().any(|m| m.0 == *id)).collect();
        listed.sort_unstable();
        expected.sort_unstable();
        assert_eq!(listed, expected, "the overdue tab at {} days", (now - received) / 86_400_000_000);
        assert!(count >= expected.len() as i64);
        seen_overdue.extend(expected);
    }
    // Each clock was overdue at some step except the suspended one's and the noise's, which
    // never are; the extension and the resumption were overdue only later than the plain tip.
    for case in [plain, extended, resumed, forwarded, verifying] {
        assert!(seen_overdue.contains(&case.0), "{case:?} became overdue");
    }
    assert!(!seen_overdue.contains(&suspended.0) && !seen_overdue.contains(&noise.0));
    let first = |case: caunoi_core::cases::CaseId| seen_overdue.iter().position(|id| *id == case.0).expect("seen");
    assert!(first(plain) < first(resumed) && first(resumed) < first(extended));
}
