//! The read stores tests run on: the embedded SQLite store always, and a
//! MongoDB-wire server when `HERALD_TEST_MONGODB_URI` names one
//! (`scripts/test` starts SecantusDB for it). Under `CI=true`, a run
//! without that server fails rather than skip the MongoDB cases.

/// The MongoDB server the tests use, if any.
///
/// # Panics
/// Under `CI=true` when `HERALD_TEST_MONGODB_URI` is not set: CI must not
/// pass without the MongoDB cases.
pub fn mongodb_uri() -> Option<String> {
    match std::env::var("HERALD_TEST_MONGODB_URI") {
        Ok(uri) if !uri.trim().is_empty() => Some(uri),
        _ if std::env::var("CI").is_ok_and(|ci| ci == "true") => {
            panic!("CI=true, and HERALD_TEST_MONGODB_URI is not set: run ./scripts/test, which starts a MongoDB-wire server")
        }
        _ => {
            eprintln!("MongoDB cases skipped: HERALD_TEST_MONGODB_URI is not set (./scripts/test sets it)");
            None
        }
    }
}
