//! Inline SVG plots drawn with plotters' SVG backend (text as SVG `<text>`, no fonts needed).

#[cfg(feature = "npe")]
mod npe;
mod pair;
mod sampler;
mod trace;
mod vi;

#[cfg(feature = "npe")]
pub(crate) use npe::{coverage_plot, ecdf_plot, loss_plot, tarp_plot};
pub(crate) use pair::pair_plot;
#[cfg(feature = "npe")]
pub(crate) use pair::pair_plot_marked;
pub(crate) use sampler::{energy_plot, step_size_plot, tree_depth_plot};
pub(crate) use trace::{rank_plot, trace_plot};
pub(crate) use vi::{elbo_plot, pareto_k_plot};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::ReportError;

pub(crate) type DrawResult = Result<(), Box<dyn std::error::Error>>;
pub(crate) type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// Chain colors (colour-blind friendly, after Tableau 10).
const PALETTE: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(23, 190, 207),
];

/// Divergent draws.
pub(crate) const DIVERGENT: RGBColor = RGBColor(214, 39, 40);

pub(crate) const FONT: &str = "sans-serif";

/// CSS hex of a chain's color, for HTML legends.
pub(crate) fn chain_hex(chain: usize) -> String {
    let RGBColor(r, g, b) = chain_color(chain);
    format!("#{r:02x}{g:02x}{b:02x}")
}

pub(crate) fn chain_color(chain: usize) -> RGBColor {
    PALETTE[chain % PALETTE.len()]
}

/// Renders one SVG of `w × h` pixels.
pub(crate) fn svg(
    w: u32,
    h: u32,
    draw: impl FnOnce(&Area) -> DrawResult,
) -> Result<String, ReportError> {
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (w, h)).into_drawing_area();
        root.fill(&WHITE)
            .map_err(|e| ReportError::Plot(e.to_string()))?;
        draw(&root).map_err(|e| ReportError::Plot(e.to_string()))?;
        root.present()
            .map_err(|e| ReportError::Plot(e.to_string()))?;
    }
    Ok(buf)
}

/// `[lo, hi]` of the finite values, padded by 5% (±0.5 for a constant); `None` if none is finite.
pub(crate) fn padded_range(values: impl IntoIterator<Item = f64>) -> Option<(f64, f64)> {
    let (lo, hi) = values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if lo > hi {
        return None;
    }
    if hi - lo < 1e-12 * lo.abs().max(1.0) {
        return Some((lo - 0.5, hi + 0.5));
    }
    let pad = 0.05 * (hi - lo);
    Some((lo - pad, hi + pad))
}

/// Axis tick label: about 3 significant digits, trailing zeros dropped (`20`, `0.15`, `1.2e6`).
pub(crate) fn tick(v: &f64) -> String {
    let s = crate::report::format_sig(*v, 3);
    if s.contains('.') && !s.contains('e') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Axis tick label for counts and iterations.
pub(crate) fn int_tick(v: &f64) -> String {
    format!("{v:.0}")
}

/// Label font size (px) of axes; captions use [`CAPTION`].
pub(crate) const LABEL: u32 = 12;
/// Caption font size (px).
pub(crate) const CAPTION: u32 = 14;

/// Step that keeps at most `max` of `n` points.
pub(crate) fn thin_step(n: usize, max: usize) -> usize {
    n.div_ceil(max.max(1)).max(1)
}

/// Writes a centered message in an empty panel (e.g. no finite draws).
pub(crate) fn empty_panel(area: &Area, title: &str, message: &str) -> DrawResult {
    let (w, h) = area.dim_in_pixel();
    area.draw(&Text::new(
        title.to_string(),
        (8, 6),
        (FONT, 13).into_font(),
    ))?;
    area.draw(&Text::new(
        message.to_string(),
        (w as i32 / 2 - 4 * message.len() as i32, h as i32 / 2),
        (FONT, 12).into_font().color(&RGBColor(120, 120, 120)),
    ))?;
    Ok(())
}

/// Histogram counts of the finite `values` in `bins` equal bins over `[lo, hi]`.
pub(crate) fn histogram(values: &[f64], lo: f64, hi: f64, bins: usize) -> Vec<usize> {
    let mut counts = vec![0; bins];
    let width = (hi - lo) / bins as f64;
    for &v in values.iter().filter(|v| v.is_finite()) {
        let b = (((v - lo) / width).floor().max(0.0) as usize).min(bins - 1);
        counts[b] += 1;
    }
    counts
}
