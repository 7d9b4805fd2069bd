//! Play / Pause, Step, Reset, the epoch counter and speed, and which device
//! trains (with the reason when it is not the GPU).

use eframe::egui;

use super::background::Dialog;
use super::shortcuts::{self, PLAY_PAUSE, RESET, STEP};
use super::{AppCommand, PanelContext, Windows};

/// The bar's controls wrap onto a second line when the window is narrow
/// or zoomed (a projector at 150 %), so none drops off the right edge.
pub fn show(ui: &mut egui::Ui, cx: &mut PanelContext<'_>, windows: &mut Windows) {
    // Before any button is drawn, so a focused one does not take the same
    // key press as its own click.
    if let Some(command) = shortcuts::read(ui.ctx(), cx.run.playing, cx.data.ready()) {
        cx.commands.push(command);
    }
    ui.horizontal_wrapped(|ui| {
        ui.heading("Purchase Lab");
        ui.separator();
        playback_buttons(ui, cx);
        lessons_menu(ui, cx);
        ui.separator();
        progress(ui, cx);
        ui.separator();
        model_buttons(ui, cx);
        ui.separator();
        window_toggles(ui, windows);
        session_menu(ui, cx);
        presentation_toggle(ui, cx);
    });
    lesson_banner(ui, cx, windows);
}

/// The status line at the bottom of the window: the run's error, or else
/// its notice, with "dismiss". It always takes one line, so a message
/// arriving never moves the views under the pointer; a long one is elided
/// with the full text on hover.
pub fn status_line(ui: &mut egui::Ui, cx: &mut PanelContext<'_>) {
    ui.horizontal(|ui| {
        ui.set_min_height(ui.spacing().interact_size.y);
        // The device on the right, the message in the room left of it.
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            device_label(ui, cx);
            ui.separator();
            ui.with_layout(egui::Layout::left_to_right(egui::Align::Center), |ui| {
                message(ui, cx);
            });
        });
    });
}

/// The run's error, or else its notice, with "dismiss"; "ready" when there
/// is neither.
fn message(ui: &mut egui::Ui, cx: &mut PanelContext<'_>) {
    let (text, colour, dismiss) = if let Some(error) = &cx.run.error {
        (
            error.as_str(),
            ui.visuals().error_fg_color,
            AppCommand::DismissError,
        )
    } else if let Some(notice) = &cx.run.notice {
        (
            notice.as_str(),
            ui.visuals().text_color(),
            AppCommand::DismissNotice,
        )
    } else {
        ui.weak("ready");
        return;
    };
    if ui.small_button("dismiss").clicked() {
        cx.commands.push(dismiss);
    }
    ui.add(
        egui::Label::new(egui::RichText::new(text).color(colour))
            .truncate()
            .show_tooltip_when_elided(true),
    );
}

/// Play (or Pause while playing), Step and Reset.
fn playback_buttons(ui: &mut egui::Ui, cx: &mut PanelContext<'_>) {
    let ready = cx.data.ready();
    if cx.run.playing {
        if ui
            .button("Pause")
            .on_hover_text(shortcuts::tip(
                "Stop training after the current epoch; the network keeps what it learned",
                PLAY_PAUSE,
            ))
            .clicked()
        {
            cx.commands.push(AppCommand::Pause);
        }
    } else if ui
        .add_enabled(ready, egui::Button::new("Play"))
        .on_hover_text(shortcuts::tip(
            "Train epoch after epoch and watch the boundary move",
            PLAY_PAUSE,
        ))
        .clicked()
    {
        cx.commands.push(AppCommand::Play);
    }
    if ui
        .add_enabled(ready, egui::Button::new("Step"))
        .on_hover_text(shortcuts::tip(
            "Train exactly one epoch (one pass over the training rows), then pause",
            STEP,
        ))
        .clicked()
    {
        cx.commands.push(AppCommand::Step);
    }
    if ui
        .add_enabled(ready, egui::Button::new("Reset"))
        .on_hover_text(shortcuts::tip(
            "Start over with a fresh, untrained network (same settings)",
            RESET,
        ))
        .clicked()
    {
        cx.commands.push(AppCommand::Reset);
    }
}

