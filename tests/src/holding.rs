//! A deferred sink for tests: it holds each record it takes, as text,
//! until user code given to it settles them.

use std::time::Duration;
use uringlog::{Backlog, Completion, RecordBatch, Settled, Sink, SinkContext, Target, Ticket};

/// What a [`Holding`] sink holds: each record's ticket and its line,
/// without the newline.
pub type Held = Vec<(Ticket, String)>;

/// A deferred sink that keeps what it takes and, at each turn it gets
/// while it holds records, hands them to `on_settle`, which settles what
/// it likes (and may run any user code).
pub struct Holding<F> {
    name: &'static str,
    flush_timeout: Duration,
    held: Held,
    on_settle: F,
}

impl<F: FnMut(&mut Held, &mut Settled) + Send + 'static> Holding<F> {
    /// A sink described as `name`, whose flushes wait up to `flush_timeout`.
    pub fn new(name: &'static str, flush_timeout: Duration, on_settle: F) -> Holding<F> {
        Holding {
            name,
            flush_timeout,
            held: Vec::new(),
            on_settle,
        }
    }
}

/// Settles every record in `held` as written.
pub fn write_all(held: &mut Held, done: &mut Settled) {
    for (t, text) in held.drain(..) {
        done.written(t, text.len() + 1);
    }
}

impl<F: FnMut(&mut Held, &mut Settled) + Send + 'static> Sink for Holding<F> {
    fn describe(&self) -> String {
        self.name.to_owned()
    }
    fn target(&mut self, _len: usize) -> std::io::Result<Target> {
        unreachable!("deferred sinks get accept")
    }
    fn completion(&mut self, _ctx: &SinkContext) -> Completion {
        Completion::Deferred {
            flush_timeout: self.flush_timeout,
        }
    }
    fn accept(&mut self, batch: &RecordBatch<'_>, _done: &mut Settled) -> std::io::Result<()> {
        for r in batch.records() {
            let text = String::from_utf8_lossy(r.bytes).trim_end().to_owned();
            self.held.push((r.ticket, text));
        }
        Ok(())
    }
    fn settle(&mut self, _wait: Duration, done: &mut Settled) {
        if !self.held.is_empty() {
            (self.on_settle)(&mut self.held, done);
        }
    }
    fn backlog(&self) -> Backlog {
        Backlog::new(self.held.first().map(|(t, _)| t.seq()), false)
    }
}
