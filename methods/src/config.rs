//! Method configs: one serde enum tagged by `type`, one struct per method.
//!
//! Every struct rejects unknown fields, so a misspelled key in a YAML grid is an error that names
//! the key. `MethodConfig` deserialises by hand instead of with serde's internally tagged derive:
//! the derive buffers the whole mapping before choosing the variant, and a deserialiser then
//! reports the mapping's first line instead of the misspelled key's. Reading `type` first and
//! streaming the rest of the mapping into the variant keeps each error at its key's line.
//!
//! ```yaml
//! - type: superpos_prompt_tuning
//!   prompt_length: 10
//!   superposition_tokens: 128
//! - type: prompt_tuning
//!   init: { kind: sampled_vocab, population: first_5000 }
//! - type: attempt
//!   source_prompts: [runs/mnli/prompt.safetensors, runs/qnli/prompt.safetensors]
//! ```

use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use crate::attempt::{Attempt, AttemptConfig};
use crate::backbone::BackboneShapes;
use crate::error::{MethodError, Result};
use crate::full::{FullFineTuning, FullFineTuningConfig};
use crate::method::{BuildContext, TuningMethod};
use crate::prompt_tuning::{PromptTuning, PromptTuningConfig};
use crate::residual::{ResidualConfig, ResidualPromptTuning};
use crate::superpos::{SuperPosConfig, SuperPosPromptTuning};

/// The `type` tag of simple prompt tuning.
pub const PROMPT_TUNING_TAG: &str = "prompt_tuning";
/// The `type` tag of Residual Prompt Tuning.
pub const RESIDUAL_TAG: &str = "residual_prompt_tuning";
/// The `type` tag of SuperPos prompt tuning.
pub const SUPERPOS_TAG: &str = "superpos_prompt_tuning";
/// The `type` tag of ATTEMPT.
pub const ATTEMPT_TAG: &str = "attempt";
/// The `type` tag of full fine-tuning.
pub const FULL_FINE_TUNING_TAG: &str = "full_fine_tuning";

const TAGS: &[&str] = &[PROMPT_TUNING_TAG, RESIDUAL_TAG, SUPERPOS_TAG, ATTEMPT_TAG, FULL_FINE_TUNING_TAG];

/// A tuning method and its hyperparameters.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum MethodConfig {
    PromptTuning(PromptTuningConfig),
    ResidualPromptTuning(ResidualConfig),
    SuperposPromptTuning(SuperPosConfig),
    Attempt(AttemptConfig),
    FullFineTuning(FullFineTuningConfig),
}

impl MethodConfig {
    /// Returns the `type` tag.
    pub fn name(&self) -> &'static str {
        match self {
            MethodConfig::PromptTuning(_) => PROMPT_TUNING_TAG,
            MethodConfig::ResidualPromptTuning(_) => RESIDUAL_TAG,
            MethodConfig::SuperposPromptTuning(_) => SUPERPOS_TAG,
            MethodConfig::Attempt(_) => ATTEMPT_TAG,
            MethodConfig::FullFineTuning(_) => FULL_FINE_TUNING_TAG,
        }
    }

    /// Returns the number of vectors the method prepends to the encoder input, 0 for full
    /// fine-tuning. A harness subtracts it from the maximum source length.
    pub fn prompt_length(&self) -> usize {
        match self {
            MethodConfig::PromptTuning(config) => config.prompt_length,
            MethodConfig::ResidualPromptTuning(config) => config.prompt_length,
            MethodConfig::SuperposPromptTuning(config) => config.prompt_length,
            MethodConfig::Attempt(config) => config.prompt_length,
            MethodConfig::FullFineTuning(_) => 0,
        }
    }

    /// Returns whether the backbone must be loaded with its weights as trainable variables.
    /// Only full fine-tuning needs that, and every other method runs on a frozen backbone.
    pub fn needs_trainable_backbone(&self) -> bool {
        matches!(self, MethodConfig::FullFineTuning(_))
    }

    /// Checks every value that serde cannot, including that ATTEMPT's source prompt files exist.
    pub fn validate(&self) -> Result<()> {
        match self {
            MethodConfig::PromptTuning(config) => config.validate(),
            MethodConfig::ResidualPromptTuning(config) => config.validate(),
            MethodConfig::SuperposPromptTuning(config) => config.validate(),
            MethodConfig::Attempt(config) => config.validate(),
            MethodConfig::FullFineTuning(config) => config.validate(),
        }
    }

    /// Counts the trainable values from the config and backbone shapes alone, without weights.
    pub fn trainable_parameters(&self, shapes: &BackboneShapes) -> usize {
        match self {
            MethodConfig::PromptTuning(config) => config.trainable_parameters(shapes),
            MethodConfig::ResidualPromptTuning(config) => config.trainable_parameters(shapes),
            MethodConfig::SuperposPromptTuning(config) => config.trainable_parameters(shapes),
            MethodConfig::Attempt(config) => config.trainable_parameters(shapes),
            MethodConfig::FullFineTuning(config) => config.trainable_parameters(shapes),
        }
    }

    /// Builds the method on the context's backbone, initialised from its seed.
    pub fn build(&self, context: &BuildContext) -> Result<Box<dyn TuningMethod>> {
        let _span = tracing::debug_span!("build_method", method = self.name(), seed = context.seed).entered();
        let method: Box<dyn TuningMethod> = match self {
            MethodConfig::PromptTuning(config) => Box::new(PromptTuning::new(config.clone(), context)?),
            MethodConfig::ResidualPromptTuning(config) => Box::new(ResidualPromptTuning::new(config.clone(), context)?),
            MethodConfig::SuperposPromptTuning(config) => Box::new(SuperPosPromptTuning::new(config.clone(), context)?),
            MethodConfig::Attempt(config) => Box::new(Attempt::new(config.clone(), context)?),
            MethodConfig::FullFineTuning(config) => Box::new(FullFineTuning::new(config.clone(), context)?),
        };
        tracing::debug!(trainable = method.trainable_parameters(), "method built");
        Ok(method)
    }
}

