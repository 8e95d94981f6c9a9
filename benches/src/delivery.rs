//! Delivery latency: from the log call to the line being readable in the
//! file, for a trickle of records and for bursts.
//!
//! The calling thread notes `Instant::now()` just before each call; a
//! watcher thread blocks on inotify (`IN_MODIFY`) for the log file, reads
//! what was appended and notes when each line became readable. The
//! difference is the record's delivery latency: the writer noticing the
//! record, formatting it and the write reaching the page cache, plus the
//! watcher's own wake-up. That last part is measured alone by the
//! [`Subject::DirectWrite`] rows, which `write(2)` the same lines to the
//! file from the calling thread: the floor of the method.

use crate::config::{EngineConfig, Route};
use crate::measure::percentile;
use crate::throughput::{remove, SHUTDOWN_TIMEOUT};
use crate::workload::{args, log_line, ID_MARKER, PATH_LATENCY, TARGET};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

/// How long the watcher waits for the last line before giving up.
const SETTLE: Duration = Duration::from_secs(5);
/// The watcher's longest block in `poll`, so it notices the end of a run.
const WATCH_POLL_MS: i32 = 50;

/// Who writes the lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Subject {
    /// The engine, as configured.
    Engine(EngineConfig),
    /// `write(2)` of each line from the calling thread: the method's floor.
    DirectWrite,
}

/// When records are logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Pattern {
    /// One record every `interval_us`, `records` in all.
    Trickle {
        /// Time between two calls, µs.
        interval_us: u64,
        /// Records logged.
        records: u64,
    },
    /// `bursts` bursts of `len` back-to-back records, `pause_us` after each.
    Burst {
        /// Records per burst.
        len: u64,
        /// Bursts.
        bursts: u64,
        /// Pause after a burst, µs.
        pause_us: u64,
    },
}

impl Pattern {
    /// Records logged in all.
    pub fn records(&self) -> u64 {
        match *self {
            Pattern::Trickle { records, .. } => records,
            Pattern::Burst { len, bursts, .. } => len * bursts,
        }
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Pattern::Trickle { interval_us, .. } => {
                write!(f, "one record every {} ms", interval_us as f64 / 1e3)
            }
            Pattern::Burst { len, pause_us, .. } => {
                write!(f, "bursts of {len}, {} ms apart", pause_us as f64 / 1e3)
            }
        }
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::Engine(cfg) => write!(f, "{}", cfg.route),
            Subject::DirectWrite => f.write_str("write(2) floor"),
        }
    }
}

/// The trickles and bursts of a run: `quick` is the smoke test's size.
pub fn patterns(quick: bool) -> Vec<Pattern> {
    let scale = |n: u64| if quick { (n / 10).max(10) } else { n };
    let mut v: Vec<Pattern> = [(100, 5_000), (1_000, 1_000), (10_000, 300), (60_000, 100)]
        .into_iter()
        .map(|(interval_us, n)| Pattern::Trickle {
            interval_us,
            records: scale(n),
        })
        .collect();
    v.push(Pattern::Burst {
        len: 100,
        bursts: scale(50),
        pause_us: 20_000,
    });
    v
}

/// Who writes the lines of the delivery rows, in table order: the floor,
/// then the engine with each async backend.
pub fn subjects() -> Vec<Subject> {
    let mut v = vec![Subject::DirectWrite];
    for route in [Route::AsyncPwrite, Route::AsyncIoUring] {
        v.push(Subject::Engine(EngineConfig::default_with(route)));
    }
    v
}

/// What a delivery row varies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DeliveryKey {
    /// Who writes.
    pub subject: Subject,
    /// When records are logged.
    pub pattern: Pattern,
}

/// What to run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryJob {
    /// Who writes.
    pub subject: Subject,
    /// When records are logged.
    pub pattern: Pattern,
    /// Directory for the log file.
    pub dir: PathBuf,
    /// Keep the log file.
    pub keep: bool,
}

/// What was measured, ns from the call to the line being readable.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DeliveryResult {
    /// Lines seen (each a sample).
    pub samples: u64,
    /// Records logged.
    pub logged: u64,
    /// Median.
    pub p50_ns: u64,
    /// 99th percentile.
    pub p99_ns: u64,
    /// Largest.
    pub max_ns: u64,
    /// `Logger::io_backend()` (empty for the floor).
    pub backend: String,
}

