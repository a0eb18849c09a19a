//! Who may take part in a conversation's work: where an officer may transfer it (chuyển đơn
//! vị) and whom it may be assigned to (giao cán bộ).
//!
//! **Transfer.** An officer who may work the conversation (`WorkConversations` over its unit)
//! may move it to any unit inside their own grants' subtrees where that role may work, and up
//! one level: to the parent of a unit where they hold a working grant that covers the
//! conversation. A ward officer can so hand a conversation to the province (the province
//! routes it on, to another ward if need be), but cannot drop it into a neighbouring ward they
//! cannot see: the parent decides that. The target is never the conversation's own unit (that
//! is "back to the queue", not a transfer between units).
//!
//! **Assign.** The officers who may work the conversation are those holding a role other than
//! analyst on its unit or a unit above it; the console lists them with their role and unit, the
//! nearest unit first.

use crate::staff::{Action, Role, Scope};
use crate::units::UnitPath;

/// Whether the officer of `scope` may transfer a conversation of the unit at `from` to the
/// unit at `to` (see the module documentation).
pub fn may_transfer(scope: &Scope, from: &UnitPath, to: &UnitPath) -> bool {
    if from == to || !scope.can(Action::WorkConversations, from) {
        return false;
    }
    if scope.can(Action::WorkConversations, to) {
        return true;
    }
    scope.grants.iter().any(|g| {
        g.role.allows(Action::WorkConversations)
            && g.unit_path.contains(from)
            && g.unit_path.parent().as_ref() == Some(to)
    })
}

/// The parents the officer may hand conversations up to: the parent of every unit where they
/// hold a working grant (those not already inside their scope).
pub fn parents_in_reach(scope: &Scope) -> Vec<UnitPath> {
    let mut out: Vec<UnitPath> = scope
        .grants
        .iter()
        .filter(|g| g.role.allows(Action::WorkConversations))
        .filter_map(|g| g.unit_path.parent())
        .filter(|p| !scope.can(Action::WorkConversations, p))
        .collect();
    out.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    out.dedup();
    out
}

/// Whether an officer holding `role` on the unit at `grant_unit` may be assigned a
/// conversation of the unit at `conversation_unit`.
pub fn may_be_assigned(role: Role, grant_unit: &UnitPath, conversation_unit: &UnitPath) -> bool {
    role.allows(Action::WorkConversations) && grant_unit.contains(conversation_unit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::staff::{Grant, OfficerId};
    use crate::units::UnitId;

    fn path(s: &str) -> UnitPath {
        UnitPath::from_stored(s.to_string())
    }

    fn scope(grants: &[(Role, &str)]) -> Scope {
        Scope {
            officer_id: OfficerId(7),
            grants: grants
                .iter()
                .map(|(role, p)| {
                    let unit_path = path(p);
                    Grant { role: *role, unit_id: *unit_path.ids().last().unwrap_or(&UnitId(0)), unit_path }
                })
                .collect(),
        }
    }

    const PROVINCE: &str = "/1/";
    const WARD: &str = "/1/5/";
    const OTHER_WARD: &str = "/1/6/";
    const TEAM: &str = "/1/5/9/";

    #[test]
    fn a_ward_officer_hands_up_to_the_province_and_down_to_a_team_but_not_sideways() {
        for role in [Role::Officer, Role::DutyOfficer, Role::Leader, Role::Admin] {
            let s = scope(&[(role, WARD)]);
            assert!(may_transfer(&s, &path(WARD), &path(PROVINCE)), "{role:?} up to the parent");
            assert!(may_transfer(&s, &path(WARD), &path(TEAM)), "{role:?} down to a team");
            assert!(may_transfer(&s, &path(TEAM), &path(WARD)), "{role:?} from a team back to the ward");
            assert!(!may_transfer(&s, &path(WARD), &path(OTHER_WARD)), "{role:?} never sideways");
            assert!(!may_transfer(&s, &path(WARD), &path(WARD)), "{role:?} not to the same unit");
            assert!(!may_transfer(&s, &path(OTHER_WARD), &path(PROVINCE)), "{role:?} not another ward's");
        }
    }

    #[test]
    fn a_team_officer_goes_up_one_level_only() {
        let s = scope(&[(Role::Officer, TEAM)]);
        assert!(may_transfer(&s, &path(TEAM), &path(WARD)));
        assert!(!may_transfer(&s, &path(TEAM), &path(PROVINCE)), "two levels up is the ward's decision");
        assert_eq!(parents_in_reach(&s), vec![path(WARD)]);
    }

    #[test]
    fn the_province_reaches_every_ward() {
        let s = scope(&[(Role::Leader, PROVINCE)]);
        assert!(may_transfer(&s, &path(WARD), &path(OTHER_WARD)));
        assert!(may_transfer(&s, &path(TEAM), &path(PROVINCE)));
        assert!(parents_in_reach(&s).is_empty(), "a root has no parent");
    }

    #[test]
    fn an_analyst_transfers_nothing() {
        let s = scope(&[(Role::Analyst, WARD)]);
        assert!(!may_transfer(&s, &path(WARD), &path(PROVINCE)));
        assert!(!may_transfer(&s, &path(WARD), &path(TEAM)));
        assert!(parents_in_reach(&s).is_empty());
        // An analyst grant at the province does not widen an officer's reach either.
        let mixed = scope(&[(Role::Officer, WARD), (Role::Analyst, PROVINCE)]);
        assert!(!may_transfer(&mixed, &path(WARD), &path(OTHER_WARD)));
        assert!(may_transfer(&mixed, &path(WARD), &path(PROVINCE)));
    }

    #[test]
    fn assignees_work_at_the_unit_or_above() {
        assert!(may_be_assigned(Role::Officer, &path(WARD), &path(WARD)));
        assert!(may_be_assigned(Role::Leader, &path(PROVINCE), &path(WARD)));
        assert!(!may_be_assigned(Role::Analyst, &path(WARD), &path(WARD)));
        assert!(!may_be_assigned(Role::Officer, &path(OTHER_WARD), &path(WARD)));
        assert!(!may_be_assigned(Role::Officer, &path(TEAM), &path(WARD)), "a team below does not work the ward's");
    }

    #[test]
    fn parents_of_roots_and_nested_paths() {
        assert_eq!(path(TEAM).parent(), Some(path(WARD)));
        assert_eq!(path(WARD).parent(), Some(path(PROVINCE)));
        assert_eq!(path(PROVINCE).parent(), None);
    }
}
