//! A full file system: failed batches are counted in `errors` and their
//! records in `dropped`, the writer keeps serving, and writing resumes once
//! space returns; buffered and `O_DIRECT`. Runs on a small tmpfs when this process may mount one,
//! else with `RLIMIT_FSIZE` standing in for the size limit (`EFBIG`).

use std::ffi::CString;
use std::path::{Path, PathBuf};
use std::time::Duration;
use uringlog::{Backend, FlushError, Logger};
use uringlog_sinks::FileSink;
use uringlog_tests::set_fsize;

/// Where space runs out, and how to give it back.
enum Limit {
    Tmpfs { dir: PathBuf, filler: PathBuf },
    Fsize,
}

impl Limit {
    fn set_up(base: &Path) -> Limit {
        let dir = base.join("small");
        std::fs::create_dir(&dir).unwrap();
        let c = |p: &Path| CString::new(p.to_str().unwrap()).unwrap();
        let (src, ty, opts) = (
            c(Path::new("tmpfs")),
            c(Path::new("tmpfs")),
            c(Path::new("size=1m")),
        );
        // SAFETY: every pointer is a valid NUL-terminated string.
        let r = unsafe {
            libc::mount(
                src.as_ptr(),
                c(&dir).as_ptr(),
                ty.as_ptr(),
                0,
                opts.as_ptr().cast(),
            )
        };
        if r == 0 {
            // Leave ~200 KiB free.
            let filler = dir.join("filler");
            std::fs::write(&filler, vec![0u8; 1024 * 1024 - 200 * 1024]).unwrap();
            return Limit::Tmpfs { dir, filler };
        }
        eprintln!(
            "tmpfs mount refused ({}); using RLIMIT_FSIZE",
            std::io::Error::last_os_error()
        );
        // SAFETY: ignoring SIGXFSZ so a write past the limit fails with EFBIG.
        unsafe { libc::signal(libc::SIGXFSZ, libc::SIG_IGN) };
        set_fsize(200 * 1024);
        Limit::Fsize
    }

    fn log_dir(&self, base: &Path) -> PathBuf {
        match self {
            Limit::Tmpfs { dir, .. } => dir.clone(),
            Limit::Fsize => base.to_path_buf(),
        }
    }

    fn give_space_back(&self) {
        match self {
            Limit::Tmpfs { filler, .. } => std::fs::remove_file(filler).unwrap(),
            Limit::Fsize => set_fsize(libc::RLIM_INFINITY),
        }
    }
}

impl Drop for Limit {
    fn drop(&mut self) {
        match self {
            Limit::Tmpfs { dir, .. } => {
                let c = CString::new(dir.to_str().unwrap()).unwrap();
                // SAFETY: a valid NUL-terminated path.
                unsafe { libc::umount2(c.as_ptr(), libc::MNT_DETACH) };
            }
            Limit::Fsize => set_fsize(libc::RLIM_INFINITY),
        }
    }
}

fn scenario(backend: Backend, direct: bool, base: &Path) {
    let limit = Limit::set_up(base);
    let path = limit.log_dir(base).join("app.log");
    let sink = if direct {
        let test = "disk_full_counts_errors_and_resumes (O_DIRECT)";
        if !uringlog_tests::o_direct_available(test, &limit.log_dir(base)) {
            return;
        }
        FileSink::new_o_direct(&path).unwrap()
    } else {
        FileSink::new(&path).unwrap()
    };
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .backend(backend)
        .io_depth(4)
        .batch_bytes(16 * 1024)
        .build()
        .unwrap();
    // ~400 KiB of records: more than the space left.
    for i in 0..4000u64 {
        uringlog::info!(logger, "before seq={i} {}", "z".repeat(64));
    }
    let err = logger.flush().unwrap_err();
    assert!(matches!(err, FlushError::Io { .. }), "{err}");
    let s = logger.stats();
    assert!(s.errors > 0 && s.dropped > 0, "{s:?}");
    assert_eq!(s.written + s.dropped, 4000, "{s:?}");

    limit.give_space_back();
    for i in 0..1000u64 {
        uringlog::info!(logger, "after seq={i}");
    }
    logger.flush().unwrap();
    let end = guard.shutdown(Duration::from_secs(10)).unwrap();
    assert_eq!(end.written + end.dropped, end.enqueued);
    assert_eq!(end.enqueued, 5000);
    assert_eq!(end.written, s.written + 1000, "{end:?}");

    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines.len() as u64,
        end.written,
        "every line counted written is in the file"
    );
    assert!(lines
        .iter()
        .all(|l| l.ends_with(&"z".repeat(64)) || l.contains(" after seq=")));
    let after: Vec<u64> = lines
        .iter()
        .filter(|l| l.contains(" after seq="))
        .map(|l| uringlog_tests::field(l, "seq=").unwrap())
        .collect();
    assert_eq!(after, (0..1000).collect::<Vec<_>>());
}

#[test]
fn disk_full_counts_errors_and_resumes() {
    let uring =
        uringlog_tests::io_uring_available("disk_full_counts_errors_and_resumes (io_uring)");
    for backend in [Backend::Pwrite, Backend::IoUring] {
        for direct in [false, true] {
            if backend == Backend::IoUring && !uring {
                continue;
            }
            let base = tempfile::tempdir().unwrap();
            scenario(backend, direct, base.path());
        }
    }
}
