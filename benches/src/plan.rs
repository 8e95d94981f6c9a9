//! What the report measures: the run sizes and every job, keyed by what it
//! varies, before anything runs (so progress can say "7/36").

use crate::backpressure::BackpressureJob;
use crate::config::{EngineConfig, PolicyName, Route};
use crate::delivery::{self, DeliveryJob, DeliveryKey};
use crate::job::Job;
use crate::latency::LatencyJob;
use crate::network::NetworkJob;
use crate::peers::{PeerJob, PEERS};
use crate::rounds;
use crate::threads::{ThreadCase, ThreadsJob, CASES};
use crate::throughput::ThroughputJob;
use crate::timer::TimerChoice;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The sizes of a report run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sizes {
    /// The seed's run: calls in the small throughput rows.
    pub small: u64,
    /// Calls in the large throughput rows, the batch sweep and peers.
    pub large: u64,
    /// Timed repetitions of a small row (median reported).
    pub reps_small: usize,
    /// Timed repetitions of a large row (median reported).
    pub reps_large: usize,
    /// Producer threads of the scaling rows (beside one thread).
    pub threads: Vec<usize>,
    /// Interleaved rounds of the large rows (see `rounds`): each runs
    /// every thread count of every route once. 0 in results from before
    /// the rounds: `reps_large` repetitions of a job each then.
    #[serde(default)]
    pub rounds_large: usize,
    /// Latency bursts.
    pub bursts: usize,
    /// Calls per latency burst.
    pub burst_len: usize,
    /// Pause after each latency burst, µs.
    pub pause_us: u64,
    /// Fresh processes per async latency mode: the table's run and
    /// `latency_runs - 1` repeats (see [`Plan::latency_repeats`]). 0 in
    /// results from before the repeats.
    #[serde(default)]
    pub latency_runs: usize,
    /// The trickles and bursts of the delivery rows.
    pub delivery: Vec<delivery::Pattern>,
    /// Batch sizes of the sweep.
    pub batch_sizes: Vec<usize>,
    /// Calls in each backpressure run.
    pub backpressure_calls: u64,
    /// Whether the peers run.
    pub peers: bool,
    /// Runs of every logger of section 9, as interleaved rounds (see
    /// [`Plan::peers`]); the table shows the median over them. 0 in results
    /// from before the rounds: one run each then.
    #[serde(default)]
    pub peer_rounds: usize,
    /// Threads alive at once in the memory-per-thread runs (and churned).
    #[serde(default)]
    pub memory_threads: usize,
    /// Records per network-sink throughput measurement (section 10).
    #[serde(default)]
    pub network_records: u64,
    /// Interleaved rounds of the network section.
    #[serde(default)]
    pub network_rounds: usize,
}

impl Sizes {
    /// The full report (`quick == false`) or the smoke-test one.
    pub fn new(quick: bool, peers: bool) -> Sizes {
        Sizes {
            small: 1_000,
            large: if quick { 20_000 } else { 1_000_000 },
            reps_small: if quick { 3 } else { 15 },
            reps_large: if quick { 1 } else { 3 },
            threads: vec![2, 4],
            rounds_large: if quick { 1 } else { 6 },
            bursts: if quick { 20 } else { 200 },
            burst_len: if quick { 500 } else { 1_000 },
            pause_us: 3_000,
            latency_runs: if quick { 2 } else { 5 },
            delivery: delivery::patterns(quick),
            batch_sizes: batch_sizes(),
            backpressure_calls: 1_000,
            peers,
            peer_rounds: if quick { 1 } else { 3 },
            memory_threads: if quick { 50 } else { 1_000 },
            network_records: if quick { 5_000 } else { 200_000 },
            network_rounds: if quick { 1 } else { 5 },
        }
    }
}

/// The seed report's batch sizes plus the engine's default, ascending.
fn batch_sizes() -> Vec<usize> {
    let mut v = vec![1, 10, 50, 100, 500, crate::config::DEFAULT_BATCH_SIZE];
    v.sort_unstable();
    v.dedup();
    v
}

