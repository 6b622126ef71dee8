//! Sampler plots: energy (with E-BFMI), step size and tree depth per chain.

use plotters::prelude::*;

use super::{
    Area, CAPTION, DrawResult, FONT, LABEL, chain_color, empty_panel, histogram, int_tick,
    padded_range, svg, thin_step, tick,
};
use crate::report::ReportError;

/// Energy plot (Betancourt 2016): histograms of the centered energy `E − mean(E)` and of the
/// energy transitions `ΔE` over all chains; similar widths mean good momentum resampling.
/// `bfmi` is shown in the caption.
pub(crate) fn energy_plot(energy: &[Vec<f64>], bfmi: &[f64]) -> Result<String, ReportError> {
    svg(480, 240, |root| draw_energy(root, energy, bfmi))
}

fn draw_energy(root: &Area, energy: &[Vec<f64>], bfmi: &[f64]) -> DrawResult {
    let mut centered = vec![];
    let mut trans = vec![];
    for e in energy {
        let finite: Vec<f64> = e.iter().copied().filter(|v| v.is_finite()).collect();
        if finite.is_empty() {
            continue;
        }
        let m = finite.iter().sum::<f64>() / finite.len() as f64;
        centered.extend(finite.iter().map(|v| v - m));
        trans.extend(e.windows(2).map(|w| w[1] - w[0]).filter(|v| v.is_finite()));
    }
    let title = "energy: marginal vs transitions";
    let Some((lo, hi)) = padded_range(centered.iter().chain(&trans).copied()) else {
        return empty_panel(root, title, "no energy recorded");
    };
    let bins = 40;
    let a = histogram(&centered, lo, hi, bins);
    let b = histogram(&trans, lo, hi, bins);
    let dens = |c: &[usize], n: usize| -> Vec<f64> {
        let w = (hi - lo) / bins as f64;
        c.iter()
            .map(|&k| k as f64 / (n.max(1) as f64 * w))
            .collect()
    };
    let (da, db) = (dens(&a, centered.len()), dens(&b, trans.len()));
    let ymax = da.iter().chain(&db).copied().fold(0.0, f64::max).max(1e-12);
    let list: Vec<String> = bfmi.iter().map(|v| format!("{v:.2}")).collect();
    let mut chart = ChartBuilder::on(root)
        .caption(
            format!("{title} — E-BFMI by chain: {}", list.join(", ")),
            (FONT, 13),
        )
        .margin(6)
        .x_label_area_size(38)
        .y_label_area_size(48)
        .build_cartesian_2d(lo..hi, 0f64..ymax * 1.1)?;
    chart
        .configure_mesh()
        .x_label_formatter(&tick)
        .y_label_formatter(&tick)
        .light_line_style(WHITE)
        .x_labels(6)
        .y_labels(4)
        .label_style((FONT, LABEL))
        .draw()?;
    let w = (hi - lo) / bins as f64;
    for (d, color, label) in [
        (&da, chain_color(0), "marginal energy E − mean"),
        (&db, chain_color(1), "transition ΔE"),
    ] {
        chart
            .draw_series(d.iter().enumerate().map(|(i, &v)| {
                let x0 = lo + i as f64 * w;
                Rectangle::new([(x0, 0.0), (x0 + w, v)], color.mix(0.45).filled())
            }))?
            .label(label)
            .legend(move |(x, y)| {
                Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.mix(0.45).filled())
            });
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .label_font((FONT, LABEL))
        .draw()?;
    Ok(())
}

/// Step size per chain over the iterations (warmup, when recorded, shaded grey, then sampling).
pub(crate) fn step_size_plot(
    warmup: &[Vec<f64>],
    sampling: &[Vec<f64>],
) -> Result<String, ReportError> {
    svg(480, 220, |root| draw_step(root, warmup, sampling))
}

