//! File names: the active file and the rotated ones, made and recognised
//! (the scheme is documented on `RollingFileSink`, `rolling.md`).

use super::period::{Clocked, Period};

/// Width the sequence number is padded to.
const SEQ_DIGITS: usize = 6;

/// How this sink names its files.
#[derive(Clone, Debug)]
pub(crate) struct Naming {
    pub stem: String,
    pub ext: String,
    /// Set when rotating by time.
    pub period: Option<Clocked>,
    /// Rotating by size: names carry a sequence number.
    pub sized: bool,
}

/// Where a rotated file falls in rotation order.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Key {
    /// The period label (empty without time rotation).
    pub label: String,
    /// The sequence number (by time alone: 0, or the number a taken name
    /// made it take).
    pub seq: u64,
}

impl Naming {
    fn with_ext(&self, base: String) -> String {
        if self.ext.is_empty() {
            base
        } else {
            format!("{base}.{}", self.ext)
        }
    }

    /// The active file's name.
    pub(crate) fn active(&self) -> String {
        self.with_ext(self.stem.clone())
    }

    /// The name of a rotated file holding the period starting at
    /// `period_start` (ignored without time rotation), number `seq`
    /// (by time alone: 0 for none, more when the name without one is taken).
    pub(crate) fn rotated(&self, period_start: i64, seq: u64) -> String {
        let label = match (&self.period, self.sized) {
            (Some(p), false) if seq == 0 => p.label(period_start),
            (Some(p), _) => format!("{}.{seq:0SEQ_DIGITS$}", p.label(period_start)),
            (None, _) => format!("{seq:0SEQ_DIGITS$}"),
        };
        self.with_ext(format!("{}.{label}", self.stem))
    }

    /// The key of a rotated file's name; `None` for any other name.
    pub(crate) fn parse(&self, name: &str) -> Option<Key> {
        let rest = name.strip_prefix(self.stem.as_str())?.strip_prefix('.')?;
        let label = if self.ext.is_empty() {
            rest
        } else {
            rest.strip_suffix(self.ext.as_str())?.strip_suffix('.')?
        };
        let (period, seq) = match &self.period {
            Some(p) => {
                let (a, b) = label.split_at_checked(p.label_len())?;
                match (b, self.sized) {
                    ("", false) => (a, None),
                    _ => (a, Some(b.strip_prefix('.')?)),
                }
            }
            None => ("", Some(label)),
        };
        if let Some(p) = &self.period {
            if !matches_shape(period, p.period) {
                return None;
            }
        }
        let seq = match seq {
            Some(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => s.parse().ok()?,
            Some(_) => return None,
            None => 0,
        };
        Some(Key {
            label: period.to_owned(),
            seq,
        })
    }
}

/// Whether `s` looks like a label of `period` (`d` stands for a digit).
fn matches_shape(s: &str, period: Period) -> bool {
    let shape: &[u8] = match period {
        Period::Daily => b"dddd-dd-dd",
        Period::Hourly => b"dddd-dd-ddTdd",
        Period::Minutely => b"dddd-dd-ddTdd-dd",
    };
    s.len() == shape.len()
        && s.bytes().zip(shape).all(|(c, &want)| {
            if want == b'd' {
                c.is_ascii_digit()
            } else {
                c == want
            }
        })
}

#[cfg(test)]
mod tests {
    use super::super::period::UtcOffset;
    use super::*;

    fn naming(period: Option<Period>, sized: bool) -> Naming {
        Naming {
            stem: "app".to_owned(),
            ext: "log".to_owned(),
            period: period.map(|period| Clocked {
                period,
                offset: UtcOffset::UTC,
            }),
            sized,
        }
    }

    const START: i64 = 1_795_838_400; // 2026-11-28T04:00:00Z

    #[test]
    fn names_for_each_scheme_parse_back() {
        let cases = [
            (
                naming(Some(Period::Hourly), false),
                "app.2026-11-28T04.log",
                "2026-11-28T04",
                0,
            ),
            (naming(None, true), "app.000042.log", "", 42),
            (
                naming(Some(Period::Daily), true),
                "app.2026-11-28.000042.log",
                "2026-11-28",
                42,
            ),
            (
                naming(Some(Period::Minutely), false),
                "app.2026-11-28T04-00.log",
                "2026-11-28T04-00",
                0,
            ),
        ];
        for (n, name, label, seq) in cases {
            assert_eq!(n.rotated(START, if n.sized { 42 } else { 0 }), name);
            assert_eq!(n.active(), "app.log");
            let k = n.parse(name).unwrap();
            assert_eq!((k.label.as_str(), k.seq), (label, seq), "{name}");
        }
        assert_eq!(naming(None, true).rotated(0, 1_234_567), "app.1234567.log");
        // By time alone, a taken name makes the next one take a number.
        let hourly = naming(Some(Period::Hourly), false);
        assert_eq!(hourly.rotated(START, 0), "app.2026-11-28T04.log");
        let taken = hourly.rotated(START, 2);
        assert_eq!(taken, "app.2026-11-28T04.000002.log");
        let k = hourly.parse(&taken).unwrap();
        assert_eq!((k.label.as_str(), k.seq), ("2026-11-28T04", 2));
    }

    #[test]
    fn other_names_are_not_rotated_files() {
        let n = naming(Some(Period::Hourly), true);
        for name in [
            "app.log",
            "app.2026-11-28T04.log",
            "app.2026-11-28T04..log",
            "app.2026-11-28T04.12a.log",
            "app.2026-11-28X04.000001.log",
            "other.2026-11-28T04.000001.log",
            "app.2026-11-28T04.000001.txt",
        ] {
            assert_eq!(n.parse(name), None, "{name}");
        }
        let hourly = naming(Some(Period::Hourly), false);
        for name in [
            "app.2026-11-28T04..log",
            "app.2026-11-28T04.12a.log",
            "app.2026-11-28T04.-1.log",
            "app.2026-11-28T04000001.log",
        ] {
            assert_eq!(hourly.parse(name), None, "{name}");
        }
        let plain = Naming {
            ext: String::new(),
            ..naming(None, true)
        };
        assert_eq!(plain.active(), "app");
        assert_eq!(plain.rotated(0, 7), "app.000007");
        assert_eq!(plain.parse("app.000007").map(|k| k.seq), Some(7));
    }
}
