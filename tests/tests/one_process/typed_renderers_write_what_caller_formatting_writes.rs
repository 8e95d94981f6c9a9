//! Every call site here is first met in sync mode (whose calls note the
//! call site's typed renderer), so the writer of every later logger
//! renders with the typed renderers: literal pieces of 15, 16 and 17
//! bytes (also once escaping grows them past 16), strings of every length
//! around the 16-byte move with a byte to escape at its start, middle
//! and end, up to eleven values and twelve, and values the typed code
//! leaves to the table (floats, chars, `bool`, 128-bit integers) between
//! strings, a value the caller formats, messages followed by fields.
//! Each line, in text and JSON, async, sync, `DropOldest`, crash-safe and
//! in batches cut at 4 KiB, is byte for byte what `Formatting::Caller` writes (the
//! message formatted by `format!` in the caller, escaped whole), and the
//! JSON message is `format!`'s.

use uringlog::{
    Builder, Format, Formatting, Logger, MemoryHandle, Mode, Policy, SinkOptions, Timestamp,
};
use uringlog_tests::SHUTDOWN;

/// Logs each `(format, args…)` through the macros and records what
/// `format!` makes of it.
macro_rules! lines {
    ($l:expr, $want:expr; $(($($t:tt)*)),* $(,)?) => {$(
        uringlog::info!($l, $($t)*);
        $want.push(format!($($t)*));
    )*};
}

/// Strings of every length up to 40, and of lengths around 16 with a
/// character to escape (or a multi-byte one) at the start, middle, end.
fn strings() -> Vec<String> {
    let mut v: Vec<String> = (0..=40)
        .map(|n| "abcdefghij".repeat(5)[..n].to_string())
        .collect();
    let odd = [
        '"',
        '\\',
        '\n',
        '\t',
        '\r',
        '\u{0}',
        '\u{1}',
        '\u{1b}',
        '\u{7f}',
        'é',
        '€',
        '\u{2028}',
        '\u{2029}',
        '\u{85}',
        '\u{10ffff}',
        '=',
        ' ',
    ];
    for n in [1usize, 2, 14, 15, 16, 17, 31, 32, 33] {
        for &c in &odd {
            for at in [0, n / 2, n.saturating_sub(1)] {
                let s: String = (0..n).map(|i| if i == at { c } else { 'x' }).collect();
                v.push(s);
            }
        }
    }
    v
}

/// A value of a type the caller formats.
struct Shown<'a>(&'a str);

impl std::fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

