//! `Logger::writer_waits_for_slot` says the writer is blocked until an
//! I/O write in flight completes, before it can hand the backend its next
//! batch (and blocked producers stop spinning for it meanwhile). It must
//! say so for every such wait — `Backend::Auto` switching away from
//! io_uring waits for its writes in flight as well as a full io_uring
//! does — and never after the wait ended, however it ended: a sink that
//! panics when told of the completion it waited for, a shutdown that gave
//! up on it. The writes stay in flight in a full pipe until it is read.

use std::io;
use std::os::fd::OwnedFd;
use std::sync::Arc;
use std::time::Duration;
use uringlog::{
    Backend, BackendKind, FlushError, Format, Logger, ShutdownError, Sink, Target, Timestamp,
    WriteOutcome, WriterGuard,
};
use uringlog_sinks::StreamSink;
use uringlog_tests::pipe::{fill, pipe, read_all, shrink, FILLER};
use uringlog_tests::{field, io_uring_available, wait_for, SHUTDOWN};

/// `auto::ROUND_BATCHES`: batches in a turn of `Backend::Auto`'s trial.
const TURN: u64 = 4;

/// Writes to a pipe and panics when told how a write went.
struct PanicsWhenToldOfAWrite {
    fd: Arc<OwnedFd>,
}

impl Sink for PanicsWhenToldOfAWrite {
    fn describe(&self) -> String {
        "panics when told of a write".to_owned()
    }
    fn target(&mut self, _len: usize) -> io::Result<Target> {
        Ok(Target::Stream {
            fd: self.fd.clone(),
        })
    }
    fn on_write(&mut self, _outcome: &WriteOutcome<'_>) {
        panic!("told of a write, on purpose");
    }
}

/// Logs `line` and waits until the writer handed its batch to the backend
/// (`submits` in all) and went to sleep.
fn one_batch(logger: &Logger, line: &str, submits: u64) {
    uringlog::info!(logger, "{line}");
    wait_for(&format!("{line}: never submitted"), || {
        logger.stats().io_submits == submits && logger.writer_sleeping()
    });
    assert!(
        !logger.writer_waits_for_slot(),
        "{line}: asleep, not waiting"
    );
}

/// A logger writing to `sink` (a full pipe) through io_uring with one
/// I/O slot, once the writer waits for it: its first batch (`seq=0`) is
/// in flight, its second (`seq=1`) waits.
fn waiting_for_its_one_slot(sink: impl Sink + 'static) -> (Logger, WriterGuard) {
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .backend(Backend::IoUring)
        .io_depth(1)
        .linger_us(0)
        .build()
        .unwrap();
    one_batch(&logger, "first seq=0", 1);
    uringlog::info!(logger, "second seq=1");
    wait_for("the writer never waited for its one slot", || {
        logger.writer_waits_for_slot()
    });
    (logger, guard)
}

#[test]
fn a_sink_that_panics_when_its_write_completes_leaves_no_wait_behind() {
    if !io_uring_available("a_sink_that_panics_when_its_write_completes_leaves_no_wait_behind") {
        return;
    }
    let (read, write) = pipe();
    fill(&write);
    let sink = PanicsWhenToldOfAWrite {
        fd: Arc::new(write),
    };
    let (logger, guard) = waiting_for_its_one_slot(sink);
    // The first write completes; the sink panics in the writer's wait.
    let reader = read_all(read);
    let err = guard.shutdown(SHUTDOWN).unwrap_err();
    let ShutdownError::WriterPanicked { stats } = err else {
        panic!("{err:?}");
    };
    // Failed before: the flag stayed set for good.
    assert!(
        !logger.writer_waits_for_slot(),
        "a dead writer waits for a slot"
    );
    assert_eq!((stats.enqueued, stats.written, stats.dropped), (2, 1, 1));
    drop(logger);
    let text = reader.join().unwrap();
    let lines: Vec<&str> = text.lines().filter(|l| *l != FILLER.trim_end()).collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(field(lines[0], "seq="), Some(0));
}

