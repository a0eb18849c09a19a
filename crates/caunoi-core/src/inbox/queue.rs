//! The queues an officer sees in the inbox, as filter descriptions.
//!
//! A [`QueueFilter`] is plain data (statuses, a unit scope, an assignee) that the storage layer
//! turns into its `WHERE` clause, and also a predicate ([`QueueFilter::matches`]) over a
//! [`ConversationSummary`], so the rules are tested here without SQL. Closed conversations are in
//! no queue (they are found by search). Within any queue, [`queue_order`] puts urgent
//! conversations first, then the one that has waited longest.

use std::cmp::Ordering;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::Status;
use crate::staff::OfficerId;
use crate::units::UnitPath;

/// What a queue needs to know about a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationSummary {
    pub status: Status,
    /// Path of the unit whose inbox holds it.
    pub unit_path: UnitPath,
    pub assignee: Option<OfficerId>,
    pub urgent: bool,
    /// Since when the citizen has waited for a reply (their oldest unanswered message, or the
    /// hand-off); `None` when nobody is waiting.
    pub waiting_since: Option<Timestamp>,
}

/// The inbox tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Queue {
    /// Handed off and not yet taken, in the officer's own unit (chờ cán bộ).
    WaitingForHuman,
    /// Assigned to the officer, in any unit (của tôi).
    Mine,
    /// Every open conversation of the officer's unit, bot ones included (đơn vị tôi).
    MyUnit,
    /// Every open conversation of the unit and the units below it (gồm đơn vị trực thuộc); the
    /// console shows the tab only when units below exist.
    MySubtree,
}

/// Which units a queue covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnitScope {
    /// Any unit (the officer's own assignments follow them).
    Any,
    /// Exactly this unit.
    Exactly(UnitPath),
    /// This unit and everything below it (`path LIKE prefix || '%'`).
    Subtree(UnitPath),
}

/// A queue as data: the storage layer reads the fields, tests call [`QueueFilter::matches`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueFilter {
    /// The conversation's status is one of these.
    pub statuses: Vec<Status>,
    pub unit: UnitScope,
    /// When `Some`, only conversations assigned to this officer.
    pub assignee: Option<OfficerId>,
}

const OPEN: [Status; 3] = [Status::Bot, Status::WaitingHuman, Status::Assigned];

impl Queue {
    pub const ALL: [Queue; 4] = [Queue::WaitingForHuman, Queue::Mine, Queue::MyUnit, Queue::MySubtree];

    pub fn as_str(self) -> &'static str {
        match self {
            Queue::WaitingForHuman => "waiting",
            Queue::Mine => "mine",
            Queue::MyUnit => "unit",
            Queue::MySubtree => "subtree",
        }
    }

    /// Reads the form used in URLs (`?queue=mine`).
    pub fn parse(raw: &str) -> Option<Queue> {
        Queue::ALL.into_iter().find(|q| q.as_str() == raw.trim())
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            Queue::WaitingForHuman => "Chờ cán bộ",
            Queue::Mine => "Của tôi",
            Queue::MyUnit => "Đơn vị tôi",
            Queue::MySubtree => "Gồm đơn vị trực thuộc",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Queue::WaitingForHuman => "Waiting",
            Queue::Mine => "Mine",
            Queue::MyUnit => "My unit",
            Queue::MySubtree => "With sub-units",
        }
    }

    /// The statuses the tab lists.
    pub fn statuses(self) -> Vec<Status> {
        match self {
            Queue::WaitingForHuman => vec![Status::WaitingHuman],
            Queue::Mine => vec![Status::Assigned],
            Queue::MyUnit | Queue::MySubtree => OPEN.to_vec(),
        }
    }

    /// The filter for `officer` working in the unit at `unit_path`.
    pub fn filter(self, officer: OfficerId, unit_path: &UnitPath) -> QueueFilter {
        match self {
            Queue::WaitingForHuman => QueueFilter {
                statuses: vec![Status::WaitingHuman],
                unit: UnitScope::Exactly(unit_path.clone()),
                assignee: None,
            },
            Queue::Mine => {
                QueueFilter { statuses: vec![Status::Assigned], unit: UnitScope::Any, assignee: Some(officer) }
            }
            Queue::MyUnit => {
                QueueFilter { statuses: OPEN.to_vec(), unit: UnitScope::Exactly(unit_path.clone()), assignee: None }
            }
            Queue::MySubtree => {
                QueueFilter { statuses: OPEN.to_vec(), unit: UnitScope::Subtree(unit_path.clone()), assignee: None }
            }
        }
    }
}

impl QueueFilter {
    /// Whether the conversation belongs in the queue.
    pub fn matches(&self, c: &ConversationSummary) -> bool {
        let unit_ok = match &self.unit {
            UnitScope::Any => true,
            UnitScope::Exactly(path) => *path == c.unit_path,
            UnitScope::Subtree(path) => path.contains(&c.unit_path),
        };
        self.statuses.contains(&c.status) && unit_ok && self.assignee.is_none_or(|a| c.assignee == Some(a))
    }
}

/// Queue order: urgent first, then the longest wait (oldest `waiting_since`; not waiting last).
pub fn queue_order(a: &ConversationSummary, b: &ConversationSummary) -> Ordering {
    b.urgent.cmp(&a.urgent).then_with(|| match (a.waiting_since, b.waiting_since) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    })
}
