//! For crash-safe tests that end a child process (this test binary, run
//! again) at a chosen point of its writer's work: a sink that runs the
//! test's hook at each batch and reopen, a pause of the writer in a hook
//! while the child logs, a sink that keeps the writer from committing,
//! and running and recovering.
//!
//! Hooks are keyed on records (the lines a batch holds), never on batch
//! numbers: how the writer splits records into batches depends on when it
//! wakes, which load changes. A test that needs records in one batch logs
//! them while a [`Pause`] holds the writer.

use std::ops::Range;
use std::path::Path;
use std::process::{Command, ExitStatus};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use uringlog::{
    Backend, Builder, Completion, Format, Logger, RecordBatch, ReopenCause, Settled, Sink,
    SinkContext, Stats, Target, Ticket, Timestamp, WriterGuard,
};

/// A sink that takes each batch inline and calls its hook with the lines
/// the batch holds, numbered from 0 over every batch it took (each record
/// is one line in these tests: record `i` is line `i`); and its reopen
/// hook at each reopen.
pub struct Hook {
    /// Lines taken so far (the `\n`s of every batch).
    lines: u32,
    on_batch: Box<dyn FnMut(Range<u32>) + Send>,
    on_reopen: Box<dyn FnMut() + Send>,
}

impl Hook {
    /// A hook sink that calls `on_batch` at each batch with the numbers of
    /// the lines it holds.
    pub fn new(on_batch: impl FnMut(Range<u32>) + Send + 'static) -> Hook {
        Hook {
            lines: 0,
            on_batch: Box::new(on_batch),
            on_reopen: Box::new(|| {}),
        }
    }

    /// Calls `f` at each reopen, too.
    pub fn on_reopen(mut self, f: impl FnMut() + Send + 'static) -> Hook {
        self.on_reopen = Box::new(f);
        self
    }
}

impl Sink for Hook {
    fn describe(&self) -> String {
        "hook".into()
    }
    fn target(&mut self, _: usize) -> std::io::Result<Target> {
        Ok(Target::Inline)
    }
    fn write_inline(&mut self, batch: &[u8]) -> std::io::Result<()> {
        let first = self.lines;
        self.lines += batch.iter().filter(|&&b| b == b'\n').count() as u32;
        (self.on_batch)(first..self.lines);
        Ok(())
    }
    fn reopen(&mut self, _: ReopenCause) -> std::io::Result<()> {
        (self.on_reopen)();
        Ok(())
    }
}

/// Pauses the writer in a hook ([`Pause::hold`]) while the child logs
/// ([`Pause::pass`]): what it logs meanwhile is in the rings before the
/// writer reads them again, so the writer's next batch takes all of it
/// (with the default batch size), after it committed the held batch.
pub struct Pause {
    /// The writer is held (set by `hold`).
    held: AtomicBool,
    /// The child logged what it logs in `pass` (set by `pass`).
    open: AtomicBool,
}

impl Pause {
    /// A hold not yet reached, for a `static`.
    pub const fn new() -> Pause {
        Pause {
            held: AtomicBool::new(false),
            open: AtomicBool::new(false),
        }
    }

    /// In a hook: holds the writer until [`pass`](Pause::pass) ran.
    pub fn hold(&self) {
        // SeqCst, pairs with `pass`'s store: `open` is set after the
        // records were logged, so the writer's next read of the rings
        // (acquiring each producer's release of its records) finds them.
        self.held.store(true, Ordering::SeqCst);
        crate::wait_for("the records logged while held", || {
            self.open.load(Ordering::SeqCst)
        });
    }

    /// In the child: waits for the writer to be held, runs `log`, lets
    /// the writer go.
    pub fn pass(&self, log: impl FnOnce()) {
        crate::wait_for("the writer held", || self.held.load(Ordering::SeqCst));
        log();
        self.open.store(true, Ordering::SeqCst);
    }
}

impl Default for Pause {
    fn default() -> Pause {
        Pause::new()
    }
}

/// A deferred sink that settles what it took until `hold` is set, then
/// nothing more: the records it takes from then on stay outstanding, so
/// the writer commits nothing more, however it splits them into batches.
/// Put it first: each record's accounting follows its first sink.
pub struct Holder {
    taken: Vec<(Ticket, usize)>,
    hold: &'static AtomicBool,
}

impl Holder {
    /// A holder that settles nothing once `hold` is set.
    pub fn new(hold: &'static AtomicBool) -> Holder {
        Holder {
            taken: Vec::new(),
            hold,
        }
    }
}

impl Sink for Holder {
    fn describe(&self) -> String {
        "holder".into()
    }
    fn target(&mut self, _: usize) -> std::io::Result<Target> {
        unreachable!("deferred sinks get accept")
    }
    fn completion(&mut self, _: &SinkContext) -> Completion {
        Completion::Deferred {
            flush_timeout: Duration::from_secs(60),
        }
    }
    fn accept(&mut self, batch: &RecordBatch<'_>, _: &mut Settled) -> std::io::Result<()> {
        self.taken
            .extend(batch.records().map(|r| (r.ticket, r.bytes.len())));
        Ok(())
    }
    fn settle(&mut self, _: Duration, done: &mut Settled) {
        if !self.hold.load(Ordering::SeqCst) {
            for (t, len) in self.taken.drain(..) {
                done.written(t, len);
            }
        }
    }
}

/// Ends this process with `SIGKILL`.
pub fn kill_self() -> ! {
    // SAFETY: raise on our own process.
    unsafe { libc::raise(libc::SIGKILL) };
    unreachable!("SIGKILL ends the process");
}

