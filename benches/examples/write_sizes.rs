//! What one buffered write costs the calling thread, by size: the CPU
//! time per 100 bytes of writing 100 MB to a file in writes of each size,
//! the sizes taking turns, median of the repetitions. The figures behind
//! `DEFAULT_BATCH_BYTES` (one write per batch): a write's fixed cost
//! (system call, file locking, time stamps) is spread over its bytes.
//!
//! `cached` rewrites a file whose pages are in the page cache (the copy
//! and the fixed cost); `append` appends to a file cut back to empty
//! before each pass (its pages freed just before, so reused at once).
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
const SIZES: [usize; 5] = [25_088, 64 << 10, 128 << 10, 256 << 10, 1 << 20];

/// This thread's CPU time so far, ns (`/proc/thread-self/schedstat`).
fn cpu_ns() -> u64 {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap_or_default();
    s.split_whitespace()
        .next()
        .and_then(|x| x.parse().ok())
        .unwrap_or(0)
}

/// CPU ns per 100 bytes of one pass of `size`-byte writes.
fn pass(f: &File, append: bool, size: usize, buf: &[u8]) -> std::io::Result<f64> {
    let n = TOTAL / size;
    if append {
        f.set_len(0)?;
    }
    let start = cpu_ns();
    for i in 0..n {
        match append {
            true => (&*f).write_all(&buf[..size])?,
            false => f.write_all_at(&buf[..size], (i * size) as u64)?,
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
    let buf = vec![b'x'; SIZES[SIZES.len() - 1]];
    for append in [false, true] {
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
                got[k].push(pass(&f, append, size, &buf)?);
            }
        }
        std::fs::remove_file(&path)?;
        let name = if append { "append" } else { "cached" };
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
