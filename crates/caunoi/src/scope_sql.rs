//! The scope filter, written once: the SQL condition that keeps a query inside the subtrees the
//! officer (bound as `$1`) holds a grant on. `u` must be the alias of the `units` row that owns
//! the data. Use it through `concat!` so every query stays a static, parameterized string.

/// `u` is inside a subtree of any grant of officer `$1`.
#[macro_export]
macro_rules! in_scope {
    () => {
        "EXISTS (SELECT 1 FROM role_grants sg JOIN units sr ON sr.id = sg.unit_id \
         WHERE sg.officer_id = $1 AND u.path LIKE sr.path || '%')"
    };
}

/// `u` is inside a subtree where officer `$1` holds the `admin` role.
#[macro_export]
macro_rules! in_admin_scope {
    () => {
        "EXISTS (SELECT 1 FROM role_grants sg JOIN units sr ON sr.id = sg.unit_id \
         WHERE sg.officer_id = $1 AND sg.role = 'admin' AND u.path LIKE sr.path || '%')"
    };
}
