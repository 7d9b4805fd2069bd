//! Which compute device trains the network: Burn's wgpu backend or Burn's
//! pure-Rust CPU backend (flex), with the reason shown.
//!
//! For a training job `Auto` is decided by measurement: the job is timed on
//! both backends ([`super::probe`]) by `tune::device_choice`, which all
//! training goes through and which caches the answer. [`select_device`]
//! alone, for work with nothing to time (scoring a file, serving), keeps
//! the rule by adapter kind: wgpu on a real GPU, flex otherwise.
//!
//! Always through `Device::wgpu_options().init_with_setup()`: a lazily built
//! `Device::wgpu(..)` panics on first use when no adapter exists, and
//! `Device::default()` never falls back. `init_with_setup` also hands back
//! the wgpu adapter, whose info says whether it is a real GPU or a software
//! rasterizer such as Mesa's llvmpipe (`DeviceType::Cpu`), which is far
//! slower than flex for these small networks.
//!
//! Environment variable `PURCHASE_LAB_REQUIRE_WGPU=1` (CI sets it) turns a
//! missing wgpu adapter into an error instead of a fallback, so CI cannot
//! pass while silently skipping the wgpu path. It does not change `Auto`'s
//! choice when an adapter exists (a software adapter still loses to flex),
//! and `Cpu` is unaffected. The adapter itself can be steered with cubecl's
//! `CUBECL_WGPU_DEFAULT_DEVICE` (e.g. `Cpu`, `DiscreteGpu(0)`).
//!
//! A build without the `gpu` feature has no wgpu: the probe always answers
//! "no adapter" (saying why), so `Auto` takes flex and `Gpu` is an error.

use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use burn::tensor::Device;
#[cfg(feature = "gpu")]
use burn::tensor::wgpu::wgpu;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Environment variable that makes a missing wgpu adapter an error.
pub const REQUIRE_WGPU_ENV: &str = "PURCHASE_LAB_REQUIRE_WGPU";

/// What the user asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendChoice {
    /// For a training job, the backend that trained the job's first steps
    /// faster (`tune::device_choice`); with nothing to time, wgpu on a real
    /// GPU, else flex.
    #[default]
    Auto,
    /// wgpu whatever its adapter (even a software one); an error if none.
    Gpu,
    /// flex, Burn's CPU backend.
    Cpu,
}

impl BackendChoice {
    pub const ALL: [BackendChoice; 3] =
        [BackendChoice::Auto, BackendChoice::Gpu, BackendChoice::Cpu];

    pub fn as_str(self) -> &'static str {
        match self {
            BackendChoice::Auto => "auto",
            BackendChoice::Gpu => "gpu",
            BackendChoice::Cpu => "cpu",
        }
    }
}

impl fmt::Display for BackendChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for BackendChoice {
    type Err = DeviceError;

    /// Case-insensitive; `wgpu` and `flex` are accepted as aliases.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(BackendChoice::Auto),
            "gpu" | "wgpu" => Ok(BackendChoice::Gpu),
            "cpu" | "flex" => Ok(BackendChoice::Cpu),
            _ => Err(DeviceError::UnknownChoice(s.to_string())),
        }
    }
}

/// Which backend a [`SelectedDevice`] runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ComputeKind {
    /// Burn's wgpu backend (normally a GPU; a software adapter only when forced).
    Gpu,
    /// Burn's flex CPU backend.
    Cpu,
}

/// The device training will use, and how to describe it to the user.
#[derive(Debug, Clone)]
pub struct SelectedDevice {
    pub device: Device,
    pub kind: ComputeKind,
    /// E.g. `GPU: NVIDIA H100 (Vulkan)` or `CPU (flex): no GPU adapter: …`.
    pub description: String,
    /// Why `Auto` did not use the GPU; `None` when it did or was not asked.
    pub fallback_reason: Option<String>,
}

/// No usable device for the choice.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DeviceError {
    #[error("unknown backend {0:?}; use auto, gpu or cpu")]
    UnknownChoice(String),
    #[error("no wgpu adapter is available ({reason}); use the CPU backend instead")]
    NoWgpu { reason: String },
    #[error("{REQUIRE_WGPU_ENV} is set but no wgpu adapter is available: {reason}")]
    WgpuRequired { reason: String },
}

/// What the wgpu probe found, as plain values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdapterSummary {
    pub name: String,
    /// Graphics API, e.g. `Vulkan`, `Metal`.
    pub api: String,
    /// A software rasterizer (`wgpu::DeviceType::Cpu`), e.g. llvmpipe.
    pub software: bool,
    /// The driver and its version as wgpu reports them (may be empty): a
    /// driver update can change which backend is faster.
    pub driver: String,
}

