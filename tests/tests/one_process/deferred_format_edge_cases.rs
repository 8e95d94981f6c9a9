//! Format strings and arguments as real code writes them, through the
//! logging macros: arguments that move a value (`opt.unwrap()`, `r?`,
//! `fut.await`), each argument, the level and the logger expression
//! evaluated once (and the arguments only when the level is enabled),
//! width and precision arguments out of `core::fmt`'s range, odd specs and
//! edge values compared with `format!`, hygiene (`no_implicit_prelude`,
//! shadowed prelude names, locals named like the expansion's), nested
//! macros, generic code and strings at the ring's capacity.

use std::cell::Cell;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::pin;
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};
use uringlog::{
    Format, Formatting, Level, Logger, MemoryHandle, Mode, Policy, SinkOptions, Timestamp,
    WriterGuard,
};
use uringlog_tests::SHUTDOWN;

/// A logger whose one sink writes JSON lines without timestamp or target.
fn json_logger(
    mode: Mode,
    formatting: Formatting,
    policy: Policy,
    ring: usize,
) -> (Logger, WriterGuard, MemoryHandle) {
    let (sink, out) = uringlog::MemorySink::new();
    let format = Format::json().timestamp(Timestamp::Off).without_target();
    let (logger, guard) = Logger::builder()
        .sink_with(sink, SinkOptions::new().format(format))
        .mode(mode)
        .formatting(formatting)
        .policy(policy)
        .ring_capacity(ring)
        .build()
        .unwrap();
    (logger, guard, out)
}

/// The `msg` member of every line.
fn msgs(out: &MemoryHandle) -> Vec<String> {
    out.lines()
        .iter()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["msg"].as_str().unwrap().to_owned()
        })
        .collect()
}

/// Every configuration the messages must agree in.
const CONFIGS: [(Mode, Formatting); 3] = [
    (Mode::Async, Formatting::Deferred),
    (Mode::Sync, Formatting::Deferred),
    (Mode::Async, Formatting::Caller),
];

/// Polls a future that never waits to completion.
fn ready<F: Future>(f: F) -> F::Output {
    fn raw() -> RawWaker {
        fn clone(_: *const ()) -> RawWaker {
            raw()
        }
        fn noop(_: *const ()) {}
        static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, noop, noop, noop);
        RawWaker::new(std::ptr::null(), &VTABLE)
    }
    // SAFETY: the vtable's functions do nothing and never read the pointer.
    let waker = unsafe { Waker::from_raw(raw()) };
    match pin!(f).poll(&mut Context::from_waker(&waker)) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("the future waited"),
    }
}

/// Logs with arguments that move out of locals; `?` on a `Result`.
#[allow(clippy::unnecessary_literal_unwrap, clippy::iter_count)] // what is tested
fn moving_arguments(l: &Logger) -> Result<(), String> {
    let opt: Option<String> = Some("unwrapped".into());
    uringlog::info!(l, "{}", opt.unwrap());
    let s = String::from("block");
    uringlog::info!(l, "{} {}", { s }, 1);
    let v = vec![1, 2, 3];
    uringlog::info!(l, "count={:>3}", v.into_iter().count());
    let r: Result<u32, String> = Ok(7);
    uringlog::info!(l, "r={r:?} {}", r.clone()?);
    let r2: Result<String, String> = Ok("q".into());
    uringlog::info!(l, "{:?} {}", 1, r2?);
    let named = String::from("named");
    uringlog::info!(l, "{n} {n:?}", n = named);
    ready(async {
        let fut = async { "awaited" };
        uringlog::info!(l, "{}", fut.await);
    });
    Ok(())
}

#[test]
fn arguments_that_move_a_value_compile_and_log_like_format() {
    for (mode, formatting) in CONFIGS {
        let (l, guard, out) = json_logger(mode, formatting, Policy::Block, 1 << 16);
        moving_arguments(&l).unwrap();
        let s = guard.shutdown(SHUTDOWN).unwrap();
        assert_eq!((s.enqueued, s.written, s.dropped), (7, 7, 0));
        assert_eq!(
            msgs(&out),
            [
                "unwrapped",
                "block 1",
                "count=  3",
                "r=Ok(7) 7",
                "1 q",
                "named \"named\"",
                "awaited"
            ],
            "{mode:?} {formatting:?}"
        );
    }
}

