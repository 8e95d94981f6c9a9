//! The renderer against `format!`, and its room bound against hostile
//! input: call sites and values drawn at random (strings full of bytes to
//! escape, integer extremes, every kind of float, long pieces), then the
//! same payloads cut short, with values dropped or swapped, and as plain
//! random bytes. In a debug build every unchecked write asserts its room
//! (the cursor's writes, and `render_with` before each piece), so a bound that
//! does not hold fails here rather than writing past the buffer.

use super::*;
use crate::callsite::{CallSite, CustomFmt, Slot};
use crate::format::escape::{push_utf8, Bare, Json, Quoted};
use proptest::prelude::*;

/// One argument, as a test builds it (text leaked to be `'static`).
type V = Value<'static>;

fn leak(b: Vec<u8>) -> &'static [u8] {
    Box::leak(b.into_boxed_slice())
}

/// Encoding and expected text of a test argument.
trait Arg {
    fn encode(&self, out: &mut Vec<u8>);
    fn display(&self) -> String;
    fn debug(&self) -> String;
}

impl Arg for V {
    /// Its encoding (see the `deferred` module docs).
    fn encode(&self, out: &mut Vec<u8>) {
        let (t, b): (u8, Vec<u8>) = match self {
            V::U8(x) => (tag::U8, x.to_le_bytes().to_vec()),
            V::U16(x) => (tag::U16, x.to_le_bytes().to_vec()),
            V::U32(x) => (tag::U32, x.to_le_bytes().to_vec()),
            V::U64(x) => (tag::U64, x.to_le_bytes().to_vec()),
            V::U128(x) => (tag::U128, x.to_le_bytes().to_vec()),
            V::I8(x) => (tag::I8, x.to_le_bytes().to_vec()),
            V::I16(x) => (tag::I16, x.to_le_bytes().to_vec()),
            V::I32(x) => (tag::I32, x.to_le_bytes().to_vec()),
            V::I64(x) => (tag::I64, x.to_le_bytes().to_vec()),
            V::I128(x) => (tag::I128, x.to_le_bytes().to_vec()),
            V::F32(x) => (tag::F32, x.to_le_bytes().to_vec()),
            V::F64(x) => (tag::F64, x.to_le_bytes().to_vec()),
            V::Bool(x) => (tag::BOOL, vec![*x as u8]),
            V::Char(x) => (tag::CHAR, (*x as u32).to_le_bytes().to_vec()),
            V::Str(s) => (tag::STR, with_len(s)),
            V::Bytes(b) => (tag::BYTES, with_len(b)),
            V::Pre(s) => (tag::PRE, with_len(s)),
        };
        out.push(t);
        out.extend_from_slice(&b);
    }

    /// `{}` (byte slices have no `Display`: the renderer shows `{:?}`).
    fn display(&self) -> String {
        match self {
            V::U8(x) => x.to_string(),
            V::U16(x) => x.to_string(),
            V::U32(x) => x.to_string(),
            V::U64(x) => x.to_string(),
            V::U128(x) => x.to_string(),
            V::I8(x) => x.to_string(),
            V::I16(x) => x.to_string(),
            V::I32(x) => x.to_string(),
            V::I64(x) => x.to_string(),
            V::I128(x) => x.to_string(),
            V::F32(x) => x.to_string(),
            V::F64(x) => x.to_string(),
            V::Bool(x) => x.to_string(),
            V::Char(x) => x.to_string(),
            V::Str(s) | V::Pre(s) => String::from_utf8(s.to_vec()).unwrap(),
            V::Bytes(b) => format!("{b:?}"),
        }
    }

