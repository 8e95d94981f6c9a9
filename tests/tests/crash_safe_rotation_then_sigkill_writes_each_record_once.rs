//! Crash-safe mode under logrotate: the log file is renamed away (and a
//! new empty one created at its path, logrotate's `create`, or opened by
//! a reopen), or copied and truncated (`copytruncate`), between the last
//! commit and a `SIGKILL`. Recovery writes every record whose call
//! returned exactly once over the files: the records of the batches the
//! dead process wrote after its last commit are cut from the file they
//! went to — found by its identity, under a name that extends the log's
//! (a file under an unrelated name is not cut, though it hold that
//! identity) — and
//! written again to the file the recovering logger's sink names (the new
//! one).
//!
//! The child (this test binary, re-executed) logs through a file sink
//! between two hook sinks, which rotate the file and raise `SIGKILL` at
//! chosen points: after the file sink wrote a batch (pwrite) and before
//! the commit that would follow. It logs records in groups of three, each
//! while a hook pauses the writer, so each group is one batch however the
//! writer would have split them.

use uringlog::{Backend, Logger};
use uringlog_sinks::FileSink;
use uringlog_tests::crash_child::{kill_self, plain, recover_plain, run_self, Hook, Pause};
use uringlog_tests::read_lines;

const CHILD: &str = "URINGLOG_ROTATION_KILL_CHILD";

/// Holds the writer in the batch that holds record 2 (after the file
/// sink wrote it) while records 3..6 are logged: the batch is committed,
/// and the next one holds exactly records 3..6.
static THREE: Pause = Pause::new();
/// CopyTruncate: holds the writer in the batch that holds record 5 while
/// records 6..9 are logged, in the same way.
static SIX: Pause = Pause::new();

/// How the file is rotated before `SIGKILL`.
#[derive(Clone, Copy, PartialEq)]
enum Rotation {
    /// After the batch of records 3..6 reached the file: rename it to
    /// `.1`, create an empty one at its path, kill.
    RenameCreate,
    /// While records 3..6 are logged, the file is renamed to `.1`; then
    /// the hook raises the reopen signal: the reopen writes those records
    /// to the renamed file, and the hook kills at the reopen (the file
    /// sink, first, has opened the new file by then), before the commit
    /// that follows it.
    RenameReopen,
    /// Before the batch of records 6..9 reaches the file: copy it to `.1`
    /// and truncate it to 0; after: kill.
    CopyTruncate,
    /// After the batch of records 3..6 reached the file: rename it to
    /// `other.log` (a name that does not extend the log's), create an
    /// empty one at its path, kill.
    RenameAway,
    /// After the batch of records 3..6 reached the file: rename it to
    /// `.1`, put a FIFO at its path (nobody reads it), kill.
    RenameFifo,
}

impl Rotation {
    fn parse(s: &str) -> Rotation {
        match s {
            "rename" => Rotation::RenameCreate,
            "reopen" => Rotation::RenameReopen,
            "fifo" => Rotation::RenameFifo,
            "away" => Rotation::RenameAway,
            _ => Rotation::CopyTruncate,
        }
    }

    /// The first record of the batch at whose writing the file rotates.
    fn first_rotated(self) -> u32 {
        match self {
            Rotation::CopyTruncate => 6,
            _ => 3,
        }
    }
}

/// The hook before the file sink (`before`) or after it.
fn hook(log: &str, how: Rotation, before: bool) -> Hook {
    let (log, old) = (log.to_owned(), format!("{log}.1"));
    let at = how.first_rotated();
    Hook::new(move |lines| match (how, before) {
        (_, false) if lines.contains(&2) => {
            THREE.hold();
            if how == Rotation::RenameReopen {
                // SAFETY: raise on our own process; the logger reopens on it.
                unsafe { libc::raise(libc::SIGUSR1) };
            }
        }
        (Rotation::CopyTruncate, false) if lines.contains(&5) => SIX.hold(),
        _ if lines.start != at => {}
        (Rotation::RenameCreate, false) => {
            std::fs::rename(&log, &old).unwrap();
            std::fs::File::create(&log).unwrap();
            kill_self()
        }
        (Rotation::RenameAway, false) => {
            let other = std::path::Path::new(&log).with_file_name("other.log");
            std::fs::rename(&log, other).unwrap();
            std::fs::File::create(&log).unwrap();
            kill_self()
        }
        (Rotation::CopyTruncate, true) => {
            std::fs::copy(&log, &old).unwrap();
            let f = std::fs::OpenOptions::new().write(true).open(&log).unwrap();
            f.set_len(0).unwrap();
        }
        (Rotation::CopyTruncate, false) => kill_self(),
        (Rotation::RenameFifo, false) => {
            std::fs::rename(&log, &old).unwrap();
            let c = std::ffi::CString::new(log.as_str()).unwrap();
            // SAFETY: a NUL-terminated path.
            assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
            kill_self()
        }
        _ => {}
    })
    .on_reopen(move || {
        if !before {
            kill_self()
        }
    })
}

