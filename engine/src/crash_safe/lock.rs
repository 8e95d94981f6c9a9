//! The directory lock: one process at a time uses a crash-safe directory.
//!
//! `flock(LOCK_EX | LOCK_NB)` on `<dir>/lock`, which holds the owner's pid
//! as text. The kernel drops the lock when the owner dies (however it
//! dies), so a dead owner never blocks the next start.
//!
//! A child forked without `exec` inherits the descriptor, and a `flock`
//! lock lasts while any descriptor of it is open: a child outliving its
//! parent (a helper process) would keep the directory locked after the
//! parent died, and the service started again could not build on it. The
//! child never uses the parent's directory (it logs through its own
//! engine), so at the fork it gives its reference up
//! ([`forget_inherited`], from the `fork` module's child handler): each
//! lock descriptor, kept in a fixed table of atomics, is made to point
//! to `/dev/null` (`dup3`, async-signal-safe), which leaves the lock the
//! parent's alone and the descriptor number valid for the inherited
//! handle that closes it later. More than [`MAX_LOCKS`] directories
//! locked at once: the others are inherited as before.

use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::os::fd::AsRawFd;
use std::path::Path;
use std::sync::atomic::{AtomicI32, Ordering};

/// Name of the lock file inside the directory.
pub(crate) const LOCK_FILE: &str = "lock";

/// Lock descriptors a forked child gives up, at most this many at once.
pub(crate) const MAX_LOCKS: usize = 64;

/// The descriptors of the locks held (-1: a free entry). An entry is
/// set before `flock` takes the lock and cleared after the lock is let go
/// and before the descriptor closes: a fork from another thread at any
/// point finds a descriptor that holds the lock in the table.
static LOCK_FDS: [AtomicI32; MAX_LOCKS] = [const { AtomicI32::new(-1) }; MAX_LOCKS];

/// A descriptor of `/dev/null` (-1 until opened), opened before the first
/// lock: the child handler needs no `open`, which could fail there
/// (`EMFILE`) and leave the child holding the lock.
static DEV_NULL: AtomicI32 = AtomicI32::new(-1);

/// A held directory lock: released when dropped.
pub(crate) struct DirLock {
    file: File,
    /// Its entry in `LOCK_FDS`, if it got one.
    entry: Option<usize>,
}

impl DirLock {
    /// `file`, listed in `LOCK_FDS` (when an entry is free), not locked yet.
    fn listed(file: File) -> DirLock {
        let fd = file.as_raw_fd();
        let entry = (0..MAX_LOCKS).find(|&i| {
            (LOCK_FDS[i].compare_exchange(-1, fd, Ordering::SeqCst, Ordering::SeqCst)).is_ok()
        });
        DirLock { file, entry }
    }
}

impl Drop for DirLock {
    fn drop(&mut self) {
        let Some(i) = self.entry else {
            // Unlisted (a full table): closed only, as a descriptor a
            // forked child inherited may be this one (unlocking it would
            // unlock the parent's lock).
            return;
        };
        let fd = self.file.as_raw_fd();
        // Only if still ours: in a forked child the entry was freed (and
        // may hold another lock since; our descriptor number, now on
        // `/dev/null`, cannot be that lock's).
        if LOCK_FDS[i].load(Ordering::SeqCst) != fd {
            return;
        }
        // Unlocked first: a fork from now on inherits no lock, whether
        // the child handler still finds the entry or not.
        // SAFETY: flock on a descriptor we own; no memory is involved.
        unsafe { libc::flock(fd, libc::LOCK_UN) };
        let _ = LOCK_FDS[i].compare_exchange(fd, -1, Ordering::SeqCst, Ordering::SeqCst);
        at(Step::Unlisted);
    }
}

