//! Rename-style rotation: the file is renamed away, then `reopen()`. The
//! lines logged before the call are all in the renamed file, the lines
//! logged after it in a new file at the path — with io_uring, pwrite,
//! `O_DIRECT` and in sync mode.

use std::path::Path;
use uringlog::{Backend, Logger, Mode};
use uringlog_sinks::FileSink;
use uringlog_tests::SHUTDOWN;

#[derive(Debug, Clone, Copy)]
enum Case {
    Async(Backend),
    ODirect(Backend),
    Sync,
}

fn seqs(path: &Path, tag: &str) -> Vec<u64> {
    uringlog_tests::read_lines(path)
        .iter()
        .map(|l| {
            assert!(l.contains(tag), "{}: {l}", path.display());
            uringlog_tests::field(l, "seq=").unwrap()
        })
        .collect()
}

fn scenario(case: Case) {
    let (_dir, path) = uringlog_tests::temp_log("app.log");
    let sink = match case {
        Case::ODirect(_) => FileSink::new_o_direct(&path).unwrap(),
        _ => FileSink::new(&path).unwrap(),
    };
    let b = Logger::builder().sink(sink).batch_bytes(4096);
    let b = match case {
        Case::Async(backend) | Case::ODirect(backend) => b.backend(backend),
        Case::Sync => b.mode(Mode::Sync),
    };
    let (logger, guard) = b.build().unwrap();
    for i in 0..500 {
        uringlog::info!(logger, "before seq={i}");
    }
    let rotated = path.with_extension("log.1");
    std::fs::rename(&path, &rotated).unwrap();
    logger.reopen().unwrap();
    for i in 0..500 {
        uringlog::info!(logger, "after seq={i}");
    }
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((s.written, s.dropped, s.errors), (1000, 0, 0), "{case:?}");
    let all: Vec<u64> = (0..500).collect();
    assert_eq!(
        seqs(&rotated, " before seq="),
        all,
        "{case:?}: the renamed file"
    );
    assert_eq!(seqs(&path, " after seq="), all, "{case:?}: the new file");
    assert!(!std::fs::read(&rotated).unwrap().contains(&0), "{case:?}");
}

#[test]
fn rename_then_reopen_moves_later_lines_to_the_new_file() {
    let test = "rename_then_reopen_moves_later_lines_to_the_new_file";
    let uring = uringlog_tests::io_uring_available(test);
    let dir = tempfile::tempdir().unwrap();
    let o_direct = uringlog_tests::o_direct_available(test, dir.path());
    scenario(Case::Sync);
    for backend in [Backend::Pwrite, Backend::IoUring] {
        if backend == Backend::IoUring && !uring {
            continue;
        }
        scenario(Case::Async(backend));
        if o_direct {
            scenario(Case::ODirect(backend));
        }
    }
}