    /// `{:?}`.
    fn debug(&self) -> String {
        match self {
            V::U8(x) => format!("{x:?}"),
            V::U16(x) => format!("{x:?}"),
            V::U32(x) => format!("{x:?}"),
            V::U64(x) => format!("{x:?}"),
            V::U128(x) => format!("{x:?}"),
            V::I8(x) => format!("{x:?}"),
            V::I16(x) => format!("{x:?}"),
            V::I32(x) => format!("{x:?}"),
            V::I64(x) => format!("{x:?}"),
            V::I128(x) => format!("{x:?}"),
            V::F32(x) => format!("{x:?}"),
            V::F64(x) => format!("{x:?}"),
            V::Bool(x) => format!("{x:?}"),
            V::Char(x) => format!("{x:?}"),
            V::Str(s) | V::Pre(s) => format!("{:?}", std::str::from_utf8(s).unwrap()),
            V::Bytes(b) => format!("{b:?}"),
        }
    }
}

fn with_len(b: &[u8]) -> Vec<u8> {
    let mut v = (b.len() as u32).to_le_bytes().to_vec();
    v.extend_from_slice(b);
    v
}

/// A placeholder's spec.
#[derive(Clone, Copy, Debug)]
enum Spec {
    /// `{}`
    Display,
    /// `{:?}`
    Debug,
    /// `{:>w$}` with the width as an argument after the value.
    Width(u8),
}

impl Spec {
    fn slot(self) -> Slot {
        match self {
            Spec::Display => Slot::DISPLAY,
            Spec::Debug => Slot::custom(
                CustomFmt::Debug(|o, v, _, _| write!(o, "{v:?}")),
                false,
                false,
            ),
            Spec::Width(_) => Slot::custom(
                CustomFmt::Display(|o, v, w, _| write!(o, "{v:>w$}")),
                true,
                false,
            ),
        }
    }

    fn expect(self, v: &V) -> String {
        match self {
            Spec::Display => v.display(),
            Spec::Debug => v.debug(),
            // Byte slices have no `Display`: the renderer falls back to `{}`'s.
            Spec::Width(_) if matches!(v, V::Bytes(_)) => v.display(),
            Spec::Width(w) => format!("{:>w$}", v.display(), w = w as usize),
        }
    }

    fn encode_args(self, out: &mut Vec<u8>) {
        if let Spec::Width(w) = self {
            V::U64(u64::from(w)).encode(out);
        }
    }
}

/// Characters every message dialect treats specially, and plain ones.
fn nasty_char() -> impl Strategy<Value = char> {
    prop_oneof![
        3 => prop::char::range('a', 'z'),
        1 => Just('"'),
        1 => Just('\\'),
        1 => Just(' '),
        1 => prop::char::range('\0', '\u{1f}'),
        1 => Just('\u{7f}'),
        1 => prop::char::range('\u{80}', '\u{9f}'),
        1 => Just('\u{2028}'),
        1 => Just('\u{2029}'),
        1 => Just('é'),
        1 => Just('😀'),
        1 => any::<char>(),
    ]
}

fn nasty_string(max: usize) -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::collection::vec(nasty_char(), 0..max).prop_map(|v| v.into_iter().collect()),
        // Long: a few kilobytes, all escapes or all plain.
        1 => (nasty_char(), 500..3000usize).prop_map(|(c, n)| c.to_string().repeat(n)),
    ]
}