/// Opens [`DEV_NULL`] if not yet (a failure: the child handler opens it).
fn open_dev_null() {
    if DEV_NULL.load(Ordering::SeqCst) >= 0 {
        return;
    }
    // SAFETY: a NUL-terminated path.
    let null = unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
    if null >= 0 && DEV_NULL.compare_exchange(-1, null, Ordering::SeqCst, Ordering::SeqCst).is_err() {
        // SAFETY: ours, unshared: another thread's stays.
        unsafe { libc::close(null) };
    }
}

/// In a forked child, right after the fork: gives up every inherited lock
/// descriptor (see the module docs). Async-signal-safe: atomics, `dup3`
/// (and `open`, `close` only if `/dev/null` could not be opened before).
pub(crate) fn forget_inherited() {
    for e in &LOCK_FDS {
        let fd = e.swap(-1, Ordering::SeqCst);
        if fd < 0 {
            continue;
        }
        // SAFETY: a NUL-terminated path; the descriptors are this
        // process's own (`fd` stays open, now on `/dev/null`; the inherited
        // `DirLock` closes it).
        unsafe {
            let null = DEV_NULL.load(Ordering::SeqCst);
            if null >= 0 {
                libc::dup3(null, fd, libc::O_CLOEXEC);
                continue;
            }
            let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC);
            if null >= 0 {
                libc::dup3(null, fd, libc::O_CLOEXEC);
                libc::close(null);
            }
        }
    }
}

/// Locks `dir`; the lock lasts as long as the returned lock lives.
/// The error names the holder's pid, and whether it is alive.
pub(crate) fn lock_dir(dir: &Path) -> Result<DirLock, String> {
    let path = dir.join(LOCK_FILE);
    let f = open_lock_file(&path)?;
    open_dev_null();
    // A fork from now on runs the child handler, which finds the
    // descriptor in the table before it holds the lock. `build` installed
    // it before opening the directory (then this is one load and cannot
    // fail); the call makes the order hold for any caller (unit tests
    // open directories without `build`).
    crate::fork::install_hook().map_err(|e| crate::error::BuildError::ForkHandler(e).to_string())?;
    let mut lock = DirLock::listed(f);
    take_lock(&lock.file).map_err(|e| match e {
        Some(e) => format!("cannot lock {}: {e}", path.display()),
        None => holder(&lock.file),
    })?;
    at(Step::Locked);
    let pid = std::process::id();
    let f = &mut lock.file;
    let written = f
        .set_len(0)
        .and_then(|_| f.seek(SeekFrom::Start(0)))
        .and_then(|_| f.write_all(format!("{pid}\n").as_bytes()));
    written.map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(lock)
}

/// Opens (creating it) the lock file at `path`, which is truncated and
/// written: only a regular file (see [`super::entry::open`]) — never
/// through a symbolic link (to a file of someone else's, which would be
/// cut and overwritten with the pid), nor a FIFO, a socket or a device
/// named `lock`, none of ours: the error names it and what it is.
fn open_lock_file(path: &Path) -> Result<File, String> {
    use super::entry::NotOpened;
    let mut opts = OpenOptions::new();
    opts.read(true).write(true).create(true).truncate(false);
    super::entry::open(path, &mut opts).map_err(|e| match e {
        NotOpened::NotRegular(what) => format!(
            "{} is {what}: not a lock file of ours; nothing was recovered: remove it and build again",
            path.display()
        ),
        NotOpened::Io(e) => format!("cannot open {}: {e}", path.display()),
    })
}

/// Times the lock is tried, a millisecond apart, while it is held but
/// the lock file names no live process (see [`take_lock`]).
const TRIES: u32 = 200;

