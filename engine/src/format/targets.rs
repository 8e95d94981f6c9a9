//! Rendered targets, cached per format: a target's escaped bytes and the
//! punctuation around them are the same on every line, so each format
//! renders a target once and copies it afterwards.
//!
//! Direct-mapped on a hash of the target's length and three of its bytes,
//! each entry checked against the whole target: a miss costs one render,
//! never a wrong line. Long targets are rendered every time.

/// Entries (a power of two).
const ENTRIES: usize = 32;
/// Longest target cached.
const MAX_CACHED: usize = 128;

#[derive(Debug, Default, Clone)]
struct Entry {
    /// The target; meaningful when `used`.
    key: Vec<u8>,
    /// What the format writes for it.
    rendered: Vec<u8>,
    used: bool,
}

/// A format's rendered targets.
#[derive(Debug)]
pub(crate) struct TargetCache {
    entries: Box<[Entry]>,
}

impl TargetCache {
    pub(crate) fn new() -> TargetCache {
        TargetCache {
            entries: vec![Entry::default(); ENTRIES].into_boxed_slice(),
        }
    }

    /// Appends what `render` writes for `target`, from the cache when it
    /// holds the target (`render` must depend on nothing else).
    #[inline]
    pub(crate) fn put(
        &mut self,
        out: &mut Vec<u8>,
        target: &[u8],
        render: impl Fn(&mut Vec<u8>, &[u8]),
    ) {
        if target.len() > MAX_CACHED {
            return render(out, target);
        }
        let e = &mut self.entries[slot(target)];
        if !(e.used && e.key == target) {
            e.key.clear();
            e.key.extend_from_slice(target);
            e.rendered.clear();
            render(&mut e.rendered, target);
            e.used = true;
        }
        super::put::put(out, &e.rendered);
    }
}

/// The entry for `target`.
#[inline]
fn slot(target: &[u8]) -> usize {
    let h = match target {
        [] => 0,
        [first, .., last] | [first @ last] => {
            let mid = target[target.len() / 2] as u64;
            (*first as u64) | (mid << 8) | ((*last as u64) << 16) | ((target.len() as u64) << 24)
        }
    };
    (h.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 59) as usize & (ENTRIES - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(out: &mut Vec<u8>, t: &[u8]) {
        out.push(b'<');
        out.extend_from_slice(t);
        out.push(b'>');
    }

    #[test]
    fn every_target_comes_back_as_rendered_whatever_collides() {
        let mut c = TargetCache::new();
        let targets: Vec<Vec<u8>> = (0..200)
            .map(|i| format!("t{}", i % 67).into_bytes())
            .chain([Vec::new(), vec![b'x'; MAX_CACHED + 1], b"t1".to_vec()])
            .collect();
        for t in &targets {
            let mut out = b"..".to_vec();
            c.put(&mut out, t, render);
            let mut want = b"..".to_vec();
            render(&mut want, t);
            assert_eq!(out, want);
        }
    }
}
