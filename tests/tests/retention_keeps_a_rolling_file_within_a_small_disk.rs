//! A `RollingFileSink` by the hour with `keep_files(2)` on a disk with
//! room for about two hours of records (a 256 KiB tmpfs mostly taken by
//! another file): each rotation's retention deletes the oldest file and
//! its space comes back, so the disk never fills and every record is
//! written. Before, the writer held every file a rotation left open
//! until a sync that never came: the deleted files kept their blocks, the
//! disk filled in the third hour and no record was written after that.
//! Both backends. Needs root (to mount).

use uringlog::{Backend, Clock, Format, Logger, Timestamp};
use uringlog_sinks::{Period, RollingFileSink};
use uringlog_tests::{file_names, nov_28, Tmpfs, SHUTDOWN};

const HOURS: u64 = 12;
/// Records an hour: ~27 KiB.
const PER_HOUR: u64 = 300;

fn scenario(backend: Backend, base: &std::path::Path) {
    let what = format!("{backend:?}");
    let fs = Tmpfs::mount_256k(base.join(&what));
    // Leaves ~66 KiB: two hours' files and some room.
    std::fs::write(fs.0.join("filler"), vec![b'f'; 190 * 1024]).unwrap();
    let logs = fs.0.join("logs");
    let (clock, hand) = Clock::manual(nov_28(0, 0));
    let sink = RollingFileSink::builder(&logs, "app")
        .period(Period::Hourly)
        .keep_files(2)
        .clock(clock.clone())
        .open()
        .unwrap();
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .clock(clock)
        .format(Format::text().timestamp(Timestamp::Off).without_target())
        .backend(backend)
        .batch_bytes(4 * 1024)
        .build()
        .unwrap();
    let n = HOURS * PER_HOUR;
    for seq in 0..n {
        hand.set_unix_nanos(nov_28(seq / PER_HOUR, 0));
        uringlog::info!(logger, "seq={} {}", seq, uringlog_tests::varied_pad(seq));
        if seq % 50 == 49 {
            logger
                .flush()
                .unwrap_or_else(|e| panic!("{what}: seq {seq}: {e}"));
        }
    }
    let end = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!(
        (end.enqueued, end.written, end.dropped, end.errors),
        (n, n, 0, 0),
        "{what}"
    );
    let last = format!("app.2026-11-28T{:02}.log", HOURS - 2);
    assert_eq!(file_names(&logs), [last.as_str(), "app.log"], "{what}");
    let names = [last, "app.log".to_owned()];
    let lines: Vec<String> = uringlog_tests::lines_of_files(&logs, &names)
        .into_iter()
        .map(|(_, l)| l)
        .collect();
    let want: Vec<String> = ((HOURS - 2) * PER_HOUR..n)
        .map(uringlog_tests::varied_line)
        .collect();
    assert_eq!(lines, want, "{what}");
}

#[test]
fn retention_keeps_a_rolling_file_within_a_small_disk() {
    let base = tempfile::tempdir().unwrap();
    for backend in uringlog_tests::backends("retention_keeps_a_rolling_file_within_a_small_disk") {
        scenario(backend, base.path());
    }
}