/// `f`, once the compiler has found it `Send`.
fn send<F: Future + Send>(f: F) -> F {
    f
}

/// A future that awaits inside a log call's arguments, the message's or
/// the fields', is `Send` (as a service's tasks must be) when what it
/// holds is: with fields too, whose `&dyn FieldValue` (not `Sync`) was
/// built before the message's arguments and held across their `.await`.
/// The values are evaluated once each, in the order written.
#[test]
fn a_future_that_awaits_in_a_log_calls_arguments_is_send() {
    for (mode, formatting) in CONFIGS {
        let (l, guard, out) = json_logger(mode, formatting, Policy::Block, 1 << 16);
        let order = std::sync::Mutex::new(Vec::new());
        let step = |name: &'static str, v: u32| {
            order.lock().unwrap().push(name);
            v
        };
        let user = String::from("alice");
        ready(send(async {
            uringlog::info!(l, "plain {} {}", user, async { 1 }.await);
            uringlog::info!(
                l,
                id = step("id", 7),
                n = async { step("n", 2) }.await,
                who = user.as_str();
                "fields {} {:>3}",
                async { step("a", 3) }.await,
                step("b", 4)
            );
            async {}.await;
            uringlog::warn!(l, target: "t", k = async { 5 }.await; "{:?}", async { "q" }.await);
        }));
        assert_eq!(*order.lock().unwrap(), ["id", "n", "a", "b"]);
        let s = guard.shutdown(SHUTDOWN).unwrap();
        assert_eq!((s.enqueued, s.written, s.dropped), (3, 3, 0));
        assert_eq!(
            out.lines(),
            [
                r#"{"level":"INFO","msg":"plain alice 1"}"#,
                r#"{"level":"INFO","msg":"fields 3   4","id":7,"n":2,"who":"alice"}"#,
                r#"{"level":"WARN","msg":"\"q\"","k":5}"#,
            ],
            "{mode:?} {formatting:?}"
        );
    }
}

/// Fields are borrowed eight at a time, then one by one: any number of
/// them keeps its order and each is evaluated once, in the order written,
/// only when the level is on (19: two groups of eight and three more).
#[test]
fn any_number_of_fields_keeps_its_order() {
    let (l, guard, out) = json_logger(Mode::Async, Formatting::Deferred, Policy::Block, 1 << 16);
    let calls = Cell::new(0u32);
    // The number of calls so far: each value says when it was evaluated.
    let next = || counted(&calls, calls.get());
    for level in [Level::Debug, Level::Info] {
        uringlog::log!(
            l,
            level,
            f0 = next(),
            f1 = next(),
            f2 = next(),
            f3 = next(),
            f4 = next(),
            f5 = next(),
            f6 = next(),
            f7 = next(),
            f8 = next(),
            f9 = next(),
            f10 = next(),
            f11 = next(),
            f12 = next(),
            f13 = next(),
            f14 = next(),
            f15 = next(),
            f16 = next(),
            f17 = next(),
            f18 = next();
            "m {}",
            next()
        );
    }
    assert_eq!(calls.get(), 20);
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((s.enqueued, s.written), (1, 1));
    assert_eq!(
        out.lines(),
        ["{\"level\":\"INFO\",\"msg\":\"m 19\",\"f0\":0,\"f1\":1,\"f2\":2,\"f3\":3,\"f4\":4,\"f5\":5,\"f6\":6,\"f7\":7,\"f8\":8,\"f9\":9,\"f10\":10,\"f11\":11,\"f12\":12,\"f13\":13,\"f14\":14,\"f15\":15,\"f16\":16,\"f17\":17,\"f18\":18}"]
    );
}

/// Counts its calls and hands back `v`.
fn counted<T>(calls: &Cell<u32>, v: T) -> T {
    calls.set(calls.get() + 1);
    v
}

