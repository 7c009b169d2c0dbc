//! [`SchemaRenames`]: undoes a defect of Meta's file, where `$ref`s of a merged
//! spec point at another spec's schema of the same name.
//!
//! Meta's file is several specs merged into one. Where two specs defined a
//! schema of the same name, the merge kept the first under that name and
//! renamed the later ones `Name_1`, `Name_2`, ... but left the later specs'
//! `$ref`s pointing at plain `Name`: not one `#/components/schemas/Name_N` is
//! referenced anywhere in the file. The webhook spec suffers worst: its
//! `IncomingMessage` reaches `TextMessage`, `AudioMessage`, ... and
//! `BaseMessageProperties` of the *send* spec, which require `to` and
//! `recipient_type`, so no incoming message could ever pass.
//!
//! The merge appended each spec's schemas as one block, in order. A spec's own
//! copies of colliding names are the `Name_N` inside its block, so a block's
//! `$ref`s are repaired by sending `Name` to that `Name_N`. Only the last
//! block (the webhook spec's, running from its root schema to the end of
//! `components.schemas`) has an end that can be read from the file; the
//! blocks before it are left as written.

use std::collections::HashMap;

const SCHEMA_REF_PREFIX: &str = "#/components/schemas/";

/// A map from `$ref` as written to the `$ref` the spec meant.
#[derive(Debug, Default)]
pub(crate) struct SchemaRenames {
    meant: HashMap<String, String>,
}

impl SchemaRenames {
    /// Renames for the block of schemas from `block_start` to the end of
    /// `names` (all of `components.schemas`, in file order).
    pub(crate) fn for_last_block(names: &[String], block_start: &str) -> Self {
        let Some(start) = names.iter().position(|name| name == block_start) else {
            return Self::default();
        };
        let block = &names[start..];
        let meant = block
            .iter()
            .filter_map(|renamed| {
                let base = base_name(renamed)?;
                let collided = names.iter().any(|name| name == base);
                let block_has_own = block.iter().any(|name| name == base);
                (collided && !block_has_own).then(|| (schema_ref(base), schema_ref(renamed)))
            })
            .collect();
        Self { meant }
    }

    /// The `$ref` that `reference` was meant to be.
    pub(crate) fn apply<'r>(&'r self, reference: &'r str) -> &'r str {
        self.meant.get(reference).map_or(reference, String::as_str)
    }

    #[cfg(test)]
    pub(crate) fn pairs(&self) -> Vec<(&str, &str)> {
        let mut pairs: Vec<_> = self
            .meant
            .iter()
            .map(|(from, to)| (from.as_str(), to.as_str()))
            .collect();
        pairs.sort_unstable();
        pairs
    }
}

/// The name a merge renamed to `name` (`TextMessage` for `TextMessage_2`).
fn base_name(name: &str) -> Option<&str> {
    let (base, suffix) = name.rsplit_once('_')?;
    let numeric = !suffix.is_empty() && suffix.bytes().all(|b| b.is_ascii_digit());
    (numeric && !base.is_empty()).then_some(base)
}

fn schema_ref(name: &str) -> String {
    format!("{SCHEMA_REF_PREFIX}{name}")
}

/// The schema name in a `#/components/schemas/Name` reference.
pub(crate) fn schema_name(reference: &str) -> Option<&str> {
    reference.strip_prefix(SCHEMA_REF_PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn renamed_copies_in_the_last_block_replace_earlier_names() {
        let all = names(&["Text", "Base", "Text_1", "Hook", "Base_1", "Text_2"]);
        let renames = SchemaRenames::for_last_block(&all, "Hook");
        assert_eq!(
            renames.apply("#/components/schemas/Text"),
            "#/components/schemas/Text_2"
        );
        assert_eq!(
            renames.apply("#/components/schemas/Base"),
            "#/components/schemas/Base_1"
        );
        assert_eq!(
            renames.apply("#/components/schemas/Hook"),
            "#/components/schemas/Hook"
        );
    }

    #[test]
    fn a_name_the_block_defines_itself_is_not_renamed() {
        let all = names(&["Hook", "Paging", "Paging_1"]);
        let renames = SchemaRenames::for_last_block(&all, "Hook");
        assert_eq!(
            renames.apply("#/components/schemas/Paging"),
            "#/components/schemas/Paging"
        );
    }

    #[test]
    fn an_underscore_name_without_a_collision_is_not_a_rename() {
        let all = names(&["Hook", "Snake_2"]);
        assert!(SchemaRenames::for_last_block(&all, "Hook")
            .pairs()
            .is_empty());
    }

    #[test]
    fn base_name_needs_a_numeric_suffix() {
        assert_eq!(base_name("TextMessage_2"), Some("TextMessage"));
        assert_eq!(base_name("snake_case"), None);
        assert_eq!(base_name("_1"), None);
    }
}
