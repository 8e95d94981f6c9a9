//! Strings through deferred records: empty, multi-byte UTF-8, larger than
//! the ring (counted oversized, unless the spec cuts the text to fit),
//! control characters escaped as in any message, records that straddle
//! the ring's wrap point, and computed targets.

use uringlog::{Format, Level, Logger, MemoryHandle, Policy, SinkOptions, Timestamp};
use uringlog_tests::SHUTDOWN;

fn logger(
    ring: usize,
    policy: Policy,
) -> (Logger, uringlog::WriterGuard, MemoryHandle, MemoryHandle) {
    let (text, text_out) = uringlog::MemorySink::new();
    let (json, json_out) = uringlog::MemorySink::new();
    let (logger, guard) = Logger::builder()
        .sink_with(
            text,
            SinkOptions::new().format(Format::text().timestamp(Timestamp::Off)),
        )
        .sink_with(
            json,
            SinkOptions::new().format(Format::json().timestamp(Timestamp::Off)),
        )
        .ring_capacity(ring)
        .policy(policy)
        .build()
        .unwrap();
    (logger, guard, text_out, json_out)
}

#[test]
fn empty_and_multi_byte_strings_are_copied_exactly() {
    let (l, guard, text, json) = logger(4096, Policy::Block);
    let empty = "";
    let multi = "héllo ✓ 😀 ﷽";
    uringlog::info!(l, target: "t", "a=|{}| b=|{}|", empty, multi);
    uringlog::info!(l, target: "t", "{:^12}|{:.2}|{:?}", multi, multi, multi);
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((s.enqueued, s.written, s.dropped), (2, 2, 0));
    assert_eq!(
        text.lines(),
        [
            format!("INFO  t: a=|| b=|{multi}|"),
            format!("INFO  t: {multi:^12}|{multi:.2}|{multi:?}"),
        ]
    );
    let v: serde_json::Value = serde_json::from_str(&json.lines()[0]).unwrap();
    assert_eq!(v["msg"], format!("a=|| b=|{multi}|"));
}

#[test]
fn a_string_larger_than_the_ring_is_counted_oversized() {
    for policy in [Policy::Block, Policy::DropNewest, Policy::DropOldest] {
        let (l, guard, text, _) = logger(1024, policy);
        let big = "x".repeat(2000);
        uringlog::info!(l, target: "t", "before");
        uringlog::info!(l, target: "t", "{}", big);
        uringlog::info!(l, target: "t", "{big}!");
        // Cut to fit by its spec: the text fits, so it is written.
        uringlog::info!(l, target: "t", "{:.5}", big);
        uringlog::info!(l, target: "t", "after");
        let s = guard.shutdown(SHUTDOWN).unwrap();
        assert_eq!(
            (s.enqueued, s.written, s.dropped, s.oversized),
            (5, 3, 2, 2),
            "{policy:?}"
        );
        assert_eq!(
            text.lines(),
            ["INFO  t: before", "INFO  t: xxxxx", "INFO  t: after"]
        );
    }
}

#[test]
fn control_characters_are_escaped_as_in_any_message() {
    let (l, guard, text, json) = logger(4096, Policy::Block);
    let nasty = "a\nb\r\tc\u{1b}d\u{7f}\"\\";
    uringlog::info!(l, target: "t", "[{}] [{:?}]", nasty, nasty);
    l.log(Level::Info, "t", format_args!("[{}] [{:?}]", nasty, nasty));
    guard.shutdown(SHUTDOWN).unwrap();
    let lines = text.lines();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0], lines[1]);
    // Backslashes escaped as `\\`, controls as `\n`, `\r`, `\xNN`, tab kept.
    assert_eq!(
        lines[0],
        "INFO  t: [a\\nb\\r\tc\\x1bd\\x7f\"\\\\] [\"a\\\\nb\\\\r\\\\tc\\\\u{1b}d\\\\u{7f}\\\\\"\\\\\\\\\"]"
    );
    for line in json.lines() {
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["msg"], format!("[{nasty}] [{nasty:?}]"));
    }
}

#[test]
fn records_straddling_the_wrap_point_keep_their_bytes_and_order() {
    // A small ring: records wrap around it again and again.
    let (l, guard, text, _) = logger(256, Policy::Block);
    let words = ["", "é", "ab", "✓✓✓", "long-ish word"];
    for i in 0..3000u32 {
        let w = words[i as usize % words.len()];
        uringlog::info!(l, target: "t", "seq={} w={} f={}", i, w, i as f64 / 4.0);
    }
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((s.enqueued, s.written, s.dropped), (3000, 3000, 0));
    let lines = text.lines();
    for (i, line) in lines.iter().enumerate() {
        let w = words[i % words.len()];
        assert_eq!(
            line,
            &format!("INFO  t: seq={i} w={w} f={}", i as f64 / 4.0)
        );
    }
}

#[test]
fn a_computed_target_travels_with_the_record() {
    let (l, guard, text, _) = logger(4096, Policy::Block);
    for t in ["alpha", "beta::gamma", ""] {
        uringlog::warn!(l, target: t, "to {}", t);
    }
    uringlog::warn!(l, "default target");
    guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!(
        text.lines(),
        [
            "WARN  alpha: to alpha",
            "WARN  beta::gamma: to beta::gamma",
            "WARN  : to ",
            &format!("WARN  {}: default target", module_path!()),
        ]
    );
}
