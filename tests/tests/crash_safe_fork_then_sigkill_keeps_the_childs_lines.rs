//! Crash-safe mode and `fork`: a forked child logs through its own engine
//! to the same file (`FileSink` opens it again, appending). When the
//! parent dies by `SIGKILL`, recovery cuts the file back to the parent's
//! committed length only over what the parent wrote since: the child's
//! lines, appended after that commit, are not the parent's and stay;
//! every record of the parent's whose call returned is there once.
//!
//! The parent is this test binary re-executed: it logs, forks a child that
//! logs, flushes and dies (`_exit`, or `SIGKILL`), then dies by `SIGKILL`
//! — idle, or right after its last three records reached the file (a
//! hook sink after the file sink raises it), with no commit since the
//! child's lines (a sink first that settles nothing more keeps the writer
//! from committing, however it splits the three into batches).

use std::sync::atomic::{AtomicBool, Ordering};
use uringlog::{Backend, Logger};
use uringlog_sinks::FileSink;
use uringlog_tests::crash_child::{kill_self, plain, recover_plain, run_self, Holder, Hook};
use uringlog_tests::read_lines;

const PARENT: &str = "URINGLOG_FORK_KILL_PARENT";

/// Set by the busy parent after its child ended: no commit follows.
static HOLD: AtomicBool = AtomicBool::new(false);

/// The parent: `busy` logs a batch after the child is gone and dies with
/// it in the file; otherwise it dies idle. The child ends with `SIGKILL`
/// when `busy`, `_exit` otherwise.
fn parent(spec: &str) -> ! {
    let (busy, rest) = spec.split_once(',').unwrap();
    let (dir, log) = rest.split_once(',').unwrap();
    let busy = busy == "busy";
    let (logger, _guard) = Logger::builder()
        .sink(Holder::new(&HOLD))
        .sink(FileSink::new(log).unwrap())
        .sink(Hook::new(move |lines| {
            // The batch of the parent's last record (only the busy parent
            // logs it), however the writer split records 3..6.
            if lines.contains(&5) {
                kill_self()
            }
        }))
        .format(plain())
        .backend(Backend::Pwrite)
        .crash_safe(dir)
        .build()
        .unwrap();
    for i in 0..3 {
        uringlog::info!(logger, "parent {}", i);
    }
    // Written and committed: the writer commits right after it answers a
    // flush, so before it answers the next one.
    logger.flush().unwrap();
    logger.flush().unwrap();
    // SAFETY: the child logs and leaves by `_exit` or `SIGKILL`; this
    // thread holds no lock across the fork.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0);
    if pid == 0 {
        for i in 0..3 {
            uringlog::info!(logger, "child {}", i);
        }
        let ok = logger.flush().is_ok() && logger.stats().written == 3;
        if busy && ok {
            kill_self();
        }
        // SAFETY: ends the child without running the parent's destructors.
        unsafe { libc::_exit(if ok { 0 } else { 1 }) };
    }
    let mut status = 0;
    // SAFETY: waits for our own child.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    let want_kill = libc::WIFSIGNALED(status) && libc::WTERMSIG(status) == libc::SIGKILL;
    let want_exit = libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
    assert!(if busy { want_kill } else { want_exit }, "{status:#x}");
    if busy {
        HOLD.store(true, Ordering::SeqCst);
        for i in 3..6 {
            uringlog::info!(logger, "parent {}", i);
        }
        let _ = logger.flush();
        unreachable!("the killer sink ends the process");
    }
    kill_self()
}

/// Runs the parent, then recovers into `log`; returns the parent's pid.
fn run(test: &str, busy: bool) -> (tempfile::TempDir, std::path::PathBuf, u32) {
    if let Ok(spec) = std::env::var(PARENT) {
        parent(&spec);
    }
    let tmp = tempfile::tempdir().unwrap();
    let (dir, log) = (tmp.path().join("cs"), tmp.path().join("app.log"));
    let how = if busy { "busy" } else { "idle" };
    let spec = format!("{how},{},{}", dir.display(), log.display());
    let (pid, status) = run_self(test, PARENT, &spec);
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(libc::SIGKILL), "{status:?}");
    recover_plain(&dir, &log);
    (tmp, log, pid)
}

fn lines(who: &str, range: std::ops::Range<u32>) -> Vec<String> {
    range.map(|i| format!("INFO  {who} {i}")).collect()
}

