//! Every call of the report's latency job with its place in time, for
//! lining the slow ones up with what the kernel saw (`perf record -k mono`):
//! interrupts on the caller's CPU, the writer thread waking, writing and
//! sleeping, other tasks taking a CPU.
//!
//! ```sh
//! cargo build --release -p uringlog-bench --example burst_trace
//! perf record -k CLOCK_MONOTONIC -o perf.data -e sched:sched_switch \
//!     -e irq_vectors:local_timer_entry -e irq_vectors:call_function_single_entry \
//!     -e irq_vectors:reschedule_entry -e irq:irq_handler_entry -e irq:softirq_entry \
//!     -e syscalls:sys_enter_write -e syscalls:sys_exit_clock_nanosleep \
//!     -e syscalls:sys_enter_clock_nanosleep -e exceptions:page_fault_user -- \
//!     target/release/examples/burst_trace DUMP [pwrite|io_uring] [BURSTS] [BURST_LEN] [PAUSE_US]
//! perf script -i perf.data -F tid,cpu,time,event,trace --ns > events.txt
//! python3 scripts/burst_trace.py DUMP events.txt
//! ```
//!
//! The calls are the harness's latency job's (`latency::run`): the workload
//! line through the logger's thread-local producer, each call timed with
//! the monotonic clock before and after (what `Instant::now()` reads), 10
//! traced calls, then bursts with a sleep after each. `DUMP` gets a first
//! line `producer <tid> writer <tid>`, then one line per call: burst (-1
//! for the traced calls), place in the burst, start (CLOCK_MONOTONIC ns),
//! ns in the call.
//!
//! `BURST_MIX=1` makes every burst one of three kinds in turn, for a
//! same-run control: the log call (kind 0), a stand-in that does what a
//! log call does to memory without a logger (a clock read and a ~70-byte
//! record copied into a private 256 KiB ring, then a release store of its
//! count on a line of its own: kind 1), and nothing at all (kind 2: the
//! timing alone). The dump's burst numbers stay in order; a burst's kind
//! is its number modulo 3. The writer then lingers 20 ms (so that log
//! bursts 3 pauses apart find it lingering, as in the report, not parked).
//! `BURST_ONLY=<kind>` runs bursts of that kind alone instead (the
//! report's rhythm, for runs of each kind alternated in fresh processes).
//! `BURST_STANDIN_KB=<n>` sets the stand-in's ring size (256 by default);
//! `BURST_STANDIN_RESET=1` starts each of its bursts at the ring's start;
//! `BURST_STANDIN_AHEAD=1` prefetches (for writing) the first lines of the
//! next 4 KiB page 512 bytes before it, `BURST_STANDIN_TOUCH=1` stores a
//! zero there instead (does asking for a page early hide its cost?).

use std::fmt::Write as _;
use std::time::Duration;
use uringlog_bench::config::{EngineConfig, Route};
use uringlog_bench::timer::monotonic_ns as mono_ns;
use uringlog_bench::workload::{log_line, PATH_LATENCY};

/// The OS id of this process's thread named `name`.
fn tid_named(name: &str) -> Option<u64> {
    let tasks = std::fs::read_dir("/proc/self/task").ok()?;
    tasks.flatten().find_map(|t| {
        let comm = std::fs::read_to_string(t.path().join("comm")).ok()?;
        (comm.trim() == name)
            .then(|| t.file_name().to_str()?.parse().ok())
            .flatten()
    })
}

/// What a log call does to memory, without a logger: see the module docs.
struct StandIn {
    buf: Vec<u8>,
    at: usize,
    /// Prefetch the first lines of the next page 512 bytes before it.
    ahead: bool,
    /// Store a zero at the next page's start 512 bytes before it.
    touch: bool,
    count: Box<Padded>,
}

#[repr(align(128))]
struct Padded(std::sync::atomic::AtomicU64);

impl StandIn {
    fn new(kib: usize) -> StandIn {
        StandIn {
            buf: vec![0u8; kib * 1024],
            at: 0,
            ahead: std::env::var_os("BURST_STANDIN_AHEAD").is_some(),
            touch: std::env::var_os("BURST_STANDIN_TOUCH").is_some(),
            count: Box::new(Padded(std::sync::atomic::AtomicU64::new(0))),
        }
    }

