//! The cost of a call the filter refuses, per front end, for counting
//! instructions under callgrind (wall-clock timings on a shared machine are
//! too noisy for a few nanoseconds):
//!
//! ```sh
//! cargo build --release -p uringlog-bench --example filtered_calls
//! for c in none macro-level macro-cached macro-dynamic log-static tracing-layer; do
//!   valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     target/release/examples/filtered_calls $c 1000000 2>&1 | grep Collected
//! done
//! ```
//!
//! Per call: (instructions of a case - those of `none`) / calls.

use std::hint::black_box;
use tracing_subscriber::prelude::*;
use uringlog::{Level, Logger};
use uringlog_bench::null_sink::NullSink;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let case = args.first().map_or("none", String::as_str);
    let n: u64 = args
        .get(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let directives = match case {
        "macro-level" => "info",
        _ => "info,app::db=debug,hyper=off",
    };
    let builder = Logger::builder()
        .sink(NullSink::new().0)
        .level(Level::Info)
        .filter(directives);
    let (logger, guard) = match case {
        "log-static" => builder.init_global(),
        _ => builder.build(),
    }
    .expect("a valid logger");
    if case == "tracing-layer" {
        tracing_subscriber::registry()
            .with(uringlog::tracing::layer(&logger))
            .init();
    }
    let target = black_box(String::from("svc::http"));
    for i in 0..n {
        match case {
            "none" => {
                black_box(i);
            }
            "macro-level" | "macro-cached" => uringlog::debug!(logger, "refused {}", i),
            "macro-dynamic" => uringlog::debug!(logger, target: target.as_str(), "refused {}", i),
            "log-static" => log::debug!("refused {}", i),
            "tracing-layer" => tracing::debug!(i, "refused"),
            other => panic!("unknown case {other}"),
        }
    }
    assert_eq!(logger.stats().enqueued, 0, "every call was refused");
    drop(logger);
    let _ = guard.shutdown(std::time::Duration::from_secs(5));
}
