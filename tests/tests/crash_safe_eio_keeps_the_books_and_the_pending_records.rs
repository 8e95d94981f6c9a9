//! Crash-safe mode against real `EIO` from the kernel's side of a write:
//! a child process (this test binary, re-executed) gets `strace` attached
//! at a point it waits at, with `-e inject=write:error=EIO:when=N+`, so
//! from then on every `write(2)` from the N-th on fails as a failing disk
//! makes it fail (the file sink appends with `write(2)` under
//! `Backend::Pwrite`; io_uring writes bypass the system call and are
//! covered by the `EFBIG` test). The child reports with `pwrite(2)`,
//! which is not touched.
//!
//! - Recovering: the build fails, naming the errno; the directory keeps
//!   what the dead process left; the next start writes it exactly once
//!   (the part the failed attempt wrote is cut back first).
//! - Writing: every record is counted written or dropped, the error names
//!   the errno, and the file holds exactly the records counted written.
//!
//! These tests need `strace` (`.ci/run` installs it): without it they fail.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::FileExt;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use uringlog::{Backend, Logger};
use uringlog_sinks::FileSink;
use uringlog_tests::read_lines;

const CHILD: &str = "URINGLOG_EIO_CHILD";

/// A sink whose write of any line past the first ten never returns: the
/// writer is stuck there, so what is logged after the first ten records
/// stays pending in the directory. Counted by lines, not by writes: the
/// writer may take the first ten in more than one batch (it polls while
/// they are logged), and a flush must not meet the stuck write.
struct StuckAfterTen {
    lines: usize,
    entered: Arc<AtomicBool>,
}

impl uringlog::Sink for StuckAfterTen {
    fn describe(&self) -> String {
        "stuck past its tenth line".to_owned()
    }
    fn target(&mut self, _len: usize) -> std::io::Result<uringlog::Target> {
        Ok(uringlog::Target::Inline)
    }
    fn write_inline(&mut self, batch: &[u8]) -> std::io::Result<()> {
        if self.lines >= 10 {
            self.entered.store(true, Ordering::SeqCst);
            loop {
                std::thread::park();
            }
        }
        self.lines += batch.iter().filter(|&&b| b == b'\n').count();
        Ok(())
    }
}

/// In a child: logs 10 records (written and committed with the file's
/// length), then 30 that stay pending, and dies by `SIGKILL`.
fn die_with_pending_records(dir: &Path, log: &Path) -> ! {
    let entered = Arc::new(AtomicBool::new(false));
    let stuck = StuckAfterTen {
        lines: 0,
        entered: entered.clone(),
    };
    let (logger, _guard) = Logger::builder()
        .sink(FileSink::new(log).unwrap())
        .sink(stuck)
        .crash_safe(dir)
        .build()
        .unwrap();
    for i in 0..10 {
        uringlog::info!(logger, "eio test seq={}", i);
    }
    logger.flush().unwrap();
    for i in 10..40 {
        uringlog::info!(logger, "eio test seq={}", i);
    }
    uringlog_tests::wait_until_stuck(&entered);
    // SAFETY: raise on our own process; SIGKILL cannot be caught.
    unsafe { libc::raise(libc::SIGKILL) };
    unreachable!("SIGKILL ends the process");
}

/// In a child: says it is ready and waits for the parent to attach
/// `strace`.
fn wait_for_strace() {
    println!("READY");
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).unwrap();
    assert_eq!(line, "GO\n");
}

/// In a child: `text` into `<log>.result` with `pwrite(2)`, then exits.
fn report(log: &Path, text: &str) -> ! {
    let f = std::fs::File::create(log.with_extension("result")).unwrap();
    f.write_all_at(text.as_bytes(), 0).unwrap();
    std::process::exit(0);
}

/// In a child: builds a logger on `dir` once `strace` is attached (its
/// recovery fails with EIO) and reports the error.
fn recover_under_eio(dir: &Path, log: &Path) -> ! {
    wait_for_strace();
    let e = Logger::builder()
        .sink(FileSink::new(log).unwrap())
        .backend(Backend::Pwrite)
        .batch_size(8)
        .crash_safe(dir)
        .build()
        .map(|_| ())
        .unwrap_err();
    report(log, &format!("ERROR {e}\n"))
}

