//! Officers (cán bộ) and what they may do: roles, grants over unit subtrees, and the scope policy.
//!
//! A grant is a (role, unit) pair and covers that unit and everything below it. An officer may
//! hold several grants. [`Scope`] is computed once per request from the officer's grants; the
//! storage layer filters every unit-owned query by it, and services call [`Scope::require`]
//! before any change. Nothing outside a grant's subtree is ever visible.

use crate::input::{InvalidInput, text_field};
use crate::units::{UnitId, UnitPath};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Database id of an officer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct OfficerId(pub i64);

impl fmt::Display for OfficerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// What an officer is trusted with inside a subtree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Quản trị: manages units, officers and settings.
    Admin,
    /// Lãnh đạo: sees and directs all work, approves broadcasts.
    Leader,
    /// Trực ban: takes urgent matters and assigns conversations.
    DutyOfficer,
    /// Cán bộ: answers citizens and works cases.
    Officer,
    /// Phân tích: reads statistics only.
    Analyst,
}

/// Everything that needs a permission, checked against the target unit's path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// See the unit in the tree and open its details.
    ViewUnit,
    /// Edit the unit's page details.
    EditUnit,
    /// Create units below, move or import units.
    ManageUnits,
    /// Add officers and change role grants.
    ManageOfficers,
    /// Read the audit log.
    ViewAudit,
    /// Bind or change the unit's Zalo OA.
    ManageChannels,
    /// Change the unit's knowledge base (overrides, local entries, review of unanswered questions).
    EditKb,
    /// Work the unit's conversations: take, reply, note, close (every role but analyst, who
    /// reads statistics only).
    WorkConversations,
    /// Direct others' work at the unit: assign to a colleague, manage the duty roster and canned
    /// replies, retry failed deliveries (admins, leaders and duty officers).
    DirectWork,
    /// Work the unit's reported cases: acknowledge, verify, note, reply, forward, change status
    /// (every role but analyst).
    WorkCases,
    /// Approve or deny a request to see a sealed reporter's identity (the unit's custodian:
    /// leaders).
    ApproveIdentity,
    /// Change what the whole deployment shares (the report categories): an admin, and only
    /// over the root unit, so a ward's admin cannot change what every unit offers.
    ManageDeployment,
}

impl Role {
    pub const ALL: [Role; 5] = [Role::Admin, Role::Leader, Role::DutyOfficer, Role::Officer, Role::Analyst];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Leader => "leader",
            Role::DutyOfficer => "duty_officer",
            Role::Officer => "officer",
            Role::Analyst => "analyst",
        }
    }

    pub fn parse(raw: &str) -> Result<Role, InvalidInput> {
        Role::ALL.into_iter().find(|r| r.as_str() == raw.trim()).ok_or_else(|| {
            InvalidInput::new(
                "role",
                "Vai trò không hợp lệ.",
                "Unknown role (admin, leader, duty_officer, officer, analyst).",
            )
        })
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            Role::Admin => "Quản trị",
            Role::Leader => "Lãnh đạo",
            Role::DutyOfficer => "Trực ban",
            Role::Officer => "Cán bộ",
            Role::Analyst => "Phân tích",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Role::Admin => "Admin",
            Role::Leader => "Leader",
            Role::DutyOfficer => "Duty officer",
            Role::Officer => "Officer",
            Role::Analyst => "Analyst",
        }
    }

    /// The role's permissions.
    pub fn allows(self, action: Action) -> bool {
        match action {
            Action::ViewUnit => true,
            Action::EditUnit | Action::EditKb => matches!(self, Role::Admin | Role::Leader),
            Action::ManageUnits
            | Action::ManageOfficers
            | Action::ViewAudit
            | Action::ManageChannels
            | Action::ManageDeployment => self == Role::Admin,
            Action::WorkConversations | Action::WorkCases => self != Role::Analyst,
            Action::ApproveIdentity => self == Role::Leader,
            Action::DirectWork => matches!(self, Role::Admin | Role::Leader | Role::DutyOfficer),
        }
    }
}

/// One role over one unit's subtree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub role: Role,
    pub unit_id: UnitId,
    pub unit_path: UnitPath,
}

/// Refusal of an action outside the caller's grants.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not allowed: {action:?} outside the officer's grants")]
pub struct Forbidden {
    pub action: Action,
}

/// What one signed-in officer may see and do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub officer_id: OfficerId,
    pub grants: Vec<Grant>,
}

impl Scope {
    /// True when some grant's role allows `action` and covers `target`.
    pub fn can(&self, action: Action, target: &UnitPath) -> bool {
        self.grants.iter().any(|g| g.role.allows(action) && g.unit_path.contains(target))
    }

