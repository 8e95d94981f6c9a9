//! Rendered targets, cached per format: a target's escaped bytes and the
//! punctuation around them are the same on every line, so each format
//! renders a target once and copies it afterwards.
//!
//! Direct-mapped on a hash of the target's length and three of its bytes,
//! each entry checked against the whole target: a miss costs one render,
//! never a wrong line. Long targets are rendered every time. In front of
//! it, the last target put is kept inline (a short one: most records
//! repeat the last target), and the last target that lives for the whole
//! program (a call site's) is recognised by its address alone.

use super::put::{put, put_first};

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

/// Longest target kept inline as the last one put.
const LAST_KEY: usize = 32;
/// Longest rendering written from inline bytes.
const INLINE: usize = 64;

/// What a format writes for one target: inline (written with a few wide
/// moves) when it is at most [`INLINE`] bytes.
#[derive(Debug)]
struct Rendered {
    /// The rendering's first `len` bytes when `len <= INLINE`.
    inline: [u8; INLINE],
    len: usize,
    /// The rendering when it is longer.
    long: Vec<u8>,
}

impl Rendered {
    fn new() -> Rendered {
        Rendered {
            inline: [0; INLINE],
            len: 0,
            long: Vec::new(),
        }
    }

    /// Becomes what `render` writes for `target`.
    fn render(&mut self, target: &[u8], render: impl Fn(&mut Vec<u8>, &[u8])) {
        self.long.clear();
        render(&mut self.long, target);
        self.len = self.long.len();
        if let Some(inline) = self.inline.get_mut(..self.len) {
            inline.copy_from_slice(&self.long);
        }
    }

    /// Becomes `bytes`.
    fn set(&mut self, bytes: &[u8]) {
        self.len = bytes.len();
        match self.inline.get_mut(..bytes.len()) {
            Some(inline) => inline.copy_from_slice(bytes),
            None => {
                self.long.clear();
                self.long.extend_from_slice(bytes);
            }
        }
    }

    #[inline(always)]
    fn put(&self, out: &mut Vec<u8>) {
        if self.len <= INLINE {
            put_first(out, &self.inline, self.len);
        } else {
            put(out, &self.long);
        }
    }
}

/// A format's rendered targets.
#[derive(Debug)]
pub(crate) struct TargetCache {
    entries: Box<[Entry]>,
    /// The last target put, its first `last_len` bytes, when it is at most
    /// [`LAST_KEY`] bytes; `last_len` is `usize::MAX` when there is none.
    last_key: [u8; LAST_KEY],
    last_len: usize,
    /// What the format writes for it.
    last_rendered: Rendered,
    /// Address and length of the last `'static` target put; null before.
    last_static: (*const u8, usize),
    /// What the format writes for it.
    static_rendered: Rendered,
}

// SAFETY: `last_static` is only compared, never dereferenced: the cache
// holds no borrowed data, so it moves between threads like its `Vec`s.
unsafe impl Send for TargetCache {}

impl TargetCache {
    pub(crate) fn new() -> TargetCache {
        TargetCache {
            entries: vec![Entry::default(); ENTRIES].into_boxed_slice(),
            last_key: [0; LAST_KEY],
            last_len: usize::MAX,
            last_rendered: Rendered::new(),
            last_static: (std::ptr::null(), 0),
            static_rendered: Rendered::new(),
        }
    }

