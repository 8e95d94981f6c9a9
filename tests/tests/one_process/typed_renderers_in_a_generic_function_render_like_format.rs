//! One call site in a generic function sees values of many types: its
//! typed renderer is the first caller's, and every record, whatever its
//! types, must still render byte for byte as `format!` does, in text and
//! in JSON (the message member), for integers of every width at their
//! extremes, floats (NaN, infinities, -0.0, subnormals), chars, and
//! strings empty, huge, or holding control characters and quotes.

use std::fmt::Display;
use uringlog::__private::Plain;
use uringlog::{Format, Logger, SinkOptions, Timestamp};

/// One `{}` of a value of any plain type, from one call site.
fn one<T: Plain + Display>(l: &Logger, v: T, want: &mut Vec<String>) {
    uringlog::info!(l, "v={}|", v);
    want.push(format!("v={}|", v));
}

/// Two values from one call site, types varying independently.
fn two<A: Plain + Display, B: Plain + Display>(l: &Logger, a: A, b: B, want: &mut Vec<String>) {
    uringlog::info!(l, "{}\"{}", a, b);
    want.push(format!("{}\"{}", a, b));
}

/// Eleven values (the most a signature holds) and twelve (none).
fn many<T: Plain + Display + Copy>(l: &Logger, v: T, want: &mut Vec<String>) {
    uringlog::info!(
        l,
        "{} {} {} {} {} {} {} {} {} {} {}",
        v,
        v,
        v,
        v,
        v,
        v,
        v,
        v,
        v,
        v,
        v
    );
    want.push(format!(
        "{} {} {} {} {} {} {} {} {} {} {}",
        v, v, v, v, v, v, v, v, v, v, v
    ));
    uringlog::info!(
        l,
        "{}{}{}{}{}{}{}{}{}{}{}{}",
        v,
        v,
        v,
        v,
        v,
        v,
        v,
        v,
        v,
        v,
        v,
        v
    );
    want.push(format!(
        "{}{}{}{}{}{}{}{}{}{}{}{}",
        v, v, v, v, v, v, v, v, v, v, v, v
    ));
}

macro_rules! each {
    ($f:ident, $l:expr, $w:expr; $($v:expr),* $(,)?) => {$( $f($l, $v, $w); )*};
}

fn log_all(l: &Logger, w: &mut Vec<String>) {
    let huge = "x\"\\\u{1}\n\t\u{7f}\u{2028}é".repeat(5000);
    each!(one, l, w;
        0u8, u8::MAX, i8::MIN, i8::MAX, u16::MAX, i16::MIN, u32::MAX, i32::MIN, i32::MAX,
        u64::MAX, i64::MIN, i64::MAX, u128::MAX, i128::MIN, i128::MAX, usize::MAX, isize::MIN,
        f32::NAN, f32::INFINITY, f32::NEG_INFINITY, -0.0f32, f32::MIN, f32::MAX,
        f32::MIN_POSITIVE / 2.0, f32::from_bits(1), f64::NAN, -f64::INFINITY, -0.0f64,
        f64::MIN, f64::MAX, f64::from_bits(1), -f64::from_bits(1), f64::MIN_POSITIVE / 3.0,
        0.1f64, 1e21f64, 1e-7f64, 'a', '"', '\\', '\0', '\u{1f}', '\u{10ffff}', '\u{2029}',
        true, false, "", "\"", "\"lead", "\\", "\u{0}\u{1}\u{1b}[31m", "0123456789abcdef",
        "0123456789abcdefg", "é0123456789abcde", huge.as_str(),
    );
    two(l, 1u8, "a", w);
    two(l, "a", 1u8, w);
    two(l, u64::MAX, i64::MIN, w);
    two(l, i64::MIN, u64::MAX, w);
    two(l, u32::MAX, i32::MIN, w);
    two(l, i32::MIN, u32::MAX, w);
    two(l, "", "", w);
    two(l, f64::NAN, '\n', w);
    two(l, huge.as_str(), -0.0f64, w);
    two(l, String::from("s\u{0}"), 5u16, w);
    each!(many, l, w; 7u8, u64::MAX, i32::MIN, 'q', -0.0f32, f64::MAX, "\u{1}\"", true);
}

#[test]
fn a_generic_call_site_renders_every_type_like_format() {
    for crash_safe in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let (text_sink, text) = uringlog::MemorySink::new();
        let (json_sink, json) = uringlog::MemorySink::new();
        let plain = Format::text().timestamp(Timestamp::Off).without_target();
        let json_fmt = Format::json().timestamp(Timestamp::Off).without_target();
        let mut b = Logger::builder()
            .sink_with(text_sink, SinkOptions::new().format(plain))
            .sink_with(json_sink, SinkOptions::new().format(json_fmt))
            .ring_capacity(1 << 20);
        if crash_safe {
            b = b.crash_safe(dir.path());
        }
        let (logger, guard) = b.build().unwrap();
        let mut want = Vec::new();
        // Twice: the second round finds every table noted.
        log_all(&logger, &mut want);
        log_all(&logger, &mut want);
        logger.flush().unwrap();
        let text = text.lines();
        let json = json.lines();
        assert_eq!(text.len(), want.len(), "crash_safe={crash_safe}");
        assert_eq!(json.len(), want.len(), "crash_safe={crash_safe}");
        for (i, w) in want.iter().enumerate() {
            let plain = !w.starts_with('"')
                && !w
                    .chars()
                    .any(|c| c.is_control() || matches!(c, '\\' | '\u{2028}' | '\u{2029}'));
            if plain {
                assert_eq!(
                    text[i],
                    format!("INFO  {w}"),
                    "crash_safe={crash_safe} line {i}"
                );
            }
            let v: serde_json::Value = serde_json::from_str(&json[i]).unwrap();
            assert_eq!(
                v["msg"].as_str(),
                Some(w.as_str()),
                "crash_safe={crash_safe} line {i}"
            );
        }
        drop(logger);
        guard.shutdown(uringlog_tests::SHUTDOWN).unwrap();
    }
}
