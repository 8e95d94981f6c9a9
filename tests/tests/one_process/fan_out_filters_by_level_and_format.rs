//! Fan-out: everything to one sink as text, warnings and errors to another
//! as JSON lines; structured fields rendered by both formats.

use std::time::Duration;
use uringlog::{Clock, Format, Level, Logger, MemorySink, SinkOptions, Timestamp};

#[test]
fn fan_out_filters_by_level_and_format() {
    let (all, all_out) = MemorySink::new();
    let (bad, bad_out) = MemorySink::new();
    let (clock, _) = Clock::manual(1_795_841_809_123_456_789);
    let (logger, guard) = Logger::builder()
        .level(Level::Debug)
        .sink_with(
            all,
            SinkOptions::new().format(Format::text().timestamp(Timestamp::Millis)),
        )
        .sink_with(
            bad,
            SinkOptions::new()
                .min_level(Level::Warn)
                .format(Format::json()),
        )
        .clock(clock)
        .build()
        .unwrap();
    uringlog::trace!(logger, "below the logger level");
    uringlog::debug!(logger, target: "app", "cache warm");
    uringlog::info!(logger, target: "app", user = "alice", id = 42; "request {}", "/x");
    uringlog::warn!(logger, target: "app", ms = 1500u64, slow = true; "slow \"query\"");
    uringlog::error!(logger, target: "db", err = uringlog::display("EIO"), retry = None::<u32>; "write failed");
    let stats = guard.shutdown(Duration::from_secs(5)).unwrap();
    assert_eq!((stats.enqueued, stats.written, stats.dropped), (4, 4, 0));

    assert_eq!(
        all_out.text(),
        "2026-11-28T04:56:49.123Z DEBUG app: cache warm\n\
         2026-11-28T04:56:49.123Z INFO  app: \"request /x\" user=alice id=42\n\
         2026-11-28T04:56:49.123Z WARN  app: \"slow \\\"query\\\"\" ms=1500 slow=true\n\
         2026-11-28T04:56:49.123Z ERROR db: \"write failed\" err=EIO retry=null\n"
    );
    assert_eq!(
        bad_out.text(),
        "{\"ts\":\"2026-11-28T04:56:49.123456Z\",\"level\":\"WARN\",\"target\":\"app\",\"msg\":\"slow \\\"query\\\"\",\"ms\":1500,\"slow\":true}\n\
         {\"ts\":\"2026-11-28T04:56:49.123456Z\",\"level\":\"ERROR\",\"target\":\"db\",\"msg\":\"write failed\",\"err\":\"EIO\",\"retry\":null}\n"
    );
}
