//! The writer compiles its drain loop for a set of one plain sink in the
//! default text or JSON format, with that format's options as constants;
//! every other set takes the general loop. Both must write the same bytes:
//! here the same records, on one manual clock, go through one file sink
//! (the one-sink loop for the default formats), through the same file
//! sink with a second one beside it and through an hourly rolling file
//! (both the general loop), through one file renamed and reopened midway,
//! through one file under `DropOldest` (the overwriting ring's framing),
//! and through `Mode::Sync` (no writer at all), for the default formats and for each
//! with one option changed — and the result must be byte for byte equal.
//! The records cover every kind (pre-formatted, deferred with 0, 1, 3 and
//! 12 values of `&str`, `String`, `char` and numbers, structured fields,
//! from a generic function), head-cache hits and misses (levels, targets,
//! steps within and across milliseconds and seconds) and strings to
//! escape at the ends and middle of strings of lengths around the word
//! and 16-byte steps of the escaping scan.

use uringlog::__private::Plain;
use uringlog::{Clock, Format, Level, Logger, Mode, Policy, SinkOptions, TimeOffset, Timestamp};
use uringlog_sinks::{FileSink, Period, RollingFileSink};
use uringlog_tests::SHUTDOWN;

/// How the records reach the file.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Route {
    /// One file sink: the one-sink loop for a default format.
    One,
    /// The same sink and a second one in the same format: the general loop.
    Two,
    /// No writer: the caller writes.
    Sync,
    /// One file under `DropOldest` (its own ring and framing), with room
    /// for every record.
    DropOldest,
    /// One file renamed midway, as logrotate does, then reopened: the
    /// renamed file and the new one hold the lines of the others.
    Reopened,
    /// An hourly rolling file (a batch limit: the general loop), whose
    /// files, oldest first, hold the lines of the others.
    Rolling,
}

/// Bytes that need a look (or an escape) in some part of a line.
const SPECIALS: [&str; 11] = [
    "\u{0}", "\u{1f}", "\n", "\t", "\"", "\\", "\u{7f}", "é", "\u{85}", "\u{2028}", "😀",
];

/// `len` bytes of `a`s with `special` at byte `at` (when it fits).
fn with_special(len: usize, at: usize, special: &str) -> Option<String> {
    (at + special.len() <= len).then(|| {
        let mut s = "a".repeat(at);
        s.push_str(special);
        s.push_str(&"a".repeat(len - at - special.len()));
        s
    })
}

/// A deferred record from a generic function: one call site, many types.
fn generic<T: Plain + std::fmt::Display>(logger: &Logger, v: T) {
    uringlog::warn!(logger, target: "gen", "v={} ({})", v, 7u8);
}

/// Logs the records every route writes, calling `mid` once on the way;
/// returns how many.
fn log_all(logger: &Logger, hand: &uringlog::ManualClock, mid: &dyn Fn()) -> usize {
    let steps = [0, 137_000, 999_999, 1, 1_000_000_000, 3, 862_999_999];
    let mut i = 0usize;
    let mut tick = || {
        i += 1;
        hand.advance_nanos(steps[i % steps.len()]);
        i
    };
    // Every `tick` but the last two is one record.
    for len in [0usize, 1, 7, 8, 15, 16, 17, 31, 32, 33, 40] {
        if len == 16 {
            mid();
        }
        for at in [0, len / 2, len.saturating_sub(1)] {
            for (k, sp) in SPECIALS.iter().enumerate() {
                let Some(s) = with_special(len, at, sp) else {
                    continue;
                };
                let n = tick();
                let level = Level::ALL[(n + k) % 5];
                match n % 4 {
                    0 => logger.log(level, ["a", "app::db", "t t"][n % 3], format_args!("{s}")),
                    1 => {
                        uringlog::log!(logger, level, "s={} S={} c={}", s.as_str(), s.clone(), 'é')
                    }
                    2 => {
                        uringlog::info!(logger, target: "f", k = s.as_str(), n = n as u64; "{}", s.as_str())
                    }
                    _ => uringlog::error!(logger, "{}", s.as_str()),
                }
            }
        }
    }
    tick();
    uringlog::info!(logger, "no values at all");
    uringlog::info!(
        logger,
        "{} {} {} {} {} {} {} {} {} {} {} {}",
        1u8,
        -2i16,
        3u32,
        -4i64,
        5u64,
        'x',
        "seven",
        String::from("8"),
        9.5f64,
        true,
        11usize,
        -12isize
    );
    tick();
    generic(logger, "a str");
    generic(logger, String::from("a String"));
    generic(logger, 'c');
    generic(logger, u64::MAX);
    generic(logger, i32::MIN);
    i - 2 + 7
}

