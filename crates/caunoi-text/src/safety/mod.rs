//! Safety rules that run before any FAQ answer: emergencies and crime reports.
//!
//! A message describing an emergency (a fire, a fight, someone unconscious or bleeding, a
//! serious accident, a crime in progress, a call for help) gets [`Safety::Emergency`], whose
//! kind names the number to call first ([`EmergencyKind::services`]); a statement that the
//! sender or someone else has been a crime victim, or wants to report a crime, gets
//! [`Safety::Report`]. The bot turns these into emergency guidance (113/114/115) or the report
//! flow; they are never answered from the knowledge base, and nothing here depends on the
//! knowledge base or on the FAQ thresholds.
//!
//! The rules are data: `rules.txt` (embedded) lists patterns in accented Vietnamese under
//! sections, and its header explains the pattern syntax (folded matching, `!` for syllables too
//! ambiguous without accents, `~` exclusions, masks). How the sections combine, in order:
//!
//! 1. A message is *calm* when it asks in general or about the law ("khi có cháy thì…",
//!    "cách sơ cứu", "bị phạt"), or, with no sign that anything is happening now ("đang",
//!    "nhanh lên", a call for help), when it is about papers and procedures ("căn cước bị cháy
//!    làm lại"), asks for information ("ở đâu", "bao nhiêu") or is about the past and the
//!    news ("vụ cháy hôm qua"); someone still trapped ("còn kẹt dưới đống đổ nát sau vụ sập
//!    tường") is not the past. A habit or a state of days ("đêm nào cũng la hét đập đồ", "mấy
//!    ngày nay") is calm even with a sign of now, unless the sender pleads for help ("nhanh
//!    lên"). A calm message is no emergency.
//! 2. Otherwise each kind is an emergency when one of its *sure* patterns matches ("cháy nhà",
//!    "bất tỉnh", "cầm dao"), or an *ongoing* one with a sign that it is happening now
//!    ("đang đánh", "trộm đang …") or in an exclamation of a few words ("cướp!", "tai nạn
//!    giao thông"). A traffic accident needs someone hurt, a sign that it is happening now,
//!    or to be told as a statement, not a question, that does not call it mild.
//! 3. When several kinds match, the most specific wins: fire, then rescue (someone in the
//!    water, trapped in a lift or under a collapse, locked in a car, on a roof in a flood;
//!    unless already pulled out, which is medical), accident, medical, violence, crime in
//!    progress; someone trapped or cut off by a flood with none of these and a sign that it
//!    is happening now is a rescue too; a call for help ("cứu với") without any of them is
//!    [`EmergencyKind::CallForHelp`], unless it is about papers ("cứu em với, hồ sơ …"),
//!    second hand (a song, a scam call: section `media`) or a habit. So "cháy nhà rồi cứu
//!    với" is a fire (114) and "bạn tôi uống thuốc sâu, cứu với" is medical (115).
//! 4. Words that are an emergency only when typed without accents and nothing else points
//!    elsewhere ("chay" is cháy, chạy or chay; "ngat" is ngất, ngắt or ngạt) count last, and
//!    not in a yes/no question ("xe buýt có chạy ngày lễ không").
//! 5. Failing all that, a statement of a crime or a public-order problem is a report, of the
//!    most specific [`ReportKind`] that matches, unless it is a legal or general question or
//!    about papers and follow-ups ("mất căn cước làm lại thế nào", "đã nộp đơn tố giác").
//!    A question about reporting stays an FAQ question ("bị trộm xe rồi trình báo ở đâu")
//!    unless it is anchored in a time, something of the sender's or a wish to report ("nhà em
//!    bị trộm mất xe máy đêm qua, báo công an thế nào").
//! 6. Last, a statistical second opinion (`second_opinion.rs`: a multinomial logistic regression
//!    over words, word pairs and character n-grams, trained at start on the development sets,
//!    the blind training sets and the FAQ questions) completes the verdict, each action only
//!    above its own probability (`Policy::CHOSEN`): it adds an emergency the rules missed
//!    (not in what the rules call hypothetical, conditional, second hand or about papers, nor
//!    in a message of a few words, and surer where the rules saw no sign of one at all; "đang"
//!    is left to the rules, it is no feature of the model), gives a rule emergency other numbers,
//!    clears a rule emergency when sure the message is nothing, adds a report the rules missed
//!    in a statement (surer in one that asks), and clears a report of a message that asks. It
//!    never turns an emergency into a report. The probabilities were chosen by cross-validation
//!    and on the blind rounds held out (unit test `second_opinion_cross_validation`,
//!    BENCHMARKS.md).
//!
//! Measured on `kb/emergency_dev.json` and `kb/emergency_holdout.json` by
//! `tests/emergencies.rs` (BENCHMARKS.md, "Emergency detection") and on `kb/report_dev.json`
//! and `kb/report_holdout.json` by `tests/reports.rs` ("Report recognition"). Cost: one pass
//! over the message with one hash look-up per syllable; the rules are parsed once.

mod rules;
mod second_opinion;
mod spelling;

use std::sync::LazyLock;

use serde::Serialize;

use crate::abbrev::Abbreviations;
use crate::normalize::analyze;
use rules::{Found, Rules, Section, Syllable};
use second_opinion::{Guess, Label, Model, Training};

/// What kind of emergency a message describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EmergencyKind {
    /// A fire, smoke, an explosion or a gas leak happening now (114).
    Fire,
    /// Violence in progress: a fight, a weapon, a kidnapping (113).
    Violence,
    /// Someone unconscious, not breathing, bleeding heavily, poisoned, a suicide attempt
    /// (115).
    Medical,
    /// Someone to be rescued (cứu nạn, cứu hộ): drowning or swept away, trapped in a lift, a
    /// collapsed building, a landslide, a vehicle under water or on a roof in a flood, fallen
    /// into a well, a child locked in a car (114, then 115 for the injured).
    Rescue,
    /// A serious traffic accident: someone hurt or trapped (115, then 113).
    Accident,
    /// A theft, robbery or break-in happening now (113).
    CrimeInProgress,
    /// A call for help without more detail ("cứu với") (113).
    CallForHelp,
}

/// An emergency service (số khẩn cấp).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EmergencyService {
    /// Công an, 113.
    Police,
    /// Cứu nạn, cứu hộ, chữa cháy, 114.
    FireRescue,
    /// Cấp cứu y tế, 115.
    Ambulance,
}

impl EmergencyService {
    /// The three services, in the order of their numbers.
    pub const ALL: [EmergencyService; 3] =
        [EmergencyService::Police, EmergencyService::FireRescue, EmergencyService::Ambulance];

    /// The number to call.
    pub fn number(self) -> &'static str {
        match self {
            EmergencyService::Police => "113",
            EmergencyService::FireRescue => "114",
            EmergencyService::Ambulance => "115",
        }
    }
}

impl EmergencyKind {
    /// Every kind.
    pub const ALL: [EmergencyKind; 7] = [
        EmergencyKind::Fire,
        EmergencyKind::Violence,
        EmergencyKind::Medical,
        EmergencyKind::Rescue,
        EmergencyKind::Accident,
        EmergencyKind::CrimeInProgress,
        EmergencyKind::CallForHelp,
    ];

    /// The snake_case name, as serialized ("fire", "crime_in_progress").
    pub fn as_str(self) -> &'static str {
        match self {
            EmergencyKind::Fire => "fire",
            EmergencyKind::Violence => "violence",
            EmergencyKind::Medical => "medical",
            EmergencyKind::Rescue => "rescue",
            EmergencyKind::Accident => "accident",
            EmergencyKind::CrimeInProgress => "crime_in_progress",
            EmergencyKind::CallForHelp => "call_for_help",
        }
    }

    /// The services to call, the first one first. An accident names the ambulance before
    /// the police: someone is hurt, and the duty officer is alerted by the bot anyway. A
    /// rescue is the fire and rescue police's (Cảnh sát PCCC và CNCH, 114), then the
    /// ambulance for whoever is hurt.
    pub fn services(self) -> &'static [EmergencyService] {
        use EmergencyService::*;
        match self {
            EmergencyKind::Fire => &[FireRescue],
            EmergencyKind::Medical => &[Ambulance],
            EmergencyKind::Rescue => &[FireRescue, Ambulance],
            EmergencyKind::Accident => &[Ambulance, Police],
            EmergencyKind::Violence | EmergencyKind::CrimeInProgress | EmergencyKind::CallForHelp => &[Police],
        }
    }

    /// The numbers of [`EmergencyKind::services`], joined: "114", "115, 113".
    pub fn numbers(self) -> String {
        self.services().iter().map(|s| s.number()).collect::<Vec<_>>().join(", ")
    }
}

/// What a citizen reports (tin báo): the case categories of the report flow map from these.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    /// Trộm cắp: trộm, móc túi, cạy cửa, mất xe.
    Theft,
    /// Cướp, cướp giật, trấn lột.
    Robbery,
    /// Lừa đảo, chiếm đoạt tài sản qua mạng hoặc điện thoại.
    Fraud,
    /// Đánh nhau, hành hung, đe dọa, đòi nợ thuê, tín dụng đen, gây rối.
    Assault,
    /// Bạo lực gia đình, xâm hại, quấy rối.
    Abuse,
    /// Ma túy: sử dụng, tụ tập sử dụng, mua bán.
    Drugs,
    /// Cờ bạc, cá độ, lô đề.
    Gambling,
    /// Đua xe, bốc đầu, lạng lách.
    Racing,
    /// Tiếng ồn: karaoke, loa quá giờ, mất trật tự ban đêm.
    Noise,
    /// Someone seen who is wanted (đối tượng truy nã).
    Wanted,
    /// Lost or found property and papers (nhặt được, đánh rơi, mất giấy tờ, ví).
    LostProperty,
    /// Môi trường: xả rác, chất thải, khói, ô nhiễm.
    Environment,
    /// Any other tip about crime or public order: buôn lậu, mại dâm, vũ khí, đối tượng khả nghi.
    CrimeTip,
    /// A wish to report (tố giác, trình báo) without a recognised type.
    Other,
}

impl ReportKind {
    /// Every kind.
    pub const ALL: [ReportKind; 14] = [
        ReportKind::Theft,
        ReportKind::Robbery,
        ReportKind::Fraud,
        ReportKind::Assault,
        ReportKind::Abuse,
        ReportKind::Drugs,
        ReportKind::Gambling,
        ReportKind::Racing,
        ReportKind::Noise,
        ReportKind::Wanted,
        ReportKind::LostProperty,
        ReportKind::Environment,
        ReportKind::CrimeTip,
        ReportKind::Other,
    ];

    /// The snake_case name, as serialized ("theft", "lost_property").
    pub fn as_str(self) -> &'static str {
        match self {
            ReportKind::Theft => "theft",
            ReportKind::Robbery => "robbery",
            ReportKind::Fraud => "fraud",
            ReportKind::Assault => "assault",
            ReportKind::Abuse => "abuse",
            ReportKind::Drugs => "drugs",
            ReportKind::Gambling => "gambling",
            ReportKind::Racing => "racing",
            ReportKind::Noise => "noise",
            ReportKind::Wanted => "wanted",
            ReportKind::LostProperty => "lost_property",
            ReportKind::Environment => "environment",
            ReportKind::CrimeTip => "crime_tip",
            ReportKind::Other => "other",
        }
    }
}

/// The outcome of the safety rules for one message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", content = "kind", rename_all = "snake_case")]
pub enum Safety {
    /// An emergency: give emergency guidance, never an FAQ answer.
    Emergency(EmergencyKind),
    /// A crime report: start the report flow, never an FAQ answer.
    Report(ReportKind),
}

