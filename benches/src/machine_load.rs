//! What the rest of the machine did while a phase was timed, from
//! `/proc/stat`: the CPU time of every other process and kernel thread
//! (busy time of all CPUs minus this process's own) and the time the
//! hypervisor stole, each as CPUs on average over the phase. A row timed
//! beside someone else's build, a leftover process or a busy host says so
//! instead of passing for the logger's own speed. Also a bounded wait for
//! a quiet machine before a measurement that compares two runs.
//!
//! `/proc/stat` counts in clock ticks (10 ms at the usual 100 Hz), so over
//! a 0.1 s phase the figures are good to about ±0.1 CPU.

use crate::measure::process_cpu_s;
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};

/// Busy and stolen CPU seconds of the whole machine so far.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MachineCpu {
    /// user + nice + system + irq + softirq, every CPU.
    pub busy_s: f64,
    /// steal, every CPU.
    pub steal_s: f64,
}

impl MachineCpu {
    /// Reads the `cpu` line of `/proc/stat`; `None` where it is missing.
    pub fn now() -> Option<MachineCpu> {
        let text = std::fs::read_to_string("/proc/stat").ok()?;
        // SAFETY: sysconf has no preconditions.
        let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
        parse_cpu_line(text.lines().next()?, if hz > 0 { hz as f64 } else { 100.0 })
    }
}

/// The aggregate `cpu` line of `/proc/stat`, in seconds at `hz` ticks/s.
pub fn parse_cpu_line(line: &str, hz: f64) -> Option<MachineCpu> {
    let mut f = line.split_whitespace();
    if f.next()? != "cpu" {
        return None;
    }
    let v: Vec<u64> = f.map(|x| x.parse().unwrap_or(0)).collect();
    let at = |i: usize| v.get(i).copied().unwrap_or(0) as f64 / hz;
    // user nice system idle iowait irq softirq steal …
    Some(MachineCpu {
        busy_s: at(0) + at(1) + at(2) + at(5) + at(6),
        steal_s: at(7),
    })
}

/// The rest of the machine over a phase, in CPUs on average.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct OtherLoad {
    /// CPUs kept busy by other processes and kernel threads.
    pub other_cpus: f64,
    /// CPUs the hypervisor took away (steal).
    pub steal_cpus: f64,
}

/// Started before a phase; [`PhaseLoad::finish`] after it.
#[derive(Debug, Clone, Copy)]
pub struct PhaseLoad {
    machine: Option<MachineCpu>,
    own_cpu_s: f64,
    at: Instant,
}

impl PhaseLoad {
    /// Notes the machine's and this process's CPU time now.
    pub fn start() -> PhaseLoad {
        PhaseLoad {
            machine: MachineCpu::now(),
            own_cpu_s: process_cpu_s(),
            at: Instant::now(),
        }
    }

    /// What the rest of the machine did since [`PhaseLoad::start`]
    /// (zeros where `/proc/stat` is missing).
    pub fn finish(&self) -> OtherLoad {
        let secs = self.at.elapsed().as_secs_f64().max(1e-9);
        let own = process_cpu_s() - self.own_cpu_s;
        match (self.machine, MachineCpu::now()) {
            (Some(a), Some(b)) => other_load(a, b, own, secs),
            _ => OtherLoad::default(),
        }
    }
}

/// Other load between snapshots `a` and `b`, `secs` apart, of which this
/// process used `own_cpu_s` (never negative: tick rounding).
pub fn other_load(a: MachineCpu, b: MachineCpu, own_cpu_s: f64, secs: f64) -> OtherLoad {
    OtherLoad {
        other_cpus: ((b.busy_s - a.busy_s - own_cpu_s) / secs).max(0.0),
        steal_cpus: ((b.steal_s - a.steal_s) / secs).max(0.0),
    }
}

/// A window of this length shows whether the machine is quiet.
pub const QUIET_WINDOW: Duration = Duration::from_millis(250);

/// Waits, at most `max`, until one [`QUIET_WINDOW`] sees the machine busy
/// (every process, this one included) below `cpus` CPUs; returns the load
/// of the last window, so a caller can say what it ran beside.
pub fn wait_quiet(max: Duration, cpus: f64) -> f64 {
    let start = Instant::now();
    loop {
        let Some(a) = MachineCpu::now() else {
            return 0.0;
        };
        std::thread::sleep(QUIET_WINDOW);
        let Some(b) = MachineCpu::now() else {
            return 0.0;
        };
        let busy = (b.busy_s - a.busy_s) / QUIET_WINDOW.as_secs_f64();
        if busy < cpus || start.elapsed() >= max {
            return busy;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cpu_line_gives_busy_and_stolen_seconds() {
        let line = "cpu  400 100 200 5000 300 10 40 50 0 0";
        let m = parse_cpu_line(line, 100.0).unwrap();
        // user 4 + nice 1 + system 2 + irq 0.1 + softirq 0.4; idle and
        // iowait are not busy.
        assert_eq!(m.busy_s, 7.5);
        assert_eq!(m.steal_s, 0.5);
        assert_eq!(parse_cpu_line("cpu0 1 2 3", 100.0), None);
    }

    #[test]
    fn other_load_is_the_machine_minus_this_process_per_second() {
        let a = MachineCpu {
            busy_s: 10.0,
            steal_s: 1.0,
        };
        let b = MachineCpu {
            busy_s: 13.0,
            steal_s: 1.5,
        };
        let l = other_load(a, b, 1.0, 2.0);
        assert_eq!((l.other_cpus, l.steal_cpus), (1.0, 0.25));
        // Tick rounding never gives a negative load.
        assert_eq!(other_load(a, a, 0.01, 1.0).other_cpus, 0.0);
    }
}
