//! How one bot turn is built: reading the message, composing the replies in Vietnamese and
//! keeping the budgets ([`Out::finish`]). The types and the contract are in the parent module.

use caunoi_text::matcher::{self, Decision};
use caunoi_text::safety::{self, EmergencyKind, EmergencyService, Safety};
use serde::Serialize;

use super::phrases::Words;
use super::*;
use crate::inbox::canned::{CannedVars, render_canned};
use crate::kb::split_for_zalo;

pub(super) struct Ctx<'a> {
    pub(super) unit: &'a UnitFacts,
    pub(super) settings: &'a BotSettings,
    pub(super) kb: &'a KbView<'a>,
}

/// The turn being built. Replies are checked against the budgets in [`Out::finish`].
pub(super) struct Out {
    replies: Vec<BotReply>,
    memory: BotMemory,
    action: BotAction,
    review: Option<ReviewReason>,
    /// Entry ids offered by this turn's clarification.
    offered: Vec<String>,
    /// Choices a typed number picks next turn, when not the last reply's buttons.
    choices: Option<Vec<String>>,
}

pub(super) struct Turn<'a> {
    pub(super) ctx: Ctx<'a>,
    pub(super) out: Out,
}

fn button(label: &str, payload: String) -> Button {
    Button { label: clip_chars(label, MAX_BUTTON_LABEL_CHARS), payload }
}

/// `text` cut to `max` characters, ending with "…" when cut: at the last space that keeps at
/// least half of it, so a word is never cut in the middle (a single long word is).
fn clip_chars(text: &str, max: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    let next_is_space = text.chars().nth(max.saturating_sub(1)).is_some_and(char::is_whitespace);
    if !next_is_space
        && let Some(space) = out.rfind(char::is_whitespace)
        && out[..space].chars().count() >= max / 2
    {
        out.truncate(space);
    }
    out = out.trim_end().trim_end_matches([',', ';', ':', '-', '–']).trim_end().to_owned();
    out.push('…');
    out
}

#[cfg(test)]
pub(super) fn clip_for_test(text: &str, max: usize) -> String {
    clip_chars(text, max)
}

/// A `tel:` payload: digits and a leading `+` only.
fn tel_payload(number: &str) -> String {
    let digits: String = number
        .trim()
        .chars()
        .enumerate()
        .filter(|(i, c)| c.is_ascii_digit() || (*i == 0 && *c == '+'))
        .map(|(_, c)| c)
        .collect();
    format!("{TEL_PREFIX}{digits}")
}

fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl Out {
    pub(super) fn new(memory: &BotMemory) -> Out {
        Out {
            replies: Vec::new(),
            memory: memory.clone(),
            action: BotAction::None,
            review: None,
            offered: Vec::new(),
            choices: None,
        }
    }

    fn reply(&mut self, text: String, buttons: Vec<Button>) {
        self.replies.push(BotReply { text, buttons, feedback_for: None });
    }

    fn failed(&mut self) {
        self.memory.failed_turns = self.memory.failed_turns.saturating_add(1);
    }

    /// Applies the budgets and, when the bot spoke, what the citizen was offered.
    pub(super) fn finish(mut self) -> BotTurn {
        self.replies.retain(|r| !r.text.trim().is_empty());
        self.replies.truncate(MAX_REPLIES);
        for r in &mut self.replies {
            r.text = clip_chars(&r.text, MAX_REPLY_CHARS);
            r.buttons.truncate(MAX_BUTTONS);
        }
        if !self.replies.is_empty() {
            self.memory.greeted = true;
            self.memory.offered = std::mem::take(&mut self.offered);
            let from_buttons = self
                .replies
                .iter()
                .rev()
                .find(|r| !r.buttons.is_empty())
                .map(|r| r.buttons.iter().map(|b| b.payload.clone()).collect())
                .unwrap_or_default();
            self.memory.choices = self.choices.take().unwrap_or(from_buttons);
        }
        BotTurn { replies: self.replies, memory: self.memory, action: self.action, review: self.review }
    }
}