fn log_records(logger: &Logger, range: std::ops::Range<u32>) {
    for i in range {
        uringlog::info!(logger, "record {}", i);
    }
}

fn child(spec: &str) -> ! {
    let mut it = spec.split(',');
    let (how, dir, log) = (it.next().unwrap(), it.next().unwrap(), it.next().unwrap());
    let how = Rotation::parse(how);
    let (logger, _guard) = Logger::builder()
        .reopen_on_signal(libc::SIGUSR1)
        .sink(hook(log, how, true))
        .sink(FileSink::new(log).unwrap())
        .sink(hook(log, how, false))
        .format(plain())
        .backend(Backend::Pwrite)
        .crash_safe(dir)
        .build()
        .unwrap();
    log_records(&logger, 0..3);
    // The writer commits records 0..3 when the pause ends, before it
    // reads records 3..6, all in its next batch.
    THREE.pass(|| {
        log_records(&logger, 3..6);
        if how == Rotation::RenameReopen {
            std::fs::rename(log, format!("{log}.1")).unwrap();
        }
    });
    if how == Rotation::CopyTruncate {
        SIX.pass(|| log_records(&logger, 6..9));
    }
    let _ = logger.flush();
    unreachable!("a hook sink ends the process");
}

/// Runs test `test`'s child rotating `how` with its crash-safe directory
/// `dir` and log `log`, and checks it was killed: its pid.
fn killed(test: &str, how: &str, dir: &std::path::Path, log: &std::path::Path) -> u32 {
    let spec = format!("{how},{},{}", dir.display(), log.display());
    let (pid, status) = run_self(test, CHILD, &spec);
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(libc::SIGKILL), "{status:?}");
    pid
}

/// What recovery writes for the three records of process `pid`'s batch
/// in flight from record `first`: its record, `said` after the counts,
/// then those records.
fn recovered(pid: u32, said: String, first: u32) -> Vec<String> {
    let mut want = vec![format!(
        "WARN  crash-safe recovery: 3 records recovered from process {pid} (generation 1), 0 torn or corrupt records skipped{said}"
    )];
    want.extend(records(first..first + 3));
    want
}

fn records(range: std::ops::Range<u32>) -> Vec<String> {
    range.map(|i| format!("INFO  record {i}")).collect()
}

/// Runs the child rotating `how`, recovers, and checks: the old file
/// holds records `old`, the log the recovery record (`cut` said of `log`
/// and `old`) and the three records after `old`.
fn scenario(test: &str, how: &str, old: std::ops::Range<u32>, cut: &str) {
    if let Ok(spec) = std::env::var(CHILD) {
        child(&spec);
    }
    let tmp = tempfile::tempdir().unwrap();
    let (dir, log) = (tmp.path().join("cs"), tmp.path().join("app.log"));
    let rotated = tmp.path().join("app.log.1");
    let pid = killed(test, how, &dir, &log);
    recover_plain(&dir, &log);
    let cut = cut
        .replace("LOG", &log.display().to_string())
        .replace("OLD", &rotated.display().to_string());
    let said = format!("; {cut} (a batch in flight at the crash, written again)");
    assert_eq!(read_lines(&log), recovered(pid, said, old.end));
    assert_eq!(read_lines(&rotated), records(old));
}

#[test]
fn renamed_and_recreated_then_sigkill_cuts_the_renamed_file() {
    // The batch written after the last commit is cut from the renamed
    // file and written to the new one.
    scenario(
        "renamed_and_recreated_then_sigkill_cuts_the_renamed_file",
        "rename",
        0..3,
        "LOG (now OLD) cut from 90 to 45 bytes",
    );
}

