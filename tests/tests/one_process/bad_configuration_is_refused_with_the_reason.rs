//! Zero, tiny and absurd settings, a missing sink, and an unopenable file
//! each get an error naming the value and why.

use uringlog::{Logger, MemorySink};
use uringlog_sinks::FileSink;

fn err(b: uringlog::Builder) -> String {
    b.build().map(|_| ()).unwrap_err().to_string()
}

fn mem() -> uringlog::Builder {
    Logger::builder().sink(MemorySink::new().0)
}

#[test]
fn bad_values_are_refused_with_the_reason() {
    assert_eq!(
        err(mem().ring_capacity(0)),
        "invalid ring_capacity 0: must be at least 256 bytes"
    );
    assert_eq!(
        err(mem().ring_capacity(100)),
        "invalid ring_capacity 100: too small: one record needs room; the minimum is 256 bytes"
    );
    assert_eq!(
        err(mem().ring_capacity(1 << 31)),
        "invalid ring_capacity 2147483648: too large: the maximum is 1073741824 bytes"
    );
    assert_eq!(
        err(mem().batch_size(0)),
        "invalid batch_size 0: must be at least 1 records"
    );
    assert_eq!(
        err(mem().batch_bytes(10)),
        "invalid batch_bytes 10: too small: one record needs room; the minimum is 4096 bytes"
    );
    assert_eq!(
        err(mem().linger_us(uringlog::MAX_LINGER_US + 1)),
        "invalid linger_us 60000001: too large: the maximum is 60000000 µs"
    );
    assert_eq!(
        err(Logger::builder()),
        "no sink configured: call .sink(..) before .build()"
    );
}

#[test]
fn unopenable_file_names_the_path_and_the_os_reason() {
    let e = FileSink::new("/proc/definitely/not/here.log").unwrap_err();
    assert_eq!(
        e.to_string(),
        "cannot open log file /proc/definitely/not/here.log: No such file or directory (os error 2)"
    );
}
