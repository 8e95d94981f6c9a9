//! Retention: which rotated files to delete after a rotation.
//!
//! Only files whose names this sink would have made count (see `naming`);
//! anything else in the directory is left alone. Oldest first, files are
//! deleted until at most `keep_files` files remain *counting the active
//! file*, and until the rotated files together take at most
//! `keep_total_bytes`.
//!
//! Oldest means, by size (alone or with time), the lowest sequence number
//! (it goes on across periods); by time alone, by parsed period and
//! number, except that files of the active file's period or a later one
//! come first: they were written before the wall clock went back (nothing
//! else dates a rotated file there), so they are older than every file
//! written since. The file just rotated comes last in either case.
//!
//! A file's size is its length on disk, or what the sink handed the
//! writer for it when that is more: a batch still in flight (io_uring)
//! has not reached the file yet, and will.

use super::naming::{Key, Naming};
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// What to keep; `None` keeps everything.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Retention {
    /// Files kept, the active one included (at least 1).
    pub keep_files: Option<usize>,
    /// Bytes the rotated files may take together.
    pub keep_total_bytes: Option<u64>,
}

/// What a file of the sink will hold once the batches in flight to it
/// have landed: its length at open plus the bytes handed to the writer
/// for it, less those of batches that failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Expected {
    /// `(st_dev, st_ino)` of the file.
    pub id: (u64, u64),
    pub len: u64,
}

/// How one pruning goes, besides the retention itself.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Pruning<'a> {
    /// The label of the active file's period (empty without time rotation).
    pub active: &'a str,
    /// The file just rotated (none when the sink opens).
    pub newest: Option<&'a Path>,
    /// Never delete `newest`: the sink still writes to it (the rotation
    /// could not open the next file).
    pub keep_newest: bool,
    /// The files whose sizes the sink knows better than the file system.
    pub expected: &'a [Expected],
}

/// A rotated file found in the directory.
#[derive(Debug)]
pub(crate) struct Rotated {
    pub key: Key,
    pub path: PathBuf,
    pub len: u64,
}

/// The rotated files in `dir`, in label order; `expected` gives the
/// sizes the sink knows better (see [`Expected`]).
pub(crate) fn list(dir: &Path, naming: &Naming, expected: &[Expected]) -> io::Result<Vec<Rotated>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let Some(key) = entry.file_name().to_str().and_then(|n| naming.parse(n)) else {
            continue;
        };
        let meta = entry.metadata()?;
        if meta.is_file() {
            let id = (meta.dev(), meta.ino());
            let known = expected.iter().filter(|e| e.id == id).map(|e| e.len);
            out.push(Rotated {
                key,
                path: entry.path(),
                len: known.fold(meta.len(), u64::max),
            });
        }
    }
    out.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(out)
}

/// The files `retention` deletes from `rotated` (oldest first).
pub(crate) fn doomed(rotated: &[Rotated], retention: Retention) -> usize {
    let mut n = 0;
    if let Some(keep) = retention.keep_files {
        // The active file counts as one of `keep`.
        n = (rotated.len() + 1).saturating_sub(keep.max(1));
    }
    if let Some(max) = retention.keep_total_bytes {
        let mut total: u64 = rotated[n..].iter().map(|r| r.len).sum();
        while total > max && n < rotated.len() {
            total -= rotated[n].len;
            n += 1;
        }
    }
    n
}

/// Sorts `rotated` (in label order) oldest first when the active file's
/// period is labelled `active` and `newest` is the file just rotated,
/// which comes last. By size (`sized`) the sequence number, which goes on
/// across periods, is the order of rotation. By time alone, files
/// labelled later than the active file come first, and those labelled as
/// it too (only a rotation before the clock went back can have made
/// them), each group keeping its order. (After the clock went back, the
/// file just rotated may be labelled before files written earlier.)
pub(crate) fn oldest_first(
    rotated: &mut [Rotated],
    active: &str,
    sized: bool,
    newest: Option<&Path>,
) {
    if sized {
        rotated.sort_by_key(|r| (Some(r.path.as_path()) == newest, r.key.seq));
        return;
    }
    rotated.sort_by_key(|r| {
        let label = r.key.label.as_str();
        if Some(r.path.as_path()) == newest {
            2
        } else if label >= active {
            0
        } else {
            1
        }
    });
}

