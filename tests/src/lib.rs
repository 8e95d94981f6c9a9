//! Shared helpers for the integration tests.

pub mod alloc_count;
pub mod crash_child;
pub mod failing_start;
pub mod forking_builds;
pub mod holding;
pub mod pipe;
pub mod pty;
pub mod records;
pub mod relp;
pub mod signals;
mod skip;
pub mod storms;
pub mod text_line;
mod tmpfs;

pub use skip::{skip, Needs};
pub use tmpfs::Tmpfs;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};

pub mod rsyslog;

/// Parses lines of the form `... t=<thread> seq=<n>` into per-thread sequences.
pub fn sequences(lines: &[String]) -> HashMap<u64, Vec<u64>> {
    let mut m: HashMap<u64, Vec<u64>> = HashMap::new();
    for l in lines {
        let t = field(l, "t=");
        let s = field(l, "seq=");
        if let (Some(t), Some(s)) = (t, s) {
            m.entry(t).or_default().push(s);
        }
    }
    m
}

/// The number after `key` in `line`.
pub fn field(line: &str, key: &str) -> Option<u64> {
    let i = line.find(key)? + key.len();
    let rest = &line[i..];
    let end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

/// The message of `line` when it is one whole record of the default text
/// format (a timestamp, the level, the target, the message; checked by
/// [`text_line::parse`]); `None` for anything else, such as a record's
/// start followed by a whole record, which a check of the line's end
/// alone would take for that record.
pub fn whole_record_message(line: &str) -> Option<String> {
    let shape = text_line::Shape {
        timestamp: true,
        thread: false,
        target: true,
    };
    let parsed = text_line::parse(line, shape).ok()?;
    String::from_utf8(parsed.message).ok()
}

/// Padding of record `seq` of a full-disk test: 40 to 92 bytes, varied
/// so that batches end mid-page.
pub fn varied_pad(seq: u64) -> String {
    "r".repeat(40 + (seq * 29 % 53) as usize)
}

/// The line `uringlog::info!(logger, "seq={} {}", seq, varied_pad(seq))`
/// leaves in text without timestamp and target.
pub fn varied_line(seq: u64) -> String {
    format!("INFO  seq={seq} {}", varied_pad(seq))
}

/// Whether `v` is strictly increasing.
pub fn strictly_increasing(v: &[u64]) -> bool {
    v.windows(2).all(|w| w[0] < w[1])
}

/// A fresh temporary directory and a log path inside it.
pub fn temp_log(name: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(name);
    (dir, path)
}

/// The lines of a file, without newlines.
pub fn read_lines(path: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
        .lines()
        .map(str::to_owned)
        .collect()
}

/// A generous timeout for shutdown in tests (never reached unless broken).
pub const SHUTDOWN: std::time::Duration = std::time::Duration::from_secs(60);

/// Far longer than anything a test waits for takes: a wait that reaches it
/// is a lost wake-up (or a hang), not slowness.
pub const WATCHDOG: std::time::Duration = std::time::Duration::from_secs(20);

/// Polls `done` until it holds; panics with `what` after [`WATCHDOG`].
/// For waiting on the writer without a flush (which would wake it).
pub fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let started = std::time::Instant::now();
    while !done() {
        assert!(started.elapsed() < WATCHDOG, "{what} (after {WATCHDOG:?})");
        std::thread::sleep(std::time::Duration::from_micros(100));
    }
}

/// Sets this process's file size limit (`RLIMIT_FSIZE`'s soft limit, at
/// most the hard one; `RLIM_INFINITY` lifts it again): with `SIGXFSZ`
/// ignored, a write past it fails with `EFBIG`, as on a full disk.
pub fn set_fsize(bytes: libc::rlim_t) {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain system calls on a local struct.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_FSIZE, &mut lim), 0);
        lim.rlim_cur = bytes.min(lim.rlim_max);
        assert_eq!(libc::setrlimit(libc::RLIMIT_FSIZE, &lim), 0);
    }
}

