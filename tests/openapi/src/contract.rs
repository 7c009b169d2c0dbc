//! [`OpenApiContract`]: the loaded document, and the checks the fake Graph API
//! runs against it.

use std::path::Path;
use std::sync::OnceLock;

use serde_json::Value as Json;
use serde_norway::Value as Yaml;

use crate::error::ContractError;
use crate::merged_schemas::{schema_name, SchemaRenames};
use crate::operations::{Operation, OperationIndex};
use crate::request_body::{json_body_examples, json_body_schema, RequestExample};
use crate::schema::SchemaChecker;
use crate::violation::{child_pointer, Violation};
use crate::yaml_to_json::{key_to_string, yaml_to_json};

/// Where the bundled copy of Meta's file lives.
pub const BUNDLED_FILE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/contract/whatsapp-business-messaging-api_v23.0.yaml"
);

/// The path template of the operation that receives webhooks.
const WEBHOOKS_PATH: &str = "/whatsapp/webhooks";

/// Meta's WhatsApp Cloud API OpenAPI document, indexed for checking bodies.
#[derive(Debug)]
pub struct OpenApiContract {
    document: Json,
    operations: OperationIndex,
    /// Repairs for the webhook operation's `$ref`s (see [`crate::merged_schemas`]).
    webhook_renames: SchemaRenames,
    no_renames: SchemaRenames,
}

impl OpenApiContract {
    /// Loads and indexes the bundled file, [`BUNDLED_FILE`].
    ///
    /// # Errors
    /// When the file cannot be read or parsed; see [`ContractError`].
    pub fn bundled() -> Result<Self, ContractError> {
        Self::load(Path::new(BUNDLED_FILE))
    }

    /// The bundled contract, loaded once per process and shared: parsing the
    /// 1 MB file takes long enough that every test doing it would show.
    ///
    /// # Errors
    /// As [`Self::bundled`], every time, if the one load failed.
    pub fn bundled_shared() -> Result<&'static Self, &'static ContractError> {
        static SHARED: OnceLock<Result<OpenApiContract, ContractError>> = OnceLock::new();
        SHARED.get_or_init(Self::bundled).as_ref()
    }

    /// Loads and indexes the OpenAPI file at `path`.
    ///
    /// # Errors
    /// When the file cannot be read, is not YAML, holds values JSON cannot
    /// represent, or has no `paths`.
    pub fn load(path: &Path) -> Result<Self, ContractError> {
        let text = std::fs::read_to_string(path).map_err(|source| ContractError::Read {
            path: path.to_owned(),
            source,
        })?;
        let yaml: Yaml = serde_norway::from_str(&text).map_err(|source| ContractError::Yaml {
            path: path.to_owned(),
            source,
        })?;
        let schema_names = schema_names_in_order(&yaml)?;
        Self::index(yaml_to_json(&yaml, "")?, &schema_names)
    }

    fn index(document: Json, schema_names: &[String]) -> Result<Self, ContractError> {
        let paths = document
            .get("paths")
            .and_then(Json::as_object)
            .ok_or(ContractError::Missing("`paths`"))?;
        let operations = OperationIndex::new(paths);
        let webhook_root = operations
            .find("post", WEBHOOKS_PATH)
            .first()
            .and_then(|op| json_body_schema(&document, &op.pointer))
            .and_then(|schema| schema.get("$ref")?.as_str())
            .and_then(schema_name)
            .map(str::to_owned);
        let webhook_renames = webhook_root
            .map(|root| SchemaRenames::for_last_block(schema_names, &root))
            .unwrap_or_default();
        Ok(Self {
            document,
            operations,
            webhook_renames,
            no_renames: SchemaRenames::default(),
        })
    }

    /// Checks a request body against the operation for `method` and the
    /// concrete `path` (`"POST"`, `"/v23.0/106540352242922/messages"`).
    ///
    /// A template parameter such as `{Phone-Number-ID}` matches any one
    /// segment, and the template with the most literal segments wins. Where
    /// several equally specific templates match (`/{Version}/{Media-ID}` and
    /// `/{Version}/{Phone-Number-ID}` look the same), the body passes if it
    /// fits any of them; use [`Self::check_operation`] to name one. An
    /// operation without a JSON request body accepts any body.
    ///
    /// # Errors
    /// The violations found, or a single one when no operation matches.
    pub fn check_request(
        &self,
        method: &str,
        path: &str,
        body: &Json,
    ) -> Result<(), Vec<Violation>> {
        let candidates = self.operations.find(method, path);
        if candidates.is_empty() {
            let message = format!(
                "no operation {} {path} in the contract",
                method.to_uppercase()
            );
            return Err(vec![Violation::new("", message)]);
        }
        let outcomes: Vec<_> = candidates
            .iter()
            .map(|op| (op, self.check_body(op, body)))
            .collect();
        if outcomes.iter().any(|(_, found)| found.is_empty()) {
            return Ok(());
        }
        if let [(_, found)] = outcomes.as_slice() {
            return Err(found.clone());
        }
        Err(outcomes
            .into_iter()
            .flat_map(|(op, found)| name_operation(op, found))
            .collect())
    }

