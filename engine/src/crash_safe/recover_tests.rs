//! Recovery against valid, mutated and random files: exact results for
//! valid rings, and for any bytes no panic, no out-of-bounds access and
//! no unbounded loop (each property runs `CASES` inputs).

use super::layout::*;
use super::recover::*;
use super::sites::*;
use crate::callsite::{CallSite, CustomFmt, Slot};
use crate::deferred::tag;
use crate::format::{Format, Formatter, Record, Rendering};
use crate::level::Level;
use crate::record::{Header, RecordKind, HEADER_LEN};
use proptest::prelude::*;

/// Inputs per property.
const CASES: u32 = 4096;

/// A ring file image holding `msgs` (Text records, target "t") from
/// position `start` on, as a producer would have written them, with the
/// state's epoch 1 releasing `start`.
fn image(cap: usize, start: u64, msgs: &[String]) -> Vec<u8> {
    let mut b = vec![0u8; RING_HEADER_LEN + cap];
    b[..8].copy_from_slice(&RING_MAGIC);
    put_u32(&mut b, H_VERSION, VERSION);
    put_u32(&mut b, H_HEADER_LEN, RING_HEADER_LEN as u32);
    put_u64(&mut b, H_CAPACITY, cap as u64);
    put_u32(&mut b, H_THREAD, 7);
    put_u64(&mut b, H_GENERATION, 1);
    put_u64(&mut b, H_RELEASED + 16, start);
    put_u64(&mut b, H_RELEASED_EPOCH + 16, 1);
    let mut pos = start;
    // Each frame carries the crc of the frame before it.
    let mut carried = 0;
    for (seq, m) in msgs.iter().enumerate() {
        let h = Header::text(Level::Info, seq as u64, 1, m.len()).encode();
        let parts: [&[u8]; 3] = [&h, b"t", m.as_bytes()];
        let len = h.len() + 1 + m.len();
        let prefix = frame_prefix(len, carried, seq as u64);
        carried = frame_crc(seq as u64, &parts);
        let mut frame = prefix.to_vec();
        for p in parts {
            frame.extend_from_slice(p);
        }
        frame.resize(framed_len(len), 0);
        for (i, byte) in frame.iter().enumerate() {
            b[RING_HEADER_LEN + ((pos as usize + i) % cap)] = *byte;
        }
        pos += frame.len() as u64;
    }
    put_u64(&mut b, H_WRITE, pos);
    b
}

/// A ring holding one frame around `record` (any bytes): the newest
/// frame, which carries no crc of its own (see `layout`).
fn image_of_raw(record: &[u8]) -> Vec<u8> {
    let cap = framed_len(record.len()).max(64);
    let mut b = vec![0u8; RING_HEADER_LEN + cap];
    b[..8].copy_from_slice(&RING_MAGIC);
    put_u32(&mut b, H_VERSION, VERSION);
    put_u32(&mut b, H_HEADER_LEN, RING_HEADER_LEN as u32);
    put_u64(&mut b, H_CAPACITY, cap as u64);
    put_u64(&mut b, H_RELEASED_EPOCH + 16, 1);
    let prefix = frame_prefix(record.len(), 0, 0);
    b[RING_HEADER_LEN..RING_HEADER_LEN + 16].copy_from_slice(&prefix);
    b[RING_HEADER_LEN + 16..RING_HEADER_LEN + 16 + record.len()].copy_from_slice(record);
    put_u64(&mut b, H_WRITE, framed_len(record.len()) as u64);
    b
}

/// Indices in [`image`]'s bytes of its newest frame (none without frames).
fn newest_frame_bytes(b: &[u8], cap: usize, start: u64, msgs: &[String]) -> Vec<usize> {
    let Some(last) = msgs.last() else {
        return Vec::new();
    };
    let framed = framed_len(16 + 1 + last.len());
    let end = get_u64(b, H_WRITE).unwrap() as usize;
    debug_assert!(end >= start as usize + framed);
    (end - framed..end).map(|p| RING_HEADER_LEN + p % cap).collect()
}

/// Recovers from ring bytes `b` as of committed epoch 1; also renders
/// every record, as the writer would.
fn recover(b: &[u8]) -> Recovered {
    recover_with(b, None)
}

/// [`recover`] with a call-site table for deferred records.
fn recover_with(b: &[u8], sites: Option<&SiteMap>) -> Recovered {
    let mut out = Recovered::default();
    match parse_ring_header(b) {
        Ok(h) => match start_pos(&h, Some(1)) {
            Ok(from) => read_ring(b, &h, from, "ring", sites, &mut out, &mut Keep::All),
            Err(e) => out.problem(e),
        },
        Err(e) => out.problem(e),
    }
    let mut f = Formatter::new(Format::text());
    let (mut line, mut msg) = (Vec::new(), Vec::new());
    for r in &out.records {
        if let Some(rec) = Record::decode(&r.header, &r.body, 0, r.thread, &mut msg, Rendering::Eager) {
            f.write(&mut line, &rec);
        }
    }
    out
}

/// `{:x}` as the macros generate it.
fn hex(w: &mut dyn std::fmt::Write, v: &dyn std::fmt::LowerHex, _: usize, _: usize) -> std::fmt::Result {
    write!(w, "{v:x}")
}

/// A call site `"n={} h={:x} s={}"` (target "site", line 7).
static SITE: CallSite = CallSite::new(
    Some(Level::Info),
    Some("site"),
    "src/x.rs",
    7,
    "x",
    &["n=", " h=", " s=", ""],
    &[Slot::DISPLAY, Slot::custom(CustomFmt::LowerHex(hex), false, false), Slot::DISPLAY],
);

fn site_addr() -> u64 {
    &SITE as *const CallSite as u64
}

