//! The axes of a grid file (`grid.yaml`, which `superpos run` copies into its results
//! directory), read only to list the cells a results store should contain.
//!
//! Only backbones, methods, tasks, seeds and dropout settings matter here. Every other key of the
//! grid is ignored, so a grid from a newer harness still reads.

use std::path::Path;

use serde::Deserialize;

use crate::error::{ReportError, Result};
use crate::names;

#[derive(Debug, Clone, Deserialize)]
struct GridFile {
    #[serde(default)]
    name: String,
    backbones: Vec<GridBackbone>,
    methods: Vec<GridMethod>,
    tasks: Vec<String>,
    seeds: Vec<u64>,
    /// Absent means both settings, the harness's default.
    #[serde(default)]
    dropout: Option<Vec<bool>>,
}

#[derive(Debug, Clone, Deserialize)]
struct GridBackbone {
    name: String,
    family: String,
}

#[derive(Debug, Clone, Deserialize)]
struct GridMethod {
    #[serde(rename = "type")]
    kind: String,
}

/// The cross product a grid expands to.
#[derive(Debug, Clone, PartialEq)]
pub struct GridAxes {
    pub name: String,
    /// Backbone names with their families.
    pub backbones: Vec<(String, String)>,
    /// Method `type` tags, each once even when the grid lists a method twice with different
    /// hyperparameters.
    pub methods: Vec<String>,
    pub tasks: Vec<String>,
    pub seeds: Vec<u64>,
    pub dropout: Vec<bool>,
}

impl GridAxes {
    /// Reads the axes of a grid file.
    pub fn from_file(path: &Path) -> Result<GridAxes> {
        let text = std::fs::read_to_string(path).map_err(|source| ReportError::Read { path: path.to_path_buf(), source })?;
        let grid: GridFile = serde_saphyr::from_str(&text).map_err(|err| ReportError::Grid { path: path.to_path_buf(), message: err.to_string() })?;
        let mut methods: Vec<String> = Vec::new();
        for method in grid.methods {
            if !methods.contains(&method.kind) {
                methods.push(method.kind);
            }
        }
        Ok(GridAxes {
            name: grid.name,
            backbones: grid.backbones.into_iter().map(|b| (b.name, b.family)).collect(),
            methods,
            tasks: grid.tasks.iter().map(|t| names::canonical_task(t)).collect(),
            seeds: grid.seeds,
            dropout: grid.dropout.unwrap_or_else(|| vec![true, false]),
        })
    }
}
