//! The modes of a multimodal target as the target knows them: centres, each draw's mode (the
//! nearest centre), and the exact probability of each mode's cell.

/// The modes of a built-in multimodal target (in the unconstrained space, which for these
/// targets is the space of the reported values).
///
/// A draw belongs to the mode whose centre is nearest (Euclidean distance); `weights[k]` is the
/// exact probability under the target of mode k's cell (its Voronoi cell), which is what the
/// fraction of draws in that cell estimates. For well-separated components it is the
/// component's mixture weight up to the tails that cross the cell boundary (included exactly).
///
/// ```
/// let m = flowpost_models::Modes { centres: vec![vec![-1.0, 0.0], vec![2.0, 0.0]], weights: vec![0.3, 0.7] };
/// assert_eq!(m.classify(&[0.4, 5.0]), 0);
/// assert_eq!(m.classify(&[0.6, -5.0]), 1);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Modes {
    /// Mode centres, one per mode.
    pub centres: Vec<Vec<f64>>,
    /// Exact probability of each mode's cell; sums to 1.
    pub weights: Vec<f64>,
}

impl Modes {
    /// The number of modes.
    pub fn num_modes(&self) -> usize {
        self.centres.len()
    }

    /// The mode (index into `centres`) whose centre is nearest to `theta`.
    pub fn classify(&self, theta: &[f64]) -> usize {
        let mut best = (0, f64::INFINITY);
        for (k, c) in self.centres.iter().enumerate() {
            let d2: f64 = c.iter().zip(theta).map(|(a, b)| (a - b).powi(2)).sum();
            if d2 < best.1 {
                best = (k, d2);
            }
        }
        best.0
    }
}
