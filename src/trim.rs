//! Gives memory freed by ended sessions back to the operating system.
//!
//! glibc's allocator keeps freed heap memory for reuse, so after a burst of sessions expires the
//! RSS stays at its peak. `malloc_trim(0)` returns the whole free pages; mcpd calls it after a
//! sweep that ended sessions (a few milliseconds at most, off the request path).

/// Returns free heap pages to the OS (glibc only; elsewhere nothing to do).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn release_free_memory() {
    // SAFETY: malloc_trim takes no pointers from us; it walks glibc's own arenas under their
    // locks and is safe to call at any time from any thread.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Returns free heap pages to the OS (glibc only; elsewhere nothing to do).
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn release_free_memory() {}