#[test]
fn an_idle_parent_killed_after_its_child_logged_keeps_the_childs_lines() {
    let (_tmp, log, _) = run(
        "an_idle_parent_killed_after_its_child_logged_keeps_the_childs_lines",
        false,
    );
    let mut want = lines("parent", 0..3);
    want.extend(lines("child", 0..3));
    assert_eq!(read_lines(&log), want);
}

#[test]
fn a_parent_killed_with_a_batch_after_its_childs_lines_cuts_only_its_own() {
    let (_tmp, log, pid) = run(
        "a_parent_killed_with_a_batch_after_its_childs_lines_cuts_only_its_own",
        true,
    );
    let mut want = lines("parent", 0..3);
    want.extend(lines("child", 0..3));
    // The parent's three records since its commit: 15 bytes each.
    want.push(format!(
        "WARN  crash-safe recovery: 3 records recovered from process {pid} (generation 1), 0 torn or corrupt records skipped; {} cut from 132 to 87 bytes (a batch in flight at the crash, written again)",
        log.display()
    ));
    want.extend(lines("parent", 3..6));
    assert_eq!(read_lines(&log), want);
}

const SURVIVOR: &str = "URINGLOG_FORK_SURVIVOR_PARENT";

/// A forked child (a helper that never logs) outlives its parent, killed
/// by `SIGKILL`: the directory's lock goes with the parent, so the
/// service started again builds on the directory and recovers, while the
/// child still runs. (The child inherits the lock's descriptor; it gives
/// its reference up at the fork, the lock stays the parent's.)
#[test]
fn a_child_outliving_its_killed_parent_leaves_the_directory_free() {
    const NAME: &str = "a_child_outliving_its_killed_parent_leaves_the_directory_free";
    if let Ok(spec) = std::env::var(SURVIVOR) {
        let (dir, rest) = spec.split_once(',').unwrap();
        let (log, pid_file) = rest.split_once(',').unwrap();
        let (logger, _guard) = Logger::builder()
            .sink(FileSink::new(log).unwrap())
            .format(plain())
            .crash_safe(dir)
            .build()
            .unwrap();
        uringlog::info!(logger, "parent 0");
        // Written and committed (see `parent`).
        logger.flush().unwrap();
        logger.flush().unwrap();
        // SAFETY: the child only sleeps until it is killed.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0);
        if pid == 0 {
            loop {
                // SAFETY: waits for a signal; the test kills it.
                unsafe { libc::pause() };
            }
        }
        std::fs::write(pid_file, pid.to_string()).unwrap();
        // Logged, not written: the writer is parked until a flush or more.
        uringlog::info!(logger, "parent 1");
        kill_self();
    }
    let tmp = tempfile::tempdir().unwrap();
    let (dir, log) = (tmp.path().join("cs"), tmp.path().join("app.log"));
    let pid_file = tmp.path().join("child.pid");
    let spec = format!("{},{},{}", dir.display(), log.display(), pid_file.display());
    let (pid, status) = run_self(NAME, SURVIVOR, &spec);
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(libc::SIGKILL), "{status:?}");
    let child: i32 = std::fs::read_to_string(&pid_file).unwrap().parse().unwrap();
    let built = Logger::builder()
        .sink(FileSink::new(&log).unwrap())
        .format(plain())
        .crash_safe(&dir)
        .build();
    // SAFETY: the child is alive until now (nobody else reaps it).
    let alive = unsafe { libc::kill(child, 0) } == 0;
    // SAFETY: ends the helper child (reparented; init reaps it).
    unsafe { libc::kill(child, libc::SIGKILL) };
    assert!(alive, "the child ran while the directory was built on");
    let (logger, guard) = built.unwrap_or_else(|e| panic!("{e}"));
    drop(logger);
    guard.shutdown(uringlog_tests::SHUTDOWN).unwrap();
    let lines = read_lines(&log);
    assert_eq!(lines[0], "INFO  parent 0");
    // "parent 1" may have been written before the kill, or recovered.
    let rest: Vec<&str> = lines[1..].iter().map(|l| l.as_str()).collect();
    let recovered = format!(
        "WARN  crash-safe recovery: 1 records recovered from process {pid} (generation 1), 0 torn or corrupt records skipped"
    );
    assert!(
        rest == ["INFO  parent 1"] || rest == [recovered.as_str(), "INFO  parent 1"],
        "{lines:?}"
    );
}
