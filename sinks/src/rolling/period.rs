//! Rotation periods: fixed-length minutes, hours or days at an explicit
//! offset from UTC, and their labels in file names.

use uringlog::__private::civil_from_days;

/// How often a [`RollingFileSink`](super::RollingFileSink) starts a new
/// file by record time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Period {
    /// Every minute; files labelled `2026-11-28T04-56`.
    Minutely,
    /// Every hour; files labelled `2026-11-28T04`.
    Hourly,
    /// Every day; files labelled `2026-11-28`.
    Daily,
}

/// The offset from UTC at which periods start and labels are written.
///
/// Explicit, never read from the system: a daily file at `+05:30` runs
/// from 00:00 to 24:00 local time, labelled with the local date. There is
/// no daylight-saving shift; restart with the new offset when it changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct UtcOffset {
    secs: i32,
}

impl UtcOffset {
    /// UTC itself (the default).
    pub const UTC: UtcOffset = UtcOffset { secs: 0 };

    /// `secs` seconds east of UTC (negative west); checked when the sink
    /// opens (less than a day either way).
    pub const fn east_secs(secs: i32) -> UtcOffset {
        UtcOffset { secs }
    }

    /// Seconds east of UTC.
    pub const fn secs(self) -> i32 {
        self.secs
    }

    pub(crate) fn is_valid(self) -> bool {
        self.secs.unsigned_abs() < 86_400
    }
}

impl Default for UtcOffset {
    fn default() -> Self {
        UtcOffset::UTC
    }
}

/// A period in a given offset: the arithmetic the sink needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Clocked {
    pub period: Period,
    pub offset: UtcOffset,
}

impl Clocked {
    fn len_secs(&self) -> i64 {
        match self.period {
            Period::Minutely => 60,
            Period::Hourly => 3_600,
            Period::Daily => 86_400,
        }
    }

    /// Unix second at which the period holding `unix_nanos` starts.
    pub(crate) fn start_of(&self, unix_nanos: u64) -> i64 {
        let local = (unix_nanos / 1_000_000_000) as i64 + self.offset.secs as i64;
        local.div_euclid(self.len_secs()) * self.len_secs() - self.offset.secs as i64
    }

    /// Unix nanoseconds at which the period starting at `start` ends.
    pub(crate) fn end_nanos(&self, start: i64) -> u64 {
        ((start + self.len_secs()).max(0) as u64).saturating_mul(1_000_000_000)
    }

    /// The label of the period starting at `start`, in local time.
    pub(crate) fn label(&self, start: i64) -> String {
        let local = start + self.offset.secs as i64;
        let (y, m, d) = civil_from_days(local.div_euclid(86_400));
        let rem = local.rem_euclid(86_400);
        let (h, min) = (rem / 3600, rem / 60 % 60);
        match self.period {
            Period::Daily => format!("{y:04}-{m:02}-{d:02}"),
            Period::Hourly => format!("{y:04}-{m:02}-{d:02}T{h:02}"),
            Period::Minutely => format!("{y:04}-{m:02}-{d:02}T{h:02}-{min:02}"),
        }
    }

    /// Length of every label of this period.
    pub(crate) fn label_len(&self) -> usize {
        match self.period {
            Period::Daily => 10,
            Period::Hourly => 13,
            Period::Minutely => 16,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: u64 = 1_795_841_809_123_456_789; // 2026-11-28T04:56:49.123Z

    fn at(period: Period, offset: i32) -> Clocked {
        Clocked {
            period,
            offset: UtcOffset::east_secs(offset),
        }
    }

    #[test]
    fn periods_and_labels_in_utc() {
        let h = at(Period::Hourly, 0);
        let s = h.start_of(T);
        assert_eq!(h.label(s), "2026-11-28T04");
        assert_eq!(h.end_nanos(s), (s as u64 + 3600) * 1_000_000_000);
        assert_eq!(h.start_of(h.end_nanos(s)), s + 3600);
        assert_eq!(h.start_of(h.end_nanos(s) - 1), s);
        let m = at(Period::Minutely, 0);
        assert_eq!(m.label(m.start_of(T)), "2026-11-28T04-56");
        let d = at(Period::Daily, 0);
        assert_eq!(d.label(d.start_of(T)), "2026-11-28");
    }

    #[test]
    fn offsets_shift_boundaries_and_labels() {
        // 04:56 UTC is 10:26 at +05:30 and 20:56 the day before at -08:00.
        let d = at(Period::Daily, 19_800);
        let s = d.start_of(T);
        assert_eq!(d.label(s), "2026-11-28");
        assert_eq!((s + 19_800) % 86_400, 0);
        let h = at(Period::Hourly, 19_800);
        assert_eq!(h.label(h.start_of(T)), "2026-11-28T10");
        assert_eq!(h.start_of(T) % 3600, 1800);
        let w = at(Period::Daily, -28_800);
        assert_eq!(w.label(w.start_of(T)), "2026-11-27");
        for c in [d, h, w, at(Period::Minutely, 3600)] {
            assert_eq!(c.label(c.start_of(T)).len(), c.label_len());
        }
        assert!(!UtcOffset::east_secs(86_400).is_valid());
    }

    #[test]
    fn periods_at_both_ends_of_the_clock() {
        // West of UTC the epoch falls on 1969-12-31, local time.
        let w = at(Period::Daily, -5 * 3600);
        let s = w.start_of(0);
        assert_eq!((s, w.label(s)), (-68_400, "1969-12-31".to_owned()));
        assert_eq!(w.end_nanos(s), 18_000 * 1_000_000_000);
        assert_eq!(w.start_of(w.end_nanos(s)), 18_000);
        // East of UTC the last instant falls on 2554-07-22; its period
        // ends past `u64`, at `u64::MAX` (no boundary).
        let e = at(Period::Hourly, 14 * 3600);
        let s = e.start_of(u64::MAX);
        assert_eq!(e.label(s), "2554-07-22T13");
        assert_eq!(e.end_nanos(s), u64::MAX);
        assert_eq!(e.label(s).len(), e.label_len());
        assert!(UtcOffset::east_secs(-86_399).is_valid());
    }
}