/// A call-site table file holding `SITE` (and a second, unrelated entry).
fn table() -> Vec<u8> {
    let mut b = vec![0u8; SITES_HEADER_LEN];
    b[..8].copy_from_slice(&SITES_MAGIC);
    put_u32(&mut b, 8, SITES_VERSION);
    put_u64(&mut b, 16, 1);
    let mut e = Vec::new();
    encode_entry(&mut e, &SITE, 8);
    b.extend_from_slice(&e);
    encode_entry(&mut e, &SITE, site_addr());
    b.extend_from_slice(&e);
    b
}

/// The deferred record `SITE` logs for `(n, s)`, its hex value already
/// text (as the caller makes it in crash-safe mode).
fn deferred_record(seq: u64, n: u64, s: &str) -> Vec<u8> {
    let mut p = site_addr().to_le_bytes().to_vec();
    p.push(tag::U64);
    p.extend_from_slice(&n.to_le_bytes());
    let h = format!("{n:x}");
    p.push(tag::PRE);
    p.extend_from_slice(&(h.len() as u32).to_le_bytes());
    p.extend_from_slice(h.as_bytes());
    p.push(tag::STR);
    p.extend_from_slice(&(s.len() as u32).to_le_bytes());
    p.extend_from_slice(s.as_bytes());
    let h = Header::new(RecordKind::Deferred, Level::Info, seq, 1, p.len()).unwrap();
    let mut r = h.encode().to_vec();
    r.push(b't');
    r.extend_from_slice(&p);
    r
}

/// A ring holding `recs` (whole records) from position 0.
fn ring_of(recs: &[Vec<u8>]) -> Vec<u8> {
    let cap = 4096;
    let mut b = image(cap, 0, &[]);
    let (mut pos, mut carried) = (0, 0);
    for (seq, r) in recs.iter().enumerate() {
        let prefix = frame_prefix(r.len(), carried, seq as u64);
        carried = frame_crc(seq as u64, &[r]);
        b[RING_HEADER_LEN + pos..][..16].copy_from_slice(&prefix);
        b[RING_HEADER_LEN + pos + 16..][..r.len()].copy_from_slice(r);
        pos += framed_len(r.len());
    }
    put_u64(&mut b, H_WRITE, pos as u64);
    b
}

/// The messages of the recovered records, rendered as the writer does.
fn messages_of(r: &Recovered) -> Vec<String> {
    let mut msg = Vec::new();
    (r.records.iter())
        .filter_map(|x| {
            let rec = Record::decode(&x.header, &x.body, 0, x.thread, &mut msg, Rendering::Eager)?;
            if rec.file().is_some() {
                assert_eq!(rec.target(), b"site");
                assert_eq!((rec.file(), rec.line()), (Some(&b"src/x.rs"[..]), Some(7)));
            } else {
                // Written with its values only: the record's own target.
                assert_eq!(rec.target(), b"t");
            }
            Some(String::from_utf8(rec.message().to_vec()).unwrap())
        })
        .collect()
}

fn deferred_inputs() -> Vec<(u64, String)> {
    (0..12u64).map(|i| (i * 977, format!("v{i} \"q\"\t"))).collect()
}

#[test]
fn deferred_records_render_through_the_table() {
    let inputs = deferred_inputs();
    let recs: Vec<_> = (inputs.iter().enumerate())
        .map(|(i, (n, s))| deferred_record(i as u64, *n, s))
        .collect();
    let (generation, map, problem) = parse_sites(&table()).unwrap();
    assert_eq!((generation, map.len(), problem), (1, 2, None));
    let r = recover_with(&ring_of(&recs), Some(&map));
    assert_eq!((r.skipped, &r.problems[..]), (0, &[][..]));
    let want: Vec<String> = inputs.iter().map(|(n, s)| format!("n={n} h={n:x} s={s}")).collect();
    assert_eq!(messages_of(&r), want);
    // Without a table, or without the entry, every record is written
    // with its values only, none skipped.
    let bare: Vec<String> = (inputs.iter())
        .map(|(n, s)| {
            let addr = site_addr();
            format!("[call site {addr:#x} not in the call-site table] values: {n}, \"{n:x}\", {s:?}")
        })
        .collect();
    let r = recover_with(&ring_of(&recs), None);
    assert_eq!((r.records.len(), r.skipped, r.no_site), (12, 0, 12));
    assert_eq!(messages_of(&r), bare);
    let mut other = map.clone();
    other.remove(&site_addr());
    let r = recover_with(&ring_of(&recs), Some(&other));
    assert_eq!((r.records.len(), r.skipped, r.no_site), (12, 0, 12));
    assert_eq!((messages_of(&r), &r.problems[..]), (bare, &[][..]));
    assert_eq!(r.records[0].body[0], b't');
    // A table cut in its last entry keeps the first one only.
    let t = table();
    let (_, map, problem) = parse_sites(&t[..t.len() - 3]).unwrap();
    assert_eq!(map.len(), 1);
    assert!(problem.unwrap().starts_with("bad entry length "));
    // Values that do not match the call site are skipped, never rendered.
    let mut bad = deferred_record(0, 5, "x");
    let at = bad.len() - 6;
    bad[at] = tag::U8;
    let (_, map, _) = parse_sites(&table()).unwrap();
    let r = recover_with(&ring_of(&[bad]), Some(&map));
    assert_eq!((r.records.len(), r.skipped), (0, 1));
    assert_eq!(r.problems[0], "ring: record 0: its values do not match call site src/x.rs:7; skipped");
}

