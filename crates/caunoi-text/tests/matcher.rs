//! Behaviour of the matcher on a small knowledge base written for these tests.

use caunoi_text::abbrev::Abbreviations;
use caunoi_text::eval::{Question, evaluate};
use caunoi_text::matcher::{Decision, FaqDoc, HandOffReason, Matcher, MatcherConfig};
use caunoi_text::safety::{EmergencyKind, ReportKind};

fn doc(id: &str, title: &str, questions: &[&str]) -> FaqDoc {
    FaqDoc {
        id: id.to_owned(),
        title: title.to_owned(),
        questions: questions.iter().map(|q| (*q).to_owned()).collect(),
        answer: String::new(),
        referral: false,
    }
}

fn base() -> Vec<FaqDoc> {
    vec![
        doc(
            "can-cuoc.le-phi",
            "Lệ phí cấp, đổi, cấp lại thẻ căn cước",
            &[
                "làm căn cước hết bao nhiêu tiền",
                "lệ phí cấp lại căn cước",
                "phí đổi thẻ căn cước",
                "cccd mất làm lại tốn bao nhiêu",
            ],
        ),
        doc(
            "can-cuoc.cap-lai-mat-hong",
            "Cấp lại thẻ căn cước bị mất, hư hỏng",
            &["mất căn cước làm lại ở đâu", "thẻ căn cước bị gãy làm lại thế nào", "đánh rơi thẻ căn cước"],
        ),
        doc(
            "cu-tru.tam-tru.dang-ky",
            "Đăng ký tạm trú",
            &[
                "đăng ký tạm trú cần giấy tờ gì",
                "thuê trọ có phải đăng ký tạm trú không",
                "đăng ký tạm trú online trên vneid",
            ],
        ),
        doc(
            "ho-chieu.cap-moi",
            "Làm hộ chiếu phổ thông",
            &["làm hộ chiếu ở đâu", "làm passport lần đầu cần gì", "đăng ký hộ chiếu online"],
        ),
        doc(
            "bao-tin.to-giac-toi-pham",
            "Cách trình báo, tố giác tội phạm, vụ việc",
            &["thủ tục tố giác tội phạm", "muốn báo án thì đến đâu", "trình báo mất trộm ở đâu"],
        ),
        doc(
            "pccc.khi-co-chay",
            "Xử lý khi xảy ra cháy, thoát nạn",
            &["khi có cháy thì phải làm gì", "cách thoát nạn khi cháy nhà", "sử dụng bình chữa cháy thế nào"],
        ),
        doc(
            "xe.dang-ky-lan-dau",
            "Đăng ký xe mới mua, cấp biển số",
            &["mua xe máy mới đăng ký ở đâu", "đăng ký xe lần đầu cần giấy tờ gì", "bấm biển số xe mới"],
        ),
    ]
}

fn matcher() -> Matcher {
    Matcher::build(base(), &Abbreviations::builtin(), MatcherConfig::default())
}

fn answered(d: &Decision) -> Option<&str> {
    d.answered_id()
}

fn ranked_first(m: &Matcher, text: &str) -> Option<String> {
    m.rank(text, 3).first().map(|c| c.id.clone())
}

#[test]
fn accented_fee_question_is_answered_with_the_fee_entry() {
    let d = matcher().decide("Làm lại căn cước thì lệ phí bao nhiêu?");
    assert_eq!(answered(&d), Some("can-cuoc.le-phi"), "{d:?}");
}

#[test]
fn unaccented_fee_question_finds_fee_entry() {
    let m = matcher();
    assert_eq!(ranked_first(&m, "lam lai can cuoc le phi bao nhieu"), Some("can-cuoc.le-phi".to_owned()));
    assert!(
        !matches!(m.decide("lam lai can cuoc le phi bao nhieu"), Decision::Answer { ref id, .. } if id != "can-cuoc.le-phi")
    );
}

