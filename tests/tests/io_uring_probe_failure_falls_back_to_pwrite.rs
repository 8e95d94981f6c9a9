//! Backend choice: a failed io_uring probe makes `Auto` fall back to pwrite
//! with the reason, a forced `IoUring` fail to build with it, and
//! `URINGLOG_BACKEND` override the builder.

use std::time::Duration;
use uringlog::{Backend, BackendKind, BuildError, Logger, MemorySink};

const SIMULATED: &str = "io_uring_setup failed: EPERM (simulated by the test hook) — \
     kernel.io_uring_disabled=2 (or =1 and not in kernel.io_uring_group) or a seccomp filter";

fn build(
    backend: Backend,
    fail_probe: bool,
) -> Result<(Logger, uringlog::WriterGuard), BuildError> {
    let (sink, _) = MemorySink::new();
    let b = Logger::builder().sink(sink).backend(backend);
    let b = if fail_probe {
        b.test_fail_io_uring_probe()
    } else {
        b
    };
    b.build()
}

#[test]
fn io_uring_probe_failure_falls_back_to_pwrite() {
    // Auto with a failing probe: pwrite, and the reason says why.
    let (sink, out) = MemorySink::new();
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .test_fail_io_uring_probe()
        .build()
        .unwrap();
    let info = logger.io_backend();
    assert_eq!(info.kind, BackendKind::Pwrite);
    assert_eq!(info.reason, SIMULATED);
    assert_eq!(info.to_string(), format!("pwrite: {SIMULATED}"));
    uringlog::info!(logger, "still logging");
    let s = guard.shutdown(Duration::from_secs(5)).unwrap();
    assert_eq!((s.written, s.dropped), (1, 0));
    assert!(out.text().ends_with("still logging\n"));

    // Forced io_uring with a failing probe: a clear build error.
    let e = build(Backend::IoUring, true).unwrap_err();
    assert!(matches!(e, BuildError::IoUringUnavailable { .. }));
    assert_eq!(
        e.to_string(),
        format!("io_uring backend requested but unavailable: {SIMULATED}")
    );

    // Forced pwrite never probes.
    let (logger, _guard) = build(Backend::Pwrite, true).unwrap();
    assert_eq!(logger.io_backend().to_string(), "pwrite: requested");

    // The operator's override wins over the builder; a bad value is refused.
    std::env::set_var("URINGLOG_BACKEND", "pwrite");
    let (logger, _guard) = build(Backend::IoUring, false).unwrap();
    assert_eq!(
        logger.io_backend().to_string(),
        "pwrite: requested (URINGLOG_BACKEND=pwrite)"
    );
    std::env::set_var("URINGLOG_BACKEND", "io_uring");
    let e = build(Backend::Pwrite, true).unwrap_err();
    assert!(matches!(e, BuildError::IoUringUnavailable { .. }), "{e}");
    std::env::set_var("URINGLOG_BACKEND", "fast");
    let e = build(Backend::Auto, false).unwrap_err();
    assert_eq!(
        e.to_string(),
        "URINGLOG_BACKEND=fast is not supported: expected pwrite, io_uring or auto"
    );
    std::env::remove_var("URINGLOG_BACKEND");
}
