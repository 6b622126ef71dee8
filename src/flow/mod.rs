//! A normalizing flow: a base distribution ([`Base`]: standard normal, or Student-t
//! coordinates by default for NeuTra) pushed through a [`Chain`] with its flat parameter
//! vector. Here the latent/target naming lives: [`Flow::forward`] maps z → θ with the chain's
//! cheap [`transform`](Bijection::transform) (one pass per IAF layer), so sampling is cheap
//! and the density of a given point needs the inverse. The flow owns what NeuTra and the
//! variational fit do with it: sampling, log q, the pull-back of a gradient to the latent
//! space, the parameter VJP and the score for sticking the landing.
//!
//! [`FlowSettings`] and [`Flow::default_for`] build the default NeuTra flow:
//!
//! z → IAF → reverse → IAF → reverse → IAF → reverse → IAF → elementwise affine → Gaussian → θ
//!
//! where the last layer is a *frozen* dense (or, in high dimension, diagonal) affine map holding
//! a Gaussian fit of the target (see [`vi::init`](crate::vi::init)), so every trained layer works
//! in standardized coordinates and Adam's steps have a common scale.

use crate::bijection::{
    Activation, Bijection, Chain, ElementwiseAffine, LayerSpec, LowerTriangularAffine,
    MaskedAutoregressive, Permutation,
};

mod base;
pub use base::Base;

/// Architecture of the default flow.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FlowSettings {
    /// Number of IAF layers (0 gives a Gaussian flow: affine layers only).
    pub num_iaf_layers: usize,
    /// Hidden widths of each IAF's MADE; `None` picks `[w, w]` with w = clamp(2d, 16, 128).
    pub hidden: Option<Vec<usize>>,
    /// MADE nonlinearity.
    pub activation: Activation,
    /// Soft clip on each IAF layer's log-scale ([`ScaleClamp::SoftClip`](crate::bijection::ScaleClamp::SoftClip)).
    pub max_log_scale: f64,
    /// Base distribution of the latent z.
    pub base: Base,
    /// Above this dimension the IAF layers' MADEs have no direct input → output connection
    /// ([`Made::without_direct`](crate::bijection::Made::without_direct)): it has d²
    /// parameters a layer, which dominate the cost from a few hundred dimensions on and the
    /// memory at thousands (the frozen Gaussian layer under the IAF holds the linear part).
    /// It also hurts training in hierarchical geometries: with it, auto's flow on the 100-d
    /// funnel and the 100-group centered regression (seed 1) was wrong or failed; without it
    /// both were correct with 0 divergences. 50 keeps it on every benchmark model (d ≤ 26),
    /// where the defaults were tuned; between 26 and 100 nothing was measured.
    #[serde(default = "default_max_direct_dim")]
    pub max_direct_dim: usize,
}

fn default_max_direct_dim() -> usize {
    50
}

impl Default for FlowSettings {
    fn default() -> Self {
        FlowSettings {
            num_iaf_layers: 4,
            hidden: None,
            activation: Activation::Elu,
            max_log_scale: 8.0,
            base: Base::StudentT { dof: 10.0 },
            max_direct_dim: default_max_direct_dim(),
        }
    }
}

impl FlowSettings {
    /// The hidden widths for dimension `dim`.
    pub fn hidden_for(&self, dim: usize) -> Vec<usize> {
        self.hidden.clone().unwrap_or_else(|| {
            let w = (2 * dim).clamp(16, 128);
            vec![w, w]
        })
    }

    /// Checks the settings.
    pub fn validate(&self) -> Result<(), crate::Error> {
        if let Some(h) = &self.hidden
            && (h.is_empty() || h.contains(&0))
        {
            return Err(crate::Error::settings(
                "flow.hidden",
                "widths must be non-empty and positive",
            ));
        }
        self.base.validate()?;
        if !(self.max_log_scale > 0.0 && self.max_log_scale.is_finite()) {
            return Err(crate::Error::settings(
                "flow.max_log_scale",
                "must be positive and finite",
            ));
        }
        Ok(())
    }
}

/// A Gaussian N(loc, L Lᵀ) (dense) or N(loc, diag(scale²)) used as the flow's base map.
#[derive(Debug, Clone, PartialEq)]
pub enum GaussianFit {
    /// Dense: `chol` holds the rows of the lower-triangular factor (row i has i + 1 entries).
    Dense {
        /// Mean.
        loc: Vec<f64>,
        /// Cholesky rows.
        chol: Vec<Vec<f64>>,
    },
    /// Diagonal.
    Diagonal {
        /// Mean.
        loc: Vec<f64>,
        /// Standard deviations.
        scale: Vec<f64>,
    },
}

impl GaussianFit {
    /// The standard normal in `dim` dimensions.
    pub fn standard(dim: usize) -> Self {
        GaussianFit::Diagonal {
            loc: vec![0.0; dim],
            scale: vec![1.0; dim],
        }
    }

