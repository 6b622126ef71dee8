//! Trace plots and rank plots of one parameter.

use plotters::prelude::*;

use super::{
    Area, CAPTION, DIVERGENT, DrawResult, FONT, LABEL, chain_color, empty_panel, int_tick,
    padded_range, svg, thin_step, tick,
};
use crate::report::ReportError;

/// Trace of every chain (thinned to `max_points` per chain), divergent draws as red dots.
pub(crate) fn trace_plot(
    name: &str,
    chains: &[Vec<f64>],
    divergent: &[Vec<bool>],
    max_points: usize,
) -> Result<String, ReportError> {
    svg(600, 210, |root| {
        draw_trace(root, name, chains, divergent, max_points)
    })
}

fn draw_trace(
    root: &Area,
    name: &str,
    chains: &[Vec<f64>],
    divergent: &[Vec<bool>],
    max_points: usize,
) -> DrawResult {
    let n = chains.first().map_or(0, Vec::len);
    let Some((lo, hi)) = padded_range(chains.iter().flatten().copied()) else {
        return empty_panel(root, name, "no finite draws");
    };
    let mut chart = ChartBuilder::on(root)
        .caption(format!("{name}: trace"), (FONT, CAPTION))
        .margin(6)
        .x_label_area_size(34)
        .y_label_area_size(48)
        .build_cartesian_2d(0f64..(n.max(2) - 1) as f64, lo..hi)?;
    chart
        .configure_mesh()
        .x_label_formatter(&int_tick)
        .y_label_formatter(&tick)
        .light_line_style(WHITE)
        .x_labels(6)
        .y_labels(5)
        .x_desc("draw (post-warmup, per chain)")
        .label_style((FONT, LABEL))
        .draw()?;
    let step = thin_step(n, max_points);
    for (c, x) in chains.iter().enumerate() {
        let color = chain_color(c);
        let pts = (0..n)
            .step_by(step)
            .filter(|&i| x[i].is_finite())
            .map(|i| (i as f64, x[i]));
        chart
            .draw_series(LineSeries::new(pts, color.mix(0.8).stroke_width(1)))?
            .label(format!("chain {}", c + 1))
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 12, y)], color.stroke_width(2))
            });
    }
    for (x, d) in chains.iter().zip(divergent) {
        let pts = (0..n).filter(|&i| d.get(i) == Some(&true) && x[i].is_finite());
        chart.draw_series(pts.map(|i| Circle::new((i as f64, x[i]), 2, DIVERGENT.filled())))?;
    }
    Ok(())
}

/// Rank plot (Vehtari et al. 2021, §4.4): histogram of the ranks of every chain's draws among all
/// draws, one step line per chain; for mixing chains all lie near the dashed uniform level.
pub(crate) fn rank_plot(name: &str, chains: &[Vec<f64>]) -> Result<String, ReportError> {
    svg(370, 210, |root| draw_rank(root, name, chains))
}

fn draw_rank(root: &Area, name: &str, chains: &[Vec<f64>]) -> DrawResult {
    let n = chains.first().map_or(0, Vec::len);
    let total = n * chains.len();
    if total == 0 || chains.iter().flatten().any(|v| v.is_nan()) {
        return empty_panel(root, name, "ranks undefined");
    }
    let bins = 20.min(n.max(1));
    // Ranks over all draws, ties broken by position (fine for a picture).
    let mut idx: Vec<(usize, usize)> = (0..chains.len())
        .flat_map(|c| (0..n).map(move |i| (c, i)))
        .collect();
    idx.sort_by(|a, b| chains[a.0][a.1].total_cmp(&chains[b.0][b.1]));
    let mut counts = vec![vec![0usize; bins]; chains.len()];
    for (r, &(c, _)) in idx.iter().enumerate() {
        counts[c][(r * bins / total).min(bins - 1)] += 1;
    }
    let expected = n as f64 / bins as f64;
    let ymax = counts.iter().flatten().copied().max().unwrap_or(1) as f64;
    let mut chart = ChartBuilder::on(root)
        .caption(format!("{name}: rank histogram by chain"), (FONT, CAPTION))
        .margin(6)
        .x_label_area_size(34)
        .y_label_area_size(36)
        .build_cartesian_2d(0f64..bins as f64, 0f64..(ymax.max(expected) * 1.1))?;
    chart
        .configure_mesh()
        .x_label_formatter(&int_tick)
        .y_label_formatter(&int_tick)
        .light_line_style(WHITE)
        .x_labels(5)
        .y_labels(4)
        .x_desc("rank of the draw among all chains")
        .y_desc("draws")
        .label_style((FONT, LABEL))
        .draw()?;
    chart.draw_series(DashedLineSeries::new(
        vec![(0.0, expected), (bins as f64, expected)],
        4,
        3,
        BLACK.mix(0.6).stroke_width(1),
    ))?;
    for (c, cnt) in counts.iter().enumerate() {
        let pts: Vec<(f64, f64)> = cnt
            .iter()
            .enumerate()
            .flat_map(|(b, &k)| [(b as f64, k as f64), (b as f64 + 1.0, k as f64)])
            .collect();
        chart.draw_series(LineSeries::new(pts, chain_color(c).stroke_width(2)))?;
    }
    Ok(())
}
