//! Choosing the backend on the writer thread, and `Backend::Auto`'s rule
//! (documented on `Backend`, from `auto.md`; the measurement itself is in
//! [`super::auto`]).

use super::auto::Measured;
use super::idle_inline::IdleInline;
use super::pwrite::Pwrite;
use super::uring::{ProbeError, Uring, UringConfig};
use super::{BackendKind, BackendSlot, Cancel, IoBackend, IoBackendInfo};
use crate::error::BuildError;
use crate::policy::{Backend, Durability};
use std::sync::Arc;

/// The environment variable that overrides the builder's backend.
pub(crate) const BACKEND_ENV: &str = "URINGLOG_BACKEND";

/// What the writer needs to open its backend.
#[derive(Clone, Debug)]
pub(crate) struct IoConfig {
    pub backend: Backend,
    /// Where `backend` came from, when not the builder (the environment).
    pub backend_source: Option<String>,
    pub uring: UringConfig,
    pub durability: Durability,
    /// Some sink writes with `O_DIRECT` (quoted in `Auto`'s reason).
    pub o_direct: bool,
    /// The builder's `batch_bytes` (quoted in `Auto`'s reason).
    pub batch_bytes: usize,
    /// Test hook: the io_uring probe fails as if `io_uring_setup` returned EPERM.
    pub fail_probe: bool,
    /// Set by shutdown's timeout: the backend stops waiting for I/O.
    pub cancel: Cancel,
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

/// Opens the configured backend on the calling (writer) thread; `Auto`
/// publishes its decision to `slot` once it has measured.
pub(crate) fn open(
    cfg: &IoConfig,
    slot: &Arc<BackendSlot>,
) -> Result<(Box<dyn IoBackend>, IoBackendInfo), BuildError> {
    let from = cfg
        .backend_source
        .as_deref()
        .map(|s| format!(" ({s})"))
        .unwrap_or_default();
    match cfg.backend {
        Backend::Pwrite => Ok(pwrite_with(cfg, format!("requested{from}"))),
        Backend::IoUring => match probe(cfg) {
            Ok(u) => Ok(uring_with(u, format!("requested{from}"))),
            Err(e) => Err(BuildError::IoUringUnavailable {
                reason: e.to_string(),
            }),
        },
        Backend::Auto => Ok(auto(cfg, &from, slot)),
    }
}

/// `Backend::Auto`: probe, then the rule in the module docs.
fn auto(
    cfg: &IoConfig,
    from: &str,
    slot: &Arc<BackendSlot>,
) -> (Box<dyn IoBackend>, IoBackendInfo) {
    let uring = match probe(cfg) {
        Ok(u) => u,
        Err(e) => return pwrite_with(cfg, format!("{e}{from}")),
    };
    if cfg.durability == Durability::Data {
        let why = "Durability::Data (a rule, not measured): fdatasync runs in the kernel while the writer keeps draining";
        return uring_with(uring, format!("{why}{from}"));
    }
    let direct = match cfg.o_direct {
        true => format!("; O_DIRECT sink, {} KiB batches", cfg.batch_bytes / 1024),
        false => String::new(),
    };
    let setup = uring
        .setup_note()
        .map(|n| format!("; io_uring {n}"))
        .unwrap_or_default();
    let note = format!("{direct}{setup}{from}");
    let info = Measured::measuring_info(&note);
    let trial = Measured::new(uring, &cfg.cancel, slot.clone(), usable_cpus(), note);
    (Box::new(trial), info)
}

fn probe(cfg: &IoConfig) -> Result<Uring, ProbeError> {
    if cfg.fail_probe {
        return Err(ProbeError::simulated());
    }
    Uring::open(&cfg.uring, cfg.cancel.clone())
}

fn pwrite_with(cfg: &IoConfig, reason: String) -> (Box<dyn IoBackend>, IoBackendInfo) {
    (
        Box::new(Pwrite::new(cfg.cancel.clone())),
        IoBackendInfo {
            kind: BackendKind::Pwrite,
            reason,
        },
    )
}

fn uring_with(u: Uring, reason: String) -> (Box<dyn IoBackend>, IoBackendInfo) {
    let u = IdleInline::new(u);
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
