//! `log::max_level()` follows `Logger::set_level` even when threads change
//! the level at once: after every round of racing calls it equals the
//! logger's coarse level, never stricter (a stricter `max_level` makes
//! `log` drop records the logger accepts, silently and uncounted).

use std::sync::{Arc, Barrier};
use std::thread;
use uringlog::{Level, Logger, MemorySink};
use uringlog_tests::SHUTDOWN;

/// Rounds of racing calls; bounded so the test stays short.
const ROUNDS: usize = 5_000;

fn filter_of(level: Level) -> log::LevelFilter {
    match level {
        Level::Trace => log::LevelFilter::Trace,
        Level::Debug => log::LevelFilter::Debug,
        Level::Info => log::LevelFilter::Info,
        Level::Warn => log::LevelFilter::Warn,
        Level::Error => log::LevelFilter::Error,
        _ => log::LevelFilter::Off,
    }
}

#[test]
fn max_level_equals_the_logger_level_after_racing_set_level() {
    let (logger, guard) = Logger::builder()
        .sink(MemorySink::new().0)
        .level(Level::Info)
        .init_global()
        .unwrap();
    let barrier = Arc::new(Barrier::new(3));
    let racers: Vec<_> = [Level::Debug, Level::Error]
        .into_iter()
        .map(|level| {
            let (logger, barrier) = (logger.clone(), barrier.clone());
            thread::spawn(move || {
                for _ in 0..ROUNDS {
                    barrier.wait();
                    logger.set_level(level);
                    barrier.wait();
                }
            })
        })
        .collect();
    let mut mismatches = 0;
    for _ in 0..ROUNDS {
        barrier.wait();
        barrier.wait();
        if log::max_level() != filter_of(logger.level()) {
            mismatches += 1;
        }
    }
    for r in racers {
        r.join().unwrap();
    }
    guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!(mismatches, 0, "rounds out of {ROUNDS}");
}
