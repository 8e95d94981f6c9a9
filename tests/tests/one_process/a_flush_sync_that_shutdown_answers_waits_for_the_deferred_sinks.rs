//! A `flush_sync` whose ticket the writer first sees as it shuts down is
//! answered by the final writes. Like one answered earlier, and like a
//! `flush` answered there, it waits for the deferred sinks to settle what
//! was logged before it: when a sink never settles its records (counted
//! dropped at shutdown), the call hears of it, naming the sink, instead
//! of returning `Ok` as soon as the (no) files were synced.

use std::sync::Barrier;
use std::time::Duration;
use uringlog::{FlushError, Logger, Settled};
use uringlog_tests::holding::{Held, Holding};
use uringlog_tests::{wait_until_stuck, GateSink};

/// What `call` (`flush` or `flush_sync`) returns when the final writes
/// answer it.
fn answered_at_shutdown(call: fn(&Logger) -> Result<(), FlushError>) -> Result<(), FlushError> {
    let (gate, g) = GateSink::new();
    // Holds every record, never settling one; first, the books count
    // records through it.
    let never = Holding::new(
        "never",
        Duration::from_secs(30),
        |_: &mut Held, _: &mut Settled| {},
    );
    let (logger, guard) = Logger::builder().sink(never).sink(gate).build().unwrap();
    uringlog::info!(logger, "stuck");
    wait_until_stuck(&g.entered);
    let asked = Barrier::new(2);
    let (answer, stats) = std::thread::scope(|s| {
        let waiter = s.spawn(|| {
            for i in 0..5 {
                uringlog::info!(logger, "n={}", i);
            }
            asked.wait();
            call(&logger)
        });
        asked.wait();
        // Most likely waiting by now; the writer, stuck, has not seen it.
        std::thread::sleep(Duration::from_millis(50));
        let shutdown = s.spawn(|| guard.shutdown(Duration::from_millis(400)));
        // Shutdown begins while the writer is stuck: once the sink
        // answers, the writer's next request is the close.
        std::thread::sleep(Duration::from_millis(50));
        g.release.send(()).unwrap();
        let stats = shutdown.join().unwrap().unwrap();
        (waiter.join().unwrap(), stats)
    });
    assert_eq!((stats.enqueued, stats.written, stats.dropped), (6, 0, 6));
    answer
}

fn assert_heard_of_the_unsettled_records(what: &str, r: Result<(), FlushError>) {
    match r {
        Err(FlushError::Io { last, .. }) => assert_eq!(
            last, "never: 6 records unsettled at shutdown (6 counted dropped)",
            "{what}"
        ),
        other => panic!("{what}: answered {other:?} though its records were dropped unsettled"),
    }
}

#[test]
fn a_flush_answered_at_shutdown_hears_of_unsettled_records() {
    assert_heard_of_the_unsettled_records("flush", answered_at_shutdown(Logger::flush));
}

#[test]
fn a_flush_sync_answered_at_shutdown_hears_of_unsettled_records() {
    assert_heard_of_the_unsettled_records("flush_sync", answered_at_shutdown(Logger::flush_sync));
}
