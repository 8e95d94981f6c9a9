//! Jobs: one measurement, run in a child process of its own so that its
//! peak memory is its own and process-global loggers cannot collide.
//!
//! The parent re-invokes this executable as `<exe> child '<job as JSON>'`;
//! the child runs the job and prints its outcome as the last line of stdout
//! (`{"Ok": …}` or `{"Err": "…"}`), and the parent parses it back.

use crate::backpressure::{self, BackpressureJob, BackpressureResult};
use crate::delivery::{self, DeliveryJob, DeliveryResult};
use crate::latency::{self, LatencyJob, LatencyResult};
use crate::measure::peak_rss_kib;
use crate::network::{self, NetworkJob, NetworkResult};
use crate::peers::{self, PeerJob, PeerResult};
use crate::threads::{self, ThreadsJob, ThreadsResult};
use crate::throughput::{self, ThroughputJob, ThroughputResult};
use serde::{Deserialize, Serialize};
use std::io::Read;
use std::process::{Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// A child that has not finished after this long is killed.
pub const CHILD_TIMEOUT: Duration = Duration::from_secs(600);

/// The subcommand a child runs under.
pub const CHILD_SUBCOMMAND: &str = "child";

/// One measurement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Job {
    /// See [`throughput::run`].
    Throughput(ThroughputJob),
    /// See [`latency::run`].
    Latency(LatencyJob),
    /// See [`delivery::run`].
    Delivery(DeliveryJob),
    /// See [`backpressure::run`].
    Backpressure(BackpressureJob),
    /// See [`peers::run`].
    Peer(PeerJob),
    /// See [`network::run`].
    Network(NetworkJob),
    /// See [`threads::run`].
    Threads(ThreadsJob),
    /// Nothing: the memory of a process that does not log.
    Idle,
    /// See [`throughput::harness_only`]: a throughput job's harness with
    /// nothing logged (its output is an [`Output::Idle`]).
    HarnessOnly(ThroughputJob),
}

/// What a job measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Output {
    /// From [`Job::Throughput`].
    Throughput(ThroughputResult),
    /// From [`Job::Latency`].
    Latency(LatencyResult),
    /// From [`Job::Delivery`].
    Delivery(DeliveryResult),
    /// From [`Job::Backpressure`].
    Backpressure(BackpressureResult),
    /// From [`Job::Peer`].
    Peer(PeerResult),
    /// From [`Job::Network`].
    Network(NetworkResult),
    /// From [`Job::Threads`].
    Threads(ThreadsResult),
    /// From [`Job::Idle`] and [`Job::HarnessOnly`]: peak RSS, KiB.
    Idle(u64),
}

/// A job's outcome: its output, or why it could not run (a `BuildError`'s
/// text, an I/O error, a child that crashed).
pub type Outcome = Result<Output, String>;

/// Runs `job` in this process.
pub fn execute(job: &Job) -> Outcome {
    match job {
        Job::Throughput(j) => throughput::run(j).map(Output::Throughput),
        Job::Latency(j) => latency::run(j).map(Output::Latency),
        Job::Delivery(j) => delivery::run(j).map(Output::Delivery),
        Job::Backpressure(j) => backpressure::run(j).map(Output::Backpressure),
        Job::Peer(j) => peers::run(j).map(Output::Peer),
        Job::Network(j) => network::run(j).map(Output::Network),
        Job::Threads(j) => threads::run(j).map(Output::Threads),
        Job::Idle => Ok(Output::Idle(peak_rss_kib())),
        Job::HarnessOnly(j) => throughput::harness_only(j).map(Output::Idle),
    }
}

/// Entry point of `<exe> child '<json>'`: runs the job, prints the outcome
/// as one JSON line, returns the exit code.
pub fn child_main(json: &str) -> i32 {
    let outcome = match serde_json::from_str::<Job>(json) {
        Ok(job) => execute(&job),
        Err(e) => Err(format!("bad job description: {e}")),
    };
    match serde_json::to_string(&outcome) {
        Ok(line) => {
            println!("{line}");
            0
        }
        Err(e) => {
            eprintln!("cannot serialize the outcome: {e}");
            1
        }
    }
}

/// Runs `job` in a child process of this executable and returns its outcome.
/// A child that fails, crashes, times out or prints no outcome gives `Err`,
/// even when it printed a result line before it failed.
pub fn run_in_child(job: &Job) -> Outcome {
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let json = serde_json::to_string(job).map_err(|e| e.to_string())?;
    let mut child = Command::new(exe)
        .arg(CHILD_SUBCOMMAND)
        .arg(json)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("spawning a child: {e}"))?;
    let out = drain(child.stdout.take());
    let err = drain(child.stderr.take());
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if start.elapsed() > CHILD_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("timed out after {} s", CHILD_TIMEOUT.as_secs()));
            }
            Ok(None) => thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(format!("waiting for a child: {e}")),
        }
    };
    let out = out.join().unwrap_or_default();
    let err = err.join().unwrap_or_default();
    outcome_of(status, &out, &err)
}

/// A child's outcome from its exit status and output: the result line
/// (the last stdout line that starts with `{`) counts only when the child
/// also exited successfully; otherwise the status and the end of stderr.
pub fn outcome_of(status: ExitStatus, stdout: &str, stderr: &str) -> Outcome {
    let tail = || {
        let t: Vec<&str> = stderr.lines().rev().take(3).collect();
        t.into_iter().rev().collect::<Vec<_>>().join(" / ")
    };
    if !status.success() {
        let after = match stdout.lines().any(|l| l.trim_start().starts_with('{')) {
            true => " after printing its result",
            false => "",
        };
        return Err(format!("child exited with {status}{after}: {}", tail()));
    }
    let last = stdout
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with('{'));
    match last.map(serde_json::from_str::<Outcome>) {
        Some(Ok(outcome)) => outcome,
        Some(Err(e)) => Err(format!("unreadable child output: {e}")),
        None => Err(format!(
            "child exited with {status} and printed no result: {}",
            tail()
        )),
    }
}

fn drain<R: Read + Send + 'static>(pipe: Option<R>) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(mut p) = pipe {
            let _ = p.read_to_end(&mut buf);
        }
        String::from_utf8_lossy(&buf).into_owned()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::ExitStatusExt;

    const LINE: &str = r#"{"Ok":{"Idle":2048}}"#;

    #[test]
    fn a_result_counts_only_with_a_successful_exit() {
        let ok = ExitStatus::from_raw(0);
        assert_eq!(outcome_of(ok, LINE, ""), Ok(Output::Idle(2048)));
        let failed = ExitStatus::from_raw(3 << 8); // exit code 3
        assert_eq!(
            outcome_of(failed, &format!("progress\n{LINE}\n"), "a\nb\nc\nd\n"),
            Err("child exited with exit status: 3 after printing its result: b / c / d".to_owned())
        );
        let killed = ExitStatus::from_raw(libc::SIGSEGV);
        let e = outcome_of(killed, LINE, "").unwrap_err();
        assert!(e.starts_with("child exited with signal: 11"), "{e}");
        assert!(outcome_of(ok, "no result", "why")
            .unwrap_err()
            .ends_with("printed no result: why"));
    }
}
