//! What `O_APPEND` costs against positioned writes: `FileSink` (appends)
//! next to a sink that writes at offsets it reserves (what `FileSink` did
//! before it appended), with pwrite and io_uring.
//!
//! `cargo run --release -p uringlog-sinks --example append_cost [lines] [rounds]`
//!
//! One producer thread logging ~100-byte lines, `Policy::Block`, files in a
//! temporary directory, timed from the first call to the end of shutdown.
//! A warm-up run per case, then `rounds` rounds that run every case in turn
//! (a noisy neighbour hurts all alike). Prints, per case, the median
//! throughput and writer CPU per line, and per backend the median of the
//! per-round ratios append / positioned (the same round, so the same noise).
//!
//! Then the system calls alone: 256 KiB `write(2)` to an `O_APPEND` file
//! against `pwrite(2)` at tracked offsets, timed in thread CPU time (what
//! the writer thread pays, not counting time spent waiting for a CPU).

use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use uringlog::{Backend, Logger, Sink, Target};
use uringlog_sinks::FileSink;

/// Writes at offsets it reserves, like a file sink without `O_APPEND`.
struct Positioned {
    file: Arc<File>,
    next: u64,
}

impl Sink for Positioned {
    fn describe(&self) -> String {
        "positioned".to_owned()
    }
    fn target(&mut self, len: usize) -> io::Result<Target> {
        let offset = self.next;
        self.next += len as u64;
        Ok(Target::File {
            fd: self.file.clone(),
            offset,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Writes {
    Append,
    Positioned,
}

/// Lines per second and writer CPU nanoseconds per line.
fn run(backend: Backend, writes: Writes, lines: u64, dir: &Path) -> (f64, f64) {
    let path = dir.join("bench.log");
    let _ = std::fs::remove_file(&path);
    let b = Logger::builder().backend(backend);
    let b = match writes {
        Writes::Append => b.sink(FileSink::new(&path).unwrap()),
        Writes::Positioned => {
            let f = OpenOptions::new()
                .create(true)
                .truncate(true)
                .write(true)
                .open(&path)
                .unwrap();
            b.sink(Positioned {
                file: Arc::new(f),
                next: 0,
            })
        }
    };
    let (logger, guard) = b.build().unwrap();
    let start = Instant::now();
    for i in 0..lines {
        uringlog::info!(
            logger,
            "request id={i} user=alice path=/api/v1/items status=200 bytes=5123"
        );
    }
    let s = guard.shutdown(Duration::from_secs(120)).unwrap();
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(s.written, lines);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), s.bytes_written);
    (lines as f64 / secs, s.writer_cpu_ns as f64 / lines as f64)
}

fn thread_cpu_ns() -> u64 {
    // SAFETY: an all-zero timespec is valid for clock_gettime to fill in.
    let mut t: libc::timespec = unsafe { std::mem::zeroed() };
    // SAFETY: `t` is a valid, writable timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64
}

/// Thread CPU nanoseconds per 256 KiB write: `writes` of them into a fresh file.
fn syscalls(writes: Writes, n: usize, dir: &Path) -> f64 {
    use std::os::unix::fs::{FileExt, OpenOptionsExt};
    let path = dir.join("raw.log");
    let _ = std::fs::remove_file(&path);
    let mut o = OpenOptions::new();
    o.create(true).truncate(true).write(true);
    if writes == Writes::Append {
        o.custom_flags(libc::O_APPEND);
    }
    let f = o.open(&path).unwrap();
    let buf = vec![b'x'; 256 * 1024];
    let start = thread_cpu_ns();
    for i in 0..n {
        match writes {
            Writes::Append => io::Write::write_all(&mut &f, &buf).unwrap(),
            Writes::Positioned => f.write_all_at(&buf, (i * buf.len()) as u64).unwrap(),
        }
    }
    (thread_cpu_ns() - start) as f64 / n as f64
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let lines: u64 = args.next().map_or(1_000_000, |a| a.parse().unwrap());
    let rounds: usize = args.next().map_or(7, |a| a.parse().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (Backend::Pwrite, Writes::Positioned),
        (Backend::Pwrite, Writes::Append),
        (Backend::IoUring, Writes::Positioned),
        (Backend::IoUring, Writes::Append),
    ];
    for &(b, w) in &cases {
        run(b, w, lines, dir.path()); // warm-up
    }
    let mut rate = vec![Vec::new(); cases.len()];
    let mut cpu = vec![Vec::new(); cases.len()];
    for _ in 0..rounds {
        for (k, &(b, w)) in cases.iter().enumerate() {
            let (r, c) = run(b, w, lines, dir.path());
            rate[k].push(r);
            cpu[k].push(c);
        }
    }
    println!("{lines} lines, {rounds} rounds (medians)");
    for (k, &(b, w)) in cases.iter().enumerate() {
        let (r, c) = (median(&mut rate[k].clone()), median(&mut cpu[k].clone()));
        println!(
            "{b:?} {w:?}: {:.2} M lines/s, writer CPU {c:.1} ns/line",
            r / 1e6
        );
    }
    for (pos, app) in [(0, 1), (2, 3)] {
        let mut r: Vec<f64> = (0..rounds).map(|i| rate[app][i] / rate[pos][i]).collect();
        let mut c: Vec<f64> = (0..rounds).map(|i| cpu[app][i] / cpu[pos][i]).collect();
        let (rmin, rmax) = (
            r.iter().cloned().fold(f64::MAX, f64::min),
            r.iter().cloned().fold(0.0, f64::max),
        );
        println!(
            "{:?}: append / positioned throughput {:.3} (per-round {rmin:.3}..{rmax:.3}), writer CPU {:.3}",
            cases[pos].0,
            median(&mut r),
            median(&mut c)
        );
    }
    let mut raw = [Vec::new(), Vec::new()];
    for _ in 0..rounds * 3 {
        for (k, w) in [Writes::Positioned, Writes::Append].into_iter().enumerate() {
            raw[k].push(syscalls(w, 400, dir.path()));
        }
    }
    let mut ratio: Vec<f64> = (0..raw[0].len()).map(|i| raw[1][i] / raw[0][i]).collect();
    println!(
        "256 KiB writes, thread CPU: pwrite {:.1} us, O_APPEND write {:.1} us, ratio {:.3}",
        median(&mut raw[0].clone()) / 1e3,
        median(&mut raw[1].clone()) / 1e3,
        median(&mut ratio)
    );
}
