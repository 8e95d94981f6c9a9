//! Deferred calls: the arguments go into the record in binary, the writer
//! formats (see `crate::deferred`). The fast path (`Producer::try_direct`)
//! writes straight into the thread's ring; the rest take `log_measured`
//! and, when the ring cannot take the record in place, `deferred_slow`.

use super::{Direct, Payload, Producer, Route, Site, MAX_PLAIN_LEN};
use crate::callsite::{CallSite, SlotKind};
use crate::deferred::decode;
use crate::deferred::encode::{Cursor, EncodeArgs, PreBuf};
use crate::deferred::portable;
use crate::deferred::CALLSITE_LEN;
use crate::level::Level;
use crate::payload::fill_payload;
use crate::record::{truncate_str, Header, RecordKind, HEADER_LEN, MAX_TARGET_LEN};
use crate::ring::ByteProducer;
use crate::shared::Shared;
use crate::stats::{bump, ProducerCounters, WriterCounters};
use std::sync::Arc;

impl Producer {
    /// A deferred call (what the macros expand to, after the level check):
    /// the arguments go into the record in binary, the writer formats.
    #[doc(hidden)]
    #[inline]
    pub fn __log_deferred<A: EncodeArgs>(
        &mut self,
        cs: &'static CallSite,
        level: Level,
        target: &str,
        args: A,
    ) {
        self.follow_fork();
        if !A::PREFORMATS {
            let shared = Arc::as_ptr(&self.shared);
            // SAFETY: `self.shared` keeps it alive through the call, which
            // does not change `self.shared`.
            let shared = unsafe { &*shared };
            let tried = if self.direct == Direct::LosslessQuick {
                self.try_lossless::<A, true>(shared, cs, level, target, args)
            } else {
                self.try_direct(shared, cs, level, target, args)
            };
            match tried {
                Ok(()) => {}
                Err(args) => self.log_deferred_here(cs, level, target, args),
            }
            return;
        }
        self.log_deferred_here(cs, level, target, args);
    }

    /// [`Producer::__log_deferred`] on a producer known to be this
    /// process's (its logger's `is_here` was checked by the caller).
    #[inline]
    pub(crate) fn log_deferred_here<A: EncodeArgs>(
        &mut self,
        cs: &'static CallSite,
        level: Level,
        target: &str,
        args: A,
    ) {
        if !A::PREFORMATS {
            // No user code: nothing is formatted, the buffer stays unused.
            let values_len = args.measure(&mut PreBuf::new(&mut Vec::new(), 0));
            return self.log_measured(cs, level, target, args, None, values_len);
        }
        let mut pre = std::mem::take(&mut self.scratch);
        let values_len = measure(&self.shared, &args, &mut pre);
        // The user code may have forked: the record is this process's.
        self.follow_fork();
        self.log_measured(cs, level, target, args, Some(&mut pre), values_len);
        self.scratch = pre;
    }

    /// The fast path of a deferred call whose arguments are all copied in
    /// binary (`!A::PREFORMATS`): the record straight into the ring.
    /// Gives the arguments back, having counted and published nothing, when the call
    /// needs [`Producer::log_deferred_here`]: when the ring has no room in
    /// place for the record, after a pause once shutdown began (the two
    /// places a lossless ring learns of a shutdown, see
    /// [`Producer::try_lossless`]), for a crash-safe call
    /// site not yet in the directory's table or with a custom spec or
    /// after shutdown, in sync mode, under `DropOldest` and with
    /// `Formatting::Caller`. No user code runs here.
    /// `shared` is this producer's (`self.shared`), passed by a caller
    /// that has it at hand.
    ///
    /// For a producer whose `direct` is not [`Direct::LosslessQuick`]: the
    /// caller tells that route by the compare it makes anyway (of
    /// `direct`, or of the cache's key with [`Producer::is_quick_for`])
    /// and calls [`Producer::try_lossless`] with `QUICK` for it.
    #[inline(always)]
    pub(crate) fn try_direct<A: EncodeArgs>(
        &mut self,
        shared: &Shared,
        cs: &'static CallSite,
        level: Level,
        target: &str,
        args: A,
    ) -> Result<(), A> {
        debug_assert!(!A::PREFORMATS && std::ptr::eq(shared, &*self.shared));
        debug_assert!(self.direct != Direct::LosslessQuick);
        // A crash-safe call compares as many times as before the quick
        // kind: the asking one, out of line anyway, last.
        if self.direct == Direct::Mapped {
            return self.try_direct_mapped(shared, cs, level, target, args);
        }
        if self.direct == Direct::Lossless {
            return self.try_lossless_asking(shared, cs, level, target, args);
        }
        Err(args)
    }

