//! User code that runs inside a log call — a `Display` or `FieldValue` of
//! the arguments — may panic or log itself. A panic (caught by the caller)
//! counts the call enqueued and dropped and leaves the thread's producer
//! working; a nested log call is written, before the record that ran it.

use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use uringlog::{FieldValue, FieldWriter, Logger, MemorySink, Mode, Policy};
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

fn build(mode: Mode, policy: Policy) -> (Logger, uringlog::WriterGuard, uringlog::MemoryHandle) {
    let (sink, out) = MemorySink::new();
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .mode(mode)
        .policy(policy)
        .build()
        .unwrap();
    (logger, guard, out)
}

#[test]
fn a_panicking_display_or_field_is_counted_dropped_and_the_producer_goes_on() {
    for mode in [Mode::Async, Mode::Sync] {
        for policy in [Policy::Block, Policy::DropNewest, Policy::DropOldest] {
            let (logger, guard, out) = build(mode, policy);
            let mut explicit = logger.producer();
            for i in 0..10 {
                uringlog::info!(logger, "ok {i}");
                assert!(quietly(|| uringlog::info!(logger, "bad {}", Bomb)).is_err());
                assert!(quietly(|| uringlog::info!(logger, b = Bomb; "bad field")).is_err());
                assert!(quietly(|| uringlog::info!(explicit, "bad {}", Bomb)).is_err());
                assert!(quietly(|| uringlog::info!(explicit, b = Bomb; "bad")).is_err());
                uringlog::info!(explicit, "explicit ok {i}");
            }
            let s = guard.shutdown(SHUTDOWN).unwrap();
            let what = format!("{mode:?} {policy:?}: {s:?}");
            assert_eq!((s.enqueued, s.written, s.dropped), (60, 20, 40), "{what}");
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
    for mode in [Mode::Async, Mode::Sync] {
        let (logger, guard, out) = build(mode, Policy::Block);
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
        let s = guard.shutdown(SHUTDOWN).unwrap();
        assert_eq!((s.enqueued, s.written, s.dropped), (5, 5, 0), "{mode:?}");
        let tails: Vec<String> = out
            .lines()
            .iter()
            .map(|l| l.split_once(": ").unwrap().1.to_owned())
            .collect();
        assert_eq!(
            tails,
            [
                "nested 1 says chatty 0",
                "nested 2 says chatty 1",
                "outer says chatty 2",
                "from a field at depth 7",
                "\"with a chatty field\" f=7",
            ],
            "{mode:?}"
        );
    }
}
