//! The cost of a log call per front end, for counting instructions under
//! callgrind (wall-clock timings on a shared machine are too noisy for a
//! few nanoseconds): calls the filter refuses, and accepted `tracing`
//! events with three fields in a span, written to a file (every thread
//! counted: the caller's work and the background writer's).
//!
//! ```sh
//! cargo build --release -p uringlog-bench --example front_end_costs
//! for c in none macro-level macro-cached macro-dynamic log-static tracing-layer \
//!          event-appender event-writer event-layer event-macro; do
//!   valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     target/release/examples/front_end_costs $c 200000 2>&1 | grep Collected
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
    let dir = tempfile::tempdir().expect("a temp dir");
    let file = dir.path().join("costs.log");
    let builder = match case.starts_with("event-") {
        // A ring that holds every event: no call waits for the writer.
        true => Logger::builder()
            .sink(uringlog_sinks::FileSink::new(&file).expect("a log file"))
            .ring_capacity(256 << 20)
            .filter(directives),
        false => builder,
    };
    let (logger, guard) = match case {
        "log-static" => builder.init_global(),
        _ => builder.build(),
    }
    .expect("a valid logger");
    let mut appender_guard = None;
    match case {
        "tracing-layer" | "event-layer" => tracing_subscriber::registry()
            .with(uringlog::tracing::layer(&logger))
            .init(),
        "event-writer" => tracing_subscriber::fmt()
            .with_writer(uringlog::tracing::make_writer(&logger))
            .with_ansi(false)
            .init(),
        "event-appender" => {
            let (nb, g) = tracing_appender::non_blocking::NonBlockingBuilder::default()
                .lossy(false)
                .finish(tracing_appender::rolling::never(dir.path(), "appender.log"));
            appender_guard = Some(g);
            tracing_subscriber::fmt()
                .with_writer(nb)
                .with_ansi(false)
                .init()
        }
        _ => {}
    }
    let span = tracing::info_span!("request", method = "GET", path = "/items");
    let _entered = case.starts_with("event-").then(|| span.enter());
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
            "event-appender" | "event-writer" | "event-layer" => {
                tracing::info!(status = 200u16, bytes = 3u64, request = i, "handled")
            }
            "event-macro" => {
                uringlog::info!(logger, status = 200u16, bytes = 3u64, request = i; "handled")
            }
            other => panic!("unknown case {other}"),
        }
    }
    if !case.starts_with("event-") {
        assert_eq!(logger.stats().enqueued, 0, "every call was refused");
    }
    if appender_guard.is_some() {
        // Its guard waits at most a second: wait until every line is in the file.
        let path = dir.path().join("appender.log");
        let lines =
            || std::fs::read(&path).map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count());
        while (lines() as u64) < n {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
    drop(appender_guard);
    drop(logger);
    let _ = guard.shutdown(std::time::Duration::from_secs(30));
}
