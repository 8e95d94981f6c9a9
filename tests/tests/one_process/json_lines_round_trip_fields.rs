//! Every JSON line parses with serde_json and gives back the message and
//! every field: strings exactly (quotes, newlines, any Unicode), bytes as
//! `String::from_utf8_lossy`, numbers and booleans by value.

use proptest::prelude::*;
use serde_json::Value;
use std::time::Duration;
use uringlog::{Format, Level, Logger, MemorySink};

type Rec = (String, String, Vec<u8>, i64, u64, f64, bool);

fn rec() -> impl Strategy<Value = Rec> {
    (
        any::<String>(),
        any::<String>(),
        proptest::collection::vec(any::<u8>(), 0..32),
        any::<i64>(),
        any::<u64>(),
        any::<f64>(),
        any::<bool>(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn json_lines_round_trip_fields(recs in proptest::collection::vec(rec(), 1..40)) {
        let (sink, out) = MemorySink::new();
        let (logger, guard) = Logger::builder()
            .level(Level::Trace)
            .sink(sink)
            .format(Format::json().with_thread_id())
            .build()
            .unwrap();
        for (msg, s, b, i, u, x, flag) in &recs {
            uringlog::info!(logger, target: "prop", s = s, b = b, i = *i, u = *u, x = *x, flag = *flag; "m:{}", msg);
        }
        guard.shutdown(Duration::from_secs(5)).unwrap();
        let text = out.text();
        let lines: Vec<&str> = text.lines().collect();
        prop_assert_eq!(lines.len(), recs.len());
        for (line, (msg, s, b, i, u, x, flag)) in lines.iter().zip(&recs) {
            let v: Value = serde_json::from_str(line).unwrap();
            prop_assert_eq!(v["level"].as_str(), Some("INFO"));
            prop_assert_eq!(v["target"].as_str(), Some("prop"));
            prop_assert!(v["thread"].as_u64().is_some());
            let want_msg = format!("m:{msg}");
            prop_assert_eq!(v["msg"].as_str(), Some(want_msg.as_str()));
            prop_assert_eq!(v["s"].as_str(), Some(s.as_str()));
            let lossy = String::from_utf8_lossy(b);
            prop_assert_eq!(v["b"].as_str(), Some(lossy.as_ref()));
            prop_assert_eq!(v["i"].as_i64(), Some(*i));
            prop_assert_eq!(v["u"].as_u64(), Some(*u));
            if x.is_finite() {
                prop_assert_eq!(v["x"].as_f64(), Some(*x));
            } else {
                prop_assert!(v["x"].is_null());
            }
            prop_assert_eq!(v["flag"].as_bool(), Some(*flag));
        }
    }
}
