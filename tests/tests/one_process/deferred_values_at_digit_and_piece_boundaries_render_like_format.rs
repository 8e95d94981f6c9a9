//! A deferred message is byte for byte what `format!` gives at the edges
//! of the writer's fast paths: every integer type at 0, 10^k - 1, 10^k,
//! 10^k + 1 and its extremes (the four-digit store below 10^4, the
//! eight-digit lanes above), under widths, zero padding, signs and hex;
//! literal pieces of 15, 16 and 17 bytes (one 16-byte move or more), also
//! after escaping grows them; empty, multi-byte and escaped strings and
//! chars; floats at NaN, infinities, signed zero and subnormals. In text
//! and JSON, async, sync, caller-formatted and crash-safe.

use uringlog::{
    Format, Formatting, Logger, MemoryHandle, Mode, SinkOptions, Timestamp, WriterGuard,
};
use uringlog_tests::SHUTDOWN;

/// A logger with a text and a JSON sink, neither showing time or target.
fn make(
    mode: Mode,
    formatting: Formatting,
    cs: Option<&std::path::Path>,
) -> (Logger, WriterGuard, MemoryHandle, MemoryHandle) {
    let (t, to) = uringlog::MemorySink::new();
    let (j, jo) = uringlog::MemorySink::new();
    let mut b = Logger::builder()
        .sink_with(
            t,
            SinkOptions::new().format(Format::text().timestamp(Timestamp::Off).without_target()),
        )
        .sink_with(
            j,
            SinkOptions::new().format(Format::json().timestamp(Timestamp::Off).without_target()),
        )
        .mode(mode)
        .formatting(formatting)
        .ring_capacity(1 << 20);
    if let Some(d) = cs {
        b = b.crash_safe(d);
    }
    let (l, g) = b.build().unwrap();
    (l, g, to, jo)
}

/// Logs each `(format, args…)` through the macros and records what
/// `format!` makes of it.
macro_rules! lines {
    ($l:expr, $want:expr; $(($($t:tt)*)),* $(,)?) => {$(
        uringlog::info!($l, $($t)*);
        $want.push(format!($($t)*));
    )*};
}

/// Integer specs, and pieces around 16 bytes before and after escaping.
macro_rules! ints {
    ($l:expr, $want:expr, $v:expr) => {{
        let v = $v;
        lines!($l, $want;
            ("{}", v), ("{:5}", v), ("{:05}", v), ("{:+}", v), ("{:<6}|", v), ("{:^7}|", v), ("{:x}", v),
            ("{:#X}", v), ("{:>12}", v), ("{:012}", v), ("{:+013}", v), ("{:?}", v), ("{:1}", v), ("{:4}", v),
            ("a{}b", v), ("123456789012345{}", v), ("1234567890123456{}", v), ("12345678901234567{}x", v),
            ("\"23456789012345{}\"", v), ("\\\\3456789012345\"{}", v),
        );
    }};
}

/// Logs every case; `want` gets `format!`'s answers in order.
fn log_all(l: &Logger, want: &mut Vec<String>) {
    let mut us: Vec<u64> = vec![0, 1, u64::MAX, u64::MAX - 1];
    let mut p = 1u64;
    for _ in 0..20 {
        us.extend([p.wrapping_sub(1), p, p.wrapping_add(1)]);
        p = p.wrapping_mul(10);
    }
    for &u in &us {
        ints!(l, want, u);
        ints!(l, want, u as i64);
        ints!(l, want, u as u32);
        ints!(l, want, u as i32);
        ints!(l, want, u as u16);
        ints!(l, want, u as i16);
        ints!(l, want, u as u8);
        ints!(l, want, u as i8);
        ints!(l, want, u as usize);
        ints!(l, want, u as isize);
        ints!(l, want, u as u128 * 10_000_000_000_000_000_000 + 7);
        ints!(
            l,
            want,
            (u as i128).wrapping_mul(-10_000_000_000_000_000_000) - 7
        );
        ints!(l, want, -(u as i128));
    }
    ints!(l, want, i64::MIN);
    ints!(l, want, i128::MIN);
    ints!(l, want, u128::MAX);
    ints!(l, want, i8::MIN);
    let strs = [
        "",
        "é",
        "ab",
        "0123456789abcde",
        "0123456789abcdef",
        "0123456789abcdefg",
        "\"q\"",
        "\\",
        "\u{2028}",
        "日本語テキスト",
        "\n\t\r",
        "\u{7f}\u{1b}",
    ];
    for s in strs {
        lines!(l, want; ("{}", s), ("[{}]", s), ("{:>20}|", s), ("{:-^9}", s), ("{:.2}", s), ("0123456789abcdef{}0123456789abcdef", s), ("{}{}{}", s, s, s));
    }
    for c in ['a', 'é', '日', '\u{10ffff}', '"', '\\', '\n', '\0'] {
        lines!(l, want; ("{}", c), ("{:>3}|", c), ("{:?}", c), ("x{}y", c));
    }
    for f in [
        0.0f64,
        -0.0,
        1.0,
        -1.5,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        5e-324,
        f64::MAX,
        1e16,
        9999.5,
        0.1,
    ] {
        lines!(l, want; ("{}", f), ("{:?}", f), ("{:8.2}", f), ("{:+e}", f), ("{:010.3}", f));
    }
    for f in [0.0f32, -0.0, 1e-45, f32::MAX, f32::NAN, 16_777_217.0, 0.1] {
        lines!(l, want; ("{}", f), ("{:?}", f), ("{:8.2}", f), ("{:e}", f));
    }
    for b in [true, false] {
        lines!(l, want; ("{}", b), ("{:>6}|", b), ("{:?}", b));
    }
}

#[test]
fn deferred_values_at_digit_and_piece_boundaries_render_like_format() {
    let dir = tempfile::tempdir().unwrap();
    for (mode, fmt, cs) in [
        (Mode::Async, Formatting::Deferred, None),
        (Mode::Sync, Formatting::Deferred, None),
        (Mode::Async, Formatting::Caller, None),
        (Mode::Async, Formatting::Deferred, Some(dir.path())),
    ] {
        let (l, g, to, jo) = make(mode, fmt, cs);
        let mut want = Vec::new();
        log_all(&l, &mut want);
        let s = g.shutdown(SHUTDOWN).unwrap();
        assert_eq!((s.written, s.dropped), (want.len() as u64, 0));
        let text = to.lines();
        let json = jo.lines();
        assert_eq!(text.len(), want.len());
        for (i, w) in want.iter().enumerate() {
            // Text equals `format!` where there is nothing to escape.
            let plain = !w
                .chars()
                .any(|ch| ch.is_control() || matches!(ch, '\\' | '"' | '\u{2028}' | '\u{2029}'));
            if plain {
                assert_eq!(text[i], format!("INFO  {w}"), "{mode:?} {fmt:?} {cs:?}");
            }
            let v: serde_json::Value = serde_json::from_str(&json[i]).unwrap();
            assert_eq!(
                v["msg"].as_str(),
                Some(w.as_str()),
                "{mode:?} {fmt:?} {cs:?}: {}",
                json[i]
            );
        }
    }
}
