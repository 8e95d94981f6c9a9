use super::{make_record, split3};
use crate::ring::overwrite::{overwrite_ring, record_slots, OverwriteConsumer, OverwriteProducer};

fn pop(c: &mut OverwriteConsumer) -> Option<Vec<u8>> {
    let mut out = vec![0xEE; 3]; // must be cleared by pop_into
    if c.pop_into(&mut out) {
        Some(out)
    } else {
        assert!(out.is_empty());
        None
    }
}

#[test]
fn handles_are_send() {
    fn is_send<T: Send>() {}
    is_send::<OverwriteProducer>();
    is_send::<OverwriteConsumer>();
}

#[test]
fn slot_math() {
    // 64-byte slots: 16-byte header + 40 payload bytes, then 56 per slot.
    assert_eq!(record_slots(1), 1);
    assert_eq!(record_slots(40), 1);
    assert_eq!(record_slots(41), 2);
    assert_eq!(record_slots(96), 2);
    assert_eq!(record_slots(97), 3);
    let (p, _c) = overwrite_ring(4096);
    assert_eq!(p.max_record_len(), 64 * 56 - 16);
    assert_eq!(record_slots(p.max_record_len()), 64);
}

#[test]
fn push_pop_basics() {
    let (mut p, mut c) = overwrite_ring(4096);
    assert_eq!(pop(&mut c), None);
    p.push(&[b"hello"]);
    assert_eq!(pop(&mut c).as_deref(), Some(&b"hello"[..]));
    assert_eq!(pop(&mut c), None);
    p.push(&[b"", b"ab", b"", b"cdefghijk", b"l", b""]);
    p.push(&[b"x"]);
    assert_eq!(pop(&mut c).as_deref(), Some(&b"abcdefghijkl"[..]));
    assert_eq!(pop(&mut c).as_deref(), Some(&b"x"[..]));
    assert_eq!(pop(&mut c), None);
    assert_eq!(c.overwritten(), 0);
}

#[test]
fn wrap_around_and_spanning_records() {
    // 4 slots; every length from 1 to the maximum, many times round the ring.
    let (mut p, mut c) = overwrite_ring(256);
    let max = p.max_record_len();
    let mut index = 0u64;
    for round in 0..5 {
        for len in 1..=max {
            let rec = make_record(index, len);
            p.push(&split3(&rec, len * 13 + round));
            assert_eq!(pop(&mut c), Some(rec), "len {len}");
            index += 1;
        }
    }
    assert_eq!(pop(&mut c), None);
    assert_eq!(c.overwritten(), 0);
}

#[test]
fn records_at_slot_boundaries() {
    let (mut p, mut c) = overwrite_ring(64 * 64);
    let lens = [39, 40, 41, 95, 96, 97, 151, 152, 153, 1, 8, 9, 16, 17];
    for (i, &len) in lens.iter().enumerate() {
        p.push(&[&make_record(i as u64, len)]);
    }
    for (i, &len) in lens.iter().enumerate() {
        assert_eq!(pop(&mut c), Some(make_record(i as u64, len)));
    }
    assert_eq!(pop(&mut c), None);
}

#[test]
fn max_size_record() {
    let (mut p, mut c) = overwrite_ring(256);
    let max = p.max_record_len();
    assert_eq!(max, 4 * 56 - 16);
    p.push(&[&make_record(0, 10)]);
    p.push(&[&make_record(1, 10)]);
    let big = make_record(2, max);
    p.push(&split3(&big, 77));
    // The maximum record fills the whole ring: both earlier ones are lost.
    assert_eq!(pop(&mut c), Some(big));
    assert_eq!(c.overwritten(), 2);
    assert_eq!(pop(&mut c), None);
    p.push(&[&make_record(3, max)]);
    p.push(&[&make_record(4, max)]);
    assert_eq!(pop(&mut c), Some(make_record(4, max)));
    assert_eq!(c.overwritten(), 3);
}

#[test]
#[should_panic(expected = "record length")]
fn oversized_record_panics() {
    let (mut p, _c) = overwrite_ring(256);
    let too_big = vec![0u8; p.max_record_len() + 1];
    p.push(&[&too_big]);
}

#[test]
#[should_panic(expected = "record length")]
fn empty_record_panics() {
    let (mut p, _c) = overwrite_ring(256);
    p.push(&[b"", b""]);
}

#[test]
#[should_panic(expected = "at least")]
fn too_small_capacity_panics() {
    let _ = overwrite_ring(63);
}

