//! Measuring: percentiles, the cost of timing itself, peak memory, histograms.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

/// Nearest-rank percentile of sorted `v` (`q` in `0.0..=1.0`); 0 when empty.
pub fn percentile(v: &[u64], q: f64) -> u64 {
    if v.is_empty() {
        return 0;
    }
    let rank = (v.len() as f64 * q).ceil() as usize;
    v[rank.clamp(1, v.len()) - 1]
}

/// Median of unsorted `v`; 0.0 when empty.
pub fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    match s.len() {
        0 => 0.0,
        n if n % 2 == 1 => s[n / 2],
        n => (s[n / 2 - 1] + s[n / 2]) / 2.0,
    }
}

/// Median, smallest and largest of `v` (all 0 when empty).
pub fn spread(v: &[f64]) -> (f64, f64, f64) {
    let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    match v.is_empty() {
        true => (0.0, 0.0, 0.0),
        false => (median(v), lo, hi),
    }
}

/// Peak resident set size of this process's own memory, KiB: `VmHWM` of
/// `/proc/self/status`, since the process started or since the last
/// [`reset_peak_rss`].
///
/// Not `getrusage`: its `ru_maxrss` is also at least the peak of the
/// memory the process replaced at `exec`, which for a child started with
/// `posix_spawn` (as `std::process::Command` does) is its parent's. A
/// child of a 300 MiB process reports 300 MiB there, whatever it uses.
/// 0 if the kernel does not say.
pub fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
            line.split_whitespace().nth(1)?.parse().ok()
        })
        .unwrap_or(0)
}

/// Starts a new peak for [`peak_rss_kib`]: hands the heap memory freed so
/// far back to the kernel (`malloc_trim`), then makes the resident size
/// as it is now the peak (`/proc/self/clear_refs`, value 5). What the
/// harness did before (reading a log file back to check it) then weighs
/// nothing on the peak of what it measures next.
pub fn reset_peak_rss() -> io::Result<()> {
    // SAFETY: malloc_trim only returns free heap memory to the kernel.
    unsafe { libc::malloc_trim(0) };
    std::fs::write("/proc/self/clear_refs", b"5")
        .map_err(|e| io::Error::new(e.kind(), format!("/proc/self/clear_refs: {e}")))
}

/// CPU time (user + system) of this process so far, in seconds, threads
/// that have exited included (`getrusage(RUSAGE_SELF)`).
pub fn process_cpu_s() -> f64 {
    // SAFETY: `rusage` is plain old data; all-zero is a valid value.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `ru` is a live, writable `rusage`; getrusage only writes it.
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) } != 0 {
        return 0.0;
    }
    let s = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    s(ru.ru_utime) + s(ru.ru_stime)
}

/// Bytes of page cache [`warm_page_cache`] touches per line a phase will write
/// (lines are 80–140 bytes).
pub const WARM_BYTES_PER_LINE: u64 = 160;

/// Writes `bytes` of zeros to a scratch file in `dir` and deletes it, right
/// before a timed phase that will write about as much.
///
/// Virtual machines that return freed memory to the host make the first
/// touch of a page expensive; a phase that starts after the machine sat idle
/// (or after a large file was deleted a while ago) would measure those faults
/// instead of the logger. Pages freed just now are reused at once.
pub fn warm_page_cache(dir: &Path, bytes: u64) -> io::Result<()> {
    /// What is written, in chunks: static, so the warming adds nothing to the
    /// process's peak RSS beyond what the kernel maps for reading it.
    static ZEROS: [u8; 64 * 1024] = [0; 64 * 1024];
    let path = dir.join("warm-page-cache.tmp");
    let chunk = &ZEROS[..];
    let mut f = File::create(&path)?;
    let mut left = bytes;
    while left > 0 {
        let n = left.min(chunk.len() as u64) as usize;
        f.write_all(&chunk[..n])?;
        left -= n as u64;
    }
    drop(f);
    std::fs::remove_file(&path)
}

/// Caller-side latency of a set of calls, in ns (timing overhead included).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LatencySummary {
    /// Calls measured.
    pub calls: u64,
    /// Mean.
    pub mean_ns: f64,
    /// Median.
    pub p50_ns: u64,
    /// 90th percentile.
    pub p90_ns: u64,
    /// 99th percentile.
    pub p99_ns: u64,
    /// 99.9th percentile.
    pub p999_ns: u64,
    /// 99.99th percentile.
    pub p9999_ns: u64,
    /// Largest.
    pub max_ns: u64,
}