/// Waits for the forked child `pid` to exit and returns its exit status;
/// kills it and panics with `hung` after [`WATCHDOG`], and panics if a
/// signal ended it.
pub fn wait_child(pid: libc::pid_t, hung: &str) -> i32 {
    let started = std::time::Instant::now();
    loop {
        let mut status = 0;
        // SAFETY: `status` is a valid out-pointer; `pid` is our child.
        let r = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if r == pid {
            assert!(libc::WIFEXITED(status), "child died: status {status:#x}");
            return libc::WEXITSTATUS(status);
        }
        if started.elapsed() > WATCHDOG {
            // SAFETY: signals our own child.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            panic!("{hung}");
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
}

/// Checks the wake books after `records` records were each logged into a
/// sleeping writer (`Logger::writer_sleeping`: registered and past its
/// re-check), from `(registrations, wake-up syscalls)` of
/// `Logger::writer_wake_counts`. With `Backend::Pwrite` the writer's futex
/// sleep ends only on a notify, so each record pays exactly one wake-up.
/// With io_uring the sleep in `io_uring_enter` also ends on any completion
/// of the ring's: a writer woken so just as a record lands withdraws before
/// the notify claims it, and that record needs none (seen: 149 of 150).
pub fn assert_one_wake_up_per_record(
    counts: (u64, u64),
    records: u64,
    backend: uringlog::Backend,
    what: &str,
) {
    let (waits, wakes) = counts;
    assert!(
        waits >= records,
        "{what}: {waits} registrations for {records} records, each logged into a sleeping writer"
    );
    if backend == uringlog::Backend::Pwrite {
        assert_eq!(
            wakes, records,
            "{what}: one wake-up per record into a sleeping writer"
        );
    } else {
        assert!(
            (1..=records).contains(&wakes),
            "{what}: {wakes} wake-ups for {records} records into a sleeping writer"
        );
    }
    assert!(
        wakes <= waits,
        "{what}: {wakes} wake-ups for {waits} sleeps"
    );
}

/// `FS_APPEND_FL` of `linux/fs.h`.
const APPEND_ONLY: libc::c_long = 0x20;

/// Sets (`on`) or clears the append-only attribute (`chattr +a`) of the
/// file or directory at `path`: a file then opens only with `O_APPEND`; a
/// directory takes new entries but none is renamed or removed. Needs root
/// and a file system that has the attribute; panics naming them otherwise.
pub fn set_append_only(path: &std::path::Path, on: bool) {
    use std::os::fd::AsRawFd;
    let f = std::fs::File::open(path).unwrap();
    let mut flags: libc::c_long = 0;
    // SAFETY: FS_IOC_GETFLAGS writes a long through the pointer.
    let r = unsafe { libc::ioctl(f.as_raw_fd(), libc::FS_IOC_GETFLAGS, &mut flags) };
    assert_eq!(
        r,
        0,
        "FS_IOC_GETFLAGS on {}: {}",
        path.display(),
        std::io::Error::last_os_error()
    );
    flags = match on {
        true => flags | APPEND_ONLY,
        false => flags & !APPEND_ONLY,
    };
    // SAFETY: FS_IOC_SETFLAGS reads a long through the pointer.
    let r = unsafe { libc::ioctl(f.as_raw_fd(), libc::FS_IOC_SETFLAGS, &flags) };
    assert_eq!(
        r,
        0,
        "this test needs the append-only attribute (root, a file system that has it) on {}: {}",
        path.display(),
        std::io::Error::last_os_error()
    );
}

/// What logrotate's `copytruncate` does to `path`: copies it to `copy`,
/// then truncates it to 0 in place (under any writer).
pub fn copytruncate(path: &std::path::Path, copy: &std::path::Path) {
    std::fs::copy(path, copy).unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .unwrap()
        .set_len(0)
        .unwrap();
}

/// Unix nanoseconds of `hh:mm` on 2026-11-28, UTC (the day the tests'
/// manual clocks mostly show).
pub fn nov_28(hh: u64, mm: u64) -> u64 {
    1_795_824_000_000_000_000 + (hh * 60 + mm) * 60_000_000_000
}

/// Sets the manual clock `hand` to `unix_nanos`, logs `msg` (target `t`)
/// and flushes: the record forms a batch of its own.
pub fn log_alone_at(
    logger: &uringlog::Logger,
    hand: &uringlog::ManualClock,
    unix_nanos: u64,
    msg: &str,
) {
    hand.set_unix_nanos(unix_nanos);
    uringlog::info!(logger, target: "t", "{}", msg);
    logger.flush().expect("flush");
}

/// A logger of text lines (`timestamp` their precision) into an hourly
/// `RollingFileSink` `{dir}/app.log` that `settings` may configure
/// further, logger and sink on one manual clock starting at `unix_nanos`;
/// with the clock's hand.
pub fn hourly_rolling_logger(
    dir: &std::path::Path,
    unix_nanos: u64,
    timestamp: uringlog::Timestamp,
    settings: impl FnOnce(uringlog_sinks::RollingBuilder) -> uringlog_sinks::RollingBuilder,
) -> (
    uringlog::Logger,
    uringlog::WriterGuard,
    uringlog::ManualClock,
) {
    let (clock, hand) = uringlog::Clock::manual(unix_nanos);
    let builder = uringlog_sinks::RollingFileSink::builder(dir, "app")
        .period(uringlog_sinks::Period::Hourly)
        .clock(clock.clone());
    let sink = settings(builder).open().expect("a rolling sink");
    let format = uringlog::Format::text().timestamp(timestamp);
    let (logger, guard) = logger_with(sink, format, clock);
    (logger, guard, hand)
}

/// A logger writing bare text lines (no timestamp, no target) to `sink`
/// with `backend`.
pub fn bare_line_logger(
    sink: impl uringlog::Sink,
    backend: uringlog::Backend,
) -> (uringlog::Logger, uringlog::WriterGuard) {
    uringlog::Logger::builder()
        .sink(sink)
        .format(
            uringlog::Format::text()
                .timestamp(uringlog::Timestamp::Off)
                .without_target(),
        )
        .backend(backend)
        .build()
        .expect("a valid logger")
}

/// The 100-byte line [`log_each_flushed`] logs as record `seq` (through
/// a [`bare_line_logger`]), without its newline.
pub fn seq_line(seq: u64) -> String {
    format!("INFO  seq={seq:05} {}", "i".repeat(83))
}

/// Logs [`seq_line`] for each of `seqs`, flushing after each (a batch
/// each); returns those whose flush failed.
pub fn log_each_flushed(logger: &uringlog::Logger, seqs: std::ops::Range<u64>) -> Vec<u64> {
    let mut failed = Vec::new();
    for seq in seqs {
        uringlog::info!(logger, "seq={:05} {}", seq, "i".repeat(83));
        if logger.flush().is_err() {
            failed.push(seq);
        }
    }
    failed
}

/// Asserts that the writer wrote all `n` records enqueued, dropping none,
/// without an error (`what` names the case).
pub fn assert_all_written(stats: &uringlog::Stats, n: u64, what: &str) {
    assert_eq!(
        (stats.enqueued, stats.written, stats.dropped, stats.errors),
        (n, n, 0, 0),
        "{what}"
    );
}

/// The names of the entries in `dir`, sorted.
pub fn file_names(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("readable directory")
        .map(|e| {
            e.expect("entry")
                .file_name()
                .into_string()
                .expect("UTF-8 name")
        })
        .collect();
    v.sort();
    v
}

/// A logger with one memory sink of text lines without timestamps, and
/// what it holds.
pub fn text_memory_logger() -> (
    uringlog::Logger,
    uringlog::WriterGuard,
    uringlog::MemoryHandle,
) {
    use uringlog::{Format, MemorySink, Timestamp};
    let (sink, out) = MemorySink::new();
    let (logger, guard) = uringlog::Logger::builder()
        .sink(sink)
        .format(Format::text().timestamp(Timestamp::Off))
        .build()
        .expect("a valid logger");
    (logger, guard, out)
}

/// `builder` with one memory sink of text lines without timestamps or
/// targets (`INFO  message`), built, and what the sink holds.
pub fn bare_memory_logger(
    builder: uringlog::Builder,
) -> (
    uringlog::Logger,
    uringlog::WriterGuard,
    uringlog::MemoryHandle,
) {
    use uringlog::{Format, Timestamp};
    memory_logger(
        builder,
        Format::text().timestamp(Timestamp::Off).without_target(),
    )
}

/// `builder` with one memory sink in `format`, built, and what the sink
/// holds.
pub fn memory_logger(
    builder: uringlog::Builder,
    format: uringlog::Format,
) -> (
    uringlog::Logger,
    uringlog::WriterGuard,
    uringlog::MemoryHandle,
) {
    let (sink, out) = uringlog::MemorySink::new();
    let (logger, guard) = builder
        .sink(sink)
        .format(format)
        .build()
        .expect("a valid logger");
    (logger, guard, out)
}

/// A logger with one sink in `format`, its timestamps from `clock`.
pub fn logger_with(
    sink: impl uringlog::Sink,
    format: uringlog::Format,
    clock: uringlog::Clock,
) -> (uringlog::Logger, uringlog::WriterGuard) {
    uringlog::Logger::builder()
        .sink(sink)
        .format(format)
        .clock(clock)
        .build()
        .expect("a valid logger")
}

/// The backends `test` runs with: pwrite, and io_uring where it works
/// (see [`io_uring_available`]).
pub fn backends(test: &str) -> Vec<uringlog::Backend> {
    let mut v = vec![uringlog::Backend::Pwrite];
    if io_uring_available(&format!("{test} (io_uring)")) {
        v.push(uringlog::Backend::IoUring);
    }
    v
}

/// A logger writing to the file at `path` with `backend`, lingering for
/// `linger_us` (`Builder::linger_us`).
pub fn lingering_file_logger(
    path: &std::path::Path,
    backend: uringlog::Backend,
    linger_us: u64,
) -> (uringlog::Logger, uringlog::WriterGuard) {
    uringlog::Logger::builder()
        .sink(uringlog_sinks::FileSink::new(path).expect("an openable file"))
        .backend(backend)
        .linger_us(linger_us)
        .build()
        .expect("a valid logger")
}

/// Shuts down; checks the books (`n` enqueued and written, none dropped)
/// and that the file at `path` holds `seq=0..n` in order.
pub fn finish_in_order(
    logger: uringlog::Logger,
    guard: uringlog::WriterGuard,
    path: &std::path::Path,
    n: u64,
    what: &str,
) {
    drop(logger);
    let s = guard.shutdown(SHUTDOWN).expect("shutdown");
    assert_eq!((s.enqueued, s.written, s.dropped), (n, n, 0), "{what}");
    let seqs: Vec<u64> = (read_lines(path).iter())
        .filter_map(|l| field(l, "seq="))
        .collect();
    assert_eq!(seqs, (0..n).collect::<Vec<_>>(), "{what}");
}

/// The lines of the files `names` in `dir`, in that order, each with its
/// file's name; panics, naming the file, where one does not end in a
/// newline (a torn last line).
pub fn lines_of_files(dir: &std::path::Path, names: &[String]) -> Vec<(String, String)> {
    let mut v = Vec::new();
    for name in names {
        let text = std::fs::read_to_string(dir.join(name))
            .unwrap_or_else(|e| panic!("reading {name}: {e}"));
        assert!(
            text.is_empty() || text.ends_with('\n'),
            "{name} ends in a torn line"
        );
        v.extend(text.lines().map(|l| (name.clone(), l.to_owned())));
    }
    v
}

/// Whether io_uring works here. When it does not, `test` is skipped with
/// the reason — or fails, under `URINGLOG_REQUIRE_IO_URING=1` (see [`skip`]).
pub fn io_uring_available(test: &str) -> bool {
    let (sink, _) = uringlog::MemorySink::new();
    match uringlog::Logger::builder()
        .sink(sink)
        .backend(uringlog::Backend::IoUring)
        .build()
    {
        Ok((_logger, guard)) => match guard.shutdown(std::time::Duration::from_secs(5)) {
            Ok(_) => true,
            Err(e) => {
                skip(Needs::IoUring, test, &e);
                false
            }
        },
        Err(e) => {
            skip(Needs::IoUring, test, &e);
            false
        }
    }
}

/// Whether files in `dir` can be opened with `O_DIRECT`. When they cannot,
/// `test` is skipped with the reason — or fails, under
/// `URINGLOG_REQUIRE_O_DIRECT=1` (see [`skip`]).
pub fn o_direct_available(test: &str, dir: &std::path::Path) -> bool {
    let probe = dir.join(".o_direct_probe");
    let ok = match uringlog_sinks::FileSink::new_o_direct(&probe) {
        Ok(_) => true,
        Err(e) => {
            skip(Needs::ODirect, test, &e);
            false
        }
    };
    let _ = std::fs::remove_file(&probe);
    ok
}

/// A sink whose first write blocks until the test releases it, so the
/// writer is provably stalled while the producer keeps logging.
pub struct GateSink {
    /// Set when the first write has begun.
    pub entered: Arc<AtomicBool>,
    /// Receives the release of the first write.
    pub release: Option<mpsc::Receiver<()>>,
    /// Every byte written.
    pub lines: Arc<Mutex<Vec<u8>>>,
}

/// The test's side of a [`GateSink`].
pub struct Gate {
    /// Set when the writer is stuck in the first write.
    pub entered: Arc<AtomicBool>,
    /// Send once to let the first write finish.
    pub release: mpsc::Sender<()>,
    /// Every byte written.
    pub lines: Arc<Mutex<Vec<u8>>>,
}

impl GateSink {
    /// A gated sink and its gate.
    #[allow(clippy::new_ret_no_self)]
    pub fn new() -> (GateSink, Gate) {
        let entered = Arc::new(AtomicBool::new(false));
        let lines = Arc::new(Mutex::new(Vec::new()));
        let (release, rx) = mpsc::channel();
        let sink = GateSink {
            entered: entered.clone(),
            release: Some(rx),
            lines: lines.clone(),
        };
        let gate = Gate {
            entered,
            release,
            lines,
        };
        (sink, gate)
    }
}

impl uringlog::Sink for GateSink {
    fn describe(&self) -> String {
        "gate".to_owned()
    }
    fn target(&mut self, _len: usize) -> std::io::Result<uringlog::Target> {
        Ok(uringlog::Target::Inline)
    }
    fn write_inline(&mut self, batch: &[u8]) -> std::io::Result<()> {
        if let Some(rx) = self.release.take() {
            self.entered.store(true, Ordering::SeqCst);
            rx.recv().unwrap();
        }
        self.lines.lock().unwrap().extend_from_slice(batch);
        Ok(())
    }
}

/// Appends to `/dev/null`, which takes writes and refuses `fdatasync`
/// (`EINVAL`): a file whose every sync fails.
pub struct NullDevice(uringlog::SharedFd);

impl NullDevice {
    /// `/dev/null`, opened for appending.
    #[allow(clippy::new_without_default)]
    pub fn new() -> NullDevice {
        let null = std::fs::OpenOptions::new()
            .append(true)
            .open("/dev/null")
            .expect("/dev/null");
        NullDevice(Arc::new(null))
    }
}

impl uringlog::Sink for NullDevice {
    fn describe(&self) -> String {
        "null device".to_owned()
    }
    fn target(&mut self, _len: usize) -> std::io::Result<uringlog::Target> {
        Ok(uringlog::Target::Append { fd: self.0.clone() })
    }
}

/// Returns once the writer took the first record and is stuck writing it.
pub fn wait_until_stuck(entered: &AtomicBool) {
    while !entered.load(Ordering::SeqCst) {
        std::thread::yield_now();
    }
}

/// A crash-safe logger on `dir` whose writer is stuck in its sink's first
/// write (a record `stuck`): every record logged after it stays pending in
/// the directory, as a crash would leave it.
pub fn stuck_crash_safe_logger(
    dir: &std::path::Path,
) -> (uringlog::Logger, uringlog::WriterGuard, Gate) {
    let (sink, gate) = GateSink::new();
    let (logger, guard) = uringlog::Logger::builder()
        .sink(sink)
        .ring_capacity(1 << 20)
        .crash_safe(dir)
        .build()
        .unwrap();
    uringlog::info!(logger, "stuck");
    wait_until_stuck(&gate.entered);
    (logger, guard, gate)
}

/// Leaves `stuck`, `record 0` … `record 2` pending in `dir`, as a crash
/// would: a [`stuck_crash_safe_logger`] that gives up.
pub fn leave_pending(dir: &std::path::Path) {
    let (logger, guard, gate) = stuck_crash_safe_logger(dir);
    for i in 0..3 {
        uringlog::info!(logger, "record {}", i);
    }
    guard
        .shutdown(std::time::Duration::from_millis(300))
        .unwrap_err();
    gate.release.send(()).unwrap();
    // Waits for the writer to end (it gave up; the directory keeps the records).
    let _ = logger.flush();
}

/// Every file of the crash-safe directory `dir` and its bytes, but the
/// lock (which each build takes, writing its pid in it): to check that a
/// build left the directory as it was.
pub fn files_but_the_lock(dir: &std::path::Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    (std::fs::read_dir(dir).unwrap())
        .map(|e| e.unwrap())
        .map(|e| (e.file_name().into_string().unwrap(), e.path()))
        .filter(|(name, _)| name != "lock")
        .map(|(name, path)| (name, std::fs::read(path).unwrap()))
        .collect()
}

/// The lines recovering what [`leave_pending`] left writes in the plain
/// format: the recovery record, saying the records came from
/// `recovered_from` (its words), then each record once.
pub fn pending_lines(recovered_from: &str) -> Vec<String> {
    let mut want = vec![format!(
        "WARN  crash-safe recovery: 4 records recovered from {recovered_from}, 0 torn or corrupt records skipped"
    )];
    want.push("INFO  stuck".to_owned());
    want.extend((0..3).map(|i| format!("INFO  record {i}")));
    want
}

/// Asserts that `log` holds what recovering [`leave_pending`]'s records
/// writes in the plain format — the recovery record (saying 4 records,
/// whatever it says of cuts), then each record once — and then `then`,
/// the lines logged after.
pub fn assert_pending_once(log: &std::path::Path, then: &[&str]) {
    let lines = read_lines(log);
    let want = pending_lines("");
    assert_eq!(lines.len(), want.len() + then.len(), "{lines:#?}");
    assert!(
        lines[0].starts_with("WARN  crash-safe recovery: 4 records recovered from process "),
        "{lines:#?}"
    );
    assert_eq!(lines[1..want.len()], want[1..], "{lines:#?}");
    assert_eq!(lines[want.len()..], *then, "{lines:#?}");
}

/// Starts a crash-safe logger on `dir` writing `log` in the plain format
/// (recovering what `dir` holds), logs each of `lines` at info, shuts it
/// down with the books balanced, and gives its `recent_errors`; or the
/// build's error.
pub fn crash_safe_start(
    dir: &std::path::Path,
    log: &std::path::Path,
    lines: &[&str],
) -> Result<Vec<String>, String> {
    let (logger, guard) = uringlog::Logger::builder()
        .sink(uringlog_sinks::FileSink::new(log).unwrap())
        .format(crash_child::plain())
        .crash_safe(dir)
        .build()
        .map_err(|e| e.to_string())?;
    for l in lines {
        uringlog::info!(logger, "{}", l);
    }
    let notes = logger.recent_errors();
    let stats = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!(stats.written + stats.dropped, stats.enqueued);
    Ok(notes)
}

/// Gives up on a logger from [`stuck_crash_safe_logger`] (its shutdown
/// times out, so its records stay in `dir` as a crash would leave them),
/// then recovers them into memory: the lines written, without timestamps
/// or targets.
pub fn crash_and_recover(
    dir: &std::path::Path,
    logger: uringlog::Logger,
    guard: uringlog::WriterGuard,
    gate: Gate,
) -> Vec<String> {
    use uringlog::{Format, MemorySink, SinkOptions, Timestamp};
    guard
        .shutdown(std::time::Duration::from_millis(300))
        .unwrap_err();
    gate.release.send(()).unwrap();
    // Waits for the writer to end (it gave up; the directory keeps the records).
    let _ = logger.flush();
    let (sink, lines) = MemorySink::new();
    let plain = Format::text().timestamp(Timestamp::Off).without_target();
    let (_l, guard) = uringlog::Logger::builder()
        .sink_with(sink, SinkOptions::new().format(plain))
        .crash_safe(dir)
        .build()
        .unwrap();
    guard.shutdown(std::time::Duration::from_secs(30)).unwrap();
    lines.lines()
}

/// The call-site tables (`sites-*`) in a crash-safe directory.
pub fn call_site_tables(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("sites-")
        })
        .collect()
}

