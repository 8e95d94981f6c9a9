//! A time offset shows the civil time at that offset for every instant a
//! record can carry: west of UTC the first hours after the epoch read as
//! 1969-12-31 (`1970-01-01T00:00:00Z` is `1969-12-31T19:00:00-05:00`, as
//! `date` prints it), east of UTC the last hours of `u64` read as
//! 2554-07-22 — neither is held at the end of the range. Offsets at both
//! extremes, odd minutes, three precisions, text and JSON, async and
//! sync mode, each line checked against a civil-time conversion written
//! here by counting days.

use uringlog::{
    Clock, Format, Logger, MemoryHandle, MemorySink, Mode, SinkOptions, TimeOffset, Timestamp,
};
use uringlog_tests::SHUTDOWN;

const SEC: u64 = 1_000_000_000;
const HOUR: u64 = 3600 * SEC;

/// Minutes east of UTC.
const OFFSETS: [i16; 9] = [
    -(23 * 60 + 59),
    -12 * 60,
    -5 * 60,
    -1,
    0,
    5 * 60 + 45,
    14 * 60,
    23 * 60 + 59,
    -(9 * 60 + 30),
];

/// Instants near both ends of the clock and one in between.
const TIMES: [u64; 10] = [
    0,
    1,
    SEC - 1,
    5 * HOUR - 1,
    5 * HOUR,
    24 * HOUR - 1,
    1_795_841_809_123_456_789,
    u64::MAX - 14 * HOUR,
    u64::MAX - 1,
    u64::MAX,
];

fn days_in_year(y: i64) -> i64 {
    if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 {
        366
    } else {
        365
    }
}

/// Year, month, day of `days` after 1970-01-01 (negative: before it),
/// by counting whole years and months.
fn civil(mut days: i64) -> (i64, i64, i64) {
    let mut y = 1970;
    while days < 0 {
        y -= 1;
        days += days_in_year(y);
    }
    while days >= days_in_year(y) {
        days -= days_in_year(y);
        y += 1;
    }
    let feb = if days_in_year(y) == 366 { 29 } else { 28 };
    let mut m = 1;
    for len in [31, feb, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] {
        if days < len {
            break;
        }
        days -= len;
        m += 1;
    }
    (y, m, days + 1)
}

/// `unix_nanos` as it reads `minutes` east of UTC, to the nanosecond.
fn expected(unix_nanos: u64, minutes: i16) -> String {
    let local = (unix_nanos / SEC) as i64 + minutes as i64 * 60;
    let (y, mo, d) = civil(local.div_euclid(86_400));
    let s = local.rem_euclid(86_400);
    let suffix = match minutes {
        0 => "+00:00".to_owned(),
        m => {
            let sign = if m < 0 { '-' } else { '+' };
            let a = m.unsigned_abs();
            format!("{sign}{:02}:{:02}", a / 60, a % 60)
        }
    };
    format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}.{:09}{suffix}",
        s / 3600,
        s / 60 % 60,
        s % 60,
        unix_nanos % SEC
    )
}

#[test]
fn the_reference_agrees_with_date() {
    // `TZ=EST5 date -d @0 +%FT%T%:z`, `TZ=UTC date -d @18446744073 ...`
    assert_eq!(expected(0, -300), "1969-12-31T19:00:00.000000000-05:00");
    assert_eq!(expected(u64::MAX, 0), "2554-07-21T23:34:33.709551615+00:00");
    assert_eq!(
        expected(u64::MAX, 840),
        "2554-07-22T13:34:33.709551615+14:00"
    );
    assert_eq!(
        expected(0, -(23 * 60 + 59)),
        "1969-12-31T00:01:00.000000000-23:59"
    );
}

const PRECISIONS: [Timestamp; 3] = [Timestamp::Seconds, Timestamp::Millis, Timestamp::Nanos];

/// A time of [`expected`] as shown at `precision`.
fn at(nanos: String, precision: Timestamp) -> String {
    let (time, offset) = nanos.split_at(nanos.len() - 6);
    match precision {
        Timestamp::Seconds => format!("{}{offset}", &time[..19]),
        Timestamp::Millis => format!("{}{offset}", &time[..23]),
        _ => nanos,
    }
}

fn scenario(mode: Mode) {
    let (clock, hand) = Clock::manual(0);
    let mut builder = Logger::builder().mode(mode).clock(clock);
    let mut outs: Vec<(i16, bool, Timestamp, MemoryHandle)> = Vec::new();
    for m in OFFSETS {
        let offset = TimeOffset::east_minutes(m).unwrap();
        for (json, p) in [false, true]
            .into_iter()
            .flat_map(|j| PRECISIONS.map(|p| (j, p)))
        {
            let f = match json {
                false => Format::text(),
                true => Format::json(),
            };
            let f = f.timestamp(p).time_offset(offset).without_target();
            let (sink, out) = MemorySink::new();
            builder = builder.sink_with(sink, SinkOptions::new().format(f));
            outs.push((m, json, p, out));
        }
    }
    let (logger, guard) = builder.build().unwrap();
    for t in TIMES {
        hand.set_unix_nanos(t);
        uringlog::info!(logger, "m");
        logger.flush().unwrap();
    }
    let stats = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((stats.written, stats.dropped), (TIMES.len() as u64, 0));
    for (m, json, p, out) in outs {
        let want: Vec<String> = TIMES
            .iter()
            .map(|&t| match json {
                false => format!("{} INFO  m", at(expected(t, m), p)),
                true => format!(
                    r#"{{"ts":"{}","level":"INFO","msg":"m"}}"#,
                    at(expected(t, m), p)
                ),
            })
            .collect();
        assert_eq!(
            out.lines(),
            want,
            "{mode:?}, offset {m} min, json {json}, {p:?}"
        );
    }
}

#[test]
fn timestamps_at_any_offset_show_the_civil_time_at_both_ends_of_the_clock() {
    scenario(Mode::Async);
}

#[test]
fn in_sync_mode_too() {
    scenario(Mode::Sync);
}
