//! Section 2, second part: delivery latency, log call to readable line.

use super::{cell, duration};
use crate::delivery::{subjects, DeliveryKey, DeliveryResult, Pattern, Subject};
use crate::suite::Measured;
use crate::targets::thousands;
use std::fmt::Write as _;

/// Delivery rows as measured.
pub type Rows = [Measured<DeliveryKey, DeliveryResult>];

/// The delivery table: one row per trickle or burst (`patterns`), one
/// column per writer.
pub fn delivery(s: &mut String, patterns: &[Pattern], rows: &Rows) {
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(s, "### Delivery: log call to line readable in the file\n");
    let _ = writeln!(
        s,
        "A watcher thread blocks on inotify for the log file and notes when each line \
         becomes readable; the caller notes the time of each call. Each cell: p50 / p99 / max \
         over every record of the row (records per row in the last column). The floor column \
         `write(2)`s the same lines from the calling thread: the watcher's own wake-up, \
         included in every figure. A fresh process per cell.\n"
    );
    let cols = subjects();
    let _ = write!(s, "| Pattern |");
    for c in &cols {
        let _ = write!(s, " {c} |");
    }
    let _ = writeln!(s, " Records |\n|---|{}---:|", "---:|".repeat(cols.len()));
    for &pattern in patterns {
        let _ = write!(s, "| {pattern} |");
        for c in &cols {
            let _ = write!(s, " {} |", figure(rows, *c, pattern));
        }
        let _ = writeln!(s, " {} |", thousands(pattern.records()));
    }
    let _ = writeln!(s);
}

fn figure(rows: &Rows, subject: Subject, pattern: Pattern) -> String {
    let m = rows
        .iter()
        .find(|m| m.key.subject == subject && m.key.pattern == pattern);
    match m.map(|m| &m.result) {
        None => "–".to_owned(),
        Some(Err(e)) => format!("not run: {}", cell(e)),
        Some(Ok(r)) => cell_of(r),
    }
}

fn cell_of(r: &DeliveryResult) -> String {
    let us = |ns: u64| duration(ns as f64 / 1e9);
    let mut c = format!("{} / {} / {}", us(r.p50_ns), us(r.p99_ns), us(r.max_ns));
    if r.missing() > 0 {
        let _ = write!(c, " ({} never seen)", r.missing());
    }
    c
}
