//! Renderers generated per argument signature: the message of a call
//! site whose values' types are known when the renderer is compiled.
//!
//! The table-driven renderer (`render_slots`) loops over the call site's
//! pieces and picks each value's code from its tag. A typed renderer is
//! the same work unrolled for one signature (`deferred::signature`): one
//! function per number of values, each value's code chosen at compile
//! time from the tag the signature gives for it. It still checks each
//! value's tag (one compare) and each length, and on any mismatch undoes
//! what it wrote and says so: the caller then renders the record the
//! table-driven way. A wrong or stale table therefore costs time, never
//! bytes — which matters because a call site in a generic function is one
//! `static` shared by every instantiation, whose argument types may differ.
//!
//! A typed renderer calls nothing on its common path, so that it saves
//! and restores as few registers as it can on each call (a call per record
//! through a pointer): its caller reserves the room it writes into, with
//! a bound on the pieces that is a constant per number of slots; a value
//! written out of line (a string that is long or has something to escape,
//! a rare tag) hands the rest of the message to `rest_by_tags`, called
//! last, which writes it by the values' tags as the table-driven renderer
//! does.
//!
//! A caller of a call site notes its table ([`TypedCell::note`]) where
//! that costs the call path nothing: on its producer's first call after
//! a pause (`after_pause` in `producer::deferred`, on either path), and
//! on the slow path, which every
//! record not written straight into a lossless ring takes (a crash-safe
//! call site's first included). A call site first met in the middle of a
//! burst is rendered the table-driven way until then. The writer finds
//! the table in the cell (`render_with`), and each formatter keeps the
//! renderer it found last ([`TypedMemo`]): a run of records of one call
//! site finds it with one compare of the site's plan address. Only
//! call sites whose slots are all `{}` and whose pieces are short, with
//! no leading-quote check (`Route::Short`), are rendered here. Call sites
//! of another process (crash-safe recovery) are rebuilt from the call-site
//! table with an empty cell, so recovery renders the table-driven way.

use super::cursor::{Cursor, SLACK};
use super::plan::{MessageForm, Pieces, Plan, Route};
use super::{display, room_for, signed, Emit, Escaped, Raw, Tail, ROOM_PER_VALUE_BYTE};
use crate::callsite::CallSite;
use crate::deferred::encode::EncodeArgs;
use crate::deferred::signature::{count, tag_at};
use crate::deferred::tag;
use crate::format::escape::{Bare, Json, Quoted};
use std::marker::PhantomData;
use std::sync::atomic::{AtomicPtr, Ordering};

/// A typed renderer: the message of `values` with a call site's `pieces`
/// and then its entry's tail (see [`ENTRIES`]), appended to `out`;
/// `Some(rest_is_empty)` when every value decoded as the signature says,
/// `None` (with `out` as it was) when one did not.
///
/// # Safety
/// The route of `pieces` is `Route::Short` (every piece at most 16 bytes),
/// and `out` has [`typed_room`] of its pieces, its entry's tail and
/// `values` free after its length.
type RenderFn = unsafe fn(&mut Vec<u8>, &Pieces, &[u8]) -> Option<bool>;

/// The room a typed renderer writes into without a check of its own (its
/// caller reserves it: a renderer that reserved would call out of line
/// and save registers on every call): [`room_for`] of the bound on the
/// pieces' bytes ([`short_pieces_bound`]) and `tail`, and the cursor's
/// slack.
#[inline(always)]
fn typed_room(slots: usize, tail: Tail, values: &[u8]) -> usize {
    room_for(short_pieces_bound(slots) + tail.len(), values) + SLACK
}

/// The most bytes the pieces of a call site with `slots` slots take on
/// `Route::Short`: every piece (one more than slots) at most 16 bytes.
const fn short_pieces_bound(slots: usize) -> usize {
    16 * (slots + 1)
}

/// What each entry of a [`Table`] renders: a form ([`MessageForm::FORM`])
/// and the tail the formats put after it, a constant in the renderer
/// (a message followed by any other tail is rendered the table-driven
/// way). The JSON form comes with two: the object's end, or the closing
/// quote before fields.
const ENTRIES: [(usize, Tail); 5] = [
    (0, Tail::NONE),
    (1, Tail::new(b"\n")),
    (2, Tail::new(b"\"")),
    (3, Tail::new(b"\"}\n")),
    (3, Tail::new(b"\"")),
];

