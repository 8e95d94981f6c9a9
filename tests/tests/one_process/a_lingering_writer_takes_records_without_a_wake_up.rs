//! Out of work, the writer lingers (`Builder::linger_us`): it polls its
//! rings between short sleeps without registering as a sleeper, so a
//! record logged then costs its producer no wake-up syscall — and is still
//! written without a flush. Once the linger is over the writer sleeps
//! until woken, and a record then pays one wake-up (io_uring: at most one). Counted with
//! the wake protocol's own books (`writer_wake_counts`: registrations, and
//! notifies that claimed one and made the `futex` wake); both barriers,
//! both backends.

use uringlog::{Backend, Logger, WriterGuard, MAX_LINGER_US};
use uringlog_sinks::FileSink;
use uringlog_tests::{
    assert_one_wake_up_per_record, field, io_uring_available, read_lines, wait_for, SHUTDOWN,
};

/// Records of each trickle.
const RECORDS: u64 = 60;

#[derive(Clone, Copy, Debug)]
enum Fences {
    Membarrier,
    Fallback,
}

fn build(
    path: &std::path::Path,
    backend: Backend,
    fences: Fences,
    us: u64,
) -> (Logger, WriterGuard) {
    let mut b = Logger::builder()
        .sink(FileSink::new(path).unwrap())
        .backend(backend)
        .linger_us(us);
    if let Fences::Fallback = fences {
        b = b.test_wake_fence_fallback();
    }
    b.build().unwrap()
}

/// Shuts down and checks every record arrived once, in order.
fn finish(logger: Logger, guard: WriterGuard, path: &std::path::Path) {
    drop(logger);
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((s.enqueued, s.written, s.dropped), (RECORDS, RECORDS, 0));
    let seqs: Vec<u64> = read_lines(path)
        .iter()
        .map(|l| field(l, "seq=").unwrap())
        .collect();
    assert_eq!(seqs, (0..RECORDS).collect::<Vec<_>>());
}

/// Each record is logged once the previous one is written and the writer
/// has taken a lingering sleep since (it lingers for a minute, so it is
/// lingering): no record, and not the flush, wakes it with a syscall, and
/// it never registers to sleep.
fn into_a_lingering_writer(backend: Backend, fences: Fences) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("linger.log");
    let (logger, guard) = build(&path, backend, fences, MAX_LINGER_US);
    for i in 0..RECORDS {
        let lingered = logger.writer_linger_sleeps();
        wait_for("the writer never lingered", || {
            logger.writer_linger_sleeps() > lingered
        });
        uringlog::info!(logger, "linger seq={i}");
        wait_for(
            &format!("{backend:?}/{fences:?}: record {i} not written while lingering"),
            || logger.stats().written > i,
        );
    }
    logger.flush().unwrap();
    assert_eq!(
        logger.writer_wake_counts(),
        (0, 0),
        "{backend:?}/{fences:?}: (registrations, wake-up syscalls) of a lingering writer"
    );
    finish(logger, guard, &path);
}

#[test]
fn records_into_a_lingering_pwrite_writer_make_no_wake_up_syscall() {
    into_a_lingering_writer(Backend::Pwrite, Fences::Membarrier);
    into_a_lingering_writer(Backend::Pwrite, Fences::Fallback);
}

#[test]
fn records_into_a_lingering_io_uring_writer_make_no_wake_up_syscall() {
    if io_uring_available("records_into_a_lingering_io_uring_writer_make_no_wake_up_syscall") {
        into_a_lingering_writer(Backend::IoUring, Fences::Membarrier);
        into_a_lingering_writer(Backend::IoUring, Fences::Fallback);
    }
}

/// Each record is logged once the writer, its linger over, has registered
/// to sleep: each pays one wake-up (see `assert_one_wake_up_per_record`)
/// and is written without a flush.
fn after_the_linger(backend: Backend, us: u64) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("after.log");
    let (logger, guard) = build(&path, backend, Fences::Membarrier, us);
    for i in 0..RECORDS {
        wait_for("the writer never slept", || logger.writer_sleeping());
        uringlog::info!(logger, "after seq={i}");
        wait_for(
            &format!("{backend:?}, linger {us} µs: record {i} not written: lost wake-up"),
            || logger.stats().written > i,
        );
    }
    assert_one_wake_up_per_record(
        logger.writer_wake_counts(),
        RECORDS,
        backend,
        &format!("{backend:?}, linger {us} µs"),
    );
    if us == 0 {
        assert_eq!(
            logger.writer_linger_sleeps(),
            0,
            "linger off: never lingers"
        );
    }
    finish(logger, guard, &path);
}

#[test]
fn a_record_after_the_linger_ended_wakes_the_writer_once() {
    after_the_linger(Backend::Pwrite, 1_000);
    after_the_linger(Backend::Pwrite, 0);
    if io_uring_available("a_record_after_the_linger_ended_wakes_the_writer_once") {
        after_the_linger(Backend::IoUring, 1_000);
        after_the_linger(Backend::IoUring, 0);
    }
}
