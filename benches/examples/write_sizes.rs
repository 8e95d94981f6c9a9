//! What one buffered write costs the calling thread, by size: the CPU
//! time per 100 bytes of writing 100 MB to a file in writes of each size,
//! the sizes taking turns, median of the repetitions. The figures behind
//! `DEFAULT_BATCH_BYTES` (one write per batch): a write's fixed cost
//! (system call, file locking, time stamps) is spread over its bytes.
//!
//! `cached` rewrites a file whose pages are in the page cache (the copy
//! and the fixed cost); `append` appends to a file cut back to empty
//! before each pass (its pages freed just before, so reused at once);
//! `batch` appends as the writer does, in writes of the size plus
//! [`RECORD_TAIL`] bytes (a batch closes on the first whole record past
//! `batch_bytes`), so each write starts and ends inside a page.
//!
//! `append` and `batch` differ by more than their lengths: the page cache
//! sizes a new folio by the bytes left in the write and by the alignment
//! of its index, so a write that ends inside a page leaves a run of small
//! folios there and the next one climbs back through small ones; aligned
//! writes get one large folio each. That cost comes once per write, so it
//! falls with the batch size.
//!
//! ```sh
//! cargo run --release -p uringlog-bench --example write_sizes -- [REPS] [DIR]
//! ```

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;

const TOTAL: usize = 100_000_000;
/// 25,088 bytes: 256 records of the benchmark's lines (the former default).
const SIZES: [usize; 6] = [25_088, 64 << 10, 128 << 10, 256 << 10, 512 << 10, 1 << 20];
/// What a batch of the benchmark's lines holds past `batch_bytes`: part of
/// its last record.
const RECORD_TAIL: usize = 38;

/// How a pass writes.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// Rewrites cached pages in place.
    Cached,
    /// Appends writes of exactly the size.
    Append,
    /// Appends writes of the size plus [`RECORD_TAIL`].
    Batch,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Cached => "cached",
            Mode::Append => "append",
            Mode::Batch => "batch",
        }
    }
}

/// This thread's CPU time so far, ns (`CLOCK_THREAD_CPUTIME_ID`; the
/// scheduler's figure, where `/proc/thread-self/schedstat` may count in
/// ticks).
fn cpu_ns() -> u64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid timespec for the call to fill.
    if unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) } != 0 {
        return 0;
    }
    t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64
}

/// CPU ns per 100 bytes of one pass of `size`-byte writes.
fn pass(f: &File, mode: Mode, size: usize, buf: &[u8]) -> std::io::Result<f64> {
    let size = match mode {
        Mode::Batch => size + RECORD_TAIL,
        Mode::Cached | Mode::Append => size,
    };
    let n = TOTAL / size;
    if mode != Mode::Cached {
        f.set_len(0)?;
    }
    let start = cpu_ns();
    for i in 0..n {
        match mode {
            Mode::Append | Mode::Batch => (&*f).write_all(&buf[..size])?,
            Mode::Cached => f.write_all_at(&buf[..size], (i * size) as u64)?,
        }
    }
    Ok((cpu_ns() - start) as f64 / ((n * size) as f64 / 100.0))
}

fn main() -> std::io::Result<()> {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let reps: usize = a.first().and_then(|x| x.parse().ok()).unwrap_or(9);
    let dir = a
        .get(1)
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let buf = vec![b'x'; SIZES[SIZES.len() - 1] + RECORD_TAIL];
    for mode in [Mode::Cached, Mode::Append, Mode::Batch] {
        let append = mode != Mode::Cached;
        let path = dir.join("write_sizes.tmp");
        let f = OpenOptions::new()
            .create(true)
            .truncate(!append)
            .write(true)
            .append(append)
            .open(&path)?;
        if !append {
            f.write_all_at(&vec![b'y'; TOTAL], 0)?;
        }
        let mut got = vec![Vec::new(); SIZES.len()];
        for _ in 0..reps {
            for (k, &size) in SIZES.iter().enumerate() {
                got[k].push(pass(&f, mode, size, &buf)?);
            }
        }
        std::fs::remove_file(&path)?;
        let name = mode.name();
        for (k, v) in got.iter_mut().enumerate() {
            v.sort_by(f64::total_cmp);
            println!(
                "{name:<6} {:>9} B a write: {:5.1} ns CPU per 100 bytes (median of {reps}; {:.1} .. {:.1})",
                SIZES[k],
                v[v.len() / 2],
                v[0],
                v[v.len() - 1]
            );
        }
    }
    Ok(())
}