    /// Whether the producer at `producer` logs to the logger whose key
    /// (`Shared` address) is `key` through [`Direct::LosslessQuick`]: one
    /// compare says both (see `Producer::quick_key`).
    ///
    /// # Safety
    /// `producer` points at a live producer.
    #[inline(always)]
    pub(crate) unsafe fn is_quick_for(producer: *const Producer, key: *const Shared) -> bool {
        // SAFETY: the caller's promise.
        unsafe { (*producer).quick_key == key as usize }
    }

    /// [`Producer::try_direct`] into the lossless ring of an engine whose
    /// clock or fence the call must ask for (not the TSC with
    /// `membarrier`): out of line, so that the usual engine's call path
    /// stays as short.
    #[cold]
    #[inline(never)]
    fn try_lossless_asking<A: EncodeArgs>(
        &mut self,
        shared: &Shared,
        cs: &'static CallSite,
        level: Level,
        target: &str,
        args: A,
    ) -> Result<(), A> {
        self.try_lossless::<A, false>(shared, cs, level, target, args)
    }

    /// [`Producer::try_direct`] into the lossless ring; `QUICK` when
    /// `direct` is [`Direct::LosslessQuick`] (the clock is the TSC and the
    /// writer's wake-ups pair with `membarrier`), so neither is asked for
    /// (a caller that found so with [`Producer::is_quick_for`] calls it
    /// with `QUICK` directly).
    #[inline(always)]
    pub(crate) fn try_lossless<A: EncodeArgs, const QUICK: bool>(
        &mut self,
        shared: &Shared,
        cs: &'static CallSite,
        level: Level,
        target: &str,
        args: A,
    ) -> Result<(), A> {
        debug_assert!(matches!(self.direct, Direct::LosslessQuick | Direct::Lossless));
        debug_assert_eq!(QUICK, self.direct == Direct::LosslessQuick);
        let Route::Lossless(ring) = &mut self.route else {
            debug_assert!(false, "direct says lossless");
            // SAFETY: `direct` is `LosslessQuick` or `Lossless` only with a
            // lossless route: both are set in `register`, and the route is
            // replaced only when the producer is dropped.
            unsafe { std::hint::unreachable_unchecked() }
        };
        // No look at `closed` on the call path: a call after shutdown began
        // may put its record into the room the ring already had; the
        // writer drains it while it closes, or `Shared::stats` counts it
        // dropped once the writer is done (the ring is an orphan then).
        // `closed` is looked at only where the ring would find more room
        // (a rebase after a pause, a refresh once the room is used up):
        // after shutdown began the call goes to `log_measured` there,
        // whose `admit` counts it and every later call dropped. So at most
        // the room the ring had goes in late — a thread that keeps logging
        // while the writer drains at close cannot keep the close going —
        // and the books stay exact either way.
        let clock = if QUICK {
            debug_assert!(shared.hot.clock.is_tsc());
            crate::clock::tsc_now()
        } else {
            shared.hot.clock.now_raw()
        };
        if !ring.note_call_unpaused(clock) {
            cold_path();
            if !fast_after_pause::<A>(ring, shared, cs, clock) {
                return Err(args);
            }
        }
        let rec = DeferredParts::new(cs, level, clock, target, &args);
        let Some(mut r) = ring.reserve_contiguous_unless(rec.len(), || shared.is_closed()) else {
            return Err(args);
        };
        let encoded = rec.encode(r.bytes(), &args, &[]);
        let counters = &self.ring_shared.counters;
        bump(&counters.enqueued);
        if !encoded {
            size_mismatch(counters);
            return Ok(());
        }
        // SAFETY: `encode` wrote all `len` reserved bytes.
        unsafe { r.commit() };
        if QUICK {
            shared.wake.notify_membarrier();
        } else {
            shared.wake_writer();
        }
        Ok(())
    }

