//! The sink's sockets, which a forked child closes at the fork.
//!
//! A child created by `fork(2)` inherits every descriptor, so without more
//! the child would hold the parent's connection open: the receiver would
//! see it end only once the child exited too. Every socket the sink opens
//! is therefore listed here, and a `pthread_atfork` child handler closes
//! the child's copies — `close(2)` only, never `shutdown(2)`, which would
//! end the connection for the parent as well. A child's own sink opens its
//! own sockets (see `SyslogSink::for_fork_child`).
//!
//! The list is guarded by a lock (the engine's `ForkLock`) that the prepare
//! handler takes before the fork and the parent and child handlers release
//! after it, and that is held across opening a socket and listing it, and
//! across unlisting a socket and closing it: at the fork every socket of
//! the sink is listed, and every listed descriptor is one of its sockets.
//! A [`Listed`] socket that a child inherited is never closed through it
//! there (it was closed at the fork, and its number may be another file's
//! since).

use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::atomic::{AtomicU64, Ordering};
use uringlog::__private::{
    register_fork_handler, ForkLock, FORK_HANDLER_HOOKED, FORK_HANDLER_UNHOOKED,
};

/// The sockets open in this process: an id per socket and its descriptor.
/// Held across the fork by the fork handlers (see the module docs).
static REGISTRY: ForkLock<Vec<(u64, RawFd)>> = ForkLock::new(Vec::new());
/// Ids of listed sockets (a child goes on from its parent's count).
static NEXT_ID: AtomicU64 = AtomicU64::new(0);
/// Whether the fork handlers are installed (see [`hook_in`]). Not a
/// `OnceLock`: a child forked while a thread of the parent was installing
/// them would find it taken for good, and its first socket would wait for
/// ever.
static HOOKED: HookState = AtomicU64::new(FORK_HANDLER_UNHOOKED);

extern "C" fn before_fork() {
    REGISTRY.hold_across_fork();
}

extern "C" fn after_fork_in_parent() {
    // SAFETY: `before_fork` took it in this thread, the one that forked.
    drop(unsafe { REGISTRY.adopt() });
}

/// In the child, its one thread holding the lock (taken by
/// `before_fork`): closes the inherited sockets. Async-signal-safe:
/// `close(2)` and a `Vec::clear`, which frees nothing.
extern "C" fn after_fork_in_child() {
    // Registered, since this runs (see `hook_in`). Relaxed: the only
    // thread of the child is this one.
    HOOKED.store(FORK_HANDLER_HOOKED, Ordering::Relaxed);
    // SAFETY: `before_fork` took it in the thread that forked, which is
    // this process's only thread; nothing else touches the list.
    let mut open = unsafe { REGISTRY.adopt() };
    for &(_, fd) in open.iter() {
        // SAFETY: `fd` is a listed socket, open in the parent at the fork,
        // so this process's copy is open and no one else's.
        unsafe { libc::close(fd) };
    }
    open.clear();
}

/// Installs the fork handlers, once per process.
fn hook() -> io::Result<()> {
    hook_in(&HOOKED, || {
        // SAFETY: the handlers are `extern "C"` functions that live for
        // the whole process.
        unsafe {
            libc::pthread_atfork(
                Some(before_fork),
                Some(after_fork_in_parent),
                Some(after_fork_in_child),
            )
        }
    })
}

/// Whether the fork handlers are installed (see `register_fork_handler`).
type HookState = AtomicU64;

/// Registers with `register` (0 or an errno) once per `state`, waiting
/// while a thread of this process registers; a registration that a
/// thread of the parent was making at the fork is no one's in a child,
/// which registers itself. A failure is returned, and tried again next.
fn hook_in(state: &HookState, register: impl FnMut() -> i32) -> io::Result<()> {
    register_fork_handler(state, register).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("cannot register the fork handler: pthread_atfork failed: {e}"),
        )
    })
}

/// A socket of the sink, listed for closing in forked children.
#[derive(Debug)]
pub(crate) struct Listed<S: AsRawFd> {
    id: u64,
    /// `None` only while being dropped.
    socket: Option<S>,
}

impl<S: AsRawFd> Listed<S> {
    /// Opens a socket with `open` and lists it, with no fork in between.
    pub(crate) fn open(open: impl FnOnce() -> io::Result<S>) -> io::Result<Listed<S>> {
        hook()?;
        REGISTRY.with(|list| {
            let socket = open()?;
            let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
            list.push((id, socket.as_raw_fd()));
            Ok(Listed {
                id,
                socket: Some(socket),
            })
        })
    }
}

impl<S: AsRawFd> std::ops::Deref for Listed<S> {
    type Target = S;

    fn deref(&self) -> &S {
        self.socket.as_ref().expect("present until dropped")
    }
}

