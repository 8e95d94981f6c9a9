//! RELP frames: exact bytes out, and hostile bytes in.

use super::*;
use proptest::prelude::*;

fn parse_all(bytes: &[u8]) -> Result<Vec<ServerFrame>, ProtocolError> {
    let mut p = Parser::default();
    p.feed(bytes);
    let mut out = Vec::new();
    while let Some(f) = p.next_frame()? {
        out.push(f);
    }
    Ok(out)
}

fn rsp(txnr: u32, code: u16, text: &str, data: &[u8]) -> ServerFrame {
    ServerFrame::Rsp {
        txnr,
        code,
        text: text.to_owned(),
        data: data.to_vec(),
    }
}

#[test]
fn commands_are_framed_exactly() {
    let mut out = Vec::new();
    push_command(&mut out, 1, b"open", OPEN_OFFERS);
    push_command(&mut out, 2, b"syslog", b"<14>1 - - - - - hi");
    push_command(&mut out, 3, b"close", b"");
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "1 open 53 relp_version=0\nrelp_software=uringlog\ncommands=syslog\n\
         2 syslog 18 <14>1 - - - - - hi\n\
         3 close 0\n"
    );
    assert_eq!(next_txnr(1), 2);
    assert_eq!(next_txnr(MAX_TXNR), 1);
}

#[test]
fn responses_parse_in_any_pieces() {
    let open = "200 OK\nrelp_version=0\nrelp_software=librelp,1.11.0\ncommands=syslog";
    let wire = format!(
        "1 rsp {} {open}\n2 rsp 6 200 OK\n3 rsp 24 500 not enough resources\n0 serverclose 0\n",
        open.len()
    );
    let wire = wire.as_bytes();
    let want = vec![
        rsp(
            1,
            200,
            "OK",
            b"relp_version=0\nrelp_software=librelp,1.11.0\ncommands=syslog",
        ),
        rsp(2, 200, "OK", b""),
        rsp(3, 500, "not enough resources", b""),
        ServerFrame::ServerClose,
    ];
    assert_eq!(parse_all(wire).unwrap(), want);
    for cut in 0..wire.len() {
        let mut p = Parser::default();
        let mut got = Vec::new();
        for piece in [&wire[..cut], &wire[cut..]] {
            p.feed(piece);
            while let Some(f) = p.next_frame().unwrap() {
                got.push(f);
            }
        }
        assert_eq!(got, want, "cut at {cut}");
    }
}

#[test]
fn txnr_distance_counts_across_the_wrap() {
    assert_eq!(txnr_distance(2, 2), 0);
    assert_eq!(txnr_distance(2, 130), 128);
    assert_eq!(txnr_distance(MAX_TXNR - 1, MAX_TXNR), 1);
    assert_eq!(txnr_distance(MAX_TXNR - 1, 1), 2);
    assert_eq!(txnr_distance(MAX_TXNR, 5), 5);
    assert_eq!(next_txnr(MAX_TXNR), 1);
}

#[test]
fn a_bare_status_code_is_a_response() {
    assert_eq!(parse_all(b"7 rsp 3 200\n").unwrap(), [rsp(7, 200, "", b"")]);
}

#[test]
fn hostile_frames_are_errors() {
    let cases: &[(&[u8], &str)] = &[
        (b"x rsp 6 200 OK\n", "bad TXNR"),
        (b"1234567890 rsp 6 200 OK\n", "bad TXNR"),
        (b"1 rs-p 6 200 OK\n", "bad command"),
        (b"1 rsp 6x 200 OK\n", "bad DATALEN"),
        (b"1 rsp 999999999 ", "limit"),
        (b"1 rsp 6 200 OKX", "does not end with LF"),
        (b"1 rsp 0 x", "DATALEN 0 followed by data"),
        (b"1 rsp 3\n", "DATALEN not followed by SP"),
        (b"1 rsp 2 OK\n", "without a status code"),
        (b"1 rsp 4 200X\n", "not followed by SP or LF"),
        (b"1 syslog 2 hi\n", "unexpected command"),
        (b"0 rsp 3 200\n", "unexpected command"),
        (b"5 serverclose 0\n", "unexpected command"),
        (b"1\n", "header ends early"),
        (b" 1 rsp", "empty header field"),
    ];
    for (bytes, why) in cases {
        let e = parse_all(bytes).expect_err(&String::from_utf8_lossy(bytes));
        assert!(
            e.0.contains(why),
            "{:?}: {e}",
            String::from_utf8_lossy(bytes)
        );
    }
    let e = parse_all(&[b'1'; 200]).unwrap_err();
    assert!(e.0.contains("bad TXNR"), "{e}");
    let e = parse_all(&[b'a'; 60]).unwrap_err();
    assert!(e.0.contains("bad TXNR"), "{e}");
    let e = parse_all(b"7 r").map(|f| f.len());
    assert_eq!(e, Ok(0), "an incomplete header waits for more");
    let mut long = b"1 ".to_vec();
    long.extend([b'r'; 40]);
    let e = parse_all(&long).unwrap_err();
    assert!(e.0.contains("header"), "{e}");
}

#[test]
fn open_offers_must_include_the_version_and_syslog() {
    assert!(check_open_offers(b"relp_version=0\ncommands=syslog").is_ok());
    assert!(check_open_offers(b"commands=foo,syslog\nrelp_version=1").is_ok());
    let e = check_open_offers(b"commands=syslog").unwrap_err();
    assert!(e.0.contains("no relp_version"), "{e}");
    let e = check_open_offers(b"relp_version=0\ncommands=eventlog").unwrap_err();
    assert!(e.0.contains("syslog command"), "{e}");
}

proptest! {
    /// Any bytes, in any pieces: frames, an error, or a wait for more —
    /// never a panic, and never more buffered than one frame can need.
    #[test]
    fn arbitrary_bytes_never_panic(chunks in proptest::collection::vec(proptest::collection::vec(prop_oneof![Just(b' '), Just(b'\n'), b'0'..=b'9', b'a'..=b'z', any::<u8>()], 0..40), 0..20)) {
        let mut p = Parser::default();
        'feed: for c in chunks {
            p.feed(&c);
            loop {
                match p.next_frame() {
                    Ok(Some(_)) => {}
                    Ok(None) => break,
                    Err(_) => break 'feed,
                }
            }
            prop_assert!(p.buf.len() <= MAX_HEADER + 2 + MAX_RSP_DATA);
        }
    }
}