/// One signature's renderers, one per entry of [`ENTRIES`].
#[derive(Debug)]
pub(crate) struct Table {
    entries: [RenderFn; ENTRIES.len()],
}

impl Table {
    /// The renderer for what `E` writes followed by `tail`, if an entry
    /// has them (a constant test where `tail` is one).
    #[inline(always)]
    fn get<E: Emit>(&self, tail: Tail) -> Option<RenderFn> {
        Some(self.entries[entry::<E>(tail)?])
    }
}

/// The table of argument type `A`.
struct TableOf<A>(PhantomData<A>);

impl<A: EncodeArgs> TableOf<A> {
    const TABLE: &'static Table = &Table {
        entries: [
            pick::<A, Raw, { ENTRIES[0].1.word() }>(),
            pick::<A, Escaped<Bare>, { ENTRIES[1].1.word() }>(),
            pick::<A, Escaped<Quoted>, { ENTRIES[2].1.word() }>(),
            pick::<A, Escaped<Json>, { ENTRIES[3].1.word() }>(),
            pick::<A, Escaped<Json>, { ENTRIES[4].1.word() }>(),
        ],
    };
}

/// Entry `i` of [`TableOf::TABLE`] renders the form of [`ENTRIES`]`[i]`
/// ([`Table::get`]).
const _: () = {
    const fn form<E: Emit>() -> usize {
        <E::Form as MessageForm>::FORM
    }
    assert!(form::<Raw>() == ENTRIES[0].0);
    assert!(form::<Escaped<Bare>>() == ENTRIES[1].0);
    assert!(form::<Escaped<Quoted>>() == ENTRIES[2].0);
    assert!(form::<Escaped<Json>>() == ENTRIES[3].0);
    assert!(form::<Escaped<Json>>() == ENTRIES[4].0);
};

/// Where a call site keeps the table of its arguments' signature: null
/// until a caller with a known signature notes one.
#[derive(Debug)]
pub(crate) struct TypedCell(AtomicPtr<Table>);

impl TypedCell {
    /// An empty cell.
    pub(crate) const fn new() -> TypedCell {
        TypedCell(AtomicPtr::new(std::ptr::null_mut()))
    }

    /// Notes the table of `A` unless one is noted already (the first
    /// caller's stays: any table is right for the records whose values
    /// match it, and the others fall back).
    #[inline(always)]
    pub(crate) fn note<A: EncodeArgs>(&self) {
        if A::SIG == 0 {
            return;
        }
        // Relaxed: the pointer names a constant in the binary, readable
        // whenever it is seen; no other memory is published with it.
        if self.0.load(Ordering::Relaxed).is_null() {
            let t: &'static Table = TableOf::<A>::TABLE;
            self.0.store(t as *const Table as *mut Table, Ordering::Relaxed);
        }
    }

    /// The table noted, if any.
    #[inline(always)]
    fn get(&self) -> Option<&'static Table> {
        // Relaxed: see `note`.
        let p = self.0.load(Ordering::Relaxed);
        // SAFETY: a non-null pointer in the cell came from `note`: a
        // `&'static Table`.
        (!p.is_null()).then(|| unsafe { &*p })
    }
}

/// Renders a record of `cs` with the table noted in its cell when there
/// is one, its pieces take the route typed renderers are made for, and
/// the record's values match the table; `None` otherwise (nothing
/// written). The renderer found is kept in `memo` for the next record.
#[inline(always)]
pub(super) fn render<E: Emit>(
    memo: &mut TypedMemo,
    cs: &CallSite,
    out: &mut Vec<u8>,
    values: &[u8],
    tail: Tail,
) -> Option<bool> {
    let i = entry::<E>(tail)?;
    let m = memo.0[i];
    let (plan, typed, room) = match Plan::published(cs) == m.plan {
        // SAFETY: `m.plan` is never null nor an address a plan has
        // when it is the empty memo's, so it is `cs`'s published plan
        // (see `Plan::of`).
        true => (unsafe { &*m.plan }, m.render, m.room),
        false => {
            let plan = Plan::of(cs);
            let slots = plan.pieces::<E::Form>().heads().len();
            let typed = cs.typed.get()?.get::<E>(tail)?;
            let room = typed_room(slots, tail, &[]);
            memo.0[i] = Memo { plan, render: typed, room };
            (plan, typed, room)
        }
    };
    let pieces = plan.pieces::<E::Form>();
    // Tested on every record: a memo is a plan's address, which a plan
    // built later for another call site may have (one freed meanwhile).
    if pieces.route() != Route::Short {
        return None;
    }
    out.reserve(room + ROOM_PER_VALUE_BYTE * values.len());
    // SAFETY: the route is `Short`, tested above; the room was just
    // reserved: `typed_room` of `values` for the renderer's own number
    // of slots (the pieces' when it was kept; pieces with any other
    // number are rendered by no renderer: it returns `None` at once).
    unsafe { typed(out, pieces, values) }
}

