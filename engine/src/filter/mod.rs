//! The filter every front end shares: a default level, per-target levels
//! from directives (see [`Builder::filter`](crate::Builder::filter)) and
//! the lowest level any sink takes, with cached decisions.
//!
//! The decision for a record at `level` with `target`:
//!
//! 1. `level` below the *coarse* threshold — the lowest level any target
//!    can have — is refused with one relaxed load (`Hot::level`); this is
//!    the whole check when there are no target directives.
//! 2. Otherwise the target's threshold (longest matching prefix, else the
//!    default level; never below the sink floor) decides. It is cached per
//!    call site ([`CallsiteCache`], a `static` in each macro call site), per
//!    `&'static` target and thread (the `log` facade), or per callsite by
//!    `tracing` itself (`register_callsite`); a cached decision costs two
//!    loads and a compare. Only a target that is neither a literal nor
//!    static is matched against the prefixes on every call.
//!
//! Caches are tagged with a generation unique across every logger of the
//! process; changing the default level ([`Logger::set_level`]) takes a new
//! generation, so every cached decision is recomputed on its next use.
//!
//! [`Logger::set_level`]: crate::Logger::set_level

mod cache;
pub(crate) mod directive;

pub use cache::CallsiteCache;

use crate::level::Level;
use crate::shared::lock;
use directive::Directives;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::Mutex;

/// Source of generations; 0 is never handed out (an empty cache holds 0).
static NEXT_GENERATION: AtomicU64 = AtomicU64::new(1);

/// A fresh generation, unique in the process.
fn next_generation() -> u64 {
    // Relaxed: only uniqueness matters; the store that publishes it orders.
    NEXT_GENERATION.fetch_add(1, Ordering::Relaxed)
}

/// A logger's filter: target directives fixed at build, a default level
/// that `set_level` changes, and the sink floor.
#[derive(Debug)]
pub(crate) struct FilterState {
    /// Target directives, longest prefix first. Never changes.
    targets: Directives,
    /// The default level (`Level as u8`), at or above `floor`. Written
    /// under `write_lock` before `generation`.
    default: AtomicU8,
    /// The lowest level any sink takes; no target goes below it.
    floor: Level,
    /// Generation of the current settings (`default`). Written under
    /// `write_lock`, with Release, after `default`.
    generation: AtomicU64,
    /// Serializes writers so each generation is stored after its default.
    write_lock: Mutex<()>,
}

impl FilterState {
    pub(crate) fn new(targets: Directives, default: Level, floor: Level) -> FilterState {
        FilterState {
            targets,
            default: AtomicU8::new(default.max(floor) as u8),
            floor,
            generation: AtomicU64::new(next_generation()),
            write_lock: Mutex::new(()),
        }
    }

    /// Whether any target directive exists (decisions then depend on the target).
    pub(crate) fn has_targets(&self) -> bool {
        !self.targets.targets.is_empty()
    }

    /// The lowest level any sink takes.
    pub(crate) fn floor(&self) -> Level {
        self.floor
    }

    /// The default level.
    pub(crate) fn default_level(&self) -> Level {
        Level::from_u8_threshold(self.default.load(Ordering::Relaxed)).unwrap_or(Level::Off)
    }

    /// The lowest level any target accepts: records below it are refused
    /// whatever their target.
    pub(crate) fn coarse(&self) -> Level {
        let default = self.default_level();
        self.targets
            .lowest()
            .map_or(default, |l| l.min(default))
            .max(self.floor)
    }

    /// Sets the default level (clamped to the floor) and stores the new
    /// coarse threshold in `coarse` (as [`FilterState::coarse_byte`]). Every cached decision is recomputed on
    /// its next use.
    pub(crate) fn set_default(&self, level: Level, coarse: &AtomicU8) {
        let _g = lock(&self.write_lock);
        let level = level.max(self.floor);
        self.default.store(level as u8, Ordering::Relaxed);
        // Release: pairs with the Acquire loads in `threshold_now`: a
        // reader that sees this generation sees the default stored above.
        self.generation.store(next_generation(), Ordering::Release);
        coarse.store(self.coarse_byte(), Ordering::Relaxed);
    }

    /// The coarse threshold as `Hot::level` holds it: with
    /// `TARGETS_FLAG` when target directives exist.
    pub(crate) fn coarse_byte(&self) -> u8 {
        let flag = if self.has_targets() { crate::shared::TARGETS_FLAG } else { 0 };
        self.coarse() as u8 | flag
    }

    /// Runs `publish` with the coarse threshold, serialized with
    /// [`set_default`](Self::set_default): a front end that copies the
    /// threshold elsewhere (`log::set_max_level`) and does so after each
    /// change ends with the latest one, never a value read before another
    /// thread's change but stored after it.
    pub(crate) fn publish_coarse(&self, publish: impl FnOnce(Level)) {
        let _g = lock(&self.write_lock);
        publish(self.coarse());
    }

