//! Rolling by size and by the hour while the wall clock steps back and
//! forth (across several hours, by one second, by one nanosecond less than
//! a second, forward over many hours) and `Logger::reopen` is asked
//! between: in both modes the books balance and the files together hold
//! every record written, each once, in order per producer within a file.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use uringlog::{Mode, Timestamp};
use uringlog_sinks::{Period, RollingFileSink};
use uringlog_tests::{assert_all_written, field, nov_28, strictly_increasing, SHUTDOWN};

const PRODUCERS: u64 = 2;
const PER_PRODUCER: u64 = 3_000;

/// Where the clock goes, in turn: back over hours, back by a second and
/// by a nanosecond less, forward over many hours.
fn steps() -> [u64; 8] {
    let s = 1_000_000_000;
    [
        nov_28(5, 0),
        nov_28(2, 30),
        nov_28(3, 0) - s,
        nov_28(3, 0) + 1,
        nov_28(3, 0) - (s - 1),
        nov_28(23, 59),
        nov_28(1, 0),
        nov_28(4, 0) - 1,
    ]
}

/// Logs through the storm into a sink that `keep` files (all without
/// it); returns the directory and the writer's stats.
fn storm(mode: Mode, keep: Option<usize>) -> (tempfile::TempDir, uringlog::Stats) {
    let dir = tempfile::tempdir().unwrap();
    let (clock, hand) = uringlog::Clock::manual(nov_28(4, 0));
    let mut builder = RollingFileSink::builder(dir.path(), "app")
        .period(Period::Hourly)
        .max_file_bytes(4_000)
        .clock(clock.clone());
    if let Some(keep) = keep {
        builder = builder.keep_files(keep);
    }
    let sink = builder.open().unwrap();
    let (logger, guard) = uringlog::Logger::builder()
        .sink(sink)
        .format(uringlog::Format::text().timestamp(Timestamp::Off))
        .clock(clock)
        .mode(mode)
        .build()
        .unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let stepper = {
        let (done, logger) = (done.clone(), logger.clone());
        std::thread::spawn(move || {
            for (i, at) in steps().into_iter().cycle().enumerate() {
                if done.load(Ordering::Relaxed) {
                    break;
                }
                hand.set_unix_nanos(at);
                if i % 3 == 0 {
                    logger.reopen().unwrap();
                }
                std::thread::yield_now();
            }
        })
    };
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|t| {
            let logger = logger.clone();
            std::thread::spawn(move || {
                for n in 0..PER_PRODUCER {
                    uringlog::info!(logger, target: "t", "t={} seq={}", t, n);
                }
            })
        })
        .collect();
    for p in producers {
        p.join().unwrap();
    }
    done.store(true, Ordering::Relaxed);
    stepper.join().unwrap();
    let stats = guard.shutdown(SHUTDOWN).unwrap();
    assert_all_written(&stats, PRODUCERS * PER_PRODUCER, &format!("{mode:?}"));
    (dir, stats)
}

fn run(mode: Mode) {
    let (dir, stats) = storm(mode, None);

    let mut seen: HashMap<u64, Vec<u64>> = HashMap::new();
    let files = std::fs::read_dir(dir.path()).unwrap().count() as u64;
    assert!(
        files > stats.bytes_written / 4_000,
        "{mode:?}: {files} files"
    );
    for e in std::fs::read_dir(dir.path()).unwrap() {
        let path = e.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.len() <= 4_000,
            "{}: {} bytes",
            path.display(),
            text.len()
        );
        let mut in_file: HashMap<u64, Vec<u64>> = HashMap::new();
        for line in text.lines() {
            let (t, n) = (field(line, "t=").unwrap(), field(line, "seq=").unwrap());
            in_file.entry(t).or_default().push(n);
        }
        for (t, v) in in_file {
            assert!(strictly_increasing(&v), "{mode:?} {}: {t}", path.display());
            seen.entry(t).or_default().extend(v);
        }
    }
    for t in 0..PRODUCERS {
        let mut v = seen.remove(&t).unwrap_or_default();
        v.sort_unstable();
        assert_eq!(
            v,
            (0..PER_PRODUCER).collect::<Vec<_>>(),
            "{mode:?}: producer {t}"
        );
    }
}

#[test]
fn rolling_through_clock_steps_back_and_forth_keeps_each_record_once() {
    run(Mode::Async);
    run(Mode::Sync);
}

/// With `keep_files(2)` at most two files remain, and they are the
/// newest: each producer's records in them are its last ones, without a
/// gap (neither the active file nor the one just rotated is deleted).
#[test]
fn retention_through_clock_steps_keeps_the_newest_records() {
    for mode in [Mode::Async, Mode::Sync] {
        let (dir, _) = storm(mode, Some(2));
        let names = uringlog_tests::file_names(dir.path());
        assert!(names.len() <= 2, "{mode:?}: {names:?}");
        let mut seen: HashMap<u64, Vec<u64>> = HashMap::new();
        for n in &names {
            for line in std::fs::read_to_string(dir.path().join(n)).unwrap().lines() {
                let (t, n) = (field(line, "t=").unwrap(), field(line, "seq=").unwrap());
                seen.entry(t).or_default().push(n);
            }
        }
        assert!(!seen.is_empty(), "{mode:?}: {names:?}");
        for (t, mut v) in seen {
            v.sort_unstable();
            let first = v[0];
            let tail: Vec<u64> = (first..PER_PRODUCER).collect();
            assert_eq!(v, tail, "{mode:?}: producer {t} in {names:?}");
        }
    }
}
