//! End-to-end tests of the reports crate on committed inputs: the paper's published numbers
//! (`data/paper_table1.csv`, `data/paper_table2.csv`) and a small fixed results store
//! (`tests/fixtures/store`: 8 all-MiniLM-L6-v2 records of a real quickstart run and 31
//! hand-made T5 records with a diverged, a never-valid, a collapsed and a missing cell).
//!
//! Snapshot files live in `tests/fixtures/expected/`; run with `UPDATE_SNAPSHOTS=1` to rewrite
//! them after an intended change, then review the diff.

use std::path::{Path, PathBuf};

use superpos_reports::flags::FlagKind;
use superpos_reports::{paper, plot, OutputFormat, ReferenceSource, Report, ReportOptions, Split};

fn crate_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

fn paper_report() -> Report {
    Report::from_path(&crate_path("data/paper_table1.csv"), &ReportOptions::default()).unwrap()
}

fn store_report() -> Report {
    Report::from_path(&crate_path("tests/fixtures/store"), &ReportOptions::default()).unwrap()
}

/// Compares `actual` with a committed snapshot, or rewrites it when `UPDATE_SNAPSHOTS` is set.
fn check_snapshot(name: &str, actual: &str) {
    let path = crate_path("tests/fixtures/expected").join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("cannot read {}: {err}; run with UPDATE_SNAPSHOTS=1", path.display()));
    if expected != actual {
        let line = expected.lines().zip(actual.lines()).position(|(e, a)| e != a).unwrap_or(expected.lines().count().min(actual.lines().count()));
        panic!(
            "{} differs from the output at line {}:\nexpected: {:?}\nactual:   {:?}\n(run with UPDATE_SNAPSHOTS=1 to accept the new output)",
            path.display(),
            line + 1,
            expected.lines().nth(line),
            actual.lines().nth(line)
        );
    }
}

#[test]
fn paper_avg_column_recomputes_within_0_05() {
    let report = paper_report();
    let comparison = report.comparison.as_ref().unwrap();
    // Every row with all 13 tasks: 7 method and dropout rows for each of the 2 sizes.
    assert_eq!(comparison.averages.len(), 14);
    for average in &comparison.averages {
        assert!(
            average.difference.abs() <= 0.05,
            "{} {} dropout {}: Avg {:.3} against the paper's {:.1}",
            average.row.model,
            average.row.method,
            average.row.dropout,
            average.reproduced,
            average.reported
        );
    }
    // ATTEMPT lacks 4 tasks, so its rows have no Avg, as in the paper.
    let attempt: Vec<_> = report.averages.iter().filter(|a| a.row.method == "attempt").collect();
    assert_eq!(attempt.len(), 4);
    assert!(attempt.iter().all(|a| a.average.is_none()));
}

#[test]
fn paper_table2_recomputes_within_0_1() {
    let report = paper_report();
    let comparison = report.comparison.as_ref().unwrap();
    let reported = paper::table2().unwrap();
    assert_eq!(comparison.standardized.len(), reported.len());
    for row in &comparison.standardized {
        let label = format!("{} {} dropout {}", row.row.model, row.row.method, row.row.dropout);
        assert!((row.mean - row.reported_mean).abs() <= 0.1, "{label}: mean {:.3} against {:.1}", row.mean, row.reported_mean);
        assert!((row.std - row.reported_std).abs() <= 0.1, "{label}: std {:.3} against {:.1}", row.std, row.reported_std);
    }
    let standardized = &report.standardized[0];
    assert_eq!(standardized.rows.len(), 14);
    assert_eq!(standardized.tasks.len(), 13);
}

#[test]
fn paper_scores_compare_exactly_with_themselves() {
    let report = paper_report();
    let comparison = report.comparison.as_ref().unwrap();
    // 14 complete rows of 18 metric values and 4 ATTEMPT rows of 13.
    assert_eq!(comparison.metrics.len(), 14 * 18 + 4 * 13);
    assert!(comparison.metrics.iter().all(|m| m.difference == 0.0));
    // One published number per cell: no standard deviation to judge the spread by.
    assert!(comparison.metrics.iter().all(|m| m.within_one_std.is_none()));
}

#[test]
fn paper_dagger_cells_are_flagged() {
    let report = paper_report();
    let never_valid = report.flags.iter().filter(|f| f.kind == FlagKind::NeverValid).count();
    let expected = paper::table1().unwrap().rows.iter().filter(|r| r.never_valid).map(|r| (r.model.clone(), r.method.clone(), r.dropout, r.task.clone())).collect::<std::collections::BTreeSet<_>>().len();
    assert_eq!(never_valid, expected);
    let table1 = superpos_reports::table1::table(&report.summary, "t5");
    let markdown = superpos_reports::render::markdown::render(&table1);
    assert!(markdown.contains("0.0/0.0†"), "CB of simple PT with dropout should carry the dagger:\n{markdown}");
}

