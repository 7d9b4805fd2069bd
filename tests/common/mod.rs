//! Shared by the window tests (ui.rs, runs_ui.rs).

use std::time::{Duration, Instant};

use egui_kittest::Harness;
use purchase_lab::app::PurchaseLabApp;

/// Steps frames (the app polls its background threads each frame) until
/// `done` holds, failing after a generous timeout with what the app says.
pub fn wait_until(
    h: &mut Harness<'static, PurchaseLabApp>,
    what: &str,
    mut done: impl FnMut(&PurchaseLabApp) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !done(h.state()) {
        let app = h.state();
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}; loading {:?}, data error {:?}, recipe error {:?}, \
             run error {:?}, runs notice {:?}, sweep error {:?}",
            app.loading,
            app.data_error,
            app.prep_error,
            app.run.error,
            app.runs.notice,
            app.sweep.error
        );
        h.step();
        std::thread::sleep(Duration::from_millis(10));
    }
    h.step();
}