const RULES_TEXT: &str = include_str!("rules.txt");

/// The embedded rule file; a unit test checks that it parses, so the empty fallback is never
/// used in practice.
static RULES: LazyLock<Rules> = LazyLock::new(|| Rules::parse(RULES_TEXT).unwrap_or_else(|_| Rules::empty()));

/// The built-in abbreviation list, parsed once (a deployment's own list may differ; emergencies
/// must not depend on it).
static ABBREVIATIONS: LazyLock<Abbreviations> = LazyLock::new(Abbreviations::builtin);

/// Builds the rules and trains the second opinion now (1–2 s in a release build, about 17,300
/// labelled messages) instead of on the first message: a server calls it at start, off its
/// async threads, so no citizen's message waits for it.
pub fn warm_up() {
    LazyLock::force(&RULES);
    LazyLock::force(&MODEL);
}

/// Runs the safety rules on a raw message (normalization and the built-in abbreviation list),
/// then the second opinion (`second_opinion`) on their verdict, then each sentence on its own
/// when something in the message calmed it ([`sentence_emergency`]). The matcher and the bot
/// both call it, before any FAQ matching.
pub fn assess(text: &str) -> Option<Safety> {
    assess_with_doubt(text).verdict
}

/// [`assess`] without the second opinion: the rules' verdict alone. For measurements
/// (`examples/safety_eval.rs --rules-alone`), not for deciding.
pub fn assess_rules_alone(text: &str) -> Option<Safety> {
    read_text(text).and_then(|r| r.verdict)
}

/// A raw message's syllables as the rules read them (normalized, the built-in abbreviations
/// expanded) and whether it contains "?".
fn syllables_of(text: &str) -> (Vec<String>, bool) {
    let analysis = analyze(text);
    (ABBREVIATIONS.expand_all(&analysis.syllables), analysis.question_mark)
}

/// [`read`] on a raw message.
fn read_text(text: &str) -> Option<Reading> {
    let (syllables, question_mark) = syllables_of(text);
    read(&syllables, question_mark)
}

/// [`assess`]'s verdict, and whether a message it calls no emergency may still be one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Assessment {
    /// What [`assess`] says.
    pub verdict: Option<Safety>,
    /// No emergency by the verdict, but the second opinion gives all emergency kinds together
    /// at least [`POSSIBLE_EMERGENCY`], or the rules found an emergency's own words (a kind's
    /// sure words, a call for help) in a statement that the context calmed; never in a general
    /// or legal question, the news, a film or a game ("khi có cháy thì gọi số nào", "phim có
    /// cảnh cháy nổ"). The bot then adds the three numbers to its ordinary reply, alarming
    /// nobody: an emergency the rules and the model missed still shows the citizen where to
    /// call (measured in BENCHMARKS.md, "Emergency detection": most of the misses left, about
    /// one near-miss in ten, about one FAQ question in a hundred).
    pub may_be_emergency: bool,
}

/// [`assess`] with [`Assessment::may_be_emergency`], in one reading of the message.
pub fn assess_with_doubt(text: &str) -> Assessment {
    use Section::*;
    let Some(read) = read_text(text) else {
        return Assessment { verdict: None, may_be_emergency: false };
    };
    let guess = MODEL.guess(&read.features);
    let mut verdict = second_opinion(read.verdict, &guess, read.found, read.shape, Policy::CHOSEN);
    if !matches!(verdict, Some(Safety::Emergency(_)))
        && read.found.any(&CALM_IN_ONE_SENTENCE)
        && guess.nothing() < Policy::CHOSEN.clear_emergency
        && let Some(kind) = sentence_emergency(text, read.found)
    {
        verdict = Some(Safety::Emergency(kind));
    }
    let calm_anyway = matches!(verdict, Some(Safety::Emergency(_))) || read.found.any(&[Hypothetical, Media]);
    let (_, _, emergency) = guess.emergency();
    let words =
        read.found.any(&[FireSure, FireSmoke, MedicalSure, ViolenceSure, CrimeSure, AccidentSure, RescueSure, Help]);
    // As in `second_opinion`, the model says nothing of a message of a few words ("1", "ok").
    let model = !read.shape.short && emergency >= POSSIBLE_EMERGENCY;
    let may_be_emergency = !calm_anyway && (model || (words && !read.shape.asking));
    Assessment { verdict, may_be_emergency }
}

/// What calms a message in its own sentence only: a question in general or about the law, a
/// condition, the news or a film, papers, a request for information.
const CALM_IN_ONE_SENTENCE: [Section; 5] =
    [Section::Hypothetical, Section::Conditional, Section::Media, Section::Procedure, Section::Inquiry];

/// A question, the news or papers in one sentence do not calm another that tells what is
/// happening now ("Bình chữa cháy dùng thế nào? Chảo dầu nhà tôi vừa bắt lửa, lửa bén lên tủ
/// bếp rồi", "Đang xem thời sự thì thấy khói ở nhà đối diện. Lửa đang cháy rèm tầng 2", blind
/// training set F3): in a message of several sentences (split at . ? ! ; and line breaks), each
/// (and, when the message has a sign of now and no news or call second hand, each clause: split
/// at commas and "thì"; never in a scam's story) is read on its own with the whole message's
/// time frame (the past and habits hold across sentences: "Hôm qua nhà bên bị cháy. Lửa cao
/// lắm" stays calm, and so does whose smoke it is: "Họ đốt rác. Khói bay vào nhà"), and the
/// first emergency of a kind with its own words is the message's. Not a bare call for help: "Cứu em với ad ơi. Em
/// quên mật khẩu VNeID" is about papers; nor a sentence of a few words, which counts only as
/// the whole message.
fn sentence_emergency(text: &str, whole: Found) -> Option<EmergencyKind> {
    use Section::*;
    // A scam's story ("gọi điện nói con bị tai nạn… bị lừa") is no emergency in any part.
    if whole.has(ReportFraud) {
        return None;
    }
    // With a sign that something is happening now, clauses too ("Em định hỏi thủ tục trình báo
    // thì thấy nhà bên cạnh đang bốc lửa"); not with the news or a call second hand, whose
    // clauses tell what someone else said ("có người gọi bảo con tôi đang cấp cứu, bắt chuyển
    // tiền gấp").
    let clauses = whole.any(&[Now, Help, Urgent]) && !whole.has(Media);
    let sentences: Vec<&str> = text
        .split(|c: char| matches!(c, '.' | '?' | '!' | ';' | '\n') || (clauses && c == ','))
        .flat_map(|s| if clauses { s.split(" thì ").collect::<Vec<_>>() } else { vec![s] })
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if sentences.len() < 2 {
        return None;
    }
    let rules = &*RULES;
    sentences.into_iter().find_map(|sentence| {
        let (syllables, question_mark) = syllables_of(sentence);
        let message = spelling::prepare(&syllables, rules);
        if message.is_empty() {
            return None;
        }
        let found = rules.scan(&message).with(whole, &[Past, Habitual, FireBurning]);
        match decide(found, false, question_mark, ends_as_question(&message)) {
            Some(Safety::Emergency(kind)) if kind != EmergencyKind::CallForHelp => Some(kind),
            _ => None,
        }
    })
}

/// The second opinion's probability of an emergency above which [`may_be_emergency`] holds.
const POSSIBLE_EMERGENCY: f32 = 0.3;

/// A message as the rules read it: their verdict and what the second opinion needs.
struct Reading {
    verdict: Option<Safety>,
    found: Found,
    shape: Shape,
    features: Vec<second_opinion::Feature>,
}

/// What the second opinion needs to know of a message's form.
#[derive(Clone, Copy, Debug, Default)]
struct Shape {
    /// A question mark or a yes/no question ending.
    asking: bool,
    /// A few words ([`has_few_words`]): the second opinion adds nothing to it ("đang chờ", "xe
    /// máy", "đang bị khóa", "gặp cán bộ", "mất entry").
    short: bool,
}

fn read(syllables: &[String], question_mark: bool) -> Option<Reading> {
    let rules = &*RULES;
    let message = spelling::prepare(syllables, rules);
    if message.is_empty() {
        return None;
    }
    let found = rules.scan(&message);
    let short = is_short(&message, rules);
    let yes_no = ends_as_question(&message);
    Some(Reading {
        verdict: decide(found, short, question_mark, yes_no),
        found,
        shape: Shape {
            asking: question_mark || yes_no,
            short: has_few_words(&message, rules) || (found.is_empty() && names_a_police_unit(&message)),
        },
        features: second_opinion::features(&message, question_mark || yes_no),
    })
}

/// The labelled sets the second opinion is trained on (never the holdouts): the development
/// sets the rules were tuned on, and the blind writers' training sets E1–E4 and F1–F7
/// (emergencies) and R1, R2 (reports), and blind sets D and E (both), each run once with the
/// rules before it became training data (BENCHMARKS.md).
const EMERGENCY_SETS: [&str; 14] = [
    include_str!("../../../../kb/emergency_dev.json"),
    include_str!("../../../../kb/emergency_train_e1.json"),
    include_str!("../../../../kb/emergency_train_e2.json"),
    include_str!("../../../../kb/emergency_train_e3.json"),
    include_str!("../../../../kb/emergency_train_e4.json"),
    include_str!("../../../../kb/emergency_blindD.json"),
    include_str!("../../../../kb/emergency_blindE.json"),
    include_str!("../../../../kb/emergency_train_f1.json"),
    include_str!("../../../../kb/emergency_train_f2.json"),
    include_str!("../../../../kb/emergency_train_f3.json"),
    include_str!("../../../../kb/emergency_train_f4.json"),
    include_str!("../../../../kb/emergency_train_f5.json"),
    include_str!("../../../../kb/emergency_train_f6.json"),
    include_str!("../../../../kb/emergency_train_f7.json"),
];
const REPORT_SETS: [&str; 5] = [
    include_str!("../../../../kb/report_dev.json"),
    include_str!("../../../../kb/report_train_r1.json"),
    include_str!("../../../../kb/report_train_r2.json"),
    include_str!("../../../../kb/report_blindD.json"),
    include_str!("../../../../kb/report_blindE.json"),
];
/// FAQ questions, all of them neither an emergency nor a report (but the few out-of-scope
/// emergencies the emergency sets hold): the FAQ blind sets A and B are kept out, to check the
/// model on questions it has not seen.
const QUESTION_SETS: [&str; 3] = [
    include_str!("../../../../kb/dev_questions.json"),
    include_str!("../../../../kb/holdout_questions.json"),
    include_str!("../../../../kb/unseen_questions.json"),
];

/// The second opinion, trained once on the labelled sets.
static MODEL: LazyLock<Model> =
    LazyLock::new(|| Model::train(&training_examples(&EMERGENCY_SETS, &REPORT_SETS, &QUESTION_SETS), Training::CHOSEN));

/// (features, label) of every message of the emergency sets, the report sets and the question
/// sets (JSON texts).
fn training_examples(
    emergency_sets: &[&str],
    report_sets: &[&str],
    question_sets: &[&str],
) -> Vec<(Vec<second_opinion::Feature>, Label)> {
    let mut out = Vec::new();
    let mut labelled = rustc_hash::FxHashSet::default();
    for set in emergency_sets {
        for fields in second_opinion::json_objects(set, &["text", "expected"]) {
            if let [Some(text), Some(label)] = &fields[..]
                && let Some(label) = Label::parse(label)
            {
                out.push((text_features(text), label));
                labelled.insert(text.clone());
            }
        }
    }
    for set in question_sets {
        for fields in second_opinion::json_objects(set, &["text"]) {
            if let Some(text) = &fields[0]
                && !labelled.contains(text)
            {
                out.push((text_features(text), Label::Nothing));
            }
        }
    }
    for set in report_sets {
        for fields in second_opinion::json_objects(set, &["text", "report"]) {
            let label = match &fields[1] {
                Some(kind) => Label::parse(&format!("report:{kind}")),
                None => Some(Label::Nothing),
            };
            if let (Some(text), Some(label)) = (&fields[0], label) {
                out.push((text_features(text), label));
            }
        }
    }
    out
}

