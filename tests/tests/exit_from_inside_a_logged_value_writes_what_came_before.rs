//! `std::process::exit` called from inside a value's `Display` while it
//! is being logged — the call never returns, and its record is never
//! complete. The exit hook writes every record logged before it, for the
//! exiting logger and for a second one whose guard was dropped while its
//! handles lived (parked) and that another thread keeps logging to; the
//! record being logged appears nowhere, not even in part. Async through
//! pwrite and io_uring, sync mode, and crash-safe mode, whose directory is
//! left with nothing to recover (the record being logged was never
//! committed).
//!
//! Each scenario runs in a process of its own: the test re-executes its
//! binary with `EXIT_SCENARIO` set.

use std::path::Path;
use std::process::Command;
use uringlog::{Backend, Builder, Logger, Mode};
use uringlog_sinks::FileSink;
use uringlog_tests::{read_lines, sequences, SHUTDOWN};

const SCENARIO: &str = "EXIT_SCENARIO";
const DIR: &str = "EXIT_DIR";
/// Records each logger takes before the exit.
const BEFORE: u64 = 1_000;
const CODE: i32 = 9;
const KINDS: [&str; 4] = ["pwrite", "io_uring", "sync", "crash_safe"];

/// Exits the process when formatted.
struct Exits;

impl std::fmt::Display for Exits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("partial")?;
        std::process::exit(CODE)
    }
}

fn builder(kind: &str, dir: &Path, name: &str) -> Builder {
    let b = Logger::builder().sink(FileSink::new(dir.join(name)).unwrap());
    match kind {
        "pwrite" => b.backend(Backend::Pwrite),
        "io_uring" => b.backend(Backend::IoUring),
        "sync" => b.mode(Mode::Sync),
        _ => b.crash_safe(dir.join("rings")),
    }
}

fn scenario(kind: &str, dir: &Path) -> ! {
    let (a, _guard) = builder(kind, dir, "a.log").build().unwrap();
    let (b, parked) = builder("pwrite", dir, "b.log").build().unwrap();
    drop(parked);
    for seq in 0..BEFORE {
        uringlog::info!(a, "t=0 seq={}", seq);
        uringlog::info!(b, "t=0 seq={}", seq);
    }
    std::thread::spawn(move || {
        for seq in 0.. {
            uringlog::info!(b, "t=1 seq={}", seq);
        }
    });
    uringlog::info!(a, "t=0 seq={} {}", BEFORE, Exits);
    unreachable!("exit returned");
}

#[test]
fn exit_from_inside_a_logged_value_writes_what_came_before() {
    if let (Ok(kind), Some(dir)) = (std::env::var(SCENARIO), std::env::var_os(DIR)) {
        scenario(&kind, Path::new(&dir));
    }
    for kind in KINDS {
        if kind == "io_uring"
            && !uringlog_tests::io_uring_available("exit_from_inside_a_logged_value")
        {
            continue;
        }
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "exit_from_inside_a_logged_value_writes_what_came_before",
            ])
            .args(["--nocapture", "--test-threads=1"])
            .env(SCENARIO, kind)
            .env(DIR, dir.path())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(CODE), "{kind}: {out:?}");
        let a = sequences(&read_lines(&dir.path().join("a.log")));
        let expected: Vec<u64> = (0..BEFORE).collect();
        assert_eq!(a.len(), 1, "{kind}");
        assert!(a[&0] == expected, "{kind}: a.log {:?}", a[&0].len());
        let b = sequences(&read_lines(&dir.path().join("b.log")));
        assert!(b[&0] == expected, "{kind}: b.log t=0 {}", b[&0].len());
        let t1 = b.get(&1).map_or(&[][..], Vec::as_slice);
        assert!(
            t1.iter().copied().eq(0..t1.len() as u64),
            "{kind}: b.log t=1"
        );
        if kind == "crash_safe" {
            let (logger, guard) = builder(kind, dir.path(), "a.log").build().unwrap();
            drop(logger);
            let s = guard.shutdown(SHUTDOWN).unwrap();
            assert_eq!((s.enqueued, s.written), (0, 0), "nothing recovered");
            assert_eq!(read_lines(&dir.path().join("a.log")).len() as u64, BEFORE);
        }
    }
}
