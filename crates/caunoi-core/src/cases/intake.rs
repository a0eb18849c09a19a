//! The report flow in the chat (tiếp nhận tin báo qua trò chuyện): a short guided exchange
//! that turns a citizen's messages on Zalo or the web chat into a case, one question per bot
//! message: what happened ([`Step::What`], then a short description or the category's extra
//! questions when needed), where ([`Step::Where`]: a shared location, a typed address, or "Không
//! nhớ địa điểm"), when ([`Step::When`]), photos and videos ([`Step::Media`]) and how the
//! reporter is known ([`Step::Mode`]), then done.
//!
//! Pure: the state ([`Intake`]) lives in the conversation's stored memory; [`start`],
//! [`start_emergency`] and [`step`] take it with the citizen's input and the time, and return
//! the next state, the replies and the [`Effect`]s the app applies in the turn's transaction
//! (file the case, add a place, attach a photo, set the reporter mode). Nothing here knows the
//! case's id before the app files it; a reply that must name the code carries
//! [`CODE_PLACEHOLDER`], which the app fills in.
//!
//! Invariants: at most one reply per citizen message (an emergency's guidance comes from the
//! bot, and the flow adds one message after it: never more than [`crate::bot::MAX_REPLIES`]);
//! at most [`MAX_BUTTONS`] buttons on a reply; nothing is filed before the citizen reaches the
//! end or taps "Gửi ngay" — except an emergency, filed from its first message; a stopped flow
//! files nothing and can be resumed for [`RESUME_WITHIN_MICROS`]; a flow left alone for
//! [`IDLE_PAUSE_MICROS`] no longer reads the next message as an answer.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{CaseCode, Category, MAX_DESCRIPTION_CHARS, MAX_PLACE_CHARS, ReporterMode, Status};
use crate::bot::{BotReply, Button, MAX_BUTTONS, MediaKind};

/// Where the app writes the case's code in a reply (`TB-XXXX-XXXX`).
pub const CODE_PLACEHOLDER: &str = "{ma_tin_bao}";
/// The reply to a status question; the app writes the answer in its place ([`status_answer`]).
pub const STATUS_PLACEHOLDER: &str = "{trang_thai_tin_bao}";
/// A flow untouched this long no longer reads the next message as an answer: it waits, paused,
/// for "tiếp tục" (a question about a procedure an hour later is a question, not the "when").
pub const IDLE_PAUSE_MICROS: i64 = 30 * 60 * 1_000_000;
/// A paused flow can be resumed this long after its last answer; then it is forgotten, and
/// nothing of it was ever filed.
pub const RESUME_WITHIN_MICROS: i64 = 24 * 3_600 * 1_000_000;
/// Most photos and videos one report takes in the chat.
pub const MAX_MEDIA: usize = 10;
/// Categories offered per page of [`Step::What`] (with "Loại khác" and "Dừng" it fills the
/// buttons).
pub const CATEGORIES_PER_PAGE: usize = MAX_BUTTONS - 2;

/// Every payload of the flow's buttons starts with this.
pub const PREFIX: &str = "rp:";
const CAT: &str = "rp:cat:";
const ANSWER: &str = "rp:ans:";
const MODE: &str = "rp:mode:";
const MORE: &str = "rp:more";
const SKIP: &str = "rp:skip";
const BACK: &str = "rp:back";
const STOP: &str = "rp:stop";
const SEND: &str = "rp:send";
const NO_PLACE: &str = "rp:noplace";
const JUST_NOW: &str = "rp:now";
const TODAY: &str = "rp:today";
const DONE: &str = "rp:done";
const RESUME: &str = "rp:resume";

/// A point in WGS 84 degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub lat: f64,
    pub lon: f64,
}

// Points are built only from finite coordinates ([`in_vietnam`]), so equality is total.
impl Eq for Point {}

/// Whether a point lies in Vietnam ([`crate::geo::GeoPoint::new`]'s check, islands included).
pub fn in_vietnam(lat: f64, lon: f64) -> bool {
    crate::geo::GeoPoint::new(lat, lon).is_ok()
}

/// Where the flow stands: the question the citizen was asked last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "step", content = "n")]
pub enum Step {
    /// Which category (buttons, or a typed description that names it).
    What,
    /// A short description, when the category came from a button.
    Describe,
    /// The category's extra question of this index.
    Question(u8),
    Where,
    When,
    Media,
    Mode,
    /// Filed and nothing more to ask.
    Done,
}

/// A photo or video the citizen sent during the flow (kept by the app under `media_ref`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    pub media_ref: String,
    /// `image` or `video`.
    pub kind: String,
}

