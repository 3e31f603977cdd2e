//! Dropout with masks drawn from a seeded random number generator.
//!
//! candle's CPU random number generator cannot be seeded, so masks come from a ChaCha8 stream
//! (`rand_chacha`) owned by the run. ChaCha8 output is specified bit for bit and does not depend
//! on the platform, so the same seed gives the same masks on every machine, and the same run
//! consumes the stream in the same order. Kept elements are scaled by 1 / (1 - rate), as
//! `torch.nn.Dropout` does in training mode.
//!
//! Element `i` of the whole run's masks is decided by word `i` of the stream. A mask is filled in
//! parallel chunks, each from its own copy of the generator moved to the chunk's first word,
//! which ChaCha allows. So the masks do not depend on the thread count, and they equal the masks
//! of a single sequential draw.

use std::cell::Cell;

use candle_core::{Result, Tensor};
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

/// Mask elements filled by one task: large enough that seeking the generator is negligible,
/// small enough to spread a feed-forward activation of T5 small (8 x 266 x 1024) over many cores.
const CHUNK: usize = 1 << 15;

/// A dropout switch shared by every dropout site of a forward pass.
///
/// A rate of 0 (or [`Dropout::off`]) returns inputs unchanged, so training mode at rate 0
/// equals evaluation mode exactly.
pub struct Dropout {
    rate: f32,
    seed: u64,
    /// The stream position, in 32-bit words, of the next mask's first element.
    position: Cell<u128>,
}

impl Dropout {
    /// Evaluation mode: every site is the identity.
    pub fn off() -> Self {
        Self { rate: 0.0, seed: 0, position: Cell::new(0) }
    }

    /// Training mode at `rate`, with masks drawn from a stream seeded by `seed`.
    pub fn new(rate: f32, seed: u64) -> Self {
        assert!((0.0..1.0).contains(&rate), "dropout rate must lie in [0, 1), got {rate}");
        Self { rate, seed, position: Cell::new(0) }
    }

    /// Returns the drop probability, which is 0 in evaluation mode.
    pub fn rate(&self) -> f32 {
        self.rate
    }

    /// Returns true when this switch changes anything.
    pub fn is_active(&self) -> bool {
        self.rate > 0.0
    }

    /// Zeroes each element with probability `rate` and scales the rest by 1 / (1 - rate).
    pub fn apply(&self, xs: &Tensor) -> Result<Tensor> {
        if !self.is_active() {
            return Ok(xs.clone());
        }
        let mask = self.mask(xs.elem_count());
        let mask = Tensor::from_vec(mask, xs.shape(), xs.device())?.to_dtype(xs.dtype())?;
        xs.mul(&mask)
    }

    /// Draws a mask of `n` values, each 0 or 1 / (1 - rate). An element is dropped when a
    /// uniform 32-bit draw falls below rate * 2^32.
    fn mask(&self, n: usize) -> Vec<f32> {
        let threshold = (self.rate as f64 * 4_294_967_296.0) as u64;
        let scale = 1.0 / (1.0 - self.rate);
        let start = self.position.get();
        self.position.set(start + n as u128);
        let seed = self.seed;
        let mut mask = vec![0f32; n];
        mask.par_chunks_mut(CHUNK).enumerate().for_each(|(index, chunk)| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_word_pos(start + (index * CHUNK) as u128);
            for value in chunk {
                *value = if (rng.next_u32() as u64) < threshold { 0.0 } else { scale };
            }
        });
        mask
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn rate_zero_is_identity() {
        let xs = Tensor::arange(0f32, 12.0, &Device::Cpu).unwrap();
        let out = Dropout::new(0.0, 7).apply(&xs).unwrap();
        assert_eq!(out.to_vec1::<f32>().unwrap(), xs.to_vec1::<f32>().unwrap());
    }

    #[test]
    fn same_seed_same_mask() {
        let xs = Tensor::ones(1000, candle_core::DType::F32, &Device::Cpu).unwrap();
        let a = Dropout::new(0.1, 42).apply(&xs).unwrap().to_vec1::<f32>().unwrap();
        let b = Dropout::new(0.1, 42).apply(&xs).unwrap().to_vec1::<f32>().unwrap();
        let c = Dropout::new(0.1, 43).apply(&xs).unwrap().to_vec1::<f32>().unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn parallel_masks_equal_one_sequential_stream() {
        // Two masks in a row, the first spanning several chunks and ending inside one, must be
        // the sequential stream's first 100_037 words.
        let dropout = Dropout::new(0.25, 11);
        let mut masks = dropout.mask(100_000);
        masks.extend(dropout.mask(37));
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let threshold = (0.25f64 * 4_294_967_296.0) as u64;
        let expected: Vec<f32> = (0..100_037).map(|_| if (rng.next_u32() as u64) < threshold { 0.0 } else { 1.0 / 0.75 }).collect();
        assert_eq!(masks, expected);
    }

    #[test]
    fn kept_fraction_and_scale() {
        let n = 200_000;
        let xs = Tensor::ones(n, candle_core::DType::F32, &Device::Cpu).unwrap();
        let out = Dropout::new(0.1, 3).apply(&xs).unwrap().to_vec1::<f32>().unwrap();
        let kept = out.iter().filter(|v| **v != 0.0).count() as f64 / n as f64;
        // Binomial standard deviation: sqrt(0.9 * 0.1 / n) = 6.7e-4, so 5 sigma is 3.4e-3.
        assert!((kept - 0.9).abs() < 3.4e-3, "kept fraction {kept}");
        let scale = 1.0f32 / 0.9;
        assert!(out.iter().all(|v| *v == 0.0 || *v == scale));
    }
}