/// The wgpu device and what its adapter is, when one exists: probed once
/// per process, as [`select_device`] does. For the speed probe
/// ([`super::probe`]), which times the job on it before choosing.
pub fn wgpu_adapter() -> Result<(Device, AdapterSummary), String> {
    match wgpu_probe() {
        Ok(probe) => Ok((probe.device.clone(), probe.adapter.clone())),
        Err(reason) => Err(reason.clone()),
    }
}

impl SelectedDevice {
    /// The device `Auto` chose by timing the job ([`super::probe`]) on
    /// `kind`, with why: `reason` is shown after the device's name and,
    /// on the CPU, is also the [`fallback_reason`](Self::fallback_reason).
    pub fn measured(
        kind: ComputeKind,
        gpu: (Device, &AdapterSummary),
        reason: String,
    ) -> SelectedDevice {
        match kind {
            ComputeKind::Cpu => flex(Some(reason)),
            ComputeKind::Gpu => SelectedDevice {
                description: format!("{}: {reason}", describe_adapter(gpu.1)),
                device: gpu.0,
                kind,
                fallback_reason: None,
            },
        }
    }
}

struct WgpuProbe {
    #[cfg_attr(not(feature = "gpu"), allow(dead_code))]
    device: Device,
    adapter: AdapterSummary,
}

/// Pick the device for `choice`.
///
/// wgpu is initialized at most once per process and the result cached: Burn
/// refuses to initialize the same runtime twice, and probing adapters costs
/// time. Later calls reuse the first answer.
pub fn select_device(choice: BackendChoice) -> Result<SelectedDevice, DeviceError> {
    let require_wgpu = std::env::var(REQUIRE_WGPU_ENV)
        .map(|v| matches!(v.trim(), "1" | "true" | "yes"))
        .unwrap_or(false);
    if choice == BackendChoice::Cpu {
        return Ok(flex(None));
    }
    let probe = wgpu_probe();
    let summary = probe.as_ref().map(|p| &p.adapter).map_err(String::as_str);
    match decide(choice, summary, require_wgpu)? {
        Decision::Wgpu => match probe {
            Ok(probe) => Ok(SelectedDevice {
                device: probe.device.clone(),
                kind: ComputeKind::Gpu,
                description: describe_adapter(&probe.adapter),
                fallback_reason: None,
            }),
            // `decide` only chooses wgpu when the probe succeeded.
            Err(reason) => Err(DeviceError::NoWgpu {
                reason: reason.clone(),
            }),
        },
        Decision::Flex(reason) => Ok(flex(reason)),
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Decision {
    Wgpu,
    Flex(Option<String>),
}

/// The policy, apart from the hardware so it can be tested anywhere.
fn decide(
    choice: BackendChoice,
    probe: Result<&AdapterSummary, &str>,
    require_wgpu: bool,
) -> Result<Decision, DeviceError> {
    match (choice, probe) {
        (BackendChoice::Cpu, _) => Ok(Decision::Flex(None)),
        (_, Err(reason)) if require_wgpu => Err(DeviceError::WgpuRequired {
            reason: reason.to_string(),
        }),
        (BackendChoice::Gpu, Err(reason)) => Err(DeviceError::NoWgpu {
            reason: reason.to_string(),
        }),
        (BackendChoice::Auto, Err(reason)) => {
            Ok(Decision::Flex(Some(format!("no GPU adapter: {reason}"))))
        }
        (BackendChoice::Gpu, Ok(_)) => Ok(Decision::Wgpu),
        (BackendChoice::Auto, Ok(adapter)) if adapter.software => {
            Ok(Decision::Flex(Some(format!(
                "only a software GPU adapter ({}), slower than the CPU backend",
                adapter.name
            ))))
        }
        (BackendChoice::Auto, Ok(_)) => Ok(Decision::Wgpu),
    }
}

fn flex(reason: Option<String>) -> SelectedDevice {
    let description = match &reason {
        Some(reason) => format!("CPU (flex): {reason}"),
        None => "CPU (flex)".to_string(),
    };
    SelectedDevice {
        device: Device::flex(),
        kind: ComputeKind::Cpu,
        description,
        fallback_reason: reason,
    }
}

fn describe_adapter(adapter: &AdapterSummary) -> String {
    if adapter.software {
        format!("GPU: {} ({}, software adapter)", adapter.name, adapter.api)
    } else {
        format!("GPU: {} ({})", adapter.name, adapter.api)
    }
}

#[cfg(not(feature = "gpu"))]
fn wgpu_probe() -> &'static Result<WgpuProbe, String> {
    static PROBE: OnceLock<Result<WgpuProbe, String>> = OnceLock::new();
    PROBE.get_or_init(|| {
        Err("this build has no GPU support (built without the `gpu` feature)".to_string())
    })
}

#[cfg(feature = "gpu")]
fn wgpu_probe() -> &'static Result<WgpuProbe, String> {
    static PROBE: OnceLock<Result<WgpuProbe, String>> = OnceLock::new();
    PROBE.get_or_init(|| {
        // A broken driver can panic inside wgpu; that is a fallback reason,
        // not a crash.
        std::panic::catch_unwind(|| {
            Device::wgpu_options()
                .init_with_setup()
                .map(|(device, setup)| {
                    let info = setup.adapter.get_info();
                    WgpuProbe {
                        device,
                        adapter: AdapterSummary {
                            name: info.name,
                            api: api_name(info.backend).to_string(),
                            software: info.device_type == wgpu::DeviceType::Cpu,
                            driver: format!("{} {}", info.driver, info.driver_info)
                                .trim()
                                .to_string(),
                        },
                    }
                })
                .map_err(|e| e.to_string())
        })
        .unwrap_or_else(|_| Err("the wgpu driver panicked during initialization".to_string()))
    })
}

