//! Choosing the backend on the writer thread, and `Backend::Auto`'s rule
//! (documented with its measurements on `Backend`, from `auto.md`).

use super::pwrite::Pwrite;
use super::uring::{ProbeError, Uring, UringConfig};
use super::{BackendKind, IoBackend, IoBackendInfo};
use crate::error::BuildError;
use crate::policy::{Backend, Durability};

/// The environment variable that overrides the builder's backend.
pub(crate) const BACKEND_ENV: &str = "URINGLOG_BACKEND";

/// Usable CPUs at or above which buffered writes go through io_uring.
pub(crate) const AUTO_URING_MIN_CPUS: usize = 3;
/// Batch size at or above which `O_DIRECT` sinks go through io_uring.
pub(crate) const AUTO_DIRECT_MIN_BATCH_BYTES: usize = 256 * 1024;

/// What the writer needs to open its backend.
#[derive(Clone, Debug)]
pub(crate) struct IoConfig {
    pub backend: Backend,
    /// Where `backend` came from, when not the builder (the environment).
    pub backend_source: Option<String>,
    pub uring: UringConfig,
    pub durability: Durability,
    /// Some sink writes with `O_DIRECT`.
    pub o_direct: bool,
    /// The builder's `batch_bytes`.
    pub batch_bytes: usize,
    /// Test hook: the io_uring probe fails as if `io_uring_setup` returned EPERM.
    pub fail_probe: bool,
}

/// Reads `URINGLOG_BACKEND`: the backend and `"URINGLOG_BACKEND=<value>"`,
/// or `Ok(None)` when unset.
pub(crate) fn backend_from_env() -> Result<Option<(Backend, String)>, BuildError> {
    let Some(v) = std::env::var_os(BACKEND_ENV) else {
        return Ok(None);
    };
    let shown = format!("{BACKEND_ENV}={}", v.to_string_lossy());
    let b = match v.to_str().map(str::trim) {
        Some("pwrite") => Backend::Pwrite,
        Some("io_uring") => Backend::IoUring,
        Some("auto") => Backend::Auto,
        _ => {
            return Err(BuildError::Unsupported {
                what: shown,
                reason: "expected pwrite, io_uring or auto".to_owned(),
            })
        }
    };
    Ok(Some((b, shown)))
}

/// Opens the configured backend on the calling (writer) thread.
pub(crate) fn open(cfg: &IoConfig) -> Result<(Box<dyn IoBackend>, IoBackendInfo), BuildError> {
    let from = cfg
        .backend_source
        .as_deref()
        .map(|s| format!(" ({s})"))
        .unwrap_or_default();
    match cfg.backend {
        Backend::Pwrite => Ok(pwrite_with(format!("requested{from}"))),
        Backend::IoUring => match probe(cfg) {
            Ok(u) => Ok(uring_with(u, format!("requested{from}"))),
            Err(e) => Err(BuildError::IoUringUnavailable {
                reason: e.to_string(),
            }),
        },
        Backend::Auto => Ok(auto(cfg, &from)),
    }
}

/// `Backend::Auto`: probe, then the rule in the module docs.
fn auto(cfg: &IoConfig, from: &str) -> (Box<dyn IoBackend>, IoBackendInfo) {
    let uring = match probe(cfg) {
        Ok(u) => u,
        Err(e) => return pwrite_with(format!("{e}{from}")),
    };
    let cpus = usable_cpus();
    let kib = cfg.batch_bytes / 1024;
    let why = if cfg.durability == Durability::Data {
        "Durability::Data: fdatasync runs in the kernel while the writer keeps draining".to_owned()
    } else if cfg.o_direct && cfg.batch_bytes >= AUTO_DIRECT_MIN_BATCH_BYTES {
        format!(
            "O_DIRECT sink with {kib} KiB batches: the writer thread does not wait for the disk"
        )
    } else if cpus >= AUTO_URING_MIN_CPUS {
        format!("buffered writes on {cpus} CPUs: the io-wq worker has a spare core and the writer thread spends less CPU per line")
    } else {
        drop(uring);
        let s = if cpus == 1 { "" } else { "s" };
        return pwrite_with(if cfg.o_direct {
            format!("O_DIRECT sink with {kib} KiB batches: io_uring measures no faster than pwrite below {} KiB{from}", AUTO_DIRECT_MIN_BATCH_BYTES / 1024)
        } else {
            format!("buffered writes on {cpus} CPU{s}: io_uring measures no faster than pwrite and costs more CPU in total{from}")
        });
    };
    uring_with(uring, format!("{why}{from}"))
}

fn probe(cfg: &IoConfig) -> Result<Uring, ProbeError> {
    if cfg.fail_probe {
        return Err(ProbeError::simulated());
    }
    Uring::open(&cfg.uring)
}

fn pwrite_with(reason: String) -> (Box<dyn IoBackend>, IoBackendInfo) {
    (
        Box::new(Pwrite::default()),
        IoBackendInfo {
            kind: BackendKind::Pwrite,
            reason,
        },
    )
}

fn uring_with(u: Uring, reason: String) -> (Box<dyn IoBackend>, IoBackendInfo) {
    let reason = match u.setup_note() {
        Some(note) => format!("{reason}; {note}"),
        None => reason,
    };
    (
        Box::new(u),
        IoBackendInfo {
            kind: BackendKind::IoUring,
            reason,
        },
    )
}

/// CPUs this process may run on (affinity mask and cgroup quota).
pub(crate) fn usable_cpus() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}
