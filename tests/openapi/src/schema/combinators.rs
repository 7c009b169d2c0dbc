//! Keywords that combine schemas: `allOf`, `anyOf`, `oneOf` (with
//! `discriminator` to pick what to report), `not`.
//!
//! `allOf` is read the way Meta's file is written, not the way JSON Schema
//! defines it. The file builds every message as
//! `allOf: [BaseMessageProperties, {properties: {text}, additionalProperties: false}]`.
//! In JSON Schema the second branch sees `to` and `messaging_product` as
//! additional and fails, so no message could ever pass (all 50 of Meta's
//! `sendMessage` examples fail that way). Here an `additionalProperties`
//! inside an `allOf` counts the properties declared by every branch of it,
//! as if the branches were merged into one object schema, which is what
//! the generator behind the file meant.

use serde_json::Value as Json;

use super::scalars::list_values;
use super::{Keywords, Place, SchemaChecker};
use crate::merged_schemas::schema_name;
use crate::violation::{child_pointer, Violation};

/// How deep `$ref`s and nested `allOf`s are followed to collect declared
/// properties; far beyond anything the file nests, and a stop for cycles.
const DECLARED_PROPERTIES_DEPTH: u8 = 16;

pub(super) fn check<'d>(
    checker: &SchemaChecker<'d>,
    keywords: &'d Keywords,
    value: &Json,
    place: &Place<'d>,
    found: &mut Vec<Violation>,
) {
    if let Some(branches) = keywords.get("allOf").and_then(Json::as_array) {
        found.extend(all_of(checker, branches, value, place));
    }
    if let Some(branches) = keywords.get("anyOf").and_then(Json::as_array) {
        found.extend(any_of(checker, branches, value, place));
    }
    if let Some(branches) = keywords.get("oneOf").and_then(Json::as_array) {
        found.extend(one_of(checker, keywords, branches, value, place));
    }
    if let Some(schema) = keywords.get("not") {
        if checker.check_at(schema, value, place).is_empty() {
            found.push(Violation::new(
                &place.pointer,
                format!("must not match the `not` schema {schema}"),
            ));
        }
    }
}

fn all_of<'d>(
    checker: &SchemaChecker<'d>,
    branches: &'d [Json],
    value: &Json,
    place: &Place<'d>,
) -> Vec<Violation> {
    let mut merged = place.clone();
    for branch in branches {
        declared_properties(
            checker,
            branch,
            &mut merged.all_of_properties,
            DECLARED_PROPERTIES_DEPTH,
        );
    }
    branches
        .iter()
        .flat_map(|branch| checker.check_at(branch, value, &merged))
        .collect()
}

/// Collects the names `schema` declares under `properties`, through `$ref`s
/// and nested `allOf`s.
fn declared_properties<'d>(
    checker: &SchemaChecker<'d>,
    schema: &'d Json,
    into: &mut Vec<&'d str>,
    depth: u8,
) {
    let Some(depth) = depth.checked_sub(1) else {
        return;
    };
    if let Some(target) = checker
        .meant_ref(schema)
        .and_then(|r| checker.resolve(r).ok())
    {
        declared_properties(checker, target, into, depth);
    }
    if let Some(properties) = schema.get("properties").and_then(Json::as_object) {
        into.extend(properties.keys().map(String::as_str));
    }
    for branch in schema
        .get("allOf")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
    {
        declared_properties(checker, branch, into, depth);
    }
}

fn any_of<'d>(
    checker: &SchemaChecker<'d>,
    branches: &'d [Json],
    value: &Json,
    place: &Place<'d>,
) -> Vec<Violation> {
    let outcomes: Vec<_> = branches
        .iter()
        .map(|branch| checker.check_at(branch, value, place))
        .collect();
    if outcomes.iter().any(Vec::is_empty) {
        return Vec::new();
    }
    vec![none_matched(
        checker,
        "anyOf",
        branches,
        &outcomes,
        &place.pointer,
    )]
}