fn value() -> impl Strategy<Value = V> {
    prop_oneof![
        any::<u8>().prop_map(V::U8),
        any::<u16>().prop_map(V::U16),
        prop_oneof![Just(u32::MAX), any::<u32>()].prop_map(V::U32),
        prop_oneof![Just(u64::MAX), any::<u64>()].prop_map(V::U64),
        prop_oneof![Just(u128::MAX), any::<u128>()].prop_map(V::U128),
        any::<i8>().prop_map(V::I8),
        any::<i16>().prop_map(V::I16),
        prop_oneof![Just(i32::MIN), any::<i32>()].prop_map(V::I32),
        prop_oneof![Just(i64::MIN), any::<i64>()].prop_map(V::I64),
        prop_oneof![Just(i128::MIN), Just(i128::MAX), any::<i128>()].prop_map(V::I128),
        prop_oneof![
            Just(f32::MAX),
            Just(f32::MIN),
            Just(f32::MIN_POSITIVE),
            Just(-f32::from_bits(1)),
            Just(f32::NAN),
            Just(f32::NEG_INFINITY),
            any::<f32>()
        ]
        .prop_map(V::F32),
        prop_oneof![
            Just(f64::MAX),
            Just(f64::MIN),
            Just(f64::from_bits(1)),
            Just(-f64::from_bits(1)),
            Just(f64::NAN),
            Just(f64::INFINITY),
            any::<f64>()
        ]
        .prop_map(V::F64),
        any::<bool>().prop_map(V::Bool),
        nasty_char().prop_map(V::Char),
        nasty_string(24).prop_map(|s| V::Str(leak(s.into_bytes()))),
        prop::collection::vec(any::<u8>(), 0..12).prop_map(|b| V::Bytes(leak(b))),
    ]
}

fn spec() -> impl Strategy<Value = Spec> {
    prop_oneof![
        6 => Just(Spec::Display),
        1 => Just(Spec::Debug),
        1 => (0u8..40).prop_map(Spec::Width),
    ]
}

/// A piece: mostly plain ASCII (so some call sites are `pieces_plain`).
fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-z =:]{0,12}",
        1 => nasty_string(16),
        1 => "[a-z]{200,2000}",
    ]
}

/// A call site, its arguments, and the message `format!` would make.
#[derive(Debug)]
struct Case {
    cs: &'static CallSite,
    values: Vec<u8>,
    /// Where each argument's encoding starts (and the end).
    bounds: Vec<usize>,
    expected: String,
}

fn case() -> impl Strategy<Value = Case> {
    prop::collection::vec((piece(), spec(), value()), 0..24)
        .prop_flat_map(|parts| (Just(parts), piece()))
        .prop_map(|(parts, last)| {
            let mut pieces: Vec<&'static str> = Vec::new();
            let mut slots = Vec::new();
            let (mut values, mut bounds, mut expected) = (Vec::new(), vec![0], String::new());
            for (p, s, v) in &parts {
                expected.push_str(p);
                expected.push_str(&s.expect(v));
                pieces.push(Box::leak(p.clone().into_boxed_str()));
                slots.push(s.slot());
                v.encode(&mut values);
                s.encode_args(&mut values);
                bounds.push(values.len());
            }
            expected.push_str(&last);
            pieces.push(Box::leak(last.into_boxed_str()));
            let cs = Box::leak(Box::new(CallSite::new(
                None,
                Some("t"),
                "f.rs",
                1,
                "m",
                Box::leak(pieces.into_boxed_slice()),
                Box::leak(slots.into_boxed_slice()),
            )));
            Case {
                cs,
                values,
                bounds,
                expected,
            }
        })
}

/// A tail a line puts after a message, one per dialect.
const TAILS: [Tail; 3] = [Tail::new(b"\n"), Tail::new(b"\""), Tail::new(b"\"}\n")];

/// Renders `values` raw and in every dialect, each into a buffer that
/// already holds text and has as little spare room as can be (the bound
/// is then all that stands between a write and the buffer's end); returns
/// the raw render and each escaped one with its leading-quote rule (the
/// tail each was written with checked and taken off).
fn render_all(cs: &CallSite, values: &[u8]) -> (bool, String, [Vec<u8>; 3]) {
    fn tight() -> Vec<u8> {
        let mut v = b"prefix ".to_vec();
        v.shrink_to_fit();
        v
    }
    let mut raw = tight();
    let ok = render(&mut raw, cs, values);
    let raw = String::from_utf8(raw.split_off(7)).expect("the raw render is UTF-8");
    let mut scratch = Vec::new();
    let mut escaped = [tight(), tight(), tight()];
    let oks = [
        render_escaped::<Bare, { TAILS[0].word() }>(&mut escaped[0], &mut scratch, &mut TypedMemo::new(), cs, values),
        render_escaped::<Quoted, { TAILS[1].word() }>(&mut escaped[1], &mut scratch, &mut TypedMemo::new(), cs, values),
        render_escaped::<Json, { TAILS[2].word() }>(&mut escaped[2], &mut scratch, &mut TypedMemo::new(), cs, values),
    ];
    assert_eq!(oks, [ok; 3], "raw and escaped renders agree on the payload");
    for (e, t) in escaped.iter_mut().zip(TAILS) {
        if ok {
            let tail = &t.bytes()[..t.len()];
            assert!(e.ends_with(tail), "{e:?} ends with {tail:?}");
            e.truncate(e.len() - t.len());
        }
    }
    (ok, raw, escaped.map(|mut e| e.split_off(7)))
}

