//! Sections 6 and 7: the computed checklist and targets vs actual.

use super::cell;
use crate::suite::ReportData;
use crate::targets::{design_targets, seed_targets, Target};
use std::fmt::Write as _;

/// Section 6.
pub fn checklist(s: &mut String, d: &ReportData) {
    let _ = writeln!(s, "## 6. Verification checklist\n");
    let _ = writeln!(
        s,
        "Computed from the runs above: the engine's counters after shutdown and the log \
         files read back line by line (producer `p` of `n` logs ids `p, p+n, …`, so order \
         is checked per producer). Async pwrite, `Policy::Block`.\n"
    );
    let _ = writeln!(s, "| Test | Result | Status |");
    let _ = writeln!(s, "|---|---|---|");
    for c in crate::checklist::checklist(d) {
        let _ = writeln!(s, "| {} | {} | {} |", c.test, cell(&c.result), c.mark());
    }
    let _ = writeln!(s);
}

/// Section 7.
pub fn targets(s: &mut String, d: &ReportData) {
    let _ = writeln!(s, "## 7. Targets vs actual\n");
    let _ = writeln!(s, "### The seed report's targets\n");
    table(s, &seed_targets(d));
    let _ = writeln!(s, "### The project's performance goals\n");
    let bpl =
        crate::targets::peer(d, crate::peers::URINGLOG).map(|p| p.median(|r| r.bytes_per_line));
    let size = bpl.map_or(String::new(), |b| format!(" {b:.0}-byte"));
    let _ = writeln!(
        s,
        "The first milestone and the goal, for {}{size} lines from one producer, lossless, \
         end to end; latency on the caller's side at a controlled rate. Each row names the \
         section its figure comes from.\n",
        crate::targets::thousands(d.sizes.large)
    );
    table(s, &design_targets(d));
}

fn table(s: &mut String, v: &[Target]) {
    let _ = writeln!(s, "| Target | Actual | Status |");
    let _ = writeln!(s, "|---|---|---|");
    for t in v {
        let _ = writeln!(s, "| {} | {} | {} |", t.target, cell(&t.actual), t.status());
    }
    let _ = writeln!(s);
}
