//! The head cache keeps the first 64 bytes of a head always and the rest
//! only for a longer one; typed renderers put a constant tail after the
//! message, and a message followed by any other tail renders the
//! table-driven way. Every line must be the bytes of the uncached way:
//!
//! - heads of every length around 64 and 128 bytes (targets of 1 to 140
//!   bytes, by address and by bytes, around the 64-byte key), at every
//!   timestamp precision, levels changing, records across millisecond
//!   and second boundaries: each line equals its record's line in a
//!   format that also shows the thread id (never cached), the id taken
//!   out;
//! - messages of every value type, with and without fields, in text and
//!   JSON with every builder option: the deferred lines equal the lines
//!   the caller formats (`Formatting::Caller`), byte for byte.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use uringlog::{
    Format, Formatting, Level, Logger, MemorySink, Sink, SinkOptions, Styling, Target, Timestamp,
};

/// A sink that colours levels (as a terminal's does) and keeps the lines.
struct Ansi(Arc<Mutex<Vec<u8>>>);

impl Ansi {
    fn new() -> (Ansi, Arc<Mutex<Vec<u8>>>) {
        let out = Arc::new(Mutex::new(Vec::new()));
        (Ansi(out.clone()), out)
    }
}

impl Sink for Ansi {
    fn describe(&self) -> String {
        "ansi".to_owned()
    }
    fn target(&mut self, _: usize) -> std::io::Result<Target> {
        Ok(Target::Inline)
    }
    fn write_inline(&mut self, batch: &[u8]) -> std::io::Result<()> {
        self.0.lock().unwrap().extend_from_slice(batch);
        Ok(())
    }
    fn styling(&self) -> Styling {
        Styling::Ansi
    }
}

fn lines_of(out: &Mutex<Vec<u8>>) -> Vec<String> {
    let text = String::from_utf8(out.lock().unwrap().clone()).unwrap();
    text.lines().map(str::to_owned).collect()
}

const PRECISIONS: [Timestamp; 5] = [
    Timestamp::Off,
    Timestamp::Seconds,
    Timestamp::Millis,
    Timestamp::Micros,
    Timestamp::Nanos,
];

/// `line` without its thread id (`[n] ` in text, `"thread":n,` in JSON):
/// the first `open`, digits, `close`.
fn without_thread(line: &str) -> String {
    let (open, close) = match line.starts_with('{') {
        true => ("\"thread\":", ","),
        false => ("[", "] "),
    };
    for (at, _) in line.match_indices(open) {
        let digits = line[at + open.len()..]
            .bytes()
            .take_while(u8::is_ascii_digit)
            .count();
        let end = at + open.len() + digits;
        if digits > 0 && line[end..].starts_with(close) {
            return format!("{}{}", &line[..at], &line[end + close.len()..]);
        }
    }
    panic!("a thread id in {line:?}")
}

/// A target of `n` bytes whose bytes say its length.
fn target(n: usize) -> String {
    (0..n)
        .map(|i| (b'a' + ((i + n) % 26) as u8) as char)
        .collect()
}

const STATIC_TARGETS: [&str; 6] = [
    "t:0123456789012345678901234567890123456789012345678901234567890",
    "t:01234567890123456789012345678901234567890123456789012345678901",
    "t:012345678901234567890123456789012345678901234567890123456789012",
    "t:0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234",
    "t:01234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345",
    "t:012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456",
];

const LEVELS: [Level; 5] = [
    Level::Info,
    Level::Info,
    Level::Warn,
    Level::Info,
    Level::Error,
];

/// Records through targets of every length, levels changing, into each
/// logger; then bursts across a second's change, the loggers' records
/// interleaved, so that one wait for the second serves them all.
fn log_heads(loggers: &[Logger]) {
    for logger in loggers {
        for n in 1..=140 {
            let t = target(n);
            for (i, &l) in LEVELS.iter().enumerate() {
                logger.log(l, &t, format_args!("n={} i={}", n, i));
            }
        }
        for (k, &t) in STATIC_TARGETS.iter().enumerate() {
            for i in 0..3 {
                uringlog::info!(logger, target: t, "static {} {}", k, i);
                uringlog::warn!(logger, target: t, "static {} {}", k, i);
            }
        }
    }
    // Just before a second changes: many records across it and across
    // the milliseconds, targets and levels alternating.
    let sub = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_millis();
    std::thread::sleep(Duration::from_millis(u64::from(1000 - sub.min(995)) - 5));
    for i in 0..20_000u32 {
        let t = [62, 64, 65, 66, 127][i as usize % 5];
        let l = LEVELS[(i / 3) as usize % LEVELS.len()];
        for logger in loggers {
            logger.log(l, &target(t), format_args!("burst {}", i));
        }
    }
}

/// A logger's precision, guard, and the outputs of its sink without and
/// with the thread id.
type Run<O> = (Timestamp, uringlog::WriterGuard, O, O);

/// A logger at each precision into two sinks made by `sink`, the second
/// also showing the thread id: the loggers, and each one's [`Run`].
fn loggers_at_every_precision<S: Sink + 'static, O>(
    base: Format,
    sink: impl Fn() -> (S, O),
) -> (Vec<Logger>, Vec<Run<O>>) {
    let mut loggers = Vec::new();
    let mut rest = Vec::new();
    for p in PRECISIONS {
        let cached = base.timestamp(p);
        let ((a, a_out), (b, b_out)) = (sink(), sink());
        let (logger, guard) = Logger::builder()
            .sink_with(a, SinkOptions::new().format(cached))
            .sink_with(b, SinkOptions::new().format(cached.with_thread_id()))
            .build()
            .unwrap();
        loggers.push(logger);
        rest.push((p, guard, a_out, b_out));
    }
    (loggers, rest)
}

