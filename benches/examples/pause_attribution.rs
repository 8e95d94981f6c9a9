//! What the first call after a pause pays, and how much of it is the
//! machine: the report's latency rhythm (bursts of log calls, a 3 ms sleep
//! after each, each call timed with `Instant::now()` before and after),
//! where the first thing timed after each sleep is one of several probes,
//! in turn, so every probe sees the same machine in the same run:
//!
//! - `empty`: the timing alone (an `Instant` pair around nothing);
//! - `log`: the workload's log call (what the report's first call is);
//! - `baseline`: the same line through a `Mutex<BufWriter<File>>` that
//!   formats in the caller (the peers' baseline), called a few times at the
//!   end of every burst so it is as recently used as the log call;
//! - `arith`: a fixed run of arithmetic (its code and the stack only);
//! - `lines8`: a store to 8 lines of one 4 KiB page;
//! - `readcode`: the log call, after the code of the function that makes
//!   it has been read as data (untimed): what is left is the cost of its
//!   data and of the first-level instruction cache;
//! - `data`: the log call, after one byte of each line of its data (the
//!   parts `Logger::call_path_addresses` names) has been read (untimed);
//!   `data+code` after that and `readcode`'s reading; `tls`, `producer`,
//!   `counters`, `ring shared`, `ring bytes`, `engine`: after one of those
//!   parts only;
//! - `pagesN`: a store to one line on each of N pages 2 MiB + 4 KiB apart
//!   (each needs a TLB entry and page-table lines of its own); every
//!   stand-in line is stored to at the end of every burst, so it was last
//!   used as long ago as the call path.
//!
//! Right after the probe the workload's log call is timed as well (`log
//! next`): with the timing's own memory and the CPU woken by the probe, what
//! the call's own cold memory and code cost. The rest of the burst is timed
//! as the report times it (`in burst`, the calls after those two).
//! `sched_getcpu` before the sleep and after it says whether the thread
//! came back on another CPU; the probes are also shown for the bursts that
//! did not migrate.
//!
//! ```sh
//! cargo build --release -p uringlog-bench --example pause_attribution
//! target/release/examples/pause_attribution [BURSTS] [BURST_LEN] [PAUSE_US]
//! ```
//!
//! Defaults: 3,600 bursts of 1,000 calls (200 per probe), 3 ms pauses, the
//! report's engine configuration with a file sink (pwrite) in a temporary
//! directory. Timings are noisy on a shared machine: compare probes of the
//! same run, not runs.

use std::hint::black_box;
use std::time::{Duration, Instant};
use uringlog::Logger;
use uringlog_bench::config::{EngineConfig, Route};
use uringlog_bench::peer_loggers::{BaselinePeer, Peer};
use uringlog_bench::workload::{args, log_line, PATH_LATENCY};

/// The probes, in the order bursts take them.
const PROBES: [&str; 17] = [
    "empty",
    "log",
    "baseline",
    "arith",
    "lines8",
    "pages1",
    "pages4",
    "pages8",
    "readcode",
    "data",
    "data+code",
    "tls",
    "producer",
    "counters",
    "ring shared",
    "ring bytes",
    "engine",
];

/// What the probe named `probe` reads before the timed log call, from
/// `Logger::call_path_addresses`' parts (all for `data`), when it is one
/// of those.
fn data_parts(probe: &str) -> Option<&'static [&'static str]> {
    Some(match probe {
        "data" | "data+code" => &[],
        "tls" => &["thread-local cache"],
        "producer" => &["producer"],
        "counters" => &["ring counters"],
        "ring shared" => &["ring tail", "ring head", "ring rebase"],
        "ring bytes" => &["ring bytes"],
        "engine" => &["engine hot line", "engine wake word"],
        _ => return None,
    })
}