/// The bytes written for `format` by `route`.
fn run(format: Format, route: Route) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("one.log");
    // 2026-11-28T04:59:30Z: the records cross an hour.
    let (clock, hand) = Clock::manual(1_795_841_970_000_000_000);
    let b = Logger::builder();
    let mut b = match route {
        Route::Rolling => {
            let sink = RollingFileSink::builder(dir.path(), "app")
                .period(Period::Hourly)
                .clock(clock.clone())
                .open()
                .unwrap();
            b.sink_with(sink, SinkOptions::new().format(format))
        }
        _ => b.sink_with(
            FileSink::new(&path).unwrap(),
            SinkOptions::new().format(format),
        ),
    }
    .level(Level::Trace)
    .clock(clock)
    .ring_capacity(1 << 20);
    if route == Route::Two {
        let other = FileSink::new(dir.path().join("two.log")).unwrap();
        b = b.sink_with(other, SinkOptions::new().format(format));
    }
    if route == Route::Sync {
        b = b.mode(Mode::Sync);
    }
    if route == Route::DropOldest {
        b = b.policy(Policy::DropOldest);
    }
    let (logger, guard) = b.build().unwrap();
    let old = dir.path().join("one.log.1");
    let mid = || {
        if route == Route::Reopened {
            std::fs::rename(&path, &old).unwrap();
            logger.reopen().unwrap();
        }
    };
    let n = log_all(&logger, &hand, &mid) as u64;
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!(
        (s.enqueued, s.written, s.dropped),
        (n, n, 0),
        "{format:?} {route:?}"
    );
    let bytes = match route {
        Route::Rolling => {
            let read = |name: &str| std::fs::read(dir.path().join(name)).unwrap();
            let mut bytes = read("app.2026-11-28T04.log");
            assert!(!bytes.is_empty(), "{format:?}: no line before the hour");
            bytes.extend(read("app.log"));
            bytes
        }
        Route::Reopened => {
            let mut bytes = std::fs::read(&old).unwrap();
            let new = std::fs::read(&path).unwrap();
            assert!(
                !bytes.is_empty() && !new.is_empty(),
                "{format:?}: one file empty"
            );
            bytes.extend(new);
            bytes
        }
        _ => std::fs::read(&path).unwrap(),
    };
    let lines = bytes.iter().filter(|&&b| b == b'\n').count() as u64;
    assert_eq!(lines, n, "{format:?} {route:?}");
    bytes
}

fn formats() -> Vec<Format> {
    let east = TimeOffset::east_minutes(-330).unwrap();
    let mut v = Vec::new();
    for f in [Format::text(), Format::json()] {
        v.extend([
            f,
            f.timestamp(Timestamp::Millis),
            f.timestamp(Timestamp::Nanos),
            f.timestamp(Timestamp::Seconds),
            f.timestamp(Timestamp::Off),
            f.time_offset(east),
            f.with_thread_id(),
            f.with_call_site(),
            f.without_target(),
        ]);
    }
    v
}

#[test]
fn one_sink_shapes_write_what_the_general_path_writes() {
    for f in formats() {
        let one = run(f, Route::One);
        let two = run(f, Route::Two);
        let sync = run(f, Route::Sync);
        assert!(one == two, "{f:?}: one sink and two differ");
        assert!(one == sync, "{f:?}: async and sync differ");
        let drop_oldest = run(f, Route::DropOldest);
        assert!(one == drop_oldest, "{f:?}: Block and DropOldest differ");
        let reopened = run(f, Route::Reopened);
        assert!(one == reopened, "{f:?}: one file and a reopened one differ");
        let rolling = run(f, Route::Rolling);
        assert!(one == rolling, "{f:?}: one file and a rolling one differ");
    }
}
