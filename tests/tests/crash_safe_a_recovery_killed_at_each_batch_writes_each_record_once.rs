//! A crash-safe recovery that is itself killed (`SIGKILL`) part way, at
//! its first, second, … batch, again and again on the same directory: each
//! next start cuts exactly what the killed attempts appended, and the last
//! one leaves each record in the file once, in order, after one recovery
//! record.
//!
//! The first child commits records 0..3 and dies with records 3..N in its
//! ring, not written. Each next child recovers into the same file through
//! a file sink and then a hook sink that kills it at batch `k`.

use std::sync::atomic::{AtomicBool, Ordering};
use uringlog::{Backend, Logger};
use uringlog_sinks::FileSink;
use uringlog_tests::crash_child::{
    kill_child, kill_self, plain, recover_plain, run_self, Dead, Hook,
};
use uringlog_tests::{read_lines, wait_for};

const CHILD: &str = "URINGLOG_KILLED_RECOVERY_CHILD";
const AGAIN: &str = "URINGLOG_KILLED_RECOVERY_AGAIN";
/// Records logged: enough for a recovery to take several batches.
const N: u32 = 40_000;

static FLUSHED: AtomicBool = AtomicBool::new(false);
static LOGGED: AtomicBool = AtomicBool::new(false);

fn die(dir: &str, log: &str) -> ! {
    let (logger, _guard) = Logger::builder()
        .sink(Hook::new(|_| {
            if FLUSHED.load(Ordering::SeqCst) {
                wait_for("every record", || LOGGED.load(Ordering::SeqCst));
                kill_self()
            }
        }))
        .sink(FileSink::new(log).unwrap())
        .format(plain())
        .backend(Backend::Pwrite)
        .ring_capacity(1 << 23)
        .crash_safe(dir)
        .build()
        .unwrap();
    for i in 0..3 {
        uringlog::info!(logger, "record {}", i);
    }
    logger.flush().unwrap();
    FLUSHED.store(true, Ordering::SeqCst);
    for i in 3..N {
        uringlog::info!(logger, "record {}", i);
    }
    LOGGED.store(true, Ordering::SeqCst);
    let _ = logger.flush();
    unreachable!("the hook kills at the next batch");
}

/// A recovering child: killed by its hook at batch `k` (`dir,log,k`).
fn recover_then_die(spec: &str) -> ! {
    let mut it = spec.split(',');
    let (dir, log) = (it.next().unwrap(), it.next().unwrap());
    let k: u32 = it.next().unwrap().parse().unwrap();
    let first: bool = it.next().unwrap() == "first";
    let end = it.next().unwrap().to_owned();
    let mut batches = 0;
    let hook = Hook::new(move |_| {
        batches += 1;
        if batches == k {
            end_by(&end)
        }
    });
    let b = Logger::builder()
        .format(plain())
        .backend(Backend::Pwrite)
        .crash_safe(dir);
    let b = match first {
        true => b.sink(hook).sink(FileSink::new(log).unwrap()),
        false => b.sink(FileSink::new(log).unwrap()).sink(hook),
    };
    match b.build() {
        // Recovery took fewer than `k` batches: say so by the exit code.
        Ok(built) => {
            drop(built);
            std::process::exit(3)
        }
        Err(e) => {
            eprintln!("recovery failed: {e}");
            std::process::exit(4)
        }
    }
}

/// Ends this process as `how` says, from the writer thread (in the hook)
/// or from another thread while the writer goes on.
fn end_by(how: &str) {
    match how {
        "kill" => kill_self(),
        "exit" => std::process::exit(7),
        // SAFETY: abort ends the process.
        "abort" => unsafe { libc::abort() },
        "exit_elsewhere" => {
            std::thread::spawn(|| std::process::exit(7));
        }
        // A child forked from the writer thread outlives this process:
        // the next start must find the directory free all the same.
        "fork_then_kill" => {
            // SAFETY: the child only sleeps and leaves by `_exit`.
            if unsafe { libc::fork() } == 0 {
                std::thread::sleep(std::time::Duration::from_secs(3));
                // SAFETY: ends the child without running the parent's hooks.
                unsafe { libc::_exit(0) };
            }
            kill_self()
        }
        _ => unreachable!("{how}"),
    }
}

fn check(name: &str, order: &str) {
    check_ending(name, order, "kill");
}

fn check_ending(name: &str, order: &str, end: &str) {
    if let Ok(spec) = std::env::var(AGAIN) {
        recover_then_die(&spec);
    }
    let Dead {
        tmp: _tmp,
        dir,
        log,
        pid,
    } = kill_child(name, CHILD, die);
    let committed: Vec<String> = (0..3).map(|i| format!("INFO  record {i}")).collect();
    assert_eq!(read_lines(&log), committed);
    let mut killed = 0;
    for k in [1, 2, 1, 3, 2, 5, 1] {
        let spec = format!("{},{},{k},{order},{end}", dir.display(), log.display());
        let (_, status) = run_self(name, AGAIN, &spec);
        use std::os::unix::process::ExitStatusExt;
        match (status.signal(), status.code()) {
            (Some(libc::SIGKILL), _) if end == "kill" || end == "fork_then_kill" => killed += 1,
            (Some(libc::SIGABRT), _) if end == "abort" => killed += 1,
            (_, Some(7)) if end.starts_with("exit") => killed += 1,
            _ => assert_eq!(status.code(), Some(3), "{status:?}"),
        }
    }
    assert!(killed >= 3, "only {killed} recoveries were killed");
    recover_plain(&dir, &log);
    let lines = read_lines(&log);
    assert_eq!(lines[..3], committed[..]);
    let head = format!(
        "WARN  crash-safe recovery: {} records recovered from process {pid} (generation 1), 0 torn or corrupt records skipped",
        N - 3
    );
    assert!(lines[3].starts_with(&head), "{}", lines[3]);
    let want: Vec<String> = (3..N).map(|i| format!("INFO  record {i}")).collect();
    assert_eq!(
        lines.len(),
        4 + want.len(),
        "{:?}",
        &lines[..8.min(lines.len())]
    );
    assert!(lines[4..] == want[..], "records 3..N once, in order");
}

#[test]
fn a_recovery_killed_after_its_file_writes_is_cut_exactly() {
    check(
        "a_recovery_killed_after_its_file_writes_is_cut_exactly",
        "after",
    );
}

#[test]
fn a_recovery_that_exits_in_its_sink_is_cut_exactly() {
    check_ending(
        "a_recovery_that_exits_in_its_sink_is_cut_exactly",
        "after",
        "exit",
    );
}

#[test]
fn a_recovery_that_aborts_in_its_sink_is_cut_exactly() {
    check_ending(
        "a_recovery_that_aborts_in_its_sink_is_cut_exactly",
        "after",
        "abort",
    );
}

#[test]
fn a_recovery_exited_from_another_thread_is_cut_exactly() {
    check_ending(
        "a_recovery_exited_from_another_thread_is_cut_exactly",
        "after",
        "exit_elsewhere",
    );
}

#[test]
fn a_recovery_killed_with_a_forked_child_alive_is_cut_exactly() {
    let name = "a_recovery_killed_with_a_forked_child_alive_is_cut_exactly";
    check_ending(name, "after", "fork_then_kill");
}

#[test]
fn a_recovery_killed_before_its_file_writes_is_cut_exactly() {
    check(
        "a_recovery_killed_before_its_file_writes_is_cut_exactly",
        "first",
    );
}
