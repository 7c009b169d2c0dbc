//! The read stores behind the application's `ReadStore` port.
//!
//! - [`sqlite`]: embedded SQLite, the default: one file under the data
//!   folder, no server to run.
//! - [`mongo`]: MongoDB through the official driver, for production, with
//!   the seeds' collections and indexes.
//!
//! Both pass one contract test suite (`tests/tests/read_store_contract.rs`).

pub mod mongo;
pub mod sqlite;

pub use mongo::MongoReadStore;
pub use sqlite::SqliteReadStore;
