//! A crash-safe recovery that fails (a sink refusing the records: `EIO`)
//! leaves in the state file what it appended to each file, counted as a
//! running writer's appends are: the next start cuts exactly that.
//!
//! - Another writer appended to the file between the cut and the failed
//!   attempt's first write there: its line stays (the attempt's appends
//!   were counted from the file's length at its first write, not taken as
//!   all past the cut point).
//! - The attempt wrote to a file the dead process's state does not list
//!   (a sink added in the new configuration): the file is added to the
//!   state before the attempt's first write to it, so each later start
//!   cuts it back and the records are there once, however many attempts
//!   failed.
//!
//! The dead process is a child (this test binary, re-executed): it
//! commits three records, logs three more and dies by `SIGKILL` in a hook
//! sink placed before its file sink, at the batch that holds them.

use std::sync::atomic::{AtomicBool, Ordering};
use uringlog::{Backend, Logger, Sink, Target};
use uringlog_sinks::FileSink;
use uringlog_tests::crash_child::{kill_child, kill_self, plain, recover_plain, Dead, Hook};
use uringlog_tests::{read_lines, wait_for};

const CHILD: &str = "URINGLOG_FAILED_RECOVERY_CHILD";

/// Set by the child once every record's call returned.
static LOGGED: AtomicBool = AtomicBool::new(false);

/// The child: dies with records 3..6 committed to its ring, not written.
fn die(dir: &str, log: &str) -> ! {
    let (logger, _guard) = Logger::builder()
        .sink(Hook::new(|lines| {
            // The first batch after records 0..3 (however the writer
            // split them into batches).
            if lines.start == 3 {
                wait_for("records 3..6", || LOGGED.load(Ordering::SeqCst));
                kill_self()
            }
        }))
        .sink(FileSink::new(log).unwrap())
        .format(plain())
        .backend(Backend::Pwrite)
        .crash_safe(dir)
        .build()
        .unwrap();
    for i in 0..3 {
        uringlog::info!(logger, "record {}", i);
    }
    logger.flush().unwrap();
    for i in 3..6 {
        uringlog::info!(logger, "record {}", i);
    }
    LOGGED.store(true, Ordering::SeqCst);
    let _ = logger.flush();
    unreachable!("the hook kills at the next batch");
}

/// An inline sink that refuses every batch (`EIO`); at its first, it
/// appends `line` (when given) to `path` first, as another writer would.
struct Refusing {
    other: Option<(std::path::PathBuf, &'static str)>,
}

impl Sink for Refusing {
    fn describe(&self) -> String {
        "refusing".into()
    }
    fn target(&mut self, _: usize) -> std::io::Result<Target> {
        Ok(Target::Inline)
    }
    fn write_inline(&mut self, _: &[u8]) -> std::io::Result<()> {
        if let Some((path, line)) = self.other.take() {
            use std::io::Write;
            let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
            f.write_all(line.as_bytes()).unwrap();
        }
        Err(std::io::Error::from_raw_os_error(libc::EIO))
    }
}

/// A recovery on `dir` into `log` behind a [`Refusing`] sink: fails.
fn fail_recovery(dir: &std::path::Path, log: &std::path::Path, refusing: Refusing) {
    let e = Logger::builder()
        .sink(refusing)
        .sink(FileSink::new(log).unwrap())
        .format(plain())
        .backend(Backend::Pwrite)
        .crash_safe(dir)
        .build()
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("4 records could not be written while recovering (")
            && e.ends_with("; the directory keeps them for the next start"),
        "{e}"
    );
}

fn records(r: std::ops::Range<u32>) -> Vec<String> {
    r.map(|i| format!("INFO  record {i}")).collect()
}

fn recovered(pid: u32, cut: &str) -> String {
    format!("WARN  crash-safe recovery: 3 records recovered from process {pid} (generation 1), 0 torn or corrupt records skipped{cut}")
}

#[test]
fn another_writers_line_before_a_failed_recoverys_writes_stays() {
    const NAME: &str = "another_writers_line_before_a_failed_recoverys_writes_stays";
    let Dead {
        tmp: _tmp,
        dir,
        log,
        pid,
    } = kill_child(NAME, CHILD, die);
    assert_eq!(read_lines(&log), records(0..3));
    let other = Some((log.clone(), "other writer\n"));
    fail_recovery(&dir, &log, Refusing { other });
    let mut want = records(0..3);
    want.push("other writer".into());
    let grown = std::fs::metadata(&log).unwrap().len();
    recover_plain(&dir, &log);
    want.push(recovered(
        pid,
        &format!(
            "; {} cut from {grown} to 58 bytes (a batch in flight at the crash, written again)",
            log.display()
        ),
    ));
    want.extend(records(3..6));
    assert_eq!(read_lines(&log), want);
}

#[test]
fn a_file_the_state_does_not_list_is_cut_back_after_each_failed_recovery() {
    const NAME: &str = "a_file_the_state_does_not_list_is_cut_back_after_each_failed_recovery";
    let Dead { tmp, dir, log, pid } = kill_child(NAME, CHILD, die);
    let new = tmp.path().join("new.log");
    fail_recovery(&dir, &new, Refusing { other: None });
    assert_eq!(read_lines(&new)[1..], records(3..6));
    fail_recovery(&dir, &new, Refusing { other: None });
    assert_eq!(read_lines(&new)[1..], records(3..6));
    let grown = std::fs::metadata(&new).unwrap().len();
    recover_plain(&dir, &new);
    let mut want = vec![recovered(
        pid,
        &format!(
            "; {} cut from {grown} to 0 bytes (a batch in flight at the crash, written again)",
            new.display()
        ),
    )];
    want.extend(records(3..6));
    assert_eq!(read_lines(&new), want);
    assert_eq!(read_lines(&log), records(0..3));
}
