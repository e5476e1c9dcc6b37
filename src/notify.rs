//! systemd's notification protocol, for `Type=notify` units: `READY=1` once mcpd listens,
//! `STOPPING=1` when the drain starts, and `WATCHDOG=1` every half `WatchdogSec=`.
//!
//! systemd hands the socket and the watchdog interval to the service in `NOTIFY_SOCKET`,
//! `WATCHDOG_USEC` and `WATCHDOG_PID`. Those are the service manager's protocol for this one
//! process, not configuration, so they are the one place mcpd reads its environment; without them
//! (not started by systemd) nothing is sent.

use std::os::unix::net::UnixDatagram;
use std::time::Duration;

/// Where notifications go, if anywhere.
#[derive(Debug)]
pub struct Notifier {
    target: Option<(UnixDatagram, String)>,
    watchdog: Option<Duration>,
}

impl Notifier {
    /// Reads what systemd set for this process.
    pub fn from_service_manager() -> Notifier {
        let target = std::env::var("NOTIFY_SOCKET")
            .ok()
            .filter(|path| !path.is_empty())
            .and_then(|path| UnixDatagram::unbound().ok().map(|socket| (socket, path)));
        let for_us =
            std::env::var("WATCHDOG_PID").map_or(true, |pid| pid == std::process::id().to_string());
        let watchdog = std::env::var("WATCHDOG_USEC")
            .ok()
            .and_then(|usec| usec.parse::<u64>().ok())
            .filter(|usec| *usec > 0 && for_us)
            .map(|usec| Duration::from_micros(usec / 2));
        Notifier { target, watchdog }
    }

    /// How often to send `WATCHDOG=1`, if systemd asked for it.
    pub fn watchdog_interval(&self) -> Option<Duration> {
        self.watchdog
    }

    /// Sends one notification (`READY=1`, `STOPPING=1`, `WATCHDOG=1`); failures are only logged.
    pub fn notify(&self, state: &str) {
        let Some((socket, path)) = &self.target else {
            return;
        };
        let sent = match path.strip_prefix('@') {
            Some(name) => {
                abstract_address(name).and_then(|addr| socket.send_to_addr(state.as_bytes(), &addr))
            }
            None => socket.send_to(state.as_bytes(), path),
        };
        if let Err(e) = sent {
            crate::log::warn(format_args!("systemd notification {state} not sent: {e}"));
        }
    }
}

fn abstract_address(name: &str) -> std::io::Result<std::os::unix::net::SocketAddr> {
    use std::os::linux::net::SocketAddrExt;
    std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())
}