/// The Lessons menu: one button per classroom lesson.
fn lessons_menu(ui: &mut egui::Ui, cx: &mut PanelContext<'_>) {
    ui.menu_button("Lessons", |ui| {
        for lesson in super::lessons::all() {
            if ui
                .button(lesson.title)
                .on_hover_text(lesson.explanation)
                .clicked()
            {
                cx.commands.push(AppCommand::StartLesson(Box::new(lesson)));
                ui.close();
            }
        }
    })
    .response
    .on_hover_text(
        "One-click classroom lessons: each sets the data and the network to show one idea",
    );
}

/// The epoch counter, epochs per second, the pace box and "finished".
fn progress(ui: &mut egui::Ui, cx: &mut PanelContext<'_>) {
    let epoch = cx.run.epoch();
    let of = cx
        .run
        .target_epoch
        .map_or_else(String::new, |t| format!(" / {t}"));
    let unit = cx.run.unit().name();
    ui.label(format!("{unit} {epoch}{of}"));
    // The measured rate, only while it means something (playing), in a
    // slot of fixed width so the bar does not reflow when it appears.
    let rate = cx
        .run
        .epochs_per_second()
        .filter(|_| cx.run.playing)
        .map_or_else(String::new, |eps| {
            format!("running at {} {unit}s/s", rate_text(eps))
        });
    ui.scope(|ui| {
        ui.set_min_width(150.0);
        ui.weak(rate)
            .on_hover_text("Measured over the last two seconds, pacing included");
    });
    egui::ComboBox::from_label("pace")
        .selected_text(super::settings::pace_label(cx.settings.pace))
        .show_ui(ui, |ui| {
            for (pace, label) in super::settings::PACES {
                ui.selectable_value(&mut cx.settings.pace, pace, label);
            }
        })
        .response
        .on_hover_text(
            "How fast Play trains: slow it down to watch the boundary form step by step",
        );
    full_speed_toggle(ui, cx);
    if cx.run.finished {
        ui.weak("finished");
    }
}

/// "full speed" in one click, and back to the watchable default pace; the
/// choice is a setting, so it survives a restart.
fn full_speed_toggle(ui: &mut egui::Ui, cx: &mut PanelContext<'_>) {
    let flat_out = cx.settings.pace.is_none();
    let tip = if flat_out {
        "Training flat out; click to go back to a pace the eye can follow"
    } else {
        "Train as fast as the machine can (the boundary's forming is then over in a blink)"
    };
    if ui
        .selectable_label(flat_out, "full speed")
        .on_hover_text(tip)
        .clicked()
    {
        cx.settings.pace = if flat_out {
            super::settings::DEFAULT_PACE
        } else {
            None
        };
    }
}

/// Save model… and Open model….
fn model_buttons(ui: &mut egui::Ui, cx: &mut PanelContext<'_>) {
    if ui
        .add_enabled(!cx.run.history.is_empty(), egui::Button::new("Save model…"))
        .on_hover_text("Save the trained network with its data preparation as one .plab file")
        .clicked()
    {
        cx.commands.push(AppCommand::OpenDialog(Dialog::SaveModel));
    }
    if ui
        .button("Open model…")
        .on_hover_text(
            "Open a saved .plab model and ask it about customers in What if… \
             (you can also drop the file on the window)",
        )
        .clicked()
    {
        cx.commands.push(AppCommand::OpenDialog(Dialog::OpenModel));
    }
}

/// The Runs and Sweep window toggles.
fn window_toggles(ui: &mut egui::Ui, windows: &mut Windows) {
    let n_runs = windows.runs.history.records.len();
    let sweeping = if windows.sweep.running() {
        ", sweeping"
    } else {
        ""
    };
    if ui
        .selectable_label(windows.runs.open, format!("Runs ({n_runs}{sweeping})"))
        .on_hover_text("Compare recorded runs, overlay their curves, and sweep hyperparameters")
        .clicked()
    {
        windows.runs.open = !windows.runs.open;
    }
    if ui
        .selectable_label(windows.sweep.open, "Sweep")
        .on_hover_text("Train a grid of learning rates, widths, depths, batch sizes and dropouts in the background and find the best")
        .clicked()
    {
        windows.sweep.open = !windows.sweep.open;
    }
}

