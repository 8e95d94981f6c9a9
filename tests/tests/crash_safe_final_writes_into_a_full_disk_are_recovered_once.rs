//! Crash-safe shutdown whose last writes meet a full disk (a 256 KiB
//! tmpfs filled while the writer is held in a sink): what they drop is
//! counted dropped, and the directory keeps it; the next logger built on
//! the directory, with space back, writes it. Across both runs the file
//! holds the records in order, none twice, and every one missing was
//! counted dropped by the first run. Both backends.
//!
//! Needs root (to mount): it fails, saying so, where the mount is refused.

use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use uringlog::{Backend, Level, Logger, ShutdownError, Sink, SinkOptions, Target};
use uringlog_sinks::FileSink;
use uringlog_tests::{field, read_lines, wait_for, wait_until_stuck, Tmpfs, SHUTDOWN};

/// Records flushed before the writer is held.
const FIRST: u64 = 20;
/// Records logged while it is held, pending at shutdown.
const ALL: u64 = 60;

/// Takes `Warn` records only (`min_level`); its first write blocks the
/// writer until released.
struct Hold {
    entered: Arc<AtomicBool>,
    release: Option<mpsc::Receiver<()>>,
}

impl Sink for Hold {
    fn describe(&self) -> String {
        "hold".to_owned()
    }
    fn target(&mut self, _len: usize) -> std::io::Result<Target> {
        Ok(Target::Inline)
    }
    fn write_inline(&mut self, _batch: &[u8]) -> std::io::Result<()> {
        if let Some(rx) = self.release.take() {
            self.entered.store(true, Ordering::SeqCst);
            rx.recv().unwrap();
        }
        Ok(())
    }
}

/// Fills the file system of `dir` up with `dir/filler`.
fn fill(dir: &Path) {
    let mut f = std::fs::File::create(dir.join("filler")).unwrap();
    let chunk = vec![b'f'; 4096];
    loop {
        match f.write(&chunk) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                assert_eq!(e.raw_os_error(), Some(libc::ENOSPC), "{e}");
                break;
            }
        }
    }
    // The last partial page too.
    while let Ok(1..) = f.write(b"f") {}
}

fn seqs(log: &Path) -> Vec<u64> {
    read_lines(log)
        .iter()
        .filter_map(|l| field(l, "seq="))
        .collect()
}

fn scenario(backend: Backend, base: &Path) {
    let what = format!("{backend:?}");
    let fs = Tmpfs::mount_256k(base.join(format!("fs-{backend:?}")));
    let (log, dir) = (fs.0.join("app.log"), base.join(format!("cs-{backend:?}")));
    let entered = Arc::new(AtomicBool::new(false));
    let (release, rx) = mpsc::channel();
    let hold = Hold {
        entered: entered.clone(),
        release: Some(rx),
    };
    let (logger, guard) = Logger::builder()
        .sink(FileSink::new(&log).unwrap())
        .sink_with(hold, SinkOptions::new().min_level(Level::Warn))
        .backend(backend)
        .batch_size(8)
        .ring_capacity(1 << 20)
        .crash_safe(&dir)
        .build()
        .unwrap();
    for i in 0..FIRST {
        uringlog::info!(logger, "final test seq={}", i);
    }
    logger.flush().unwrap();
    uringlog::warn!(logger, "hold");
    wait_until_stuck(&entered);
    for i in FIRST..ALL {
        uringlog::info!(logger, "final test seq={}", i);
    }
    fill(&fs.0);
    let closing = std::thread::spawn(move || guard.shutdown(SHUTDOWN));
    wait_for("shutdown begun", || logger.is_shut_down());
    release.send(()).unwrap();
    let s = closing.join().unwrap().unwrap();
    let calls = ALL + 1;
    assert_eq!(
        (s.enqueued, s.written + s.dropped),
        (calls, calls),
        "{what}"
    );
    assert!(s.dropped > 0, "{what}: nothing met the full disk: {s:?}");
    let first = seqs(&log);
    assert_eq!(first, (0..first.len() as u64).collect::<Vec<_>>(), "{what}");
    assert!(first.len() as u64 >= FIRST, "{what}");

    // Space back: the next logger on the directory writes what it kept.
    std::fs::remove_file(fs.0.join("filler")).unwrap();
    let (l2, g2) = Logger::builder()
        .sink(FileSink::new(&log).unwrap())
        .backend(backend)
        .crash_safe(&dir)
        .build()
        .unwrap();
    drop(l2);
    let s2 = g2.shutdown(SHUTDOWN).unwrap();
    assert_eq!((s2.written, s2.dropped), (s2.enqueued, 0), "{what}");
    let lines = read_lines(&log);
    let recovered = lines
        .iter()
        .find_map(|l| l.split("crash-safe recovery: ").nth(1))
        .map(|r| r.split(' ').next().unwrap().parse::<u64>().unwrap())
        .unwrap_or(0);
    let after = seqs(&log);
    // The records the first run wrote, then a run of the last ones (those
    // its final writes dropped, which the directory kept). None twice.
    let n = first.len();
    assert_eq!(after[..n.min(after.len())], first[..], "{what}");
    let tail = &after[n..];
    let want: Vec<u64> = (ALL - tail.len() as u64..ALL).collect();
    assert_eq!(tail, want, "{what}: recovered {recovered}, first run {s:?}");
    assert!(ALL - tail.len() as u64 >= n as u64, "{what}: {after:?}");
    let missing = ALL - after.len() as u64;
    assert!(
        missing <= s.dropped,
        "{what}: {missing} missing, {} dropped",
        s.dropped
    );
    eprintln!(
        "{what}: first run {:?}, {recovered} recovered, {missing} missing",
        (s.enqueued, s.written, s.dropped)
    );
}