/// The flow's state, kept in the conversation's bot memory between messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Intake {
    pub step: Step,
    /// The steps answered, for "Quay lại".
    pub trail: Vec<Step>,
    pub started_at: i64,
    /// The citizen's last answer.
    pub touched_at: i64,
    /// Stopped ("Dừng") or left idle; "tiếp tục" resumes it.
    pub paused: bool,
    /// The emergency kind that filed the case at once.
    pub emergency: Option<String>,
    pub category: Option<String>,
    pub description: String,
    pub point: Option<Point>,
    pub address: Option<String>,
    pub place_unknown: bool,
    pub occurred: Option<String>,
    pub attributes: BTreeMap<String, String>,
    /// Photos and videos waiting for the case to be filed.
    pub media: Vec<Evidence>,
    /// Photos and videos received in all.
    pub media_count: u16,
    pub mode: Option<ReporterMode>,
    /// The filed case (the app sets it after filing).
    pub case: Option<i64>,
    pub code: Option<String>,
    /// The page of categories shown.
    pub page: u8,
}

impl Default for Intake {
    fn default() -> Self {
        Intake {
            step: Step::What,
            trail: Vec::new(),
            started_at: 0,
            touched_at: 0,
            paused: false,
            emergency: None,
            category: None,
            description: String::new(),
            point: None,
            address: None,
            place_unknown: false,
            occurred: None,
            attributes: BTreeMap::new(),
            media: Vec::new(),
            media_count: 0,
            mode: None,
            case: None,
            code: None,
            page: 0,
        }
    }
}

/// What the citizen sent, as the flow reads it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum IntakeInput<'a> {
    Text(&'a str),
    /// A button payload (or the payload a typed number picked).
    Choice(&'a str),
    Location {
        lat: f64,
        lon: f64,
    },
    Media {
        kind: MediaKind,
        media_ref: Option<&'a str>,
    },
    /// A sticker, a follow: nothing to read.
    Other,
}

/// A case ready to be filed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub category: String,
    pub description: String,
    pub point: Option<Point>,
    pub address: Option<String>,
    pub place_unknown: bool,
    pub occurred: Option<String>,
    pub attributes: BTreeMap<String, String>,
    pub mode: ReporterMode,
    /// An emergency: urgent whatever the category.
    pub urgent: bool,
    pub media: Vec<Evidence>,
}

/// What the app does in the turn's transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Make the case; the replies carry [`CODE_PLACEHOLDER`].
    File(Draft),
    /// The filed case's place or time, as the reporter added it (`None` leaves a field as is).
    Update { point: Option<Point>, address: Option<String>, place_unknown: Option<bool>, occurred: Option<String> },
    /// A photo or video for the filed case.
    Attach(Evidence),
    /// How the reporter of the filed case is known.
    SetMode(ReporterMode),
    /// Answer a status question ([`STATUS_PLACEHOLDER`]): the conversation's latest case, or the
    /// case with this code if it belongs to the same citizen.
    Status { code: Option<String> },
}

/// What one message did to the flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// `None` when the flow is over (done, or forgotten).
    pub intake: Option<Intake>,
    pub replies: Vec<BotReply>,
    pub effects: Vec<Effect>,
    /// Filed now, in a sensitive or urgent category: the conversation goes to the officers.
    pub hand_off: bool,
}

/// What the flow knows about the deployment: the enabled categories in order, and the unit.
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'a> {
    pub categories: &'a [Category],
    pub unit_name: &'a str,
    /// Who an urgent case's alarm reaches now, told honestly in the message that gives its code.
    pub staffed: Staffed,
}

/// Who is there to read an urgent case now (from the unit's roster and opening hours).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Staffed {
    /// A duty shift covers now: the duty officer's alarm rings.
    OnDuty,
    /// No shift, but the office is open: the unit's officers' consoles ring.
    OfficeOpen,
    /// Nobody: the alarm waits for the first officer who opens the console.
    Nobody,
}

impl Staffed {
    pub fn of(on_duty: bool, open_now: bool) -> Staffed {
        match (on_duty, open_now) {
            (true, _) => Staffed::OnDuty,
            (false, true) => Staffed::OfficeOpen,
            (false, false) => Staffed::Nobody,
        }
    }

    /// The end of the sentence that gives an urgent case's code.
    fn told(self) -> &'static str {
        match self {
            Staffed::OnDuty => "cán bộ trực ban đã được báo.",
            Staffed::OfficeOpen => "cán bộ của đơn vị đã được báo.",
            Staffed::Nobody => "lúc này chưa có cán bộ trực tuyến, anh/chị hãy gọi ngay số khẩn cấp ở trên.",
        }
    }
}

impl Ctx<'_> {
    fn category(&self, key: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.key == key)
    }

    /// Categories a citizen may pick: the emergencies (fire, accidents) are for 113/114/115
    /// and the typed emergency path, not a button.
    fn pickable(&self) -> Vec<&Category> {
        self.categories.iter().filter(|c| !c.urgent || c.key == "wanted_person").collect()
    }
}

fn button(label: &str, payload: impl Into<String>) -> Button {
    Button { label: label.to_owned(), payload: payload.into() }
}

fn reply(text: String, buttons: Vec<Button>) -> BotReply {
    let mut buttons = buttons;
    buttons.truncate(MAX_BUTTONS);
    BotReply { text, buttons, feedback_for: None }
}

fn clip(text: &str, max: usize) -> String {
    text.trim().chars().take(max).collect::<String>().trim().to_owned()
}

