//! The model section: which network answers (the one training, or a model
//! file opened with Open model…) and a what-if form with one field per
//! original feature, prefilled with a typical customer, showing the
//! predicted purchase probability as the user edits. Questions go to the
//! training thread; the UI holds only the answer.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use eframe::egui;

use super::PanelContext;
use super::palette::{NEGATIVE, POSITIVE};
use super::training_link::RunView;
use crate::data::prep::{FeatureStep, Pipeline, Prepared, TargetEncoding};
use crate::data::profile::TrainingProfile;
use crate::data::table::{Column, Table};
use crate::model::bundle::BundleMeta;
use crate::worker::{Command, WhatIfModel};

/// How long to wait for an answer before asking again.
const ANSWER_PATIENCE: Duration = Duration::from_secs(2);

/// A model file the training thread has loaded.
#[derive(Debug, Clone)]
pub struct OpenedModel {
    pub path: PathBuf,
    pub meta: Box<BundleMeta>,
}

/// One field of the form.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue {
    Number(f64),
    Level(String),
}

/// What a question was asked about; a new question goes out when it changes.
#[derive(Debug, Clone, PartialEq)]
struct Question {
    model: WhatIfModel,
    /// Changes whenever the training network has moved on.
    network_version: u64,
    values: Vec<(String, FieldValue)>,
}

/// A question sent and not yet answered.
#[derive(Debug)]
struct Pending {
    id: u64,
    question: Question,
    sent: Instant,
}

#[derive(Debug, Default)]
pub struct WhatIf {
    pub opened: Option<OpenedModel>,
    /// Answer with the opened model instead of the network being trained.
    pub use_opened: bool,
    /// Keep asking the opened model when a new training run starts (a
    /// lesson, a new data set); otherwise the form follows the new run.
    pub pinned: bool,
    pub values: BTreeMap<String, FieldValue>,
    pub answer: Option<Result<f32, String>>,
    /// A multi-class model's answer: every class's probability, in class
    /// order (empty otherwise).
    pub probabilities: Vec<f32>,
    pending: Option<Pending>,
    answered: Option<Question>,
    next_id: u64,
}

impl WhatIf {
    /// An answer arrived; stale ones (for an older question) are dropped.
    pub fn receive(&mut self, id: u64, result: Result<f32, String>, probabilities: Vec<f32>) {
        if let Some(pending) = self.pending.take() {
            if pending.id == id {
                self.answer = Some(result);
                self.probabilities = probabilities;
                self.answered = Some(pending.question);
            } else {
                self.pending = Some(pending);
            }
        }
    }

    /// Which network gave the current answer.
    pub fn answered_by(&self) -> Option<WhatIfModel> {
        self.answered.as_ref().map(|q| q.model)
    }

    pub fn model_opened(&mut self, path: PathBuf, meta: Box<BundleMeta>) {
        self.opened = Some(OpenedModel { path, meta });
        self.use_opened = true;
        self.forget_answer();
    }

    /// A new training run started: the form asks it from now on, unless
    /// the user pinned the opened model.
    pub fn follow_training(&mut self) {
        if self.use_opened && !self.pinned {
            self.use_opened = false;
            self.forget_answer();
        }
    }

    fn forget_answer(&mut self) {
        self.answer = None;
        self.probabilities.clear();
        self.answered = None;
    }
}

/// The pipeline whose original columns the form asks for.
fn pipeline<'a>(what_if: &'a WhatIf, prepared: Option<&'a Arc<Prepared>>) -> Option<&'a Pipeline> {
    match (&what_if.opened, what_if.use_opened) {
        (Some(opened), true) => Some(&opened.meta.pipeline),
        _ => prepared.map(|p| &p.pipeline),
    }
}

/// What the answering model knew of its training rows (for the warnings
/// next to the answer).
fn profile<'a>(
    what_if: &'a WhatIf,
    prepared: Option<&'a Arc<Prepared>>,
) -> Option<&'a TrainingProfile> {
    match (&what_if.opened, what_if.use_opened) {
        (Some(opened), true) => opened.meta.profile.as_ref(),
        _ => prepared.and_then(|p| p.profile.as_ref()),
    }
}