#[test]
fn renamed_and_reopened_then_sigkill_cuts_the_renamed_file() {
    scenario(
        "renamed_and_reopened_then_sigkill_cuts_the_renamed_file",
        "reopen",
        0..3,
        "LOG (now OLD) cut from 90 to 45 bytes",
    );
}

#[test]
fn copytruncate_then_sigkill_writes_each_record_once() {
    // Records 0..6 were committed before the copy; 6..9 went to the
    // truncated file after the last commit.
    scenario(
        "copytruncate_then_sigkill_writes_each_record_once",
        "copytruncate",
        0..6,
        "LOG cut from 45 to 0 bytes",
    );
}

/// The file the state names is now a FIFO (the log renamed away, a FIFO
/// put at its name, nobody reading it): recovery, into another file, must
/// not wait for a reader of the FIFO, and still cuts the renamed file.
#[test]
fn a_fifo_at_the_states_path_does_not_hang_recovery() {
    const NAME: &str = "a_fifo_at_the_states_path_does_not_hang_recovery";
    if let Ok(spec) = std::env::var(CHILD) {
        child(&spec);
    }
    let tmp = tempfile::tempdir().unwrap();
    let (dir, log) = (tmp.path().join("cs"), tmp.path().join("app.log"));
    let (rotated, new) = (tmp.path().join("app.log.1"), tmp.path().join("new.log"));
    let pid = killed(NAME, "fifo", &dir, &log);
    let (tx, rx) = std::sync::mpsc::channel();
    let (d, n) = (dir.clone(), new.clone());
    std::thread::spawn(move || tx.send(recover_plain(&d, &n)).unwrap());
    rx.recv_timeout(uringlog_tests::WATCHDOG)
        .expect("recovery waits for a reader of the FIFO");
    assert_eq!(read_lines(&rotated), records(0..3));
    let said = format!(
        "; {} (now {}) cut from 90 to 45 bytes (a batch in flight at the crash, written again)",
        log.display(),
        rotated.display()
    );
    assert_eq!(read_lines(&new), recovered(pid, said, 3));
}

/// A file of the log's directory whose name does not extend the log's
/// (`other.log`) holds the identity (dev, inode) the state names: an
/// inode number freed — the renamed log deleted by logrotate — and taken
/// by an unrelated file looks exactly like this (made here by renaming
/// the log there, which gives the same identity deterministically).
/// Recovery must not cut that file; the records of the batch in flight
/// are then in it and written again.
#[test]
fn a_file_under_an_unrelated_name_with_the_logs_identity_is_not_cut() {
    const NAME: &str = "a_file_under_an_unrelated_name_with_the_logs_identity_is_not_cut";
    if let Ok(spec) = std::env::var(CHILD) {
        child(&spec);
    }
    let tmp = tempfile::tempdir().unwrap();
    let (dir, log) = (tmp.path().join("cs"), tmp.path().join("app.log"));
    let other = tmp.path().join("other.log");
    let pid = killed(NAME, "away", &dir, &log);
    recover_plain(&dir, &log);
    assert_eq!(read_lines(&other), records(0..6));
    assert_eq!(read_lines(&log), recovered(pid, String::new(), 3));
}

/// The log was renamed (`.1`) and a new file created at its path, and
/// the recovery cannot list the log's directory (its first
/// `getdents64(2)` fails): it cannot find the renamed file to cut it, so
/// the batch in flight at the crash stays there and is written again —
/// which the recovery record must say, not pass over as if the file were
/// deleted.
#[test]
fn a_directory_that_cannot_be_listed_for_the_renamed_file_is_said() {
    const NAME: &str = "a_directory_that_cannot_be_listed_for_the_renamed_file_is_said";
    let fault = ("", "getdents64", "1");
    let (tmp, pid) = killed_then_recovered_failing(NAME, "rename", "app.log", fault);
    let (log, rotated) = (tmp.path().join("app.log"), tmp.path().join("app.log.1"));
    assert_eq!(read_lines(&rotated), records(0..6));
    let said = format!(
        "; {} not found at its path, and {} could not be listed to find it renamed: Input/output error (os error 5); if it was, records of the batch in flight at the crash may be in it twice",
        log.display(),
        tmp.path().display()
    );
    assert_eq!(read_lines(&log), recovered(pid, said, 3));
}