impl Turn<'_> {
    fn unit(&self) -> &UnitFacts {
        self.ctx.unit
    }

    pub(super) fn on_text(&mut self, text: &str, with_officers: bool) {
        // The safety rules come first and on their own: an emergency must not depend on the
        // unit having a knowledge base, on the message's length, or on any FAQ threshold.
        let assessment = safety::assess_with_doubt(text);
        self.read_text(text, assessment.verdict, with_officers);
        // Emergency guidance (the FAQ engine's own, here) already gives the numbers.
        let urgent = matches!(self.out.action, BotAction::Urgent { .. });
        if assessment.may_be_emergency && !with_officers && !urgent {
            self.add_numbers_line(Words::is_english(text));
            // An officer says in the review whether it was one (the rules' next labelled data).
            self.out.review = Some(ReviewReason::PossibleEmergency);
        }
    }

    /// A message that the safety rules did not make an emergency but may be one
    /// ([`safety::Assessment::may_be_emergency`]): one line with the three numbers at the top of
    /// the first reply (after the greeting), where a citizen in danger reads first, without
    /// alarming anyone; its own message first when the reply has no room for it; nothing when the
    /// reply already gives the three numbers.
    fn add_numbers_line(&mut self, english: bool) {
        // A reply that already gives the three numbers (a hand-off out of hours) needs no line.
        if self.out.replies.iter().any(|r| ["113", "114", "115"].iter().all(|n| r.text.contains(n))) {
            return;
        }
        let line = if english { NUMBERS_LINE_EN } else { NUMBERS_LINE };
        let hello = self.hello_prefix();
        let replies = &mut self.out.replies;
        let count = replies.len();
        let Some(first) = replies.first_mut() else {
            self.out.reply(line.to_owned(), Vec::new());
            return;
        };
        let room = first.text.trim().chars().count() + line.chars().count() + 2 <= MAX_REPLY_CHARS;
        if room || count >= MAX_REPLIES {
            let text = std::mem::take(&mut first.text);
            first.text = match text.strip_prefix(hello.as_str()) {
                Some(rest) if !hello.is_empty() => format!("{hello}{line}\n\n{}", rest.trim()),
                _ => format!("{line}\n\n{}", text.trim()),
            };
        } else {
            replies.insert(0, BotReply { text: line.to_owned(), buttons: Vec::new(), feedback_for: None });
        }
    }

    fn read_text(&mut self, text: &str, verdict: Option<Safety>, with_officers: bool) {
        let decision = match verdict {
            Some(Safety::Emergency(kind)) => Decision::Emergency { kind },
            Some(Safety::Report(kind)) => Decision::Report { kind },
            None => (self.ctx.kb.decide)(text),
        };
        if let Decision::Emergency { kind } = decision {
            self.emergency(kind);
            return;
        }
        if with_officers {
            // Silent, but a crime report still raises the conversation's priority.
            if let Decision::Report { kind } = &decision {
                self.out.action = BotAction::StartReport { kind: kind_name(kind) };
            }
            return;
        }
        if let Decision::Report { kind } = &decision {
            self.start_report(kind_name(kind));
            return;
        }
        if Words::is_english(text) {
            self.in_english();
            return;
        }
        let words = Words::new(text);
        if words.asks_for_officer() {
            self.hand_off_requested();
            return;
        }
        if let Some(payload) = words.picked_number().and_then(|n| self.numbered_choice(n)) {
            self.on_choice(&payload, false);
            return;
        }
        if words.is_pure_greeting() || words.asks_for_menu() {
            self.greet_with_menu();
            return;
        }
        if let Some(key) = words.menu_key() {
            self.on_menu(key);
            return;
        }
        let nothing_found = matches!(
            decision,
            Decision::HandOff { reason: matcher::HandOffReason::LowConfidence | matcher::HandOffReason::Empty }
        );
        if nothing_found {
            if words.starts_with_greeting() {
                self.greet_with_menu();
                return;
            }
            if words.is_thanks() {
                let text =
                    format!("Dạ, {} cảm ơn anh/chị. Nếu cần hỗ trợ thêm, anh/chị cứ nhắn tại đây ạ.", self.unit().name);
                self.out.reply(text, Vec::new());
                return;
            }
            if words.is_acknowledgement() {
                return;
            }
        }
        self.on_decision(decision, words.len());
    }

    fn on_decision(&mut self, decision: Decision, word_count: usize) {
        match decision {
            Decision::Answer { id, .. } => match (self.ctx.kb.entry)(&id) {
                Some(entry) => self.answer(entry, AnswerKind::Own),
                None => self.not_understood(),
            },
            Decision::Refer { id, .. } => match (self.ctx.kb.entry)(&id) {
                Some(entry) => self.answer(entry, AnswerKind::Referral),
                None => self.not_understood(),
            },
            Decision::Clarify { candidates } => self.clarify(candidates.iter().map(|c| c.id.as_str())),
            Decision::HandOff { reason } => match reason {
                matcher::HandOffReason::Empty if self.out.memory.greeted => {}
                matcher::HandOffReason::Empty if word_count == 0 => self.greet_with_menu(),
                matcher::HandOffReason::TooLong => {
                    self.out.review = Some(ReviewReason::HandedOff);
                    let lead = format!("{} đã nhận nội dung anh/chị gửi.", self.unit().name);
                    self.hand_off(HandOffReason::LongMessage, &lead);
                }
                matcher::HandOffReason::UnsupportedScript => {
                    self.out.review = Some(ReviewReason::HandedOff);
                    let lead = "Dạ, cán bộ sẽ trả lời anh/chị. (We have received your message; an officer will reply.)";
                    self.hand_off(HandOffReason::OtherLanguage, lead);
                }
                _ => self.not_understood(),
            },
            Decision::Emergency { kind } => self.emergency(kind),
            Decision::Report { kind } => self.start_report(kind_name(&kind)),
        }
    }

    /// The payload behind "1", "2", … : the last clarification's entries, else the last
    /// reply's buttons.
    fn numbered_choice(&self, n: usize) -> Option<String> {
        let memory = &self.out.memory;
        if !memory.offered.is_empty() {
            return memory.offered.get(n - 1).map(|id| format!("{KB_PREFIX}{id}"));
        }
        memory
            .choices
            .get(n - 1)
            .filter(|p| {
                [MENU_PREFIX, KB_PREFIX, FEEDBACK_YES_PREFIX, FEEDBACK_NO_PREFIX, TEL_PREFIX]
                    .iter()
                    .any(|x| p.starts_with(x))
            })
            .cloned()
    }

    pub(super) fn on_choice(&mut self, payload: &str, with_officers: bool) {
        let payload = payload.trim();
        if let Some(id) = payload.strip_prefix(FEEDBACK_YES_PREFIX) {
            self.feedback(id, true, with_officers);
        } else if let Some(id) = payload.strip_prefix(FEEDBACK_NO_PREFIX) {
            self.feedback(id, false, with_officers);
        } else if payload == RATE_YES || payload == RATE_NO {
            // The closing notice's rating, tapped after the conversation was reopened.
            self.out.action = BotAction::Rated { helpful: payload == RATE_YES };
            if !with_officers {
                self.out.reply(format!("Dạ, {} cảm ơn anh/chị đã đánh giá.", self.unit().name), Vec::new());
            }
        } else if with_officers {
            // Officers own the conversation; an old button changes nothing.
        } else if let Some(id) = payload.strip_prefix(KB_PREFIX) {
            match (self.ctx.kb.entry)(id.trim()) {
                Some(entry) => self.answer(entry, AnswerKind::Own),
                None => self.stale_choice(),
            }
        } else if let Some(key) = payload.strip_prefix(MENU_PREFIX) {
            match MenuKey::parse(key) {
                Some(key) => self.on_menu(key),
                None => self.stale_choice(),
            }
        } else if let Some(number) = payload.strip_prefix(TEL_PREFIX) {
            let text = format!("Anh/chị vui lòng gọi số {} để được hỗ trợ trực tiếp.", number.trim());
            self.out.reply(text, Vec::new());
        } else {
            // Not one of ours (a channel's own quick reply sends its text): read it as typed.
            self.on_text(payload, false);
        }
    }

    fn feedback(&mut self, id: &str, helpful: bool, with_officers: bool) {
        let id = id.trim();
        if id.is_empty() || id.chars().count() > 100 {
            if !with_officers {
                self.stale_choice();
            }
            return;
        }
        self.out.action = BotAction::Feedback { entry_id: id.to_owned(), helpful };
        if helpful {
            self.out.memory.failed_turns = 0;
            if !with_officers {
                self.out.reply("Dạ, cảm ơn anh/chị đã phản hồi.".to_owned(), Vec::new());
            }
            return;
        }
        self.out.review = Some(ReviewReason::Unhelpful);
        if with_officers {
            return;
        }
        // Unsuccessful, but the reply already offers an officer: the next failure hands off.
        self.out.memory.failed_turns = self.out.memory.failed_turns.saturating_add(1).min(MAX_FAILED_TURNS - 1);
        let text = "Xin lỗi anh/chị vì câu trả lời chưa đúng ý. Anh/chị có thể hỏi lại cụ thể hơn, \
                    hoặc bấm \"Gặp cán bộ\" để trao đổi trực tiếp với cán bộ."
            .to_owned();
        self.out.reply(text, vec![button("Gặp cán bộ", MenuKey::TalkToOfficer.payload())]);
    }

    pub(super) fn on_sticker(&mut self) {
        // A sticker is mostly a greeting or a thank-you, rarely a report: answer it with the
        // menu instead of filling the officers' queue.
        if !self.out.memory.greeted {
            self.greet_with_menu();
            return;
        }
        let text = format!(
            "Dạ, anh/chị cần {} hỗ trợ gì ạ? Anh/chị nhập câu hỏi hoặc chọn một mục dưới đây.",
            self.unit().name
        );
        let buttons = self.menu_buttons();
        self.out.reply(text, buttons);
    }

    fn on_menu(&mut self, key: MenuKey) {
        let unit = self.unit();
        match key {
            MenuKey::Procedures => {
                let text = "Anh/chị nhập câu hỏi về thủ tục cần tìm hiểu, ví dụ:\n\
                            • Làm căn cước cần giấy tờ gì?\n\
                            • Đăng ký tạm trú ở đâu?\n\
                            • Lệ phí làm hộ chiếu bao nhiêu?"
                    .to_owned();
                self.out.reply(text, Vec::new());
            }
            MenuKey::Report => self.start_report("other".to_owned()),
            MenuKey::Booking => {
                let text = match non_empty(&unit.booking_url) {
                    Some(url) => {
                        let mut text = format!("Anh/chị đặt lịch hẹn làm thủ tục tại: {url}");
                        if !unit.opening_hours_text.trim().is_empty() {
                            text.push_str(&format!("\nGiờ tiếp nhận: {}.", unit.opening_hours_text.trim()));
                        }
                        text
                    }
                    None => {
                        let mut text = format!(
                            "{} chưa nhận đặt lịch trực tuyến. Anh/chị vui lòng đến trụ sở trong giờ làm việc",
                            unit.name
                        );
                        if !unit.opening_hours_text.trim().is_empty() {
                            text.push_str(&format!(" ({})", unit.opening_hours_text.trim()));
                        }
                        match non_empty(&unit.hotline) {
                            Some(hotline) => text.push_str(&format!(" hoặc gọi {hotline}.")),
                            None => text.push('.'),
                        }
                        text
                    }
                };
                self.out.reply(text, Vec::new());
            }
            MenuKey::StatusLookup => {
                let lead = "Anh/chị vui lòng gửi mã hồ sơ (số trên giấy biên nhận) và họ tên người nộp; \
                            cán bộ sẽ kiểm tra và trả lời tại đây.";
                self.hand_off(HandOffReason::StatusLookup, lead);
            }
            MenuKey::Hotline => {
                let mut lines = Vec::new();
                let mut buttons = Vec::new();
                if let Some(hotline) = non_empty(&unit.hotline) {
                    lines.push(format!("Đường dây nóng {}: {hotline}", unit.name));
                    buttons.push(button("Gọi đường dây nóng", tel_payload(hotline)));
                }
                if let Some(duty) = non_empty(&unit.duty_phone) {
                    lines.push(format!("Trực ban 24/7: {duty}"));
                    buttons.push(button("Gọi trực ban", tel_payload(duty)));
                }
                lines.push("Khẩn cấp: 113 (Công an) · 114 (Cứu nạn, cứu hộ, chữa cháy) · 115 (Cấp cứu).".to_owned());
                buttons.push(button("Gọi 113 – Công an", tel_payload("113")));
                self.out.reply(lines.join("\n"), buttons);
            }
            MenuKey::TalkToOfficer => self.hand_off_requested(),
        }
    }

    /// Menu items shown to this unit: only what exists here (booking where the unit takes
    /// bookings online, dossier look-up where the deployment has it).
    fn menu_items(&self) -> Vec<&MenuItem> {
        let has_booking = non_empty(&self.unit().booking_url).is_some();
        let has_lookup = self.unit().dossier_lookup;
        self.ctx
            .settings
            .menu
            .iter()
            .filter(|item| match item.key {
                MenuKey::Booking => has_booking,
                MenuKey::StatusLookup => has_lookup,
                _ => true,
            })
            .collect()
    }

    fn menu_buttons(&self) -> Vec<Button> {
        self.menu_items().into_iter().take(MAX_BUTTONS).map(|item| button(&item.label, item.key.payload())).collect()
    }

    fn greeting_line(&self) -> String {
        let unit = self.unit();
        let vars = CannedVars {
            unit_name: Some(unit.name.clone()),
            hotline: unit.hotline.clone().or_else(|| unit.duty_phone.clone()),
            ..CannedVars::default()
        };
        render_canned(&self.ctx.settings.greeting, &vars)
            .ok()
            .filter(|g| !g.trim().is_empty())
            .or_else(|| render_canned(DEFAULT_GREETING, &vars).ok())
            .unwrap_or_else(|| format!("{} xin chào anh/chị!", unit.name))
    }

    /// The greeting and the menu, each item a button (on a channel without buttons the channel
    /// numbers them, once); the citizen may also type a question.
    pub(super) fn greet_with_menu(&mut self) {
        let mut text = self.greeting_line();
        let buttons = self.menu_buttons();
        if !buttons.is_empty() {
            text.push_str("\n\nAnh/chị chọn một mục dưới đây, hoặc nhập câu hỏi.");
        }
        self.out.reply(text, buttons);
        self.out.memory.failed_turns = 0;
    }
}

