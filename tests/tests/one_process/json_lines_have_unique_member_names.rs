//! Every JSON line is an object whose member names are unique — checked by
//! a parser that refuses duplicates — although fields are named like the
//! fixed members (`msg`, `ts`, `level`, `target`, `thread`) or like each
//! other: a taken name gets the first free `#2`, `#3`, … as documented on
//! `Format`. Every field comes back under that name with its value, and the
//! line round-trips through `serde_json::Value`.

use proptest::prelude::*;
use serde::de::{Deserialize, Deserializer, Error as _, MapAccess, Visitor};
use serde_json::Value;
use std::collections::HashSet;
use std::fmt;
use std::time::Duration;
use uringlog::{Field, Format, Level, Logger, MemorySink, Timestamp};
use uringlog_tests::records::{fields, nasty_string, Gen};

/// An object's members in order; deserializing fails on a repeated name.
struct Unique(Vec<(String, Value)>);

impl<'de> Deserialize<'de> for Unique {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Unique, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Unique;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Unique, A::Error> {
                let mut seen = HashSet::new();
                let mut members = Vec::new();
                while let Some(k) = m.next_key::<String>()? {
                    if !seen.insert(k.clone()) {
                        return Err(A::Error::custom(format!("duplicate member {k:?}")));
                    }
                    members.push((k, m.next_value::<Value>()?));
                }
                Ok(Unique(members))
            }
        }
        d.deserialize_map(V)
    }
}

#[test]
fn the_checking_parser_refuses_duplicates() {
    assert!(serde_json::from_str::<Unique>(r#"{"a":1,"b":2}"#).is_ok());
    let e = serde_json::from_str::<Unique>(r#"{"a":1,"a":2}"#)
        .err()
        .unwrap();
    assert!(e.to_string().contains("duplicate member \"a\""), "{e}");
}

/// The names the documented rule gives `keys` after the fixed members.
fn expected_names(fixed: &[&str], keys: &[&str]) -> Vec<String> {
    let mut taken: HashSet<String> = fixed.iter().map(|s| s.to_string()).collect();
    keys.iter()
        .map(|k| {
            let mut name = k.to_string();
            let mut n = 2;
            while taken.contains(&name) {
                name = format!("{k}#{n}");
                n += 1;
            }
            taken.insert(name.clone());
            name
        })
        .collect()
}

fn value_matches(want: &Gen, got: &Value) -> bool {
    match want {
        Gen::I64(v) => got.as_i64() == Some(*v),
        Gen::U64(v) => got.as_u64() == Some(*v),
        Gen::F64(v) if v.is_finite() => got.as_f64() == Some(*v),
        Gen::F32(v) if v.is_finite() => got.as_f64().map(|g| g as f32) == Some(*v),
        Gen::F64(_) | Gen::F32(_) | Gen::None => got.is_null(),
        Gen::Bool(v) => got.as_bool() == Some(*v),
        w => {
            got.as_str().map(str::as_bytes)
                == Some(String::from_utf8_lossy(&w.bytes().unwrap()).as_bytes())
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn json_lines_have_unique_member_names(
        recs in proptest::collection::vec((nasty_string(8), nasty_string(16), fields(8)), 1..16),
        (ts, thread, target) in any::<(bool, bool, bool)>(),
    ) {
        let mut format = Format::json();
        let mut fixed = vec![];
        if ts { fixed.push("ts") } else { format = format.timestamp(Timestamp::Off) }
        fixed.push("level");
        if thread { fixed.push("thread"); format = format.with_thread_id() }
        if target { fixed.push("target") } else { format = format.without_target() }
        fixed.push("msg");
        let (sink, out) = MemorySink::new();
        let (logger, guard) = Logger::builder().sink(sink).format(format).build().unwrap();
        for (tgt, msg, fields) in &recs {
            let fs: Vec<Field<'_>> = fields.iter().map(|(k, v)| (k.as_str(), v.as_field())).collect();
            logger.log_fields(Level::Info, tgt, &fs, format_args!("{msg}"));
        }
        guard.shutdown(Duration::from_secs(10)).unwrap();
        let text = String::from_utf8(out.bytes()).expect("JSON lines are UTF-8");
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        prop_assert_eq!(lines.len(), recs.len());
        for (line, (tgt, msg, fields)) in lines.iter().zip(&recs) {
            prop_assert_eq!(line.lines().count(), 1, "{:?}", line);
            let Unique(members) = serde_json::from_str(line).map_err(|e| TestCaseError::fail(format!("{e} in {line:?}")))?;
            let keys: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
            let mut want = fixed.iter().map(|s| s.to_string()).collect::<Vec<_>>();
            want.extend(expected_names(&fixed, &keys));
            let names: Vec<&str> = members.iter().map(|(k, _)| k.as_str()).collect();
            prop_assert_eq!(names, want.iter().map(String::as_str).collect::<Vec<_>>());
            let get = |name: &str| &members.iter().find(|(k, _)| k == name).unwrap().1;
            prop_assert_eq!(get("msg").as_str(), Some(msg.as_str()));
            if target {
                prop_assert_eq!(get("target").as_str(), Some(tgt.as_str()));
            }
            for ((_, v), (name, got)) in fields.iter().zip(&members[fixed.len()..]) {
                prop_assert!(value_matches(v, got), "{:?} as {}: {:?} in {:?}", v, name, got, line);
            }
            // The same line through serde_json's own map agrees member for member.
            let whole: Value = serde_json::from_str(line).unwrap();
            let obj = whole.as_object().unwrap();
            prop_assert_eq!(obj.len(), members.len());
            for (k, v) in &members {
                prop_assert_eq!(obj.get(k), Some(v));
            }
        }
    }
}
