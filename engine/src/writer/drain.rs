//! Reading rings into the sinks' batches.
//!
//! A lossless ring is read as one span of whole records and released in one
//! commit; an overwrite ring is popped record by record (each copy checked
//! against its seqlock) and the records the producer overwrote meanwhile are
//! added to `dropped`. Either way a full batch is submitted before reading on,
//! so one busy ring cannot grow a batch past its limits.
//!
//! A pass takes from each ring what it held when the pass reached it (and
//! whatever else the same reads find), then moves on: a producer that
//! refills its ring as fast as the writer empties it — a sink slower than
//! the producer, under `Block` — cannot keep the writer on its ring. The
//! other rings, and flush, reopen and shutdown requests (looked at between
//! passes), wait at most one ring's worth of records.
//!
//! A pass that is not reading everything holds back another thread's
//! byte ring that holds less than the gathering threshold, so the writer
//! reads a burst in a few large spans instead of chasing its producer
//! (see `gathering`, which bounds the wait).
//!
//! # The feedback rule
//!
//! A sink (or a library it calls through the `log` facade) may log on the
//! writer thread. Its records go to a ring of its own (`on_writer`), and
//! writing them runs the sink again, which may log again: read eagerly, such
//! a ring would keep the writer busy with one-record batches forever. So the
//! writer's own rings are read once per pass (no refill after a full batch)
//! and after the other rings, and at idle time only one batch in a row may
//! hold nothing but their records: after it they are *held* until another
//! ring yields a record, or a flush, sync or shutdown reads every ring.
//! Records logged on the writer thread never wait for room (see `Producer`):
//! a full own ring counts them dropped. At shutdown, records a sink logs
//! while the last batches are written are left in the ring and counted
//! dropped.

use super::rings::held_bytes;
use super::shape::{General, OneJson, OneText, Shape, ShapeKind};
use super::sinks::{Pushes, SinkSet};
use super::{Buffers, Writer};
use crate::clock::Converter;
use crate::format::{Record, Rendering};
use crate::record::{ByteFrames, Frame, FrameError, Frames, Header, RecordKind, Split};
use crate::ring::{ReadFrames, RingReader};
use crate::stats::WriterCounters;
use std::sync::atomic::AtomicU64;
use std::time::Instant;

/// Records a drain pass took.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Taken {
    /// From the rings of other threads.
    pub others: u64,
    /// From the writer's own rings.
    pub own: u64,
}

impl Writer {
    /// Reads every ring once — the writer's own rings under the feedback
    /// rule, or unconditionally when `everything` (flush, sync, close).
    /// Other threads' byte rings below the gathering threshold are held
    /// back unless `everything` or the gathering says to take all (see
    /// `gathering`).
    pub(super) fn drain_pass(&mut self, everything: bool) -> Taken {
        self.clock.refresh();
        self.shared.writer_cpu.note();
        let take_all = everything || self.gathering.take_all(Instant::now);
        let (others, held) = self.drain_rings(false, take_all);
        self.gathering.after_pass(held, Instant::now);
        let own = if everything || others > 0 || !self.own_held {
            self.drain_rings(true, true).0
        } else {
            0
        };
        if !everything {
            // One own-only pass in a row, then hold until others log.
            self.own_held = others == 0 && (own > 0 || self.own_held);
        }
        self.sinks.count_unrouted(&self.shared);
        Taken { others, own }
    }

    /// Reads every ring whose `on_writer` is `own`, but for those a pass
    /// holds back unless `take_all`; returns the records taken and the
    /// bytes held back.
    fn drain_rings(&mut self, own: bool, take_all: bool) -> (u64, usize) {
        let (mut total, mut held) = (0, 0);
        let mut i = 0;
        while i < self.rings.rings.len() {
            if self.rings.rings[i].on_writer != own {
                i += 1;
                continue;
            }
            if !take_all {
                let n = held_bytes(&self.rings.rings[i]);
                if n > 0 {
                    held += n;
                    i += 1;
                    continue;
                }
            }
            let abandoned = self.rings.rings[i].reader.is_abandoned();
            total += match self.rings.rings[i].reader {
                RingReader::Lossless(_) | RingReader::Mapped(_) => self.drain_lossless(i, own),
                RingReader::Overwrite(_) => self.drain_overwrite(i),
            };
            if abandoned && !self.rings.rings[i].reader.may_have_data() {
                self.rings.retire(i);
            }
            i += 1;
        }
        self.rings.sweep(&self.shared);
        (total, held)
    }