/// The typed renderer a formatter used last, for each entry of
/// [`ENTRIES`]: the next record of the same call site (most records
/// follow one of their own site) finds it, and the room it writes into,
/// with one compare instead of through the call site's cells.
#[derive(Debug)]
pub(crate) struct TypedMemo([Memo; ENTRIES.len()]);

/// A renderer found for a plan.
#[derive(Clone, Copy, Debug)]
struct Memo {
    /// The plan of the call site it was found for; never null (an
    /// address no plan has when there is none), so a call site with no
    /// plan published matches no memo.
    plan: *const Plan,
    /// The renderer of the table that call site had noted.
    render: RenderFn,
    /// [`typed_room`] of no values, for the number of slots `render`
    /// renders: the room it needs but for the values' share.
    room: usize,
}

// SAFETY: a memo holds the address of a plan, which no one writes after
// it is published (it is dereferenced only once `Plan::published` gave
// the same address again), and a function pointer; sending them is
// sending `&Plan` and `fn`.
unsafe impl Send for TypedMemo {}

impl TypedMemo {
    /// A memo that holds no renderer.
    pub(crate) fn new() -> TypedMemo {
        let none = Memo {
            plan: std::ptr::NonNull::<Plan>::dangling().as_ptr(),
            render: untyped,
            room: 0,
        };
        TypedMemo([none; ENTRIES.len()])
    }
}

impl Default for TypedMemo {
    fn default() -> TypedMemo {
        TypedMemo::new()
    }
}

/// The entry of [`ENTRIES`] for what `E` writes followed by `tail` (a
/// constant where `tail` is one).
#[inline(always)]
fn entry<E: Emit>(tail: Tail) -> Option<usize> {
    let form = <E::Form as MessageForm>::FORM;
    ENTRIES.iter().position(|&e| e == (form, tail))
}

/// The renderer of `A`'s signature for `E` and the tail `TAIL` (a
/// [`Tail::word`]).
const fn pick<A: EncodeArgs, E: Emit, const TAIL: u32>() -> RenderFn {
    match count(A::SIG) {
        Some(0) => typed0::<A, E, TAIL>,
        Some(1) => typed1::<A, E, TAIL>,
        Some(2) => typed2::<A, E, TAIL>,
        Some(3) => typed3::<A, E, TAIL>,
        Some(4) => typed4::<A, E, TAIL>,
        Some(5) => typed5::<A, E, TAIL>,
        Some(6) => typed6::<A, E, TAIL>,
        Some(7) => typed7::<A, E, TAIL>,
        Some(8) => typed8::<A, E, TAIL>,
        Some(9) => typed9::<A, E, TAIL>,
        Some(10) => typed10::<A, E, TAIL>,
        Some(11) => typed11::<A, E, TAIL>,
        _ => untyped,
    }
}

/// For a signature no renderer is generated for (never noted).
unsafe fn untyped(_: &mut Vec<u8>, _: &Pieces, _: &[u8]) -> Option<bool> {
    None
}

/// What [`value`] did with a value.
enum Step<'a> {
    /// Wrote it; what follows it.
    Done(&'a [u8]),
    /// Its tag is `want` but it takes a part written out of line (a
    /// string that is long, empty, at the end of the record or has
    /// something to escape; a tag read by `display` alone): nothing
    /// written, [`rest_by_tags`] writes it.
    Slow,
    /// Its tag is not `want`, or it does not decode: nothing written.
    Mismatch,
}