#[test]
fn a_shutdown_that_gives_up_on_a_wait_for_a_slot_ends_it() {
    if !io_uring_available("a_shutdown_that_gives_up_on_a_wait_for_a_slot_ends_it") {
        return;
    }
    let (_read, write) = pipe();
    fill(&write);
    let (logger, guard) = waiting_for_its_one_slot(StreamSink::new(write, "pipe"));
    // Nobody reads the pipe: shutdown gives up and cancels the write.
    let err = guard.shutdown(Duration::from_millis(100)).unwrap_err();
    assert!(matches!(err, ShutdownError::Timeout { .. }), "{err:?}");
    wait_for("the wait for a slot outlived the shutdown", || {
        !logger.writer_waits_for_slot()
    });
    wait_for("the books never balanced", || {
        let s = logger.stats();
        s.enqueued == 2 && s.written + s.dropped == 2
    });
}

/// `Backend::Auto` writing to a pipe nobody reads, once pwrite's first
/// turn landed in it and io_uring's first turn (`TURN` batches) is in
/// flight, the pipe full: the logger, its guard, the pipe's read end, the
/// next `seq`, the pipe's size and the bytes pwrite's turn wrote.
fn auto_with_io_urings_turn_in_flight() -> (Logger, WriterGuard, std::fs::File, u64, usize, usize) {
    let (read, write) = pipe();
    let size = shrink(&write);
    let writer_end = write.try_clone().unwrap();
    let (logger, guard) = Logger::builder()
        .sink(StreamSink::new(write, "pipe"))
        .backend(Backend::Auto)
        .io_depth(8)
        .linger_us(0)
        .format(Format::text().timestamp(Timestamp::Off))
        .build()
        .unwrap();
    let info = logger.io_backend();
    assert_eq!(info.kind, BackendKind::Measuring, "{info}");
    let mut seq = 0;
    // pwrite's turn: its writes land in the pipe, which nobody reads.
    for _ in 0..TURN {
        one_batch(&logger, &format!("pwrite seq={seq}"), seq + 1);
        seq += 1;
    }
    // The rest of the pipe, to the brim: io_uring's writes stay in flight.
    let landed = logger.stats().bytes_written as usize;
    let rest = FILLER.repeat(size / FILLER.len());
    let mut w = std::fs::File::from(writer_end);
    io::Write::write_all(&mut w, &rest.as_bytes()[..size - landed]).unwrap();
    drop(w);
    // io_uring's turn: four writes in flight, of eight slots.
    for _ in 0..TURN {
        one_batch(&logger, &format!("io_uring seq={seq}"), seq + 1);
        seq += 1;
    }
    (logger, guard, read, seq, size, landed)
}

#[test]
fn auto_switching_away_from_io_uring_says_it_waits_for_its_writes() {
    if !io_uring_available("auto_switching_away_from_io_uring_says_it_waits_for_its_writes") {
        return;
    }
    let (logger, guard, read, seq, _, _) = auto_with_io_urings_turn_in_flight();
    // The next batch is pwrite's turn again: the switch waits for them.
    uringlog::info!(logger, "after the switch seq={seq}");
    // Failed before: the writer waited, saying neither.
    wait_for("the switch's wait was not said", || {
        logger.writer_waits_for_slot()
    });
    let reader = read_all(read);
    drop(logger);
    let s = guard.shutdown(SHUTDOWN).unwrap();
    let n = seq + 1;
    assert_eq!((s.enqueued, s.written, s.dropped), (n, n, 0));
    let text = reader.join().unwrap();
    let seqs: Vec<u64> = text.lines().filter_map(|l| field(l, "seq=")).collect();
    assert_eq!(seqs, (0..n).collect::<Vec<_>>());
}

