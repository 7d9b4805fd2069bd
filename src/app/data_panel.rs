//! Get data (generate or open a CSV), see it (preview, column summary) and
//! choose the problem (target, positive label, features, preparation).
//! Problems are shown next to the controls that fix them; the previous data
//! stays usable.

use eframe::egui;

use super::background::Dialog;
use super::data_side::DataSide;
use super::settings::{
    ProblemChoice, Source, labels, multiclass_by_default, regression_by_default,
};
use super::{AppCommand, PanelContext};
use crate::data::notes::{DataNote, Severity};
use crate::data::prep::{Cross, Impute, Scale};
use crate::data::screen::Unsuitable;
use crate::data::synth::Preset;
use crate::data::table::{CellFormat, ColumnKind, ColumnSummary, Table};

const PREVIEW_ROWS: usize = 8;

/// The load in progress: a bar of the share of the file read (or the
/// megabytes read, when the size is unknown) and Cancel; redrawn a few
/// times a second while the reading thread works.
fn loading_line(ui: &mut egui::Ui, cx: &mut PanelContext<'_>, loading: &str) {
    let (read, total) = cx.data.load_progress().unwrap_or((0, 0));
    let megabytes = |b: u64| b as f64 / 1e6;
    ui.horizontal(|ui| {
        ui.spinner();
        ui.label(format!("loading {loading}…"));
    });
    ui.horizontal(|ui| {
        if total > 0 {
            let share = (read as f64 / total as f64).min(1.0) as f32;
            ui.add(
                egui::ProgressBar::new(share)
                    .desired_width(160.0)
                    .text(format!(
                        "{:.0} of {:.0} MB read",
                        megabytes(read),
                        megabytes(total)
                    )),
            );
        } else {
            ui.weak(format!("{:.1} MB read", megabytes(read)));
        }
        if ui
            .button("Cancel loading")
            .on_hover_text("Stop reading the file; the data you had stays loaded")
            .clicked()
        {
            cx.commands.push(AppCommand::CancelLoad);
        }
    });
    ui.ctx()
        .request_repaint_after(std::time::Duration::from_millis(100));
}

pub fn show(ui: &mut egui::Ui, cx: &mut PanelContext<'_>, path_field: &mut String) {
    ui.heading("Data");
    source_controls(ui, cx, path_field);
    let data = cx.data;
    if let Some(loading) = &data.loading {
        loading_line(ui, cx, loading);
    }
    if let Some(error) = &data.data_error {
        ui.colored_label(ui.visuals().error_fg_color, error.as_str())
            .on_hover_text("The data you had before is still loaded and usable.");
    }
    let Some(table) = data.table.clone() else {
        return;
    };
    ui.label(format!(
        "{}: {} rows × {} columns",
        cx.settings.source.label(),
        table.n_rows(),
        table.n_cols()
    ));
    egui::CollapsingHeader::new("Preview")
        .default_open(false)
        .show(ui, |ui| preview(&table, ui));
    egui::CollapsingHeader::new("Columns")
        .default_open(false)
        .show(ui, |ui| column_summary(&table, data.summary(), ui));
    data_notes(&data.data_notes, ui);
    ui.separator();
    problem_controls(ui, cx, &table);
}