#[cfg(feature = "gpu")]
fn api_name(backend: wgpu::Backend) -> &'static str {
    match backend {
        wgpu::Backend::Vulkan => "Vulkan",
        wgpu::Backend::Metal => "Metal",
        wgpu::Backend::Dx12 => "DirectX 12",
        wgpu::Backend::Gl => "OpenGL",
        wgpu::Backend::BrowserWebGpu => "WebGPU",
        _ => "other API",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn adapter(software: bool) -> AdapterSummary {
        AdapterSummary {
            name: if software { "llvmpipe" } else { "NVIDIA H100" }.to_string(),
            api: "Vulkan".to_string(),
            software,
            driver: String::new(),
        }
    }

    #[test]
    fn parse_and_display_round_trip() {
        for choice in BackendChoice::ALL {
            assert_eq!(choice.to_string().parse::<BackendChoice>(), Ok(choice));
        }
        assert_eq!("WGPU".parse::<BackendChoice>(), Ok(BackendChoice::Gpu));
        assert_eq!(" flex ".parse::<BackendChoice>(), Ok(BackendChoice::Cpu));
        let err = "tpu".parse::<BackendChoice>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown backend \"tpu\"; use auto, gpu or cpu"
        );
        assert_eq!(
            serde_json::to_string(&BackendChoice::Gpu).unwrap(),
            "\"gpu\""
        );
    }

    #[test]
    fn auto_uses_a_real_gpu() {
        let gpu = adapter(false);
        assert_eq!(
            decide(BackendChoice::Auto, Ok(&gpu), false),
            Ok(Decision::Wgpu)
        );
        assert_eq!(
            decide(BackendChoice::Gpu, Ok(&gpu), false),
            Ok(Decision::Wgpu)
        );
        assert_eq!(describe_adapter(&gpu), "GPU: NVIDIA H100 (Vulkan)");
    }

    #[test]
    fn auto_skips_a_software_adapter_even_when_wgpu_is_required() {
        let soft = adapter(true);
        for required in [false, true] {
            match decide(BackendChoice::Auto, Ok(&soft), required) {
                Ok(Decision::Flex(Some(reason))) => {
                    assert!(reason.contains("llvmpipe"), "{reason}")
                }
                other => panic!("expected flex, got {other:?}"),
            }
        }
        assert_eq!(
            decide(BackendChoice::Gpu, Ok(&soft), false),
            Ok(Decision::Wgpu)
        );
    }

    #[test]
    fn missing_adapter() {
        let reason = "No adapter available";
        match decide(BackendChoice::Auto, Err(reason), false) {
            Ok(Decision::Flex(Some(r))) => assert_eq!(r, "no GPU adapter: No adapter available"),
            other => panic!("expected flex, got {other:?}"),
        }
        assert!(matches!(
            decide(BackendChoice::Gpu, Err(reason), false),
            Err(DeviceError::NoWgpu { .. })
        ));
        assert!(matches!(
            decide(BackendChoice::Auto, Err(reason), true),
            Err(DeviceError::WgpuRequired { .. })
        ));
        assert_eq!(
            decide(BackendChoice::Cpu, Err(reason), true),
            Ok(Decision::Flex(None))
        );
    }

    #[test]
    fn cpu_choice_is_flex() {
        let selected = select_device(BackendChoice::Cpu).unwrap();
        assert_eq!(selected.kind, ComputeKind::Cpu);
        assert_eq!(selected.description, "CPU (flex)");
        assert_eq!(selected.fallback_reason, None);
        assert_eq!(selected.device, Device::flex());
    }

    #[test]
    fn fallback_description_names_the_reason() {
        let selected = flex(Some("no GPU adapter: none found".into()));
        assert_eq!(
            selected.description,
            "CPU (flex): no GPU adapter: none found"
        );
    }
}