/// Reads one byte at each address of `parts` (every part when empty) and
/// waits until the reads are done.
fn read_data(addresses: &[(&'static str, usize)], parts: &[&str]) {
    for (_, a) in addresses
        .iter()
        .filter(|(name, _)| parts.is_empty() || parts.contains(name))
    {
        // SAFETY: an address inside memory the logger keeps alive
        // (`Logger::call_path_addresses`); a volatile read changes nothing.
        black_box(unsafe { (*a as *const u8).read_volatile() });
    }
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `lfence` has no preconditions.
    unsafe {
        std::arch::x86_64::_mm_lfence()
    };
}

/// Bytes of code from [`call_log`]'s start read as data by the `readcode`
/// probe: the function (about 1.2 KiB in this build) and what follows it.
const CODE_BYTES: usize = 4096;

/// The workload's log call, out of line so that its code has an address.
#[inline(never)]
fn call_log(logger: &Logger, id: u64) {
    log_line(logger, id, PATH_LATENCY);
}

/// The `log` probe's call: [`call_log`] in a frame of its own, so that an
/// instruction count can take the first call after a pause alone
/// (`valgrind --tool=callgrind --toggle-collect='*first_log*'`).
#[inline(never)]
fn first_log(logger: &Logger, id: u64) {
    call_log(logger, id);
}

/// Reads one byte of every line of [`CODE_BYTES`] of code from `f` on, as
/// data: the lines come into the data side of the caches (the second
/// level serves instruction fetches too) and their pages into the
/// second-level TLB, which also serves the instruction side.
#[inline(never)]
fn read_code(f: usize) {
    let start = f & !63;
    for line in (start..start + CODE_BYTES).step_by(64) {
        // SAFETY: the executable's own mapped text, readable; a volatile
        // read changes nothing.
        black_box(unsafe { (line as *const u8).read_volatile() });
    }
}

/// Distance between two stand-in pages: past a page table's reach (2 MiB),
/// so no two share page-table lines.
const PAGE_STRIDE: usize = (2 << 20) + 4096;
const STANDIN_PAGES: usize = 8;

/// Memory the stand-in probes store to: [`STANDIN_PAGES`] pages
/// [`PAGE_STRIDE`] apart, in 4 KiB pages (no transparent huge pages).
struct StandIn {
    base: *mut u8,
    len: usize,
}

impl StandIn {
    fn new() -> StandIn {
        let len = PAGE_STRIDE * STANDIN_PAGES;
        // SAFETY: an anonymous private mapping, checked below.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        assert_ne!(base, libc::MAP_FAILED, "mmap");
        // SAFETY: the mapping just made; no huge pages, so every probed
        // page needs its own TLB entry as the call path's 4 KiB pages do.
        unsafe { libc::madvise(base, len, libc::MADV_NOHUGEPAGE) };
        let s = StandIn {
            base: base.cast(),
            len,
        };
        s.touch_all();
        s
    }

    /// Line `line` (of 64 bytes) of stand-in page `page`.
    fn at(&self, page: usize, line: usize) -> *mut u64 {
        let off = page * PAGE_STRIDE + line * 64;
        assert!(off + 8 <= self.len);
        // SAFETY: inside the mapping (checked above).
        unsafe { self.base.add(off).cast() }
    }

    /// A store to the first line of each of the first `pages` pages.
    #[inline(never)]
    fn pages(&self, pages: usize, v: u64) {
        for p in 0..pages {
            // SAFETY: a line of the mapping, which only this thread uses.
            unsafe { self.at(p, 0).write_volatile(v) };
        }
    }

    /// A store to 8 lines of the first page.
    #[inline(never)]
    fn lines8(&self, v: u64) {
        for l in 0..8 {
            // SAFETY: as in `pages`.
            unsafe { self.at(0, l).write_volatile(v) };
        }
    }

    /// Every line a probe stores to, so all were used as recently as the
    /// call path when the next pause begins.
    fn touch_all(&self) {
        self.pages(STANDIN_PAGES, 1);
        self.lines8(1);
    }
}

/// A fixed run of arithmetic: its code and registers only.
#[inline(never)]
fn arithmetic(seed: u64) -> u64 {
    let mut x = seed;
    for _ in 0..32 {
        x = black_box(x.wrapping_mul(31).wrapping_add(7));
    }
    x
}

/// The CPU the calling thread runs on.
fn cpu() -> i32 {
    // SAFETY: no preconditions.
    unsafe { libc::sched_getcpu() }
}

/// One burst's first two timings and whether the thread migrated.
#[derive(Clone, Copy)]
struct First {
    probe: usize,
    probe_ns: u64,
    next_log_ns: u64,
    migrated: bool,
}

fn main() {
    let mut a = std::env::args().skip(1);
    let mut num = |d: u64| a.next().and_then(|s| s.parse().ok()).unwrap_or(d);
    let (bursts, burst_len, pause_us) = (num(3600) as usize, num(1000) as usize, num(3000));
    assert!(burst_len >= 2, "a burst needs at least two calls");
    let dir = tempfile::tempdir().expect("temp dir");
    let (logger, guard) = EngineConfig::default_with(Route::AsyncPwrite)
        .build(&dir.path().join("log"))
        .expect("logger");
    let baseline = BaselinePeer::open(&dir.path().join("baseline")).expect("baseline");
    let standin = StandIn::new();
    let mut firsts = Vec::with_capacity(bursts);
    let mut in_burst = Vec::with_capacity(bursts * burst_len);
    let mut id = 0u64;
    let timed = |f: &mut dyn FnMut()| {
        let t = Instant::now();
        f();
        t.elapsed().as_nanos() as u64
    };
    // Warm-up: the producer registered, every probe run once.
    for _ in 0..burst_len {
        call_log(&logger, id);
        id += 1;
    }
    for b in 0..bursts {
        let probe = b % PROBES.len();
        // The call path's memory as of the last call (its ring bytes move).
        let addresses = logger.call_path_addresses();
        let before = cpu();
        std::thread::sleep(Duration::from_micros(pause_us));
        let migrated = cpu() != before;
        let probe_ns = match PROBES[probe] {
            "empty" => timed(&mut || {}),
            "log" => timed(&mut || first_log(&logger, id)),
            "baseline" => timed(&mut || {
                let (user, status) = args(id);
                baseline.log(id, user, PATH_LATENCY, status)
            }),
            "arith" => timed(&mut || {
                black_box(arithmetic(id));
            }),
            "lines8" => timed(&mut || standin.lines8(id)),
            "pages1" => timed(&mut || standin.pages(1, id)),
            "pages4" => timed(&mut || standin.pages(4, id)),
            "pages8" => timed(&mut || standin.pages(8, id)),
            "readcode" => {
                read_code(call_log as fn(&Logger, u64) as usize);
                timed(&mut || call_log(&logger, id))
            }
            other => {
                let parts = data_parts(other).expect("a data probe");
                if other == "data+code" {
                    read_code(call_log as fn(&Logger, u64) as usize);
                }
                read_data(&addresses, parts);
                timed(&mut || call_log(&logger, id))
            }
        };
        id += 1;
        let next_log_ns = timed(&mut || call_log(&logger, id));
        id += 1;
        for _ in 2..burst_len {
            in_burst.push(timed(&mut || call_log(&logger, id)));
            id += 1;
        }
        firsts.push(First {
            probe,
            probe_ns,
            next_log_ns,
            migrated,
        });
        // As recently used as the log call when the pause begins.
        standin.touch_all();
        for _ in 0..4 {
            let (user, status) = args(id);
            baseline.log(id, user, PATH_LATENCY, status);
        }
    }
    // Which pages the call path's data lies on.
    let addresses = logger.call_path_addresses();
    let mut pages: Vec<usize> = addresses.iter().map(|(_, a)| a / 4096).collect();
    pages.sort_unstable();
    pages.dedup();
    let mut lines: Vec<usize> = addresses.iter().map(|(_, a)| a / 64).collect();
    lines.sort_unstable();
    lines.dedup();
    println!(
        "call path data: {} lines on {} pages: {}",
        lines.len(),
        pages.len(),
        (addresses.iter())
            .map(|(n, a)| format!("{n} {:#x}", a))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let stats = guard.shutdown(Duration::from_secs(30)).expect("shutdown");
    baseline.finish().expect("baseline");
    // Every id but those of the probes that did not log.
    let not_logged = firsts
        .iter()
        .filter(|f| {
            PROBES[f.probe] != "log"
                && PROBES[f.probe] != "readcode"
                && data_parts(PROBES[f.probe]).is_none()
        })
        .count() as u64;
    assert_eq!(stats.written, id - not_logged, "every record written");
    let migrations = firsts.iter().filter(|f| f.migrated).count();
    println!("wake-up mechanism: {}", logger.wake_mechanism());
    println!(
        "{bursts} bursts of {burst_len}, pause {pause_us} us; the thread came back on another CPU after {migrations} of the pauses"
    );
    println!("probe first after the pause | probe p50 / p90 / p99 ns | same, no migration: p50 | log call right after it: p50 / p90 / p99 ns");
    for (i, name) in PROBES.iter().enumerate() {
        let pick = |stay: bool| -> Vec<&First> {
            firsts
                .iter()
                .filter(|f| f.probe == i && (!stay || !f.migrated))
                .collect()
        };
        let mut probe: Vec<u64> = pick(false).iter().map(|f| f.probe_ns).collect();
        let mut stay: Vec<u64> = pick(true).iter().map(|f| f.probe_ns).collect();
        let mut next: Vec<u64> = pick(false).iter().map(|f| f.next_log_ns).collect();
        let (p, s, n) = (q(&mut probe), q(&mut stay), q(&mut next));
        println!(
            "{name:>8} ({:>3}) | {:>5} / {:>5} / {:>6} | {:>5} | {:>5} / {:>5} / {:>6}",
            probe.len(),
            p[0],
            p[1],
            p[2],
            s[0],
            n[0],
            n[1],
            n[2]
        );
    }
    let ib = q(&mut in_burst);
    println!(
        "in burst (third call on): p50 {} ns, p90 {} ns, p99 {} ns, p99.9 {} ns",
        ib[0], ib[1], ib[2], ib[3]
    );
}

/// p50, p90, p99, p99.9 of `v` (sorted in place); zeros when empty.
fn q(v: &mut [u64]) -> [u64; 4] {
    v.sort_unstable();
    let at = |q: f64| match v.len() {
        0 => 0,
        n => v[((n as f64 * q) as usize).min(n - 1)],
    };
    [at(0.5), at(0.9), at(0.99), at(0.999)]
}
