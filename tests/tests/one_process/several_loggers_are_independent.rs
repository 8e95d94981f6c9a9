//! Several loggers in one process: each gets its own records, counters,
//! level and lifetime, even when one thread logs to all of them.

use uringlog::{Level, Logger, MemorySink};
use uringlog_tests::SHUTDOWN;

#[test]
fn several_loggers_are_independent() {
    let (s1, o1) = MemorySink::new();
    let (s2, o2) = MemorySink::new();
    let (a, ga) = Logger::builder()
        .sink(s1)
        .level(Level::Debug)
        .build()
        .unwrap();
    let (b, gb) = Logger::builder()
        .sink(s2)
        .level(Level::Warn)
        .build()
        .unwrap();
    for i in 0..100 {
        uringlog::debug!(a, "a{i}");
        uringlog::debug!(b, "b-debug{i}");
        uringlog::warn!(b, "b{i}");
    }
    let sa = ga.shutdown(SHUTDOWN).unwrap();
    // `b` keeps working after `a` shut down.
    uringlog::warn!(b, "b-last");
    let sb = gb.shutdown(SHUTDOWN).unwrap();
    assert_eq!((sa.enqueued, sa.written), (100, 100));
    assert_eq!((sb.enqueued, sb.written), (101, 101));
    assert!(o1
        .lines()
        .iter()
        .all(|l| l.contains("DEBUG") && l.contains(": a")));
    assert!(o2
        .lines()
        .iter()
        .all(|l| l.contains("WARN") && l.contains(": b")));
    assert_eq!(
        o2.lines().last().unwrap().split(": ").last(),
        Some("b-last")
    );
}
