//! A small tmpfs for tests of a full file system.

use std::ffi::CString;
use std::path::PathBuf;

/// A tmpfs mounted on a directory, unmounted when dropped
/// (also when the test panics). Mounting needs root: where it is refused
/// the test fails, saying so.
pub struct Tmpfs(pub PathBuf);

impl Tmpfs {
    /// Creates `dir` and mounts a tmpfs of 256 KiB there.
    pub fn mount_256k(dir: PathBuf) -> Tmpfs {
        Tmpfs::mount(dir, "size=256k")
    }

    /// Creates `dir` and mounts a tmpfs with `options` (`size=..,nr_inodes=..`) there.
    pub fn mount(dir: PathBuf, options: &str) -> Tmpfs {
        std::fs::create_dir(&dir).unwrap();
        let c = |s: &str| CString::new(s).unwrap();
        let target = c(dir.to_str().unwrap());
        let (src, opts) = (c("tmpfs"), c(options));
        // SAFETY: every pointer is a valid NUL-terminated string.
        let r = unsafe {
            libc::mount(
                src.as_ptr(),
                target.as_ptr(),
                src.as_ptr(),
                0,
                opts.as_ptr().cast(),
            )
        };
        assert_eq!(
            r,
            0,
            "this test needs to mount a tmpfs (run it as root): {}",
            std::io::Error::last_os_error()
        );
        Tmpfs(dir)
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let c = CString::new(self.0.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        unsafe { libc::umount2(c.as_ptr(), libc::MNT_DETACH) };
    }
}
