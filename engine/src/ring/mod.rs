//! Per-producer rings.
//!
//! - [`bytes`]: the lossless byte ring behind `Block` and `DropNewest`.
//! - [`overwrite`]: the overwriting slot ring behind `DropOldest`.
//! - a mapped ring file in crash-safe mode (see `crash_safe::ring`).
//!
//! Each producer thread owns the writing end of one ring; the writer thread
//! owns the reading end ([`RingReader`]). Records are framed by
//! [`crate::record`] and always written whole, so the reader sees whole
//! records only.

mod bytes;
mod overwrite;

pub(crate) use bytes::{byte_ring, ByteConsumer, ByteProducer};
pub(crate) use overwrite::{
    max_record_len_for as overwrite_max_record_len, overwrite_ring, OverwriteConsumer,
    OverwriteProducer,
};

use crate::crash_safe::layout::{FRAME_ALIGN, FRAME_PREFIX};
use crate::crash_safe::ring::{MappedProducer, MappedReader};
use crate::record::{ByteFrames, Frames, Split};

/// The reading end of a producer's ring, as the writer holds it.
pub(crate) enum RingReader {
    Lossless(ByteConsumer),
    Overwrite(OverwriteReader),
    /// A crash-safe ring file (lossless).
    Mapped(MappedReader),
}

/// The writing end of a lossless ring, as `Block` waits on it.
pub(crate) trait RoomRing {
    /// Appends `parts` as one record; false (nothing written) when full.
    fn try_push<const N: usize>(&mut self, parts: &[&[u8]; N]) -> bool;
    /// Whether a `Block` producer waiting to push a record of `len` bytes
    /// may resume: for a byte ring, [`resume_room`] is free (the writer
    /// wakes it no sooner, see `wake`'s "Waking at a threshold"); for a
    /// ring file, the record fits (its keeper notifies at every commit).
    fn may_resume(&self, len: usize) -> bool;
    /// Whether the writer's end is gone.
    fn is_abandoned(&self) -> bool;
}

impl RoomRing for ByteProducer {
    #[inline]
    fn try_push<const N: usize>(&mut self, parts: &[&[u8]; N]) -> bool {
        ByteProducer::try_push(self, parts)
    }
    fn may_resume(&self, len: usize) -> bool {
        self.free() >= resume_room(self.capacity(), len)
    }
    fn is_abandoned(&self) -> bool {
        ByteProducer::is_abandoned(self)
    }
}

impl RoomRing for MappedProducer {
    #[inline]
    fn try_push<const N: usize>(&mut self, parts: &[&[u8]; N]) -> bool {
        MappedProducer::try_push(self, parts)
    }
    fn may_resume(&self, len: usize) -> bool {
        MappedProducer::has_room(self, len)
    }
    fn is_abandoned(&self) -> bool {
        MappedProducer::is_abandoned(self)
    }
}

/// The free bytes a `Block` producer waits for before it pushes a record
/// of `len` bytes into a full byte ring of `capacity` bytes: half the
/// ring, or the record when larger. Waiting for real room rather than
/// the first batch the writer frees lets the producer sleep through most
/// of the writer's work instead of taking turns with it batch by batch.
#[inline]
pub(crate) const fn resume_room(capacity: usize, len: usize) -> usize {
    let half = capacity / 2;
    if len > half {
        len
    } else {
        half
    }
}

/// An overwrite ring's reading end with its accounting.
pub(crate) struct OverwriteReader {
    pub consumer: OverwriteConsumer,
    /// Of `consumer.overwritten()`, how much is already in the counters.
    pub counted: u64,
    /// The last record popped (reused).
    pub scratch: Vec<u8>,
}

impl OverwriteReader {
    /// Records overwritten since the last call (for `Stats::dropped`).
    pub(crate) fn take_overwritten(&mut self) -> u64 {
        let now = self.consumer.overwritten();
        let new = now - self.counted;
        self.counted = now;
        new
    }
}

