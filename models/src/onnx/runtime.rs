//! Finding, checking and loading the ONNX Runtime shared library, and running ONNX files in it.
//!
//! The `ort` crate is built with `load-dynamic`, so nothing links against ONNX Runtime at build
//! time. The library is opened once per process from `ORT_DYLIB_PATH` or, by default, from
//! `models-cache/onnxruntime/libonnxruntime.so` in the working directory or the nearest folder
//! above it that has one. The tests run in a crate folder and so find the workspace's copy.
//! `scripts/fetch-onnxruntime.sh` puts the library there from the PyPI `onnxruntime` wheel.
//!
//! The version is read and checked here, before `ort` loads the library. A missing or too old
//! library is then an [`OnnxError`] with the steps to get the right one, rather than a panic.

use std::ffi::CStr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use ort::session::builder::GraphOptimizationLevel;
use ort::session::Session;
use ort::value::{DynValue, Tensor as OrtTensor, TensorElementType};
use serde::{Deserialize, Serialize};

use super::error::{OnnxError, Result};

/// The environment variable that names the library explicitly.
pub const LIBRARY_ENV: &str = "ORT_DYLIB_PATH";
/// The library path that `scripts/fetch-onnxruntime.sh` writes, relative to the repository root.
pub const DEFAULT_LIBRARY: &str = "models-cache/onnxruntime/libonnxruntime.so";
/// The oldest ONNX Runtime minor version (1.x) whose C API the `ort` crate can use.
pub const MINIMUM_MINOR: u32 = ort::MINOR_VERSION;

/// The ONNX Runtime library a cross-check ran in, recorded in every report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuntimeInfo {
    /// The library file as opened (the path given, not a resolved symbolic link).
    pub library: PathBuf,
    /// The library's own version string, for example `1.31.1`.
    pub version: String,
}

/// A loaded ONNX Runtime: its environment, shared by every session of the process.
pub struct Runtime {
    environment: ort::environment::Environment,
    pub info: RuntimeInfo,
}

/// Returns the library path: `ORT_DYLIB_PATH` when set, else the first
/// `models-cache/onnxruntime/libonnxruntime.so` found from the working directory upwards. When
/// neither exists, the error lists the places searched.
pub fn library_path() -> Result<PathBuf> {
    let missing = |searched: String| OnnxError::RuntimeMissing { searched, minimum_minor: MINIMUM_MINOR };
    if let Some(path) = std::env::var_os(LIBRARY_ENV).filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        if !path.exists() {
            return Err(missing(format!("{LIBRARY_ENV} names {}, which does not exist", path.display())));
        }
        return Ok(path);
    }
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    cwd.ancestors()
        .map(|dir| dir.join(DEFAULT_LIBRARY))
        .find(|p| p.exists())
        .ok_or_else(|| missing(format!("{LIBRARY_ENV} is not set and there is no {DEFAULT_LIBRARY} in {} or a folder above it", cwd.display())))
}

/// The process-wide runtime. `ort` keeps the first library it opens for the life of the
/// process, so the runtime is loaded once and shared. A failed load is retried on the next call.
static RUNTIME: Mutex<Option<Arc<Runtime>>> = Mutex::new(None);

/// Loads ONNX Runtime from [`library_path`] (once per process) and returns it.
pub fn runtime() -> Result<Arc<Runtime>> {
    let mut slot = RUNTIME.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(runtime) = slot.as_ref() {
        return Ok(runtime.clone());
    }
    let runtime = Arc::new(load(&library_path()?)?);
    *slot = Some(runtime.clone());
    Ok(runtime)
}

fn load(path: &Path) -> Result<Runtime> {
    let _span = tracing::info_span!("load_onnxruntime", library = %path.display()).entered();
    let version = library_version(path)?;
    let minor = parse_minor(&version);
    if minor.is_none_or(|minor| minor < MINIMUM_MINOR) {
        return Err(OnnxError::RuntimeIncompatible { path: path.to_path_buf(), version, minimum_minor: MINIMUM_MINOR });
    }
    let load_error = |message: String| OnnxError::RuntimeLoad { path: path.to_path_buf(), message };
    let environment = ort::init_from(path)
        .map_err(|e| load_error(e.to_string()))?
        .with_name("superpos")
        .build()
        .map_err(|e| load_error(e.to_string()))?;
    tracing::info!(version, "ONNX Runtime loaded");
    Ok(Runtime { environment, info: RuntimeInfo { library: path.to_path_buf(), version } })
}

/// Reads the version string through the library's own `OrtGetApiBase`, without `ort`.
fn library_version(path: &Path) -> Result<String> {
    let load_error = |message: String| OnnxError::RuntimeLoad { path: path.to_path_buf(), message };
    // SAFETY: opening a shared library runs its initialisers. This is the file that the user or
    // the fetch script named as ONNX Runtime, and `ort` opens it next in any case.
    let library = unsafe { libloading::Library::new(path) }.map_err(|e| load_error(e.to_string()))?;
    // SAFETY: onnxruntime_c_api.h declares `const OrtApiBase* OrtGetApiBase(void)`, the
    // declaration ort-sys binds too. A library without the symbol is reported, not called.
    let get_base = unsafe { library.get::<unsafe extern "C" fn() -> *const ort::sys::OrtApiBase>(b"OrtGetApiBase") }
        .map_err(|_| load_error("the file does not export OrtGetApiBase, so it is not ONNX Runtime".to_string()))?;
    // SAFETY: the function takes no arguments and returns a pointer to a static table.
    let base = unsafe { get_base() };
    if base.is_null() {
        return Err(load_error("OrtGetApiBase returned null".to_string()));
    }
    // SAFETY: `base` points to the library's static `OrtApiBase`; `GetVersionString` returns a
    // static NUL-terminated string that the caller must not free.
    let version = unsafe { CStr::from_ptr(((*base).GetVersionString)()) };
    // The handle is left open because `ort` opens the same file next and keeps it loaded for the
    // life of the process.
    std::mem::forget(library);
    Ok(version.to_string_lossy().into_owned())
}