#[test]
fn teencode_question_is_expanded_and_matched() {
    let m = matcher();
    assert_eq!(ranked_first(&m, "dk tt can giay to j ad"), Some("cu-tru.tam-tru.dang-ky".to_owned()));
    assert_eq!(ranked_first(&m, "lm ho chieu o dau v"), Some("ho-chieu.cap-moi".to_owned()));
}

#[test]
fn typos_and_tone_placement_do_not_break_matching() {
    let m = matcher();
    assert_eq!(ranked_first(&m, "dang ky tam truu can giay tof gi"), Some("cu-tru.tam-tru.dang-ky".to_owned()));
    assert_eq!(ranked_first(&m, "đăng kí tạm trú cần giấy tờ gì"), Some("cu-tru.tam-tru.dang-ky".to_owned()));
    assert_eq!(ranked_first(&m, "đượcccc đăng kýyyy tạm trú khôngggg"), Some("cu-tru.tam-tru.dang-ky".to_owned()));
}

#[test]
fn teencode_glued_words_and_drawn_out_letters_are_read() {
    let m = matcher();
    // An abbreviation glued to a word, a glued pair of abbreviations, newer teencode.
    assert_eq!(ranked_first(&m, "lamcccd het bnhiu tien"), Some("can-cuoc.le-phi".to_owned()));
    assert_eq!(ranked_first(&m, "dkttru can j ad"), Some("cu-tru.tam-tru.dang-ky".to_owned()));
    assert_eq!(ranked_first(&m, "cccddd bi gay lm lai the nao"), Some("can-cuoc.cap-lai-mat-hong".to_owned()));
    assert_eq!(ranked_first(&m, "phi lam can cuoc bao nhieuuu"), Some("can-cuoc.le-phi".to_owned()));
    // Read as "làm căn cước công dân hết bao nhiêu tiền", the glued message scores like the
    // spaced one (within the exact-level share), well above its reading without abbreviations.
    let top = |m: &Matcher, text: &str| m.rank(text, 1).first().map_or(0.0, |c| c.score);
    let plain = Matcher::build(base(), &Abbreviations::empty(), MatcherConfig::default());
    let (glued, spaced) = (top(&m, "lamcccd het bnhiu tien"), top(&m, "lam cccd het bnhiu tien"));
    assert!((glued - spaced).abs() < 0.05, "glued {glued}, spaced {spaced}");
    assert!(glued > top(&plain, "lamcccd het bnhiu tien") + 0.1);
}

#[test]
fn fire_in_progress_is_emergency_not_answer() {
    let d = matcher().decide("nhà hàng xóm đang cháy, khói mù mịt");
    assert_eq!(d, Decision::Emergency { kind: EmergencyKind::Fire });
}

#[test]
fn fire_safety_question_reaches_the_faq() {
    let m = matcher();
    assert_eq!(ranked_first(&m, "khi có cháy thì phải làm gì"), Some("pccc.khi-co-chay".to_owned()));
    assert!(!matches!(m.decide("khi có cháy thì phải làm gì"), Decision::Emergency { .. }));
}

#[test]
fn crime_statement_starts_a_report() {
    assert_eq!(matcher().decide("tôi vừa bị cướp giật túi xách"), Decision::Report { kind: ReportKind::Robbery });
}

#[test]
fn reporting_procedure_question_is_answered_not_reported() {
    let d = matcher().decide("thủ tục tố giác tội phạm như thế nào");
    assert_eq!(answered(&d), Some("bao-tin.to-giac-toi-pham"), "{d:?}");
}

#[test]
fn off_topic_question_is_not_answered() {
    let m = matcher();
    for text in ["giá vàng hôm nay bao nhiêu", "cach nau pho bo ngon", "thời tiết ngày mai thế nào"] {
        assert!(answered(&m.decide(text)).is_none(), "{text}");
    }
}

