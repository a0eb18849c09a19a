//! Categories of reports (loại tin báo): what a report is about decides how sensitive it is,
//! whether it is urgent, which legal deadline applies, and whether it may be published through
//! Open311. A deployment starts with [`default_categories`] and may rename, disable or add.

use serde::{Deserialize, Serialize};

/// How much a report of the category reveals about people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sensitivity {
    /// About a place or a nuisance (noise, racing, lost property): may be listed through
    /// Open311 without the reporter's details.
    Public,
    /// About people and crimes (a denunciation, drugs, violence): never published, reporters
    /// may seal their identity.
    Sensitive,
}

impl Sensitivity {
    pub fn as_str(self) -> &'static str {
        match self {
            Sensitivity::Public => "public",
            Sensitivity::Sensitive => "sensitive",
        }
    }

    pub fn parse(raw: &str) -> Option<Sensitivity> {
        match raw.trim() {
            "public" => Some(Sensitivity::Public),
            "sensitive" => Some(Sensitivity::Sensitive),
            _ => None,
        }
    }
}

crate::stored_name!(Sensitivity, "category sensitivity");

/// Which level of police a report of the category goes to by default (cấp xử lý mặc định): the
/// commune or ward police of the place, or the province police (a specialist team decides
/// there). Routing by place finds the commune-level unit; a `Province` category is handled by
/// its province-level ancestor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HandlingLevel {
    /// Công an cấp xã (the commune or ward of the place).
    #[default]
    Local,
    /// Công an tỉnh (the province police).
    Province,
}

impl HandlingLevel {
    pub const ALL: [HandlingLevel; 2] = [HandlingLevel::Local, HandlingLevel::Province];

    pub fn as_str(self) -> &'static str {
        match self {
            HandlingLevel::Local => "local",
            HandlingLevel::Province => "province",
        }
    }

    pub fn parse(raw: &str) -> Option<HandlingLevel> {
        HandlingLevel::ALL.into_iter().find(|l| l.as_str() == raw.trim())
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            HandlingLevel::Local => "Công an cấp xã nơi xảy ra",
            HandlingLevel::Province => "Công an tỉnh",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            HandlingLevel::Local => "Commune or ward police of the place",
            HandlingLevel::Province => "Province police",
        }
    }
}

crate::stored_name!(HandlingLevel, "category handling level");

/// An extra question a category asks (an Open311 attribute).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    /// The attribute code (`vehicle_plate`).
    pub code: String,
    pub label_vi: String,
    pub label_en: String,
    pub required: bool,
    /// The allowed answers; empty for free text.
    #[serde(default)]
    pub choices: Vec<(String, String)>,
}

/// A category of report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Category {
    /// The stored key (`theft`), also the Open311 `service_code`.
    pub key: String,
    pub label_vi: String,
    pub label_en: String,
    pub sensitivity: Sensitivity,
    /// Reports of it are alarms for the duty officer.
    pub urgent: bool,
    /// The legal deadline to decide, in days (a denunciation or tip: 20, Criminal Procedure
    /// Code 2015 art. 147); `None` for what is not a denunciation or tip (noise, lost property).
    pub legal_days: Option<u16>,
    /// Who handles it by default.
    #[serde(default)]
    pub handling: HandlingLevel,
    #[serde(default)]
    pub questions: Vec<Question>,
}

impl Category {
    pub fn is_sensitive(&self) -> bool {
        self.sensitivity == Sensitivity::Sensitive
    }

    /// Whether Open311 may list and accept it.
    pub fn open311(&self) -> bool {
        !self.is_sensitive() && !self.urgent
    }
}

/// The key of the category every unrecognised report starts in.
pub const FALLBACK: &str = "public_order";

fn cat(
    key: &str,
    vi: &str,
    en: &str,
    sensitivity: Sensitivity,
    urgent: bool,
    legal_days: Option<u16>,
    questions: Vec<Question>,
) -> Category {
    Category {
        key: key.into(),
        label_vi: vi.into(),
        label_en: en.into(),
        sensitivity,
        urgent,
        legal_days,
        handling: HandlingLevel::Local,
        questions,
    }
}

fn question(code: &str, vi: &str, en: &str, required: bool, choices: &[(&str, &str)]) -> Question {
    Question {
        code: code.into(),
        label_vi: vi.into(),
        label_en: en.into(),
        required,
        choices: choices.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
    }
}

