//! Unique member names in a JSON object: a field whose key is taken — by a
//! fixed member or an earlier field — gets `#2`, `#3`, … (the first suffix
//! not yet taken).
//!
//! Names are compared as written (escaped), which is exact: the escaper
//! maps each string to one byte sequence. A 64-bit filter of the names so
//! far (one bit per name, from its length and end bytes) answers "surely
//! free" for most keys with one test; only a possible hit compares bytes.
//! The set keeps ranges of the output buffer, so claiming a name costs no
//! allocation once warm. Up to [`LINEAR_MAX`] field names are compared one
//! by one; beyond that a hash table (randomly keyed, so crafted keys cannot
//! make it quadratic) takes over. Each name remembers the next suffix to
//! try, so `n` fields with one key cost O(n), not O(n²).

use super::digits::push_u64;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::ops::Range;

/// Field names compared one by one before the hash table is built.
const LINEAR_MAX: usize = 16;

/// One member name of the object being written, from a field.
#[derive(Clone, Debug)]
struct Name {
    /// Where the escaped name sits in the output buffer.
    at: Range<usize>,
    /// The next `#N` to try when this name is taken again (starts at 2).
    next_suffix: u64,
}

/// The filter bit of a name.
#[inline]
fn bit(name: &[u8]) -> u64 {
    let (first, last) = match name {
        [] => (0, 0),
        [f, .., l] => (*f, *l),
        [f] => (*f, *f),
    };
    let h = (name.len() as u32)
        .wrapping_mul(0x9e37)
        .wrapping_add((first as u32) << 7)
        .wrapping_add(last as u32);
    1 << (h.wrapping_mul(0x2f) >> 3 & 63)
}

/// The member names of one JSON object, with their places in the output.
#[derive(Debug)]
pub(crate) struct KeySet {
    /// Names of the members the format writes itself, every object.
    fixed: Vec<&'static str>,
    /// Filter bits of `fixed`.
    fixed_filter: u64,
    /// Filter bits of every name in the object so far.
    filter: u64,
    /// Names from fields (a fixed name a field took is added as a proxy,
    /// to keep its suffix count).
    names: Vec<Name>,
    /// Open addressing: index + 1 into `names`, 0 for empty. Empty while
    /// `names.len() <= LINEAR_MAX`; else a power of two, at most half full.
    table: Vec<u32>,
    hasher: RandomState,
}

impl KeySet {
    /// A set whose every object starts with the members `fixed`.
    pub(crate) fn new(fixed: Vec<&'static str>) -> KeySet {
        let fixed_filter = fixed.iter().fold(0, |f, n| f | bit(n.as_bytes()));
        KeySet {
            fixed,
            fixed_filter,
            filter: fixed_filter,
            names: Vec::new(),
            table: Vec::new(),
            hasher: RandomState::new(),
        }
    }

    /// Starts a new object: only the fixed names are taken.
    #[inline]
    pub(crate) fn clear(&mut self) {
        self.filter = self.fixed_filter;
        self.names.clear();
        self.table.clear();
    }

    /// Makes the name written at `out[start..]` unique, appending `#N` when
    /// it is taken, and records it.
    #[inline]
    pub(crate) fn claim(&mut self, out: &mut Vec<u8>, start: usize) {
        let b = bit(&out[start..]);
        if self.filter & b == 0 {
            self.filter |= b;
            self.insert(out, start..out.len());
            return;
        }
        self.claim_slow(out, start);
    }

    /// [`KeySet::claim`] when the filter says the name may be taken.
    fn claim_slow(&mut self, out: &mut Vec<u8>, start: usize) {
        let base_end = out.len();
        let taken = match self.find(out, start..base_end) {
            Some(i) => i,
            None if self.is_fixed(&out[start..base_end]) => {
                // The name's own bytes stand in for the fixed member.
                self.insert(out, start..base_end);
                self.names.len() - 1
            }
            None => {
                self.insert(out, start..base_end);
                return;
            }
        };
        let mut n = self.names[taken].next_suffix;
        loop {
            out.truncate(base_end);
            out.push(b'#');
            push_u64(out, n);
            n += 1;
            if !self.is_fixed(&out[start..]) && self.find(out, start..out.len()).is_none() {
                break;
            }
        }
        self.names[taken].next_suffix = n;
        self.filter |= bit(&out[start..]);
        self.insert(out, start..out.len());
    }