fn draw_step(root: &Area, warmup: &[Vec<f64>], sampling: &[Vec<f64>]) -> DrawResult {
    let nw = warmup.iter().map(Vec::len).max().unwrap_or(0);
    let ns = sampling.iter().map(Vec::len).max().unwrap_or(0);
    let all = warmup
        .iter()
        .chain(sampling)
        .flatten()
        .copied()
        .filter(|v| *v > 0.0);
    let Some((lo, hi)) = padded_range(all) else {
        return empty_panel(root, "step size", "no step sizes recorded");
    };
    let lo = lo.max(0.0);
    let mut chart = ChartBuilder::on(root)
        .caption("step size by chain", (FONT, CAPTION))
        .margin(6)
        .x_label_area_size(38)
        .y_label_area_size(48)
        .build_cartesian_2d(0f64..((nw + ns).max(2) - 1) as f64, lo..hi)?;
    chart
        .configure_mesh()
        .x_label_formatter(&int_tick)
        .y_label_formatter(&tick)
        .light_line_style(WHITE)
        .x_labels(6)
        .y_labels(4)
        .x_desc("iteration")
        .label_style((FONT, LABEL))
        .draw()?;
    if nw > 0 {
        chart.draw_series(std::iter::once(Rectangle::new(
            [(0.0, lo), (nw as f64, hi)],
            RGBColor(235, 235, 235).filled(),
        )))?;
    }
    let k = warmup.len().max(sampling.len());
    for c in 0..k {
        let series: Vec<f64> = warmup
            .get(c)
            .into_iter()
            .flatten()
            .chain(sampling.get(c).into_iter().flatten())
            .copied()
            .collect();
        let step = thin_step(series.len(), 600);
        let pts = (0..series.len())
            .step_by(step)
            .filter(|&i| series[i] > 0.0)
            .map(|i| (i as f64, series[i]));
        chart
            .draw_series(LineSeries::new(pts, chain_color(c).stroke_width(2)))?
            .label(format!("chain {}", c + 1))
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 12, y)], chain_color(c).stroke_width(2))
            });
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .label_font((FONT, LABEL))
        .draw()?;
    Ok(())
}

/// Tree depth counts per chain (grouped bars), the maximum depth marked.
pub(crate) fn tree_depth_plot(depths: &[Vec<u64>], max_depth: u64) -> Result<String, ReportError> {
    svg(480, 220, |root| draw_depth(root, depths, max_depth))
}

fn draw_depth(root: &Area, depths: &[Vec<u64>], max_depth: u64) -> DrawResult {
    let top = depths
        .iter()
        .flatten()
        .copied()
        .max()
        .unwrap_or(0)
        .max(max_depth.min(12))
        .max(1);
    let k = depths.len().max(1);
    let counts: Vec<Vec<usize>> = depths
        .iter()
        .map(|d| {
            (0..=top)
                .map(|t| d.iter().filter(|&&v| v == t).count())
                .collect()
        })
        .collect();
    let ymax = counts.iter().flatten().copied().max().unwrap_or(1).max(1) as f64;
    let mut chart = ChartBuilder::on(root)
        .caption(
            format!("tree depth by chain (maximum {max_depth})"),
            (FONT, 13),
        )
        .margin(6)
        .x_label_area_size(38)
        .y_label_area_size(48)
        .build_cartesian_2d(-0.5f64..top as f64 + 0.5, 0f64..ymax * 1.1)?;
    chart
        .configure_mesh()
        .x_label_formatter(&int_tick)
        .y_label_formatter(&int_tick)
        .light_line_style(WHITE)
        .x_labels(top as usize + 2)
        .y_labels(4)
        .x_desc("tree depth")
        .label_style((FONT, LABEL))
        .draw()?;
    let bar = 0.8 / k as f64;
    for (c, cnt) in counts.iter().enumerate() {
        chart.draw_series(
            cnt.iter()
                .enumerate()
                .filter(|(_, n)| **n > 0)
                .map(|(t, &n)| {
                    let x0 = t as f64 - 0.4 + c as f64 * bar;
                    Rectangle::new([(x0, 0.0), (x0 + bar, n as f64)], chain_color(c).filled())
                }),
        )?;
    }
    if max_depth <= top {
        let x = max_depth as f64 + 0.45;
        chart.draw_series(DashedLineSeries::new(
            vec![(x, 0.0), (x, ymax * 1.1)],
            4,
            3,
            super::DIVERGENT.stroke_width(1),
        ))?;
    }
    Ok(())
}