/// Folded words of a text ("Không có ảnh" → "khong co anh").
fn folded(text: &str) -> String {
    caunoi_text::normalize::fold(text).split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A typed word that means one of the flow's buttons ("dung", "bo qua", "quay lai"…).
fn typed_command(text: &str) -> Option<&'static str> {
    let f = folded(text);
    let f = f.trim_matches(|c: char| !c.is_alphanumeric() && c != ' ');
    match f {
        "dung" | "dung lai" | "huy" | "thoi" | "khong bao nua" | "stop" => Some(STOP),
        "bo qua" | "bq" | "skip" | "khong biet" => Some(SKIP),
        "quay lai" | "tro lai" | "back" => Some(BACK),
        "gui ngay" | "gui luon" | "gui" => Some(SEND),
        "xong" | "da xong" | "het" | "khong co anh" | "khong co" | "khong" => Some(DONE),
        "tiep tuc" | "tiep" => Some(RESUME),
        "vua xay ra" | "vua xong" | "bay gio" | "ngay bay gio" => Some(JUST_NOW),
        "hom nay" => Some(TODAY),
        "khong nho" | "khong nho dia diem" | "khong ro" => Some(NO_PLACE),
        "cong khai" => Some("rp:mode:open"),
        "bao mat" | "bao mat danh tinh" => Some("rp:mode:sealed"),
        "an danh" => Some("rp:mode:anonymous"),
        _ => None,
    }
}

/// Whether a typed text asks to resume a stopped report.
pub fn asks_to_resume(text: &str) -> bool {
    typed_command(text) == Some(RESUME)
}

impl Intake {
    /// Whether the flow is forgotten at `now` (paused or not, after [`RESUME_WITHIN_MICROS`]).
    pub fn expired(&self, now: i64) -> bool {
        now - self.touched_at > RESUME_WITHIN_MICROS
    }

    /// Whether the next message is read as an answer: not paused, not idle too long, not done.
    pub fn listening(&self, now: i64) -> bool {
        !self.paused && self.step != Step::Done && now - self.touched_at <= IDLE_PAUSE_MICROS
    }

    fn filed(&self) -> bool {
        self.case.is_some() || self.emergency.is_some()
    }

    fn draft(&self, ctx: &Ctx<'_>) -> Draft {
        let category = self.category.clone().unwrap_or_else(|| super::category::FALLBACK.to_owned());
        let description = if self.description.trim().is_empty() {
            ctx.category(&category).map(|c| c.label_vi.clone()).unwrap_or_else(|| "Tin báo qua trò chuyện".into())
        } else {
            clip(&self.description, MAX_DESCRIPTION_CHARS)
        };
        Draft {
            category,
            description,
            point: self.point,
            address: self.address.clone(),
            place_unknown: self.place_unknown,
            occurred: self.occurred.clone(),
            attributes: self.attributes.clone(),
            // Not chosen yet: the identity is protected until the citizen says otherwise.
            mode: self.mode.unwrap_or(ReporterMode::Sealed),
            urgent: self.emergency.is_some(),
            media: self.media.clone(),
        }
    }

    /// The first required question of the category still unanswered.
    fn missing_required(&self, ctx: &Ctx<'_>) -> Option<u8> {
        let cat = ctx.category(self.category.as_deref()?)?;
        cat.questions
            .iter()
            .position(|q| q.required && !self.attributes.contains_key(&q.code))
            .and_then(|i| u8::try_from(i).ok())
    }

    /// The step after `from` for this report.
    fn next_after(&self, from: Step, ctx: &Ctx<'_>) -> Step {
        let questions = self.category.as_deref().and_then(|k| ctx.category(k)).map_or(0, |c| c.questions.len());
        let first_question = |i: usize| if i < questions { Step::Question(i as u8) } else { Step::Where };
        let next = match from {
            Step::What if self.description.trim().is_empty() => Step::Describe,
            Step::What | Step::Describe => first_question(0),
            Step::Question(i) => first_question(i as usize + 1),
            Step::Where => Step::When,
            Step::When => Step::Media,
            Step::Media => Step::Mode,
            Step::Mode | Step::Done => Step::Done,
        };
        // An emergency was filed "now": its "when" is known.
        if next == Step::When && self.emergency.is_some() { Step::Media } else { next }
    }
}

/// Starts the flow for a report the bot recognised (`category` from
/// [`super::category_for_report`], `None` when the citizen only asked to report: the menu,
/// "tôi muốn tố giác"). The first message is the description when it says more than the wish
/// to report.
pub fn start(ctx: &Ctx<'_>, category: Option<&str>, first_text: &str, now: i64) -> Outcome {
    let mut intake = Intake { started_at: now, touched_at: now, ..Intake::default() };
    intake.category = category.filter(|k| ctx.category(k).is_some()).map(str::to_owned);
    if intake.category.is_some() || first_text.split_whitespace().count() >= 6 {
        intake.description = clip(first_text, MAX_DESCRIPTION_CHARS);
    }
    let mut lead = format!(
        "{} tiếp nhận tin báo của anh/chị. Xin trả lời vài câu hỏi ngắn để cán bộ xử lý nhanh; \
         thông tin về người báo tin được giữ bí mật. Khẩn cấp, anh/chị gọi ngay 113.",
        ctx.unit_name
    );
    if let Some(cat) = intake.category.as_deref().and_then(|k| ctx.category(k)) {
        lead.push_str(&format!("\nLoại tin báo: {}.", cat.label_vi));
        intake.step = intake.next_after(Step::What, ctx);
        intake.trail.push(Step::What);
    }
    let question = ask(&intake, ctx);
    let text = format!("{lead}\n\n{}", question.text);
    Outcome { intake: Some(intake), replies: vec![reply(text, question.buttons)], effects: vec![], hand_off: false }
}