/// Warnings for the what-if answer, as the scoring report words them: a
/// number outside the training range (beyond the report's margin) and a
/// regression answer outside the training target's range.
pub fn what_if_warnings(
    pipeline: &Pipeline,
    profile: Option<&TrainingProfile>,
    values: &BTreeMap<String, FieldValue>,
    answer: Option<f32>,
) -> Vec<String> {
    let margin = crate::data::scoring_report::DEFAULT_RANGE_MARGIN;
    let outside = |x: f64, min: f64, max: f64| {
        let width = (max - min) * margin;
        x < min - width || x > max + width
    };
    let short = super::format::short;
    let mut warnings = Vec::new();
    for step in &pipeline.steps {
        if let (
            FeatureStep::Numeric {
                column, min, max, ..
            },
            Some(FieldValue::Number(x)),
        ) = (step, values.get(step.column()))
            && outside(*x, *min, *max)
        {
            warnings.push(format!(
                "{column} is outside the training range ({} to {}): the model never saw such customers",
                short(*min),
                short(*max)
            ));
        }
    }
    if let (Some(target), Some(y)) = (profile.and_then(|p| p.target.as_ref()), answer)
        && outside(f64::from(y), target.min, target.max)
    {
        warnings.push(format!(
            "the predicted {} is outside the range seen in training ({} to {})",
            target.column,
            short(target.min),
            short(target.max)
        ));
    }
    warnings
}

fn typical(step: &FeatureStep) -> FieldValue {
    match step {
        FeatureStep::Numeric { typical, .. } => FieldValue::Number(*typical),
        FeatureStep::Categorical { fill, .. } => FieldValue::Level(fill.clone()),
    }
}

/// The form's customer as a one-row table of original columns.
pub fn customer(pipeline: &Pipeline, values: &BTreeMap<String, FieldValue>) -> Option<Table> {
    let columns = pipeline
        .steps
        .iter()
        .map(|step| {
            let value = values
                .get(step.column())
                .cloned()
                .unwrap_or_else(|| typical(step));
            let name = step.column().to_owned();
            match value {
                FieldValue::Number(x) => Column::numeric(name, vec![x]),
                FieldValue::Level(l) => Column::categorical(name, &[Some(l.as_str())]),
            }
        })
        .collect();
    Table::new(columns).ok()
}

impl WhatIf {
    /// The question to send when the form, the model or the network
    /// changed and no answer is outstanding (at most one question in
    /// flight); it is then pending.
    pub fn question(&mut self, prepared: Option<&Arc<Prepared>>, run: &RunView) -> Option<Command> {
        // One question in flight; one unanswered for long (the training
        // thread was restarted or busy with a long epoch) is asked again.
        if self
            .pending
            .as_ref()
            .is_some_and(|p| p.sent.elapsed() < ANSWER_PATIENCE)
        {
            return None;
        }
        let model = if self.use_opened && self.opened.is_some() {
            WhatIfModel::Opened
        } else {
            WhatIfModel::Current
        };
        let pipeline = pipeline(self, prepared)?.clone();
        // Fields for columns this pipeline has start at a typical value.
        for step in &pipeline.steps {
            self.values
                .entry(step.column().to_owned())
                .or_insert_with(|| typical(step));
        }
        if model == WhatIfModel::Current && run.history.is_empty() && run.surface.is_none() {
            return None;
        }
        let values: Vec<(String, FieldValue)> = pipeline
            .steps
            .iter()
            .filter_map(|s| {
                self.values
                    .get(s.column())
                    .map(|v| (s.column().to_owned(), v.clone()))
            })
            .collect();
        let network_version = match model {
            WhatIfModel::Current => run.predictions_version,
            WhatIfModel::Opened => 0,
        };
        let question = Question {
            model,
            network_version,
            values,
        };
        if self.answered.as_ref() == Some(&question) {
            return None;
        }
        let table = customer(&pipeline, &self.values)?;
        self.next_id += 1;
        let id = self.next_id;
        self.pending = Some(Pending {
            id,
            question,
            sent: Instant::now(),
        });
        Some(Command::WhatIf {
            id,
            customer: Box::new(table),
            model,
        })
    }
}