impl DeliveryResult {
    /// Lines logged that never became readable (within the settle time).
    pub fn missing(&self) -> u64 {
        self.logged - self.samples
    }
}

/// Runs `job` in this process.
pub fn run(job: &DeliveryJob) -> Result<DeliveryResult, String> {
    std::fs::create_dir_all(&job.dir).map_err(|e| format!("{}: {e}", job.dir.display()))?;
    let path = job.dir.join("delivery.log");
    let n = job.pattern.records();
    let mut out = Output::open(&job.subject, &path)?;
    let watcher = Watcher::start(&path, n)?;
    let mut sent = Vec::with_capacity(n as usize);
    pace(&job.pattern, |id| {
        sent.push(Instant::now());
        out.log(id)
    })
    .map_err(|e| format!("writing to {}: {e}", path.display()))?;
    let seen = watcher.finish();
    let backend = out.close()?;
    remove(&path, job.keep)?;
    let mut lat: Vec<u64> = seen
        .iter()
        .zip(&sent)
        .filter_map(|(s, t)| s.map(|s| s.saturating_duration_since(*t).as_nanos() as u64))
        .collect();
    lat.sort_unstable();
    Ok(DeliveryResult {
        samples: lat.len() as u64,
        logged: n,
        p50_ns: percentile(&lat, 0.5),
        p99_ns: percentile(&lat, 0.99),
        max_ns: lat.last().copied().unwrap_or(0),
        backend,
    })
}

/// Calls `log(id)` for every record of `p`, on its schedule (absolute
/// deadlines, so a late wake-up does not shift later records).
fn pace(p: &Pattern, mut log: impl FnMut(u64) -> io::Result<()>) -> io::Result<()> {
    let start = Instant::now();
    let mut id = 0;
    let (per_tick, ticks, gap) = match *p {
        Pattern::Trickle {
            interval_us,
            records,
        } => (1, records, interval_us),
        Pattern::Burst {
            len,
            bursts,
            pause_us,
        } => (len, bursts, pause_us),
    };
    for tick in 0..ticks {
        for _ in 0..per_tick {
            log(id)?;
            id += 1;
        }
        let next = start + Duration::from_micros(gap * (tick + 1));
        if let Some(wait) = next.checked_duration_since(Instant::now()) {
            thread::sleep(wait);
        }
    }
    Ok(())
}

/// The writing side: a logger or a plain file.
enum Output {
    Engine(uringlog::Logger, uringlog::WriterGuard),
    Direct(File, Vec<u8>),
}

impl Output {
    fn open(subject: &Subject, path: &Path) -> Result<Output, String> {
        match subject {
            Subject::Engine(cfg) => {
                let (logger, guard) = cfg.build(path)?;
                Ok(Output::Engine(logger, guard))
            }
            Subject::DirectWrite => OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map(|f| Output::Direct(f, Vec::with_capacity(256)))
                .map_err(|e| format!("{}: {e}", path.display())),
        }
    }

    fn log(&mut self, id: u64) -> io::Result<()> {
        match self {
            Output::Engine(logger, _) => {
                log_line(logger, id, PATH_LATENCY);
                Ok(())
            }
            Output::Direct(f, buf) => {
                let (user, status) = args(id);
                buf.clear();
                writeln!(
                    buf,
                    "INFO {TARGET}: request id={id} user={user} path={PATH_LATENCY} status={status}"
                )?;
                f.write_all(buf)
            }
        }
    }

    /// Shuts the logger down; its `io_backend()` text.
    fn close(self) -> Result<String, String> {
        match self {
            Output::Engine(logger, guard) => {
                let backend = logger.io_backend().to_string();
                guard
                    .shutdown(SHUTDOWN_TIMEOUT)
                    .map_err(|e| e.to_string())?;
                Ok(backend)
            }
            Output::Direct(..) => Ok(String::new()),
        }
    }
}

/// The thread that notes when each line becomes readable.
struct Watcher {
    stop: Arc<AtomicBool>,
    handle: thread::JoinHandle<Vec<Option<Instant>>>,
}