/// An emergency the bot recognised (`category` from [`super::category_for_emergency`]): the case
/// is filed at once from the first message, and the flow goes on with where, photos and the
/// reporter mode, each answer updating the filed case. Details an ongoing flow had gathered go
/// into the case. The bot's emergency guidance is sent first; this adds one message after it.
pub fn start_emergency(
    ctx: &Ctx<'_>,
    ongoing: Option<Intake>,
    kind: &str,
    category: &str,
    text: &str,
    now: i64,
) -> Outcome {
    let mut intake = ongoing.filter(|i| !i.expired(now)).unwrap_or(Intake { started_at: now, ..Intake::default() });
    if intake.filed() {
        // Already filed: the guidance is enough, the flow goes on where it was.
        intake.touched_at = now;
        return Outcome { intake: Some(intake), replies: vec![], effects: vec![], hand_off: false };
    }
    intake.touched_at = now;
    intake.paused = false;
    intake.emergency = Some(kind.to_owned());
    intake.category = Some(category.to_owned());
    let said = clip(text, MAX_DESCRIPTION_CHARS);
    intake.description = match intake.description.trim() {
        "" => said,
        before => clip(&format!("{before}\n{said}"), MAX_DESCRIPTION_CHARS),
    };
    intake.trail = vec![Step::What];
    intake.step = if intake.point.is_some() || intake.address.is_some() { Step::Media } else { Step::Where };
    let draft = intake.draft(ctx);
    intake.media.clear();
    let question = ask(&intake, ctx);
    let text = format!(
        "Tin báo của anh/chị đã được tiếp nhận, mã {CODE_PLACEHOLDER}; {}\n{}",
        ctx.staffed.told(),
        question.text
    );
    Outcome {
        intake: Some(intake),
        replies: vec![reply(text, question.buttons)],
        effects: vec![Effect::File(draft)],
        hand_off: false,
    }
}

/// Resumes a paused flow ("tiếp tục", or the menu's "Gửi tin báo, phản ánh" again).
pub fn resume(ctx: &Ctx<'_>, mut intake: Intake, now: i64) -> Outcome {
    intake.paused = false;
    intake.touched_at = now;
    let question = ask(&intake, ctx);
    let text = format!("Tiếp tục tin báo của anh/chị.\n\n{}", question.text);
    Outcome { intake: Some(intake), replies: vec![reply(text, question.buttons)], effects: vec![], hand_off: false }
}