fn source_controls(ui: &mut egui::Ui, cx: &mut PanelContext<'_>, path_field: &mut String) {
    egui::CollapsingHeader::new("Generate customers")
        .default_open(matches!(cx.settings.source, Source::Generated(_)))
        .show(ui, |ui| {
            let synth = &mut cx.settings.synth;
            let before = synth.preset;
            egui::ComboBox::from_label("preset")
                .selected_text(synth.preset.name())
                .show_ui(ui, |ui| {
                    for p in Preset::ALL {
                        ui.selectable_value(&mut synth.preset, p, p.name())
                            .on_hover_text(p.description());
                    }
                })
                .response
                .on_hover_text(synth.preset.description());
            ui.add(egui::Slider::new(&mut synth.rows, 50..=20_000).logarithmic(true).text("rows"))
                .on_hover_text("How many customers to generate");
            ui.add(egui::Slider::new(&mut synth.noise, 0.0..=1.0).text("noise"))
                .on_hover_text("0 = clean labels; higher flips labels (customers) or jitters points (shapes), so even a perfect model makes mistakes");
            if synth.preset.uses_balance() {
                ui.add(egui::Slider::new(&mut synth.balance, 0.05..=0.95).text("share positive"))
                    .on_hover_text("Share of rows in the positive class; the class of interest (buyers, churners) is often rare");
            }
            if synth.preset == Preset::Customers {
                ui.add(egui::Slider::new(&mut synth.missing, 0.0..=0.5).text("missing cells"))
                    .on_hover_text("Share of feature cells left empty, to practise missing-value strategies");
            }
            ui.add(egui::DragValue::new(&mut synth.seed).prefix("seed "))
                .on_hover_text("The same seed always generates the same customers");
            let changed_preset = synth.preset != before;
            if ui
                .button("Regenerate")
                .on_hover_text("Generate the data with these settings")
                .clicked()
                || changed_preset
            {
                let source = Source::Generated(cx.settings.synth.clone());
                cx.commands.push(AppCommand::LoadSource(source));
            }
        });
    egui::CollapsingHeader::new("Open a CSV file")
        .default_open(matches!(cx.settings.source, Source::File(_)))
        .show(ui, |ui| {
            if ui
                .button("Open CSV…")
                .on_hover_text("Choose a customer file: a header row, then one row per customer (`,` `;` or tab)")
                .clicked()
            {
                cx.commands.push(AppCommand::OpenDialog(Dialog::OpenCsv));
            }
            let hint = ui.weak("…or drop a file onto the window, or type its path:");
            // Load at the right edge and the field in the width left, so
            // the button is never cut however narrow the panel.
            let row = egui::Layout::right_to_left(egui::Align::Center);
            ui.allocate_ui_with_layout(egui::vec2(ui.available_width(), 0.0), row, |ui| {
                let load = ui.button("Load");
                let field = ui
                    .add(
                        egui::TextEdit::singleline(path_field)
                            .hint_text("/path/to/customers.csv")
                            .desired_width(ui.available_width()),
                    )
                    .labelled_by(hint.id);
                let enter = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                if (load.clicked() || enter) && !path_field.trim().is_empty() {
                    let path = std::path::PathBuf::from(path_field.trim());
                    cx.commands.push(AppCommand::LoadSource(Source::File(path)));
                }
            });
        });
}

fn preview(table: &Table, ui: &mut egui::Ui) {
    egui::ScrollArea::horizontal()
        .id_salt("preview")
        .show(ui, |ui| {
            egui::Grid::new("preview_grid")
                .striped(true)
                .show(ui, |ui| {
                    for c in table.columns() {
                        ui.strong(&c.name);
                    }
                    ui.end_row();
                    for r in 0..table.n_rows().min(PREVIEW_ROWS) {
                        for c in table.columns() {
                            match c.text(r) {
                                Some(t) => ui.label(t.as_ref()),
                                None => ui.weak("·"),
                            };
                        }
                        ui.end_row();
                    }
                });
        });
}

/// The reader's and the recipe's notes: what was recognised, dropped or
/// merged. Open by default when one of them is a warning.
fn data_notes(notes: &[DataNote], ui: &mut egui::Ui) {
    if notes.is_empty() {
        return;
    }
    let warnings = notes
        .iter()
        .filter(|n| n.severity == Severity::Warning)
        .count();
    let title = if warnings > 0 {
        format!("Data notes ({} · {warnings} to check)", notes.len())
    } else {
        format!("Data notes ({})", notes.len())
    };
    egui::CollapsingHeader::new(title)
        .id_salt("data_notes")
        .default_open(warnings > 0)
        .show(ui, |ui| {
            egui::ScrollArea::vertical()
                .id_salt("data_notes_scroll")
                .max_height(160.0)
                .show(ui, |ui| {
                    for note in notes {
                        match note.severity {
                            Severity::Warning => {
                                ui.colored_label(
                                    ui.visuals().warn_fg_color,
                                    format!("warning: {}", note.text),
                                );
                            }
                            Severity::Info => {
                                ui.label(&note.text);
                            }
                        }
                    }
                });
        });
}

