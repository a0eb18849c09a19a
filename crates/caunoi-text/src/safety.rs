//! Safety rules that run before any FAQ answer: emergencies and crime reports.
//!
//! A message describing an emergency happening now (a fire, a fight, someone unconscious or
//! bleeding, a crime in progress, a call for help) gets [`Safety::Emergency`]; a statement that
//! the sender or someone else has been a crime victim, or wants to report a crime, gets
//! [`Safety::Report`]. The bot turns these into emergency guidance (113/114/115) or the report
//! flow; they are never answered from the knowledge base.
//!
//! Informational questions still reach the FAQ: "thủ tục tố giác tội phạm như thế nào",
//! "bị trộm xe rồi trình báo ở đâu" and "khi có cháy thì làm gì" are procedure questions that
//! knowledge-base entries answer. So a report needs a statement (no question form), and an
//! emergency needs an event term together with a sign that it is happening now ("đang",
//! "ngay lúc này", "cứu với"), unless the event is severe on its own (unconscious, heavy
//! bleeding). Hypothetical wording ("khi", "nếu", "cách") cancels the in-progress reading.
//!
//! Patterns are written in accented Vietnamese. A message syllable typed with diacritics must
//! match a pattern syllable exactly; one typed without diacritics matches on the folded form,
//! except for pattern syllables marked `!` (too ambiguous without accents: "chay" is cháy,
//! chạy or chay). A pattern may end with `~ w1 w2`: it does not match when the next syllable is
//! one of those ("đang" before "ký" is "đăng ký" typed without accents).

use std::sync::LazyLock;

use serde::Serialize;

use crate::normalize::{fold_syllable, has_diacritics};

/// What kind of emergency a message describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EmergencyKind {
    /// A fire or explosion happening now (114).
    Fire,
    /// Violence in progress: a fight, a weapon, a kidnapping (113).
    Violence,
    /// Someone unconscious, bleeding, not breathing, a suicide attempt (115).
    Medical,
    /// A serious traffic accident (113/115).
    Accident,
    /// A theft, robbery or break-in happening now (113).
    CrimeInProgress,
    /// A call for help without more detail ("cứu với").
    CallForHelp,
}

/// What kind of crime a message reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    /// Trộm cắp, móc túi, giật đồ.
    Theft,
    /// Cướp, cướp giật, trấn lột.
    Robbery,
    /// Lừa đảo, chiếm đoạt tài sản.
    Fraud,
    /// Đánh, hành hung, đe dọa, tống tiền.
    Assault,
    /// Quấy rối, xâm hại, bạo lực gia đình.
    Abuse,
    /// Ma túy, cờ bạc and other tips about crime.
    CrimeTip,
    /// A wish to report (tố giác, trình báo) without a recognised crime type.
    Other,
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

struct Pattern {
    syllables: Vec<PatternSyllable>,
    not_followed_by: Vec<String>,
}

struct PatternSyllable {
    exact: String,
    folded: String,
    strict: bool,
}

impl Pattern {
    fn parse(spec: &str) -> Pattern {
        let (words, exclusions) = spec.split_once('~').unwrap_or((spec, ""));
        let syllables = words
            .split_whitespace()
            .map(|w| {
                let strict = w.starts_with('!');
                let exact = crate::normalize::normalize(w.trim_start_matches('!'));
                PatternSyllable { folded: fold_syllable(&exact), exact, strict }
            })
            .collect();
        let not_followed_by = exclusions.split_whitespace().map(fold_syllable).collect();
        Pattern { syllables, not_followed_by }
    }

    fn matches_at(&self, message: &[Syllable], at: usize) -> bool {
        let n = self.syllables.len();
        if n == 0 || at + n > message.len() {
            return false;
        }
        let all = self
            .syllables
            .iter()
            .zip(&message[at..at + n])
            .all(|(p, m)| if m.accented || p.strict { m.exact == p.exact } else { m.folded == p.folded });
        all && message.get(at + n).is_none_or(|next| !self.not_followed_by.contains(&next.folded))
    }

    fn find(&self, message: &[Syllable]) -> bool {
        (0..message.len()).any(|at| self.matches_at(message, at))
    }
}

struct Syllable {
    exact: String,
    folded: String,
    accented: bool,
}

fn patterns(specs: &[&str]) -> Vec<Pattern> {
    specs.iter().map(|s| Pattern::parse(s)).collect()
}

fn any(list: &[Pattern], message: &[Syllable]) -> bool {
    list.iter().any(|p| p.find(message))
}

struct Rules {
    now: Vec<Pattern>,
    hypothetical: Vec<Pattern>,
    question: Vec<Pattern>,
    help: Vec<Pattern>,
    medical: Vec<Pattern>,
    fire: Vec<Pattern>,
    violence: Vec<Pattern>,
    accident: Vec<Pattern>,
    accident_severe: Vec<Pattern>,
    crime_now: Vec<Pattern>,
    reports: Vec<(ReportKind, Vec<Pattern>)>,
}