/// Who can read the chat now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Availability {
    /// An officer's duty shift covers now.
    OnDuty,
    /// No shift, but the office is open.
    OfficeHours,
    /// Neither: nobody reads the chat until the office opens.
    Nobody,
}

/// Whether an answer is the unit's own or a referral to another agency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AnswerKind {
    Own,
    Referral,
}

/// The snake_case name the matcher gives an emergency or report kind ("fire", "theft").
fn kind_name<T: Serialize>(kind: &T) -> String {
    serde_json::to_value(kind).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_else(|| "other".to_owned())
}

/// The emergency services as call buttons: those of the kind first, in its order
/// ([`EmergencyKind::services`]), then the others.
/// The line [`Turn::add_numbers_line`] adds.
const NUMBERS_LINE: &str =
    "Nếu đang có nguy hiểm, anh/chị gọi ngay 113 (công an), 114 (cháy, cứu nạn) hoặc 115 (cấp cứu).";
const NUMBERS_LINE_EN: &str = "If you are in danger now, call 113 (police), 114 (fire, rescue) or 115 (ambulance).";

fn emergency_services(kind: EmergencyKind) -> Vec<EmergencyService> {
    let first = kind.services();
    first.iter().copied().chain(EmergencyService::ALL.into_iter().filter(|s| !first.contains(s))).collect()
}