    /// Checks a request body against the operation with `operation_id`
    /// (`sendMessage`).
    ///
    /// # Errors
    /// The violations found, or a single one when no operation has that id.
    pub fn check_operation(&self, operation_id: &str, body: &Json) -> Result<(), Vec<Violation>> {
        let Some(op) = self.operations.by_id(operation_id) else {
            return Err(vec![Violation::new(
                "",
                format!("no operation `{operation_id}` in the contract"),
            )]);
        };
        into_result(self.check_body(op, body))
    }

    /// Checks `body` against the component schema `name`
    /// (`#/components/schemas/MarkMessageRequestPayload`): for bodies that no
    /// operation's schema covers, such as a read receipt, which goes to the
    /// `sendMessage` path but is not a `Message`.
    ///
    /// # Errors
    /// The violations found, or a single one when there is no such schema.
    pub fn check_component(&self, name: &str, body: &Json) -> Result<(), Vec<Violation>> {
        let pointer = child_pointer("/components/schemas", name);
        let Some(schema) = self.document.pointer(&pointer) else {
            return Err(vec![Violation::new(
                "",
                format!("no schema `{name}` in the contract"),
            )]);
        };
        into_result(SchemaChecker::new(&self.document, &self.no_renames).check(schema, body))
    }

    /// Checks a webhook notification body against the request body schema of
    /// `POST /whatsapp/webhooks`.
    ///
    /// # Errors
    /// The violations found.
    pub fn check_webhook(&self, body: &Json) -> Result<(), Vec<Violation>> {
        self.check_request("POST", WEBHOOKS_PATH, body)
    }

    /// The examples Meta gives for the JSON request body of the operations
    /// [`Self::check_request`] would pick for `method` and `path`.
    pub fn request_examples(&self, method: &str, path: &str) -> Vec<RequestExample<'_>> {
        let candidates = self.operations.find(method, path);
        candidates
            .iter()
            .flat_map(|op| json_body_examples(&self.document, &op.pointer))
            .collect()
    }

    fn check_body(&self, op: &Operation, body: &Json) -> Vec<Violation> {
        let Some(schema) = json_body_schema(&self.document, &op.pointer) else {
            return Vec::new();
        };
        let renames = if op.template == WEBHOOKS_PATH {
            &self.webhook_renames
        } else {
            &self.no_renames
        };
        SchemaChecker::new(&self.document, renames).check(schema, body)
    }
}

/// Prefixes each violation with the operation it is from, for reports that
/// cover several operations.
fn name_operation(op: &Operation, found: Vec<Violation>) -> Vec<Violation> {
    let name = op.describe();
    found
        .into_iter()
        .map(|v| Violation {
            message: format!("{name}: {}", v.message),
            ..v
        })
        .collect()
}

fn into_result(found: Vec<Violation>) -> Result<(), Vec<Violation>> {
    if found.is_empty() {
        Ok(())
    } else {
        Err(found)
    }
}

/// The names under `components.schemas`, in the order the file lists them,
/// which JSON objects here do not keep.
fn schema_names_in_order(yaml: &Yaml) -> Result<Vec<String>, ContractError> {
    let schemas = yaml
        .get("components")
        .and_then(|c| c.get("schemas"))
        .and_then(Yaml::as_mapping);
    schemas
        .into_iter()
        .flatten()
        .map(|(name, _)| key_to_string(name, "/components/schemas"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_webhook_spec_refs_are_sent_to_its_renamed_schemas() -> Result<(), ContractError> {
        let contract = OpenApiContract::bundled()?;
        let renamed: Vec<(&str, &str)> = contract
            .webhook_renames
            .pairs()
            .into_iter()
            .filter_map(|(from, to)| Some((schema_name(from)?, schema_name(to)?)))
            .collect();
        assert_eq!(
            renamed,
            [
                ("AudioMessage", "AudioMessage_1"),
                ("BaseMessageProperties", "BaseMessageProperties_1"),
                ("ContactObject", "ContactObject_1"),
                ("DocumentMessage", "DocumentMessage_1"),
                ("ErrorObject", "ErrorObject_2"),
                ("ImageMessage", "ImageMessage_1"),
                ("LocationMessage", "LocationMessage_1"),
                ("ReactionMessage", "ReactionMessage_1"),
                ("StickerMessage", "StickerMessage_1"),
                ("TextMessage", "TextMessage_2"),
                ("VideoMessage", "VideoMessage_1"),
            ]
        );
        Ok(())
    }
}
