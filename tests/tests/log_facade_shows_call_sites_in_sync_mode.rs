//! In sync mode the `log` facade gives each record the `file:line` of its
//! `log::info!` exactly as in async mode.

use uringlog::{Logger, Mode};
use uringlog_tests::{call_site_sinks, SHUTDOWN};

#[test]
fn log_facade_shows_call_sites_in_sync_mode() {
    let (builder, text_out, json_out) = call_site_sinks(Logger::builder().mode(Mode::Sync));
    let (_logger, guard) = builder.init_global().unwrap();
    let f = file!();
    let l = line!() + 1;
    log::info!(target: "svc", file = "x"; "kv {}", 1);
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((s.enqueued, s.written), (1, 1));
    assert_eq!(
        text_out.text(),
        format!("INFO  svc {f}:{l}: \"kv 1\" file=x\n")
    );
    assert_eq!(
        json_out.text(),
        format!("{{\"level\":\"INFO\",\"target\":\"svc\",\"file\":\"{f}\",\"line\":{l},\"msg\":\"kv 1\",\"file#2\":\"x\"}}\n")
    );
}
