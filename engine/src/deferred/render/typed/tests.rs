//! Typed renderers against the table-driven one (itself tested against
//! `format!`): the same bytes and the same verdict for every form, values
//! encoded by the engine's own `EncodeArgs`; and a record whose values do
//! not match the noted table falls back with nothing written.

use super::super::plan::{AsIs, Plan, Route};
use super::super::{render as render_table_or_typed, render_escaped, Raw};
use super::*;
use crate::callsite::{CallSite, Slot};
use crate::deferred::encode::{self, PlainArg, PreBuf};
use proptest::prelude::*;
use std::mem::MaybeUninit;

/// The bytes `args` encode to, as a producer writes them.
fn encoded<A: EncodeArgs>(args: &A) -> Vec<u8> {
    let mut pre = Vec::new();
    let n = args.measure(&mut PreBuf::new(&mut pre, usize::MAX));
    let mut buf = vec![MaybeUninit::<u8>::uninit(); n];
    let mut c = encode::Cursor::new(&mut buf);
    args.encode(&mut c, &mut &pre[..]);
    assert_eq!(c.written(), n);
    // SAFETY: `encode` wrote all `n` bytes (checked above).
    buf.into_iter().map(|b| unsafe { b.assume_init() }).collect()
}

/// A call site with `pieces` and one `{}` slot between each two.
fn site(pieces: &[String]) -> &'static CallSite {
    let pieces: Vec<&'static str> = pieces.iter().map(|p| &*p.clone().leak()).collect();
    let slots = vec![Slot::DISPLAY; pieces.len() - 1];
    Box::leak(Box::new(CallSite::new(
        None,
        Some("t"),
        "f.rs",
        1,
        "m",
        Box::leak(pieces.into_boxed_slice()),
        Box::leak(slots.into_boxed_slice()),
    )))
}

const TAILS: [Tail; 3] = [Tail::new(b"\n"), Tail::new(b"\""), Tail::new(b"\"}\n")];

/// Every form of the message: raw, then escaped with each tail the
/// formats use (JSON's two), then with a tail no typed renderer has.
fn all_forms(cs: &CallSite, values: &[u8]) -> (Vec<bool>, Vec<Vec<u8>>) {
    let mut outs = vec![b"prefix ".to_vec(); 6];
    let mut scratch = Vec::new();
    let oks = vec![
        render_table_or_typed(&mut outs[0], cs, values),
        render_escaped::<Bare, { TAILS[0].word() }>(&mut outs[1], &mut scratch, &mut TypedMemo::new(), cs, values),
        render_escaped::<Quoted, { TAILS[1].word() }>(&mut outs[2], &mut scratch, &mut TypedMemo::new(), cs, values),
        render_escaped::<Json, { TAILS[2].word() }>(&mut outs[3], &mut scratch, &mut TypedMemo::new(), cs, values),
        render_escaped::<Json, { TAILS[1].word() }>(&mut outs[4], &mut scratch, &mut TypedMemo::new(), cs, values),
        render_escaped::<Bare, { TAILS[2].word() }>(&mut outs[5], &mut scratch, &mut TypedMemo::new(), cs, values),
    ];
    (oks, outs)
}

/// Notes `A` on a call site with `pieces` and checks that its records
/// (`values`) render as on an unnoted twin, and whether the typed
/// renderer took them (`taken`, where the route allows it).
fn check<A: EncodeArgs>(pieces: &[String], values: &[u8], taken: bool) {
    let (typed, table) = (site(pieces), site(pieces));
    typed.typed.note::<A>();
    assert!(typed.typed.get().is_some() && table.typed.get().is_none());
    assert_eq!(all_forms(typed, values), all_forms(table, values));
    let pieces = Plan::of(typed).pieces::<AsIs>();
    let mut out = b"x".to_vec();
    let r = render::<Raw>(&mut TypedMemo::new(), typed, &mut out, values, Tail::NONE);
    let short = pieces.route() == Route::Short;
    assert_eq!(r.is_some(), taken && short, "{values:?}");
    if r.is_none() {
        assert_eq!(out, b"x", "a fallback writes nothing");
    }
    // Followed by a tail no entry of the table has: the table-driven way.
    let mut out = b"x".to_vec();
    let r = render::<Escaped<Bare>>(&mut TypedMemo::new(), typed, &mut out, values, Tail::new(b"}"));
    assert!(r.is_none());
    assert_eq!(out, b"x", "a fallback writes nothing");
    // Each tail the formats use has its entry.
    for (form, tail) in ENTRIES {
        let t = typed.typed.get().expect("noted");
        let got = match form {
            0 => t.get::<Raw>(tail),
            1 => t.get::<Escaped<Bare>>(tail),
            2 => t.get::<Escaped<Quoted>>(tail),
            _ => t.get::<Escaped<Json>>(tail),
        };
        assert!(got.is_some(), "{form} {tail:?}");
    }
}

fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => "[a-z =:]{0,16}",
        1 => "[a-z\"\\\\\n\u{1}é]{0,6}",
        1 => "[a-z]{17,40}",
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-z/]{0,20}",
        1 => "[a-z\"\\\\\n\u{7f}\u{2028}é😀]{0,20}",
        1 => "[a-z]{100,300}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn typed_renders_as_the_table_does(
        pieces in prop::collection::vec(piece(), 9),
        (id, user, status, delta, small) in (any::<u64>(), text(), any::<u32>(), any::<i64>(), any::<i32>()),
        (flag, ratio, c, b) in (any::<bool>(), any::<f64>(), any::<char>(), any::<u8>()),
    ) {
        let user = user.as_str();
        let args = (
            PlainArg::new(&id), PlainArg::new(&user), PlainArg::new(&status),
            PlainArg::new(&delta), PlainArg::new(&small), PlainArg::new(&flag),
            PlainArg::new(&ratio), PlainArg::new(&c),
        );
        let values = encoded(&args);
        check_of(&args, &pieces[..9], &values, true);
        // Fewer values, and none.
        let one = (PlainArg::new(&b),);
        check_of(&one, &pieces[..2], &encoded(&one), true);
        check_of(&(), &pieces[..1], &[], true);
        // The same call site's records cut short: the table decides.
        for cut in [0, 1, values.len() / 2, values.len() - 1] {
            check_of(&args, &pieces[..9], &values[..cut], false);
        }
    }

    #[test]
    fn values_of_other_types_fall_back_to_the_table(
        pieces in prop::collection::vec(piece(), 3),
        (id, user) in (any::<u32>(), text()),
    ) {
        let user = user.as_str();
        let wide = id as u64;
        // Noted for `(u64, &str)`, logged with `(u32, &str)` (one
        // `static` of a generic function, two instantiations).
        let values = encoded(&(PlainArg::new(&id), PlainArg::new(&user)));
        check_of(&(PlainArg::new(&wide), PlainArg::new(&user)), &pieces, &values, false);
        // A value more than the call site has slots: rendered, `false`.
        let mut more = values.clone();
        more.extend(encoded(&(PlainArg::new(&id),)));
        check_of(&(PlainArg::new(&id), PlainArg::new(&user)), &pieces, &more, true);
    }
}

/// Notes `A`, inferred from a value, on `cs`.
fn note_of<A: EncodeArgs>(_: &A, cs: &CallSite) {
    cs.typed.note::<A>();
}

/// [`check`] with `A` inferred from a value.
fn check_of<A: EncodeArgs>(_: &A, pieces: &[String], values: &[u8], taken: bool) {
    check::<A>(pieces, values, taken)
}

/// A string of 1 to 16 bytes cut by the end of its record, whose bytes
/// go on in memory past the cut, is refused with nothing written, at
/// every cut (the short case's own tests bound it); whole, it is written.
#[test]
fn a_short_string_is_never_read_past_its_record() {
    let pieces = ["s=".to_string(), ".".to_string()];
    for len in 1..=16 {
        let s = &"abcdefghijklmnop"[..len];
        let args = (PlainArg::new(&s),);
        let mut values = encoded(&args);
        let whole = values.len();
        values.extend_from_slice(&[b'z'; 32]);
        for cut in 0..whole {
            check_of(&args, &pieces, &values[..cut], false);
        }
        check_of(&args, &pieces, &values[..whole], true);
        let cs = site(&pieces);
        note_of(&args, cs);
        let mut out = b"x".to_vec();
        let r = render::<Escaped<Bare>>(&mut TypedMemo::new(), cs, &mut out, &values[..whole], TAILS[0]);
        assert_eq!(r, Some(true), "{len}");
        assert_eq!(out, format!("xs={s}.\n").as_bytes(), "{len}");
    }
}

