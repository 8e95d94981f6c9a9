//! `uringlog-bench`: the benchmark harness and report. See `--help`.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;
use uringlog_bench::cli::{parse, Command, USAGE};
use uringlog_bench::job::{child_main, execute, Job, Output};
use uringlog_bench::peers::{PeerJob, PEERS};
use uringlog_bench::report::{self, LATENCY_CSV, SWEEP_CSV};
use uringlog_bench::timer::TimerChoice;
use uringlog_bench::work_dir::WorkDir;
use uringlog_bench::{plot, sweep};

fn main() -> ExitCode {
    let args: Result<Vec<String>, _> = std::env::args_os()
        .skip(1)
        .map(|a| a.into_string())
        .collect();
    let args = match args {
        Ok(a) => a,
        Err(a) => {
            let a = a.to_string_lossy();
            eprintln!("uringlog-bench: argument {a:?} is not UTF-8\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let cmd = match parse(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("uringlog-bench: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let result = match cmd {
        Command::Child(json) => return ExitCode::from(child_main(&json).clamp(0, 255) as u8),
        Command::Help => say(&format!("{USAGE}\n")),
        Command::ListPeers => say(&PEERS.iter().map(|p| format!("{p}\n")).collect::<String>()),
        Command::Report(o) => report::run(&o).and_then(|text| say(&text)),
        Command::Peer {
            name,
            count,
            dir,
            keep,
            timer,
        } => peer(name, count, dir, keep, timer),
        Command::Sweep(o) => run_sweep(&o),
        Command::Delivery { quick, dir, keep } => delivery(quick, dir, keep),
        Command::CrashSafeAb {
            pairs,
            count,
            dir,
            keep,
            control,
        } => crash_safe_ab(pairs, count, dir, keep, control),
        Command::Network {
            records,
            rounds,
            dir,
        } => network(records, rounds, dir),
        Command::Plot(dir) => plot_dir(&dir),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("uringlog-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn peer(
    name: String,
    count: u64,
    dir: Option<std::path::PathBuf>,
    keep: bool,
    timer: TimerChoice,
) -> Result<(), String> {
    let work = WorkDir::new(dir.as_deref(), "uringlog-peer-")?;
    let job = Job::Peer(PeerJob {
        name: name.clone(),
        count,
        dir: work.path().to_owned(),
        keep,
        timer,
    });
    let out = execute(&job);
    work.finish(keep);
    let Output::Peer(r) = out? else {
        return Err("unexpected output".to_owned());
    };
    say(&format!(
        "{name}: {:.3} M lines/s ({:.2} CPUs), p50 {} ns, p99.9 {} ns, empty timed call {} ns ({:?}), peak RSS {:.1} MiB, {} of {} lines lost\n",
        r.lines_per_sec / 1e6,
        r.cpus_used(),
        r.p50_ns,
        r.p999_ns,
        r.timing_overhead_ns,
        r.timer,
        r.peak_rss_kib as f64 / 1024.0,
        r.lines_lost(),
        r.lines_expected
    ))
}

fn delivery(quick: bool, dir: Option<std::path::PathBuf>, keep: bool) -> Result<(), String> {
    let work = WorkDir::new(dir.as_deref(), "uringlog-delivery-")?;
    let dir = work.path().to_owned();
    let patterns = uringlog_bench::delivery::patterns(quick);
    let mut n = 0;
    let mut sub = |what: &str| {
        n += 1;
        dir.join(format!("{n:02}-{what}"))
    };
    let jobs = uringlog_bench::plan::delivery_jobs(&patterns, &mut sub, keep);
    let rows = uringlog_bench::suite::run_jobs(&jobs, |k| format!("{}, {}", k.subject, k.pattern));
    work.finish(keep);
    let mut table = String::new();
    uringlog_bench::render::delivery::delivery(&mut table, &patterns, &rows);
    let mut shown = Vec::new();
    for m in &rows {
        if let Ok(r) = &m.result {
            if !r.backend.is_empty() && !shown.contains(&m.key.subject) {
                shown.push(m.key.subject);
                let _ = writeln!(table, "- {}: {}", m.key.subject, r.backend);
            }
        }
    }
    say(&table)
}

fn crash_safe_ab(
    pairs: usize,
    count: u64,
    dir: Option<std::path::PathBuf>,
    keep: bool,
    control: bool,
) -> Result<(), String> {
    let work = WorkDir::new(dir.as_deref(), "uringlog-crash-safe-ab-")?;
    let dir = work.path().to_owned();
    let mut n = 0;
    let mut sub = |what: &str| {
        n += 1;
        dir.join(format!("{n:02}-{what}"))
    };
    let jobs = uringlog_bench::crash_safe_ab::jobs(pairs, count, &mut sub, keep, control);
    let rows = uringlog_bench::suite::run_jobs_quiet(&jobs, uringlog_bench::suite::ab_label);
    work.finish(keep);
    let mut s = String::new();
    uringlog_bench::crash_safe_ab::render(&mut s, &rows);
    say(&s)
}

fn network(records: u64, rounds: usize, dir: Option<std::path::PathBuf>) -> Result<(), String> {
    let sizes = uringlog_bench::plan::Sizes::new(false, false);
    let work = WorkDir::new(dir.as_deref(), "uringlog-network-")?;
    let job = Job::Network(uringlog_bench::network::NetworkJob {
        records,
        rounds,
        bursts: sizes.bursts,
        burst_len: sizes.burst_len,
        pause_us: sizes.pause_us,
        dir: work.path().to_owned(),
    });
    let r = match execute(&job) {
        Ok(Output::Network(r)) => Ok(r),
        Ok(_) => Err("unexpected output".to_owned()),
        Err(e) => Err(e),
    };
    work.finish(false);
    say(&uringlog_bench::render::network_section(&r))?;
    r.map(|_| ())
}

fn run_sweep(o: &sweep::SweepOptions) -> Result<(), String> {
    if let Some(parent) = o.out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("creating {}: {e}", parent.display()))?;
    }
    let work = WorkDir::new(o.dir.as_deref(), "uringlog-sweep-")?;
    let rows = sweep::run(o, work.path());
    work.finish(false);
    let rows = rows?;
    eprintln!("wrote {}", o.out.display());
    match sweep::best(&rows) {
        Some(b) => say(&format!("best on this machine: {}\n", sweep::describe(b))),
        None => say("no configuration ran\n"),
    }
}

/// Writes `text` to stdout; a closed pipe (`| head`) is an error, not a
/// panic.
fn say(text: &str) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| format!("cannot write to stdout: {e}"))
}

fn plot_dir(dir: &Path) -> Result<(), String> {
    let mut drawn = 0;
    let lat = dir.join(LATENCY_CSV);
    if lat.exists() {
        let text =
            std::fs::read_to_string(&lat).map_err(|e| format!("reading {}: {e}", lat.display()))?;
        plot::latency_chart(&dir.join("latency.png"), &report::read_latency_csv(&text)?)?;
        drawn += 1;
    }
    let sw = dir.join(SWEEP_CSV);
    if sw.exists() {
        plot::sweep_chart(&dir.join("sweep.png"), &sweep::read_csv(&sw)?)?;
        drawn += 1;
    }
    match drawn {
        0 => Err(format!(
            "no {LATENCY_CSV} or {SWEEP_CSV} in {}",
            dir.display()
        )),
        n => {
            eprintln!("drew {n} chart(s) in {}", dir.display());
            Ok(())
        }
    }
}
