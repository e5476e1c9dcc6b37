//! The shipped systemd units pass `systemd-analyze verify` (with each store drop-in), and mcpd
//! speaks the notify protocol: READY=1, WATCHDOG=1 pings, STOPPING=1 on drain.

use std::os::unix::net::UnixDatagram;
use std::process::{Command, Stdio};
use std::time::Duration;

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
        std::fs::create_dir_all(dir.join("mcpd@.service.d")).unwrap();
        std::fs::write(dir.join("mcpd@.service"), localized("mcpd@.service")).unwrap();
        std::fs::write(dir.join("mcpd.target"), localized("mcpd.target")).unwrap();
        if let Some(name) = drop_in {
            std::fs::write(dir.join("mcpd@.service.d/store.conf"), localized(name)).unwrap();
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
        .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_mcpd"))
        .args(["--port", "0", "--log-level", "warn"])
        .env("NOTIFY_SOCKET", &path)
        .env("WATCHDOG_USEC", "200000")
        .stdout(Stdio::null())
        .spawn()
        .expect("start mcpd");
    let mut buf = [0u8; 256];
    let mut next = || {
        let n = socket.recv(&mut buf).expect("a notification");
        String::from_utf8_lossy(&buf[..n]).into_owned()
    };
    assert_eq!(next(), "READY=1");
    assert_eq!(
        (next(), next()),
        ("WATCHDOG=1".to_owned(), "WATCHDOG=1".to_owned()),
        "pings every WatchdogSec/2"
    );
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let mut seen = next();
    while seen == "WATCHDOG=1" {
        seen = next();
    }
    assert_eq!(seen, "STOPPING=1");
    assert!(child.wait().unwrap().success());
    let _ = std::fs::remove_file(&path);
}