#[test]
fn crash_safe_final_writes_into_a_full_disk_are_recovered_once() {
    let tmp = tempfile::tempdir().unwrap();
    scenario(Backend::Pwrite, tmp.path());
    if uringlog_tests::io_uring_available(
        "crash_safe_final_writes_into_a_full_disk_are_recovered_once",
    ) {
        scenario(Backend::IoUring, tmp.path());
    }
}

/// Takes every record; panics when closed, after the final writes.
struct PanicsAtClose;

impl Sink for PanicsAtClose {
    fn describe(&self) -> String {
        "panics at close".to_owned()
    }
    fn target(&mut self, _len: usize) -> std::io::Result<Target> {
        Ok(Target::Inline)
    }
    fn write_inline(&mut self, _batch: &[u8]) -> std::io::Result<()> {
        Ok(())
    }
    fn close(&mut self) -> std::io::Result<()> {
        panic!("close exploded on purpose");
    }
}

/// A sink that panics in `close`, after the final writes reached the
/// file: shutdown says the writer panicked, the books balance, and the
/// next logger on the directory writes nothing twice (what the final
/// writes appended past the last commit is cut back, then written again).
#[test]
fn crash_safe_a_sink_panicking_at_close_leaves_each_record_once() {
    let tmp = tempfile::tempdir().unwrap();
    let (log, dir) = (tmp.path().join("app.log"), tmp.path().join("cs"));
    let (logger, guard) = Logger::builder()
        .sink(FileSink::new(&log).unwrap())
        .sink(PanicsAtClose)
        .crash_safe(&dir)
        .build()
        .unwrap();
    for i in 0..FIRST {
        uringlog::info!(logger, "final test seq={}", i);
    }
    logger.flush().unwrap();
    for i in FIRST..ALL {
        uringlog::info!(logger, "final test seq={}", i);
    }
    let e = guard.shutdown(SHUTDOWN).unwrap_err();
    assert!(matches!(e, ShutdownError::WriterPanicked { .. }), "{e:?}");
    assert_eq!(
        logger.recent_errors().last().map(String::as_str),
        Some("the writer thread panicked: close exploded on purpose")
    );
    let s = logger.stats();
    assert_eq!((s.enqueued, s.written + s.dropped), (ALL, ALL), "{s:?}");
    let first = seqs(&log);
    assert_eq!(first, (0..first.len() as u64).collect::<Vec<_>>());
    drop(logger);

    let (l2, g2) = Logger::builder()
        .sink(FileSink::new(&log).unwrap())
        .crash_safe(&dir)
        .build()
        .unwrap();
    drop(l2);
    let s2 = g2.shutdown(SHUTDOWN).unwrap();
    assert_eq!((s2.written, s2.dropped), (s2.enqueued, 0));
    assert_eq!(
        seqs(&log),
        (0..ALL).collect::<Vec<_>>(),
        "{:#?}",
        read_lines(&log)
    );
}
