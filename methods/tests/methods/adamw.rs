//! AdamW against `torch.optim.AdamW` (torch 2.15, float32, betas (0.9, 0.999), eps 1e-8): two
//! parameter groups, three steps on a fixed gradient sequence.

use candle_core::backprop::GradStore;
use candle_core::{Device, Tensor, Var};
use serde_json::Value;
use superpos_methods::{AdamW, AdamWConfig, ParamGroup};

fn reference() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/adamw-reference.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn floats(value: &Value) -> Vec<f32> {
    match value {
        Value::Array(items) => items.iter().flat_map(floats).collect(),
        Value::Number(n) => vec![n.as_f64().unwrap() as f32],
        other => panic!("unexpected JSON value {other}"),
    }
}

fn tensor(value: &Value, shape: &[usize]) -> Tensor {
    Tensor::from_vec(floats(value), shape, &Device::Cpu).unwrap()
}

#[test]
fn adamw_matches_pytorch_reference() {
    let reference = reference();
    let shapes = [("p1", vec![2usize, 3]), ("p2", vec![4usize])];
    let vars: Vec<Var> = shapes.iter().map(|(name, shape)| Var::from_tensor(&tensor(&reference["initial"][name], shape)).unwrap()).collect();

    let groups = reference["groups"].as_array().unwrap();
    assert_eq!(groups[0]["param"], "p1");
    assert_eq!(groups[1]["param"], "p2");
    let param_groups = groups
        .iter()
        .zip(&vars)
        .map(|(group, var)| ParamGroup::new(group["param"].as_str().unwrap(), vec![var.clone()], group["lr"].as_f64().unwrap(), group["weight_decay"].as_f64().unwrap()))
        .collect();
    let mut adamw = AdamW::new(param_groups, AdamWConfig::default()).unwrap();

    for (step, grads_json) in reference["grads"].as_array().unwrap().iter().enumerate() {
        let mut grads = GradStore::default();
        for ((name, shape), var) in shapes.iter().zip(&vars) {
            grads.insert(var.as_tensor(), tensor(&grads_json[name], shape));
        }
        adamw.step(&grads).unwrap();
        for ((name, _), var) in shapes.iter().zip(&vars) {
            let expected = floats(&reference["after_step"][step][name]);
            let actual = var.as_tensor().flatten_all().unwrap().to_vec1::<f32>().unwrap();
            for (i, (a, e)) in actual.iter().zip(&expected).enumerate() {
                // A few float32 ulps: torch evaluates the same formula in another order (lerp for the first
                // moment, in-place addcdiv for the update).
                assert!((a - e).abs() <= 5e-7 * e.abs().max(1.0), "step {} {name}[{i}]: {a} vs torch {e}", step + 1);
            }
        }
    }
}

#[test]
fn adamw_weight_decay_is_decoupled() {
    // With a zero gradient Adam's update is 0 / (0 + eps) = 0, so only the decay acts:
    // theta * (1 - lr * wd), not an L2 term passed through the adaptive denominator.
    let var = Var::new(&[2f32, -4.0], &Device::Cpu).unwrap();
    let mut adamw = AdamW::new(vec![ParamGroup::new("p", vec![var.clone()], 0.1, 0.5)], AdamWConfig::default()).unwrap();
    let mut grads = GradStore::default();
    grads.insert(var.as_tensor(), Tensor::zeros(2, candle_core::DType::F32, &Device::Cpu).unwrap());
    adamw.step(&grads).unwrap();
    assert_eq!(var.as_tensor().to_vec1::<f32>().unwrap(), vec![2.0 * 0.95, -4.0 * 0.95]);
}