#[test]
fn garbage_input_hands_off() {
    let m = matcher();
    let hand_off = |reason| Decision::HandOff { reason };
    assert_eq!(m.decide(""), hand_off(HandOffReason::Empty));
    assert_eq!(m.decide("   \n\t "), hand_off(HandOffReason::Empty));
    assert_eq!(m.decide("😀😀🙏🔥"), hand_off(HandOffReason::Empty));
    assert_eq!(m.decide(&"căn cước ".repeat(12_000)), hand_off(HandOffReason::TooLong));
    assert_eq!(m.decide("这是中文问题吗请回答"), hand_off(HandOffReason::UnsupportedScript));
    assert_eq!(m.decide("làm căn cước 这是中文问题吗请回答"), hand_off(HandOffReason::UnsupportedScript));
    let binary: String = (0u8..=255).map(|b| b as char).chain(std::iter::repeat_n('\u{FFFD}', 50)).collect();
    assert_eq!(m.decide(&binary), hand_off(HandOffReason::Unreadable));
    assert!(matches!(m.decide("qwxz vbnm kjhg"), Decision::HandOff { .. }));
}

#[test]
fn clarification_offers_at_most_three_candidates() {
    let m = matcher();
    for text in ["căn cước", "đăng ký", "làm lại", "ở đâu"] {
        if let Decision::Clarify { candidates } = m.decide(text) {
            assert!(!candidates.is_empty() && candidates.len() <= 3, "{text}");
        }
    }
}

#[test]
fn empty_index_never_answers() {
    let m = Matcher::build(Vec::new(), &Abbreviations::builtin(), MatcherConfig::default());
    assert_eq!(m.decide("làm căn cước ở đâu"), Decision::HandOff { reason: HandOffReason::LowConfidence });
}

#[test]
fn evaluation_counts_ranking_and_decisions() {
    let questions = vec![
        Question {
            text: "lệ phí làm căn cước".into(), expected: "can-cuoc.le-phi".into(), group: "accented".into()
        },
        Question { text: "lam ho chieu o dau".into(), expected: "ho-chieu.cap-moi".into(), group: "unaccented".into() },
        Question { text: "giá vàng hôm nay".into(), expected: "__none__".into(), group: "oos".into() },
    ];
    let report = evaluate(&matcher(), &questions);
    assert_eq!(report.n, 3);
    assert_eq!(report.in_scope, 2);
    assert!((report.top1 - 1.0).abs() < 1e-9);
    assert!(report.oos_answered.abs() < 1e-9);
    assert_eq!(report.by_group.len(), 3);
    assert!(report.latency_us.p99 >= report.latency_us.p50);
    assert!(report.render_text(true).contains("top-1"));
}

fn with_referral() -> Vec<FaqDoc> {
    let mut docs = base();
    let mut land = doc(
        "chuyen-tiep.dat-dai",
        "Cấp sổ đỏ, tranh chấp đất đai (UBND và Văn phòng đăng ký đất đai)",
        &["làm sổ đỏ ở đâu", "tranh chấp đất đai với hàng xóm báo ai", "sang tên sổ đỏ thủ tục thế nào"],
    );
    land.referral = true;
    docs.push(land);
    docs
}

#[test]
fn referral_entry_yields_refer_not_answer() {
    let m = Matcher::build(with_referral(), &Abbreviations::builtin(), MatcherConfig::default());
    let d = m.decide("làm sổ đỏ ở đâu");
    assert!(
        matches!(&d, Decision::Refer { id, candidates, .. } if id == "chuyen-tiep.dat-dai" && candidates[0].id == *id)
    );
    assert_eq!(d.answered_id(), None);
    assert_eq!(d.referred_id(), Some("chuyen-tiep.dat-dai"));
    assert!(m.is_referral_id("chuyen-tiep.dat-dai"));
    assert!(!m.is_referral_id("ho-chieu.cap-moi"));
    // Ordinary entries are still answered.
    assert_eq!(answered(&m.decide("làm hộ chiếu ở đâu")), Some("ho-chieu.cap-moi"));
    let json = serde_json::to_value(&d).expect("serialize");
    assert_eq!(json["decision"], "refer");
    assert_eq!(json["id"], "chuyen-tiep.dat-dai");
}