/// Reads one message of a listening flow ([`Intake::listening`]).
pub fn step(ctx: &Ctx<'_>, mut intake: Intake, input: IntakeInput<'_>, now: i64) -> Outcome {
    intake.touched_at = now;
    let mut effects = Vec::new();
    // Typed words for the buttons, on any step ("dừng", "bỏ qua", "quay lại", "xong"…).
    let input = match input {
        IntakeInput::Text(t) => match typed_command(t) {
            Some(payload) => IntakeInput::Choice(payload),
            None => IntakeInput::Text(t),
        },
        other => other,
    };
    // "Không", "xong" outside the photos mean "skip".
    let input = match input {
        IntakeInput::Choice(DONE) if intake.step != Step::Media => IntakeInput::Choice(SKIP),
        other => other,
    };
    // What works at any step.
    match input {
        IntakeInput::Choice(STOP) => return stop(intake),
        IntakeInput::Choice(BACK) => {
            intake.step = intake.trail.pop().unwrap_or(intake.step);
            if intake.filed() && matches!(intake.step, Step::What | Step::Describe | Step::Question(_)) {
                // A filed case's category and description are the officers' now.
                intake.step = Step::Where;
            }
            return asked(intake, ctx, None, effects);
        }
        IntakeInput::Choice(SEND) if !intake.filed() => {
            if intake.category.is_none() || matches!(intake.step, Step::What | Step::Describe) {
                let lead = "Anh/chị cho biết sự việc gì trước khi gửi.";
                return asked(intake, ctx, Some(lead), effects);
            }
            if let Some(i) = intake.missing_required(ctx) {
                intake.step = Step::Question(i);
                return asked(intake, ctx, Some("Câu này cần trả lời trước khi gửi."), effects);
            }
            return file(intake, ctx);
        }
        IntakeInput::Choice(RESUME) => return asked(intake, ctx, None, effects),
        // Evidence and a place are taken whenever they come.
        IntakeInput::Media { kind, media_ref } if !matches!(intake.step, Step::Media) => {
            let lead = take_media(&mut intake, kind, media_ref, &mut effects);
            return asked(intake, ctx, Some(&lead), effects);
        }
        IntakeInput::Location { lat, lon } if intake.step != Step::Where => {
            let lead = match take_point(&mut intake, lat, lon, &mut effects) {
                Ok(()) => "Đã ghi nhận vị trí.".to_owned(),
                Err(e) => e,
            };
            return asked(intake, ctx, Some(&lead), effects);
        }
        _ => {}
    }
    let from = intake.step;
    let moved = match (from, input) {
        (Step::What, IntakeInput::Choice(MORE)) => {
            let pages = ctx.pickable().len().div_ceil(CATEGORIES_PER_PAGE).max(1);
            intake.page = ((intake.page as usize + 1) % pages) as u8;
            return asked(intake, ctx, None, effects);
        }
        (Step::What, IntakeInput::Choice(p)) if p.starts_with(CAT) => match ctx.category(&p[CAT.len()..]) {
            Some(c) => {
                intake.category = Some(c.key.clone());
                true
            }
            None => return asked(intake, ctx, Some("Lựa chọn này không còn hiệu lực."), effects),
        },
        (Step::What, IntakeInput::Text(t)) => {
            let kind = match caunoi_text::safety::assess(t) {
                Some(caunoi_text::safety::Safety::Report(k)) => Some(k.as_str()),
                _ => None,
            };
            let key = kind.map(super::category_for_report).filter(|k| ctx.category(k).is_some());
            intake.category = Some(key.unwrap_or(super::category::FALLBACK).to_owned());
            intake.description = clip(t, MAX_DESCRIPTION_CHARS);
            true
        }
        (Step::Describe, IntakeInput::Text(t)) => {
            intake.description = clip(t, MAX_DESCRIPTION_CHARS);
            true
        }
        (Step::Describe, IntakeInput::Choice(SKIP)) => true,
        (Step::Question(i), input) => {
            let Some(q) =
                intake.category.as_deref().and_then(|k| ctx.category(k)).and_then(|c| c.questions.get(i as usize))
            else {
                return asked(Intake { step: Step::Where, ..intake }, ctx, None, effects);
            };
            match input {
                IntakeInput::Choice(p) if p.starts_with(ANSWER) => {
                    let key = &p[ANSWER.len()..];
                    if q.choices.iter().any(|(k, _)| k == key) {
                        intake.attributes.insert(q.code.clone(), key.to_owned());
                        true
                    } else {
                        false
                    }
                }
                IntakeInput::Text(t) if q.choices.is_empty() => {
                    intake.attributes.insert(q.code.clone(), clip(t, MAX_PLACE_CHARS));
                    true
                }
                IntakeInput::Text(t) => match q.choices.iter().find(|(_, label)| folded(label) == folded(t)) {
                    Some((k, _)) => {
                        intake.attributes.insert(q.code.clone(), k.clone());
                        true
                    }
                    None => false,
                },
                IntakeInput::Choice(SKIP) => !q.required,
                _ => false,
            }
        }
        (Step::Where, IntakeInput::Location { lat, lon }) => match take_point(&mut intake, lat, lon, &mut effects) {
            Ok(()) => true,
            Err(e) => return asked(intake, ctx, Some(&e), effects),
        },
        // An answer that reads as a report of its own ("xe máy nhà em bị trộm đêm qua…") is not
        // an address: it joins what the citizen said (the officer reads it in the conversation
        // too) and the place is asked again, instead of filing a sentence as the place.
        (Step::Where, IntakeInput::Text(t)) if reads_as_report(t) => {
            if !intake.filed() {
                intake.description = match intake.description.trim() {
                    "" => clip(t, MAX_DESCRIPTION_CHARS),
                    before => clip(&format!("{before}\n{t}"), MAX_DESCRIPTION_CHARS),
                };
            }
            let lead = "Đã ghi thêm nội dung này. Nếu là một sự việc khác, anh/chị gửi sau khi xong tin báo này.";
            return asked(intake, ctx, Some(lead), effects);
        }
        (Step::Where, IntakeInput::Text(t)) => {
            let address = clip(t, MAX_PLACE_CHARS);
            if intake.filed() {
                effects.push(Effect::Update {
                    point: None,
                    address: Some(address.clone()),
                    place_unknown: None,
                    occurred: None,
                });
            }
            intake.address = Some(address);
            intake.place_unknown = false;
            true
        }
        (Step::Where, IntakeInput::Choice(NO_PLACE | SKIP)) => {
            if intake.point.is_none() && intake.address.is_none() {
                intake.place_unknown = true;
                if intake.filed() {
                    effects.push(Effect::Update {
                        point: None,
                        address: None,
                        place_unknown: Some(true),
                        occurred: None,
                    });
                }
            }
            true
        }
        (Step::When, IntakeInput::Text(t)) => {
            intake.occurred = Some(clip(t, MAX_PLACE_CHARS));
            true
        }
        (Step::When, IntakeInput::Choice(JUST_NOW)) => {
            intake.occurred = Some("Vừa xảy ra".into());
            true
        }
        (Step::When, IntakeInput::Choice(TODAY)) => {
            intake.occurred = Some("Hôm nay".into());
            true
        }
        (Step::When, IntakeInput::Choice(SKIP)) => true,
        (Step::Media, IntakeInput::Media { kind, media_ref }) => {
            let lead = take_media(&mut intake, kind, media_ref, &mut effects);
            return asked(intake, ctx, Some(&lead), effects);
        }
        (Step::Media, IntakeInput::Choice(DONE | SKIP)) => true,
        (Step::Media, IntakeInput::Text(t)) => {
            // More words about what happened: kept with the description.
            if intake.filed() {
                return asked(intake, ctx, Some("Anh/chị gửi ảnh/video, hoặc bấm \"Xong\"."), effects);
            }
            let more = clip(t, MAX_PLACE_CHARS);
            intake.description = clip(&format!("{}\n{more}", intake.description.trim()), MAX_DESCRIPTION_CHARS);
            return asked(intake, ctx, Some("Đã ghi thêm vào nội dung tin báo."), effects);
        }
        (Step::Mode, IntakeInput::Choice(p)) if p.starts_with(MODE) => match ReporterMode::parse(&p[MODE.len()..]) {
            Some(mode) => {
                intake.mode = Some(mode);
                if intake.filed() {
                    effects.push(Effect::SetMode(mode));
                }
                true
            }
            None => false,
        },
        _ => false,
    };
    if !moved {
        let lead = match (from, input) {
            (Step::Mode, _) => "Anh/chị chọn một trong ba cách dưới đây.",
            (Step::Question(_), _) => "Anh/chị chọn một câu trả lời dưới đây.",
            (_, IntakeInput::Media { .. }) => "Hiện chỉ nhận ảnh và video.",
            _ => "Dạ, anh/chị trả lời câu hỏi dưới đây, hoặc bấm \"Dừng\".",
        };
        return asked(intake, ctx, Some(lead), effects);
    }
    intake.trail.push(from);
    intake.step = intake.next_after(from, ctx);
    // Required questions answered, place and time told: file after the reporter mode.
    if intake.step == Step::Done {
        if intake.filed() {
            let text = format!(
                "Cảm ơn anh/chị. Thông tin đã được bổ sung vào tin báo {}. Cán bộ sẽ liên hệ anh/chị tại đây khi cần.",
                intake.code.as_deref().unwrap_or(CODE_PLACEHOLDER)
            );
            return Outcome { intake: None, replies: vec![reply(text, vec![])], effects, hand_off: false };
        }
        return file(intake, ctx);
    }
    asked(intake, ctx, None, effects)
}

