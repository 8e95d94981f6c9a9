//! What the slow calls are, by count: each call is timed with `rdtsc`, and
//! around it (outside the timed region) the calling thread's minor faults
//! and context switches (`getrusage`), its heap allocations (a counting
//! allocator) and the writer's wake-up syscalls (`writer_wake_counts`: a
//! notify that found the writer registered to sleep claims it and makes
//! the one `futex` wake) are read, so every call carries the events that
//! happened inside it.
//!
//! ```sh
//! cargo run --release -p uringlog-bench --example tail_attribution -- \
//!     ring|lazy [BURSTS] [BURST_LEN] [PAUSE_US] [LINGER_US] [sleep|spin] [bare]
//! ```
//!
//! A fresh logger and thread, the harness's workload line, bursts of calls
//! with a pause between them (as the report's latency section; its sizes
//! are the defaults). `LINGER_US` sets `Builder::linger_us` (the engine's
//! default when absent). Two sets of calls are classified: the calls over
//! 1 µs, and the slowest 0.1% (what p99.9 is made of). Each call goes to
//! the first cause that happened inside it: a wake-up syscall, a heap
//! allocation (scratch growth), a minor page fault, preemption
//! (involuntary switch), parking (voluntary switch: `Block` waiting for
//! room, never expected here), or none of these ("other": an interrupt,
//! cache misses, a timer). Timings are noisy on a shared machine; the
//! counts are the evidence.
//!
//! Beside each call: whether the writer released bytes of this thread's
//! ring during it or since the call before (`Logger::ring_released_bytes`,
//! read outside the timed region: the writer draining the lines the
//! producer writes), and, in `bare` mode, a fixed run of arithmetic timed
//! the same way (no memory but its code and stack: how slow the CPU itself
//! was then). `TAIL_LEAD=1` times that run first thing after each pause as
//! well; `TAIL_GAP_NS=<n>` spins between calls (events that recur every so
//! many calls against every so many ns); `TAIL_DUMP=<file>` writes one line
//! per call (id, place in its burst, ns, ns since the first call, the
//! arithmetic run's ns). `TAIL_PRODUCER=1` logs through an explicit
//! `Producer` (no thread-local lookup). `TAIL_BARE_FIRST=1`, in `bare`
//! mode, times a burst's first call bare too: no event read (a
//! `getrusage` syscall) between it and the second call, as in the
//! report's workload.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::time::{Duration, Instant};
use uringlog::{Backend, Logger, Prefault};
use uringlog_bench::workload::{log_line, log_line_with, PATH_LATENCY};
use uringlog_sinks::FileSink;

/// Counts the heap allocations of each thread.
struct Counting;

thread_local! {
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: every call is forwarded unchanged to the system allocator; the
// counter is a thread-local `Cell` that never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: forwarded with the caller's layout.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        // SAFETY: `p` came from `System` with this layout.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: `p` came from `System` with layout `l`.
        unsafe { System.realloc(p, l, new) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// What happened on the calling thread (and to the writer's wake word).
#[derive(Clone, Copy, Default)]
struct Events {
    wakes: u64,
    allocs: u64,
    faults: u64,
    preempted: u64,
    parked: u64,
}

impl Events {
    fn now(logger: &Logger) -> Events {
        // SAFETY: an all-zero rusage is a valid value of this plain C struct.
        let mut r: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: `r` is a valid, writable rusage.
        unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut r) };
        Events {
            wakes: logger.writer_wake_counts().1,
            allocs: ALLOCS.with(Cell::get),
            faults: r.ru_minflt as u64,
            preempted: r.ru_nivcsw as u64,
            parked: r.ru_nvcsw as u64,
        }
    }

    fn since(self, before: Events) -> Events {
        Events {
            wakes: self.wakes - before.wakes,
            allocs: self.allocs - before.allocs,
            faults: self.faults - before.faults,
            preempted: self.preempted - before.preempted,
            parked: self.parked - before.parked,
        }
    }

    fn add(&mut self, e: Events) {
        self.wakes += e.wakes;
        self.allocs += e.allocs;
        self.faults += e.faults;
        self.preempted += e.preempted;
        self.parked += e.parked;
    }

    /// The first cause that happened, as an index into [`CAUSES`].
    fn cause(&self) -> usize {
        [
            self.wakes,
            self.allocs,
            self.faults,
            self.preempted,
            self.parked,
        ]
        .iter()
        .position(|&n| n > 0)
        .unwrap_or(5)
    }
}

