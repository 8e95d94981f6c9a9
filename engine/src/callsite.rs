//! Call sites: what never changes about a log statement, kept in a `static`.
//!
//! The logging macros expand to one `static CallSite` per statement (see
//! `uringlog-macros`): level, target, file, line and the format string,
//! split at compile time into literal pieces and one slot per placeholder.
//! A deferred record carries the call site's address and the arguments in
//! binary; the writer renders the message from both (see `deferred`). In
//! crash-safe mode the call site is also described once in the directory's
//! call-site table, so another process can render the record
//! (`crash_safe::sites`).
//!
//! The static is built with [`CallSite::new`], a `const fn`, so fields can
//! be added without changing what the macros emit: a per-call-site filter
//! cache (an atomic decision tagged with the filter's generation) fits here,
//! and `file`/`line` are what a `file:line` column shows.

use crate::deferred::render::{PlanCell, TypedCell};
use crate::level::Level;
use std::fmt;
use std::sync::atomic::AtomicU64;

/// One log statement's constant metadata.
#[derive(Debug)]
pub struct CallSite {
    /// The level, when the statement names it (`None` for `log!` with a
    /// computed level; the record header always has it).
    pub level: Option<Level>,
    /// The target, when it is a literal, a constant's or the default
    /// module path, cut to its first 65,535 bytes (at a character
    /// boundary) as a record's target is; `None` when it is computed, and
    /// then the record carries it.
    pub target: Option<&'static str>,
    /// Source file.
    pub file: &'static str,
    /// Source line.
    pub line: u32,
    /// Module of the statement.
    pub module_path: &'static str,
    /// Literal text around the placeholders: `slots.len() + 1` pieces.
    pub(crate) pieces: &'static [&'static str],
    pub(crate) slots: &'static [Slot],
    /// Total bytes of `pieces`.
    pub(crate) pieces_len: usize,
    /// Some slot has a spec other than `{}`.
    pub(crate) any_custom: bool,
    /// The logger's filter decision for `target`, cached (see `filter`).
    pub(crate) filter: crate::filter::CallsiteCache,
    /// Id of the crash-safe call-site table this call site was last found
    /// in (0: none); see `crash_safe::sites`.
    pub(crate) crash_table: AtomicU64,
    /// The pieces as the writer copies them, built by the first writer
    /// that renders a record of this call site (see `deferred::render`).
    pub(crate) plan: PlanCell,
    /// The renderers of its arguments' types, noted by a caller whose
    /// types are known, where that costs the call path nothing (see
    /// `deferred::render::typed`).
    pub(crate) typed: TypedCell,
}

impl CallSite {
    /// What the macros build; not for direct use.
    #[doc(hidden)]
    #[allow(clippy::too_many_arguments)]
    pub const fn new(
        level: Option<Level>,
        target: Option<&'static str>,
        file: &'static str,
        line: u32,
        module_path: &'static str,
        pieces: &'static [&'static str],
        slots: &'static [Slot],
    ) -> CallSite {
        assert!(pieces.len() == slots.len() + 1);
        let mut pieces_len = 0;
        let mut i = 0;
        while i < pieces.len() {
            pieces_len += pieces[i].len();
            i += 1;
        }
        let mut any_custom = false;
        let mut i = 0;
        while i < slots.len() {
            any_custom |= matches!(slots[i].kind, SlotKind::Custom { .. });
            i += 1;
        }
        CallSite {
            filter: crate::filter::CallsiteCache::new(),
            crash_table: AtomicU64::new(0),
            plan: PlanCell::new(),
            typed: TypedCell::new(),
            any_custom,
            pieces_len,
            level,
            target: match target {
                Some(t) => Some(cut_target(t)),
                None => None,
            },
            file,
            line,
            module_path,
            pieces,
            slots,
        }
    }
}

/// `t` cut as `record::truncate_str` cuts a target carried in a record,
/// so a call site's target renders the same whichever way its records go
/// (in binary, or formatted by the caller into a text record, whose
/// header holds a target of at most 65,535 bytes).
const fn cut_target(t: &'static str) -> &'static str {
    let b = t.as_bytes();
    if b.len() <= crate::record::MAX_TARGET_LEN {
        return t;
    }
    let mut end = crate::record::MAX_TARGET_LEN;
    // A UTF-8 continuation byte (0b10xx_xxxx) is no character boundary.
    while b[end] & 0xc0 == 0x80 {
        end -= 1;
    }
    let (head, _) = b.split_at(end);
    // SAFETY: `head` is `t` up to a character boundary: UTF-8.
    unsafe { std::str::from_utf8_unchecked(head) }
}

/// One placeholder of a call site's format string.
#[doc(hidden)]
#[derive(Clone, Copy, Debug)]
pub struct Slot {
    pub(crate) kind: SlotKind,
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum SlotKind {
    /// `{}`: rendered by the writer's own code (digits, shortest floats, memcpy).
    Display,
    /// Any other spec: `core::fmt` with the spec, over the decoded value.
    Custom {
        fmt: CustomFmt,
        /// The record has a `usize` width after the value.
        width_arg: bool,
        /// The record has a `usize` precision after the value (and width).
        precision_arg: bool,
    },
}

impl Slot {
    /// `{}`.
    pub const DISPLAY: Slot = Slot {
        kind: SlotKind::Display,
    };

    /// A placeholder with a spec the writer applies through `core::fmt`.
    pub const fn custom(fmt: CustomFmt, width_arg: bool, precision_arg: bool) -> Slot {
        Slot {
            kind: SlotKind::Custom {
                fmt,
                width_arg,
                precision_arg,
            },
        }
    }
}

macro_rules! custom_fmt {
    ($($(#[$doc:meta])* $variant:ident: $tr:ident,)*) => {
        /// `write!(out, "{:SPEC}", value [, width] [, precision])` for one
        /// spec, one variant per formatting trait; generated by the macros.
        #[doc(hidden)]
        #[derive(Clone, Copy)]
        pub enum CustomFmt {
            $($(#[$doc])* $variant(fn(&mut dyn fmt::Write, &dyn fmt::$tr, usize, usize) -> fmt::Result),)*
        }
    };
}

custom_fmt! {
    /// `{:…}`
    Display: Display,
    /// `{:…?}`
    Debug: Debug,
    /// `{:…x}`
    LowerHex: LowerHex,
    /// `{:…X}`
    UpperHex: UpperHex,
    /// `{:…o}`
    Octal: Octal,
    /// `{:…b}`
    Binary: Binary,
    /// `{:…e}`
    LowerExp: LowerExp,
    /// `{:…E}`
    UpperExp: UpperExp,
    /// `{:…p}` (always formatted in the caller: an address means nothing later).
    Pointer: Pointer,
}

impl fmt::Debug for CustomFmt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CustomFmt")
    }
}
