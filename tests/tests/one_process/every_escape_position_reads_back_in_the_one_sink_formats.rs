//! The escaping scan tests strings of 16 bytes or more 16 at a time (the
//! last 16 overlapping) and shorter ones a word at a time. A byte to
//! escape at any position of any length must be found: here strings of
//! every length to 80 bytes carry one such byte (a control, `"`, `\`,
//! DEL, a space, and characters of two, three and four bytes, one of them
//! a line separator) at every position, as a pre-formatted message, a
//! deferred value, a field value and a target, through one file sink in
//! the default text and JSON formats (the writer's one-sink loops) — and
//! each line must read back, by the documented grammar (text) or a JSON
//! parser, to exactly the string logged.

use uringlog::{Clock, Format, Level, Logger, SinkOptions};
use uringlog_sinks::FileSink;
use uringlog_tests::text_line::{parse, Shape, TextValue};
use uringlog_tests::SHUTDOWN;

/// One of each kind of byte the dialects treat apart.
const SPECIALS: [&str; 8] = ["\u{1f}", "\"", "\\", "\u{7f}", " ", "é", "\u{2028}", "😀"];

/// Every string of `a`s up to 80 bytes with one special at each position.
fn strings() -> Vec<String> {
    let mut v = Vec::new();
    for len in 1..=80 {
        for at in 0..len {
            for sp in SPECIALS {
                if at + sp.len() <= len {
                    v.push(format!(
                        "{}{sp}{}",
                        "a".repeat(at),
                        "a".repeat(len - at - sp.len())
                    ));
                }
            }
        }
    }
    v.push(String::new());
    v
}

/// How the `i`th string is logged.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Message,
    Deferred,
    Field,
    Target,
}

fn kind(i: usize, s: &str) -> Kind {
    match i % 4 {
        0 => Kind::Message,
        1 => Kind::Deferred,
        2 => Kind::Field,
        _ if s.is_empty() => Kind::Message,
        _ => Kind::Target,
    }
}

/// The lines written for `strings` in `format`.
fn run(format: Format, strings: &[String]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("escapes.log");
    let (clock, _hand) = Clock::manual(1_795_841_809_000_000_000);
    let (logger, guard) = Logger::builder()
        .sink_with(
            FileSink::new(&path).unwrap(),
            SinkOptions::new().format(format),
        )
        .clock(clock)
        .ring_capacity(1 << 20)
        .build()
        .unwrap();
    for (i, s) in strings.iter().enumerate() {
        let s = s.as_str();
        match kind(i, s) {
            Kind::Message => logger.log(Level::Info, "t", format_args!("{s}")),
            Kind::Deferred => uringlog::info!(logger, target: "t", "{}", s),
            Kind::Field => logger.log_fields(Level::Info, "t", &[("k", &s)], format_args!("m")),
            Kind::Target => logger.log(Level::Info, s, format_args!("m")),
        }
    }
    let n = strings.len() as u64;
    let st = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((st.enqueued, st.written, st.dropped), (n, n, 0));
    let text = String::from_utf8(std::fs::read(&path).unwrap()).unwrap();
    text.split_inclusive('\n').map(str::to_owned).collect()
}

#[test]
fn every_escape_position_reads_back_in_text() {
    let strings = strings();
    let lines = run(Format::text(), &strings);
    assert_eq!(lines.len(), strings.len());
    let shape = Shape {
        timestamp: true,
        thread: false,
        target: true,
    };
    for (i, (line, s)) in lines.iter().zip(&strings).enumerate() {
        let l = parse(line, shape).unwrap_or_else(|e| panic!("{e}: {line:?} for {s:?}"));
        let (target, message, fields) = match kind(i, s) {
            Kind::Message | Kind::Deferred => ("t", s.as_str(), None),
            Kind::Field => (
                "t",
                "m",
                Some(vec![(
                    b"k".to_vec(),
                    TextValue::Str(s.clone().into_bytes()),
                )]),
            ),
            Kind::Target => (s.as_str(), "m", None),
        };
        let got = (l.target.as_deref(), l.message.as_slice(), l.fields);
        let want = (Some(target.as_bytes()), message.as_bytes(), fields);
        assert_eq!(got, want, "{line:?} for {s:?}");
    }
}

#[test]
fn every_escape_position_reads_back_in_json() {
    let strings = strings();
    let lines = run(Format::json(), &strings);
    assert_eq!(lines.len(), strings.len());
    for (i, (line, s)) in lines.iter().zip(&strings).enumerate() {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line:?} for {s:?}"));
        let (target, message, field) = match kind(i, s) {
            Kind::Message | Kind::Deferred => ("t", s.as_str(), None),
            Kind::Field => ("t", "m", Some(s.as_str())),
            Kind::Target => (s.as_str(), "m", None),
        };
        assert_eq!(v["target"], target, "{line:?}");
        assert_eq!(v["msg"], message, "{line:?}");
        assert_eq!(v.get("k").and_then(|k| k.as_str()), field, "{line:?}");
    }
}