/// Takes the lock on `f`. While it is held but the lock file names no
/// live process, tries again, [`TRIES`] times at most, a millisecond
/// apart: a holder that has just taken it writes its pid right after
/// (until then the file is empty or names the previous owner), and a
/// killed owner's lock outlives it briefly (its descriptors close after
/// the process is reaped: an io_uring worker thread of it may still be
/// exiting). `Err(None)`: held; `Err(Some(_))`: `flock` failed otherwise.
fn take_lock(f: &File) -> Result<(), Option<std::io::Error>> {
    for _ in 0..TRIES {
        // SAFETY: flock on a descriptor we own; no memory is involved.
        let r = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if r == 0 {
            return Ok(());
        }
        let e = std::io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::EWOULDBLOCK) {
            return Err(Some(e));
        }
        if holder_pid(f).is_some_and(alive) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    Err(None)
}

/// Describes who holds the lock, from the pid the lock file names.
fn holder(f: &File) -> String {
    match holder_pid(f) {
        Some(pid) if alive(pid) => {
            format!("in use by process {pid}, which is running")
        }
        Some(pid) => format!(
            "locked by a process that inherited the lock of process {pid} (no longer running)"
        ),
        None => "locked by another process (its pid is not recorded)".to_owned(),
    }
}

/// The pid of the lock's holder: as the kernel lists it (`/proc/locks`,
/// the process that took the lock), else as the lock file names it. The
/// file alone may name a process that died and whose pid another,
/// unrelated process has now, while the holder has not written its own.
fn holder_pid(f: &File) -> Option<i32> {
    kernel_holder(f).or_else(|| recorded_pid(f))
}

/// The pid `/proc/locks` gives for the `flock` lock on `f`'s file.
fn kernel_holder(f: &File) -> Option<i32> {
    use std::os::unix::fs::MetadataExt;
    let meta = f.metadata().ok()?;
    let dev = meta.dev();
    let id = format!("{:02x}:{:02x}:{}", libc::major(dev), libc::minor(dev), meta.ino());
    let locks = std::fs::read_to_string("/proc/locks").ok()?;
    // "1: FLOCK  ADVISORY  WRITE 1234 fe:00:5678 0 EOF"; a waiter's line
    // has "->" before FLOCK and is skipped.
    locks.lines().find_map(|l| {
        let w: Vec<&str> = l.split_whitespace().collect();
        (w.get(1) == Some(&"FLOCK") && w.get(5) == Some(&id.as_str()))
            .then(|| w.get(4)?.parse().ok())
            .flatten()
            // 0: a holder in another pid namespace.
            .filter(|&pid: &i32| pid > 0)
    })
}

/// The pid the lock file names, if any.
fn recorded_pid(f: &File) -> Option<i32> {
    use std::os::unix::fs::FileExt;
    let mut b = [0u8; 64];
    let n = f.read_at(&mut b, 0).ok()?;
    let pid = std::str::from_utf8(&b[..n]).ok()?.trim().parse::<i32>().ok()?;
    (pid > 0).then_some(pid)
}

/// Whether a process with this pid exists.
pub(crate) fn alive(pid: i32) -> bool {
    // SAFETY: signal 0 only checks that the process exists.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Points of [`lock_dir`] and [`DirLock`]'s drop where a test forks.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Step {
    /// Right after `flock` took the lock.
    Locked,
    /// In the drop, right after the table's entry is cleared.
    Unlisted,
}

/// A test hook: what to run at which step.
#[cfg(test)]
type Hook = (Step, Box<dyn FnOnce()>);

#[cfg(test)]
std::thread_local! {
    /// This thread's test hook: runs once, at its step.
    static HOOK: std::cell::Cell<Option<Hook>> =
        const { std::cell::Cell::new(None) };
}

/// Runs this thread's test hook if it waits for `step`.
#[cfg(test)]
fn at(step: Step) {
    let hook = HOOK.with(|h| match h.take() {
        Some((s, f)) if s == step => Some(f),
        other => {
            h.set(other);
            None
        }
    });
    if let Some(f) = hook {
        f();
    }
}

/// Test hooks only.
#[cfg(not(test))]
#[inline(always)]
fn at(_: Step) {}

#[cfg(test)]
mod tests {
    use super::*;

