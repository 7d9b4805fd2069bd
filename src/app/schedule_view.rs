//! The learning-rate schedule in the network panel, under the
//! learning-rate slider: its choice with a small curve of the rate over the
//! run beside it (the current epoch marked once a run has epochs), then its
//! parameters.

use eframe::egui;

use super::palette;
use crate::model::TrainSettings;
use crate::model::schedule::{BatchAt, LrSchedule};

/// The curve's size in points: small enough to sit beside the slider.
const CURVE_SIZE: egui::Vec2 = egui::vec2(96.0, 34.0);
/// Points along the curve.
const CURVE_POINTS: usize = 160;
/// Batches per epoch assumed when drawing (the real count depends on the
/// data; it only shapes the warm-up's first steps).
const DRAWN_BATCHES: usize = 64;

/// Under the learning-rate slider: the schedule's kind with its curve
/// over `train.epochs` (`epoch`: where the run is, if it has trained),
/// then its parameters.
pub fn controls(ui: &mut egui::Ui, train: &mut TrainSettings, epoch: Option<usize>) {
    let mut kind = kind_index(&train.schedule);
    let before = kind;
    ui.horizontal(|ui| {
        egui::ComboBox::from_label("schedule")
            .selected_text(KINDS[kind])
            .show_ui(ui, |ui| {
                for (index, name) in KINDS.iter().enumerate() {
                    ui.selectable_value(&mut kind, index, *name);
                }
            })
            .response
            .on_hover_text("How the learning rate changes over the run, batch by batch, as a share of the slider's rate: constant; step decay (times a factor every few epochs); cosine (a smooth fall to a floor at the last epoch, after an optional warm-up)");
        if kind != before {
            train.schedule = default_of(kind);
        }
        curve(ui, &train.schedule, train.epochs, epoch);
    });
    match &mut train.schedule {
        LrSchedule::Constant => {}
        LrSchedule::Step { every, factor } => {
            ui.horizontal(|ui| {
                ui.add(
                    egui::DragValue::new(every)
                        .range(1..=1000)
                        .prefix("every ")
                        .suffix(" epochs"),
                )
                .on_hover_text("The rate drops at the start of every this many epochs");
                ui.add(
                    egui::DragValue::new(factor)
                        .range(0.01..=1.0)
                        .speed(0.01)
                        .prefix("x "),
                )
                .on_hover_text("Each drop multiplies the rate by this factor");
            });
        }
        LrSchedule::Cosine { floor, warmup } => {
            ui.horizontal(|ui| {
                ui.add(
                    egui::DragValue::new(floor)
                        .range(0.0..=0.99)
                        .speed(0.005)
                        .prefix("floor x "),
                )
                .on_hover_text("The rate at the last epoch, as a share of the slider's rate");
                ui.add(
                    egui::DragValue::new(warmup)
                        .range(0..=1000)
                        .prefix("warm-up ")
                        .suffix(" epochs"),
                )
                .on_hover_text(
                    "Epochs over which the rate first rises linearly from near 0 (0: none)",
                );
            });
        }
    }
}

/// The schedule over `total_epochs` as a small curve (factor 0 at the
/// bottom, 1 at the top), a dot at `epoch` when a run has trained some.
pub fn curve(ui: &mut egui::Ui, schedule: &LrSchedule, total_epochs: usize, epoch: Option<usize>) {
    // Never wider than the room left, so a narrow panel does not clip it.
    let size = egui::vec2(
        CURVE_SIZE.x.min(ui.available_width()).max(24.0),
        CURVE_SIZE.y,
    );
    let (response, painter) = ui.allocate_painter(size, egui::Sense::hover());
    let rect = response.rect;
    let visuals = ui.visuals();
    painter.rect_stroke(
        rect,
        2.0,
        visuals.widgets.noninteractive.bg_stroke,
        egui::StrokeKind::Inside,
    );
    let frame = rect.shrink(3.0);
    let total = total_epochs.max(1) as f64;
    let to_screen = |position: f64, factor: f64| {
        egui::pos2(
            frame.left() + (position / total) as f32 * frame.width(),
            frame.bottom() - factor.clamp(0.0, 1.0) as f32 * frame.height(),
        )
    };
    let points: Vec<egui::Pos2> = (0..=CURVE_POINTS)
        .map(|i| {
            let position = total * i as f64 / CURVE_POINTS as f64;
            to_screen(position, factor_at(schedule, position, total_epochs))
        })
        .collect();
    painter.add(egui::Shape::line(
        points,
        egui::Stroke::new(1.5, palette::TRAIN_CURVE),
    ));
    let now = epoch.map(|e| (e as f64).min(total));
    if let Some(position) = now {
        let factor = factor_at(schedule, position, total_epochs);
        painter.circle_filled(to_screen(position, factor), 3.0, palette::VALID_CURVE);
    }
    response.on_hover_text(hover_text(schedule, total_epochs, now));
}

/// What hovering the curve says: the schedule, and where the run is.
pub fn hover_text(schedule: &LrSchedule, total_epochs: usize, now: Option<f64>) -> String {
    let mut text = format!(
        "Learning-rate schedule {} over {total_epochs} epochs (top: the slider's rate)",
        schedule.label()
    );
    if let Some(position) = now {
        text.push_str(&format!(
            "; after epoch {position}: x {:.3} of the slider's rate",
            factor_at(schedule, position, total_epochs)
        ));
    }
    text
}

/// The factor at `position` epochs into a run of `total_epochs`.
fn factor_at(schedule: &LrSchedule, position: f64, total_epochs: usize) -> f64 {
    let epoch = position.floor().max(0.0);
    let batch = ((position - epoch) * DRAWN_BATCHES as f64) as usize;
    schedule.factor(
        BatchAt {
            epoch: epoch as usize,
            batch: batch.min(DRAWN_BATCHES - 1),
            batches: DRAWN_BATCHES,
        },
        total_epochs,
    )
}

const KINDS: [&str; 3] = ["constant", "step decay", "cosine"];

fn kind_index(schedule: &LrSchedule) -> usize {
    match schedule {
        LrSchedule::Constant => 0,
        LrSchedule::Step { .. } => 1,
        LrSchedule::Cosine { .. } => 2,
    }
}

/// The schedule a kind starts from when chosen.
fn default_of(kind: usize) -> LrSchedule {
    match kind {
        1 => LrSchedule::Step {
            every: 10,
            factor: 0.5,
        },
        2 => LrSchedule::Cosine {
            floor: 0.01,
            warmup: 0,
        },
        _ => LrSchedule::Constant,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_starts_valid_and_round_trips_its_index() {
        for kind in 0..KINDS.len() {
            let schedule = default_of(kind);
            assert_eq!(schedule.validate(), Ok(()));
            assert_eq!(kind_index(&schedule), kind);
        }
    }

    #[test]
    fn the_hover_text_gives_the_factor_where_the_run_is() {
        let step = LrSchedule::Step {
            every: 10,
            factor: 0.5,
        };
        assert_eq!(
            hover_text(&step, 30, Some(20.0)),
            "Learning-rate schedule step:10:0.5 over 30 epochs (top: the slider's rate); after epoch 20: x 0.250 of the slider's rate"
        );
        assert_eq!(
            hover_text(&LrSchedule::Constant, 5, None),
            "Learning-rate schedule constant over 5 epochs (top: the slider's rate)"
        );
    }
}