/// The routes of the throughput comparison, in table order: the engine's
/// async backends, its sync mode, and the fair synchronous baseline.
pub const ROUTES: [Route; 4] = [
    Route::AsyncIoUring,
    Route::AsyncPwrite,
    Route::Sync,
    Route::MutexBufWriter,
];
/// The routes of the latency comparison (the engine's only).
pub const LATENCY_ROUTES: [Route; 3] = [Route::AsyncIoUring, Route::AsyncPwrite, Route::Sync];
/// The latency modes run again in fresh processes: the async ones, whose
/// figures the goals judge.
pub const REPEATED_LATENCY_ROUTES: [Route; 2] = [Route::AsyncIoUring, Route::AsyncPwrite];

/// One repeat of a latency mode (run 1 is the table's, in
/// [`Plan::latency`]; repeats are 2 and up).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LatencyRun {
    /// The mode.
    pub route: Route,
    /// Which run, from 2.
    pub run: usize,
}

impl std::fmt::Display for LatencyRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}, run {}", self.route, self.run)
    }
}

/// One run of a logger of section 9.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerRun {
    /// One of [`PEERS`].
    pub name: &'static str,
    /// Which round, from 0.
    pub round: usize,
}

impl std::fmt::Display for PeerRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}, round {}", self.name, self.round + 1)
    }
}

/// The policies of the backpressure comparison, in table order.
pub const POLICIES: [PolicyName; 3] = [
    PolicyName::Block,
    PolicyName::DropOldest,
    PolicyName::DropNewest,
];

/// What a throughput row varies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThroughputKey {
    /// Async backend or sync.
    pub route: Route,
    /// Calls.
    pub count: u64,
    /// Producer threads.
    pub threads: usize,
}

/// Every job of a report, keyed.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Section 1 (and 3, 6, 7); the large rows once per round.
    pub throughput: Vec<(ThroughputKey, Job)>,
    /// Section 2.
    pub latency: Vec<(Route, Job)>,
    /// Section 2: the async modes again, each in fresh processes, run by
    /// run (every mode's second run, then every mode's third, ...), so
    /// that the figures can be given as a median over processes: one run's
    /// p99.9 rests on its first calls after a pause, which the machine
    /// makes slow or fast for a whole process.
    pub latency_repeats: Vec<(LatencyRun, Job)>,
    /// Section 2, delivery latency.
    pub delivery: Vec<(DeliveryKey, Job)>,
    /// Section 3: a process that does not log.
    pub idle: Job,
    /// Section 3: the one-producer throughput job's harness, nothing logged.
    pub harness: Job,
    /// Section 3: memory per thread, by policy.
    pub threads: Vec<(ThreadCase, Job)>,
    /// Section 4.
    pub batch: Vec<(usize, Job)>,
    /// Section 5.
    pub backpressure: Vec<(PolicyName, Job)>,
    /// Section 9: every logger once per round, each run a fresh process,
    /// the order rotating from round to round (every logger in
    /// [`PEERS`]' order; then starting at the second; …), so that a machine
    /// whose speed drifts during the section weighs on every logger alike.
    pub peers: Vec<(PeerRun, Job)>,
    /// Section 9: crash-safe beside normal, interleaved pairs.
    pub crash_safe_ab: Vec<(crate::crash_safe_ab::AbKey, Job)>,
    /// Section 10.
    pub network: Job,
}

