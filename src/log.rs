//! mcpd's own log: one line per event on stderr, filtered by `--log-level` (set once at start).

use std::fmt::Arguments;
use std::io::Write;
use std::sync::atomic::{AtomicU8, Ordering};

use crate::config::LogLevel;

/// The level set by `--log-level`; before `init`, info.
static LEVEL: AtomicU8 = AtomicU8::new(LogLevel::Info as u8);

/// Sets the level once, from the configuration.
pub fn init(level: LogLevel) {
    LEVEL.store(level as u8, Ordering::Relaxed);
}

fn emit(level: LogLevel, tag: &str, args: Arguments<'_>) {
    if level as u8 <= LEVEL.load(Ordering::Relaxed) {
        // A closed stderr must not take the server down: the line is dropped.
        let _ = writeln!(std::io::stderr(), "mcpd {tag}: {args}");
    }
}

/// A failure that an operator should see.
pub fn error(args: Arguments<'_>) {
    emit(LogLevel::Error, "error", args)
}

/// Something odd that mcpd handled.
pub fn warn(args: Arguments<'_>) {
    emit(LogLevel::Warn, "warn", args)
}

/// Start, stop and lifecycle.
pub fn info(args: Arguments<'_>) {
    emit(LogLevel::Info, "info", args)
}

/// Per-request detail.
pub fn debug(args: Arguments<'_>) {
    emit(LogLevel::Debug, "debug", args)
}

/// Whether debug lines are wanted (to skip building them on the hot path).
pub fn is_debug() -> bool {
    LEVEL.load(Ordering::Relaxed) >= LogLevel::Debug as u8
}
