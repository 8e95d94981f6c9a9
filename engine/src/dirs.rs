//! Creating the directories a logger writes in, with the real cause when
//! that fails.
//!
//! `std::fs::create_dir_all` makes each missing directory with `mkdir`;
//! when `mkdir` says the path exists (`EEXIST`), it looks at the path, and
//! if it cannot tell it is a directory — because the look failed (`EIO`,
//! `EACCES`, `ELOOP`) or because it is not one — it returns the `mkdir`
//! error: "File exists", for a directory whose only fault is that it
//! could not be examined — or for a symbolic link to a path that does
//! not exist, at the path or above it (std goes up to make a missing
//! parent, and returns the `EEXIST` of the link it meets there).
//! [`create_dir_all`] looks again and says which, naming the entry in the
//! way when it is above the path.

use std::io;
use std::path::{Path, PathBuf};

/// `std::fs::create_dir_all(dir)`, whose `EEXIST` is replaced by what
/// stands in the way: at `dir`, or at the ancestor std found when it went
/// up to make the missing ones (then named first). It is "not a
/// directory", "a symbolic link to …, which does not exist", or the error
/// of examining it ("cannot be examined: …"); `Ok` if `dir` is a
/// directory by then.
pub fn create_dir_all(dir: &Path) -> io::Result<()> {
    let Err(e) = std::fs::create_dir_all(dir) else {
        return Ok(());
    };
    if e.kind() != io::ErrorKind::AlreadyExists {
        return Err(e);
    }
    // Without a trailing slash or `.`: "f/" is the file "f", not missing.
    let dir: PathBuf = dir.components().collect();
    for at in dir.ancestors() {
        match at.symlink_metadata() {
            Err(e) if missing(&e) => continue,
            Err(look) => return in_the_way(&dir, at, look.kind(), cannot_examine(&look)),
            Ok(_) => return examine(&dir, at),
        }
    }
    Err(e)
}

/// What stands at `at`, which exists (`dir` or an ancestor of it).
fn examine(dir: &Path, at: &Path) -> io::Result<()> {
    match std::fs::metadata(at) {
        Ok(m) if m.is_dir() && at == dir => Ok(()),
        // An ancestor is a directory, `dir` is missing: it was removed
        // since `mkdir` found it.
        Ok(m) if m.is_dir() => std::fs::create_dir_all(dir),
        Ok(_) => {
            let why = "it exists and is not a directory".to_owned();
            in_the_way(dir, at, io::ErrorKind::AlreadyExists, why)
        }
        Err(look) if look.kind() == io::ErrorKind::NotFound => match std::fs::read_link(at) {
            Ok(to) => {
                let why = format!(
                    "it is a symbolic link to {}, which does not exist",
                    to.display()
                );
                in_the_way(dir, at, look.kind(), why)
            }
            Err(_) => in_the_way(dir, at, look.kind(), cannot_examine(&look)),
        },
        Err(look) => in_the_way(dir, at, look.kind(), cannot_examine(&look)),
    }
}

/// Whether a look at a path failed for want of an entry there: none
/// (`ENOENT`), or a non-directory where a directory above it should be
/// (`ENOTDIR`).
pub(crate) fn missing(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::NotFound || e.raw_os_error() == Some(libc::ENOTDIR)
}

fn cannot_examine(look: &io::Error) -> String {
    format!("it exists but cannot be examined: {look}")
}

/// The error `why` of `kind` about `at`, named when it is not `dir`.
fn in_the_way(dir: &Path, at: &Path, kind: io::ErrorKind, why: String) -> io::Result<()> {
    match at == dir {
        true => Err(io::Error::new(kind, why)),
        false => Err(io::Error::new(kind, format!("{}: {why}", at.display()))),
    }
}

#[cfg(test)]
mod tests {
    use super::create_dir_all;

    #[test]
    fn a_file_in_the_way_is_said_to_be_no_directory() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("f");
        std::fs::write(&file, b"").unwrap();
        let e = create_dir_all(&file).unwrap_err();
        assert_eq!(e.to_string(), "it exists and is not a directory");
        assert_eq!(e.kind(), std::io::ErrorKind::AlreadyExists);
    }

    #[test]
    fn a_directory_under_a_file_names_the_file_in_the_way() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("f");
        std::fs::write(&file, b"").unwrap();
        let e = create_dir_all(&file.join("sub")).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::ENOTDIR));
    }

    /// A symbolic link to a path that does not exist, at the path or
    /// above it, is named with its target: not said to exist but be
    /// unexaminable for want of a file (the look at the path follows the
    /// link). A file named with a trailing slash is no directory.
    #[test]
    fn a_dangling_link_or_a_file_in_the_way_is_named() {
        let tmp = tempfile::tempdir().unwrap();
        let link = tmp.path().join("link");
        std::os::unix::fs::symlink("gone", &link).unwrap();
        let e = create_dir_all(&link).unwrap_err();
        assert_eq!(
            e.to_string(),
            "it is a symbolic link to gone, which does not exist"
        );
        let e = create_dir_all(&link.join("a/b")).unwrap_err();
        let named = format!(
            "{}: it is a symbolic link to gone, which does not exist",
            link.display()
        );
        assert_eq!(e.to_string(), named);
        assert_eq!(e.kind(), std::io::ErrorKind::NotFound);
        let file = tmp.path().join("f");
        std::fs::write(&file, b"").unwrap();
        let e = create_dir_all(&tmp.path().join("f/")).unwrap_err();
        assert_eq!(e.to_string(), "it exists and is not a directory");
    }

    #[test]
    fn existing_and_new_directories_are_made_or_kept() {
        let tmp = tempfile::tempdir().unwrap();
        create_dir_all(tmp.path()).unwrap();
        let deep = tmp.path().join("a/b/c");
        create_dir_all(&deep).unwrap();
        assert!(deep.is_dir());
    }
}
