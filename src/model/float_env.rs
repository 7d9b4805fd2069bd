//! Subnormal floats flushed to zero while a network trains on the CPU.
//!
//! Why: Adam's moments of a unit whose gradient has become zero (a dead
//! ReLU, a saturated sigmoid) shrink by β₁ = 0.9 every step, and tiny
//! gradients squared land in the second moment: after a few hundred steps
//! these values fall below `f32::MIN_POSITIVE` (1.18e-38) into the subnormal
//! range. Many x86 CPUs take a microcode assist for every operation that
//! reads or produces a subnormal: a plain multiply-add loop ran 62x slower
//! on a Xeon with AVX-512, and training slowed epoch after epoch. TensorFlow
//! and PyTorch (`torch.set_flush_denormal`) answer the same way on the CPU:
//! the flush-to-zero (FTZ) and denormals-are-zero (DAZ) modes of the
//! floating-point unit, which treat those values as 0. The numbers lost are
//! below 1.2e-38, far under anything a weight, a moment or a probability
//! can carry meaningfully in `f32`.
//!
//! The mode is per thread. [`FlushSubnormals`] turns it on for the thread
//! that trains (and puts the previous mode back when dropped), and once per
//! process on every thread of rayon's global pool, where the host kernel's
//! large matrix products (gemm) and Burn's CPU backend spread their work.
//! Those pool threads run only numeric kernels, so the mode stays on there.
//!
//! Rust's documentation warns that the compiler assumes the default
//! floating-point environment; with FTZ/DAZ the only values that can differ
//! from a constant-folded result are subnormals, which is the point.
//! Registers: x86-64 MXCSR bits 15 (FTZ) and 6 (DAZ) (Intel SDM vol. 1,
//! 10.2.3); AArch64 FPCR bit 24 (FZ) (Arm ARM, C5.2.8). Elsewhere this is a
//! no-op and [`FlushSubnormals::is_supported`] says so.

use std::sync::Once;

/// While alive, subnormal `f32`/`f64` results and inputs count as zero on
/// this thread; dropping it restores the thread's previous mode. Also turns
/// the mode on, once per process, for rayon's global pool.
#[derive(Debug)]
#[must_use = "the mode is restored when the guard is dropped"]
pub struct FlushSubnormals {
    previous: Option<Mode>,
}

impl FlushSubnormals {
    /// Turns flush-to-zero on for this thread (and rayon's pool, once).
    pub fn enable() -> Self {
        static POOL: Once = Once::new();
        POOL.call_once(|| {
            rayon::broadcast(|_| {
                if let Some(mode) = arch::read() {
                    arch::write(mode.flushing());
                }
            });
        });
        let previous = arch::read();
        if let Some(mode) = previous {
            arch::write(mode.flushing());
        }
        FlushSubnormals { previous }
    }

    /// Whether this CPU architecture has a flush-to-zero mode we set.
    pub fn is_supported() -> bool {
        arch::read().is_some()
    }
}

impl Drop for FlushSubnormals {
    fn drop(&mut self) {
        if let Some(mode) = self.previous {
            arch::write(mode);
        }
    }
}

/// The floating-point control register's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Mode(u64);

#[cfg(target_arch = "x86_64")]
mod arch {
    use super::Mode;
    use std::arch::asm;

    /// MXCSR flush-to-zero (bit 15) and denormals-are-zero (bit 6).
    const FLUSH_BITS: u64 = (1 << 15) | (1 << 6);

    impl Mode {
        pub(super) fn flushing(self) -> Mode {
            Mode(self.0 | FLUSH_BITS)
        }
    }

    pub(super) fn read() -> Option<Mode> {
        let mut csr: u32 = 0;
        // SAFETY: `stmxcsr` stores the 32-bit MXCSR into the 4 bytes of
        // `csr`, a live local; it touches no other memory or flags.
        #[expect(unsafe_code, reason = "reading MXCSR has no safe API")]
        unsafe {
            asm!("stmxcsr [{}]", in(reg) &raw mut csr, options(nostack, preserves_flags));
        }
        Some(Mode(u64::from(csr)))
    }