/// "Dừng": nothing is filed (or, after an emergency, the case stays as it is).
fn stop(mut intake: Intake) -> Outcome {
    intake.paused = true;
    let text = if intake.filed() {
        format!(
            "Đã dừng các câu hỏi. Tin báo {} vẫn đang được xử lý; anh/chị có thể gửi thêm vị trí, ảnh hoặc video \
             tại đây bất cứ lúc nào.",
            intake.code.as_deref().unwrap_or(CODE_PLACEHOLDER)
        )
    } else {
        "Đã dừng. Tin báo chưa được gửi đi. Trong 24 giờ, anh/chị nhắn \"tiếp tục\" hoặc bấm \
         \"Gửi tin báo, phản ánh\" để tiếp tục từ chỗ đang dừng."
            .to_owned()
    };
    Outcome {
        intake: Some(intake),
        replies: vec![reply(text, vec![button("Tiếp tục", RESUME)])],
        effects: vec![],
        hand_off: false,
    }
}

/// Files the case (the end of the flow, or "Gửi ngay").
fn file(mut intake: Intake, ctx: &Ctx<'_>) -> Outcome {
    let draft = intake.draft(ctx);
    let category = ctx.category(&draft.category);
    let hand_off = category.is_some_and(|c| c.is_sensitive() || c.urgent);
    intake.media.clear();
    intake.step = Step::Done;
    let mut text = format!(
        "Tin báo của anh/chị đã được tiếp nhận, mã {CODE_PLACEHOLDER}. {} sẽ xem xét và trả lời anh/chị tại đây.",
        ctx.unit_name
    );
    if hand_off {
        text.push_str(" Tin báo đã được chuyển tới cán bộ; anh/chị có thể gửi thêm thông tin tại đây.");
    }
    text.push_str(
        "\nĐể hỏi tình hình xử lý, anh/chị nhắn \"tin báo của tôi đến đâu rồi\" hoặc mã tin báo. \
         Trường hợp khẩn cấp, anh/chị gọi ngay 113.",
    );
    Outcome { intake: None, replies: vec![reply(text, vec![])], effects: vec![Effect::File(draft)], hand_off }
}

/// Whether a text the citizen typed where a place was asked reads as a report itself (an
/// incident told in words) rather than an address.
fn reads_as_report(text: &str) -> bool {
    matches!(
        caunoi_text::safety::assess(text),
        Some(caunoi_text::safety::Safety::Report(_) | caunoi_text::safety::Safety::Emergency(_))
    )
}

