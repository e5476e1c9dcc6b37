//! The shipped systemd units pass `systemd-analyze verify` (with each store drop-in), and mcpd
//! speaks the notify protocol: READY=1, WATCHDOG=1 pings, STOPPING=1 on drain.

use std::os::unix::net::UnixDatagram;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::process::{self, Terminated};

const UNITS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/systemd");

/// A unit file with the binary path pointing at the one under test.
fn localized(name: &str) -> String {
    let text = std::fs::read_to_string(format!("{UNITS}/{name}")).expect("unit file");
    text.replace("/usr/local/bin/mcpd", env!("CARGO_BIN_EXE_mcpd"))
}

#[test]
fn the_units_verify_with_each_store() {
    for drop_in in [None, Some("redis.conf"), Some("file.conf")] {
        let dir = std::env::temp_dir().join(format!(
            "mcpd-units-{}-{}",
            std::process::id(),
            drop_in.unwrap_or("memory")
        ));
        std::fs::create_dir_all(dir.join("mcpd@.service.d")).expect("a unit directory");
        let write = |name: &str, text: String| {
            std::fs::write(dir.join(name), text).unwrap_or_else(|e| panic!("write {name}: {e}"))
        };
        write("mcpd@.service", localized("mcpd@.service"));
        write("mcpd.target", localized("mcpd.target"));
        if let Some(name) = drop_in {
            write("mcpd@.service.d/store.conf", localized(name));
        }
        let out = Command::new("systemd-analyze")
            .args(["verify", "mcpd@3001.service", "mcpd.target"])
            .env("SYSTEMD_UNIT_PATH", format!("{}:", dir.display()))
            .current_dir(&dir)
            .output()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run systemd-analyze ({e}): install it with `apt-get install systemd`"
                )
            });
        let _ = std::fs::remove_dir_all(&dir);
        let complaints = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && complaints.trim().is_empty(),
            "{drop_in:?}: {complaints}"
        );
    }
}

#[test]
fn mcpd_tells_systemd_it_is_ready_alive_and_stopping() {
    let path = std::env::temp_dir().join(format!("mcpd-notify-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let socket = UnixDatagram::bind(&path).expect("notify socket");
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("a read timeout");
    let mut mcpd = Terminated(
        Command::new(env!("CARGO_BIN_EXE_mcpd"))
            .args(["--port", "0", "--log-level", "warn"])
            .env("NOTIFY_SOCKET", &path)
            .env("WATCHDOG_USEC", "200000")
            .stdout(Stdio::null())
            .spawn()
            .expect("start mcpd"),
    );
    let mut buf = [0u8; 256];
    let mut next = || {
        let n = socket
            .recv(&mut buf)
            .unwrap_or_else(|e| panic!("no notification within 10 s: {e}"));
        String::from_utf8_lossy(&buf[..n]).into_owned()
    };
    assert_eq!(next(), "READY=1");
    assert_eq!(
        (next(), next()),
        ("WATCHDOG=1".to_owned(), "WATCHDOG=1".to_owned()),
        "pings every WatchdogSec/2"
    );
    mcpd.terminate();
    // Pings may still come (every 100 ms) before the drain says so; not for 5 s.
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut seen = next();
    while seen == "WATCHDOG=1" {
        assert!(
            Instant::now() < deadline,
            "no STOPPING=1 within 5 s of SIGTERM"
        );
        seen = next();
    }
    assert_eq!(seen, "STOPPING=1");
    let status = process::exit_within(&mut mcpd.0, Duration::from_secs(15));
    assert!(
        status.is_some_and(|s| s.success()),
        "exit after the drain: {status:?}"
    );
    let _ = std::fs::remove_file(&path);
}
