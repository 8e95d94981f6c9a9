//! A file sink asked to reserves blocks ahead of its file's end (`st_blocks` runs
//! ahead of the size while it writes) and gives back what it did not use
//! when it closes (a shutdown, sync mode, `process::exit`), reopens its
//! path (asked to, or finding the file replaced) and (rolling) rotates,
//! also while the batch before is still in flight: the file then takes
//! exactly the blocks a file of its bytes written without preallocation
//! takes. A reopen that fails keeps them in the file still written. Off
//! unless asked for. On
//! ext4 (the temporary directory) and on tmpfs.

use std::os::unix::fs::MetadataExt;
use std::path::Path;
use uringlog::Backend;
use uringlog_sinks::{FileSink, RollingFileSink};
use uringlog_tests::Tmpfs;
use uringlog_tests::{assert_all_written, bare_line_logger, log_each_flushed, SHUTDOWN};

const STEP: u64 = 1 << 20;
/// A `seq_line` with its newline.
const LINE: u64 = 100;
const PAGE: u64 = 4096;

fn blocks(path: &Path) -> u64 {
    std::fs::metadata(path).unwrap().blocks()
}

/// `st_blocks` of a file of `path`'s bytes written afresh beside it.
fn plain_blocks(path: &Path) -> u64 {
    let copy = path.with_extension("plain");
    std::fs::write(&copy, std::fs::read(path).unwrap()).unwrap();
    let b = blocks(&copy);
    std::fs::remove_file(copy).unwrap();
    b
}

/// 512-byte blocks of `bytes` rounded up to whole pages.
fn pages_of(bytes: u64) -> u64 {
    bytes.div_ceil(PAGE) * PAGE / 512
}

/// Logs 1,000 lines one batch each: the first batch reserves one step
/// past itself, and 100 KB never reach its end.
fn close_gives_back(dir: &Path) {
    let path = dir.join("app.log");
    let sink = FileSink::new(&path).unwrap().preallocate_bytes(STEP);
    let (logger, guard) = bare_line_logger(sink, Backend::Pwrite);
    assert!(log_each_flushed(&logger, 0..1000).is_empty());
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 1000 * LINE);
    assert_eq!(blocks(&path), pages_of(LINE + STEP), "reserved ahead");
    assert_all_written(&guard.shutdown(SHUTDOWN).unwrap(), 1000, "close");
    assert_eq!(blocks(&path), plain_blocks(&path), "given back at close");
    assert_eq!(blocks(&path), pages_of(1000 * LINE));
}

#[test]
fn close_gives_back_on_ext4() {
    let tmp = tempfile::tempdir().unwrap();
    close_gives_back(tmp.path());
}

#[test]
fn close_gives_back_on_tmpfs() {
    let tmp = tempfile::tempdir().unwrap();
    let fs = Tmpfs::mount(tmp.path().join("fs"), "size=64m");
    close_gives_back(&fs.0);
}

/// A file sink's logger (`backend`) in a new directory, 10 lines logged
/// to `app.log`, then the file renamed to `app.log.1`.
fn ten_lines_then_renamed(
    backend: Backend,
) -> (
    tempfile::TempDir,
    std::path::PathBuf,
    uringlog::Logger,
    uringlog::WriterGuard,
) {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("app.log");
    let sink = FileSink::new(&path).unwrap().preallocate_bytes(STEP);
    let (logger, guard) = bare_line_logger(sink, backend);
    assert!(log_each_flushed(&logger, 0..10).is_empty());
    std::fs::rename(&path, tmp.path().join("app.log.1")).unwrap();
    (tmp, path, logger, guard)
}

#[test]
fn reopen_gives_back_the_file_left() {
    let (tmp, path, logger, guard) = ten_lines_then_renamed(Backend::IoUring);
    let old = tmp.path().join("app.log.1");
    assert_eq!(blocks(&old), pages_of(LINE + STEP));
    logger.reopen().unwrap();
    assert!(log_each_flushed(&logger, 10..20).is_empty());
    assert_eq!(blocks(&old), plain_blocks(&old), "given back at reopen");
    assert_eq!(blocks(&path), pages_of(LINE + STEP), "the new file, ahead");
    assert_all_written(&guard.shutdown(SHUTDOWN).unwrap(), 20, "reopen");
    assert_eq!(blocks(&path), plain_blocks(&path));
}

