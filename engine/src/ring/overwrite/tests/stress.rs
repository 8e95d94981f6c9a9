//! Concurrent stress test with std threads.

use super::{make_record, split3};
use crate::ring::overwrite::overwrite_ring;
use std::thread;

/// Records pushed (fewer under Miri, which is slow).
const RECORDS: u64 = if cfg!(miri) { 2_000 } else { 200_000 };

fn len_of(index: u64) -> usize {
    17 + (index.wrapping_mul(2_654_435_761) % 300) as usize
}

#[test]
fn concurrent_overwrite_stress() {
    let (mut p, mut c) = overwrite_ring(4096);
    let producer = thread::spawn(move || {
        let mut rec = Vec::new();
        for i in 0..RECORDS {
            rec.clear();
            rec.extend_from_slice(&make_record(i, len_of(i)));
            p.push(&split3(&rec, i as usize));
            if i % (RECORDS / 10) == 0 {
                thread::yield_now(); // let the consumer catch up now and then
            }
        }
    });
    let mut out = Vec::new();
    let mut popped = 0u64;
    let mut last: Option<u64> = None;
    let mut check = |out: &Vec<u8>, popped: &mut u64| {
        let index = u64::from_le_bytes(out[..8].try_into().unwrap());
        assert!(
            last.map_or(true, |l| index > l),
            "out of order: {index} after {last:?}"
        );
        assert_eq!(out.len(), len_of(index), "length of record {index}");
        assert_eq!(*out, make_record(index, out.len()), "torn record {index}");
        last = Some(index);
        *popped += 1;
    };
    loop {
        if c.pop_into(&mut out) {
            check(&out, &mut popped);
        } else if c.is_abandoned() {
            while c.pop_into(&mut out) {
                check(&out, &mut popped);
            }
            break;
        } else {
            std::hint::spin_loop();
        }
    }
    producer.join().unwrap();
    assert_eq!(last, Some(RECORDS - 1), "last record missing");
    assert_eq!(popped + c.overwritten(), RECORDS);
    eprintln!("stress: popped {popped}, overwritten {}", c.overwritten());
}
