//! `std::process::exit` while eight `Block` producers spin or park for room
//! in full rings (the writer stuck in a slow sink): the exit hook drains
//! what was logged and ends; the process exits with its code, and each
//! thread's lines in the file are whole and its records from the first,
//! in order, with no gap (what the hook took, then nothing).
//!
//! The scenario runs in a process of its own: the test re-executes its
//! binary with `EXIT_ROOM_SCENARIO` set.

use std::io::{self, Write};
use std::process::Command;
use std::time::Duration;
use uringlog::{Format, Logger, Policy, Sink, Target, Timestamp};
use uringlog_tests::sequences;

const SCENARIO: &str = "EXIT_ROOM_SCENARIO";
const LOG: &str = "EXIT_ROOM_LOG";
const THREADS: u64 = 8;
/// Set: the scenario's logger is crash-safe, in this directory.
const CRASH_DIR: &str = "EXIT_ROOM_CRASH_DIR";

/// Appends to a file, sleeping in every write.
struct SlowFile(std::fs::File);

impl Sink for SlowFile {
    fn describe(&self) -> String {
        "slow file".to_owned()
    }
    fn target(&mut self, _len: usize) -> io::Result<Target> {
        Ok(Target::Inline)
    }
    fn write_inline(&mut self, batch: &[u8]) -> io::Result<()> {
        std::thread::sleep(Duration::from_micros(200));
        self.0.write_all(batch)
    }
}

fn scenario() {
    let path = std::env::var(LOG).unwrap();
    let file = std::fs::File::create(path).unwrap();
    let mut b = Logger::builder()
        .sink(SlowFile(file))
        .format(Format::text().timestamp(Timestamp::Off).without_target())
        .policy(Policy::Block)
        .ring_capacity(1024)
        .batch_size(8);
    if let Some(dir) = std::env::var_os(CRASH_DIR) {
        b = b.crash_safe(dir);
    }
    let (logger, _guard) = b.build().unwrap();
    for t in 0..THREADS {
        let l = logger.clone();
        std::thread::spawn(move || {
            for seq in 0.. {
                uringlog::info!(l, "t={} seq={} pad={:040}", t, seq, 0);
            }
        });
    }
    // Until every producer has waited for room at least once.
    uringlog_tests::wait_for("every producer waiting for room", || {
        logger.producer_room_wake_counts().0 >= THREADS || logger.stats().written > 2000
    });
    std::process::exit(3);
}

/// Runs the scenario as `test` in a process of its own (crash-safe in
/// `crash_dir` when given); the lines it wrote.
fn run(test: &str, crash_dir: Option<&std::path::Path>) -> Vec<String> {
    let (_dir, path) = uringlog_tests::temp_log("exit.log");
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(SCENARIO, "1")
        .env(LOG, &path);
    if let Some(d) = crash_dir {
        cmd.env(CRASH_DIR, d);
    }
    let out = cmd.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    uringlog_tests::read_lines(&path)
}

/// Each thread's lines are whole, and its records from the first, in order.
fn check_prefixes(lines: &[String]) {
    let pad = format!(" pad={:040}", 0);
    for l in lines {
        let whole = l.starts_with("INFO  t=") && l.ends_with(&pad);
        assert!(whole, "torn line {l:?}");
    }
    let seqs = sequences(lines);
    assert!(seqs.len() as u64 <= THREADS);
    for (t, s) in seqs {
        assert_eq!(s, (0..s.len() as u64).collect::<Vec<_>>(), "thread {t}");
    }
}

#[test]
fn exit_while_producers_wait_for_room_writes_a_prefix_of_each_thread() {
    if std::env::var_os(SCENARIO).is_some() {
        return scenario();
    }
    let test = "exit_while_producers_wait_for_room_writes_a_prefix_of_each_thread";
    for _round in 0..3 {
        let lines = run(test, None);
        assert!(!lines.is_empty());
        check_prefixes(&lines);
    }
}

/// In crash-safe mode, a logger built on the directory afterwards writes
/// again none of what the exit hook wrote: each thread's records, written
/// then recovered, are still each once and in order.
#[test]
fn exit_in_crash_safe_mode_leaves_nothing_written_to_recover_again() {
    if std::env::var_os(SCENARIO).is_some() {
        return scenario();
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cs");
    let test = "exit_in_crash_safe_mode_leaves_nothing_written_to_recover_again";
    for _round in 0..3 {
        let mut lines = run(test, Some(&dir));
        assert!(!lines.is_empty());
        let (sink, out) = uringlog::MemorySink::new();
        let plain = Format::text().timestamp(Timestamp::Off).without_target();
        let (_l, g) = Logger::builder()
            .sink_with(sink, uringlog::SinkOptions::new().format(plain))
            .crash_safe(&dir)
            .build()
            .unwrap();
        g.shutdown(Duration::from_secs(30)).unwrap();
        let recovered = out.lines();
        let records = recovered
            .iter()
            .filter(|l| !l.contains("crash-safe recovery"));
        lines.extend(records.cloned());
        check_prefixes(&lines);
    }
}
