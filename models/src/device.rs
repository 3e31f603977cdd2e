//! Choosing where a model runs: `cpu`, or `cuda` / `cuda:N` for an NVIDIA GPU through candle's
//! CUDA backend, which exists only in binaries built with the `cuda` feature.

use std::fmt;
use std::str::FromStr;

use candle_core::Device;

use crate::error::{ModelError, Result};

/// A device named on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeviceSpec {
    #[default]
    Cpu,
    /// The GPU with this ordinal, as `nvidia-smi` numbers them.
    Cuda(usize),
}

impl FromStr for DeviceSpec {
    type Err = String;

    fn from_str(text: &str) -> std::result::Result<Self, Self::Err> {
        match text {
            "cpu" => Ok(DeviceSpec::Cpu),
            "cuda" => Ok(DeviceSpec::Cuda(0)),
            _ => text
                .strip_prefix("cuda:")
                .and_then(|ordinal| ordinal.parse().ok())
                .map(DeviceSpec::Cuda)
                .ok_or_else(|| format!("invalid device {text:?}; expected cpu, cuda or cuda:N (N a GPU ordinal such as 0)")),
        }
    }
}

impl fmt::Display for DeviceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceSpec::Cpu => f.write_str("cpu"),
            DeviceSpec::Cuda(ordinal) => write!(f, "cuda:{ordinal}"),
        }
    }
}

impl DeviceSpec {
    /// Opens the device. CUDA fails with a message naming the fix when this binary was built
    /// without the `cuda` feature or when the GPU cannot be opened.
    pub fn open(self) -> Result<Device> {
        match self {
            DeviceSpec::Cpu => Ok(Device::Cpu),
            DeviceSpec::Cuda(ordinal) => open_cuda(ordinal),
        }
    }
}

#[cfg(feature = "cuda")]
fn open_cuda(ordinal: usize) -> Result<Device> {
    Device::new_cuda(ordinal).map_err(|e| ModelError::Device {
        device: format!("cuda:{ordinal}"),
        message: format!("{e}; check `nvidia-smi` for the GPUs present and that the driver supports CUDA 13"),
    })
}

#[cfg(not(feature = "cuda"))]
fn open_cuda(ordinal: usize) -> Result<Device> {
    Err(ModelError::Device {
        device: format!("cuda:{ordinal}"),
        message: "this binary was built without CUDA; build one with scripts/build-cuda.sh".to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cpu_and_cuda_ordinals() {
        assert_eq!("cpu".parse(), Ok(DeviceSpec::Cpu));
        assert_eq!("cuda".parse(), Ok(DeviceSpec::Cuda(0)));
        assert_eq!("cuda:3".parse(), Ok(DeviceSpec::Cuda(3)));
        assert_eq!(DeviceSpec::Cuda(3).to_string(), "cuda:3");
    }

    #[test]
    fn rejects_unknown_device_names() {
        let err = "gpu".parse::<DeviceSpec>().unwrap_err();
        assert_eq!(err, "invalid device \"gpu\"; expected cpu, cuda or cuda:N (N a GPU ordinal such as 0)");
        assert!("cuda:x".parse::<DeviceSpec>().is_err());
    }

    #[cfg(not(feature = "cuda"))]
    #[test]
    fn cuda_without_feature_names_build_script() {
        let err = DeviceSpec::Cuda(0).open().unwrap_err();
        assert_eq!(err.to_string(), "cannot use device cuda:0: this binary was built without CUDA; build one with scripts/build-cuda.sh");
    }
}
