//! Deliberate failures for tests of the worker's recovery
//! ([`Command::InjectFault`](super::Command)), compiled only with the
//! `testing` feature; in other builds the slot is empty and fires nothing.

/// A failure to inject.
#[cfg(feature = "testing")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Panic inside training when this epoch (1-based) is trained.
    PanicAtEpoch(usize),
    /// Fail as a lost GPU would while training this epoch, whatever the
    /// device: the worker restarts the run on the CPU.
    DeviceErrorAtEpoch(usize),
}

/// The fault armed and not yet triggered.
#[derive(Debug, Default)]
pub(super) struct FaultSlot {
    #[cfg(feature = "testing")]
    armed: Option<Fault>,
}

/// The fault (if any) that fires while one epoch trains.
#[derive(Debug, Clone, Copy)]
pub(super) struct Armed {
    #[cfg(feature = "testing")]
    fault: Option<Fault>,
}

#[cfg(feature = "testing")]
impl FaultSlot {
    pub(super) fn arm(&mut self, fault: Fault) {
        self.armed = Some(fault);
    }

    /// Takes the fault armed for `epoch`, which is about to be trained.
    pub(super) fn take(&mut self, epoch: usize) -> Armed {
        let fault = self.armed.take_if(|fault| match *fault {
            Fault::PanicAtEpoch(n) | Fault::DeviceErrorAtEpoch(n) => n == epoch,
        });
        Armed { fault }
    }
}

#[cfg(feature = "testing")]
impl Armed {
    /// Panics as the simulated failure would.
    pub(super) fn fire(self) {
        match self.fault {
            Some(Fault::PanicAtEpoch(n)) => panic!("injected fault: panic at epoch {n}"),
            Some(Fault::DeviceErrorAtEpoch(n)) => {
                panic!("injected fault: the device was lost at epoch {n}")
            }
            None => {}
        }
    }

    /// Whether the failure stands in for a lost GPU.
    pub(super) fn simulates_device_loss(self) -> bool {
        matches!(self.fault, Some(Fault::DeviceErrorAtEpoch(_)))
    }
}

#[cfg(not(feature = "testing"))]
impl FaultSlot {
    pub(super) fn take(&mut self, _epoch: usize) -> Armed {
        Armed {}
    }
}

#[cfg(not(feature = "testing"))]
impl Armed {
    pub(super) fn fire(self) {}

    pub(super) fn simulates_device_loss(self) -> bool {
        false
    }
}
