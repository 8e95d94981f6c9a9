//! Deferred records recovered from a crash-safe directory render byte for
//! byte as `format!` does: random values of the plain types under `{}` and
//! under other specs (`{:>8}`, `{:x}`, `{:?}`, `{:+.3e}`, width and
//! precision arguments), recovered through the call-site table alone.
//!
//! A logger whose writer is stuck in its sink's first write (a record
//! `stuck`) keeps every record logged after it pending; its shutdown gives
//! up and leaves the directory as a crash would. The next logger built on
//! the directory writes them, in text and JSON lines.

use std::time::Duration;
use uringlog::{Format, Logger, MemorySink, SinkOptions, Timestamp};
use uringlog_tests::stuck_crash_safe_logger;

/// A small deterministic generator of values.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Logs each `(format, args…)` through the macros and records `format!`'s
/// answer.
macro_rules! lines {
    ($l:expr, $want:expr; $(($($t:tt)*)),* $(,)?) => {$(
        uringlog::info!($l, $($t)*);
        $want.push(format!($($t)*));
    )*};
}

const ROUNDS: u64 = 150;

fn log_all(l: &Logger, want: &mut Vec<String>) {
    let mut g = Gen(0x9E37_79B9_7F4A_7C15);
    let words = [
        "",
        "alice",
        "tab\there",
        "quote \"q\"",
        "ünï ✓",
        "back\\slash",
    ];
    for _ in 0..ROUNDS {
        let (a, b) = (g.next(), g.next());
        let (i, u, f) = (a as i64, (b >> 3) as u32, f64::from_bits(a) / 1e300);
        let x = (b as f32) / 7.0;
        let s = words[(a % words.len() as u64) as usize];
        let (w, p) = ((b % 20) as usize, (a % 6) as usize);
        let c = char::from_u32((b % 0x2ff) as u32 + 0x20).unwrap_or('?');
        lines!(l, want;
            ("i={} u={} f={} x={} s={} c={} t={}", i, u, f, x, s, c, a % 2 == 0),
            ("r={:>8}| h={:x} d={:?} e={:+.3e}", i, u, s, f),
            ("w={:>w$.p$}| {:<1$}| {:^9}|", x, w, c, w = w, p = p),
            ("{:#010x} {:o} {:#b} {:X?} {:08.2}", u, u, (u & 0xff) as u8, a, x),
            ("{:?} {:.*} {:e} {}", f, p, x, u as u128 * 3, i as i128 - 7),
            ("plain {} and {:?}", s, c),
        );
    }
}

#[test]
fn recovered_deferred_records_render_like_format() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cs");
    // Stuck before the records are logged: a shutdown that gave up while
    // the writer had not yet taken one would leave them to it.
    let (logger, guard, gate) = stuck_crash_safe_logger(&dir);
    let mut want = Vec::new();
    log_all(&logger, &mut want);
    guard.shutdown(Duration::from_millis(300)).unwrap_err();
    gate.release.send(()).unwrap();
    let _ = logger.flush();
    // The records are deferred: their call sites are in the table.
    let table = std::fs::metadata(dir.join("sites-1")).unwrap();
    assert!(table.len() > 32, "call-site table of {} bytes", table.len());

    let (text_sink, text) = MemorySink::new();
    let (json_sink, json) = MemorySink::new();
    let plain = Format::text().timestamp(Timestamp::Off).without_target();
    let json_fmt = Format::json().timestamp(Timestamp::Off).without_target();
    let (_next, guard) = Logger::builder()
        .sink_with(text_sink, SinkOptions::new().format(plain))
        .sink_with(json_sink, SinkOptions::new().format(json_fmt))
        .crash_safe(&dir)
        .build()
        .unwrap();
    let s = guard.shutdown(Duration::from_secs(30)).unwrap();
    // The records logged, `stuck` before them, and the recovery's line.
    let n = want.len() + 1;
    assert_eq!(
        (s.enqueued, s.written, s.dropped),
        (n as u64 + 1, n as u64 + 1, 0)
    );
    let (text, json) = (text.lines(), json.lines());
    assert_eq!(
        text[0],
        format!(
            "WARN  crash-safe recovery: {n} records recovered from process {} (generation 1), 0 torn or corrupt records skipped",
            std::process::id()
        )
    );
    assert_eq!((text.len(), json.len()), (n + 1, n + 1));
    assert_eq!(text[1], "INFO  stuck");
    for (i, w) in want.iter().enumerate() {
        let v: serde_json::Value = serde_json::from_str(&json[i + 2]).unwrap();
        assert_eq!(v["msg"].as_str(), Some(w.as_str()), "{}", json[i + 2]);
        let plain = !w.starts_with('"') && !w.chars().any(|c| c.is_control() || c == '\\');
        if plain {
            assert_eq!(text[i + 2], format!("INFO  {w}"));
        }
    }
}
