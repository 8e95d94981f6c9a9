//! `fork()` right after a burst and a pause of about a millisecond — the
//! pause makes the next call on the forking thread rebase its emptied byte
//! ring (`ring::bytes`), in the parent and, through what it inherited, in
//! the child. The child logs at once, the parent right after the fork,
//! both into the same file; then each logs again after a second pause.
//! Every record of both processes is in the file exactly once, whole and
//! in its process's order, and each process counts exactly its own
//! (the fork docs: the child logs as a fresh process). Both backends,
//! with a small ring so that records wrap around it, deferred and
//! pre-formatted records mixed; with the ring emptied by a flush before
//! the pause, and left to the writer to empty during it; the child
//! leaving with `_exit` after a flush, or with `exit` (whose hook drains
//! its records).

use std::time::Duration;
use uringlog::{Backend, Format, Level, Logger, Timestamp};
use uringlog_sinks::FileSink;
use uringlog_tests::{read_lines, wait_child, SHUTDOWN};

const BURST: u64 = 37;
const AFTER: u64 = 150;
const ROUNDS: u64 = 6;
const PAD: &str = "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz";

fn pause() {
    std::thread::sleep(Duration::from_micros(1_200));
}

/// Logs record `seq` of `who`, deferred or pre-formatted by turns.
fn log(logger: &Logger, who: &str, seq: u64) {
    let pad = &PAD[..(seq % 71) as usize];
    if seq % 3 == 0 {
        logger.log(
            Level::Info,
            "t",
            format_args!("who={who} seq={seq} pad={pad}"),
        );
    } else {
        uringlog::info!(logger, "who={} seq={} pad={}", who, seq, pad);
    }
}

fn line(who: &str, seq: u64) -> String {
    format!(
        "INFO  who={who} seq={seq} pad={}",
        &PAD[..(seq % 71) as usize]
    )
}

/// Logs `n` records of `who` from `from` on, in a burst, then pauses.
fn burst(logger: &Logger, who: &str, from: u64, n: u64) {
    for seq in from..from + n {
        log(logger, who, seq);
    }
    pause();
}

fn scenario(backend: Backend, flush_first: bool, dir: &std::path::Path) {
    let what = format!("{backend:?}, flush before the pause {flush_first}");
    let path = dir.join(format!("{backend:?}-{flush_first}.log"));
    let (logger, guard) = Logger::builder()
        .sink(FileSink::new(&path).unwrap())
        .format(Format::text().timestamp(Timestamp::Off).without_target())
        .backend(backend)
        .ring_capacity(4096)
        .build()
        .unwrap();
    let mut expected = Vec::new();
    let mut parent = 0;
    for round in 0..ROUNDS {
        for seq in parent..parent + BURST {
            log(&logger, "parent", seq);
        }
        parent += BURST;
        if flush_first {
            logger.flush().unwrap();
        }
        pause();
        let child = format!("child{round}");
        // SAFETY: the child only logs, flushes and leaves with _exit, or
        // with exit (every other round).
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork: {}", std::io::Error::last_os_error());
        if pid == 0 {
            burst(&logger, &child, 0, AFTER);
            burst(&logger, &child, AFTER, AFTER);
            if round % 2 == 1 {
                // No flush: the exit hook drains the child's records.
                std::process::exit(0);
            }
            let flushed = logger.flush().is_ok();
            let s = logger.stats();
            let ok = flushed && (s.enqueued, s.written, s.dropped) == (2 * AFTER, 2 * AFTER, 0);
            // SAFETY: ends the child without running the parent's destructors.
            unsafe { libc::_exit(if ok { 0 } else { 1 }) };
        }
        burst(&logger, "parent", parent, AFTER);
        burst(&logger, "parent", parent + AFTER, AFTER);
        parent += 2 * AFTER;
        assert_eq!(
            wait_child(pid, &format!("{what}: the child hung")),
            0,
            "{what}: the child's flush failed or its books are off"
        );
        expected.push((child, 2 * AFTER));
    }
    expected.push(("parent".to_owned(), parent));
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!(
        (s.enqueued, s.written, s.dropped),
        (parent, parent, 0),
        "{what}"
    );

    let lines = read_lines(&path);
    let total: u64 = expected.iter().map(|(_, n)| n).sum();
    assert_eq!(lines.len() as u64, total, "{what}");
    for (who, n) in expected {
        let key = format!("INFO  who={who} ");
        let got: Vec<&String> = lines.iter().filter(|l| l.starts_with(&key)).collect();
        assert_eq!(got.len() as u64, n, "{what}: records of {who}");
        for (seq, l) in got.into_iter().enumerate() {
            assert_eq!(*l, line(&who, seq as u64), "{what}");
        }
    }
}

#[test]
fn a_fork_after_a_burst_and_a_pause_keeps_every_record() {
    let dir = tempfile::tempdir().unwrap();
    for backend in uringlog_tests::backends("a_fork_after_a_burst_and_a_pause_keeps_every_record") {
        for flush_first in [true, false] {
            scenario(backend, flush_first, dir.path());
        }
    }
}