    pub fn require(&self, action: Action, target: &UnitPath) -> Result<(), Forbidden> {
        if self.can(action, target) { Ok(()) } else { Err(Forbidden { action }) }
    }

    /// True when the officer may do `action` somewhere (to show or hide a menu entry).
    pub fn can_anywhere(&self, action: Action) -> bool {
        self.grants.iter().any(|g| g.role.allows(action))
    }

    /// Whether this officer may hand `role` over `target` to someone: only admins, only inside
    /// their own subtrees. Granting never reaches above the granter.
    pub fn may_grant(&self, target: &UnitPath) -> bool {
        self.can(Action::ManageOfficers, target)
    }

    pub fn is_admin_anywhere(&self) -> bool {
        self.grants.iter().any(|g| g.role == Role::Admin)
    }

    /// Whether this officer may disable, re-enable or reset the password of the account of
    /// `target`, who holds grants on `target_units`: an admin whose grants cover every one of
    /// them (an account serves all its units, so an admin of one ward cannot lock out someone
    /// who also works for the province), and never on their own account.
    pub fn may_manage_account(&self, target: OfficerId, target_units: &[UnitPath]) -> bool {
        target != self.officer_id
            && !target_units.is_empty()
            && target_units.iter().all(|p| self.can(Action::ManageOfficers, p))
    }
}

/// How long an admin's password reset link (liên kết đặt lại mật khẩu) works.
pub const RESET_LINK_LIFETIME_SECS: i64 = 24 * 3600;

/// Why a password reset link cannot be used (nothing is changed in any of these cases).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetRefusal {
    /// No such link: mistyped, or replaced by a newer link for the same account.
    Unknown,
    /// The link was already used once.
    Used,
    /// The link is older than [`RESET_LINK_LIFETIME_SECS`].
    Expired,
    /// The account was disabled after the link was made.
    AccountDisabled,
}

impl ResetRefusal {
    /// Whether a stored link (expiring at `expires_at`, used at `used_at`, seconds) is refused
    /// at `now`.
    pub fn of(expires_at: i64, used_at: Option<i64>, account_disabled: bool, now: i64) -> Option<ResetRefusal> {
        if used_at.is_some() {
            Some(ResetRefusal::Used)
        } else if now >= expires_at {
            Some(ResetRefusal::Expired)
        } else if account_disabled {
            Some(ResetRefusal::AccountDisabled)
        } else {
            None
        }
    }

    pub fn message_vi(self) -> &'static str {
        match self {
            ResetRefusal::Unknown => {
                "Liên kết đặt lại mật khẩu không đúng, hoặc đã được thay bằng một liên kết mới hơn. \
                 Hãy dùng liên kết mới nhất mà quản trị đơn vị gửi cho bạn."
            }
            ResetRefusal::Used => {
                "Liên kết này đã được dùng để đặt mật khẩu; mỗi liên kết chỉ dùng được một lần. \
                 Nếu vẫn không đăng nhập được, hãy đề nghị quản trị đơn vị tạo liên kết mới."
            }
            ResetRefusal::Expired => {
                "Liên kết này đã hết hạn (liên kết chỉ có hiệu lực trong 24 giờ). \
                 Hãy đề nghị quản trị đơn vị tạo liên kết mới."
            }
            ResetRefusal::AccountDisabled => {
                "Tài khoản này đang bị khóa nên không đặt lại mật khẩu được. Hãy liên hệ quản trị đơn vị."
            }
        }
    }

    pub fn message_en(self) -> &'static str {
        match self {
            ResetRefusal::Unknown => {
                "This password reset link is wrong, or a newer link replaced it. Use the latest link your unit's admin sent you."
            }
            ResetRefusal::Used => {
                "This link was already used to set a password; each link works once. If you still cannot sign in, ask your unit's admin for a new link."
            }
            ResetRefusal::Expired => {
                "This link has expired (links work for 24 hours). Ask your unit's admin for a new link."
            }
            ResetRefusal::AccountDisabled => {
                "This account is disabled, so its password cannot be reset. Contact your unit's admin."
            }
        }
    }
}

/// A sign-in name: 3–40 characters, lowercase letters, digits, `.`, `_`, `-`.
pub fn parse_username(raw: &str) -> Result<String, InvalidInput> {
    let s = raw.trim().to_ascii_lowercase();
    let ok = (3..=40).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if ok {
        Ok(s)
    } else {
        Err(InvalidInput::new(
            "username",
            "Tên đăng nhập gồm 3–40 ký tự: chữ thường không dấu, số, dấu chấm, gạch dưới hoặc gạch ngang.",
            "A username has 3–40 characters: lowercase letters, digits, '.', '_' or '-'.",
        ))
    }
}

