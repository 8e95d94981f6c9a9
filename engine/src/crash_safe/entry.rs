//! What an entry of the crash-safe directory is, and opening one by its
//! fixed name (`state`, `lock`, a ring file) only when it is a regular
//! file.
//!
//! The directory is untrusted: any name in it may be a FIFO (whose open
//! for reading waits for a writer), a socket (whose open fails with
//! `ENXIO`), a device (whose open may act, whose read may never end), a
//! directory, or a symbolic link to a file elsewhere. [`open`] looks at
//! the entry first (`lstat`, no link followed) and opens only a regular
//! file, without waiting (`O_NONBLOCK`), without following a link
//! (`O_NOFOLLOW`) and without taking a terminal (`O_NOCTTY`); then it
//! checks the descriptor opened, so an entry swapped between the look and
//! the open is judged as the one file read or written.

use std::fs::{File, FileType, OpenOptions};
use std::io;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

/// What an entry that is not a regular file is, in words ("a FIFO, not a
/// regular file"); `None` for a regular file.
pub(crate) fn not_regular(t: FileType) -> Option<&'static str> {
    Some(match t {
        t if t.is_file() => return None,
        t if t.is_dir() => "a directory",
        t if t.is_symlink() => "a symbolic link, not a regular file",
        t if t.is_fifo() => "a FIFO, not a regular file",
        t if t.is_socket() => "a socket, not a regular file",
        t if t.is_char_device() => "a character device, not a regular file",
        t if t.is_block_device() => "a block device, not a regular file",
        _ => "not a regular file",
    })
}

/// What the entry at `path` is when it is there and not a regular file
/// (see [`not_regular`]); `None` when it is a regular file or missing.
pub(crate) fn in_the_way(path: &Path) -> Option<&'static str> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    not_regular(meta.file_type())
}

/// Why [`open`] did not open an entry.
#[derive(Debug)]
pub(crate) enum NotOpened {
    /// The entry is not a regular file: what it is, in words.
    NotRegular(&'static str),
    /// The open failed (`NotFound` for a missing entry without `create`).
    Io(io::Error),
}

/// Opens `path` with `opts` (its `custom_flags` are replaced) when it is
/// a regular file or missing (then `opts` may create it): see the module
/// docs. Nothing that is not a regular file is opened, but for an entry
/// swapped in between the look and the open — and that one is never
/// read or written.
pub(crate) fn open(path: &Path, opts: &mut OpenOptions) -> Result<File, NotOpened> {
    if let Some(what) = in_the_way(path) {
        return Err(NotOpened::NotRegular(what));
    }
    let f = opts
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_NOFOLLOW)
        .open(path)
        .map_err(|e| match e.raw_os_error() {
            // A symbolic link put there since the look, refused by `O_NOFOLLOW`.
            Some(libc::ELOOP) => NotOpened::NotRegular("a symbolic link, not a regular file"),
            _ => NotOpened::Io(e),
        })?;
    let meta = f.metadata().map_err(NotOpened::Io)?;
    match not_regular(meta.file_type()) {
        Some(what) => Err(NotOpened::NotRegular(what)),
        None => Ok(f),
    }
}