    /// [`Producer::try_direct`] into a crash-safe ring file. As in
    /// `log_measured`, the call-site table is asked after the encoding; a
    /// record not published is dropped unseen.
    #[inline(always)]
    fn try_direct_mapped<A: EncodeArgs>(
        &mut self,
        shared: &Shared,
        cs: &'static CallSite,
        level: Level,
        target: &str,
        args: A,
    ) -> Result<(), A> {
        debug_assert!(self.direct == Direct::Mapped);
        if A::CUSTOM_SPECS {
            return Err(args);
        }
        // One compare of `direct` says the route too (as in `try_direct`).
        let Route::Mapped(ring) = &mut self.route else {
            debug_assert!(false, "direct says mapped");
            // SAFETY: `direct` is `Mapped` only with a mapped route: both
            // are set in `register`, and the route is replaced only when
            // the producer is dropped.
            unsafe { std::hint::unreachable_unchecked() }
        };
        if shared.is_closed() {
            return Err(args);
        }
        let clock = shared.hot.clock.now_raw();
        let rec = DeferredParts::new(cs, level, clock, target, &args);
        let Some(mut f) = ring.reserve_contiguous(rec.len()) else {
            return Err(args);
        };
        let counters = &self.ring_shared.counters;
        if !rec.encode(f.record(), &args, &[]) {
            bump(&counters.enqueued);
            size_mismatch(counters);
            return Ok(());
        }
        if !f.knows(cs) {
            return Err(args);
        }
        bump(&counters.enqueued);
        // SAFETY: `encode` wrote all `len` reserved bytes.
        unsafe { f.commit() };
        shared.wake_writer();
        Ok(())
    }

    /// A deferred call whose arguments were measured (and the ones of
    /// other types formatted into `pre`, `None` when there are none) by
    /// [`measure`]: counted, then written straight into the ring when it
    /// can be.
    #[inline]
    pub(crate) fn log_measured<A: EncodeArgs>(
        &mut self,
        cs: &'static CallSite,
        level: Level,
        target: &str,
        args: A,
        pre: Option<&mut Vec<u8>>,
        values_len: usize,
    ) {
        // 1. Count the call: its user code has run.
        if !self.admit() {
            return;
        }
        let clock = self.shared.hot.clock.now_raw();
        let target = truncate_str(target, MAX_TARGET_LEN);
        let len = HEADER_LEN + target.len() + CALLSITE_LEN + values_len;
        // 2. Straight into the reserved ring bytes, when they are contiguous
        // (never a message cut by a failed `Display`: the caller renders it).
        let formatted: &[u8] = pre.as_deref().map_or(&[], |v| &v[..]);
        if self.direct != Direct::No && !(A::PREFORMATS && args.cut()) {
            let rec = DeferredParts {
                cs,
                level,
                clock,
                target,
                values_len,
            };
            // The lossless ring first: one compare of the route.
            if let Route::Lossless(ring) = &mut self.route {
                if !ring.note_call_unpaused(clock) {
                    cold_path();
                    after_pause::<A>(ring, cs, clock);
                }
                if let Some(mut r) = ring.reserve_contiguous(len) {
                    if !rec.encode(r.bytes(), &args, formatted) {
                        return self.size_mismatch();
                    }
                    // SAFETY: `encode` wrote all `len` reserved bytes.
                    unsafe { r.commit() };
                    return self.shared.wake_writer();
                }
            } else if let Route::Mapped(ring) = &mut self.route {
                // Crash-safe: once the call site is in the directory's
                // table, and when no value needs formatting here (one
                // compare says both; see `sites::CUSTOM_MARK`). The
                // table is asked (an Acquire load) after the encoding, not
                // before: the compiler then keeps what it knows of the
                // arguments (constant lengths) into the encoding instead
                // of reloading them. A record of a call site not yet in
                // the table, or with a custom spec, is dropped
                // unpublished, for the slow path. The macros' call sites
                // with a custom spec say so at compile time: they go to
                // the slow path without the reservation and the encoding.
                if !A::CUSTOM_SPECS {
                    if let Some(mut f) = ring.reserve_contiguous(len) {
                        if !rec.encode(f.record(), &args, formatted) {
                            return self.size_mismatch();
                        }
                        if f.knows(cs) {
                            // SAFETY: `encode` wrote all `len` reserved bytes.
                            unsafe { f.commit() };
                            return self.shared.wake_writer();
                        }
                    }
                }
            }
        }
        match pre {
            Some(pre) => self.deferred_slow(cs, level, clock, target, args, pre, values_len),
            None => {
                let mut pre = std::mem::take(&mut self.scratch);
                self.deferred_slow(cs, level, clock, target, args, &mut pre, values_len);
                self.scratch = pre;
            }
        }
    }

