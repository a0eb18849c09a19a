//! Identifier newtypes for the Zalo platform.
//!
//! Zalo ids (`app_id`, `oa_id`, `user_id`, `msg_id`) routinely exceed 2^53, so they are
//! carried as strings end to end and never go through a JSON number (zalo-oa.md §0 rule 3).
//! The newtypes only keep different kinds of id from being mixed up; they do not validate.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps an id received from Zalo or from configuration.
            pub fn new(id: impl Into<String>) -> Self {
                Self(id.into())
            }

            /// The id as Zalo spells it.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Gives back the owned string.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                Self(s)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(s.to_owned())
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    };
}

string_id!(
    /// A Zalo App id (the developer application that holds the OA grant).
    AppId
);
string_id!(
    /// An Official Account id (tài khoản chính thức) — one police unit's public account.
    OaId
);
string_id!(
    /// A citizen's user id scoped to one OA (Zalo's "UID").
    UserId
);
string_id!(
    /// A Zalo message id (`msg_id` in webhooks, `message_id` in send responses).
    MessageId
);