impl LatencySummary {
    /// Summarises `v`, which it sorts.
    pub fn from_samples(v: &mut [u64]) -> LatencySummary {
        v.sort_unstable();
        let sum: u128 = v.iter().map(|&x| u128::from(x)).sum();
        LatencySummary {
            calls: v.len() as u64,
            mean_ns: if v.is_empty() {
                0.0
            } else {
                sum as f64 / v.len() as f64
            },
            p50_ns: percentile(v, 0.50),
            p90_ns: percentile(v, 0.90),
            p99_ns: percentile(v, 0.99),
            p999_ns: percentile(v, 0.999),
            p9999_ns: percentile(v, 0.9999),
            max_ns: v.last().copied().unwrap_or(0),
        }
    }
}

/// One histogram bucket: latencies in `lo_ns .. hi_ns`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bucket {
    /// Inclusive lower bound.
    pub lo_ns: u64,
    /// Exclusive upper bound.
    pub hi_ns: u64,
    /// Samples in the bucket.
    pub count: u64,
}

/// Sub-buckets per power of two in [`histogram`].
const SUB_BUCKETS: u64 = 4;

/// A log-scale histogram of `v` (see [`bucket_of`]), empty buckets left out.
pub fn histogram(v: &[u64]) -> Vec<Bucket> {
    let mut map: BTreeMap<u64, Bucket> = BTreeMap::new();
    for &x in v {
        let (lo, hi) = bucket_of(x);
        map.entry(lo)
            .or_insert(Bucket {
                lo_ns: lo,
                hi_ns: hi,
                count: 0,
            })
            .count += 1;
    }
    map.into_values().collect()
}

/// The bucket bounds of `x`: below 8 ns one bucket per ns, then
/// [`SUB_BUCKETS`] equal buckets per power of two.
fn bucket_of(x: u64) -> (u64, u64) {
    if x < 2 * SUB_BUCKETS {
        return (x, x + 1);
    }
    let pow = 63 - x.leading_zeros(); // 2^pow <= x < 2^(pow+1)
    let width = (1u64 << pow) / SUB_BUCKETS;
    let lo = x - (x - (1u64 << pow)) % width;
    (lo, lo + width)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_peak_covers_what_was_touched_and_starts_anew_at_a_reset() {
        const MIB: u64 = 1024;
        let before = peak_rss_kib();
        assert!(before > 0, "VmHWM not read");
        let v = vec![1u8; 32 << 20];
        std::hint::black_box(&v);
        let high = peak_rss_kib();
        assert!(high >= before + 31 * MIB, "{before} KiB, then {high} KiB");
        drop(v);
        reset_peak_rss().unwrap();
        let after = peak_rss_kib();
        assert!(
            after + 24 * MIB <= high,
            "{high} KiB, after the reset {after} KiB"
        );
    }

    #[test]
    fn percentile_is_nearest_rank() {
        let v: Vec<u64> = (1..=1000).collect();
        assert_eq!(percentile(&v, 0.5), 500);
        assert_eq!(percentile(&v, 0.999), 999);
        assert_eq!(percentile(&v, 1.0), 1000);
        assert_eq!(percentile(&[], 0.5), 0);
    }

    #[test]
    fn summary_and_median() {
        let mut v = vec![5, 1, 3, 2, 4];
        let s = LatencySummary::from_samples(&mut v);
        assert_eq!((s.calls, s.p50_ns, s.max_ns), (5, 3, 5));
        assert_eq!(s.mean_ns, 3.0);
        assert_eq!(median(&[3.0, 1.0, 2.0, 10.0]), 2.5);
    }

    #[test]
    fn histogram_buckets_are_log_scale_and_cover_every_sample() {
        let v = [3, 3, 8, 9, 10, 100, 101, 1000];
        let h = histogram(&v);
        assert_eq!(h.iter().map(|b| b.count).sum::<u64>(), v.len() as u64);
        assert_eq!(
            h[0],
            Bucket {
                lo_ns: 3,
                hi_ns: 4,
                count: 2
            }
        );
        assert_eq!(
            h[1],
            Bucket {
                lo_ns: 8,
                hi_ns: 10,
                count: 2
            }
        );
        assert!(h.iter().all(|b| b.lo_ns < b.hi_ns));
        for &x in &v {
            assert!(h.iter().any(|b| b.lo_ns <= x && x < b.hi_ns));
        }
    }
}