static RULES: LazyLock<Rules> = LazyLock::new(|| Rules {
    now: patterns(&[
        "đang ~ ký kí ki",
        "ngay lúc này",
        "lúc này",
        "ngay bây giờ",
        "đang diễn ra",
        "cứu với",
        "cứu tôi",
        "cứu em",
        "nhanh lên",
        "khẩn cấp",
    ]),
    hypothetical: patterns(&["khi", "nếu", "lỡ", "giả sử", "cách", "quy định", "phòng", "thủ tục", "hướng dẫn"]),
    question: patterns(&[
        "ở đâu",
        "chỗ nào",
        "thế nào",
        "ra sao",
        "làm sao",
        "làm gì",
        "cần gì",
        "cần làm",
        "báo ai",
        "gọi ai",
        "số nào",
        "tổng đài nào",
        "bao lâu",
        "bao nhiêu",
        "được không",
        "có được",
        "có phải",
        "phải không",
        "có sao không",
        "thủ tục",
        "cách nào",
        "hướng dẫn",
        "hả",
        "không ạ",
        "như thế nào",
        "ntn",
    ]),
    help: patterns(&[
        "cứu tôi",
        "cứu em",
        "cứu với",
        "cứu mạng",
        "cứu con",
        "cứu cháu",
        "cứu mẹ",
        "cứu bố",
        "cứu cứu",
        "sos",
        "help me",
        "giúp tôi với",
        "giúp em với",
    ]),
    medical: patterns(&[
        "ngất xỉu",
        "bị !ngất",
        "!ngất đi",
        "bất tỉnh",
        "không !tỉnh",
        "hôn mê",
        "chảy nhiều máu",
        "chảy máu nhiều",
        "mất nhiều máu",
        "ngừng thở",
        "không thở",
        "tắt thở",
        "khó thở",
        "co giật",
        "đột quỵ",
        "nguy kịch",
        "bị thương nặng",
        "tự tử",
        "tự sát",
        "treo cổ",
        "nhảy cầu",
        "uống thuốc sâu",
        "đuối nước",
        "chết đuối",
        "bị điện giật",
        "ngộ độc",
    ]),
    fire: patterns(&[
        "đám cháy",
        "cháy nhà",
        "nhà cháy",
        "cháy lớn",
        "bốc cháy",
        "hỏa hoạn",
        "hoả hoạn",
        "!cháy rồi",
        "đang !cháy",
        "cháy nổ",
        "phát nổ",
        "nổ bình gas",
        "khói mù mịt",
        "khói nghi ngút",
    ]),
    violence: patterns(&[
        "đánh nhau",
        "!đánh người",
        "đâm chém",
        "chém nhau",
        "chém người",
        "đâm người",
        "cầm dao",
        "cầm mã tấu",
        "hung khí",
        "nổ súng",
        "có súng",
        "bắt cóc",
        "hành hung",
        "truy sát",
        "đuổi đánh",
        "ẩu đả",
        "hỗn chiến",
        "đập phá",
        "!đánh",
        "bị đánh ~ giá gia",
    ]),
    accident: patterns(&[
        "tai nạn",
        "đâm xe",
        "tông xe",
        "va chạm",
        "lật xe",
        "đâm nhau",
        "tông nhau",
        "đâm vào",
        "tông vào",
    ]),
    accident_severe: patterns(&[
        "chết",
        "tử vong",
        "mắc kẹt",
        "kẹt trong xe",
        "nằm bất động",
        "chảy máu",
        "gãy chân",
        "gãy tay",
    ]),
    crime_now: patterns(&[
        "trộm",
        "ăn cắp",
        "cướp",
        "đột nhập",
        "trấn lột",
        "cạy cửa",
        "phá khóa",
        "bẻ khóa",
        "giật đồ",
        "giật túi",
        "giật điện thoại",
    ]),
    reports: vec![
        (ReportKind::Robbery, patterns(&["bị cướp", "bị trấn lột", "cướp giật", "bị giật"])),
        (
            ReportKind::Theft,
            patterns(&["bị trộm", "bị mất trộm", "bị ăn trộm", "bị ăn cắp", "bị móc túi", "bị đột nhập", "trộm mất"]),
        ),
        (
            ReportKind::Fraud,
            patterns(&["bị lừa", "lừa đảo tôi", "lừa đảo em", "lừa tôi", "lừa em", "bị chiếm đoạt", "bị lừa đảo"]),
        ),
        (
            ReportKind::Assault,
            patterns(&[
                "bị đánh ~ giá gia số so thuế thue",
                "bị hành hung",
                "bị đe dọa",
                "bị đe doạ",
                "bị tống tiền",
                "bị khủng bố",
                "dọa giết",
            ]),
        ),
        (
            ReportKind::Abuse,
            patterns(&["bị quấy rối", "bị xâm hại", "bị hiếp", "bị sàm sỡ", "bị bạo hành", "bạo hành"]),
        ),
        (
            ReportKind::CrimeTip,
            patterns(&[
                "bán ma túy",
                "buôn ma túy",
                "bán ma tuý",
                "buôn ma tuý",
                "sử dụng ma túy",
                "chơi ma túy",
                "đánh bạc",
                "tổ chức đánh bạc",
                "cá độ",
                "mua bán người",
            ]),
        ),
        (
            ReportKind::Other,
            patterns(&[
                "muốn tố giác",
                "xin tố giác",
                "muốn trình báo",
                "muốn báo án",
                "tố giác",
                "trình báo",
                "báo án",
            ]),
        ),
    ],
});

