//! A busy service under chaos, the engine as a whole: producer threads log
//! records of every size (empty, tiny, near the ring's capacity, larger
//! than it) through every front end (the macros, copied and caller-
//! formatted arguments, an explicit producer, `Logger::log`, the `log`
//! facade, the `tracing` layer), short-lived threads come and go, and a
//! control thread flushes, syncs, renames the file and reopens (by call
//! and by signal), changes the level and reads the counters, at random —
//! for each backend, policy and mode, crash-safe or not, with periodic
//! syncs or not. Then shutdown: after the threads are done, or while
//! they still log and call, and with a timeout that may be too short to
//! drain (the writer gives up).
//!
//! Every line read back from the files (renamed and current) parses and
//! is exactly one record that was logged, once, in its producer's order
//! across the files; what is missing is counted: `written` is the number
//! of lines, `written + dropped == enqueued`; under `Block` (and in sync
//! mode) only records larger than the ring, or logged once shutdown had
//! begun, are missing, those larger counted oversized; under `DropNewest`
//! a record logged right after its thread's flush is written, under
//! `DropOldest` each thread's last one. Every error counted is reported,
//! and only a shutdown that gave up leaves any (cancelled I/O). In
//! crash-safe mode a logger built on the directory again writes what a
//! shutdown that gave up left, so that nothing whose call returned before
//! the shutdown is missing.
//!
//! Each scenario runs in a child process (this test binary, run again),
//! as the `log` facade is process-wide; a child that does not finish in
//! time has its threads' stacks printed (gdb) and is killed. The test
//! runs nine scenarios that cover the combinations; `chaos_soak`
//! (ignored) runs as many random ones as asked:
//! `URINGLOG_CHAOS_FROM=0 URINGLOG_CHAOS_COUNT=200 cargo test --release
//! --test a_busy_service_under_chaos_keeps_every_record_once_in_order --
//! --ignored chaos_soak --nocapture`.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uringlog::{Backend, Formatting, Level, Logger, Mode, Policy, Stats};
use uringlog_sinks::FileSink;
use uringlog_tests::text_line::{parse, Shape, TextValue};

/// Set in the child: the seed of its scenario.
const CHILD: &str = "URINGLOG_CHAOS_SEED";
/// Set in the child: the time a scenario may take before the child
/// prints what each thread is doing.
const CHILD_PATIENCE: Duration = Duration::from_secs(40);
/// The parent's patience with a child before it dumps stacks and kills.
const PARENT_PATIENCE: Duration = Duration::from_secs(60);

/// SplitMix64: a small seeded generator.
#[derive(Clone)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn pick<T: Copy>(&mut self, v: &[T]) -> T {
        v[self.below(v.len() as u64) as usize]
    }
}

/// One scenario's configuration, all drawn from its seed.
#[derive(Clone, Debug)]
struct Config {
    backend: Backend,
    policy: Policy,
    mode: Mode,
    formatting: Formatting,
    crash_safe: bool,
    ring: usize,
    batch_size: usize,
    batch_bytes: usize,
    linger_us: u64,
    io_depth: usize,
    producers: u64,
    records: u64,
    short_lived: u64,
    level_changes: bool,
    signal_reopen: bool,
    /// Shut down while the threads still log and the control thread
    /// still calls.
    early_shutdown: bool,
    durable: bool,
    /// Shutdown's timeout: often too short to drain.
    shutdown_timeout_us: u64,
}

/// Seeds from here on name the bounded test's scenarios (see
/// [`Config::covering`]).
const COVERING: u64 = 1 << 40;

impl Config {
    /// The configuration of `seed`: drawn from it, or for a seed from
    /// [`COVERING`] on, one of the bounded test's.
    fn of(seed: u64) -> Config {
        match seed.checked_sub(COVERING) {
            Some(i) => Config::covering(i),
            None => Config::from_seed(seed),
        }
    }

    /// Scenario `i` of the bounded test: drawn from a seed, then set so
    /// that nine of them cover each backend under each policy, sync mode,
    /// crash-safe mode (and its recovery after a shutdown that gave up),
    /// reopening on a signal, periodic syncs, a shutdown while the
    /// threads log and a timeout too short to drain.
    fn covering(i: u64) -> Config {
        let mut c = Config::from_seed(i);
        c.backend = [Backend::Pwrite, Backend::IoUring, Backend::Auto][i as usize % 3];
        c.policy = [Policy::Block, Policy::DropNewest, Policy::DropOldest][i as usize / 3 % 3];
        c.mode = if i == 8 { Mode::Sync } else { Mode::Async };
        c.crash_safe = matches!(i, 1 | 4);
        (c.early_shutdown, c.shutdown_timeout_us) = match i {
            1 | 5 | 7 => (true, 300),
            2 | 6 => (true, 30_000_000),
            _ => (false, 30_000_000),
        };
        c.signal_reopen = matches!(i, 0 | 3 | 6 | 8);
        c.durable = matches!(i, 2 | 4 | 7);
        c.level_changes = i % 2 == 0;
        (c.producers, c.records, c.short_lived) = (6, 600, 12);
        c
    }

