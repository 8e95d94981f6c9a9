//! Crash-safe mode: three threads of a child process (this test binary,
//! re-executed) first use 48 distinct call sites at about the same
//! moment, a new one every 40 records, so the directory's call-site
//! table grows while they race to be the first in it; the record of a
//! call site not yet in the table takes the slow path after being
//! encoded in the ring. Each record carries a string of 0 to 160 bytes,
//! so frame bodies of every word count around the crc's inline limit (16
//! words) land at every offset of a small ring, across its wrap. The
//! parent kills the child (`SIGKILL`) at seeded random points; a logger
//! built on the directory then writes each record whose call returned
//! exactly once, in each thread's order, as `format!` renders it.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use uringlog::{Format, Logger, Timestamp};
use uringlog_sinks::FileSink;
use uringlog_tests::{read_lines, SHUTDOWN};

const CHILD: &str = "URINGLOG_SITES_CRASH_CHILD";
const THREADS: u64 = 3;
const MAX_RECORDS: u64 = 20_000;
/// Records after which each thread opens one more call site.
const NEW_SITE_EVERY: u64 = 40;
const SITES: u64 = 48;
const PAD: &str = "................................................................................................................................................................";

/// The call site (`0 .. SITES`) and string length of record `i` of `t`.
fn shape(t: u64, i: u64) -> (u64, usize) {
    let open = SITES.min(1 + i / NEW_SITE_EVERY);
    // The newest site first, so each is first used by every thread at once.
    let site = if i % NEW_SITE_EVERY == 0 {
        open - 1
    } else {
        (i * 7 + t) % open
    };
    (site, ((i * 13 + t * 5) % 161) as usize)
}

/// The message of record `i` of thread `t`, as `format!` makes it.
fn message(t: u64, i: u64) -> String {
    let (site, n) = shape(t, i);
    format!("site={site} t={t} i={i} s={}", &PAD[..n])
}

/// One `info!` per listed number: each a call site of its own.
macro_rules! sites {
    ($l:ident, $k:expr, $t:expr, $i:expr, $s:expr; $($n:literal)*) => {
        match $k {
            $($n => uringlog::info!($l, "site={} t={} i={} s={}", $n, $t, $i, $s),)*
            _ => unreachable!(),
        }
    };
}

/// The text format without time or target: lines compare exactly.
fn plain() -> Format {
    Format::text().timestamp(Timestamp::Off).without_target()
}

/// The child: logs until it is killed. Never returns.
fn child(spec: &str) -> ! {
    let (dir, log) = spec.split_once(',').unwrap();
    let (logger, guard) = Logger::builder()
        .sink(FileSink::new(log).unwrap())
        .format(plain())
        .crash_safe(dir)
        .ring_capacity(4096)
        .batch_size(16)
        .build()
        .unwrap();
    let start = std::sync::Arc::new(std::sync::Barrier::new(THREADS as usize));
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let (logger, start) = (logger.clone(), start.clone());
            std::thread::spawn(move || {
                // Every thread's ring file exists before the race (a
                // kill while one is created leaves a file without a
                // header, which recovery reports).
                uringlog::info!(logger, "ready t={}", t);
                start.wait();
                for i in 0..MAX_RECORDS {
                    let (site, n) = shape(t, i);
                    let s = &PAD[..n];
                    sites!(logger, site, t, i, s;
                        0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23
                        24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47);
                    eprintln!("SEQ {t} {i}");
                }
            })
        })
        .collect();
    for h in handles {
        let _ = h.join();
    }
    drop(guard);
    // Logged everything without being killed: the parent reports it.
    std::process::exit(3);
}

/// Runs the child until the parent has seen `k` reports, then kills it;
/// returns the last sequence per thread whose call returned.
fn run_child(test: &str, dir: &Path, log: &Path, k: u64) -> HashMap<u64, u64> {
    let mut c = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(CHILD, format!("{},{}", dir.display(), log.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = c.id();
    let mut last = HashMap::new();
    let mut reports = 0;
    for line in BufReader::new(c.stderr.take().unwrap()).lines() {
        let Ok(line) = line else { break };
        let w: Vec<&str> = line.split(' ').collect();
        let [_, t, s] = w[..] else { continue };
        let (Ok(t), Ok(s)) = (t.parse::<u64>(), s.parse::<u64>()) else {
            continue;
        };
        last.insert(t, s);
        reports += 1;
        if reports == k {
            // SAFETY: kill on the pid of our own child, not yet reaped.
            unsafe { libc::kill(pid as i32, libc::SIGKILL) };
            break;
        }
    }
    let status = c.wait().unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(
        status.signal(),
        Some(libc::SIGKILL),
        "child ended with {status:?}"
    );
    last
}

/// Recovers and checks every line (see the module docs).
fn recover_and_check(dir: &Path, log: &Path, last: &HashMap<u64, u64>) {
    let (logger, guard) = Logger::builder()
        .sink(FileSink::new(log).unwrap())
        .format(plain())
        .crash_safe(dir)
        .build()
        .unwrap();
    let notes = logger.recent_errors();
    drop(logger);
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((s.written, s.dropped), (s.enqueued, 0));
    let lines = read_lines(log);
    let marks: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains("crash-safe recovery:"))
        .collect();
    // None when the writer had written every record before the kill.
    assert!(marks.len() <= 1, "{marks:?}");
    for m in marks {
        assert!(
            m.contains(", 0 torn or corrupt records skipped"),
            "{m} {notes:?}"
        );
        assert!(!m.contains("values only"), "{m}");
    }
    let mut next: HashMap<u64, u64> = HashMap::new();
    let ready = |l: &&String| l.starts_with("INFO  ready t=");
    let mut r: Vec<&String> = lines.iter().filter(ready).collect();
    r.sort();
    assert_eq!(r, ["INFO  ready t=0", "INFO  ready t=1", "INFO  ready t=2"]);
    for l in lines
        .iter()
        .filter(|l| !l.contains("crash-safe recovery:") && !ready(l))
    {
        let t: u64 = l
            .split(" t=")
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let i = next.entry(t).or_default();
        assert_eq!(
            *l,
            format!("INFO  {}", message(t, *i)),
            "thread {t}: record {i} next"
        );
        *i += 1;
    }
    for (t, &l) in last {
        let n = next.get(t).copied().unwrap_or(0);
        assert!(n > l, "thread {t}: {n} records, record {l} returned");
    }
}

/// Seeds 1-4: kill points among the first 15,000 reports, while call
/// sites are still new (the first 1,920 records of each thread) and after.
#[test]
fn new_call_sites_from_racing_threads_survive_sigkill() {
    if let Ok(spec) = std::env::var(CHILD) {
        child(&spec);
    }
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    for seed in 1..=4u64 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let k = match seed {
            1 | 2 => 1 + x % 3_000,
            _ => 1 + x % 15_000,
        };
        eprintln!("seed {seed}: killed after {k} reports");
        let tmp = tempfile::tempdir().unwrap();
        let (dir, log) = (tmp.path().join("cs"), tmp.path().join("app.log"));
        let last = run_child(
            "new_call_sites_from_racing_threads_survive_sigkill",
            &dir,
            &log,
            k,
        );
        recover_and_check(&dir, &log, &last);
    }
}