fn text_features(text: &str) -> Vec<second_opinion::Feature> {
    read_text(text).map(|r| r.features).unwrap_or_default()
}

/// What the second opinion may change in the rules' verdict, and how sure it must be (a
/// probability; above 1 is off). Chosen by cross-validation (`second_opinion_cross_validation`).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Policy {
    /// Add an emergency where the rules saw none (or a report), when all emergency kinds
    /// together have at least this probability, the message is not one of a few words and it
    /// passes [`Policy::gate`]...
    add_emergency: f32,
    /// ... or this one, when the rules saw no sign of an emergency at all ([`SIGNS`]: no word
    /// of any kind, no call for help, no sign of now).
    add_unsigned_emergency: f32,
    /// Change a rule emergency's kind to one with other numbers when the model gives that kind
    /// at least this probability.
    change_kind: f32,
    /// Add a report where the rules saw nothing, in a statement (no question without an
    /// anchor, nothing hypothetical, no papers or follow-up), when all report kinds together
    /// have at least this probability.
    add_report: f32,
    /// ... and this one, in a message that asks without an anchor ("e bị chôm mất con ip 13 ở
    /// quán net, giờ e phải làm gì ạ").
    add_asked_report: f32,
    /// Clear a rule's report of a message that asks, when the model gives "nothing" at least
    /// this probability.
    clear_report: f32,
    /// Clear a rule's emergency when the model gives "nothing" at least this probability.
    clear_emergency: f32,
    gate: Gate,
    report_gate: ReportGate,
}

/// Which statements the model may make a report of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(not(test), allow(dead_code))]
enum ReportGate {
    /// Any statement.
    Statement,
    /// A statement in which the rules saw a sign of a report: a report kind's word or an
    /// anchor (a time, something of the sender's, a wish to report).
    StatementWithSign,
}

/// The sections that are a sign of a report for [`ReportGate::StatementWithSign`].
const REPORT_SIGNS: [Section; 15] = {
    use Section::*;
    [
        ReportRobbery,
        ReportTheft,
        ReportFraud,
        ReportAssault,
        ReportAbuse,
        ReportDrugs,
        ReportGambling,
        ReportRacing,
        ReportNoise,
        ReportWanted,
        ReportLostProperty,
        ReportEnvironment,
        ReportCrimeTip,
        ReportOther,
        ReportAnchor,
    ]
};

/// A probability never reached: the action is off.
#[cfg_attr(not(test), allow(dead_code))]
const OFF: f32 = 2.0;

/// Which messages are kept from the model's emergencies, whatever its probability. Only
/// [`Policy::CHOSEN`]'s is used; the cross-validation test measures the others.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(not(test), allow(dead_code))]
enum Gate {
    /// None.
    Open,
    /// What the rules call hypothetical, conditional, second hand or about papers (a game, the
    /// news, a deadline joke).
    SecondHand,
}

/// The sections that are a sign of an emergency for [`Policy::add_unsigned_emergency`]. Not
/// `help.short`: the model adds nothing to a short message, and in a longer one "cứ" is no plea
/// ("em cứ với tay lấy là được").
const SIGNS: [Section; 22] = {
    use Section::*;
    [
        FireSure,
        FireSmoke,
        FireBurning,
        FireAmbiguous,
        FireOngoing,
        MedicalSure,
        MedicalAmbiguous,
        ViolenceSure,
        ViolenceOngoing,
        CrimeSure,
        CrimeOngoing,
        AccidentSure,
        AccidentEvent,
        AccidentSevere,
        RescueSure,
        RescueOngoing,
        RescueTrapped,
        RescuePlace,
        RescueDone,
        Help,
        Now,
        Urgent,
    ]
};

impl Policy {
    const CHOSEN: Policy = Policy {
        add_emergency: 0.7,
        add_unsigned_emergency: 0.95,
        change_kind: 0.7,
        clear_emergency: 0.9,
        add_report: 0.7,
        add_asked_report: 0.95,
        clear_report: 0.8,
        gate: Gate::SecondHand,
        report_gate: ReportGate::Statement,
    };
}

/// The rules' verdict, completed by the model as [`Policy`] allows.
fn second_opinion(
    verdict: Option<Safety>,
    guess: &Guess,
    found: Found,
    shape: Shape,
    policy: Policy,
) -> Option<Safety> {
    use Section::*;
    if let Some(Safety::Emergency(kind)) = verdict {
        if guess.nothing() >= policy.clear_emergency {
            return None;
        }
        let (best, p, _) = guess.emergency();
        // A rescue the rules found by its own words is more specific than the medical
        // emergency inside it (someone outside a bridge railing about to jump: blind set D);
        // the model does not make it medical.
        // Someone locked in and threatened ("bị nhốt ở tầng hầm, họ đe dọa tôi", blind set E)
        // needs the police, not the fire and rescue police the model reads in "nhốt … hầm".
        let demoted = (kind == EmergencyKind::Rescue && best == EmergencyKind::Medical)
            || (kind == EmergencyKind::CallForHelp && best == EmergencyKind::Rescue && found.has(ReportAssault));
        if best.services() != kind.services() && p >= policy.change_kind && !demoted {
            return Some(Safety::Emergency(best));
        }
        return verdict;
    }
    let gated = match policy.gate {
        Gate::Open => false,
        Gate::SecondHand => found.any(&[Hypothetical, Conditional, Media, Procedure]),
    };
    let (kind, _, emergency) = guess.emergency();
    let needed = if found.any(&SIGNS) { policy.add_emergency } else { policy.add_unsigned_emergency };
    // A message of a few words is the rules' ("cháy!", "cướp"): the sets' short messages are
    // nearly all emergencies, so to the model "đang chờ" or "xe máy" looked like one.
    if !gated && !shape.short && emergency >= needed {
        return Some(Safety::Emergency(kind));
    }
    let possible = !shape.short && !found.any(&[Hypothetical, ReportNot]);
    let asked = (shape.asking || found.has(Question)) && !found.has(ReportAnchor);
    let sign = match policy.report_gate {
        ReportGate::Statement => true,
        ReportGate::StatementWithSign => found.any(&REPORT_SIGNS),
    };
    if verdict.is_none() && possible && sign {
        let (kind, _, report) = guess.report();
        if report >= if asked { policy.add_asked_report } else { policy.add_report } {
            return Some(Safety::Report(kind));
        }
    }
    if matches!(verdict, Some(Safety::Report(_))) && shape.asking && guess.nothing() >= policy.clear_report {
        return None;
    }
    verdict
}

/// The kinds with their sections (but the ambiguous ones), most specific first.
const KINDS: [(EmergencyKind, &[Section]); 6] = [
    (EmergencyKind::Fire, &[Section::FireSure, Section::FireSmoke, Section::FireOngoing]),
    (EmergencyKind::Rescue, &[Section::RescueSure]),
    (EmergencyKind::Accident, &[Section::AccidentSure, Section::AccidentEvent]),
    (EmergencyKind::Medical, &[Section::MedicalSure]),
    (EmergencyKind::Violence, &[Section::ViolenceSure, Section::ViolenceOngoing]),
    (EmergencyKind::CrimeInProgress, &[Section::CrimeSure, Section::CrimeOngoing]),
];

/// The report kinds with their sections, most specific first.
const REPORTS: [(ReportKind, Section); 14] = [
    (ReportKind::Wanted, Section::ReportWanted),
    (ReportKind::Robbery, Section::ReportRobbery),
    (ReportKind::Theft, Section::ReportTheft),
    (ReportKind::Fraud, Section::ReportFraud),
    (ReportKind::Abuse, Section::ReportAbuse),
    (ReportKind::Drugs, Section::ReportDrugs),
    (ReportKind::Gambling, Section::ReportGambling),
    (ReportKind::Racing, Section::ReportRacing),
    (ReportKind::Assault, Section::ReportAssault),
    (ReportKind::Noise, Section::ReportNoise),
    (ReportKind::Environment, Section::ReportEnvironment),
    (ReportKind::LostProperty, Section::ReportLostProperty),
    (ReportKind::CrimeTip, Section::ReportCrimeTip),
    (ReportKind::Other, Section::ReportOther),
];

fn decide(found: Found, short: bool, question_mark: bool, yes_no: bool) -> Option<Safety> {
    use Section::*;
    let hard = found.any(&[Hypothetical, Conditional, Media]);
    let question = question_mark || yes_no || found.has(Question);
    let help = found.has(Help) || (short && found.has(HelpShort));
    let now = found.has(Now) || help || short;
    // Someone still trapped under or inside something ("còn kẹt dưới đống đổ nát sau vụ sập
    // tường") is happening now whatever past event caused it, unless it is asked about.
    let trapped =
        found.has(RescueTrapped) && found.any(&[RescueSure, RescuePlace]) && !found.has(RescueDone) && !question;
    // Something that happens every night or has for days ("đêm nào cũng la hét đập đồ", "mấy
    // ngày nay") is a report, not an emergency, unless the sender pleads for help now.
    let habitual = found.has(Habitual) && !found.has(Urgent);
    let calm = hard
        || habitual
        || (found.any(&[Procedure, Inquiry]) && !(found.has(Now) || help))
        || (found.has(Past) && !(found.has(Now) || help || trapped));
    if !calm {
        let is_emergency = |kind: EmergencyKind| match kind {
            // Smoke from open burning (đốt rơm rạ, lò gạch) is pollution, not a fire.
            EmergencyKind::Fire => {
                found.has(FireSure)
                    || (!found.has(FireBurning) && (found.has(FireSmoke) || (now && found.has(FireOngoing))))
            }
            // Someone hurt, or an accident told as a statement that does not call it mild.
            EmergencyKind::Accident => {
                found.has(AccidentSure)
                    || (found.has(AccidentEvent)
                        && (now || found.has(AccidentSevere) || !(question || found.has(AccidentMask))))
            }
            // Someone already pulled out of the water ("vớt lên không thở") is the ambulance's.
            EmergencyKind::Rescue => found.has(RescueSure) && !found.has(RescueDone),
            EmergencyKind::Medical => found.has(MedicalSure),
            EmergencyKind::Violence => found.has(ViolenceSure) || (now && found.has(ViolenceOngoing)),
            EmergencyKind::CrimeInProgress => found.has(CrimeSure) || (now && found.has(CrimeOngoing)),
            EmergencyKind::CallForHelp => false,
        };
        if let Some((kind, _)) = KINDS.iter().find(|(kind, _)| is_emergency(*kind)) {
            // Someone hurt by violence that is still going on ("đang chém nhau, máu me"): the
            // police first; hurt by violence that is over ("bị đâm chảy máu"): the ambulance.
            if *kind == EmergencyKind::Medical && (found.has(Now) || help) && is_emergency(EmergencyKind::Violence) {
                return Some(Safety::Emergency(EmergencyKind::Violence));
            }
            return Some(Safety::Emergency(*kind));
        }
        // "xe buýt có chay ngày lễ không": in a yes/no question the ambiguous word is rather
        // the everyday one (chạy, ngắt).
        let asking = question_mark || yes_no;
        for (kind, ambiguous) in [(EmergencyKind::Fire, FireAmbiguous), (EmergencyKind::Medical, MedicalAmbiguous)] {
            let elsewhere = KINDS.iter().filter(|(k, _)| *k != kind).any(|(_, sections)| found.any(sections));
            if found.has(ambiguous) && !elsewhere && !asking {
                return Some(Safety::Emergency(kind));
            }
        }
    }
    // Someone trapped somewhere (a lift, a collapse, a flood), or trapped, in the water or cut
    // off with a sign that it is happening now, and nothing more specific: a rescue, unless it
    // is about papers ("hồ sơ đang bị kẹt") without a call for help.
    if !calm && !found.has(RescueDone) && (help || found.has(Urgent) || !found.any(&[Procedure, Inquiry])) {
        let trapped = found.has(RescueTrapped);
        if (trapped && found.has(RescuePlace)) || (now && (trapped || found.has(RescueOngoing))) {
            return Some(Safety::Emergency(EmergencyKind::Rescue));
        }
    }
    // Papers do not make a call for help calm when the sender pleads ("bị giữ hộ chiếu, không cho
    // về, xin cứu") or is threatened ("không cho tôi về, giữ chứng minh thư, dọa đánh").
    let papers = found.has(Procedure) && !found.any(&[Urgent, ReportAssault]);
    if help && !habitual && !papers && !found.any(&[Hypothetical, Conditional, Media]) {
        return Some(Safety::Emergency(EmergencyKind::CallForHelp));
    }
    // A condition tells a report ("bị cướp khi đi làm về") unless it is asked as a question,
    // which the question test below already catches.
    if found.any(&[Hypothetical, ReportNot]) || (question && !found.has(ReportAnchor)) {
        return None;
    }
    REPORTS.iter().find(|(_, section)| found.has(*section)).map(|(kind, _)| Safety::Report(*kind))
}