    /// Takes the records readable from lossless ring `i` when the call
    /// began (see the module docs); with `once`, only up to one full batch
    /// (the feedback rule).
    fn drain_lossless(&mut self, i: usize, once: bool) -> u64 {
        let mut taken = 0;
        // Bytes readable now: a bound on the bytes this call reads for them.
        let mut owed = self.rings.rings[i].reader.lossless_available();
        loop {
            self.submit_if_full();
            if !self.drain_all && self.sinks.any_full() {
                // A deferred sink is full: leave the rest in the ring.
                return taken;
            }
            let ring = &mut self.rings.rings[i];
            let mut read = Gather {
                sinks: &mut self.sinks,
                bufs: &mut self.bufs,
                clock: &self.clock,
                thread: ring.shared.thread_id,
                batch_size: self.batch_size,
                taken: 0,
                bad: 0,
                full: false,
                corrupt: None,
            };
            let used = ring.reader.read_frames(&mut read);
            let Gather {
                taken: got,
                bad,
                full,
                corrupt,
                ..
            } = read;
            taken += got;
            // A ring file's space comes back at the keeper's commit, which
            // notifies then; a byte ring's, now, waking a blocked producer
            // once half of it is free (`wake`: "Waking at a threshold").
            if let (true, RingReader::Lossless(c)) = (used > 0, &ring.reader) {
                ring.shared.room_released_in(c);
            }
            WriterCounters::add(&self.shared.counters.dropped, bad);
            if let Some((e, consequence)) = corrupt {
                self.report_corrupt(e, consequence);
            }
            owed = owed.saturating_sub(used);
            if !full || used == 0 || owed == 0 || once {
                return taken;
            }
        }
    }

    /// Pops records from overwrite ring `i` until it is empty or as many
    /// records as the ring has slots were taken, then counts what the
    /// producer overwrote. A ring never holds more records than slots, so
    /// the bound still takes (or counts overwritten) every record that was
    /// in the ring when the pass began — which `flush` relies on — while a
    /// producer that outruns the writer cannot keep it on one ring forever.
    fn drain_overwrite(&mut self, i: usize) -> u64 {
        let mut taken = 0;
        let limit = match &self.rings.rings[i].reader {
            RingReader::Overwrite(r) => r.consumer.slot_count() as u64,
            RingReader::Lossless(_) | RingReader::Mapped(_) => 0,
        };
        let mut popped = 0u64;
        while popped < limit {
            self.submit_if_full();
            let ring = &mut self.rings.rings[i];
            let thread = ring.shared.thread_id;
            let RingReader::Overwrite(r) = &mut ring.reader else {
                return taken;
            };
            if !r.consumer.pop_into(&mut r.scratch) {
                break;
            }
            popped += 1;
            let mut frames = ByteFrames::new(Split {
                first: &r.scratch,
                second: &[],
            });
            let pushed = match frames.next_frame() {
                Some(Ok(f)) => {
                    let unwinding = DroppedIfUnwound(&self.shared.counters.dropped);
                    let mut pushes = self.sinks.pushes(u64::MAX);
                    let (bufs, clock) = (&mut self.bufs, &self.clock);
                    let pushed = push_frame::<General>(&mut pushes, bufs, clock, thread, &f);
                    let _ = pushes.finish::<General>();
                    std::mem::forget(unwinding);
                    pushed
                }
                Some(Err(e)) => Err(e),
                None => Err(FrameError::Truncated),
            };
            match pushed {
                Ok(()) => taken += 1,
                Err(e) => {
                    WriterCounters::add(&self.shared.counters.dropped, 1);
                    self.report_corrupt(e, ONE_DROPPED);
                }
            }
        }
        if let RingReader::Overwrite(r) = &mut self.rings.rings[i].reader {
            let lost = r.take_overwritten();
            WriterCounters::add(&self.shared.counters.dropped, lost);
        }
        taken
    }

    fn submit_if_full(&mut self) {
        if self.sinks.is_full(self.batch_size) {
            self.sinks.submit_full(self.io.as_mut(), &self.shared);
            // Crash-safe mode: ring space comes back batch by batch.
            self.crash_commit();
        }
    }

    fn report_corrupt(&self, e: FrameError, consequence: &str) {
        WriterCounters::add(&self.shared.counters.errors, 1);
        self.shared.report_error(format!(
            "corrupt record in a producer ring ({e:?}); {consequence}"
        ));
    }
}

/// One read of a lossless ring: its records into the sinks' batches
/// until the batches are full or the bytes run out.
struct Gather<'w> {
    sinks: &'w mut SinkSet,
    bufs: &'w mut Buffers,
    clock: &'w Converter,
    /// The producer's thread, for the records' `thread_id`.
    thread: u32,
    batch_size: u64,
    /// Records taken.
    taken: u64,
    /// Records framed but not decoded, counted dropped.
    bad: u64,
    /// The batches were full when the read stopped.
    full: bool,
    /// The last corrupt record met and what it cost.
    corrupt: Option<(FrameError, &'static str)>,
}

impl ReadFrames for Gather<'_> {
    fn read<const PREFIX: usize, const ALIGN: usize>(
        &mut self,
        frames: Frames<'_, PREFIX, ALIGN>,
    ) -> usize {
        // The loop compiled for the set's shape (see `shape`).
        match self.sinks.shape() {
            ShapeKind::OneText => self.read_as::<OneText, PREFIX, ALIGN>(frames),
            ShapeKind::OneJson => self.read_as::<OneJson, PREFIX, ALIGN>(frames),
            ShapeKind::General => self.read_as::<General, PREFIX, ALIGN>(frames),
        }
    }
}