/// In a child: logs 50 records in flushed batches of 10, then, once
/// `strace` is attached (every write fails), 50 more; reports the books
/// and the last error.
fn log_under_eio(dir: &Path, log: &Path) -> ! {
    let (logger, guard) = Logger::builder()
        .sink(FileSink::new(log).unwrap())
        .backend(Backend::Pwrite)
        .crash_safe(dir)
        .build()
        .unwrap();
    for b in 0..10 {
        if b == 5 {
            wait_for_strace();
        }
        for i in 0..10 {
            uringlog::info!(logger, "eio test seq={}", b * 10 + i);
        }
        let _ = logger.flush();
    }
    let errors = logger.recent_errors();
    let s = guard.shutdown(Duration::from_secs(30)).unwrap();
    let last = errors.last().cloned().unwrap_or_default();
    let books = format!("{} {} {} {}", s.enqueued, s.written, s.dropped, s.errors);
    report(log, &format!("BOOKS {books}\nERROR {last}\n"))
}

fn child_if_asked() {
    let Ok(spec) = std::env::var(CHILD) else {
        return;
    };
    let mut it = spec.split(',');
    let (what, dir, log) = (it.next().unwrap(), it.next().unwrap(), it.next().unwrap());
    let (dir, log) = (Path::new(dir), Path::new(log));
    match what {
        "die" => die_with_pending_records(dir, log),
        "recover" => recover_under_eio(dir, log),
        "log" => log_under_eio(dir, log),
        _ => unreachable!("{what}"),
    }
}

/// Runs this test binary's `test` as a child doing `what`; when it says
/// it is ready, attaches `strace` making every `write(2)` from the
/// `eio_from`-th on fail with EIO, and lets it go on. Returns its report.
fn run_child(test: &str, what: &str, dir: &Path, log: &Path, eio_from: Option<u32>) -> String {
    let mut c = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(CHILD, format!("{what},{},{}", dir.display(), log.display()))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut tracer = None;
    if let Some(n) = eio_from {
        let mut out = BufReader::new(c.stdout.take().unwrap());
        let mut line = String::new();
        while !line.ends_with("READY\n") {
            line.clear();
            assert_ne!(out.read_line(&mut line).unwrap(), 0, "the child ended");
        }
        tracer = Some(attach_strace(c.id(), n));
        c.stdin.as_mut().unwrap().write_all(b"GO\n").unwrap();
        // Read to the end: a child that writes more does not meet EPIPE.
        let mut rest = String::new();
        let _ = std::io::Read::read_to_string(&mut out, &mut rest);
    }
    let status = c.wait().unwrap();
    if let Some(mut t) = tracer {
        t.wait().unwrap();
    }
    if what == "die" {
        assert_eq!(status.signal(), Some(libc::SIGKILL), "{status:?}");
        return String::new();
    }
    assert!(status.success(), "{status:?}");
    std::fs::read_to_string(log.with_extension("result")).unwrap()
}

/// `strace` attached to every thread of `pid` (and those it starts), once
/// it says so. `when=` counts each thread's calls apart.
fn attach_strace(pid: u32, eio_from: u32) -> std::process::Child {
    let mut t = Command::new("strace")
        .args(["-f", "-o", "/dev/null", "-e", "trace=write", "-e"])
        .arg(format!("inject=write:error=EIO:when={eio_from}+"))
        .arg("-p")
        .arg(pid.to_string())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run strace (apt-get install strace): {e}"));
    let mut err = BufReader::new(t.stderr.take().unwrap());
    let mut line = String::new();
    while !line.contains(" attached") {
        line.clear();
        assert_ne!(
            err.read_line(&mut line).unwrap(),
            0,
            "strace did not attach"
        );
    }
    // It says so again for each new thread: a closed pipe would end it.
    std::thread::spawn(move || std::io::copy(&mut err, &mut std::io::sink()));
    t
}

/// The line of `out` that starts with `key`, without it.
fn line_of<'a>(out: &'a str, key: &str) -> &'a str {
    out.lines()
        .find_map(|l| l.strip_prefix(key))
        .unwrap_or_else(|| panic!("no {key:?} in {out:?}"))
}

