//! Checks JSON bodies against the schemas of Meta's WhatsApp Cloud API
//! OpenAPI file, so Herald's tests can tell that every request Herald's Cloud
//! API client sends, and every webhook the fake Graph API emits, is one Meta
//! describes.
//!
//! ```no_run
//! use herald_openapi_check::OpenApiContract;
//!
//! let contract = OpenApiContract::bundled_shared().map_err(|e| e.to_string())?;
//! let body = serde_json::json!({"messaging_product": "whatsapp", "to": "16505551234",
//!     "recipient_type": "individual", "type": "text", "text": {"body": "hi"}});
//! if let Err(violations) = contract.check_request("POST", "/v23.0/106540352242922/messages", &body) {
//!     for v in &violations { eprintln!("{v}"); }   // "/text/body: expected string, got number"
//! }
//! # Ok::<(), String>(())
//! ```
//!
//! The file is bundled in `contract/` (see its README): Meta's own, unmodified.
//!
//! # What is checked
//! A subset of JSON Schema (the OpenAPI 3.1 dialect), chosen from what the
//! file uses under the request bodies of `sendMessage`, the phone number,
//! template and media operations, and `POST /whatsapp/webhooks`:
//! - `$ref` to `#/...` in the same file, followed lazily, with a cycle that
//!   never reaches the body reported rather than followed forever;
//! - `type` (one name or a list; `integer` means a whole number) and
//!   OpenAPI 3.0's `nullable`; `enum`, `const`;
//! - `properties`, `required`, `additionalProperties` (`false` or a schema;
//!   absent allows any extra member);
//! - `items`, `minItems`, `maxItems`;
//! - `minLength`, `maxLength` (in characters), `minimum`, `maximum`;
//! - `allOf`, `anyOf`, `oneOf` (exactly one branch), `not`; a
//!   `discriminator` only picks which `oneOf` branch's violations to report.
//!
//! Ignored: `format` and `pattern` (the file's one `pattern`,
//! `^[2-6, 11-14]$` on a template button `index`, is a malformed character
//! class that would refuse Meta's own examples), and every keyword not listed.
//!
//! # Where this departs from JSON Schema, and why
//! Two defects of the file would make the checker refuse every message
//! Meta shows (0 of 50 `sendMessage` examples and 0 of 16 webhook examples
//! pass under plain JSON Schema). The checker repairs them in code and leaves
//! the file as Meta published it:
//! - `additionalProperties` inside an `allOf` counts the properties of every
//!   branch, as if they were merged (module `schema::combinators`).
//! - The webhook operation's `$ref`s are sent to the schemas its spec meant,
//!   which the merge that built the file renamed (module `merged_schemas`).
//!
//! With both, 31 of 50 `sendMessage` examples and 13 of 16 webhook examples
//! pass. Every refusal left is a place where Meta's schema disagrees with
//! Meta's example (a required `recipient_type` or `language.policy` the
//! example omits, a latitude typed string, an enum that lacks a value the
//! example uses); `tests/meta_examples.rs` lists each with its reason. The
//! checker keeps the schema's word there: a body it refuses may still be one
//! the live API accepts, but a body it accepts fits Meta's description.
//!
//! `oneOf` stays "exactly one branch", which is what refuses media with both
//! `id` and `link`. No `sendMessage` or webhook example matches two branches.
//! Across the whole file (224 examples) one does: `update_existing_qr_code`
//! of `POST .../message_qrdls`, whose create and update schemas overlap; that
//! is not an operation Herald calls, so it does not justify a looser rule.
//!
//! # Layout
//! - `contract`: [`OpenApiContract`], loading and the public checks.
//! - `operations`: finding the operation for a method and concrete path.
//! - `request_body`: an operation's JSON body schema and [`RequestExample`]s.
//! - `schema`: the schema checker, one module per keyword family.
//! - `merged_schemas`: the `$ref` repair for the webhook operation.
//! - `yaml_to_json`: YAML to `serde_json::Value`, keys made strings.
//! - `violation`: [`Violation`] and JSON pointers.
//! - `error`: [`ContractError`], for files that cannot be loaded.
//!
//! # Dependencies
//! serde_json, serde_norway (YAML) and thiserror; no herald-* crate, so the
//! fake Graph API can use it without depending on Herald.

mod contract;
mod error;
mod merged_schemas;
mod operations;
mod request_body;
mod schema;
mod violation;
mod yaml_to_json;

pub use contract::{OpenApiContract, BUNDLED_FILE};
pub use error::ContractError;
pub use request_body::RequestExample;
pub use violation::Violation;