    /// Dimension.
    pub fn dim(&self) -> usize {
        match self {
            GaussianFit::Dense { loc, .. } | GaussianFit::Diagonal { loc, .. } => loc.len(),
        }
    }

    pub(crate) fn layer_and_params(&self) -> (Box<dyn Bijection>, Vec<f64>) {
        match self {
            GaussianFit::Dense { loc, chol } => (
                Box::new(LowerTriangularAffine::new(loc.len())),
                LowerTriangularAffine::params_for(loc, chol).expect("a valid Cholesky factor"),
            ),
            GaussianFit::Diagonal { loc, scale } => (
                Box::new(ElementwiseAffine::new(loc.len())),
                ElementwiseAffine::params_for(loc, scale),
            ),
        }
    }
}

/// A flow: a base distribution and a chain with its parameters.
///
/// ```
/// use flowpost::flow::{Flow, FlowSettings, GaussianFit};
/// let flow = Flow::default_for(&GaussianFit::standard(3), &FlowSettings::default(), 42);
/// let mut rng = flowpost::rng::seeded(1, 0);
/// let (mut z, mut theta, mut tape) = (vec![0.0; 3], vec![0.0; 3], flow.new_tape());
/// let log_q = flow.sample(&mut rng, &mut z, &mut theta, &mut tape);
/// let log_q2 = flow.log_q(&theta, &mut tape);
/// assert!((log_q - log_q2).abs() < 1e-9);
/// ```
///
/// A tape from [`new_tape`](Flow::new_tape) holds the chain's tape and two d-vectors of the
/// flow's own scratch, so none of the methods allocates.
#[derive(Debug, Clone)]
pub struct Flow {
    chain: Chain,
    params: Vec<f64>,
    base: Base,
}

/// log N(z; 0, I).
pub fn log_standard_normal(z: &[f64]) -> f64 {
    Base::StandardNormal.log_density(z)
}

impl Flow {
    /// A flow with a standard normal base from a chain and its parameters (length and
    /// finiteness checked).
    pub fn new(chain: Chain, params: Vec<f64>) -> Result<Self, crate::Error> {
        Self::with_base(chain, params, Base::StandardNormal)
    }

    /// As [`new`](Flow::new) with another base distribution. The chain must be unconditional.
    pub fn with_base(chain: Chain, params: Vec<f64>, base: Base) -> Result<Self, crate::Error> {
        base.validate()?;
        if chain.context_dim() != 0 {
            return Err(crate::Error::DimensionMismatch {
                what: "flow context",
                expected: 0,
                got: chain.context_dim(),
            });
        }
        if params.len() != chain.num_params() {
            return Err(crate::Error::DimensionMismatch {
                what: "flow parameters",
                expected: chain.num_params(),
                got: params.len(),
            });
        }
        if let Some(i) = params.iter().position(|p| !p.is_finite()) {
            return Err(crate::Error::settings(
                "flow parameters",
                &format!("parameter {i} is {}", params[i]),
            ));
        }
        Ok(Flow {
            chain,
            params,
            base,
        })
    }

    /// The default NeuTra flow on top of a Gaussian fit (frozen), IAF layers initialized near
    /// the identity with seed `seed`.
    pub fn default_for(gaussian: &GaussianFit, settings: &FlowSettings, seed: u64) -> Self {
        let d = gaussian.dim();
        let hidden = settings.hidden_for(d);
        let mut layers: Vec<Box<dyn Bijection>> = Vec::new();
        for k in 0..settings.num_iaf_layers {
            if k > 0 {
                layers.push(Box::new(Permutation::reversal(d)));
            }
            let iaf =
                MaskedAutoregressive::iaf(d, &hidden, settings.activation, settings.max_log_scale);
            layers.push(Box::new(if d > settings.max_direct_dim {
                iaf.without_direct()
            } else {
                iaf
            }));
        }
        layers.push(Box::new(ElementwiseAffine::new(d)));
        let (gauss_layer, gauss_params) = gaussian.layer_and_params();
        layers.push(gauss_layer);
        let n = layers.len();
        let mut frozen = vec![false; n];
        frozen[n - 1] = true;
        let chain = Chain::with_frozen(layers, frozen);
        let mut params = vec![0.0; chain.num_params()];
        let mut rng = crate::rng::seeded(seed, crate::rng::streams::FLOW_INIT.id(0));
        chain.init_params(&mut params, &mut rng);
        params[chain.param_range(n - 1)].copy_from_slice(&gauss_params);
        Flow {
            chain,
            params,
            base: settings.base,
        }
    }

    /// Dimension.
    pub fn dim(&self) -> usize {
        self.chain.dim()
    }

    /// The base distribution.
    pub fn base(&self) -> Base {
        self.base
    }

