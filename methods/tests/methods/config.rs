//! Method configs: YAML parsing with serde-saphyr, rejected keys with their line, JSON round
//! trips, and trainable-parameter counts from shapes alone.

use std::path::PathBuf;

use serde::Deserialize;
use superpos_methods::{
    AttemptConfig, BackboneShapes, CoefficientInit, FullFineTuningConfig, MethodConfig, PromptInit, PromptInitKind, PromptTuningConfig, ResidualConfig,
    SamplePopulation, SuperPosConfig,
};

#[derive(Debug, Deserialize)]
struct Grid {
    methods: Vec<MethodConfig>,
}

fn parse(yaml: &str) -> Result<Grid, String> {
    serde_saphyr::from_str::<Grid>(yaml).map_err(|e| e.to_string())
}

/// T5 v1.1 small and base: d_model, vocab rows, and the parameter counts that the SuperPos-Prompt
/// paper states (76,961,152 and 247,577,856).
const SMALL: BackboneShapes = BackboneShapes { d_model: 512, vocab_size: 32_128, parameter_count: 76_961_152 };
const BASE: BackboneShapes = BackboneShapes { d_model: 768, vocab_size: 32_128, parameter_count: 247_577_856 };

#[test]
fn grid_parses_every_method() {
    let yaml = "\
methods:
  - type: prompt_tuning
  - type: prompt_tuning
    prompt_length: 20
    init: { kind: class_label, population: whole_table, label_token_ids: [[3, 4], [5]] }
  - type: residual_prompt_tuning
    bottleneck: 800
    layer_norm: false
    separate_mlps: true
  - type: superpos_prompt_tuning
    superposition_tokens: 64
    population: { first: 32100 }
    coefficient_init: { uniform: 0.05 }
    softmax: true
  - type: attempt
    source_prompts: [runs/mnli.safetensors, runs/qnli.safetensors]
    temperature: 2087.0
  - type: full_fine_tuning
    lr: 3.0e-5
";
    let grid = parse(yaml).unwrap();
    assert_eq!(grid.methods.len(), 6);
    assert_eq!(grid.methods[0], MethodConfig::PromptTuning(PromptTuningConfig::default()));
    let expected_init = PromptInit { kind: PromptInitKind::ClassLabel, population: SamplePopulation::WholeTable, label_token_ids: Some(vec![vec![3, 4], vec![5]]) };
    assert_eq!(grid.methods[1], MethodConfig::PromptTuning(PromptTuningConfig { prompt_length: 20, init: expected_init, ..Default::default() }));
    assert_eq!(
        grid.methods[2],
        MethodConfig::ResidualPromptTuning(ResidualConfig { bottleneck: 800, layer_norm: false, separate_mlps: true, ..Default::default() })
    );
    assert_eq!(
        grid.methods[3],
        MethodConfig::SuperposPromptTuning(SuperPosConfig {
            superposition_tokens: 64,
            population: SamplePopulation::First(32_100),
            coefficient_init: CoefficientInit::Uniform(0.05),
            softmax: true,
            ..Default::default()
        })
    );
    assert_eq!(
        grid.methods[4],
        MethodConfig::Attempt(AttemptConfig {
            source_prompts: vec![PathBuf::from("runs/mnli.safetensors"), PathBuf::from("runs/qnli.safetensors")],
            temperature: Some(2087.0),
            ..Default::default()
        })
    );
    assert_eq!(grid.methods[5], MethodConfig::FullFineTuning(FullFineTuningConfig { lr: 3e-5, weight_decay: 0.0 }));
}

