//! A thread takes turns between two loggers (one crash-safe), call by
//! call, with records still in its rings, and forks: the child takes the
//! same turns through the handles it inherited, its cache last holding
//! the parent's producer of the second logger. Each child record goes to
//! its logger's successor in the child (never into an inherited ring),
//! each parent record once to the parent's: both files hold each
//! process's records once, in order, and each process counts its own.
//! The child then builds a logger of its own (on the quick route, as `a`)
//! and logs in runs through it and the inherited two: the cache keyed by
//! its logger serves its runs, and each logger still gets its records.

use uringlog::Logger;
use uringlog_sinks::FileSink;
use uringlog_tests::{read_lines, SHUTDOWN};

const PARENT: u64 = 200;
const CHILD: u64 = 1_000;

fn turns(a: &Logger, b: &Logger, who: &str, range: std::ops::Range<u64>) {
    for i in range {
        uringlog::info!(a, "{} a seq={} {}", who, i, u64::MAX);
        uringlog::info!(b, "{} b seq={} {}", who, i, -1i8);
    }
}

/// The `seq=` numbers of `who`'s lines in `lines`.
fn seqs(lines: &[String], who: &str) -> Vec<u64> {
    let tag = format!(" {who} ");
    (lines.iter())
        .filter(|l| l.contains(&tag))
        .map(|l| uringlog_tests::field(l, "seq=").unwrap())
        .collect()
}

/// Calls of the child's runs through each inherited logger.
const RUNS: u64 = 300;

/// In the child: a logger of its own at `c_log`, then runs of three calls
/// through it, one through `a`, two through it, one through `b`; whether
/// it got exactly its records, in order.
fn runs_with_a_logger_of_its_own(a: &Logger, b: &Logger, c_log: &std::path::Path) -> bool {
    let (c, gc) = Logger::builder()
        .sink(FileSink::new(c_log).unwrap())
        .build()
        .unwrap();
    let mut n = 0u64;
    for i in 0..RUNS {
        for _ in 0..3 {
            uringlog::info!(c, "c seq={} {}", n, u64::MAX);
            n += 1;
        }
        uringlog::info!(a, "runs a seq={} {}", i, u64::MAX);
        for _ in 0..2 {
            uringlog::info!(c, "c seq={} {}", n, u64::MAX);
            n += 1;
        }
        uringlog::info!(b, "runs b seq={} {}", i, -1i8);
    }
    drop(c);
    let Ok(s) = gc.shutdown(SHUTDOWN) else {
        return false;
    };
    let lines = read_lines(c_log);
    let seqs: Vec<u64> = (lines.iter())
        .filter_map(|l| uringlog_tests::field(l, "c seq="))
        .collect();
    (s.enqueued, s.written, s.dropped) == (n, n, 0)
        && lines.len() as u64 == n
        && seqs == (0..n).collect::<Vec<_>>()
}

#[test]
fn a_forked_child_alternating_two_inherited_loggers_logs_each_record_once() {
    let tmp = tempfile::tempdir().unwrap();
    let (a_log, b_log) = (tmp.path().join("a.log"), tmp.path().join("b.log"));
    let (a, ga) = Logger::builder()
        .sink(FileSink::new(&a_log).unwrap())
        .build()
        .unwrap();
    let (b, gb) = Logger::builder()
        .sink(FileSink::new(&b_log).unwrap())
        .crash_safe(tmp.path().join("cs"))
        .build()
        .unwrap();
    turns(&a, &b, "parent", 0..PARENT / 2);
    // SAFETY: the child only logs through the engine (no lock is held
    // across the fork by this thread) and leaves with _exit.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0);
    if pid == 0 {
        turns(&a, &b, "child", 0..CHILD);
        let own_c = runs_with_a_logger_of_its_own(&a, &b, &tmp.path().join("c.log"));
        let flushed = a.flush().is_ok() && b.flush().is_ok();
        let (sa, sb) = (a.stats(), b.stats());
        let n = CHILD + RUNS;
        let own = |s: uringlog::Stats| (s.enqueued, s.written, s.dropped) == (n, n, 0);
        let code = if flushed && own(sa) && own(sb) && own_c {
            0
        } else {
            1
        };
        // SAFETY: ends the child without running the parent's destructors.
        unsafe { libc::_exit(code) };
    }
    let mut status = 0;
    // SAFETY: waits for our own child.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "{status}"
    );
    turns(&a, &b, "parent", PARENT / 2..PARENT);
    for (g, log) in [(ga, &a_log), (gb, &b_log)] {
        let s = g.shutdown(SHUTDOWN).unwrap();
        assert_eq!((s.enqueued, s.written, s.dropped), (PARENT, PARENT, 0));
        let lines = read_lines(log);
        assert_eq!(
            lines.len() as u64,
            PARENT + CHILD + RUNS,
            "{}",
            log.display()
        );
        assert_eq!(seqs(&lines, "parent"), (0..PARENT).collect::<Vec<_>>());
        assert_eq!(seqs(&lines, "child"), (0..CHILD).collect::<Vec<_>>());
        assert_eq!(seqs(&lines, "runs"), (0..RUNS).collect::<Vec<_>>());
    }
    let a_lines = read_lines(&a_log);
    assert!(a_lines.iter().all(|l| l.contains(" a seq=")));
    assert!(read_lines(&b_log).iter().all(|l| l.contains(" b seq=")));
}
