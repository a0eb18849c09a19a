//! Vietnamese text for caunoi: normalization, diacritic folding, abbreviation expansion and
//! the FAQ matcher that maps a citizen's message to a knowledge-base entry, asks to clarify,
//! or hands the conversation to an officer.
//!
//! Pure code: no I/O, no model download, no global mutable state. The pieces, in pipeline
//! order: [`normalize`] (input hygiene and the three syllable levels), [`abbrev`] (teencode and
//! abbreviation dictionary), [`restore`] (diacritic restoration from the knowledge base's own
//! text), [`spell`] (typo correction towards the knowledge-base vocabulary),
//! [`safety`] (emergencies and crime reports, checked before any FAQ answer), [`matcher`]
//! (index, scoring and decision), [`group`] (clustering unanswered questions for review) and
//! [`eval`] (metrics on a labelled question list).
//!
//! ```
//! use caunoi_text::abbrev::Abbreviations;
//! use caunoi_text::matcher::{Decision, FaqDoc, Matcher, MatcherConfig};
//!
//! let docs = vec![FaqDoc {
//!     id: "ho-chieu.le-phi".into(),
//!     title: "Lệ phí làm hộ chiếu".into(),
//!     questions: vec!["làm hộ chiếu hết bao nhiêu tiền".into()],
//!     answer: String::new(),
//!     referral: false,
//! }];
//! let matcher = Matcher::build(docs, &Abbreviations::builtin(), MatcherConfig::default());
//! assert!(matches!(matcher.decide("lam ho chieu het bn tien"), Decision::Answer { .. }));
//! assert!(matches!(matcher.decide("đang có cháy nhà ở đầu ngõ"), Decision::Emergency { .. }));
//! ```

pub mod abbrev;
pub mod eval;
pub mod group;
pub mod matcher;
pub mod normalize;
pub mod restore;
pub mod safety;
pub mod spell;