#[test]
fn defaults_follow_paper_table() {
    let superpos = SuperPosConfig::default();
    assert_eq!((superpos.prompt_length, superpos.superposition_tokens), (10, 128));
    assert_eq!((superpos.lr, superpos.coefficient_weight_decay, superpos.embedding_weight_decay), (0.01, 1e-5, 0.0));
    assert_eq!(superpos.coefficient_init, CoefficientInit::OneHot);
    assert!(!superpos.softmax);
    assert!(!superpos.shared_embeddings);
    let prompt = PromptTuningConfig::default();
    assert_eq!((prompt.lr, prompt.weight_decay), (0.01, 0.01));
    let residual = ResidualConfig::default();
    assert_eq!((residual.bottleneck, residual.lr, residual.weight_decay), (128, 0.3, 0.01));
    assert!(residual.layer_norm);
    assert!(residual.residual);
    assert!(!residual.separate_mlps);
    let attempt = AttemptConfig::default();
    assert_eq!((attempt.bottleneck, attempt.lr, attempt.weight_decay), (100, 0.3, 1e-5));
    assert_eq!(FullFineTuningConfig::default().lr, 1e-5);
}

#[test]
fn unknown_key_reports_key_and_line() {
    let yaml = "\
methods:
  - type: superpos_prompt_tuning
    prompt_length: 10
  - type: prompt_tuning
    prompt_length: 10
    learning_rate: 0.3
";
    let message = parse(yaml).unwrap_err();
    assert!(message.contains("learning_rate"), "{message}");
    assert!(message.contains("line 6"), "{message}");
}

#[test]
fn unknown_nested_key_reports_line() {
    let yaml = "\
methods:
  - type: prompt_tuning
    init:
      kind: sampled_vocab
      populaton: whole_table
";
    let message = parse(yaml).unwrap_err();
    assert!(message.contains("populaton"), "{message}");
    assert!(message.contains("line 5"), "{message}");
}

#[test]
fn unknown_method_type_rejected() {
    let yaml = "methods:\n  - type: lora\n    rank: 8\n";
    let message = parse(yaml).unwrap_err();
    assert!(message.contains("lora"), "{message}");
    assert!(message.contains("superpos_prompt_tuning"), "{message}");
    assert!(message.contains("line 2"), "{message}");
}

#[test]
fn missing_type_rejected() {
    let message = parse("methods:\n  - prompt_length: 10\n").unwrap_err();
    assert!(message.contains("type"), "{message}");
}

#[test]
fn type_after_other_keys_still_parses() {
    let grid = parse("methods:\n  - prompt_length: 12\n    type: prompt_tuning\n").unwrap();
    assert_eq!(grid.methods[0], MethodConfig::PromptTuning(PromptTuningConfig { prompt_length: 12, ..Default::default() }));
    // NOTE: in this order the mapping is buffered, so the error names the key but its line is
    // the one where the buffered mapping was read.
    let message = parse("methods:\n  - lr: 0.1\n    type: prompt_tuning\n    prompt_lenght: 3\n").unwrap_err();
    assert!(message.contains("prompt_lenght"), "{message}");
}

#[test]
fn configs_round_trip_through_json() {
    let configs = [
        MethodConfig::PromptTuning(PromptTuningConfig::default()),
        MethodConfig::ResidualPromptTuning(ResidualConfig { separate_mlps: true, ..Default::default() }),
        MethodConfig::SuperposPromptTuning(SuperPosConfig { coefficient_init: CoefficientInit::Uniform(0.1), ..Default::default() }),
        MethodConfig::Attempt(AttemptConfig { source_prompts: vec![PathBuf::from("a.safetensors")], ..Default::default() }),
        MethodConfig::FullFineTuning(FullFineTuningConfig::default()),
    ];
    for config in configs {
        let json = serde_json::to_string(&config).unwrap();
        assert!(json.starts_with(&format!("{{\"type\":\"{}\"", config.name())), "{json}");
        let back: MethodConfig = serde_json::from_str(&json).unwrap();
        assert_eq!(back, config);
    }
}

