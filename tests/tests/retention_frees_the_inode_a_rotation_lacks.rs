//! A `RollingFileSink` by size with `keep_files(2)` on a file system
//! with inodes for the active file and one rotated file only (a tmpfs
//! mounted with few `nr_inodes`). Each rotation after the first renames
//! the active file and finds no inode for the next one (`ENOSPC`).
//!
//! Before, the rotation gave up there: retention ran only after a
//! rotation that succeeded, and the writer held the oldest rotated file
//! open (a file a sink left is held until its next switch of file), so
//! deleting it would have freed no inode either. Every rotation failed,
//! and the active file grew for ever.
//!
//! Now retention deletes the oldest rotated file at once and the sink
//! says so (a notice, not an error: nothing is lost); the writer lets go
//! of the deleted file when told, and the next batch rotates. Every
//! record is written once, in order; the files are the newest two. With
//! `keep_files(1)` and no inode to spare, retention can delete nothing
//! (the file being written is never deleted): each rotation fails with an
//! error naming the path and errno, and writing goes on into the active
//! file. Both backends. Needs root (to mount).

use uringlog::Backend;
use uringlog_sinks::RollingFileSink;
use uringlog_tests::{bare_line_logger, file_names, log_each_flushed, seq_line, Tmpfs, SHUTDOWN};

/// Ten 100-byte lines a file.
const FILE: u64 = 1_000;
/// Records: the first file's ten, twenty files of eleven (each rotation
/// but the first comes a batch late), and five in the active file.
const RECORDS: u64 = 10 + 11 * 20 + 5;

/// What [`run`] saw: the final counters, the flushes that failed (by
/// record) and the errors and notices reported.
struct Seen {
    logs: std::path::PathBuf,
    end: uringlog::Stats,
    failed_flushes: Vec<u64>,
    reports: Vec<String>,
}

/// Mounts a tmpfs with `nr_inodes` under `base`, makes `logs` in it and
/// a logger on a rolling sink there keeping `keep` files; logs
/// [`RECORDS`] records, each flushed on its own (a batch each).
fn run(backend: Backend, base: &std::path::Path, keep: usize, nr_inodes: u32) -> (Tmpfs, Seen) {
    let fs = Tmpfs::mount(
        base.join(format!("{backend:?}-{keep}")),
        &format!("size=4m,nr_inodes={nr_inodes}"),
    );
    let logs = fs.0.join("logs");
    std::fs::create_dir(&logs).unwrap();
    let sink = RollingFileSink::builder(&logs, "app")
        .max_file_bytes(FILE)
        .keep_files(keep)
        .open()
        .unwrap();
    let (logger, guard) = bare_line_logger(sink, backend);
    let failed_flushes = log_each_flushed(&logger, 0..RECORDS);
    let end = guard.shutdown(SHUTDOWN).unwrap();
    let reports = logger.recent_errors();
    let seen = Seen {
        logs,
        end,
        failed_flushes,
        reports,
    };
    (fs, seen)
}

/// The lines of `names` in `logs`, checked whole.
fn lines_in(logs: &std::path::Path, names: &[String]) -> Vec<String> {
    let v = uringlog_tests::lines_of_files(logs, names);
    v.into_iter().map(|(_, l)| l).collect()
}

/// What a run must have done: the flushes that failed (each counted as
/// an error), the files left, the first record they hold, and the one
/// report, repeated, that the logger made (`{0}` the active file).
struct Want<'a> {
    failed_flushes: Vec<u64>,
    names: [&'a str; 2],
    first: u64,
    report: &'a str,
}

impl Seen {
    fn check(&self, want: Want<'_>, what: &str) {
        let (end, reports) = (&self.end, &self.reports);
        let errors = want.failed_flushes.len() as u64;
        assert_eq!(
            (end.enqueued, end.written, end.dropped, end.errors),
            (RECORDS, RECORDS, 0, errors),
            "{what}: {reports:?}"
        );
        assert_eq!(
            self.failed_flushes, want.failed_flushes,
            "{what}: {reports:?}"
        );
        let names: Vec<String> = (want.names.iter())
            .filter(|n| !n.is_empty())
            .map(|n| n.to_string())
            .collect();
        assert_eq!(file_names(&self.logs), names, "{what}");
        let lines: Vec<String> = (want.first..RECORDS).map(seq_line).collect();
        assert_eq!(lines_in(&self.logs, &names), lines, "{what}");
        let report = (want.report).replace("{0}", &self.logs.join("app.log").display().to_string());
        assert_eq!(reports.last(), Some(&report), "{what}: {reports:?}");
        assert!(reports.iter().all(|r| *r == report), "{what}: {reports:?}");
    }
}

fn keep_two(backend: Backend, base: &std::path::Path) {
    // Inodes: the root, `logs`, `app.log` and one rotated file.
    let (_fs, seen) = run(backend, base, 2, 4);
    // The first rotation takes number 1; each later one fails once (its
    // number used) and succeeds at the next batch: 3, 5, … 41.
    let want = Want {
        failed_flushes: Vec::new(),
        names: ["app.000041.log", "app.log"],
        first: RECORDS - 16,
        report: "{0}: cannot start a new log file yet: cannot open log file {0}: No space left \
                 on device (os error 28); retention deleted 1 file(s) to make room, the next \
                 batch tries again; still writing to {0}",
    };
    seen.check(want, &format!("{backend:?}, keeping 2"));
}

fn keep_one(backend: Backend, base: &std::path::Path) {
    // Inodes: the root, `logs` and `app.log`: none for a rotation.
    let (_fs, seen) = run(backend, base, 1, 3);
    // A rotation is due at every tenth record, and fails.
    let want = Want {
        failed_flushes: (1..=(RECORDS - 1) / 10).map(|k| 10 * k).collect(),
        names: ["", "app.log"],
        first: 0,
        report: "{0}: cannot start a new log file: cannot open log file {0}: No space left on \
                 device (os error 28); still writing to {0}",
    };
    seen.check(want, &format!("{backend:?}, keeping 1"));
}

#[test]
fn retention_frees_the_inode_a_rotation_lacks() {
    let base = tempfile::tempdir().unwrap();
    for backend in uringlog_tests::backends("retention_frees_the_inode_a_rotation_lacks") {
        keep_two(backend, base.path());
        keep_one(backend, base.path());
    }
}