fn messages() -> impl Strategy<Value = Vec<String>> {
    proptest::collection::vec("[ -~]{0,40}", 0..24)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    /// A valid ring gives back exactly its records, wherever it wraps.
    #[test]
    fn a_valid_ring_recovers_exactly(msgs in messages(), start8 in 0u64..10_000) {
        let cap = 2048;
        let total: usize = msgs.iter().map(|m| framed_len(16 + 1 + m.len())).sum();
        prop_assume!(total <= cap);
        let r = recover(&image(cap, start8 * 8, &msgs));
        prop_assert_eq!(r.skipped, 0);
        let got: Vec<&[u8]> = r.records.iter().map(|x| &x.body[1..]).collect();
        let want: Vec<&[u8]> = msgs.iter().map(|m| m.as_bytes()).collect();
        prop_assert_eq!(got, want);
    }

    /// Flipped bytes, overwritten words and truncation: never a panic;
    /// every record recovered is one that was written, in order, once —
    /// except that the newest frame, which carries no crc of its own (see
    /// `layout`), is taken as it reads when a mutation hit it: then the
    /// last record recovered may differ from what was written. A cut
    /// never makes a frame the newest: the frame before it is kept only
    /// when the crc the next frame carries survives and matches.
    #[test]
    fn mutated_rings_never_panic_and_recover_only_real_records(
        msgs in messages(),
        start8 in 0u64..10_000,
        flips in proptest::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 0..6),
        words in proptest::collection::vec((0usize..48, any::<u64>()), 0..3),
        cut in proptest::option::of(any::<prop::sample::Index>()),
    ) {
        let cap = 2048;
        let total: usize = msgs.iter().map(|m| framed_len(16 + 1 + m.len())).sum();
        prop_assume!(total <= cap);
        let mut b = image(cap, start8 * 8, &msgs);
        // The newest frame's bytes, and the positions that say where the
        // frames are (a changed one may end the walk at another frame).
        let newest = newest_frame_bytes(&b, cap, start8 * 8, &msgs);
        let positions = |i: usize| (H_WRITE..H_WRITE + 8).contains(&i) || (H_RELEASED..H_RELEASED_EPOCH + 24).contains(&i);
        let mut newest_hit = false;
        for (at, x) in flips {
            let i = at.index(b.len());
            newest_hit |= newest.contains(&i) || positions(i);
            b[i] ^= x;
        }
        for (w, v) in words {
            newest_hit |= positions(w * 8);
            put_u64(&mut b, w * 8, v);
        }
        if let Some(c) = cut {
            b.truncate(c.index(b.len() + 1));
        }
        let r = recover(&b);
        let mut at = 0;
        for (k, x) in r.records.iter().enumerate() {
            let body = &x.body[1..];
            let pos = msgs[at..].iter().position(|m| m.as_bytes() == body);
            let newest_may_differ = newest_hit && k + 1 == r.records.len();
            prop_assert!(pos.is_some() || newest_may_differ, "recovered a record never written");
            at += pos.unwrap_or(0) + 1;
        }
    }

    /// A ring cut anywhere, wrapping or not, one frame's message flipped
    /// or none: exactly the frames `layout`'s rule keeps are recovered
    /// (see [`expected_after_cut`]), each skip counted and described.
    #[test]
    fn cut_rings_keep_exactly_their_checked_frames(
        msgs in messages(),
        start8 in 0u64..10_000,
        cut in any::<prop::sample::Index>(),
        flip in any::<prop::sample::Index>(),
        flipped in any::<bool>(),
    ) {
        let cap = 2048;
        let total: usize = msgs.iter().map(|m| framed_len(16 + 1 + m.len())).sum();
        prop_assume!(total <= cap);
        let mut b = image(cap, start8 * 8, &msgs);
        // Only non-empty messages have a byte to flip.
        let flipped = (flipped && !msgs.is_empty()).then(|| flip.index(msgs.len()));
        let flipped = flipped.filter(|&k| !msgs[k].is_empty());
        if let Some(k) = flipped {
            flip_in(&mut b, cap, start8 * 8, &msgs, k);
        }
        let cut = RING_HEADER_LEN + cut.index(cap + 1);
        check_cut(&b[..cut], cap, start8 * 8, &msgs, flipped, "");
    }

    /// Records with any header and payload in a ring's newest frame (no
    /// crc to check: a crafted file): refused or decoded and formatted,
    /// never a panic; deferred
    /// records (addresses of another process) are refused or written with
    /// their values only.
    #[test]
    fn crafted_records_with_valid_crcs_never_panic(
        kind in 0u8..8,
        level in any::<u8>(),
        target_len in 0u16..40,
        body in proptest::collection::vec(any::<u8>(), 0..200),
    ) {
        let mut record = vec![0u8; 16];
        put_u32(&mut record, 0, (16 + body.len()) as u32);
        record[4] = kind;
        record[5] = level;
        record[6..8].copy_from_slice(&target_len.to_le_bytes());
        record.extend_from_slice(&body);
        let r = recover(&image_of_raw(&record));
        prop_assert!(r.records.len() <= 1);
        if kind == RecordKind::Deferred as u8 {
            // Its address means nothing here: at most its values.
            prop_assert_eq!(r.records.len() as u64, r.no_site);
            for x in &r.records {
                let msg = &x.body[x.header.target_len as usize..];
                prop_assert!(msg.starts_with(b"[call site "));
            }
        }
        prop_assert_eq!(r.records.len() as u64 + r.skipped, 1);
    }

    /// A mutated call-site table: never a panic; each deferred record is
    /// rendered exactly as logged or skipped, and counted either way.
    #[test]
    fn mutated_tables_never_panic_nor_render_wrongly(
        flips in proptest::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 0..6),
        cut in proptest::option::of(any::<prop::sample::Index>()),
        random in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..400)),
    ) {
        let mut t = match random {
            Some(r) => [&table()[..SITES_HEADER_LEN], &r].concat(),
            None => table(),
        };
        for (at, x) in flips {
            let i = at.index(t.len());
            t[i] ^= x;
        }
        if let Some(c) = cut {
            t.truncate(c.index(t.len() + 1));
        }
        let inputs = deferred_inputs();
        let recs: Vec<_> = (inputs.iter().enumerate())
            .map(|(i, (n, s))| deferred_record(i as u64, *n, s))
            .collect();
        let map = parse_sites(&t).map(|x| x.1).ok();
        let r = recover_with(&ring_of(&recs), map.as_ref());
        prop_assert_eq!(r.records.len() as u64 + r.skipped, 12);
        let mut msg = Vec::new();
        let mut bare_ones = 0;
        for x in &r.records {
            let rec = Record::decode(&x.header, &x.body, 0, x.thread, &mut msg, Rendering::Eager);
            let rec = rec.expect("a recovered record decodes");
            let (n, s) = &inputs[x.header.clock as usize];
            let want = format!("n={n} h={n:x} s={s}");
            let addr = site_addr();
            let bare = format!("[call site {addr:#x} not in the call-site table] values: {n}, \"{n:x}\", {s:?}");
            // A flipped byte inside a piece changes the entry's crc: the
            // entry is gone, never wrong; the record keeps its values.
            let rendered = rec.message() == want.as_bytes();
            prop_assert!(rendered || rec.message() == bare.as_bytes(), "{:?}", rec.message());
            bare_ones += !rendered as u64;
        }
        prop_assert_eq!(bare_ones, r.no_site);
    }

    /// Random bytes as a ring file or a state file: never a panic.
    #[test]
    fn random_files_never_panic(
        b in proptest::collection::vec(any::<u8>(), 0..6000),
        magic in any::<bool>(),
        cap8 in 1u64..256,
    ) {
        let mut b = b;
        if magic && b.len() >= RING_HEADER_LEN {
            b[..8].copy_from_slice(&RING_MAGIC);
            put_u32(&mut b, H_VERSION, VERSION);
            put_u32(&mut b, H_HEADER_LEN, RING_HEADER_LEN as u32);
            b.resize(RING_HEADER_LEN + cap8 as usize * 8, 0);
            put_u64(&mut b, H_CAPACITY, cap8 * 8);
        }
        let r = recover(&b);
        prop_assert!(r.records.len() <= b.len() / 32 + 1);
        let mut s = b.clone();
        s.resize(STATE_LEN, 0);
        if magic {
            s[..8].copy_from_slice(&STATE_MAGIC);
            put_u32(&mut s, S_VERSION, STATE_VERSION);
        }
        let _ = parse_state(&s);
        let _ = parse_state(&b);
    }
}

