//! The report run: plan, run every job, draw the charts, render and write
//! `PERFORMANCE_REPORT.md`, clean up.

use crate::measure::Bucket;
use crate::plan::{Plan, Sizes};
use crate::render::{render, Charts};
use crate::suite::{self, ReportData};
use crate::work_dir::WorkDir;
use std::fs;
use std::path::{Path, PathBuf};

/// Where charts and raw results go, beside the report.
pub const DATA_DIR: &str = "bench-results";
/// The latency histogram, CSV, in [`DATA_DIR`].
pub const LATENCY_CSV: &str = "latency_histogram.csv";
/// A tuning sweep, CSV, in [`DATA_DIR`] (written by `scripts/tune.sh`).
pub const SWEEP_CSV: &str = "sweep.csv";
/// The real-service table, Markdown, in [`DATA_DIR`] (written by
/// `scripts/service_bench.sh`).
pub const SERVICE_MD: &str = "service.md";

/// Command-line options of the report.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportOptions {
    /// Small sizes, no peers unless asked: the smoke test's run.
    pub quick: bool,
    /// Run the peers (default: on unless `quick`).
    pub peers: Option<bool>,
    /// The report file.
    pub out: PathBuf,
    /// Keep the log files (and the temp directory).
    pub keep: bool,
    /// Where the log files go (see `work_dir`; default: a fresh temp
    /// directory).
    pub dir: Option<PathBuf>,
    /// The command line, for the report's header.
    pub command: String,
}

/// Runs the report; returns its text after writing it to `o.out`.
pub fn run(o: &ReportOptions) -> Result<String, String> {
    writable(&o.out)?;
    let work = WorkDir::new(o.dir.as_deref(), "uringlog-bench-")?;
    let dir = work.path().to_owned();
    let sizes = Sizes::new(o.quick, o.peers.unwrap_or(!o.quick));
    let plan = Plan::new(&sizes, &dir, o.keep);
    eprintln!(
        "uringlog-bench: {} jobs, log files under {}",
        plan.len(),
        dir.display()
    );
    let data = suite::run(&plan, &sizes, &dir, o.command.clone());
    work.finish(o.keep);
    let charts = write_data(&data, &o.out)?;
    let text = render(&data, &charts);
    fs::write(&o.out, &text).map_err(|e| format!("writing {}: {e}", o.out.display()))?;
    eprintln!("wrote {} ({:.0} s)", o.out.display(), data.total_s);
    Ok(text)
}

/// Fails now, not after the run, when `out` cannot be written; leaves no
/// file behind.
fn writable(out: &Path) -> Result<(), String> {
    let existed = fs::symlink_metadata(out).is_ok();
    let f = fs::OpenOptions::new().append(true).create(true).open(out);
    f.map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    if !existed {
        let _ = fs::remove_file(out);
    }
    Ok(())
}

/// Writes the raw results and the latency histogram beside the report and
/// draws the charts; a chart that cannot be drawn becomes a note.
fn write_data(d: &ReportData, out: &Path) -> Result<Charts, String> {
    let base = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let data = base.join(DATA_DIR);
    fs::create_dir_all(&data).map_err(|e| format!("creating {}: {e}", data.display()))?;
    let json = serde_json::to_string_pretty(d).map_err(|e| e.to_string())?;
    let write = |name: &str, text: &str| {
        let p = data.join(name);
        fs::write(&p, text).map_err(|e| format!("writing {}: {e}", p.display()))
    };
    write("results.json", &json)?;
    let hist: Vec<(String, Vec<Bucket>)> = d
        .latency
        .iter()
        .filter_map(|m| {
            m.result
                .as_ref()
                .ok()
                .map(|r| (m.key.to_string(), r.histogram.clone()))
        })
        .collect();
    write(LATENCY_CSV, &latency_csv(&hist))?;
    let mut charts = Charts::default();
    match crate::plot::latency_chart(&data.join("latency.png"), &hist) {
        Ok(()) => charts.latency = Some(format!("{DATA_DIR}/latency.png")),
        Err(e) => charts.notes.push(format!("latency chart not drawn: {e}")),
    }
    if data.join(SWEEP_CSV).exists() {
        let drawn = crate::sweep::read_csv(&data.join(SWEEP_CSV))
            .and_then(|rows| crate::plot::sweep_chart(&data.join("sweep.png"), &rows));
        match drawn {
            Ok(()) => charts.sweep = Some(format!("{DATA_DIR}/sweep.png")),
            Err(e) => charts.notes.push(format!("sweep chart not drawn: {e}")),
        }
    }
    charts.service = fs::read_to_string(data.join(SERVICE_MD)).ok();
    Ok(charts)
}

/// `route,lo_ns,hi_ns,count` lines.
pub fn latency_csv(hist: &[(String, Vec<Bucket>)]) -> String {
    let mut s = String::from("route,lo_ns,hi_ns,count\n");
    for (name, buckets) in hist {
        for b in buckets {
            s.push_str(&format!("{name},{},{},{}\n", b.lo_ns, b.hi_ns, b.count));
        }
    }
    s
}

/// Reads [`latency_csv`] back, grouped by route in first-seen order.
pub fn read_latency_csv(text: &str) -> Result<Vec<(String, Vec<Bucket>)>, String> {
    let mut out: Vec<(String, Vec<Bucket>)> = Vec::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let num = |i: usize| {
            f.get(i)
                .and_then(|x| x.parse::<u64>().ok())
                .ok_or_else(|| format!("bad histogram line {line:?}"))
        };
        let b = Bucket {
            lo_ns: num(1)?,
            hi_ns: num(2)?,
            count: num(3)?,
        };
        match out.iter_mut().find(|(n, _)| n == f[0]) {
            Some((_, v)) => v.push(b),
            None => out.push((f[0].to_owned(), vec![b])),
        }
    }
    Ok(out)
}
