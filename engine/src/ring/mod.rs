//! Per-producer rings: the lossless byte ring behind `Block` and `DropNewest`.
//!
//! Each producer thread owns the writing end of one ring; the writer thread
//! owns the reading end. Records are framed by [`crate::record`] and always
//! written with one reserve/commit, so the reader sees whole records only.

mod bytes;

pub(crate) use bytes::{byte_ring, ByteConsumer, ByteProducer};