    pub(super) fn write(mode: Mode) {
        // A mode always comes from `read`, so it fits; MXCSR's power-on
        // value (all exceptions masked) otherwise.
        let csr = u32::try_from(mode.0).unwrap_or(0x1f80);
        // SAFETY: `ldmxcsr` loads 4 bytes from `csr`, a live local, holding
        // a value read from MXCSR with only the FTZ and DAZ bits changed
        // (both defined on every x86-64 CPU with SSE2), so no reserved bit
        // is set and no exception is unmasked.
        #[expect(unsafe_code, reason = "writing MXCSR has no safe API")]
        unsafe {
            asm!("ldmxcsr [{}]", in(reg) &raw const csr, options(nostack, readonly, preserves_flags));
        }
    }
}

#[cfg(target_arch = "aarch64")]
mod arch {
    use super::Mode;
    use std::arch::asm;

    /// FPCR flush-to-zero (FZ, bit 24).
    const FLUSH_BITS: u64 = 1 << 24;

    impl Mode {
        pub(super) fn flushing(self) -> Mode {
            Mode(self.0 | FLUSH_BITS)
        }
    }

    pub(super) fn read() -> Option<Mode> {
        let fpcr: u64;
        // SAFETY: reading FPCR into a register has no side effect.
        #[expect(unsafe_code, reason = "reading FPCR has no safe API")]
        unsafe {
            asm!("mrs {}, fpcr", out(reg) fpcr, options(nomem, nostack, preserves_flags));
        }
        Some(Mode(fpcr))
    }

    pub(super) fn write(mode: Mode) {
        // SAFETY: the value was read from FPCR with only FZ changed.
        #[expect(unsafe_code, reason = "writing FPCR has no safe API")]
        unsafe {
            asm!("msr fpcr, {}", in(reg) mode.0, options(nomem, nostack, preserves_flags));
        }
    }
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
mod arch {
    use super::Mode;

    impl Mode {
        pub(super) fn flushing(self) -> Mode {
            self
        }
    }

    pub(super) fn read() -> Option<Mode> {
        None
    }

    pub(super) fn write(_: Mode) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hint::black_box;

    /// Half the smallest normal `f32`: a product the CPU computes at run
    /// time (black_box keeps the compiler from folding it).
    fn half_of_smallest_normal() -> f32 {
        black_box(f32::MIN_POSITIVE) * black_box(0.5f32)
    }

    #[test]
    fn results_below_the_normal_range_are_zero_while_the_guard_lives() {
        if !FlushSubnormals::is_supported() {
            return;
        }
        assert!(half_of_smallest_normal().is_subnormal());
        {
            let _flush = FlushSubnormals::enable();
            assert_eq!(half_of_smallest_normal(), 0.0);
            // DAZ (x86): a subnormal input counts as zero too.
            #[cfg(target_arch = "x86_64")]
            assert_eq!(black_box(f32::from_bits(1)) * black_box(1.0f32), 0.0);
        }
        assert!(
            half_of_smallest_normal().is_subnormal(),
            "the thread's previous mode is back after the guard"
        );
    }

    #[test]
    fn guards_nest_and_restore_in_order() {
        if !FlushSubnormals::is_supported() {
            return;
        }
        let outer = FlushSubnormals::enable();
        {
            let _inner = FlushSubnormals::enable();
            assert_eq!(half_of_smallest_normal(), 0.0);
        }
        assert_eq!(half_of_smallest_normal(), 0.0, "outer guard still on");
        drop(outer);
        assert!(half_of_smallest_normal().is_subnormal());
    }

    #[test]
    fn rayon_pool_threads_flush_once_any_guard_was_made() {
        if !FlushSubnormals::is_supported() {
            return;
        }
        drop(FlushSubnormals::enable());
        let flushed = rayon::broadcast(|_| half_of_smallest_normal() == 0.0);
        assert!(flushed.iter().all(|&f| f), "{flushed:?}");
    }
}