pub fn show(ui: &mut egui::Ui, cx: &mut PanelContext<'_>, what_if: &mut WhatIf) {
    ui.strong("What if…")
        .on_hover_text("Describe one customer and see what the network predicts for them");
    if let Some(opened) = what_if.opened.clone() {
        let name = opened.path.file_name().map_or_else(
            || opened.path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        ui.horizontal_wrapped(|ui| {
            ui.radio_value(&mut what_if.use_opened, false, "network in training")
                .on_hover_text("Ask the network you are training right now");
            ui.radio_value(&mut what_if.use_opened, true, format!("model {name}"))
                .on_hover_text(format!(
                    "Ask the model opened from {} ({}): trained {} {}s on `{}`",
                    opened.path.display(),
                    opened.meta.model.family().label(),
                    opened.meta.epochs_trained,
                    opened.meta.model.unit().name(),
                    opened.meta.recipe.target
                ));
            ui.add_enabled(
                what_if.use_opened,
                egui::Checkbox::new(&mut what_if.pinned, "pin"),
            )
            .on_hover_text(
                "Keep asking this model when a new run starts (a lesson, other data); \
                 unpinned, the form follows the network in training",
            );
        });
    }
    ui.weak(asked_model(what_if, cx.run));
    let prepared = cx.data.prepared();
    let Some(pipeline) = pipeline(what_if, prepared).cloned() else {
        ui.weak("Load data or open a model to ask about a customer.");
        return;
    };

    answer_line(ui, cx, what_if, &pipeline.encoding);
    let answer = what_if
        .answer
        .as_ref()
        .and_then(|a| a.as_ref().ok().copied());
    for warning in what_if_warnings(
        &pipeline,
        profile(what_if, prepared),
        &what_if.values,
        answer,
    ) {
        ui.colored_label(ui.visuals().warn_fg_color, format!("warning: {warning}"));
    }

    ui.horizontal(|ui| {
        if ui
            .small_button("typical customer")
            .on_hover_text("Put every field back to the median or most frequent value")
            .clicked()
        {
            what_if.values.clear();
        }
    });
    // Each row fits the panel's width (name, slider, value): a long name
    // is elided (in full on hover) and a narrow panel (150 % zoom) gets
    // shorter sliders.
    let width = ui.available_width();
    let name_width = (width * 0.38).min(150.0);
    let gap = ui.spacing().item_spacing.x;
    ui.spacing_mut().slider_width =
        (width - name_width - VALUE_WIDTH - 3.0 * gap).clamp(30.0, 100.0);
    let field_width = ui.spacing().slider_width + gap + VALUE_WIDTH;
    egui::Grid::new("what_if_form")
        .num_columns(2)
        .striped(true)
        .show(ui, |ui| {
            for step in &pipeline.steps {
                let name = step.column();
                let value = what_if
                    .values
                    .entry(name.to_owned())
                    .or_insert_with(|| typical(step));
                let row = egui::vec2(name_width, ui.spacing().interact_size.y);
                let name_cell = egui::Layout::left_to_right(egui::Align::Center);
                ui.allocate_ui_with_layout(row, name_cell, |ui| {
                    ui.set_max_width(name_width);
                    ui.add(egui::Label::new(name).truncate())
                        .on_hover_text(name);
                });
                match (step, value) {
                    (FeatureStep::Numeric { min, max, .. }, FieldValue::Number(x)) => {
                        let (lo, hi) = if max > min { (*min, *max) } else { (0.0, 1.0) };
                        ui.add(
                            egui::Slider::new(x, lo..=hi)
                                .clamping(egui::SliderClamping::Never)
                                .max_decimals(2),
                        )
                        .on_hover_text(format!(
                            "{name}: training customers ranged from {} to {}; \
                             type any value to go beyond",
                            super::format::short(*min),
                            super::format::short(*max)
                        ));
                    }
                    (FeatureStep::Categorical { levels, .. }, FieldValue::Level(l)) => {
                        egui::ComboBox::from_id_salt(("what_if", name))
                            .width(field_width)
                            .truncate()
                            .selected_text(l.as_str())
                            .show_ui(ui, |ui| {
                                for level in levels {
                                    ui.selectable_value(l, level.clone(), level);
                                }
                            })
                            .response
                            .on_hover_text(format!("{name}: one of the values seen in training"));
                    }
                    // The column changed kind (another model): start over.
                    (step, value) => *value = typical(step),
                }
                ui.end_row();
            }
        });
}

/// About the width of a slider's number box (points), `5896.00`.
const VALUE_WIDTH: f32 = 64.0;
/// Which network the form asks, in words.
fn asked_model(what_if: &WhatIf, run: &RunView) -> String {
    match (&what_if.opened, what_if.use_opened) {
        (Some(opened), true) => {
            let name = opened.path.file_name().map_or_else(
                || opened.path.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            format!("asking model file {name}")
        }
        _ if run.history.is_empty() => {
            format!("asking the {} in training (untrained)", run.family.label())
        }
        _ => format!(
            "asking the {} in training ({} {})",
            run.family.label(),
            run.unit().name(),
            run.epoch()
        ),
    }
}

fn answer_line(
    ui: &mut egui::Ui,
    cx: &PanelContext<'_>,
    what_if: &WhatIf,
    encoding: &TargetEncoding,
) {
    match &what_if.answer {
        None => {
            ui.weak("Press Play or Step to get a prediction.");
        }
        Some(Err(e)) => {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
        Some(Ok(_)) if encoding.classes().is_some() => {
            let classes = encoding.classes().unwrap_or_default();
            super::class_evaluation::probability_bars(ui, classes, &what_if.probabilities);
        }
        Some(Ok(p)) => match encoding.class_names() {
            Some((positive, negative)) => {
                let p = p.clamp(0.0, 1.0);
                let verdict = if f64::from(p) >= cx.settings.threshold {
                    positive.to_owned()
                } else {
                    negative
                };
                ui.horizontal(|ui| {
                    ui.heading(format!("{:.0}%", p * 100.0));
                    ui.label(format!("chance of `{positive}`: predicted `{verdict}`"));
                });
                let colour = if p >= 0.5 { POSITIVE } else { NEGATIVE };
                ui.add(
                    egui::ProgressBar::new(p)
                        .fill(colour)
                        .desired_height(8.0)
                        .desired_width(ui.available_width().min(260.0)),
                );
            }
            None => {
                let target = what_if
                    .opened
                    .as_ref()
                    .filter(|_| what_if.use_opened)
                    .map(|o| o.meta.recipe.target.clone())
                    .or_else(|| cx.settings.problem.as_ref().map(|p| p.target.clone()))
                    .unwrap_or_default();
                ui.horizontal(|ui| {
                    ui.heading(super::format::short(f64::from(*p)));
                    ui.label(format!("predicted {target}"));
                });
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Problem, Recipe, parse_csv, prepare};

    #[test]
    fn what_if_warns_outside_the_training_range() {
        let mut text = String::from("income,spend\n");
        for i in 0..40 {
            text.push_str(&format!("{},{}\n", 20 + i, 100 + 3 * i));
        }
        let table = parse_csv(text.as_bytes()).unwrap();
        let prepared = prepare(&table, &Recipe::new(&table, "spend", Problem::Regression)).unwrap();
        let profile = prepared.profile.as_ref();
        let mut values = BTreeMap::new();
        values.insert("income".to_owned(), FieldValue::Number(30.0));
        assert!(what_if_warnings(&prepared.pipeline, profile, &values, Some(150.0)).is_empty());
        values.insert("income".to_owned(), FieldValue::Number(9_999_999.0));
        let warnings = what_if_warnings(&prepared.pipeline, profile, &values, Some(20_000.0));
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(warnings[0].starts_with("income is outside the training range"));
        assert!(warnings[1].contains("predicted spend is outside"));
    }
}
