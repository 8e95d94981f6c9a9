//! Tests of the overwrite ring (std build; the loom model is in `loom_tests`).

mod bench;
mod model;
mod stress;
mod unit;

/// Deterministic content of record `index` with `len` bytes: the index's
/// little-endian bytes first, then a pattern derived from the index.
pub(crate) fn make_record(index: u64, len: usize) -> Vec<u8> {
    let seed = index.to_le_bytes();
    (0..len)
        .map(|j| match seed.get(j) {
            Some(&b) => b,
            None => (index as u8).wrapping_mul(31) ^ (j as u8).wrapping_mul(7),
        })
        .collect()
}

/// Splits `rec` into up to three parts at positions derived from `salt`
/// (some parts may be empty), to exercise `push`'s gathering.
pub(crate) fn split3(rec: &[u8], salt: usize) -> [&[u8]; 3] {
    let a = salt % (rec.len() + 1);
    let b = a + (salt / 7) % (rec.len() - a + 1);
    [&rec[..a], &rec[a..b], &rec[b..]]
}