#[test]
fn a_state_file_round_trips_its_committed_slot() {
    let mut s = vec![0u8; STATE_LEN];
    s[..8].copy_from_slice(&STATE_MAGIC);
    put_u32(&mut s, S_VERSION, STATE_VERSION);
    put_u32(&mut s, S_PID, 42);
    put_u64(&mut s, S_GENERATION, 3);
    put_u64(&mut s, S_COMMITTED, 5);
    let slot = SLOT_OFFSET + SLOT_LEN;
    put_u64(&mut s, slot, 5);
    put_u32(&mut s, slot + 12, 1);
    let e = slot + SLOT_FIXED;
    put_u64(&mut s, e, 1);
    put_u64(&mut s, e + 8, 2);
    put_u64(&mut s, e + 16, 300);
    put_u32(&mut s, e + 24, 5);
    s[e + FILE_FIXED..e + FILE_FIXED + 5].copy_from_slice(b"/a/b\xff");
    let st = parse_state(&s).unwrap();
    assert_eq!((st.pid, st.generation, st.committed), (42, 3, 5));
    assert_eq!(st.files.len(), 1);
    assert_eq!(
        (st.files[0].dev, st.files[0].ino, st.files[0].len),
        (1, 2, 300)
    );
    put_u64(&mut s, slot, 4);
    assert_eq!(
        parse_state(&s).unwrap_err(),
        "slot of epoch 5 holds another epoch"
    );
}

/// Files of the directory that are not regular files — FIFOs, whose open
/// or read would wait for a writer, and a device through a symlink (one
/// like `/dev/zero` has a read that never ends) — are reported by path
/// and left unread; none was ours, so none counts as a record skipped,
/// and each goes with the ring files (said once).
#[test]
fn files_that_are_not_regular_files_are_not_read() {
    use std::os::unix::ffi::OsStrExt;
    let tmp = tempfile::tempdir().unwrap();
    let fifo = |name: &str| {
        let path = std::ffi::CString::new(tmp.path().join(name).as_os_str().as_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(path.as_ptr(), 0o600) }, 0);
        // Before the fix, a reader blocked here until a writer came and
        // went: one comes, writes a few bytes and goes.
        let path = tmp.path().join(name);
        std::thread::spawn(move || {
            if let Ok(mut f) = std::fs::OpenOptions::new().write(true).open(path) {
                let _ = std::io::Write::write_all(&mut f, b"garbage");
            }
        });
    };
    fifo(STATE_FILE);
    fifo("sites-1");
    fifo("ring-1-0");
    std::os::unix::fs::symlink("/dev/null", tmp.path().join("ring-1-1")).unwrap();
    let out = read_dir(tmp.path());
    let path = |name: &str| tmp.path().join(name).display().to_string();
    assert_eq!(
        out.problems,
        [
            format!("cannot read {}: not a regular file", path(STATE_FILE)),
            format!("{}: not a regular file; removed", path("ring-1-0")),
            format!("{}: not a regular file; removed", path("ring-1-1")),
            format!("{}: not a regular file; removed", path("sites-1")),
        ]
    );
    assert_eq!((out.found, out.rings.len(), out.skipped), (0, 0, 0));
    let mut old: Vec<_> = out.old_files.iter().map(|p| p.display().to_string()).collect();
    old.sort();
    assert_eq!(old, [path("ring-1-0"), path("ring-1-1"), path("sites-1")]);
}

