//! Play / Pause, Step, Reset, the epoch counter and speed, and which device
//! trains (with the reason when it is not the GPU).

use eframe::egui;

use super::PurchaseLabApp;
use super::background::Dialog;

pub fn show(app: &mut PurchaseLabApp, ui: &mut egui::Ui) {
    ui.horizontal(|ui| {
        ui.heading("Purchase Lab");
        ui.separator();
        let ready = app.prepared.is_some() && app.prep_error.is_none();
        if app.run.playing {
            if ui
                .button("Pause")
                .on_hover_text(
                    "Stop training after the current epoch; the network keeps what it learned",
                )
                .clicked()
            {
                app.pause();
            }
        } else if ui
            .add_enabled(ready, egui::Button::new("Play"))
            .on_hover_text("Train epoch after epoch and watch the boundary move")
            .clicked()
        {
            app.play();
        }
        if ui
            .add_enabled(ready, egui::Button::new("Step"))
            .on_hover_text("Train exactly one epoch (one pass over the training rows), then pause")
            .clicked()
        {
            app.step();
        }
        if ui
            .add_enabled(ready, egui::Button::new("Reset"))
            .on_hover_text("Start over with a fresh, untrained network (same settings)")
            .clicked()
        {
            app.reset();
        }
        ui.menu_button("Lessons", |ui| {
            for lesson in super::lessons::all() {
                if ui
                    .button(lesson.title)
                    .on_hover_text(lesson.explanation)
                    .clicked()
                {
                    app.start_lesson(lesson);
                    ui.close();
                }
            }
        })
        .response
        .on_hover_text(
            "One-click classroom lessons: each sets the data and the network to show one idea",
        );
        ui.separator();
        let epoch = app.run.history.last().map_or(0, |r| r.epoch);
        let of = if app.settings.until_paused {
            String::new()
        } else {
            format!(" / {}", app.settings.train.epochs)
        };
        ui.label(format!("epoch {epoch}{of}"));
        if let Some(eps) = app.run.epochs_per_second() {
            ui.weak(format!("{eps:.0} epochs/s"));
        }
        egui::ComboBox::from_label("pace")
            .selected_text(super::settings::pace_label(app.settings.pace))
            .show_ui(ui, |ui| {
                for (pace, label) in super::settings::PACES {
                    ui.selectable_value(&mut app.settings.pace, pace, label);
                }
            })
            .response
            .on_hover_text(
                "How fast Play trains: slow it down to watch the boundary form step by step",
            );
        if app.run.finished {
            ui.weak("finished");
        }
        ui.separator();
        if ui
            .add_enabled(
                !app.run.history.is_empty(),
                egui::Button::new("Save model…"),
            )
            .on_hover_text("Save the trained network with its data preparation as one .plab file")
            .clicked()
        {
            app.open_dialog(Dialog::SaveModel);
        }
        if ui
            .button("Open model…")
            .on_hover_text(
                "Open a saved .plab model and ask it about customers in What if… \
                 (you can also drop the file on the window)",
            )
            .clicked()
        {
            app.open_dialog(Dialog::OpenModel);
        }
        ui.separator();
        let n_runs = app.runs.history.records.len();
        let sweeping = if app.sweep.running() { ", sweeping" } else { "" };
        if ui
            .selectable_label(app.runs.open, format!("Runs ({n_runs}{sweeping})"))
            .on_hover_text("Compare recorded runs, overlay their curves, and sweep hyperparameters")
            .clicked()
        {
            app.runs.open = !app.runs.open;
        }
        if ui
            .selectable_label(app.sweep.open, "Sweep")
            .on_hover_text("Train a grid of learning rates, widths, depths, batch sizes and dropouts in the background and find the best")
            .clicked()
        {
            app.sweep.open = !app.sweep.open;
        }
        ui.menu_button("Session", |ui| {
            if ui
                .button("Save session…")
                .on_hover_text("Save the data source, target, network and training settings as a .json file to hand to students")
                .clicked()
            {
                app.open_dialog(Dialog::SaveSession);
                ui.close();
            }
            if ui
                .button("Open session…")
                .on_hover_text("Set everything up from a saved session file")
                .clicked()
            {
                app.open_dialog(Dialog::OpenSession);
                ui.close();
            }
        });
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            // The short name in the bar; the full description (adapter,
            // or why the CPU was chosen) on hover.
            let full = if app.run.device.is_empty() {
                "device: not started".to_owned()
            } else {
                app.run.device.clone()
            };
            let short = full.split(':').next().unwrap_or(&full).trim().to_owned();
            let label = ui.weak(short);
            let tip = match &app.run.fallback {
                Some(reason) => format!("{full}\n\nTraining on the CPU because: {reason}"),
                None => full,
            };
            label.on_hover_text(tip);
        });
    });
    if let Some(lesson) = app.lesson.clone() {
        ui.horizontal_wrapped(|ui| {
            ui.strong(format!("Lesson: {}.", lesson.title));
            ui.label(lesson.explanation);
            if ui.small_button("end lesson").clicked() {
                app.lesson = None;
            }
        });
    }
    if let Some(error) = app.run.error.clone() {
        ui.horizontal(|ui| {
            ui.colored_label(ui.visuals().error_fg_color, error.clone());
            if ui.small_button("dismiss").clicked() {
                app.run.error = None;
            }
        });
    } else if let Some(notice) = app.run.notice.clone() {
        ui.horizontal(|ui| {
            ui.label(notice.clone());
            if ui.small_button("dismiss").clicked() {
                app.run.notice = None;
            }
        });
    }
}
