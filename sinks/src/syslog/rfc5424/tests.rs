//! Exact bytes of RFC 5424 messages, through a logger with a fixed clock.

use super::*;
use crate::syslog::framing::split_octet_counted;
use std::io;
use std::time::Duration;
use uringlog::{Clock, Logger, MemoryHandle, MemorySink, Sink, Target};

const T: u64 = 1_795_841_809_123_456_789; // 2026-11-28T04:56:49.123456789Z

/// Formats with the syslog format, keeps the bytes in memory.
struct Capture {
    format: Option<Rfc5424>,
    memory: MemorySink,
}

impl Sink for Capture {
    fn describe(&self) -> String {
        "capture".to_owned()
    }
    fn target(&mut self, _len: usize) -> io::Result<Target> {
        Ok(Target::Inline)
    }
    fn write_inline(&mut self, batch: &[u8]) -> io::Result<()> {
        self.memory.write_inline(batch)
    }
    fn record_format(&mut self) -> Option<Box<dyn RecordFormat>> {
        self.format
            .take()
            .map(|f| Box::new(f) as Box<dyn RecordFormat>)
    }
}

fn header() -> Header {
    Header {
        facility: Facility::Local0,
        hostname: "host.example".to_owned(),
        app_name: "web".to_owned(),
        procid: "4242".to_owned(),
        msgid: "REQ".to_owned(),
        sd_id: "fields@32473".to_owned(),
    }
}

/// Logs with `log` through a logger whose sink uses `format`; returns the bytes.
fn formatted(format: Rfc5424, log: impl FnOnce(&Logger)) -> Vec<u8> {
    let (memory, handle): (MemorySink, MemoryHandle) = MemorySink::new();
    let (clock, _manual) = Clock::manual(T);
    let sink = Capture {
        format: Some(format),
        memory,
    };
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .clock(clock)
        .level(Level::Trace)
        .build()
        .unwrap();
    log(&logger);
    guard.shutdown(Duration::from_secs(10)).unwrap();
    handle.bytes()
}

fn unframed(log: impl FnOnce(&Logger)) -> String {
    String::from_utf8(formatted(
        Rfc5424::new(&header(), Framing::None, 65536),
        log,
    ))
    .unwrap()
}

#[test]
fn a_plain_message_has_every_header_field() {
    let got = unframed(|l| uringlog::info!(l, "request id={}", 42));
    assert_eq!(
        got,
        "<134>1 2026-11-28T04:56:49.123456Z host.example web 4242 REQ - request id=42"
    );
}

#[test]
fn pri_follows_level_and_facility() {
    let mut h = header();
    h.facility = Facility::Kern;
    let f = Rfc5424::new(&h, Framing::OctetCounting, 65536);
    let got = formatted(f, |l| {
        uringlog::error!(l, "e");
        uringlog::warn!(l, "w");
        uringlog::info!(l, "i");
        uringlog::debug!(l, "d");
        uringlog::trace!(l, "t");
    });
    let pris: Vec<String> = split_octet_counted(&got)
        .unwrap()
        .iter()
        .map(|m| {
            String::from_utf8(m[..m.iter().position(|&b| b == b'>').unwrap() + 1].to_vec()).unwrap()
        })
        .collect();
    assert_eq!(pris, ["<3>", "<4>", "<6>", "<7>", "<7>"]);
    let mut h = header();
    h.facility = Facility::Local7;
    let got = String::from_utf8(formatted(Rfc5424::new(&h, Framing::None, 100), |l| {
        uringlog::debug!(l, "x")
    }))
    .unwrap();
    assert!(got.starts_with("<191>1 "), "{got}");
}

#[test]
fn fields_form_one_escaped_sd_element() {
    let got = unframed(
        |l| uringlog::warn!(l, user = "al\"ice", path = "a\\b]c", n = -7i64, ok = true, r = 0.5f64, none = None::<u8>; "slow"),
    );
    assert_eq!(
        got,
        "<132>1 2026-11-28T04:56:49.123456Z host.example web 4242 REQ \
         [fields@32473 user=\"al\\\"ice\" path=\"a\\\\b\\]c\" n=\"-7\" ok=\"true\" r=\"0.5\" none=\"null\"] slow"
    );
}

#[test]
fn param_names_keep_only_what_an_sd_name_allows() {
    let long = "k".repeat(40);
    let got = unframed(|l| {
        let fields: [uringlog::Field<'_>; 6] = [
            ("a b", &1u8),
            ("x=y", &2u8),
            ("q\"]", &3u8),
            ("é", &4u8),
            ("", &5u8),
            (long.as_str(), &6u8),
        ];
        l.log_fields(Level::Info, "t", &fields, format_args!("m"))
    });
    let sd = &got[got.find('[').unwrap()..got.rfind(']').unwrap() + 1];
    assert_eq!(
        sd,
        format!(
            "[fields@32473 a_b=\"1\" x_y=\"2\" q__=\"3\" _=\"4\" _=\"5\" {}=\"6\"]",
            "k".repeat(32)
        )
    );
}

#[test]
fn invalid_utf8_in_byte_values_becomes_the_replacement_character() {
    let got = unframed(|l| uringlog::info!(l, raw = &b"a\xffb"[..]; "m"));
    assert!(got.contains("[fields@32473 raw=\"a\u{fffd}b\"] m"), "{got}");
}

#[test]
fn an_empty_message_leaves_out_msg_and_its_space() {
    let got = unframed(|l| uringlog::info!(l, ""));
    assert!(got.ends_with(" REQ -"), "{got:?}");
}

#[test]
fn octet_counting_prefixes_the_length_in_bytes() {
    let f = Rfc5424::new(&header(), Framing::OctetCounting, 65536);
    let got = formatted(f, |l| {
        uringlog::info!(l, "line one\nstill one é");
        uringlog::info!(l, "two");
    });
    let one =
        "<134>1 2026-11-28T04:56:49.123456Z host.example web 4242 REQ - line one\nstill one é";
    let two = "<134>1 2026-11-28T04:56:49.123456Z host.example web 4242 REQ - two";
    let want = format!("{} {one}{} {two}", one.len(), two.len());
    assert_eq!(String::from_utf8(got).unwrap(), want);
}

#[test]
fn long_messages_are_cut_at_a_character_boundary() {
    let head = "<134>1 2026-11-28T04:56:49.123456Z host.example web 4242 REQ - ";
    let max = head.len() + 5;
    let got = formatted(Rfc5424::new(&header(), Framing::None, max), |l| {
        uringlog::info!(l, "abcé€x")
    });
    // "abcé" is 5 bytes; "€" would cross the limit.
    assert_eq!(String::from_utf8(got).unwrap(), format!("{head}abcé"));
    assert_eq!(cut_utf8("€".as_bytes(), 2), b"");
    assert_eq!(cut_utf8(b"ab", 0), b"");
}
