//! Facts about this machine and process, read at call time from /proc (for `system://info`).

use std::time::Instant;

use serde_json::{json, Value};

fn read(path: &str) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_owned())
}

/// This process's resident set size in bytes.
pub fn rss_bytes() -> Option<u64> {
    let status = read("/proc/self/status")?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

fn os_name() -> String {
    read("/etc/os-release")
        .and_then(|text| {
            text.lines().find_map(|l| {
                l.strip_prefix("PRETTY_NAME=")
                    .map(|v| v.trim_matches('"').to_owned())
            })
        })
        .unwrap_or_else(|| std::env::consts::OS.to_owned())
}

/// The `system://info` document.
pub fn info(node_id: &str, started: Instant) -> Value {
    let uptime =
        read("/proc/uptime").and_then(|u| u.split_whitespace().next()?.parse::<f64>().ok());
    json!({
        "hostname": read("/proc/sys/kernel/hostname"),
        "os": os_name(),
        "kernel": read("/proc/sys/kernel/osrelease"),
        "arch": std::env::consts::ARCH,
        "cpus": std::thread::available_parallelism().map_or(1, |n| n.get()),
        "systemUptimeSeconds": uptime,
        "processUptimeSeconds": started.elapsed().as_secs_f64(),
        "pid": std::process::id(),
        "rssBytes": rss_bytes(),
        "nodeId": node_id,
        "version": env!("CARGO_PKG_VERSION"),
    })
}
