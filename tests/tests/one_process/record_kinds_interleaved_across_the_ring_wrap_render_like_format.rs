//! The writer formats each record kind (deferred, pre-formatted, a
//! `tracing` event with fields and spans) with a copy of its code of its
//! own, and a record that straddles a ring's wrap with another. Here the
//! kinds alternate on one ring of 256 bytes, so records of every kind
//! land on every offset and straddle its wrap; their integers sit at the
//! edges of the digit tables (0, 999, 1000, 999,999, 1,000,000, the
//! extremes, negatives) in messages under width, sign and fill specs and
//! in fields; the clock steps across millisecond edges while the kinds
//! alternate, so the cached line head is reused and renewed between
//! kinds. Text, JSON and a sink's own format, async and sync, with and
//! without that sink (which makes the writer render deferred messages
//! eagerly): each line is exactly what `format!` and the documented
//! layout give.

use std::sync::{Arc, Mutex};
use tracing_subscriber::prelude::*;
use uringlog::{
    Clock, Format, Level, Logger, MemorySink, Mode, Record, RecordFormat, Sink, SinkOptions,
    Target, Timestamp,
};
use uringlog_tests::SHUTDOWN;

/// 2026-12-31T23:59:59.998Z.
const BASE: u64 = 1_798_761_599_998_000_000;
const RECORDS: u64 = 700;
const UNSIGNED: [u64; 12] = [
    0,
    9,
    99,
    999,
    1_000,
    99_999,
    999_999,
    1_000_000,
    1_000_001,
    99_999_999,
    100_000_000,
    u64::MAX,
];
const SIGNED: [i64; 8] = [
    0,
    -1,
    -999,
    -1_000,
    -999_999,
    -1_000_000,
    i64::MIN,
    i64::MAX,
];

/// `level|target|message|nanos` lines: a sink's own format.
struct Pipes;
impl RecordFormat for Pipes {
    fn write(&mut self, out: &mut Vec<u8>, rec: &Record<'_>) {
        out.extend_from_slice(rec.level().as_str().as_bytes());
        out.push(b'|');
        out.extend_from_slice(rec.target());
        out.push(b'|');
        out.extend_from_slice(rec.message());
        out.extend_from_slice(format!("|{}\n", rec.unix_nanos()).as_bytes());
    }
}

/// A sink with that format, into memory.
struct Own(Arc<Mutex<Vec<u8>>>);
impl Sink for Own {
    fn describe(&self) -> String {
        "own".into()
    }
    fn target(&mut self, _: usize) -> std::io::Result<Target> {
        Ok(Target::Inline)
    }
    fn write_inline(&mut self, b: &[u8]) -> std::io::Result<()> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(())
    }
    fn record_format(&mut self) -> Option<Box<dyn RecordFormat>> {
        Some(Box::new(Pipes))
    }
}

/// How time `t` shows at millisecond precision.
fn ts(t: u64) -> String {
    let date = match t / 1_000_000_000 {
        1_798_761_599 => "2026-12-31T23:59:59",
        1_798_761_600 => "2027-01-01T00:00:00",
        s => unreachable!("{s}"),
    };
    format!("{date}.{:03}Z", t % 1_000_000_000 / 1_000_000)
}

