//! NPE plots: training and validation loss per candidate, SBC rank ECDFs (as the difference
//! from the uniform CDF) inside their simultaneous band, expected coverage, and TARP's curve.

use plotters::prelude::*;

use super::{
    Area, CAPTION, DIVERGENT, DrawResult, FONT, LABEL, chain_color, empty_panel, int_tick,
    padded_range, svg, tick,
};
use crate::diagnostics::EcdfBand;
use crate::report::ReportError;

const BAND: RGBColor = RGBColor(205, 214, 230);

/// Training (blue) and validation (orange) loss per epoch, the kept epoch marked. The y axis
/// stops at the 90% quantile of the losses so that the first epochs do not flatten the rest.
pub(crate) fn loss_plot(
    title: &str,
    train: &[f64],
    validation: &[f64],
    best_epoch: usize,
) -> Result<String, ReportError> {
    svg(480, 240, |root| {
        draw_loss(root, title, train, validation, best_epoch)
    })
}

fn draw_loss(
    root: &Area,
    title: &str,
    train: &[f64],
    validation: &[f64],
    best_epoch: usize,
) -> DrawResult {
    let mut all: Vec<f64> = train
        .iter()
        .chain(validation)
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    if all.is_empty() {
        return empty_panel(root, title, "no finite losses");
    }
    all.sort_by(f64::total_cmp);
    let top = all[((all.len() - 1) as f64 * 0.9).round() as usize];
    let (lo, hi) = padded_range([all[0], top]).unwrap_or((-1.0, 1.0));
    let n = train.len().max(validation.len()).max(2);
    let mut chart = ChartBuilder::on(root)
        .caption(title, (FONT, CAPTION))
        .margin(6)
        .x_label_area_size(38)
        .y_label_area_size(56)
        .build_cartesian_2d(1f64..n as f64, lo..hi)?;
    chart
        .configure_mesh()
        .x_label_formatter(&int_tick)
        .y_label_formatter(&tick)
        .light_line_style(WHITE)
        .x_labels(n.clamp(2, 6))
        .y_labels(5)
        .x_desc("epoch")
        .y_desc("−log q(θ | x)")
        .label_style((FONT, LABEL))
        .draw()?;
    if best_epoch >= 1 {
        let b = best_epoch as f64;
        chart.draw_series(LineSeries::new([(b, lo), (b, hi)], BLACK.mix(0.4)))?;
    }
    for (losses, color) in [(train, chain_color(0)), (validation, chain_color(1))] {
        let pts: Vec<(f64, f64)> = losses
            .iter()
            .enumerate()
            .filter(|(_, v)| v.is_finite())
            .map(|(i, &v)| ((i + 1) as f64, v.clamp(lo, hi)))
            .collect();
        if pts.len() < 20 {
            chart.draw_series(pts.iter().map(|&p| Circle::new(p, 2, color.filled())))?;
        }
        chart.draw_series(LineSeries::new(pts, color.stroke_width(2)))?;
    }
    Ok(())
}

/// ECDF of the ranks minus the uniform CDF, inside the simultaneous band (grey); red when it
/// leaves the band.
pub(crate) fn ecdf_plot(
    title: &str,
    band: &EcdfBand,
    counts: &[usize],
    inside: bool,
) -> Result<String, ReportError> {
    svg(360, 230, |root| {
        draw_ecdf(root, title, band, counts, inside)
    })
}

fn draw_ecdf(
    root: &Area,
    title: &str,
    band: &EcdfBand,
    counts: &[usize],
    inside: bool,
) -> DrawResult {
    let m = band.num_samples as f64;
    let z = band.z();
    let diff = |c: &[usize]| -> Vec<(f64, f64)> {
        z.iter()
            .zip(c)
            .map(|(&z, &c)| (z, c as f64 / m - z))
            .collect()
    };
    let (lower, upper, ecdf) = (diff(&band.lower), diff(&band.upper), diff(counts));
    let (lo, hi) =
        padded_range(lower.iter().chain(&upper).chain(&ecdf).map(|p| p.1)).unwrap_or((-0.1, 0.1));
    let mut chart = ChartBuilder::on(root)
        .caption(title, (FONT, CAPTION))
        .margin(6)
        .x_label_area_size(34)
        .y_label_area_size(50)
        .build_cartesian_2d(0f64..1.0, lo..hi)?;
    // Ticks near 0 come out as ±1e-17 from the axis arithmetic.
    let y_tick = |v: &f64| tick(&if v.abs() < 1e-9 { 0.0 } else { *v });
    chart
        .configure_mesh()
        .x_label_formatter(&tick)
        .y_label_formatter(&y_tick)
        .light_line_style(WHITE)
        .x_labels(6)
        .y_labels(5)
        .x_desc("fractional rank")
        .label_style((FONT, LABEL))
        .draw()?;
    let polygon: Vec<(f64, f64)> = upper.iter().chain(lower.iter().rev()).copied().collect();
    chart.draw_series(std::iter::once(Polygon::new(polygon, BAND.filled())))?;
    chart.draw_series(LineSeries::new([(0.0, 0.0), (1.0, 0.0)], BLACK.mix(0.3)))?;
    let color = if inside { chain_color(0) } else { DIVERGENT };
    chart.draw_series(LineSeries::new(ecdf, color.stroke_width(2)))?;
    Ok(())
}