fn take_point(intake: &mut Intake, lat: f64, lon: f64, effects: &mut Vec<Effect>) -> Result<(), String> {
    if !in_vietnam(lat, lon) {
        return Err("Vị trí anh/chị gửi không nằm trong lãnh thổ Việt Nam. Anh/chị gửi lại vị trí, hoặc nhập địa chỉ \
                    nơi xảy ra sự việc."
            .into());
    }
    let point = Point { lat, lon };
    intake.point = Some(point);
    intake.place_unknown = false;
    if intake.filed() {
        effects.push(Effect::Update { point: Some(point), address: None, place_unknown: Some(false), occurred: None });
    }
    Ok(())
}

fn take_media(intake: &mut Intake, kind: MediaKind, media_ref: Option<&str>, effects: &mut Vec<Effect>) -> String {
    let kind = match kind {
        MediaKind::Image | MediaKind::Gif => "image",
        MediaKind::Video => "video",
        _ => return "Hiện chỉ nhận ảnh và video.".into(),
    };
    let Some(media_ref) = media_ref.filter(|r| !r.trim().is_empty()) else {
        return "Chưa nhận được tệp này, anh/chị vui lòng gửi lại.".into();
    };
    if usize::from(intake.media_count) >= MAX_MEDIA {
        return format!("Mỗi tin báo nhận tối đa {MAX_MEDIA} ảnh/video.");
    }
    intake.media_count += 1;
    let evidence = Evidence { media_ref: media_ref.to_owned(), kind: kind.to_owned() };
    if intake.filed() {
        effects.push(Effect::Attach(evidence));
    } else {
        intake.media.push(evidence);
    }
    format!("Đã nhận {} ảnh/video.", intake.media_count)
}

/// The current question, after a lead line when there is one.
fn asked(intake: Intake, ctx: &Ctx<'_>, lead: Option<&str>, effects: Vec<Effect>) -> Outcome {
    let question = ask(&intake, ctx);
    let text = match lead {
        Some(lead) => format!("{lead}\n\n{}", question.text),
        None => question.text,
    };
    Outcome { intake: Some(intake), replies: vec![reply(text, question.buttons)], effects, hand_off: false }
}

/// The question of the flow's current step, with its buttons.
fn ask(intake: &Intake, ctx: &Ctx<'_>) -> BotReply {
    let filed = intake.filed();
    let back = || button("Quay lại", BACK);
    let stop = || button("Dừng", STOP);
    let send = || button("Gửi ngay", SEND);
    let (text, buttons) = match intake.step {
        Step::What => {
            let cats = ctx.pickable();
            let pages = cats.len().div_ceil(CATEGORIES_PER_PAGE).max(1);
            let page = intake.page as usize % pages;
            let mut buttons: Vec<Button> = cats
                .iter()
                .skip(page * CATEGORIES_PER_PAGE)
                .take(CATEGORIES_PER_PAGE)
                .map(|c| button(&c.label_vi, format!("{CAT}{}", c.key)))
                .collect();
            if pages > 1 {
                buttons.push(button("Loại khác…", MORE));
            }
            buttons.push(stop());
            (
                "Anh/chị muốn báo tin về việc gì? Chọn một loại dưới đây, hoặc nhập mô tả ngắn sự việc.".to_owned(),
                buttons,
            )
        }
        Step::Describe => (
            "Anh/chị mô tả ngắn sự việc: chuyện gì xảy ra, ai liên quan, thiệt hại thế nào.".to_owned(),
            vec![button("Bỏ qua", SKIP), back(), stop()],
        ),
        Step::Question(i) => {
            let q = intake.category.as_deref().and_then(|k| ctx.category(k)).and_then(|c| c.questions.get(i as usize));
            match q {
                Some(q) => {
                    let mut extra = vec![back(), stop()];
                    if !q.required {
                        extra.insert(0, button("Bỏ qua", SKIP));
                    }
                    let mut buttons: Vec<Button> = q
                        .choices
                        .iter()
                        .take(MAX_BUTTONS - extra.len())
                        .map(|(k, label)| button(label, format!("{ANSWER}{k}")))
                        .collect();
                    buttons.extend(extra);
                    (q.label_vi.clone(), buttons)
                }
                None => return ask(&Intake { step: Step::Where, ..intake.clone() }, ctx),
            }
        }
        Step::Where => {
            let mut buttons = vec![button("Không nhớ địa điểm", NO_PLACE)];
            if !filed {
                buttons.extend([send(), back()]);
            }
            buttons.push(stop());
            (
                "Sự việc xảy ra ở đâu? Anh/chị chia sẻ vị trí (nút vị trí trong khung chat), hoặc nhập địa chỉ: \
                 số nhà, đường, phường/xã."
                    .to_owned(),
                buttons,
            )
        }
        Step::When => (
            "Sự việc xảy ra khi nào? Ví dụ: \"tối qua khoảng 10 giờ\".".to_owned(),
            vec![
                button("Vừa xảy ra", JUST_NOW),
                button("Hôm nay", TODAY),
                button("Bỏ qua", SKIP),
                send(),
                back(),
                stop(),
            ],
        ),
        Step::Media => {
            let (text, first) = if intake.media_count == 0 {
                (
                    format!(
                        "Anh/chị có ảnh hoặc video về sự việc không? Gửi ngay tại đây (tối đa {MAX_MEDIA}), \
                         xong thì bấm \"Xong\"."
                    ),
                    button("Không có ảnh", DONE),
                )
            } else {
                ("Anh/chị gửi thêm ảnh/video, hoặc bấm \"Xong\".".to_owned(), button("Xong", DONE))
            };
            let mut buttons = vec![first];
            if !filed {
                buttons.push(send());
            }
            buttons.extend([back(), stop()]);
            (text, buttons)
        }
        Step::Mode => {
            let mut text = "Anh/chị muốn được biết đến như thế nào?".to_owned();
            for mode in ReporterMode::ALL {
                text.push_str(&format!("\n• {}: {}", mode_label(mode), mode.explain_vi()));
            }
            text.push_str(
                "\n(Trong trò chuyện, ẩn danh nghĩa là không ghi tên, số điện thoại của anh/chị vào tin báo; \
                 cán bộ vẫn trả lời anh/chị tại đây.)",
            );
            let mut buttons: Vec<Button> =
                ReporterMode::ALL.iter().map(|m| button(mode_label(*m), format!("{MODE}{}", m.as_str()))).collect();
            buttons.extend([back(), stop()]);
            (text, buttons)
        }
        Step::Done => ("Tin báo đã được gửi.".to_owned(), vec![]),
    };
    reply(text, buttons)
}

