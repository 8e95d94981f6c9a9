//! `Mode::Sync` (the caller writes) produces exactly the bytes the writer
//! thread produces for the same records and clock.

use uringlog::{Clock, Level, Logger, Mode};
use uringlog_sinks::FileSink;
use uringlog_tests::{temp_log, SHUTDOWN};

fn run(mode: Mode) -> Vec<u8> {
    let (_dir, path) = temp_log("same.log");
    let (clock, hand) = Clock::manual(1_795_841_809_000_000_000);
    let (logger, guard) = Logger::builder()
        .sink(FileSink::new(&path).unwrap())
        .mode(mode)
        .level(Level::Trace)
        .clock(clock)
        .build()
        .unwrap();
    for i in 0..1000u64 {
        hand.advance_nanos(1_234_567);
        uringlog::log!(
            logger,
            Level::ALL[(i % 5) as usize],
            "i={i} line\nbreak \u{1b} {}",
            i * 3
        );
    }
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((s.enqueued, s.written), (1000, 1000));
    std::fs::read(&path).unwrap()
}

#[test]
fn sync_mode_writes_the_same_bytes_as_async() {
    let a = run(Mode::Async);
    let s = run(Mode::Sync);
    assert_eq!(a.len(), s.len());
    assert!(a == s, "outputs differ");
    let text = String::from_utf8(a).unwrap();
    assert_eq!(text.lines().count(), 1000);
    assert_eq!(
        text.lines().next().unwrap(),
        format!(
            "2026-11-28T04:56:49.001234Z TRACE {}: i=0 line\\nbreak \\x1b 0",
            module_path!()
        )
    );
}
