//! A record too large for `DropOldest`'s ring is oversized in sync mode
//! too. The slotted ring holds less than its capacity in bytes (56 of each
//! 64 for records, less a 16-byte record header): 229,360 bytes for the
//! default 256 KiB. Sync mode capped every policy at the capacity, so a
//! record between the two was counted oversized in async mode and written
//! in sync mode.

use uringlog::{Format, Logger, Mode, Policy, Timestamp};
use uringlog_sinks::FileSink;
use uringlog_tests::SHUTDOWN;

/// `DropOldest`'s largest record for the default ring (4,096 slots).
const RING_MAX: usize = 4096 * 56 - 16;

#[test]
fn drop_oldest_caps_records_alike_in_sync_mode() {
    let dir = tempfile::tempdir().unwrap();
    for mode in [Mode::Async, Mode::Sync] {
        let path = dir.path().join(format!("{mode:?}.log"));
        let (logger, guard) = Logger::builder()
            .sink(FileSink::new(&path).unwrap())
            .format(Format::text().timestamp(Timestamp::Off))
            .mode(mode)
            .policy(Policy::DropOldest)
            .build()
            .unwrap();
        let fits = "f".repeat(RING_MAX - 1_000);
        let over = "o".repeat(RING_MAX + 1_000);
        uringlog::info!(logger, "{}", fits);
        uringlog::info!(logger, "{}", over);
        uringlog::info!(logger, "after");
        drop(logger);
        let s = guard.shutdown(SHUTDOWN).unwrap();
        assert_eq!(
            (s.enqueued, s.written, s.dropped, s.oversized),
            (3, 2, 1, 1),
            "{mode:?}"
        );
        let text = std::fs::read_to_string(&path).unwrap();
        let lengths: Vec<usize> = text.lines().map(str::len).collect();
        assert_eq!(lengths.len(), 2, "{mode:?}");
        assert!(text.lines().next().unwrap().ends_with(&fits), "{mode:?}");
        assert!(text.ends_with(" after\n"), "{mode:?}");
    }
}
