//! Crash-safe mode with the rolling sink rotating by size between the
//! last commit and a `SIGKILL`: the batch written to the active file
//! since the commit is in the file the rotation renamed (`app.000001.log`,
//! the sink's own naming), which recovery must find by its identity and
//! cut, as it finds a file logrotate renamed; every record whose call
//! returned is then in the files exactly once.
//!
//! The child (this test binary, re-executed) logs through a hook sink, a
//! rolling sink that rotates before every batch, and a hook sink that
//! raises `SIGKILL` at the second batch after records 0..3 were
//! committed, once every record is logged (batches of three records).

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use uringlog::{Backend, Logger};
use uringlog_sinks::RollingFileSink;
use uringlog_tests::crash_child::{kill_self, plain, run_self, Hook};
use uringlog_tests::{file_names, lines_of_files, wait_for};

const CHILD: &str = "URINGLOG_ROLLING_ROTATION_CHILD";

static FLUSHED: AtomicBool = AtomicBool::new(false);
static LOGGED: AtomicBool = AtomicBool::new(false);
/// Batches since records 0..3 were committed.
static SINCE: AtomicU32 = AtomicU32::new(0);

fn rolling(dir: &std::path::Path) -> RollingFileSink {
    RollingFileSink::builder(dir, "app")
        .max_file_bytes(1)
        .open()
        .unwrap()
}

fn child(dir: &str, logs: &str) -> ! {
    let (logger, _guard) = Logger::builder()
        .sink(Hook::new(|_| {
            if FLUSHED.load(Ordering::SeqCst) {
                wait_for("every record", || LOGGED.load(Ordering::SeqCst));
            }
        }))
        .sink(rolling(std::path::Path::new(logs)))
        .sink(Hook::new(|_| {
            if FLUSHED.load(Ordering::SeqCst) && SINCE.fetch_add(1, Ordering::SeqCst) == 1 {
                kill_self()
            }
        }))
        .format(plain())
        .backend(Backend::Pwrite)
        .batch_size(3)
        .crash_safe(dir)
        .build()
        .unwrap();
    for i in 0..3 {
        uringlog::info!(logger, "record {}", i);
    }
    logger.flush().unwrap();
    FLUSHED.store(true, Ordering::SeqCst);
    for i in 3..12 {
        uringlog::info!(logger, "record {}", i);
    }
    LOGGED.store(true, Ordering::SeqCst);
    let _ = logger.flush();
    unreachable!("the hook kills at the second batch");
}

#[test]
fn the_rolling_sinks_own_rotation_then_sigkill_writes_each_record_once() {
    const NAME: &str = "the_rolling_sinks_own_rotation_then_sigkill_writes_each_record_once";
    if let Ok(spec) = std::env::var(CHILD) {
        let (dir, logs) = spec.split_once(',').unwrap();
        child(dir, logs);
    }
    let tmp = tempfile::tempdir().unwrap();
    let (dir, logs) = (tmp.path().join("cs"), tmp.path().join("logs"));
    std::fs::create_dir(&logs).unwrap();
    let (_, status) = run_self(
        NAME,
        CHILD,
        &format!("{},{}", dir.display(), logs.display()),
    );
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(libc::SIGKILL), "{status:?}");
    let before = lines_of_files(&logs, &file_names(&logs));
    let (logger, guard) = Logger::builder()
        .sink(rolling(&logs))
        .format(plain())
        .crash_safe(&dir)
        .build()
        .unwrap();
    drop(logger);
    guard.shutdown(uringlog_tests::SHUTDOWN).unwrap();
    let after = lines_of_files(&logs, &file_names(&logs));
    let warn = after
        .iter()
        .filter(|(_, l)| l.starts_with("WARN  crash-safe recovery: "))
        .count();
    assert_eq!(warn, 1, "{after:?}");
    let mut records: Vec<String> = (after.iter())
        .filter(|(_, l)| l.starts_with("INFO"))
        .map(|(_, l)| l.clone())
        .collect();
    records.sort_by_key(|l| l[13..].parse::<u32>().unwrap());
    let want: Vec<String> = (0..12).map(|i| format!("INFO  record {i}")).collect();
    assert_eq!(
        records, want,
        "before recovery: {before:?}\nafter: {after:?}"
    );
}
