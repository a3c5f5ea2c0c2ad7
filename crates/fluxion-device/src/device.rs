//! The device enum and its parsing.

use std::fmt;
use std::str::FromStr;

use crate::{Error, Result};

/// Where a tensor lives: the CPU or one CUDA GPU.
///
/// Parsed from `cpu`, `cuda` (ordinal 0) or `cuda:N`; the parsed value is a [`DeviceLocation`],
/// turned into a live [`Device`] by [`Device::new`], which opens the GPU and fails cleanly when
/// there is none.
#[derive(Debug, Clone)]
pub enum Device {
    /// The host CPU (ndarray, rayon, rustfft).
    Cpu,
    /// A CUDA GPU with its context and stream.
    #[cfg(feature = "cuda")]
    Cuda(crate::CudaDevice),
}

/// A device named but not yet opened: what the command line and configs hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeviceLocation {
    /// The CPU.
    Cpu,
    /// CUDA device with this ordinal.
    Cuda(usize),
}

impl Device {
    /// Opens the device at `location`.
    ///
    /// # Errors
    /// As [`Device::cuda`] for CUDA locations.
    pub fn new(location: DeviceLocation) -> Result<Self> {
        match location {
            DeviceLocation::Cpu => Ok(Device::Cpu),
            DeviceLocation::Cuda(n) => Device::cuda(n),
        }
    }

    /// Opens CUDA device `ordinal`.
    ///
    /// # Errors
    /// [`Error::CudaNotCompiled`] without the `cuda` feature, [`Error::CudaDriverMissing`] when
    /// libcuda cannot be loaded, [`Error::CudaDeviceOutOfRange`] when `ordinal` is not below the
    /// device count, and [`Error::CudaDriver`] for driver failures.
    pub fn cuda(ordinal: usize) -> Result<Self> {
        #[cfg(feature = "cuda")]
        {
            crate::CudaDevice::new(ordinal).map(Device::Cuda)
        }
        #[cfg(not(feature = "cuda"))]
        {
            let _ = ordinal;
            Err(Error::CudaNotCompiled)
        }
    }

    /// The best device available: CUDA 0 when a GPU answers, otherwise the CPU.
    pub fn cuda_if_available() -> Self {
        Device::cuda(0).unwrap_or(Device::Cpu)
    }

    /// Where this device is.
    pub fn location(&self) -> DeviceLocation {
        match self {
            Device::Cpu => DeviceLocation::Cpu,
            #[cfg(feature = "cuda")]
            Device::Cuda(d) => DeviceLocation::Cuda(d.ordinal()),
        }
    }

    /// Whether this is the CPU.
    pub fn is_cpu(&self) -> bool {
        matches!(self, Device::Cpu)
    }

    /// Whether this is a CUDA device.
    pub fn is_cuda(&self) -> bool {
        !self.is_cpu()
    }

    /// Whether two handles name the same physical device.
    pub fn same_device(&self, other: &Device) -> bool {
        self.location() == other.location()
    }
}

impl PartialEq for Device {
    fn eq(&self, other: &Self) -> bool {
        self.same_device(other)
    }
}

impl Eq for Device {}

impl fmt::Display for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.location().fmt(f)
    }
}

impl fmt::Display for DeviceLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceLocation::Cpu => f.write_str("cpu"),
            DeviceLocation::Cuda(n) => write!(f, "cuda:{n}"),
        }
    }
}

impl FromStr for DeviceLocation {
    type Err = Error;

    /// Parses `cpu`, `cuda` or `cuda:N` (case-insensitive, surrounding spaces ignored).
    fn from_str(s: &str) -> Result<Self> {
        let t = s.trim().to_ascii_lowercase();
        let err = || Error::ParseDevice {
            input: s.to_string(),
        };
        match t.as_str() {
            "cpu" => Ok(DeviceLocation::Cpu),
            "cuda" | "gpu" => Ok(DeviceLocation::Cuda(0)),
            _ => {
                let n = t.strip_prefix("cuda:").ok_or_else(err)?;
                n.parse::<usize>()
                    .map(DeviceLocation::Cuda)
                    .map_err(|_| err())
            }
        }
    }
}

impl FromStr for Device {
    type Err = Error;

    /// Parses like [`DeviceLocation`] and opens the device.
    fn from_str(s: &str) -> Result<Self> {
        Device::new(s.parse()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_locations() {
        assert_eq!(
            "cpu".parse::<DeviceLocation>().unwrap(),
            DeviceLocation::Cpu
        );
        assert_eq!(
            " CUDA ".parse::<DeviceLocation>().unwrap(),
            DeviceLocation::Cuda(0)
        );
        assert_eq!(
            "cuda:3".parse::<DeviceLocation>().unwrap(),
            DeviceLocation::Cuda(3)
        );
        for bad in ["", "cuda:", "cuda:-1", "cuda:x", "tpu", "cuda:1:2"] {
            let e = bad.parse::<DeviceLocation>().unwrap_err();
            assert!(e.to_string().contains("cannot parse device"), "{bad}: {e}");
        }
    }

    #[test]
    fn display_round_trips() {
        for loc in [
            DeviceLocation::Cpu,
            DeviceLocation::Cuda(0),
            DeviceLocation::Cuda(7),
        ] {
            assert_eq!(loc.to_string().parse::<DeviceLocation>().unwrap(), loc);
        }
    }

    #[test]
    fn cuda_without_a_gpu_is_an_error_not_a_panic() {
        // On a machine with a GPU this opens it; without one it must be a clear error.
        match Device::cuda(0) {
            Ok(d) => assert!(d.is_cuda()),
            Err(e) => {
                let msg = e.to_string();
                assert!(
                    msg.contains("CUDA") || msg.contains("cuda"),
                    "unexpected error text: {msg}"
                );
            }
        }
        // An absurd ordinal is always an error.
        assert!(Device::cuda(1 << 20).is_err());
    }
}