fn heads_match(base: Format) {
    let (loggers, rest) = loggers_at_every_precision(base, MemorySink::new);
    log_heads(&loggers);
    for (p, guard, a_out, b_out) in rest {
        let stats = guard.shutdown(Duration::from_secs(30)).unwrap();
        let (got, reference) = (a_out.lines(), b_out.lines());
        assert_eq!(got.len(), 140 * 5 + 36 + 20_000, "{p:?}");
        assert_eq!(stats.written, got.len() as u64);
        assert_eq!(reference.len(), got.len());
        for (g, r) in got.iter().zip(&reference) {
            assert_eq!(*g, without_thread(r), "{p:?}");
        }
    }
}

/// [`heads_match`] into sinks that colour the level.
#[test]
fn coloured_text_heads_of_every_length_are_the_uncached_bytes() {
    let (loggers, rest) = loggers_at_every_precision(Format::text(), Ansi::new);
    log_heads(&loggers);
    for (p, guard, a_out, b_out) in rest {
        guard.shutdown(Duration::from_secs(30)).unwrap();
        let (got, reference) = (lines_of(&a_out), lines_of(&b_out));
        assert_eq!(got.len(), 140 * 5 + 36 + 20_000, "{p:?}");
        assert!(got[0].contains('\x1b'), "{:?}", got[0]);
        for (g, r) in got.iter().zip(&reference) {
            assert_eq!(*g, without_thread(r), "{p:?}");
        }
    }
}

#[test]
fn text_heads_of_every_length_are_the_uncached_bytes() {
    heads_match(Format::text());
}

#[test]
fn json_heads_of_every_length_are_the_uncached_bytes() {
    heads_match(Format::json());
}

/// Messages of every value type, escapes, empty pieces, fields.
fn log_messages(logger: &Logger) {
    let s = String::from("q\"uote\\ \n tab\t é \u{7f}");
    for i in 0..3i64 {
        uringlog::info!(logger, "{}", i);
        uringlog::info!(logger, "");
        uringlog::info!(
            logger,
            "plain {} {} {} {} {}",
            i,
            -1.5f64,
            true,
            'c',
            s.as_str()
        );
        uringlog::warn!(logger, "{}{}{}", u64::MAX, i8::MIN, "");
        uringlog::info!(logger, "x{:>8}y {:?}", i, "dbg");
        uringlog::info!(logger, "{{braces}} {}", s.as_str());
        uringlog::info!(logger, k = i, s = s.as_str(); "fields {}", i);
        uringlog::info!(logger, k = i; "");
        uringlog::error!(logger, b = true; "{} {}", s.as_str(), 2.0f32);
        logger.log(Level::Info, "dyn", format_args!("dyn {} {}", i, s));
    }
}

fn options(base: Format) -> Vec<Format> {
    let b = base.timestamp(Timestamp::Off);
    vec![
        b,
        b.without_target(),
        b.with_thread_id(),
        b.with_call_site(),
        b.with_thread_id().with_call_site().without_target(),
    ]
}

fn lines(formatting: Formatting, formats: &[Format]) -> Vec<Vec<String>> {
    let mut builder = Logger::builder().formatting(formatting);
    let mut outs = Vec::new();
    for &f in formats {
        let (sink, out) = MemorySink::new();
        builder = builder.sink_with(sink, SinkOptions::new().format(f));
        outs.push(out);
    }
    let (logger, guard) = builder.build().unwrap();
    log_messages(&logger);
    guard.shutdown(Duration::from_secs(30)).unwrap();
    outs.iter().map(|o| o.lines()).collect()
}

fn messages_match(base: Format) {
    for f in options(base) {
        // One sink alone (its own shape), then beside another format.
        for formats in [vec![f], vec![f, base.timestamp(Timestamp::Off)]] {
            let deferred = lines(Formatting::Deferred, &formats);
            let caller = lines(Formatting::Caller, &formats);
            for (d, c) in deferred.iter().zip(&caller) {
                assert_eq!(d.len(), 30, "{f:?}");
                for (d, c) in d.iter().zip(c) {
                    assert_eq!(d, c, "{f:?}");
                }
            }
        }
    }
}

/// Deferred and caller-formatted lines into a sink that colours levels.
#[test]
fn coloured_text_messages_render_like_the_callers() {
    for f in options(Format::text()) {
        let run = |formatting| {
            let (sink, out) = Ansi::new();
            let (logger, guard) = Logger::builder()
                .formatting(formatting)
                .sink_with(sink, SinkOptions::new().format(f))
                .build()
                .unwrap();
            log_messages(&logger);
            guard.shutdown(Duration::from_secs(30)).unwrap();
            lines_of(&out)
        };
        let (deferred, caller) = (run(Formatting::Deferred), run(Formatting::Caller));
        assert_eq!(deferred.len(), 30, "{f:?}");
        assert!(deferred[0].contains('\x1b'), "{:?}", deferred[0]);
        for (d, c) in deferred.iter().zip(&caller) {
            assert_eq!(d, c, "{f:?}");
        }
    }
}

#[test]
fn text_messages_render_like_the_callers() {
    messages_match(Format::text());
}

#[test]
fn json_messages_render_like_the_callers() {
    messages_match(Format::json());
}