/// `builder` with two memory sinks that show call sites: text and JSON
/// lines, both without timestamps. Returns the builder and their outputs.
pub fn call_site_sinks(
    builder: uringlog::Builder,
) -> (
    uringlog::Builder,
    uringlog::MemoryHandle,
    uringlog::MemoryHandle,
) {
    use uringlog::{Format, MemorySink, SinkOptions, Timestamp};
    let (text, text_out) = MemorySink::new();
    let (json, json_out) = MemorySink::new();
    let text_format = Format::text().timestamp(Timestamp::Off).with_call_site();
    let json_format = Format::json().timestamp(Timestamp::Off).with_call_site();
    let builder = builder
        .sink_with(text, SinkOptions::new().format(text_format))
        .sink_with(json, SinkOptions::new().format(json_format));
    (builder, text_out, json_out)
}

/// More than a producer's pause (2^18 raw clock units; ns for a manual
/// clock): the first call after it rebases its emptied ring.
pub const PAUSE: u64 = 1 << 19;

/// Where the calling thread's next record to `logger` goes, as an offset
/// from its ring buffer's start (read from `Logger::call_path_addresses`:
/// the buffer's first two lines, then the two at the next record).
pub fn next_ring_offset(logger: &uringlog::Logger) -> usize {
    let bytes: Vec<usize> = (logger.call_path_addresses().into_iter())
        .filter(|(part, _)| *part == "ring bytes")
        .map(|(_, address)| address)
        .collect();
    assert_eq!(bytes.len(), 4, "{bytes:?}");
    bytes[2] - bytes[0]
}