const CAUSES: [&str; 6] = [
    "wake-up syscall",
    "heap allocation",
    "page fault",
    "preempted",
    "parked",
    "other (interrupt, cache, timer)",
];

#[inline(always)]
fn ticks() -> u64 {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `rdtsc` has no preconditions on x86-64.
    return unsafe { core::arch::x86_64::_rdtsc() };
    #[cfg(not(target_arch = "x86_64"))]
    return Instant::now().elapsed().as_nanos() as u64;
}

/// One timed call and what happened inside it.
#[derive(Clone, Copy, Default)]
struct Call {
    id: u64,
    ns: u64,
    burst_start: bool,
    /// Its place in its burst.
    pos: u32,
    /// Its record reaches a 4 KiB page of the ring the previous record did
    /// not touch (see [`ring_places`]).
    new_page: bool,
    /// Its record reaches the end of the ring (see [`ring_places`]).
    wraps: bool,
    /// The writer released bytes of this thread's ring while the call ran
    /// (read right before and after it, outside the timed region).
    drained_in: bool,
    /// ... or between the previous call and this one.
    drained_before: bool,
    /// `rdtsc` right after the call (outside the timed region).
    end_tick: u64,
    events: Events,
}

/// For each of `n` calls: whether its record reaches a 4 KiB page of the
/// ring that the record before it did not touch (a fresh TLB entry and
/// page-table lines), and whether it is the record that reaches the end of
/// the ring (written at its start, the bytes before the end skipped). The
/// ring is the default 256 KiB, allocated by `malloc` through `mmap` (its
/// bytes start 16 bytes into a page), and a workload record takes 63 bytes
/// besides the user name in deferred form (header 16, no target: the
/// constant `TARGET` is kept in the call site; call site
/// 8, id 1 + 8, user 5 + len, path 5 + 15, status 1 + 4).
fn ring_places(n: usize) -> Vec<(bool, bool)> {
    const CAP: usize = uringlog::DEFAULT_RING_CAPACITY;
    let page = |b: usize| (16 + b % CAP) / 4096;
    let mut at = 0usize;
    (0..n as u64)
        .map(|id| {
            let len = 63 + uringlog_bench::workload::args(id).0.len();
            let wraps = at % CAP + len > CAP;
            let before = at.wrapping_sub(1);
            if wraps {
                at += CAP - at % CAP;
            }
            let fresh = id == 0 || wraps || page(at + len - 1) != page(before);
            at += len;
            (fresh, wraps)
        })
        .collect()
}

/// Times a fixed run of arithmetic (no memory but its code and stack): slow
/// when the CPU itself was taken or slowed, not when a log call's memory was.
#[inline(never)]
fn arithmetic(seed: u64, per_ns: f64) -> u64 {
    let t = ticks();
    let mut x = seed;
    for _ in 0..64 {
        x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
    }
    std::hint::black_box(x);
    ((ticks() - t) as f64 / per_ns) as u64
}

/// Times `f` and reads the events around it.
#[inline(always)]
fn timed(logger: &Logger, per_ns: f64, f: impl FnOnce()) -> (u64, Events) {
    let before = Events::now(logger);
    let t = ticks();
    f();
    let ns = ((ticks() - t) as f64 / per_ns) as u64;
    (ns, Events::now(logger).since(before))
}

