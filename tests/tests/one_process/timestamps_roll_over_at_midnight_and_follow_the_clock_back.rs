//! The writer caches the formatted second of the last record: a record at
//! 23:59:59.999 followed by one at 00:00:00.000 shows the new day, month
//! and year, and a clock that goes back (across midnight, by a second, to
//! the epoch) shows the earlier time, in text and JSON, async and sync,
//! at every precision.

use uringlog::{Clock, Format, Logger, MemorySink, Mode, SinkOptions, Timestamp};
use uringlog_tests::SHUTDOWN;

/// 2026-12-31T23:59:59.999000000Z.
const LAST_MS: u64 = 1_798_761_599_999_000_000;
/// 2027-01-01T00:00:00.000000000Z.
const MIDNIGHT: u64 = 1_798_761_600_000_000_000;

/// The times logged, in order, and how each shows at millisecond precision.
const TIMES: [(u64, &str); 8] = [
    (LAST_MS, "2026-12-31T23:59:59.999Z"),
    (MIDNIGHT, "2027-01-01T00:00:00.000Z"),
    (MIDNIGHT - 1, "2026-12-31T23:59:59.999Z"),
    (MIDNIGHT + 1_000_000, "2027-01-01T00:00:00.001Z"),
    (MIDNIGHT - 1_000_000_000, "2026-12-31T23:59:59.000Z"),
    (0, "1970-01-01T00:00:00.000Z"),
    (MIDNIGHT + 86_400_000_000_123, "2027-01-02T00:00:00.000Z"),
    (LAST_MS, "2026-12-31T23:59:59.999Z"),
];

/// Logs one deferred and one pre-formatted record at each of `TIMES`;
/// the text and JSON lines.
fn run(mode: Mode, precision: Timestamp) -> (Vec<String>, Vec<String>) {
    let (clock, hand) = Clock::manual(LAST_MS);
    let (text, text_out) = MemorySink::new();
    let (json, json_out) = MemorySink::new();
    let (logger, guard) = Logger::builder()
        .sink_with(
            text,
            SinkOptions::new().format(Format::text().timestamp(precision)),
        )
        .sink_with(
            json,
            SinkOptions::new().format(Format::json().timestamp(precision)),
        )
        .mode(mode)
        .clock(clock)
        .build()
        .unwrap();
    for (i, (t, _)) in TIMES.iter().enumerate() {
        hand.set_unix_nanos(*t);
        uringlog::info!(logger, target: "t", "deferred {}", i);
        logger.log(uringlog::Level::Info, "t", format_args!("pre {i}"));
    }
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((s.enqueued, s.written, s.dropped), (16, 16, 0));
    (text_out.lines(), json_out.lines())
}

/// How `shown` (millisecond precision) reads at `precision`, for a time
/// whose digits below the millisecond are those of `t`.
fn at(shown: &str, t: u64, precision: Timestamp) -> String {
    let date = &shown[..19];
    let sub = t % 1_000_000;
    let ms = &shown[20..23];
    match precision {
        Timestamp::Seconds => format!("{date}Z"),
        Timestamp::Millis => shown.to_owned(),
        Timestamp::Micros => format!("{date}.{ms}{:03}Z", sub / 1000),
        _ => format!("{date}.{ms}{sub:06}Z"),
    }
}

#[test]
fn timestamps_roll_over_at_midnight_and_follow_the_clock_back() {
    let precisions = [
        Timestamp::Seconds,
        Timestamp::Millis,
        Timestamp::Micros,
        Timestamp::Nanos,
    ];
    for mode in [Mode::Async, Mode::Sync] {
        for p in precisions {
            let (text, json) = run(mode, p);
            let mut want_text = Vec::new();
            let mut want_json = Vec::new();
            for (i, (t, shown)) in TIMES.iter().enumerate() {
                let ts = at(shown, *t, p);
                for msg in [format!("deferred {i}"), format!("pre {i}")] {
                    want_text.push(format!("{ts} INFO  t: {msg}"));
                    want_json.push(format!(
                        r#"{{"ts":"{ts}","level":"INFO","target":"t","msg":"{msg}"}}"#
                    ));
                }
            }
            assert_eq!(text, want_text, "{mode:?} {p:?}");
            assert_eq!(json, want_json, "{mode:?} {p:?}");
        }
    }
}