    /// The layers' description (what a flow file stores).
    pub fn spec(&self) -> LayerSpec {
        self.chain.spec()
    }

    /// The flat parameters.
    pub fn params(&self) -> &[f64] {
        &self.params
    }

    /// The flat parameters, mutable (for an optimizer).
    pub fn params_mut(&mut self) -> &mut [f64] {
        &mut self.params
    }

    /// Number of trainable (non-frozen) parameters.
    pub fn num_trainable_params(&self) -> usize {
        (0..self.chain.layers().len())
            .filter(|&i| !self.chain.is_frozen(i))
            .map(|i| self.chain.param_range(i).len())
            .sum()
    }

    /// A tape for this flow: the chain's tape, then two d-vectors of scratch.
    pub fn new_tape(&self) -> Vec<f64> {
        vec![0.0; self.chain.tape_len() + 2 * self.dim()]
    }

    /// Splits a tape into (chain tape, scratch a, scratch b).
    fn split_tape<'a>(&self, tape: &'a mut [f64]) -> (&'a mut [f64], &'a mut [f64], &'a mut [f64]) {
        let (chain_tape, rest) = tape.split_at_mut(self.chain.tape_len());
        let (a, b) = rest.split_at_mut(self.dim());
        (chain_tape, a, b)
    }

    /// θ = T(z); returns log|det ∂T/∂z| and fills the tape.
    pub fn forward(&self, z: &[f64], theta: &mut [f64], tape: &mut [f64]) -> f64 {
        let (chain_tape, _, _) = self.split_tape(tape);
        self.chain
            .transform(&self.params, z, &[], theta, chain_tape)
    }

    /// Draws z from the base into `z`, θ = T(z) into `theta`; returns log q(θ).
    pub fn sample(
        &self,
        rng: &mut dyn rand::Rng,
        z: &mut [f64],
        theta: &mut [f64],
        tape: &mut [f64],
    ) -> f64 {
        self.base.sample(rng, z);
        let ld = self.forward(z, theta, tape);
        self.base.log_density(z) - ld
    }

    /// log q(θ), through the inverse.
    pub fn log_q(&self, theta: &[f64], tape: &mut [f64]) -> f64 {
        let (chain_tape, z, _) = self.split_tape(tape);
        let ld = self.chain.inverse(&self.params, theta, &[], z, chain_tape);
        self.base.log_density(z) - ld
    }

    /// The pull-back of a target gradient to the latent space (what NeuTra's sampler sees):
    /// ∇_z [log p(T(z)) + log|det ∂T/∂z|] into `grad_z`, from `grad_theta` = ∇_θ log p at
    /// θ = T(z). The tape must be that of [`forward`](Flow::forward) at `z`.
    pub fn pull_back(&self, z: &[f64], tape: &mut [f64], grad_theta: &[f64], grad_z: &mut [f64]) {
        let (chain_tape, _, _) = self.split_tape(tape);
        let params = &self.params;
        self.chain.vjp(
            params,
            z,
            &[],
            chain_tape,
            grad_theta,
            1.0,
            grad_z,
            None,
            None,
        );
    }

    /// The parameter gradient of L = g_θ·T(z) + g_log_det·log|det ∂T/∂z|, *added* into
    /// `gparams` (frozen layers get none): the backward pass of the variational fit. The tape
    /// must be that of [`forward`](Flow::forward) at `z`; call it once per `forward`.
    pub fn backward(
        &self,
        z: &[f64],
        tape: &mut [f64],
        g_theta: &[f64],
        g_log_det: f64,
        gparams: &mut [f64],
    ) {
        let (chain_tape, gz, _) = self.split_tape(tape);
        let (params, gp) = (&self.params, Some(gparams));
        self.chain
            .vjp(params, z, &[], chain_tape, g_theta, g_log_det, gz, None, gp);
    }

    /// The score ∇_θ log q(θ) at θ = T(z) into `score`, for the sticking-the-landing
    /// estimator: J⁻ᵀ(∇_z log q₀(z) − ∇_z log|det J|), with J = ∂T/∂z solved layer by layer.
    /// The tape must be that of [`forward`](Flow::forward) at `z`; it can serve one
    /// [`backward`](Flow::backward) after this.
    pub fn score(&self, z: &[f64], tape: &mut [f64], score: &mut [f64]) {
        let (chain_tape, v, g_log_det_z) = self.split_tape(tape);
        v.fill(0.0);
        let params = &self.params;
        self.chain
            .vjp(params, z, &[], chain_tape, v, 1.0, g_log_det_z, None, None);
        self.base.grad_log_density(z, score);
        for i in 0..z.len() {
            v[i] = score[i] - g_log_det_z[i];
        }
        self.chain
            .solve_jacobian_transpose(params, z, &[], chain_tape, v, score);
    }
}
