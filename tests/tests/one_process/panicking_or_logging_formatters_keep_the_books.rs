//! User code that runs inside a log call — a `Display` or `FieldValue` of
//! the arguments — may panic or log itself. A panic (caught by the caller)
//! counts the call enqueued and dropped and leaves the thread's producer
//! working; a nested log call is written, before the record that ran it.
//! The same on every path of the macros and `Logger`: deferred and
//! caller-formatted messages, fields, `Logger::log`, an explicit
//! `Producer`, async and sync mode, every policy. (The `log` facade and
//! the `tracing` front ends: `a_panicking_value_keeps_the_books.rs`.)

use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use uringlog::{FieldValue, FieldWriter, Formatting, Level, Logger, MemorySink, Mode, Policy};
use uringlog_tests::SHUTDOWN;

struct Bomb;

impl fmt::Display for Bomb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("half a message")?;
        panic!("Display exploded on purpose");
    }
}

impl FieldValue for Bomb {
    fn encode_field(&self, _w: FieldWriter<'_>) {
        panic!("FieldValue exploded on purpose");
    }
}

fn quietly<R>(f: impl FnOnce() -> R) -> std::thread::Result<R> {
    catch_unwind(AssertUnwindSafe(f))
}

fn build(
    mode: Mode,
    policy: Policy,
    formatting: Formatting,
) -> (Logger, uringlog::WriterGuard, uringlog::MemoryHandle) {
    let (sink, out) = MemorySink::new();
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .mode(mode)
        .policy(policy)
        .formatting(formatting)
        .build()
        .unwrap();
    (logger, guard, out)
}

const FORMATTINGS: [Formatting; 2] = [Formatting::Deferred, Formatting::Caller];

#[test]
fn a_panicking_display_or_field_is_counted_dropped_and_the_producer_goes_on() {
    for (mode, policy, formatting) in [Mode::Async, Mode::Sync]
        .into_iter()
        .flat_map(|m| [Policy::Block, Policy::DropNewest, Policy::DropOldest].map(|p| (m, p)))
        .flat_map(|(m, p)| FORMATTINGS.map(|f| (m, p, f)))
    {
        {
            let (logger, guard, out) = build(mode, policy, formatting);
            let mut explicit = logger.producer();
            for i in 0..10 {
                uringlog::info!(logger, "ok {i}");
                assert!(quietly(|| uringlog::info!(logger, "bad {} {}", i, Bomb)).is_err());
                assert!(quietly(|| uringlog::info!(logger, b = Bomb; "bad field")).is_err());
                let log = || logger.log(Level::Info, "t", format_args!("bad {}", Bomb));
                assert!(quietly(log).is_err());
                assert!(quietly(|| uringlog::info!(explicit, "bad {} {}", i, Bomb)).is_err());
                assert!(quietly(|| uringlog::info!(explicit, b = Bomb; "bad")).is_err());
                let log = || explicit.log(Level::Info, "t", format_args!("bad {}", Bomb));
                assert!(quietly(log).is_err());
                uringlog::info!(explicit, "explicit ok {i}");
            }
            let s = guard.shutdown(SHUTDOWN).unwrap();
            let what = format!("{mode:?} {policy:?} {formatting:?}: {s:?}");
            assert_eq!((s.enqueued, s.written, s.dropped), (80, 20, 60), "{what}");
            let lines = out.lines();
            assert_eq!(lines.len(), 20, "{what}");
            assert!(lines.iter().all(|l| !l.contains("half")), "{what}");
            let ok: Vec<&String> = lines.iter().filter(|l| l.contains(": ok ")).collect();
            assert!(ok[9].ends_with(": ok 9"), "{what}");
        }
    }
}

/// Logs `inner` through the logger while being formatted.
struct Chatty<'a> {
    logger: &'a Logger,
    depth: u32,
}

impl fmt::Display for Chatty<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.depth > 0 {
            let deeper = Chatty {
                logger: self.logger,
                depth: self.depth - 1,
            };
            uringlog::info!(self.logger, "nested {} says {}", self.depth, deeper);
        }
        write!(f, "chatty {}", self.depth)
    }
}

impl FieldValue for Chatty<'_> {
    fn encode_field(&self, w: FieldWriter<'_>) {
        uringlog::warn!(self.logger, "from a field at depth {}", self.depth);
        w.u64(u64::from(self.depth));
    }
}

#[test]
fn a_display_that_logs_is_written_not_lost() {
    for (mode, formatting) in [Mode::Async, Mode::Sync]
        .into_iter()
        .flat_map(|m| FORMATTINGS.map(|f| (m, f)))
    {
        let what = format!("{mode:?} {formatting:?}");
        let (logger, guard, out) = build(mode, Policy::Block, formatting);
        let mut explicit = logger.producer();
        uringlog::info!(
            logger,
            "outer says {}",
            Chatty {
                logger: &logger,
                depth: 2
            }
        );
        let field = Chatty {
            logger: &logger,
            depth: 7,
        };
        uringlog::info!(logger, f = field; "with a chatty field");
        let chatty = Chatty {
            logger: &logger,
            depth: 1,
        };
        logger.log(Level::Info, "t", format_args!("log says {chatty}"));
        uringlog::info!(explicit, "explicit says {}", chatty);
        let s = guard.shutdown(SHUTDOWN).unwrap();
        assert_eq!((s.enqueued, s.written, s.dropped), (9, 9, 0), "{what}");
        let lines = out.lines();
        let tails: Vec<&str> = lines
            .iter()
            .map(|l| l.split_once(": ").unwrap().1)
            .collect();
        // The explicit producer has a ring of its own: its record keeps
        // order with its own records only.
        let (explicit, thread): (Vec<&str>, Vec<&str>) =
            tails.iter().partition(|t| t.starts_with("explicit"));
        assert_eq!(explicit, ["explicit says chatty 1"], "{what}");
        assert_eq!(
            thread,
            [
                "nested 1 says chatty 0",
                "nested 2 says chatty 1",
                "outer says chatty 2",
                "from a field at depth 7",
                "\"with a chatty field\" f=7",
                "nested 1 says chatty 0",
                "log says chatty 1",
                "nested 1 says chatty 0",
            ],
            "{what}"
        );
    }
}
