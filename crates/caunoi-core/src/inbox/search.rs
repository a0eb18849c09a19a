//! Search and filters over the inbox (tìm kiếm, bộ lọc), as plain data.
//!
//! An [`InboxFilter`] narrows a [`Queue`] tab: a text to look for (the citizen's name, a
//! message's text, a conversation number `#123` or a report code `TB-XXXX-XXXX`), a channel, a
//! unit (its subtree), a status, urgent only, and who has it (me / nobody). The tab still decides
//! the units (own units, subtree) and, for "Của tôi", the assignee; a chosen status replaces the
//! tab's statuses, so "Của tôi" + "Đã đóng" lists the officer's closed conversations (closed ones
//! are in no tab otherwise). Every filter is read leniently from the URL: an unknown value is
//! ignored, never an error, so an old bookmark still opens the inbox.

use super::{Queue, Status};
use crate::conversations::Channel;

/// Longest search text kept, in characters.
pub const MAX_SEARCH_CHARS: usize = 100;

/// Which statuses a filter asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    /// The tab's own statuses.
    Tab,
    /// One status.
    Only(Status),
    /// Open ones: bot, waiting, assigned.
    Open,
    /// Every status, closed included.
    All,
}

impl StatusFilter {
    pub const CHOICES: [StatusFilter; 7] = [
        StatusFilter::Tab,
        StatusFilter::Open,
        StatusFilter::Only(Status::WaitingHuman),
        StatusFilter::Only(Status::Assigned),
        StatusFilter::Only(Status::Bot),
        StatusFilter::Only(Status::Closed),
        StatusFilter::All,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            StatusFilter::Tab => "",
            StatusFilter::Only(s) => s.as_str(),
            StatusFilter::Open => "open",
            StatusFilter::All => "all",
        }
    }

    pub fn parse(raw: &str) -> StatusFilter {
        match raw.trim() {
            "open" => StatusFilter::Open,
            "all" => StatusFilter::All,
            other => Status::parse(other).map_or(StatusFilter::Tab, StatusFilter::Only),
        }
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            StatusFilter::Tab => "Theo thẻ đang chọn",
            StatusFilter::Only(s) => s.label_vi(),
            StatusFilter::Open => "Đang mở",
            StatusFilter::All => "Tất cả",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            StatusFilter::Tab => "As the tab says",
            StatusFilter::Only(s) => s.label_en(),
            StatusFilter::Open => "Open",
            StatusFilter::All => "All",
        }
    }

    /// The statuses to list in `queue`'s tab.
    pub fn statuses(self, queue: Queue) -> Vec<Status> {
        match self {
            StatusFilter::Tab => queue.statuses(),
            StatusFilter::Only(s) => vec![s],
            StatusFilter::Open => vec![Status::Bot, Status::WaitingHuman, Status::Assigned],
            StatusFilter::All => Status::ALL.to_vec(),
        }
    }
}

/// Who has the conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssignedFilter {
    Anyone,
    /// Assigned to the officer looking.
    Me,
    /// Nobody has it.
    Nobody,
}

impl AssignedFilter {
    pub const CHOICES: [AssignedFilter; 3] = [AssignedFilter::Anyone, AssignedFilter::Me, AssignedFilter::Nobody];

    pub fn as_str(self) -> &'static str {
        match self {
            AssignedFilter::Anyone => "",
            AssignedFilter::Me => "me",
            AssignedFilter::Nobody => "none",
        }
    }

    pub fn parse(raw: &str) -> AssignedFilter {
        match raw.trim() {
            "me" => AssignedFilter::Me,
            "none" => AssignedFilter::Nobody,
            _ => AssignedFilter::Anyone,
        }
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            AssignedFilter::Anyone => "Bất kỳ ai",
            AssignedFilter::Me => "Giao cho tôi",
            AssignedFilter::Nobody => "Chưa giao ai",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            AssignedFilter::Anyone => "Anyone",
            AssignedFilter::Me => "Assigned to me",
            AssignedFilter::Nobody => "Unassigned",
        }
    }
}

/// What the search box holds, read once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchText {
    None,
    /// `#123` or `123`: a conversation number (also matched as text).
    Number(i64),
    /// Words to find in the citizen's name or a message.
    Words(String),
}

/// The inbox's filters as the URL gives them (every field optional).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawFilter<'a> {
    pub queue: &'a str,
    pub q: &'a str,
    pub channel: &'a str,
    pub unit: &'a str,
    pub status: &'a str,
    pub urgent: &'a str,
    pub assigned: &'a str,
}

/// The inbox's filters, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxFilter {
    pub queue: Queue,
    /// The search text, trimmed and shortened to [`MAX_SEARCH_CHARS`]; empty for none.
    pub q: String,
    pub channel: Option<Channel>,
    /// A unit code (the unit and its subtree); empty for any. Checked against the scope by the
    /// storage layer (a unit outside it matches nothing).
    pub unit: String,
    pub status: StatusFilter,
    pub urgent: bool,
    pub assigned: AssignedFilter,
}

impl Default for InboxFilter {
    fn default() -> Self {
        InboxFilter {
            queue: Queue::WaitingForHuman,
            q: String::new(),
            channel: None,
            unit: String::new(),
            status: StatusFilter::Tab,
            urgent: false,
            assigned: AssignedFilter::Anyone,
        }
    }
}

