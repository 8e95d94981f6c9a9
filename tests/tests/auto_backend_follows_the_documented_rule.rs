//! `Backend::Auto` on this machine: io_uring with `Durability::Data`;
//! buffered writes go to pwrite on 2 CPUs or fewer, to io_uring above.

use uringlog::{Backend, BackendKind, Durability, Logger, MemorySink};

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
}
