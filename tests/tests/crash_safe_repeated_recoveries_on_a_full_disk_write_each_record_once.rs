//! Crash-safe recovery that fails again and again on a full disk
//! (`ENOSPC`), each attempt with a different room left (none, one page,
//! a few pages: some of its batches land, one may land in part), through
//! pwrite and io_uring: each next start cuts exactly what the failed
//! attempts appended, and the one that finds room writes every record
//! once, in order, after one recovery record.
//!
//! A child (this test binary, re-executed), its log on a small tmpfs, commits three
//! records, logs 1000 more and dies by `SIGKILL` in a hook sink placed
//! before its file sink, before they reach the file.

use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use uringlog::{Backend, Logger};
use uringlog_sinks::FileSink;
use uringlog_tests::crash_child::{kill_self, plain, run_self, Hook};
use uringlog_tests::{read_lines, Tmpfs};

const CHILD: &str = "URINGLOG_REPEATED_FULL_DISK_CHILD";
const PENDING: u32 = 1000;
const PAD: &str = "...........................................................";

static FLUSHED: AtomicBool = AtomicBool::new(false);
static LOGGED: AtomicBool = AtomicBool::new(false);

fn die(dir: &str, log: &str) -> ! {
    let (logger, _guard) = Logger::builder()
        .sink(Hook::new(|_| {
            if FLUSHED.load(Ordering::SeqCst) {
                while !LOGGED.load(Ordering::SeqCst) {
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
                kill_self()
            }
        }))
        .sink(FileSink::new(log).unwrap())
        .format(plain())
        .backend(Backend::Pwrite)
        .ring_capacity(256 * 1024)
        .crash_safe(dir)
        .build()
        .unwrap();
    for i in 0..3 {
        uringlog::info!(logger, "record {} {}", i, PAD);
    }
    logger.flush().unwrap();
    FLUSHED.store(true, Ordering::SeqCst);
    for i in 3..3 + PENDING {
        uringlog::info!(logger, "record {} {}", i, PAD);
    }
    LOGGED.store(true, Ordering::SeqCst);
    let _ = logger.flush();
    unreachable!("the hook kills at the next batch");
}

/// Fills the file system of `dir` but `pages` pages.
fn fill_but(dir: &Path, pages: u64) {
    let path = dir.join("filler");
    let mut f = std::fs::File::create(&path).unwrap();
    let block = [0u8; 4096];
    while f.write_all(&block).is_ok() {}
    let len = f.metadata().unwrap().len();
    f.set_len(len.saturating_sub(pages * 4096)).unwrap();
}

fn records(r: std::ops::Range<u32>) -> Vec<String> {
    r.map(|i| format!("INFO  record {i} {PAD}")).collect()
}

fn recover(dir: &Path, log: &Path, backend: Backend) -> Result<(), String> {
    let (logger, guard) = Logger::builder()
        .sink(FileSink::new(log).map_err(|e| e.to_string())?)
        .format(plain())
        .backend(backend)
        .batch_size(7)
        .crash_safe(dir)
        .build()
        .map_err(|e| e.to_string())?;
    drop(logger);
    guard.shutdown(uringlog_tests::SHUTDOWN).unwrap();
    Ok(())
}

fn run(test: &str, backend: Backend) {
    if let Ok(spec) = std::env::var(CHILD) {
        let (dir, log) = spec.split_once(',').unwrap();
        die(dir, log);
    }
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("fs");
    let _fs = Tmpfs::mount(root.clone(), "size=512k");
    // The directory elsewhere: only the log's file system is full.
    let (dir, log) = (tmp.path().join("cs"), root.join("app.log"));
    let (pid, status) = run_self(test, CHILD, &format!("{},{}", dir.display(), log.display()));
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(libc::SIGKILL), "{status:?}");
    assert_eq!(read_lines(&log), records(0..3));
    let committed = std::fs::metadata(&log).unwrap().len();
    let mut failed = 0;
    let mut longest = committed;
    for pages in [0, 2, 1, 4, 0, 3, 1, 5] {
        fill_but(&root, pages);
        match recover(&dir, &log, backend) {
            Err(e) => {
                assert!(
                    e.contains("No space left on device (os error 28)")
                        && e.ends_with("; the directory keeps them for the next start"),
                    "{e}"
                );
                failed += 1;
            }
            Ok(()) => panic!("recovered with {pages} pages free"),
        }
        let len = std::fs::metadata(&log).unwrap().len();
        longest = longest.max(len);
        let lines = std::fs::read_to_string(&log).unwrap();
        assert!(
            lines.ends_with('\n'),
            "a torn line after {pages} pages: {len} bytes"
        );
        std::fs::remove_file(root.join("filler")).unwrap();
    }
    assert_eq!(failed, 8);
    assert!(
        longest > committed + 4096,
        "no attempt wrote a page: {longest}"
    );
    let grown = std::fs::metadata(&log).unwrap().len();
    recover(&dir, &log, backend).unwrap();
    let mut want = records(0..3);
    let cut = match grown > committed {
        true => format!("; {} cut from {grown} to {committed} bytes (a batch in flight at the crash, written again)", log.display()),
        false => String::new(),
    };
    want.push(format!(
        "WARN  crash-safe recovery: {PENDING} records recovered from process {pid} (generation 1), 0 torn or corrupt records skipped{cut}"
    ));
    want.extend(records(3..3 + PENDING));
    assert_eq!(read_lines(&log), want);
}

#[test]
fn repeated_recoveries_on_a_full_disk_through_pwrite() {
    run(
        "repeated_recoveries_on_a_full_disk_through_pwrite",
        Backend::Pwrite,
    );
}

#[test]
fn repeated_recoveries_on_a_full_disk_through_io_uring() {
    let name = "repeated_recoveries_on_a_full_disk_through_io_uring";
    if uringlog_tests::io_uring_available(name) {
        run(name, Backend::IoUring);
    }
}
