//! [`ContractError`]: why an OpenAPI file could not be loaded.

use std::path::PathBuf;

/// The OpenAPI file could not be read, parsed or indexed.
///
/// These are faults of the file or of the machine, never of a body being
/// checked: a body that breaks the contract gives [`crate::Violation`]s.
#[derive(Debug, thiserror::Error)]
pub enum ContractError {
    /// The file could not be read.
    #[error("cannot read OpenAPI file {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid YAML.
    #[error("OpenAPI file {path} is not valid YAML: {source}")]
    Yaml {
        path: PathBuf,
        #[source]
        source: serde_norway::Error,
    },
    /// The YAML holds something JSON cannot (a non-scalar mapping key, or a
    /// number such as `.nan`); `at` is a JSON pointer to it.
    #[error("OpenAPI file holds a value JSON cannot represent at {at}: {what}")]
    NotJson { at: String, what: String },
    /// The document lacks a part the checker needs, such as `paths`.
    #[error("OpenAPI file is missing {0}")]
    Missing(&'static str),
}
