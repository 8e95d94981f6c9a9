//! Two loggers (as two processes would) append to the same path at once:
//! the file holds every line of both, each whole, each logger's in order —
//! none overwrites the other. Every pairing of the two backends.

use uringlog::{Backend, Logger};
use uringlog_sinks::FileSink;
use uringlog_tests::SHUTDOWN;

const LINES: u64 = 20_000;

fn scenario(a: Backend, b: Backend) {
    let (_dir, path) = uringlog_tests::temp_log("shared.log");
    let loggers: Vec<_> = [a, b]
        .into_iter()
        .map(|backend| {
            Logger::builder()
                .sink(FileSink::new(&path).unwrap())
                .backend(backend)
                .batch_bytes(4096)
                .build()
                .unwrap()
        })
        .collect();
    std::thread::scope(|s| {
        for (t, (logger, _)) in loggers.iter().enumerate() {
            s.spawn(move || {
                for i in 0..LINES {
                    uringlog::info!(logger, "t={t} seq={i} {}", "x".repeat((i % 50) as usize));
                }
            });
        }
    });
    for (logger, guard) in loggers {
        drop(logger);
        let s = guard.shutdown(SHUTDOWN).unwrap();
        assert_eq!((s.written, s.dropped), (LINES, 0), "{a:?} + {b:?}");
    }

    let lines = uringlog_tests::read_lines(&path);
    assert_eq!(lines.len() as u64, 2 * LINES, "{a:?} + {b:?}");
    for l in &lines {
        let i = uringlog_tests::field(l, "seq=").expect("a whole line");
        assert!(
            l.ends_with(&format!("seq={i} {}", "x".repeat((i % 50) as usize))),
            "{a:?} + {b:?}: torn line {l:?}"
        );
    }
    let seqs = uringlog_tests::sequences(&lines);
    for t in 0..2 {
        assert_eq!(
            seqs[&t],
            (0..LINES).collect::<Vec<_>>(),
            "{a:?} + {b:?}: t={t}"
        );
    }
}

#[test]
fn two_loggers_on_one_file_keep_every_line_whole() {
    let test = "two_loggers_on_one_file_keep_every_line_whole (io_uring)";
    let uring = uringlog_tests::io_uring_available(test);
    for (a, b) in [
        (Backend::Pwrite, Backend::Pwrite),
        (Backend::Pwrite, Backend::IoUring),
        (Backend::IoUring, Backend::IoUring),
    ] {
        if uring || (a, b) == (Backend::Pwrite, Backend::Pwrite) {
            scenario(a, b);
        }
    }
}
