//! Runs a [`Plan`], each job in its own child process, with progress on
//! stderr, and gathers the results the report is rendered from.

use crate::backpressure::BackpressureResult;
use crate::config::{PolicyName, Route};
use crate::delivery::{DeliveryKey, DeliveryResult};
use crate::job::{run_in_child, Output};
use crate::latency::LatencyResult;
use crate::measure::median;
use crate::network::NetworkResult;
use crate::peers::PeerResult;
use crate::plan::{LatencyRun, Plan, Sizes, ThroughputKey};
use crate::sysinfo::SystemInfo;
use crate::threads::{ThreadCase, ThreadsResult};
use crate::throughput::ThroughputResult;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::Instant;

/// One measurement and what it varied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measured<K, T> {
    /// What the row varies.
    pub key: K,
    /// What was measured, or why it could not be.
    pub result: Result<T, String>,
}

/// Everything a report shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportData {
    /// The command line.
    pub command: String,
    /// When the run started, seconds since the Unix epoch.
    pub started_unix_s: u64,
    /// Wall time of the whole run.
    pub total_s: f64,
    /// The run sizes.
    pub sizes: Sizes,
    /// The machine.
    pub system: SystemInfo,
    /// Section 1.
    pub throughput: Vec<Measured<ThroughputKey, ThroughputResult>>,
    /// Section 2.
    pub latency: Vec<Measured<Route, LatencyResult>>,
    /// Section 2, the async modes' repeats in fresh processes (empty in
    /// results from before them).
    #[serde(default)]
    pub latency_repeats: Vec<Measured<LatencyRun, LatencyResult>>,
    /// Section 2, delivery latency (empty in results from before it existed).
    #[serde(default)]
    pub delivery: Vec<Measured<DeliveryKey, DeliveryResult>>,
    /// Section 3: peak RSS of a process that does not log, KiB.
    pub idle_rss_kib: Result<u64, String>,
    /// Section 3: peak RSS of the one-producer throughput job's harness
    /// with nothing logged, KiB (not run in results from before it existed).
    #[serde(default = "not_run")]
    pub harness_rss_kib: Result<u64, String>,
    /// Section 3: memory per thread, by policy.
    #[serde(default)]
    pub threads: Vec<Measured<ThreadCase, ThreadsResult>>,
    /// Section 4: by batch size.
    pub batch: Vec<Measured<usize, ThroughputResult>>,
    /// Section 5.
    pub backpressure: Vec<Measured<PolicyName, BackpressureResult>>,
    /// Section 9 (empty when skipped): every run in the order it ran, a
    /// logger's runs sharing its name (see [`crate::peer_runs`]); one run
    /// each in results from before the rounds.
    pub peers: Vec<Measured<String, PeerResult>>,
    /// Section 9: crash-safe beside normal, interleaved pairs (empty in
    /// results from before it existed).
    #[serde(default)]
    pub crash_safe_ab: Vec<Measured<crate::crash_safe_ab::AbKey, PeerResult>>,
    /// Section 10.
    pub network: Result<NetworkResult, String>,
}

/// What a result from before a measurement existed holds in its place.
fn not_run() -> Result<u64, String> {
    Err("not run".to_owned())
}

/// A job output of one kind.
pub trait FromOutput: Sized {
    /// `Some` when `o` is this kind.
    fn from_output(o: Output) -> Option<Self>;
    /// One line for the progress display.
    fn brief(&self) -> String;
}

/// Runs every job of `plan` and collects the results.
pub fn run(plan: &Plan, sizes: &Sizes, dir: &Path, command: String) -> ReportData {
    let started = Instant::now();
    let started_unix_s = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut p = Progress::new(plan.len());
    let system = SystemInfo::collect(dir);
    let idle_rss_kib = p.run("idle process (memory baseline)", &plan.idle);
    let harness_rss_kib = p.run("the harness alone (memory baseline)", &plan.harness);
    let latency = p.all(&plan.latency, |r| format!("latency, {r}"));
    let latency_repeats = p.all(&plan.latency_repeats, |r| format!("latency, {r}"));
    let delivery = p.all(&plan.delivery, |k| {
        format!("delivery, {}, {}", k.subject, k.pattern)
    });
    let throughput = crate::rounds::merge(p.all(&plan.throughput, |k| {
        format!(
            "throughput, {}, {} calls, {} thread(s)",
            k.route, k.count, k.threads
        )
    }));
    let threads = p.all(&plan.threads, |c| format!("memory per thread, {c}"));
    let batch = p.all(&plan.batch, |b| format!("batch size {b}"));
    let backpressure = p.all(&plan.backpressure, |pol| format!("backpressure {pol}"));
    let peers = p
        .all(&plan.peers, |r| format!("peer {r}"))
        .into_iter()
        .map(|m| Measured {
            key: m.key.name.to_owned(),
            result: m.result,
        })
        .collect();
    let crash_safe_ab = p.all_quiet(&plan.crash_safe_ab, ab_label);
    let network = p.run("network sinks (syslog to rsyslogd)", &plan.network);
    ReportData {
        command,
        started_unix_s,
        total_s: started.elapsed().as_secs_f64(),
        sizes: sizes.clone(),
        system,
        throughput,
        latency,
        latency_repeats,
        delivery,
        idle_rss_kib,
        harness_rss_kib,
        threads,
        batch,
        backpressure,
        peers,
        crash_safe_ab,
        network,
    }
}

