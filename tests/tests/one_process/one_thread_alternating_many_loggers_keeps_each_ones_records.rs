//! One thread logs to many loggers in turn (A, B, A, …, the thread's last
//! producer changing every call), while some of them shut down and new
//! ones are built, free to land where a dropped one was: each logger
//! gets exactly its own records, in order, and a shut-down one counts
//! later calls dropped; none is written through another's producer.

use uringlog::{Level, Logger, MemoryHandle, WriterGuard};
use uringlog_tests::{text_memory_logger, SHUTDOWN};

struct One {
    logger: Logger,
    guard: Option<WriterGuard>,
    out: MemoryHandle,
    want: Vec<String>,
    calls: u64,
}

fn one() -> One {
    let (logger, guard, out) = text_memory_logger();
    One {
        logger,
        guard: Some(guard),
        out,
        want: Vec::new(),
        calls: 0,
    }
}

fn check(o: &mut One, name: &str) {
    let s = o.guard.take().unwrap().shutdown(SHUTDOWN).unwrap();
    assert_eq!(o.out.lines(), o.want, "{name}");
    let written = o.want.len() as u64;
    assert_eq!(
        (s.enqueued, s.written, s.dropped),
        (o.calls, written, o.calls - written),
        "{name}"
    );
}

#[test]
fn one_thread_alternating_many_loggers_keeps_each_ones_records() {
    let mut live: Vec<One> = (0..40).map(|_| one()).collect();
    let mut retired = 0;
    for round in 0..30u64 {
        for (i, o) in live.iter_mut().enumerate() {
            for k in 0..2u64 {
                uringlog::info!(o.logger, target: "t", "r{} i{} k{}", round, i, k);
                o.logger
                    .log(Level::Info, "t", format_args!("pre {round} {i}"));
                o.calls += 2;
                if o.guard.is_some() {
                    o.want.push(format!("INFO  t: r{round} i{i} k{k}"));
                    o.want.push(format!("INFO  t: pre {round} {i}"));
                }
            }
        }
        // A, B, A on the same pair, the cache switching each call.
        for k in 0..3 {
            for j in [0, 1, 0] {
                let o = &mut live[j];
                o.logger
                    .log(Level::Info, "t", format_args!("aba {round} {k}"));
                o.calls += 1;
                if o.guard.is_some() {
                    o.want.push(format!("INFO  t: aba {round} {k}"));
                }
            }
        }
        // Every third round: shut one down and keep logging to it; drop
        // another whole and build a new one (its `Shared` freed, the next
        // allocation of that size free to land there).
        if round % 3 == 0 {
            let n = round as usize % live.len();
            let s = live[n].guard.take().unwrap().shutdown(SHUTDOWN).unwrap();
            assert_eq!(live[n].out.lines(), live[n].want, "shut down {n}");
            live[n].guard = None;
            // Later calls count dropped; compare counts at the end.
            let mut dead = one();
            std::mem::swap(&mut dead, &mut live[n]);
            let (l, calls) = (dead.logger.clone(), dead.calls);
            assert_eq!(s.enqueued, calls);
            for k in 0..5 {
                l.log(Level::Info, "t", format_args!("after shutdown {k}"));
            }
            assert_eq!(l.stats().enqueued, calls + 5);
            assert_eq!(l.stats().dropped, 5);
            drop((dead, l));
            retired += 1;
        }
    }
    assert_eq!(retired, 10);
    for (i, o) in live.iter_mut().enumerate() {
        check(o, &format!("logger {i}"));
    }
}
