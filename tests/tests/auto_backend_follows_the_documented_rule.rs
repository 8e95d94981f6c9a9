//! `Backend::Auto` on this machine: io_uring with `Durability::Data` and
//! for `O_DIRECT` with batches of 256 KiB or more; buffered writes go to
//! pwrite on 2 CPUs or fewer, to io_uring above.

use uringlog::{Backend, BackendKind, Durability, Logger, MemorySink};
use uringlog_sinks::FileSink;

#[test]
fn auto_backend_follows_the_documented_rule() {
    if !uringlog_tests::io_uring_available("auto_backend_follows_the_documented_rule") {
        return;
    }
    let cpus = std::thread::available_parallelism().unwrap().get();
    let (sink, _) = MemorySink::new();
    let (logger, _guard) = Logger::builder()
        .sink(sink)
        .backend(Backend::Auto)
        .durability(Durability::Data)
        .build()
        .unwrap();
    let info = logger.io_backend();
    assert_eq!(info.kind, BackendKind::IoUring, "{info}");
    assert!(info.reason.starts_with(
        "Durability::Data: fdatasync runs in the kernel while the writer keeps draining"
    ));

    let (sink, _) = MemorySink::new();
    let (logger, _guard) = Logger::builder().sink(sink).build().unwrap();
    let info = logger.io_backend();
    if cpus <= 2 {
        assert_eq!(
            info.to_string(),
            format!(
                "pwrite: buffered writes on {cpus} CPU{}: io_uring measures no faster than pwrite and costs more CPU in total",
                if cpus == 1 { "" } else { "s" }
            )
        );
    } else {
        assert_eq!(info.kind, BackendKind::IoUring, "{info}");
    }

    let dir = tempfile::tempdir().unwrap();
    let test = "auto_backend_follows_the_documented_rule (O_DIRECT)";
    if !uringlog_tests::o_direct_available(test, dir.path()) {
        return;
    }
    let sink = FileSink::new_o_direct(dir.path().join("d.log")).unwrap();
    let (logger, _guard) = Logger::builder().sink(sink).build().unwrap();
    let info = logger.io_backend();
    assert_eq!(info.kind, BackendKind::IoUring, "{info}");
    assert!(info.reason.starts_with(
        "O_DIRECT sink with 256 KiB batches: the writer thread does not wait for the disk"
    ));
    let sink = FileSink::new_o_direct(dir.path().join("small.log")).unwrap();
    let (logger, _guard) = Logger::builder()
        .sink(sink)
        .batch_bytes(64 * 1024)
        .build()
        .unwrap();
    let info = logger.io_backend();
    if cpus <= 2 {
        assert_eq!(
            info.to_string(),
            "pwrite: O_DIRECT sink with 64 KiB batches: io_uring measures no faster than pwrite below 256 KiB"
        );
    }
}