    fn from_seed(seed: u64) -> Config {
        let mut r = Rng(seed);
        let mode = if r.chance(20) {
            Mode::Sync
        } else {
            Mode::Async
        };
        let policy = r.pick(&[Policy::Block, Policy::DropNewest, Policy::DropOldest]);
        let crash_safe = mode == Mode::Async && policy != Policy::DropOldest && r.chance(25);
        Config {
            backend: r.pick(&[Backend::Pwrite, Backend::IoUring, Backend::Auto]),
            policy,
            mode,
            formatting: r.pick(&[Formatting::Deferred, Formatting::Caller]),
            crash_safe,
            ring: r.pick(&[1024, 4096, 16384, 65536]),
            batch_size: r.pick(&[1, 7, 100, 4096]),
            batch_bytes: r.pick(&[4096, 65536, 128 * 1024]),
            linger_us: r.pick(&[0, 50, 5000]),
            io_depth: r.pick(&[1, 2, 8]),
            producers: 4 + r.below(5),
            records: 300 + r.below(900),
            short_lived: 10 + r.below(40),
            level_changes: r.chance(50),
            signal_reopen: r.chance(30),
            early_shutdown: r.chance(25),
            durable: r.chance(20),
            shutdown_timeout_us: r.pick(&[0, 300, 3000, 30_000_000, 30_000_000]),
        }
    }
}

/// A user type formatted by the caller.
struct Shown(u64);

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<shown {} ✓\t{}>", self.0, self.0 % 7)
    }
}

/// Characters of the filler: multi-byte UTF-8, controls, escapes.
const FILLER: &[char] = &[
    'a', 'b', 'z', ' ', 'é', '✓', '𝄞', '\n', '\t', '\r', '\u{1b}', '"', '\\', '\u{2028}', '\0',
    '\u{7f}', '\u{85}', '#', '{', '}',
];

fn filler(r: &mut Rng, bytes: usize) -> String {
    let mut s = String::with_capacity(bytes + 4);
    while s.len() < bytes {
        s.push(r.pick(FILLER));
    }
    s
}

/// What one record must read back as.
#[derive(Clone, Debug, PartialEq)]
struct Expect {
    level: &'static str,
    target: &'static str,
    message: Vec<u8>,
    fields: Option<Vec<(Vec<u8>, TextValue)>>,
    /// `Some(true)`: passes the filter whatever the level is set to;
    /// `Some(false)`: never passes; `None`: depends on the level now.
    enabled: Option<bool>,
    /// Bytes of the message and fields' strings, a lower bound of what
    /// the ring must hold.
    size: usize,
    /// The thread logged it after the logger shut down (or may have).
    late: bool,
    /// Its thread's `flush` returned just before it, so its ring had
    /// room: written if it fits, whatever the policy.
    after_flush: bool,
    front: Front,
}

fn int(v: impl Into<i128>) -> TextValue {
    TextValue::Int(v.into())
}

fn string(s: &str) -> TextValue {
    TextValue::Str(s.as_bytes().to_vec())
}

/// The fields `p` and `s`, then `more`, as the text shows them.
fn fields<const N: usize>(
    p: u64,
    s: u64,
    more: [(&str, TextValue); N],
) -> Vec<(Vec<u8>, TextValue)> {
    let ids = [("p", int(p)), ("s", int(s))];
    (ids.into_iter().chain(more))
        .map(|(k, v)| (k.as_bytes().to_vec(), v))
        .collect()
}

/// How a record is logged.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Front {
    Macro,
    MacroFields,
    MacroEmpty,
    Explicit,
    LoggerLog,
    LogFacade,
    LogKv,
    Tracing,
}

const FRONTS: &[Front] = &[
    Front::Macro,
    Front::MacroFields,
    Front::MacroEmpty,
    Front::Explicit,
    Front::LoggerLog,
    Front::LogFacade,
    Front::LogKv,
    Front::Tracing,
];

/// A stream of records in one producer's order: a thread's records
/// through the logger (all front ends but the explicit producer) are
/// stream `id`, those through its explicit producer `id + EXPLICIT`.
const EXPLICIT: u64 = 1 << 20;
/// Short-lived threads' ids start here.
const SHORT: u64 = 1000;

/// Runs `$emit!($to, level, target)` with the level's macro name and the
/// target as literals.
macro_rules! at_level {
    ($level:expr, $quiet:expr, $emit:ident, $to:expr) => {
        match ($level, $quiet) {
            (Level::Error, false) => $emit!($to, error, "soak"),
            (Level::Error, true) => $emit!($to, error, "soak::quiet"),
            (Level::Warn, false) => $emit!($to, warn, "soak"),
            (Level::Warn, true) => $emit!($to, warn, "soak::quiet"),
            (Level::Info, false) => $emit!($to, info, "soak"),
            (Level::Info, true) => $emit!($to, info, "soak::quiet"),
            (Level::Debug, false) => $emit!($to, debug, "soak"),
            (Level::Debug, true) => $emit!($to, debug, "soak::quiet"),
            (l, _) => unreachable!("level {l:?}"),
        }
    };
}

