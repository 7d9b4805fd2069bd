//! Keyboard shortcuts for the training controls: Space plays or pauses,
//! S or the right arrow trains one epoch, R resets. They are read before
//! any panel draws, so a focused Play button does not see the same Space
//! press as a click of its own (which would toggle twice).
//!
//! None of them acts while a text field has focus (typing a path or a
//! what-if value must not start training). The right arrow also waits
//! until no widget has focus: egui moves keyboard focus and nudges a
//! focused slider with the arrow keys.

use eframe::egui::{self, Key, Modifiers};

use super::AppCommand;

/// The keys, as the buttons' tooltips name them.
pub const PLAY_PAUSE: &str = "Space";
pub const STEP: &str = "S or Right arrow";
pub const RESET: &str = "R";

/// The command a shortcut pressed this frame asks for (the key is then
/// consumed), or `None`. `playing` decides between Play and Pause;
/// `ready` is whether there is data to train on (the buttons' enabled
/// state).
pub fn read(ctx: &egui::Context, playing: bool, ready: bool) -> Option<AppCommand> {
    if !ready || ctx.text_edit_focused() {
        return None;
    }
    let nothing_focused = ctx.memory(|m| m.focused().is_none());
    ctx.input_mut(|i| {
        if i.consume_key(Modifiers::NONE, Key::Space) {
            Some(if playing {
                AppCommand::Pause
            } else {
                AppCommand::Play
            })
        } else if i.consume_key(Modifiers::NONE, Key::S)
            || (nothing_focused && i.consume_key(Modifiers::NONE, Key::ArrowRight))
        {
            Some(AppCommand::Step)
        } else if i.consume_key(Modifiers::NONE, Key::R) {
            Some(AppCommand::Reset)
        } else {
            None
        }
    })
}

/// A button's tooltip with its shortcut: "Train … (Space)".
pub fn tip(text: &str, keys: &str) -> String {
    format!("{text} (shortcut: {keys})")
}
