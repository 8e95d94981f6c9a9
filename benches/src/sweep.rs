//! The tuning sweep: ring capacity × batch size × backend, each point a
//! throughput job in a child process, written to CSV as it goes; the best
//! configuration for this machine is printed at the end.
//!
//! In-flight depth (io_uring batches outstanding, `Builder::io_depth`) is a
//! dimension of the io_uring points only; pwrite has no depth.

use crate::config::{EngineConfig, Route};
use crate::job::{run_in_child, Output};
use crate::plan::throughput;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

/// What to sweep.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepOptions {
    /// CSV written.
    pub out: PathBuf,
    /// Calls per point.
    pub count: u64,
    /// Timed repetitions per point.
    pub reps: usize,
    /// Ring capacities, bytes.
    pub rings: Vec<usize>,
    /// Batch sizes, records.
    pub batches: Vec<usize>,
    /// Backends.
    pub routes: Vec<Route>,
    /// io_uring in-flight depths (empty: the engine's default).
    pub depths: Vec<u32>,
    /// `--dir`: where the log files go (see `work_dir`; default: a fresh
    /// temp directory).
    pub dir: Option<PathBuf>,
}

/// One point of the sweep.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepRow {
    /// Bytes per ring.
    pub ring_capacity: usize,
    /// Records per batch.
    pub batch_size: usize,
    /// `pwrite`, `io_uring` or `auto`.
    pub backend: String,
    /// io_uring batches in flight, when set.
    pub depth: Option<u32>,
    /// Calls.
    pub count: u64,
    /// Lines in the file per second, end to end.
    pub lines_per_sec: f64,
    /// Why the point could not be measured.
    pub error: Option<String>,
}

/// CSV header of [`SweepRow`]s.
pub const CSV_HEADER: &str = "ring_capacity,batch_size,backend,depth,count,lines_per_sec,status";

/// Short name of a route in the CSV.
pub fn route_name(r: Route) -> &'static str {
    match r {
        Route::AsyncAuto => "auto",
        Route::AsyncIoUring => "io_uring",
        Route::AsyncPwrite => "pwrite",
        Route::Sync => "sync",
        Route::MutexBufWriter => "mutex-bufwriter",
    }
}

/// Runs the sweep with its log files in `dir`, writing the CSV (first
/// its header alone, so an unwritable `out` fails before any point) after
/// every point; returns the rows.
pub fn run(o: &SweepOptions, dir: &Path) -> Result<Vec<SweepRow>, String> {
    write_csv(&o.out, &[])?;
    let depths_of = |route: Route| -> Vec<Option<u32>> {
        match route {
            Route::AsyncIoUring if !o.depths.is_empty() => {
                o.depths.iter().map(|&d| Some(d)).collect()
            }
            _ => vec![None],
        }
    };
    let per_grid = o.rings.len() * o.batches.len();
    let total: usize = o
        .routes
        .iter()
        .map(|&r| depths_of(r).len() * per_grid)
        .sum();
    let mut rows = Vec::with_capacity(total);
    for &route in &o.routes {
        for depth in depths_of(route) {
            for &ring in &o.rings {
                for &batch in &o.batches {
                    let mut cfg = EngineConfig::default_with(route);
                    cfg.ring_capacity = ring;
                    cfg.batch_size = batch;
                    cfg.io_depth = depth.map(|d| d as usize);
                    let d = depth.map_or(String::new(), |d| format!("-d{d}"));
                    let dir = dir.join(format!("{}{d}-{ring}-{batch}", route_name(route)));
                    let row = point(cfg, o.count, o.reps, dir, route_name(route));
                    eprintln!("[{:>3}/{total}] {}", rows.len() + 1, describe(&row));
                    rows.push(row);
                    write_csv(&o.out, &rows)?;
                }
            }
        }
    }
    Ok(rows)
}

fn point(cfg: EngineConfig, count: u64, reps: usize, dir: PathBuf, backend: &str) -> SweepRow {
    let mut row = SweepRow {
        ring_capacity: cfg.ring_capacity,
        batch_size: cfg.batch_size,
        backend: backend.to_owned(),
        depth: cfg.io_depth.map(|d| d as u32),
        count,
        lines_per_sec: 0.0,
        error: None,
    };
    match run_in_child(&throughput(cfg, count, 1, reps, dir, false)) {
        Ok(Output::Throughput(r)) => row.lines_per_sec = r.lines_per_sec(),
        Ok(_) => row.error = Some("the child ran a different job".to_owned()),
        Err(e) => row.error = Some(e),
    }
    row
}