/// One producer thread: logs `n` records of stream `id` (and its explicit
/// producer's stream); returns what each must read back as.
fn produce(
    logger: &Logger,
    cfg: &Config,
    id: u64,
    n: u64,
    seed: u64,
    closed: &AtomicBool,
) -> HashMap<u64, Vec<Expect>> {
    use tracing_subscriber::prelude::*;
    let mut r = Rng(seed ^ id.wrapping_mul(0x2545_f491_4f6c_dd1d));
    let subscriber = tracing_subscriber::registry().with(uringlog::tracing::layer(logger));
    let _dispatch = tracing::subscriber::set_default(subscriber);
    let mut explicit = logger.producer();
    // Each explicit producer is a stream of its own.
    let mut generation = 1;
    let mut out: HashMap<u64, Vec<Expect>> = HashMap::new();
    let mut after_flush = false;
    for _ in 0..n {
        let front = r.pick(FRONTS);
        if front == Front::Explicit && r.chance(3) {
            explicit = logger.producer();
            generation += 1;
        }
        let stream = match front {
            Front::Explicit => id + EXPLICIT * generation,
            _ => id,
        };
        let p = stream;
        let s = out.get(&stream).map_or(0, |v| v.len() as u64);
        // Sizes: mostly tiny, some near the ring, some larger.
        let class = r.below(100);
        let len = match class {
            0..=69 => r.below(24) as usize,
            70..=84 => r.below(300) as usize,
            85..=94 => (cfg.ring * 3 / 4).saturating_sub(400) + r.below(600) as usize,
            _ => cfg.ring + r.below(2 * cfg.ring as u64) as usize,
        };
        let fill = filler(&mut r, len);
        let big = len + 500 > cfg.ring * 3 / 4;
        let level = if big {
            r.pick(&[Level::Warn, Level::Error])
        } else {
            r.pick(&[Level::Error, Level::Warn, Level::Info, Level::Debug])
        };
        let quiet = !big && r.chance(15);
        let target = if quiet { "soak::quiet" } else { "soak" };
        let enabled = match (level, quiet) {
            (Level::Error | Level::Warn, _) => Some(true),
            (_, true) => Some(false),
            _ if !cfg.level_changes => Some(level == Level::Info),
            _ => None,
        };
        let (i, u, f, g, c, b) = (
            r.next() as i64,
            (r.next() as u128) << 64 | r.next() as u128,
            f64::from_bits(r.next()),
            f32::from_bits(r.next() as u32),
            r.pick(FILLER),
            r.chance(50),
        );
        let shown = Shown(r.next());
        let klen = r.below(6) as usize;
        let kstr = format!("x{}", filler(&mut r, klen));
        let late = closed.load(Ordering::Relaxed);
        let fill = fill.as_str();
        let k = kstr.as_str();
        let (message, fields) = match front {
            Front::Macro | Front::Explicit => {
                macro_rules! emit {
                    ($to:expr, $lvl:ident, $t:literal) => {
                        uringlog::$lvl!($to, target: $t,
                            "p={} s={} i={} h={:x} u={} f={} g={:.3} w={:>6} c={} b={} d={} |{}|",
                            p, s, i, i, u, f, g, s, c, b, shown, fill)
                    };
                }
                match front {
                    Front::Explicit => at_level!(level, quiet, emit, explicit),
                    _ => at_level!(level, quiet, emit, logger),
                }
                let m = format!(
                    "p={} s={} i={} h={:x} u={} f={} g={:.3} w={:>6} c={} b={} d={} |{}|",
                    p, s, i, i, u, f, g, s, c, b, shown, fill
                );
                (m, None)
            }
            Front::MacroFields => {
                macro_rules! emit {
                    ($to:expr, $lvl:ident, $t:literal) => {
                        uringlog::$lvl!($to, target: $t, p = p, s = s, k = k, n = i; "{}|{}", fill, shown)
                    };
                }
                at_level!(level, quiet, emit, logger);
                let fs = fields(p, s, [("k", string(k)), ("n", int(i))]);
                (format!("{fill}|{shown}"), Some(fs))
            }
            Front::MacroEmpty => {
                macro_rules! emit {
                    ($to:expr, $lvl:ident, $t:literal) => {
                        uringlog::$lvl!($to, target: $t, p = p, s = s; "")
                    };
                }
                at_level!(level, quiet, emit, logger);
                (String::new(), Some(fields(p, s, [])))
            }
            Front::LoggerLog => {
                logger.log(
                    level,
                    target,
                    format_args!("p={} s={} f={} d={} |{}|", p, s, f, shown, fill),
                );
                (
                    format!("p={} s={} f={} d={} |{}|", p, s, f, shown, fill),
                    None,
                )
            }
            Front::LogFacade => {
                macro_rules! emit {
                    ($to:expr, $lvl:ident, $t:literal) => {
                        log::$lvl!(target: $t, "p={} s={} u={} f={} d={} |{}|", p, s, u, f, shown, fill)
                    };
                }
                at_level!(level, quiet, emit, logger);
                let m = format!("p={} s={} u={} f={} d={} |{}|", p, s, u, f, shown, fill);
                (m, None)
            }
            Front::LogKv => {
                macro_rules! emit {
                    ($to:expr, $lvl:ident, $t:literal) => {
                        log::$lvl!(target: $t, p = p, s = s, k = k; "{}|", fill)
                    };
                }
                at_level!(level, quiet, emit, logger);
                (format!("{fill}|"), Some(fields(p, s, [("k", string(k))])))
            }
            Front::Tracing => {
                macro_rules! emit {
                    ($to:expr, $lvl:ident, $t:literal) => {
                        tracing::$lvl!(target: $t, p = p, s = s, k = k, "{}|", fill)
                    };
                }
                at_level!(level, quiet, emit, logger);
                (format!("{fill}|"), Some(fields(p, s, [("k", string(k))])))
            }
        };
        // What the ring must hold at least: the message as text when the
        // caller formats it; with deferred formatting, the strings (the
        // writer renders the numbers, which may take far more as text).
        let deferred = matches!(front, Front::Macro | Front::Explicit | Front::MacroFields)
            && cfg.formatting == Formatting::Deferred;
        let size = match (front, deferred) {
            (Front::MacroEmpty, _) => 0,
            (_, true) => fill.len() + shown.to_string().len(),
            (_, false) => message.len(),
        };
        out.entry(stream).or_default().push(Expect {
            level: level_name(level),
            target,
            message: message.into_bytes(),
            fields,
            enabled,
            size,
            late: late || closed.load(Ordering::Relaxed),
            after_flush: after_flush && front != Front::Explicit,
            front,
        });
        after_flush = false;
        if r.chance(2) {
            let r = logger.flush();
            after_flush = r.is_ok();
            answered(r, None, closed, &format!("{cfg:?}: producer {id}: flush"));
        }
        // Pauses, so that the control thread's calls meet the logging.
        match r.below(100) {
            0..=2 => std::thread::yield_now(),
            3 => std::thread::sleep(Duration::from_micros(r.below(300))),
            _ => {}
        }
    }
    out
}

