//! Waiting for a condition until a deadline, instead of sleeping a fixed time and hoping.

use std::time::{Duration, Instant};

/// Polls `check` every 20 ms until it returns `Some`, for at most `within`; panics naming `what`
/// when the deadline passes first.
pub fn until<T>(what: &str, within: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + within;
    loop {
        if let Some(found) = check() {
            return found;
        }
        assert!(Instant::now() < deadline, "{what}: not within {within:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Polls `check` until it is true (see `until`).
pub fn until_true(what: &str, within: Duration, mut check: impl FnMut() -> bool) {
    until(what, within, || check().then_some(()))
}