/// The pending data a dead process left (state file, ring files,
/// call-site table): the directory's names, sorted.
fn pending_files(dir: &Path) -> Vec<String> {
    let mut names = uringlog_tests::file_names(dir);
    names.retain(|n| n != "lock");
    names.sort();
    names
}

#[test]
fn recovery_hitting_eio_fails_the_build_and_the_next_start_writes_it_once() {
    const TEST: &str = "recovery_hitting_eio_fails_the_build_and_the_next_start_writes_it_once";
    child_if_asked();
    let tmp = tempfile::tempdir().unwrap();
    let (dir, log) = (tmp.path().join("cs"), tmp.path().join("app.log"));
    run_child(TEST, "die", &dir, &log, None);
    let left = pending_files(&dir);
    assert!(left.iter().any(|n| n == "state"), "{left:?}");
    // Counted per thread: the lock file's pid (the caller's first write)
    // is written, and so is the writer's first batch (8 records); then
    // every write fails.
    let out = run_child(TEST, "recover", &dir, &log, Some(2));
    let e = line_of(&out, "ERROR ");
    assert!(
        e.starts_with(&format!("crash-safe directory {}: ", dir.display())),
        "{e}"
    );
    assert!(
        e.contains(" records could not be written while recovering (")
            && e.contains("Input/output error (os error 5)"),
        "{e}"
    );
    assert!(
        e.ends_with("; the directory keeps them for the next start"),
        "{e}"
    );
    assert_eq!(pending_files(&dir), left);
    // The failed attempt's first batch is in the file, past the committed
    // length.
    assert_eq!(read_lines(&log).len(), 10 + 8);
    // The disk is back: every record once, in order.
    let (_l, guard) = Logger::builder()
        .sink(FileSink::new(&log).unwrap())
        .crash_safe(&dir)
        .build()
        .unwrap();
    let s = guard.shutdown(Duration::from_secs(30)).unwrap();
    assert_eq!((s.written, s.dropped), (s.enqueued, 0));
    let lines = read_lines(&log);
    let marks: Vec<_> = lines
        .iter()
        .filter(|l| l.contains("crash-safe recovery:"))
        .collect();
    assert_eq!(marks.len(), 1, "{lines:#?}");
    let seqs: Vec<u64> = lines
        .iter()
        .filter_map(|l| uringlog_tests::field(l, "seq="))
        .collect();
    assert_eq!(seqs, (0..40).collect::<Vec<_>>(), "{lines:#?}");
    assert!(
        lines[10].contains("crash-safe recovery: 30 records recovered"),
        "{}",
        lines[10]
    );
    assert_eq!(pending_files(&dir), Vec::<String>::new());
}

#[test]
fn writes_hitting_eio_keep_the_books_and_name_the_errno() {
    const TEST: &str = "writes_hitting_eio_keep_the_books_and_name_the_errno";
    child_if_asked();
    let tmp = tempfile::tempdir().unwrap();
    let (dir, log) = (tmp.path().join("cs"), tmp.path().join("app.log"));
    // Every write after the first 50 records fails.
    let out = run_child(TEST, "log", &dir, &log, Some(1));
    let books: Vec<u64> = line_of(&out, "BOOKS ")
        .split(' ')
        .map(|x| x.parse().unwrap())
        .collect();
    let [enqueued, written, dropped, errors] = books[..] else {
        unreachable!()
    };
    assert_eq!((enqueued, written, dropped), (100, 50, 50), "{out}");
    assert!(errors > 0, "{out}");
    let e = line_of(&out, "ERROR ");
    assert!(e.contains("Input/output error (os error 5)"), "{e}");
    let seqs: Vec<u64> = read_lines(&log)
        .iter()
        .filter_map(|l| uringlog_tests::field(l, "seq="))
        .collect();
    assert_eq!(seqs, (0..written).collect::<Vec<_>>());
    // A normal shutdown: nothing pending is left (what failed is counted
    // dropped, not kept).
    assert_eq!(pending_files(&dir), Vec::<String>::new());
}