#[test]
fn store_scores_are_percentages() {
    let report = store_report();
    // The quickstart record 4e57d39a5ac5dbe6 has RTE test accuracy 0.45.
    let row = report.scores.iter().find(|r| r.cell_id.as_deref() == Some("4e57d39a5ac5dbe6")).unwrap();
    assert_eq!(row.metric, "accuracy");
    assert!((row.score - 45.0).abs() < 1e-9);
    assert_eq!(row.family, "bert");
}

#[test]
fn store_families_get_separate_tables() {
    let report = store_report();
    assert_eq!(report.summary.families(), vec!["bert", "t5"]);
    let sections = report.sections();
    let table1 = &sections[0].tables;
    assert_eq!(table1.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(), vec!["table1-bert", "table1-t5"]);
    // No T5 backbone in the BERT table and no MiniLM in the T5 table.
    let bert = superpos_reports::render::csv::render(&table1[0]);
    let t5 = superpos_reports::render::csv::render(&table1[1]);
    assert!(!bert.contains("t5-"), "{bert}");
    assert!(!t5.contains("MiniLM"), "{t5}");
    assert!(report.leaderboard.iter().all(|row| (row.family == "t5") == row.model.starts_with("t5-")));
}

#[test]
fn store_aggregates_seeds() {
    let report = store_report();
    // SuperPos on t5-base without dropout has 2 seeds on RTE.
    let stat = report
        .summary
        .metrics
        .iter()
        .find(|m| m.row.model == "t5-base-lm-adapt" && m.row.method == "superpos_prompt_tuning" && !m.row.dropout && m.task == "rte")
        .unwrap();
    assert_eq!(stat.n, 2);
    let seeds: Vec<f64> = report
        .scores
        .iter()
        .filter(|r| r.model == "t5-base-lm-adapt" && r.method == "superpos_prompt_tuning" && !r.dropout && r.task == "rte")
        .map(|r| r.score)
        .collect();
    assert_eq!(seeds.len(), 2);
    let mean = (seeds[0] + seeds[1]) / 2.0;
    let sample_std = ((seeds[0] - mean).powi(2) + (seeds[1] - mean).powi(2)).sqrt();
    assert!((stat.mean - mean).abs() < 1e-9);
    assert!((stat.std.unwrap() - sample_std).abs() < 1e-9);
}

#[test]
fn store_flags_name_each_problem() {
    let report = store_report();
    let labels = |kind: FlagKind| report.flags.iter().filter(|f| f.kind == kind).map(|f| f.label()).collect::<Vec<_>>();
    assert_eq!(labels(FlagKind::NeverValid), vec!["t5-small-lm-adapt/prompt_tuning/mrpc/seed1/dropout-on"]);
    assert_eq!(labels(FlagKind::Diverged), vec!["t5-small-lm-adapt/superpos_prompt_tuning/rte/seed1/dropout-on"]);
    assert_eq!(labels(FlagKind::Missing), vec!["t5-base-lm-adapt/prompt_tuning/mrpc/seed1/dropout-off"]);
    let collapsed = labels(FlagKind::Collapsed);
    assert!(collapsed.contains(&"t5-small-lm-adapt/prompt_tuning/rte/seed0/dropout-on".to_string()), "{collapsed:?}");
    // The quickstart record 69feb44879850f5f scored 0.55 on validation after both epochs.
    assert!(collapsed.contains(&"all-MiniLM-L6-v2/prompt_tuning/rte/seed1/dropout-on".to_string()), "{collapsed:?}");
    assert!(!collapsed.iter().any(|l| l.starts_with("t5-base")), "{collapsed:?}");
}

#[test]
fn store_never_valid_cell_scores_zero() {
    let report = store_report();
    let rows: Vec<_> = report.scores.iter().filter(|r| r.never_valid).collect();
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| r.score == 0.0 && r.task == "mrpc"));
}

#[test]
fn grid_file_lists_missing_cells() {
    let report = Report::from_path(&crate_path("tests/fixtures/grid-store"), &ReportOptions::default()).unwrap();
    let missing: Vec<_> = report.flags.iter().filter(|f| f.kind == FlagKind::Missing).collect();
    // 3 methods x 3 tasks x 2 seeds x 2 dropout settings = 36 cells; 2 have records.
    let cells: usize = missing.iter().map(|f| f.detail.split(':').next().unwrap().split(", ").count()).sum();
    assert_eq!(cells, 34);
    assert!(missing.iter().all(|f| f.detail.contains("expected by grid `quickstart`")), "{missing:?}");
}