#[test]
fn overwrite_when_full_counts_exactly() {
    // 4 slots of one-slot records: the ring keeps the newest 4.
    let (mut p, mut c) = overwrite_ring(256);
    for i in 0..10 {
        p.push(&[&make_record(i, 40)]);
    }
    assert_eq!(c.overwritten(), 0, "counted when skipped, not before");
    for i in 6..10 {
        assert_eq!(pop(&mut c), Some(make_record(i, 40)));
        assert_eq!(c.overwritten(), 6);
    }
    assert_eq!(pop(&mut c), None);
    assert_eq!(c.overwritten(), 6);
}

#[test]
fn consumed_records_are_not_counted_as_overwritten() {
    let (mut p, mut c) = overwrite_ring(256);
    for i in 0..4 {
        p.push(&[&make_record(i, 30)]);
    }
    assert_eq!(pop(&mut c), Some(make_record(0, 30)));
    assert_eq!(pop(&mut c), Some(make_record(1, 30)));
    // Overwrites records 0 and 1 (already taken) and 2 (not taken).
    for i in 4..7 {
        p.push(&[&make_record(i, 30)]);
    }
    for i in 3..7 {
        assert_eq!(pop(&mut c), Some(make_record(i, 30)));
    }
    assert_eq!(c.overwritten(), 1);
    assert_eq!(pop(&mut c), None);
}

#[test]
fn overwrite_with_mixed_sizes_keeps_newest_that_fit() {
    // 8 slots. Sizes in slots: 1, 3, 2, 2, 3 -> the last three (7 slots) fit,
    // adding the 2-slot one before them would need 9.
    let (mut p, mut c) = overwrite_ring(512);
    let lens = [40, 150, 90, 90, 150];
    for (i, &len) in lens.iter().enumerate() {
        p.push(&[&make_record(i as u64, len)]);
    }
    for (i, &len) in lens.iter().enumerate().skip(2) {
        assert_eq!(pop(&mut c), Some(make_record(i as u64, len)));
    }
    assert_eq!(c.overwritten(), 2);
    assert_eq!(pop(&mut c), None);
}

#[test]
fn last_record_always_present() {
    let (mut p, mut c) = overwrite_ring(64 * 7);
    let max = p.max_record_len();
    let mut x = 12345u64;
    let mut pushed = 0u64;
    let mut popped = 0u64;
    for round in 0..300u64 {
        let n = 1 + (round % 17);
        let mut last = Vec::new();
        for _ in 0..n {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let len = 1 + (x >> 33) as usize % max;
            last = make_record(pushed, len);
            p.push(&[&last]);
            pushed += 1;
        }
        let mut got = None;
        while let Some(r) = pop(&mut c) {
            got = Some(r);
            popped += 1;
        }
        assert_eq!(got, Some(last));
        assert_eq!(popped + c.overwritten(), pushed);
    }
}

#[test]
fn abandonment() {
    let (mut p, mut c) = overwrite_ring(256);
    assert!(!p.is_abandoned());
    assert!(!c.is_abandoned());
    p.push(&[b"one"]);
    p.push(&[b"two"]);
    drop(p);
    assert!(c.is_abandoned());
    assert_eq!(pop(&mut c).as_deref(), Some(&b"one"[..]));
    assert_eq!(pop(&mut c).as_deref(), Some(&b"two"[..]));
    assert_eq!(pop(&mut c), None);

    let (mut p, c) = overwrite_ring(256);
    drop(c);
    assert!(p.is_abandoned());
    for i in 0..100 {
        p.push(&[&make_record(i, 50)]); // keeps working
    }
}

#[test]
fn a_new_ring_touches_no_page_and_one_record_touches_one() {
    // 16 MiB of slots: a ring written at creation would have every page
    // resident.
    let (mut p, c) = overwrite_ring(16 << 20);
    let Some(before) = c.resident_pages() else {
        panic!("slots not mapped lazily (mmap failed?)");
    };
    assert_eq!(before, 0);
    p.push(&[b"one record"]);
    assert_eq!(c.resident_pages(), Some(1));
}

#[test]
fn a_lazily_mapped_ring_wraps_and_keeps_the_newest() {
    // Several laps over fresh and reused pages: the newest records survive.
    let (mut p, mut c) = overwrite_ring(8192);
    for i in 0..1000u64 {
        p.push(&[&make_record(i, 100)]);
    }
    let mut last = None;
    while let Some(r) = pop(&mut c) {
        last = Some(r);
    }
    assert_eq!(last, Some(make_record(999, 100)));
    assert_eq!(c.resident_pages(), Some(2));
}
