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
    let (logger, _guard) = Logger::builder()
        .sink(SlowFile(file))
        .format(Format::text().timestamp(Timestamp::Off).without_target())
        .policy(Policy::Block)
        .ring_capacity(1024)
        .batch_size(8)
        .build()
        .unwrap();
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

#[test]
fn exit_while_producers_wait_for_room_writes_a_prefix_of_each_thread() {
    if std::env::var_os(SCENARIO).is_some() {
        return scenario();
    }
    for _round in 0..3 {
        let (_dir, path) = uringlog_tests::temp_log("exit.log");
        let out = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "exit_while_producers_wait_for_room_writes_a_prefix_of_each_thread",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(SCENARIO, "1")
            .env(LOG, &path)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(3),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let lines = uringlog_tests::read_lines(&path);
        assert!(!lines.is_empty());
        let pad = format!("{:040}", 0);
        for l in &lines {
            assert!(
                l.starts_with("INFO  t=") && l.ends_with(&format!(" pad={pad}")),
                "torn line {l:?}"
            );
        }
        let seqs = sequences(&lines);
        assert!(seqs.len() as u64 <= THREADS);
        for (t, s) in seqs {
            assert_eq!(s, (0..s.len() as u64).collect::<Vec<_>>(), "thread {t}");
        }
    }
}
