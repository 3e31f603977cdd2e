//! Seeded, portable train/validation/test splits built from the official splits, and the
//! per-epoch training order.
//!
//! Every shuffle is a Fisher-Yates shuffle (from the last position down) driven by
//! `ChaCha8Rng::from_seed`. The key is the seed's 8 little-endian bytes followed by 24 zero
//! bytes, and positions are drawn by rejection sampling from `next_u64`. The same seed thus gives
//! the same order on every platform and every `rand` version. These orders differ from the reference Python
//! code's, which shuffles with NumPy or PyTorch generators.
//!
//! MultiRC is split by question, never inside one, so exact match stays computable.

use rand::RngCore;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::data_dir::DataDir;
use crate::error::Result;
use crate::example::{Example, Label};
use crate::task::{Split, Task};

/// The ChaCha stream of split shuffles; epoch orders use stream `1 + epoch`, so they never
/// repeat the split's order.
const SPLIT_STREAM: u64 = 0;

fn rng(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    let mut rng = ChaCha8Rng::from_seed(key);
    rng.set_stream(stream);
    rng
}

/// Draws uniformly from `0..bound` without modulo bias.
fn below(rng: &mut ChaCha8Rng, bound: u64) -> u64 {
    // Values under `threshold` would make some residues more likely; 2^64 mod bound of them.
    let threshold = bound.wrapping_neg() % bound;
    loop {
        let value = rng.next_u64();
        if value >= threshold {
            return value % bound;
        }
    }
}

fn shuffle<T>(items: &mut [T], rng: &mut ChaCha8Rng) {
    for i in (1..items.len()).rev() {
        let j = below(rng, i as u64 + 1) as usize;
        items.swap(i, j);
    }
}

/// Returns a seeded permutation of `0..n`.
pub fn shuffled_indices(n: usize, seed: u64) -> Vec<usize> {
    let mut indices: Vec<usize> = (0..n).collect();
    shuffle(&mut indices, &mut rng(seed, SPLIT_STREAM));
    indices
}

/// Returns the order in which to visit `n` training examples in `epoch`.
pub fn epoch_order(n: usize, seed: u64, epoch: u64) -> Vec<usize> {
    let mut indices: Vec<usize> = (0..n).collect();
    shuffle(&mut indices, &mut rng(seed, 1 + epoch));
    indices
}

/// The rule that turns the official splits into train, validation and test sets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case", deny_unknown_fields)]
pub enum SplitRule {
    /// Official train; official validation as validation; no test set.
    Official,
    /// Official train, with the official validation set shuffled, optionally capped to its first
    /// `per_class_cap` rows of each class, and halved. The first half (rounded down) is
    /// validation and the rest is test.
    HalveValidation {
        seed: u64,
        per_class_cap: Option<usize>,
    },
    /// Shuffled train whose first `validation_rows` rows become validation (whole MultiRC
    /// questions, so possibly a few more). The rest stays train in file order, and the official
    /// validation set becomes the test set.
    HoldOutTrain { seed: u64, validation_rows: usize },
    /// MNLI as the Compacter code splits it: train, validation mismatched as validation and
    /// validation matched as test.
    MnliMismatchedMatched,
}

/// The three sets a run uses, and where each came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Splits {
    pub train: Vec<Example>,
    pub validation: Vec<Example>,
    /// Empty under [`SplitRule::Official`].
    pub test: Vec<Example>,
    /// The files read, in the order train, validation, test.
    pub sources: Vec<String>,
}

/// Tells whether a task counts as large, meaning at least 10,000 training rows. MultiRC counts its
/// 5,131 questions rather than its 27,243 answer options, because its rows are split by question.
pub fn is_large(task: Task) -> bool {
    let rows = task
        .official_groups(Split::Train)
        .or_else(|| task.official_rows(Split::Train))
        .unwrap_or(0);
    rows >= 10_000
}

/// Loads the official splits a rule needs and builds the three sets.
pub fn make_splits(task: Task, rule: &SplitRule, data: &DataDir) -> Result<Splits> {
    let official_validation = task.default_validation().unwrap_or(Split::Validation);
    let train = data.load(task, Split::Train)?;
    let mut sources = vec![train.source.clone()];

    let (train, validation, test) = match rule {
        SplitRule::Official => {
            let validation = data.load(task, official_validation)?;
            sources.push(validation.source);
            (train.examples, validation.examples, Vec::new())
        }
        SplitRule::HalveValidation {
            seed,
            per_class_cap,
        } => {
            let validation = data.load(task, official_validation)?;
            sources.push(validation.source.clone());
            sources.push(validation.source);
            let (first, second) = halve(validation.examples, *seed, *per_class_cap);
            (train.examples, first, second)
        }
        SplitRule::HoldOutTrain {
            seed,
            validation_rows,
        } => {
            let test = data.load(task, official_validation)?;
            sources.insert(1, train.source.clone());
            sources.push(test.source);
            let (rest, held_out) = hold_out(train.examples, *seed, *validation_rows);
            (rest, held_out, test.examples)
        }
        SplitRule::MnliMismatchedMatched => {
            let validation = data.load(task, Split::ValidationMismatched)?;
            let test = data.load(task, Split::ValidationMatched)?;
            sources.push(validation.source);
            sources.push(test.source);
            (train.examples, validation.examples, test.examples)
        }
    };
    tracing::info!(
        %task,
        train = train.len(),
        validation = validation.len(),
        test = test.len(),
        "built splits"
    );
    Ok(Splits {
        train,
        validation,
        test,
        sources,
    })
}