/// One round of every call site.
fn log_all(l: &Logger, w: &mut Vec<String>) {
    let ss = strings();
    for (i, s) in ss.iter().enumerate() {
        let s = s.as_str();
        let t = ss[(i * 7 + 3) % ss.len()].as_str();
        let n = (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let f = f64::from_bits(n);
        let c = char::from_u32(n as u32 % 0x11_0000).unwrap_or('\u{fffd}');
        lines!(l, w;
            ("{}", s),
            ("{}{}", s, t),
            ("{}|", s),
            ("0123456789abcdef{}0123456789abcdef", s),
            ("012345678901234{}012345678901234", s),
            ("0123456789abcdefg{}0123456789abcdefg", s),
            ("\"\"\"\"\"\"\"\"{}\"\"\"\"\"\"\"\"", s),
            ("\t\t\t\t\t\t\t\t{}\u{1}\u{1}\u{1}", s),
            ("éééééééé{}\u{2028}\u{2028}\u{2028}\u{2028}\u{2028}", s),
            ("\\\\\\\\\\\\\\\\{}====", s),
            ("{} {} {}", s, n, t),
            ("{}{}{}", n as i64, s, n as i32),
            ("{}0123456789abcdef{}0123456789abcdef{}0123456789abcdef{}0123456789abcdef{}0123456789abcdef{}0123456789abcdef{}0123456789abcdef{}0123456789abcdef{}0123456789abcdef{}0123456789abcdef{}0123456789abcdef", s, t, s, t, s, t, s, t, s, t, s),
            ("{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}", s, n, s, -(n as i64), s, f, s, c, t, i % 2 == 0, s),
            ("{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}", s, n, s, n as u32, s, f as f32, s, c, t, u128::MAX - n as u128, s, i128::MIN + n as i128),
            ("{}{}{}{}{}", f, s, c, t, n as u8),
            ("{}\"{}\"{}", c, s, i % 3 == 0),
            ("{}", Shown(s)),
            ("{}0123456789abcdef{}0123456789abcdef{}", Shown(s), n, Shown(t)),
        );
    }
    // Messages followed by fields: the closing quote as the tail.
    for (i, s) in ss.iter().enumerate() {
        let s = s.as_str();
        let t = ss[(i * 5 + 1) % ss.len()].as_str();
        uringlog::info!(l, k = i; "{}", s);
        w.push(s.to_owned());
        uringlog::info!(l, k = s, n = 5u8; "0123456789abcdef{}\"\"{}", s, t);
        w.push(format!("0123456789abcdef{}\"\"{}", s, t));
        uringlog::info!(l, k = t; "{}={}={}", i, s, Shown(t));
        w.push(format!("{}={}={}", i, s, Shown(t)));
    }
    let huge = "é\"\\\u{1}x".repeat(10_000);
    lines!(l, w; ("{}", huge), ("a{}b{}c", huge, 5u8), ("{}{}", 'q', huge));
}

/// A logger with a text and a JSON sink, neither showing time or target,
/// `tweak` configuring it further.
fn build(
    tweak: impl FnOnce(Builder) -> Builder,
) -> (Logger, uringlog::WriterGuard, MemoryHandle, MemoryHandle) {
    let (t, to) = uringlog::MemorySink::new();
    let (j, jo) = uringlog::MemorySink::new();
    let b = Logger::builder()
        .sink_with(
            t,
            SinkOptions::new().format(Format::text().timestamp(Timestamp::Off).without_target()),
        )
        .sink_with(
            j,
            SinkOptions::new().format(Format::json().timestamp(Timestamp::Off).without_target()),
        )
        .ring_capacity(1 << 22);
    let (l, g) = tweak(b).build().unwrap();
    (l, g, to, jo)
}

/// What a case changes in the builder.
type Tweak<'a> = Box<dyn FnOnce(Builder) -> Builder + 'a>;

/// Every line of one logger's run of [`log_all`]: text, JSON, and what
/// `format!` made of each message.
fn run(
    name: &str,
    tweak: impl FnOnce(Builder) -> Builder,
) -> (Vec<String>, Vec<String>, Vec<String>) {
    let (l, g, text, json) = build(tweak);
    let mut want = Vec::new();
    log_all(&l, &mut want);
    drop(l);
    let s = g.shutdown(SHUTDOWN).unwrap();
    let n = want.len() as u64;
    assert_eq!((s.enqueued, s.written, s.dropped), (n, n, 0), "{name}");
    (text.lines(), json.lines(), want)
}

#[test]
fn typed_renderers_write_the_bytes_caller_formatting_writes() {
    // First: sync-mode calls note every call site's types.
    let (sync_text, sync_json, want) = run("sync", |b| b.mode(Mode::Sync));
    let (text, json, _) = run("caller", |b| b.formatting(Formatting::Caller));
    for (i, w) in want.iter().enumerate() {
        let v: serde_json::Value = serde_json::from_str(&json[i]).unwrap();
        assert_eq!(v["msg"].as_str(), Some(w.as_str()), "caller JSON line {i}");
    }
    let dir = tempfile::tempdir().unwrap();
    let mut cases = vec![("sync", sync_text, sync_json)];
    let others: [(&str, Tweak); 4] = [
        ("async", Box::new(|b| b)),
        ("drop oldest", Box::new(|b| b.policy(Policy::DropOldest))),
        ("crash-safe", Box::new(|b| b.crash_safe(dir.path()))),
        (
            "small batches",
            Box::new(|b| b.batch_bytes(4096).batch_size(7)),
        ),
    ];
    for (name, tweak) in others {
        let (t, j, _) = run(name, tweak);
        cases.push((name, t, j));
    }
    for (name, t, j) in cases {
        assert_eq!(t.len(), want.len(), "{name}");
        assert_eq!(j.len(), want.len(), "{name}");
        for i in 0..want.len() {
            assert_eq!(t[i], text[i], "{name} text line {i}: {:?}", want[i]);
            assert_eq!(j[i], json[i], "{name} JSON line {i}: {:?}", want[i]);
        }
    }
}
