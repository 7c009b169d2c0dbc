//! [`Violation`]: one way a body breaks the contract, and the JSON pointers
//! that say where.

use std::fmt;

/// One way a JSON body breaks a schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// JSON pointer (RFC 6901) into the checked body; `""` is the body itself.
    pub pointer: String,
    /// The rule that was broken, e.g. `expected string, got number`.
    pub message: String,
}

impl Violation {
    pub(crate) fn new(pointer: &str, message: impl Into<String>) -> Self {
        Self {
            pointer: pointer.to_owned(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // An empty pointer reads as nothing at all, so the root gets a name.
        let pointer = if self.pointer.is_empty() {
            "(body)"
        } else {
            &self.pointer
        };
        write!(f, "{pointer}: {}", self.message)
    }
}

/// The pointer to `token` inside the value at `parent`.
pub(crate) fn child_pointer(parent: &str, token: &str) -> String {
    let escaped = token.replace('~', "~0").replace('/', "~1");
    format!("{parent}/{escaped}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn child_pointer_escapes_slash_and_tilde() {
        assert_eq!(child_pointer("/paths", "/a~b"), "/paths/~1a~0b");
    }

    #[test]
    fn display_names_the_root_and_pointer() {
        assert_eq!(Violation::new("", "x").to_string(), "(body): x");
        assert_eq!(Violation::new("/a", "x").to_string(), "/a: x");
    }
}
