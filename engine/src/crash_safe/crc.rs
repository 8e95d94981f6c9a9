//! The frame crc32c on the producer's path: a frame's sequence number and
//! a short record, hashed with the SSE4.2 instruction directly (eight bytes
//! a step) where the CPU has it, else with the `crc32c` crate. The result
//! is the crate's `crc32c(seq ‖ record)` either way.

#[cfg(target_arch = "x86_64")]
use std::sync::atomic::{AtomicU8, Ordering};

/// 0: not yet detected, 1: SSE4.2, 2: none.
#[cfg(target_arch = "x86_64")]
static SSE42: AtomicU8 = AtomicU8::new(0);

#[cfg(target_arch = "x86_64")]
#[cold]
#[inline(never)]
fn detect() -> bool {
    let has = std::arch::is_x86_feature_detected!("sse4.2");
    SSE42.store(if has { 1 } else { 2 }, Ordering::Relaxed);
    has
}

/// The crc32c of `seq` (little-endian) followed by `record`.
#[inline]
pub(crate) fn seq_record(seq: u64, record: &[u8]) -> u32 {
    #[cfg(target_arch = "x86_64")]
    {
        // Relaxed: a flag computed the same way by every thread.
        let has = match SSE42.load(Ordering::Relaxed) {
            1 => true,
            2 => false,
            _ => detect(),
        };
        if has {
            // SAFETY: the CPU has SSE4.2 (detected above).
            return unsafe { sse42(seq, record) };
        }
    }
    crc32c::crc32c_append(crc32c::crc32c(&seq.to_le_bytes()), record)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse4.2")]
unsafe fn sse42(seq: u64, record: &[u8]) -> u32 {
    use std::arch::x86_64::{_mm_crc32_u16, _mm_crc32_u32, _mm_crc32_u64, _mm_crc32_u8};
    let mut crc = _mm_crc32_u64(u64::from(u32::MAX), seq);
    let mut r = record;
    // Four words a step (the loop's bookkeeping once per four).
    while let Some((w, rest)) = r.split_first_chunk::<32>() {
        for i in 0..4 {
            let mut q = [0u8; 8];
            q.copy_from_slice(&w[8 * i..8 * i + 8]);
            crc = _mm_crc32_u64(crc, u64::from_le_bytes(q));
        }
        r = rest;
    }
    while let Some((w, rest)) = r.split_first_chunk::<8>() {
        crc = _mm_crc32_u64(crc, u64::from_le_bytes(*w));
        r = rest;
    }
    let mut crc = crc as u32;
    if let Some((w, rest)) = r.split_first_chunk::<4>() {
        crc = _mm_crc32_u32(crc, u32::from_le_bytes(*w));
        r = rest;
    }
    if let Some((w, rest)) = r.split_first_chunk::<2>() {
        crc = _mm_crc32_u16(crc, u16::from_le_bytes(*w));
        r = rest;
    }
    if let Some(&b) = r.first() {
        crc = _mm_crc32_u8(crc, b);
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equals_the_crates_crc_for_every_length_and_alignment() {
        let bytes: Vec<u8> = (0..300u32).map(|i| (i * 131 + 7) as u8).collect();
        for start in 0..8 {
            for len in 0..(bytes.len() - start) {
                let rec = &bytes[start..start + len];
                let seq = 0x0123_4567_89ab_cdef ^ len as u64;
                let mut all = seq.to_le_bytes().to_vec();
                all.extend_from_slice(rec);
                assert_eq!(seq_record(seq, rec), crc32c::crc32c(&all), "start {start} len {len}");
            }
        }
    }

    #[test]
    fn gives_the_published_check_value() {
        // The known check value of crc32c("123456789") is 0xe3069283; with
        // `seq` holding "12345678" and the record "9" the result is that.
        let seq = u64::from_le_bytes(*b"12345678");
        assert_eq!(seq_record(seq, b"9"), 0xe306_9283);
        assert_eq!(crc32c::crc32c(b"123456789"), 0xe306_9283);
    }
}
