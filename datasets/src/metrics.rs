//! The GLUE and SuperGLUE metrics, defined to match scikit-learn 1.x (`accuracy_score`,
//! `f1_score`, `matthews_corrcoef`) and SciPy (`pearsonr`, `spearmanr`) on the inputs where
//! those are defined.
//!
//! Degenerate inputs get a value instead of NaN. A correlation with a constant side is 0. An MCC
//! whose denominator is 0 (one class everywhere) is 0. An F1 with no true or predicted positives
//! is 0, which is what scikit-learn's `zero_division` default returns. An invalid prediction
//! (`None`) never equals the gold class, is never a positive, and is its own class for MCC,
//! the same as the reference code's mapping of unparseable outputs to label -1.

use crate::error::{DatasetError, Result};

fn check_lengths(metric: &'static str, gold: usize, pred: usize) -> Result<()> {
    if gold != pred {
        return Err(DatasetError::MetricInput {
            metric,
            reason: format!("{gold} gold labels but {pred} predictions"),
        });
    }
    if gold == 0 {
        return Err(DatasetError::MetricInput {
            metric,
            reason: "no examples to score".to_string(),
        });
    }
    Ok(())
}

/// Computes the fraction of predictions equal to the gold class.
pub fn accuracy(gold: &[u32], pred: &[Option<u32>]) -> Result<f64> {
    check_lengths("accuracy", gold.len(), pred.len())?;
    let correct = gold
        .iter()
        .zip(pred)
        .filter(|(g, p)| Some(**g) == **p)
        .count();
    Ok(correct as f64 / gold.len() as f64)
}

/// Counts true positives, false positives and false negatives of one class.
fn class_counts(gold: &[u32], pred: &[Option<u32>], class: u32) -> (usize, usize, usize) {
    let (mut tp, mut fp, mut fn_) = (0, 0, 0);
    for (&g, &p) in gold.iter().zip(pred) {
        let predicted = p == Some(class);
        match (g == class, predicted) {
            (true, true) => tp += 1,
            (false, true) => fp += 1,
            (true, false) => fn_ += 1,
            (false, false) => {}
        }
    }
    (tp, fp, fn_)
}

fn f1_from_counts((tp, fp, fn_): (usize, usize, usize)) -> f64 {
    let denominator = 2 * tp + fp + fn_;
    if denominator == 0 {
        0.0
    } else {
        2.0 * tp as f64 / denominator as f64
    }
}

/// Computes the F1 of the positive class (index 1), as `f1_score(average="binary")` does.
pub fn f1_binary(gold: &[u32], pred: &[Option<u32>]) -> Result<f64> {
    check_lengths("f1", gold.len(), pred.len())?;
    Ok(f1_from_counts(class_counts(gold, pred, 1)))
}

/// Computes the unweighted mean of per-class F1 over classes `0..num_classes`, including classes that
/// never occur (their F1 is 0), as `f1_score(average="macro", labels=range(num_classes))`.
pub fn macro_f1(gold: &[u32], pred: &[Option<u32>], num_classes: u32) -> Result<f64> {
    check_lengths("macro_f1", gold.len(), pred.len())?;
    if num_classes == 0 {
        return Err(DatasetError::MetricInput {
            metric: "macro_f1",
            reason: "num_classes is 0".to_string(),
        });
    }
    let sum: f64 = (0..num_classes)
        .map(|class| f1_from_counts(class_counts(gold, pred, class)))
        .sum();
    Ok(sum / num_classes as f64)
}

/// Computes the Matthews correlation coefficient in its multiclass form (Gorodkin 2004), as
/// scikit-learn does. For two classes it equals the usual binary formula.
pub fn mcc(gold: &[u32], pred: &[Option<u32>]) -> Result<f64> {
    check_lengths("mcc", gold.len(), pred.len())?;
    // Invalid predictions become one class past every real one.
    let invalid = gold
        .iter()
        .chain(pred.iter().flatten())
        .max()
        .map_or(0, |m| m + 1);
    let classes = invalid as usize + 1;
    let mut gold_totals = vec![0f64; classes];
    let mut pred_totals = vec![0f64; classes];
    let mut correct = 0f64;
    for (&g, &p) in gold.iter().zip(pred) {
        let p = p.unwrap_or(invalid);
        gold_totals[g as usize] += 1.0;
        pred_totals[p as usize] += 1.0;
        if g == p {
            correct += 1.0;
        }
    }
    let n = gold.len() as f64;
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
    let cov_gold_pred = correct * n - dot(&gold_totals, &pred_totals);
    let cov_pred_pred = n * n - dot(&pred_totals, &pred_totals);
    let cov_gold_gold = n * n - dot(&gold_totals, &gold_totals);
    let denominator = (cov_gold_gold * cov_pred_pred).sqrt();
    if denominator == 0.0 {
        return Ok(0.0);
    }
    Ok(cov_gold_pred / denominator)
}