fn mode_label(mode: ReporterMode) -> &'static str {
    match mode {
        ReporterMode::Open => "Công khai",
        ReporterMode::Sealed => "Bảo mật danh tính",
        ReporterMode::Anonymous => "Ẩn danh",
    }
}

/// Whether a citizen asks how their report is going ("tin báo của tôi đến đâu rồi", "báo án
/// thế nào rồi", a code `TB-…`): `Some` with the code they typed, if any.
pub fn asks_status(text: &str) -> Option<Option<CaseCode>> {
    if let Some(code) = find_code(text) {
        return Some(Some(code));
    }
    let f = folded(text);
    let f = format!(" {} ", f.chars().map(|c| if c.is_alphanumeric() { c } else { ' ' }).collect::<String>());
    let f = f.split_whitespace().collect::<Vec<_>>().join(" ");
    let about_report =
        ["tin bao", "bao an", "to giac", "trinh bao", "phan anh", "vu viec", "ma tb"].iter().any(|w| f.contains(w));
    let how_far = [
        "den dau roi",
        "the nao roi",
        "ra sao roi",
        "sao roi",
        "trang thai",
        "tien do",
        "da xu ly chua",
        "xu ly chua",
        "co ket qua chua",
        "toi dau roi",
    ]
    .iter()
    .any(|w| f.contains(w));
    (about_report && how_far).then_some(None)
}

/// A case code in a text: "TB" followed by 8 code characters, with or without dashes/spaces.
fn find_code(text: &str) -> Option<CaseCode> {
    let upper: Vec<char> = text.to_uppercase().chars().collect();
    for start in 0..upper.len().saturating_sub(1) {
        if upper[start] != 'T' || upper[start + 1] != 'B' {
            continue;
        }
        if start > 0 && upper[start - 1].is_alphanumeric() {
            continue;
        }
        let mut code = String::new();
        for &c in &upper[start + 2..] {
            if c.is_ascii_alphanumeric() {
                code.push(c);
                if code.len() == 8 {
                    break;
                }
            } else if c == '-' || c == ' ' {
                continue;
            } else {
                break;
            }
        }
        if code.len() == 8
            && let Ok(code) = CaseCode::parse(&code)
        {
            return Some(code);
        }
    }
    None
}

/// A case as the citizen's status question finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundCase<'a> {
    pub code: &'a str,
    pub category_vi: &'a str,
    pub status: Status,
    pub unit_name: &'a str,
}

/// The answer to a status question: the case's status in the citizen's words (never an
/// officer's name), or where to look when there is none ([`Status::citizen_vi`]).
pub fn status_answer(found: Option<FoundCase<'_>>, asked_code: Option<&str>) -> String {
    match (found, asked_code) {
        (Some(c), _) => format!(
            "Tin báo {} ({}): {}\nAnh/chị có thể gửi thêm thông tin tại đây.",
            c.code,
            c.category_vi,
            c.status.citizen_vi(c.unit_name)
        ),
        (None, Some(code)) => format!(
            "Không tìm thấy tin báo {code} trong các tin báo anh/chị đã gửi qua kênh này. Anh/chị kiểm tra lại mã, \
             hoặc tra cứu trên trang của đơn vị."
        ),
        (None, None) => "Chưa có tin báo nào anh/chị gửi qua cuộc trò chuyện này. Để gửi tin báo, anh/chị bấm \
                         \"Gửi tin báo, phản ánh\" hoặc nhắn nội dung sự việc."
            .to_owned(),
    }
}

#[cfg(test)]
#[path = "intake_tests.rs"]
mod tests;