/// The reading end of a new overwrite ring of `capacity` bytes.
pub(crate) fn overwrite_reader(c: OverwriteConsumer) -> RingReader {
    RingReader::Overwrite(OverwriteReader {
        consumer: c,
        counted: 0,
        scratch: Vec::new(),
    })
}

impl RingReader {
    /// Whether the producer side was dropped.
    /// When true, everything the producer committed (records and counter
    /// stores) is visible to what follows.
    pub(crate) fn is_abandoned(&self) -> bool {
        match self {
            RingReader::Lossless(c) => {
                if !c.is_abandoned() {
                    return false;
                }
                // Acquire fence: pairs with the Release decrement of the
                // ring's reference count when the producer was dropped,
                // which follows its last commit and counter stores.
                std::sync::atomic::fence(std::sync::atomic::Ordering::Acquire);
                true
            }
            // Acquire load inside: pairs with the producer's Release on drop.
            RingReader::Overwrite(r) => r.consumer.is_abandoned(),
            RingReader::Mapped(r) => r.is_abandoned(),
        }
    }

    /// Bytes readable from a lossless or mapped ring (0 for an overwrite ring).
    pub(crate) fn lossless_available(&self) -> usize {
        match self {
            RingReader::Lossless(c) => c.available(),
            RingReader::Mapped(r) => r.available(),
            RingReader::Overwrite(_) => 0,
        }
    }

    /// Hands the records readable from a lossless or mapped ring to `r`,
    /// framed as the ring frames them, which returns the bytes it used
    /// (whole records); those are released (a mapped ring: once
    /// committed). Returns that count.
    #[inline]
    pub(crate) fn read_frames(&mut self, r: &mut impl ReadFrames) -> usize {
        match self {
            RingReader::Lossless(c) => c.read_with(|b| r.read(ByteFrames::new(b))),
            RingReader::Mapped(m) => m.read_with(|b| r.read(mapped_frames(b))),
            RingReader::Overwrite(_) => 0,
        }
    }

    /// Consumes every record left in the ring without writing it; returns
    /// how many were lost (records taken plus, for an overwrite ring, those
    /// overwritten). Used after shutdown.
    pub(crate) fn discard_all(&mut self) -> u64 {
        match self {
            RingReader::Lossless(c) => {
                let mut n = 0;
                c.read_with(|bytes| {
                    let mut frames = ByteFrames::new(bytes);
                    while let Some(Ok(_)) = frames.next_frame() {
                        n += 1;
                    }
                    bytes.len()
                });
                n
            }
            RingReader::Overwrite(r) => {
                let mut n = 0;
                while r.consumer.pop_into(&mut r.scratch) {
                    n += 1;
                }
                n + r.take_overwritten()
            }
            RingReader::Mapped(r) => {
                let mut n = 0;
                r.read_with(|bytes| {
                    let mut frames = mapped_frames(bytes);
                    while let Some(Ok(_)) = frames.next_frame() {
                        n += 1;
                    }
                    bytes.len()
                });
                n
            }
        }
    }

    /// Whether a read may find a record (exact for the lossless ring, a
    /// hint for the overwrite ring).
    pub(crate) fn may_have_data(&self) -> bool {
        match self {
            RingReader::Lossless(c) => c.available() > 0,
            RingReader::Overwrite(r) => r.consumer.may_have_data(),
            RingReader::Mapped(r) => r.available() > 0,
        }
    }
}

/// The records of a mapped ring's bytes.
fn mapped_frames(bytes: Split<'_>) -> Frames<'_, FRAME_PREFIX, FRAME_ALIGN> {
    Frames::new(bytes)
}

/// What reads a ring's records (see [`RingReader::read_frames`]): one
/// copy of the reading loop per framing.
pub(crate) trait ReadFrames {
    /// Takes records from `frames`; returns the bytes used (whole records).
    fn read<const PREFIX: usize, const ALIGN: usize>(
        &mut self,
        frames: Frames<'_, PREFIX, ALIGN>,
    ) -> usize;
}