/// Builds `builder` in crash-safe mode on `dir` ([`plain`] lines, pwrite,
/// so each batch is in the files before the next sink takes it), with a
/// last sink that raises `SIGKILL` at the batch holding line `line`:
/// after the sinks before it wrote that batch, before the writer commits.
pub fn killed_at_line(builder: Builder, dir: &str, line: u32) -> (Logger, WriterGuard) {
    builder
        .sink(Hook::new(move |lines| {
            if lines.contains(&line) {
                kill_self()
            }
        }))
        .format(plain())
        .backend(Backend::Pwrite)
        .crash_safe(dir)
        .build()
        .expect("a crash-safe logger")
}

/// Text lines with the level and message only.
pub fn plain() -> Format {
    Format::text().timestamp(Timestamp::Off).without_target()
}

/// A child process: logs `first 0` … `first {n-1}` through `sink` in
/// crash-safe mode on `dir` (plain format), flushes (a deferred sink
/// takes them into its buffer) and dies by `SIGKILL`.
pub fn log_then_die(sink: impl Sink + 'static, dir: &str, n: u32) -> ! {
    let (logger, _guard) = Logger::builder()
        .sink(sink)
        .format(plain())
        .crash_safe(dir)
        .build()
        .unwrap();
    for i in 0..n {
        uringlog::info!(logger, "first {}", i);
    }
    let _ = logger.flush();
    kill_self()
}

/// A child process: `threads` threads each log `t={t} seq={i}` for `i` in
/// `0..records` in crash-safe mode on `dir` (plain format, rings of
/// `ring` bytes) through a [`Holder`] on `hold` (set: the writer commits
/// nothing, so every record stays pending), then dies by `SIGKILL`.
pub fn log_held_then_die(
    dir: &str,
    hold: &'static AtomicBool,
    ring: usize,
    threads: u64,
    records: u64,
) -> ! {
    let (logger, _guard) = Logger::builder()
        .sink(Holder::new(hold))
        .format(plain())
        .ring_capacity(ring)
        .crash_safe(dir)
        .build()
        .unwrap();
    std::thread::scope(|s| {
        for t in 0..threads {
            let logger = &logger;
            s.spawn(move || {
                (0..records).for_each(|i| uringlog::info!(logger, "t={} seq={}", t, i))
            });
        }
    });
    kill_self()
}

/// After a recovery of what [`log_held_then_die`] left (`threads` ×
/// `records`, every one pending): the books count the recovery record and
/// each record once, none dropped; `log`'s first line says how many were
/// recovered, and the rest holds each record once, in order per thread.
pub fn assert_every_held_record_recovered(stats: &Stats, log: &Path, threads: u64, records: u64) {
    let n = 1 + threads * records;
    assert_eq!((stats.enqueued, stats.written, stats.dropped), (n, n, 0));
    let lines = crate::read_lines(log);
    assert!(
        lines[0].contains(&format!("{} records recovered", threads * records)),
        "{}",
        lines[0]
    );
    crate::rsyslog::assert_each_once_in_order(&lines[1..], threads, records);
}

/// A child process whose crash-safe build on `dir` with `sink` must fail:
/// writes the error to `report` and exits 0.
pub fn report_failed_build(sink: impl Sink + 'static, dir: &str, report: &str) -> ! {
    let e = Logger::builder()
        .sink(sink)
        .format(plain())
        .crash_safe(dir)
        .build()
        .map(|_| ())
        .unwrap_err();
    std::fs::write(report, e.to_string()).unwrap();
    std::process::exit(0)
}

/// Runs `test` of this test binary in a child process with `var` set to
/// `value`; returns its pid and how it ended.
pub fn run_self(test: &str, var: &str, value: &str) -> (u32, ExitStatus) {
    let mut child = Command::new(std::env::current_exe().expect("the test binary"))
        .args(["--exact", test])
        .env(var, value)
        .spawn()
        .expect("a child process");
    let pid = child.id();
    (pid, child.wait().expect("the child's status"))
}

/// Builds a logger on crash-safe `dir` with one file sink on `log`
/// ([`plain`] lines), which recovers what `dir` holds, and shuts it down.
pub fn recover_plain(dir: &Path, log: &Path) -> Stats {
    let (logger, guard) = Logger::builder()
        .sink(uringlog_sinks::FileSink::new(log).expect("the log file"))
        .format(plain())
        .crash_safe(dir)
        .build()
        .expect("a logger on the directory");
    drop(logger);
    guard.shutdown(crate::SHUTDOWN).expect("a shutdown")
}

/// What a child killed by [`kill_child`] left: a temporary directory
/// holding the crash-safe directory (`cs`) and the log (`app.log`), and the
/// child's pid.
pub struct Dead {
    /// Holds the rest; removed when dropped.
    pub tmp: tempfile::TempDir,
    /// The crash-safe directory.
    pub dir: std::path::PathBuf,
    /// The log file.
    pub log: std::path::PathBuf,
    /// The child's pid.
    pub pid: u32,
}

/// In the child (`var` set): runs `child` with the crash-safe directory's
/// and the log's paths. In the test: runs `test` of this test binary as
/// that child on a fresh temporary directory and checks it died by
/// `SIGKILL`.
pub fn kill_child(test: &str, var: &str, child: fn(&str, &str) -> !) -> Dead {
    if let Ok(spec) = std::env::var(var) {
        let (dir, log) = spec.split_once(',').expect("dir,log");
        child(dir, log);
    }
    let tmp = tempfile::tempdir().expect("temp dir");
    let (dir, log) = (tmp.path().join("cs"), tmp.path().join("app.log"));
    let spec = format!("{},{}", dir.display(), log.display());
    let (pid, status) = run_self(test, var, &spec);
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(libc::SIGKILL), "{status:?}");
    Dead { tmp, dir, log, pid }
}
