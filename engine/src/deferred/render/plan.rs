//! A call site's literal pieces as the writer copies them, prepared once
//! per call site: for each way a message is written (as it is, or escaped
//! for one of the message dialects) every piece already in that form,
//! laid end to end in one buffer with [`PAD`] bytes after the last, so a
//! piece is copied in 16-byte moves whatever its length and nothing is
//! escaped per record.
//!
//! Each piece is escaped on its own, as the renderer escapes every part
//! (see `escape::push_utf8_part`): the parts' escapes make the whole's but
//! for the leading-quote rule. A dialect with that rule has it applied to
//! its first piece here when that piece is not empty (the message starts
//! with it); when it is empty, the renderer applies it to the message
//! once written ([`Pieces::lead_check`]).
//!
//! The plan hangs off the call site ([`PlanCell`]), built by the first
//! writer that renders a record of it; writers that race each build one
//! and all but the first to publish drop theirs. No lock: a forked child
//! never waits on a build its parent's thread had begun.

use crate::callsite::CallSite;
use crate::format::escape::{push_utf8_part, Bare, Dialect, Json, Quoted};
use std::sync::atomic::{AtomicPtr, Ordering};

/// Bytes after the last piece that a copy may read (a 16-byte move of a
/// piece's tail).
const PAD: usize = 16;

/// A call site's pieces in each written form.
#[derive(Debug)]
pub(crate) struct Plan {
    /// Indexed by [`MessageForm::FORM`].
    forms: [Pieces; FORMS],
}

/// How many forms a plan holds: as it is, and one per message dialect.
const FORMS: usize = 4;

/// The pieces of one form.
#[derive(Debug)]
pub(crate) struct Pieces {
    /// Every piece, end to end, then [`PAD`] zero bytes. Never changed
    /// after the plan is built (the pointers in `spans` point into it).
    bytes: Box<[u8]>,
    /// Each piece in order as where it starts in `bytes` and its length:
    /// `slots + 1` of them (a call site has one more piece than slots),
    /// each followed by at least [`PAD`] bytes of `bytes`.
    spans: Box<[Piece]>,
    /// The form's dialect escapes a leading quote and the first piece is
    /// empty: whether the message starts with a quote is known only once
    /// it is written.
    lead_check: bool,
    /// Which of the renderer's copies writes a message of this form.
    route: Route,
}

/// The renderer's copy for a call site's pieces in one form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Route {
    /// Every slot `{}`, every piece short, no leading-quote check.
    Short,
    /// As `Short`, with the leading-quote check.
    ShortLead,
    /// Every slot `{}`, a piece longer than 16 bytes.
    Long,
    /// A slot with another spec.
    Custom,
}

/// A piece: its first 16 bytes (zero after its end), where it starts and
/// its length; its bytes and the [`PAD`] after them are readable from its
/// start for as long as its plan lives. The first 16 bytes are kept here
/// so that a short piece is copied without reading `bytes`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Piece {
    pub(crate) head: [u8; 16],
    pub(crate) at: *const u8,
    pub(crate) len: usize,
}

// SAFETY: a `Piece` points into its plan's `bytes`, which no one writes
// after the plan is built; sharing or sending the pointer is sharing or
// sending `&[u8]`.
unsafe impl Send for Piece {}
// SAFETY: as above.
unsafe impl Sync for Piece {}

impl Pieces {
    /// The pieces of a call site (with a spec other than `{}` when
    /// `custom`) written by `write`, the first one's leading quote escaped
    /// when `leading_quote` (the dialect's rule).
    fn new(
        pieces: &[&str],
        custom: bool,
        leading_quote: bool,
        write: impl Fn(&mut Vec<u8>, &[u8]),
    ) -> Pieces {
        assert!(!pieces.is_empty(), "a call site has one more piece than slots");
        let mut bytes = Vec::new();
        let mut starts = Vec::with_capacity(pieces.len());
        for (i, p) in pieces.iter().enumerate() {
            let start = bytes.len();
            if i == 0 && leading_quote && p.starts_with('"') {
                // Every escape starts with `\`: the piece's escape starts
                // with its quote, which the rule escapes.
                bytes.push(b'\\');
            }
            write(&mut bytes, p.as_bytes());
            starts.push((start, bytes.len() - start));
        }
        bytes.resize(bytes.len() + PAD, 0);
        let bytes = bytes.into_boxed_slice();
        let spans = starts
            .into_iter()
            .map(|(start, len)| {
                let mut head = [0; 16];
                head[..len.min(16)].copy_from_slice(&bytes[start..start + len.min(16)]);
                Piece {
                    head,
                    // `start + len + PAD <= bytes.len()`: within `bytes`.
                    at: bytes[start..].as_ptr(),
                    len,
                }
            })
            .collect::<Box<[Piece]>>();
        // Every piece at most 16 bytes long (its `head` holds it whole).
        let short = spans.iter().all(|p| p.len <= 16);
        let lead_check = leading_quote && pieces[0].is_empty();
        Pieces {
            bytes,
            spans,
            lead_check,
            route: match (custom, short, lead_check) {
                (true, _, _) => Route::Custom,
                (false, false, _) => Route::Long,
                (false, true, false) => Route::Short,
                (false, true, true) => Route::ShortLead,
            },
        }
    }

