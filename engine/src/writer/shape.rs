//! The shape of a sink set — how many sinks, which format — as a type,
//! so that the drain loop is compiled once per common shape.
//!
//! The formats and the placement of a record test the configuration per
//! record: one sink or many, a sink's own format or a built-in one, text
//! or JSON, thread id, call site, timestamp precision, O_DIRECT, deferred
//! completion, batch limits. A set whose shape is one plain sink (none of
//! the last three) writing the default text or JSON format (the commonest
//! by far) reads its rings through a copy of the loop in which that
//! configuration is a constant, so those tests fold away; every other set
//! takes the general copy, which reads the configuration as before.
//!
//! A sink's batch limit may change at each submission, so the set's shape
//! is chosen again there; it holds while a ring is read (no submission
//! happens in a read).
//!
//! The constant format is used only where it equals the sink's format
//! (checked once, in [`ShapeKind::of`]): the same code with a value-equal
//! format writes the same bytes.

use crate::format::{Format, Rendering};

/// A sink set's shape, known when the drain loop is compiled.
pub(crate) trait Shape {
    /// The set has exactly one sink (its formatter the first).
    const ONE_SINK: bool;
    /// No sink writes with O_DIRECT, completes deferred, or has a batch
    /// limit now.
    const PLAIN: bool;
    /// The built-in format every record is written in, when it is fixed
    /// (then no sink has a format of its own).
    const FORMAT: Option<Format>;
}

/// Any set: the configuration is read as it is.
pub(crate) struct General;

impl Shape for General {
    const ONE_SINK: bool = false;
    const PLAIN: bool = false;
    const FORMAT: Option<Format> = None;
}

/// One sink, the default text format.
pub(crate) struct OneText;

impl Shape for OneText {
    const ONE_SINK: bool = true;
    const PLAIN: bool = true;
    const FORMAT: Option<Format> = Some(Format::text());
}

/// One sink, the default JSON format.
pub(crate) struct OneJson;

impl Shape for OneJson {
    const ONE_SINK: bool = true;
    const PLAIN: bool = true;
    const FORMAT: Option<Format> = Some(Format::json());
}

/// Which [`Shape`] a set has, chosen once when the set is made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ShapeKind {
    General,
    OneText,
    OneJson,
}

impl ShapeKind {
    /// The shape of a set of `sinks` sinks, `plain` (see
    /// [`Shape::PLAIN`]) or not, whose formatters have the built-in
    /// `formats` (`None` for a sink's own) and render deferred messages as
    /// `rendering` says.
    pub(crate) fn of(
        sinks: usize,
        plain: bool,
        mut formats: impl Iterator<Item = Option<Format>>,
        rendering: Rendering,
    ) -> ShapeKind {
        let (Some(Some(f)), None) = (formats.next(), formats.next()) else {
            return ShapeKind::General;
        };
        if sinks != 1 || !plain || rendering != Rendering::Lazy {
            return ShapeKind::General;
        }
        if Some(f) == OneText::FORMAT {
            ShapeKind::OneText
        } else if Some(f) == OneJson::FORMAT {
            ShapeKind::OneJson
        } else {
            ShapeKind::General
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::{Styling, Timestamp};

    #[test]
    fn only_one_sink_in_a_default_format_has_a_shape_of_its_own() {
        let of = |n, fs: &[Option<Format>], r| ShapeKind::of(n, true, fs.iter().copied(), r);
        let (text, json) = (Format::text(), Format::json());
        assert_eq!(of(1, &[Some(text)], Rendering::Lazy), ShapeKind::OneText);
        assert_eq!(of(1, &[Some(json)], Rendering::Lazy), ShapeKind::OneJson);
        // Two sinks sharing one formatter.
        assert_eq!(of(2, &[Some(text)], Rendering::Lazy), ShapeKind::General);
        assert_eq!(of(2, &[Some(text), Some(json)], Rendering::Lazy), ShapeKind::General);
        assert_eq!(of(1, &[None], Rendering::Eager), ShapeKind::General);
        assert_eq!(of(1, &[Some(text)], Rendering::Eager), ShapeKind::General);
        let not_plain = ShapeKind::of(1, false, [Some(text)].into_iter(), Rendering::Lazy);
        assert_eq!(not_plain, ShapeKind::General);
        let other = [
            text.timestamp(Timestamp::Millis),
            text.with_thread_id(),
            text.with_call_site(),
            text.without_target(),
            text.styled(Styling::Ansi),
            json.with_thread_id(),
        ];
        for f in other {
            assert_eq!(of(1, &[Some(f)], Rendering::Lazy), ShapeKind::General, "{f:?}");
        }
    }
}