/// The loader's summary of each column (worked out once, not per frame).
fn column_summary(table: &Table, summary: &[ColumnSummary], ui: &mut egui::Ui) {
    egui::Grid::new("summary_grid")
        .striped(true)
        .show(ui, |ui| {
            ui.strong("column");
            ui.strong("type");
            ui.strong("missing");
            ui.end_row();
            for s in summary {
                let (kind, recognised) = match table.cell_format(&s.name) {
                    CellFormat::Date(f) => ("date".to_owned(), format!("; {}", f.describe())),
                    CellFormat::Number(f) if !f.describe().is_empty() => {
                        (s.kind.to_string(), format!("; {}", f.describe()))
                    }
                    _ => (s.kind.to_string(), String::new()),
                };
                ui.label(&s.name)
                    .on_hover_text(format!("{}{recognised}", s.describe()));
                ui.label(kind);
                ui.label(s.missing.to_string());
                ui.end_row();
            }
        });
}

fn problem_controls(ui: &mut egui::Ui, cx: &mut PanelContext<'_>, table: &Table) {
    let data = cx.data;
    let numeric = data.numeric_features(cx.settings);
    let Some(problem) = cx.settings.problem.as_mut() else {
        return;
    };
    ui.strong("What to predict");
    target_choice(ui, problem, table);
    kind_and_label_choice(ui, problem, table, data.target_labels(&problem.target));

    ui.strong("Features");
    feature_checkboxes(ui, problem, table, &data.unfit_columns);
    // The features as this frame began: a feature unticked now takes its
    // crosses with it, and the checkboxes follow on the next frame.
    let numeric: Vec<String> = numeric
        .into_iter()
        .filter(|f| problem.features.contains(f))
        .collect();
    cross_checkboxes(ui, problem, &numeric);

    ui.strong("Preparation");
    preparation_controls(ui, problem);
    preparation_outcome(ui, data);
}

/// The target box; a new target stops being a feature, the old one becomes
/// one again, and the positive label moves to the new target's last label.
fn target_choice(ui: &mut egui::Ui, problem: &mut ProblemChoice, table: &Table) {
    let before_target = problem.target.clone();
    egui::ComboBox::from_label("target")
        .selected_text(&problem.target)
        .show_ui(ui, |ui| {
            for name in table.column_names() {
                ui.selectable_value(&mut problem.target, name.to_owned(), name);
            }
        })
        .response
        .on_hover_text("The column the network learns to predict");
    if problem.target != before_target {
        // The old target becomes a feature again; the new one stops being one.
        let target = problem.target.clone();
        problem.features.retain(|f| *f != target);
        problem
            .crosses
            .retain(|c| !c.columns().contains(&target.as_str()));
        if table.column(&before_target).is_some() && !problem.features.contains(&before_target) {
            problem.features.push(before_target);
        }
        let found = labels(table, &target);
        problem.positive = found.last().cloned().unwrap_or_default();
        // The task follows the target (a quantity is a regression, 3 to 20
        // labels are multi-class); the radio buttons below override it.
        problem.regression = regression_by_default(table, &target);
        problem.multiclass = !problem.regression && multiclass_by_default(table, &target);
    }
}

