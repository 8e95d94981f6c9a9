//! Crash-safe recovery that finds a file past its committed length (the
//! batch in flight at the crash is in it) but cannot open it to cut it
//! (append-only, `chattr +a`: only `O_APPEND` opens are allowed) says so
//! in its recovery record, as it says a cut that fails: the records of the
//! batch in flight are then in the file twice, and the reader is told why,
//! instead of the file being passed over as if it were not found.
//!
//! The dead process is a child (this test binary, re-executed): it
//! commits three records, logs three more and dies by `SIGKILL` in a hook
//! sink placed after its file sink, at the first batch after the commit:
//! that batch is in the file, not committed.

use std::sync::atomic::{AtomicBool, Ordering};
use uringlog::{Backend, Logger};
use uringlog_sinks::FileSink;
use uringlog_tests::crash_child::{kill_child, kill_self, plain, recover_plain, Dead, Hook};
use uringlog_tests::{read_lines, set_append_only, wait_for};

const CHILD: &str = "URINGLOG_UNOPENABLE_CUT_CHILD";

static FLUSHED: AtomicBool = AtomicBool::new(false);
static LOGGED: AtomicBool = AtomicBool::new(false);

fn die(dir: &str, log: &str) -> ! {
    let (logger, _guard) = Logger::builder()
        .sink(FileSink::new(log).unwrap())
        .sink(Hook::new(|_| {
            if FLUSHED.load(Ordering::SeqCst) {
                wait_for("records 3..6", || LOGGED.load(Ordering::SeqCst));
                kill_self()
            }
        }))
        .format(plain())
        .backend(Backend::Pwrite)
        .crash_safe(dir)
        .build()
        .unwrap();
    for i in 0..3 {
        uringlog::info!(logger, "record {}", i);
    }
    logger.flush().unwrap();
    FLUSHED.store(true, Ordering::SeqCst);
    for i in 3..6 {
        uringlog::info!(logger, "record {}", i);
    }
    LOGGED.store(true, Ordering::SeqCst);
    let _ = logger.flush();
    unreachable!("the hook kills at the next batch");
}

/// Sets or clears the append-only attribute of `path`.
fn records(r: std::ops::Range<u32>) -> Vec<String> {
    r.map(|i| format!("INFO  record {i}")).collect()
}

#[test]
fn an_append_only_file_is_not_cut_and_the_recovery_record_says_why() {
    const NAME: &str = "an_append_only_file_is_not_cut_and_the_recovery_record_says_why";
    let Dead {
        tmp: _tmp,
        dir,
        log,
        pid,
    } = kill_child(NAME, CHILD, die);
    let mut want = read_lines(&log);
    assert_eq!(want[..3], records(0..3));
    let in_flight = want.len() - 3;
    assert!(in_flight > 0, "the batch in flight is in the file");
    let grown = std::fs::metadata(&log).unwrap().len();
    set_append_only(&log, true);
    let recovered = std::panic::catch_unwind(|| recover_plain(&dir, &log));
    set_append_only(&log, false);
    recovered.unwrap();
    want.push(format!(
        "WARN  crash-safe recovery: 3 records recovered from process {pid} (generation 1), 0 torn or corrupt records skipped; {} could not be opened to cut from {grown} to 45 bytes: Operation not permitted (os error 1); records of the batch in flight at the crash may be in it twice",
        log.display()
    ));
    want.extend(records(3..6));
    assert_eq!(read_lines(&log), want);
}
