//! A `RollingFileSink` by the hour with `keep_total_bytes` just under
//! three hours' files: each rotation must delete the oldest rotated file,
//! leaving two. Records are logged with no flush in between, so the
//! writer routes an hour's first batch (and rotates) while the last
//! batches of the hour before may still be in flight (io_uring). Before,
//! retention measured the file just rotated on disk, without them, and
//! kept a third file whenever any were. Now it counts what the writer was
//! handed for it. Both backends.

use uringlog::{Backend, Clock, Format, Logger, Timestamp};
use uringlog_sinks::{Period, RollingFileSink};
use uringlog_tests::{file_names, nov_28, seq_line, SHUTDOWN};

const HOURS: u64 = 8;
const PER_HOUR: u64 = 1_000;
/// Bytes of a line (see `seq_line`).
const LINE: u64 = 100;
/// Bytes of an hour's file.
const HOUR_FILE: u64 = PER_HOUR * LINE;

fn scenario(backend: Backend, dir: &std::path::Path) {
    let what = format!("{backend:?}");
    let (clock, hand) = Clock::manual(nov_28(0, 0));
    let sink = RollingFileSink::builder(dir, "app")
        .period(Period::Hourly)
        .keep_total_bytes(3 * HOUR_FILE - 1)
        .clock(clock.clone())
        .open()
        .unwrap();
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .clock(clock)
        .format(Format::text().timestamp(Timestamp::Off).without_target())
        .backend(backend)
        .batch_bytes(16 * 1024)
        .io_depth(8)
        .build()
        .unwrap();
    let n = HOURS * PER_HOUR;
    for seq in 0..n {
        hand.set_unix_nanos(nov_28(seq / PER_HOUR, 0));
        uringlog::info!(logger, "seq={:05} {}", seq, "i".repeat(83));
    }
    let end = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!(
        (end.enqueued, end.written, end.dropped, end.errors),
        (n, n, 0, 0),
        "{what}"
    );
    let kept: Vec<String> = (HOURS - 3..HOURS - 1)
        .map(|h| format!("app.2026-11-28T{h:02}.log"))
        .chain(["app.log".to_owned()])
        .collect();
    assert_eq!(file_names(dir), kept, "{what}");
    let lines: Vec<String> = uringlog_tests::lines_of_files(dir, &kept)
        .into_iter()
        .map(|(_, l)| l)
        .collect();
    let want: Vec<String> = ((HOURS - 3) * PER_HOUR..n).map(seq_line).collect();
    assert_eq!(lines, want, "{what}");
}

#[test]
fn retention_by_bytes_counts_batches_still_in_flight() {
    let base = tempfile::tempdir().unwrap();
    for backend in uringlog_tests::backends("retention_by_bytes_counts_batches_still_in_flight") {
        let dir = base.path().join(format!("{backend:?}"));
        scenario(backend, &dir);
    }
}
