//! Keywords about an object's members: `required`, `properties`,
//! `additionalProperties` (absent means any extra member is allowed).

use serde_json::{Map, Value as Json};

use super::{Keywords, Place, SchemaChecker};
use crate::violation::{child_pointer, Violation};

pub(super) fn check<'d>(
    checker: &SchemaChecker<'d>,
    keywords: &'d Keywords,
    value: &Json,
    place: &Place<'d>,
    found: &mut Vec<Violation>,
) {
    let Json::Object(members) = value else {
        return;
    };
    missing_required(keywords, members, &place.pointer, found);
    let declared = keywords.get("properties").and_then(Json::as_object);
    if let Some(declared) = declared {
        for (name, schema) in declared {
            if let Some(member) = members.get(name) {
                found.extend(checker.check_at(schema, member, &place.child(name)));
            }
        }
    }
    if let Some(additional) = keywords.get("additionalProperties") {
        let is_declared = |name: &str| {
            declared.is_some_and(|d| d.contains_key(name))
                || place.all_of_properties.contains(&name)
        };
        for (name, member) in members.iter().filter(|(name, _)| !is_declared(name)) {
            found.extend(check_additional(checker, additional, name, member, place));
        }
    }
}

fn missing_required(
    keywords: &Keywords,
    members: &Map<String, Json>,
    pointer: &str,
    found: &mut Vec<Violation>,
) {
    let required = keywords.get("required").and_then(Json::as_array);
    let missing = required
        .into_iter()
        .flatten()
        .filter_map(Json::as_str)
        .filter(|name| !members.contains_key(*name));
    found.extend(
        missing.map(|name| Violation::new(pointer, format!("missing required property `{name}`"))),
    );
}

fn check_additional<'d>(
    checker: &SchemaChecker<'d>,
    additional: &'d Json,
    name: &str,
    member: &Json,
    place: &Place<'d>,
) -> Vec<Violation> {
    match additional {
        Json::Bool(false) => {
            let pointer = child_pointer(&place.pointer, name);
            vec![Violation::new(
                &pointer,
                "property not allowed (additionalProperties: false)",
            )]
        }
        Json::Object(_) => checker.check_at(additional, member, &place.child(name)),
        _ => Vec::new(),
    }
}
