//! A deferred record's message is byte for byte what `format!` gives, for
//! random values of every plain type and a table of format specs (fill,
//! alignment, sign, `#`, `0`, width and precision, literal or from
//! arguments, every formatting trait, positional, named and inline
//! arguments), in text and JSON lines, async and sync, and with
//! `Formatting::Caller`, and in crash-safe mode. Each line is logged twice — through the macros
//! and pre-formatted through `Logger::log` — and both must match; so must
//! a message cut short by a value whose `Display` fails.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::fmt;
use uringlog::{
    Format, Formatting, Level, Logger, MemoryHandle, Mode, SinkOptions, Timestamp, WriterGuard,
};
use uringlog_tests::SHUTDOWN;

/// A logger under test and what has been checked of its output so far.
struct Case {
    name: &'static str,
    logger: Logger,
    guard: Option<WriterGuard>,
    text: MemoryHandle,
    json: MemoryHandle,
    seen: usize,
    /// The crash-safe directory, removed with the case.
    _dir: Option<tempfile::TempDir>,
}

fn case(name: &'static str, mode: Mode, formatting: Formatting) -> Case {
    case_in(name, mode, formatting, None)
}

/// A case whose logger is in crash-safe mode on `dir` when given.
fn case_in(
    name: &'static str,
    mode: Mode,
    formatting: Formatting,
    dir: Option<tempfile::TempDir>,
) -> Case {
    let (text_sink, text) = uringlog::MemorySink::new();
    let (json_sink, json) = uringlog::MemorySink::new();
    let plain = Format::text().timestamp(Timestamp::Off).without_target();
    let json_fmt = Format::json().timestamp(Timestamp::Off).without_target();
    let mut b = Logger::builder()
        .sink_with(text_sink, SinkOptions::new().format(plain))
        .sink_with(json_sink, SinkOptions::new().format(json_fmt))
        .mode(mode)
        .formatting(formatting)
        .ring_capacity(1 << 20);
    if let Some(d) = &dir {
        b = b.crash_safe(d.path());
    }
    let (logger, guard) = b.build().unwrap();
    Case {
        name,
        logger,
        guard: Some(guard),
        text,
        json,
        seen: 0,
        _dir: dir,
    }
}

/// Every configuration the rendering must agree in.
fn cases() -> Vec<Case> {
    vec![
        case("async", Mode::Async, Formatting::Deferred),
        case("sync", Mode::Sync, Formatting::Deferred),
        case("caller", Mode::Async, Formatting::Caller),
        // Values under other specs than `{}` formatted in the caller, the
        // call site in the directory's table.
        case_in(
            "crash_safe",
            Mode::Async,
            Formatting::Deferred,
            Some(tempfile::tempdir().unwrap()),
        ),
    ]
}

/// Runs `log` (which logs each line twice and records `format!`'s
/// answer) on every case and compares the new lines.
fn check(cases: &mut [Case], log: &dyn Fn(&Logger, &mut Vec<String>)) -> Result<(), TestCaseError> {
    for c in cases.iter_mut() {
        let mut want = Vec::new();
        log(&c.logger, &mut want);
        c.logger.flush().unwrap();
        let text = c.text.lines().split_off(c.seen);
        let json = c.json.lines().split_off(c.seen);
        c.seen += text.len();
        prop_assert_eq!(text.len(), 2 * want.len(), "{}", c.name);
        prop_assert_eq!(json.len(), text.len(), "{}", c.name);
        for (i, w) in want.iter().enumerate() {
            // Text: the deferred line equals the pre-formatted one, and
            // equals `format!` itself where there is nothing to escape.
            prop_assert_eq!(&text[2 * i], &text[2 * i + 1], "{}: {:?}", c.name, w);
            let plain = !w.starts_with('"')
                && !w
                    .chars()
                    .any(|ch| ch.is_control() || matches!(ch, '\\' | '\u{2028}' | '\u{2029}'));
            if plain {
                prop_assert_eq!(&text[2 * i], &format!("INFO  {w}"), "{}", c.name);
            }
            for line in [&json[2 * i], &json[2 * i + 1]] {
                let v: serde_json::Value = serde_json::from_str(line).unwrap();
                prop_assert_eq!(v["msg"].as_str(), Some(w.as_str()), "{}: {}", c.name, line);
            }
        }
    }
    Ok(())
}

/// Logs each `(format, args…)` through the macros and pre-formatted, and
/// records what `format!` makes of it.
macro_rules! lines {
    ($l:expr, $want:expr; $(($($t:tt)*)),* $(,)?) => {$(
        uringlog::info!($l, $($t)*);
        $l.log(Level::Info, "t", format_args!($($t)*));
        $want.push(format!($($t)*));
    )*};
}

