//! Reading a run's output back: every line counted, every id accounted for,
//! per-producer order checked. Lossy loggers cannot look fast this way.
//!
//! Producer `p` of `n` logs ids `p, p + n, p + 2n, …` in that order, so the
//! producer of an id is `id % n` and its sequence number `id / n`.

use crate::workload::LineMatcher;
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::{Path, PathBuf};

/// What a file (or a set of files) holds for one phase of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileCheck {
    /// Newline-terminated lines, all phases.
    pub lines: u64,
    /// Bytes of those lines.
    pub line_bytes: u64,
    /// Bytes at the end not terminated by a newline (a torn last line).
    pub trailing_bytes: u64,
    /// Ids logged in the phase: `0 .. expected`.
    pub expected: u64,
    /// Producers that logged them.
    pub producers: u64,
    /// Distinct phase ids found.
    pub found: u64,
    /// Phase lines whose id was seen before.
    pub duplicates: u64,
    /// Phase lines that came before an earlier record of the same producer.
    pub out_of_order: u64,
    /// Lines that are not phase lines with an id in range.
    pub other_lines: u64,
}

impl FileCheck {
    /// Mean bytes per line (newline included).
    pub fn bytes_per_line(&self) -> f64 {
        self.line_bytes as f64 / self.lines.max(1) as f64
    }

    /// Phase ids never found.
    pub fn missing(&self) -> u64 {
        self.expected.saturating_sub(self.found)
    }

    /// Every producer's records appear in the order it logged them.
    pub fn order_preserved(&self) -> bool {
        self.out_of_order == 0
    }

    /// Exactly the expected lines, each once, nothing else, nothing torn.
    pub fn exact(&self) -> bool {
        self.found == self.expected
            && self.duplicates == 0
            && self.other_lines == 0
            && self.trailing_bytes == 0
            && self.lines == self.expected
    }
}

/// Reads `files` in order and checks the lines of the phase `matcher`
/// recognises, with ids `0 .. expected` from `producers` producers.
pub fn check_files(
    files: &[PathBuf],
    matcher: &LineMatcher,
    expected: u64,
    producers: u64,
) -> io::Result<FileCheck> {
    let mut c = Checker::new(expected, producers.max(1));
    let mut line = Vec::with_capacity(256);
    for path in files {
        let f = File::open(path)
            .map_err(|e| io::Error::new(e.kind(), format!("opening {}: {e}", path.display())))?;
        let mut r = BufReader::with_capacity(1 << 20, f);
        loop {
            line.clear();
            if r.read_until(b'\n', &mut line)? == 0 {
                break;
            }
            if line.last() != Some(&b'\n') {
                c.out.trailing_bytes += line.len() as u64;
                continue;
            }
            c.out.lines += 1;
            c.out.line_bytes += line.len() as u64;
            c.line(matcher.parse(&line));
        }
    }
    Ok(c.out)
}

/// [`check_files`] over one file.
pub fn check_file(
    file: &Path,
    matcher: &LineMatcher,
    expected: u64,
    producers: u64,
) -> io::Result<FileCheck> {
    check_files(&[file.to_path_buf()], matcher, expected, producers)
}

/// The regular files of `dir`, sorted by name.
pub fn files_in(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut v = Vec::new();
    for e in std::fs::read_dir(dir)? {
        let p = e?.path();
        if p.is_file() {
            v.push(p);
        }
    }
    v.sort();
    Ok(v)
}

struct Checker {
    out: FileCheck,
    /// Bit `id` set once the id was seen.
    seen: Vec<u64>,
    /// Next sequence number each producer may log without breaking order:
    /// one past the highest seen so far.
    next_seq: Vec<u64>,
}

impl Checker {
    fn new(expected: u64, producers: u64) -> Checker {
        Checker {
            out: FileCheck {
                expected,
                producers,
                ..FileCheck::default()
            },
            seen: vec![0; expected.div_ceil(64) as usize],
            next_seq: vec![0; producers as usize],
        }
    }

    fn line(&mut self, parsed: Option<(u64, bool)>) {
        let id = match parsed {
            Some((id, true)) if id < self.out.expected => id,
            _ => {
                self.out.other_lines += 1;
                return;
            }
        };
        let (w, bit) = ((id / 64) as usize, 1u64 << (id % 64));
        if self.seen[w] & bit != 0 {
            self.out.duplicates += 1;
            return;
        }
        self.seen[w] |= bit;
        self.out.found += 1;
        let p = (id % self.out.producers) as usize;
        let seq = id / self.out.producers;
        if seq < self.next_seq[p] {
            self.out.out_of_order += 1;
        } else {
            self.next_seq[p] = seq + 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::{PATH_LATENCY, PATH_THROUGHPUT};
    use std::io::Write;

    fn write(lines: &[(u64, &str)], tail: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.log");
        let mut f = File::create(&p).unwrap();
        for (id, path) in lines {
            writeln!(
                f,
                "ts INFO t: request id={id} user=bob path={path} status=200"
            )
            .unwrap();
        }
        f.write_all(tail.as_bytes()).unwrap();
        (dir, p)
    }

    #[test]
    fn exact_run_with_two_producers() {
        let tp = PATH_THROUGHPUT;
        let (_d, p) = write(&[(0, tp), (2, tp), (1, tp), (3, tp)], "");
        let c = check_file(&p, &LineMatcher::new(tp), 4, 2).unwrap();
        assert!(c.exact() && c.order_preserved(), "{c:?}");
        assert_eq!((c.lines, c.found, c.missing()), (4, 4, 0));
        assert_eq!(c.line_bytes, 4 * 64);
    }

    #[test]
    fn counts_missing_duplicate_reordered_foreign_and_torn() {
        let tp = PATH_THROUGHPUT;
        let lines = [(2, tp), (0, tp), (0, tp), (5, PATH_LATENCY), (9, tp)];
        let (_d, p) = write(&lines, "partial line");
        let c = check_file(&p, &LineMatcher::new(tp), 4, 1).unwrap();
        assert_eq!(
            c,
            FileCheck {
                lines: 5,
                line_bytes: c.line_bytes,
                trailing_bytes: 12,
                expected: 4,
                producers: 1,
                found: 2,
                duplicates: 1,
                out_of_order: 1,
                other_lines: 2,
            }
        );
        assert_eq!(c.missing(), 2);
        assert!(!c.exact() && !c.order_preserved());
    }
}
