//! The `log` facade gives each record the `file:line` of its `log::info!`
//! (text after the target, JSON `file` and `line`); a `log::Record` built
//! without a file shows none.

use uringlog::Logger;
use uringlog_tests::{call_site_sinks, SHUTDOWN};

#[test]
fn log_facade_shows_call_sites() {
    let (builder, text_out, json_out) = call_site_sinks(Logger::builder());
    let (_logger, guard) = builder.init_global().unwrap();
    let f = file!();
    let l1 = line!() + 1;
    log::info!(target: "svc", "plain {}", 1);
    let l2 = line!() + 1;
    log::warn!(target: "svc", line = 5; "with a field");
    log::logger().log(
        &log::Record::builder()
            .level(log::Level::Error)
            .target("svc")
            .args(format_args!("no file"))
            .build(),
    );
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((s.enqueued, s.written), (3, 3));
    assert_eq!(
        text_out.text(),
        format!(
            "INFO  svc {f}:{l1}: plain 1\nWARN  svc {f}:{l2}: \"with a field\" line=5\nERROR svc: no file\n"
        )
    );
    assert_eq!(
        json_out.text(),
        format!(
            concat!(
                "{{\"level\":\"INFO\",\"target\":\"svc\",\"file\":\"{f}\",\"line\":{l1},\"msg\":\"plain 1\"}}\n",
                "{{\"level\":\"WARN\",\"target\":\"svc\",\"file\":\"{f}\",\"line\":{l2},\"msg\":\"with a field\",\"line#2\":5}}\n",
                "{{\"level\":\"ERROR\",\"target\":\"svc\",\"msg\":\"no file\"}}\n",
            ),
            f = f,
            l1 = l1,
            l2 = l2
        )
    );
}