/// `{}` of the value at the front of `r`, whose tag must be `want` (a
/// constant where it is inlined: the match folds to one arm), when it is
/// written inline (see [`Step`]). Nothing here calls out of line, so a
/// renderer made of these needs no register saved across a call.
///
/// # Safety
/// As for `display`: the room holds `room_for(pieces_left, r)`.
// Inlined always where optimized only: unoptimized, nothing folds the
// match, and each renderer held a whole copy of it per value (a test
// logging eleven values of a type spent 30 s compiling 280 KB renderers).
#[cfg_attr(not(debug_assertions), inline(always))]
unsafe fn value<'a, E: Emit>(want: u8, c: &mut Cursor<'_>, r: &'a [u8]) -> Step<'a> {
    if matches!(want, tag::STR | tag::PRE) {
        // SAFETY: as for `value`.
        if let Some(done) = unsafe { short_string::<E>(want, c, r) } {
            return Step::Done(done);
        }
    }
    // The tag and the value's fixed part (a length, or the number) in one
    // test of the length, before the tag's: two compares a value.
    let fixed = match want {
        tag::STR | tag::PRE | tag::U32 | tag::I32 => 4,
        tag::U64 | tag::I64 => 8,
        _ => 0,
    };
    if r.len() <= fixed || r[0] != want {
        return Step::Mismatch;
    }
    let rest = &r[1..];
    // SAFETY: each write is the value's `{}`, within its share of the
    // room (`ROOM_PER_VALUE_BYTE` per encoded byte), as in `display`.
    unsafe {
        match want {
            tag::STR | tag::PRE => {
                let Some((len, from)) = rest.split_first_chunk::<4>() else {
                    return Step::Mismatch;
                };
                let len = u32::from_le_bytes(*len) as usize;
                // Not the short case (`short_string`): out of line if it
                // is all in the record.
                match from.len() < len {
                    true => Step::Mismatch,
                    false => Step::Slow,
                }
            }
            tag::U64 => match rest.split_first_chunk::<8>() {
                Some((v, rest)) => {
                    c.decimal(u64::from_le_bytes(*v));
                    Step::Done(rest)
                }
                None => Step::Mismatch,
            },
            tag::U32 => match rest.split_first_chunk::<4>() {
                Some((v, rest)) => {
                    c.decimal(u32::from_le_bytes(*v).into());
                    Step::Done(rest)
                }
                None => Step::Mismatch,
            },
            tag::I64 => match rest.split_first_chunk::<8>() {
                Some((v, rest)) => {
                    signed(c, i64::from_le_bytes(*v));
                    Step::Done(rest)
                }
                None => Step::Mismatch,
            },
            tag::I32 => match rest.split_first_chunk::<4>() {
                Some((v, rest)) => {
                    signed(c, i32::from_le_bytes(*v).into());
                    Step::Done(rest)
                }
                None => Step::Mismatch,
            },
            _ => Step::Slow,
        }
    }
}

/// `string`'s short case of a string value (tag `want`) at the front of
/// `r`: a string of 1 to 16 bytes with nothing to escape, written with one
/// 16-byte move; what follows it, or `None` (nothing written) when it is
/// not that case. One test of `r`'s length covers the tag, the length and
/// the 16 bytes read, and bounds the string (`5 + len <= 21 <= r.len()`):
/// four compares before the escape check.
///
/// # Safety
/// As for [`value`].
#[inline(always)]
unsafe fn short_string<'a, E: Emit>(want: u8, c: &mut Cursor<'_>, r: &'a [u8]) -> Option<&'a [u8]> {
    let (head, _) = r.split_first_chunk::<21>()?;
    if head[0] != want {
        return None;
    }
    let len = u32::from_le_bytes([head[1], head[2], head[3], head[4]]) as usize;
    if len.wrapping_sub(1) >= 16 {
        return None;
    }
    let mut w = [0; 16];
    w.copy_from_slice(&head[5..]);
    if !E::plain16(w, len) {
        return None;
    }
    // SAFETY: the room holds the string's share (`ROOM_PER_VALUE_BYTE`
    // per encoded byte, as in `display`); `5 + len <= 21 <= r.len()`.
    unsafe {
        c.put16(w, len);
        Some(r.get_unchecked(5 + len..))
    }
}