#[test]
fn the_logger_the_level_and_each_argument_are_evaluated_once() {
    for (mode, formatting) in CONFIGS {
        let (l, guard, out) = json_logger(mode, formatting, Policy::Block, 1 << 16);
        let (loggers, levels, args) = (Cell::new(0), Cell::new(0), Cell::new(0));
        let logger = || counted(&loggers, &l);
        let level = |v| counted(&levels, v);
        let arg = |v: u32| counted(&args, v);
        // Positional reuse and a width argument: still one evaluation each.
        uringlog::log!(
            logger(),
            level(Level::Info),
            "{0} {0:?} {1:>2$x}",
            arg(1),
            arg(255),
            counted(&args, 4usize)
        );
        uringlog::info!(logger(), "{}", arg(2));
        // Not a literal: the `format_args!` fallback.
        uringlog::info!(logger(), concat!("{}", "!"), arg(3));
        uringlog::info!(logger(), k = arg(4); "fields {}", arg(5));
        uringlog::info!(logger(), target: &format!("t{}", arg(6)), "computed target");
        assert_eq!((loggers.get(), levels.get(), args.get()), (5, 1, 8));
        // Disabled: the logger is asked once, no argument runs; a target
        // expression runs once (the filters need it).
        uringlog::log!(logger(), level(Level::Debug), "{}", arg(7));
        uringlog::debug!(logger(), k = arg(8); "{}", arg(9));
        uringlog::trace!(logger(), concat!("{}", "!"), arg(10));
        let targets = Cell::new(0);
        let target = || counted(&targets, "t");
        uringlog::debug!(logger(), target: target(), "{}", arg(7));
        uringlog::debug!(logger(), target: target(), k = arg(8); "{}", arg(9));
        uringlog::trace!(logger(), target: target(), concat!("{}", "!"), arg(10));
        assert_eq!((loggers.get(), levels.get(), args.get()), (11, 2, 8));
        assert_eq!(targets.get(), 3);
        // A producer, borrowed mutably through the same expression. Its
        // ring is another: order across rings is drain order, so the
        // thread's records are written first.
        l.flush().unwrap();
        let mut producer = l.producer();
        uringlog::info!(counted(&loggers, &mut producer), "producer {}", arg(11));
        uringlog::info!(counted(&loggers, &mut producer), k = 1; "producer fields");
        uringlog::info!(
            counted(&loggers, &mut producer),
            concat!("producer ", "{}"),
            arg(12)
        );
        drop(producer);
        assert_eq!((loggers.get(), args.get()), (14, 10));
        guard.shutdown(SHUTDOWN).unwrap();
        assert_eq!(
            msgs(&out),
            [
                "1 1   ff",
                "2",
                "3!",
                "fields 5",
                "computed target",
                "producer 11",
                "producer fields",
                "producer 12"
            ],
            "{mode:?} {formatting:?}"
        );
    }
}

/// What `f` returns, or its panic message.
fn outcome(f: impl FnOnce() -> String) -> Result<String, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|e| match e.downcast::<String>() {
        Ok(s) => *s,
        Err(e) => e
            .downcast::<&str>()
            .map(|s| (*s).to_owned())
            .unwrap_or_default(),
    })
}

/// `format!` of a string and the same statement through the macros.
type FormatAndLog<'a> = (&'a dyn Fn() -> String, &'a dyn Fn());

