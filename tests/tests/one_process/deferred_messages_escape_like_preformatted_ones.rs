//! A deferred message is escaped part by part as the writer renders it
//! (literal pieces, values, `core::fmt` output): the lines must be byte for
//! byte those of the same message formatted in the caller, in text and
//! JSON, async and sync — with escapes in the format string's pieces, in
//! the values and across the boundaries between them, a leading quote
//! that comes from a piece or from a value, long strings full of escapes,
//! and targets that need escaping.

use uringlog::{Format, Level, Logger, MemorySink, Mode, SinkOptions, Timestamp};
use uringlog_tests::SHUTDOWN;

/// Logs each `(format, args…)` deferred and then pre-formatted.
macro_rules! both {
    ($l:expr; $(($($t:tt)*)),* $(,)?) => {{
        let mut n = 0;
        $(
            uringlog::info!($l, target: "t", $($t)*);
            $l.log(Level::Info, "t", format_args!($($t)*));
            n += 1;
        )*
        n
    }};
}

fn run(mode: Mode) -> (Vec<String>, Vec<String>) {
    let (text, text_out) = MemorySink::new();
    let (json, json_out) = MemorySink::new();
    let (l, guard) = Logger::builder()
        .sink_with(
            text,
            SinkOptions::new().format(Format::text().timestamp(Timestamp::Off)),
        )
        .sink_with(
            json,
            SinkOptions::new().format(Format::json().timestamp(Timestamp::Off)),
        )
        .mode(mode)
        .ring_capacity(1 << 20)
        .build()
        .unwrap();
    let q = "\"quoted\"";
    let nasty = "a\\b\"c\td\ne\r\u{1}\u{7f}\u{85}\u{2028}\u{2029}é😀";
    let long = nasty.repeat(500);
    let n = 3.5f64;
    let mut count = both!(l;
        ("tab\there \"q\" {} back\\slash é {}", 42, "x"),
        ("\"{}\" leads with a piece's quote", 1),
        ("{}", q),
        ("{} then {}", q, q),
        ("{}{}", "", q),
        ("{:?}", q),
        ("{:>12}|{:?}", q, nasty),
        ("line\nbreak {} and {}\u{2028}", nasty, n),
        ("{}", nasty),
        ("{}|{}", long, 'é'),
        ("{:?}", long),
        ("\u{1}{}\u{7f}", '\n'),
        ("{:.3}", nasty),
        ("{0}{0:?}{0:>3}", '"'),
        ("", ),
    );
    // A target that needs escaping in both formats, from a call site and
    // from a computed string.
    let target = String::from("a b\"c\\d");
    uringlog::info!(l, target: "a b\"c\\d", "static {}", 1);
    l.log(Level::Info, "a b\"c\\d", format_args!("static {}", 1));
    uringlog::info!(l, target: target.as_str(), "computed {}", 2);
    l.log(Level::Info, &target, format_args!("computed {}", 2));
    count += 2;
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((s.written, s.dropped), (2 * count, 0));
    (text_out.lines(), json_out.lines())
}

#[test]
fn deferred_messages_escape_like_preformatted_ones() {
    let (text, json) = run(Mode::Async);
    assert_eq!((text.len(), json.len()), (34, 34));
    for lines in [&text, &json] {
        for pair in lines.chunks(2) {
            assert_eq!(pair[0], pair[1]);
        }
    }
    // The escapes themselves, once: a leading quote, controls, separators.
    assert_eq!(text[4], r#"INFO  t: \"quoted""#);
    assert_eq!(text[8], r#"INFO  t: \"quoted""#);
    assert_eq!(
        text[16],
        r#"INFO  t: a\\b"c	d\ne\r\x01\x7f\u{85}\u{2028}\u{2029}é😀"#
    );
    assert_eq!(
        json[16],
        concat!(
            r#"{"level":"INFO","target":"t","msg":"a\\b\"c\td\ne\r\u0001"#,
            "\u{7f}", // JSON strings may hold DEL as it is
            r#"\u0085\u2028\u2029é😀"}"#
        )
    );
    assert_eq!(text[30], r#"INFO  a\x20b"c\\d: static 1"#);
    // Sync mode writes the same lines.
    assert_eq!(run(Mode::Sync), (text, json));
}