/// The escapes of the whole message in each dialect.
fn escapes_of(msg: &str) -> [Vec<u8>; 3] {
    let mut e = [Vec::new(), Vec::new(), Vec::new()];
    push_utf8::<Bare>(&mut e[0], msg.as_bytes());
    push_utf8::<Quoted>(&mut e[1], msg.as_bytes());
    push_utf8::<Json>(&mut e[2], msg.as_bytes());
    e
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Well-formed records render as `format!` does, escaped in each
    /// dialect as the whole message is.
    #[test]
    fn messages_render_like_format(c in case()) {
        let (ok, raw, escaped) = render_all(c.cs, &c.values);
        prop_assert!(ok);
        prop_assert_eq!(&raw, &c.expected);
        prop_assert_eq!(escaped, escapes_of(&c.expected));
    }

    /// A payload cut short, missing a value, with two values swapped or
    /// with bytes after the last value is refused or rendered, never
    /// written past the room (checked in debug builds), and what it
    /// renders is whole UTF-8 in every dialect.
    #[test]
    fn malformed_values_stay_in_bounds(
        c in case(),
        cut in any::<prop::sample::Index>(),
        which in any::<prop::sample::Index>(),
        how in 0u8..4,
        junk in prop::collection::vec(any::<u8>(), 1..16),
    ) {
        let n = c.bounds.len() - 1;
        let values = match how {
            0 => c.values[..cut.index(c.values.len() + 1)].to_vec(),
            1 if n > 0 => {
                let i = which.index(n);
                [&c.values[..c.bounds[i]], &c.values[c.bounds[i + 1]..]].concat()
            }
            2 if n > 1 => {
                let i = which.index(n - 1);
                let (a, b, e) = (c.bounds[i], c.bounds[i + 1], c.bounds[i + 2]);
                [&c.values[..a], &c.values[b..e], &c.values[a..b], &c.values[e..]].concat()
            }
            _ => [&c.values[..], &junk[..]].concat(),
        };
        let (ok, raw, escaped) = render_all(c.cs, &values);
        if how == 3 || (how == 0 && values.len() < c.values.len()) {
            prop_assert!(!ok, "a payload cut short or with bytes left over is refused");
        }
        for e in escaped {
            prop_assert!(std::str::from_utf8(&e).is_ok());
        }
        if ok && values == c.values {
            prop_assert_eq!(raw, c.expected);
        }
    }

    /// Random bytes as the values of a random call site: neither the raw
    /// render (which takes strings as they come) nor an escaped one (its
    /// short strings tested in 16-byte loads, the others out of line)
    /// writes past its room (checked in debug builds) or panics.
    #[test]
    fn random_values_stay_in_bounds(
        c in case(),
        bytes in prop::collection::vec(any::<u8>(), 0..200),
    ) {
        fn tight() -> Vec<u8> {
            let mut out = b"prefix ".to_vec();
            out.shrink_to_fit();
            out
        }
        let mut out = tight();
        let _ = render(&mut out, c.cs, &bytes);
        prop_assert!(out.starts_with(b"prefix "));
        let mut scratch = Vec::new();
        let mut outs = [tight(), tight(), tight()];
        let _ = render_escaped::<Bare, { TAILS[0].word() }>(&mut outs[0], &mut scratch, &mut TypedMemo::new(), c.cs, &bytes);
        let _ = render_escaped::<Quoted, { TAILS[1].word() }>(&mut outs[1], &mut scratch, &mut TypedMemo::new(), c.cs, &bytes);
        let _ = render_escaped::<Json, { TAILS[2].word() }>(&mut outs[2], &mut scratch, &mut TypedMemo::new(), c.cs, &bytes);
        for out in outs {
            prop_assert!(out.starts_with(b"prefix "));
        }
    }
}