/// Returns the default number of prompt vectors, n = 10 as in the SuperPos-Prompt paper.
pub(crate) fn default_prompt_length() -> usize {
    10
}

pub(crate) fn check_positive(field: &'static str, value: usize) -> Result<()> {
    if value == 0 {
        return Err(MethodError::InvalidConfig { field, value: "0".to_string(), reason: "expected a positive integer".to_string() });
    }
    Ok(())
}

pub(crate) fn check_non_negative(field: &'static str, value: f64) -> Result<()> {
    if !(value >= 0.0 && value.is_finite()) {
        return Err(MethodError::InvalidConfig { field, value: value.to_string(), reason: "expected a finite number >= 0".to_string() });
    }
    Ok(())
}

impl<'de> Deserialize<'de> for MethodConfig {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        deserializer.deserialize_map(MethodConfigVisitor)
    }
}

struct MethodConfigVisitor;

impl<'de> Visitor<'de> for MethodConfigVisitor {
    type Value = MethodConfig;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a method mapping with a `type` key")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<MethodConfig, A::Error> {
        let Some(first_key) = map.next_key::<String>()? else {
            return Err(de::Error::missing_field("type"));
        };
        if first_key == "type" {
            let tag: String = map.next_value()?;
            return variant_from(&tag, de::value::MapAccessDeserializer::new(map));
        }
        // `type` is not the first key: buffer the mapping. Errors inside the variant then carry
        // the position where the buffered mapping was read, not the offending key's own line.
        let mut fields = serde_json::Map::new();
        fields.insert(first_key, map.next_value::<serde_json::Value>()?);
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value::<serde_json::Value>()?;
            fields.insert(key, value);
        }
        let tag = match fields.remove("type") {
            Some(serde_json::Value::String(tag)) => tag,
            Some(other) => return Err(de::Error::invalid_type(de::Unexpected::Other(&other.to_string()), &"a method name")),
            None => return Err(de::Error::missing_field("type")),
        };
        variant_from(&tag, serde_json::Value::Object(fields)).map_err(de::Error::custom)
    }
}

/// Deserialises the fields of the variant named `tag` from `fields`.
fn variant_from<'de, D: Deserializer<'de>>(tag: &str, fields: D) -> std::result::Result<MethodConfig, D::Error> {
    Ok(match tag {
        PROMPT_TUNING_TAG => MethodConfig::PromptTuning(PromptTuningConfig::deserialize(fields)?),
        RESIDUAL_TAG => MethodConfig::ResidualPromptTuning(ResidualConfig::deserialize(fields)?),
        SUPERPOS_TAG => MethodConfig::SuperposPromptTuning(SuperPosConfig::deserialize(fields)?),
        ATTEMPT_TAG => MethodConfig::Attempt(AttemptConfig::deserialize(fields)?),
        FULL_FINE_TUNING_TAG => MethodConfig::FullFineTuning(FullFineTuningConfig::deserialize(fields)?),
        other => return Err(de::Error::unknown_variant(other, TAGS)),
    })
}
