//! Loom model of one producer overwriting while the consumer reads.
//!
//! Run with `RUSTFLAGS="--cfg loom" cargo test --release --lib loom`.
//! Under loom a slot has 3 payload words: a record of up to 8 bytes takes one
//! slot, up to 32 bytes two.

use crate::ring::overwrite::{overwrite_ring, SLOT_BYTES};
use loom::thread;

/// Record `i`: `len` bytes, all equal to `i`, so a torn copy shows.
fn record(i: u8, len: usize) -> Vec<u8> {
    vec![i; len]
}

/// Pushes records with lengths `lens` into a ring of `slots` slots from a
/// second thread while the main thread pops `concurrent_pops` times, then
/// joins and drains. Checks order, integrity and exact accounting.
fn run(slots: usize, lens: &'static [usize], concurrent_pops: usize, bound: usize) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(bound);
    builder.check(move || {
        let (mut p, mut c) = overwrite_ring(slots * SLOT_BYTES);
        let producer = thread::spawn(move || {
            for (i, &len) in lens.iter().enumerate() {
                p.push(&[&record(i as u8, len)]);
            }
        });
        let mut out = Vec::new();
        let mut got = Vec::new();
        let mut check = |out: &Vec<u8>| {
            let i = out[0];
            assert_eq!(*out, record(i, lens[usize::from(i)]), "torn record");
            assert!(got.last().map_or(true, |&l| i > l), "out of order");
            got.push(i);
        };
        for _ in 0..concurrent_pops {
            if c.pop_into(&mut out) {
                check(&out);
            }
        }
        producer.join().unwrap();
        assert!(c.is_abandoned());
        while c.pop_into(&mut out) {
            check(&out);
        }
        let pushed = lens.len() as u64;
        assert_eq!(
            got.last().copied(),
            Some(lens.len() as u8 - 1),
            "last record lost"
        );
        assert_eq!(got.len() as u64 + c.overwritten(), pushed);
    });
}

/// One-slot records into a two-slot ring: every push after the second
/// overwrites the oldest record.
#[test]
fn loom_overwrite_single_slot_records() {
    run(2, &[8, 8, 8, 8], 3, 3);
}

/// Records spanning two slots, in a three-slot ring.
#[test]
fn loom_overwrite_spanning_records() {
    run(3, &[16, 8, 16, 8], 3, 2);
}
