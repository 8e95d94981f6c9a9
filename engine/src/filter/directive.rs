//! Directive strings in the `env_logger` / `EnvFilter` syntax:
//! `info,app::db=debug,hyper=off`.
//!
//! Comma-separated items, surrounding whitespace ignored, empty items
//! skipped:
//!
//! | item | meaning |
//! |---|---|
//! | `level` | the default level (the last one given wins) |
//! | `target=level` | records whose target starts with `target` |
//! | `target` | the same as `target=trace` |
//!
//! Levels are `trace`, `debug`, `info`, `warn`, `error` and `off`, in any
//! case, or as `EnvFilter` also takes them, `0` (off) to `5` (trace). A
//! target matches as a plain prefix, as in `env_logger` and
//! `EnvFilter` (`hyper` also covers `hyper_util`); the longest matching
//! prefix wins, and of two items naming the same target the last wins.
//! `EnvFilter`'s span and field filters (`[span{field=value}]`) and
//! `env_logger`'s message regex (`/pattern`) are refused, naming the item.

use crate::level::Level;
use std::collections::hash_map::{Entry, HashMap};

/// Directives parsed from one string.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Directives {
    /// The bare level, if one was given.
    pub default: Option<Level>,
    /// `(target prefix, level)`, longest prefix first, no prefix twice.
    pub targets: Vec<(Box<str>, Level)>,
}

/// Why a directive string was refused: the item and the reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DirectiveError {
    pub directive: String,
    pub reason: String,
}

/// A directive's level: a name (see [`Level`]'s `FromStr`) or, as
/// `EnvFilter` takes it, a digit from `0` (off) to `5` (trace).
fn parse_level(s: &str) -> Result<Level, String> {
    match s {
        "0" => Ok(Level::Off),
        "1" => Ok(Level::Error),
        "2" => Ok(Level::Warn),
        "3" => Ok(Level::Info),
        "4" => Ok(Level::Debug),
        "5" => Ok(Level::Trace),
        _ => s.parse().map_err(|_| {
            format!("unknown level {s:?}: expected trace, debug, info, warn, error, off or 0 to 5")
        }),
    }
}

impl Directives {
    /// Parses `spec`; the error names the first item refused. Linear in
    /// the number of items: a target given before is found by hash, not by
    /// a scan of those given so far (a filter read from a file may hold
    /// hundreds of thousands).
    pub(crate) fn parse(spec: &str) -> Result<Directives, DirectiveError> {
        let mut d = Directives::default();
        let mut seen = HashMap::new();
        for item in spec.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let err = |reason: &str| DirectiveError {
                directive: item.to_owned(),
                reason: reason.to_owned(),
            };
            if item.contains(['[', ']', '{', '}']) {
                return Err(err("span and field filters are not supported"));
            }
            if item.contains('/') {
                return Err(err("message filters (/regex) are not supported"));
            }
            match item.split_once('=') {
                None => match parse_level(item) {
                    Ok(level) => d.default = Some(level),
                    Err(_) => d.set(item, Level::Trace, &mut seen).map_err(err)?,
                },
                Some((target, level)) => {
                    let level = parse_level(level.trim()).map_err(|e| err(&e))?;
                    d.set(target.trim(), level, &mut seen).map_err(err)?;
                }
            }
        }
        // Longest first, so the first match is the longest prefix.
        d.targets.sort_by_key(|t| std::cmp::Reverse(t.0.len()));
        Ok(d)
    }

    /// Sets `target`'s level, replacing an earlier item for the same
    /// target; `seen` maps each target set so far to its index in
    /// `targets`.
    fn set<'s>(&mut self, target: &'s str, level: Level, seen: &mut HashMap<&'s str, usize>) -> Result<(), &'static str> {
        if target.is_empty() {
            return Err("empty target");
        }
        if target.contains(char::is_whitespace) {
            return Err("a target has no whitespace");
        }
        match seen.entry(target) {
            Entry::Occupied(at) => self.targets[*at.get()].1 = level,
            Entry::Vacant(at) => {
                at.insert(self.targets.len());
                self.targets.push((target.into(), level));
            }
        }
        Ok(())
    }

    /// The level of the longest target prefix matching `target`, if any.
    #[inline]
    pub(crate) fn level_for(&self, target: &str) -> Option<Level> {
        self.targets
            .iter()
            .find(|(prefix, _)| target.starts_with(&**prefix))
            .map(|(_, level)| *level)
    }

    /// The lowest level of any target directive.
    pub(crate) fn lowest(&self) -> Option<Level> {
        self.targets.iter().map(|(_, l)| *l).min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Directives {
        Directives::parse(s).unwrap_or_else(|e| panic!("{s:?}: {e:?}"))
    }

    #[test]
    fn the_usual_forms() {
        let d = parse(" info , app::db=debug,hyper=OFF,app , ,");
        assert_eq!(d.default, Some(Level::Info));
        assert_eq!(d.level_for("app::db::pool"), Some(Level::Debug));
        assert_eq!(d.level_for("app::http"), Some(Level::Trace));
        assert_eq!(d.level_for("hyper::client"), Some(Level::Off));
        assert_eq!(
            d.level_for("hyper_util"),
            Some(Level::Off),
            "plain prefix, like env_logger"
        );
        assert_eq!(d.level_for("tokio"), None);
        assert_eq!(d.lowest(), Some(Level::Trace));
        assert_eq!(parse(""), Directives::default());
    }

    #[test]
    fn the_longest_prefix_and_the_last_item_win() {
        let d = parse("a=error,a::b::c=trace,a::b=warn,a=info,warn,debug");
        assert_eq!(d.default, Some(Level::Debug));
        assert_eq!(d.level_for("a::x"), Some(Level::Info));
        assert_eq!(d.level_for("a::b::x"), Some(Level::Warn));
        assert_eq!(d.level_for("a::b::c"), Some(Level::Trace));
        assert_eq!(d.targets.len(), 3);
    }

    #[test]
    fn digits_are_levels_as_in_env_filter() {
        let d = parse("3,app=4,db=0,x=5,y=1,z=2");
        assert_eq!(d.default, Some(Level::Info));
        assert_eq!(d.level_for("app"), Some(Level::Debug));
        assert_eq!(d.level_for("db"), Some(Level::Off));
        assert_eq!(d.level_for("x"), Some(Level::Trace));
        assert_eq!(d.level_for("y"), Some(Level::Error));
        assert_eq!(d.level_for("z"), Some(Level::Warn));
        assert_eq!(
            Directives::parse("app=6").unwrap_err().directive,
            "app=6",
            "no sixth level"
        );
    }

    #[test]
    fn bad_items_are_named() {
        let e = |s: &str| Directives::parse(s).unwrap_err();
        assert_eq!(
            e("info,app=loud"),
            DirectiveError {
                directive: "app=loud".into(),
                reason: "unknown level \"loud\": expected trace, debug, info, warn, error, off or 0 to 5"
                    .into()
            }
        );
        assert_eq!(e("=info").reason, "empty target");
        assert_eq!(e("app=").directive, "app=");
        assert_eq!(e("a b=info").reason, "a target has no whitespace");
        assert_eq!(
            e("info,app[req{id=1}]=debug").reason,
            "span and field filters are not supported"
        );
        assert_eq!(
            e("info/foo").reason,
            "message filters (/regex) are not supported"
        );
    }
}
