//! A signal handler that logs through other loggers than the ones its
//! thread is logging through, interrupting that thread anywhere in its
//! calls (the fast path's lend included): every record of the thread
//! reaches its own logger, in order, none reaches the handler's; the
//! handler's records reach the handler's logger or are counted lost
//! there; every logger's books balance. The thread takes turns, a run of
//! calls each, between a logger on the quick route (the TSC clock with
//! `membarrier` wake-ups) and one on a manual clock; the handler
//! alternates between two such loggers of its own: a handler's call that
//! makes its producer the cache's between the thread's read of the key
//! and its mark finds the other route's producer under the thread's key.
//!
//! The sinks check the lines as they come (millions of them in an
//! optimised build, where the thread logs hundreds of records per signal).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use uringlog::{Clock, Format, Logger, Sink, Target, Timestamp, WriterGuard};
use uringlog_tests::SHUTDOWN;

const RECORDS: u64 = 50_000;
const SIGNALS: u64 = 50_000;

/// The handler's loggers: on the quick route, on a manual clock.
static OTHERS: OnceLock<[Logger; 2]> = OnceLock::new();
static HANDLED: AtomicU64 = AtomicU64::new(0);

extern "C" fn on_signal(_: libc::c_int) {
    let n = HANDLED.fetch_add(1, Ordering::Relaxed);
    if let Some(l) = OTHERS.get() {
        uringlog::info!(l[(n % 2) as usize], "sig={} {}", n + 1, u64::MAX);
    }
}

/// What a [`Tally`] saw: lines `INFO  <key>=<n> <tail>`, `n` counted from
/// 0 (`main`) or 1 (`sig`), strictly increasing; any other line is a stray.
#[derive(Default, Debug)]
struct Seen {
    lines: u64,
    /// The last `n`, plus one.
    next: u64,
    /// Lines not in order (`n` below `next`, or, for `main`, not `next`).
    out_of_order: u64,
    strays: u64,
    /// The first few strays.
    first_strays: Vec<String>,
}

/// Checks each line of `key` as the writer delivers it.
struct Tally {
    key: &'static str,
    tail: String,
    seen: Arc<Mutex<Seen>>,
}

impl Sink for Tally {
    fn describe(&self) -> String {
        format!("tally of {}", self.key)
    }
    fn target(&mut self, _len: usize) -> std::io::Result<Target> {
        Ok(Target::Inline)
    }
    fn write_inline(&mut self, batch: &[u8]) -> std::io::Result<()> {
        let mut s = self.seen.lock().unwrap();
        let text = std::str::from_utf8(batch).unwrap();
        for line in text.lines() {
            let parsed = line
                .strip_prefix("INFO  ")
                .and_then(|x| x.strip_prefix(self.key))
                .and_then(|x| x.strip_prefix('='))
                .and_then(|x| x.split_once(' '))
                .filter(|(_, tail)| *tail == self.tail)
                .and_then(|(n, _)| n.parse::<u64>().ok());
            let Some(n) = parsed else {
                s.strays += 1;
                if s.first_strays.len() < 3 {
                    s.first_strays.push(line.to_owned());
                }
                continue;
            };
            let in_order = match self.key {
                "main" => n == s.next,
                _ => n >= s.next,
            };
            s.out_of_order += u64::from(!in_order);
            s.next = n + 1;
            s.lines += 1;
        }
        Ok(())
    }
}

/// A logger whose sink is a [`Tally`]; on a manual clock with `manual`
/// (not the quick route).
fn tally_logger(
    key: &'static str,
    tail: String,
    manual: bool,
) -> (Logger, WriterGuard, Arc<Mutex<Seen>>) {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let sink = Tally {
        key,
        tail,
        seen: seen.clone(),
    };
    let mut b = Logger::builder()
        .sink(sink)
        .format(Format::text().timestamp(Timestamp::Off).without_target())
        .ring_capacity(1 << 20);
    if manual {
        b = b.clock(Clock::manual(1_000_000_000).0);
    }
    let (l, g) = b.build().unwrap();
    (l, g, seen)
}

#[test]
fn a_signal_handler_logging_through_another_logger_mid_call_keeps_each_ones_records() {
    let mains = [false, true].map(|manual| tally_logger("main", "-1 x".into(), manual));
    let others = [false, true].map(|manual| tally_logger("sig", u64::MAX.to_string(), manual));
    // The thread's producers for the handler's loggers registered before
    // any signal: a registration allocates, which a handler must not do.
    for (other, _, _) in &others {
        uringlog::info!(other, "sig={} {}", 0u64, u64::MAX);
    }
    let [(o0, og0, os0), (o1, og1, os1)] = others;
    OTHERS.set([o0, o1]).ok().unwrap();
    // SAFETY: a zeroed sigaction with a handler and an empty mask is valid.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_signal as *const () as usize;
        sa.sa_flags = libc::SA_RESTART;
        libc::sigemptyset(&mut sa.sa_mask);
        assert_eq!(libc::sigaction(libc::SIGUSR2, &sa, std::ptr::null_mut()), 0);
    }
    // SAFETY: the calling thread's own id.
    let me = unsafe { libc::pthread_self() } as usize;
    let stormer = std::thread::spawn(move || {
        for n in 0..SIGNALS {
            // SAFETY: signals the logging thread, alive until joined below.
            let r = unsafe { libc::pthread_kill(me as libc::pthread_t, libc::SIGUSR2) };
            assert_eq!(r, 0);
            // One at a time: a pending signal sent again is merged.
            while HANDLED.load(Ordering::Relaxed) <= n {
                std::hint::spin_loop();
            }
        }
    });
    // Each main logger's calls, numbered from 0: runs of 5 calls each.
    let mut calls = [0u64; 2];
    let mut i = 0u64;
    while i < RECORDS || HANDLED.load(Ordering::Relaxed) < SIGNALS {
        assert!(i < 20_000 * RECORDS, "signals not handled");
        let k = (i / 5 % 2) as usize;
        uringlog::info!(mains[k].0, "main={} {} {}", calls[k], -1i8, 'x');
        calls[k] += 1;
        i += 1;
    }
    stormer.join().unwrap();
    let handled = HANDLED.load(Ordering::Relaxed);
    assert_eq!(handled, SIGNALS);

    for ((_, guard, seen), n) in mains.into_iter().zip(calls) {
        let m = guard.shutdown(SHUTDOWN).unwrap();
        let ms = seen.lock().unwrap();
        assert_eq!(ms.strays, 0, "{ms:?}");
        assert_eq!((ms.lines, ms.next, ms.out_of_order), (n, n, 0), "{ms:?}");
        assert_eq!((m.enqueued, m.written, m.dropped), (n, n, 0));
    }
    // Signal `n` (from 0) logs `n + 1` through the handler's logger `n % 2`.
    let sent = [handled.div_ceil(2), handled / 2];
    for ((guard, seen), sent) in [(og0, os0), (og1, os1)].into_iter().zip(sent) {
        let o = guard.shutdown(SHUTDOWN).unwrap();
        let os = seen.lock().unwrap();
        assert_eq!(
            os.strays, 0,
            "the thread's records in the handler's logger: {os:?}"
        );
        // A handler call that finds the thread's producers lent is lost.
        assert_eq!(o.enqueued, sent + 1);
        assert_eq!(o.written + o.dropped, sent + 1);
        assert_eq!((os.lines, os.out_of_order), (o.written, 0), "{os:?}");
        eprintln!("{} of {sent} handler calls lost, {i} records", o.dropped);
    }
}