fn level_name(l: Level) -> &'static str {
    match l {
        Level::Error => "ERROR",
        Level::Warn => "WARN",
        Level::Info => "INFO",
        Level::Debug => "DEBUG",
        Level::Trace => "TRACE",
        _ => unreachable!(),
    }
}

/// What each thread of a child is doing, for the hang report.
#[derive(Default)]
struct Doing(Mutex<HashMap<String, (String, Instant)>>);

impl Doing {
    fn set(&self, who: &str, what: impl Into<String>) {
        let mut m = self.0.lock().unwrap();
        m.insert(who.to_owned(), (what.into(), Instant::now()));
    }
    fn report(&self) -> String {
        let m = self.0.lock().unwrap();
        let mut v: Vec<String> = m
            .iter()
            .map(|(who, (what, at))| format!("  {who}: {what} (for {:?})", at.elapsed()))
            .collect();
        v.sort();
        v.join("\n")
    }
}

/// Sends the reopen signal: to the process (any thread may take it), or
/// when the logger may shut down meanwhile, to this thread, before
/// `closed` is set (`gate` held): once the writer has ended, the signal's
/// earlier disposition is back, and `SIGHUP`'s ends the process.
fn signal(cfg: &Config, closed: &AtomicBool, gate: &Mutex<()>, doing: &Doing) {
    if !cfg.early_shutdown {
        doing.set("control", "kill(SIGHUP)");
        // SAFETY: signals this process; the logger handles it.
        unsafe { libc::kill(libc::getpid(), libc::SIGHUP) };
        return;
    }
    let _open = gate.lock().unwrap();
    if !closed.load(Ordering::SeqCst) {
        doing.set("control", "raise(SIGHUP)");
        // SAFETY: signals this thread, handled before `raise` returns.
        unsafe { libc::raise(libc::SIGHUP) };
    }
}

/// Whether error `e` is of I/O that a shutdown gave up (its timeout
/// expired): syncs and writes in the kernel are cancelled, and their
/// reports say shutdown gave up on them.
fn given_up(e: &str) -> bool {
    e.contains("cancelled: shutdown gave up after")
}

/// Checks what a control call returned: `Ok`, a timeout where it had
/// one (`timeout_ms`), or — once the logger is shutting down — that it is
/// shut down; each error saying so.
fn answered<E: fmt::Display>(
    r: Result<(), E>,
    timeout_ms: Option<u64>,
    closed: &AtomicBool,
    what: &str,
) {
    let Err(e) = r else { return };
    let e = e.to_string();
    let timed_out = timeout_ms.map(|ms| format!("flush did not complete within {ms} ms"));
    let shut = closed.load(Ordering::SeqCst) && (e == "logger is shut down" || given_up(&e));
    assert!(shut || Some(&e) == timed_out.as_ref(), "{what}: {e}");
}