/// The categories a deployment starts with, in the order citizens are offered them.
pub fn default_categories() -> Vec<Category> {
    use Sensitivity::*;
    const TIP: Option<u16> = Some(20);
    vec![
        cat("fire", "Cháy, nổ", "Fire or explosion", Public, true, None, vec![]),
        cat("rescue", "Cứu nạn, cứu hộ", "Rescue", Public, true, None, vec![]),
        cat("traffic_accident", "Tai nạn giao thông", "Traffic accident", Public, true, None, vec![]),
        cat("theft", "Trộm cắp, cướp tài sản", "Theft or robbery", Sensitive, false, TIP, vec![]),
        cat("fraud", "Lừa đảo, chiếm đoạt tài sản", "Fraud", Sensitive, false, TIP, vec![]),
        cat("violence", "Đánh nhau, đe dọa, đòi nợ", "Fights, threats, debt collectors", Sensitive, false, TIP, vec![]),
        cat(
            "domestic_violence",
            "Bạo lực gia đình, xâm hại",
            "Domestic violence, abuse",
            Sensitive,
            false,
            TIP,
            vec![],
        ),
        cat("drugs", "Ma túy", "Drugs", Sensitive, false, TIP, vec![]),
        cat("gambling", "Cờ bạc, cá độ", "Gambling, betting", Sensitive, false, TIP, vec![]),
        cat("wanted_person", "Phát hiện đối tượng truy nã", "A wanted person seen", Sensitive, true, TIP, vec![]),
        cat("denunciation", "Tố giác tội phạm khác", "Other crime denunciation", Sensitive, false, TIP, vec![]),
        cat(FALLBACK, "Tin báo về an ninh, trật tự", "Public order tip", Sensitive, false, TIP, vec![]),
        cat(
            "street_racing",
            "Đua xe, lạng lách",
            "Street racing",
            Public,
            false,
            None,
            vec![question(
                "usual_time",
                "Thường xảy ra vào lúc nào?",
                "When does it usually happen?",
                false,
                &[("evening", "Buổi tối"), ("late_night", "Đêm khuya"), ("weekend", "Cuối tuần")],
            )],
        ),
        cat(
            "noise",
            "Gây ồn ào, mất trật tự",
            "Noise, disorder",
            Public,
            false,
            None,
            vec![question(
                "source",
                "Nguồn gây ồn",
                "Source of the noise",
                true,
                &[
                    ("karaoke", "Hát karaoke, loa"),
                    ("construction", "Công trình"),
                    ("gathering", "Tụ tập"),
                    ("other", "Khác"),
                ],
            )],
        ),
        cat("environment", "Ô nhiễm môi trường", "Pollution", Public, false, None, vec![]),
        cat(
            "lost_property",
            "Mất hoặc nhặt được tài sản",
            "Lost or found property",
            Public,
            false,
            None,
            vec![question(
                "lost_or_found",
                "Anh/chị bị mất hay nhặt được?",
                "Did you lose or find it?",
                true,
                &[("lost", "Bị mất"), ("found", "Nhặt được")],
            )],
        ),
        cat("suggestion", "Góp ý, kiến nghị với Công an", "A suggestion to the police", Public, false, None, vec![]),
    ]
}

/// The category of a report recognised by the text engine (`ReportKind::as_str`).
pub fn category_for_report(kind: &str) -> &'static str {
    match kind {
        "theft" | "robbery" => "theft",
        "fraud" => "fraud",
        "assault" => "violence",
        "abuse" => "domestic_violence",
        "drugs" => "drugs",
        "gambling" => "gambling",
        "racing" => "street_racing",
        "noise" => "noise",
        "wanted" => "wanted_person",
        "lost_property" => "lost_property",
        "environment" => "environment",
        "other" => "denunciation",
        _ => FALLBACK,
    }
}

/// The category of the case an emergency opens (`EmergencyKind` snake_case name); `None` for
/// a medical emergency, which is for 115 and the duty officer's alarm, not a police case.
pub fn category_for_emergency(kind: &str) -> Option<&'static str> {
    match kind {
        "fire" => Some("fire"),
        "rescue" => Some("rescue"),
        "accident" => Some("traffic_accident"),
        "violence" => Some("violence"),
        "crime_in_progress" => Some("theft"),
        "medical" => None,
        _ => Some(FALLBACK),
    }
}

/// Checks a category key typed by an admin: 2–40 lowercase ASCII letters, digits and `_`.
pub fn valid_key(key: &str) -> bool {
    (2..=40).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}