#[test]
fn convergence_epochs_per_cell_and_method() {
    let report = store_report();
    let collapsed = report
        .convergence
        .iter()
        .find(|c| c.row.model == "t5-small-lm-adapt" && c.row.method == "prompt_tuning" && c.row.dropout && c.task == "rte" && c.seed == 0)
        .unwrap();
    // A flat curve reaches its own best at the first evaluation.
    assert_eq!(collapsed.epochs_to_90, Some(1));
    let never_valid = report
        .convergence
        .iter()
        .find(|c| c.row.model == "t5-small-lm-adapt" && c.row.method == "prompt_tuning" && c.row.dropout && c.task == "mrpc" && c.seed == 1)
        .unwrap();
    assert_eq!(never_valid.epochs_to_90, None);
    let stat = report
        .convergence_stats
        .iter()
        .find(|s| s.row.model == "t5-small-lm-adapt" && s.row.method == "prompt_tuning" && s.row.dropout && s.task == "mrpc")
        .unwrap();
    assert_eq!(stat.seeds, 2);
    assert_eq!(stat.reached, 1);
}

#[test]
fn validation_split_reports_validation_scores() {
    let options = ReportOptions { split: Split::Validation, reference: ReferenceSource::None };
    let report = Report::from_path(&crate_path("tests/fixtures/store"), &options).unwrap();
    let row = report.scores.iter().find(|r| r.cell_id.as_deref() == Some("4e57d39a5ac5dbe6")).unwrap();
    // Its selected validation accuracy is 0.65.
    assert!((row.score - 65.0).abs() < 1e-9, "{}", row.score);
    assert!(report.comparison.is_none());
}

#[test]
fn store_markdown_matches_snapshot() {
    check_snapshot("store.md", &store_report().render(OutputFormat::Markdown).unwrap());
}

#[test]
fn store_latex_matches_snapshot() {
    check_snapshot("store.tex", &store_report().render(OutputFormat::Latex).unwrap());
}

#[test]
fn leaderboard_rows_carry_provenance() {
    let report = store_report();
    let csv = report.render(OutputFormat::Csv).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next().unwrap(), superpos_reports::leaderboard::HEADER.join(","));
    let t5 = report.leaderboard.iter().find(|r| r.model == "t5-base-lm-adapt" && r.task == "mrpc" && r.metric == "f1").unwrap();
    assert_eq!(t5.code_revisions, vec!["0123456789abcdef0123456789abcdef01234567"]);
    assert_eq!(t5.data_sha256.len(), 3);
    assert_eq!(t5.weights_sha256.len(), 1);
    assert_eq!(csv.lines().count(), report.leaderboard.len() + 1);
}

#[test]
fn written_report_has_one_file_per_table() {
    let dir = tempfile::tempdir().unwrap();
    let report = store_report();
    let written = report.write(dir.path(), OutputFormat::Latex, false).unwrap();
    let names: Vec<String> = written.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    for expected in ["table1-t5.tex", "table1-bert.tex", "table2-t5.tex", "detail-t5-mrpc.tex", "flags.tex", "report.tex", "leaderboard.csv", "scores.csv"] {
        assert!(names.iter().any(|n| n == expected), "{expected} missing from {names:?}");
    }
    let json_dir = tempfile::tempdir().unwrap();
    report.write(json_dir.path(), OutputFormat::Json, false).unwrap();
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(json_dir.path().join("report.json")).unwrap()).unwrap();
    assert_eq!(json["records"], 39);
}

#[test]
fn curve_plot_png_has_size_and_ink() {
    let report = store_report();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("curves.png");
    plot::plot_curves(&report.curves, "t5", "t5-small-lm-adapt", &path).unwrap();
    let image = image::open(&path).unwrap().to_rgb8();
    // 2 tasks (RTE and MRPC): 2 panels wide, 2 panels high, plus the title.
    assert_eq!((image.width(), image.height()), plot::figure_size(2));
    assert_eq!(image.dimensions(), (1040, 684));
    let white = image.pixels().filter(|p| p.0 == [255, 255, 255]).count();
    let total = (image.width() * image.height()) as usize;
    // Lines, bands, axes and text cover a real part of the figure, but not all of it.
    assert!(white < total * 97 / 100, "only {} of {total} pixels are not white", total - white);
    assert!(white > total / 2, "{white} of {total} pixels are white");
    let distinct: std::collections::BTreeSet<[u8; 3]> = image.pixels().map(|p| p.0).collect();
    assert!(distinct.len() > 20, "only {} colours", distinct.len());
}

#[test]
fn curve_plots_write_svg_and_png_per_backbone() {
    let report = store_report();
    let dir = tempfile::tempdir().unwrap();
    let written = plot::write_curve_plots(&report.curves, dir.path()).unwrap();
    let names: Vec<String> = written.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(
        names,
        vec![
            "curves-bert-all-MiniLM-L6-v2.svg",
            "curves-bert-all-MiniLM-L6-v2.png",
            "curves-t5-t5-small-lm-adapt.svg",
            "curves-t5-t5-small-lm-adapt.png",
            "curves-t5-t5-base-lm-adapt.svg",
            "curves-t5-t5-base-lm-adapt.png",
        ]
    );
    let svg = std::fs::read_to_string(&written[2]).unwrap();
    assert!(svg.contains("SuperPos PT"), "the legend names the methods");
    assert!(svg.contains("dropout off"));
}