    /// The threshold of `target` now (a prefix scan), with the generation
    /// it belongs to.
    #[inline]
    pub(crate) fn threshold_now(&self, target: &str) -> (u64, Level) {
        // Acquire: pairs with the Release store in `set_default`; the
        // default read after it is at least as new as the generation (a
        // newer one only shortens a stale window: its own generation
        // follows and invalidates the entry).
        let generation = self.generation.load(Ordering::Acquire);
        let level = match self.targets.level_for(target) {
            Some(l) => l.max(self.floor),
            None => self.default_level(),
        };
        (generation, level)
    }

    /// The current generation, for comparing with a cache entry.
    #[inline]
    pub(crate) fn generation(&self) -> u64 {
        // Acquire: as in `threshold_now`.
        self.generation.load(Ordering::Acquire)
    }

    /// Whether `level` passes `target`'s threshold, using and refreshing
    /// the call site's cache. `target` must be the same on every call with
    /// this cache (a literal or `module_path!()`).
    #[inline]
    pub(crate) fn enabled_cached(&self, level: Level, target: &str, cache: &CallsiteCache) -> bool {
        match cache.get(self.generation()) {
            Some(threshold) => level >= threshold,
            None => self.refresh(level, target, cache),
        }
    }

    #[cold]
    #[inline(never)]
    fn refresh(&self, level: Level, target: &str, cache: &CallsiteCache) -> bool {
        let (generation, threshold) = self.threshold_now(target);
        cache.set(generation, threshold);
        level >= threshold
    }

    /// Whether `level` passes the threshold of `target`, a string in static
    /// memory, cached per thread by the string's address.
    #[inline]
    pub(crate) fn enabled_static(&self, level: Level, target: &'static str) -> bool {
        cache::static_target_threshold(self, target).map_or_else(
            || level >= self.threshold_now(target).1,
            |threshold| level >= threshold,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(spec: &str, default: Level, floor: Level) -> FilterState {
        FilterState::new(Directives::parse(spec).unwrap(), default, floor)
    }

    #[test]
    fn thresholds_follow_prefixes_default_and_floor() {
        let f = state(
            "app::db=debug,hyper=off,noisy=trace",
            Level::Info,
            Level::Debug,
        );
        assert_eq!(f.threshold_now("app::db::pool").1, Level::Debug);
        assert_eq!(f.threshold_now("app::http").1, Level::Info);
        assert_eq!(f.threshold_now("hyper").1, Level::Off);
        assert_eq!(
            f.threshold_now("noisy").1,
            Level::Debug,
            "never below the floor"
        );
        assert_eq!(f.coarse(), Level::Debug);
        assert_eq!(state("", Level::Warn, Level::Trace).coarse(), Level::Warn);
        assert_eq!(
            state("a=error", Level::Warn, Level::Trace).coarse(),
            Level::Warn
        );
    }

    #[test]
    fn a_cached_decision_follows_set_default() {
        let f = state("hyper=off", Level::Info, Level::Trace);
        let cache = CallsiteCache::new();
        assert!(!f.enabled_cached(Level::Debug, "app", &cache));
        assert!(f.enabled_cached(Level::Info, "app", &cache));
        assert_eq!(cache.get(f.generation()), Some(Level::Info));
        let coarse = AtomicU8::new(0);
        f.set_default(Level::Debug, &coarse);
        // With directives the byte carries the flag that sends every
        // record past the one-compare acceptance to them.
        let flag = crate::shared::TARGETS_FLAG;
        assert_eq!(coarse.load(Ordering::Relaxed), Level::Debug as u8 | flag);
        let plain = state("", Level::Info, Level::Trace);
        plain.set_default(Level::Warn, &coarse);
        assert_eq!(coarse.load(Ordering::Relaxed), Level::Warn as u8);
        assert_eq!(cache.get(f.generation()), None, "a new generation misses");
        assert!(f.enabled_cached(Level::Debug, "app", &cache));
        let hyper = CallsiteCache::new();
        assert!(!f.enabled_cached(Level::Error, "hyper::proto", &hyper));
        assert!(!f.enabled_static(Level::Error, "hyper::proto"));
        assert!(f.enabled_static(Level::Debug, "app"));
        f.set_default(Level::Error, &coarse);
        assert!(!f.enabled_static(Level::Debug, "app"));
        assert!(!f.enabled_cached(Level::Debug, "app", &cache));
    }

    #[test]
    fn generations_are_unique_across_filters() {
        let a = state("", Level::Info, Level::Trace);
        let b = state("", Level::Info, Level::Trace);
        assert_ne!(a.generation(), b.generation());
        let cache = CallsiteCache::new();
        let c = state("x=error", Level::Debug, Level::Trace);
        assert!(!c.enabled_cached(Level::Warn, "x", &cache));
        let d = state("x=trace", Level::Debug, Level::Trace);
        assert!(
            d.enabled_cached(Level::Warn, "x", &cache),
            "another logger's entry misses"
        );
    }
}
