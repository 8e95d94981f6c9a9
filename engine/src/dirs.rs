//! Creating the directories a logger writes in, with the real cause when
//! that fails.
//!
//! `std::fs::create_dir_all` makes each missing directory with `mkdir`;
//! when `mkdir` says the path exists (`EEXIST`), it looks at the path, and
//! if it cannot tell it is a directory — because the look failed (`EIO`,
//! `EACCES`, `ELOOP`) or because it is not one — it returns the `mkdir`
//! error: "File exists", for a directory whose only fault is that it
//! could not be examined. [`create_dir_all`] looks again and says which.

use std::io;
use std::path::Path;

/// `std::fs::create_dir_all(dir)`, whose `EEXIST` is replaced by what
/// stands at `dir`: the error of examining it ("cannot examine it: …"),
/// or "it exists and is not a directory"; `Ok` if it is one by then.
pub fn create_dir_all(dir: &Path) -> io::Result<()> {
    let Err(e) = std::fs::create_dir_all(dir) else {
        return Ok(());
    };
    if e.kind() != io::ErrorKind::AlreadyExists {
        return Err(e);
    }
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            "it exists and is not a directory",
        )),
        Err(look) => Err(io::Error::new(
            look.kind(),
            format!("it exists but cannot be examined: {look}"),
        )),
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

    #[test]
    fn existing_and_new_directories_are_made_or_kept() {
        let tmp = tempfile::tempdir().unwrap();
        create_dir_all(tmp.path()).unwrap();
        let deep = tmp.path().join("a/b/c");
        create_dir_all(&deep).unwrap();
        assert!(deep.is_dir());
    }
}