    /// Which of the renderer's copies writes these pieces.
    #[inline(always)]
    pub(crate) fn route(&self) -> Route {
        self.route
    }

    /// Whether the message written is to have the leading-quote rule
    /// applied (see the field).
    #[inline(always)]
    pub(crate) fn lead_check(&self) -> bool {
        self.lead_check
    }


    /// Bytes of all the pieces.
    #[inline(always)]
    pub(crate) fn total(&self) -> usize {
        self.bytes.len() - PAD
    }

    /// The pieces before each slot, in order (all but the last).
    #[inline(always)]
    pub(crate) fn heads(&self) -> &[Piece] {
        // SAFETY: `spans` is never empty (see `new`).
        unsafe { self.spans.get_unchecked(..self.spans.len() - 1) }
    }

    /// The last piece, after the last slot.
    #[inline(always)]
    pub(crate) fn last(&self) -> Piece {
        // SAFETY: `spans` is never empty (see `new`).
        unsafe { *self.spans.get_unchecked(self.spans.len() - 1) }
    }
}

impl Plan {
    fn new(cs: &CallSite) -> Plan {
        let c = cs.any_custom;
        Plan {
            forms: [
                Pieces::new(cs.pieces, c, false, |out, p| out.extend_from_slice(p)),
                Pieces::new(cs.pieces, c, Bare::LEADING_QUOTE, push_utf8_part::<Bare>),
                Pieces::new(cs.pieces, c, Quoted::LEADING_QUOTE, push_utf8_part::<Quoted>),
                Pieces::new(cs.pieces, c, Json::LEADING_QUOTE, push_utf8_part::<Json>),
            ],
        }
    }

    /// The plan of `cs` if one is published, else null; a pointer to
    /// compare (see `typed::TypedMemo`), read as in [`Plan::of`].
    #[inline(always)]
    pub(crate) fn published(cs: &CallSite) -> *const Plan {
        // Acquire: as in `of`.
        cs.plan.0.load(Ordering::Acquire)
    }

    /// The plan of `cs`, built on first use.
    #[inline(always)]
    pub(crate) fn of(cs: &CallSite) -> &Plan {
        // Acquire: pairs with the Release of the publishing
        // compare-exchange, so the plan's contents are visible.
        let p = cs.plan.0.load(Ordering::Acquire);
        if p.is_null() {
            return Plan::build(cs);
        }
        // SAFETY: a non-null pointer in the cell is a published plan,
        // never changed or freed while the call site lives (`PlanCell`).
        unsafe { &*p }
    }

    #[cold]
    #[inline(never)]
    fn build(cs: &CallSite) -> &Plan {
        let mine = Box::into_raw(Box::new(Plan::new(cs)));
        // Release: publishes the plan's contents (see `of`); Acquire on
        // failure: the winner's contents.
        match cs.plan.0.compare_exchange(
            std::ptr::null_mut(),
            mine,
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            // SAFETY: just published; lives as long as the call site.
            Ok(_) => unsafe { &*mine },
            Err(theirs) => {
                // SAFETY: `mine` was never shared: it came from
                // `Box::into_raw` above and lost the race.
                drop(unsafe { Box::from_raw(mine) });
                // SAFETY: as in `of`.
                unsafe { &*theirs }
            }
        }
    }

    /// The pieces in form `F`.
    #[inline(always)]
    pub(crate) fn pieces<F: MessageForm>(&self) -> &Pieces {
        &self.forms[F::FORM]
    }
}

/// A form a plan holds pieces in.
pub(crate) trait MessageForm {
    /// Its index among a plan's forms.
    const FORM: usize;
}

/// The message as it is.
pub(crate) struct AsIs;

impl MessageForm for AsIs {
    const FORM: usize = 0;
}