fn one_of<'d>(
    checker: &SchemaChecker<'d>,
    keywords: &'d Keywords,
    branches: &'d [Json],
    value: &Json,
    place: &Place<'d>,
) -> Vec<Violation> {
    let outcomes: Vec<_> = branches
        .iter()
        .map(|branch| checker.check_at(branch, value, place))
        .collect();
    let matched: Vec<usize> = (0..branches.len())
        .filter(|&i| outcomes[i].is_empty())
        .collect();
    match matched.len() {
        1 => Vec::new(),
        0 => discriminated(
            checker,
            keywords,
            branches,
            &outcomes,
            value,
            &place.pointer,
        )
        .unwrap_or_else(|| {
            vec![none_matched(
                checker,
                "oneOf",
                branches,
                &outcomes,
                &place.pointer,
            )]
        }),
        _ => {
            let labels: Vec<String> = matched
                .iter()
                .map(|&i| branch_label(checker, branches, i))
                .collect();
            let message = format!(
                "matches {} `oneOf` branches ({}); exactly one is allowed",
                matched.len(),
                labels.join(", ")
            );
            vec![Violation::new(&place.pointer, message)]
        }
    }
}

/// When a `discriminator` tells which branch the body meant, that branch's
/// own violations say far more than a summary of every branch.
fn discriminated<'d>(
    checker: &SchemaChecker<'d>,
    keywords: &'d Keywords,
    branches: &'d [Json],
    outcomes: &[Vec<Violation>],
    value: &Json,
    pointer: &str,
) -> Option<Vec<Violation>> {
    let discriminator = keywords.get("discriminator")?;
    let property = discriminator.get("propertyName")?.as_str()?;
    let tag = value.get(property)?.as_str()?;
    let mapping = discriminator.get("mapping").and_then(Json::as_object);
    let mapped = mapping.and_then(|m| m.get(tag)).and_then(Json::as_str);
    let meant = |index: &usize| {
        let name = checker.meant_ref(&branches[*index]);
        match mapped {
            Some(target) => name == Some(checker.renames.apply(target)),
            // Without a mapping entry, OpenAPI matches the tag to a schema name.
            None => name.and_then(schema_name) == Some(tag),
        }
    };
    if let Some(index) = (0..branches.len()).find(meant) {
        return Some(outcomes[index].clone());
    }
    // Sorted, so the message reads the same whatever order the map keeps.
    let mut names: Vec<&String> = mapping?.keys().collect();
    names.sort();
    let tags: Vec<Json> = names.into_iter().cloned().map(Json::String).collect();
    let message = format!("expected one of {}, got {:?}", list_values(&tags), tag);
    Some(vec![Violation::new(
        &child_pointer(pointer, property),
        message,
    )])
}

/// One violation naming each branch with the first way it failed, or, when
/// every branch failed the same first way, that one reason.
fn none_matched<'d>(
    checker: &SchemaChecker<'d>,
    keyword: &str,
    branches: &'d [Json],
    outcomes: &[Vec<Violation>],
    pointer: &str,
) -> Violation {
    let first_reasons: Vec<String> = outcomes
        .iter()
        .map(|found| found.first().map_or_else(String::new, ToString::to_string))
        .collect();
    let count = branches.len();
    if let [reason, rest @ ..] = first_reasons.as_slice() {
        if rest.iter().all(|other| other == reason) {
            return Violation::new(
                pointer,
                format!("every one of the {count} `{keyword}` branches fails with {reason}"),
            );
        }
    }
    let reasons: Vec<String> = first_reasons
        .iter()
        .enumerate()
        .map(|(i, reason)| format!("{} ({reason})", branch_label(checker, branches, i)))
        .collect();
    Violation::new(
        pointer,
        format!(
            "matches none of the {count} `{keyword}` branches: {}",
            reasons.join("; ")
        ),
    )
}

/// A branch's schema name if it is a `$ref`, else its position (`#1` first).
fn branch_label<'d>(checker: &SchemaChecker<'d>, branches: &'d [Json], index: usize) -> String {
    let name = checker
        .meant_ref(&branches[index])
        .map(|r| schema_name(r).unwrap_or(r));
    name.map_or_else(|| format!("#{}", index + 1), str::to_owned)
}
