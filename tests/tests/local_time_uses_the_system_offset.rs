//! `TimeOffset::LOCAL` shows the wall-clock time of the system's zone with
//! its offset, read when the logger is built: in a child process whose `TZ`
//! puts it at +05:30 and at -03:00, the same instant reads as the local
//! time there, and the default stays UTC. A logger built after the
//! process's `TZ` changed uses the new zone.

use std::process::Command;
use std::time::Duration;
use uringlog::{Clock, Format, Logger, MemorySink, TimeOffset, Timestamp};

const CHILD: &str = "URINGLOG_LOCAL_TIME_CHILD";
const RELOAD_CHILD: &str = "URINGLOG_LOCAL_TIME_RELOAD_CHILD";
/// 2026-11-28T04:56:49.123456789Z
const T: u64 = 1_795_841_809_123_456_789;

/// In the child: the lines for instant `T` in local time and in UTC.
fn child(want_local: &str) {
    let (local, utc) = lines_at_t();
    assert_eq!(local, format!("{want_local} INFO  m\n"));
    assert_eq!(utc, "2026-11-28T04:56:49.123Z INFO  m\n");
}

/// A new logger's lines for instant `T`, in local time and in UTC.
fn lines_at_t() -> (String, String) {
    let (clock, _) = Clock::manual(T);
    let (local, local_out) = MemorySink::new();
    let (utc, utc_out) = MemorySink::new();
    let f = Format::text().timestamp(Timestamp::Millis).without_target();
    let (logger, guard) = Logger::builder()
        .clock(clock)
        .sink_with(
            local,
            uringlog::SinkOptions::new().format(f.time_offset(TimeOffset::LOCAL)),
        )
        .sink_with(utc, uringlog::SinkOptions::new().format(f))
        .build()
        .unwrap();
    uringlog::info!(logger, "m");
    guard.shutdown(Duration::from_secs(10)).unwrap();
    (local_out.text(), utc_out.text())
}

/// Runs test `name` again as a child with `env` set; asserts it passed.
fn run_child(name: &str, env: &[(&str, &str)]) {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([name, "--exact", "--test-threads=1"])
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{env:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn local_time_uses_the_system_offset() {
    if let Ok(want) = std::env::var(CHILD) {
        return child(&want);
    }
    // POSIX TZ: the offset is the one to add to local time to get UTC.
    for (tz, want) in [
        ("IST-05:30", "2026-11-28T10:26:49.123+05:30"),
        ("BRT+03", "2026-11-28T01:56:49.123-03:00"),
        ("UTC0", "2026-11-28T04:56:49.123+00:00"),
    ] {
        run_child(
            "local_time_uses_the_system_offset",
            &[(CHILD, want), ("TZ", tz)],
        );
    }
}

#[test]
fn a_logger_built_after_tz_changed_uses_the_new_zone() {
    if std::env::var_os(RELOAD_CHILD).is_some() {
        let (local, _) = lines_at_t();
        assert_eq!(local, "2026-11-28T10:26:49.123+05:30 INFO  m\n");
        // The child runs this one test on one thread, and the first
        // logger's writer has stopped: nothing else reads the environment.
        std::env::set_var("TZ", "BRT+03");
        let (local, _) = lines_at_t();
        assert_eq!(local, "2026-11-28T01:56:49.123-03:00 INFO  m\n");
        return;
    }
    run_child(
        "a_logger_built_after_tz_changed_uses_the_new_zone",
        &[(RELOAD_CHILD, "1"), ("TZ", "IST-05:30")],
    );
}