/// A new password: at least 10 characters and not made of one repeated character.
pub fn check_new_password(raw: &str) -> Result<(), InvalidInput> {
    let n = raw.chars().count();
    let first = raw.chars().next();
    if n < 10 {
        return Err(InvalidInput::new(
            "password",
            "Mật khẩu cần ít nhất 10 ký tự.",
            "The password needs at least 10 characters.",
        ));
    }
    if n > 200 {
        return Err(InvalidInput::new(
            "password",
            "Mật khẩu quá dài (tối đa 200 ký tự).",
            "The password is too long (200 characters at most).",
        ));
    }
    if raw.chars().all(|c| Some(c) == first) {
        return Err(InvalidInput::new("password", "Mật khẩu quá dễ đoán.", "The password is too easy to guess."));
    }
    Ok(())
}

/// A display name for an officer.
pub fn parse_display_name(raw: &str) -> Result<String, InvalidInput> {
    text_field("display_name", raw, 120, true)
}

/// Login throttling (chống dò mật khẩu): after `max_failures` failed sign-ins within `window`,
/// the key (an account or a source address) is locked for `lockout`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottlePolicy {
    pub max_failures: u32,
    pub window_secs: i64,
    pub lockout_secs: i64,
}

impl ThrottlePolicy {
    pub const PER_ACCOUNT: ThrottlePolicy = ThrottlePolicy { max_failures: 5, window_secs: 900, lockout_secs: 900 };
    pub const PER_ADDRESS: ThrottlePolicy = ThrottlePolicy { max_failures: 20, window_secs: 900, lockout_secs: 900 };

    /// The state after one more failure at `now` (seconds), given the stored state.
    pub fn record_failure(&self, state: Option<ThrottleState>, now: i64) -> ThrottleState {
        let fresh = ThrottleState { failures: 1, window_start: now, locked_until: None };
        let mut s = match state {
            Some(s) if now - s.window_start < self.window_secs => s,
            _ => return fresh,
        };
        s.failures += 1;
        if s.failures >= self.max_failures {
            s.locked_until = Some(now + self.lockout_secs);
        }
        s
    }

    /// The state after an attempt that was counted as a failure in advance turned out right: the
    /// failure is given back, and a lock it caused is lifted.
    pub fn refund(&self, state: ThrottleState) -> ThrottleState {
        let failures = state.failures.saturating_sub(1);
        let locked_until = state.locked_until.filter(|_| failures >= self.max_failures);
        ThrottleState { failures, locked_until, ..state }
    }

    /// Seconds until the key may try again, if it is locked now.
    pub fn locked_for(state: Option<&ThrottleState>, now: i64) -> Option<i64> {
        state.and_then(|s| s.locked_until).filter(|until| *until > now).map(|until| until - now)
    }
}