/// Specs every `Display + Debug` type takes.
macro_rules! common {
    ($l:expr, $want:expr, $v:expr) => {{
        let v = $v;
        let w = 11usize;
        lines!($l, $want;
            ("{}", v), ("{:?}", v), ("{:>8}", v), ("{:<8}|", v), ("{:^9}|", v), ("{:*^9}", v),
            ("{:#?}", v), ("{0}", v), ("{0} {0:?} {0}", v), ("{v}"), ("<{v:>8}>"), ("{:1$}|", v, w),
            ("{v:>w$}|"), ("[{:^1$}]", v, w), ("a {x} b {} c", v, x = v), ("{{{}}}", v),
            ("no args"), ("{} {}", v, v),
        );
    }};
}

/// Specs of integers.
macro_rules! ints {
    ($l:expr, $want:expr, $v:expr) => {{
        let v = $v;
        let w = 9usize;
        lines!($l, $want;
            ("{:+}", v), ("{:08}", v), ("{:#x}", v), ("{:X}", v), ("{:o}", v), ("{:#b}", v),
            ("{:e}", v), ("{:E}", v), ("{:x?}", v), ("{:#010x}", v), ("{:+08}", v), ("{:.3}", v),
            ("{v:-^w$x}"), ("{:#X?}", v),
        );
    }};
}

/// Specs of floats.
macro_rules! floats {
    ($l:expr, $want:expr, $v:expr) => {{
        let v = $v;
        let (w, p) = (12usize, 3usize);
        lines!($l, $want;
            ("{:+}", v), ("{:08.3}", v), ("{:.3}", v), ("{:.0}", v), ("{:e}", v), ("{:E}", v),
            ("{:.*}", p, v), ("{:.p$}", v), ("{:>w$.p$}", v), ("{:10.3e}", v), ("{:+.1e}", v),
            ("{:#?}", v),
        );
    }};
}

/// Specs of strings.
macro_rules! strs {
    ($l:expr, $want:expr, $v:expr) => {{
        let v = $v;
        let (w, p) = (7usize, 2usize);
        lines!($l, $want;
            ("{:.3}", v), ("{:>w$.p$}|", v), ("{:.*}", p, v), ("{:-<6.1}", v), ("{:?}", v),
        );
    }};
}

/// A type formatted in the caller: its `Display` ignores the width, its
/// `Debug` is derived.
#[derive(Debug)]
struct Point {
    x: i64,
    label: String,
}

impl fmt::Display for Point {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "({}, {})", self.x, self.label)
    }
}

/// A type whose `Display` honours width and alignment through `pad`.
struct Padded(String);

impl fmt::Display for Padded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    })
}

fn shutdown(cases: Vec<Case>) {
    for mut c in cases {
        let s = c.guard.take().unwrap().shutdown(SHUTDOWN).unwrap();
        assert_eq!((s.written, s.dropped), (s.enqueued, 0), "{}", c.name);
    }
}

#[test]
fn integers_render_like_format() {
    let cs = std::cell::RefCell::new(cases());
    let strategy = (
        any::<u8>(),
        any::<i16>(),
        any::<u32>(),
        any::<i64>(),
        any::<u128>(),
        any::<i128>(),
        any::<usize>(),
        any::<isize>(),
    );
    runner(48)
        .run(&strategy, |(a, b, c, d, e, f, g, h)| {
            check(&mut cs.borrow_mut(), &|l, want| {
                common!(l, want, a);
                ints!(l, want, a);
                common!(l, want, b);
                ints!(l, want, b);
                common!(l, want, c);
                ints!(l, want, c);
                common!(l, want, d);
                ints!(l, want, d);
                common!(l, want, e);
                ints!(l, want, e);
                common!(l, want, f);
                ints!(l, want, f);
                ints!(l, want, g);
                ints!(l, want, h);
                ints!(l, want, a as i8);
                ints!(l, want, b as u16);
                ints!(l, want, c as i32);
                ints!(l, want, d as u64);
            })
        })
        .unwrap();
    shutdown(cs.into_inner());
}

#[test]
fn floats_render_like_format() {
    let cs = std::cell::RefCell::new(cases());
    let f64s = prop_oneof![
        any::<f64>(),
        any::<u64>().prop_map(f64::from_bits),
        (-1e6f64..1e6)
    ];
    let f32s = prop_oneof![any::<f32>(), any::<u32>().prop_map(f32::from_bits)];
    runner(64)
        .run(&(f64s, f32s), |(x, y)| {
            check(&mut cs.borrow_mut(), &|l, want| {
                common!(l, want, x);
                floats!(l, want, x);
                common!(l, want, y);
                floats!(l, want, y);
            })
        })
        .unwrap();
    shutdown(cs.into_inner());
}

#[test]
fn strings_chars_bools_and_bytes_render_like_format() {
    let cs = std::cell::RefCell::new(cases());
    let strategy = (
        any::<String>(),
        "\\PC{0,12}",
        any::<char>(),
        any::<bool>(),
        proptest::collection::vec(any::<u8>(), 0..16),
    );
    runner(64)
        .run(&strategy, |(s, t, ch, flag, bytes)| {
            check(&mut cs.borrow_mut(), &|l, want| {
                common!(l, want, s.as_str());
                strs!(l, want, s.as_str());
                common!(l, want, &t);
                strs!(l, want, t.clone());
                common!(l, want, ch);
                common!(l, want, flag);
                let b = bytes.as_slice();
                lines!(l, want; ("{:?}", b), ("{:x?}", b), ("{:#?}", bytes), ("{:?}", [1u8, 2, 255]));
            })
        })
        .unwrap();
    shutdown(cs.into_inner());
}