fn main() {
    let mut a = std::env::args().skip(1);
    let prefault = match a.next().as_deref() {
        Some("lazy") => Prefault::Lazy,
        _ => Prefault::Ring,
    };
    let mut num = |default: u64| a.next().and_then(|s| s.parse().ok()).unwrap_or(default);
    let (bursts, burst_len, pause_us) = (num(200), num(1000), num(3000));
    let linger_us = a.next().and_then(|s| s.parse::<u64>().ok());
    // `spin`: pause by spinning, so the caller keeps its core and caches.
    let spin = a.next().as_deref() == Some("spin");
    // `bare`: only a burst's first call is surrounded by event reads; the
    // others are timed back to back, as in the report (their events are
    // not known: they count as "other").
    let bare = a.next().as_deref() == Some("bare");
    // Ticks per ns, measured over 20 ms.
    let (t0, i0) = (ticks(), Instant::now());
    std::thread::sleep(Duration::from_millis(20));
    let per_ns = (ticks() - t0) as f64 / i0.elapsed().as_nanos() as f64;
    let dir = tempfile::tempdir().expect("temp dir");
    let mut b = Logger::builder()
        .sink(FileSink::new(dir.path().join("tail.log")).expect("sink"))
        .backend(Backend::Pwrite)
        .prefault(prefault);
    if let Some(us) = linger_us {
        b = b.linger_us(us);
    }
    let (logger, guard) = b.build().expect("logger");
    let n = (bursts * burst_len) as usize;
    // Touch the samples' pages now, not inside the measured loop.
    let mut calls = vec![Call::default(); n];
    let mut empty = vec![Call::default(); n];
    let mut gaps_us = vec![0u64; bursts as usize];
    let lingers_before = logger.writer_linger_sleeps();
    let mut last_call = Instant::now();
    let mut id = 0u64;
    let released = || logger.ring_released_bytes().unwrap_or(0);
    // `TAIL_GAP_NS=<n>`: spin that long between calls (outside the timed
    // region), to tell events that recur every so many calls from events
    // that recur every so many nanoseconds.
    let gap_ticks = std::env::var("TAIL_GAP_NS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .map_or(0, |ns| (ns * per_ns) as u64);
    let mut after_last = 0u64;
    let lead = std::env::var_os("TAIL_LEAD").is_some();
    // `TAIL_BARE_FIRST=1`: the first call of a burst is timed bare too (its
    // events unknown), so no event read's syscall comes between it and the
    // second call, as in the report's workload.
    let bare_first = bare && std::env::var_os("TAIL_BARE_FIRST").is_some();
    // `TAIL_PRODUCER=1`: log through an explicit `Producer` (no
    // thread-local lookup); the writer's releases are then not seen.
    let mut own = std::env::var_os("TAIL_PRODUCER").map(|_| logger.producer());
    let mut log = |id: u64| match own.as_mut() {
        Some(p) => log_line_with(p, id, PATH_LATENCY),
        None => log_line(&logger, id, PATH_LATENCY),
    };
    let mut leads = Vec::with_capacity(bursts as usize);
    for (burst, gap) in gaps_us.iter_mut().enumerate() {
        *gap = last_call.elapsed().as_micros() as u64;
        for i in 0..burst_len as usize {
            let k = burst * burst_len as usize + i;
            let spin_from = ticks();
            while ticks() - spin_from < gap_ticks {
                std::hint::spin_loop();
            }
            // `TAIL_LEAD=1`: the arithmetic run first thing after the pause,
            // before the burst's first call: is the CPU slow whatever runs,
            // or is the call slow on its own cold memory?
            if i == 0 && lead {
                leads.push(arithmetic(id, per_ns));
            }
            let before = released();
            let (ns, events) = if bare && (i > 0 || bare_first) {
                let t = ticks();
                log(id);
                (((ticks() - t) as f64 / per_ns) as u64, Events::default())
            } else {
                timed(&logger, per_ns, || log(id))
            };
            let after = released();
            // One call's record; `new_page` and `wraps` are filled in after.
            let call = |ns, events| Call {
                id,
                ns,
                burst_start: i == 0,
                pos: i as u32,
                new_page: false,
                wraps: false,
                drained_in: false,
                drained_before: false,
                end_tick: 0,
                events,
            };
            calls[k] = Call {
                end_tick: ticks(),
                drained_in: after != before,
                drained_before: before != after_last,
                ..call(ns, events)
            };
            after_last = after;
            // The same timing around nothing: the machine's own tail.
            let (ns, events) = if bare {
                // A fixed run of arithmetic, timed the same way: slow when
                // the CPU itself was taken or slowed (the machine), not
                // when the log call's memory was.
                (arithmetic(id, per_ns), Events::default())
            } else {
                timed(&logger, per_ns, || std::hint::black_box(()))
            };
            empty[k] = call(ns, events);
            id += 1;
        }
        last_call = Instant::now();
        if spin {
            while last_call.elapsed() < Duration::from_micros(pause_us) {
                std::hint::spin_loop();
            }
        } else {
            std::thread::sleep(Duration::from_micros(pause_us));
        }
    }
    for (c, (fresh, wraps)) in calls.iter_mut().zip(ring_places(n)) {
        c.new_page = fresh;
        c.wraps = wraps;
    }
    // `TAIL_DUMP=<file>`: one line per call (id, place in its burst, ns,
    // ns since the first call ended), for looking at the slow ones' spacing.
    if let Some(path) = std::env::var_os("TAIL_DUMP") {
        let t0 = calls[0].end_tick;
        let lines: String = (calls.iter())
            .map(|c| {
                let at = ((c.end_tick - t0) as f64 / per_ns) as u64;
                format!(
                    "{} {} {} {at} {}\n",
                    c.id, c.pos, c.ns, empty[c.id as usize].ns
                )
            })
            .collect();
        std::fs::write(path, lines).expect("dump");
    }
    if lead {
        leads.sort_unstable();
        let q = |q: f64| leads[((leads.len() as f64 * q) as usize).min(leads.len() - 1)];
        println!(
            "arithmetic run first after each pause, before the burst's first call: p50 {} ns, p90 {} ns, p99 {} ns",
            q(0.5),
            q(0.9),
            q(0.99)
        );
    }
    let lingers = logger.writer_linger_sleeps() - lingers_before;
    let s = guard.shutdown(Duration::from_secs(30)).expect("shutdown");
    assert_eq!(s.written, n as u64);
    let linger = linger_us.unwrap_or(uringlog::DEFAULT_LINGER_US);
    println!(
        "prefault {prefault:?}, linger {linger} us, {bursts} bursts of {burst_len}, pause {pause_us} us ({}); writer: {lingers} lingering sleeps ({:.1} per burst)",
        if spin { "spinning" } else { "sleeping" },
        lingers as f64 / bursts as f64
    );
    let long = gaps_us.iter().filter(|&&g| g > linger).count();
    let woke_after_long = calls
        .iter()
        .filter(|c| c.burst_start && c.events.wakes > 0)
        .filter(|c| gaps_us[(c.id / burst_len) as usize] > linger)
        .count();
    println!(
        "bursts after an idle gap longer than the linger: {long} of {bursts}; their first calls that woke the writer: {woke_after_long}"
    );
    println!("log calls:");
    report(&mut calls, bursts);
    println!(
        "{} (the machine's own tail, same run):",
        match bare {
            true => "a fixed run of arithmetic after each call",
            false => "empty timed regions",
        }
    );
    report(&mut empty, bursts);
}

fn report(calls: &mut [Call], bursts: u64) {
    let n = calls.len();
    // The first call registers the thread's producer: not steady state.
    let first = calls[0].ns;
    let calls = &mut calls[1..];
    let mut total = Events::default();
    let mut at_start = Events::default();
    for c in calls.iter() {
        total.add(c.events);
        if c.burst_start {
            at_start.add(c.events);
        }
    }
    let allocating: Vec<u64> = calls
        .iter()
        .filter(|c| c.events.allocs > 0)
        .map(|c| c.id)
        .take(10)
        .collect();
    calls.sort_unstable_by_key(|c| c.ns);
    let p = |q: f64| calls[((calls.len() as f64 * q) as usize).min(calls.len() - 1)].ns;
    println!(
        "  first {first} ns, p50 {} ns, p99 {} ns, p99.9 {} ns, p99.99 {} ns, max {} ns",
        p(0.5),
        p(0.99),
        p(0.999),
        p(0.9999),
        p(1.0)
    );
    println!(
        "  events inside the {} after the first: {} wake-up syscalls ({:.2} per burst; {} in a burst's first call), {} allocations, {} minor faults, {} preemptions, {} parkings",
        n - 1,
        total.wakes,
        total.wakes as f64 / bursts as f64,
        at_start.wakes,
        total.allocs,
        total.faults,
        total.preempted,
        total.parked,
    );
    if !allocating.is_empty() {
        println!("  calls that allocated (first 10, by id): {allocating:?}");
    }
    // The calls right after a pause (cold caches, a CPU that may have
    // slept or run other threads), the next few, and the others; those
    // whose record reaches a new page of the ring, and those that do not.
    type Pick = fn(&Call) -> bool;
    let groups: [(&str, Pick); 10] = [
        ("first in their burst", |c| c.pos == 0),
        ("second in their burst", |c| c.pos == 1),
        ("third to tenth", |c| (2..10).contains(&c.pos)),
        ("the others", |c| c.pos >= 10),
        ("the others, record at the ring's end", |c| {
            c.pos >= 10 && c.wraps
        }),
        ("the others, record on a new ring page", |c| {
            c.pos >= 10 && c.new_page && !c.wraps
        }),
        ("the others, record on the same pages", |c| {
            c.pos >= 10 && !c.new_page
        }),
        ("the others, writer released during the call", |c| {
            c.pos >= 10 && !c.new_page && c.drained_in
        }),
        ("the others, writer released just before", |c| {
            c.pos >= 10 && !c.new_page && !c.drained_in && c.drained_before
        }),
        ("the others, writer released neither", |c| {
            c.pos >= 10 && !c.new_page && !c.drained_in && !c.drained_before
        }),
    ];
    for (name, pick) in groups {
        let mut ns: Vec<u64> = calls.iter().filter(|c| pick(c)).map(|c| c.ns).collect();
        ns.sort_unstable();
        let q = |q: f64| ns[((ns.len() as f64 * q) as usize).min(ns.len() - 1)];
        if !ns.is_empty() {
            println!(
                "  {name}: {} calls, p50 {} ns, p90 {} ns, p99 {} ns, p99.9 {} ns",
                ns.len(),
                q(0.5),
                q(0.9),
                q(0.99),
                q(0.999)
            );
        }
    }
    // In-burst calls on the same ring pages: how many of the slow ones
    // (over 250 ns) came with the writer draining this ring, against the
    // share of all of them that did.
    let inner: Vec<&Call> = calls
        .iter()
        .filter(|c| c.pos >= 10 && !c.new_page)
        .collect();
    let with = |v: &[&Call]| {
        v.iter()
            .filter(|c| c.drained_in || c.drained_before)
            .count()
    };
    let slow: Vec<&Call> = inner.iter().copied().filter(|c| c.ns > 250).collect();
    println!(
        "  in-burst on the same pages: {} calls, {} ({:.2}%) with the writer releasing during or just before; over 250 ns: {} ({:.2}%), {} of them ({:.1}%) with the writer releasing",
        inner.len(),
        with(&inner),
        100.0 * with(&inner) as f64 / inner.len().max(1) as f64,
        slow.len(),
        100.0 * slow.len() as f64 / inner.len().max(1) as f64,
        with(&slow),
        100.0 * with(&slow) as f64 / slow.len().max(1) as f64,
    );
    let over = calls.iter().filter(|c| c.ns > 1000).count();
    classify(&format!("over 1 us: {over}"), &calls[calls.len() - over..]);
    let tail = (calls.len() / 1000).max(1);
    classify(
        &format!(
            "slowest 0.1%: {tail}, from {} ns",
            calls[calls.len() - tail].ns
        ),
        &calls[calls.len() - tail..],
    );
}

/// Prints how many of `calls` each cause explains, and their mean time.
fn classify(title: &str, calls: &[Call]) {
    let (mut count, mut ns) = ([0u64; 6], [0u64; 6]);
    for c in calls {
        let i = c.events.cause();
        count[i] += 1;
        ns[i] += c.ns;
    }
    let starts = calls.iter().filter(|c| c.burst_start).count();
    let paged = calls
        .iter()
        .filter(|c| !c.burst_start && c.new_page)
        .count();
    println!(
        "  {title} ({starts} of them first in their burst, {paged} others on a new ring page)"
    );
    for (i, name) in CAUSES.iter().enumerate() {
        if count[i] > 0 {
            println!(
                "    {name}: {} calls, mean {} ns",
                count[i],
                ns[i] / count[i]
            );
        }
    }
}
