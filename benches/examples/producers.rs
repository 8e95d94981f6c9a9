//! End-to-end figures for side-by-side runs of two builds, one process per
//! figure so runs can be interleaved.
//!
//! ```sh
//! cargo build --release -p uringlog-bench --example producers
//! target/release/examples/producers peer DIR        # the uringlog peer row
//! target/release/examples/producers threads N DIR   # N producers, 1 M lines
//! ```
//!
//! `peer` prints the peer comparison's row for `uringlog` (lines/s end to
//! end, caller p50 and p99.9, the empty timed call); `threads` prints lines
//! per second end to end for `N` producer threads sharing 1,000,000 calls
//! of the workload line, after a warm-up run of the same size.

use std::path::PathBuf;
use uringlog_bench::config::{EngineConfig, Route};
use uringlog_bench::peers::{self, PeerJob};
use uringlog_bench::throughput::{rate, timed_rep};
use uringlog_bench::timer::TimerChoice;

const COUNT: u64 = 1_000_000;

fn main() -> Result<(), String> {
    let a: Vec<String> = std::env::args().skip(1).collect();
    match a.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["peer", dir] => {
            let r = peers::run(&PeerJob {
                name: peers::URINGLOG.to_owned(),
                count: COUNT,
                dir: PathBuf::from(dir),
                keep: false,
                timer: TimerChoice::Auto,
            })?;
            println!(
                "peer lines/s {:.3} M  CPUs {:.2}  p50 {} ns  p99.9 {} ns  empty {} ns  lost {}",
                r.lines_per_sec / 1e6,
                r.cpus_used(),
                r.p50_ns,
                r.p999_ns,
                r.timing_overhead_ns,
                r.lines_lost()
            );
        }
        ["threads", n, dir] => {
            let n: usize = n.parse().map_err(|e| format!("threads {n}: {e}"))?;
            let cfg = EngineConfig::default_with(Route::AsyncAuto);
            let file = PathBuf::from(dir).join("producers.log");
            std::fs::create_dir_all(dir).map_err(|e| format!("{dir}: {e}"))?;
            let mut last = 0.0;
            for _ in 0..2 {
                let _ = std::fs::remove_file(&file);
                let (rep, stats, _) = timed_rep(&cfg, COUNT, n, &file)?;
                if stats.written != COUNT {
                    return Err(format!("{} of {COUNT} lines written", stats.written));
                }
                last = rate(COUNT, rep.end_to_end_s);
            }
            let _ = std::fs::remove_file(&file);
            println!("threads {n} lines/s {:.3} M", last / 1e6);
        }
        _ => return Err("usage: producers peer DIR | producers threads N DIR".to_owned()),
    }
    Ok(())
}
