//! Which event log the store serves, kept in a small table of its own.

use herald_application::ports::read_store::{LogBinding, ReadStoreError};
use rusqlite::{Connection, OptionalExtension};

const META: &str = "herald_meta";
const LOG_KEY: &str = "event_log";
const STORE_KEY: &str = "store_id";

pub(super) fn create_meta(db: &Connection) -> Result<(), ReadStoreError> {
    db.execute_batch(&format!(
        "CREATE TABLE IF NOT EXISTS {META} (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
    ))
    .map_err(ReadStoreError::new)
}

pub(super) fn bind(db: &Connection, identity: &str) -> Result<LogBinding, ReadStoreError> {
    db.execute(
        &format!("INSERT OR IGNORE INTO {META} (key, value) VALUES (?1, ?2)"),
        [LOG_KEY, identity],
    )
    .map_err(ReadStoreError::new)?;
    let bound: Option<String> = db
        .query_row(
            &format!("SELECT value FROM {META} WHERE key = ?1"),
            [LOG_KEY],
            |row| row.get(0),
        )
        .optional()
        .map_err(ReadStoreError::new)?;
    Ok(match bound {
        Some(bound) if bound != identity => LogBinding::Foreign(bound),
        _ => LogBinding::Bound,
    })
}

pub(super) fn rebind(db: &Connection, identity: &str) -> Result<(), ReadStoreError> {
    db.execute(
        &format!(
            "INSERT INTO {META} (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value"
        ),
        [LOG_KEY, identity],
    )
    .map(drop)
    .map_err(ReadStoreError::new)
}

pub(super) fn store_id(db: &Connection) -> Result<String, ReadStoreError> {
    let made = uuid::Uuid::new_v4().simple().to_string();
    db.execute(
        &format!("INSERT OR IGNORE INTO {META} (key, value) VALUES (?1, ?2)"),
        [STORE_KEY, made.as_str()],
    )
    .map_err(ReadStoreError::new)?;
    db.query_row(
        &format!("SELECT value FROM {META} WHERE key = ?1"),
        [STORE_KEY],
        |row| row.get(0),
    )
    .map_err(ReadStoreError::new)
}