/// Races `Logger::set_level` to `Debug` and to `Error` from two threads,
/// `rounds` times, and runs `after_round` after each round, once both
/// calls have returned.
pub fn race_set_level(logger: &uringlog::Logger, rounds: usize, mut after_round: impl FnMut()) {
    use std::sync::Barrier;
    use uringlog::Level;
    let barrier = Arc::new(Barrier::new(3));
    let racers: Vec<_> = [Level::Debug, Level::Error]
        .into_iter()
        .map(|level| {
            let (logger, barrier) = (logger.clone(), barrier.clone());
            std::thread::spawn(move || {
                for _ in 0..rounds {
                    barrier.wait();
                    logger.set_level(level);
                    barrier.wait();
                }
            })
        })
        .collect();
    for _ in 0..rounds {
        barrier.wait();
        barrier.wait();
        after_round();
    }
    for r in racers {
        r.join().expect("a racing thread");
    }
}

/// A logger appending to a `FileSink` at `path` through `backend`, in
/// batches of 16 KiB: under load, its writes end at multiples of 8 KiB,
/// inside records (see `FileSink`'s *Aligned writes*).
pub fn aligned_file_logger(
    path: &std::path::Path,
    backend: uringlog::Backend,
) -> (uringlog::Logger, uringlog::WriterGuard) {
    let sink = uringlog_sinks::FileSink::new(path).expect("an openable path");
    aligned_logger(sink, backend)
}

