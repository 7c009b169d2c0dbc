//! Finds an operation's JSON request body in the document: its schema and
//! the examples Meta gives for it.

use serde_json::Value as Json;

/// One named example of a request body.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RequestExample<'c> {
    /// The example's key in the document, e.g. `Send Text Message`.
    pub name: &'c str,
    pub value: &'c Json,
}

/// The `application/json` media type object of the operation at
/// `operation_pointer`, if its request body has one.
fn json_media_type<'d>(document: &'d Json, operation_pointer: &str) -> Option<&'d Json> {
    let body = document.pointer(operation_pointer)?.get("requestBody")?;
    let body = follow_ref(document, body);
    let content = body.get("content")?.as_object()?;
    content
        .iter()
        .find(|(media_type, _)| is_json(media_type))
        .map(|(_, media)| media)
}

/// The schema of the operation's JSON request body.
pub(crate) fn json_body_schema<'d>(
    document: &'d Json,
    operation_pointer: &str,
) -> Option<&'d Json> {
    json_media_type(document, operation_pointer)?.get("schema")
}

/// The operation's JSON request body examples: those under `examples`, then
/// the single `example`, if any.
pub(crate) fn json_body_examples<'d>(
    document: &'d Json,
    operation_pointer: &str,
) -> Vec<RequestExample<'d>> {
    let Some(media) = json_media_type(document, operation_pointer) else {
        return Vec::new();
    };
    let named = media
        .get("examples")
        .and_then(Json::as_object)
        .into_iter()
        .flatten();
    let mut examples: Vec<RequestExample<'d>> = named
        .filter_map(|(name, example)| {
            let value = follow_ref(document, example).get("value")?;
            Some(RequestExample { name, value })
        })
        .collect();
    if let Some(value) = media.get("example") {
        examples.push(RequestExample {
            name: "example",
            value,
        });
    }
    examples
}

/// `application/json`, `application/json; charset=utf-8`, `application/problem+json`.
fn is_json(media_type: &str) -> bool {
    let essence = media_type.split(';').next().unwrap_or_default().trim();
    essence == "application/json" || essence.ends_with("+json")
}

/// The object a local `$ref` object points at, or `value` itself.
fn follow_ref<'d>(document: &'d Json, value: &'d Json) -> &'d Json {
    value
        .get("$ref")
        .and_then(Json::as_str)
        .and_then(|reference| reference.strip_prefix('#'))
        .and_then(|pointer| document.pointer(pointer))
        .unwrap_or(value)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_json_schema_is_found_through_a_request_body_ref() {
        let document = json!({
            "paths": {"/a": {"post": {"requestBody": {"$ref": "#/components/requestBodies/B"}}}},
            "components": {"requestBodies": {"B": {"content": {"application/json; charset=utf-8": {"schema": {"type": "object"}}}}}}
        });
        assert_eq!(
            json_body_schema(&document, "/paths/~1a/post"),
            Some(&json!({"type": "object"}))
        );
    }

    #[test]
    fn a_multipart_only_body_has_no_json_schema() {
        let document = json!({"paths": {"/a": {"post": {"requestBody": {"content": {"multipart/form-data": {"schema": {}}}}}}}});
        assert_eq!(json_body_schema(&document, "/paths/~1a/post"), None);
    }

    #[test]
    fn examples_come_with_their_names() {
        let document = json!({"paths": {"/a": {"post": {"requestBody": {"content": {"application/json": {
            "examples": {"One": {"value": 1}}, "example": 2
        }}}}}}});
        let examples = json_body_examples(&document, "/paths/~1a/post");
        let names: Vec<&str> = examples.iter().map(|e| e.name).collect();
        assert_eq!(names, ["One", "example"]);
    }
}