/// The progress label of one side of a crash-safe pair.
pub fn ab_label(k: &crate::crash_safe_ab::AbKey) -> String {
    match (k.control, k.crash_safe) {
        (false, cs) => format!(
            "crash-safe pair {}, {}",
            k.pair + 1,
            if cs { "crash-safe" } else { "normal" }
        ),
        (true, b) => format!(
            "control pair {}, normal {}",
            k.pair + 1,
            if b { "B" } else { "A" }
        ),
    }
}

/// Runs `jobs` alone (each in a child), with progress on stderr.
pub fn run_jobs<K: Clone, T: FromOutput>(
    jobs: &[(K, crate::job::Job)],
    label: impl Fn(&K) -> String,
) -> Vec<Measured<K, T>> {
    Progress::new(jobs.len()).all(jobs, label)
}

/// Runs `jobs` alone (each in a child), each once the machine is quiet
/// (see [`Progress::all_quiet`]), with progress on stderr.
pub fn run_jobs_quiet<K: Clone, T: FromOutput>(
    jobs: &[(K, crate::job::Job)],
    label: impl Fn(&K) -> String,
) -> Vec<Measured<K, T>> {
    Progress::new(jobs.len()).all_quiet(jobs, label)
}

struct Progress {
    done: usize,
    total: usize,
}

impl Progress {
    fn new(total: usize) -> Progress {
        Progress { done: 0, total }
    }

    fn run<T: FromOutput>(&mut self, label: &str, job: &crate::job::Job) -> Result<T, String> {
        self.done += 1;
        eprint!("[{:>2}/{}] {label} ... ", self.done, self.total);
        let t = Instant::now();
        let r = run_in_child(job).and_then(|o| {
            T::from_output(o).ok_or_else(|| "the child ran a different job".to_owned())
        });
        let secs = t.elapsed().as_secs_f64();
        match &r {
            Ok(v) => eprintln!("{} ({secs:.1} s)", v.brief()),
            Err(e) => eprintln!("not run: {e} ({secs:.1} s)"),
        }
        r
    }

    fn all<K: Clone, T: FromOutput>(
        &mut self,
        jobs: &[(K, crate::job::Job)],
        label: impl Fn(&K) -> String,
    ) -> Vec<Measured<K, T>> {
        jobs.iter()
            .map(|(k, job)| Measured {
                key: k.clone(),
                result: self.run(&label(k), job),
            })
            .collect()
    }

    /// [`Self::all`], each job started once the machine is quiet (at most
    /// [`QUIET_WAIT`](crate::crash_safe_ab::QUIET_WAIT) of waiting): for
    /// jobs compared with each other, which must not run beside what an
    /// earlier job (or anyone else) left busy. The progress line says when
    /// the wait gave up.
    fn all_quiet<K: Clone, T: FromOutput>(
        &mut self,
        jobs: &[(K, crate::job::Job)],
        label: impl Fn(&K) -> String,
    ) -> Vec<Measured<K, T>> {
        use crate::crash_safe_ab::{QUIET_CPUS, QUIET_WAIT};
        self.all(jobs, |k| {
            let busy = crate::machine_load::wait_quiet(QUIET_WAIT, QUIET_CPUS);
            match busy >= QUIET_CPUS {
                true => format!("{} (machine busy: {busy:.1} CPUs)", label(k)),
                false => label(k),
            }
        })
    }
}

/// Implements [`FromOutput`] for the output of `Output::$variant`.
macro_rules! output_kind {
    ($t:ty, $variant:ident, |$r:ident| $brief:expr) => {
        impl FromOutput for $t {
            fn from_output(o: Output) -> Option<Self> {
                match o {
                    Output::$variant(r) => Some(r),
                    _ => None,
                }
            }
            fn brief(&self) -> String {
                let $r = self;
                $brief
            }
        }
    };
}

output_kind!(ThroughputResult, Throughput, |r| {
    let lost: u64 = r.reps.iter().map(|x| x.file.missing()).sum();
    format!("{:.2} M lines/s, {lost} lost", r.lines_per_sec() / 1e6)
});
output_kind!(LatencyResult, Latency, |r| {
    let s = &r.summary;
    format!("p50 {} ns, p99.9 {} ns", s.p50_ns, s.p999_ns)
});
output_kind!(DeliveryResult, Delivery, |r| {
    format!(
        "p50 {:.0} µs, p99 {:.0} µs, {} missing",
        r.p50_ns as f64 / 1e3,
        r.p99_ns as f64 / 1e3,
        r.missing()
    )
});
output_kind!(BackpressureResult, Backpressure, |r| {
    format!("written {}, dropped {}", r.counts.written, r.counts.dropped)
});
output_kind!(PeerResult, Peer, |r| {
    let lost = r.lines_lost();
    let other = r.other.other_cpus + r.other.steal_cpus;
    format!(
        "{:.2} M lines/s, {lost} lost, {:.2} CPUs, beside {other:.1} CPUs of other load",
        r.lines_per_sec / 1e6,
        r.cpus_used()
    )
});
output_kind!(NetworkResult, Network, |r| {
    let (tcp, raw) = (median(&r.rates.tcp), median(&r.rates.raw_blast));
    format!("tcp {:.0} k/s vs raw {:.0} k/s", tcp / 1e3, raw / 1e3)
});
output_kind!(ThreadsResult, Threads, |r| format!(
    "{:.0} KiB per thread, churn {:.0} µs per thread",
    r.kib_per_thread(),
    r.churn_ns_per_thread / 1e3
));
output_kind!(u64, Idle, |kib| format!(
    "peak RSS {:.1} MiB",
    *kib as f64 / 1024.0
));
