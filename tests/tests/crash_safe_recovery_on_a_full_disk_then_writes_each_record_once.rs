//! Crash-safe recovery that cannot write everything (a full disk,
//! `ENOSPC`): `build` fails naming the cause and the directory keeps what
//! it held; the next start cuts the file back over what the failed attempt
//! wrote and writes every record once — also when the dead process had
//! written nothing to the file since its last commit (its records were
//! still in its ring, the batch not yet handed to the file), so nothing
//! past the committed length was the dead process's.
//!
//! A child (this test binary, re-executed) logs three records (committed)
//! on a small tmpfs, then 100 more, and dies by `SIGKILL` in a hook sink
//! placed before the file sink, at the batch that holds them. The test
//! fills the tmpfs, recovers (fails), frees it and recovers again.

use std::path::PathBuf;
use uringlog::{Backend, Logger};
use uringlog_sinks::FileSink;
use uringlog_tests::crash_child::{kill_self, plain, recover_plain, run_self, Hook};
use uringlog_tests::{read_lines, Tmpfs};

const CHILD: &str = "URINGLOG_RECOVERY_FULL_DISK_CHILD";
const TEST: &str = "a_recovery_cut_short_by_a_full_disk_is_written_once_by_the_next_start";
/// Records pending at the death.
const PENDING: u32 = 100;
const PAD: &str =
    "................................................................................";

/// Set by the child once every record's call returned.
static LOGGED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// The child: dies with `PENDING` records not yet in the file, at the
/// first batch after records 0..3 (however the writer split either group
/// into batches), once all of them are logged (the writer may take that
/// batch before the last call returns).
fn die(dir: &str, log: &str) -> ! {
    let (logger, _guard) = Logger::builder()
        .sink(Hook::new(|lines| {
            if lines.start == 3 {
                while !LOGGED.load(std::sync::atomic::Ordering::SeqCst) {
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
                kill_self()
            }
        }))
        .sink(FileSink::new(log).unwrap())
        .format(plain())
        .backend(Backend::Pwrite)
        .batch_size(200)
        .ring_capacity(32 * 1024)
        .crash_safe(dir)
        .build()
        .unwrap();
    for i in 0..3 {
        uringlog::info!(logger, "record {} {}", i, PAD);
    }
    logger.flush().unwrap();
    for i in 3..3 + PENDING {
        uringlog::info!(logger, "record {} {}", i, PAD);
    }
    LOGGED.store(true, std::sync::atomic::Ordering::SeqCst);
    let _ = logger.flush();
    unreachable!("the hook kills at the batch after records 0..3");
}

/// Fills the file system of `dir` with a file there; returns its path.
fn fill(dir: &std::path::Path) -> std::path::PathBuf {
    use std::io::Write;
    let path = dir.join("filler");
    let mut f = std::fs::File::create(&path).unwrap();
    let block = [0u8; 4096];
    while f.write_all(&block).is_ok() {}
    while f.write_all(&block[..1]).is_ok() {}
    path
}

fn records(r: std::ops::Range<u32>) -> Vec<String> {
    r.map(|i| format!("INFO  record {i} {PAD}")).collect()
}

/// Runs the child on a small tmpfs, fills it and fails a recovery there;
/// returns the temporary directory, the tmpfs in it, the crash-safe
/// directory, the log, the filler and the child's pid.
fn fail_on_a_full_disk(test: &str) -> (tempfile::TempDir, Tmpfs, PathBuf, PathBuf, PathBuf, u32) {
    if let Ok(spec) = std::env::var(CHILD) {
        let (dir, log) = spec.split_once(',').unwrap();
        die(dir, log);
    }
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("fs");
    let fs = Tmpfs::mount(root.clone(), "size=256k");
    let (dir, log) = (root.join("cs"), root.join("app.log"));
    let spec = format!("{},{}", dir.display(), log.display());
    let (pid, status) = run_self(test, CHILD, &spec);
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(libc::SIGKILL), "{status:?}");
    assert_eq!(read_lines(&log), records(0..3));
    let filler = fill(&root);
    let e = Logger::builder()
        .sink(FileSink::new(&log).unwrap())
        .format(plain())
        .backend(Backend::Pwrite)
        .batch_size(8)
        .crash_safe(&dir)
        .build()
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with(&format!("crash-safe directory {}: ", dir.display()))
            && e.contains(" records could not be written while recovering (")
            && e.contains("No space left on device (os error 28)")
            && e.ends_with("; the directory keeps them for the next start"),
        "{e}"
    );
    // The attempt's batches that fitted are in the file.
    let grown = std::fs::metadata(&log).unwrap().len();
    assert!(read_lines(&log).len() > 3 + 8, "{grown} bytes");
    (tmp, fs, dir, log, filler, pid)
}

#[test]
fn a_recovery_cut_short_by_a_full_disk_is_written_once_by_the_next_start() {
    let (_tmp, _fs, dir, log, filler, pid) = fail_on_a_full_disk(TEST);
    let grown = std::fs::metadata(&log).unwrap().len();
    std::fs::remove_file(filler).unwrap();
    recover_plain(&dir, &log);
    let mut want = records(0..3);
    want.push(format!(
        "WARN  crash-safe recovery: {PENDING} records recovered from process {pid} (generation 1), 0 torn or corrupt records skipped; {} cut from {grown} to {} bytes (a batch in flight at the crash, written again)",
        log.display(),
        3 * want[0].len() + 3
    ));
    want.extend(records(3..3 + PENDING));
    assert_eq!(read_lines(&log), want);
}

/// After the failed attempt another writer appends a line (fewer bytes
/// than the attempt's batches that failed): the next start must not take
/// that line for the attempt's. The attempt counted only what is in the
/// file (a failed batch's bytes come off its count), so the file has
/// grown by more than that: it is not cut, the line stays (and the
/// attempt's records are there twice, said).
#[test]
fn another_writers_line_after_a_recovery_cut_short_by_a_full_disk_stays() {
    const NAME: &str = "another_writers_line_after_a_recovery_cut_short_by_a_full_disk_stays";
    let (_tmp, _fs, dir, log, filler, pid) = fail_on_a_full_disk(NAME);
    std::fs::remove_file(filler).unwrap();
    let mut want = read_lines(&log);
    let committed = (3 * (want[0].len() + 1)) as u64;
    let appended = std::fs::metadata(&log).unwrap().len() - committed;
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    f.write_all(b"other writer\n").unwrap();
    recover_plain(&dir, &log);
    want.push("other writer".into());
    want.push(format!(
        "WARN  crash-safe recovery: {PENDING} records recovered from process {pid} (generation 1), 0 torn or corrupt records skipped; {} not cut: {} bytes past its committed length, more than the {appended} the dead process appended since (another writer appended there too); records of the batch in flight at the crash may be in it twice",
        log.display(),
        appended + 13
    ));
    want.extend(records(3..3 + PENDING));
    assert_eq!(read_lines(&log), want);
}