    /// A deferred call that cannot go straight into the ring: the ring is
    /// full or wraps here, the record is larger than the ring, sync mode,
    /// `DropOldest`, or `Formatting::Caller`. The payload is encoded into a
    /// buffer first, and rendered to text here when the logger wants it so
    /// or when only text could fit the ring.
    #[cold]
    #[inline(never)]
    #[allow(clippy::too_many_arguments)]
    fn deferred_slow<A: EncodeArgs>(
        &mut self,
        cs: &'static CallSite,
        level: Level,
        clock: u64,
        target: &str,
        args: A,
        pre: &mut Vec<u8>,
        values_len: usize,
    ) {
        // Every record that does not go straight into a lossless ring
        // passes here, a crash-safe call site's first one included.
        cs.typed.note::<A>();
        let payload_len = CALLSITE_LEN + values_len;
        let len = HEADER_LEN + target.len() + payload_len;
        // A message cut where a caller-formatted value failed is rendered
        // here, up to that value's text (see `EncodeArgs::cut`).
        let cut = A::PREFORMATS && args.cut();
        let in_caller = cut || match self.route {
            Route::Closed => false,
            // A record too large for the ring in binary may still fit as
            // text (`{:.3}` of a long string): "oversized" always means
            // the formatted message does not fit. With `Formatting::Caller`
            // the text is what must fit, in sync mode too (its cap is the
            // ring's, for the same records to be oversized).
            Route::Sync(_) => self.direct == Direct::No || len > self.max_record_len(),
            // Crash-safe: the call site must be in the directory's table first.
            Route::Mapped(_) => {
                self.direct == Direct::No || len > self.max_record_len() || !self.site_kept(cs)
            }
            _ => self.direct == Direct::No || len > self.max_record_len(),
        };
        // A cut message may be shorter than its pieces: no bound holds.
        if self.hopeless(cs, len, values_len, in_caller && !cut) {
            let counters = &self.ring_shared.counters;
            bump(&counters.dropped);
            return bump(&counters.oversized);
        }
        self.encoded.clear();
        self.encoded.reserve(payload_len);
        let mut c = Cursor::new(&mut self.encoded.spare_capacity_mut()[..payload_len]);
        // SAFETY: `payload_len` bytes: the address and `values_len`, which
        // `EncodeArgs` promises `encode` writes.
        unsafe { c.put(&callsite_addr(cs)) };
        args.encode(&mut c, &mut &pre[..]);
        if c.written() != payload_len {
            debug_assert!(false, "deferred record size mismatch");
            return bump(&self.ring_shared.counters.dropped);
        }
        // SAFETY: the cursor initialised all `payload_len` bytes (checked
        // just above), within the capacity reserved before.
        unsafe { self.encoded.set_len(payload_len) };
        if !in_caller && cs.any_custom && matches!(self.route, Route::Mapped(_)) {
            // Crash-safe: values under other specs than `{}` as text, so
            // another process renders them (`pre` is consumed by now).
            pre.clear();
            pre.extend_from_slice(&self.encoded[..CALLSITE_LEN]);
            if !portable::make_portable(pre, cs, &self.encoded[CALLSITE_LEN..]) {
                return bump(&self.ring_shared.counters.dropped);
            }
            std::mem::swap(pre, &mut self.encoded);
        }
        if in_caller {
            // Render the message here (into `pre`, consumed by now); the
            // record carries text only.
            pre.clear();
            let rendered = crate::deferred::render::render_payload(pre, &self.encoded);
            // Cut: rendered up to the failed value, which ends the message.
            let whole = match cut {
                false => rendered,
                true => match decode::cut_text(&self.encoded[CALLSITE_LEN..]) {
                    Some(text) => {
                        pre.extend_from_slice(text);
                        true
                    }
                    None => false,
                },
            };
            if !whole {
                return bump(&self.ring_shared.counters.dropped);
            }
            let site = Site {
                target: cs.target.unwrap_or(target),
                at: Some((cs.file, cs.line)),
            };
            return self.commit(RecordKind::Text, level, clock, site, Payload::Borrowed(pre));
        }
        // The call site in the payload holds file and line.
        let site = Site { target, at: None };
        self.commit(RecordKind::Deferred, level, clock, site, Payload::Encoded);
    }