/// `Block` producers on small rings wait for room while the writer waits
/// for its one I/O slot: once the pipe is read, the writer's wait ends,
/// it frees their rings and wakes them — none misses its wake-up for
/// having parked while the writer was in the kernel. Every record
/// arrives, in order per thread.
#[test]
fn block_producers_parked_while_the_writer_waits_for_a_slot_are_woken() {
    if !io_uring_available("block_producers_parked_while_the_writer_waits_for_a_slot_are_woken") {
        return;
    }
    const THREADS: u64 = 2;
    const PER_THREAD: u64 = 200;
    let (read, write) = pipe();
    let filled = fill(&write);
    let (logger, guard) = Logger::builder()
        .sink(StreamSink::new(write, "pipe"))
        .backend(Backend::IoUring)
        .io_depth(1)
        .policy(uringlog::Policy::Block)
        .ring_capacity(1024)
        .batch_size(4)
        .build()
        .unwrap();
    let reader = std::thread::scope(|s| {
        for t in 0..THREADS {
            let logger = logger.clone();
            s.spawn(move || {
                for i in 0..PER_THREAD {
                    uringlog::info!(logger, "t={t} seq={i}");
                }
            });
        }
        wait_for(
            "no producer parked while the writer waits for a slot",
            || logger.writer_waits_for_slot() && logger.producers_waiting_for_room() > 0,
        );
        read_all(read)
    });
    drop(logger);
    let s = guard.shutdown(SHUTDOWN).unwrap();
    let n = THREADS * PER_THREAD;
    assert_eq!((s.enqueued, s.written, s.dropped), (n, n, 0));
    let text = reader.join().unwrap();
    assert_eq!(text[..filled], FILLER.repeat(filled / FILLER.len()));
    for t in 0..THREADS {
        let seqs: Vec<u64> = (text[filled..].lines())
            .filter(|l| field(l, "t=") == Some(t))
            .map(|l| field(l, "seq=").unwrap())
            .collect();
        assert_eq!(seqs, (0..PER_THREAD).collect::<Vec<_>>(), "thread {t}");
    }
}

/// An io_uring turn of `Backend::Auto`'s trial ends by waiting for its
/// writes in flight. When they never land (a pipe nobody reads), the
/// writer is stuck in that wait: `flush_timeout` and `flush_sync_timeout`
/// return `Timeout`, `io_backend()` still says it is measuring, and a
/// shutdown with a timeout gives up, cancels the writes and ends. The
/// books balance: the records counted written are exactly those in the
/// pipe, in order; the rest are counted dropped.
#[test]
fn auto_stuck_at_the_end_of_an_io_uring_turn_lets_flush_and_shutdown_return() {
    if !io_uring_available(
        "auto_stuck_at_the_end_of_an_io_uring_turn_lets_flush_and_shutdown_return",
    ) {
        return;
    }
    let (logger, guard, read, seq, size, landed) = auto_with_io_urings_turn_in_flight();
    uringlog::info!(logger, "after the turn seq={seq}");
    wait_for("the writer never waited for io_uring's writes", || {
        logger.writer_waits_for_slot()
    });
    let n = seq + 1;
    let timeout = Duration::from_millis(100);
    let late = Err(FlushError::Timeout { timeout_ms: 100 });
    assert_eq!(logger.flush_timeout(timeout), late);
    assert_eq!(logger.flush_sync_timeout(timeout), late);
    assert_eq!(logger.io_backend().kind, BackendKind::Measuring);
    let stuck = logger.stats();
    assert_eq!((stuck.enqueued, stuck.written), (n, TURN), "{stuck:?}");

    let err = guard.shutdown(timeout).unwrap_err();
    assert!(
        matches!(
            err,
            ShutdownError::Timeout {
                timeout_ms: 100,
                ..
            }
        ),
        "{err:?}"
    );
    wait_for("the books never balanced", || {
        let s = logger.stats();
        s.written + s.dropped == n
    });
    assert!(!logger.writer_waits_for_slot());
    let end = logger.stats();
    // Cancelled in the full pipe, io_uring's writes never landed.
    assert_eq!(
        (end.enqueued, end.written, end.dropped),
        (n, TURN, TURN + 1),
        "{end:?}"
    );
    assert_eq!(end.bytes_written as usize, landed);
    drop(logger);
    let text = read_all(read).join().unwrap();
    assert_eq!(text.len(), size);
    let seqs: Vec<u64> = text.lines().filter_map(|l| field(l, "seq=")).collect();
    assert_eq!(seqs, (0..TURN).collect::<Vec<_>>());
}
