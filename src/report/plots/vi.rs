//! NeuTra's variational fit: the ELBO curve and the Pareto k-hat gauge.

use plotters::prelude::*;

use super::{
    Area, CAPTION, DrawResult, FONT, LABEL, chain_color, empty_panel, int_tick, svg, thin_step,
    tick,
};
use crate::report::ReportError;

/// ELBO per optimizer step; the y range starts at the 5% quantile so the first steps (often far
/// below) do not flatten the curve.
pub(crate) fn elbo_plot(elbo: &[f64]) -> Result<String, ReportError> {
    svg(480, 220, |root| draw_elbo(root, elbo))
}

fn draw_elbo(root: &Area, elbo: &[f64]) -> DrawResult {
    let mut finite: Vec<f64> = elbo.iter().copied().filter(|v| v.is_finite()).collect();
    if finite.is_empty() {
        return empty_panel(root, "ELBO", "no finite ELBO values");
    }
    finite.sort_by(f64::total_cmp);
    let lo = finite[finite.len() / 20];
    let hi = finite[finite.len() - 1];
    // One value (a 1-step fit) still gets a readable axis.
    let pad = if hi - lo > 1e-9 * hi.abs().max(1.0) {
        0.05 * (hi - lo)
    } else {
        0.01 * hi.abs().max(1.0)
    };
    let mut chart = ChartBuilder::on(root)
        .caption("ELBO by optimizer step", (FONT, CAPTION))
        .margin(6)
        .x_label_area_size(38)
        .y_label_area_size(56)
        .build_cartesian_2d(0f64..(elbo.len().max(2) - 1) as f64, (lo - pad)..(hi + pad))?;
    chart
        .configure_mesh()
        .x_label_formatter(&int_tick)
        .y_label_formatter(&tick)
        .light_line_style(WHITE)
        .x_labels(elbo.len().clamp(2, 6))
        .y_labels(5)
        .x_desc("step")
        .label_style((FONT, LABEL))
        .draw()?;
    let step = thin_step(elbo.len(), 1500);
    let pts = (0..elbo.len())
        .step_by(step)
        .filter(|&i| elbo[i].is_finite())
        .map(|i| (i as f64, elbo[i].max(lo - pad)));
    let pts: Vec<(f64, f64)> = pts.collect();
    if pts.len() < 20 {
        // Too few steps for a curve to show on its own: mark each.
        chart.draw_series(
            pts.iter()
                .map(|&p| Circle::new(p, 3, chain_color(0).filled())),
        )?;
    }
    chart.draw_series(LineSeries::new(pts, chain_color(0).stroke_width(1)))?;
    Ok(())
}

/// Pareto k-hat on a 0–1.2 scale with the good (< 0.5), ok (< 0.7) and bad zones.
pub(crate) fn pareto_k_plot(k: f64) -> Result<String, ReportError> {
    svg(480, 110, |root| draw_k(root, k))
}

fn draw_k(root: &Area, k: f64) -> DrawResult {
    let mut chart = ChartBuilder::on(root)
        .caption(
            format!(
                "Pareto k-hat = {}",
                if k.is_finite() {
                    format!("{k:.3}")
                } else {
                    format!("{k}")
                }
            ),
            (FONT, 13),
        )
        .margin(8)
        .x_label_area_size(22)
        .build_cartesian_2d(0f64..1.2, 0f64..1.0)?;
    chart
        .configure_mesh()
        .x_label_formatter(&tick)
        .disable_mesh()
        .x_labels(7)
        .y_labels(0)
        .label_style((FONT, LABEL))
        .draw()?;
    for (a, b, color) in [
        (0.0, 0.5, RGBColor(161, 217, 155)),
        (0.5, 0.7, RGBColor(253, 208, 162)),
        (0.7, 1.2, RGBColor(252, 146, 114)),
    ] {
        chart.draw_series(std::iter::once(Rectangle::new(
            [(a, 0.15), (b, 0.85)],
            color.filled(),
        )))?;
    }
    let x = if k.is_finite() {
        k.clamp(0.0, 1.2)
    } else {
        1.2
    };
    chart.draw_series(std::iter::once(Rectangle::new(
        [(x - 0.006, 0.0), (x + 0.006, 1.0)],
        BLACK.filled(),
    )))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 1-step fit used to give an empty plot with the tick "0" repeated along x.
    #[test]
    fn a_one_step_fit_shows_its_point_on_distinct_ticks() {
        let svg = elbo_plot(&[3.25]).unwrap();
        assert!(svg.contains("<circle"), "the step is marked");
        let texts: Vec<&str> = svg
            .split("<text")
            .skip(1)
            .filter_map(|t| t.split('>').nth(1))
            .map(|t| t.split('<').next().unwrap_or(""))
            .filter(|t| !t.trim().is_empty())
            .collect();
        let mut sorted = texts.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), texts.len(), "repeated tick labels: {texts:?}");
    }
}
