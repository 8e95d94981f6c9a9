//! Many instants from a manual clock — random ones, and ones that step
//! across second, minute, day, month, year and leap-day boundaries, back
//! by a nanosecond, a second or years, and over the wrap of `u64` — show
//! in text and JSON, async and sync, at every precision and at several
//! fixed offsets, as an independent calendar computes them (year by year
//! and month by month from the epoch, no shared code with the engine).
//! A local time before the epoch (the first hours after it, west of UTC)
//! or past the end of `u64` (its last hours, east of UTC) shows as it is:
//! it was clamped to that end, so that every record in those hours showed
//! one time (with a manual clock wrapped past `u64::MAX`, the first hours
//! after the wrap), and a time that was not the record's.

use uringlog::{Clock, Format, Logger, MemorySink, Mode, SinkOptions, TimeOffset, Timestamp};
use uringlog_tests::SHUTDOWN;

const SEC: u64 = 1_000_000_000;
const DAY: u64 = 86_400 * SEC;

/// Nanoseconds since the epoch of midnight UTC on `y-m-d`, counted the
/// long way.
fn midnight(y: u64, m: u64, d: u64) -> u64 {
    let days: u64 = (1970..y).map(year_days).sum::<u64>()
        + (1..m).map(|mm| month_days(y, mm)).sum::<u64>()
        + (d - 1);
    days * DAY
}

