//! The layers the property tests run on: every kind of [`LayerSpec`], each with the cases
//! (dimensions, widths, activations, contexts) that exercise its edges.

use crate::bijection::{Activation, Bijection, Chain, ElementwiseAffine, LayerSpec};
use crate::bijection::{LowerTriangularAffine, MaskedAutoregressive, Permutation};

/// One layer to check, with how to draw its test points.
#[derive(Debug)]
pub struct Case {
    /// What the failure messages call it.
    pub name: String,
    /// The layer.
    pub layer: Box<dyn Bijection>,
    /// Standard deviation of the noise added to the layer's initial parameters.
    pub param_scale: f64,
    /// Scale of the standard normal inputs.
    pub input_spread: f64,
    /// What ∂y/∂x must look like.
    pub structure: Structure,
}

/// The sparsity a layer's Jacobian ∂y/∂x must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Structure {
    /// None asserted (permutations, chains, a one-bin spline).
    General,
    /// Diagonal with a positive diagonal.
    Diagonal,
    /// Lower triangular (zero above the diagonal, exactly) with a positive diagonal, y_i
    /// depends on x_{i−1} (an autoregressive mask that is neither leaky nor empty) and, for a
    /// conditional layer, on the context.
    Autoregressive,
}

fn case(name: &str, layer: impl Bijection + 'static, param_scale: f64) -> Case {
    Case {
        name: name.to_string(),
        layer: Box::new(layer),
        param_scale,
        input_spread: 1.0,
        structure: Structure::General,
    }
}

impl Case {
    fn spread(mut self, input_spread: f64) -> Self {
        self.input_spread = input_spread;
        self
    }

    fn structure(mut self, structure: Structure) -> Self {
        self.structure = structure;
        self
    }
}

/// Every registered case, all kinds of layer.
pub fn registry() -> Vec<Case> {
    kinds().iter().flat_map(cases_of).collect()
}

/// One description of each kind of layer, for [`cases_of`].
fn kinds() -> Vec<LayerSpec> {
    let perm = || Box::new(Permutation::reversal(1));
    vec![
        ElementwiseAffine::new(1).spec(),
        LowerTriangularAffine::new(1).spec(),
        perm().spec(),
        MaskedAutoregressive::iaf(1, &[1], Activation::Elu, 1.0).spec(),
        MaskedAutoregressive::maf(1, 1, &[1], Activation::Elu, 1.0).spec(),
        MaskedAutoregressive::spline(1, 1, &[1], Activation::Elu, 1, 1.0).spec(),
        LayerSpec::Unconditioned {
            context_dim: 1,
            layer: Box::new(perm().spec()),
        },
        Chain::new(vec![perm()]).spec(),
    ]
}

/// The cases of `kind`'s variant. The match has no wildcard: a new [`LayerSpec`] variant does
/// not compile until its cases are written here (and its kind listed in [`kinds`]).
fn cases_of(kind: &LayerSpec) -> Vec<Case> {
    use Activation::{Elu, Relu, Tanh};
    use Structure::{Autoregressive, Diagonal};
    type Ma = MaskedAutoregressive<crate::bijection::Affine>;
    type Spline = MaskedAutoregressive<crate::bijection::RqSpline>;
    match kind {
        LayerSpec::ElementwiseAffine { .. } => {
            vec![case("elementwise affine", ElementwiseAffine::new(5), 0.5).structure(Diagonal)]
        }
        LayerSpec::LowerTriangularAffine { .. } => vec![
            case("lower-triangular", LowerTriangularAffine::new(6), 0.5).structure(Autoregressive),
            case("lower-triangular d=1", LowerTriangularAffine::new(1), 0.5)
                .structure(Autoregressive),
        ],
        LayerSpec::Permutation { .. } => vec![
            case(
                "permutation",
                Permutation::new(vec![2, 0, 3, 1]).unwrap(),
                0.0,
            ),
            case("reversal", Permutation::reversal(5), 0.0),
        ],
        LayerSpec::AffineIaf { .. } => {
            let mut cases: Vec<Case> = [Elu, Tanh, Relu]
                .into_iter()
                .map(|act| {
                    let layer = Ma::iaf(5, &[12, 9], act, 5.0);
                    case(&format!("IAF {act:?}"), layer, 0.3).structure(Autoregressive)
                })
                .collect();
            let d1 = Ma::iaf(1, &[4], Elu, 5.0);
            cases.push(case("IAF d=1", d1, 0.3).structure(Autoregressive));
            let d2 = Ma::iaf(2, &[3], Tanh, 5.0);
            cases.push(case("IAF d=2", d2, 0.3).structure(Autoregressive));
            let lean = Ma::iaf(5, &[12, 9], Elu, 5.0).without_direct();
            cases.push(case("IAF without direct", lean, 0.3).structure(Autoregressive));
            let conditional = Ma::new(3, 2, &[8], Tanh, crate::bijection::Affine::iaf(5.0));
            cases.push(case("IAF with context", conditional, 0.3).structure(Autoregressive));
            cases
        }
        LayerSpec::MafAffine { .. } => vec![
            case("MAF", Ma::maf(4, 3, &[16, 16], Elu, 5.0), 0.3).structure(Autoregressive),
            case("MAF d=1", Ma::maf(1, 2, &[8], Tanh, 5.0), 0.3).structure(Autoregressive),
        ],
        LayerSpec::MafSpline { .. } => vec![
            // Spread 1.5 with tails at 2: some coordinates in the spline, some in the tails.
            case("spline", Spline::spline(4, 3, &[16, 16], Elu, 6, 2.0), 0.3)
                .spread(1.5)
                .structure(Autoregressive),
            // One bin is the identity, whatever the conditioner says: no structure to assert.
            case("spline K=1", Spline::spline(2, 1, &[8], Tanh, 1, 3.0), 0.5),
            // Larger random weights (0.5) still give steep and flat bins; at 1.0 the map's
            // Jacobian is so ill-conditioned (∂z_2/∂θ_1 ~ 1e4 next to a flat bin) that f64
            // round trips lose 8 digits.
            case(
                "spline no ctx",
                Spline::spline(3, 0, &[8], Tanh, 10, 3.0),
                0.5,
            )
            .structure(Autoregressive),
        ],
        LayerSpec::Unconditioned { .. } => {
            // A context-free layer inside a conditional chain (written as `unconditioned`).
            let chain = Chain::new(vec![
                Box::new(Spline::spline(3, 2, &[12], Tanh, 5, 3.0)),
                Box::new(Permutation::reversal(3)),
                Box::new(Ma::maf(3, 2, &[12], Tanh, 5.0)),
            ]);
            vec![case("conditional chain with a permutation", chain, 0.3)]
        }
        LayerSpec::Chain { .. } => {
            let d = 4;
            let chain = Chain::new(vec![
                Box::new(Ma::iaf(d, &[10], Elu, 5.0)),
                Box::new(Permutation::reversal(d)),
                Box::new(Ma::iaf(d, &[10, 10], Tanh, 5.0)),
                Box::new(ElementwiseAffine::new(d)),
                Box::new(LowerTriangularAffine::new(d)),
            ]);
            vec![case("chain of everything", chain, 0.3)]
        }
    }
}