impl Gather<'_> {
    /// [`ReadFrames::read`] into a sink set of shape `S`.
    #[inline(always)]
    fn read_as<S: Shape, const PREFIX: usize, const ALIGN: usize>(
        &mut self,
        mut frames: Frames<'_, PREFIX, ALIGN>,
    ) -> usize {
        let (bufs, clock, thread) = (&mut *self.bufs, self.clock, self.thread);
        let mut pushes = self.sinks.pushes(self.batch_size);
        while !pushes.is_full::<S>() {
            let pushed = match frames.next_whole() {
                Some(f) => push_frame::<S>(&mut pushes, bufs, clock, thread, &f),
                None => match frames.next_frame_split() {
                    None => break,
                    Some(Ok(f)) => push_split_frame::<S>(&mut pushes, bufs, clock, thread, &f),
                    Some(Err(e)) => {
                        self.corrupt = Some((e, REST_SKIPPED));
                        self.taken += pushes.finish::<S>();
                        return frames.total_len();
                    }
                },
            };
            if let Err(e) = pushed {
                // The header framed it, so only this record is lost.
                self.corrupt = Some((e, ONE_DROPPED));
                self.bad += 1;
            }
        }
        self.full = pushes.is_full::<S>();
        self.taken += pushes.finish::<S>();
        frames.consumed()
    }
}

/// Counts one record dropped when dropped, which only unwinding does (it
/// is forgotten otherwise): a record popped from an overwrite ring is in
/// no ring any more, so if its push panics (a sink's own format) nothing
/// else counts it.
struct DroppedIfUnwound<'c>(&'c AtomicU64);

impl Drop for DroppedIfUnwound<'_> {
    fn drop(&mut self) {
        WriterCounters::add(self.0, 1);
    }
}

/// What a corrupt record cost, for `report_corrupt`.
const ONE_DROPPED: &str = "the record was counted dropped";
const REST_SKIPPED: &str = "its remaining bytes were skipped";

/// [`push_frame`] for the record at a ring's wrap point (one per lap),
/// out of line so the drain loop holds no second set of the formatting
/// code, and with one copy of it for every kind. (A closure run out of
/// line instead costs the loop ~15 instructions a record: it moves the
/// loop's register allocation.)
#[inline(never)]
fn push_split_frame<S: Shape>(
    pushes: &mut Pushes<'_>,
    bufs: &mut Buffers,
    clock: &Converter,
    thread: u32,
    f: &Frame<'_>,
) -> Result<(), FrameError> {
    push_kind::<S>(pushes, (bufs, clock, thread), f.header, &f.body)
}

/// Decodes one record and formats it into the batches (inlined into
/// the drain loops: a call per record shows in the writer's profile).
///
/// The commonest kinds, deferred and text, each get a copy of the
/// formatting code of their own, in which the kind is a constant: what
/// the formats ask of the record (a message to render, fields, spans)
/// is then known there and their tests fold away.
#[inline(always)]
fn push_frame<S: Shape>(
    pushes: &mut Pushes<'_>,
    bufs: &mut Buffers,
    clock: &Converter,
    thread: u32,
    f: &Frame<'_>,
) -> Result<(), FrameError> {
    let (h, ctx) = (f.header, (bufs, clock, thread));
    match h.kind {
        RecordKind::Deferred => {
            let h = Header { kind: RecordKind::Deferred, ..h };
            push_kind::<S>(pushes, ctx, h, &f.body)
        }
        RecordKind::Text => {
            let h = Header { kind: RecordKind::Text, ..h };
            push_kind::<S>(pushes, ctx, h, &f.body)
        }
        _ => push_kind::<S>(pushes, ctx, h, &f.body),
    }
}

/// [`push_frame`] of a record with `header` (the frame's, its kind
/// perhaps a constant) and `body`.
#[inline(always)]
fn push_kind<S: Shape>(
    pushes: &mut Pushes<'_>,
    (bufs, clock, thread): (&mut Buffers, &Converter, u32),
    header: Header,
    body: &Split<'_>,
) -> Result<(), FrameError> {
    let nanos = clock.unix_nanos(header.clock);
    let body = body.contiguous(&mut bufs.straddle);
    // A fixed built-in format renders lazily (see `ShapeKind::of`).
    let rendering = match S::FORMAT {
        Some(_) => Rendering::Lazy,
        None => pushes.rendering(),
    };
    debug_assert!(rendering == pushes.rendering());
    let rec = Record::decode(&header, body, nanos, thread, &mut bufs.message, rendering)
        .ok_or(FrameError::Corrupt)?;
    match pushes.push::<S>(&rec) {
        true => Ok(()),
        false => Err(FrameError::Corrupt),
    }
}
