//! Child processes a test starts itself (scripts, a binary expected to fail): waited for with a
//! deadline, never forever, and stopped when the test ends, even by a panic.

use std::io::Read;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

/// The child's exit status once it exits within `within`; `None` if it is still running.
pub fn exit_within(child: &mut Child, within: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().expect("wait for a child") {
            return Some(status);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Kills a child that failed to start as it should, and returns what it wrote to its stderr
/// (a pipe), for the failure message.
pub fn abandon(child: &mut Child) -> String {
    let _ = child.kill();
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        let _ = pipe.read_to_string(&mut stderr);
    }
    let _ = child.wait();
    stderr
}

/// Runs `command` to its end and captures its output, as `Command::output` does; panics (after
/// killing it, showing what it printed) when it is still running after `within`.
pub fn output_within(command: &mut Command, within: Duration) -> Output {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            bytes
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("stdout")));
    let stderr = drain(Box::new(child.stderr.take().expect("stderr")));
    let status = exit_within(&mut child, within);
    if status.is_none() {
        let _ = child.kill();
        let _ = child.wait();
    }
    let stdout = stdout.join().expect("stdout reader");
    let stderr = stderr.join().expect("stderr reader");
    let Some(status) = status else {
        panic!(
            "{command:?} still ran after {within:?}; it printed: {}{}",
            String::from_utf8_lossy(&stdout),
            String::from_utf8_lossy(&stderr)
        );
    };
    Output {
        status,
        stdout,
        stderr,
    }
}

/// A child stopped when dropped: SIGTERM first (a script then stops what it started), SIGKILL
/// if it is still running 20 s later.
pub struct Terminated(pub Child);

impl Terminated {
    /// Sends SIGTERM (once the child has exited, nothing).
    pub fn terminate(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = Command::new("kill")
                .args(["-s", "TERM", &self.0.id().to_string()])
                .status();
        }
    }
}

impl Drop for Terminated {
    fn drop(&mut self) {
        self.terminate();
        if exit_within(&mut self.0, Duration::from_secs(20)).is_none() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}
