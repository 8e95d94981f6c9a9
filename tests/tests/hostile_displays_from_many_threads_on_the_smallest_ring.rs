//! Several threads at once log arguments whose `Display` is hostile —
//! one that panics, one that logs through the same logger (once, or with
//! a value that panics inside the nested call), one that takes 10 ms, one
//! that writes more than the ring holds — under `Block` with the smallest
//! ring (`MIN_RING_CAPACITY`), formatting deferred and in the caller,
//! through the macros and `Logger::log`. No deadlock; `shutdown` returns;
//! every record that was not refused is written once, whole and in its
//! thread's order (a nested record just before the one that ran it); the
//! books close exactly: a panicking value drops its call (and the call
//! whose `Display` ran it), an oversized record is dropped as oversized.

use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;
use std::time::Duration;
use uringlog::{
    Format, Formatting, Level, Logger, MemorySink, Mode, Policy, Timestamp, MIN_RING_CAPACITY,
};
use uringlog_tests::{SHUTDOWN, WATCHDOG};

const THREADS: u64 = 4;
const RECORDS: u64 = 400;

struct Bomb;

impl fmt::Display for Bomb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("half a message")?;
        panic!("Display exploded on purpose");
    }
}

/// Logs `inner` through the logger while it is formatted, with a `Bomb`
/// in the nested call when `bomb`.
struct Nested<'a> {
    logger: &'a Logger,
    t: u64,
    seq: u64,
    bomb: bool,
}

impl fmt::Display for Nested<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.bomb {
            uringlog::info!(self.logger, "t={} seq={} inner {}", self.t, self.seq, Bomb);
        } else {
            uringlog::info!(self.logger, "t={} seq={} inner", self.t, self.seq);
        }
        f.write_str("nested")
    }
}

struct Slow;

impl fmt::Display for Slow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        std::thread::sleep(Duration::from_millis(10));
        f.write_str("slow")
    }
}

/// More than the ring holds, written in small pieces.
struct Huge;

impl fmt::Display for Huge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for _ in 0..MIN_RING_CAPACITY {
            f.write_str("h")?;
        }
        Ok(())
    }
}

/// What a thread's calls must count.
struct Books {
    enqueued: u64,
    dropped: u64,
    oversized: u64,
}

/// Record `seq` of thread `t`: logs it with the hostile value its number
/// picks, through the macros or `Logger::log` by turns; pushes the lines
/// it must leave to `lines`.
fn one(logger: &Logger, t: u64, seq: u64, lines: &mut Vec<String>, books: &mut Books) {
    let via_log = seq % 2 == 1;
    let outer = |value: &dyn fmt::Display| {
        if via_log {
            logger.log(Level::Info, "t", format_args!("t={t} seq={seq} {value}"));
        } else {
            uringlog::info!(logger, "t={} seq={} {}", t, seq, value);
        }
    };
    let caught = |f: &dyn Fn()| catch_unwind(AssertUnwindSafe(f)).is_err();
    books.enqueued += 1;
    match seq % 10 {
        1 | 6 => {
            assert!(caught(&|| outer(&Bomb)), "t={t} seq={seq}: no panic");
            books.dropped += 1;
        }
        2 | 7 => {
            let n = Nested {
                logger,
                t,
                seq,
                bomb: false,
            };
            outer(&n);
            books.enqueued += 1;
            lines.push(format!("INFO  t={t} seq={seq} inner"));
            lines.push(format!("INFO  t={t} seq={seq} nested"));
        }
        3 => {
            let n = Nested {
                logger,
                t,
                seq,
                bomb: true,
            };
            assert!(caught(&|| outer(&n)), "t={t} seq={seq}: no panic");
            books.enqueued += 1;
            books.dropped += 2;
        }
        4 if seq % 100 == 4 => {
            outer(&Slow);
            lines.push(format!("INFO  t={t} seq={seq} slow"));
        }
        5 => {
            outer(&Huge);
            books.dropped += 1;
            books.oversized += 1;
        }
        _ => {
            outer(&"plain");
            lines.push(format!("INFO  t={t} seq={seq} plain"));
        }
    }
}

fn scenario(mode: Mode, formatting: Formatting) {
    let what = format!("{mode:?}, {formatting:?}");
    let (sink, out) = MemorySink::new();
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .format(Format::text().timestamp(Timestamp::Off).without_target())
        .mode(mode)
        .formatting(formatting)
        .policy(Policy::Block)
        .ring_capacity(MIN_RING_CAPACITY)
        .build()
        .unwrap();
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let logger = logger.clone();
            std::thread::spawn(move || {
                let mut lines = Vec::new();
                let mut books = Books {
                    enqueued: 0,
                    dropped: 0,
                    oversized: 0,
                };
                for seq in 0..RECORDS {
                    one(&logger, t, seq, &mut lines, &mut books);
                }
                (lines, books)
            })
        })
        .collect();
    let mut expected = Vec::new();
    let mut books = Books {
        enqueued: 0,
        dropped: 0,
        oversized: 0,
    };
    for h in handles {
        let (lines, b) = h.join().unwrap();
        expected.push(lines);
        books.enqueued += b.enqueued;
        books.dropped += b.dropped;
        books.oversized += b.oversized;
    }
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!(
        (s.enqueued, s.dropped, s.oversized),
        (books.enqueued, books.dropped, books.oversized),
        "{what}: {s:?}"
    );
    assert_eq!(s.written + s.dropped, s.enqueued, "{what}: {s:?}");
    let got = out.lines();
    assert_eq!(
        s.written,
        expected.iter().map(|l| l.len() as u64).sum::<u64>(),
        "{what}"
    );
    assert!(
        got.iter().all(|l| !l.contains("half")),
        "{what}: a torn record"
    );
    for (t, lines) in expected.iter().enumerate() {
        let key = format!("INFO  t={t} ");
        let mine: Vec<&String> = got.iter().filter(|l| l.starts_with(&key)).collect();
        assert_eq!(mine.len(), lines.len(), "{what}: thread {t}");
        for (g, e) in mine.iter().zip(lines) {
            assert_eq!(*g, e, "{what}: thread {t}");
        }
    }
}

#[test]
fn hostile_displays_from_many_threads_on_the_smallest_ring() {
    // Quiet about the panics made on purpose, not about the test's own.
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let msg = info.payload().downcast_ref::<&str>().copied().unwrap_or("");
        if !msg.contains("on purpose") {
            default(info);
        }
    }));
    for (mode, formatting) in [Mode::Async, Mode::Sync]
        .into_iter()
        .flat_map(|m| [Formatting::Deferred, Formatting::Caller].map(|f| (m, f)))
    {
        let (tx, rx) = mpsc::channel();
        let run = std::thread::spawn(move || {
            scenario(mode, formatting);
            tx.send(()).unwrap();
        });
        match rx.recv_timeout(WATCHDOG) {
            Ok(()) => run.join().unwrap(),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                std::panic::resume_unwind(run.join().unwrap_err())
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                panic!("{mode:?}, {formatting:?}: deadlock (no end after {WATCHDOG:?})")
            }
        }
    }
}