/// One memo renders a run of records of call sites that take turns:
/// two typed sites of one signature and other pieces, a site whose table
/// another signature's records do not match, a site with no table, and
/// records that do not decode. Each line is the table-driven one, so a
/// memo that served a record of one site with another's renderer or
/// pieces, or kept a renderer for a site that has none, shows.
#[test]
fn one_memo_renders_sites_that_take_turns_as_the_table_does() {
    let strings = |p: &[&str]| p.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let four = |a: &str, b: &str, c: &str, d: &str, e: &str| site(&strings(&[a, b, c, d, e]));
    let (a, b) = (four("id=", " u=", " p=", " s=", ""), four("[", "|", "|", "|", "]"));
    let (other, untyped) = (four("o ", " ", " ", " ", "."), four("n=", ",", ",", ",", ""));
    let values = |id: u64, s: u32| {
        encoded(&(PlainArg::new(&id), PlainArg::new(&"al"), PlainArg::new(&"/x"), PlainArg::new(&s)))
    };
    let sig = (PlainArg::new(&0u64), PlainArg::new(&""), PlainArg::new(&""), PlainArg::new(&0u32));
    note_of(&sig, a);
    note_of(&sig, b);
    let bytes = (PlainArg::new(&0i8), PlainArg::new(&0i8), PlainArg::new(&0i8), PlainArg::new(&0i8));
    note_of(&bytes, other);
    assert!(untyped.typed.get().is_none());
    let mut memo = TypedMemo::new();
    let mut scratch = Vec::new();
    let mut want = Vec::new();
    let mut out = Vec::new();
    let runs = [a, a, a, b, b, a, other, a, untyped, untyped, a, b, a];
    for (i, &cs) in runs.iter().enumerate() {
        let mut values = values(i as u64 * 1001, i as u32);
        if i % 5 == 4 {
            values.truncate(values.len() - 2);
        }
        let mut line = Vec::new();
        let ok = render_table_or_typed(&mut line, cs, &values);
        assert_eq!(ok, i % 5 != 4, "record {i}");
        if ok {
            want.extend_from_slice(&line);
            want.push(b'\n');
        }
        let start = out.len();
        let got = render_escaped::<Bare, { TAILS[0].word() }>(&mut out, &mut scratch, &mut memo, cs, &values);
        assert_eq!(got, ok, "record {i}");
        if !got {
            out.truncate(start);
        }
    }
    assert_eq!(String::from_utf8(out).unwrap(), String::from_utf8(want).unwrap());
}

