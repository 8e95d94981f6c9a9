//! PNG charts of the latency histogram and of a tuning sweep, drawn with
//! plotters' bitmap backend and a font bundled in a crate (no system fonts).

use crate::measure::Bucket;
use crate::sweep::SweepRow;
use plotters::coord::ranged1d::ValueFormatter;
use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};
use std::path::Path;
use std::sync::OnceLock;

/// Size of every chart, pixels.
const SIZE: (u32, u32) = (960, 540);

fn font() -> Result<(), String> {
    static ONCE: OnceLock<Result<(), String>> = OnceLock::new();
    ONCE.get_or_init(|| {
        register_font(
            "sans-serif",
            FontStyle::Normal,
            epaint_default_fonts::UBUNTU_LIGHT,
        )
        .map_err(|_| "the bundled font could not be loaded".to_owned())
    })
    .clone()
}

fn err(e: impl std::fmt::Display) -> String {
    format!("drawing a chart: {e}")
}

/// One line of a chart.
pub struct Series {
    /// Legend text.
    pub name: String,
    /// Points, x ascending.
    pub points: Vec<(f64, f64)>,
}

/// How the y axis of a [`line_chart`] is scaled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum YScale {
    /// From 0, linear.
    Linear,
    /// Logarithmic, from the smallest positive value.
    Log,
}

/// The bounds of every point: (x min, x max, y min > 0, y max).
fn bounds(series: &[Series]) -> (f64, f64, f64, f64) {
    let pts = series.iter().flat_map(|s| s.points.iter());
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, 0.0f64, f64::MAX, 0.0f64);
    for &(x, y) in pts {
        (x0, x1) = (x0.min(x), x1.max(x));
        if y > 0.0 {
            (y0, y1) = (y0.min(y), y1.max(y));
        }
    }
    if x0 > x1 {
        return (1.0, 10.0, 1.0, 10.0);
    }
    (x0.max(1e-3), x1.max(x0 * 2.0), y0.min(y1), y1.max(1e-9))
}

/// Draws `series` on a log-scale x axis into the PNG `out`.
pub fn line_chart(
    out: &Path,
    title: &str,
    axes: (&str, &str),
    y_scale: YScale,
    series: &[Series],
) -> Result<(), String> {
    font()?;
    let (x0, x1, y0, y1) = bounds(series);
    let root = BitMapBackend::new(out, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let mut builder = ChartBuilder::on(&root);
    builder
        .caption(title, ("sans-serif", 24))
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(72);
    let x = (x0 / 1.3..x1 * 1.3).log_scale();
    match y_scale {
        YScale::Linear => {
            let chart = builder.build_cartesian_2d(x, 0.0..y1 * 1.1).map_err(err)?;
            draw(chart, axes, series)?;
        }
        YScale::Log => {
            let chart = builder
                .build_cartesian_2d(x, (y0 / 2.0..y1 * 2.0).log_scale())
                .map_err(err)?;
            draw(chart, axes, series)?;
        }
    }
    root.present().map_err(err)
}

fn draw<'a, Y>(
    mut chart: ChartContext<'a, BitMapBackend<'a>, Cartesian2d<LogCoord<f64>, Y>>,
    (x_desc, y_desc): (&str, &str),
    series: &[Series],
) -> Result<(), String>
where
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .x_label_formatter(&|x| short(*x))
        .y_label_formatter(&|y| short(*y))
        .label_style(("sans-serif", 15))
        .draw()
        .map_err(err)?;
    for (i, s) in series.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        let style = color.stroke_width(2);
        chart
            .draw_series(LineSeries::new(s.points.iter().copied(), style))
            .map_err(err)?
            .label(s.name.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], style));
    }
    chart
        .configure_series_labels()
        .label_font(("sans-serif", 16))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(err)
}

/// An axis label: integers without decimals, small values with a few.
fn short(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 1.0 {
        format!("{v:.1}")
    } else {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

/// The latency histogram of each route: % of calls per bucket.
pub fn latency_chart(out: &Path, hist: &[(String, Vec<Bucket>)]) -> Result<(), String> {
    let series: Vec<Series> = hist
        .iter()
        .map(|(name, buckets)| {
            let total = buckets.iter().map(|b| b.count).sum::<u64>().max(1) as f64;
            Series {
                name: name.clone(),
                points: buckets
                    .iter()
                    .map(|b| (b.lo_ns.max(1) as f64, 100.0 * b.count as f64 / total))
                    .collect(),
            }
        })
        .collect();
    line_chart(
        out,
        "Caller-side latency per call",
        (
            "latency, ns (log scale; 4 buckets per power of two)",
            "% of calls (log scale)",
        ),
        YScale::Log,
        &series,
    )
}

/// A sweep: M lines/s by batch size, one line per backend and ring size.
pub fn sweep_chart(out: &Path, rows: &[SweepRow]) -> Result<(), String> {
    let mut series: Vec<Series> = Vec::new();
    for r in rows.iter().filter(|r| r.error.is_none()) {
        let name = format!("{} ring {} KiB", r.backend, r.ring_capacity / 1024);
        let point = (r.batch_size as f64, r.lines_per_sec / 1e6);
        match series.iter_mut().find(|s| s.name == name) {
            Some(s) => s.points.push(point),
            None => series.push(Series {
                name,
                points: vec![point],
            }),
        }
    }
    for s in &mut series {
        s.points.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    line_chart(
        out,
        "Throughput by configuration",
        ("batch_size, records (log scale)", "M lines/s, end to end"),
        YScale::Linear,
        &series,
    )
}
