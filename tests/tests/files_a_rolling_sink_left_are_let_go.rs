//! The writer keeps each file a sink has left (rotated away, reopened)
//! until a sync round covers it, so `flush_sync` makes its records
//! durable too. It no longer keeps them for ever when no sync comes
//! (the default durability, no `flush_sync`): a file deleted since
//! (retention, another program) is let go at the sink's next switch of
//! file, its blocks freed; and after `MAX` files left unsynced, one sync
//! round covers them and lets them go. Before, every rotation left one
//! more descriptor open, and files retention deleted kept their space:
//! on a full disk, writing never resumed although retention deleted
//! file after file. One record per hour, each flushed on its own: every
//! rotation falls in a batch of its own. Both backends.

use uringlog::{Backend, Clock, Format, Logger, Timestamp};
use uringlog_sinks::{Period, RollingFileSink};
use uringlog_tests::{log_alone_at, nov_28, SHUTDOWN};

/// Files a sink may leave unsynced before a sync round covers them.
const MAX: u64 = 16;
const HOURS: u64 = 40;

/// The files in `dir` this process has open, by name (deleted ones
/// marked so by the kernel).
fn open_in(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| std::fs::read_link(e.unwrap().path()).ok())
        .filter(|t| t.starts_with(dir))
        .map(|t| t.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Logs one record an hour for [`HOURS`] hours; returns the files open in
/// the directory before shutdown, and the final stats.
fn hours(backend: Backend, dir: &std::path::Path, keep: Option<usize>) -> (Vec<String>, u64) {
    let (clock, hand) = Clock::manual(nov_28(0, 0));
    let mut b = RollingFileSink::builder(dir, "app")
        .period(Period::Hourly)
        .clock(clock.clone());
    if let Some(k) = keep {
        b = b.keep_files(k);
    }
    let (logger, guard) = Logger::builder()
        .sink(b.open().unwrap())
        .format(Format::text().timestamp(Timestamp::Off))
        .clock(clock)
        .backend(backend)
        .build()
        .unwrap();
    for h in 0..HOURS {
        log_alone_at(&logger, &hand, nov_28(h, 0), &format!("hour {h}"));
    }
    // Syncs in flight (io_uring) hold their files until they complete.
    let open = open_in(dir);
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!(
        (s.enqueued, s.written, s.dropped, s.errors),
        (HOURS, HOURS, 0, 0),
        "{backend:?}"
    );
    (open, s.syncs)
}

#[test]
fn files_a_rolling_sink_left_are_let_go() {
    for backend in uringlog_tests::backends("files_a_rolling_sink_left_are_let_go") {
        let d = tempfile::tempdir().unwrap();
        // Retention keeps the active file and the last rotated one; the
        // others are deleted and let go at once: no sync is needed.
        let kept = d.path().join("kept");
        let (open, syncs) = hours(backend, &kept, Some(2));
        assert_eq!(open, ["app.2026-11-29T14.log", "app.log"], "{backend:?}");
        assert_eq!(syncs, 0, "{backend:?}");

        // All kept: 39 rotations. At the 16th and the 32nd file left, a
        // round syncs them, not the active file (whose fresh pages the
        // writer would wait for); 7 are left since.
        let all = d.path().join("all");
        let (open, syncs) = hours(backend, &all, None);
        let rotations = HOURS - 1;
        let left = rotations % MAX;
        assert_eq!(open.len() as u64, left + 1, "{backend:?}: {open:?}");
        assert_eq!(syncs, rotations / MAX * MAX, "{backend:?}");
    }
}
