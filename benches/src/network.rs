//! Network sinks: records/s from one producer to a real rsyslogd on
//! loopback over TCP and RELP, beside the file sink, against rsyslogd's own
//! intake (a raw blast of pre-framed messages over TCP), and the caller's
//! latency while the receiver is down.
//!
//! Everything runs in one child process with one rsyslogd (imtcp and
//! imrelp into one file, its ruleset queue direct: a record is in the file
//! before imtcp reads the next or imrelp acknowledges it). Rounds are
//! interleaved — blast, TCP, RELP, file, then again — and each figure is
//! the median of the rounds with the spread beside it, so the ratios come
//! from the same minutes of a shared machine. A rate is end to end: from
//! the first call (or byte) until the receiver's file holds every record
//! (for the file sink: until shutdown wrote it).

use crate::measure::{median, LatencySummary};
use crate::throughput::{Counts, SHUTDOWN_TIMEOUT};
use crate::timer::{CallTimer, TimerChoice, TimerKind};
use crate::workload::{args, log_line, PATH_LATENCY, PATH_THROUGHPUT};
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use uringlog::{Logger, Policy, Sink, WriterGuard};
use uringlog_sinks::{FileSink, SyslogSink};
use uringlog_tests::rsyslog::{free_port, Rsyslog};

/// Longest wait for rsyslogd to write what it was sent.
const ARRIVAL_TIMEOUT: Duration = Duration::from_secs(120);

/// What to run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetworkJob {
    /// Records per throughput measurement.
    pub records: u64,
    /// Interleaved rounds.
    pub rounds: usize,
    /// Latency bursts (per case).
    pub bursts: usize,
    /// Calls per burst.
    pub burst_len: usize,
    /// Pause after each burst, µs.
    pub pause_us: u64,
    /// Directory for the file sink's file.
    pub dir: PathBuf,
}

/// Records/s of each way, one entry per round.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Rates {
    /// Pre-framed messages written to imtcp by a plain blocking socket.
    pub raw_blast: Vec<f64>,
    /// `SyslogSink::tcp`.
    pub tcp: Vec<f64>,
    /// `SyslogSink::relp`.
    pub relp: Vec<f64>,
    /// `FileSink`.
    pub file: Vec<f64>,
}

/// What was measured.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NetworkResult {
    /// Records per throughput measurement.
    pub records: u64,
    /// Rates per round.
    pub rates: Rates,
    /// Caller-side latency: file sink, syslog TCP with the receiver up,
    /// syslog TCP with nobody listening (all `DropNewest`).
    pub latency: Vec<(String, LatencySummary)>,
    /// The timer the latency was taken with.
    #[serde(default)]
    pub timer: TimerKind,
    /// Median cost of that timer around an empty call (included above), ns.
    #[serde(default)]
    pub timing_overhead_ns: u64,
    /// Counters of the last TCP and RELP runs and of the receiver-down run.
    pub counts: Vec<(String, Counts)>,
    /// `rsyslogd -v`, first line.
    pub rsyslogd: String,
}

impl NetworkResult {
    /// Median of `v` and its spread as (min, max).
    pub fn summary(v: &[f64]) -> (f64, f64, f64) {
        let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = v.iter().copied().fold(0.0, f64::max);
        (median(v), lo, hi)
    }
}

/// Runs `job` in this process.
pub fn run(job: &NetworkJob) -> Result<NetworkResult, String> {
    std::fs::create_dir_all(&job.dir).map_err(|e| format!("{}: {e}", job.dir.display()))?;
    let rs = Rsyslog::try_start()?;
    let mut out = Arrivals::open(&rs.out_path())?;
    let mut r = NetworkResult {
        records: job.records,
        rsyslogd: rsyslogd_version(),
        ..NetworkResult::default()
    };
    let n = job.records;
    for round in 0..job.rounds {
        r.rates.raw_blast.push(raw_blast(&rs, &mut out, n)?);
        let tcp = SyslogSink::tcp(("127.0.0.1", rs.tcp_port)).map_err(|e| e.to_string())?;
        let (rate, counts) = through_syslog(tcp, &mut out, n)?;
        r.rates.tcp.push(rate);
        let relp = SyslogSink::relp(("127.0.0.1", rs.relp_port)).map_err(|e| e.to_string())?;
        let (rate_relp, counts_relp) = through_syslog(relp, &mut out, n)?;
        r.rates.relp.push(rate_relp);
        r.rates.file.push(through_file(&job.dir, n, round)?);
        if round + 1 == job.rounds {
            r.counts = vec![("tcp".to_owned(), counts), ("relp".to_owned(), counts_relp)];
        }
    }
    let timer = CallTimer::new(TimerChoice::Auto);
    (r.timer, r.timing_overhead_ns) = (timer.kind(), timer.overhead_ns());
    let file = FileSink::new(job.dir.join("latency.log")).map_err(|e| e.to_string())?;
    r.latency
        .push(("file sink".to_owned(), latency(job, &timer, file)?.0));
    let up = SyslogSink::tcp(("127.0.0.1", rs.tcp_port)).map_err(|e| e.to_string())?;
    r.latency.push((
        "syslog tcp, receiver up".to_owned(),
        latency(job, &timer, up)?.0,
    ));
    let nobody = SyslogSink::tcp(("127.0.0.1", free_port())).map_err(|e| e.to_string())?;
    let (down, counts) = latency(job, &timer, nobody)?;
    r.latency
        .push(("syslog tcp, receiver down".to_owned(), down));
    r.counts.push(("tcp, receiver down".to_owned(), counts));
    let _ = std::fs::remove_file(job.dir.join("latency.log"));
    Ok(r)
}