    /// A child forked by [`fork_at`]: it keeps every descriptor it
    /// inherited until this drops; then it is killed and reaped.
    struct Child(libc::pid_t);

    impl Drop for Child {
        fn drop(&mut self) {
            // SAFETY: killing and waiting for our own child.
            unsafe {
                libc::kill(self.0, libc::SIGKILL);
                libc::waitpid(self.0, std::ptr::null_mut(), 0);
            }
        }
    }

    /// Forks (as another thread of an application might) when this
    /// thread reaches `step`; the child only waits, holding what it
    /// inherited, until the returned `Child` drops. (Killed, not told
    /// through a pipe: a child of a test running alongside may hold the
    /// pipe's other end.)
    fn fork_at(step: Step) -> std::rc::Rc<std::cell::Cell<Option<Child>>> {
        let out = std::rc::Rc::new(std::cell::Cell::new(None));
        let o = out.clone();
        let f = move || {
            // SAFETY: the child calls only async-signal-safe functions.
            let pid = unsafe { libc::fork() };
            if pid == 0 {
                loop {
                    // SAFETY: waits for a signal; SIGKILL ends it.
                    unsafe { libc::pause() };
                }
            }
            assert!(pid > 0);
            o.set(Some(Child(pid)));
        };
        HOOK.with(|h| h.set(Some((step, Box::new(f)))));
        out
    }

    /// A fork from another thread between `flock` and the table entry
    /// must not leave the child holding the lock after the parent let
    /// it go.
    #[test]
    fn a_fork_right_after_flock_leaves_the_child_without_the_lock() {
        let tmp = tempfile::tempdir().unwrap();
        let child = fork_at(Step::Locked);
        let lock = lock_dir(tmp.path()).unwrap();
        let child = child.take().expect("forked at the lock");
        drop(lock);
        let again = lock_dir(tmp.path()).map(|_| ());
        drop(child);
        assert_eq!(again, Ok(()));
    }

    /// A `lock` that is a symbolic link (to a file of someone else's),
    /// a FIFO or a socket is not the lock file: never written through
    /// (the file it points to is not cut, nor given the pid); locking
    /// fails naming it and what it is. (A socket failed "cannot open …:
    /// No such device or address", saying neither.)
    #[test]
    fn a_lock_that_is_not_a_regular_file_is_not_written_through() {
        use std::os::unix::ffi::OsStrExt;
        let tmp = tempfile::tempdir().unwrap();
        let victim = tmp.path().join("victim");
        std::fs::write(&victim, "precious\n").unwrap();
        let dir = tmp.path().join("cs");
        std::fs::create_dir(&dir).unwrap();
        let path = dir.join(LOCK_FILE);
        let want = |what: &str| {
            Err(format!(
                "{} is {what}, not a regular file: not a lock file of ours; nothing was \
                 recovered: remove it and build again",
                path.display()
            ))
        };
        std::os::unix::fs::symlink(&victim, &path).unwrap();
        assert_eq!(lock_dir(&dir).map(|_| ()), want("a symbolic link"));
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
        std::fs::remove_file(&path).unwrap();
        let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        assert_eq!(lock_dir(&dir).map(|_| ()), want("a FIFO"));
        std::fs::remove_file(&path).unwrap();
        let _socket = std::os::unix::net::UnixListener::bind(&path).unwrap();
        assert_eq!(lock_dir(&dir).map(|_| ()), want("a socket"));
    }

    /// The same for a fork in the drop between the table entry's clearing
    /// and the close.
    #[test]
    fn a_fork_in_the_unlock_leaves_the_child_without_the_lock() {
        let tmp = tempfile::tempdir().unwrap();
        let lock = lock_dir(tmp.path()).unwrap();
        let child = fork_at(Step::Unlisted);
        drop(lock);
        let child = child.take().expect("forked at the unlock");
        let again = lock_dir(tmp.path()).map(|_| ());
        drop(child);
        assert_eq!(again, Ok(()));
    }
}