/// One line describing a point.
pub fn describe(r: &SweepRow) -> String {
    let depth = r.depth.map_or(String::new(), |d| format!(" depth {d}"));
    let what = format!(
        "{}{depth} ring {} KiB batch {}",
        r.backend,
        r.ring_capacity / 1024,
        r.batch_size
    );
    match &r.error {
        None => format!("{what}: {:.2} M lines/s", r.lines_per_sec / 1e6),
        Some(e) => format!("{what}: not run: {e}"),
    }
}

/// The fastest point that ran.
pub fn best(rows: &[SweepRow]) -> Option<&SweepRow> {
    rows.iter()
        .filter(|r| r.error.is_none())
        .max_by(|a, b| a.lines_per_sec.total_cmp(&b.lines_per_sec))
}

/// Writes `rows` as CSV.
pub fn write_csv(path: &Path, rows: &[SweepRow]) -> Result<(), String> {
    let mut s = format!("{CSV_HEADER}\n");
    for r in rows {
        let status = match &r.error {
            None => "ok".to_owned(),
            Some(e) => e.replace([',', '\n', '"'], " "),
        };
        let depth = r.depth.map_or("-".to_owned(), |d| d.to_string());
        let _ = writeln!(
            s,
            "{},{},{},{depth},{},{:.0},{status}",
            r.ring_capacity, r.batch_size, r.backend, r.count, r.lines_per_sec
        );
    }
    fs::write(path, s).map_err(|e| format!("writing {}: {e}", path.display()))
}

/// Reads a CSV written by [`write_csv`].
pub fn read_csv(path: &Path) -> Result<Vec<SweepRow>, String> {
    let text = fs::read_to_string(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        let f: Vec<&str> = line.splitn(7, ',').collect();
        let bad = || format!("{}:{}: not a sweep row: {line:?}", path.display(), i + 1);
        if f.len() != 7 {
            return Err(bad());
        }
        rows.push(SweepRow {
            ring_capacity: f[0].parse().map_err(|_| bad())?,
            batch_size: f[1].parse().map_err(|_| bad())?,
            backend: f[2].to_owned(),
            depth: f[3].parse().ok(),
            count: f[4].parse().map_err(|_| bad())?,
            lines_per_sec: f[5].parse().map_err(|_| bad())?,
            error: (f[6] != "ok").then(|| f[6].to_owned()),
        });
    }
    Ok(rows)
}

/// Parses `64K,256K,1M` (K = 1024, M = 1024²) into numbers.
pub fn parse_list(s: &str) -> Result<Vec<usize>, String> {
    s.split(',')
        .map(|x| {
            let x = x.trim();
            let (num, mul) = match x.as_bytes().last() {
                Some(b'K' | b'k') => (&x[..x.len() - 1], 1024),
                Some(b'M' | b'm') => (&x[..x.len() - 1], 1024 * 1024),
                _ => (x, 1),
            };
            num.parse::<usize>()
                .map(|n| n * mul)
                .map_err(|_| format!("not a number: {x:?}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_csv_round_trip() {
        assert_eq!(parse_list("64K,1M,7").unwrap(), vec![65536, 1 << 20, 7]);
        assert!(parse_list("x").is_err());
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.csv");
        let rows = vec![
            SweepRow {
                ring_capacity: 65536,
                batch_size: 64,
                backend: "pwrite".into(),
                depth: None,
                count: 10,
                lines_per_sec: 5.0,
                error: None,
            },
            SweepRow {
                ring_capacity: 65536,
                batch_size: 64,
                backend: "io_uring".into(),
                depth: Some(4),
                count: 10,
                lines_per_sec: 0.0,
                error: Some("unavailable, sorry".into()),
            },
        ];
        write_csv(&p, &rows).unwrap();
        let back = read_csv(&p).unwrap();
        assert_eq!(back[0], rows[0]);
        assert_eq!(back[1].error.as_deref(), Some("unavailable  sorry"));
        assert_eq!(back[1].depth, Some(4));
        assert_eq!(best(&back).unwrap().backend, "pwrite");
    }
}