#[test]
fn referral_rule_follows_category_or_id() {
    use caunoi_text::matcher::is_referral;
    assert!(is_referral("Chuyển tiếp", "dat-dai"));
    assert!(is_referral("Khác", "chuyen-tiep.thue"));
    assert!(!is_referral("Cư trú", "cu-tru.tam-tru.dang-ky"));
}

#[test]
fn evaluation_counts_referrals_apart_from_answers() {
    let m = Matcher::build(with_referral(), &Abbreviations::builtin(), MatcherConfig::default());
    let questions = vec![
        Question { text: "làm sổ đỏ ở đâu".into(), expected: "__none__".into(), group: "oos".into() },
        Question {
            text: "làm sổ đỏ ở đâu".into(), expected: "chuyen-tiep.dat-dai".into(), group: "accented".into()
        },
        Question {
            text: "làm hộ chiếu ở đâu".into(), expected: "ho-chieu.cap-moi".into(), group: "accented".into()
        },
    ];
    let report = evaluate(&m, &questions);
    assert_eq!(report.referred, 2);
    assert_eq!(report.decisions.refer, 2);
    assert_eq!(report.decisions.answer, 1);
    assert!(report.oos_answered.abs() < 1e-9, "a referral is not a false accept");
    assert!((report.answered_precision - 1.0).abs() < 1e-9);
    assert!((report.coverage - 1.0).abs() < 1e-9, "the right referral covers its question");
    assert!(report.misses.is_empty());
}

#[test]
fn unaccented_question_is_restored_from_the_knowledge_base() {
    let m = matcher();
    assert_eq!(m.restore_diacritics("lam ho chieu o dau"), "làm hộ chiếu ở đâu");
    assert_eq!(m.restore_diacritics("dang ky tam tru can giay to gi"), "đăng kí tạm trú cần giấy tờ gì");
    // Typed diacritics and unknown words are kept.
    assert_eq!(m.restore_diacritics("làm passport"), "làm passport");
    // The unaccented question is still matched on the folded level.
    assert_eq!(ranked_first(&m, "dang ky tam tru can giay to gi").as_deref(), Some("cu-tru.tam-tru.dang-ky"));
}

#[test]
fn restored_syllables_can_count_on_the_exact_level() {
    let config = MatcherConfig { restored_trust: 1.0, ..MatcherConfig::default() };
    let m = Matcher::build(base(), &Abbreviations::builtin(), config);
    assert_eq!(answered(&m.decide("lam ho chieu o dau")), Some("ho-chieu.cap-moi"));
    assert_eq!(ranked_first(&m, "mat can cuoc lam lai o dau").as_deref(), Some("can-cuoc.cap-lai-mat-hong"));
}

#[test]
fn close_runner_up_relative_to_the_top_score_blocks_an_answer() {
    let text = "làm hộ chiếu ở đâu";
    let strict = MatcherConfig { answer_relative_margin: 0.99, ..MatcherConfig::default() };
    let m = Matcher::build(base(), &Abbreviations::builtin(), strict);
    let ranked = m.rank(text, 2);
    assert_eq!(ranked.len(), 2, "the test needs a runner-up");
    assert!(!matches!(m.decide(text), Decision::Answer { .. }));
    assert_eq!(answered(&matcher().decide(text)), Some("ho-chieu.cap-moi"));
}

/// The base plus two entries that share one paraphrase word for word ("hết hạn tạm trú thì
/// sao") and use "tạm trú" equally often; only the fines entry's other paraphrases say "phạt".
fn fines_next_to_a_duty() -> Vec<FaqDoc> {
    let mut docs = base();
    docs.push(doc(
        "cu-tru.xu-phat",
        "Phạt vi phạm tạm trú",
        &["hết hạn tạm trú thì sao", "không đăng ký tạm trú bị phạt", "mức phạt về tạm trú", "phạt tạm trú quá hạn"],
    ));
    docs.push(doc(
        "cu-tru.tam-tru.gia-han",
        "Gia hạn tạm trú",
        &["hết hạn tạm trú thì sao", "gia hạn tạm trú ở đâu", "gia hạn tạm trú online", "hồ sơ tạm trú nộp lại"],
    ));
    docs
}

