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

/// The SD-PARAMs of an unframed message's one SD-ELEMENT, as
/// (name, unescaped value), and the MSG after it; panics if the
/// structured data is not well formed.
fn parse_sd(msg: &str) -> (Vec<(String, String)>, String) {
    let at = msg.find(" [fields@32473").expect("an SD-ELEMENT");
    let mut it = msg[at + 14..].chars().peekable();
    let mut params = Vec::new();
    loop {
        match it.next().expect("the element ends") {
            ']' => break,
            ' ' => {}
            c => panic!("unexpected {c:?} in {msg:?}"),
        }
        let name: String = it.by_ref().take_while(|&c| c != '=').collect();
        assert_eq!(it.next(), Some('"'), "{msg:?}");
        let mut value = String::new();
        loop {
            match it.next().expect("the value ends") {
                '\\' => {
                    let c = it.next().expect("an escaped character");
                    assert!(matches!(c, '"' | '\\' | ']'), "bad escape {c:?}");
                    value.push(c);
                }
                '"' => break,
                ']' => panic!("unescaped ] in {msg:?}"),
                c => value.push(c),
            }
        }
        params.push((name, value));
    }
    let rest: String = it.collect();
    (params, rest.strip_prefix(' ').unwrap_or(&rest).to_owned())
}

#[test]
fn huge_fields_are_cut_so_the_whole_message_fits() {
    const MAX: usize = 2048;
    let big = "é\"\\]".repeat(1000);
    for framing in [Framing::None, Framing::OctetCounting] {
        let got = formatted(Rfc5424::new(&header(), framing, MAX), |l| {
            uringlog::info!(l, a = "kept", big = big.as_str(), after = "left out"; "the message");
        });
        let msg = match framing {
            Framing::None => got,
            Framing::OctetCounting => split_octet_counted(&got).unwrap()[0].to_vec(),
        };
        assert!(msg.len() <= MAX, "{} bytes", msg.len());
        let msg = String::from_utf8(msg).unwrap();
        let (params, text) = parse_sd(&msg);
        assert_eq!(text, "the message", "the message text keeps its room");
        assert_eq!(params.len(), 2, "{params:?}");
        assert_eq!(params[0], ("a".to_owned(), "kept".to_owned()));
        assert_eq!(params[1].0, "big");
        assert!(
            big.starts_with(&params[1].1),
            "a prefix of the value, whole characters"
        );
        assert!(
            params[1].1.len() > MAX / 2,
            "most of the room: {}",
            params[1].1.len()
        );
    }
}

#[test]
fn a_cut_never_splits_an_escape_or_a_character() {
    let head = "<134>1 2026-11-28T04:56:49.123456Z host.example web 4242 REQ ";
    for extra in 0..12 {
        let max = head.len() + "[fields@32473 k=\"".len() + extra + 2;
        let got = formatted(
            Rfc5424::new(&header(), Framing::None, max),
            |l| uringlog::info!(l, k = "\\\"é]\\\\x€"; ""),
        );
        assert!(got.len() <= max, "{extra}: {} > {max}", got.len());
        let (params, _) = parse_sd(&String::from_utf8(got).unwrap());
        let v = &params[0].1;
        assert!("\\\"é]\\\\x€".starts_with(v.as_str()), "{extra}: {v:?}");
    }
}

#[test]
fn a_field_with_no_room_at_all_is_left_out() {
    let head = "<134>1 2026-11-28T04:56:49.123456Z host.example web 4242 REQ ";
    let max = head.len() + "[fields@32473]".len() + 3;
    let got = formatted(
        Rfc5424::new(&header(), Framing::None, max),
        |l| uringlog::info!(l, long_name_here = "v"; ""),
    );
    assert_eq!(
        String::from_utf8(got).unwrap(),
        format!("{head}[fields@32473]")
    );
}