/// A logger of `sink` alone through `backend`, in batches of 16 KiB: under
/// load, when the sink lets records be split (`Sink::may_split_records`),
/// its writes end at multiples of 8 KiB, inside records.
pub fn aligned_logger(
    sink: impl uringlog::Sink,
    backend: uringlog::Backend,
) -> (uringlog::Logger, uringlog::WriterGuard) {
    uringlog::Logger::builder()
        .sink(sink)
        .backend(backend)
        .batch_bytes(16 * 1024)
        .build()
        .expect("a valid logger")
}

/// `path` opened for appending and reading, created if missing, as a file
/// sink opens its file: for a test's own appending sink.
pub fn append_and_read(path: &std::path::Path) -> std::fs::File {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .read(true)
        .open(path)
        .expect("an openable path")
}

/// A sink's own format that writes each message as a line and panics on
/// its `explode_at`-th record (1 for the first).
pub struct BombFormat {
    seen: u64,
    explode_at: u64,
}

impl BombFormat {
    /// One that panics on record `explode_at`.
    pub fn new(explode_at: u64) -> BombFormat {
        BombFormat {
            seen: 0,
            explode_at,
        }
    }
}

impl uringlog::RecordFormat for BombFormat {
    fn write(&mut self, out: &mut Vec<u8>, rec: &uringlog::Record<'_>) {
        self.seen += 1;
        if self.seen == self.explode_at {
            panic!("format exploded on purpose");
        }
        out.extend_from_slice(rec.message());
        out.push(b'\n');
    }
}

#[cfg(test)]
mod tests {
    use super::{skip, Needs};

    /// Sets the variable for a moment: no other unit test of this crate
    /// reads the environment, and the integration tests are processes of
    /// their own.
    #[test]
    fn a_skip_fails_where_the_feature_is_required() {
        let var = Needs::ODirect.variable();
        std::env::remove_var(var);
        skip(Needs::ODirect, "t", &"no O_DIRECT here"); // prints, returns
        std::env::set_var(var, "1");
        let r = std::panic::catch_unwind(|| skip(Needs::ODirect, "t", &"no O_DIRECT here"));
        std::env::remove_var(var);
        let msg = *r.unwrap_err().downcast::<String>().unwrap();
        assert_eq!(
            msg,
            "t cannot run: no O_DIRECT here; URINGLOG_REQUIRE_O_DIRECT=1 requires it"
        );
    }
}