/// A message dialect: a form a plan holds pieces in.
pub(crate) trait MessageDialect: Dialect + MessageForm {}

impl MessageForm for Bare {
    const FORM: usize = 1;
}
impl MessageDialect for Bare {}
impl MessageForm for Quoted {
    const FORM: usize = 2;
}
impl MessageDialect for Quoted {}
impl MessageForm for Json {
    const FORM: usize = 3;
}
impl MessageDialect for Json {}

/// Where a call site keeps its plan: null until a writer builds it, then
/// the plan for as long as the call site lives (the statics the macros
/// make: forever).
#[derive(Debug)]
pub(crate) struct PlanCell(AtomicPtr<Plan>);

impl PlanCell {
    /// An empty cell.
    pub(crate) const fn new() -> PlanCell {
        PlanCell(AtomicPtr::new(std::ptr::null_mut()))
    }
}

impl Drop for PlanCell {
    fn drop(&mut self) {
        let p = *self.0.get_mut();
        if !p.is_null() {
            // SAFETY: a published plan came from `Box::into_raw` and is
            // owned by this cell alone; nothing refers to it once the call
            // site is being dropped.
            drop(unsafe { Box::from_raw(p) });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::callsite::Slot;

    #[test]
    fn each_form_holds_every_piece_escaped_on_its_own_and_padded() {
        static CS: CallSite = CallSite::new(
            None,
            None,
            "f.rs",
            1,
            "m",
            &["\"a\\b\n", "", "é\u{2028}x"],
            &[Slot::DISPLAY, Slot::DISPLAY],
        );
        let plan = Plan::of(&CS);
        assert!(std::ptr::eq(plan, Plan::of(&CS)), "built once");
        let read = |p: &Pieces, i: usize| {
            let Piece { at, len, .. } = p.spans[i];
            // SAFETY: a piece promises `len + 16` readable bytes.
            unsafe { std::slice::from_raw_parts(at, len + PAD).to_vec() }
        };
        for (form, want) in [
            (0, ["\"a\\b\n", "", "é\u{2028}x"]),
            // The dialect with the leading-quote rule applies it to the first piece.
            (1, ["\\\"a\\\\b\\n", "", "é\\u{2028}x"]),
            (2, ["\\\"a\\\\b\\n", "", "é\\u{2028}x"]),
            (3, ["\\\"a\\\\b\\n", "", "é\\u2028x"]),
        ] {
            let p = &plan.forms[form];
            let mut total = 0;
            for (i, w) in want.iter().enumerate() {
                let got = read(p, i);
                assert_eq!(&got[..w.len()], w.as_bytes(), "form {form}, piece {i}");
                let mut head = [0; 16];
                head[..w.len()].copy_from_slice(w.as_bytes());
                assert_eq!(p.spans[i].head, head, "form {form}, piece {i}");
                total += w.len();
            }
            assert_eq!(p.total(), total);
            assert_eq!(p.route(), Route::Short, "form {form}");
            assert_eq!(p.heads(), &p.spans[..2]);
            assert_eq!(p.last(), p.spans[2]);
        }
    }

    #[test]
    fn a_piece_longer_than_16_bytes_keeps_its_first_16_as_head() {
        static CS: CallSite = CallSite::new(
            None,
            None,
            "f.rs",
            1,
            "m",
            &["0123456789abcdef", "0123456789abcdefg"],
            &[Slot::DISPLAY],
        );
        for p in &Plan::of(&CS).forms {
            assert_eq!(p.route(), Route::Long, "a piece of 17 bytes");
            let last = p.last();
            assert_eq!(last.len, 17);
            assert_eq!(&last.head, b"0123456789abcdef");
        }
        static SHORT: CallSite = CallSite::new(
            None,
            None,
            "f.rs",
            1,
            "m",
            &["0123456789abcdef", ""],
            &[Slot::DISPLAY],
        );
        assert!(Plan::of(&SHORT).forms.iter().all(|p| p.route() == Route::Short), "16 bytes");
    }

    #[test]
    fn racing_builders_agree_on_one_plan() {
        let cs: &'static CallSite = Box::leak(Box::new(CallSite::new(
            None,
            None,
            "f.rs",
            1,
            "m",
            &["x"],
            &[],
        )));
        let plans: Vec<usize> = std::thread::scope(|s| {
            let hs: Vec<_> = (0..4)
                .map(|_| s.spawn(|| Plan::of(cs) as *const Plan as usize))
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(plans.iter().all(|&p| p == plans[0]));
    }
}