    fn is_fixed(&self, name: &[u8]) -> bool {
        self.fixed.iter().any(|f| f.as_bytes() == name)
    }

    /// The index of the field name equal to `out[at]`, if any.
    fn find(&self, out: &[u8], at: Range<usize>) -> Option<usize> {
        let name = &out[at];
        if self.table.is_empty() {
            return (self.names.iter()).position(|n| out[n.at.clone()] == *name);
        }
        let mask = self.table.len() - 1;
        let mut slot = self.hasher.hash_one(name) as usize & mask;
        loop {
            match self.table[slot] {
                0 => return None,
                i if out[self.names[i as usize - 1].at.clone()] == *name => {
                    return Some(i as usize - 1)
                }
                _ => slot = (slot + 1) & mask,
            }
        }
    }

    #[inline]
    fn insert(&mut self, out: &[u8], at: Range<usize>) {
        self.names.push(Name { at, next_suffix: 2 });
        let n = self.names.len();
        if n > LINEAR_MAX {
            self.index_last(out);
        }
    }

    /// Places the newest name in the table, building or growing it first.
    fn index_last(&mut self, out: &[u8]) {
        let n = self.names.len();
        if self.table.is_empty() || n * 2 > self.table.len() {
            let size = (n * 4).next_power_of_two();
            self.table.clear();
            self.table.resize(size, 0);
            for i in 0..n {
                self.place(out, i);
            }
        } else {
            self.place(out, n - 1);
        }
    }

    fn place(&mut self, out: &[u8], i: usize) {
        let mask = self.table.len() - 1;
        let mut slot = self.hasher.hash_one(&out[self.names[i].at.clone()]) as usize & mask;
        while self.table[slot] != 0 {
            slot = (slot + 1) & mask;
        }
        self.table[slot] = i as u32 + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Claims each name in turn after `fixed`, as a JSON writer would;
    /// returns the names given.
    fn claim_all(fixed: &[&'static str], keys: &[&str]) -> Vec<String> {
        let mut set = KeySet::new(fixed.to_vec());
        let mut out = b"{...".to_vec();
        set.clear();
        let mut given = Vec::new();
        for k in keys {
            let start = out.len();
            out.extend_from_slice(k.as_bytes());
            set.claim(&mut out, start);
            given.push(String::from_utf8(out[start..].to_vec()).unwrap());
            out.push(b',');
        }
        given
    }

    #[test]
    fn taken_names_get_the_first_free_suffix() {
        let got = claim_all(
            &["ts", "level", "msg"],
            &[
                "msg", "id", "msg", "id", "msg#4", "msg", "ts#2", "ts", "x", "",
            ],
        );
        assert_eq!(
            got,
            ["msg#2", "id", "msg#3", "id#2", "msg#4", "msg#5", "ts#2", "ts#3", "x", ""]
        );
    }

    #[test]
    fn a_field_named_like_a_suffixed_fixed_name_is_suffixed_again() {
        let got = claim_all(&["msg", "msg#2"], &["msg", "msg#2"]);
        assert_eq!(got, ["msg#3", "msg#2#2"]);
    }

    #[test]
    fn the_hash_table_agrees_with_the_linear_scan() {
        let keys: Vec<String> = (0..200).map(|i| format!("k{}", i % 7)).collect();
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        let got = claim_all(&["msg"], &keys);
        for (i, g) in got.iter().enumerate() {
            let n = i / 7;
            let want = if n == 0 {
                format!("k{}", i % 7)
            } else {
                format!("k{}#{}", i % 7, n + 1)
            };
            assert_eq!(*g, want);
        }
    }

    #[test]
    fn a_hundred_thousand_equal_keys_get_distinct_names() {
        // Quadratic renaming would take some 5e9 comparisons here.
        let keys = vec!["a"; 100_000];
        let got = claim_all(&["a"], &keys);
        assert_eq!(got[99_998], "a#100000");
        let mut sorted = got.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), got.len());
    }
}