/// Coverage against the credible level: the diagonal with ±2 MCSE (grey), the joint
/// (highest-density) coverage in black, each parameter's central-interval coverage in color.
pub(crate) fn coverage_plot(
    levels: &[f64],
    joint: &[f64],
    mcse: &[f64],
    per_dim: &[(String, Vec<f64>)],
) -> Result<String, ReportError> {
    svg(420, 320, |root| {
        draw_coverage(root, levels, joint, mcse, per_dim)
    })
}

fn draw_coverage(
    root: &Area,
    levels: &[f64],
    joint: &[f64],
    mcse: &[f64],
    per_dim: &[(String, Vec<f64>)],
) -> DrawResult {
    let mut chart = ChartBuilder::on(root)
        .caption("expected coverage", (FONT, CAPTION))
        .margin(6)
        .x_label_area_size(34)
        .y_label_area_size(44)
        .build_cartesian_2d(0f64..1.0, 0f64..1.0)?;
    chart
        .configure_mesh()
        .x_label_formatter(&tick)
        .y_label_formatter(&tick)
        .light_line_style(WHITE)
        .x_labels(6)
        .y_labels(6)
        .x_desc("credible level")
        .y_desc("coverage")
        .label_style((FONT, LABEL))
        .draw()?;
    let band: Vec<(f64, f64)> = levels
        .iter()
        .zip(mcse)
        .map(|(&a, &s)| (a, (a + 2.0 * s).min(1.0)))
        .chain(
            levels
                .iter()
                .zip(mcse)
                .rev()
                .map(|(&a, &s)| (a, (a - 2.0 * s).max(0.0))),
        )
        .collect();
    chart.draw_series(std::iter::once(Polygon::new(band, BAND.filled())))?;
    chart.draw_series(LineSeries::new([(0.0, 0.0), (1.0, 1.0)], BLACK.mix(0.3)))?;
    for (k, (_, c)) in per_dim.iter().enumerate() {
        let pts = levels.iter().copied().zip(c.iter().copied());
        chart.draw_series(LineSeries::new(pts, chain_color(k).mix(0.8)))?;
    }
    let pts: Vec<(f64, f64)> = levels.iter().copied().zip(joint.iter().copied()).collect();
    chart.draw_series(pts.iter().map(|&p| Circle::new(p, 2, BLACK.filled())))?;
    chart.draw_series(LineSeries::new(pts, BLACK.stroke_width(2)))?;
    Ok(())
}

/// TARP's expected coverage probability against the credible level, the diagonal for
/// reference.
pub(crate) fn tarp_plot(alpha: &[f64], ecp: &[f64]) -> Result<String, ReportError> {
    svg(320, 320, |root| {
        let mut chart = ChartBuilder::on(root)
            .caption("TARP expected coverage", (FONT, CAPTION))
            .margin(6)
            .x_label_area_size(34)
            .y_label_area_size(44)
            .build_cartesian_2d(0f64..1.0, 0f64..1.0)?;
        chart
            .configure_mesh()
            .x_label_formatter(&tick)
            .y_label_formatter(&tick)
            .light_line_style(WHITE)
            .x_labels(6)
            .y_labels(6)
            .x_desc("credible level")
            .y_desc("ECP")
            .label_style((FONT, LABEL))
            .draw()?;
        chart.draw_series(LineSeries::new([(0.0, 0.0), (1.0, 1.0)], BLACK.mix(0.3)))?;
        let pts = alpha.iter().copied().zip(ecp.iter().copied());
        chart.draw_series(LineSeries::new(pts, chain_color(0).stroke_width(2)))?;
        Ok(())
    })
}
