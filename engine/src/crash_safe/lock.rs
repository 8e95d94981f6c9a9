//! The directory lock: one process at a time uses a crash-safe directory.
//!
//! `flock(LOCK_EX | LOCK_NB)` on `<dir>/lock`, which holds the owner's pid
//! as text. The kernel drops the lock when the owner dies (however it
//! dies), so a dead owner never blocks the next start. A child forked
//! without `exec` inherits the descriptor and with it the lock.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::fd::AsRawFd;
use std::path::Path;

/// Name of the lock file inside the directory.
pub(crate) const LOCK_FILE: &str = "lock";

/// Locks `dir`; the lock lasts as long as the returned file is open.
/// The error names the holder's pid, and whether it is alive.
pub(crate) fn lock_dir(dir: &Path) -> Result<File, String> {
    let path = dir.join(LOCK_FILE);
    let mut f = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    // SAFETY: flock on a descriptor we own; no memory is involved.
    let r = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if r != 0 {
        let e = std::io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::EWOULDBLOCK) {
            return Err(format!("cannot lock {}: {e}", path.display()));
        }
        return Err(holder(&mut f));
    }
    let pid = std::process::id();
    let written = f
        .set_len(0)
        .and_then(|_| f.seek(SeekFrom::Start(0)))
        .and_then(|_| f.write_all(format!("{pid}\n").as_bytes()));
    written.map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(f)
}

/// Describes who holds the lock, from the pid the lock file names.
fn holder(f: &mut File) -> String {
    let mut s = String::new();
    let _ = f.take(64).read_to_string(&mut s);
    match s.trim().parse::<i32>() {
        Ok(pid) if pid > 0 && alive(pid) => {
            format!("in use by process {pid}, which is running")
        }
        Ok(pid) if pid > 0 => format!(
            "locked by a process that inherited the lock of process {pid} (no longer running)"
        ),
        _ => "locked by another process (its pid is not recorded)".to_owned(),
    }
}

/// Whether a process with this pid exists.
pub(crate) fn alive(pid: i32) -> bool {
    // SAFETY: signal 0 only checks that the process exists.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}