fn leap(y: u64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

fn year_days(y: u64) -> u64 {
    if leap(y) {
        366
    } else {
        365
    }
}

fn month_days(y: u64, m: u64) -> u64 {
    match m {
        2 if leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `nanos` since the epoch (shifted already; before it or past the end
/// of `u64` too) as `YYYY-MM-DDTHH:MM:SS` plus the fraction.
fn civil(nanos: i128, p: Timestamp) -> String {
    let mut days = nanos.div_euclid(DAY as i128);
    let rem = nanos.rem_euclid(DAY as i128) as u64;
    let mut y = 1970;
    while days < 0 {
        y -= 1;
        days += year_days(y) as i128;
    }
    while days >= year_days(y) as i128 {
        days -= year_days(y) as i128;
        y += 1;
    }
    let mut days = days as u64;
    let mut m = 1;
    while days >= month_days(y, m) {
        days -= month_days(y, m);
        m += 1;
    }
    let s = rem / SEC;
    let frac = rem % SEC;
    let date = format!(
        "{y:04}-{m:02}-{:02}T{:02}:{:02}:{:02}",
        days + 1,
        s / 3600,
        s / 60 % 60,
        s % 60
    );
    match p {
        Timestamp::Seconds => date,
        Timestamp::Millis => format!("{date}.{:03}", frac / 1_000_000),
        Timestamp::Micros => format!("{date}.{:06}", frac / 1_000),
        _ => format!("{date}.{frac:09}"),
    }
}

/// How `t` shows at `minutes` east of UTC (`None`: UTC, `Z`).
fn expected(t: u64, p: Timestamp, minutes: Option<i16>) -> String {
    let Some(m) = minutes else {
        return format!("{}Z", civil(t as i128, p));
    };
    let shifted = t as i128 + m as i128 * 60 * SEC as i128;
    let sign = if m < 0 { '-' } else { '+' };
    let a = m.unsigned_abs();
    format!("{}{sign}{:02}:{:02}", civil(shifted, p), a / 60, a % 60)
}

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// The instants logged, in order.
fn instants() -> Vec<u64> {
    let mut v = Vec::new();
    // Boundaries, each approached and crossed, then stepped back over.
    let edges = [
        midnight(1972, 2, 29),
        midnight(1972, 3, 1),
        midnight(2000, 2, 29),
        midnight(2000, 3, 1),
        midnight(2100, 3, 1), // 2100 has no 29 February
        midnight(2400, 2, 29),
        midnight(2400, 3, 1),
        midnight(2027, 1, 1),
        midnight(2554, 1, 1),
        midnight(2554, 7, 21),
        midnight(2026, 6, 1) + 3599 * SEC, // an hour's end
        midnight(2026, 6, 1) + 59 * SEC,   // a minute's end
    ];
    for e in edges {
        v.extend([e - 1, e, e + 1, e - 1, e - SEC, e + 999_999, e - DAY, e]);
    }
    // The wrap of `u64`, both ways, with a clock going back in small and
    // large steps around it.
    let max = u64::MAX;
    v.extend([
        max - 2 * SEC,
        max - SEC,
        max - 999_999,
        max - 1,
        max,
        0,
        1,
        999_999,
        1_000_000,
        max,
        SEC - 1,
        max - 615,
        max - 616,
        max - 709_551_616,
        max - 709_551_615,
        0,
        max - 3600 * SEC,
        3600 * SEC,
        max - 86_400 * SEC,
    ]);
    let mut r = Rng(0x9e37_79b9_7f4a_7c15);
    let mut t = midnight(2026, 12, 4);
    for i in 0..1500 {
        let x = r.next();
        t = match i % 6 {
            0 => x, // anywhere in `u64`
            1 => t.wrapping_add(x % (2 * SEC)),
            2 => t.wrapping_sub(x % (2 * SEC)),
            3 => t.wrapping_add(x % (400 * DAY)),
            4 => t.wrapping_sub(x % 1000),
            _ => t.wrapping_add(x % 1000),
        };
        v.push(t);
    }
    v
}

const PRECISIONS: [Timestamp; 4] = [
    Timestamp::Seconds,
    Timestamp::Millis,
    Timestamp::Micros,
    Timestamp::Nanos,
];

/// Offsets tried, as minutes east (`None` for UTC).
const OFFSETS: [Option<i16>; 5] = [None, Some(330), Some(-585), Some(1439), Some(-1439)];

fn scenario(mode: Mode) {
    let times = instants();
    let (clock, hand) = Clock::manual(times[0]);
    let mut builder = Logger::builder().mode(mode).clock(clock);
    let mut outs = Vec::new();
    for p in PRECISIONS {
        for minutes in OFFSETS {
            let offset = minutes.map_or(TimeOffset::UTC, |m| TimeOffset::east_minutes(m).unwrap());
            let (text, text_out) = MemorySink::new();
            let (json, json_out) = MemorySink::new();
            let f = Format::text().timestamp(p).time_offset(offset);
            builder = builder.sink_with(text, SinkOptions::new().format(f));
            let f = Format::json().timestamp(p).time_offset(offset);
            builder = builder.sink_with(json, SinkOptions::new().format(f));
            outs.push((p, minutes, text_out, json_out));
        }
    }
    let (logger, guard) = builder.build().unwrap();
    for (i, &t) in times.iter().enumerate() {
        hand.set_unix_nanos(t);
        uringlog::info!(logger, target: "t", "deferred {}", i);
        logger.log(uringlog::Level::Warn, "t", format_args!("pre {i}"));
        if i % 97 == 0 {
            logger.flush().unwrap();
        }
    }
    let s = guard.shutdown(SHUTDOWN).unwrap();
    let n = 2 * times.len() as u64;
    assert_eq!((s.enqueued, s.written, s.dropped), (n, n, 0), "{mode:?}");
    for (p, minutes, text_out, json_out) in outs {
        let (text, json) = (text_out.lines(), json_out.lines());
        assert_eq!(text.len(), 2 * times.len());
        assert_eq!(json.len(), 2 * times.len());
        for (i, &t) in times.iter().enumerate() {
            let ts = expected(t, p, minutes);
            let what = format!("{mode:?} {p:?} {minutes:?} record {i} at {t}");
            assert_eq!(text[2 * i], format!("{ts} INFO  t: deferred {i}"), "{what}");
            assert_eq!(text[2 * i + 1], format!("{ts} WARN  t: pre {i}"), "{what}");
            assert_eq!(
                json[2 * i],
                format!(r#"{{"ts":"{ts}","level":"INFO","target":"t","msg":"deferred {i}"}}"#),
                "{what}"
            );
            assert_eq!(
                json[2 * i + 1],
                format!(r#"{{"ts":"{ts}","level":"WARN","target":"t","msg":"pre {i}"}}"#),
                "{what}"
            );
        }
    }
}

#[test]
fn async_mode_renders_every_instant_as_the_calendar_says() {
    scenario(Mode::Async);
}

#[test]
fn sync_mode_renders_every_instant_as_the_calendar_says() {
    scenario(Mode::Sync);
}