fn call_label(service: EmergencyService) -> &'static str {
    match service {
        EmergencyService::Police => "Gọi 113 – Công an",
        EmergencyService::FireRescue => "Gọi 114 – Cứu hỏa",
        EmergencyService::Ambulance => "Gọi 115 – Cấp cứu",
    }
}

impl Turn<'_> {
    /// "Công an phường … xin chào anh/chị!" before the first reply of a conversation.
    fn hello_prefix(&self) -> String {
        if self.out.memory.greeted { String::new() } else { format!("{} xin chào anh/chị!\n\n", self.unit().name) }
    }

    fn answer(&mut self, entry: KbAnswer, kind: AnswerKind) {
        let unit = self.unit();
        let id = entry.id.trim().to_owned();
        let mut body = self.hello_prefix();
        let title = entry.title.trim();
        if !title.is_empty() {
            body.push_str(title);
            body.push_str("\n\n");
        }
        body.push_str(entry.answer.trim());
        let body = body.trim().to_owned();
        let mut footer = String::new();
        if kind == AnswerKind::Referral {
            footer.push_str(&format!("\n\nNếu cần {} hỗ trợ thêm, anh/chị bấm \"Gặp cán bộ\".", unit.name));
        }
        footer.push_str("\n\nThông tin trên có giúp ích cho anh/chị không ạ?");
        let mut buttons = vec![
            button("Có, cảm ơn", format!("{FEEDBACK_YES_PREFIX}{id}")),
            button("Chưa đúng ý", format!("{FEEDBACK_NO_PREFIX}{id}")),
        ];
        if kind == AnswerKind::Referral {
            buttons.push(button("Gặp cán bộ", MenuKey::TalkToOfficer.payload()));
        }
        let footer_chars = footer.chars().count();
        let mut texts = if body.chars().count() + footer_chars <= MAX_REPLY_CHARS {
            vec![format!("{body}{footer}")]
        } else {
            // Too long for one message: two messages, and where even two are not enough the
            // second one says where the rest is (the reply budget is two).
            let note = match non_empty(&unit.chat_url) {
                Some(url) => format!("\n\n(…) Nội dung còn dài, anh/chị xem đầy đủ tại {url} hoặc bấm \"Gặp cán bộ\"."),
                None => "\n\n(…) Nội dung còn dài, anh/chị bấm \"Gặp cán bộ\" để được hướng dẫn đầy đủ.".to_owned(),
            };
            let limit = MAX_REPLY_CHARS.saturating_sub(footer_chars + note.chars().count()).max(MAX_REPLY_CHARS / 2);
            let mut parts = split_for_zalo(&body, limit).into_iter();
            let first = parts.next().unwrap_or_default();
            let second = parts.next().unwrap_or_default();
            let rest = parts.next().is_some();
            let mut last = second;
            if rest {
                last.push_str(&note);
            }
            last.push_str(&footer);
            vec![first, last.trim().to_owned()]
        };
        let last_text = texts.pop().unwrap_or_default();
        for text in texts {
            self.out.reply(text, Vec::new());
        }
        self.out.replies.push(BotReply { text: last_text, buttons, feedback_for: Some(id.clone()) });
        self.out.memory.failed_turns = 0;
        self.out.memory.last_answer = Some(id);
    }

    fn clarify<'b>(&mut self, ids: impl Iterator<Item = &'b str>) {
        if self.out.memory.failed_turns.saturating_add(1) >= MAX_FAILED_TURNS {
            self.give_up();
            return;
        }
        let mut entries: Vec<KbAnswer> = Vec::new();
        for id in ids {
            if entries.len() == MAX_CLARIFY_CHOICES {
                break;
            }
            if entries.iter().any(|e| e.id == id) {
                continue;
            }
            if let Some(entry) = (self.ctx.kb.entry)(id) {
                entries.push(entry);
            }
        }
        if entries.is_empty() {
            self.not_understood();
            return;
        }
        let mut text = self.hello_prefix();
        if let [only] = entries.as_slice() {
            text.push_str(&format!("Có phải anh/chị muốn hỏi về: {}?", only.title.trim()));
            text.push_str(" Nếu không phải, anh/chị hỏi cụ thể hơn.");
        } else {
            text.push_str("Anh/chị muốn hỏi về nội dung nào dưới đây ạ? Nếu không có, anh/chị hỏi cụ thể hơn.");
        }
        let buttons = entries.iter().map(|e| button(&e.title, format!("{KB_PREFIX}{}", e.id))).collect();
        self.out.reply(text, buttons);
        self.out.offered = entries.into_iter().map(|e| e.id).collect();
        self.out.failed();
        self.out.review = Some(ReviewReason::Clarified);
    }

    fn not_understood(&mut self) {
        if self.out.memory.failed_turns.saturating_add(1) >= MAX_FAILED_TURNS {
            self.give_up();
            return;
        }
        self.out.failed();
        self.out.review = Some(ReviewReason::NotUnderstood);
        let text = format!(
            "{}Xin lỗi, {} chưa tìm thấy câu trả lời phù hợp. Anh/chị vui lòng hỏi ngắn gọn, cụ thể hơn \
             (ví dụ: \"làm căn cước cần giấy tờ gì\"), hoặc bấm \"Gặp cán bộ\" để được hỗ trợ.",
            self.hello_prefix(),
            self.unit().name
        );
        self.out.reply(text, vec![button("Gặp cán bộ", MenuKey::TalkToOfficer.payload())]);
    }

    /// The second unsuccessful turn in a row: an officer takes over.
    fn give_up(&mut self) {
        self.out.review = Some(ReviewReason::HandedOff);
        self.hand_off(HandOffReason::NotUnderstood, "Xin lỗi anh/chị, câu hỏi này cần cán bộ trả lời trực tiếp.");
    }

    fn stale_choice(&mut self) {
        let text = "Dạ, lựa chọn này không còn hiệu lực. Anh/chị vui lòng nhập câu hỏi hoặc chọn một mục dưới đây.";
        let buttons = self.menu_buttons();
        self.out.reply(text.to_owned(), buttons);
    }

    /// Outside office hours with nobody on duty: when to expect an answer and whom to call
    /// meanwhile.
    fn nobody_there_notice(&self) -> String {
        let unit = self.unit();
        let mut text = "Hiện đã ngoài giờ làm việc và không có cán bộ trực tuyến".to_owned();
        if !unit.opening_hours_text.trim().is_empty() {
            text.push_str(&format!(" (giờ làm việc: {})", unit.opening_hours_text.trim()));
        }
        text.push_str("; cán bộ sẽ trả lời anh/chị khi vào giờ làm việc.");
        match non_empty(&unit.duty_phone).or(non_empty(&unit.hotline)) {
            Some(phone) => text.push_str(&format!(
                " Việc khẩn cấp, anh/chị gọi trực ban {phone}, hoặc 113 (Công an) · 114 (Cứu hỏa) · 115 (Cấp cứu)."
            )),
            None => text.push_str(" Việc khẩn cấp, anh/chị gọi 113 (Công an) · 114 (Cứu hỏa) · 115 (Cấp cứu)."),
        }
        text
    }

    /// Call buttons for outside office hours: the duty phone (or hotline), then 113.
    fn call_buttons(&self) -> Vec<Button> {
        let unit = self.unit();
        let mut buttons = Vec::new();
        if let Some(phone) = non_empty(&unit.duty_phone) {
            buttons.push(button("Gọi trực ban", tel_payload(phone)));
        } else if let Some(phone) = non_empty(&unit.hotline) {
            buttons.push(button("Gọi đường dây nóng", tel_payload(phone)));
        }
        buttons.push(button("Gọi 113 – Công an", tel_payload("113")));
        buttons
    }

    fn hand_off_requested(&mut self) {
        let lead = format!("Dạ, {} đã chuyển yêu cầu của anh/chị tới cán bộ.", self.unit().name);
        self.hand_off(HandOffReason::Requested, &lead);
    }

    pub(super) fn hand_off(&mut self, reason: HandOffReason, lead: &str) {
        self.out.action = BotAction::HandOff { reason };
        self.out.memory.failed_turns = 0;
        self.out.memory.waiting_acknowledged = false;
        let mut text = lead.trim().to_owned();
        let mut buttons = Vec::new();
        match self.availability() {
            Availability::OnDuty | Availability::OfficeHours => {
                if !matches!(reason, HandOffReason::StatusLookup | HandOffReason::OtherLanguage) {
                    text.push(' ');
                    text.push_str(&self.who_replies());
                }
                if matches!(reason, HandOffReason::Media | HandOffReason::Location) {
                    text.push_str(" Trường hợp khẩn cấp, anh/chị gọi ngay 113.");
                    buttons.push(button("Gọi 113 – Công an", tel_payload("113")));
                }
            }
            Availability::Nobody => {
                text.push('\n');
                text.push_str(&self.nobody_there_notice());
                buttons = self.call_buttons();
            }
        }
        self.out.reply(text, buttons);
    }

    /// A message in English: the answers here are Vietnamese, so never a guessed Vietnamese
    /// answer; an officer takes it, and the emergency numbers are given in English.
    fn in_english(&mut self) {
        self.out.review = Some(ReviewReason::HandedOff);
        self.out.action = BotAction::HandOff { reason: HandOffReason::OtherLanguage };
        self.out.memory.failed_turns = 0;
        self.out.memory.waiting_acknowledged = false;
        let unit = self.unit();
        let mut text = format!(
            "Hello! The automatic answers of {} are in Vietnamese, so your message has been passed to an officer, \
             who will reply here",
            unit.name
        );
        text.push_str(match self.availability() {
            Availability::OnDuty => " shortly.",
            Availability::OfficeHours => " during office hours.",
            Availability::Nobody => " when the office opens; no officer is online now.",
        });
        if let Some(phone) = non_empty(&unit.duty_phone).or(non_empty(&unit.hotline)) {
            text.push_str(&format!(" You can also call {phone}."));
        }
        text.push_str("\nEmergency: 113 police · 114 fire and rescue · 115 ambulance.");
        let buttons = vec![
            button("Call 113 – Police", tel_payload("113")),
            button("Call 114 – Fire", tel_payload("114")),
            button("Call 115 – Ambulance", tel_payload("115")),
        ];
        self.out.reply(text, buttons);
    }

    /// Who can read the chat now: the unit's roster and opening hours, as the app reports them.
    fn availability(&self) -> Availability {
        let unit = self.unit();
        if unit.on_duty {
            Availability::OnDuty
        } else if unit.open_now {
            Availability::OfficeHours
        } else {
            Availability::Nobody
        }
    }

    /// One sentence on who replies, with the unit's typical wait when it is known.
    fn who_replies(&self) -> String {
        let wait = match self.unit().typical_wait_minutes {
            Some(m) if m <= 1 => ", thường chỉ trong vài phút".to_owned(),
            Some(m) => format!(", thường trong khoảng {m} phút"),
            None => String::new(),
        };
        match self.availability() {
            Availability::OnDuty => format!("Cán bộ trực ban sẽ trả lời anh/chị tại đây{wait}."),
            _ => format!("Cán bộ sẽ trả lời anh/chị tại đây trong thời gian sớm nhất{wait}."),
        }
    }

    /// A citizen writes while the conversation is with the officers. Waiting for one: the first
    /// message after the hand-off is acknowledged with where things stand, later ones are kept
    /// quietly unless the citizen asks for an officer again. With an officer: silent, unless
    /// asked. Emergencies and crime reports were handled before (they always speak or act).
    pub(super) fn while_with_officers(&mut self, status: Status, asks_for_officer: bool) {
        if !self.out.replies.is_empty() || matches!(self.out.action, BotAction::Urgent { .. }) {
            return;
        }
        let unit_name = self.unit().name.clone();
        match status {
            Status::WaitingHuman if asks_for_officer || !self.out.memory.waiting_acknowledged => {
                self.out.memory.waiting_acknowledged = true;
                let mut text = format!(
                    "Dạ, {unit_name} đã nhận tin nhắn của anh/chị. Cuộc trò chuyện đang chờ cán bộ trả lời; \
                     anh/chị có thể gửi thêm thông tin tại đây."
                );
                let mut buttons = Vec::new();
                match self.availability() {
                    Availability::Nobody => {
                        text.push('\n');
                        text.push_str(&self.nobody_there_notice());
                        buttons = self.call_buttons();
                    }
                    _ => {
                        text.push(' ');
                        text.push_str(&self.who_replies());
                    }
                }
                self.out.reply(text, buttons);
            }
            Status::Assigned if asks_for_officer => {
                let text =
                    format!("Dạ, cán bộ {unit_name} đang xử lý cuộc trò chuyện này và sẽ trả lời anh/chị tại đây.");
                self.out.reply(text, Vec::new());
            }
            _ => {}
        }
    }

    fn emergency(&mut self, kind: EmergencyKind) {
        self.out.action = BotAction::Urgent { kind: kind.as_str().to_owned() };
        self.out.memory.failed_turns = 0;
        self.out.memory.waiting_acknowledged = false;
        // The first number named is the kind's first service (EmergencyKind::services).
        let first = match kind {
            EmergencyKind::Fire => {
                "KHẨN CẤP: Anh/chị gọi ngay 114 (Cứu nạn, cứu hộ, chữa cháy). Nhanh chóng rời khỏi khu vực cháy, \
                 không dùng thang máy, che mũi miệng bằng khăn ướt."
            }
            EmergencyKind::Medical => {
                "KHẨN CẤP: Anh/chị gọi ngay 115 (Cấp cứu y tế) và làm theo hướng dẫn của nhân viên y tế."
            }
            EmergencyKind::Rescue => {
                "KHẨN CẤP: Anh/chị gọi ngay 114 (Cứu nạn, cứu hộ); có người bị thương thì gọi thêm 115 (Cấp cứu). \
                 Không tự lao xuống nước hay vào nơi đổ sập nếu không có dụng cụ cứu hộ."
            }
            EmergencyKind::Accident => {
                "KHẨN CẤP: Anh/chị gọi ngay 115 (Cấp cứu) cho người bị thương và 113 (Công an). \
                 Không di chuyển người bị thương nếu không cần thiết."
            }
            EmergencyKind::Violence | EmergencyKind::CrimeInProgress | EmergencyKind::CallForHelp => {
                "KHẨN CẤP: Anh/chị gọi ngay 113 (Công an). Hãy giữ an toàn cho bản thân, tránh xa nơi nguy hiểm."
            }
        };
        let mut text = first.to_owned();
        text.push('\n');
        text.push_str(&self.emergency_reached());
        text.push_str(" Nếu có thể, anh/chị gửi vị trí hiện tại.");
        text.push_str("\nSố khẩn cấp: 113 Công an · 114 Cứu nạn, cứu hộ, chữa cháy · 115 Cấp cứu y tế.");
        let buttons = emergency_services(kind)
            .into_iter()
            .map(|service| {
                // For a rescue, 114 is the rescue service rather than the fire brigade.
                let label = match (kind, service) {
                    (EmergencyKind::Rescue, EmergencyService::FireRescue) => "Gọi 114 – Cứu nạn, cứu hộ",
                    _ => call_label(service),
                };
                button(label, tel_payload(service.number()))
            })
            .collect();
        self.out.reply(text, buttons);
    }

    /// Whom an emergency message reached, honestly: the duty officer only when one is on duty.
    fn emergency_reached(&self) -> String {
        let unit = self.unit();
        let duty = non_empty(&unit.duty_phone);
        match self.availability() {
            Availability::OnDuty => {
                let mut line = format!("Tin nhắn của anh/chị đã được chuyển ngay tới cán bộ trực ban {}", unit.name);
                match duty {
                    Some(duty) => line.push_str(&format!(" (số trực ban: {duty}).")),
                    None => line.push('.'),
                }
                line
            }
            Availability::OfficeHours => {
                let mut line = format!("Tin nhắn của anh/chị đã được chuyển tới cán bộ {}", unit.name);
                match duty {
                    Some(duty) => line.push_str(&format!("; anh/chị có thể gọi trực ban: {duty}.")),
                    None => line.push('.'),
                }
                line
            }
            Availability::Nobody => {
                let mut line = format!(
                    "{} đã nhận tin nhắn, nhưng lúc này không có cán bộ trực tuyến: anh/chị hãy gọi ngay số khẩn cấp",
                    unit.name
                );
                match duty {
                    Some(duty) => line.push_str(&format!(" hoặc trực ban {duty}.")),
                    None => line.push('.'),
                }
                line
            }
        }
    }

    fn start_report(&mut self, kind: String) {
        self.out.action = BotAction::StartReport { kind };
        self.out.memory.failed_turns = 0;
        let unit = self.unit();
        let mut text = format!(
            "{} đã nhận được tin báo của anh/chị. Cán bộ sẽ trao đổi với anh/chị ngay tại đây.\n\
             Anh/chị vui lòng cho biết: sự việc gì, xảy ra ở đâu, khi nào, và gửi ảnh/video nếu có. \
             Thông tin về người báo tin được giữ bí mật.",
            unit.name
        );
        match self.availability() {
            Availability::OnDuty if !unit.open_now => {
                text.push_str("\nNgoài giờ làm việc, tin báo được chuyển tới cán bộ trực ban.")
            }
            Availability::Nobody => text.push_str(
                "\nHiện ngoài giờ làm việc và không có cán bộ trực tuyến; cán bộ sẽ xem tin báo khi vào giờ làm việc.",
            ),
            _ => {}
        }
        let mut buttons = vec![button("Gọi 113 – Công an", tel_payload("113"))];
        match non_empty(&unit.hotline).or(non_empty(&unit.duty_phone)) {
            Some(phone) => {
                text.push_str(&format!("\nĐường dây nóng: {phone}. Trường hợp khẩn cấp, anh/chị gọi ngay 113."));
                buttons.push(button("Gọi đường dây nóng", tel_payload(phone)));
            }
            None => text.push_str("\nTrường hợp khẩn cấp, anh/chị gọi ngay 113."),
        }
        self.out.reply(text, buttons);
    }
}