#[test]
fn a_sequence_number_at_its_largest_does_not_overflow() {
    // Found by the fuzz target: the next expected sequence after
    // u64::MAX overflowed (a panic in builds with overflow checks).
    let msgs = ["last".to_owned(), "wrapped".to_owned()];
    let mut b = image(4096, 0, &msgs);
    // Re-frame both records with sequences u64::MAX and 0.
    let (mut pos, mut carried) = (0, 0);
    for seq in [u64::MAX, 0] {
        let at = RING_HEADER_LEN + pos;
        let len = get_u32(&b, at).unwrap() as usize - FRAME_PREFIX;
        let framed = framed_len(len);
        let prefix = frame_prefix(len, carried, seq);
        carried = frame_crc(seq, &[&b[at + FRAME_PREFIX..at + FRAME_PREFIX + len]]);
        b[at..at + FRAME_PREFIX].copy_from_slice(&prefix);
        pos += framed;
    }
    let r = recover(&b);
    assert_eq!((r.records.len(), r.skipped), (2, 0), "{:?}", r.problems);
}

#[test]
fn each_frame_is_checked_by_the_crc_the_next_one_carries_and_the_newest_by_none() {
    let msgs: Vec<String> = (0..4).map(|i| format!("message {i}")).collect();
    let framed = framed_len(16 + 1 + msgs[0].len());
    let recovered = |b: &[u8]| {
        let r = recover(b);
        let got: Vec<String> = (r.records.iter()).map(|x| String::from_utf8(x.body[1..].to_vec()).unwrap()).collect();
        (got, r.skipped, r.problems)
    };
    let all = image(4096, 0, &msgs);
    assert_eq!(recovered(&all), (msgs.clone(), 0, vec![]));
    // A byte of record 1 changed: the crc frame 2 carries catches it.
    let mut b = all.clone();
    b[RING_HEADER_LEN + framed + FRAME_PREFIX + 20] ^= 1;
    let want = vec![msgs[0].clone(), msgs[2].clone(), msgs[3].clone()];
    let problem = format!("ring: record 1 at position {framed}: checksum mismatch; skipped");
    assert_eq!(recovered(&b), (want.clone(), 1, vec![problem.clone()]));
    // The crc frame 2 carries changed: record 1 is lost, not record 2.
    let mut b = all.clone();
    b[RING_HEADER_LEN + 2 * framed + 4] ^= 1;
    assert_eq!(recovered(&b), (want, 1, vec![problem]));
    // The newest frame has no crc of its own (the next call would have
    // written it): its bytes are taken as the write position covers them,
    // its header and values checked. A process that dies leaves them
    // whole; a disk that tears them goes unnoticed here.
    let mut b = all;
    b[RING_HEADER_LEN + 3 * framed + FRAME_PREFIX + HEADER_LEN + 1 + 8] = b'X';
    let mut want = msgs.clone();
    want[3] = "message X".to_owned();
    assert_eq!(recovered(&b), (want, 0, vec![]));
}

/// A ring file of zeros only — created at its length by a process that
/// died before writing its header (a producer registering) — held no
/// record: it is said so, not counted as a torn or corrupt record, and
/// goes with the others.
#[test]
fn a_ring_file_that_died_before_its_header_is_no_corrupt_record() {
    let tmp = tempfile::tempdir().unwrap();
    let ring = tmp.path().join("ring-1-0");
    std::fs::write(&ring, vec![0u8; RING_HEADER_LEN + 4096]).unwrap();
    let out = read_dir(tmp.path());
    assert_eq!((out.found, out.rings.len(), out.skipped), (0, 0, 0));
    let said = format!("{}: all zeros, no header (its process died creating it); removed", ring.display());
    assert_eq!(out.problems, [said]);
    assert!(out.old_files.contains(&ring));
}

/// A state, ring or call-site file of a newer layout version (its magic
/// ours) is refused, named with both versions, instead of being taken for
/// corrupt and removed — whatever its length (a state file longer than
/// any of ours), and under a name recovery does not read (`state.new`, a
/// ring name that does not parse: a newer build may name its files
/// otherwise); this version's files and foreign ones are not.
#[test]
fn a_file_of_a_newer_layout_is_named_not_removed() {
    let tmp = tempfile::tempdir().unwrap();
    let file = |name: &str, magic: [u8; 8], version: u32, len: usize| {
        let mut b = magic.to_vec();
        b.extend_from_slice(&version.to_le_bytes());
        b.resize(len, 0);
        std::fs::write(tmp.path().join(name), b).unwrap();
    };
    let long = STATE_LEN + 4096;
    file("state", STATE_MAGIC, STATE_VERSION, long);
    file("ring-1-0", RING_MAGIC, VERSION, 64);
    file("sites-1", SITES_MAGIC, SITES_VERSION, 64);
    file("ring-1-1", *b"NOTOURS\x01", 99, 64);
    let out = read_dir(tmp.path());
    assert_eq!(out.refused, []);
    assert_eq!(out.old_files.len(), 4, "{:?}", out.old_files);
    for (name, magic, version, len) in [
        ("state", STATE_MAGIC, STATE_VERSION, long),
        ("ring-1-0", RING_MAGIC, VERSION, 64),
        ("sites-1", SITES_MAGIC, SITES_VERSION, 64),
        ("state.new", STATE_MAGIC, STATE_VERSION, 64),
        ("ring-x", RING_MAGIC, VERSION, 64),
    ] {
        file(name, magic, version + 1, len);
        let path = tmp.path().join(name);
        let out = read_dir(tmp.path());
        let said = format!(
            "{} was written by a newer uringlog (layout version {}; this one reads up to \
             {version}); left as it is: recover it with that version",
            path.display(),
            version + 1
        );
        assert_eq!(out.refused, [Refused::Newer(said)], "{name}");
        assert!(!out.old_files.contains(&path), "{name}");
        match name {
            "state.new" | "ring-x" => std::fs::remove_file(&path).unwrap(),
            _ => file(name, magic, version, len),
        }
    }
}

