//! The buffer's queue against a model, and each policy at the bound.

use super::*;
use proptest::prelude::*;
use std::collections::VecDeque as Model;

fn t(seq: u64) -> Ticket {
    Ticket::new(seq)
}

/// Each queued record's bytes, in order.
fn contents(q: &Queue) -> Vec<Vec<u8>> {
    let bytes: Vec<u8> = q.bytes.iter().copied().collect();
    let mut out = Vec::new();
    let mut at = 0;
    for e in &q.entries {
        out.push(bytes[at..at + e.len].to_vec());
        at += e.len;
    }
    out
}

#[test]
fn drop_newest_refuses_what_does_not_fit() {
    let mut b = Buffer::new(10, Policy::DropNewest);
    let mut done = Settled::new();
    b.push(b"12345", t(0), &mut done);
    b.push(b"123456", t(1), &mut done);
    b.push(b"12345", t(2), &mut done);
    assert_eq!(contents(&b.pending), [b"12345".to_vec(), b"12345".to_vec()]);
    assert_eq!((done.records(), b.take_overflowed()), (1, 1));
    assert!(!b.is_full());
}

#[test]
fn drop_oldest_evicts_unsent_records_first() {
    let mut b = Buffer::new(10, Policy::DropOldest);
    let mut done = Settled::new();
    b.push(b"aaaa", t(0), &mut done);
    b.push(b"bbbb", t(1), &mut done);
    b.push(b"cccccc", t(2), &mut done);
    assert_eq!(contents(&b.pending), [b"bbbb".to_vec(), b"cccccc".to_vec()]);
    assert_eq!(done.records(), 1);
    // Bytes held by the transport cannot be evicted: the newest goes, alone
    // (evicting the unsent records would not make room for it).
    b.held_elsewhere(9);
    b.push(b"dd", t(3), &mut done);
    assert_eq!(contents(&b.pending), [b"bbbb".to_vec(), b"cccccc".to_vec()]);
    assert_eq!(done.records(), 2);
}

#[test]
fn drop_oldest_evicts_nothing_for_a_record_larger_than_the_buffer() {
    let mut b = Buffer::new(10, Policy::DropOldest);
    let mut done = Settled::new();
    b.push(b"aaaa", t(0), &mut done);
    b.push(b"bbbb", t(1), &mut done);
    b.push(b"0123456789x", t(2), &mut done);
    assert_eq!(contents(&b.pending), [b"aaaa".to_vec(), b"bbbb".to_vec()]);
    assert_eq!((done.records(), b.take_overflowed()), (1, 1));
}

#[test]
fn block_keeps_everything_and_says_it_is_full() {
    let mut b = Buffer::new(10, Policy::Block);
    let mut done = Settled::new();
    b.push(b"123456789", t(0), &mut done);
    assert!(!b.is_full());
    b.push(b"12", t(1), &mut done);
    assert!(b.is_full());
    assert_eq!((b.pending.len(), done.records()), (2, 0));
}

#[test]
fn copy_front_reads_across_the_wrap_point() {
    let mut q = Queue::default();
    for i in 0..50u8 {
        q.push_back(&[i; 7], t(i as u64));
        if i % 3 == 0 {
            q.pop_front();
        }
    }
    while let Some(e) = q.front() {
        let mut out = Vec::new();
        q.copy_front(2, &mut out);
        assert_eq!(out.len(), e.len - 2);
        assert!(out.iter().all(|&b| b as u64 == e.ticket.seq()));
        q.pop_front();
    }
}

proptest! {
    /// Pushes, pops and requeues keep records whole and in order.
    #[test]
    fn the_queue_matches_a_model(ops in proptest::collection::vec((0u8..4, 0usize..20), 1..200)) {
        let mut q = Queue::default();
        let mut model: Model<Vec<u8>> = Model::new();
        let mut seq = 0u64;
        for (op, n) in ops {
            match op {
                0 | 1 => {
                    let rec = vec![seq as u8; n];
                    q.push_back(&rec, t(seq));
                    model.push_back(rec);
                    seq += 1;
                }
                2 => {
                    let got = q.front().map(|e| e.len);
                    let popped = q.pop_front().map(|e| e.len);
                    prop_assert_eq!(got, popped);
                    prop_assert_eq!(popped, model.pop_front().map(|r| r.len()));
                }
                _ => {
                    let mut front = Queue::default();
                    let rec = vec![0xEE; n];
                    front.push_back(&rec, t(u64::MAX));
                    q.requeue_front(&mut front);
                    model.push_front(rec);
                    prop_assert!(front.is_empty());
                }
            }
            prop_assert_eq!(q.len(), model.len());
            prop_assert_eq!(q.bytes(), model.iter().map(Vec::len).sum::<usize>());
            let mut first = Vec::new();
            q.copy_front(0, &mut first);
            let mut last = Vec::new();
            q.copy_nth(q.len().wrapping_sub(1), &mut last);
            prop_assert_eq!(last, model.back().cloned().unwrap_or_default());
            prop_assert_eq!(first, model.front().cloned().unwrap_or_default());
            prop_assert_eq!(contents(&q), model.iter().cloned().collect::<Vec<_>>());
        }
    }
}