fn margin_of(m: &Matcher, text: &str, id: &str) -> f32 {
    let ranked = m.rank(text, 10);
    let own = ranked.iter().find(|c| c.id == id).map_or(0.0, |c| c.score);
    let best_other = ranked.iter().filter(|c| c.id != id).map(|c| c.score).fold(0.0f32, f32::max);
    own - best_other
}

#[test]
fn entry_distinguishing_terms_widen_the_lead_of_the_entry_that_owns_them() {
    let text = "het han tam tru thi sao co bi phat khong";
    let with_lift = Matcher::build(fines_next_to_a_duty(), &Abbreviations::builtin(), MatcherConfig::default());
    let without = MatcherConfig { w_lift: 0.0, ..MatcherConfig::default() };
    let no_lift = Matcher::build(fines_next_to_a_duty(), &Abbreviations::builtin(), without);
    assert_eq!(ranked_first(&with_lift, text), Some("cu-tru.xu-phat".to_owned()));
    let (lead, lead_without) =
        (margin_of(&with_lift, text, "cu-tru.xu-phat"), margin_of(&no_lift, text, "cu-tru.xu-phat"));
    assert!(lead > lead_without, "lead with the channel {lead}, without {lead_without}");
    // A message without the distinguishing word stays a tie-break the channel cannot decide
    // for the fines entry.
    assert!(margin_of(&with_lift, "het han tam tru thi sao", "cu-tru.xu-phat") < lead);
}

#[test]
fn the_answer_threshold_drops_for_long_messages_within_a_cap() {
    let c = MatcherConfig {
        answer_threshold: 0.45,
        answer_length_slope: 0.02,
        answer_length_max_discount: 0.16,
        ..MatcherConfig::default()
    };
    let pivot = caunoi_text::matcher::ANSWER_LENGTH_PIVOT;
    assert_eq!(c.answer_threshold_for(0), 0.45);
    assert_eq!(c.answer_threshold_for(pivot), 0.45);
    assert!((c.answer_threshold_for(pivot + 3) - 0.39).abs() < 1e-6);
    assert!((c.answer_threshold_for(pivot + 100) - 0.29).abs() < 1e-6, "capped");
    let flat = MatcherConfig { answer_length_slope: 0.0, ..c.clone() };
    assert_eq!(flat.answer_threshold_for(pivot + 100), 0.45);
}

/// A config whose answer threshold sits just above `text`'s top score, with no margin rule.
fn just_above(m: &Matcher, text: &str, slope: f32) -> MatcherConfig {
    let top = m.rank(text, 1).first().map_or(0.0, |c| c.score);
    MatcherConfig {
        answer_threshold: top + 0.01,
        answer_margin: 0.0,
        answer_relative_margin: 0.0,
        answer_length_slope: slope,
        answer_length_max_discount: 0.05,
        ..MatcherConfig::default()
    }
}

#[test]
fn a_long_question_is_answered_below_the_short_question_threshold() {
    let m = matcher();
    let long = "cho em hỏi là em đang ở trọ gần trường đại học thì đăng ký tạm trú cần giấy tờ gì ạ";
    assert!(m.query_syllables(long) > caunoi_text::matcher::ANSWER_LENGTH_PIVOT + 5);
    let expected = ranked_first(&m, long);
    assert_eq!(expected.as_deref(), Some("cu-tru.tam-tru.dang-ky"));
    let flat = Matcher::build(base(), &Abbreviations::builtin(), just_above(&m, long, 0.0));
    assert!(!matches!(flat.decide(long), Decision::Answer { .. }), "held to the full threshold");
    let discounted = Matcher::build(base(), &Abbreviations::builtin(), just_above(&m, long, 0.01));
    assert_eq!(answered(&discounted.decide(long)), expected.as_deref());
    // A short message at its own score gets no discount.
    let short = "đăng ký tạm trú";
    assert!(m.query_syllables(short) <= caunoi_text::matcher::ANSWER_LENGTH_PIVOT);
    let short_m = Matcher::build(base(), &Abbreviations::builtin(), just_above(&m, short, 0.01));
    assert!(!matches!(short_m.decide(short), Decision::Answer { .. }));
}