#[test]
fn only_full_fine_tuning_needs_trainable_backbone() {
    assert!(MethodConfig::FullFineTuning(FullFineTuningConfig::default()).needs_trainable_backbone());
    assert!(!MethodConfig::PromptTuning(PromptTuningConfig::default()).needs_trainable_backbone());
    assert!(!MethodConfig::SuperposPromptTuning(SuperPosConfig::default()).needs_trainable_backbone());
    assert!(!MethodConfig::ResidualPromptTuning(ResidualConfig::default()).needs_trainable_backbone());
    assert!(!MethodConfig::Attempt(AttemptConfig::default()).needs_trainable_backbone());
}

#[test]
fn superpos_count_small_and_base() {
    let config = MethodConfig::SuperposPromptTuning(SuperPosConfig::default());
    assert_eq!(config.trainable_parameters(&SMALL), 656_640);
    assert_eq!(config.trainable_parameters(&BASE), 984_320);
}

#[test]
fn superpos_shared_embeddings_count() {
    let config = MethodConfig::SuperposPromptTuning(SuperPosConfig { shared_embeddings: true, ..Default::default() });
    // d m + n m = 512 * 128 + 10 * 128
    assert_eq!(config.trainable_parameters(&SMALL), 66_816);
}

#[test]
fn prompt_tuning_count_is_n_times_d() {
    let config = MethodConfig::PromptTuning(PromptTuningConfig::default());
    assert_eq!(config.trainable_parameters(&SMALL), 5_120);
    assert_eq!(config.trainable_parameters(&BASE), 7_680);
}

#[test]
fn residual_counts() {
    // Shared MLP, bottleneck 128, LayerNorm, d 512:
    // 10 * 512 + (512 * 128 + 128) + (128 * 512 + 512) + 2 * 512.
    let shared = MethodConfig::ResidualPromptTuning(ResidualConfig::default());
    assert_eq!(shared.trainable_parameters(&SMALL), 137_856);
    // One MLP per token, bottleneck 800, no LayerNorm, d 768:
    // 10 * 768 + 10 * ((768 * 800 + 800) + (800 * 768 + 768)).
    let separate = MethodConfig::ResidualPromptTuning(ResidualConfig { bottleneck: 800, layer_norm: false, separate_mlps: true, ..Default::default() });
    assert_eq!(separate.trainable_parameters(&BASE), 12_311_360);
}

#[test]
fn attempt_and_full_counts() {
    // 10 * 512 + 512 * 100 + 100 * 512 + 2 * 512 (bias-free projections).
    let attempt = MethodConfig::Attempt(AttemptConfig::default());
    assert_eq!(attempt.trainable_parameters(&SMALL), 108_544);
    let full = MethodConfig::FullFineTuning(FullFineTuningConfig::default());
    assert_eq!(full.trainable_parameters(&SMALL), 76_961_152);
    assert_eq!(full.trainable_parameters(&BASE), 247_577_856);
}

#[test]
fn invalid_values_name_the_field() {
    let zero = MethodConfig::SuperposPromptTuning(SuperPosConfig { superposition_tokens: 0, ..Default::default() });
    let message = zero.validate().unwrap_err().to_string();
    assert!(message.contains("superposition_tokens"), "{message}");
    let negative = MethodConfig::PromptTuning(PromptTuningConfig { lr: -1.0, ..Default::default() });
    let message = negative.validate().unwrap_err().to_string();
    assert!(message.contains("lr = -1"), "{message}");
}

#[test]
fn prompt_length_per_method() {
    assert_eq!(MethodConfig::PromptTuning(PromptTuningConfig { prompt_length: 20, ..Default::default() }).prompt_length(), 20);
    assert_eq!(MethodConfig::ResidualPromptTuning(ResidualConfig::default()).prompt_length(), 10);
    assert_eq!(MethodConfig::SuperposPromptTuning(SuperPosConfig::default()).prompt_length(), 10);
    assert_eq!(MethodConfig::Attempt(AttemptConfig::default()).prompt_length(), 10);
    assert_eq!(MethodConfig::FullFineTuning(FullFineTuningConfig::default()).prompt_length(), 0);
}
