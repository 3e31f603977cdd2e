//! The number format of a frozen backbone's matrix products.
//!
//! `bf16` stores the frozen weight matrices in bfloat16 and runs every product with them in
//! bfloat16: the input is cast down, multiplied, and the result cast back to float32. Everything
//! else stays in float32: embeddings, layer norms, attention scores and softmax, the loss, the
//! trainable parameters and their optimiser state. This is the part of mixed precision that is
//! safe for prompt tuning, where the gradient reaching the prompt passes through every layer.

use candle_core::DType;
use serde::{Deserialize, Serialize};

/// The format of the frozen backbone's matrix products.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// Float32 throughout, the reference implementations' setting.
    #[default]
    F32,
    /// Bfloat16 weight matrices and products, float32 elsewhere.
    Bf16,
}

impl std::str::FromStr for Precision {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "f32" => Ok(Precision::F32),
            "bf16" => Ok(Precision::Bf16),
            _ => Err(format!("invalid precision {text:?}; expected f32 or bf16")),
        }
    }
}

impl Precision {
    /// Returns the dtype of the frozen weight matrices.
    pub fn matmul_dtype(self) -> DType {
        match self {
            Precision::F32 => DType::F32,
            Precision::Bf16 => DType::BF16,
        }
    }

    /// Returns true for float32, the default, which grid files may leave out.
    pub fn is_f32(&self) -> bool {
        *self == Precision::F32
    }
}
