//! Pair plot of a few parameters (chosen in [`pairs`](crate::report)), divergent draws
//! highlighted, axes clipped to the central 99% of the draws.

use plotters::prelude::*;

use super::{
    Area, CAPTION, DIVERGENT, DrawResult, FONT, LABEL, chain_color, histogram, padded_range, svg,
    thin_step, tick,
};
use crate::report::ReportError;

/// Pair plot: histograms on the diagonal, scatter plots of all draws (thinned to `max_points`;
/// divergent draws all shown, in red, on top) below it, correlations above it.
/// `params` holds `(name, draws of all chains concatenated)`; `divergent` the flags in the same
/// order.
pub(crate) fn pair_plot(
    params: &[(String, Vec<f64>)],
    divergent: &[bool],
    max_points: usize,
) -> Result<String, ReportError> {
    pair_plot_marked(params, divergent, max_points, &[])
}

/// [`pair_plot`] with each parameter's range (e.g. the prior's support; `None` ends are
/// infinite) marked by dashed-grey lines; a finite range not much wider than the draws' (at
/// most 20×) is included in the axes, so the plot shows where the draws sit in it.
pub(crate) fn pair_plot_marked(
    params: &[(String, Vec<f64>)],
    divergent: &[bool],
    max_points: usize,
    marks: &[(Option<f64>, Option<f64>)],
) -> Result<String, ReportError> {
    let k = params.len();
    let cell = if k <= 2 { 230 } else { 190 };
    svg(cell * k as u32 + 10, cell * k as u32 + 10, |root| {
        draw_pairs(root, params, divergent, max_points, marks)
    })
}

fn draw_pairs(
    root: &Area,
    params: &[(String, Vec<f64>)],
    divergent: &[bool],
    max_points: usize,
    marks: &[(Option<f64>, Option<f64>)],
) -> DrawResult {
    let k = params.len();
    // Axes span the central 99% of the draws: a few far draws (a funnel's x at ±200) would
    // squeeze everything else into one histogram bin.
    let ranges: Vec<(f64, f64)> = params
        .iter()
        .enumerate()
        .map(|(j, (_, v))| {
            let (lo, hi) = padded_range(central(v)).unwrap_or((-1.0, 1.0));
            match marks.get(j) {
                Some(&(Some(a), Some(b))) if b - a <= 20.0 * (hi - lo) => {
                    padded_range([lo, hi, a, b]).unwrap_or((lo, hi))
                }
                _ => (lo, hi),
            }
        })
        .collect();
    let mark_lines = |j: usize| -> Vec<f64> {
        marks.get(j).map_or(vec![], |&(a, b)| {
            [a, b]
                .into_iter()
                .flatten()
                .filter(|v| *v >= ranges[j].0 && *v <= ranges[j].1)
                .collect()
        })
    };
    let mark_style = ShapeStyle::from(&BLACK.mix(0.45)).stroke_width(1);
    let inside = |k: usize, v: f64| v >= ranges[k].0 && v <= ranges[k].1;
    let cells = root.margin(5, 5, 5, 5).split_evenly((k, k));
    for (idx, area) in cells.iter().enumerate() {
        let (row, col) = (idx / k, idx % k);
        let label_x = if row == k - 1 { 20 } else { 0 };
        let label_y = if col == 0 { 40 } else { 0 };
        if row == col {
            let (name, v) = &params[row];
            let (lo, hi) = ranges[row];
            let shown: Vec<f64> = v.iter().copied().filter(|x| inside(row, *x)).collect();
            let counts = histogram(&shown, lo, hi, 30);
            let ymax = *counts.iter().max().unwrap_or(&1) as f64;
            let mut chart = ChartBuilder::on(area)
                .margin(3)
                .x_label_area_size(label_x)
                .y_label_area_size(label_y)
                .caption(name, (FONT, CAPTION - 1))
                .build_cartesian_2d(lo..hi, 0f64..ymax * 1.05)?;
            chart
                .configure_mesh()
                .x_label_formatter(&tick)
                .disable_mesh()
                .x_labels(3)
                .y_labels(0)
                .label_style((FONT, LABEL - 1))
                .draw()?;
            let w = (hi - lo) / 30.0;
            chart.draw_series(counts.iter().enumerate().map(|(b, &c)| {
                let x0 = lo + b as f64 * w;
                Rectangle::new(
                    [(x0, 0.0), (x0 + w, c as f64)],
                    chain_color(0).mix(0.6).filled(),
                )
            }))?;
            for m in mark_lines(row) {
                let line = [(m, 0.0), (m, ymax * 1.05)];
                chart.draw_series(DashedLineSeries::new(line, 4, 3, mark_style))?;
            }
        } else if row > col {
            let (x, y) = (&params[col].1, &params[row].1);
            let mut chart = ChartBuilder::on(area)
                .margin(3)
                .x_label_area_size(label_x)
                .y_label_area_size(label_y)
                .build_cartesian_2d(ranges[col].0..ranges[col].1, ranges[row].0..ranges[row].1)?;
            chart
                .configure_mesh()
                .x_label_formatter(&tick)
                .y_label_formatter(&tick)
                .disable_mesh()
                .x_labels(3)
                .y_labels(3)
                .label_style((FONT, LABEL - 1))
                .draw()?;
            let step = thin_step(x.len(), max_points);
            let ok = |i: usize| inside(col, x[i]) && inside(row, y[i]);
            chart.draw_series(
                (0..x.len())
                    .step_by(step)
                    .filter(|&i| ok(i) && !divergent.get(i).copied().unwrap_or(false))
                    .map(|i| Circle::new((x[i], y[i]), 1, chain_color(0).mix(0.35).filled())),
            )?;
            chart.draw_series(
                (0..x.len())
                    .filter(|&i| ok(i) && divergent.get(i).copied().unwrap_or(false))
                    .map(|i| Circle::new((x[i], y[i]), 2, DIVERGENT.filled())),
            )?;
            for m in mark_lines(col) {
                let line = [(m, ranges[row].0), (m, ranges[row].1)];
                chart.draw_series(DashedLineSeries::new(line, 4, 3, mark_style))?;
            }
            for m in mark_lines(row) {
                let line = [(ranges[col].0, m), (ranges[col].1, m)];
                chart.draw_series(DashedLineSeries::new(line, 4, 3, mark_style))?;
            }
        } else {
            let r = correlation(&params[col].1, &params[row].1);
            let (w, h) = area.dim_in_pixel();
            let text = if r.is_finite() {
                format!("corr {r:.2}")
            } else {
                "corr n/a".into()
            };
            area.draw(&Text::new(
                text,
                (w as i32 / 2 - 30, h as i32 / 2),
                (FONT, 13).into_font(),
            ))?;
        }
    }
    Ok(())
}

/// The 0.5% and 99.5% quantiles of the finite values (all of them when there are few).
fn central(v: &[f64]) -> Vec<f64> {
    let mut s: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    s.sort_by(f64::total_cmp);
    if s.len() < 200 {
        return s;
    }
    let q = |p: f64| s[((s.len() - 1) as f64 * p).round() as usize];
    vec![q(0.005), q(0.995)]
}

fn correlation(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let mx = x.iter().sum::<f64>() / n;
    let my = y.iter().sum::<f64>() / n;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    sxy / (sxx * syy).sqrt()
}
