//! A process forks while another of its threads logs and calls
//! `flush_sync` in a loop. In the child, `flush_sync` before any record
//! returns at once, and after the child's records it returns once they
//! are in the file (the child's own engine syncs them); the parent's
//! calls go on answering. Async and sync mode.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use uringlog::{Logger, Mode};
use uringlog_sinks::FileSink;
use uringlog_tests::{read_lines, wait_child, SHUTDOWN};

const CHILD: u64 = 500;

fn scenario(mode: Mode) {
    let (_dir, path) = uringlog_tests::temp_log("fork.log");
    let (logger, guard) = Logger::builder()
        .sink(FileSink::new(&path).unwrap())
        .mode(mode)
        .build()
        .unwrap();
    uringlog::info!(logger, "parent seq={}", 0u64);
    let stop = AtomicBool::new(false);
    let parent = std::thread::scope(|s| {
        let busy = s.spawn(|| {
            let mut seq = 1u64;
            while !stop.load(Ordering::Relaxed) {
                uringlog::info!(logger, "parent seq={}", seq);
                logger.flush_sync().unwrap();
                seq += 1;
            }
            seq
        });
        std::thread::sleep(Duration::from_millis(10));
        // SAFETY: the child only logs and syncs through the engine (which
        // starts its own there) and leaves with _exit.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0);
        if pid == 0 {
            let code =
                std::panic::catch_unwind(|| child(&logger, &path)).map_or(2, |ok| i32::from(!ok));
            // SAFETY: ends the child without running the parent's destructors.
            unsafe { libc::_exit(code) };
        }
        let code = wait_child(pid, "the child hung");
        stop.store(true, Ordering::Relaxed);
        let logged = busy.join().unwrap();
        assert_eq!(
            code, 0,
            "{mode:?}: the child's flush_sync failed its checks"
        );
        logged
    });
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!(
        (s.enqueued, s.written, s.dropped),
        (parent, parent, 0),
        "{mode:?}"
    );
    let lines = read_lines(&path);
    let seqs = |who: &str| -> Vec<u64> {
        (lines.iter())
            .filter(|l| l.contains(who))
            .map(|l| uringlog_tests::field(l, "seq=").unwrap())
            .collect()
    };
    assert_eq!(
        seqs("parent seq="),
        (0..parent).collect::<Vec<_>>(),
        "{mode:?}"
    );
    assert_eq!(
        seqs("child seq="),
        (0..CHILD).collect::<Vec<_>>(),
        "{mode:?}"
    );
}

/// The child's checks; 0 when they hold.
fn child(logger: &Logger, path: &std::path::Path) -> bool {
    if logger.flush_sync() != Ok(()) {
        return false;
    }
    for seq in 0..CHILD {
        uringlog::info!(logger, "child seq={}", seq);
    }
    if logger.flush_sync_timeout(Duration::from_secs(20)) != Ok(()) {
        return false;
    }
    let s = logger.stats();
    let in_file = (read_lines(path).iter())
        .filter(|l| l.contains("child seq="))
        .count() as u64;
    (s.enqueued, s.written, s.dropped, s.syncs > 0, in_file) == (CHILD, CHILD, 0, true, CHILD)
}

#[test]
fn async_mode_flush_sync_in_a_forked_child_syncs_the_childs_records() {
    scenario(Mode::Async);
}

#[test]
fn sync_mode_flush_sync_in_a_forked_child_syncs_the_childs_records() {
    scenario(Mode::Sync);
}
