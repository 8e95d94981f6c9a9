//! The `tracing` layer and the `log` facade as front ends of one logger
//! writing to a `RollingFileSink` that rotates every few batches, from
//! three threads, while a fourth calls `flush_sync`, `reopen` and `flush`
//! in turn until one fails, which only shutdown's answer may. The value each event logs has a
//! `Display` that, by turns, panics, logs through the other front end or
//! through `tracing` again, or calls `flush`, `flush_sync` or `reopen`
//! while the event is being made. Every call is counted (a panicking one
//! dropped), the files hold exactly the records counted written, once
//! each, a value's record before its event's, in each thread's order, no
//! flush fails before shutdown, and each call after it says `ShutDown`.

use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use tracing_subscriber::prelude::*;
use uringlog::{FlushError, Format, Logger, ReopenError, Timestamp};
use uringlog_sinks::RollingFileSink;
use uringlog_tests::SHUTDOWN;

const THREADS: u64 = 3;
const EVENTS: u64 = 800;

/// A value whose `Display` does by turns what user code may do.
struct Hostile {
    logger: Logger,
    t: u64,
    seq: u64,
}

impl fmt::Display for Hostile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (t, seq) = (self.t, self.seq);
        match seq % 8 {
            0 => panic!("a value that panics"),
            1 => log::info!(target: "inner", "inner t={t} seq={seq}"),
            2 => tracing::info!(target: "inner", t, seq, "inner"),
            3 => self.logger.flush().unwrap(),
            4 => self.logger.flush_sync().unwrap(),
            5 => self.logger.reopen().unwrap(),
            _ => {}
        }
        write!(f, "v{seq}")
    }
}

/// The lines thread `t` leaves, in order: a value's record, then its event's.
fn expected(t: u64) -> Vec<String> {
    let mut v = Vec::new();
    for seq in (0..EVENTS).filter(|s| s % 8 != 0) {
        if seq % 8 == 1 {
            v.push(format!("INFO  inner: inner t={t} seq={seq}"));
        }
        if seq % 8 == 2 {
            v.push(format!("INFO  inner: \"inner\" t={t} seq={seq}"));
        }
        v.push(match t {
            0 => format!("INFO  outer: outer t={t} seq={seq} v=v{seq}"),
            _ => format!("INFO  outer: \"outer\" t={t} seq={seq} v=v{seq}"),
        });
    }
    v
}

#[test]
fn tracing_and_log_values_that_flush_log_or_panic_keep_the_books_through_rotation() {
    // Quiet about the values' panics only.
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if info.payload().downcast_ref::<&str>() != Some(&"a value that panics") {
            report(info)
        }
    }));
    let dir = tempfile::tempdir().unwrap();
    let sink = RollingFileSink::builder(dir.path(), "app")
        .max_file_bytes(8 * 1024)
        .open()
        .unwrap();
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .format(Format::text().timestamp(Timestamp::Off))
        .ring_capacity(8 * 1024)
        .init_global()
        .unwrap();
    let layer = uringlog::tracing::layer(&logger);
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(layer)).unwrap();

    // Until one fails: the first failure can only be shutdown's answer.
    let side = {
        let logger = logger.clone();
        std::thread::spawn(move || {
            let mut calls = 0u64;
            let first_err = loop {
                let r = match calls % 3 {
                    0 => logger.flush_sync().map_err(|e| e.to_string()),
                    1 => logger.reopen().map_err(|e| e.to_string()),
                    _ => logger.flush().map_err(|e| e.to_string()),
                };
                match r {
                    Ok(()) => calls += 1,
                    Err(e) => break e,
                }
            };
            let after = (logger.flush_sync(), logger.reopen(), logger.flush());
            (first_err, after, calls)
        })
    };
    let producers: Vec<_> = (0..THREADS)
        .map(|t| {
            let logger = logger.clone();
            std::thread::spawn(move || {
                let mut panicked = 0;
                for seq in 0..EVENTS {
                    let v = Hostile {
                        logger: logger.clone(),
                        t,
                        seq,
                    };
                    let r = catch_unwind(AssertUnwindSafe(|| match t {
                        0 => log::info!(target: "outer", "outer t={t} seq={seq} v={v}"),
                        _ => tracing::info!(target: "outer", t, seq, v = %v, "outer"),
                    }));
                    panicked += u64::from(r.is_err());
                }
                panicked
            })
        })
        .collect();
    let panicked: u64 = producers.into_iter().map(|p| p.join().unwrap()).sum();
    let end = guard.shutdown(SHUTDOWN).unwrap();
    let (first_err, after, calls) = side.join().unwrap();
    assert!(calls > 0);
    let shut = [
        FlushError::ShutDown.to_string(),
        ReopenError::ShutDown.to_string(),
    ];
    assert!(shut.contains(&first_err), "{first_err}");
    assert_eq!(
        after,
        (
            Err(FlushError::ShutDown),
            Err(ReopenError::ShutDown),
            Err(FlushError::ShutDown)
        )
    );

    let inner = THREADS * EVENTS / 8 * 2;
    assert_eq!(panicked, THREADS * EVENTS / 8);
    assert_eq!(
        (end.enqueued, end.written, end.dropped, end.errors),
        (
            THREADS * EVENTS + inner,
            THREADS * EVENTS + inner - panicked,
            panicked,
            0
        )
    );
    let mut names = uringlog_tests::file_names(dir.path());
    names.sort_by_key(|n| n == "app.log");
    assert!(names.len() > 10, "{names:?}");
    let lines = uringlog_tests::lines_of_files(dir.path(), &names);
    assert_eq!(lines.len() as u64, end.written);
    for t in 0..THREADS {
        let mine: Vec<String> = (lines.iter())
            .filter(|(_, l)| uringlog_tests::field(l, "t=") == Some(t))
            .map(|(_, l)| l.clone())
            .collect();
        assert_eq!(mine, expected(t), "thread {t}");
    }
}
