//! What a pair of time-stamp counter readings costs with each fencing, and
//! which fencings keep the timed code between the two readings: the
//! measurement behind the harness's call timer (`uringlog_bench::timer`).
//!
//! Every variant times the same two things, in turn, 1,000 samples at a
//! time, rounds interleaved so that every variant sees the same machine:
//!
//! - `empty`: nothing (the timing's own cost: the overhead row);
//! - `chain`: 64 dependent multiplies whose result is stored only after the
//!   second reading: a timer that lets the second reading run before the
//!   timed code finishes reports less than the chain takes.
//!
//! Variants (first reading / second reading):
//!
//! | name | first | second |
//! |---|---|---|
//! | `rdtsc` | `rdtsc` | `rdtsc` |
//! | `lfence;rdtsc` | `lfence; rdtsc` | `lfence; rdtsc` |
//! | `rdtscp` | `rdtscp` | `rdtscp` |
//! | `rdtscp;lfence` | `rdtscp; lfence` | `rdtscp; lfence` |
//! | `rdtsc;lfence/rdtscp` | `rdtsc; lfence` | `rdtscp` |
//! | `rdtsc;lfence/lfence;rdtsc` | `rdtsc; lfence` | `lfence; rdtsc` |
//! | `lfence;rdtsc;lfence/rdtscp` | `lfence; rdtsc; lfence` | `rdtscp` |
//! | `Instant` | `Instant::now()` | `elapsed()` |
//!
//! Prints the median (over every sample of the run) per variant in ns (the
//! counter's rate measured against `CLOCK_MONOTONIC` over the run) and in
//! ticks. Run it in several processes and take the median of their medians.
//!
//! ```sh
//! cargo build --release -p uringlog-bench --example timer_fences
//! target/release/examples/timer_fences [ROUNDS]
//! ```

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::asm;
    use std::hint::black_box;
    use std::time::Instant;

    /// One reading of the counter with the fencing of `$code`.
    macro_rules! reading {
        ($name:ident, $($code:literal),+) => {
            #[inline(always)]
            fn $name() -> u64 {
                let (lo, hi): (u32, u32);
                // SAFETY: the counter instructions and `lfence` only read
                // the counter (and `IA32_TSC_AUX` into ecx) and order
                // execution; no memory is touched.
                unsafe {
                    asm!($($code),+, out("eax") lo, out("edx") hi, out("ecx") _,
                        options(nostack, preserves_flags))
                };
                (u64::from(hi) << 32) | u64::from(lo)
            }
        };
    }
    reading!(plain, "rdtsc");
    reading!(lfence_rdtsc, "lfence", "rdtsc");
    reading!(rdtscp, "rdtscp");
    reading!(rdtscp_lfence, "rdtscp", "lfence");
    reading!(rdtsc_lfence, "rdtsc", "lfence");
    reading!(lfence_rdtsc_lfence, "lfence", "rdtsc", "lfence");

    /// The variants' names, in the order of the module docs' table.
    pub const VARIANTS: [&str; 7] = [
        "rdtsc",
        "lfence;rdtsc",
        "rdtscp",
        "rdtscp;lfence",
        "rdtsc;lfence/rdtscp",
        "rdtsc;lfence/lfence;rdtsc",
        "lfence;rdtsc;lfence/rdtscp",
    ];

    /// 64 dependent multiply-adds on a value loaded from memory (squaring,
    /// so the compiler cannot fold them into one multiply).
    #[inline(always)]
    fn chain(seed: &u64) -> u64 {
        let mut x = black_box(*seed);
        for _ in 0..64 {
            x = x.wrapping_mul(x).wrapping_add(1);
        }
        x
    }

    /// Ticks of each of `n` samples of `v` around nothing (`work` false) or
    /// around [`chain`], pushed onto `out`.
    pub fn samples(v: &str, work: bool, n: usize, out: &mut Vec<u64>) {
        // Each variant's loop is its own code, the readings inlined.
        macro_rules! run {
            ($first:expr, $second:expr) => {{
                let seed = 7u64;
                let mut sink = 0u64;
                for _ in 0..n {
                    let a = $first();
                    let r = if work { chain(&seed) } else { 0 };
                    let b = $second();
                    sink ^= r;
                    out.push(b.wrapping_sub(a));
                }
                black_box(sink);
            }};
        }
        match v {
            "rdtsc" => run!(plain, plain),
            "lfence;rdtsc" => run!(lfence_rdtsc, lfence_rdtsc),
            "rdtscp" => run!(rdtscp, rdtscp),
            "rdtscp;lfence" => run!(rdtscp_lfence, rdtscp_lfence),
            "rdtsc;lfence/rdtscp" => run!(rdtsc_lfence, rdtscp),
            "rdtsc;lfence/lfence;rdtsc" => run!(rdtsc_lfence, lfence_rdtsc),
            _ => run!(lfence_rdtsc_lfence, rdtscp),
        }
    }

    /// Ns of each of `n` samples of an `Instant` pair, as [`samples`].
    pub fn instant_samples(work: bool, n: usize, out: &mut Vec<u64>) {
        let seed = 7u64;
        let mut sink = 0u64;
        for _ in 0..n {
            let t = Instant::now();
            let r = if work { chain(&seed) } else { 0 };
            out.push(t.elapsed().as_nanos() as u64);
            sink ^= r;
        }
        black_box(sink);
    }

    /// The counter now (unfenced), for the rate.
    pub fn now() -> u64 {
        plain()
    }
}

#[cfg(target_arch = "x86_64")]
fn main() {
    use std::time::Instant;
    let rounds: usize = std::env::args()
        .nth(1)
        .map_or(200, |s| s.parse().expect("ROUNDS"));
    const N: usize = 1_000;
    let names: Vec<&str> = x86::VARIANTS.iter().copied().chain(["Instant"]).collect();
    let mut ticks: Vec<[Vec<u64>; 2]> = names.iter().map(|_| [Vec::new(), Vec::new()]).collect();
    let (t0, m0) = (x86::now(), Instant::now());
    for round in 0..rounds {
        // Rotate the order so no variant always follows the same one.
        for k in 0..names.len() {
            let i = (k + round) % names.len();
            for (w, out) in ticks[i].iter_mut().enumerate() {
                match x86::VARIANTS.get(i) {
                    Some(v) => x86::samples(v, w == 1, N, out),
                    None => x86::instant_samples(w == 1, N, out),
                }
            }
        }
    }
    let ns_per_tick = m0.elapsed().as_nanos() as f64 / x86::now().wrapping_sub(t0) as f64;
    // The median, and the mean of the samples below the 99th percentile
    // (finer than the counter's steps, which may be coarser than a tick).
    let stats = |v: &mut Vec<u64>| {
        v.sort_unstable();
        let body = &v[..v.len() * 99 / 100];
        let mean = body.iter().sum::<u64>() as f64 / body.len() as f64;
        (v[v.len() / 2] as f64, mean)
    };
    println!(
        "ns per tick {ns_per_tick:.5}; {} samples each: median, and mean below p99",
        rounds * N
    );
    for (name, [empty, chain]) in names.iter().zip(ticks.iter_mut()) {
        let ((e, em), (c, cm)) = (stats(empty), stats(chain));
        let k = if *name == "Instant" { 1.0 } else { ns_per_tick };
        println!(
            "{name:26} empty {:5.1} ns (mean {:5.1})  chain {:5.1} ns (mean {:5.1})  chain-empty mean {:5.1} ns",
            e * k,
            em * k,
            c * k,
            cm * k,
            (cm - em) * k
        );
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn main() {
    eprintln!("timer_fences: x86-64 only");
}
