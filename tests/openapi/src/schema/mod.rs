//! [`SchemaChecker`]: applies one JSON Schema (OpenAPI 3.1 dialect) from the
//! document to a JSON value and lists every [`Violation`].
//!
//! Each keyword family has its own module; this one walks `$ref`s and keeps
//! track of the [`Place`] in the body being checked.

mod arrays;
mod combinators;
mod objects;
mod scalars;

use serde_json::{Map, Value as Json};

use crate::merged_schemas::SchemaRenames;
use crate::violation::{child_pointer, Violation};

/// Checks values against schemas of one document.
pub(crate) struct SchemaChecker<'d> {
    document: &'d Json,
    renames: &'d SchemaRenames,
}

/// Where in the body a schema applies, and what schemas applied at the same
/// place have said so far.
#[derive(Clone, Default)]
struct Place<'d> {
    pointer: String,
    /// Properties declared by the branches of the `allOf`s enclosing this
    /// schema at this place: `additionalProperties` does not count them as
    /// additional (see [`combinators`]).
    all_of_properties: Vec<&'d str>,
    /// `$ref`s followed at this place without moving into the body. Meeting
    /// one again means a cycle that would never end.
    refs_in_progress: Vec<&'d str>,
}

impl Place<'_> {
    /// The place of a property or item: nothing said at the parent carries over.
    fn child(&self, token: &str) -> Self {
        Self {
            pointer: child_pointer(&self.pointer, token),
            ..Self::default()
        }
    }
}

type Keywords = Map<String, Json>;

impl<'d> SchemaChecker<'d> {
    pub(crate) fn new(document: &'d Json, renames: &'d SchemaRenames) -> Self {
        Self { document, renames }
    }

    /// Every way `value` breaks `schema`; empty when it conforms.
    pub(crate) fn check(&self, schema: &'d Json, value: &Json) -> Vec<Violation> {
        self.check_at(schema, value, &Place::default())
    }

    fn check_at(&self, schema: &'d Json, value: &Json, place: &Place<'d>) -> Vec<Violation> {
        let keywords = match schema {
            Json::Object(keywords) => keywords,
            Json::Bool(true) => return Vec::new(),
            _ => return vec![Violation::new(&place.pointer, "no value is allowed here")],
        };
        let mut found = Vec::new();
        if let Some(reference) = keywords.get("$ref").and_then(Json::as_str) {
            found.extend(self.check_ref(reference, value, place));
        }
        scalars::check(keywords, value, &place.pointer, &mut found);
        objects::check(self, keywords, value, place, &mut found);
        arrays::check(self, keywords, value, place, &mut found);
        combinators::check(self, keywords, value, place, &mut found);
        found
    }

    fn check_ref(&self, reference: &'d str, value: &Json, place: &Place<'d>) -> Vec<Violation> {
        if place.refs_in_progress.contains(&reference) {
            let message = format!("schema cycle: `$ref` {reference} leads back to itself");
            return vec![Violation::new(&place.pointer, message)];
        }
        let target = match self.resolve(reference) {
            Ok(target) => target,
            Err(violation) => return vec![violation.at(&place.pointer)],
        };
        let mut inner = place.clone();
        inner.refs_in_progress.push(reference);
        self.check_at(target, value, &inner)
    }

    /// The schema a local `$ref` names, after undoing the merge's renames.
    fn resolve(&self, reference: &'d str) -> Result<&'d Json, UnresolvedRef> {
        let meant = self.renames.apply(reference);
        meant
            .strip_prefix('#')
            .and_then(|pointer| self.document.pointer(pointer))
            .ok_or_else(|| UnresolvedRef(meant.to_owned()))
    }

    /// The `$ref` target (renames applied) if `schema` is only a reference.
    fn meant_ref(&self, schema: &'d Json) -> Option<&'d str> {
        let reference = schema.get("$ref")?.as_str()?;
        Some(self.renames.apply(reference))
    }
}

/// A `$ref` that names nothing in the document.
struct UnresolvedRef(String);

impl UnresolvedRef {
    fn at(self, pointer: &str) -> Violation {
        Violation::new(
            pointer,
            format!("schema fault: cannot resolve `$ref` {}", self.0),
        )
    }
}

/// The JSON Schema type name of a value, as violation messages use it.
fn type_name(value: &Json) -> &'static str {
    match value {
        Json::Null => "null",
        Json::Bool(_) => "boolean",
        Json::Number(_) => "number",
        Json::String(_) => "string",
        Json::Array(_) => "array",
        Json::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests;