/// Computes Pearson's correlation coefficient, or 0 when either side is constant.
pub fn pearson(gold: &[f64], pred: &[f64]) -> Result<f64> {
    check_lengths("pearson", gold.len(), pred.len())?;
    Ok(pearson_unchecked(gold, pred))
}

fn pearson_unchecked(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let mean_x = x.iter().sum::<f64>() / n;
    let mean_y = y.iter().sum::<f64>() / n;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (&a, &b) in x.iter().zip(y) {
        let (dx, dy) = (a - mean_x, b - mean_y);
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    if sxx == 0.0 || syy == 0.0 {
        return 0.0;
    }
    // Rounding can push a perfect correlation a hair past 1.
    (sxy / (sxx.sqrt() * syy.sqrt())).clamp(-1.0, 1.0)
}

/// Computes Spearman's rank correlation: Pearson on ranks, with tied values sharing their average
/// rank (SciPy's default). Returns 0 when either side is constant.
pub fn spearman(gold: &[f64], pred: &[f64]) -> Result<f64> {
    check_lengths("spearman", gold.len(), pred.len())?;
    Ok(pearson_unchecked(
        &average_ranks(gold),
        &average_ranks(pred),
    ))
}

/// 1-based ranks with ties given the mean of the ranks they span.
fn average_ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && values[order[end]] == values[order[start]] {
            end += 1;
        }
        // Positions start..end hold ranks start+1..=end, whose mean is (start + 1 + end) / 2.
        let rank = (start + 1 + end) as f64 / 2.0;
        for &index in &order[start..end] {
            ranks[index] = rank;
        }
        start = end;
    }
    ranks
}

/// Computes MultiRC's two metrics: F1 over all answer options (F1a, positive class 1) and exact match,
/// the fraction of questions (`groups`) whose every answer option is predicted correctly.
pub fn multirc(groups: &[usize], gold: &[u32], pred: &[Option<u32>]) -> Result<(f64, f64)> {
    check_lengths("multirc", gold.len(), pred.len())?;
    check_lengths("multirc", gold.len(), groups.len())?;
    let f1a = f1_from_counts(class_counts(gold, pred, 1));

    let mut all_correct: std::collections::BTreeMap<usize, bool> = Default::default();
    for ((&group, &g), &p) in groups.iter().zip(gold).zip(pred) {
        let entry = all_correct.entry(group).or_insert(true);
        *entry &= p == Some(g);
    }
    let exact = all_correct.values().filter(|&&ok| ok).count();
    Ok((f1a, exact as f64 / all_correct.len() as f64))
}

/// Computes the SuperPos-Prompt paper's per-task score: the mean of the task's one or two metrics.
pub fn paper_score(values: &[f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.iter().sum::<f64>() / values.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn average_ranks_with_ties() {
        assert_eq!(
            average_ranks(&[10.0, 20.0, 20.0, 5.0]),
            vec![2.0, 3.5, 3.5, 1.0]
        );
    }

    #[test]
    fn invalid_prediction_is_wrong() {
        let gold = [1, 0];
        let pred = [None, Some(0)];
        assert_eq!(accuracy(&gold, &pred).unwrap(), 0.5);
        // The invalid output misses the positive, so recall is 0 and F1 is 0.
        assert_eq!(f1_binary(&gold, &pred).unwrap(), 0.0);
    }

    #[test]
    fn length_mismatch_is_an_error() {
        let err = accuracy(&[1, 0], &[Some(1)]).unwrap_err();
        assert_eq!(err.to_string(), "accuracy: 2 gold labels but 1 predictions");
    }

    #[test]
    fn paper_score_is_mean() {
        assert_eq!(paper_score(&[0.75, 0.25]), 0.5);
        assert_eq!(paper_score(&[0.5]), 0.5);
    }
}