impl InboxFilter {
    pub fn parse(raw: &RawFilter<'_>) -> InboxFilter {
        let q: String = raw.q.split_whitespace().collect::<Vec<_>>().join(" ").chars().take(MAX_SEARCH_CHARS).collect();
        let unit = raw.unit.trim();
        InboxFilter {
            queue: Queue::parse(raw.queue).unwrap_or(Queue::WaitingForHuman),
            q,
            channel: Channel::parse(raw.channel.trim()),
            unit: if unit.len() <= 64 { unit.to_string() } else { String::new() },
            status: StatusFilter::parse(raw.status),
            urgent: matches!(raw.urgent.trim(), "1" | "on" | "true"),
            assigned: AssignedFilter::parse(raw.assigned),
        }
    }

    /// What the search box holds.
    pub fn search(&self) -> SearchText {
        if self.q.is_empty() {
            return SearchText::None;
        }
        match self.q.strip_prefix('#').unwrap_or(&self.q).parse::<i64>() {
            Ok(n) if n > 0 => SearchText::Number(n),
            _ => SearchText::Words(self.q.clone()),
        }
    }

    /// Statuses to list.
    pub fn statuses(&self) -> Vec<Status> {
        self.status.statuses(self.queue)
    }

    /// Whether anything beyond the tab is asked for.
    pub fn narrows(&self) -> bool {
        !self.q.is_empty()
            || self.channel.is_some()
            || !self.unit.is_empty()
            || self.status != StatusFilter::Tab
            || self.urgent
            || self.assigned != AssignedFilter::Anyone
    }

    /// The URL query that gives this filter back, with the tab replaced by `queue` (for the tab
    /// links, which keep the other filters); empty for the default waiting tab without filters.
    pub fn query_for(&self, queue: Queue) -> String {
        let mut parts: Vec<String> = Vec::new();
        if queue != Queue::WaitingForHuman {
            parts.push(format!("queue={}", queue.as_str()));
        }
        let mut add = |k: &str, v: &str| {
            if !v.is_empty() {
                parts.push(format!("{k}={}", encode(v)));
            }
        };
        add("q", &self.q);
        add("channel", self.channel.map_or("", |c| c.as_str()));
        add("unit", &self.unit);
        add("status", self.status.as_str());
        add("urgent", if self.urgent { "1" } else { "" });
        add("assigned", self.assigned.as_str());
        parts.join("&")
    }

    /// The URL query of this filter.
    pub fn query(&self) -> String {
        self.query_for(self.queue)
    }
}

/// Percent-encodes a query value (RFC 3986 unreserved characters kept).
fn encode(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A `LIKE` pattern that finds `words` anywhere, lowercased, with `%`, `_` and the escape
/// character `\` taken literally (the query says `ESCAPE '\'`).
pub fn like_pattern(words: &str) -> String {
    let mut out = String::with_capacity(words.len() + 2);
    out.push('%');
    for c in words.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw<'a>(f: impl FnOnce(&mut RawFilter<'a>)) -> InboxFilter {
        let mut r = RawFilter::default();
        f(&mut r);
        InboxFilter::parse(&r)
    }

    #[test]
    fn defaults_are_the_waiting_tab_without_filters() {
        let f = raw(|_| {});
        assert_eq!(f, InboxFilter::default());
        assert!(!f.narrows());
        assert_eq!(f.query(), "");
        assert_eq!(f.statuses(), vec![Status::WaitingHuman]);
    }

    #[test]
    fn unknown_values_are_ignored_not_errors() {
        let f = raw(|r| {
            r.queue = "nope";
            r.channel = "sms";
            r.status = "deleted";
            r.assigned = "boss";
            r.urgent = "maybe";
        });
        assert_eq!(f, InboxFilter::default());
    }

    #[test]
    fn a_status_replaces_the_tabs_statuses() {
        let f = raw(|r| {
            r.queue = "mine";
            r.status = "closed";
        });
        assert_eq!(f.statuses(), vec![Status::Closed]);
        assert_eq!(raw(|r| r.queue = "unit").statuses(), vec![Status::Bot, Status::WaitingHuman, Status::Assigned]);
        assert_eq!(raw(|r| r.status = "all").statuses(), Status::ALL.to_vec());
        assert_eq!(raw(|r| r.status = "open").statuses().len(), 3);
    }

    #[test]
    fn search_text_is_a_number_or_words() {
        assert_eq!(raw(|r| r.q = "  #42 ").search(), SearchText::Number(42));
        assert_eq!(raw(|r| r.q = "42").search(), SearchText::Number(42));
        assert_eq!(raw(|r| r.q = "  Nguyễn   Văn ").search(), SearchText::Words("Nguyễn Văn".into()));
        assert_eq!(raw(|r| r.q = "#-3").search(), SearchText::Words("#-3".into()));
        assert_eq!(raw(|r| r.q = "   ").search(), SearchText::None);
        let long = "a".repeat(500);
        assert_eq!(raw(|r| r.q = &long).q.chars().count(), MAX_SEARCH_CHARS);
    }

    #[test]
    fn the_query_string_round_trips_and_tab_links_keep_filters() {
        let f = raw(|r| {
            r.queue = "unit";
            r.q = "cháy & nổ";
            r.channel = "zalo";
            r.unit = "qn-bai-chay";
            r.status = "closed";
            r.urgent = "1";
            r.assigned = "none";
        });
        let q = f.query();
        assert_eq!(
            q,
            "queue=unit&q=ch%C3%A1y%20%26%20n%E1%BB%95&channel=zalo&unit=qn-bai-chay&status=closed&urgent=1&assigned=none"
        );
        assert!(f.query_for(Queue::Mine).starts_with("queue=mine&q="));
        assert!(f.query_for(Queue::WaitingForHuman).starts_with("q="));
    }

    #[test]
    fn like_patterns_take_wildcards_literally() {
        assert_eq!(like_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
        assert_eq!(like_pattern("NGUYỄN"), "%nguyễn%");
    }
}
