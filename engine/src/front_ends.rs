//! Front ends that keep filter decisions of their own (`log::max_level()`,
//! `tracing`'s callsite interest) and must hear when the filter changes.

use crate::shared::Shared;
use std::sync::atomic::{AtomicBool, Ordering};

/// Which front ends a logger is attached to.
#[derive(Debug, Default)]
pub(crate) struct FrontEnds {
    /// Installed behind the `log` facade (`Builder::init_global`).
    pub log_global: AtomicBool,
    /// A `tracing` layer or writer was made from it.
    #[cfg_attr(not(feature = "tracing"), allow(dead_code))]
    pub tracing: AtomicBool,
}

impl FrontEnds {
    /// Tells the front ends attached to `shared` that its filter changed.
    pub(crate) fn filter_changed(&self, shared: &Shared) {
        // Relaxed: the flags are set before the handle that calls
        // `set_level` could observe the front end in use.
        if self.log_global.load(Ordering::Relaxed) {
            // Under the filter's lock: racing `set_level`s store their
            // `max_level` in the order they changed the filter.
            shared
                .filter
                .publish_coarse(|coarse| log::set_max_level(coarse.into()));
        }
        #[cfg(feature = "tracing")]
        if self.tracing.load(Ordering::Relaxed) {
            rebuild_tracing_interest();
        }
    }
}

/// Rebuilds `tracing`'s callsite interest and maximum level, which read
/// every logger's filter as it is then. `tracing` does not serialize
/// rebuilds: two racing `set_level`s could each read the filter before
/// the other's change and store their views in the other order, leaving
/// `tracing` stricter than the filter (events the logger accepts skipped,
/// uncounted) until the next change. Serialized (across loggers, whose
/// layers may share a subscriber), the rebuild that ends last began after
/// the last change, since each change is followed by its own.
#[cfg(feature = "tracing")]
fn rebuild_tracing_interest() {
    static REBUILD: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _g = crate::shared::lock(&REBUILD);
    tracing_core::callsite::rebuild_interest_cache();
}