#[test]
fn other_types_are_formatted_in_the_caller_with_their_spec() {
    let cs = std::cell::RefCell::new(cases());
    runner(32)
        .run(&(any::<i64>(), "\\PC{0,10}"), |(x, label)| {
            check(&mut cs.borrow_mut(), &|l, want| {
                let p = Point {
                    x,
                    label: label.clone(),
                };
                let q = Padded(label.clone());
                let o = Some(x);
                let s = label.as_str();
                lines!(l, want;
                    ("{}", p), ("{:>30}", p), ("{:?}", p), ("{:#?}", p), ("{p} and {p:?}"),
                    ("{:>12}|", q), ("{:^12.2}|", q), ("{:?}", o), ("{:?}", None::<u8>),
                    ("{:p}", s), ("{} {:?} {}", x, p, q),
                );
            })
        })
        .unwrap();
    shutdown(cs.into_inner());
}

/// A `Display` (or `Debug`) that writes `self.0`, then fails.
struct Fails(&'static str);

impl fmt::Display for Fails {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)?;
        Err(fmt::Error)
    }
}

impl fmt::Debug for Fails {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A `Display` that counts its calls.
struct Counted<'a>(&'a std::cell::Cell<u32>);

impl fmt::Display for Counted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.set(self.0.get() + 1);
        f.write_str("counted")
    }
}

/// A value formatted in the caller whose `Display` fails ends the message
/// with what it wrote, as a message formatted by `format_args!` (through
/// `Logger::log`, a fields statement or the `log` facade) ends at the
/// error; the values after it are not formatted. Deferred, the message
/// went on past it (`a part b 1` where `Logger::log` wrote `a part`): a
/// statement's message changed with a field added, or with its string
/// through `concat!`.
#[test]
fn a_display_that_fails_ends_the_message_as_a_preformatted_one_does() {
    let calls = std::cell::Cell::new(0);
    let later = Counted(&calls);
    for mut c in cases() {
        macro_rules! both {
            ($($t:tt)*) => {
                uringlog::info!(c.logger, $($t)*);
                c.logger.log(Level::Info, "t", format_args!($($t)*));
            };
        }
        both!("a {} b {}", Fails("part"), 1);
        both!("{:>8?}|{}|{}", Fails("dbg"), "s", later);
        both!("{} {} {} {}", 7u64, "x", Fails(""), later);
        both!("{:?} {:.1}", Some(Fails("in")), 2.5);
        both!("{}{}", Fails("first"), Fails("second"));
        both!("{} {:>4} {}", Fails("q\"uote\n"), later, 3);
        let s = c.guard.take().unwrap().shutdown(SHUTDOWN).unwrap();
        assert_eq!(
            (s.enqueued, s.written, s.dropped),
            (12, 12, 0),
            "{}",
            c.name
        );
        let text = c.text.lines();
        let want = ["a part", "dbg", "7 x ", "Some(in", "first", "q\"uote\\n"];
        let deferred: Vec<&str> = text.iter().step_by(2).map(|l| &l[6..]).collect();
        assert_eq!(deferred, want, "{}", c.name);
        for (i, pair) in text.chunks(2).enumerate() {
            assert_eq!(pair[0], pair[1], "{} line {i}", c.name);
        }
        let json = c.json.lines();
        for (i, pair) in json.chunks(2).enumerate() {
            assert_eq!(pair[0], pair[1], "{} line {i}", c.name);
        }
    }
    assert_eq!(calls.get(), 0);
}

/// A message cut by a failing `Display` may be shorter than its literal
/// pieces: one whose pieces alone exceed the ring is written as
/// `Logger::log` writes it, not counted oversized on their length.
#[test]
fn a_message_cut_short_fits_though_its_pieces_would_not() {
    let (sink, out) = uringlog::MemorySink::new();
    let (logger, guard) = Logger::builder()
        .sink_with(
            sink,
            SinkOptions::new().format(Format::text().timestamp(Timestamp::Off).without_target()),
        )
        .ring_capacity(1024)
        .build()
        .unwrap();
    macro_rules! both {
        ($($t:tt)*) => {
            uringlog::info!(logger, $($t)*);
            logger.log(Level::Info, "t", format_args!($($t)*));
        };
    }
    both!("cut {} \
         yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\
         yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\
         yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\
         yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\
         yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\
         yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\
         yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\
         yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\
         yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\
         yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\
         yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\
         yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy", Fails("here"));
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((s.enqueued, s.written, s.oversized), (2, 2, 0));
    assert_eq!(out.text(), "INFO  cut here\n".repeat(2));
}
