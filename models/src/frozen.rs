//! A matrix product with a frozen right-hand side whose backward pass computes only the input
//! gradient.
//!
//! candle's `matmul` backward always computes the gradients of both operands. For a frozen
//! weight the second one, `x^T dy`, is thrown away, yet it costs as much as the first. In prompt
//! tuning it is about half of the backward work. This custom op runs the same CPU kernel forward
//! and returns only `dy W^T` backward. Devices other than the CPU, and inputs that carry no
//! gradient, take the ordinary `matmul`.

use candle_core::backend::BackendStorage;
use candle_core::{bail, CpuStorage, CustomOp1, Layout, Result, Shape, Storage, Tensor};

/// `x (m x k) @ rhs (k x n)` with `rhs` treated as a constant.
struct FrozenMatmul {
    rhs: Tensor,
}

impl CustomOp1 for FrozenMatmul {
    fn name(&self) -> &'static str {
        "frozen-matmul"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let (m, k) = layout.shape().dims2()?;
        let (rhs_k, n) = self.rhs.dims2()?;
        if k != rhs_k {
            bail!("frozen-matmul: lhs is {m}x{k} but rhs is {rhs_k}x{n}")
        }
        let (rhs_storage, rhs_layout) = self.rhs.storage_and_layout();
        let Storage::Cpu(rhs) = &*rhs_storage else {
            bail!("frozen-matmul: the frozen operand is not on the CPU")
        };
        let out = storage.matmul(rhs, (1, m, n, k), layout, rhs_layout)?;
        Ok((out, Shape::from((m, n))))
    }

    fn bwd(&self, _arg: &Tensor, _res: &Tensor, grad_res: &Tensor) -> Result<Option<Tensor>> {
        Ok(Some(grad_res.matmul(&self.rhs.t()?)?))
    }
}

/// Computes `xs @ rhs` for a 2-D `xs` and a constant 2-D `rhs`, skipping the gradient of `rhs`.
pub fn frozen_matmul(xs: &Tensor, rhs: &Tensor) -> Result<Tensor> {
    // `track_op` is true for a variable and for any view of one, such as its transpose.
    if rhs.track_op() || !xs.track_op() || !xs.device().is_cpu() {
        return xs.matmul(rhs);
    }
    xs.apply_op1(FrozenMatmul { rhs: rhs.clone() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Var};

    #[test]
    fn forward_and_gradient_match_matmul() {
        let device = Device::Cpu;
        let x = Var::new(&[[1f32, 2.0, 3.0], [-1.0, 0.5, 2.0]], &device).unwrap();
        let w = Tensor::new(&[[0.5f32, -1.0], [2.0, 0.25], [1.5, 3.0]], &device).unwrap();
        let upstream = Tensor::new(&[[1f32, -2.0], [0.5, 3.0]], &device).unwrap();

        let ours = frozen_matmul(x.as_tensor(), &w).unwrap();
        let theirs = x.as_tensor().matmul(&w).unwrap();
        assert_eq!(ours.to_vec2::<f32>().unwrap(), theirs.to_vec2::<f32>().unwrap());

        let grad_ours = ours.mul(&upstream).unwrap().sum_all().unwrap().backward().unwrap();
        let grad_theirs = theirs.mul(&upstream).unwrap().sum_all().unwrap().backward().unwrap();
        assert_eq!(
            grad_ours.get(&x).unwrap().to_vec2::<f32>().unwrap(),
            grad_theirs.get(&x).unwrap().to_vec2::<f32>().unwrap()
        );
        assert!(grad_ours.get(&w).is_none(), "no gradient is computed for the frozen operand");
    }

    #[test]
    fn transposed_weight_view_is_handled() {
        let device = Device::Cpu;
        let x = Var::new(&[[1f32, 2.0], [3.0, 4.0]], &device).unwrap();
        let w = Tensor::new(&[[1f32, 0.0], [2.0, -1.0], [0.5, 0.5]], &device).unwrap(); // [out 3, in 2]
        let ours = frozen_matmul(x.as_tensor(), &w.t().unwrap()).unwrap();
        assert_eq!(ours.to_vec2::<f32>().unwrap(), vec![vec![1.0, 0.0, 1.5], vec![3.0, 2.0, 3.5]]);
    }
}