/// The rest of a typed renderer's message from value `i` on (piece `i`
/// written, nothing committed yet), each value by its own tag as
/// `render_slots` writes it, then the last piece and the tail `TAIL`:
/// out of line, called last (so the renderer saves nothing for it).
/// `None`, with `out` as it was, when a value does not decode.
///
/// # Safety
/// The route of `pieces` is `Route::Short`; `c` is a cursor whose room
/// holds `room_for(pieces_left, rest) + SLACK` for the pieces not written
/// yet, and nothing written through it is committed.
#[inline(never)]
unsafe fn rest_by_tags<E: Emit, const TAIL: u32>(
    mut c: Cursor<'_>,
    pieces: &Pieces,
    i: usize,
    mut rest: &[u8],
) -> Option<bool> {
    let tail = Tail::of(TAIL);
    let start = c.committed();
    let all_pieces = pieces.total() + tail.len();
    let heads = pieces.heads();
    let mut k = i;
    loop {
        // SAFETY: the room holds `room_for(pieces_left, rest)` (the
        // caller's promise, restored by `display` after a checked part).
        match unsafe { display::<E>(&mut c, rest, all_pieces) } {
            Some(r) => rest = r,
            None => {
                c.discard(start);
                return None;
            }
        }
        k += 1;
        let Some(p) = heads.get(k) else { break };
        // SAFETY: as above; the route is `Short`: the piece is at most
        // 16 bytes.
        unsafe { c.put_piece::<true>(p) };
    }
    // SAFETY: as above.
    unsafe {
        c.put_piece::<true>(&pieces.last());
        c.tail(tail);
    }
    c.finish();
    Some(rest.is_empty())
}

/// One renderer per number of values: `typedN` writes piece `i`, then
/// value `i` as `A`'s signature says, for `i` in `0..N`, then the last
/// piece and the tail `TAIL` (a [`Tail::word`]) — `render_slots` for
/// `Route::Short`, unrolled.
macro_rules! typed {
    ($($name:ident: $n:literal [$($i:literal)*];)*) => {$(
        /// # Safety
        /// As for [`RenderFn`].
        unsafe fn $name<A: EncodeArgs, E: Emit, const TAIL: u32>(
            out: &mut Vec<u8>,
            pieces: &Pieces,
            values: &[u8],
        ) -> Option<bool> {
            let tail = Tail::of(TAIL);
            let heads = pieces.heads();
            // The second test folds away (`pick` chose this renderer by it).
            if heads.len() != $n || !matches!(count(A::SIG), Some($n)) {
                return None;
            }
            // SAFETY: the caller reserved `typed_room` of `$n` slots.
            let mut c = unsafe { Cursor::in_room(out) };
            debug_assert!(c.spare() >= typed_room($n, tail, values));
            debug_assert!(pieces.total() <= short_pieces_bound($n));
            #[allow(unused_mut)]
            let mut rest = values;
            $(
                // SAFETY: the room holds `room_for` of the pieces (at most
                // `short_pieces_bound` bytes) and values not written yet,
                // and the slack; the route is `Short` (the caller's
                // promise): every piece is at most 16 bytes.
                unsafe { c.put_piece::<true>(&heads[$i]) };
                // SAFETY: as above.
                match unsafe { value::<E>(tag_at(A::SIG, $i), &mut c, rest) } {
                    Step::Done(r) => rest = r,
                    // Nothing committed: `out` is as it was.
                    Step::Mismatch => return None,
                    // SAFETY: as above; nothing committed yet.
                    Step::Slow => return unsafe { rest_by_tags::<E, TAIL>(c, pieces, $i, rest) },
                }
            )*
            // SAFETY: as above.
            unsafe {
                c.put_piece::<true>(&pieces.last());
                c.tail(tail);
            }
            c.finish();
            Some(rest.is_empty())
        }
    )*};
}

typed! {
    typed0: 0 [];
    typed1: 1 [0];
    typed2: 2 [0 1];
    typed3: 3 [0 1 2];
    typed4: 4 [0 1 2 3];
    typed5: 5 [0 1 2 3 4];
    typed6: 6 [0 1 2 3 4 5];
    typed7: 7 [0 1 2 3 4 5 6];
    typed8: 8 [0 1 2 3 4 5 6 7];
    typed9: 9 [0 1 2 3 4 5 6 7 8];
    typed10: 10 [0 1 2 3 4 5 6 7 8 9];
    typed11: 11 [0 1 2 3 4 5 6 7 8 9 10];
}

#[cfg(test)]
mod tests;