/// Returns the minor version of a `1.x.y` version string, or `None` for another major version.
fn parse_minor(version: &str) -> Option<u32> {
    let mut parts = version.split('.');
    match (parts.next(), parts.next()) {
        (Some("1"), Some(minor)) => minor.parse().ok(),
        _ => None,
    }
}

/// One ONNX file opened in ONNX Runtime.
pub struct OnnxSession {
    pub path: PathBuf,
    session: Session,
}

impl OnnxSession {
    /// Opens `path`. Graph optimisation stays at the basic level (constant folding and removal
    /// of redundant nodes), so ONNX Runtime runs the operators the file contains rather than
    /// fused replacements with their own rounding.
    pub fn open(runtime: &Runtime, path: &Path) -> Result<Self> {
        let _span = tracing::debug_span!("onnx_session", path = %path.display()).entered();
        let session_error = |message: String| OnnxError::Session { path: path.to_path_buf(), message };
        let session = Session::builder(&runtime.environment)
            .map_err(|e| session_error(e.to_string()))?
            .with_optimization_level(GraphOptimizationLevel::Level1)
            .map_err(|e| session_error(e.to_string()))?
            .commit_from_file(path)
            .map_err(|e| session_error(e.to_string()))?;
        Ok(Self { path: path.to_path_buf(), session })
    }

    /// Returns the names of the graph's inputs, in order.
    pub fn input_names(&self) -> Vec<String> {
        self.session.inputs().iter().map(|i| i.name().to_string()).collect()
    }

    /// Returns the names of the graph's outputs, in order.
    pub fn output_names(&self) -> Vec<String> {
        self.session.outputs().iter().map(|o| o.name().to_string()).collect()
    }

    fn interface_error(&self, message: String) -> OnnxError {
        OnnxError::Interface { path: self.path.clone(), message }
    }

    /// Checks that the graph has exactly the inputs `expected` and an output `output`; other
    /// outputs (an Optimum decoder's `present.*` key-value caches) are allowed and ignored.
    pub fn expect_interface(&self, expected: &[&str], output: &str) -> Result<()> {
        let mut inputs = self.input_names();
        inputs.sort();
        let mut wanted: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
        wanted.sort();
        if inputs != wanted {
            return Err(self.interface_error(format!(
                "inputs are {inputs:?}, expected {wanted:?} (Optimum's layout without past key values)"
            )));
        }
        if !self.output_names().iter().any(|o| o == output) {
            return Err(self.interface_error(format!("no output {output:?}; outputs are {:?}", self.output_names())));
        }
        Ok(())
    }

    /// Builds an integer input as the element type the graph declares (int64 in Optimum's
    /// exports and in ours; int32 is accepted too).
    pub fn int_input(&self, name: &str, shape: &[usize], values: &[i64]) -> Result<DynValue> {
        let declared = self.session.inputs().iter().find(|i| i.name() == name).and_then(|i| i.dtype().tensor_type());
        let shape: Vec<i64> = shape.iter().map(|&d| d as i64).collect();
        let value = match declared {
            Some(TensorElementType::Int64) => OrtTensor::from_array((shape, values.to_vec())).map(|t| t.into_dyn()),
            Some(TensorElementType::Int32) => {
                let narrowed: Vec<i32> = values.iter().map(|&v| v as i32).collect();
                OrtTensor::from_array((shape, narrowed)).map(|t| t.into_dyn())
            }
            other => return Err(self.interface_error(format!("input {name:?} has element type {other:?}, expected int64 or int32"))),
        };
        value.map_err(|e| OnnxError::InvalidInput(format!("input {name}: {e}")))
    }

    /// Builds a float32 input.
    pub fn float_input(&self, name: &str, shape: &[usize], values: Vec<f32>) -> Result<DynValue> {
        let shape: Vec<i64> = shape.iter().map(|&d| d as i64).collect();
        OrtTensor::from_array((shape, values)).map(|t| t.into_dyn()).map_err(|e| OnnxError::InvalidInput(format!("input {name}: {e}")))
    }

    /// Runs the graph on named inputs and returns `output` as a shape and float32 values.
    pub fn run(&mut self, inputs: Vec<(String, DynValue)>, output: &str) -> Result<(Vec<usize>, Vec<f32>)> {
        let _span = tracing::debug_span!("onnx_run", path = %self.path.display(), output).entered();
        let run_error = |message: String| OnnxError::Run { path: self.path.clone(), output: output.to_string(), message };
        let outputs = self.session.run(inputs).map_err(|e| run_error(e.to_string()))?;
        let value = outputs.get(output).ok_or_else(|| run_error("the output is missing from the results".to_string()))?;
        let (shape, data) = value.try_extract_tensor::<f32>().map_err(|e| run_error(e.to_string()))?;
        let shape = shape.iter().map(|&d| d as usize).collect();
        Ok((shape, data.to_vec()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minor_version_is_parsed() {
        assert_eq!(parse_minor("1.31.1"), Some(31));
        assert_eq!(parse_minor("1.9.0"), Some(9));
        assert_eq!(parse_minor("2.0.0"), None);
        assert_eq!(parse_minor("garbage"), None);
    }
}
