//! The best point of a training run so far — its score, when it came and the parameters there —
//! kept so that training can end on it: NPE keeps the epoch with the lowest validation loss, VI
//! the window with the highest mean ELBO (and goes back to it after a collapse).

/// The highest score offered so far, when it came, and a copy of the parameters there.
///
/// ```
/// use flowpost::optim::KeepBest;
/// let mut best = KeepBest::new(&[0.0, 0.0]);
/// assert!(best.offer(-3.0, 1, &[1.0, 1.0]));
/// assert!(!best.offer(-4.0, 2, &[2.0, 2.0]), "lower scores are not kept");
/// assert!(!best.offer(f64::NAN, 3, &[3.0, 3.0]), "nor NaN");
/// assert_eq!((best.score(), best.at(), best.params()), (-3.0, 1, &[1.0, 1.0][..]));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct KeepBest {
    score: f64,
    at: usize,
    params: Vec<f64>,
}

impl KeepBest {
    /// Nothing offered yet: score −∞, at 0, the given (initial) parameters.
    pub fn new(params: &[f64]) -> Self {
        KeepBest {
            score: f64::NEG_INFINITY,
            at: 0,
            params: params.to_vec(),
        }
    }

    /// Keeps `params` (reached at step or epoch `at`) if `score` beats the best so far strictly;
    /// returns whether it did. A NaN score never does.
    pub fn offer(&mut self, score: f64, at: usize, params: &[f64]) -> bool {
        if score > self.score {
            self.score = score;
            self.at = at;
            self.params.copy_from_slice(params);
            true
        } else {
            false
        }
    }

    /// The best score (−∞ before any finite one).
    pub fn score(&self) -> f64 {
        self.score
    }

    /// When the best score came (0 before any).
    pub fn at(&self) -> usize {
        self.at
    }

    /// The parameters at the best score (the initial ones before any).
    pub fn params(&self) -> &[f64] {
        &self.params
    }

    /// The parameters at the best score, by value.
    pub fn into_params(self) -> Vec<f64> {
        self.params
    }
}