/// What one record should show.
struct Want {
    t: u64,
    level: Level,
    target: &'static str,
    msg: String,
    /// Text after the message: ` k=v` fields (the message then quoted).
    fields: Vec<(&'static str, serde_json::Value)>,
    /// The span around a `tracing` event: its `n` field.
    span: Option<u64>,
}

/// Logs the records, stepping the clock; returns what each should show.
fn log_all(l: &Logger, hand: &uringlog::ManualClock) -> Vec<Want> {
    let mut want = Vec::new();
    for i in 0..RECORDS {
        // Across the millisecond edges, now and then back.
        let t = BASE
            + [0, 999_999, 1_000_000, 1_999_999, 2_000_000, 1_500_000][(i / 3 % 6) as usize]
            + i;
        hand.set_unix_nanos(t);
        let u = UNSIGNED[(i % 12) as usize];
        let s = SIGNED[(i % 8) as usize];
        let pad = &"abcdefghijklmnopqrstuvwxyz0123456789"[..(i * 7 % 37) as usize];
        let (level, target, msg, fields, span) = match i % 4 {
            0 => {
                uringlog::info!(l, target: "d", "d{} {} {:>9}|{:+} {:<12}|{:08} {}", i, u, u % 1_000_000, s, s, u % 100_000_000, pad);
                let msg = format!(
                    "d{} {} {:>9}|{:+} {:<12}|{:08} {}",
                    i,
                    u,
                    u % 1_000_000,
                    s,
                    s,
                    u % 100_000_000,
                    pad
                );
                (Level::Info, "d", msg, vec![], None)
            }
            1 => {
                l.log(Level::Warn, "p", format_args!("p{i} {u} {s:^22} {pad}"));
                (
                    Level::Warn,
                    "p",
                    format!("p{i} {u} {s:^22} {pad}"),
                    vec![],
                    None,
                )
            }
            2 => {
                tracing::error!(target: "f", u = u, s = s, "f{} {}", i, pad);
                let fields = vec![("u", u.into()), ("s", s.into())];
                (Level::Error, "f", format!("f{i} {pad}"), fields, None)
            }
            _ => {
                let n = u % 10_000_000;
                let sp = tracing::info_span!("sp", n = n);
                let _e = sp.enter();
                tracing::info!(target: "s", "s{} {}", i, u);
                (Level::Info, "s", format!("s{i} {u}"), vec![], Some(n))
            }
        };
        want.push(Want {
            t,
            level,
            target,
            msg,
            fields,
            span,
        });
    }
    want
}

/// The text line of `w` (see `tracing_layer_records_fields_and_spans`).
fn text_line(w: &Want) -> String {
    let span = w.span.map_or(String::new(), |n| format!("sp{{n={n}}}: "));
    let body = if w.fields.is_empty() {
        w.msg.clone()
    } else {
        let kv: String = w.fields.iter().map(|(k, v)| format!(" {k}={v}")).collect();
        format!("{:?}{kv}", w.msg)
    };
    format!(
        "{} {:<5} {span}{}: {body}",
        ts(w.t),
        w.level.as_str(),
        w.target
    )
}

/// The JSON object of `w`.
fn json_value(w: &Want) -> serde_json::Value {
    let mut o = serde_json::json!({
        "ts": ts(w.t), "level": w.level.as_str(), "target": w.target, "msg": w.msg,
    });
    for (k, v) in &w.fields {
        o[*k] = v.clone();
    }
    if let Some(n) = w.span {
        o["spans"] = serde_json::json!([{"name": "sp", "n": n}]);
    }
    o
}

#[test]
fn record_kinds_interleaved_across_the_ring_wrap_render_like_format() {
    for mode in [Mode::Async, Mode::Sync] {
        for own in [false, true] {
            let (clock, hand) = Clock::manual(BASE);
            let (ts_, to) = MemorySink::new();
            let (js, jo) = MemorySink::new();
            let buf = Arc::new(Mutex::new(Vec::new()));
            let mut b = Logger::builder()
                .sink_with(
                    ts_,
                    SinkOptions::new().format(Format::text().timestamp(Timestamp::Millis)),
                )
                .sink_with(
                    js,
                    SinkOptions::new().format(Format::json().timestamp(Timestamp::Millis)),
                )
                .mode(mode)
                .ring_capacity(256)
                .level(Level::Debug)
                .clock(clock);
            if own {
                b = b.sink(Own(buf.clone()));
            }
            let (l, g) = b.build().unwrap();
            let sub = tracing_subscriber::registry().with(uringlog::tracing::layer(&l));
            let want = tracing::subscriber::with_default(sub, || log_all(&l, &hand));
            let s = g.shutdown(SHUTDOWN).unwrap();
            assert_eq!(
                (s.enqueued, s.written, s.dropped),
                (RECORDS, RECORDS, 0),
                "{mode:?} {own}"
            );
            let (text, json) = (to.lines(), jo.lines());
            assert_eq!((text.len(), json.len()), (want.len(), want.len()));
            for (i, w) in want.iter().enumerate() {
                assert_eq!(text[i], text_line(w), "{mode:?} own sink {own}: record {i}");
                let v: serde_json::Value = serde_json::from_str(&json[i]).unwrap();
                assert_eq!(v, json_value(w), "{mode:?} own sink {own}: {}", json[i]);
            }
            let mine = String::from_utf8(buf.lock().unwrap().clone()).unwrap();
            let lines: Vec<&str> = mine.lines().collect();
            if own {
                assert_eq!(lines.len(), want.len());
                for (line, w) in lines.iter().zip(&want) {
                    let expect = format!("{}|{}|{}|{}", w.level.as_str(), w.target, w.msg, w.t);
                    assert_eq!(*line, expect, "{mode:?}");
                }
            } else {
                assert!(lines.is_empty());
            }
        }
    }
}