/// Counts the lines rsyslogd appends to its output file.
struct Arrivals {
    file: File,
    lines: u64,
}

impl Arrivals {
    fn open(path: &Path) -> Result<Arrivals, String> {
        // rsyslogd creates the file on its first message: make it first.
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(path)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(Arrivals { file, lines: 0 })
    }

    /// Waits until `more` lines beyond those counted so far have arrived.
    fn wait(&mut self, more: u64) -> Result<(), String> {
        let want = self.lines + more;
        let deadline = Instant::now() + ARRIVAL_TIMEOUT;
        let mut buf = vec![0u8; 1 << 20];
        while self.lines < want {
            let n = self.file.read(&mut buf).map_err(|e| e.to_string())?;
            self.lines += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
            if n == 0 {
                if Instant::now() > deadline {
                    return Err(format!("rsyslogd wrote {} of {want} lines", self.lines));
                }
                std::thread::sleep(Duration::from_micros(200));
            }
        }
        Ok(())
    }

    /// Skips what is in the file now.
    fn skip_to_end(&mut self) -> Result<(), String> {
        self.file
            .seek(SeekFrom::End(0))
            .map_err(|e| e.to_string())?;
        Ok(())
    }
}

/// rsyslogd's intake: `n` pre-framed workload messages from a blocking
/// socket as fast as it takes them, until all are in its file.
fn raw_blast(rs: &Rsyslog, out: &mut Arrivals, n: u64) -> Result<f64, String> {
    let mut frames = Vec::with_capacity(n as usize * 120);
    for id in 0..n {
        let (user, status) = args(id);
        let msg = format!(
            "<14>1 2026-11-28T04:56:49.123456Z host bench 1 - - request id={id} user={user} path={PATH_THROUGHPUT} status={status}"
        );
        frames.extend_from_slice(format!("{} {msg}", msg.len()).as_bytes());
    }
    let mut s = TcpStream::connect(("127.0.0.1", rs.tcp_port)).map_err(|e| e.to_string())?;
    let t = Instant::now();
    s.write_all(&frames).map_err(|e| e.to_string())?;
    out.wait(n)?;
    Ok(n as f64 / t.elapsed().as_secs_f64())
}

/// One producer logs `n` records through `sink` until all are in rsyslogd's file.
fn through_syslog(sink: SyslogSink, out: &mut Arrivals, n: u64) -> Result<(f64, Counts), String> {
    let (logger, guard) = build(sink, Policy::Block)?;
    let t = Instant::now();
    for id in 0..n {
        log_line(&logger, id, PATH_THROUGHPUT);
    }
    out.wait(n)?;
    let rate = n as f64 / t.elapsed().as_secs_f64();
    let stats = guard
        .shutdown(SHUTDOWN_TIMEOUT)
        .map_err(|e| e.to_string())?;
    out.skip_to_end()?;
    Ok((rate, stats.into()))
}

/// One producer logs `n` records to a file, until shutdown wrote them.
fn through_file(dir: &Path, n: u64, round: usize) -> Result<f64, String> {
    let path = dir.join(format!("file-{round}.log"));
    let sink = FileSink::new(&path).map_err(|e| e.to_string())?;
    let (logger, guard) = build(sink, Policy::Block)?;
    let t = Instant::now();
    for id in 0..n {
        log_line(&logger, id, PATH_THROUGHPUT);
    }
    guard
        .shutdown(SHUTDOWN_TIMEOUT)
        .map_err(|e| e.to_string())?;
    let rate = n as f64 / t.elapsed().as_secs_f64();
    let _ = std::fs::remove_file(&path);
    Ok(rate)
}

fn build(sink: impl Sink, policy: Policy) -> Result<(Logger, WriterGuard), String> {
    Logger::builder()
        .sink(sink)
        .policy(policy)
        .build()
        .map_err(|e| e.to_string())
}

/// Caller-side latency of bursts through `sink` under `DropNewest`.
fn latency(
    job: &NetworkJob,
    timer: &CallTimer,
    sink: impl Sink,
) -> Result<(LatencySummary, Counts), String> {
    let (logger, guard) = build(sink, Policy::DropNewest)?;
    let mut lat = Vec::with_capacity(job.bursts * job.burst_len);
    let mut id = 0;
    for _ in 0..job.bursts {
        for _ in 0..job.burst_len {
            lat.push(timer.time(|| log_line(&logger, id, PATH_LATENCY)));
            id += 1;
        }
        std::thread::sleep(Duration::from_micros(job.pause_us));
    }
    let stats = guard
        .shutdown(Duration::from_secs(2))
        .map_err(|e| e.to_string())?;
    Ok((LatencySummary::from_samples(&mut lat), stats.into()))
}

fn rsyslogd_version() -> String {
    let out = std::process::Command::new(uringlog_tests::rsyslog::rsyslogd())
        .arg("-v")
        .output();
    match out {
        Ok(o) => {
            let text = String::from_utf8_lossy(&o.stdout);
            let first = text.lines().next().unwrap_or("");
            let name = first.split(" compiled").next().unwrap_or(first);
            name.split_whitespace().collect::<Vec<_>>().join(" ")
        }
        Err(e) => format!("unknown ({e})"),
    }
}