/// Groups example positions into units that must stay together: MultiRC questions, else
/// single examples. Units keep file order.
fn units(examples: &[Example]) -> Vec<Vec<usize>> {
    let mut units: Vec<Vec<usize>> = Vec::new();
    let mut unit_of_group = std::collections::HashMap::new();
    for (position, example) in examples.iter().enumerate() {
        match example.group {
            Some(group) => {
                let unit = *unit_of_group.entry(group).or_insert_with(|| {
                    units.push(Vec::new());
                    units.len() - 1
                });
                units[unit].push(position);
            }
            None => units.push(vec![position]),
        }
    }
    units
}

fn take(examples: &[Example], units: &[Vec<usize>]) -> Vec<Example> {
    units
        .iter()
        .flatten()
        .map(|&position| examples[position].clone())
        .collect()
}

/// Shuffles, caps per class, and halves the official validation set.
fn halve(
    examples: Vec<Example>,
    seed: u64,
    per_class_cap: Option<usize>,
) -> (Vec<Example>, Vec<Example>) {
    let mut shuffled = units(&examples);
    shuffle(&mut shuffled, &mut rng(seed, SPLIT_STREAM));
    if let Some(cap) = per_class_cap {
        let mut per_class = std::collections::HashMap::new();
        shuffled.retain(|unit| {
            // The cap applies to single-example units; a MultiRC question has mixed labels
            // and is never capped.
            let [position] = unit.as_slice() else {
                return true;
            };
            let key = match &examples[*position].label {
                Some(Label::Class(class)) => *class,
                _ => return true,
            };
            let count = per_class.entry(key).or_insert(0usize);
            *count += 1;
            *count <= cap
        });
    }
    let middle = shuffled.len() / 2;
    (
        take(&examples, &shuffled[..middle]),
        take(&examples, &shuffled[middle..]),
    )
}

/// Holds out at least `validation_rows` rows of shuffled train as validation.
fn hold_out(
    examples: Vec<Example>,
    seed: u64,
    validation_rows: usize,
) -> (Vec<Example>, Vec<Example>) {
    let mut shuffled = units(&examples);
    shuffle(&mut shuffled, &mut rng(seed, SPLIT_STREAM));
    let mut held_rows = 0;
    let mut held_units = 0;
    while held_units < shuffled.len() && held_rows < validation_rows {
        held_rows += shuffled[held_units].len();
        held_units += 1;
    }
    let mut rest: Vec<Vec<usize>> = shuffled[held_units..].to_vec();
    rest.sort_by_key(|unit| unit[0]);
    (
        take(&examples, &rest),
        take(&examples, &shuffled[..held_units]),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example(line: usize, class: u32, group: Option<usize>) -> Example {
        Example {
            line,
            fields: vec![("sentence", format!("row {line}"))],
            label: Some(Label::Class(class)),
            group,
            idx: None,
        }
    }

    #[test]
    fn shuffle_is_pinned() {
        // A fixed permutation: if this changes, every recorded split changes with it.
        assert_eq!(shuffled_indices(10, 0), vec![3, 0, 5, 9, 6, 7, 2, 4, 1, 8]);
        assert_eq!(shuffled_indices(10, 42), shuffled_indices(10, 42));
        assert_ne!(shuffled_indices(10, 42), shuffled_indices(10, 0));
    }

    #[test]
    fn epoch_orders_differ() {
        assert_ne!(epoch_order(20, 0, 0), epoch_order(20, 0, 1));
        assert_ne!(epoch_order(20, 0, 0), shuffled_indices(20, 0));
        assert_eq!(epoch_order(20, 3, 5), epoch_order(20, 3, 5));
    }

    #[test]
    fn below_stays_in_range() {
        let mut rng = rng(7, 0);
        for bound in 1..50 {
            assert!(below(&mut rng, bound) < bound);
        }
    }

    #[test]
    fn halve_caps_each_class() {
        let examples: Vec<Example> = (0..20)
            .map(|i| example(i, (i % 4 == 0) as u32, None))
            .collect();
        let (validation, test) = halve(examples, 0, Some(3));
        assert_eq!(validation.len() + test.len(), 6);
        let positives = validation
            .iter()
            .chain(&test)
            .filter(|e| e.class() == Some(1))
            .count();
        assert_eq!(positives, 3);
        assert_eq!(validation.len(), 3);
    }

    #[test]
    fn halve_keeps_questions_whole() {
        let examples: Vec<Example> = (0..9)
            .map(|i| example(i, (i % 2) as u32, Some(i / 3)))
            .collect();
        let (validation, test) = halve(examples, 1, None);
        assert_eq!(validation.len(), 3);
        assert_eq!(test.len(), 6);
        let group = validation[0].group;
        assert!(validation.iter().all(|e| e.group == group));
        assert!(test.iter().all(|e| e.group != group));
    }

    #[test]
    fn hold_out_takes_whole_units() {
        let examples: Vec<Example> = (0..10).map(|i| example(i, 0, Some(i / 2))).collect();
        let (rest, held) = hold_out(examples, 0, 3);
        assert_eq!(held.len(), 4);
        assert_eq!(rest.len(), 6);
        let lines: Vec<usize> = rest.iter().map(|e| e.line).collect();
        let mut sorted = lines.clone();
        sorted.sort();
        assert_eq!(lines, sorted, "the remaining train rows keep file order");
    }

    #[test]
    fn large_tasks() {
        let large: Vec<Task> = Task::ALL.into_iter().filter(|&t| is_large(t)).collect();
        assert_eq!(
            large,
            vec![Task::Sst2, Task::Qqp, Task::Mnli, Task::Qnli, Task::Record]
        );
    }
}
