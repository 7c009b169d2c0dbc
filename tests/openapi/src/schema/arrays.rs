//! Keywords about an array's elements: `items`, `minItems`, `maxItems`.

use serde_json::Value as Json;

use super::{Keywords, Place, SchemaChecker};
use crate::violation::Violation;

pub(super) fn check<'d>(
    checker: &SchemaChecker<'d>,
    keywords: &'d Keywords,
    value: &Json,
    place: &Place<'d>,
    found: &mut Vec<Violation>,
) {
    let Json::Array(elements) = value else {
        return;
    };
    if let Some(message) = count_out_of_bounds(keywords, elements.len()) {
        found.push(Violation::new(&place.pointer, message));
    }
    if let Some(items) = keywords.get("items") {
        for (index, element) in elements.iter().enumerate() {
            found.extend(checker.check_at(items, element, &place.child(&index.to_string())));
        }
    }
}

fn count_out_of_bounds(keywords: &Keywords, count: usize) -> Option<String> {
    let count = count as u64;
    let min = keywords.get("minItems").and_then(Json::as_u64);
    let max = keywords.get("maxItems").and_then(Json::as_u64);
    match (min, max) {
        (Some(min), _) if count < min => Some(format!(
            "array of {count} items is shorter than minItems {min}"
        )),
        (_, Some(max)) if count > max => Some(format!(
            "array of {count} items is longer than maxItems {max}"
        )),
        _ => None,
    }
}