/// Classification or regression, and for classification the positive label
/// and whether its spelling variants count.
/// `found` is the target's labels as the preparation thread counted them
/// (`None` until it has: counting a million cells is no frame's work).
fn kind_and_label_choice(
    ui: &mut egui::Ui,
    problem: &mut ProblemChoice,
    table: &Table,
    found: Option<&[String]>,
) {
    let numeric_target = table
        .column(&problem.target)
        .is_some_and(|c| c.kind() == ColumnKind::Numeric);
    // Three kinds over two flags: (regression, multi-class).
    let mut kind = (
        problem.regression,
        problem.multiclass && !problem.regression,
    );
    // Wrapped: at 150 % zoom the three do not fit on one line of the panel.
    ui.horizontal_wrapped(|ui| {
        ui.radio_value(&mut kind, (false, false), "classification")
            .on_hover_text(
                "Predict the probability that the target has the positive label (will buy: yes)",
            );
        ui.add_enabled_ui(numeric_target, |ui| {
            ui.radio_value(&mut kind, (true, false), "regression")
                .on_hover_text("Predict the target's number (e.g. spend); needs a numeric target");
        });
        ui.radio_value(&mut kind, (false, true), "multi-class")
            .on_hover_text("Predict which of the target's 3 to 20 labels a customer has (which plan): a probability for every class");
    });
    (problem.regression, problem.multiclass) = kind;
    if problem.multiclass && !problem.regression {
        ui.checkbox(&mut problem.merge_label_variants, "merge spelling variants")
            .on_hover_text("Count labels that differ only in case or spaces (Basic, basic) as one class; the data notes list them");
    } else if !problem.regression {
        let found = found.unwrap_or_default();
        egui::ComboBox::from_label("positive label")
            .selected_text(&problem.positive)
            .show_ui(ui, |ui| {
                if found.is_empty() {
                    ui.weak("counting the labels…");
                }
                for l in found {
                    ui.selectable_value(&mut problem.positive, l.clone(), l);
                }
            })
            .response
            .on_hover_text(
                "Which target value is the class whose probability is shown (a purchase, a churn…)",
            );
        ui.checkbox(&mut problem.merge_label_variants, "merge spelling variants")
            .on_hover_text("Count labels that differ from the positive label only in case or spaces (yes, YES, ' Yes ') as positive; the data notes list them");
    }
}

/// One checkbox per column other than the target, with its kind (and why it
/// was left out, when it was) on hover.
fn feature_checkboxes(
    ui: &mut egui::Ui,
    problem: &mut ProblemChoice,
    table: &Table,
    unfit: &[(String, Unsuitable)],
) {
    let names: Vec<String> = table
        .column_names()
        .filter(|n| *n != problem.target)
        .map(str::to_owned)
        .collect();
    ui.horizontal_wrapped(|ui| {
        for name in &names {
            let mut on = problem.features.contains(name);
            let kind = table.column(name).map(|c| c.kind());
            let mut hint = match kind {
                Some(ColumnKind::Categorical) => {
                    "categorical: one input per category (one-hot)".to_owned()
                }
                _ => "numeric: one input, scaled".to_owned(),
            };
            if let Some((_, why)) = unfit.iter().find(|(n, _)| n == name) {
                hint.push_str(match why {
                    Unsuitable::Identifier => "\nlooks like an identifier: left out by default",
                    Unsuitable::Constant => "\nthe same in every row: left out by default",
                    Unsuitable::Sparse { .. } => "\nvalues in only a few rows: left out by default",
                });
            }
            if ui
                .checkbox(&mut on, name.as_str())
                .on_hover_text(hint)
                .changed()
            {
                if on {
                    // Keep table order so the layout is stable.
                    problem.features.push(name.clone());
                    problem
                        .features
                        .sort_by_key(|f| names.iter().position(|n| n == f));
                } else {
                    problem.features.retain(|f| f != name);
                    // Its crosses go with it.
                    problem
                        .crosses
                        .retain(|c| !c.columns().contains(&name.as_str()));
                }
            }
        }
    });
}

/// Most chosen numeric features the cross checkboxes are offered for (15
/// products at 6); beyond, `train --cross` takes any.
const MAX_CROSS_FEATURES: usize = 6;

/// The feature crosses of the chosen numeric features: x² and sin x of
/// each, x1·x2 of each pair, one checkbox each; open by default for the
/// classroom's few features.
/// `numeric`: the chosen numeric features.
fn cross_checkboxes(ui: &mut egui::Ui, problem: &mut ProblemChoice, numeric: &[String]) {
    if numeric.is_empty() {
        return;
    }
    let title = match problem.crosses.len() {
        0 => "Feature crosses".to_owned(),
        n => format!("Feature crosses ({n})"),
    };
    egui::CollapsingHeader::new(title)
        .id_salt("feature_crosses")
        .default_open(numeric.len() <= 3)
        .show(ui, |ui| {
            if numeric.len() > MAX_CROSS_FEATURES {
                ui.weak(format!(
                    "offered for up to {MAX_CROSS_FEATURES} numeric features ({} chosen); `purchase-lab train --cross` takes any",
                    numeric.len()
                ));
                return;
            }
            // Squares, then products, then sines: each kind together.
            let mut offered: Vec<Cross> = numeric
                .iter()
                .map(|a| Cross::Square { column: a.clone() })
                .collect();
            for (i, a) in numeric.iter().enumerate() {
                offered.extend(numeric[i + 1..].iter().map(|b| Cross::Product {
                    left: a.clone(),
                    right: b.clone(),
                }));
            }
            offered.extend(numeric.iter().map(|a| Cross::Sin { column: a.clone() }));
            ui.horizontal_wrapped(|ui| {
                for cross in offered {
                    let mut on = problem.crosses.contains(&cross);
                    let hint = match &cross {
                        Cross::Square { .. } => "the square: with both squares, a network without hidden layers can draw a circle",
                        Cross::Product { .. } => "the product: a saddle, as xor needs, without hidden layers",
                        Cross::Sin { .. } => "the sine (value in radians): waves, for repeating patterns",
                    };
                    if ui
                        .checkbox(&mut on, cross.name())
                        .on_hover_text(format!("An extra input: {hint}; computed before scaling, then scaled like the others"))
                        .changed()
                    {
                        if on {
                            problem.crosses.push(cross);
                        } else {
                            problem.crosses.retain(|c| *c != cross);
                        }
                    }
                }
            });
        });
}