impl Plan {
    /// Every job for `sizes`, each writing into its own directory under `dir`.
    pub fn new(sizes: &Sizes, dir: &Path, keep: bool) -> Plan {
        let mut n = 0;
        let mut sub = |what: &str| {
            n += 1;
            dir.join(format!("{n:02}-{what}"))
        };
        let mut runs = Vec::new();
        for route in ROUTES {
            let key = ThroughputKey {
                route,
                count: sizes.small,
                threads: 1,
            };
            let cfg = EngineConfig::default_with(route);
            let job = throughput(
                cfg,
                sizes.small,
                1,
                sizes.reps_small,
                sub("throughput"),
                keep,
            );
            runs.push((key, job));
        }
        // The large rows in interleaved rounds, one repetition a job (see
        // `rounds`); `suite::run` folds them into one row per key.
        let counts: Vec<usize> = std::iter::once(1)
            .chain(sizes.threads.iter().copied())
            .collect();
        for round in 0..sizes.rounds_large.max(1) {
            for route in ROUTES {
                for threads in rounds::order(&counts, round) {
                    let key = ThroughputKey {
                        route,
                        count: sizes.large,
                        threads,
                    };
                    let cfg = EngineConfig::default_with(route);
                    let job = throughput(cfg, sizes.large, threads, 1, sub("throughput"), keep);
                    runs.push((key, job));
                }
            }
        }
        let harness = match throughput(
            EngineConfig::default_with(Route::AsyncPwrite),
            sizes.large,
            1,
            1,
            sub("harness"),
            keep,
        ) {
            Job::Throughput(j) => Job::HarnessOnly(j),
            other => other,
        };
        let latency = LATENCY_ROUTES
            .iter()
            .map(|&route| (route, latency_job(sizes, route, sub("latency"), keep)))
            .collect();
        let mut latency_repeats = Vec::new();
        for run in 2..=sizes.latency_runs {
            for route in REPEATED_LATENCY_ROUTES {
                let job = latency_job(sizes, route, sub("latency"), keep);
                latency_repeats.push((LatencyRun { route, run }, job));
            }
        }
        let delivery = delivery_jobs(&sizes.delivery, &mut sub, keep);
        let threads = CASES
            .iter()
            .map(|&case| {
                let job = Job::Threads(ThreadsJob {
                    case,
                    threads: sizes.memory_threads,
                    dir: sub("threads"),
                    keep,
                });
                (case, job)
            })
            .collect();
        let batch = sizes
            .batch_sizes
            .iter()
            .map(|&b| {
                let mut cfg = EngineConfig::default_with(Route::AsyncAuto);
                cfg.batch_size = b;
                let job = throughput(cfg, sizes.large, 1, sizes.reps_large, sub("batch"), keep);
                (b, job)
            })
            .collect();
        let backpressure = POLICIES
            .iter()
            .map(|&p| {
                let j = BackpressureJob::new(p, sizes.backpressure_calls, sub("policy"), keep);
                (p, Job::Backpressure(j))
            })
            .collect();
        let mut peers = Vec::new();
        let peer_rounds = if sizes.peers {
            sizes.peer_rounds.max(1)
        } else {
            0
        };
        for round in 0..peer_rounds {
            for name in rounds::order(PEERS, round) {
                let job = peer(name, sizes.large, sub(name), keep);
                peers.push((PeerRun { name, round }, job));
            }
        }
        let crash_safe_ab = match sizes.peers {
            false => Vec::new(),
            true => crate::crash_safe_ab::jobs(
                crate::crash_safe_ab::PAIRS,
                sizes.large,
                &mut sub,
                keep,
                true,
            ),
        };
        let network = Job::Network(NetworkJob {
            records: sizes.network_records,
            rounds: sizes.network_rounds,
            bursts: sizes.bursts,
            burst_len: sizes.burst_len,
            pause_us: sizes.pause_us,
            dir: sub("network"),
        });
        Plan {
            throughput: runs,
            latency,
            latency_repeats,
            delivery,
            idle: Job::Idle,
            harness,
            threads,
            batch,
            backpressure,
            peers,
            crash_safe_ab,
            network,
        }
    }

    /// Jobs in all.
    pub fn len(&self) -> usize {
        let p = self;
        p.throughput.len()
            + p.latency.len()
            + p.latency_repeats.len()
            + p.delivery.len()
            + 2
            + p.threads.len()
            + p.batch.len()
            + p.backpressure.len()
            + p.peers.len()
            + p.crash_safe_ab.len()
            + 1
    }

    /// Never: a plan has at least the idle job.
    pub fn is_empty(&self) -> bool {
        false
    }
}

/// The delivery jobs: every writer of [`delivery::subjects`] with every
/// pattern, each in a directory from `dir`.
pub fn delivery_jobs(
    patterns: &[delivery::Pattern],
    dir: &mut dyn FnMut(&str) -> PathBuf,
    keep: bool,
) -> Vec<(DeliveryKey, Job)> {
    let mut jobs = Vec::new();
    for subject in delivery::subjects() {
        for &pattern in patterns {
            let job = Job::Delivery(DeliveryJob {
                subject,
                pattern,
                dir: dir("delivery"),
                keep,
            });
            jobs.push((DeliveryKey { subject, pattern }, job));
        }
    }
    jobs
}