/// The bound's worst cases one by one: every integer extreme under `{}`
/// (most digits per encoded byte), thousands of one-byte strings (5
/// encoded bytes for 1 written), empty strings between plain pieces, and
/// a value after a long piece, each into a buffer with no spare room.
#[test]
fn the_bound_holds_at_its_worst_cases() {
    let extremes = [
        V::U64(u64::MAX),
        V::I64(i64::MIN),
        V::U32(u32::MAX),
        V::I32(i32::MIN),
        V::U128(u128::MAX),
        V::I128(i128::MIN),
        V::F64(-f64::from_bits(1)),
        V::F64(f64::MIN),
        V::F32(f32::MIN),
        V::U8(255),
        V::I8(-128),
        V::I16(i16::MIN),
        V::Str(b""),
        V::Str(b"\""),
        V::Str(b"\\\x01"),
        V::Char('\u{2028}'),
    ];
    for v in &extremes {
        for count in [1usize, 2, 3, 100, 4000] {
            let pieces: &'static [&'static str] = Box::leak(vec![""; count + 1].into_boxed_slice());
            let slots: &'static [Slot] = Box::leak(vec![Slot::DISPLAY; count].into_boxed_slice());
            let cs = CallSite::new(None, None, "f.rs", 1, "m", pieces, slots);
            let mut values = Vec::new();
            for _ in 0..count {
                v.encode(&mut values);
            }
            let (ok, raw, escaped) = render_all(&cs, &values);
            assert!(ok, "{v:?} x{count}");
            let want = v.display().repeat(count);
            assert_eq!(raw, want, "{v:?} x{count}");
            assert_eq!(escaped, escapes_of(&want), "{v:?} x{count}");
        }
    }
}

/// A width or precision past what `core::fmt` takes (it panics above
/// `u16::MAX`) is never encoded by a caller (the call fails there, as
/// `format!` would), so a record holding one is malformed: the writer
/// refuses it (the record is counted) instead of panicking in `core::fmt`.
#[test]
fn a_count_past_core_fmt_s_range_is_refused_not_panicked_on() {
    let slots: &'static [Slot] = Box::leak(Box::new([
        Slot::custom(
            CustomFmt::Display(|o, v, w, _| write!(o, "{v:>w$}")),
            true,
            false,
        ),
        Slot::custom(
            CustomFmt::Display(|o, v, _, p| write!(o, "{v:.p$}")),
            false,
            true,
        ),
    ]));
    let cs = CallSite::new(None, None, "f.rs", 1, "m", &["<", "|", ">"], slots);
    for (w, p, ok) in [
        (65_535u64, 2u64, true),
        (3, 65_535, true),
        (65_536, 2, false),
        (3, 65_536, false),
        (u64::MAX, 2, false),
        (3, u64::from(u32::MAX), false),
    ] {
        let mut values = Vec::new();
        V::U8(7).encode(&mut values);
        V::U64(w).encode(&mut values);
        V::F64(1.25).encode(&mut values);
        V::U64(p).encode(&mut values);
        let (rendered, raw, _) = render_all(&cs, &values);
        assert_eq!(rendered, ok, "width {w}, precision {p}");
        if ok {
            let want = format!("<{:>w$}|{:.p$}>", 7, 1.25, w = w as usize, p = p as usize);
            assert_eq!(raw, want);
        }
    }
}

