//! `fork()` while four `Block` producers of the parent spin or park for
//! room (the writer held in its sink): the child, which has none of those
//! threads, logs through its own engine without hanging and keeps its
//! books; the parent's producers resume once the writer goes on, and every
//! record of theirs is written once, in order.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;
use uringlog::{Format, Logger, Policy, Sink, Target, Timestamp};
use uringlog_tests::{sequences, wait_child, wait_for, SHUTDOWN};

const THREADS: u64 = 4;
const PER_THREAD: u64 = 300;

/// Holds every write until `open`; its fork child's copy appends to a file.
struct Held {
    open: Arc<AtomicBool>,
    out: Arc<Mutex<Vec<u8>>>,
    child_file: std::path::PathBuf,
}

impl Sink for Held {
    fn describe(&self) -> String {
        "held".to_owned()
    }
    fn target(&mut self, _len: usize) -> io::Result<Target> {
        Ok(Target::Inline)
    }
    fn write_inline(&mut self, batch: &[u8]) -> io::Result<()> {
        while !self.open.load(Ordering::SeqCst) {
            thread::sleep(Duration::from_micros(200));
        }
        self.out.lock().unwrap().extend_from_slice(batch);
        Ok(())
    }
    fn for_fork_child(&self) -> Option<Box<dyn Sink>> {
        Some(Box::new(ChildFile(self.child_file.clone())))
    }
}

/// Appends to a file it opens at each write (in the child only).
struct ChildFile(std::path::PathBuf);

impl Sink for ChildFile {
    fn describe(&self) -> String {
        "child file".to_owned()
    }
    fn target(&mut self, _len: usize) -> io::Result<Target> {
        Ok(Target::Inline)
    }
    fn write_inline(&mut self, batch: &[u8]) -> io::Result<()> {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.0)?;
        f.write_all(batch)
    }
    fn for_fork_child(&self) -> Option<Box<dyn Sink>> {
        Some(Box::new(ChildFile(self.0.clone())))
    }
}

#[test]
fn fork_while_producers_wait_for_room() {
    let dir = tempfile::tempdir().unwrap();
    let child_file = dir.path().join("child.log");
    let open = Arc::new(AtomicBool::new(false));
    let out = Arc::new(Mutex::new(Vec::new()));
    let sink = Held {
        open: open.clone(),
        out: out.clone(),
        child_file: child_file.clone(),
    };
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .format(Format::text().timestamp(Timestamp::Off).without_target())
        .policy(Policy::Block)
        .ring_capacity(1024)
        .batch_size(8)
        .build()
        .unwrap();
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let l = logger.clone();
            thread::spawn(move || {
                for seq in 0..PER_THREAD {
                    uringlog::info!(l, "t={} seq={} pad={:040}", t, seq, 0);
                }
            })
        })
        .collect();
    wait_for("every producer parked for room", || {
        logger.producers_waiting_for_room() == THREADS as u32
    });
    // SAFETY: the child logs, flushes and leaves with `_exit`.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        for i in 0..10 {
            uringlog::info!(logger, "child seq={}", i);
        }
        let flushed = logger.flush().is_ok();
        let s = logger.stats();
        let ok = flushed && (s.enqueued, s.written, s.dropped) == (10, 10, 0);
        let _ = std::fs::write(
            dir.path().join("child.stats"),
            format!("{flushed} {s:?} {:?}", logger.recent_errors()),
        );
        // SAFETY: ends the child without running the parent's destructors.
        unsafe { libc::_exit(if ok { 0 } else { 1 }) };
    }
    let code = wait_child(pid, "the child hung");
    assert_eq!(
        code,
        0,
        "{}",
        std::fs::read_to_string(dir.path().join("child.stats")).unwrap_or_default()
    );
    let child = std::fs::read_to_string(&child_file).unwrap();
    let want: String = (0..10).map(|i| format!("INFO  child seq={i}\n")).collect();
    assert_eq!(child, want);
    open.store(true, Ordering::SeqCst);
    for h in handles {
        h.join().unwrap();
    }
    let s = guard.shutdown(SHUTDOWN).unwrap();
    let total = THREADS * PER_THREAD;
    assert_eq!((s.enqueued, s.written, s.dropped), (total, total, 0));
    let text = String::from_utf8(out.lock().unwrap().clone()).unwrap();
    let lines: Vec<String> = text.lines().map(str::to_owned).collect();
    assert_eq!(lines.len() as u64, total);
    for (t, s) in sequences(&lines) {
        assert_eq!(s, (0..PER_THREAD).collect::<Vec<_>>(), "thread {t}");
    }
}