/// A rolling sink in a new directory, rotating every `lines` lines.
fn rolling_by_lines(lines: u64) -> (tempfile::TempDir, RollingFileSink) {
    let tmp = tempfile::tempdir().unwrap();
    let sink = RollingFileSink::builder(tmp.path(), "app")
        .max_file_bytes(lines * LINE)
        .preallocate_bytes(STEP)
        .open()
        .unwrap();
    (tmp, sink)
}

#[test]
fn rotation_gives_back_each_file_rotated_away() {
    let (tmp, sink) = rolling_by_lines(100);
    let (logger, guard) = bare_line_logger(sink, Backend::IoUring);
    assert!(log_each_flushed(&logger, 0..350).is_empty());
    let active = tmp.path().join("app.log");
    assert_eq!(
        blocks(&active),
        pages_of(LINE + STEP),
        "the active file, ahead"
    );
    let mut rotated = uringlog_tests::file_names(tmp.path());
    rotated.retain(|n| n != "app.log");
    assert_eq!(rotated.len(), 3, "{rotated:?}");
    for name in &rotated {
        let p = tmp.path().join(name);
        assert_eq!(std::fs::metadata(&p).unwrap().len(), 100 * LINE, "{name}");
        assert_eq!(blocks(&p), pages_of(100 * LINE), "{name} given back");
    }
    assert_all_written(&guard.shutdown(SHUTDOWN).unwrap(), 350, "rotation");
    assert_eq!(blocks(&active), pages_of(50 * LINE), "given back at close");
}

/// Logs 100 lines through `sink` (on `path`): no block runs ahead.
fn reserves_nothing(path: &Path, sink: FileSink) {
    let (logger, guard) = bare_line_logger(sink, Backend::Pwrite);
    assert!(log_each_flushed(&logger, 0..100).is_empty());
    assert_eq!(blocks(path), pages_of(100 * LINE));
    assert_all_written(&guard.shutdown(SHUTDOWN).unwrap(), 100, "off");
}

#[test]
fn a_step_of_zero_reserves_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("app.log");
    reserves_nothing(&path, FileSink::new(&path).unwrap().preallocate_bytes(0));
}

/// A step set and then set to 0 before the first write is off.
#[test]
fn a_step_turned_on_then_off_reserves_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("app.log");
    let sink = FileSink::new(&path).unwrap().preallocate_bytes(STEP);
    reserves_nothing(&path, sink.preallocate_bytes(0));
}

/// Preallocation is off unless asked for (see `DEFAULT_PREALLOCATE_BYTES`).
#[test]
fn a_file_sink_reserves_nothing_by_default() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("app.log");
    reserves_nothing(&path, FileSink::new(&path).unwrap());
}

/// The rolling sink too.
#[test]
fn a_rolling_sink_reserves_nothing_by_default() {
    let tmp = tempfile::tempdir().unwrap();
    let sink = RollingFileSink::builder(tmp.path(), "app")
        .max_file_bytes(1 << 30)
        .open()
        .unwrap();
    let (logger, guard) = bare_line_logger(sink, Backend::Pwrite);
    assert!(log_each_flushed(&logger, 0..100).is_empty());
    let active = tmp.path().join("app.log");
    assert_eq!(blocks(&active), pages_of(100 * LINE));
    assert_all_written(&guard.shutdown(SHUTDOWN).unwrap(), 100, "off");
}

#[test]
fn sync_mode_gives_back_at_close() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("app.log");
    let sink = FileSink::new(&path).unwrap().preallocate_bytes(STEP);
    let (logger, guard) = uringlog::Logger::builder()
        .sink(sink)
        .mode(uringlog::Mode::Sync)
        .format(
            uringlog::Format::text()
                .timestamp(uringlog::Timestamp::Off)
                .without_target(),
        )
        .build()
        .unwrap();
    assert!(log_each_flushed(&logger, 0..1000).is_empty());
    assert_eq!(blocks(&path), pages_of(LINE + STEP), "reserved ahead");
    assert_all_written(&guard.shutdown(SHUTDOWN).unwrap(), 1000, "sync mode");
    assert_eq!(blocks(&path), pages_of(1000 * LINE), "given back at close");
}

