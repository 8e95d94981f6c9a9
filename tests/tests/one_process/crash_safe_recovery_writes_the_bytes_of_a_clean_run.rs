//! Recovery pushes each record through the sink set one at a time (the
//! writer's general path); a crash-safe logger that is not interrupted
//! drains its rings through the loop compiled for one sink in a default
//! format. The records of a run recovered after a crash must be the bytes
//! a clean run writes for them: text and JSON, pre-formatted, deferred
//! and structured records, levels, targets and times that hit and miss
//! the line-head cache, and strings to escape.

use std::time::Duration;
use uringlog::{Clock, Format, Level, Logger, ManualClock, SinkOptions};
use uringlog_sinks::FileSink;
use uringlog_tests::{wait_until_stuck, GateSink, SHUTDOWN};

/// 2026-11-28T04:56:49Z.
const START: u64 = 1_795_841_809_000_000_000;

/// Logs the records both runs write; returns how many.
fn log_all(l: &Logger, hand: &ManualClock) -> u64 {
    let steps = [0, 137_000, 999_999, 1, 1_000_000_000, 3];
    let words = [
        "",
        "alice",
        "tab\there \"q\"",
        "back\\slash é\u{2028}",
        "0123456789abcdef\u{7f}x",
    ];
    let mut n = 0;
    for i in 0..120usize {
        hand.advance_nanos(steps[i % steps.len()]);
        let (w, level) = (words[i % words.len()], Level::ALL[i % 5]);
        match i % 4 {
            0 => l.log(level, ["a", "app::db"][i % 2], format_args!("pre {i} {w}")),
            1 => uringlog::log!(l, level, "deferred {} {} {}", i, w, 'c'),
            2 => uringlog::info!(l, target: "f", k = w, n = i as u64; "fields {}", w),
            _ => uringlog::error!(l, "{}", w),
        }
        n += 1;
    }
    n
}

/// The file a crash-safe logger on `dir` writes in `format` for the
/// records of `log_all`, with the clock starting at `START`.
fn clean(format: Format) -> Vec<u8> {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("clean.log");
    let (clock, hand) = Clock::manual(START);
    let (logger, guard) = Logger::builder()
        .sink_with(
            FileSink::new(&path).unwrap(),
            SinkOptions::new().format(format),
        )
        .level(Level::Trace)
        .clock(clock)
        .ring_capacity(1 << 20)
        .crash_safe(tmp.path().join("cs"))
        .build()
        .unwrap();
    uringlog::info!(logger, "stuck");
    let n = log_all(&logger, &hand) + 1;
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((s.enqueued, s.written, s.dropped), (n, n, 0));
    std::fs::read(path).unwrap()
}

/// The records of `log_all` logged behind a stuck sink, left in the
/// directory as a crash would leave them, then recovered into a file in
/// `format`: its lines after the recovery's own.
fn recovered(format: Format) -> Vec<u8> {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cs");
    let (sink, gate) = GateSink::new();
    let (clock, hand) = Clock::manual(START);
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .level(Level::Trace)
        .clock(clock)
        .ring_capacity(1 << 20)
        .crash_safe(&dir)
        .build()
        .unwrap();
    uringlog::info!(logger, "stuck");
    wait_until_stuck(&gate.entered);
    let n = log_all(&logger, &hand) + 1;
    guard.shutdown(Duration::from_millis(300)).unwrap_err();
    gate.release.send(()).unwrap();
    let _ = logger.flush();

    let path = tmp.path().join("recovered.log");
    let (clock, _) = Clock::manual(START + 3_600_000_000_000);
    let (_next, guard) = Logger::builder()
        .sink_with(
            FileSink::new(&path).unwrap(),
            SinkOptions::new().format(format),
        )
        .clock(clock)
        .crash_safe(&dir)
        .build()
        .unwrap();
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((s.enqueued, s.written, s.dropped), (n + 1, n + 1, 0));
    let bytes = std::fs::read(path).unwrap();
    let first = bytes.iter().position(|&b| b == b'\n').unwrap();
    assert!(bytes[..first].windows(8).any(|w| w == b"recovery"));
    bytes[first + 1..].to_vec()
}

#[test]
fn recovered_records_are_the_bytes_of_a_clean_run() {
    for format in [Format::text(), Format::json()] {
        let (clean, recovered) = (clean(format), recovered(format));
        assert_eq!(clean.iter().filter(|&&b| b == b'\n').count(), 121);
        assert!(
            clean == recovered,
            "{format:?}: {}\n-- vs --\n{}",
            String::from_utf8_lossy(&clean),
            String::from_utf8_lossy(&recovered)
        );
    }
}