/// Where [`image`] puts the frames of `msgs` from `start`: each one's
/// position and framed length.
fn frames_of(start: u64, msgs: &[String]) -> Vec<(u64, u64)> {
    let mut pos = start;
    (msgs.iter())
        .map(|m| {
            let framed = framed_len(HEADER_LEN + 1 + m.len()) as u64;
            pos += framed;
            (pos - framed, framed)
        })
        .collect()
}

/// What recovery of [`image`]`(cap, start, msgs)` cut to `file_len`
/// bytes must give, by the rule in `layout`, worked out from the frames'
/// places alone: the indices of the frames kept, the records skipped,
/// and the problems described. `flipped`: a frame whose message has a
/// byte changed (caught by the crc the next frame carries, when that
/// survives; the newest frame is taken as it reads).
fn expected_after_cut(
    cap: usize,
    start: u64,
    msgs: &[String],
    file_len: usize,
    flipped: Option<usize>,
) -> (Vec<usize>, u64, Vec<String>) {
    let whole = RING_HEADER_LEN + cap;
    if file_len < RING_HEADER_LEN {
        return (vec![], 0, vec![format!("{file_len} bytes, shorter than its header")]);
    }
    let n = (file_len - RING_HEADER_LEN) as u64;
    let cap = cap as u64;
    // Whether ring positions `pos..pos + len` are all below the cut.
    let there = |pos: u64, len: u64| (pos..pos + len).all(|p| p % cap < n);
    let frames = frames_of(start, msgs);
    let (mut kept, mut skipped, mut problems) = (vec![], 0, vec![]);
    for (k, &(pos, framed)) in frames.iter().enumerate() {
        if !there(pos, framed) {
            let rest = frames.last().map_or(0, |f| f.0 + f.1) - pos;
            let why = format!(
                "ring: cut short at {file_len} of {whole} bytes: the record at position {pos} is not in it; its last {rest} bytes skipped"
            );
            return (kept, skipped + 1, [problems, vec![why]].concat());
        }
        let newest = k + 1 == frames.len();
        let crc_there = newest || there(pos + framed + 4, 4);
        if !crc_there {
            skipped += 1;
            problems.push(format!(
                "ring: record {k} at position {pos}: its checksum, which the next frame carries, is past the cut; skipped"
            ));
        } else if flipped == Some(k) && !newest {
            skipped += 1;
            problems.push(format!("ring: record {k} at position {pos}: checksum mismatch; skipped"));
        } else {
            kept.push(k);
        }
    }
    if n < cap {
        problems.push(format!("ring: cut short at {file_len} of {whole} bytes, after its pending records; none lost"));
    }
    (kept, skipped, problems)
}

/// Recovers `b` and checks it against [`expected_after_cut`]; the
/// newest frame, when flipped and kept, reads as flipped.
fn check_cut(b: &[u8], cap: usize, start: u64, msgs: &[String], flipped: Option<usize>, what: &str) {
    let (kept, skipped, problems) = expected_after_cut(cap, start, msgs, b.len(), flipped);
    let r = recover(b);
    let got: Vec<String> = (r.records.iter()).map(|x| String::from_utf8(x.body[1..].to_vec()).unwrap()).collect();
    let want: Vec<String> = (kept.iter())
        .map(|&k| match flipped == Some(k) {
            true => flip_message(&msgs[k]),
            false => msgs[k].clone(),
        })
        .collect();
    assert_eq!(got, want, "{what}");
    assert_eq!((r.skipped, &r.problems), (skipped, &problems), "{what}");
}

/// `m` with its first byte's case changed, as [`flip_in`] leaves it.
fn flip_message(m: &str) -> String {
    let mut b = m.as_bytes().to_vec();
    b[0] ^= 0x20;
    String::from_utf8(b).unwrap()
}

/// Changes the case of the first message byte of frame `k` of [`image`].
fn flip_in(b: &mut [u8], cap: usize, start: u64, msgs: &[String], k: usize) {
    let pos = frames_of(start, msgs)[k].0 as usize + FRAME_PREFIX + HEADER_LEN + 1;
    b[RING_HEADER_LEN + pos % cap] ^= 0x20;
}

/// Messages of several lengths, a few frames each side of a ring's end.
fn cut_messages() -> Vec<String> {
    (0..7).map(|i| format!("message {i}{}", "x".repeat(i * 5))).collect()
}

/// A ring file cut at every byte, the frames in one run and wrapping
/// around the end, each frame's message flipped in turn: exactly the
/// frames wholly before the cut whose crc was checked (the next frame's
/// crc field before the cut too) are recovered, in order, once each; the
/// frame whose crc the cut took is dropped and said so, never taken
/// unchecked; the newest is taken as a whole file's is.
#[test]
fn a_ring_file_cut_at_any_byte_keeps_exactly_its_checked_frames() {
    let (cap, msgs) = (512, cut_messages());
    let total: u64 = frames_of(0, &msgs).iter().map(|f| f.1).sum();
    assert!(total < cap as u64);
    for start in [0, 8 * 31, cap as u64 - 16, cap as u64 * 3 + 200] {
        let b = image(cap, start, &msgs);
        for cut in 0..=b.len() {
            check_cut(&b[..cut], cap, start, &msgs, None, &format!("start {start}, cut at {cut}"));
            for k in 0..msgs.len() {
                let mut f = b.clone();
                flip_in(&mut f, cap, start, &msgs, k);
                let what = format!("start {start}, cut at {cut}, frame {k} flipped");
                check_cut(&f[..cut], cap, start, &msgs, Some(k), &what);
            }
        }
    }
}

