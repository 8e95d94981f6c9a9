//! Pseudo-terminals for console tests: a raw pair (no newline translation,
//! so the bytes read from the master are exactly the bytes written to the
//! slave) and a reader that drains the master until every slave is closed.

use std::io::Read;
use std::os::fd::{FromRawFd, OwnedFd};

/// A new pseudo-terminal in raw mode: `(master, slave)`.
pub fn raw_pty() -> (OwnedFd, OwnedFd) {
    let (mut master, mut slave) = (-1, -1);
    // SAFETY: openpty writes two descriptors into the integers given; the
    // name, termios and winsize pointers may be null.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: openpty succeeded, so both are open descriptors we now own.
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    // SAFETY: a zeroed termios is a valid value; tcgetattr fills it in and
    // tcsetattr reads it, both on the open slave.
    unsafe {
        let mut t: libc::termios = std::mem::zeroed();
        assert_eq!(libc::tcgetattr(raw(&slave), &mut t), 0, "tcgetattr");
        libc::cfmakeraw(&mut t);
        assert_eq!(
            libc::tcsetattr(raw(&slave), libc::TCSANOW, &t),
            0,
            "tcsetattr"
        );
    }
    (master, slave)
}

fn raw(fd: &OwnedFd) -> i32 {
    use std::os::fd::AsRawFd;
    fd.as_raw_fd()
}

/// Everything written to the terminal, read from `master` on a thread
/// until every slave descriptor is closed (Linux then answers `EIO`).
pub fn drain(master: OwnedFd) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut f = std::fs::File::from(master);
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            match f.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(e) if e.raw_os_error() == Some(libc::EIO) => break,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => panic!("reading the terminal: {e}"),
            }
        }
        out
    })
}
