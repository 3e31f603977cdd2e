//! SuperPos-Prompt at initialisation: every E_i equals the sampled embedding rows, the ids are
//! unique, and the initial prompt is the sampled-vocabulary prompt.

use superpos_methods::{Backbone, BuildContext, MethodConfig, PromptTuningConfig, SuperPosConfig, SuperPosPromptTuning, TuningMethod};

use crate::common::{load_frozen, tensor_bits};

fn build(config: SuperPosConfig, seed: u64) -> (SuperPosPromptTuning, Vec<Vec<f32>>) {
    let (model, _) = load_frozen();
    let context = BuildContext::new(Backbone::frozen(model.embedding_table()).unwrap(), seed);
    let table = model.embedding_table().to_vec2::<f32>().unwrap();
    (SuperPosPromptTuning::new(config, &context).unwrap(), table)
}

#[test]
fn superpos_init_copies_sampled_rows() {
    let (method, table) = build(SuperPosConfig::default(), 11);
    let ids = method.sampled_ids();
    assert_eq!(ids.len(), 128);
    let mut unique = ids.to_vec();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), 128, "sampled ids repeat");
    // The tiny vocabulary has 1,100 rows, so first_5000 covers the whole table.
    assert!(ids.iter().all(|id| (*id as usize) < 1100));

    let embeddings = method.embeddings().as_tensor().to_vec3::<f32>().unwrap();
    assert_eq!(embeddings.len(), 10);
    for (i, matrix) in embeddings.iter().enumerate() {
        assert_eq!(matrix.len(), 64);
        for (j, id) in ids.iter().enumerate() {
            for k in 0..64 {
                assert_eq!(matrix[k][j].to_bits(), table[*id as usize][k].to_bits(), "E_{i}[{k}, {j}] is not row {id}");
            }
        }
    }
}

#[test]
fn superpos_initial_prompt_is_sampled_rows() {
    let (method, table) = build(SuperPosConfig::default(), 11);
    let prompt = method.export_prompt().unwrap().unwrap().to_vec2::<f32>().unwrap();
    for (i, row) in prompt.iter().enumerate() {
        let id = method.sampled_ids()[i] as usize;
        assert_eq!(row, &table[id], "token {i} does not start at sampled row {id}");
    }
}

#[test]
fn superpos_groups_decay_coefficients_only() {
    let (method, _) = build(SuperPosConfig::default(), 1);
    let groups = method.param_groups();
    assert_eq!(groups.len(), 2);
    assert_eq!((groups[0].name.as_str(), groups[0].lr, groups[0].weight_decay), ("coefficients", 0.01, 1e-5));
    assert_eq!(groups[0].vars[0].dims(), &[10, 128]);
    assert_eq!((groups[1].name.as_str(), groups[1].lr, groups[1].weight_decay), ("embeddings", 0.01, 0.0));
    assert_eq!(groups[1].vars[0].dims(), &[10, 64, 128]);
    // n (d m + m) with d = 64.
    assert_eq!(method.trainable_parameters(), 10 * (64 * 128 + 128));
}

#[test]
fn superpos_seed_decides_ids() {
    let (a, _) = build(SuperPosConfig::default(), 4);
    let (b, _) = build(SuperPosConfig::default(), 4);
    let (c, _) = build(SuperPosConfig::default(), 5);
    assert_eq!(a.sampled_ids(), b.sampled_ids());
    assert_eq!(tensor_bits(a.embeddings().as_tensor()), tensor_bits(b.embeddings().as_tensor()));
    assert_ne!(a.sampled_ids(), c.sampled_ids());
}

#[test]
fn superpos_softmax_weights_sum_to_one() {
    let (method, table) = build(SuperPosConfig { softmax: true, shared_embeddings: true, superposition_tokens: 4, ..Default::default() }, 2);
    assert_eq!(method.embeddings().dims(), &[1, 64, 4]);
    // With one-hot logits the chosen column weighs e / (e + 3) and the others 1 / (e + 3).
    let prompt = method.export_prompt().unwrap().unwrap().to_vec2::<f32>().unwrap();
    let e = std::f32::consts::E;
    let ids = method.sampled_ids();
    for k in 0..64 {
        let others: f32 = ids[1..].iter().map(|id| table[*id as usize][k]).sum();
        let expected = (e * table[ids[0] as usize][k] + others) / (e + 3.0);
        assert!((prompt[0][k] - expected).abs() < 1e-5 * expected.abs().max(1.0), "{} vs {expected}", prompt[0][k]);
    }
}

#[test]
fn superpos_one_hot_start_equals_prompt_tuning_start() {
    // Both draw from the same stream and population, so the first n of the m sampled ids are
    // prompt tuning's n ids, and the one-hot coefficients select exactly those rows.
    let (model, _) = load_frozen();
    let context = BuildContext::new(Backbone::frozen(model.embedding_table()).unwrap(), 17);
    let superpos = MethodConfig::SuperposPromptTuning(SuperPosConfig::default()).build(&context).unwrap();
    let prompt = MethodConfig::PromptTuning(PromptTuningConfig::default()).build(&context).unwrap();
    let superpos_prompt = superpos.export_prompt().unwrap().unwrap();
    let plain_prompt = prompt.export_prompt().unwrap().unwrap();
    assert_eq!(tensor_bits(&superpos_prompt), tensor_bits(&plain_prompt));
}