/// Each length around the fast paths' edges, as `format!` makes it in
/// every dialect: pieces of 0 to 40 bytes (one 16-byte move, or more out
/// of line) and strings of 0 to 40 bytes, plain or with one byte to
/// escape at each end, first or last in the record (a short string near
/// the record's end has fewer than 16 bytes to load and goes out of
/// line), beside integers of every digit count.
#[test]
fn every_length_at_the_fast_paths_edges_renders_like_format() {
    for n in 0..=40usize {
        let text: String = (0..n).map(|i| (b'a' + (i % 26) as u8) as char).collect();
        let piece: &'static str = Box::leak(text.clone().into_boxed_str());
        let mut strings = vec![text.clone()];
        if n > 0 {
            strings.push(format!("\"{}", &text[1..]));
            strings.push(format!("{}\n", &text[1..]));
            strings.push(format!("{}é", &text[1..]));
        }
        for s in strings {
            let v = V::Str(leak(s.clone().into_bytes()));
            let digits = 10u64.pow((n % 20) as u32);
            for (pieces, values, want) in [
                (
                    vec![piece, "=", ""],
                    vec![v, V::U64(digits - 1)],
                    format!("{piece}{s}={}", digits - 1),
                ),
                (
                    vec!["", piece, piece],
                    vec![V::U32(n as u32 * 99_999), v],
                    format!("{}{piece}{s}{piece}", n as u32 * 99_999),
                ),
            ] {
                let pieces: &'static [&'static str] = Box::leak(pieces.into_boxed_slice());
                let cs: &'static CallSite = Box::leak(Box::new(CallSite::new(
                    None,
                    None,
                    "f.rs",
                    1,
                    "m",
                    pieces,
                    &[Slot::DISPLAY, Slot::DISPLAY],
                )));
                let mut encoded = Vec::new();
                for v in &values {
                    v.encode(&mut encoded);
                }
                let (ok, raw, escaped) = render_all(cs, &encoded);
                assert!(ok, "{want:?}");
                assert_eq!(raw, want);
                assert_eq!(escaped, escapes_of(&want), "{want:?}");
            }
        }
    }
}

/// The leading-quote rule holds on each of the renderer's routes: a
/// first piece that starts with a quote (applied in the plan), and a
/// message that starts with a value (checked once written) — a string
/// with a quote, one without, an empty one before a piece with a quote —
/// with short pieces, a long one, and a spec other than `{}`.
#[test]
fn a_leading_quote_is_escaped_on_every_route() {
    let long: &'static str = Box::leak(format!("\"{}", "x".repeat(20)).into_boxed_str());
    let debug = Spec::Debug.slot();
    let routes: [(&'static [&'static str], Slot, Route); 4] = [
        (&["", " y"], Slot::DISPLAY, Route::ShortLead),
        (Box::leak(Box::new(["", long])), Slot::DISPLAY, Route::Long),
        (&["", "\"y"], debug, Route::Custom),
        (&["\"a", "\"y"], Slot::DISPLAY, Route::Short),
    ];
    for (pieces, slot, route) in routes {
        let slots: &'static [Slot] = Box::leak(Box::new([slot]));
        let cs: &'static CallSite =
            Box::leak(Box::new(CallSite::new(None, None, "f.rs", 1, "m", pieces, slots)));
        assert_eq!(Plan::of(cs).pieces::<Bare>().route(), route, "{pieces:?}");
        for s in ["\"q", "q", ""] {
            let mut values = Vec::new();
            V::Str(s.as_bytes()).encode(&mut values);
            let (ok, raw, escaped) = render_all(cs, &values);
            assert!(ok);
            let arg = match route {
                Route::Custom => format!("{s:?}"),
                _ => s.to_owned(),
            };
            let want = format!("{}{arg}{}", pieces[0], pieces[1]);
            assert_eq!(raw, want);
            assert_eq!(escaped, escapes_of(&want), "{pieces:?} {s:?}");
        }
    }
}