/// A message of at most [`SHORT_MESSAGE`] syllables besides fillers ("cướp!", "cháy ơi", "tai nạn
/// giao thông"), without a passive "bị" (a victim's statement, "bị trộm", is a report).
fn is_short(message: &[Syllable<'_>], rules: &Rules) -> bool {
    let passive = message.iter().any(|s| s.folded == "bi" && (!s.accented || s.exact == "bị"));
    !passive && has_few_words(message, rules)
}

/// At most [`SHORT_MESSAGE`] syllables besides fillers, whatever they are ("đang bị khóa").
fn has_few_words(message: &[Syllable<'_>], rules: &Rules) -> bool {
    (0..message.len()).filter(|&i| !rules.is_word_of(Section::Filler, message, i)).count() <= SHORT_MESSAGE
}

/// A message that only names a police unit, as a greeting or to find it ("Công an xã Ba Chẽ",
/// "cong an phuong bai chay oi"): with nothing the rules recognise in it, the second opinion
/// adds nothing to it either (to the model a place name can look like anything).
fn names_a_police_unit(message: &[Syllable<'_>]) -> bool {
    let words: Vec<&str> = message.iter().map(|s| s.folded.as_ref()).collect();
    words.len() <= 8 && words.starts_with(&["cong", "an"])
}

/// Most syllables of a message read as an exclamation (see [`is_short`]).
const SHORT_MESSAGE: usize = 4;

/// "… có … không" / "… chưa" at the end of a message is a yes/no question.
fn ends_as_question(message: &[Syllable<'_>]) -> bool {
    let tail: Vec<&str> = message.iter().rev().take(3).map(|s| s.folded.as_ref()).collect();
    let is_particle = |w: &str| matches!(w, "khong" | "chua" | "ko" | "k" | "ha" | "sao" | "nhi");
    tail.first().is_some_and(|w| is_particle(w))
        || (tail.len() >= 2 && matches!(tail[0], "a" | "ad" | "admin" | "vay" | "nhe") && is_particle(tail[1]))
}

/// For rule authors: what the rules make of one message, pattern by pattern: the verdict, the
/// syllables as the rules read them, which patterns fired, the rules' verdict alone and the
/// second opinion's best emergency and report kinds with their margins. Used by
/// `cargo run -p caunoi-text --example explain_safety -- "nha toi bi chay" "chay xe"`.
pub fn explain(text: &str) -> String {
    let (syllables, question_mark) = syllables_of(text);
    let message = spelling::prepare(&syllables, &RULES);
    let read: Vec<&str> = message.iter().map(|s| s.exact.as_ref()).collect();
    let reading = self::read(&syllables, question_mark);
    let rules_alone = reading.as_ref().and_then(|r| r.verdict);
    let guess = reading.map(|r| MODEL.guess(&r.features));
    format!(
        "{:?}\t{}\t{:?}\trules alone: {rules_alone:?}\tsecond opinion: {guess:?}",
        assess(text),
        read.join(" "),
        RULES.explain(&message)
    )
}

/// k-fold cross-validation of the second opinion on the labelled training sets (never on the
/// holdouts): what each action of [`Policy`] adds to the rules, and at what cost, over a range
/// of probabilities; the FAQ questions and the knowledge base's paraphrases are checked against
/// every fold's model.
#[cfg(test)]
mod cross_validation {
    use super::*;
    use second_opinion::naive_bayes::{BayesGuess, NaiveBayes};
    use serde_json::Value;

    /// The naive Bayes's features: words and word pairs only.
    fn words(features: &[second_opinion::Feature]) -> Vec<second_opinion::Feature> {
        features.iter().copied().filter(|f| second_opinion::is_word(*f)).collect()
    }

    /// The naive Bayes second opinion as it was shipped: an emergency the rules missed when its
    /// best emergency kind beats every other label by 12 (log-odds), gated like [`Gate::SecondHand`].
    fn bayes_outcome(c: &Case, guess: &BayesGuess) -> Option<Safety> {
        use Section::*;
        if matches!(c.reading.verdict, Some(Safety::Emergency(_))) {
            return c.reading.verdict;
        }
        match guess.emergency {
            Some((kind, margin))
                if margin > 12.0 && !c.reading.found.any(&[Hypothetical, Conditional, Media, Procedure]) =>
            {
                Some(Safety::Emergency(kind))
            }
            _ => c.reading.verdict,
        }
    }

    const FOLDS: usize = 5;

    struct Case {
        label: Label,
        /// Which set (`SETS`).
        set: usize,
        text: String,
        /// A live emergency labelled in a report set (an emergency outcome is right).
        live: bool,
        reading: Reading,
        guess: Option<Guess>,
        /// The naive Bayes second opinion's guess, for comparison.
        bayes: Option<BayesGuess>,
        /// For the blind rounds, the guesses of the models trained without the round.
        held: Option<(Guess, BayesGuess)>,
    }

    fn kb(name: &str) -> Vec<Value> {
        let path = format!("{}/../../kb/{name}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// The training sets the policy was chosen on: [`EMERGENCY_SETS`] and [`REPORT_SETS`] up to
    /// blind set D. Blind set E and the training sets F1–F7 joined the model's training
    /// afterwards without choosing the policy again (BENCHMARKS.md).
    const SETS: [&str; 13] = [
        "emergency_dev.json",
        "emergency_train_e1.json",
        "emergency_train_e2.json",
        "emergency_train_e3.json",
        "emergency_train_e4.json",
        "emergency_blindD.json",
        "report_dev.json",
        "report_train_r1.json",
        "report_train_r2.json",
        "report_blindD.json",
        "dev_questions.json",
        "holdout_questions.json",
        "unseen_questions.json",
    ];

    /// The FAQ question sets among [`SETS`].
    const FAQ: [usize; 3] = [10, 11, 12];

    /// The blind writers' sets, in pairs written by the same round (E1 with R1, E2 with R2, D's
    /// two files; E3 and E4 came alone), which the rules were not written for when they arrived.
    const BLIND: [[usize; 2]; 5] = [[1, 7], [2, 8], [3, 3], [4, 4], [5, 9]];

    fn cases() -> Vec<Case> {
        let mut out = Vec::new();
        let mut labelled = Vec::new();
        for (set, name) in SETS.into_iter().enumerate() {
            for item in kb(name) {
                let text = item["text"].as_str().unwrap_or_else(|| panic!("{name}: {item}"));
                if name.starts_with("emergency") {
                    labelled.push(text.to_owned());
                } else if FAQ.contains(&set) && labelled.iter().any(|t| t == text) {
                    continue;
                }
                let label = match (item.get("expected"), &item["report"]) {
                    (Some(_), _) if FAQ.contains(&set) => Some(Label::Nothing),
                    (Some(expected), _) => expected.as_str().and_then(Label::parse),
                    (None, Value::String(kind)) => Label::parse(&format!("report:{kind}")),
                    (None, _) => Some(Label::Nothing),
                };
                let label = label.unwrap_or_else(|| panic!("{name}: {item}"));
                let live = item["emergency"].as_bool().unwrap_or(false);
                if let Some(reading) = read_text(text) {
                    out.push(Case {
                        label,
                        set,
                        text: text.to_owned(),
                        live,
                        reading,
                        guess: None,
                        bayes: None,
                        held: None,
                    });
                }
            }
        }
        out
    }

    /// A FAQ question or a knowledge-base paraphrase, with every fold's guess.
    struct Question {
        text: String,
        reading: Reading,
        faq: bool,
        guesses: Vec<Guess>,
    }

    fn questions() -> Vec<Question> {
        let mut out: Vec<Question> = Vec::new();
        for name in ["blindA_questions.json", "blindB_questions.json"] {
            for item in kb(name) {
                if let Some(reading) = item["text"].as_str().and_then(read_text) {
                    out.push(Question { text: item["text"].to_string(), reading, faq: true, guesses: Vec::new() });
                }
            }
        }
        for entry in kb("kb_seed.json") {
            let texts = std::iter::once(&entry["title"]).chain(entry["questions"].as_array().into_iter().flatten());
            for text in texts.filter_map(|t| t.as_str()) {
                if let Some(reading) = read_text(text) {
                    out.push(Question { text: text.to_owned(), reading, faq: false, guesses: Vec::new() });
                }
            }
        }
        out
    }

    fn emergency(outcome: Option<Safety>) -> Option<EmergencyKind> {
        match outcome {
            Some(Safety::Emergency(kind)) => Some(kind),
            _ => None,
        }
    }

    /// The figures of one policy on the cases (all of them, or the blind training sets only).
    #[derive(Debug, Default, PartialEq)]
    struct Figures {
        emergencies: usize,
        right: usize,
        wrong_numbers: usize,
        near_misses: usize,
        alarms: usize,
        reports: usize,
        recognised: usize,
        right_kind: usize,
        report_questions: usize,
        taken: usize,
    }

    fn figures<'a>(cases: impl Iterator<Item = &'a Case>, outcome: impl Fn(&Case) -> Option<Safety>) -> Figures {
        let mut f = Figures::default();
        for c in cases {
            let out = outcome(c);
            match c.label {
                Label::Emergency(expected) => {
                    f.emergencies += 1;
                    match emergency(out) {
                        Some(found) if found.services() == expected.services() => f.right += 1,
                        Some(_) => f.wrong_numbers += 1,
                        None => {}
                    }
                }
                Label::Report(kind) => {
                    f.reports += 1;
                    f.recognised += usize::from(match out {
                        Some(Safety::Report(_)) => true,
                        Some(Safety::Emergency(_)) => c.live,
                        None => false,
                    });
                    f.right_kind += usize::from(out == Some(Safety::Report(kind)));
                }
                Label::Nothing => {}
            }
            if !matches!(c.label, Label::Emergency(_)) && !c.live {
                f.near_misses += 1;
                f.alarms += usize::from(emergency(out).is_some());
            }
            // The report sets' questions (and the emergency sets' non-emergencies that are not
            // reports): a question taken for a report or an emergency.
            if c.label == Label::Nothing {
                f.report_questions += 1;
                f.taken += usize::from(out.is_some());
            }
        }
        f
    }

    fn line(f: &Figures) -> String {
        format!(
            "E {}/{} right, {} wrong, alarms {}/{}; R {}/{} ({} right kind), taken {}/{}",
            f.right,
            f.emergencies,
            f.wrong_numbers,
            f.alarms,
            f.near_misses,
            f.recognised,
            f.reports,
            f.right_kind,
            f.taken,
            f.report_questions
        )
    }

    /// FAQ questions and knowledge-base paraphrases raised as an emergency or taken for a
    /// report by the second opinion (but not by the rules alone): the trained-on FAQ questions by
    /// the model of the fold they were left out of, FAQ blind sets A and B and the paraphrases by
    /// some fold's model.
    fn faq_cost(cases: &[Case], questions: &[Question], policy: Policy, verbose: bool) -> [usize; 4] {
        let mut out = [0; 4];
        for c in cases.iter().filter(|c| FAQ.contains(&c.set)) {
            let outcome = second_opinion(
                c.reading.verdict,
                c.guess.as_ref().expect("guessed"),
                c.reading.found,
                c.reading.shape,
                policy,
            );
            let raised = emergency(c.reading.verdict).is_none() && emergency(outcome).is_some();
            let taken = c.reading.verdict.is_none() && matches!(outcome, Some(Safety::Report(_)));
            if (raised || taken) && verbose {
                println!(
                    "  the chosen policy {} the FAQ question: {}",
                    if raised { "raises" } else { "takes" },
                    c.text
                );
            }
            out[0] += usize::from(raised);
            out[1] += usize::from(taken);
        }
        for q in questions {
            let outcomes: Vec<Option<Safety>> = q
                .guesses
                .iter()
                .map(|g| second_opinion(q.reading.verdict, g, q.reading.found, q.reading.shape, policy))
                .collect();
            let raised = emergency(q.reading.verdict).is_none() && outcomes.iter().any(|o| emergency(*o).is_some());
            let taken = q.reading.verdict.is_none() && outcomes.iter().any(|o| matches!(o, Some(Safety::Report(_))));
            if (raised || taken) && verbose {
                println!("  the chosen policy {}: {}", if raised { "raises" } else { "takes" }, q.text);
            }
            let at = if q.faq { 0 } else { 2 };
            out[at] += usize::from(raised);
            out[at + 1] += usize::from(taken);
        }
        out
    }

    #[test]
    fn second_opinion_cross_validation() {
        let mut cases = cases();
        let mut questions = questions();
        for fold in 0..FOLDS {
            let training: Vec<(Vec<second_opinion::Feature>, Label)> = cases
                .iter()
                .enumerate()
                .filter(|(i, _)| i % FOLDS != fold)
                .map(|(_, c)| (c.reading.features.clone(), c.label))
                .collect();
            let model = Model::train(&training, Training::CHOSEN);
            if fold == 0 {
                println!("features with weights: {}", model.size());
            }
            let bayes_training: Vec<_> = training.iter().map(|(f, l)| (words(f), *l)).collect();
            let bayes = NaiveBayes::train(&bayes_training);
            for (_, case) in cases.iter_mut().enumerate().filter(|(i, _)| i % FOLDS == fold) {
                case.guess = Some(model.guess(&case.reading.features));
                case.bayes = Some(bayes.guess(&words(&case.reading.features)));
            }
            for q in &mut questions {
                q.guesses.push(model.guess(&q.reading.features));
            }
        }
        {
            let mut right = 0;
            let mut binary = 0;
            let mut loss = 0.0f64;
            for c in &cases {
                let g = c.guess.as_ref().expect("guessed");
                let (ek, ep, e) = g.emergency();
                let (rk, rp, r) = g.report();
                let n = g.nothing();
                let top = if ep >= rp && ep >= n {
                    Label::Emergency(ek)
                } else if rp >= n {
                    Label::Report(rk)
                } else {
                    Label::Nothing
                };
                right += usize::from(top == c.label);
                binary += usize::from((e >= 0.5) == matches!(c.label, Label::Emergency(_)));
                let _ = r;
                loss -= f64::from(g.probability(c.label).max(1e-6)).ln();
            }
            println!(
                "model alone: label {right}/{n}, emergency or not {binary}/{n}, log-loss {:.4}",
                loss / cases.len() as f64,
                n = cases.len()
            );
        }
        // Each blind round (E1 with R1, E2 with R2, E3, E4, D) measured by a model trained without it: the
        // rules as they were when the round arrived (but what was fixed since), the model trained
        // on everything else. This is the closest to text written elsewhere.
        for round in BLIND {
            let training: Vec<(Vec<second_opinion::Feature>, Label)> = cases
                .iter()
                .filter(|c| !round.contains(&c.set))
                .map(|c| (c.reading.features.clone(), c.label))
                .collect();
            let model = Model::train(&training, Training::CHOSEN);
            let bayes_training: Vec<_> = training.iter().map(|(f, l)| (words(f), *l)).collect();
            let bayes = NaiveBayes::train(&bayes_training);
            for c in cases.iter_mut().filter(|c| round.contains(&c.set)) {
                c.held = Some((model.guess(&c.reading.features), bayes.guess(&words(&c.reading.features))));
            }
        }
        let outcome = |c: &Case, policy: Policy| {
            second_opinion(
                c.reading.verdict,
                c.guess.as_ref().expect("guessed"),
                c.reading.found,
                c.reading.shape,
                policy,
            )
        };
        let held_outcome = |c: &Case, policy: Policy| {
            let (guess, _) = c.held.as_ref().expect("held out");
            second_opinion(c.reading.verdict, guess, c.reading.found, c.reading.shape, policy)
        };
        let run = |policy: Policy| figures(cases.iter(), |c| outcome(c, policy));
        let held = |policy: Policy| figures(cases.iter().filter(|c| c.held.is_some()), |c| held_outcome(c, policy));
        let rules = figures(cases.iter(), |c| c.reading.verdict);
        println!(
            "cross-validated on all sets | the blind rounds held out (trained on the rest) | FAQ emergencies, FAQ reports, kb emergencies, kb reports"
        );
        println!(
            "rules alone: {} | {}",
            line(&rules),
            line(&figures(cases.iter().filter(|c| c.held.is_some()), |c| c.reading.verdict))
        );
        println!(
            "naive Bayes (margin 12, gated): {} | {}",
            line(&figures(cases.iter(), |c| bayes_outcome(c, c.bayes.as_ref().expect("guessed")))),
            line(&figures(cases.iter().filter(|c| c.held.is_some()), |c| bayes_outcome(
                c,
                &c.held.as_ref().expect("held").1
            )))
        );
        let off = Policy {
            add_emergency: OFF,
            add_unsigned_emergency: OFF,
            change_kind: OFF,
            add_report: OFF,
            add_asked_report: OFF,
            clear_report: OFF,
            clear_emergency: OFF,
            gate: Gate::SecondHand,
            report_gate: ReportGate::Statement,
        };
        let chosen = Policy::CHOSEN;
        let steps = [0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98];
        let mut sweeps: Vec<(&str, Policy)> = Vec::new();
        for p in steps {
            sweeps.push(("add emergency, gated", Policy { add_emergency: p, add_unsigned_emergency: p, ..off }));
            sweeps.push((
                "add emergency, open",
                Policy { add_emergency: p, add_unsigned_emergency: p, gate: Gate::Open, ..off },
            ));
            sweeps.push(("add emergency, gated, with a sign", Policy { add_emergency: p, ..off }));
        }
        for p in steps {
            sweeps.push(("change kind", Policy { change_kind: p, ..chosen }));
        }
        for p in steps {
            sweeps.push(("clear emergency", Policy { clear_emergency: p, ..chosen }));
        }
        for p in steps {
            sweeps.push(("add report", Policy { add_report: p, report_gate: ReportGate::Statement, ..chosen }));
            sweeps.push((
                "add report with a sign",
                Policy { add_report: p, report_gate: ReportGate::StatementWithSign, ..chosen },
            ));
        }
        for p in steps {
            sweeps.push(("clear report", Policy { clear_report: p, ..chosen }));
        }
        for p in steps {
            sweeps.push(("add asked report", Policy { add_asked_report: p, ..chosen }));
        }
        for (a, u) in [(0.6, 0.9), (0.6, 0.95), (0.7, 0.9), (0.7, 0.95), (0.7, 0.98), (0.7, OFF), (0.8, 0.95)] {
            sweeps.push(("chosen but", Policy { add_emergency: a, add_unsigned_emergency: u, ..chosen }));
        }
        for (r, report_gate) in
            [(0.5, ReportGate::StatementWithSign), (0.8, ReportGate::Statement), (0.9, ReportGate::Statement)]
        {
            sweeps.push(("chosen but", Policy { add_report: r, report_gate, ..chosen }));
        }
        sweeps.push(("chosen", chosen));
        for (name, policy) in &sweeps {
            let [faq_e, faq_r, kb_e, kb_r] = faq_cost(&cases, &questions, *policy, false);
            println!(
                "{name} {:?}: {} | {} | {faq_e}, {faq_r}, {kb_e}, {kb_r}",
                [
                    policy.add_asked_report,
                    policy.add_emergency,
                    policy.add_unsigned_emergency,
                    policy.change_kind,
                    policy.clear_emergency,
                    policy.add_report,
                    policy.clear_report
                ],
                line(&run(*policy)),
                line(&held(*policy))
            );
        }
        let [faq_e, _, _, _] = faq_cost(&cases, &questions, chosen, true);
        assert_eq!(faq_e, 0, "FAQ questions raised as an emergency by the chosen policy");
        // Cross-validated, and on the blind rounds held out: at least four more emergencies
        // with the right numbers for every wrong number or false alarm more (the rules are now
        // fixed on these sets too, so fewer are left to the model; before, on the rounds held
        // out, the model removed more mistakes than it made), more reports, fewer questions taken.
        let rounds = figures(cases.iter().filter(|c| c.held.is_some()), |c| c.reading.verdict);
        for (before, after) in [(rules, run(chosen)), (rounds, held(chosen))] {
            let mistakes = |f: &Figures| (f.wrong_numbers + f.alarms) as i64;
            assert!(after.right > before.right, "{}", line(&after));
            assert!(
                (after.right - before.right) as i64 >= 4 * (mistakes(&after) - mistakes(&before)),
                "{}",
                line(&after)
            );
            assert!(after.recognised > before.recognised, "{}", line(&after));
            assert!(after.taken < before.taken, "{}", line(&after));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_crime_named_is_a_report_and_a_thief_here_is_an_emergency() {
        for named in ["trom cap", "Trộm cắp", "nhà tôi bị trộm cắp mất xe máy đêm qua"] {
            assert_eq!(assess(named), Some(Safety::Report(ReportKind::Theft)), "{named}");
        }
        for live in ["có trộm", "trộm!", "dang co trom cap do trong nha"] {
            assert_eq!(assess(live), Some(Safety::Emergency(EmergencyKind::CrimeInProgress)), "{live}");
        }
    }

    #[test]
    fn naming_a_police_unit_is_neither_a_report_nor_an_emergency() {
        for name in ["Công an xã Ba Chẽ", "cong an phuong bai chay oi", "Công an tỉnh Quảng Ninh ạ"] {
            assert_eq!(assess(name), None, "{name}");
        }
        // The rules still read what follows the name.
        assert!(matches!(
            assess("Công an xã Ba Chẽ ơi nhà tôi đang cháy"),
            Some(Safety::Emergency(EmergencyKind::Fire))
        ));
    }

    fn run(text: &str) -> Option<Safety> {
        assess(text)
    }

    #[test]
    fn the_rule_file_parses() {
        let rules = Rules::parse(RULES_TEXT);
        assert!(rules.is_ok(), "{:?}", rules.err());
        assert!(Rules::parse("[fire.sure]\ncháy\n[nowhere]\n").is_err_and(|e| e.line == 3));
        assert!(Rules::parse("cháy\n").is_err_and(|e| e.line == 1));
    }

    #[test]
    fn the_second_opinion_reads_every_training_message() {
        let examples = training_examples(&EMERGENCY_SETS, &REPORT_SETS, &QUESTION_SETS);
        let messages: usize = EMERGENCY_SETS
            .iter()
            .chain(&REPORT_SETS)
            .chain(&QUESTION_SETS)
            .map(|set| set.matches("\"text\":").count())
            .sum();
        // The out-of-scope emergencies of the question sets are trained on once, as emergencies.
        assert!(examples.len() < messages && examples.len() + 10 > messages, "{} of {messages}", examples.len());
        // A few messages are only emoji or punctuation ("👍", "???"): no features, no harm.
        assert!(examples.iter().filter(|(features, _)| features.is_empty()).count() < 10);
        let objects =
            second_opinion::json_objects(r#"[{"text": "a \"b\" \u0111, {c}", "report": null}]"#, &["text", "report"]);
        assert_eq!(objects, vec![vec![Some("a \"b\" đ, {c}".to_owned()), None]]);
    }

    #[test]
    fn the_second_opinion_acts_only_as_its_policy_allows() {
        let off = Policy {
            add_emergency: OFF,
            add_unsigned_emergency: OFF,
            change_kind: OFF,
            add_report: OFF,
            add_asked_report: OFF,
            clear_report: OFF,
            clear_emergency: OFF,
            gate: Gate::Open,
            report_gate: ReportGate::Statement,
        };
        let fire = Some(Safety::Emergency(EmergencyKind::Fire));
        let theft = Some(Safety::Report(ReportKind::Theft));
        let sure_theft = Guess::with(Label::Report(ReportKind::Theft), 0.99);
        let sure_medical = Guess::with(Label::Emergency(EmergencyKind::Medical), 0.99);
        let sure_nothing = Guess::with(Label::Nothing, 0.99);
        let none = Found::default();
        let (asks, states) = (Shape { asking: true, short: false }, Shape::default());
        // Nothing changes with every action off.
        for guess in [&sure_theft, &sure_medical, &sure_nothing] {
            for verdict in [fire, theft, None] {
                assert_eq!(second_opinion(verdict, guess, none, asks, off), verdict);
            }
        }
        // A rule emergency is never made a report, nor cleared unless the model is sure of
        // nothing.
        let all = Policy {
            add_emergency: 0.5,
            add_unsigned_emergency: 0.5,
            change_kind: 0.5,
            add_report: 0.5,
            add_asked_report: OFF,
            clear_report: 0.5,
            clear_emergency: OFF,
            gate: Gate::Open,
            report_gate: ReportGate::Statement,
        };
        assert_eq!(second_opinion(fire, &sure_theft, none, states, all), fire);
        assert_eq!(second_opinion(fire, &sure_nothing, none, asks, all), fire);
        // Each action at its probability.
        assert_eq!(
            second_opinion(fire, &sure_medical, none, states, Policy { change_kind: 0.9, ..off }),
            Some(Safety::Emergency(EmergencyKind::Medical))
        );
        assert_eq!(second_opinion(fire, &sure_medical, none, states, Policy { change_kind: 0.999, ..off }), fire);
        assert_eq!(second_opinion(fire, &sure_nothing, none, states, Policy { clear_emergency: 0.9, ..off }), None);
        assert_eq!(second_opinion(fire, &sure_nothing, none, states, Policy { clear_emergency: 0.999, ..off }), fire);
        // An emergency added where the rules saw no sign of one needs the higher probability.
        assert_eq!(second_opinion(theft, &sure_medical, none, states, Policy { add_emergency: 0.9, ..off }), theft);
        assert_eq!(
            second_opinion(theft, &sure_medical, none, states, Policy { add_unsigned_emergency: 0.9, ..off }),
            Some(Safety::Emergency(EmergencyKind::Medical))
        );
        assert_eq!(second_opinion(None, &sure_theft, none, states, Policy { add_report: 0.9, ..off }), theft);
        // … a report only in a statement, a report cleared only when the message asks.
        assert_eq!(second_opinion(None, &sure_theft, none, asks, Policy { add_report: 0.9, ..off }), None);
        assert_eq!(second_opinion(theft, &sure_nothing, none, asks, Policy { clear_report: 0.9, ..off }), None);
        assert_eq!(second_opinion(theft, &sure_nothing, none, states, Policy { clear_report: 0.9, ..off }), theft);
        // … and neither a report nor an emergency in a message of a few words ("gặp cán bộ").
        let short = Shape { asking: false, short: true };
        assert_eq!(second_opinion(None, &sure_theft, none, short, Policy { add_report: 0.9, ..off }), None);
        let anything = Policy { add_emergency: 0.5, add_unsigned_emergency: 0.5, ..off };
        assert_eq!(second_opinion(None, &sure_medical, none, short, anything), None);
    }

    #[test]
    fn fire_in_progress_is_emergency() {
        assert_eq!(run("đang có đám cháy lớn ở xưởng gỗ cuối phố"), Some(Safety::Emergency(EmergencyKind::Fire)));
        assert_eq!(run("nha toi dang chay khoi mu mit"), Some(Safety::Emergency(EmergencyKind::Fire)));
    }

    #[test]
    fn fires_reported_the_way_people_type_them_are_emergencies() {
        for text in [
            "nha toi bi chay",
            "chay nha",
            "co dam chay o cho dem",
            "khoi bay mu mit tu can ho tang 5 chung cu",
            "Cháy!",
            "chays nhaf roi",
        ] {
            assert_eq!(run(text), Some(Safety::Emergency(EmergencyKind::Fire)), "{text}");
        }
    }

    #[test]
    fn the_most_specific_kind_wins_over_a_call_for_help() {
        assert_eq!(run("cháy nhà rồi cứu với"), Some(Safety::Emergency(EmergencyKind::Fire)));
        assert_eq!(run("ban toi vua uong thuoc sau, cuu voi"), Some(Safety::Emergency(EmergencyKind::Medical)));
        assert_eq!(run("cuu voi"), Some(Safety::Emergency(EmergencyKind::CallForHelp)));
    }

    #[test]
    fn each_kind_names_its_number_first() {
        let first = |k: EmergencyKind| k.services()[0].number();
        assert_eq!(first(EmergencyKind::Fire), "114");
        assert_eq!(first(EmergencyKind::Medical), "115");
        assert_eq!(first(EmergencyKind::Rescue), "114");
        assert_eq!(EmergencyKind::Accident.numbers(), "115, 113");
        for kind in [EmergencyKind::Violence, EmergencyKind::CrimeInProgress, EmergencyKind::CallForHelp] {
            assert_eq!(first(kind), "113", "{kind:?}");
        }
    }

    #[test]
    fn fire_safety_question_is_not_emergency() {
        assert_eq!(run("cach su dung binh chua chay khi chay nho"), None);
        assert_eq!(run("khi có đám cháy thì thoát nạn thế nào"), None);
        assert_eq!(run("xe dang chay thi bi dung lai"), None);
        assert_eq!(run("thẻ CCCD bị cháy mất rồi làm lại ở đâu"), None);
        assert_eq!(run("vụ cháy hôm qua ở chợ có ai bị thương không"), None);
    }

    #[test]
    fn fight_and_crime_in_progress_are_emergencies() {
        assert_eq!(run("ngoài chợ đang đánh nhau to lắm"), Some(Safety::Emergency(EmergencyKind::Violence)));
        assert_eq!(
            run("co nguoi dang trom xe truoc nha toi ngay luc nay"),
            Some(Safety::Emergency(EmergencyKind::CrimeInProgress))
        );
    }

    #[test]
    fn unconscious_person_is_medical_emergency() {
        assert_eq!(run("mẹ tôi ngất xỉu ở nhà không tỉnh"), Some(Safety::Emergency(EmergencyKind::Medical)));
        assert_eq!(run("cứu với"), Some(Safety::Emergency(EmergencyKind::CallForHelp)));
    }

    #[test]
    fn violence_being_dealt_with_is_no_emergency() {
        // Issue 18: a legal, school or custody consequence of a fight is a question, in every style.
        for text in [
            "con tôi bị tạm giữ vì đánh nhau, gia đình cần làm gì",
            "con toi bi tam giu vi danh nhau, gia dinh can lam gi",
            "con t bi tam giu vi dank nhau, gd can lam j ad",
            "học sinh đánh nhau thì nhà trường xử lý thế nào",
            "hoc sinh danh nhau thi nha truong xu ly the nao",
            "hs danh nhau thi nha truong xu ly ntn a",
            "em trai tôi bị bắt vì đánh nhau, bao giờ được thả",
            "học sinh đánh nhau bị kỷ luật ra sao",
        ] {
            assert!(!matches!(run(text), Some(Safety::Emergency(_))), "{text}: {:?}", run(text));
        }
        // … never at the cost of a fight happening now.
        for text in [
            "đang đánh nhau",
            "có người đánh nhau cầm dao cứu với",
            "hoc sinh dang danh nhau truoc cong truong, co dua cam dao",
        ] {
            assert_eq!(run(text), Some(Safety::Emergency(EmergencyKind::Violence)), "{text}");
        }
    }

    #[test]
    fn questions_about_what_the_police_do_are_no_emergency() {
        // Issue 18 / report holdout 3: a yes/no question about who deals with a fight.
        for text in [
            "Học sinh đánh nhau trong trường thì công an có vào cuộc không",
            "hoc sinh danh nhau trong truong thi cong an co vao cuoc khong",
            "hs đánh nhau thì công an có can thiệp không",
        ] {
            assert!(!matches!(run(text), Some(Safety::Emergency(_))), "{text}: {:?}", run(text));
        }
    }

    #[test]
    fn habits_are_reports_not_emergencies() {
        assert_eq!(
            run("Con trai nhà bên nghiện đá, đêm nào cũng la hét đập đồ"),
            Some(Safety::Report(ReportKind::Drugs))
        );
        assert_eq!(run("hàng xóm bị chồng nhốt trong nhà mấy ngày nay"), Some(Safety::Report(ReportKind::Abuse)));
        // … unless the sender pleads for help now.
        assert_eq!(
            run("đêm nào cũng đánh nhau, giờ đang chém nhau, nhanh lên"),
            Some(Safety::Emergency(EmergencyKind::Violence))
        );
    }

    #[test]
    fn someone_still_trapped_after_a_collapse_is_a_rescue() {
        assert_eq!(
            run("còn người bị kẹt dưới đống đổ nát sau vụ sập nhà"),
            Some(Safety::Emergency(EmergencyKind::Rescue))
        );
        assert_eq!(run("người bị kẹt sau vụ sập nhà hôm qua đã được cứu chưa"), None);
    }

    #[test]
    fn repeated_letters_and_polite_pleas_are_calls_for_help() {
        for text in ["cuuuu voi", "cứuuu với", "Xin hãy cứu tôi", "tôi đang gặp nguy hiểm"] {
            assert_eq!(run(text), Some(Safety::Emergency(EmergencyKind::CallForHelp)), "{text}");
        }
        assert_eq!(run("em cứ với tay lấy là được"), None);
    }

    #[test]
    fn a_machine_running_at_night_is_noise_not_fire() {
        assert_eq!(
            run("xuong co khi canh nha chay may suot dem, on khong ngu duoc"),
            Some(Safety::Report(ReportKind::Noise))
        );
    }

    #[test]
    fn someone_not_yet_out_of_the_water_is_still_a_rescue() {
        for text in [
            "em bé bị đuối nước ở ao, chưa kéo lên được",
            "hai đứa bị đuối nước, mới vớt được một đứa, đứa kia còn dưới nước",
        ] {
            assert_eq!(run(text), Some(Safety::Emergency(EmergencyKind::Rescue)), "{text}");
        }
    }

    #[test]
    fn jokes_news_films_and_hospital_questions_are_no_emergency() {
        for text in [
            "bài kiểm tra khó quá cứu em với",
            "deadline dí quá ai cứu tôi với haha",
            "đọc báo thấy vụ cháy ở khu công nghiệp, có ai bị sao không",
            "phim cháy nổ mới chiếu rạp chưa",
            "bệnh viện nào có khoa cấp cứu gần đây",
            "dấu hiệu ngộ độc là gì",
        ] {
            assert_eq!(run(text), None, "{text}");
        }
    }

    #[test]
    fn everyday_cháy_and_thanks_after_the_event_are_no_emergency() {
        for text in [
            "mẫu này bán chạy lắm, cháy hàng rồi",
            "đội bóng đá cháy sân, thắng 3-0",
            "lửa đã được dập tắt, không ai bị thương, cảm ơn",
            "có người gọi bảo con tôi đang cấp cứu, bắt chuyển tiền gấp",
        ] {
            assert!(!matches!(run(text), Some(Safety::Emergency(_))), "{text}: {:?}", run(text));
        }
        assert_eq!(
            run("xe bon cho xang lat, xang chay ra duong va bat lua"),
            Some(Safety::Emergency(EmergencyKind::Fire))
        );
    }

    #[test]
    fn rescues_name_fire_and_rescue_first() {
        assert_eq!(EmergencyKind::Rescue.numbers(), "114, 115");
        for text in [
            "co nguoi bi ket trong thang may",
            "cháu bé rơi xuống giếng",
            "có người đuối nước ở bãi biển",
            "sap nha o hem 12, co 2 nguoi bi vui",
            "Hầm lò sập, còn thợ mỏ kẹt bên dưới",
            "ô tô lao xuống sông, người còn trong xe",
            "con tôi bị khóa trong ô tô, chìa khóa để trong xe",
            "nước lên nhanh quá, cả nhà tôi đang trên mái nhà chờ cứu",
        ] {
            assert_eq!(run(text), Some(Safety::Emergency(EmergencyKind::Rescue)), "{text}");
        }
        // Pulled out of the water and not breathing: the ambulance first.
        assert_eq!(
            run("Em bé 3 tuổi ngã xuống hồ bơi, vớt lên không thở"),
            Some(Safety::Emergency(EmergencyKind::Medical))
        );
        // Traffic jams, tow trucks, stuck paperwork and crashed websites are no rescue.
        for text in [
            "đang kẹt xe ở cầu Sài Gòn, đi đường nào",
            "xe tôi chết máy giữa đường, gọi xe cứu hộ ở đâu",
            "hồ sơ của em đang bị kẹt ở bước xác thực",
            "web dịch vụ công bị sập rồi à",
            "phòng chống đuối nước cho trẻ em dịp hè",
        ] {
            assert_eq!(run(text), None, "{text}");
        }
    }

    #[test]
    fn crime_statement_is_a_report() {
        assert_eq!(run("tôi vừa bị cướp giật điện thoại ở ngã tư"), Some(Safety::Report(ReportKind::Robbery)));
        assert_eq!(run("lừa đảo tôi vừa bị mất 50 triệu"), Some(Safety::Report(ReportKind::Fraud)));
        assert_eq!(run("nhà em bị trộm mất xe máy đêm qua"), Some(Safety::Report(ReportKind::Theft)));
    }

    #[test]
    fn a_dated_crime_statement_is_a_report_despite_a_question_tail() {
        assert_eq!(
            run("nha e bi trom mat xe may dem qua, bao cong an ntn dc ko ad"),
            Some(Safety::Report(ReportKind::Theft))
        );
    }

    #[test]
    fn procedure_questions_about_reporting_reach_the_faq() {
        assert_eq!(run("thủ tục tố giác tội phạm như thế nào"), None);
        assert_eq!(run("bi trom xe r trinh bao o dau ad"), None);
        assert_eq!(run("e bi lua chuyen khoan r, bao o dau a"), None);
        assert_eq!(run("Tôi vừa va quẹt với xe khác, có người bị trầy xước, cần báo ai?"), None);
    }

    #[test]
    fn reports_typed_the_way_people_type_get_their_kind() {
        for (text, kind) in [
            ("nhà tôi bị kẻ gian cạy cửa lấy mất két sắt", ReportKind::Theft),
            ("tối nào cũng có nhóm thanh niên đua xe trên đường bao biển", ReportKind::Racing),
            ("tôi nhặt được ví có căn cước của người khác", ReportKind::LostProperty),
            ("hang xom hat karaoke den 12h dem chua dung", ReportKind::Noise),
            ("bị cướp điện thoại khi đi làm về", ReportKind::Robbery),
            ("tôi muốn tố giác", ReportKind::Other),
        ] {
            assert_eq!(run(text), Some(Safety::Report(kind)), "{text}");
        }
    }

    #[test]
    fn questions_about_papers_and_penalties_are_no_reports() {
        for text in ["mất căn cước làm lại thế nào", "đua xe bị phạt bao nhiêu", "em muốn báo tạm trú cho người thuê"]
        {
            assert_eq!(run(text), None, "{text}");
        }
    }

    #[test]
    fn jokes_rumours_and_general_questions_of_the_blind_rounds_are_no_emergency() {
        // Classes of the blind training sets E1 and E2 (2026-12-07).
        for text in [
            "cứu em với, mai thi mà chưa học gì",
            "cuu e vs mn, bai toan nay kho qua",
            "mạng đồn có đám cháy ở chợ Bến Thành là fake đúng không",
            "người bị ngất thì nên nằm ngửa hay nằm nghiêng",
            "ng bi co giat thi lam j truoc a",
            "sạc điện thoại qua đêm có bị cháy nổ không",
            "tai nạn giao thông tháng này tăng hay giảm",
            "trời nóng như đổ lửa, tưởng cháy tới nơi",
            "hôm bữa có vụ cháy ở chợ, có ai bị sao không",
        ] {
            assert!(!matches!(run(text), Some(Safety::Emergency(_))), "{text}: {:?}", run(text));
        }
    }

    #[test]
    fn follow_ups_thanks_and_permissions_are_no_reports() {
        // Classes of the blind training sets R1 and R2.
        for text in [
            "Vụ cướp tiệm vàng ở thị trấn tuần trước đã bắt được hung thủ chưa vậy?",
            "Cảm ơn các anh đã dẹp nhóm đua xe trên đường nhà tôi",
            "Nhà tôi sắp tổ chức đám cưới, có cần xin phép ai không ạ?",
            "Xin số điện thoại công an khu vực tổ 12",
        ] {
            assert_eq!(run(text), None, "{text}");
        }
    }

    #[test]
    fn everyday_sentences_with_dang_are_no_emergency() {
        // "đang" is no feature of the second opinion: to it, every message with "đang" looked
        // like an emergency (the sets' near-misses rarely have it).
        for text in [
            "con tôi đang học lớp 5",
            "Đồng chí đã có một đề nghị đang chờ lãnh đạo duyệt",
            "bố tôi đang ngồi xem tivi",
        ] {
            assert!(!matches!(run(text), Some(Safety::Emergency(_))), "{text}: {:?}", run(text));
        }
    }

    #[test]
    fn a_few_words_are_the_rules_alone() {
        // Interface words and short replies that the second opinion took for emergencies (the
        // sets' short messages are nearly all emergencies).
        for text in ["đang chờ", "đang dùng", "Đang mở", "xe máy", "Bot đang trả lời", "đang bị khóa", "gặp cán bộ"]
        {
            assert_eq!(run(text), None, "{text}");
        }
        assert_eq!(run("cháy!!"), Some(Safety::Emergency(EmergencyKind::Fire)));
    }

    #[test]
    fn threats_with_a_condition_and_being_locked_in_call_the_police() {
        // Blind training sets E1 and E2: "nếu" in a threat is no hypothetical.
        for text in [
            "chong cu dang cam dao ngoi chan cua phong, noi neu toi bo di se giet toi",
            "Hắn đứng ngoài cửa hét sẽ chém tôi nếu tôi ra ngoài, tôi đang trốn trong bếp",
            "mn ơi cứu e, e bị nhốt trong phòng ở quán nhậu, chủ quán dọa đánh nếu e báo ai",
        ] {
            let found = run(text);
            assert!(
                matches!(found, Some(Safety::Emergency(k)) if k.services()[0] == EmergencyService::Police),
                "{text}: {found:?}"
            );
        }
        // A threat by text message to throw acid stays a report.
        assert_eq!(
            run("toi bi chu no nhan tin de doa se tat axit neu khong tra"),
            Some(Safety::Report(ReportKind::Assault))
        );
    }

    #[test]
    fn asking_to_meet_an_officer_is_a_report_only_with_a_purpose() {
        assert_eq!(run("cho tôi gặp cán bộ"), None);
        assert_eq!(run("Tôi muốn gặp cán bộ để trình báo một sự việc"), Some(Safety::Report(ReportKind::Other)));
    }

    #[test]
    fn a_scene_set_with_dang_is_a_past_robbery() {
        for text in ["tôi bị cướp điện thoại khi đang dừng đèn đỏ", "em bi giat tui luc dang ngoi sau xe om toi qua"]
        {
            assert_eq!(run(text), Some(Safety::Report(ReportKind::Robbery)), "{text}");
        }
    }

    #[test]
    fn stabbings_street_names_and_collisions_get_their_numbers() {
        // Wrong numbers of the blind training sets E1 and E2: a stabbing is no collision, "Lê
        // Thánh Tông" no crash, a run-over with someone motionless is an accident, someone swept
        // away by the waves a rescue.
        for (text, kind) in [
            (
                "Có người bị đâm vào bụng trong lúc xô xát ở quán nhậu, kẻ đâm vẫn cầm dao đứng đó",
                EmergencyKind::Violence,
            ),
            ("ở đường Lê Thánh Tông đang có hai nhóm đánh nhau bằng gậy", EmergencyKind::Violence),
            ("xe khách lùi ra cán qua một cụ bà, bà nằm bất động", EmergencyKind::Accident),
            ("2 em học sinh tắm biển bị sóng kéo ra xa, đang la cứu", EmergencyKind::Rescue),
            ("có người đuổi nước ở hồ Tây cứu với", EmergencyKind::Rescue),
        ] {
            let found = run(text);
            assert!(
                matches!(found, Some(Safety::Emergency(k)) if k.services() == kind.services()),
                "{text}: {found:?}"
            );
        }
    }

    /// Both the rules alone and the rules with the second opinion give `kind`'s numbers.
    fn assert_numbers(text: &str, kind: EmergencyKind) {
        for (how, found) in [("rules alone", assess_rules_alone(text)), ("with the model", run(text))] {
            assert!(
                matches!(found, Some(Safety::Emergency(k)) if k.services() == kind.services()),
                "{text} ({how}): {found:?}"
            );
        }
    }

    #[test]
    fn medical_emergencies_typed_without_accents_or_in_english_are_medical() {
        // Blind set D: the key word ambiguous alone ("ngat", "dau de"), stroke signs, English.
        for text in [
            "ba toi dau nguc qua ngat luon roi",
            "ông tôi đau quá ngất luôn",
            "chi dau de roi, vo oi, xe chua toi",
            "chị ấy đau đẻ rồi, xe cấp cứu chưa tới",
            "con toi uong het vi thuoc ngu cua ba",
            "me toi bi stroke, noi ngong",
            "bố tôi méo miệng, tay trái liệt, nói không được",
        ] {
            assert_numbers(text, EmergencyKind::Medical);
        }
    }

    #[test]
    fn someone_about_to_jump_is_a_rescue_and_a_crash_with_bleeding_an_accident() {
        for text in [
            "co ba dang dung ngoai lan can cau Rong, doa nhay xuong",
            "Có cậu thanh niên trèo qua lan can tầng 8, định nhảy",
            "ông thợ đang bám ở mép mái tôn, gió to lắm",
        ] {
            assert_numbers(text, EmergencyKind::Rescue);
        }
        assert_numbers("vua tong nhau 3 xe o nga tu, mau chay nhieu lam", EmergencyKind::Accident);
    }

    #[test]
    fn fights_told_by_slang_and_a_wife_beaten_now_are_violence() {
        for text in [
            "mấy thằng say đang choảng nhau trước quán nhậu",
            "o dam cuoi chai lo bay tum lum, 2 ben dang lao vao nhau",
            "thang chong phong ben dang dasnh vo",
            "chồng chị Lan đang đánh vợ, la hét quá trời",
        ] {
            assert_numbers(text, EmergencyKind::Violence);
        }
    }

    #[test]
    fn drugs_dealt_and_things_carried_out_now_are_crimes_in_progress() {
        for text in [
            "dang co 2 thang ban ma tuy o goc cho, toi dang nhin thay",
            "Có người đang deal hàng trắng ở quán karaoke ngay lúc này",
            "có 3 người đang khuân đồ trong nhà hàng xóm ra xe",
        ] {
            assert_numbers(text, EmergencyKind::CrimeInProgress);
        }
        // Dealing told without a sign of now is a tip.
        assert_eq!(run("có người bán ma túy"), Some(Safety::Report(ReportKind::Drugs)));
    }

    #[test]
    fn calls_for_help_inside_a_story_are_emergencies() {
        for text in [
            "cuu toi voi, toi bi giu ho chieu o xuong may, khong ra ngoai duoc",
            "Em bị lạc ở bãi biển vắng, có mấy người đàn ông đang bám theo em",
        ] {
            assert_numbers(text, EmergencyKind::CallForHelp);
        }
    }

    #[test]
    fn a_past_snatch_theft_followed_up_or_to_be_reported_is_no_emergency() {
        for text in [
            "tuan truoc toi bi giat dien thoai, da trinh bao roi, gio co ket qua chua",
            "Hôm kia em bị giật dây chuyền ở chợ, giờ em muốn trình báo",
        ] {
            let found = run(text);
            assert!(!matches!(found, Some(Safety::Emergency(_))), "{text}: {found:?}");
        }
        assert_eq!(
            run("sáng nay tôi bị giật túi ở cổng chợ, giờ tôi muốn trình báo"),
            Some(Safety::Report(ReportKind::Robbery))
        );
    }

    #[test]
    fn a_past_theft_told_with_words_of_now_is_a_report() {
        // Blind set D's report misses: found gone on coming back (unaccented "ra la mat r" is no
        // "lạ mặt"), the victim's fear now, "bây giờ tôi phải làm gì" after the fact, a wanted
        // man named by his robbery.
        for (text, kind) in [
            ("xe dap cua con de truoc nha sach, 5p ra la mat r, ad giup e vs", ReportKind::Theft),
            ("bà em bị giật mất túi lúc sáng, giờ bà đang sợ lắm", ReportKind::Robbery),
            ("toi bi cuop dien thoai luc toi o cong vien, bay gio toi phai lam gi", ReportKind::Robbery),
            ("e nghi thg bi truy na vu cuop tiem vang dang o tro gan nha e", ReportKind::Wanted),
        ] {
            assert_eq!(assess_rules_alone(text), Some(Safety::Report(kind)), "{text} (rules alone)");
            assert_eq!(run(text), Some(Safety::Report(kind)), "{text}");
        }
    }

    #[test]
    fn report_kinds_told_by_who_and_what() {
        // Blind set D's wrong kinds: a child beaten or put to work by a parent or a stepfather,
        // groping after coming close, explicit pictures sent, a head wound, the gift-from-abroad
        // scam, dumping on the sly, cash that is no loss.
        for (text, kind) in [
            ("thang be hang xom bi bo me bat di ban ve so toi khuya", ReportKind::Abuse),
            ("con bé bị thằng dượng đánh bầm tím cả người", ReportKind::Abuse),
            ("có ông áp sát rồi sờ soạng em trên xe buýt sáng nay", ReportKind::Abuse),
            ("sep cu gui anh nhay cam cho em du em da nghi viec", ReportKind::Abuse),
            ("bạn tôi bị đánh vỡ đầu ở quán nhậu tối qua", ReportKind::Assault),
            ("em bị lừa chuyển phí để nhận quà từ nước ngoài, mất 10 triệu", ReportKind::Fraud),
            ("có xe đổ rác trộm ở bờ kênh Nhiêu Lộc", ReportKind::Environment),
            ("quan net cho choi tai xiu, chu quan thu tien mat", ReportKind::Gambling),
        ] {
            assert_eq!(assess_rules_alone(text), Some(Safety::Report(kind)), "{text} (rules alone)");
        }
    }

    #[test]
    fn registration_is_not_in_progress() {
        assert_eq!(run("dang ky xe bi trom"), Some(Safety::Report(ReportKind::Theft)));
        assert_eq!(run("dang ky tam tru o dau"), None);
    }

    /// Each message is an emergency with the numbers of its kind (a stranger at the door may be
    /// read as a crime in progress: 113 as well).
    fn assert_each_has_its_numbers(cases: &[(&str, EmergencyKind)]) {
        for (text, kind) in cases {
            let Some(Safety::Emergency(found)) = run(text) else { panic!("{text}: no emergency") };
            assert_eq!(found.services(), kind.services(), "{text}: {found:?}");
        }
    }

    /// Words that calm a message (papers, questions, the news) but were something else in an
    /// emergency: a plea ("xin gọi cấp cứu"), a helmet used as a weapon, "1 mk" (một mình), a
    /// tin roof, a greeting (blind sets E, F1, F2).
    #[test]
    fn calm_words_inside_an_emergency_do_not_calm_it() {
        assert_each_has_its_numbers(&[
            ("chồng tôi vừa ngã cầu thang bất tỉnh, xin gọi giúp xe cấp cứu", EmergencyKind::Medical),
            ("bọn nó cầm mũ bảo hiểm đánh túi bụi ông bán nước ngoài chợ", EmergencyKind::Violence),
            ("bà em ngất trong nhà tắm gọi ko tỉnh, e ở nhà 1 mk", EmergencyKind::Medical),
            ("nha kho ben canh bi chay, lua bat len mai ton roi", EmergencyKind::Fire),
            ("xin lỗi làm phiền, mẹ tôi đang co giật sùi bọt mép", EmergencyKind::Medical),
        ]);
        assert_eq!(run("xin cấp lại căn cước bị cháy mất góc"), None);
        assert_eq!(run("đội mũ bảo hiểm không cài quai bị phạt bao nhiêu"), None);
    }

    /// A threat with its condition told as a statement is happening now: 113 (blind sets E, F1,
    /// F2); a question about a threat stays calm.
    #[test]
    fn a_threat_with_its_condition_is_a_call_for_help() {
        for text in [
            "có thằng đứng ngoài cửa nói sẽ đạp cửa vào nếu em không mở",
            "chủ trọ nhốt em trong phòng, dọa sẽ đánh em nếu em báo công an",
            "bon no dang o trong san, doa chat tay bo toi neu khong tra tien",
        ] {
            assert!(matches!(run(text), Some(Safety::Emergency(_))), "{text}");
        }
        assert_eq!(run("nếu bị dọa đánh thì báo công an thế nào"), None);
    }

    /// Visitors type in English (blind training set E4): the rules read the plain words.
    #[test]
    fn emergencies_typed_in_english() {
        assert_each_has_its_numbers(&[
            ("I smell gas in the kitchen of my homestay", EmergencyKind::Fire),
            ("help, two men fighting with a knife near the night market", EmergencyKind::Violence),
            ("my friend is not breathing, please send ambulance", EmergencyKind::Medical),
            ("someone is inside my room right now, he takes my bag", EmergencyKind::CrimeInProgress),
            ("I need help, the driver will not let me out", EmergencyKind::CallForHelp),
        ]);
        assert_eq!(run("how much is an id card"), None);
    }

    /// Things seen happening now that have no emergency word: a child lost a moment ago, a thief
    /// climbing in, a stranger telling the sender to open the door, someone stuck up a tree.
    #[test]
    fn what_is_seen_happening_now() {
        assert_each_has_its_numbers(&[
            ("con tôi vừa đi lạc ở chợ Bến Thành, mới đây thôi", EmergencyKind::CallForHelp),
            ("có thằng đang trèo vào nhà hàng xóm qua cửa sổ", EmergencyKind::CrimeInProgress),
            ("có người lạ gõ cửa liên tục bảo mở cửa ra, em ở một mình", EmergencyKind::CallForHelp),
            ("bố tôi trèo hái mít bị chuột rút, ôm cây không xuống được", EmergencyKind::Rescue),
            ("xe tải lao xuống vực ở đèo, có người kêu bên dưới", EmergencyKind::Accident),
        ]);
    }

    /// A question, the news or papers calm only their own sentence; the past and whose smoke it
    /// is hold across sentences; a bare call for help beside papers stays calm (blind training
    /// set F3).
    #[test]
    fn each_sentence_is_read_on_its_own_when_another_calmed_the_message() {
        assert_each_has_its_numbers(&[
            ("Bình chữa cháy dùng thế nào ạ? Bếp nhà tôi vừa bắt lửa, lửa bén lên tủ rồi", EmergencyKind::Fire),
            (
                "Cho hỏi bị đột quỵ thì làm gì? Bố tôi vừa ngã trong bếp, nửa người yếu, nói không rõ",
                EmergencyKind::Medical,
            ),
            // Clauses too, with a sign of now (blind training set F7).
            ("Em định hỏi thủ tục trình báo thì thấy nhà bên cạnh đang bốc lửa", EmergencyKind::Fire),
        ]);
        for calm in [
            "Cho hỏi vụ cháy chợ hôm qua điều tra tới đâu rồi? Lửa bốc cao lắm",
            "Khi có cháy thì gọi số nào? Nhà tôi ở tầng 12",
            "Cứu em với ad ơi. Em quên mật khẩu VNeID rồi",
            "Cho hỏi đốt rác có bị phạt không? Khói bay vào nhà rất ngột ngạt",
            "mẹ em bị gọi điện nói con bị tai nạn cần tiền mổ gấp, chuyển tiền rồi mới biết bị lừa",
            "có người gọi bảo con tôi đang cấp cứu, bắt chuyển tiền gấp",
        ] {
            assert!(!matches!(run(calm), Some(Safety::Emergency(_))), "{calm}: {:?}", run(calm));
        }
    }
}