impl Watcher {
    /// Starts watching `path` (which exists) for lines with ids `0..n`;
    /// returns once the watch is in place.
    fn start(path: &Path, n: u64) -> Result<Watcher, String> {
        let inotify =
            watch_modify(path).map_err(|e| format!("inotify on {}: {e}", path.display()))?;
        let file = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let (ready_tx, ready_rx) = mpsc::channel();
        let handle = thread::Builder::new()
            .name("delivery-watcher".to_owned())
            .spawn(move || {
                let _ = ready_tx.send(());
                watch(&inotify, &file, n, &flag)
            })
            .map_err(|e| format!("spawning the watcher: {e}"))?;
        let _ = ready_rx.recv();
        Ok(Watcher { stop, handle })
    }

    /// Waits until every line was seen or [`SETTLE`] passed; when each was seen.
    fn finish(self) -> Vec<Option<Instant>> {
        let deadline = Instant::now() + SETTLE;
        while !self.handle.is_finished() && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(1));
        }
        // Relaxed: the watcher polls it; the join below synchronises.
        self.stop.store(true, Ordering::Relaxed);
        self.handle.join().unwrap_or_default()
    }
}

/// An inotify descriptor watching `path` for `IN_MODIFY`.
fn watch_modify(path: &Path) -> io::Result<OwnedFd> {
    // SAFETY: no pointer arguments; the result is checked.
    let fd = unsafe { libc::inotify_init1(libc::IN_CLOEXEC | libc::IN_NONBLOCK) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` is a fresh descriptor that nothing else owns.
    let owned = unsafe { OwnedFd::from_raw_fd(fd) };
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    // SAFETY: `c` is a valid NUL-terminated path for the call's duration.
    if unsafe { libc::inotify_add_watch(fd, c.as_ptr(), libc::IN_MODIFY) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(owned)
}

/// The watcher's loop: block for a modification, read what was appended,
/// note the time of every complete line.
fn watch(inotify: &OwnedFd, file: &File, n: u64, stop: &AtomicBool) -> Vec<Option<Instant>> {
    let mut seen: Vec<Option<Instant>> = vec![None; n as usize];
    let mut left = n;
    let (mut offset, mut pending) = (0u64, Vec::new());
    let mut buf = vec![0u8; 1 << 16];
    let mut events = [0u8; 4096];
    while left > 0 && !stop.load(Ordering::Relaxed) {
        let mut pfd = libc::pollfd {
            fd: inotify.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd for the call's duration.
        unsafe { libc::poll(&mut pfd, 1, WATCH_POLL_MS) };
        // SAFETY: `events` is writable for its length; the descriptor is
        // non-blocking, so this only empties the queue.
        unsafe { libc::read(pfd.fd, events.as_mut_ptr().cast(), events.len()) };
        loop {
            let got = file.read_at(&mut buf, offset).unwrap_or(0);
            if got == 0 {
                break;
            }
            let now = Instant::now();
            offset += got as u64;
            pending.extend_from_slice(&buf[..got]);
            let end = pending
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1);
            for line in pending[..end].split(|&b| b == b'\n') {
                if let Some(slot) = line_id(line).and_then(|id| seen.get_mut(id as usize)) {
                    if slot.is_none() {
                        *slot = Some(now);
                        left -= 1;
                    }
                }
            }
            pending.drain(..end);
        }
    }
    seen
}

/// The id of a workload line.
fn line_id(line: &[u8]) -> Option<u64> {
    let m = ID_MARKER.as_bytes();
    let at = line.windows(m.len()).position(|w| w == m)? + m.len();
    let digits = line[at..].iter().take_while(|b| b.is_ascii_digit()).count();
    std::str::from_utf8(&line[at..at + digits])
        .ok()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_floor_sees_every_line_it_writes() {
        let dir = tempfile::tempdir().unwrap();
        let job = DeliveryJob {
            subject: Subject::DirectWrite,
            pattern: Pattern::Burst {
                len: 20,
                bursts: 3,
                pause_us: 100,
            },
            dir: dir.path().to_path_buf(),
            keep: false,
        };
        let r = run(&job).unwrap();
        assert_eq!((r.logged, r.samples, r.missing()), (60, 60, 0));
        assert!(r.p50_ns <= r.p99_ns && r.p99_ns <= r.max_ns);
        assert_eq!(line_id(b"x request id=42 user=bob"), Some(42));
        assert_eq!(line_id(b"no id here"), None);
    }
}