/// Failures counted for one throttle key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleState {
    pub failures: u32,
    pub window_start: i64,
    pub locked_until: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(grants: &[(Role, &UnitPath)]) -> Scope {
        Scope {
            officer_id: OfficerId(1),
            grants: grants
                .iter()
                .map(|(r, p)| Grant { role: *r, unit_id: UnitId(0), unit_path: (*p).clone() })
                .collect(),
        }
    }

    #[test]
    fn ward_officer_cannot_touch_a_sibling_ward() {
        let province = UnitPath::root(UnitId(1));
        let ward_a = province.child(UnitId(2));
        let ward_b = province.child(UnitId(3));
        let s = scope(&[(Role::Admin, &ward_a)]);
        assert!(s.can(Action::EditUnit, &ward_a));
        assert!(!s.can(Action::ViewUnit, &ward_b));
        assert!(!s.can(Action::ViewUnit, &province));
        assert!(s.require(Action::ManageOfficers, &ward_b).is_err());
    }

    #[test]
    fn province_grant_covers_every_ward_below() {
        let province = UnitPath::root(UnitId(1));
        let deep = province.child(UnitId(2)).child(UnitId(9));
        let s = scope(&[(Role::Leader, &province)]);
        assert!(s.can(Action::EditUnit, &deep));
        assert!(!s.can(Action::ManageOfficers, &deep));
    }

    #[test]
    fn analyst_only_views() {
        let p = UnitPath::root(UnitId(1));
        let s = scope(&[(Role::Analyst, &p)]);
        assert!(s.can(Action::ViewUnit, &p));
        for a in [Action::EditUnit, Action::ManageUnits, Action::ManageOfficers, Action::ViewAudit] {
            assert!(!s.can(a, &p), "{a:?}");
        }
    }

    #[test]
    fn throttle_locks_after_five_failures_and_resets_after_the_window() {
        let p = ThrottlePolicy::PER_ACCOUNT;
        let mut s = None;
        for i in 0..4 {
            s = Some(p.record_failure(s, 100 + i));
            assert_eq!(ThrottlePolicy::locked_for(s.as_ref(), 100 + i), None);
        }
        s = Some(p.record_failure(s, 105));
        assert_eq!(ThrottlePolicy::locked_for(s.as_ref(), 106), Some(899));
        assert_eq!(ThrottlePolicy::locked_for(s.as_ref(), 105 + 900), None);
        let later = p.record_failure(s, 100 + 2000);
        assert_eq!(later.failures, 1);
    }

    #[test]
    fn usernames_and_passwords_are_checked() {
        assert_eq!(parse_username(" Admin.QN ").unwrap(), "admin.qn");
        assert!(parse_username("có dấu").is_err());
        assert!(check_new_password("short").is_err());
        assert!(check_new_password("aaaaaaaaaaaa").is_err());
        assert!(check_new_password("mật khẩu dài đủ").is_ok());
    }

    #[test]
    fn analysts_do_not_work_conversations_and_only_admins_leaders_and_duty_officers_direct() {
        let ward = UnitPath::root(UnitId(1)).child(UnitId(2));
        let scope = |role| Scope {
            officer_id: OfficerId(1),
            grants: vec![Grant { role, unit_id: UnitId(1), unit_path: UnitPath::root(UnitId(1)) }],
        };
        for role in Role::ALL {
            assert_eq!(scope(role).can(Action::WorkConversations, &ward), role != Role::Analyst, "{role:?}");
            let directs = matches!(role, Role::Admin | Role::Leader | Role::DutyOfficer);
            assert_eq!(scope(role).can(Action::DirectWork, &ward), directs, "{role:?}");
        }
        assert!(!scope(Role::Admin).can(Action::DirectWork, &UnitPath::root(UnitId(9))));
    }

    #[test]
    fn a_reset_link_works_once_until_it_expires() {
        assert_eq!(ResetRefusal::of(100, None, false, 99), None);
        assert_eq!(ResetRefusal::of(100, None, false, 100), Some(ResetRefusal::Expired));
        assert_eq!(ResetRefusal::of(100, Some(50), false, 60), Some(ResetRefusal::Used));
        assert_eq!(ResetRefusal::of(100, None, true, 60), Some(ResetRefusal::AccountDisabled));
    }

    #[test]
    fn only_an_admin_over_every_unit_of_an_account_may_manage_it() {
        let province = UnitPath::root(UnitId(1));
        let ward_a = province.child(UnitId(2));
        let ward_b = province.child(UnitId(3));
        let admin = |p: &UnitPath| Scope {
            officer_id: OfficerId(1),
            grants: vec![Grant { role: Role::Admin, unit_id: UnitId(0), unit_path: p.clone() }],
        };
        let target = OfficerId(7);
        assert!(admin(&ward_a).may_manage_account(target, std::slice::from_ref(&ward_a)));
        assert!(admin(&province).may_manage_account(target, &[ward_a.clone(), ward_b.clone()]));
        // Someone who also works at another ward, or above, is out of a ward admin's reach.
        assert!(!admin(&ward_a).may_manage_account(target, &[ward_a.clone(), ward_b.clone()]));
        assert!(!admin(&ward_a).may_manage_account(target, std::slice::from_ref(&province)));
        // Never one's own account, never an account with no unit, never a non-admin.
        assert!(!admin(&province).may_manage_account(OfficerId(1), std::slice::from_ref(&ward_a)));
        assert!(!admin(&province).may_manage_account(target, &[]));
        let leader = Scope {
            officer_id: OfficerId(1),
            grants: vec![Grant { role: Role::Leader, unit_id: UnitId(0), unit_path: province.clone() }],
        };
        assert!(!leader.may_manage_account(target, std::slice::from_ref(&ward_a)));
    }

    #[test]
    fn a_refund_gives_back_one_failure_and_the_lock_it_caused() {
        let p = ThrottlePolicy::PER_ACCOUNT;
        let mut s = None;
        for _ in 0..p.max_failures {
            s = Some(p.record_failure(s, 100));
        }
        let locked = s.expect("state");
        assert!(ThrottlePolicy::locked_for(Some(&locked), 100).is_some());
        let back = p.refund(locked);
        assert_eq!(back.failures, p.max_failures - 1);
        assert_eq!(ThrottlePolicy::locked_for(Some(&back), 100), None);
        let past = p.record_failure(Some(p.record_failure(Some(locked), 100)), 100);
        assert!(ThrottlePolicy::locked_for(Some(&p.refund(past)), 100).is_some(), "still over the limit");
    }
}