/// Runs the safety rules on normalized syllables (after abbreviation expansion).
/// `question_mark` says whether the raw message contained "?".
pub fn check(syllables: &[String], question_mark: bool) -> Option<Safety> {
    let message: Vec<Syllable> = syllables
        .iter()
        .map(|s| Syllable { exact: s.clone(), folded: fold_syllable(s), accented: has_diacritics(s) })
        .collect();
    if message.is_empty() {
        return None;
    }
    let rules = &*RULES;
    if any(&rules.help, &message) || (message.len() <= 2 && message.iter().all(|s| s.folded == "cuu")) {
        return Some(Safety::Emergency(EmergencyKind::CallForHelp));
    }
    let now = any(&rules.now, &message);
    let hypothetical = any(&rules.hypothetical, &message);
    let question = question_mark || any(&rules.question, &message) || ends_as_question(&message);
    if any(&rules.medical, &message) && !(hypothetical && question) {
        return Some(Safety::Emergency(EmergencyKind::Medical));
    }
    let happening = now && !hypothetical;
    if happening && any(&rules.fire, &message) {
        return Some(Safety::Emergency(EmergencyKind::Fire));
    }
    if any(&rules.accident, &message) && (happening || (any(&rules.accident_severe, &message) && !hypothetical)) {
        return Some(Safety::Emergency(EmergencyKind::Accident));
    }
    if happening && any(&rules.violence, &message) {
        return Some(Safety::Emergency(EmergencyKind::Violence));
    }
    if happening && any(&rules.crime_now, &message) {
        return Some(Safety::Emergency(EmergencyKind::CrimeInProgress));
    }
    if question {
        return None;
    }
    rules.reports.iter().find(|(_, list)| any(list, &message)).map(|(kind, _)| Safety::Report(*kind))
}

/// "… có … không" / "… chưa" at the end of a message is a yes/no question.
fn ends_as_question(message: &[Syllable]) -> bool {
    let tail: Vec<&str> = message.iter().rev().take(3).map(|s| s.folded.as_str()).collect();
    let is_particle = |w: &str| matches!(w, "khong" | "chua" | "ko" | "k" | "ha" | "sao" | "nhi");
    tail.first().is_some_and(|w| is_particle(w))
        || (tail.len() >= 2 && matches!(tail[0], "a" | "ad" | "admin" | "vay" | "nhe") && is_particle(tail[1]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abbrev::Abbreviations;
    use crate::normalize::analyze;

    fn run(text: &str) -> Option<Safety> {
        let a = analyze(text);
        let syllables = Abbreviations::builtin().expand_all(&a.syllables);
        check(&syllables, a.question_mark)
    }

    #[test]
    fn fire_in_progress_is_emergency() {
        assert_eq!(run("đang có đám cháy lớn ở xưởng gỗ cuối phố"), Some(Safety::Emergency(EmergencyKind::Fire)));
        assert_eq!(run("nha toi dang chay khoi mu mit"), Some(Safety::Emergency(EmergencyKind::Fire)));
    }

    #[test]
    fn fire_safety_question_is_not_emergency() {
        assert_eq!(run("cach su dung binh chua chay khi chay nho"), None);
        assert_eq!(run("khi có đám cháy thì thoát nạn thế nào"), None);
        assert_eq!(run("xe dang chay thi bi dung lai"), None);
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
    fn crime_statement_is_a_report() {
        assert_eq!(run("tôi vừa bị cướp giật điện thoại ở ngã tư"), Some(Safety::Report(ReportKind::Robbery)));
        assert_eq!(run("lừa đảo tôi vừa bị mất 50 triệu"), Some(Safety::Report(ReportKind::Fraud)));
        assert_eq!(run("nhà em bị trộm mất xe máy đêm qua"), Some(Safety::Report(ReportKind::Theft)));
    }

    #[test]
    fn procedure_questions_about_reporting_reach_the_faq() {
        assert_eq!(run("thủ tục tố giác tội phạm như thế nào"), None);
        assert_eq!(run("bi trom xe r trinh bao o dau ad"), None);
        assert_eq!(run("e bi lua chuyen khoan r, bao o dau a"), None);
        assert_eq!(run("Tôi vừa va quẹt với xe khác, có người bị trầy xước, cần báo ai?"), None);
    }

    #[test]
    fn registration_is_not_in_progress() {
        assert_eq!(run("dang ky xe bi trom"), Some(Safety::Report(ReportKind::Theft)));
        assert_eq!(run("dang ky tam tru o dau"), None);
    }
}