/// The log was renamed (`other.log`, a name that does not extend the
/// log's) and then its whole directory removed after the crash: there is
/// no directory to find a renamed log in, so the log is gone as a deleted
/// one is, and recovery says nothing of it. Before, it said the directory
/// "could not be listed to find it renamed: No such file or directory"
/// and that the batch in flight may be in it twice.
#[test]
fn a_log_whose_directory_was_removed_is_passed_over_as_deleted() {
    const NAME: &str = "a_log_whose_directory_was_removed_is_passed_over_as_deleted";
    if let Ok(spec) = std::env::var(CHILD) {
        child(&spec);
    }
    let tmp = tempfile::tempdir().unwrap();
    let (dir, logs) = (tmp.path().join("cs"), tmp.path().join("logs"));
    let (log, new) = (logs.join("app.log"), tmp.path().join("new.log"));
    std::fs::create_dir(&logs).unwrap();
    let pid = killed(NAME, "away", &dir, &log);
    std::fs::remove_dir_all(&logs).unwrap();
    recover_plain(&dir, &new);
    assert_eq!(read_lines(&new), recovered(pid, String::new(), 3));
}

/// The log was copied and truncated, the batch in flight went to it, and
/// the recovery cannot examine it at its path (every `statx(2)` of it
/// fails): it cannot tell the file there is the log to cut it, so the
/// batch stays in it and is written again (to another file here) — which
/// the recovery record must say, not pass over as if the file were
/// deleted.
#[test]
fn a_log_that_cannot_be_examined_at_its_path_is_said() {
    const NAME: &str = "a_log_that_cannot_be_examined_at_its_path_is_said";
    let fault = ("app.log", "statx", "1+");
    let (tmp, pid) = killed_then_recovered_failing(NAME, "copytruncate", "new.log", fault);
    let log = tmp.path().join("app.log");
    assert_eq!(read_lines(&log), records(6..9));
    let said = format!(
        "; {} cannot be examined: Input/output error (os error 5); if it is there, records of the batch in flight at the crash may be in it twice",
        log.display()
    );
    assert_eq!(
        read_lines(&tmp.path().join("new.log")),
        recovered(pid, said, 6)
    );
}

/// The log was renamed (`.1`) and a new file created at its path, and
/// the recovery finds the renamed file by its identity but cannot
/// examine it (every `statx(2)` of it fails): it cannot tell it is the
/// log to cut it, which the recovery record must say.
#[test]
fn a_renamed_log_that_cannot_be_examined_is_said() {
    const NAME: &str = "a_renamed_log_that_cannot_be_examined_is_said";
    let fault = ("app.log.1", "statx", "1+");
    let (tmp, pid) = killed_then_recovered_failing(NAME, "rename", "app.log", fault);
    let rotated = tmp.path().join("app.log.1");
    assert_eq!(read_lines(&rotated), records(0..6));
    let said = format!(
        "; {} cannot be examined: Input/output error (os error 5); if it is there, records of the batch in flight at the crash may be in it twice",
        rotated.display()
    );
    assert_eq!(
        read_lines(&tmp.path().join("app.log")),
        recovered(pid, said, 3)
    );
}

/// In test `test`: its child, rotating `how` (see [`killed`]) in a
/// temporary directory, killed; then a recovery into the file `into` of
/// that directory under `strace` (see `failing_start`), the calls of
/// `syscall` on `at` (a name in the directory, or the directory itself
/// for "") failing with `EIO` as `when` says, which must build. The
/// directory, and the dead child's pid.
fn killed_then_recovered_failing(
    test: &str,
    how: &str,
    into: &str,
    (at, syscall, when): (&str, &str, &str),
) -> (tempfile::TempDir, u32) {
    uringlog_tests::failing_start::child_if_asked();
    if let Ok(spec) = std::env::var(CHILD) {
        child(&spec);
    }
    let tmp = tempfile::tempdir().unwrap();
    let (dir, log) = (tmp.path().join("cs"), tmp.path().join("app.log"));
    let pid = killed(test, how, &dir, &log);
    let at = match at {
        "" => tmp.path().to_path_buf(),
        name => tmp.path().join(name),
    };
    let fault = (at.as_path(), syscall, "EIO");
    let into = tmp.path().join(into);
    let said = uringlog_tests::failing_start::start_failing_at(test, &dir, &into, fault, when);
    assert!(said.starts_with("BUILT ["), "{said}");
    (tmp, pid)
}
