//! Model test: the ring against a reference queue that drops from the front.

use super::{make_record, split3};
use crate::ring::overwrite::{overwrite_ring, record_slots, SLOT_BYTES};
use proptest::prelude::*;
use std::collections::VecDeque;

/// Reference: the records the ring holds, by slot position, dropping from
/// the front every record whose first slot the newest record overwrote.
struct Model {
    slots: u64,
    /// Position one past the newest record.
    end: u64,
    /// Unconsumed records still in the ring: (start position, bytes).
    queue: VecDeque<(u64, Vec<u8>)>,
    overwritten: u64,
}

impl Model {
    fn push(&mut self, rec: Vec<u8>) {
        let start = self.end;
        self.end += record_slots(rec.len()) as u64;
        self.queue.push_back((start, rec));
        while self
            .queue
            .front()
            .is_some_and(|&(s, _)| s + self.slots < self.end)
        {
            self.queue.pop_front();
            self.overwritten += 1;
        }
    }
}

#[derive(Debug, Clone)]
enum Op {
    /// Push a record; the length is taken modulo the maximum (plus one).
    Push {
        len: usize,
        salt: usize,
    },
    Pop,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (1usize..120, any::<usize>()).prop_map(|(len, salt)| Op::Push { len, salt }),
        1 => (1usize..100_000, any::<usize>()).prop_map(|(len, salt)| Op::Push { len, salt }),
        3 => Just(Op::Pop),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: if cfg!(miri) { 8 } else { 512 },
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn matches_drop_oldest_model(
        slots in 1usize..12,
        ops in prop::collection::vec(op(), 1..300),
    ) {
        let (mut p, mut c) = overwrite_ring(slots * SLOT_BYTES);
        let max = p.max_record_len();
        let mut model = Model { slots: slots as u64, end: 0, queue: VecDeque::new(), overwritten: 0 };
        let mut pushed = 0u64;
        let mut popped = 0u64;
        let mut out = Vec::new();
        for op in ops.iter().chain(std::iter::repeat_n(&Op::Pop, 1)) {
            match *op {
                Op::Push { len, salt } => {
                    let rec = make_record(pushed, 1 + (len - 1) % max);
                    p.push(&split3(&rec, salt));
                    model.push(rec);
                    pushed += 1;
                }
                Op::Pop => {
                    let got = c.pop_into(&mut out);
                    let want = model.queue.pop_front().map(|(_, r)| r);
                    prop_assert_eq!(got.then(|| out.clone()), want);
                    popped += u64::from(got);
                    prop_assert_eq!(c.overwritten(), model.overwritten);
                }
            }
        }
        // Drain: everything the model still holds, then nothing.
        drop(p);
        while let Some((_, want)) = model.queue.pop_front() {
            prop_assert!(c.pop_into(&mut out));
            prop_assert_eq!(&out, &want);
            popped += 1;
        }
        prop_assert!(!c.pop_into(&mut out));
        prop_assert_eq!(c.overwritten(), model.overwritten);
        prop_assert_eq!(popped + c.overwritten(), pushed);
    }
}