#[test]
fn a_long_story_is_answered_from_its_last_sentence_when_both_readings_agree() {
    let docs = base();
    let abbrev = Abbreviations::builtin();
    let story = "Nhà em dự định hè này cho cả nhà đi du lịch nước ngoài, vợ chồng em đã bàn mãi mà chưa \
                 chốt được ngày đi, còn phải xin nghỉ phép với công ty nữa. Cho em hỏi làm hộ chiếu ở đâu ạ?";
    let focused = Matcher::build(docs.clone(), &abbrev, MatcherConfig::default());
    let whole_only =
        Matcher::build(docs, &abbrev, MatcherConfig { focus_min_syllables: 0, ..MatcherConfig::default() });
    assert!(
        !matches!(whole_only.decide(story), Decision::Answer { .. }),
        "the whole story alone is answered: {:?}",
        whole_only.decide(story)
    );
    match focused.decide(story) {
        Decision::Answer { id, .. } => assert_eq!(id, "ho-chieu.cap-moi"),
        other => panic!("not answered from the last sentence: {other:?}"),
    }
    // A short message is never split.
    let short = "đi du lịch. làm hộ chiếu ở đâu";
    assert_eq!(focused.decide(short), whole_only.decide(short));
}

#[test]
fn a_close_sibling_runner_up_does_not_block_an_answer_the_words_tell_apart() {
    // Margins no message can pass: only the sibling rule can answer.
    let strict = MatcherConfig { answer_relative_margin: 0.99, ..MatcherConfig::default() };
    let abbrev = Abbreviations::builtin();
    let m = Matcher::build(fines_next_to_a_duty(), &abbrev, strict.clone());
    let text = "gia hạn tạm trú online ở đâu vậy";
    let f = m.answer_features(text);
    assert_eq!(f.top.as_deref(), Some("cu-tru.tam-tru.gia-han"));
    assert!(f.same_family && f.agreement == 3, "{f:?}");
    assert!(f.pair_evidence >= strict.sibling_evidence && f.pair_extremes.1 >= -strict.sibling_counter, "{f:?}");
    assert_eq!(answered(&m.decide(text)), Some("cu-tru.tam-tru.gia-han"));
    let off = MatcherConfig { sibling_evidence: f32::INFINITY, ..strict.clone() };
    let off = Matcher::build(fines_next_to_a_duty(), &abbrev, off);
    assert!(!matches!(off.decide(text), Decision::Answer { .. }), "{:?}", off.decide(text));
    // A word that the runner-up's paraphrases have and the first entry's lack ("gia hạn" for
    // the extension entry) keeps the question open once it weighs more than `sibling_counter`.
    let torn = "gia hạn tạm trú hay đăng ký tạm trú mới cần giấy tờ gì";
    let g = m.answer_features(torn);
    assert!(g.same_family && g.pair_extremes.1 < -1.0 && g.pair_extremes.1 > -2.5, "{g:?}");
    assert!(matches!(m.decide(torn), Decision::Answer { .. }), "answered at the default counter of 2.5");
    let wary = Matcher::build(fines_next_to_a_duty(), &abbrev, MatcherConfig { sibling_counter: 1.0, ..strict });
    assert!(!matches!(wary.decide(torn), Decision::Answer { .. }), "{:?}", wary.decide(torn));
}
