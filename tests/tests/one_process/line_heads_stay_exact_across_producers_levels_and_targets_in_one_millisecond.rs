//! The writer keeps the last line head (timestamp, level, target) and
//! reuses it within the same millisecond (second at `Seconds`) for the
//! same level and target: records of three producers, four levels and
//! targets that differ by a byte, by their length past the 64 bytes a
//! target is recognised by, or only by being a call site's static or a
//! runtime string, interleaved within one millisecond and across its
//! edges, with the clock going back, each show their own time, level and
//! target, in text and JSON, async and sync, at every precision.

use std::collections::HashMap;
use uringlog::{Clock, Format, Level, Logger, MemorySink, Mode, SinkOptions, Timestamp};

/// 2026-12-31T23:59:59.998Z.
const BASE: u64 = 1_798_761_599_998_000_000;

/// How time `t` (within a second of `BASE`) shows at precision `p`.
fn ts(t: u64, p: Timestamp) -> String {
    let s = t / 1_000_000_000;
    let sub = t % 1_000_000_000;
    let date = match s {
        1_798_761_599 => "2026-12-31T23:59:59",
        1_798_761_600 => "2027-01-01T00:00:00",
        _ => unreachable!("{s}"),
    };
    match p {
        Timestamp::Seconds => format!("{date}Z"),
        Timestamp::Millis => format!("{date}.{:03}Z", sub / 1_000_000),
        Timestamp::Micros => format!("{date}.{:06}Z", sub / 1000),
        _ => format!("{date}.{sub:09}Z"),
    }
}

#[test]
fn line_heads_stay_exact_across_producers_levels_and_targets_in_one_millisecond() {
    let long = "L".repeat(70);
    let long2 = format!("{}M", "L".repeat(69));
    let targets: Vec<(String, bool)> = vec![
        ("a".into(), true),
        ("a".into(), false),
        ("ab".into(), false),
        ("".into(), false),
        ("q\"t".into(), false),
        (long.clone(), false),
        (long2.clone(), false),
        ("b".into(), true),
    ];
    let levels = [Level::Info, Level::Warn, Level::Error, Level::Debug];
    for mode in [Mode::Async, Mode::Sync] {
        for p in [
            Timestamp::Seconds,
            Timestamp::Millis,
            Timestamp::Micros,
            Timestamp::Nanos,
        ] {
            let (clock, hand) = Clock::manual(BASE);
            let (ts_, to) = MemorySink::new();
            let (js, jo) = MemorySink::new();
            let (l, g) = Logger::builder()
                .sink_with(ts_, SinkOptions::new().format(Format::text().timestamp(p)))
                .sink_with(js, SinkOptions::new().format(Format::json().timestamp(p)))
                .mode(mode)
                .level(Level::Debug)
                .clock(clock)
                .build()
                .unwrap();
            let mut p1 = l.producer();
            let mut p2 = l.producer();
            let mut want: HashMap<String, (u64, Level, String)> = HashMap::new();
            let times = [
                0u64,
                1,
                999,
                1000,
                999_999,
                1_000_000,
                1_000_001,
                500,
                2_000_000,
                1_999_999,
                1_000_000_000,
                0,
                7,
            ];
            let mut k = 0;
            for (ti, &dt) in times.iter().enumerate() {
                for (tj, (tg, st)) in targets.iter().enumerate() {
                    for (li, &lv) in levels.iter().enumerate() {
                        let t = BASE + dt + (tj as u64 * 3 + li as u64) % 5;
                        hand.set_unix_nanos(t);
                        let msg = format!("k{k}");
                        let which = (ti + tj + li) % 3;
                        match (st, tg.as_str(), which) {
                            (true, "a", 0) => uringlog::log!(l, lv, target: "a", "{}", msg),
                            (true, "a", 1) => uringlog::log!(p1, lv, target: "a", "{}", msg),
                            (true, "a", _) => uringlog::log!(p2, lv, target: "a", "{}", msg),
                            (true, "b", 0) => uringlog::log!(l, lv, target: "b", "{}", msg),
                            (true, "b", 1) => uringlog::log!(p1, lv, target: "b", "{}", msg),
                            (true, "b", _) => uringlog::log!(p2, lv, target: "b", "{}", msg),
                            (_, _, 0) => l.log(lv, tg, format_args!("{msg}")),
                            (_, _, 1) => p1.log(lv, tg, format_args!("{msg}")),
                            _ => p2.log(lv, tg, format_args!("{msg}")),
                        }
                        want.insert(msg, (t, lv, tg.clone()));
                        k += 1;
                    }
                }
            }
            drop((p1, p2));
            let s = g.shutdown(uringlog_tests::SHUTDOWN).unwrap();
            assert_eq!((s.enqueued, s.written), (k, k));
            let text = to.lines();
            let json = jo.lines();
            assert_eq!(text.len() as u64, k);
            for line in &text {
                let msg = line.rsplit(' ').next().unwrap();
                let (t, lv, tg) = &want[msg];
                let lvs = format!("{:<5}", lv.as_str());
                let expect = if tg.is_empty() {
                    format!("{} {lvs} : {msg}", ts(*t, p))
                } else {
                    format!("{} {lvs} {tg}: {msg}", ts(*t, p))
                };
                assert_eq!(line, &expect, "{mode:?} {p:?}");
            }
            for line in &json {
                let v: serde_json::Value = serde_json::from_str(line).unwrap();
                let msg = v["msg"].as_str().unwrap();
                let (t, lv, tg) = &want[msg];
                assert_eq!(v["ts"].as_str().unwrap(), ts(*t, p), "{line}");
                assert_eq!(v["level"].as_str().unwrap(), lv.as_str(), "{line}");
                assert_eq!(v["target"].as_str().unwrap_or(""), tg, "{line}");
            }
        }
    }
}
