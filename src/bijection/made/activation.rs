//! The MADE's hidden-unit nonlinearities, with the derivative written through the output (what
//! the backward pass has on its tape).

/// Hidden-unit nonlinearity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    /// x for x > 0, eᵡ − 1 otherwise.
    Elu,
    /// tanh.
    Tanh,
    /// max(0, x).
    Relu,
}

impl Activation {
    /// The activation named `name` as files and flags spell it (`relu`, `elu`, `tanh`).
    ///
    /// ```
    /// use flowpost::bijection::Activation;
    /// assert_eq!(Activation::from_name("tanh"), Some(Activation::Tanh));
    /// assert_eq!(Activation::from_name("gelu"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Activation> {
        match name {
            "relu" => Some(Activation::Relu),
            "elu" => Some(Activation::Elu),
            "tanh" => Some(Activation::Tanh),
            _ => None,
        }
    }

    #[inline]
    pub(super) fn apply(self, u: f64) -> f64 {
        match self {
            Activation::Elu => {
                if u > 0.0 {
                    u
                } else {
                    u.exp_m1()
                }
            }
            Activation::Tanh => u.tanh(),
            Activation::Relu => u.max(0.0),
        }
    }

    /// Derivative expressed through the activation's output a = f(u).
    #[inline]
    pub(super) fn derivative_from_output(self, a: f64) -> f64 {
        match self {
            Activation::Elu => {
                if a > 0.0 {
                    1.0
                } else {
                    a + 1.0
                }
            }
            Activation::Tanh => 1.0 - a * a,
            Activation::Relu => {
                if a > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
        }
    }
}