/// Missing values, scaling, the test share and the row options.
fn preparation_controls(ui: &mut egui::Ui, problem: &mut ProblemChoice) {
    egui::ComboBox::from_label("missing values")
        .selected_text(impute_label(problem.impute))
        .show_ui(ui, |ui| {
            for i in [
                Impute::Median,
                Impute::Mean,
                Impute::MostFrequent,
                Impute::DropRows,
            ] {
                ui.selectable_value(&mut problem.impute, i, impute_label(i));
            }
        })
        .response
        .on_hover_text("How empty cells are filled (values learned from the training rows only)");
    egui::ComboBox::from_label("scaling")
        .selected_text(scale_label(problem.scale))
        .show_ui(ui, |ui| {
            for s in [Scale::MinMax, Scale::Standardize, Scale::None] {
                ui.selectable_value(&mut problem.scale, s, scale_label(s));
            }
        })
        .response
        .on_hover_text(
            "Numbers on similar scales help the network learn evenly from every feature",
        );
    let mut test_pct = problem.test_fraction * 100.0;
    if ui
        .add(
            egui::Slider::new(&mut test_pct, 5.0..=50.0)
                .step_by(5.0)
                .suffix(" % test"),
        )
        .on_hover_text("Rows held back to test the network on customers it never trained on")
        .changed()
    {
        problem.test_fraction = test_pct / 100.0;
    }
    if problem.regression {
        ui.checkbox(&mut problem.non_negative_target, "never below 0")
            .on_hover_text("Keep predictions at or above 0, for a target that cannot be negative (spend, visits); saved with the model");
    }
    ui.checkbox(&mut problem.drop_duplicates, "drop duplicate rows")
        .on_hover_text("Leave out rows that repeat another row exactly before the split, so no test customer is a copy of a training one");
}

/// The preparation's error, if any, and the rows and inputs it produced;
/// while the preparation thread works, a spinner.
fn preparation_outcome(ui: &mut egui::Ui, data: &DataSide) {
    if data.preparing() {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label("preparing the data (split, missing values, scaling)…");
        });
    }
    if let Some(error) = &data.prep_error {
        ui.colored_label(ui.visuals().error_fg_color, error.as_str());
    }
    if let Some(p) = &data.prepared {
        ui.weak(format!(
            "{} training rows, {} validation rows, {} test rows, {} network inputs{}",
            p.train.x.rows,
            p.valid.x.rows,
            p.test.x.rows,
            p.pipeline.n_features(),
            if p.dropped_rows > 0 {
                format!(", {} rows dropped", p.dropped_rows)
            } else {
                String::new()
            }
        ));
    }
}

fn impute_label(i: Impute) -> &'static str {
    match i {
        Impute::Median => "median",
        Impute::Mean => "mean",
        Impute::MostFrequent => "most frequent",
        Impute::DropRows => "drop rows",
        Impute::KeepMissing => "keep missing (trees)",
    }
}

fn scale_label(s: Scale) -> &'static str {
    match s {
        Scale::MinMax => "min-max to [0, 1]",
        Scale::Standardize => "standardize",
        Scale::None => "none",
    }
}
