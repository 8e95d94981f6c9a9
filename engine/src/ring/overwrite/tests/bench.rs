//! Rough timings; run with
//! `cargo test --release --lib bench -- --ignored --nocapture --test-threads 1`.

use crate::ring::overwrite::overwrite_ring;
use std::hint::black_box;
use std::time::Instant;

const ITERS: u64 = 20_000_000;
const HEADER: [u8; 16] = [7; 16];
const PAYLOAD: [u8; 84] = [42; 84]; // with the header: a 100-byte record

/// Push with no reader: steady-state overwriting (about one eviction per push).
#[test]
#[ignore = "timing only"]
fn bench_push() {
    for ring in [4096, 64 * 1024] {
        let (mut p, _c) = overwrite_ring(ring);
        let t = Instant::now();
        for _ in 0..ITERS {
            p.push(black_box(&[&HEADER[..], &PAYLOAD[..]]));
        }
        let ns = t.elapsed().as_nanos() as f64 / ITERS as f64;
        println!("push 100 B as 16+84, {ring} B ring (overwriting): {ns:.1} ns/op");
        let rec = [9u8; 100];
        let t = Instant::now();
        for _ in 0..ITERS {
            p.push(black_box(&[&rec[..]]));
        }
        let ns = t.elapsed().as_nanos() as f64 / ITERS as f64;
        println!("push 100 B one part, {ring} B ring (overwriting): {ns:.1} ns/op");
    }
}

/// Pop: fill without overwriting, then time draining.
#[test]
#[ignore = "timing only"]
fn bench_pop() {
    let (mut p, mut c) = overwrite_ring(1 << 20);
    let per_fill = (1 << 20) / 64 / 3; // 100-byte records take 3 slots
    let mut out = Vec::with_capacity(4096);
    let (mut pop_ns, mut pops) = (0u128, 0u64);
    for _ in 0..(ITERS / per_fill) {
        for _ in 0..per_fill {
            p.push(&[&HEADER[..], &PAYLOAD[..]]);
        }
        let t = Instant::now();
        while c.pop_into(black_box(&mut out)) {
            pops += 1;
        }
        pop_ns += t.elapsed().as_nanos();
    }
    assert_eq!(c.overwritten(), 0);
    println!("pop 100 B: {:.1} ns/op", pop_ns as f64 / pops as f64);
}

/// Two threads: the producer pushes flat out while the consumer pops.
#[test]
#[ignore = "timing only"]
fn bench_concurrent() {
    let (mut p, mut c) = overwrite_ring(64 * 1024);
    let n = 5_000_000u64;
    let t = Instant::now();
    let prod = std::thread::spawn(move || {
        for _ in 0..n {
            p.push(black_box(&[&HEADER[..], &PAYLOAD[..]]));
        }
        t.elapsed()
    });
    let (mut out, mut popped) = (Vec::new(), 0u64);
    loop {
        if c.pop_into(&mut out) {
            popped += 1;
        } else if c.is_abandoned() {
            while c.pop_into(&mut out) {
                popped += 1;
            }
            break;
        }
    }
    let push_time = prod.join().unwrap();
    println!(
        "concurrent: push {:.1} ns/op; popped {popped}, overwritten {}",
        push_time.as_nanos() as f64 / n as f64,
        c.overwritten()
    );
    assert_eq!(popped + c.overwritten(), n);
}