/// What one pruning did: files deleted, and the errors met (it goes on
/// past them).
#[derive(Debug, Default)]
pub(crate) struct Pruned {
    pub deleted: usize,
    pub errors: Vec<io::Error>,
}

/// Applies `retention` in `dir` as `how` says.
pub(crate) fn prune(dir: &Path, naming: &Naming, retention: Retention, how: &Pruning) -> Pruned {
    let mut out = Pruned::default();
    if retention == Retention::default() {
        return out;
    }
    let mut rotated = match list(dir, naming, how.expected) {
        Ok(r) => r,
        Err(e) => {
            let msg = format!("retention cannot list {}: {e}", dir.display());
            out.errors.push(io::Error::new(e.kind(), msg));
            return out;
        }
    };
    oldest_first(&mut rotated, how.active, naming.sized, how.newest);
    let mut n = doomed(&rotated, retention);
    if how.keep_newest && rotated.last().map(|r| r.path.as_path()) == how.newest {
        n = n.min(rotated.len() - 1);
    }
    for r in &rotated[..n] {
        match std::fs::remove_file(&r.path) {
            Ok(()) => out.deleted += 1,
            Err(e) => {
                let msg = format!("retention cannot delete {}: {e}", r.path.display());
                out.errors.push(io::Error::new(e.kind(), msg));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(lens: &[u64]) -> Vec<Rotated> {
        lens.iter()
            .enumerate()
            .map(|(i, &len)| Rotated {
                key: Key {
                    label: String::new(),
                    seq: i as u64,
                },
                path: PathBuf::from(format!("f{i}")),
                len,
            })
            .collect()
    }

    #[test]
    fn counts_include_the_active_file() {
        let r = files(&[10, 10, 10, 10]);
        let keep = |n| Retention {
            keep_files: Some(n),
            keep_total_bytes: None,
        };
        assert_eq!(doomed(&r, keep(3)), 2);
        assert_eq!(doomed(&r, keep(5)), 0);
        assert_eq!(doomed(&r, keep(1)), 4);
        assert_eq!(doomed(&r, keep(0)), 4);
    }

    #[test]
    fn files_of_a_period_after_the_active_one_are_the_oldest() {
        let mut r: Vec<Rotated> = ["02", "03", "05", "05", "06"]
            .iter()
            .enumerate()
            .map(|(i, label)| Rotated {
                key: Key {
                    label: label.to_string(),
                    seq: i as u64,
                },
                path: PathBuf::new(),
                len: 1,
            })
            .collect();
        oldest_first(&mut r, "04", false, None);
        let order: Vec<u64> = r.iter().map(|r| r.key.seq).collect();
        assert_eq!(order, [2, 3, 4, 0, 1]);
        oldest_first(&mut r, "07", false, None);
        let order: Vec<u64> = r.iter().map(|r| r.key.seq).collect();
        assert_eq!(order, [2, 3, 4, 0, 1], "none after 07: kept as given");
        // By time alone a file of the active period was rotated before
        // the clock went back; the file just rotated is the newest.
        let newest = PathBuf::from("just");
        r[0].path = newest.clone();
        oldest_first(&mut r, "05", false, Some(&newest));
        let order: Vec<u64> = r.iter().map(|r| r.key.seq).collect();
        assert_eq!(order, [3, 4, 0, 1, 2]);
        // By size the number orders them, whatever their labels.
        oldest_first(&mut r, "03", true, Some(&newest));
        let order: Vec<u64> = r.iter().map(|r| r.key.seq).collect();
        assert_eq!(order, [0, 1, 3, 4, 2]);
    }

    #[test]
    fn bytes_delete_the_oldest_until_they_fit() {
        let r = files(&[50, 30, 20, 10]);
        let bytes = |b| Retention {
            keep_files: None,
            keep_total_bytes: Some(b),
        };
        assert_eq!(doomed(&r, bytes(60)), 1);
        assert_eq!(doomed(&r, bytes(30)), 2);
        assert_eq!(doomed(&r, bytes(0)), 4);
        let both = Retention {
            keep_files: Some(4),
            keep_total_bytes: Some(30),
        };
        assert_eq!(doomed(&r, both), 2);
    }
}
