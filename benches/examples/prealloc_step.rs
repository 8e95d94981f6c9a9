//! Writer-thread user and kernel time (from `/proc`, in clock ticks) and
//! lines per second for one run of `lines` lines through a `FileSink`
//! preallocating `step` bytes at a time (0: off), in `dir`:
//! `prealloc_step STEP LINES DIR` prints `step Mlines/s user_s sys_s
//! process_sys_s backend`. Interleave runs of several steps to compare.
use std::time::{Duration, Instant};
use uringlog::{Level, Logger};
use uringlog_sinks::FileSink;

fn writer_times() -> (f64, f64) {
    for e in std::fs::read_dir("/proc/self/task").unwrap() {
        let p = e.unwrap().path();
        let comm = std::fs::read_to_string(p.join("comm")).unwrap_or_default();
        if comm.trim() == "uringlog-writer" {
            let s = std::fs::read_to_string(p.join("stat")).unwrap();
            let rest = &s[s.rfind(')').unwrap() + 2..];
            let f: Vec<&str> = rest.split(' ').collect();
            // SAFETY: sysconf takes any name.
            let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
            return (
                f[11].parse::<f64>().unwrap() / hz,
                f[12].parse::<f64>().unwrap() / hz,
            );
        }
    }
    (0.0, 0.0)
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let step: u64 = a[1].parse().unwrap();
    let n: u64 = a[2].parse().unwrap();
    let path = std::path::Path::new(&a[3]).join(format!("step-{step}.log"));
    let _ = std::fs::remove_file(&path);
    let sink = FileSink::new(&path).unwrap().preallocate_bytes(step);
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .level(Level::Info)
        .build()
        .unwrap();
    let t0 = Instant::now();
    for i in 0..n {
        uringlog::info!(logger, target: "app::http", "request id={} user={} path={} status={}", i, "alice", "/api/v1/items", 200);
    }
    logger.flush().unwrap();
    let el = t0.elapsed().as_secs_f64();
    let (ut, st) = writer_times();
    let s = guard.shutdown(Duration::from_secs(60)).unwrap();
    assert_eq!(s.written, n);
    // SAFETY: an all-zero `rusage` is a valid value of the plain C struct.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `ru` is a valid, writable `rusage` for the call.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let ps = ru.ru_stime.tv_sec as f64 + ru.ru_stime.tv_usec as f64 / 1e6;
    println!(
        "{step} {:.3} {ut:.2} {st:.2} {ps:.3} {}",
        n as f64 / el / 1e6,
        logger.io_backend()
    );
    let _ = std::fs::remove_file(&path);
}
