//! The directory a command's log files go to (`--dir`), removed at the end
//! only as far as the command created it.
//!
//! - No `--dir`: a fresh temporary directory.
//! - `--dir X`, X an existing directory: a fresh directory inside X; X and
//!   everything already in it stay as they are (`--dir /`, `--dir ~` are
//!   harmless).
//! - `--dir X`, X missing: X is created, and is the directory.
//! - `--dir X`, X anything else: an error naming X, before any run.

use std::io;
use std::path::{Path, PathBuf};

/// A directory this process created for log files.
#[derive(Debug)]
pub struct WorkDir {
    path: PathBuf,
}

impl WorkDir {
    /// Creates the directory for `given` (`--dir`), its fresh names
    /// starting with `prefix`.
    pub fn new(given: Option<&Path>, prefix: &str) -> Result<WorkDir, String> {
        let fresh = |in_dir: Option<&Path>| {
            let mut b = tempfile::Builder::new();
            b.prefix(prefix);
            let t = match in_dir {
                Some(d) => b.tempdir_in(d),
                None => b.tempdir(),
            };
            t.map(tempfile::TempDir::keep)
        };
        let path = match given {
            None => fresh(None).map_err(|e| format!("creating a temp directory: {e}"))?,
            Some(d) => match std::fs::metadata(d) {
                Ok(m) if m.is_dir() => fresh(Some(d))
                    .map_err(|e| format!("creating a directory in {}: {e}", d.display()))?,
                Ok(_) => return Err(format!("--dir {} is not a directory", d.display())),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    std::fs::create_dir_all(d)
                        .map_err(|e| format!("creating {}: {e}", d.display()))?;
                    d.to_owned()
                }
                Err(e) => return Err(format!("--dir {}: {e}", d.display())),
            },
        };
        Ok(WorkDir { path })
    }

    /// Where the log files go.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Removes the directory and what is in it, or, with `keep`, says
    /// where it is (on stderr).
    pub fn finish(self, keep: bool) {
        if keep {
            eprintln!("kept the log files in {}", self.path.display());
            return;
        }
        match std::fs::remove_dir_all(&self.path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                eprintln!("removing {}: {e}", self.path.display())
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_existing_directory_and_its_files_outlive_the_run() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("mine.txt"), "keep me").unwrap();
        let w = WorkDir::new(Some(tmp.path()), "run-").unwrap();
        assert_eq!(w.path().parent(), Some(tmp.path()));
        std::fs::write(w.path().join("log"), "x").unwrap();
        w.finish(false);
        let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().flatten().collect();
        assert_eq!(left.len(), 1);
        assert_eq!(
            std::fs::read_to_string(tmp.path().join("mine.txt")).unwrap(),
            "keep me"
        );
    }

    #[test]
    fn a_missing_directory_is_created_and_removed_and_a_file_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path().join("new");
        let w = WorkDir::new(Some(&d), "run-").unwrap();
        assert_eq!(w.path(), d);
        w.finish(false);
        assert!(!d.exists());
        let f = tmp.path().join("file");
        std::fs::write(&f, "x").unwrap();
        assert_eq!(
            WorkDir::new(Some(&f), "run-").unwrap_err(),
            format!("--dir {} is not a directory", f.display())
        );
        assert_eq!(std::fs::read_to_string(&f).unwrap(), "x");
    }
}
