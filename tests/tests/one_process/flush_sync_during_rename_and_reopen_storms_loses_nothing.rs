//! Threads log and call `flush_sync` while another renames the file away
//! and calls `reopen`, over and over (rename-style rotation as fast as it
//! goes): every `flush_sync` and `reopen` succeeds, and the files hold
//! every record once, in order per thread, on both backends and in sync
//! mode.

use std::sync::atomic::{AtomicBool, Ordering};
use uringlog::{Backend, Logger, Mode};
use uringlog_sinks::FileSink;
use uringlog_tests::{backends, file_names, lines_of_files, sequences, SHUTDOWN};

const THREADS: u64 = 3;
const RECORDS: u64 = 400;

fn scenario(mode: Mode, backend: Backend) {
    let what = format!("{mode:?} {backend:?}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let (logger, guard) = Logger::builder()
        .sink(FileSink::new(&path).unwrap())
        .mode(mode)
        .backend(backend)
        .build()
        .unwrap();
    let stop = AtomicBool::new(false);
    let rotations = std::thread::scope(|s| {
        let rotator = s.spawn(|| {
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                std::fs::rename(&path, dir.path().join(format!("app.log.{n:05}"))).unwrap();
                logger
                    .reopen()
                    .unwrap_or_else(|e| panic!("{what}: reopen: {e}"));
            }
            n
        });
        let loggers: Vec<_> = (0..THREADS)
            .map(|t| {
                let (logger, what) = (&logger, &what);
                s.spawn(move || {
                    for seq in 0..RECORDS {
                        uringlog::info!(logger, "t={} seq={}", t, seq);
                        if seq % 8 == t {
                            logger
                                .flush_sync()
                                .unwrap_or_else(|e| panic!("{what}: flush_sync: {e}"));
                        }
                    }
                })
            })
            .collect();
        for l in loggers {
            l.join().unwrap();
        }
        stop.store(true, Ordering::Relaxed);
        rotator.join().unwrap()
    });
    let s = guard.shutdown(SHUTDOWN).unwrap();
    let n = THREADS * RECORDS;
    assert_eq!(
        (s.enqueued, s.written, s.dropped, s.errors),
        (n, n, 0, 0),
        "{what}"
    );
    assert!(rotations > 1, "{what}");
    // Oldest first: the renamed files by number, then the open one.
    let mut names: Vec<String> = (file_names(dir.path()).into_iter())
        .filter(|n| n != "app.log")
        .collect();
    names.push("app.log".to_owned());
    let lines: Vec<String> = (lines_of_files(dir.path(), &names).into_iter())
        .map(|(_, l)| l)
        .collect();
    assert_eq!(lines.len() as u64, n, "{what}");
    let seqs = sequences(&lines);
    for t in 0..THREADS {
        assert_eq!(
            seqs[&t],
            (0..RECORDS).collect::<Vec<_>>(),
            "{what}: thread {t}"
        );
    }
}

#[test]
fn flush_sync_during_rename_and_reopen_storms_loses_nothing() {
    for backend in backends("flush_sync_during_rename_and_reopen_storms_loses_nothing") {
        scenario(Mode::Async, backend);
    }
    scenario(Mode::Sync, Backend::Pwrite);
}
