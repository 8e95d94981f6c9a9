//! The verification checklist: every row computed from what a run did and
//! what its file holds, never assumed.

use crate::config::{PolicyName, Route};
use crate::suite::{Measured, ReportData};
use crate::targets::thousands;
use crate::throughput::{Counts, Rep, ThroughputResult};

/// Shutdown must finish within this for "graceful shutdown" (the seed's target).
pub const SHUTDOWN_LIMIT_S: f64 = 5.0;

/// One row of the checklist.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    /// What is checked.
    pub test: String,
    /// What was found.
    pub result: String,
    /// Whether it holds.
    pub pass: bool,
}

impl Check {
    fn new(test: impl Into<String>, result: impl Into<String>, pass: bool) -> Check {
        Check {
            test: test.into(),
            result: result.into(),
            pass,
        }
    }

    /// ✅ or ❌.
    pub fn mark(&self) -> &'static str {
        if self.pass {
            "✅"
        } else {
            "❌"
        }
    }
}

/// The seed's checks for one Block-policy throughput run, over every
/// repetition (a check fails if any repetition fails it): enqueued, written,
/// lines in the file, per-producer order, no loss, graceful shutdown.
pub fn run_checks(what: &str, run: &Result<ThroughputResult, String>) -> Vec<Check> {
    let r = match run {
        Ok(r) if !r.reps.is_empty() => r,
        Ok(_) => return vec![Check::new(what, "no repetition ran", false)],
        Err(e) => return vec![Check::new(what, format!("not run: {e}"), false)],
    };
    let n = r.count;
    let worst = |bad: &dyn Fn(&Rep) -> bool| r.reps.iter().find(|x| bad(x)).unwrap_or(&r.reps[0]);
    let rep = worst(&|x| x.counts.enqueued != n);
    let mut v = vec![Check::new(
        format!("{what}: {} messages enqueued", thousands(n)),
        thousands(rep.counts.enqueued),
        rep.counts.enqueued == n,
    )];
    let rep = worst(&|x| x.counts.written != n);
    v.push(Check::new(
        format!("{what}: {} messages written", thousands(n)),
        thousands(rep.counts.written),
        rep.counts.written == n,
    ));
    let rep = worst(&|x| !x.file.exact());
    let f = &rep.file;
    let found = format!(
        "{} lines, {} distinct ids, {} missing, {} duplicated, {} other",
        thousands(f.lines),
        thousands(f.found),
        f.missing(),
        f.duplicates,
        f.other_lines
    );
    v.push(Check::new(
        format!("{what}: file contains {} lines", thousands(n)),
        found,
        f.exact(),
    ));
    let rep = worst(&|x| !x.file.order_preserved());
    let order = match rep.file.out_of_order {
        0 => format!("Yes ({} producer(s))", rep.file.producers),
        k => format!("No: {k} records out of order"),
    };
    let ordered = rep.file.order_preserved() && rep.file.found > 0;
    v.push(Check::new(
        format!("{what}: order preserved"),
        order,
        ordered,
    ));
    let rep = worst(&|x| x.counts.dropped != 0 || x.file.missing() != 0);
    let (dropped, missing) = (rep.counts.dropped, rep.file.missing());
    v.push(Check::new(
        format!("{what}: no data loss (BLOCK mode)"),
        format!("{dropped} dropped, {missing} missing"),
        dropped == 0 && missing == 0,
    ));
    v.push(shutdown_check(what, r));
    v
}

fn shutdown_check(what: &str, r: &ThroughputResult) -> Check {
    let test = format!("{what}: graceful shutdown (< {SHUTDOWN_LIMIT_S} s)");
    if let Some(e) = r.reps.iter().find_map(|x| x.shutdown_error.as_ref()) {
        return Check::new(test, format!("failed: {e}"), false);
    }
    let slowest = r.reps.iter().map(|x| x.shutdown_s).fold(0.0, f64::max);
    let result = format!("clean, slowest {:.2} ms", slowest * 1e3);
    Check::new(test, result, slowest < SHUTDOWN_LIMIT_S)
}

/// The whole checklist of a report: the seed's checks on its 1,000-call
/// run and on the largest multi-producer run (both async pwrite, Block),
/// then accounting over every run and the Block backpressure run.
pub fn checklist(d: &ReportData) -> Vec<Check> {
    let find = |count: u64, threads: usize| {
        d.throughput
            .iter()
            .find(|m| {
                m.key.route == Route::AsyncPwrite
                    && m.key.count == count
                    && m.key.threads == threads
            })
            .map(|m| m.result.clone())
            .unwrap_or_else(|| Err("not in this run".to_owned()))
    };
    let mut v = run_checks(
        &format!("{} calls, 1 thread", thousands(d.sizes.small)),
        &find(d.sizes.small, 1),
    );
    let t = d.sizes.threads.iter().copied().max().unwrap_or(1);
    let label = format!("{} calls, {t} threads", thousands(d.sizes.large));
    v.extend(run_checks(&label, &find(d.sizes.large, t)));
    v.push(accounting_check(d));
    v.push(block_backpressure_check(d));
    v
}

fn accounting_check(d: &ReportData) -> Check {
    let mut all: Vec<Counts> = Vec::new();
    let runs = d.throughput.iter().map(|m| &m.result);
    for r in runs.chain(d.batch.iter().map(|m| &m.result)).flatten() {
        all.extend(r.reps.iter().map(|x| x.counts));
    }
    all.extend(
        d.latency
            .iter()
            .filter_map(|m| m.result.as_ref().ok().map(|r| r.counts)),
    );
    all.extend(
        d.backpressure
            .iter()
            .filter_map(|m| m.result.as_ref().ok().map(|r| r.counts)),
    );
    let bad = all.iter().filter(|c| !c.balanced()).count();
    Check::new(
        "written + dropped == enqueued after shutdown, every run",
        format!("{} runs, {bad} unbalanced", all.len()),
        bad == 0 && !all.is_empty(),
    )
}

fn block_backpressure_check(d: &ReportData) -> Check {
    let test = format!(
        "BLOCK with a ~{}-record ring: nothing dropped, every line in the file",
        crate::backpressure::RING_RECORDS
    );
    let test = test.as_str();
    match d.backpressure.iter().find(|m| m.key == PolicyName::Block) {
        Some(Measured { result: Ok(r), .. }) => Check::new(
            test,
            format!(
                "{} written, {} dropped, {} lines",
                r.counts.written, r.counts.dropped, r.file.lines
            ),
            r.counts.dropped == 0 && r.file.exact(),
        ),
        Some(Measured { result: Err(e), .. }) => Check::new(test, format!("not run: {e}"), false),
        None => Check::new(test, "not in this run", false),
    }
}