/// A throughput job with a warm-up repetition.
pub fn throughput(
    cfg: EngineConfig,
    count: u64,
    threads: usize,
    reps: usize,
    dir: PathBuf,
    keep: bool,
) -> Job {
    Job::Throughput(ThroughputJob {
        cfg,
        count,
        threads,
        reps,
        warmup: true,
        dir,
        keep,
    })
}

fn latency_job(sizes: &Sizes, route: Route, dir: PathBuf, keep: bool) -> Job {
    Job::Latency(LatencyJob {
        cfg: EngineConfig::default_with(route),
        bursts: sizes.bursts,
        burst_len: sizes.burst_len,
        pause_us: sizes.pause_us,
        dir,
        keep,
        timer: TimerChoice::Auto,
    })
}

fn peer(name: &str, count: u64, dir: PathBuf, keep: bool) -> Job {
    Job::Peer(PeerJob {
        name: name.to_owned(),
        count,
        dir,
        keep,
        timer: TimerChoice::Auto,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_repeats_run_mode_by_mode_each_in_a_directory_of_its_own() {
        let mut sizes = Sizes::new(true, false);
        sizes.latency_runs = 4;
        let plan = Plan::new(&sizes, Path::new("/nonexistent"), false);
        let keys: Vec<String> = plan
            .latency_repeats
            .iter()
            .map(|(k, _)| k.to_string())
            .collect();
        assert_eq!(
            keys,
            [
                "async io_uring, run 2",
                "async pwrite, run 2",
                "async io_uring, run 3",
                "async pwrite, run 3",
                "async io_uring, run 4",
                "async pwrite, run 4",
            ]
        );
        let jobs = plan.latency.iter().map(|(_, j)| j);
        let mut dirs: Vec<PathBuf> = (jobs.chain(plan.latency_repeats.iter().map(|(_, j)| j)))
            .map(|j| match j {
                Job::Latency(l) => l.dir.clone(),
                other => panic!("not a latency job: {other:?}"),
            })
            .collect();
        let n = dirs.len();
        dirs.sort();
        dirs.dedup();
        assert_eq!((n, dirs.len()), (3 + 6, 9));
        // One run: the table's only, as results from before the repeats.
        sizes.latency_runs = 1;
        assert!(Plan::new(&sizes, Path::new("/x"), false)
            .latency_repeats
            .is_empty());
    }

    #[test]
    fn peers_run_in_rotating_rounds_each_in_a_directory_of_its_own() {
        let mut sizes = Sizes::new(false, true);
        assert_eq!(sizes.peer_rounds, 3);
        assert_eq!(Sizes::new(true, true).peer_rounds, 1);
        sizes.peer_rounds = 2;
        let plan = Plan::new(&sizes, Path::new("/nonexistent"), false);
        let n = PEERS.len();
        assert_eq!(plan.peers.len(), 2 * n);
        let names = |round: usize| -> Vec<&str> {
            let runs = &plan.peers[round * n..(round + 1) * n];
            assert!(runs.iter().all(|(k, _)| k.round == round));
            runs.iter().map(|(k, _)| k.name).collect()
        };
        assert_eq!(names(0), PEERS);
        let mut second = PEERS[1..].to_vec();
        second.push(PEERS[0]);
        assert_eq!(names(1), second);
        assert_eq!(
            plan.peers[n].0.to_string(),
            format!("{}, round 2", PEERS[1])
        );
        let mut dirs: Vec<PathBuf> = (plan.peers.iter())
            .map(|(_, j)| match j {
                Job::Peer(p) => p.dir.clone(),
                other => panic!("not a peer job: {other:?}"),
            })
            .collect();
        dirs.sort();
        dirs.dedup();
        assert_eq!(dirs.len(), 2 * n);
        // Without peers, no rounds.
        assert!(Plan::new(&Sizes::new(true, false), Path::new("/x"), false)
            .peers
            .is_empty());
    }
}