/// A memo whose plan address another call site's plan now has (a call
/// site dropped, its plan freed, another's built at the same address:
/// never for the macros' statics, whose plans live for ever) holds the
/// first site's renderer and room. Planted here for sites of another
/// signature, of the same signature with no table of their own, and of
/// fewer and more slots: each record renders as the table does, since a
/// renderer checks the pieces' number of slots and each value's tag.
#[test]
fn a_memo_of_a_plan_address_reused_by_another_site_renders_as_the_table_does() {
    let strings = |p: &[&str]| p.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let a = site(&strings(&["id=", " u=", " p=", " s=", ""]));
    let sig = (PlainArg::new(&0u64), PlainArg::new(&""), PlainArg::new(&""), PlainArg::new(&0u32));
    note_of(&sig, a);
    let four = encoded(&(PlainArg::new(&7u64), PlainArg::new(&"al"), PlainArg::new(&"/x"), PlainArg::new(&9u32)));
    let bytes = encoded(&(PlainArg::new(&-1i8), PlainArg::new(&2i8), PlainArg::new(&-3i8), PlainArg::new(&4i8)));
    let two = encoded(&(PlainArg::new(&7u64), PlainArg::new(&"al")));
    let six = encoded(&(
        PlainArg::new(&7u64),
        PlainArg::new(&"al"),
        PlainArg::new(&"/x"),
        PlainArg::new(&9u32),
        PlainArg::new(&1u64),
        PlainArg::new(&2u64),
    ));
    let other = site(&strings(&["o ", " ", " ", " ", "."]));
    note_of(&(PlainArg::new(&0i8), PlainArg::new(&0i8), PlainArg::new(&0i8), PlainArg::new(&0i8)), other);
    let cases = [
        (other, bytes),
        (site(&strings(&["[", "|", "|", "|", "]"])), four),
        (site(&strings(&["n=", ",", ""])), two),
        (site(&strings(&["a", "b", "c", "d", "e", "f", "g"])), six),
    ];
    let i = entry::<Escaped<Bare>>(TAILS[0]).unwrap();
    let render_a = a.typed.get().unwrap().get::<Escaped<Bare>>(TAILS[0]).unwrap();
    for (k, (b, values)) in cases.iter().enumerate() {
        let mut memo = TypedMemo::new();
        memo.0[i] = Memo {
            plan: Plan::of(b),
            render: render_a,
            room: typed_room(4, TAILS[0], &[]),
        };
        let mut want = Vec::new();
        assert!(render_table_or_typed(&mut want, b, values), "case {k}");
        want.push(b'\n');
        let mut out = Vec::new();
        let ok = render_escaped::<Bare, { TAILS[0].word() }>(&mut out, &mut Vec::new(), &mut memo, b, values);
        assert!(ok, "case {k}");
        assert_eq!(String::from_utf8(out).unwrap(), String::from_utf8(want).unwrap(), "case {k}");
    }
}

/// A call site is noted by the first call of a fresh producer (a call
/// after a pause, for its ring) and by any call on the slow path (here
/// every one: the caller formats), never left for the writer to miss.
#[test]
fn a_first_call_and_a_slow_call_note_the_table() {
    use crate::{Formatting, Level, Logger, MemorySink};
    let pieces = ["id=".to_string(), String::new()];
    let id = 7u64;
    for formatting in [Formatting::Deferred, Formatting::Caller] {
        let (sink, out) = MemorySink::new();
        let (logger, guard) = Logger::builder()
            .sink(sink)
            .formatting(formatting)
            .build()
            .expect("logger");
        let cs = site(&pieces);
        assert!(cs.typed.get().is_none());
        logger.__log_deferred(cs, Level::Info, "t", (PlainArg::new(&id),));
        assert!(cs.typed.get().is_some(), "{formatting:?}");
        guard.shutdown(std::time::Duration::from_secs(5)).expect("shutdown");
        assert!(out.text().ends_with("INFO  t: id=7\n"), "{}", out.text());
    }
}

/// A call site first called after a pause, by a producer that exists
/// already, is noted by that call, which takes the fast path: the first
/// call after a pause notes its call site's types as it notes the pause.
/// A manual clock makes the pause.
#[test]
fn a_first_call_after_a_pause_notes_the_table_on_the_fast_path() {
    use crate::{Clock, Level, Logger, MemorySink};
    let (clock, manual) = Clock::manual(1_000_000_000);
    let (sink, out) = MemorySink::new();
    let (logger, guard) = Logger::builder().sink(sink).clock(clock).build().expect("logger");
    let (early, late) = (site(&["a=".to_string(), String::new()]), site(&["b=".to_string(), String::new()]));
    logger.__log_deferred(early, Level::Info, "t", (PlainArg::new(&1u64),));
    manual.advance_nanos(1);
    logger.__log_deferred(late, Level::Info, "t", (PlainArg::new(&2u64),));
    assert!(late.typed.get().is_none(), "no pause: the fast path notes nothing");
    manual.advance_nanos(1 << 19);
    let later = site(&["c=".to_string(), String::new()]);
    logger.__log_deferred(later, Level::Info, "t", (PlainArg::new(&3u64),));
    assert!(later.typed.get().is_some(), "noted by the first call after a pause");
    guard.shutdown(std::time::Duration::from_secs(5)).expect("shutdown");
    assert!(out.text().ends_with("INFO  t: c=3\n"), "{}", out.text());
}
