//! Section 1, last part: `Backend::Auto`'s choice against this report's own
//! comparison of the two backends.

use super::{cell, spread};
use crate::config::{Route, DEFAULT_BATCH_SIZE};
use crate::suite::ReportData;
use crate::targets::{auto_decisions, thousands, throughput};
use std::fmt::Write as _;

/// What the comparison says about Auto's choice.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Auto chose the backend that was faster end to end.
    Agrees,
    /// The two backends' ranges overlap: either choice is within noise.
    TooClose,
    /// Auto chose the slower backend.
    Disagrees,
    /// Auto had not decided when the run ended, or a run is missing.
    Undecided(String),
}

/// Judges `choices` (each `io_backend()` text) against end-to-end rates:
/// `(median, (min, max))` lines/s of io_uring and of pwrite.
pub fn judge(choices: &[&str], uring: (f64, (f64, f64)), pwrite: (f64, (f64, f64))) -> Verdict {
    let decided: Vec<&str> = choices
        .iter()
        .copied()
        .filter(|c| c.starts_with("io_uring") || c.starts_with("pwrite"))
        .collect();
    if decided.is_empty() {
        return Verdict::Undecided(
            "Auto was still measuring when each run ended: it decides once each backend has \
             written its trial batches (or after its trial window), and these runs were shorter"
                .to_owned(),
        );
    }
    let uring_votes = decided.iter().filter(|c| c.starts_with("io_uring")).count();
    let chose_uring = uring_votes * 2 > decided.len();
    let overlap = uring.1 .0 <= pwrite.1 .1 && pwrite.1 .0 <= uring.1 .1;
    let uring_faster = uring.0 > pwrite.0;
    if chose_uring == uring_faster {
        Verdict::Agrees
    } else if overlap {
        Verdict::TooClose
    } else {
        Verdict::Disagrees
    }
}

/// The subsection.
pub fn check(s: &mut String, d: &ReportData) {
    let large = d.sizes.large;
    let _ = writeln!(s, "### `Backend::Auto` against this comparison\n");
    let _ = writeln!(
        s,
        "`Auto` decides per logger, from the writer thread's time per byte in each backend \
         over its first batches (the two alternating); the table above compares whole runs \
         end to end. Its decisions in the runs with the engine's defaults (section 4, \
         batch size {DEFAULT_BATCH_SIZE}, {} calls, `io_backend()` read after shutdown):\n",
        thousands(large)
    );
    let choices = auto_decisions(d);
    let _ = writeln!(s, "| Repetition | `io_backend()` |\n|---:|---|");
    for (i, c) in choices.iter().enumerate() {
        let _ = writeln!(s, "| {} | {} |", i + 1, cell(c));
    }
    if choices.is_empty() {
        let _ = writeln!(s, "| — | not run |");
    }
    let rates =
        |r| throughput(d, r, large, 1).map(|t| (t.lines_per_sec(), t.rate_range(), t.reps.len()));
    let (Some(u), Some(p)) = (rates(Route::AsyncIoUring), rates(Route::AsyncPwrite)) else {
        let _ = writeln!(
            s,
            "\nNo verdict: the io_uring or pwrite row of the comparison did not run.\n"
        );
        return;
    };
    let shown = |x: (f64, (f64, f64), usize)| {
        spread(x.0, x.1, |v| thousands(v as u64)) + &format!(" logs/s (n={})", x.2)
    };
    let _ = writeln!(
        s,
        "\nThis report, {} calls, one thread: io_uring {}, pwrite {}.\n",
        thousands(large),
        shown(u),
        shown(p)
    );
    let verdict = match judge(&choices, (u.0, u.1), (p.0, p.1)) {
        Verdict::Agrees => "✅ Auto chose the backend that was faster end to end here.".to_owned(),
        Verdict::TooClose => "➖ Auto chose the other backend, but the two ranges overlap: \
             on this run either choice is within noise."
            .to_owned(),
        Verdict::Disagrees => "❌ Auto chose the backend that was slower end to end here: its \
             figure is the writer's time per byte over the first batches, which does not see \
             what the io-wq worker takes from the producers or how the two fare once the \
             page cache fills."
            .to_owned(),
        Verdict::Undecided(why) => format!("— No verdict: {why}."),
    };
    let _ = writeln!(s, "{verdict}\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    const U: &str = "io_uring: measured: …";
    const P: &str = "pwrite: measured: …";
    const M: &str = "auto: measuring: …";

    #[test]
    fn verdicts() {
        let fast = (2.0e6, (1.9e6, 2.1e6));
        let slow = (1.0e6, (0.9e6, 1.1e6));
        let near = (1.95e6, (1.5e6, 2.0e6));
        assert_eq!(judge(&[U, U, P], fast, slow), Verdict::Agrees);
        assert_eq!(judge(&[P], slow, fast), Verdict::Agrees);
        assert_eq!(judge(&[P, P], fast, slow), Verdict::Disagrees);
        assert_eq!(judge(&[P], fast, near), Verdict::TooClose);
        assert!(matches!(judge(&[M, M], fast, slow), Verdict::Undecided(_)));
        assert!(matches!(judge(&[], fast, slow), Verdict::Undecided(_)));
    }
}
