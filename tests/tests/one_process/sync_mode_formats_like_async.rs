//! Mode::Sync writes the same bytes as the writer thread, for both formats,
//! structured fields and thread ids included.

use std::time::Duration;
use uringlog::{Clock, Format, Logger, MemoryHandle, MemorySink, Mode, SinkOptions};

fn run(mode: Mode) -> (MemoryHandle, MemoryHandle) {
    let (text, text_out) = MemorySink::new();
    let (json, json_out) = MemorySink::new();
    let (clock, _) = Clock::manual(1_795_841_809_123_456_789);
    let (logger, guard) = Logger::builder()
        .mode(mode)
        .sink_with(
            text,
            SinkOptions::new().format(Format::text().with_thread_id()),
        )
        .sink_with(
            json,
            SinkOptions::new().format(Format::json().with_thread_id()),
        )
        .clock(clock)
        .build()
        .unwrap();
    uringlog::info!(logger, target: "s", "plain {}", 1);
    uringlog::warn!(logger, target: "s", k = "v w", n = -1; "with fields");
    guard.shutdown(Duration::from_secs(5)).unwrap();
    (text_out, json_out)
}

#[test]
fn sync_mode_formats_like_async() {
    let (a_text, a_json) = run(Mode::Async);
    let (s_text, s_json) = run(Mode::Sync);
    assert_eq!(a_text.lines().len(), 2);
    assert_eq!(s_text.text(), a_text.text());
    assert_eq!(s_json.text(), a_json.text());
    // SAFETY: gettid has no preconditions.
    let tid = unsafe { libc::gettid() };
    assert!(a_text.text().ends_with(&format!(
        "WARN  [{tid}] s: \"with fields\" k=\"v w\" n=-1\n"
    )));
}
