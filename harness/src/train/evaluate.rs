//! Evaluation of one split: batched predictions, put back in file order, then the task's metrics.

use superpos_datasets::{evaluation_batches, score_task, Encoded, Example, Prediction, Task};
use superpos_methods::TuningMethod;

use super::backbone::Backbone;
use super::record::{Evaluation, MetricRecord};

/// Predicts every example and scores the predictions; invalid predictions count as wrong.
pub fn evaluate(backbone: &Backbone, method: &dyn TuningMethod, task: Task, examples: &[Example], encoded: &[Encoded], batch_size: usize) -> anyhow::Result<Evaluation> {
    let _span = tracing::debug_span!("evaluate", %task, examples = examples.len()).entered();
    let predictions = predict_all(backbone, method, encoded, batch_size)?;
    let score = score_task(task, examples, &predictions)?;
    let invalid_rate = if score.examples == 0 { 0.0 } else { score.invalid as f64 / score.examples as f64 };
    Ok(Evaluation {
        metrics: score.metrics.iter().map(|m| MetricRecord { metric: m.metric.name().to_string(), value: m.value }).collect(),
        score: score.score,
        examples: score.examples,
        invalid: score.invalid,
        invalid_rate,
    })
}

/// Predicts every encoded example in length-bucketed batches and returns the predictions in the
/// examples' order.
pub fn predict_all(backbone: &Backbone, method: &dyn TuningMethod, encoded: &[Encoded], batch_size: usize) -> anyhow::Result<Vec<Prediction>> {
    let mut predictions = vec![Prediction::Invalid; encoded.len()];
    for batch in evaluation_batches(encoded, batch_size, backbone.pad_id()) {
        let predicted = backbone.predict(method, &batch)?;
        for (row, prediction) in batch.examples.iter().zip(predicted) {
            predictions[*row] = prediction;
        }
    }
    Ok(predictions)
}