/// The Session menu: save or open a session file.
fn session_menu(ui: &mut egui::Ui, cx: &mut PanelContext<'_>) {
    ui.menu_button("Session", |ui| {
        if ui
            .button("Save session…")
            .on_hover_text("Save the data source, target, network and training settings as a .json file to hand to students")
            .clicked()
        {
            cx.commands
                .push(AppCommand::OpenDialog(Dialog::SaveSession));
            ui.close();
        }
        if ui
            .button("Open session…")
            .on_hover_text("Set everything up from a saved session file")
            .clicked()
        {
            cx.commands
                .push(AppCommand::OpenDialog(Dialog::OpenSession));
            ui.close();
        }
    });
}

/// Presentation mode in one click: everything larger for a projector
/// (remembered between launches).
fn presentation_toggle(ui: &mut egui::Ui, cx: &mut PanelContext<'_>) {
    let on = cx.settings.presentation;
    if ui
        .selectable_label(on, "presentation")
        .on_hover_text(
            "Larger type and controls for a projector (ctrl+plus / ctrl+minus fine-tune the size)",
        )
        .clicked()
    {
        cx.commands.push(AppCommand::Presentation(!on));
    }
}

/// The training device's short name (in the status line), with the full
/// description on hover.
fn device_label(ui: &mut egui::Ui, cx: &PanelContext<'_>) {
    // The short name in the bar; the full description (adapter,
    // or why the CPU was chosen) on hover.
    let full = if cx.run.device.is_empty() {
        "device: not started".to_owned()
    } else {
        cx.run.device.clone()
    };
    let short = short_device(&full);
    let label = ui.add(
        egui::Label::new(egui::RichText::new(short).weak()).wrap_mode(egui::TextWrapMode::Extend),
    );
    let tip = match &cx.run.fallback {
        Some(reason) => format!("{full}\n\nTraining on the CPU because: {reason}"),
        None => full,
    };
    label.on_hover_text(tip);
}

/// The banner of the lesson being shown, with "end lesson".
fn lesson_banner(ui: &mut egui::Ui, cx: &mut PanelContext<'_>, windows: &Windows) {
    if let Some(lesson) = &windows.lesson {
        ui.horizontal_wrapped(|ui| {
            ui.strong(format!("Lesson: {}.", lesson.title));
            ui.label(lesson.explanation);
            if ui.small_button("end lesson").clicked() {
                cx.commands.push(AppCommand::EndLesson);
            }
        });
    }
}

/// An epochs-per-second rate: whole numbers from 10 up, one decimal below.
fn rate_text(eps: f64) -> String {
    if eps >= 10.0 {
        format!("{eps:.0}")
    } else {
        format!("{eps:.1}")
    }
}

/// The device's name for the bar, with the measured speed-up when `Auto`
/// chose by timing the job: `CPU (flex): 6.1x faster, measured` (or
/// `cached`), from the description `tune::device_choice` writes; any other
/// description gives its name only (`GPU`, `CPU (flex)`).
fn short_device(full: &str) -> String {
    let (name, rest) = full.split_once(':').unwrap_or((full, ""));
    let name = name.trim();
    let how = if rest.ends_with("(cached)") {
        "cached"
    } else if rest.ends_with(", measured") {
        "measured"
    } else {
        return name.to_owned();
    };
    match rest.split_once(" faster than ") {
        Some((before, _)) => {
            let ratio = before.rsplit(' ').next().unwrap_or(before);
            format!("{name}: {ratio} faster, {how}")
        }
        None => format!("{name}, {how}"),
    }
}

#[cfg(test)]
mod tests {
    use super::short_device;

    #[test]
    fn the_bar_names_the_device_and_a_measured_speed_up() {
        assert_eq!(short_device("CPU (flex)"), "CPU (flex)");
        assert_eq!(
            short_device("CPU (flex): no GPU adapter: none found"),
            "CPU (flex)"
        );
        assert_eq!(
            short_device(
                "CPU (flex): 6.1x faster than the GPU (llvmpipe) for this network, measured"
            ),
            "CPU (flex): 6.1x faster, measured"
        );
        assert_eq!(
            short_device(
                "GPU: NVIDIA H100 (Vulkan): 3.2x faster than the CPU for this network, \
                 measured earlier (cached)"
            ),
            "GPU: 3.2x faster, cached"
        );
        assert_eq!(
            short_device("CPU (flex): about as fast as the GPU (x) for this network, measured"),
            "CPU (flex), measured"
        );
    }
}
