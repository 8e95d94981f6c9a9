//! Every text line parses back, by the grammar documented on `Format`, to
//! exactly the record that was logged: target, message (controls, line
//! separators, backslashes, quotes), and each field's key and value of
//! every kind — through the public API, for every combination of options.

use proptest::prelude::*;
use std::time::Duration;
use uringlog::{Field, Format, Level, Logger, MemorySink, TimeOffset, Timestamp};
use uringlog_tests::records::{fields, nasty_string, Gen};
use uringlog_tests::text_line::{parse, Shape, TextValue};

type Rec = (Level, String, String, Vec<(String, Gen)>);

fn record() -> impl Strategy<Value = Rec> {
    (
        proptest::sample::select(&Level::ALL[..]),
        nasty_string(10),
        nasty_string(24),
        fields(5),
    )
}

/// Whether `got` is what the text shows for `want`.
fn value_matches(want: &Gen, got: &TextValue) -> bool {
    match (want, got) {
        (Gen::I64(v), TextValue::Int(g)) => *g == *v as i128,
        (Gen::U64(v), TextValue::Int(g)) => *g == *v as i128,
        (Gen::F64(v), TextValue::Float(t)) => {
            let g: f64 = t.parse().unwrap();
            g.to_bits() == v.to_bits() || (g.is_nan() && v.is_nan())
        }
        (Gen::F32(v), TextValue::Float(t)) => {
            let g: f32 = t.parse().unwrap();
            g.to_bits() == v.to_bits() || (g.is_nan() && v.is_nan())
        }
        (Gen::Bool(v), TextValue::Bool(g)) => v == g,
        (Gen::None, TextValue::Null) => true,
        (w, TextValue::Str(g)) => w.bytes().as_ref() == Some(g),
        _ => false,
    }
}

fn format_for(shape: Shape, offset: Option<i16>) -> Format {
    let mut f = Format::text();
    if !shape.timestamp {
        f = f.timestamp(Timestamp::Off);
    }
    if let Some(m) = offset {
        f = f.time_offset(TimeOffset::east_minutes(m).unwrap());
    }
    if shape.thread {
        f = f.with_thread_id();
    }
    if !shape.target {
        f = f.without_target();
    }
    f
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn text_lines_parse_back_exactly(
        recs in proptest::collection::vec(record(), 1..24),
        (timestamp, thread, target) in any::<(bool, bool, bool)>(),
        offset in proptest::option::of(-1439i16..1440),
    ) {
        let shape = Shape { timestamp, thread, target };
        let (sink, out) = MemorySink::new();
        let (logger, guard) = Logger::builder()
            .level(Level::Trace)
            .sink(sink)
            .format(format_for(shape, offset))
            .build()
            .unwrap();
        for (level, target, msg, fields) in &recs {
            let fs: Vec<Field<'_>> = fields.iter().map(|(k, v)| (k.as_str(), v.as_field())).collect();
            if fs.is_empty() {
                logger.log(*level, target, format_args!("{msg}"));
            } else {
                logger.log_fields(*level, target, &fs, format_args!("{msg}"));
            }
        }
        guard.shutdown(Duration::from_secs(10)).unwrap();
        let text = String::from_utf8(out.bytes()).expect("text lines are UTF-8");
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        prop_assert_eq!(lines.len(), recs.len());
        for (line, (level, tgt, msg, fields)) in lines.iter().zip(&recs) {
            // One line by any splitter's rules.
            prop_assert_eq!(line.lines().count(), 1, "{:?}", line);
            let l = parse(line, shape).map_err(TestCaseError::fail)?;
            prop_assert_eq!(&l.level, level.as_str());
            prop_assert_eq!(l.timestamp.is_some(), timestamp);
            if let (Some(t), Some(m)) = (&l.timestamp, offset) {
                let sign = if m < 0 { '-' } else { '+' };
                let zone = format!("{sign}{:02}:{:02}", m.unsigned_abs() / 60, m.unsigned_abs() % 60);
                prop_assert!(t.ends_with(&zone), "{} for {}", t, m);
            }
            prop_assert_eq!(l.thread.is_some(), thread);
            prop_assert_eq!(l.target, target.then(|| tgt.as_bytes().to_vec()));
            prop_assert_eq!(&l.message, msg.as_bytes());
            match l.fields {
                None => prop_assert!(fields.is_empty()),
                Some(got) => {
                    prop_assert_eq!(got.len(), fields.len());
                    for ((gk, gv), (k, v)) in got.iter().zip(fields) {
                        prop_assert_eq!(gk, k.as_bytes());
                        prop_assert!(value_matches(v, gv), "{:?} read as {:?} in {:?}", v, gv, line);
                    }
                }
            }
        }
    }
}