    #[inline(never)]
    fn call(&mut self, id: u64) {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `rdtsc` has no preconditions on x86-64.
        let clock = unsafe { core::arch::x86_64::_rdtsc() };
        #[cfg(not(target_arch = "x86_64"))]
        let clock = id;
        let len = 70;
        if self.at + len > self.buf.len() {
            self.at = 0;
        }
        let base = self.buf.as_ptr() as usize;
        let (from, to) = (base + self.at + 512, base + self.at + len + 512);
        #[cfg(target_arch = "x86_64")]
        if self.ahead && from / 4096 != to / 4096 {
            let page = to / 4096 * 4096;
            for l in 0..4 {
                // SAFETY: a prefetch never faults and changes no value.
                unsafe {
                    core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_ET0 }>(
                        (page + l * 64) as *const i8,
                    )
                };
            }
        }
        if self.touch && from / 4096 != to / 4096 {
            let page = to / 4096 * 4096 - base;
            if page < self.buf.len() {
                // SAFETY: in the buffer; a volatile store is not elided.
                unsafe { std::ptr::write_volatile(self.buf.as_mut_ptr().add(page), 0) };
            }
        }
        let rec = &mut self.buf[self.at..self.at + len];
        rec[..8].copy_from_slice(&clock.to_le_bytes());
        rec[8..16].copy_from_slice(&id.to_le_bytes());
        rec[16..].copy_from_slice(&[0x55; 54]);
        self.at += len;
        let c = &self.count.0;
        c.store(
            c.load(std::sync::atomic::Ordering::Relaxed) + 1,
            std::sync::atomic::Ordering::Release,
        );
    }
}

fn main() {
    let mut a = std::env::args().skip(1);
    let dump = a
        .next()
        .expect("usage: burst_trace DUMP [pwrite|io_uring] [BURSTS] [BURST_LEN] [PAUSE_US]");
    let route = match a.next().as_deref() {
        Some("io_uring") => Route::AsyncIoUring,
        _ => Route::AsyncPwrite,
    };
    let mut num = |d: u64| a.next().and_then(|s| s.parse().ok()).unwrap_or(d);
    let (bursts, burst_len, pause_us) = (num(200) as usize, num(1_000) as usize, num(3_000));
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("burst_trace.log");
    let mix = std::env::var_os("BURST_MIX").is_some();
    let (logger, guard) = EngineConfig::default_with(route)
        .build_with(&file, |b| if mix { b.linger_us(20_000) } else { b })
        .expect("logger");
    let env_num = |k: &str| std::env::var(k).ok().and_then(|s| s.parse::<usize>().ok());
    let reset = std::env::var_os("BURST_STANDIN_RESET").is_some();
    // (burst, place, start, ns); touched now, not in the measured loop.
    let mut calls = vec![(0i64, 0u32, 0u64, 0u64); 10 + bursts * burst_len];
    let mut id = 0u64;
    let mut k = 0;
    let only = env_num("BURST_ONLY").map(|k| k as i64 % 3);
    let mut stand_in = StandIn::new(env_num("BURST_STANDIN_KB").unwrap_or(256));
    let mut logged = 0u64;
    let mut timed = |burst: i64, pos: usize, id: &mut u64| {
        let kind = match (only, mix && burst >= 0) {
            (Some(k), _) if burst >= 0 => k,
            (_, true) => burst % 3,
            _ => 0,
        };
        if reset && pos == 0 {
            stand_in.at = 0;
        }
        let t = mono_ns();
        match kind {
            0 => log_line(&logger, *id, PATH_LATENCY),
            1 => stand_in.call(*id),
            _ => {}
        }
        let e = mono_ns();
        logged += u64::from(kind == 0);
        calls[k] = (burst, pos as u32, t, e - t);
        k += 1;
        *id += 1;
    };
    for i in 0..10 {
        timed(-1, i, &mut id);
    }
    for b in 0..bursts {
        for i in 0..burst_len {
            timed(b as i64, i, &mut id);
        }
        std::thread::sleep(Duration::from_micros(pause_us));
    }
    // SAFETY: gettid has no preconditions.
    let me = unsafe { libc::gettid() };
    let writer = tid_named("uringlog-writer").unwrap_or(0);
    let s = guard.shutdown(Duration::from_secs(30)).expect("shutdown");
    assert_eq!(s.written, logged, "every record written");
    let mut out = format!("producer {me} writer {writer}\n");
    for (b, p, t, ns) in &calls {
        let _ = writeln!(out, "{b} {p} {t} {ns}");
    }
    std::fs::write(&dump, out).expect("dump");
    let all: &[(i64, &str)] = &[(0, "log call"), (1, "stand-in"), (2, "empty")];
    let kinds = match (only, mix) {
        (Some(k), _) => &all[k as usize..k as usize + 1],
        (None, true) => all,
        (None, false) => &all[..1],
    };
    let of = |k: i64, first: bool| {
        let mut v: Vec<u64> = (calls.iter())
            .filter(|c| c.0 >= 0 && (c.1 == 0) == first)
            .filter(|c| only.is_some() || !mix || c.0 % 3 == k)
            .map(|c| c.3)
            .collect();
        v.sort_unstable();
        v
    };
    let q = |v: &[u64], q: f64| v[((v.len() as f64 * q) as usize).min(v.len() - 1)];
    for &(k, name) in kinds {
        let (burst, first) = (of(k, false), of(k, true));
        println!(
            "{name}: in burst p50 {} p90 {} p99 {} p99.9 {} | first after pause p50 {} p99 {}",
            q(&burst, 0.5),
            q(&burst, 0.9),
            q(&burst, 0.99),
            q(&burst, 0.999),
            q(&first, 0.5),
            q(&first, 0.99)
        );
    }
}