    /// Appends what `render` writes for a record's target (see
    /// [`TargetCache::put`]): `target`, or the deferred record's call-site
    /// target `site` (`Record::site_target`), recognised by its address.
    #[inline]
    pub(crate) fn put_target(
        &mut self,
        out: &mut Vec<u8>,
        (site, target): (Option<&'static [u8]>, &[u8]),
        render: impl Fn(&mut Vec<u8>, &[u8]),
    ) {
        match site {
            Some(t) => self.put_static(out, t, render),
            None => self.put(out, target, render),
        }
    }

    /// [`TargetCache::put`] for a target that lives for the whole program:
    /// the same address and length are the same bytes, so the last one is
    /// recognised without reading it.
    #[inline]
    pub(crate) fn put_static(
        &mut self,
        out: &mut Vec<u8>,
        target: &'static [u8],
        render: impl Fn(&mut Vec<u8>, &[u8]),
    ) {
        if self.last_static != (target.as_ptr(), target.len()) {
            self.static_rendered.render(target, render);
            self.last_static = (target.as_ptr(), target.len());
        }
        self.static_rendered.put(out);
    }

    /// Appends what `render` writes for `target`, from the cache when it
    /// holds the target (`render` must depend on nothing else).
    #[inline(always)]
    pub(crate) fn put(
        &mut self,
        out: &mut Vec<u8>,
        target: &[u8],
        render: impl Fn(&mut Vec<u8>, &[u8]),
    ) {
        let n = target.len();
        if n == self.last_len && self.last_key.get(..n).is_some_and(|k| same(k, target)) {
            return self.last_rendered.put(out);
        }
        self.put_other(out, target, render);
    }

    /// [`TargetCache::put`] of a target other than the last one: from the
    /// direct-mapped entries, then kept as the last one.
    #[inline(never)]
    fn put_other(
        &mut self,
        out: &mut Vec<u8>,
        target: &[u8],
        render: impl Fn(&mut Vec<u8>, &[u8]),
    ) {
        if target.len() > MAX_CACHED {
            self.last_len = usize::MAX;
            return render(out, target);
        }
        let e = &mut self.entries[slot(target)];
        if !(e.used && same(&e.key, target)) {
            e.key.clear();
            e.key.extend_from_slice(target);
            e.rendered.clear();
            render(&mut e.rendered, target);
            e.used = true;
        }
        put(out, &e.rendered);
        match self.last_key.get_mut(..target.len()) {
            Some(k) => {
                k.copy_from_slice(target);
                self.last_len = target.len();
                self.last_rendered.set(&e.rendered);
            }
            None => self.last_len = usize::MAX,
        }
    }
}

/// Whether `a == b`, without a call for targets up to 16 bytes.
#[inline(always)]
pub(super) fn same(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let w4 = |s: &[u8], at: usize| u32::from_le_bytes(s[at..at + 4].try_into().expect("4 bytes"));
    let w8 = |s: &[u8], at: usize| u64::from_le_bytes(s[at..at + 8].try_into().expect("8 bytes"));
    match n {
        0 => true,
        1..=3 => a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1],
        4..=7 => w4(a, 0) == w4(b, 0) && w4(a, n - 4) == w4(b, n - 4),
        8..=16 => w8(a, 0) == w8(b, 0) && w8(a, n - 8) == w8(b, n - 8),
        _ => a == b,
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

    #[test]
    fn same_compares_every_byte_at_every_length() {
        for n in 0..40usize {
            let a: Vec<u8> = (0..n as u8).collect();
            assert!(same(&a, &a.clone()));
            assert!(!same(&a, &a[..n.saturating_sub(1)]) || n == 0);
            for i in 0..n {
                let mut b = a.clone();
                b[i] ^= 0x40;
                assert!(!same(&a, &b), "length {n}, byte {i}");
            }
        }
    }

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

    #[test]
    fn the_last_target_kept_inline_is_exact_whatever_follows_it() {
        // Repeats, changes between records, targets of equal length that
        // differ in one byte, the empty target, and targets and renderings
        // at and past the inline limits.
        let mut targets: Vec<Vec<u8>> = vec![
            b"app".to_vec(),
            b"app".to_vec(),
            b"apq".to_vec(),
            b"app".to_vec(),
            Vec::new(),
            Vec::new(),
            b"app".to_vec(),
        ];
        for n in [LAST_KEY - 1, LAST_KEY, LAST_KEY + 1, INLINE - 2, INLINE, MAX_CACHED + 1] {
            let t = vec![b'x'; n];
            let mut u = t.clone();
            if let Some(b) = u.last_mut() {
                *b = b'y';
            }
            targets.extend([t.clone(), t.clone(), u, t, b"app".to_vec()]);
        }
        let mut c = TargetCache::new();
        for t in &targets {
            let mut out = b"..".to_vec();
            c.put(&mut out, t, render);
            let mut want = b"..".to_vec();
            render(&mut want, t);
            assert_eq!(out, want, "target of {} bytes", t.len());
        }
    }

    #[test]
    fn static_targets_come_back_as_rendered_in_any_order() {
        let mut c = TargetCache::new();
        let long: &'static [u8] = Box::leak(vec![b'l'; INLINE + 1].into_boxed_slice());
        let statics: [&'static [u8]; 5] = [b"app::db", b"app::db::pool", b"", b"app", long];
        for i in [0, 0, 1, 0, 2, 2, 3, 1, 3, 4, 4, 0, 4] {
            let t = statics[i];
            let mut out = Vec::new();
            c.put_static(&mut out, t, render);
            // The plain cache interleaved must not disturb the static one.
            c.put(&mut out, b"other", render);
            let mut want = Vec::new();
            render(&mut want, t);
            render(&mut want, b"other");
            assert_eq!(out, want);
        }
    }
}