/// A ring whose data is zeros from any offset on (the file's length
/// kept: blocks a power loss left unwritten), the frames in one run and
/// wrapping around the end: the frames whose bytes all survive, whose
/// crc is checked (the next frame's crc field survives) and that the
/// walk reaches while every length before reads as written, are
/// recovered, in order; after a length that reads otherwise, only frames
/// written, in order, once. The newest frame, unchecked by crc (see
/// `layout`), may be taken as it reads — its header, target and message
/// zeroed from the offset on, when what is left still parses (a record
/// of zeros, even) —; nothing else is ever recovered.
#[test]
fn a_ring_zeroed_from_any_offset_on_keeps_its_checked_frames_and_no_other() {
    let (cap, msgs) = (512u64, cut_messages());
    let written: Vec<Vec<u8>> = msgs.iter().map(|m| format!("t{m}").into_bytes()).collect();
    for start in [0, 8 * 31, cap - 16, cap * 3 + 200] {
        let frames = frames_of(start, &msgs);
        let b = image(cap as usize, start, &msgs);
        for z in 0..=cap {
            let mut f = b.clone();
            f[RING_HEADER_LEN + z as usize..].fill(0);
            let at = |p: u64| f[RING_HEADER_LEN + (p % cap) as usize];
            // Zeroing a zero changes nothing: intact is as it was written.
            let was = |p: u64| b[RING_HEADER_LEN + (p % cap) as usize];
            let intact = |pos: u64, len: u64| (pos..pos + len).all(|p| at(p) == was(p));
            let (mut want, mut torn) = (vec![], None);
            for (k, &(pos, framed)) in frames.iter().enumerate() {
                let newest = k + 1 == frames.len();
                if intact(pos, framed) && (newest || intact(pos + framed + 4, 4)) {
                    want.push(k);
                } else if newest {
                    // Its target and message as they read.
                    let body = pos + (FRAME_PREFIX + HEADER_LEN) as u64;
                    torn = Some((body..body + written[k].len() as u64).map(at).collect::<Vec<u8>>());
                }
                let len = u32::from_le_bytes([at(pos), at(pos + 1), at(pos + 2), at(pos + 3)]);
                if len as usize != FRAME_PREFIX + HEADER_LEN + written[k].len() {
                    break; // The walk goes elsewhere from here.
                }
            }
            let r = recover(&f);
            let what = format!("start {start}, zeros from {z}");
            let (mut next, n) = (0, r.records.len());
            for (i, x) in r.records.iter().enumerate() {
                if i + 1 == n && Some(&x.body) == torn.as_ref() {
                    break;
                }
                let k = (next..msgs.len()).find(|&k| written[k] == x.body);
                assert!(k.is_some(), "{what}: record {i} was never written, or not then");
                assert!(i >= want.len() || k == Some(want[i]), "{what}: record {i} is not frame {}", want[i]);
                next = k.unwrap() + 1;
            }
            assert!(n >= want.len(), "{what}: {n} records, want {want:?}");
        }
    }
}

/// A state file of generation 1 written by process `pid`, nothing
/// committed yet.
fn state_of(pid: u32) -> Vec<u8> {
    let mut s = vec![0u8; STATE_LEN];
    s[..8].copy_from_slice(&STATE_MAGIC);
    put_u32(&mut s, S_VERSION, STATE_VERSION);
    put_u32(&mut s, S_PID, pid);
    put_u64(&mut s, S_GENERATION, 1);
    s
}

/// A ring file or call-site table of another process than the one the
/// state file names (it or the state file copied in from another
/// directory, of the same generation) is neither taken — its records for
/// this directory's, this directory's deferred records rendered through
/// its call sites — nor removed: it is refused, named, so that `build`
/// fails with the directory as it is.
#[test]
fn files_of_another_process_than_the_states_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let at = |name: &str| tmp.path().join(name);
    std::fs::write(at(STATE_FILE), state_of(100)).unwrap();
    let with_pid = |mut b: Vec<u8>, pid: u32| {
        put_u32(&mut b, H_PID, pid);
        b
    };
    let ring = |msg: &str, pid: u32| {
        let mut b = image(4096, 0, &[msg.to_owned()]);
        put_u64(&mut b, H_RELEASED_EPOCH + 16, 0);
        with_pid(b, pid)
    };
    std::fs::write(at("ring-1-0"), ring("mine", 100)).unwrap();
    std::fs::write(at("ring-1-1"), ring("theirs", 200)).unwrap();
    let mut t = table();
    put_u32(&mut t, 12, 200);
    std::fs::write(at("sites-1"), t).unwrap();
    let out = read_dir(tmp.path());
    let said = |name: &str| {
        let file = at(name).display().to_string();
        Refused::Kept(format!(
            "{file} was written by process 200, its state file by process 100: one of them is another directory's"
        ))
    };
    assert_eq!(out.refused, [said("sites-1"), said("ring-1-1")]);
    assert_eq!((out.skipped, out.problems.len()), (0, 0));
    // The ring of the state's process alone: taken.
    std::fs::remove_file(at("ring-1-1")).unwrap();
    std::fs::remove_file(at("sites-1")).unwrap();
    let out = read_dir(tmp.path());
    let records = records_of(&out);
    let got: Vec<&[u8]> = records.iter().map(|x| &x.body[1..]).collect();
    assert_eq!((got, out.refused.len()), (vec![&b"mine"[..]], 0));
}

/// The records [`read_dir`] found, read again ring by ring as the writer
/// reads them when `read_dir` did not keep them all; when it did, the
/// same as it kept.
fn records_of(out: &Recovered) -> Vec<RecoveredRecord> {
    let mut again = Vec::new();
    for (path, n) in &out.rings {
        assert_eq!(out.reread(path, &mut |x| again.push(x)), (*n, None));
    }
    assert_eq!(again.len() as u64, out.found);
    let bodies = |r: &[RecoveredRecord]| r.iter().map(|x| x.body.clone()).collect::<Vec<_>>();
    match out.kept_all {
        true => assert_eq!(bodies(&out.records), bodies(&again)),
        false => assert!(out.records.is_empty()),
    }
    again
}

