//! The checker against small made-up documents, one behaviour each.

use serde_json::{json, Value as Json};

use super::SchemaChecker;
use crate::merged_schemas::SchemaRenames;

/// The violations, as `pointer: message` lines, of `value` against
/// `#/components/schemas/Root` of a document with `schemas`.
fn check(schemas: Json, value: Json) -> Vec<String> {
    let document = json!({"components": {"schemas": schemas}});
    let renames = SchemaRenames::default();
    let checker = SchemaChecker::new(&document, &renames);
    let root = json!({"$ref": "#/components/schemas/Root"});
    checker
        .check(&root, &value)
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn additional_properties_in_all_of_counts_every_branch() {
    let schemas = json!({
        "Base": {"properties": {"to": {"type": "string"}}},
        "Root": {"allOf": [{"$ref": "#/components/schemas/Base"}, {"properties": {"text": {}}, "additionalProperties": false}]}
    });
    assert!(check(schemas.clone(), json!({"to": "1", "text": "hi"})).is_empty());
    assert_eq!(
        check(schemas, json!({"to": "1", "extra": 1})),
        ["/extra: property not allowed (additionalProperties: false)"]
    );
}

#[test]
fn all_of_properties_do_not_leak_into_children() {
    let schemas = json!({
        "Root": {"allOf": [
            {"properties": {"a": {"properties": {}, "additionalProperties": false}}},
            {"properties": {"b": {}}}
        ]}
    });
    assert_eq!(
        check(schemas, json!({"a": {"b": 1}})),
        ["/a/b: property not allowed (additionalProperties: false)"]
    );
}

#[test]
fn additional_properties_schema_checks_undeclared_members() {
    let schemas =
        json!({"Root": {"properties": {"a": {}}, "additionalProperties": {"type": "integer"}}});
    assert_eq!(
        check(schemas, json!({"a": "x", "b": "y"})),
        ["/b: expected integer, got string"]
    );
}

#[test]
fn a_ref_cycle_that_never_reaches_the_body_is_reported() {
    let schemas = json!({"Root": {"allOf": [{"$ref": "#/components/schemas/Root"}]}});
    let found = check(schemas, json!({}));
    assert_eq!(found.len(), 1);
    assert!(found[0].contains("schema cycle"), "{found:?}");
}

#[test]
fn a_recursive_schema_follows_the_body_down() {
    let schemas = json!({"Root": {"properties": {"next": {"$ref": "#/components/schemas/Root"}, "n": {"type": "integer"}}}});
    assert_eq!(
        check(schemas, json!({"next": {"next": {"n": "x"}}})),
        ["/next/next/n: expected integer, got string"]
    );
}

#[test]
fn an_unresolvable_ref_is_a_schema_fault() {
    let found = check(
        json!({"Root": {"$ref": "#/components/schemas/Gone"}}),
        json!(1),
    );
    assert_eq!(
        found,
        ["(body): schema fault: cannot resolve `$ref` #/components/schemas/Gone"]
    );
}

#[test]
fn one_of_refuses_a_value_matching_two_branches() {
    let schemas = json!({"Root": {"oneOf": [{"required": ["id"]}, {"required": ["link"]}]}});
    assert!(check(schemas.clone(), json!({"id": "1"})).is_empty());
    let found = check(schemas, json!({"id": "1", "link": "x"}));
    assert_eq!(
        found,
        ["(body): matches 2 `oneOf` branches (#1, #2); exactly one is allowed"]
    );
}

#[test]
fn one_of_without_a_match_names_each_branch_and_its_first_fault() {
    let schemas = json!({"Root": {"oneOf": [{"type": "string"}, {"$ref": "#/components/schemas/N"}]}, "N": {"type": "integer"}});
    let found = check(schemas, json!(true));
    assert_eq!(
        found,
        ["(body): matches none of the 2 `oneOf` branches: #1 ((body): expected string, got boolean); N ((body): expected integer, got boolean)"]
    );
}

#[test]
fn a_discriminator_reports_the_branch_the_body_meant() {
    let schemas = json!({
        "Root": {
            "oneOf": [{"$ref": "#/components/schemas/Text"}, {"$ref": "#/components/schemas/Image"}],
            "discriminator": {"propertyName": "type", "mapping": {"text": "#/components/schemas/Text", "image": "#/components/schemas/Image"}}
        },
        "Text": {"properties": {"type": {"enum": ["text"]}, "body": {"type": "string"}}},
        "Image": {"properties": {"type": {"enum": ["image"]}}, "required": ["link"]}
    });
    assert_eq!(
        check(schemas.clone(), json!({"type": "text", "body": 5})),
        ["/body: expected string, got number"]
    );
    assert_eq!(
        check(schemas, json!({"type": "video"})),
        [r#"/type: expected one of ["image", "text"], got "video""#]
    );
}

#[test]
fn any_of_passes_when_one_branch_does() {
    let schemas = json!({"Root": {"anyOf": [{"type": "string"}, {"type": "integer"}]}});
    assert!(check(schemas.clone(), json!(3)).is_empty());
    assert_eq!(check(schemas, json!(null)).len(), 1);
}

#[test]
fn not_refuses_what_its_schema_accepts() {
    let schemas = json!({"Root": {"not": {"required": ["contacts"]}}});
    assert!(check(schemas.clone(), json!({})).is_empty());
    assert_eq!(check(schemas, json!({"contacts": []})).len(), 1);
}

#[test]
fn items_and_counts_apply_to_arrays() {
    let schemas = json!({"Root": {"type": "array", "items": {"type": "string"}, "maxItems": 2}});
    let found = check(schemas, json!(["a", 1, "c"]));
    assert_eq!(
        found,
        [
            "(body): array of 3 items is longer than maxItems 2",
            "/1: expected string, got number"
        ]
    );
}

#[test]
fn missing_required_properties_are_each_named() {
    let schemas = json!({"Root": {"required": ["a", "b"]}});
    assert_eq!(
        check(schemas, json!({})),
        [
            "(body): missing required property `a`",
            "(body): missing required property `b`"
        ]
    );
}
