//! `uringlog-bench`: the benchmark harness and report. See `--help`.

use std::path::Path;
use std::process::ExitCode;
use uringlog_bench::cli::{parse, Command, USAGE};
use uringlog_bench::job::{child_main, execute, Job, Output};
use uringlog_bench::peers::{PeerJob, PEERS};
use uringlog_bench::report::{self, LATENCY_CSV, SWEEP_CSV};
use uringlog_bench::{plot, sweep};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cmd = match parse(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("uringlog-bench: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let result = match cmd {
        Command::Child(json) => return ExitCode::from(child_main(&json).clamp(0, 255) as u8),
        Command::Help => {
            println!("{USAGE}");
            Ok(())
        }
        Command::ListPeers => {
            PEERS.iter().for_each(|p| println!("{p}"));
            Ok(())
        }
        Command::Report(o) => report::run(&o).map(|text| print!("{text}")),
        Command::Peer {
            name,
            count,
            dir,
            keep,
        } => peer(name, count, dir, keep),
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
) -> Result<(), String> {
    let dir = dir.unwrap_or_else(|| {
        std::env::temp_dir().join(format!("uringlog-peer-{}", std::process::id()))
    });
    let job = Job::Peer(PeerJob {
        name: name.clone(),
        count,
        dir,
        keep,
    });
    let Output::Peer(r) = execute(&job)? else {
        return Err("unexpected output".to_owned());
    };
    println!(
        "{name}: {:.3} M lines/s ({:.2} CPUs), p50 {} ns, p99.9 {} ns, peak RSS {:.1} MiB, {} of {} lines lost",
        r.lines_per_sec / 1e6,
        r.cpus_used(),
        r.p50_ns,
        r.p999_ns,
        r.peak_rss_kib as f64 / 1024.0,
        r.lines_lost(),
        r.lines_expected
    );
    Ok(())
}

fn delivery(quick: bool, dir: Option<std::path::PathBuf>, keep: bool) -> Result<(), String> {
    let dir = dir.unwrap_or_else(|| {
        std::env::temp_dir().join(format!("uringlog-delivery-{}", std::process::id()))
    });
    let patterns = uringlog_bench::delivery::patterns(quick);
    let mut n = 0;
    let mut sub = |what: &str| {
        n += 1;
        dir.join(format!("{n:02}-{what}"))
    };
    let jobs = uringlog_bench::plan::delivery_jobs(&patterns, &mut sub, keep);
    let rows = uringlog_bench::suite::run_jobs(&jobs, |k| format!("{}, {}", k.subject, k.pattern));
    if !keep {
        let _ = std::fs::remove_dir_all(&dir);
    }
    let mut table = String::new();
    uringlog_bench::render::delivery::delivery(&mut table, &patterns, &rows);
    print!("{table}");
    let mut shown = Vec::new();
    for m in &rows {
        if let Ok(r) = &m.result {
            if !r.backend.is_empty() && !shown.contains(&m.key.subject) {
                shown.push(m.key.subject);
                println!("- {}: {}", m.key.subject, r.backend);
            }
        }
    }
    Ok(())
}

fn crash_safe_ab(
    pairs: usize,
    count: u64,
    dir: Option<std::path::PathBuf>,
    keep: bool,
    control: bool,
) -> Result<(), String> {
    let dir = dir.unwrap_or_else(|| {
        std::env::temp_dir().join(format!("uringlog-crash-safe-ab-{}", std::process::id()))
    });
    let mut n = 0;
    let mut sub = |what: &str| {
        n += 1;
        dir.join(format!("{n:02}-{what}"))
    };
    let jobs = uringlog_bench::crash_safe_ab::jobs(pairs, count, &mut sub, keep, control);
    let rows = uringlog_bench::suite::run_jobs_quiet(&jobs, uringlog_bench::suite::ab_label);
    if !keep {
        let _ = std::fs::remove_dir_all(&dir);
    }
    let mut s = String::new();
    uringlog_bench::crash_safe_ab::render(&mut s, &rows);
    print!("{s}");
    Ok(())
}

fn network(records: u64, rounds: usize, dir: Option<std::path::PathBuf>) -> Result<(), String> {
    let sizes = uringlog_bench::plan::Sizes::new(false, false);
    let dir = dir.unwrap_or_else(|| {
        std::env::temp_dir().join(format!("uringlog-network-{}", std::process::id()))
    });
    let job = Job::Network(uringlog_bench::network::NetworkJob {
        records,
        rounds,
        bursts: sizes.bursts,
        burst_len: sizes.burst_len,
        pause_us: sizes.pause_us,
        dir: dir.clone(),
    });
    let r = match execute(&job) {
        Ok(Output::Network(r)) => Ok(r),
        Ok(_) => Err("unexpected output".to_owned()),
        Err(e) => Err(e),
    };
    let _ = std::fs::remove_dir_all(&dir);
    print!("{}", uringlog_bench::render::network_section(&r));
    r.map(|_| ())
}

fn run_sweep(o: &sweep::SweepOptions) -> Result<(), String> {
    if let Some(parent) = o.out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("creating {}: {e}", parent.display()))?;
    }
    let rows = sweep::run(o)?;
    let _ = std::fs::remove_dir_all(&o.dir);
    eprintln!("wrote {}", o.out.display());
    match sweep::best(&rows) {
        Some(b) => println!("best on this machine: {}", sweep::describe(b)),
        None => println!("no configuration ran"),
    }
    Ok(())
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
