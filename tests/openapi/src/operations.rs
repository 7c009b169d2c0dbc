//! [`OperationIndex`]: finds the operation a request is for, from its method
//! and concrete path.

use serde_json::{Map, Value as Json};

use crate::violation::child_pointer;

/// The HTTP methods an OpenAPI path item may hold operations for.
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// One operation of the document: a method on a path template.
#[derive(Debug)]
pub(crate) struct Operation {
    pub(crate) method: String,
    pub(crate) template: String,
    pub(crate) operation_id: Option<String>,
    /// JSON pointer to the operation object in the document.
    pub(crate) pointer: String,
    segments: Vec<Segment>,
}

#[derive(Debug)]
enum Segment {
    Literal(String),
    /// `{Phone-Number-ID}`: stands for any one non-empty segment.
    Parameter,
}

impl Operation {
    /// How many segments are literal: more means more specific.
    fn literal_count(&self) -> usize {
        self.segments
            .iter()
            .filter(|s| matches!(s, Segment::Literal(_)))
            .count()
    }

    fn matches(&self, segments: &[&str]) -> bool {
        self.segments.len() == segments.len()
            && self
                .segments
                .iter()
                .zip(segments)
                .all(|(template, concrete)| match template {
                    Segment::Literal(literal) => literal == concrete,
                    Segment::Parameter => !concrete.is_empty(),
                })
    }

    /// `sendMessage (POST /{Version}/{Phone-Number-ID}/messages)`.
    pub(crate) fn describe(&self) -> String {
        let id = self.operation_id.as_deref().unwrap_or("unnamed operation");
        format!("{id} ({} {})", self.method.to_uppercase(), self.template)
    }
}

/// Every operation of a document's `paths`.
#[derive(Debug)]
pub(crate) struct OperationIndex {
    operations: Vec<Operation>,
}

impl OperationIndex {
    pub(crate) fn new(paths: &Map<String, Json>) -> Self {
        let operations = paths
            .iter()
            .flat_map(|(template, item)| {
                METHODS
                    .iter()
                    .filter(|method| item.get(**method).is_some())
                    .map(move |method| Operation {
                        method: (*method).to_owned(),
                        template: template.clone(),
                        operation_id: item[*method]
                            .get("operationId")
                            .and_then(Json::as_str)
                            .map(str::to_owned),
                        pointer: child_pointer(&child_pointer("/paths", template), method),
                        segments: template_segments(template),
                    })
            })
            .collect();
        Self { operations }
    }

    /// The operations for `method` whose templates match `path` with the most
    /// literal segments: one, unless the document has equally specific
    /// templates (`/{Version}/{Phone-Number-ID}` and `/{Version}/{Media-ID}`).
    pub(crate) fn find(&self, method: &str, path: &str) -> Vec<&Operation> {
        let method = method.to_ascii_lowercase();
        let segments = concrete_segments(path);
        let matching: Vec<&Operation> = self
            .operations
            .iter()
            .filter(|op| op.method == method && op.matches(&segments))
            .collect();
        let best = matching.iter().map(|op| op.literal_count()).max();
        matching
            .into_iter()
            .filter(|op| Some(op.literal_count()) == best)
            .collect()
    }

    pub(crate) fn by_id(&self, operation_id: &str) -> Option<&Operation> {
        self.operations
            .iter()
            .find(|op| op.operation_id.as_deref() == Some(operation_id))
    }
}

fn template_segments(template: &str) -> Vec<Segment> {
    split_path(template)
        .into_iter()
        .map(|segment| {
            let is_parameter =
                segment.len() > 2 && segment.starts_with('{') && segment.ends_with('}');
            if is_parameter {
                Segment::Parameter
            } else {
                Segment::Literal(segment.to_owned())
            }
        })
        .collect()
}

/// The segments of a request path, without its query string or fragment.
fn concrete_segments(path: &str) -> Vec<&str> {
    let end = path.find(['?', '#']).unwrap_or(path.len());
    split_path(&path[..end])
}

fn split_path(path: &str) -> Vec<&str> {
    let trimmed = path.strip_prefix('/').unwrap_or(path);
    let trimmed = trimmed.strip_suffix('/').unwrap_or(trimmed);
    trimmed.split('/').collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn index() -> OperationIndex {
        let paths = json!({
            "/{Version}/{Phone-Number-ID}/messages": {"post": {"operationId": "send"}},
            "/{Version}/{Phone-Number-ID}": {"get": {"operationId": "phone"}, "post": {"operationId": "update"}},
            "/{Version}/{Media-ID}": {"get": {"operationId": "media"}},
            "/{Version}/me/messages": {"post": {"operationId": "literal"}},
        });
        OperationIndex::new(paths.as_object().unwrap_or(&Map::new()))
    }

    fn found_ids(method: &str, path: &str) -> Vec<String> {
        let index = index();
        index
            .find(method, path)
            .iter()
            .filter_map(|op| op.operation_id.clone())
            .collect()
    }

    #[test]
    fn a_parameter_matches_any_one_segment() {
        assert_eq!(
            found_ids("POST", "/v23.0/106540352242922/messages"),
            ["send"]
        );
    }

    #[test]
    fn the_method_must_match() {
        assert!(found_ids("GET", "/v23.0/106540352242922/messages").is_empty());
    }

    #[test]
    fn the_template_with_more_literal_segments_wins() {
        assert_eq!(found_ids("post", "/v23.0/me/messages"), ["literal"]);
    }

    #[test]
    fn equally_specific_templates_are_all_returned() {
        let mut ids = found_ids("get", "/v23.0/123");
        ids.sort();
        assert_eq!(ids, ["media", "phone"]);
    }

    #[test]
    fn query_string_and_trailing_slash_are_ignored() {
        assert_eq!(found_ids("post", "/v23.0/1/messages/?fields=id"), ["send"]);
    }

    #[test]
    fn a_segment_count_mismatch_does_not_match() {
        assert!(found_ids("post", "/v23.0/1/messages/extra").is_empty());
    }
}
