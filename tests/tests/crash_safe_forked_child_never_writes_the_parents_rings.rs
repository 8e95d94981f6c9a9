//! Crash-safe mode after `fork`: the child shares the parent's ring files
//! (`MAP_SHARED`), so a record it logs must not land in them — it would be
//! written by the parent's writer and collide with the parent's next
//! record. The child logs as a fresh process does: through its own
//! engine, whose rings are in memory (the directory is the parent's), to
//! the same file, which `FileSink` opens again for the child. The parent
//! counts exactly its own records.

use std::time::Duration;
use uringlog::{Format, Logger, Timestamp};
use uringlog_sinks::FileSink;
use uringlog_tests::read_lines;

#[test]
fn a_forked_child_logs_nothing_into_the_parents_rings() {
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("app.log");
    let (logger, guard) = Logger::builder()
        .sink(FileSink::new(&log).unwrap())
        .crash_safe(tmp.path().join("cs"))
        .build()
        .unwrap();
    uringlog::info!(logger, "parent before");
    logger.flush().unwrap();
    // SAFETY: the child only logs (no lock is held across the fork by
    // this thread) and leaves with _exit.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0);
    if pid == 0 {
        for i in 0..1000 {
            uringlog::info!(logger, "child {}", i);
        }
        let flushed = logger.flush().is_ok();
        let s = logger.stats();
        let ok = flushed && (s.enqueued, s.written, s.dropped) == (1000, 1000, 0);
        let code = if ok { 0 } else { 1 };
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
    uringlog::info!(logger, "parent after");
    let s = guard.shutdown(Duration::from_secs(30)).unwrap();
    assert_eq!((s.enqueued, s.written, s.dropped), (2, 2, 0));
    let lines = read_lines(&log);
    assert_eq!(lines.len(), 1002, "{lines:?}");
    assert!(lines[0].ends_with("parent before"), "{}", lines[0]);
    for (i, l) in lines[1..1001].iter().enumerate() {
        assert!(l.ends_with(&format!("child {i}")), "{l}");
    }
    assert!(lines[1001].ends_with("parent after"), "{}", lines[1001]);
}

/// A forked child that builds a crash-safe logger of its own (another
/// directory) logs through it normally: only the rings it inherited are
/// out of bounds, not crash-safe mode.
#[test]
fn a_forked_child_can_build_its_own_crash_safe_logger() {
    let tmp = tempfile::tempdir().unwrap();
    let (logger, guard) = Logger::builder()
        .sink(FileSink::new(tmp.path().join("parent.log")).unwrap())
        .crash_safe(tmp.path().join("parent"))
        .build()
        .unwrap();
    uringlog::info!(logger, "parent");
    let child_log = tmp.path().join("child.log");
    // SAFETY: the child builds a logger, logs and leaves with _exit; no
    // lock is held across the fork by this thread.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0);
    if pid == 0 {
        let ok = (|| {
            let (own, guard) = Logger::builder()
                .sink(FileSink::new(&child_log).ok()?)
                .crash_safe(tmp.path().join("child"))
                .build()
                .ok()?;
            for i in 0..100 {
                uringlog::info!(own, "child {}", i);
            }
            let s = guard.shutdown(Duration::from_secs(30)).ok()?;
            Some((s.enqueued, s.written, s.dropped) == (100, 100, 0))
        })();
        // SAFETY: ends the child without running the parent's destructors.
        unsafe { libc::_exit(if ok == Some(true) { 0 } else { 1 }) };
    }
    let mut status = 0;
    // SAFETY: waits for our own child.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "{status}"
    );
    let lines = read_lines(&child_log);
    assert_eq!(lines.len(), 100, "{lines:?}");
    for (i, l) in lines.iter().enumerate() {
        assert!(l.ends_with(&format!("child {i}")), "{l}");
    }
    let s = guard.shutdown(Duration::from_secs(30)).unwrap();
    assert_eq!((s.enqueued, s.written, s.dropped), (1, 1, 0));
}

/// A fork right after a call site's first record, which took the slow
/// path (the site was not yet in the directory's table) and may still be
/// pending in the ring: the child logs through that site and a new one,
/// with bodies around the crc's inline limit (16 words), and the parent
/// goes on through both after it. Each record is in the file once, the
/// parent's in its order, and the parent counts only its own.
#[test]
fn a_child_forked_right_after_a_new_call_sites_first_record_logs_only_its_own() {
    const PAD: &str = "................................................................................................................................";
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("app.log");
    let (logger, guard) = Logger::builder()
        .sink(FileSink::new(&log).unwrap())
        .format(Format::text().timestamp(Timestamp::Off).without_target())
        .crash_safe(tmp.path().join("cs"))
        .ring_capacity(4096)
        .build()
        .unwrap();
    let site_a =
        |who: &str, i: usize| uringlog::info!(logger, "a {} {} {}", who, i, &PAD[..i % 129]);
    site_a("parent", 0);
    // SAFETY: the child only logs (no lock is held across the fork by
    // this thread) and leaves with _exit.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0);
    if pid == 0 {
        for i in 0..300 {
            site_a("child", i);
            uringlog::info!(logger, "b {} {} {}", "child", i, &PAD[..i * 7 % 129]);
        }
        let flushed = logger.flush().is_ok();
        let s = logger.stats();
        let ok = flushed && (s.enqueued, s.written, s.dropped) == (600, 600, 0);
        // SAFETY: ends the child without running the parent's destructors.
        unsafe { libc::_exit(if ok { 0 } else { 1 }) };
    }
    let mut status = 0;
    // SAFETY: waits for our own child.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "{status}"
    );
    for i in 1..300 {
        site_a("parent", i);
        uringlog::info!(logger, "b {} {} {}", "parent", i, &PAD[..i * 7 % 129]);
    }
    let s = guard.shutdown(Duration::from_secs(30)).unwrap();
    assert_eq!((s.enqueued, s.written, s.dropped), (599, 599, 0));
    let lines = read_lines(&log);
    let msgs: Vec<&str> = lines
        .iter()
        .map(|l| l.split_once("INFO  ").unwrap().1)
        .collect();
    let parent: Vec<&str> = msgs
        .iter()
        .copied()
        .filter(|m| m.contains(" parent "))
        .collect();
    let mut want = vec![format!("a parent 0 {}", &PAD[..0])];
    for i in 1..300 {
        want.push(format!("a parent {i} {}", &PAD[..i % 129]));
        want.push(format!("b parent {i} {}", &PAD[..i * 7 % 129]));
    }
    assert_eq!(parent, want);
    let child: Vec<&str> = msgs
        .iter()
        .copied()
        .filter(|m| m.contains(" child "))
        .collect();
    let want: Vec<String> = (0..300)
        .flat_map(|i| {
            [
                format!("a child {i} {}", &PAD[..i % 129]),
                format!("b child {i} {}", &PAD[..i * 7 % 129]),
            ]
        })
        .collect();
    assert_eq!(child, want);
    assert_eq!(lines.len(), 1199);
}