#[test]
fn rotation_under_load_gives_back_files_once_their_batches_landed() {
    let (tmp, sink) = rolling_by_lines(1000);
    // No flush: io_uring keeps a batch in flight while the next is made,
    // so rotations come with the batch before still on its way.
    let (logger, guard) = bare_line_logger(sink, Backend::IoUring);
    for seq in 0..20_000u64 {
        uringlog::info!(logger, "seq={:05} {}", seq, "i".repeat(83));
    }
    assert_all_written(&guard.shutdown(SHUTDOWN).unwrap(), 20_000, "under load");
    let names = uringlog_tests::file_names(tmp.path());
    assert_eq!(names.len(), 20, "{names:?}");
    for name in &names {
        let p = tmp.path().join(name);
        assert_eq!(std::fs::metadata(&p).unwrap().len(), 1000 * LINE, "{name}");
        assert_eq!(blocks(&p), pages_of(1000 * LINE), "{name} given back");
    }
}

const EXIT_CHILD: &str = "URINGLOG_PREALLOC_EXIT_CHILD";

#[test]
fn process_exit_gives_back() {
    if let Ok(path) = std::env::var(EXIT_CHILD) {
        let sink = FileSink::new(path).unwrap().preallocate_bytes(STEP);
        let (logger, guard) = bare_line_logger(sink, Backend::IoUring);
        std::mem::forget(guard);
        for seq in 0..1000u64 {
            uringlog::info!(logger, "seq={:05} {}", seq, "i".repeat(83));
        }
        std::process::exit(0);
    }
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("app.log");
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "process_exit_gives_back"])
        .env(EXIT_CHILD, &path)
        .status()
        .unwrap();
    assert!(status.success());
    let want: String = (0..1000)
        .map(|s| uringlog_tests::seq_line(s) + "\n")
        .collect();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), want);
    assert_eq!(blocks(&path), pages_of(1000 * LINE), "given back at exit");
}

#[test]
fn a_file_replaced_under_the_sink_is_given_back() {
    let (tmp, path, logger, guard) = ten_lines_then_renamed(Backend::Pwrite);
    let old = tmp.path().join("app.log.1");
    std::fs::write(&path, "").unwrap();
    // The writer checks the path about once a second, before a batch.
    let mut seq = 10;
    uringlog_tests::wait_for("a line in the new file", || {
        assert!(log_each_flushed(&logger, seq..seq + 1).is_empty());
        seq += 1;
        std::fs::metadata(&path).unwrap().len() > 0
    });
    assert_eq!(
        blocks(&old),
        plain_blocks(&old),
        "the file left, given back"
    );
    assert_eq!(blocks(&path), pages_of(LINE + STEP), "the new one, ahead");
    assert_all_written(&guard.shutdown(SHUTDOWN).unwrap(), seq, "replaced");
}

/// A reopen that fails (a directory now at the path) keeps writing to the
/// file open before, and keeps the blocks reserved ahead in it. (It gave
/// them back, for the next batch to reserve them again: a truncation and
/// a step's `fallocate` at every try, and the writer tries every second
/// while the path stays taken.)
#[test]
fn a_failed_reopen_keeps_the_blocks_ahead_of_the_file_still_written() {
    let (tmp, path, logger, guard) = ten_lines_then_renamed(Backend::Pwrite);
    let old = tmp.path().join("app.log.1");
    std::fs::create_dir(&path).unwrap();
    assert!(logger.reopen().is_err());
    assert_eq!(blocks(&old), pages_of(LINE + STEP), "still reserved");
    // A flush may fail: the writer's own check of the path fails to
    // reopen it too, and says so.
    log_each_flushed(&logger, 10..20);
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((s.enqueued, s.written, s.dropped), (20, 20, 0));
    let want: String = (0..20)
        .map(|s| uringlog_tests::seq_line(s) + "\n")
        .collect();
    assert_eq!(std::fs::read_to_string(&old).unwrap(), want);
    assert_eq!(blocks(&old), pages_of(20 * LINE), "given back at close");
}