/// The control thread: flushes, syncs, rotates, changes the level and
/// reads the counters at random until `stop`; returns how many files it
/// renamed.
fn control(
    logger: &Logger,
    cfg: &Config,
    dir: &std::path::Path,
    seed: u64,
    stop: &AtomicBool,
    (closed, gate): (&AtomicBool, &Mutex<()>),
    doing: &Doing,
) -> u64 {
    let mut r = Rng(seed ^ 0x00c0_ffee);
    let path = dir.join("app.log");
    let mut renamed = 0u64;
    let mut last = Stats::default();
    let what = |op: &str| format!("{cfg:?}: {op}");
    while !stop.load(Ordering::Relaxed) {
        let ms = r.below(3);
        match r.below(100) {
            0..=14 => {
                doing.set("control", "flush");
                answered(logger.flush(), None, closed, &what("flush"));
            }
            15..=24 => {
                doing.set("control", format!("flush_timeout({ms} ms)"));
                let t = Duration::from_millis(ms);
                answered(
                    logger.flush_timeout(t),
                    Some(ms),
                    closed,
                    &what("flush_timeout"),
                );
            }
            25..=32 => {
                doing.set("control", "flush_sync");
                answered(logger.flush_sync(), None, closed, &what("flush_sync"));
            }
            33..=36 => {
                doing.set("control", format!("flush_sync_timeout({ms} ms)"));
                let r = logger.flush_sync_timeout(Duration::from_millis(ms));
                answered(r, Some(ms), closed, &what("flush_sync_timeout"));
            }
            37..=51 => {
                // Only what is there: a signalled reopen may not have
                // opened the path again yet.
                renamed += 1;
                let to = dir.join(format!("app.log.{renamed:06}"));
                doing.set("control", format!("rename to {}", to.display()));
                if std::fs::rename(&path, &to).is_err() {
                    renamed -= 1;
                }
                if cfg.signal_reopen && r.chance(50) {
                    signal(cfg, closed, gate, doing);
                } else {
                    doing.set("control", "reopen");
                    answered(logger.reopen(), None, closed, &what("reopen"));
                }
            }
            52..=61 if cfg.level_changes => {
                let l = r.pick(&[Level::Trace, Level::Debug, Level::Info, Level::Warn]);
                doing.set("control", format!("set_level({l:?})"));
                logger.set_level(l);
            }
            62..=81 => {
                doing.set("control", "stats");
                let s = logger.stats();
                let grew = |a: u64, b: u64, name: &str| {
                    assert!(b >= a, "{}: {name} went from {a} to {b}", what("stats"));
                };
                grew(last.enqueued, s.enqueued, "enqueued");
                grew(last.written, s.written, "written");
                grew(last.dropped, s.dropped, "dropped");
                grew(last.oversized, s.oversized, "oversized");
                grew(last.bytes_written, s.bytes_written, "bytes_written");
                grew(last.batches, s.batches, "batches");
                grew(last.syncs, s.syncs, "syncs");
                last = s;
                let _ = logger.io_backend();
            }
            _ => {}
        }
        doing.set("control", "sleeping");
        std::thread::sleep(Duration::from_micros(r.below(2000)));
    }
    doing.set("control", "done");
    renamed
}