/// Runs each case's `format!` and its statement (`what` names the cases
/// in messages): where `format!` panics the statement panics with the
/// same message, else it returns and `format!`'s text joins `want`.
fn fail_alike(cases: &[FormatAndLog<'_>], want: &mut Vec<String>, what: &str) {
    for (i, (format, log)) in cases.iter().enumerate() {
        let expected = outcome(format);
        let logged = outcome(|| {
            log();
            String::new()
        });
        match &expected {
            Ok(text) => {
                assert_eq!(logged, Ok(String::new()), "{what} case {i}");
                want.push(text.clone());
            }
            Err(e) => assert_eq!(logged.as_ref(), Err(e), "{what} case {i}"),
        }
    }
}

#[test]
fn a_count_out_of_range_fails_in_the_caller_as_format_does() {
    for (mode, formatting) in CONFIGS {
        let (l, guard, out) = json_logger(mode, formatting, Policy::Block, 1 << 20);
        let mut want = Vec::new();
        // `core::fmt` takes counts up to `u16::MAX` (and panics above,
        // since Rust 1.87); the macros must do what `format!` does.
        for w in [65_535usize, 65_536, 70_000, usize::MAX] {
            let p = w;
            let cases: [FormatAndLog<'_>; 4] = [
                (&|| format!("{:w$}|", 1), &|| {
                    uringlog::info!(l, "{:w$}|", 1)
                }),
                (&|| format!("{:.p$}|", 1.5), &|| {
                    uringlog::info!(l, "{:.p$}|", 1.5)
                }),
                (&|| format!("{:.*}|", p, "s"), &|| {
                    uringlog::info!(l, "{:.*}|", p, "s")
                }),
                (&|| format!("{:>1$?}|", Some(1), w), &|| {
                    uringlog::info!(l, "{:>1$?}|", Some(1), w)
                }),
            ];
            fail_alike(&cases, &mut want, &w.to_string());
        }
        uringlog::info!(l, "after {}", 1);
        want.push("after 1".into());
        let s = guard.shutdown(SHUTDOWN).unwrap();
        // A call that fails as `format!` would is never admitted.
        let n = want.len() as u64;
        assert_eq!(
            (s.enqueued, s.written, s.dropped),
            (n, n, 0),
            "{mode:?} {formatting:?}"
        );
        assert_eq!(msgs(&out), want, "{mode:?} {formatting:?}");
    }
}

/// A logger as [`json_logger`] makes (async, deferred, `Block`), in
/// crash-safe mode on `dir`.
fn crash_safe_json_logger(dir: &std::path::Path) -> (Logger, WriterGuard, MemoryHandle) {
    let (sink, out) = uringlog::MemorySink::new();
    let format = Format::json().timestamp(Timestamp::Off).without_target();
    let (logger, guard) = Logger::builder()
        .sink_with(sink, SinkOptions::new().format(format))
        .crash_safe(dir)
        .ring_capacity(1 << 20)
        .build()
        .unwrap();
    (logger, guard, out)
}

/// `core::fmt` panics on `{:e}` / `{:E}` of any float at precision
/// 65535 (its digit count, one more, wraps in a `u16`), literal or from
/// an argument. The call must fail in the caller as `format!` does,
/// before it is counted: formatted on the writer it stopped the writer
/// (every record lost, `WriterPanicked`), and rendered in the caller
/// after being counted (caller formatting, crash-safe mode) it left the
/// call enqueued but neither written nor dropped. Integers take that
/// precision, floats one less.
#[test]
fn a_float_in_exponent_form_at_precision_65535_fails_in_the_caller_as_format_does() {
    let dir = tempfile::tempdir().unwrap();
    let mut loggers: Vec<_> = CONFIGS
        .iter()
        .map(|&(mode, formatting)| {
            let (l, guard, out) = json_logger(mode, formatting, Policy::Block, 1 << 20);
            (format!("{mode:?} {formatting:?}"), l, guard, out)
        })
        .collect();
    let (l, guard, out) = crash_safe_json_logger(dir.path());
    loggers.push(("crash-safe".into(), l, guard, out));
    for (name, l, guard, out) in loggers {
        let (x, y, p, q) = (1.5f64, -0.0f32, 65_535usize, 65_534usize);
        let rx = &x;
        let cases: [FormatAndLog<'_>; 9] = [
            (&|| format!("{:.65535e}", x), &|| {
                uringlog::info!(l, "{:.65535e}", x)
            }),
            (&|| format!("{:+12.65535E}|", y), &|| {
                uringlog::info!(l, "{:+12.65535E}|", y)
            }),
            (&|| format!("{:.*e}", p, rx), &|| {
                uringlog::info!(l, "{:.*e}", p, rx)
            }),
            (&|| format!("{x:.p$E} {}", 1), &|| {
                uringlog::info!(l, "{x:.p$E} {}", 1)
            }),
            (&|| format!("{:.1$e}", f64::NAN, p), &|| {
                uringlog::info!(l, "{:.1$e}", f64::NAN, p)
            }),
            // Those that format.
            (&|| format!("{:.65535e}", -7i32), &|| {
                uringlog::info!(l, "{:.65535e}", -7i32)
            }),
            (&|| format!("{:.*E}", p, u128::MAX), &|| {
                uringlog::info!(l, "{:.*E}", p, u128::MAX)
            }),
            (&|| format!("{:.65534e}", x), &|| {
                uringlog::info!(l, "{:.65534e}", x)
            }),
            (&|| format!("{:.q$E} {:.65535}", y, x), &|| {
                uringlog::info!(l, "{:.q$E} {:.65535}", y, x)
            }),
        ];
        let mut want = Vec::new();
        fail_alike(&cases, &mut want, &name);
        assert_eq!(want.len(), 4, "{name}");
        uringlog::info!(l, "after {:e}", 1.5);
        want.push("after 1.5e0".into());
        let s = guard.shutdown(SHUTDOWN).unwrap();
        let n = want.len() as u64;
        assert_eq!((s.enqueued, s.written, s.dropped), (n, n, 0), "{name}");
        assert_eq!(msgs(&out), want, "{name}");
    }
}

/// Logs each `(format, args…)` through the macros and records what
/// `format!` makes of it.
macro_rules! lines {
    ($l:expr, $want:expr; $(($($t:tt)*)),* $(,)?) => {$(
        uringlog::info!($l, $($t)*);
        $want.push(format!($($t)*));
    )*};
}

/// Specs and values at the edges: `Debug` escaping of `char`, `str` and
/// non-UTF-8 bytes, exponents of integers, signs, zero padding, fill
/// characters, rounding ties, subnormals, signed zeros, NaN payloads.
#[allow(clippy::excessive_precision, clippy::approx_constant)]
fn edge_lines(l: &Logger, want: &mut Vec<String>) {
    let (s, w, p) = ("str", 9usize, 2usize);
    let bytes: &[u8] = b"\xff\x00a\x80";
    lines!(l, want;
        ("{:x} {:?} {:e} {:+} {:08.3} {:^+#12x} {:#010b} {:E}", 2u32, 9.25, 9.25, 8.5f32, 9.25, 3i64, 0u8, 4u128),
        ("{:e} {:E} {:e} {:e} {:.3e} {:.0e} {:.1e} {:.1e}", u128::MAX, i128::MIN, 0u8, 1000i32, 123_456u32, 25u8, 125i64, 135i64),
        ("{:.2} {:.2} {:.2} {:.2} {:.0} {:.0} {:.0}", 0.125, 2.675, 1e21, 1e-7, 0.5, 1.5, 2.5),
        ("{} {} {} {} {} {}", f64::MIN_POSITIVE / 3.0, -0.0f64, -0.0f32, f64::NAN, -f64::NAN, f32::from_bits(0x7fc0_0001)),
        ("{:?} {:?} {:?} {:?} {:?} {:+} {:+}", -0.0f64, 1e21, 1e-7, 1e16, f32::MIN_POSITIVE, 0.0, -0.0),
        ("{:?} {:?} {:?} {:?} {:?} {:?} {:?}", '\0', '\'', '"', '\u{301}', '\u{ffff}', char::MAX, '\u{feff}'),
        ("{:?} {:?} {:?} {:#?}", "\u{301}a\u{301}", "tab\there\0", "\u{10ffff}\u{e000}\u{200b}", "pretty"),
        ("{:?} {:x?} {:#?} {:?}", bytes, bytes, [1u8, 2], b"abc"),
        ("{} {:?} {:>0}|{:<0}|", "", "", "", 5),
        ("{:5}|{:<5}|{:^5}|{:>5}", true, 'x', "é", 1.5f32),
        ("{:é^7}|{:→>4}|{:{>5}|{:}<3}|", 1, 'x', 2, 3),
        ("{} {} {:#x} {:o}", usize::MAX, isize::MIN, usize::MAX, isize::MIN),
        ("{:#?} {:#?} {:#?} {:#?}", 'p', 1.0, 7u8, u128::MAX),
        ("{:+.3e} {:+e} {:010e} {:010e} {:+}", 12345.678, 0u8, 1.5, -1i64, true),
        ("{:.3} {:.0} {:.1} {:08} {:08}", "ab", "abc", 'x', "ab", 'c'),
        ("{:1$} {:w$} {:.*} {:>w$.p$} {s:>w$} {0:?}", 1, 7, 2, 1.23456, 3.14159),
        ("{0} {0:?} {1:x} {0}", "s", 255),
        (r#"raw "{}" {{}} {{{}}}"#, 1, s),
        ("ünï {} ☃ {:^7} 𝄞", 'é', '☃'),
    );
    for x in [
        0.3f64,
        1e15,
        1e16,
        123_456_789_012_345_680.0,
        0.1 + 0.2,
        5e-324,
        f64::MAX,
        1_152_921_504_606_849_024.0,
        1_125_899_906_842_624.25,
    ] {
        lines!(l, want; ("{} {:?} {:e} {:.3} {:.20} {:.1e}", x, x, x, x, x, x));
    }
    for x in [
        0.3f32,
        1e7,
        16_777_217.0,
        3.402_823_5e38,
        1e-45,
        1.175_494_2e-38,
        0.1 + 0.2,
        2.5,
    ] {
        lines!(l, want; ("{} {:?} {:e} {:.3} {:.20} {:.1e}", x, x, x, x, x, x));
    }
    // References to references, owned and shared strings, `&mut`.
    let rrr: &&&str = &&"rrr";
    let cow: std::borrow::Cow<'_, str> = "cow".into();
    let boxed: Box<str> = "box".into();
    let arc: std::sync::Arc<str> = "arc".into();
    let owned = String::from("owned");
    let mut m = String::from("mut");
    let mm = &mut m;
    lines!(l, want;
        ("{} {:?} {} {:?} {} {:>5} {} {:?} {} {:?}", rrr, rrr, cow, cow, boxed, arc, &owned, &&owned, mm, mm),
    );
}

#[test]
fn odd_specs_and_edge_values_render_like_format() {
    for (mode, formatting) in CONFIGS {
        let (l, guard, out) = json_logger(mode, formatting, Policy::Block, 1 << 16);
        let mut want = Vec::new();
        edge_lines(&l, &mut want);
        let s = guard.shutdown(SHUTDOWN).unwrap();
        assert_eq!((s.written, s.dropped), (want.len() as u64, 0));
        let got = msgs(&out);
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(g, w, "{mode:?} {formatting:?}");
        }
        assert_eq!(got.len(), want.len());
    }
}

/// A statement inside a user's own macro.
macro_rules! audit {
    ($l:expr, $($t:tt)*) => { uringlog::warn!($l, target: "audit", $($t)*) };
}

/// Passes the format string on as an expression.
macro_rules! audit_expr {
    ($l:expr, $f:expr, $a:expr) => {
        uringlog::warn!($l, $f, $a)
    };
}

fn generic<T: std::fmt::Display + std::fmt::Debug>(l: &Logger, t: T) {
    uringlog::info!(l, "generic {} {:?} {t:>4}|", t, t);
}

/// Names a user crate may define: the expansion must use absolute paths.
#[allow(dead_code, non_camel_case_types, clippy::upper_case_acronyms)]
mod shadowing {
    struct Option;
    struct Some;
    struct None;
    struct Result;
    struct Ok;
    struct Err;
    struct Vec;
    struct String;
    struct Level;
    struct usize;
    struct str;
    struct bool;
    mod core {}
    mod std {}

    pub fn log(l: &::uringlog::Logger) {
        // Locals named like the expansion's own.
        let (__level, __arg0, __logger, __o) = (1, 2, 3, 4);
        ::uringlog::info!(l, "{} {} {} {}", __level, __arg0, __logger, __o);
        ::uringlog::info!(l, "{__level} {__arg0:?} {:>1$}", 5, 3);
        ::uringlog::log!(l, ::uringlog::Level::Info, k = 1; "fields {}", 2);
        ::uringlog::info!(l, ::core::concat!("{}", " concat"), 6);
    }
}

#[no_implicit_prelude]
mod no_prelude {
    pub fn log(l: &::uringlog::Logger) {
        let x = 5u8;
        ::uringlog::info!(l, "np {} {:x} {x:?} {:>4} {:.*}", 1, 255, "s", 1, 1.25);
        ::uringlog::info!(l, k = 1; "np fields {}", 2);
        ::uringlog::info!(l, ::core::concat!("np {}", " concat"), 3);
    }
}

#[test]
fn the_macros_work_from_any_code_a_user_writes() {
    for (mode, formatting) in CONFIGS {
        let (l, guard, out) = json_logger(mode, formatting, Policy::Block, 1 << 16);
        shadowing::log(&l);
        no_prelude::log(&l);
        audit!(l, "nested {} {:?}", 1, "q\"x");
        audit_expr!(l, concat!("expr ", "{:>3}"), 2);
        generic(&l, 3u8);
        generic(&l, "s");
        let c = |v: f32| uringlog::info!(l, "closure {v:e}");
        c(1500.0);
        ready(async { uringlog::info!(l, "async {}", async { 7 }.await) });
        let s = guard.shutdown(SHUTDOWN).unwrap();
        assert_eq!((s.enqueued, s.written, s.dropped), (13, 13, 0));
        assert_eq!(
            msgs(&out),
            [
                "1 2 3 4",
                "1 2   5",
                "fields 2",
                "6 concat",
                "np 1 ff 5    s 1.2",
                "np fields 2",
                "np 3 concat",
                "nested 1 \"q\\\"x\"",
                "expr   2",
                "generic 3 3    3|",
                "generic s \"s\"    s|",
                "closure 1.5e3",
                "async 7"
            ],
            "{mode:?} {formatting:?}"
        );
    }
}

/// A value whose `Display` pads: logged as `{self}` from its own method.
struct Named(&'static str);

impl std::fmt::Display for Named {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.0)
    }
}