    /// A mismatch between the two passes over the arguments (a bug):
    /// nothing is committed, the record is counted dropped.
    fn size_mismatch(&self) {
        size_mismatch(&self.ring_shared.counters);
    }

    /// Whether `cs` is in the crash-safe directory's call-site table
    /// (appended on its first use; see `crash_safe::sites`).
    /// A table that cannot be written (disk full) is reported and counted
    /// as an error; the record is then formatted here, as text.
    #[inline]
    fn site_kept(&self, cs: &'static CallSite) -> bool {
        if site_known(&self.shared, cs) {
            return true;
        }
        let Some(d) = &self.shared.crash_safe else {
            return false;
        };
        match d.sites.register(cs) {
            // `false`: its address names another call site in the table.
            Ok(kept) => kept,
            Err(e) => {
                WriterCounters::add(&self.shared.counters.errors, 1);
                self.shared.report_error(format!("crash-safe: {e}; the record is formatted by the caller"));
                false
            }
        }
    }

    /// Whether a deferred record of `len` framed bytes in binary is
    /// certain to be oversized, so its arguments need not be copied at all
    /// (they may be gigabytes): past 4 GiB in binary (no record can say
    /// its length; documented as oversized whatever the precision), or —
    /// rendered here — a text that cannot fit: with only `{}` placeholders
    /// the text holds every string argument whole, so it is at least the
    /// binary less each value's tag and length (at most [`MAX_PLAIN_LEN`]
    /// bytes a value).
    fn hopeless(&self, cs: &CallSite, len: usize, values_len: usize, in_caller: bool) -> bool {
        if u32::try_from(len).is_err() {
            return true;
        }
        let all_display = cs.slots.iter().all(|s| matches!(s.kind, SlotKind::Display));
        let text_at_least =
            cs.pieces_len + values_len.saturating_sub(MAX_PLAIN_LEN * cs.slots.len());
        in_caller && all_display && HEADER_LEN + text_at_least > self.max_record_len()
    }

}

/// The first deferred call after a pause on a lossless ring, on either
/// path (`Producer::try_direct`, `log_measured`): the pause is noted (the
/// emptied ring rebased), and the call site's types for the writer, which
/// renders its records with the code of these types (`TypedCell`; other
/// calls note them on the slow path); the call then goes on as any other.
/// Off the call path, which keeps one compare for it (a compare per call
/// to note the types would cost 4 instructions), but inlined: the callers
/// mark their branch to it unlikely (`cold_path`), so its code (the
/// rebase's too) goes after theirs, on the pages of the calling function,
/// and the call path's instructions stay as many (97.25 a deferred call,
/// where out of line it was 97.26). Out of line, `#[cold]` as it was, its
/// code and the rebase's lay on two pages of their own, far from the
/// caller's: a first call after a pause, whose code has left the caches
/// and the TLB during the pause, missed both (its p50 was about twice
/// what it is inlined).
#[inline(always)]
fn after_pause<A: EncodeArgs>(ring: &mut ByteProducer, cs: &'static CallSite, clock: u64) {
    ring.note_pause(clock);
    cs.typed.note::<A>();
}

/// Marks the branch that calls it unlikely, where `std::hint::cold_path`
/// is newer than the crate's minimum Rust: a call to a cold function is
/// taken as unlikely, and the empty body inlined leaves no call.
#[cold]
#[inline]
fn cold_path() {}

/// [`after_pause`] on the fast path, which does not look at `closed`
/// otherwise: false, nothing noted, once shutdown began (the rebase would
/// give the ring new room; the call goes to the slow path, which counts
/// it dropped). Inlined, as [`after_pause`].
#[inline(always)]
fn fast_after_pause<A: EncodeArgs>(
    ring: &mut ByteProducer,
    shared: &Shared,
    cs: &'static CallSite,
    clock: u64,
) -> bool {
    if shared.is_closed() {
        return false;
    }
    after_pause::<A>(ring, cs, clock);
    true
}