/// The child: runs the scenario of `seed` and checks it.
fn scenario(seed: u64) {
    let cfg = Config::of(seed);
    eprintln!("seed {seed}: {cfg:?}");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("logs");
    std::fs::create_dir(&dir).unwrap();
    let path = dir.join("app.log");
    let format = uringlog::Format::text().with_thread_id();
    let mut b = Logger::builder()
        .sink(FileSink::new(&path).unwrap())
        .format(format)
        .filter("info,soak::quiet=warn")
        .backend(cfg.backend)
        .policy(cfg.policy)
        .mode(cfg.mode)
        .formatting(cfg.formatting)
        .ring_capacity(cfg.ring)
        .batch_size(cfg.batch_size)
        .batch_bytes(cfg.batch_bytes)
        .linger_us(cfg.linger_us)
        .io_depth(cfg.io_depth);
    if cfg.crash_safe {
        b = b.crash_safe(tmp.path().join("cs"));
    }
    if cfg.durable {
        b = b
            .durability(uringlog::Durability::Data)
            .sync_interval_bytes(uringlog::MIN_SYNC_INTERVAL_BYTES)
            .sync_interval_ms(1);
    }
    if cfg.signal_reopen {
        b = b.reopen_on_signal(libc::SIGHUP);
    }
    let (logger, guard) = b.init_global().unwrap_or_else(|e| panic!("{cfg:?}: {e}"));
    let doing = Arc::new(Doing::default());
    let finished = Arc::new(AtomicBool::new(false));
    {
        let (doing, finished) = (doing.clone(), finished.clone());
        std::thread::spawn(move || {
            let start = Instant::now();
            while !finished.load(Ordering::Relaxed) {
                if start.elapsed() > CHILD_PATIENCE {
                    eprintln!(
                        "seed {seed}: hung; what each thread is doing:\n{}",
                        doing.report()
                    );
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        });
    }
    let stop = AtomicBool::new(false);
    let closed = AtomicBool::new(false);
    let gate = Mutex::new(());
    let shut_down = |guard: uringlog::WriterGuard| {
        doing.set("main", "shutdown");
        // Set first: a call that returns and finds it unset was made
        // before the shutdown began.
        let no_signal = gate.lock().unwrap();
        closed.store(true, Ordering::SeqCst);
        drop(no_signal);
        let timeout = Duration::from_micros(cfg.shutdown_timeout_us);
        let s = guard.shutdown(timeout);
        doing.set("main", "shut down");
        match s {
            Ok(s) => Some(s),
            Err(e @ uringlog::ShutdownError::Timeout { timeout_ms, stats }) => {
                let pending = stats.pending();
                let said = format!(
                    "writer still draining after {timeout_ms} ms ({pending} records pending)"
                );
                assert_eq!(e.to_string(), said);
                assert_eq!(timeout_ms, timeout.as_millis() as u64);
                None
            }
            Err(e) => panic!("seed {seed} {cfg:?}: shutdown: {e}"),
        }
    };
    let mut guard = Some(guard);
    let mut at_shutdown = None;
    let (expects, renamed) = std::thread::scope(|s| {
        let ctl = s.spawn(|| control(&logger, &cfg, &dir, seed, &stop, (&closed, &gate), &doing));
        let workers: Vec<_> = (0..cfg.producers)
            .map(|id| {
                let (logger, cfg, closed, doing) = (&logger, &cfg, &closed, &doing);
                s.spawn(move || {
                    doing.set(&format!("producer {id}"), "logging");
                    let e = produce(logger, cfg, id, cfg.records, seed, closed);
                    doing.set(&format!("producer {id}"), "done");
                    e
                })
            })
            .collect();
        // Threads that log a few records and exit, a few at a time.
        let churn = s.spawn(|| {
            let mut all = HashMap::new();
            let mut id = SHORT;
            while id < SHORT + cfg.short_lived {
                let batch: Vec<_> = (0..3)
                    .map(|k| {
                        let (logger, cfg, closed) = (&logger, &cfg, &closed);
                        let this = id + k;
                        s.spawn(move || produce(logger, cfg, this, 1 + this % 5, seed, closed))
                    })
                    .collect();
                id += 3;
                for t in batch {
                    all.extend(t.join().unwrap());
                }
            }
            all
        });
        if cfg.early_shutdown {
            std::thread::sleep(Duration::from_millis(Rng(seed).below(40)));
            at_shutdown = guard.take().map(shut_down);
        }
        let mut expects: HashMap<u64, Vec<Expect>> = HashMap::new();
        for w in workers {
            expects.extend(w.join().unwrap());
        }
        expects.extend(churn.join().unwrap());
        stop.store(true, Ordering::Relaxed);
        (expects, ctl.join().unwrap())
    });
    let at_shutdown = match guard.take() {
        Some(g) => shut_down(g),
        None => at_shutdown.unwrap(),
    };
    // A writer that gave up ends within a bounded time.
    doing.set("main", "waiting for the writer to end");
    uringlog_tests::wait_for("the writer's end", || {
        logger.flush() == Err(uringlog::FlushError::ShutDown)
    });
    finished.store(true, Ordering::Relaxed);
    // Every call has returned and the writer has ended: the books are final.
    let s = logger.stats();
    if let Some(at) = at_shutdown {
        assert_eq!(s.written, at.written, "seed {seed}: written after shutdown");
    }
    let errors = logger.recent_errors();
    let gave_up = at_shutdown.is_none();
    if !errors.is_empty() {
        eprintln!("seed {seed}: errors after giving up: {errors:?}");
    }
    for e in &errors {
        assert!(gave_up && given_up(e), "seed {seed} {cfg:?}: {e}");
    }
    assert_eq!(
        s.errors == 0,
        errors.is_empty(),
        "seed {seed}: {s:?} {errors:?}"
    );
    let what = format!("seed {seed} {cfg:?}");
    let (seen, lines, marks) = read_back(&what, &dir, &expects, renamed);
    assert_eq!(marks, 0, "{what}: nothing recovered at the start");
    assert_eq!(s.written, lines, "{what}: {s:?}");
    books(&cfg, &what, &expects, &seen, &s, gave_up);
    if cfg.crash_safe {
        recover(&cfg, &what, &tmp, &expects, renamed, gave_up);
    }
    eprintln!("seed {seed}: {lines} lines, {renamed} renamed files, gave up: {gave_up}, {s:?}");
}

/// Crash-safe: a logger built on the directory again writes what the
/// first one counted dropped when it gave up, to the file its sink names:
/// then every record whose call returned before the shutdown, that fits
/// the ring and passed the filter, is in the files once, in order.
fn recover(
    cfg: &Config,
    what: &str,
    tmp: &tempfile::TempDir,
    expects: &HashMap<u64, Vec<Expect>>,
    renamed: u64,
    gave_up: bool,
) {
    let dir = tmp.path().join("logs");
    let (logger, guard) = Logger::builder()
        .sink(FileSink::new(dir.join("app.log")).unwrap())
        .format(uringlog::Format::text().with_thread_id())
        .crash_safe(tmp.path().join("cs"))
        .build()
        .unwrap_or_else(|e| panic!("{what}: recovery: {e}"));
    drop(logger);
    let s = guard.shutdown(Duration::from_secs(30)).unwrap();
    let (seen, _, marks) = read_back(what, &dir, expects, renamed);
    eprintln!("{what}: recovery wrote {}", s.written);
    assert_eq!((s.dropped, s.errors), (0, 0), "{what}: recovery: {s:?}");
    assert!(marks <= 1, "{what}: {marks} recovery marks");
    assert_eq!(marks == 0, s.written == 0, "{what}: recovery: {s:?}");
    if !gave_up {
        assert_eq!(marks, 0, "{what}: a clean shutdown leaves nothing");
    }
    for (&p, v) in expects {
        for (sq, e) in v.iter().enumerate() {
            let fits = e.size + 500 <= cfg.ring * 3 / 4;
            let sure = e.enabled == Some(true) && fits && !e.late && cfg.policy == Policy::Block;
            assert!(
                !sure || seen.contains(&(p, sq as u64)),
                "{what}: after recovery p={p} s={sq} is missing: {e:?}"
            );
        }
    }
}

/// Reads the files back (the renamed ones in order, then the current
/// one) and checks every line: a record that was logged, read back
/// exactly, once, in its stream's order. Returns the records seen, the
/// lines and the recovery marks among them.
fn read_back(
    what: &str,
    dir: &std::path::Path,
    expects: &HashMap<u64, Vec<Expect>>,
    renamed: u64,
) -> (HashSet<(u64, u64)>, u64, u64) {
    let mut names: Vec<String> = (uringlog_tests::file_names(dir).into_iter())
        .filter(|n| n != "app.log")
        .collect();
    assert!(names.len() as u64 <= renamed, "{what}: {names:?}");
    // None when renamed after the writer's last reopen.
    if dir.join("app.log").exists() {
        names.push("app.log".to_owned());
    }
    let shape = Shape {
        timestamp: true,
        thread: true,
        target: true,
    };
    let mut marks = 0;
    let mut seen: HashSet<(u64, u64)> = HashSet::new();
    let mut last: HashMap<u64, u64> = HashMap::new();
    let mut tids: HashMap<u64, u64> = HashMap::new();
    let mut lines = 0u64;
    for (name, line) in uringlog_tests::lines_of_files(dir, &names) {
        if line.contains(" records recovered") && !line.contains(" p=") {
            marks += 1;
            continue;
        }
        lines += 1;
        let l = parse(&line, shape)
            .unwrap_or_else(|e| panic!("{what}: {name}: a line that does not parse ({e}): {line}"));
        let (p, sq) = ids(&l).unwrap_or_else(|| panic!("{what}: {name}: no p, s: {line}"));
        let e = expects
            .get(&p)
            .and_then(|v| v.get(sq as usize))
            .unwrap_or_else(|| panic!("{what}: {name}: a record never logged: {line}"));
        assert!(seen.insert((p, sq)), "{what}: {name}: p={p} s={sq} twice");
        if let Some(&prev) = last.get(&p) {
            assert!(prev < sq, "{what}: {name}: p={p} s={sq} after s={prev}");
        }
        last.insert(p, sq);
        let tid = l.thread.expect("a thread id");
        assert_eq!(
            *tids.entry(p % EXPLICIT).or_insert(tid),
            tid,
            "{what}: p={p}"
        );
        assert_ne!(
            e.enabled,
            Some(false),
            "{what}: filtered out yet written: {line}"
        );
        let got = (l.level.as_str(), l.target.as_deref(), &l.message, &l.fields);
        let want = (e.level, Some(e.target.as_bytes()), &e.message, &e.fields);
        assert!(
            got == want,
            "{what}: {name}: p={p} s={sq}:\n got {got:?}\nwant {want:?}"
        );
    }
    (seen, lines, marks)
}

/// Checks the books against what was read back, and what is missing.
fn books(
    cfg: &Config,
    what: &str,
    expects: &HashMap<u64, Vec<Expect>>,
    seen: &HashSet<(u64, u64)>,
    s: &Stats,
    gave_up: bool,
) {
    assert_eq!(s.written + s.dropped, s.enqueued, "{what}: {s:?}");
    // What is missing, and what must not be.
    let fits = |e: &Expect| e.size + 500 <= cfg.ring * 3 / 4;
    let mut certain = 0u64;
    let mut maybe = 0u64;
    let mut must_oversize = 0u64;
    let mut missing_enabled = 0u64;
    for (&p, v) in expects {
        for (sq, e) in v.iter().enumerate() {
            let here = seen.contains(&(p, sq as u64));
            match e.enabled {
                Some(true) => certain += 1,
                None => maybe += 1,
                Some(false) => {}
            }
            if e.enabled == Some(true) && e.size >= cfg.ring {
                // After shutdown a call is counted dropped, not oversized.
                must_oversize += u64::from(!e.late);
                assert!(
                    !here,
                    "{what}: p={p} s={sq} of {} bytes written: {e:?}",
                    e.size
                );
            }
            if e.enabled == Some(true) && !here {
                missing_enabled += 1;
                // Room is certain under `Block`, in sync mode (no ring)
                // and, under `DropNewest`, right after the thread's flush.
                let room = cfg.policy == Policy::Block
                    || cfg.mode == Mode::Sync
                    || (e.after_flush && cfg.policy == Policy::DropNewest);
                assert!(
                    !fits(e) || !room || e.late || gave_up,
                    "{what}: p={p} s={sq} lost: {e:?}; {s:?}"
                );
            }
        }
    }
    assert!(
        (certain..=certain + maybe).contains(&s.enqueued),
        "{what}: {certain} records certain to pass, {maybe} maybe: {s:?}"
    );
    assert!(s.oversized >= must_oversize, "{what}: {s:?}");
    assert!(s.dropped >= s.oversized, "{what}: {s:?}");
    let lossless = cfg.policy == Policy::Block || cfg.mode == Mode::Sync;
    if lossless && !cfg.early_shutdown && !gave_up {
        assert_eq!(s.dropped, s.oversized, "{what}: {s:?}");
        if maybe == 0 {
            assert_eq!(missing_enabled, s.oversized, "{what}: {s:?}");
        }
    }
    if cfg.policy == Policy::DropOldest {
        // The newest record of each long-lived stream is kept.
        for (&p, v) in expects {
            let Some(e) = v.last() else { continue };
            if p < SHORT && e.enabled == Some(true) && fits(e) && !e.late && !gave_up {
                let sq = v.len() as u64 - 1;
                assert!(
                    seen.contains(&(p, sq)),
                    "{what}: p={p}'s newest s={sq} lost"
                );
            }
        }
    }
}

/// The record's stream and sequence: from its fields, or from the
/// message's `p=<n> s=<n>`.
fn ids(l: &uringlog_tests::text_line::TextLine) -> Option<(u64, u64)> {
    if let Some(fs) = &l.fields {
        let get = |k: &[u8]| {
            fs.iter().find_map(|(key, v)| match v {
                TextValue::Int(n) if key == k => Some(*n as u64),
                _ => None,
            })
        };
        return Some((get(b"p")?, get(b"s")?));
    }
    let m = String::from_utf8_lossy(&l.message);
    Some((
        uringlog_tests::field(&m, "p=")?,
        uringlog_tests::field(&m, "s=")?,
    ))
}

/// Runs the scenario of `seed` in a child process; dumps its threads'
/// stacks and kills it when it takes longer than `PARENT_PATIENCE`.
fn run_child(test: &str, seed: u64) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--include-ignored"])
        .env(CHILD, seed.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut s = String::new();
            let _ = r.read_to_string(&mut s);
            s
        })
    };
    let out = drain(Box::new(child.stdout.take().unwrap()));
    let err = drain(Box::new(child.stderr.take().unwrap()));
    let started = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break Some(st);
        }
        if started.elapsed() > PARENT_PATIENCE {
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stacks = String::new();
    if status.is_none() {
        let gdb = Command::new("gdb")
            .args([
                "-p",
                &child.id().to_string(),
                "-batch",
                "-ex",
                "thread apply all bt",
            ])
            .output();
        stacks = match gdb {
            Ok(o) => String::from_utf8_lossy(&o.stdout).into_owned(),
            Err(e) => format!("(no stacks: gdb: {e})"),
        };
        let _ = child.kill();
        let _ = child.wait();
    }
    let (out, err) = (out.join().unwrap(), err.join().unwrap());
    match status {
        Some(st) if st.success() => {
            for l in err.lines().filter(|l| l.starts_with("seed ")) {
                eprintln!("{l}");
            }
        }
        Some(st) => panic!("seed {seed} failed ({st}):\n{out}\n{err}"),
        None => panic!("seed {seed} hung:\n{out}\n{err}\n{stacks}"),
    }
}

/// In the child: the scenario of its seed. In the test: each seed.
fn seeds(test: &str, seeds: impl Iterator<Item = u64>) {
    if let Ok(seed) = std::env::var(CHILD) {
        scenario(seed.parse().unwrap());
        return;
    }
    let uring = uringlog_tests::io_uring_available(&format!("{test} (io_uring scenarios)"));
    for seed in seeds.filter(|&s| uring || Config::of(s).backend != Backend::IoUring) {
        run_child(test, seed);
    }
}

#[test]
fn a_busy_service_under_chaos_keeps_every_record_once_in_order() {
    let test = "a_busy_service_under_chaos_keeps_every_record_once_in_order";
    seeds(test, COVERING..COVERING + 9);
}

#[test]
#[ignore = "a long soak: URINGLOG_CHAOS_FROM and URINGLOG_CHAOS_COUNT choose the seeds"]
fn chaos_soak() {
    let var = |k: &str, d: u64| std::env::var(k).map_or(d, |v| v.parse().unwrap());
    let from = var("URINGLOG_CHAOS_FROM", 0);
    let count = var("URINGLOG_CHAOS_COUNT", 100);
    seeds("chaos_soak", from..from + count);
}