impl Named {
    fn log(&self, l: &Logger, want: &mut Vec<String>) {
        lines!(l, want; ("{self} {self:>6}|"));
    }
}

/// A keyword in the string names a raw identifier, as `format_args!`
/// reads it: a captured `r#type` (`{type}`, a width `{:>loop$}`), a
/// named argument `r#type = …`, also in a count; a keyword named without
/// `r#` (`fn = 3`) as well, and `{self}`. The first forms did not compile
/// (the expansion wrote the keyword itself as an expression).
#[test]
fn keywords_in_the_string_name_raw_identifiers_as_format_does() {
    for (mode, formatting) in CONFIGS {
        let (l, guard, out) = json_logger(mode, formatting, Policy::Block, 1 << 16);
        let mut want = Vec::new();
        let r#type = "t";
        let r#loop = 5usize;
        let r#match = 2.5;
        let r#async = 'a';
        lines!(l, want;
            ("{type} {type:?}"),
            ("{:>loop$}|{:.loop$}|{match:+e}", 1, r#match),
            ("{async:?} {dyn}", r#dyn = r#async),
            ("{type}={}", 1, r#type = 7),
            ("{x:>type$}|", x = 1, r#type = 4),
            ("{fn}", fn = 3),
        );
        Named("n").log(&l, &mut want);
        let s = guard.shutdown(SHUTDOWN).unwrap();
        assert_eq!((s.written, s.dropped), (want.len() as u64, 0));
        assert_eq!(
            want,
            [
                "t \"t\"",
                "    1|2.50000|+2.5e0",
                "'a' a",
                "7=1",
                "   1|",
                "3",
                "n      n|"
            ]
        );
        assert_eq!(msgs(&out), want, "{mode:?} {formatting:?}");
    }
}

/// The longest string `{}` (or `{:?}`) takes in a record: every longer
/// one, up to the ring's size, was counted oversized.
fn longest_string(policy: Policy, formatting: Formatting, debug: bool) -> usize {
    const RING: usize = 1024;
    let (l, guard, out) = json_logger(Mode::Async, formatting, policy, RING);
    let mut longest = None;
    for n in (0..=RING).rev() {
        let s = "y".repeat(n);
        let before = l.stats().oversized;
        if debug {
            uringlog::info!(l, target: "t", "{:?}", s);
        } else {
            uringlog::info!(l, target: "t", "{}", s);
        }
        if l.stats().oversized == before {
            longest = Some(n);
            break;
        }
    }
    let s = guard.shutdown(SHUTDOWN).unwrap();
    let longest = longest.unwrap();
    assert_eq!(s.oversized, (RING - longest) as u64);
    assert_eq!(
        (s.enqueued, s.written, s.dropped),
        (s.oversized + 1, 1, s.oversized)
    );
    let quote = if debug { "\"" } else { "" };
    assert_eq!(
        msgs(&out),
        [format!("{quote}{}{quote}", "y".repeat(longest))]
    );
    longest
}

#[test]
fn strings_at_the_ring_capacity_fit_exactly_as_preformatted_text() {
    for policy in [Policy::Block, Policy::DropNewest, Policy::DropOldest] {
        for debug in [false, true] {
            let caller = longest_string(policy, Formatting::Caller, debug);
            let deferred = longest_string(policy, Formatting::Deferred, debug);
            assert!(caller > 0, "{policy:?}");
            assert_eq!(deferred, caller, "{policy:?} debug={debug}");
        }
    }
}
