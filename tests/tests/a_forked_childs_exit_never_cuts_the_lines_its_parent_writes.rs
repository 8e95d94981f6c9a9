//! A forked child logs a line through the logger it inherited and shuts
//! down while its parent goes on logging to the same file. Giving
//! preallocated blocks back truncates a file to the size read just
//! before; a child's sink did so at its close, and every line its parent
//! wrote between those two calls was cut, though counted written. Here
//! `strace` holds each `ftruncate` for two seconds at its entry, and the
//! parent, once a thread of the child sits there, logs ten lines, each
//! flushed: the file keeps all of them, since the child's sink (which
//! does not preallocate) never truncates.
//!
//! This test needs `strace` (`.ci/run` installs it): without it, it fails.

use std::process::Command;
use uringlog::Backend;
use uringlog_sinks::FileSink;
use uringlog_tests::{bare_line_logger, log_each_flushed, seq_line, wait_child, SHUTDOWN};

const CHILD: &str = "URINGLOG_FORKED_CHILD_CUT";
const TEST: &str = "a_forked_childs_exit_never_cuts_the_lines_its_parent_writes";
/// Whether a thread of process `pid` sits in `ftruncate`.
fn in_ftruncate(pid: libc::pid_t) -> bool {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task"));
    (tasks.into_iter().flatten().flatten()).any(|t| {
        let call = std::fs::read_to_string(t.path().join("syscall"));
        call.is_ok_and(|c| c.starts_with(&format!("{} ", libc::SYS_ftruncate)))
    })
}

/// Whether `pid` has exited (reaped, status 0).
fn exited(pid: libc::pid_t) -> bool {
    let mut status = 0;
    // SAFETY: `status` is a valid out-pointer; `pid` is our child.
    let r = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
    if r == pid {
        assert!(
            libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
            "{status:#x}"
        );
    }
    r == pid
}

/// Under strace: the parent's side, writing `<path>.result`.
fn parent_if_asked() {
    let Ok(path) = std::env::var(CHILD) else {
        return;
    };
    let path = std::path::PathBuf::from(path);
    let sink = FileSink::new(&path).unwrap().preallocate_bytes(1 << 20);
    let (logger, guard) = bare_line_logger(sink, Backend::Pwrite);
    assert!(log_each_flushed(&logger, 0..10).is_empty());
    // SAFETY: the child only logs through the engine (no lock is held
    // across the fork by this thread) and leaves with _exit.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0);
    if pid == 0 {
        uringlog::info!(logger, "child");
        let ok = guard.shutdown(SHUTDOWN).is_ok_and(|s| s.written == 1);
        // SAFETY: ends the child without running the parent's destructors.
        unsafe { libc::_exit(if ok { 0 } else { 1 }) };
    }
    let mut reaped = false;
    uringlog_tests::wait_for("the child at ftruncate, or gone", || {
        reaped = exited(pid);
        reaped || in_ftruncate(pid)
    });
    assert!(log_each_flushed(&logger, 10..20).is_empty());
    if !reaped {
        assert_eq!(wait_child(pid, "the child hung"), 0);
    }
    let s = guard.shutdown(SHUTDOWN).unwrap();
    let books = format!("written {} dropped {}", s.written, s.dropped);
    std::fs::write(path.with_extension("result"), books).unwrap();
    std::process::exit(0);
}

#[test]
fn a_forked_childs_exit_never_cuts_the_lines_its_parent_writes() {
    parent_if_asked();
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("app.log");
    let out = Command::new("strace")
        .args(["-f", "-qq", "-o", "/dev/null", "-e", "trace=ftruncate"])
        .args(["-e", "inject=ftruncate:delay_enter=2000000"])
        .arg(std::env::current_exe().unwrap())
        .args(["--exact", TEST, "--nocapture", "--test-threads=1"])
        .env(CHILD, &path)
        .output()
        .expect("this test needs strace");
    assert!(out.status.success(), "{out:?}");
    let books = std::fs::read_to_string(path.with_extension("result")).unwrap();
    assert_eq!(books, "written 20 dropped 0");
    let lines: Vec<String> = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    let parents: Vec<String> = (0..20).map(seq_line).collect();
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.contains("seq="))
            .cloned()
            .collect::<Vec<_>>(),
        parents
    );
    assert_eq!(lines.iter().filter(|l| *l == "INFO  child").count(), 1);
    assert_eq!(lines.len(), 21);
}
