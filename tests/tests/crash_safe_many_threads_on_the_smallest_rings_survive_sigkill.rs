//! Crash-safe mode with many producers on the smallest rings: 300 threads
//! (more than any fixed table would hold), each with its own 256-byte ring
//! file, log one record each — bodies of 0 to 100 bytes, and one larger
//! than the ring (dropped and counted, as in any mode) — and half of them
//! exit before the process dies by `SIGKILL` with none of these records
//! written. The next start writes each exactly once, as the same calls
//! write it when the process lives, and removes every ring file of the
//! dead process.
//!
//! The child (this test binary, re-executed) holds its writer in a hook
//! sink placed before the file sink until every thread logged, then kills
//! itself there; run with `live`, it lets the writer go on and shuts down.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use uringlog::{Backend, Logger};
use uringlog_sinks::FileSink;
use uringlog_tests::crash_child::{kill_self, plain, recover_plain, run_self, Hook};
use uringlog_tests::{read_lines, wait_for, SHUTDOWN};

const CHILD: &str = "URINGLOG_MANY_THREADS_CHILD";
const TEST: &str = "three_hundred_threads_on_256_byte_rings_each_record_once";
const THREADS: u32 = 300;
/// The thread whose record is larger than its ring.
const HUGE: u32 = 150;

/// Threads that logged.
static LOGGED: AtomicU32 = AtomicU32::new(0);

fn body(t: u32) -> String {
    match t {
        HUGE => "#".repeat(1000),
        _ => "abcdefghij".repeat(10)[..(t % 101) as usize].to_owned(),
    }
}

fn child(live: bool, dir: &str, log: &str) -> ! {
    let (logger, guard) = Logger::builder()
        .sink(Hook::new(move |lines| {
            // The first batch after "start".
            if lines.start == 1 && !live {
                wait_for("every thread", || LOGGED.load(Ordering::SeqCst) == THREADS);
                kill_self()
            }
        }))
        .sink(FileSink::new(log).unwrap())
        .format(plain())
        .backend(Backend::Pwrite)
        .ring_capacity(256)
        .crash_safe(dir)
        .build()
        .unwrap();
    uringlog::info!(logger, "start");
    logger.flush().unwrap();
    let logger = Arc::new(logger);
    let mut stay = Vec::new();
    for t in 0..THREADS {
        let l = logger.clone();
        let h = std::thread::spawn(move || {
            uringlog::info!(l, "t={} {}", t, body(t));
            LOGGED.fetch_add(1, Ordering::SeqCst);
            if t % 2 == 1 {
                // Odd threads stay until the end.
                std::thread::park();
            }
        });
        if t % 2 == 0 {
            h.join().unwrap();
        } else {
            stay.push(h);
        }
    }
    wait_for("every thread", || LOGGED.load(Ordering::SeqCst) == THREADS);
    let _ = logger.flush();
    assert!(live, "the hook kills at the batch after \"start\"");
    for h in &stay {
        h.thread().unpark();
    }
    for h in stay {
        h.join().unwrap();
    }
    drop(logger);
    let s = guard.shutdown(SHUTDOWN).unwrap();
    let all = 1 + THREADS as u64;
    assert_eq!(
        (s.enqueued, s.written, s.dropped, s.oversized),
        (all, all - 1, 1, 1)
    );
    std::process::exit(0)
}

/// The lines after the first, sorted by thread.
fn by_thread(lines: &[String]) -> Vec<String> {
    let mut v = lines.to_vec();
    v.sort_by_key(|l| uringlog_tests::field(l, "t="));
    v
}

#[test]
fn three_hundred_threads_on_256_byte_rings_each_record_once() {
    if let Ok(spec) = std::env::var(CHILD) {
        let mut it = spec.split(',');
        let (how, dir, log) = (it.next().unwrap(), it.next().unwrap(), it.next().unwrap());
        child(how == "live", dir, log);
    }
    let tmp = tempfile::tempdir().unwrap();
    let run = |how: &str| {
        let (dir, log) = (tmp.path().join(how), tmp.path().join(format!("{how}.log")));
        let spec = format!("{how},{},{}", dir.display(), log.display());
        let (pid, status) = run_self(TEST, CHILD, &spec);
        (dir, log, pid, status)
    };
    let (_, live_log, _, status) = run("live");
    assert_eq!(status.code(), Some(0), "{status:?}");
    let live = read_lines(&live_log);
    assert_eq!(live.len(), THREADS as usize);
    let (dir, log, pid, status) = run("killed");
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(libc::SIGKILL), "{status:?}");
    recover_plain(&dir, &log);
    let lines = read_lines(&log);
    assert_eq!(lines[0], "INFO  start");
    assert_eq!(
        lines[1],
        format!("WARN  crash-safe recovery: {} records recovered from process {pid} (generation 1), 0 torn or corrupt records skipped", THREADS - 1)
    );
    assert_eq!(by_thread(&lines[2..]), by_thread(&live[1..]));
    // The record larger than the ring is in neither.
    assert!(!live.iter().any(|l| l.contains(&format!("t={HUGE} "))));
    assert_eq!(uringlog_tests::file_names(&dir), ["lock"]);
}
