//! A manual clock moved past `u64::MAX` wraps to the first nanoseconds
//! after the epoch. The producer measures its pauses across the wrap (a
//! step of 1,500 ns over it is no pause, its record goes on after the
//! last; a step of more than 2^18 is one, and the emptied ring is rebased)
//! and the writer shows each record at its own time: the last second and
//! millisecond of `u64` are cut short, so the times just after the wrap
//! are not in them (they were shown in 2554, the cached second's year).
//! Async and sync mode, three precisions.

use uringlog::{Clock, Format, Logger, MemorySink, Mode, SinkOptions, Timestamp};
use uringlog_tests::{next_ring_offset, PAUSE, SHUTDOWN};

const PRECISIONS: [Timestamp; 3] = [Timestamp::Seconds, Timestamp::Millis, Timestamp::Nanos];

/// The times logged (each of the first five records at the first), as
/// shown at nanosecond precision.
const SHOWN: [&str; 4] = [
    "2554-07-21T23:34:33.709550615Z",
    "1970-01-01T00:00:00.000000499Z",
    "1970-01-01T00:00:00.000524787Z",
    "2554-07-21T23:34:33.709551612Z",
];

/// How `nanos` (one of `SHOWN`) shows at `precision`.
fn at(nanos: &str, precision: Timestamp) -> String {
    match precision {
        Timestamp::Seconds => format!("{}Z", &nanos[..19]),
        Timestamp::Millis => format!("{}Z", &nanos[..23]),
        _ => nanos.to_string(),
    }
}

fn scenario(mode: Mode) {
    let (clock, hand) = Clock::manual(u64::MAX - 1000);
    let mut builder = Logger::builder()
        .mode(mode)
        .ring_capacity(4096)
        .clock(clock);
    let mut outs = Vec::new();
    for p in PRECISIONS {
        let (sink, out) = MemorySink::new();
        let format = Format::text().timestamp(p).without_target();
        builder = builder.sink_with(sink, SinkOptions::new().format(format));
        outs.push((p, out));
    }
    let (logger, guard) = builder.build().expect("logger");
    let async_mode = mode == Mode::Async;
    for seq in 0..5u64 {
        uringlog::info!(logger, "seq={} of the run", seq);
    }
    let five = if async_mode {
        next_ring_offset(&logger)
    } else {
        0
    };
    logger.flush().expect("flush");
    hand.advance_nanos(1500); // over `u64::MAX`: no pause
    uringlog::info!(logger, "seq={} of the run", 5u64);
    if async_mode {
        assert_eq!(
            next_ring_offset(&logger),
            five / 5 * 6,
            "no pause, no rebase"
        );
    }
    logger.flush().expect("flush");
    hand.advance_nanos(PAUSE);
    uringlog::info!(logger, "seq={} of the run", 6u64);
    if async_mode {
        assert_eq!(next_ring_offset(&logger), five / 5, "a pause: rebased");
    }
    logger.flush().expect("flush");
    hand.set_unix_nanos(u64::MAX - 3); // back over the wrap: a pause
    uringlog::info!(logger, "seq={} of the run", 7u64);
    if async_mode {
        assert_eq!(next_ring_offset(&logger), five / 5, "a pause: rebased");
    }
    let stats = guard.shutdown(SHUTDOWN).expect("shutdown");
    assert_eq!(
        (stats.enqueued, stats.written, stats.dropped),
        (8, 8, 0),
        "{mode:?}"
    );
    for (p, out) in outs {
        let expected: String = (0..8)
            .map(|seq| {
                let shown = SHOWN[seq.max(4) - 4];
                format!("{} INFO  seq={seq} of the run\n", at(shown, p))
            })
            .collect();
        assert_eq!(out.text(), expected, "{mode:?} {p:?}");
    }
}

#[test]
fn async_mode_shows_each_time_across_the_wrap() {
    scenario(Mode::Async);
}

#[test]
fn sync_mode_shows_each_time_across_the_wrap() {
    scenario(Mode::Sync);
}