/// [`Producer::size_mismatch`] on a ring's counters.
#[cold]
fn size_mismatch(counters: &ProducerCounters) {
    debug_assert!(false, "deferred record size mismatch");
    bump(&counters.dropped);
}

/// Bytes a deferred call's arguments take in its record; the arguments of
/// types the engine does not copy (user `Display`/`Debug`) are formatted
/// into `pre` (cleared first), which is user code: see `payload`.
#[inline]
pub(crate) fn measure<A: EncodeArgs>(shared: &Shared, args: &A, pre: &mut Vec<u8>) -> usize {
    if A::PREFORMATS {
        preformat(shared, args, pre)
    } else {
        args.measure(&mut PreBuf::new(pre, 0))
    }
}

/// [`measure`] of arguments some of which are formatted in the caller.
#[cold]
#[inline(never)]
fn preformat<A: EncodeArgs>(shared: &Shared, args: &A, pre: &mut Vec<u8>) -> usize {
    let mut len = 0;
    fill_payload(shared, pre, |buf, cap| {
        buf.clear();
        len = args.measure(&mut PreBuf::new(buf, cap));
    });
    len
}

/// What a deferred record holds besides its arguments.
struct DeferredParts<'a> {
    cs: &'static CallSite,
    level: Level,
    clock: u64,
    /// Already cut to `MAX_TARGET_LEN`.
    target: &'a str,
    values_len: usize,
}

impl<'a> DeferredParts<'a> {
    /// The parts of a call whose arguments need no formatting here
    /// (`!A::PREFORMATS`); `target` is cut to `MAX_TARGET_LEN`.
    #[inline(always)]
    fn new<A: EncodeArgs>(
        cs: &'static CallSite,
        level: Level,
        clock: u64,
        target: &'a str,
        args: &A,
    ) -> DeferredParts<'a> {
        debug_assert!(!A::PREFORMATS);
        // Nothing is formatted: the buffer stays unused.
        let values_len = args.measure(&mut PreBuf::new(&mut Vec::new(), 0));
        DeferredParts {
            cs,
            level,
            clock,
            target: truncate_str(target, MAX_TARGET_LEN),
            values_len,
        }
    }

    /// The record's framed length.
    #[inline(always)]
    fn len(&self) -> usize {
        HEADER_LEN + self.target.len() + CALLSITE_LEN + self.values_len
    }

    /// Writes the record (header, target, call-site address, arguments)
    /// into `buf`, reserved with its exact length; `false` when the
    /// arguments did not write what they measured (a bug).
    #[inline(always)]
    fn encode<A: EncodeArgs>(&self, buf: &mut [std::mem::MaybeUninit<u8>], args: &A, pre: &[u8]) -> bool {
        let len = buf.len();
        // The ring's capacity is below 4 GiB (see `MAX_RING_CAPACITY`) and
        // the target is cut to `MAX_TARGET_LEN`: the lengths fit, unchecked.
        debug_assert!(u32::try_from(len).is_ok() && self.target.len() <= MAX_TARGET_LEN);
        let header = Header {
            len: len as u32,
            kind: RecordKind::Deferred,
            level: self.level,
            target_len: self.target.len() as u16,
            clock: self.clock,
            located: false,
        };
        debug_assert_eq!(
            Some(header),
            Header::new(
                RecordKind::Deferred,
                self.level,
                self.clock,
                self.target.len(),
                CALLSITE_LEN + self.values_len,
            )
        );
        debug_assert_eq!(header.len as usize, len);
        let mut c = Cursor::new(buf);
        // SAFETY: `len` bytes were reserved: the header, the target, the
        // address and `values_len`, which `EncodeArgs` promises `encode`
        // writes.
        unsafe {
            c.put(&header.encode());
            c.put(self.target.as_bytes());
            c.put(&callsite_addr(self.cs));
        }
        args.encode(&mut c, &mut &pre[..]);
        c.written() == len
    }
}

/// Whether `cs` is already in the crash-safe directory's call-site table.
#[inline(always)]
fn site_known(shared: &Shared, cs: &'static CallSite) -> bool {
    (shared.crash_safe.as_ref()).is_some_and(|d| d.sites.has(cs))
}

/// A call site's address as stored in a deferred record.
#[inline(always)]
fn callsite_addr(cs: &'static CallSite) -> [u8; CALLSITE_LEN] {
    (cs as *const CallSite as usize as u64).to_le_bytes()
}