/// A ring file of generation 1 of process 100 holding `msgs` in a ring of
/// `cap` bytes, pending since the state's epoch 1.
fn pending_ring(cap: usize, msgs: &[String]) -> Vec<u8> {
    let mut b = image(cap, 0, msgs);
    put_u64(&mut b, H_RELEASED_EPOCH + 16, 0);
    put_u32(&mut b, H_PID, 100);
    b
}

/// [`read_dir`] counts the records of each ring file and keeps them
/// while they fit in [`KEEP_BYTES`]; reading the rings again gives the
/// same, in creation order, each ring's in its producer's order; an
/// empty ring is not read again.
#[test]
fn read_dir_counts_the_records_that_reading_each_ring_again_gives() {
    let tmp = tempfile::tempdir().unwrap();
    let at = |name: &str| tmp.path().join(name);
    std::fs::write(at(STATE_FILE), state_of(100)).unwrap();
    let ring = |msgs: &[&str]| pending_ring(4096, &msgs.iter().map(|m| m.to_string()).collect::<Vec<_>>());
    std::fs::write(at("ring-1-0"), ring(&["a0", "a1"])).unwrap();
    std::fs::write(at("ring-1-1"), ring(&[])).unwrap();
    std::fs::write(at("ring-1-2"), ring(&["c0", "c1", "c2"])).unwrap();
    let out = read_dir(tmp.path());
    assert_eq!((out.found, out.records.len(), out.kept_all, out.skipped), (5, 5, true, 0), "{:?}", out.problems);
    assert_eq!(out.rings, [(at("ring-1-0"), 2), (at("ring-1-2"), 3)]);
    let got: Vec<String> = (records_of(&out).iter()).map(|x| String::from_utf8(x.body[1..].to_vec()).unwrap()).collect();
    assert_eq!(got, ["a0", "a1", "c0", "c1", "c2"]);
    // A ring file changed between the two reads gives what it holds at
    // the second, and says how many (the writer says the difference).
    std::fs::write(at("ring-1-2"), ring(&["z0"])).unwrap();
    let mut again = Vec::new();
    let n = out.reread(&at("ring-1-2"), &mut |x| again.push(x.body[1..].to_vec()));
    assert_eq!((n, again), ((1, None), vec![b"z0".to_vec()]));
    // One replaced by a newer build's file meanwhile is refused, naming it.
    let mut newer = RING_MAGIC.to_vec();
    newer.extend_from_slice(&(VERSION + 1).to_le_bytes());
    std::fs::write(at("ring-1-0"), newer).unwrap();
    let (n, refused) = out.reread(&at("ring-1-0"), &mut |_| unreachable!("no record of a refused file"));
    assert_eq!(n, 0);
    let said = format!("{} was written by a newer uringlog", at("ring-1-0").display());
    assert!(matches!(&refused, Some(Refused::Newer(w)) if w.starts_with(&said)), "{refused:?}");
}

/// Records beyond [`KEEP_BYTES`] are counted, none kept (those kept
/// before are let go); reading the rings again gives every one.
#[test]
fn read_dir_keeps_no_record_of_a_directory_holding_more_than_it_keeps() {
    let tmp = tempfile::tempdir().unwrap();
    let at = |name: &str| tmp.path().join(name);
    std::fs::write(at(STATE_FILE), state_of(100)).unwrap();
    let msgs = |r: usize| (0..8_000).map(|i| format!("ring {r} record {i:05}")).collect::<Vec<_>>();
    // Each ring's records alone fit in KEEP_BYTES; both do not.
    for r in 0..2 {
        std::fs::write(at(&format!("ring-1-{r}")), pending_ring(1 << 20, &msgs(r))).unwrap();
    }
    let out = read_dir(tmp.path());
    assert_eq!((out.found, out.records.len(), out.kept_all, out.skipped), (16_000, 0, false, 0));
    assert_eq!(out.records.capacity(), 0);
    let got: Vec<Vec<u8>> = records_of(&out).into_iter().map(|x| x.body[1..].to_vec()).collect();
    let want: Vec<Vec<u8>> = (0..2).flat_map(msgs).map(String::into_bytes).collect();
    assert!(got == want, "records missing, repeated or out of order");
    std::fs::remove_file(at("ring-1-1")).unwrap();
    let one = read_dir(tmp.path());
    assert_eq!((one.found, one.records.len(), one.kept_all), (8_000, 8_000, true));
}

/// Records that take exactly [`KEEP_BYTES`] (each its body and its
/// bookkeeping) are all kept; one byte more and none is, and reading
/// the ring again gives every one.
#[test]
fn read_dir_keeps_records_of_exactly_keep_bytes_and_none_of_one_byte_more() {
    let per_record = |body: usize| body + std::mem::size_of::<RecoveredRecord>();
    // Bodies are the target `t` and the message.
    let len = 100;
    let n = KEEP_BYTES / per_record(1 + len);
    let rest = KEEP_BYTES - n * per_record(1 + len);
    for extra in [0, 1] {
        let tmp = tempfile::tempdir().unwrap();
        let at = |name: &str| tmp.path().join(name);
        std::fs::write(at(STATE_FILE), state_of(100)).unwrap();
        let mut msgs: Vec<String> = (0..n).map(|i| format!("{i:0len$}")).collect();
        msgs[n - 1].push_str(&"x".repeat(rest + extra));
        std::fs::write(at("ring-1-0"), pending_ring(1 << 21, &msgs)).unwrap();
        let out = read_dir(tmp.path());
        let kept: usize = out.records.iter().map(|x| per_record(x.body.len())).sum();
        match extra {
            0 => assert_eq!((out.found, out.kept_all, kept), (n as u64, true, KEEP_BYTES)),
            _ => assert_eq!((out.found, out.kept_all, kept), (n as u64, false, 0)),
        }
        let got: Vec<Vec<u8>> = records_of(&out).into_iter().map(|x| x.body[1..].to_vec()).collect();
        assert!(got == msgs.iter().map(|m| m.as_bytes().to_vec()).collect::<Vec<_>>());
    }
}