impl<S: AsRawFd> std::ops::DerefMut for Listed<S> {
    fn deref_mut(&mut self) -> &mut S {
        self.socket.as_mut().expect("present until dropped")
    }
}

impl<S: AsRawFd> Drop for Listed<S> {
    /// Unlists and closes the socket, with no fork in between; in a child
    /// that inherited it, leaves the descriptor alone (closed at the fork).
    fn drop(&mut self) {
        let Some(socket) = self.socket.take() else {
            return;
        };
        REGISTRY.with(
            |list| match list.iter().position(|&(id, _)| id == self.id) {
                Some(i) => {
                    list.swap_remove(i);
                    drop(socket);
                }
                None => std::mem::forget(socket),
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{TcpListener, TcpStream};

    /// A child forked while another thread of the parent registers the
    /// fork handlers (here: the registering thread itself forks, in the
    /// middle of it) registers its own and opens sockets: its first
    /// socket does not wait for a registration no thread of it is making.
    #[test]
    fn a_child_forked_while_the_handlers_are_registered_can_register() {
        let state = HookState::new(FORK_HANDLER_UNHOOKED);
        let registered = hook_in(&state, || {
            // SAFETY: the child only registers (atomics, a few system
            // calls) and calls _exit.
            let child = unsafe { libc::fork() };
            assert!(child >= 0, "fork: {}", io::Error::last_os_error());
            if child == 0 {
                let again = std::panic::catch_unwind(|| hook_in(&state, || 0).is_ok());
                let code = if matches!(again, Ok(true)) { 0 } else { 2 };
                // SAFETY: ends the child without running the parent's
                // destructors.
                unsafe { libc::_exit(code) };
            }
            assert_eq!(exit_code(child), Some(0), "the child registered");
            0
        });
        assert!(registered.is_ok());
    }

    /// The exit code of `child`, or None when it did not exit within a
    /// bound for a broken run (it is killed then).
    fn exit_code(child: libc::pid_t) -> Option<i32> {
        let mut status = 0;
        for _ in 0..2_000 {
            // SAFETY: `status` is a valid out-pointer; `child` is ours.
            match unsafe { libc::waitpid(child, &mut status, libc::WNOHANG) } {
                0 => std::thread::sleep(std::time::Duration::from_millis(10)),
                pid if pid == child && libc::WIFEXITED(status) => {
                    return Some(libc::WEXITSTATUS(status))
                }
                _ => return None,
            }
        }
        // SAFETY: `child` is our child, still running; reaped below.
        unsafe { libc::kill(child, libc::SIGKILL) };
        // SAFETY: as above.
        unsafe { libc::waitpid(child, &mut status, 0) };
        None
    }

    fn listed(id: u64) -> bool {
        REGISTRY.with(|list| list.iter().any(|&(i, _)| i == id))
    }

    #[test]
    fn a_socket_is_listed_while_open() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let s = Listed::open(|| TcpStream::connect(addr)).unwrap();
        let (id, fd) = (s.id, s.as_raw_fd());
        assert!(REGISTRY.with(|list| list.contains(&(id, fd))));
        drop(s);
        assert!(!listed(id));
    }

    /// The child's copy is closed at the fork; the parent's connection
    /// goes on (no `shutdown`), and ends when the parent closes it.
    #[test]
    fn a_forked_child_closes_its_copy_and_the_parent_keeps_its_own() {
        use std::io::{Read, Write};
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let mut s = Listed::open(|| TcpStream::connect(addr)).unwrap();
        let (mut peer, _) = l.accept().unwrap();
        // A bound for a broken run, never a measurement.
        let guard = std::time::Duration::from_secs(30);
        peer.set_read_timeout(Some(guard)).unwrap();
        let fd = s.as_raw_fd();
        // SAFETY: the child only calls fcntl and _exit.
        let child = unsafe { libc::fork() };
        assert!(child >= 0, "fork: {}", io::Error::last_os_error());
        if child == 0 {
            // SAFETY: F_GETFD has no side effect; _exit ends the child
            // without running the parent's destructors.
            unsafe {
                let open = libc::fcntl(fd, libc::F_GETFD) != -1;
                libc::_exit(if open { 1 } else { 0 });
            }
        }
        let mut status = 0;
        // SAFETY: `status` is a valid out-pointer; `child` is our child.
        assert_eq!(unsafe { libc::waitpid(child, &mut status, 0) }, child);
        assert!(libc::WIFEXITED(status), "status {status:#x}");
        assert_eq!(libc::WEXITSTATUS(status), 0, "the child's copy was open");
        s.write_all(b"after the fork").unwrap();
        drop(s);
        let mut got = Vec::new();
        peer.read_to_end(&mut got).unwrap();
        assert_eq!(got, b"after the fork");
    }
}
