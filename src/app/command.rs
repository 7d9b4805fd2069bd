//! What the panels ask for. A panel never calls into the app while the
//! frame is drawn: it pushes an [`AppCommand`] and the app applies the
//! queue after `ui` (rerun's `command_handling`), so every action that
//! crosses the app's parts is listed here, in one match.

use std::path::PathBuf;

use super::PurchaseLabApp;
use super::background::Dialog;
use super::evaluation::THRESHOLD_RANGE;
use super::export::PngView;
use super::lessons::Lesson;
use super::model_panel::FieldValue;
use super::runs::RunAction;
use super::settings::{Settings, Source};
use crate::worker::Command;

/// One action asked for by a panel (or a test driving the window).
#[derive(Debug, Clone)]
pub enum AppCommand {
    /// Train epoch after epoch.
    Play,
    /// Stop after the current epoch.
    Pause,
    /// Train exactly one epoch, then pause.
    Step,
    /// A fresh network with the current settings, paused.
    Reset,
    /// Set up a classroom lesson and play it once its data is ready.
    StartLesson(Box<Lesson>),
    EndLesson,
    /// Open a native file dialog; its path comes back as another action.
    OpenDialog(Dialog),
    /// Load or generate a table (the current one stays until it succeeds).
    LoadSource(Source),
    /// Stop the file load in progress.
    CancelLoad,
    /// Replace every setting at once, as a session file does.
    SetSettings(Box<Settings>),
    /// Save the network being trained as a `.plab` file.
    SaveModel(PathBuf),
    /// Open a `.plab` model for the what-if form.
    OpenModel(PathBuf),
    /// Capture the next frame and write one view of it as a PNG.
    ExportPng(PngView, PathBuf),
    SaveSession(PathBuf),
    OpenSession(PathBuf),
    /// Write the runs table, or one run's epochs, as CSV.
    SaveRunsCsv(PathBuf),
    SaveHistoryCsv {
        run: u64,
        path: PathBuf,
    },
    /// Something done to one recorded run in the Runs window.
    Run {
        id: u64,
        action: RunAction,
    },
    /// Set one field of the what-if form.
    SetWhatIfField {
        column: String,
        value: FieldValue,
    },
    StartSweep,
    CancelSweep,
    /// K-fold cross-validation of the current setup (the Cross-validation
    /// window's K) on a background thread.
    CrossValidate,
    CancelCrossValidation,
    /// Show the Cross-validation window.
    OpenCrossValidation,
    /// Put the best sweep run's settings into the controls.
    ApplyBestSweep,
    /// Show the Insights window (its views are computed for the model as
    /// it stands).
    OpenInsights,
    /// Compute the Insights views again for the model as it stands (also
    /// while it trains).
    RefreshInsights,
    /// Write one Insights view's numbers as CSV.
    ExportInsightCsv(crate::insights::export::InsightView, PathBuf),
    /// Move the evaluation's threshold slider (e.g. to the profit-best
    /// threshold), clamped to the slider's range.
    SetThreshold(f64),
    /// Apply the best sweep run's settings and take its trained network.
    RestoreBestSweepModel,
    /// Presentation mode on or off (larger type for a projector).
    Presentation(bool),
    DismissError,
    DismissNotice,
    DismissRunsNotice,
}

/// Commands pushed during a frame, in order.
#[derive(Debug, Default)]
pub struct CommandQueue {
    pending: Vec<AppCommand>,
}

impl CommandQueue {
    pub fn push(&mut self, command: AppCommand) {
        self.pending.push(command);
    }

    fn take(&mut self) -> Vec<AppCommand> {
        std::mem::take(&mut self.pending)
    }
}

impl PurchaseLabApp {
    /// Applies the queued commands (after `ui`, and before `logic` for any
    /// queued between frames).
    pub(super) fn run_commands(&mut self) {
        for command in self.commands.take() {
            self.apply_command(command);
        }
    }

    fn apply_command(&mut self, command: AppCommand) {
        match command {
            // While the data is being prepared the network of the settings
            // before is not the one asked for: the new one plays or steps
            // once it starts.
            AppCommand::Play if self.data.preparing() => self.training.play_when_ready(),
            AppCommand::Step if self.data.preparing() => self.training.step_when_ready(),
            AppCommand::Play => self.training.play(),
            AppCommand::Pause => self.training.pause(),
            AppCommand::Step => self.training.step(),
            AppCommand::Reset => self.training.reset(),
            AppCommand::StartLesson(lesson) => {
                lesson.apply(&mut self.settings);
                self.data.load(self.settings.source.clone(), &self.ctx);
                self.training.play_when_ready();
                self.windows.lesson = Some(*lesson);
            }
            AppCommand::EndLesson => self.windows.lesson = None,
            AppCommand::OpenDialog(kind) => match self.tasks.open_dialog(kind, &self.ctx) {
                Ok(prompt) => {
                    if prompt.is_some() {
                        self.windows.path_prompt = prompt;
                    }
                }
                Err(e) => self.data.data_error = Some(e),
            },
            AppCommand::LoadSource(source) => self.data.load(source, &self.ctx),
            AppCommand::CancelLoad => self.data.cancel_load(),
            AppCommand::SetSettings(settings) => self.settings = *settings,
            AppCommand::SaveModel(path) => self.training.send(Command::Save(path)),
            AppCommand::OpenModel(path) => self.training.send(Command::OpenModel(path)),
            AppCommand::ExportPng(view, path) => self.tasks.export_png(view, path, &self.ctx),
            AppCommand::SaveSession(path) => self.save_session(path),
            AppCommand::OpenSession(path) => self.open_session(path),
            AppCommand::SaveRunsCsv(path) => self.save_runs_csv(path),
            AppCommand::SaveHistoryCsv { run, path } => self.save_history_csv(run, path),
            AppCommand::Run { id, action } => self.run_action(id, action),
            AppCommand::SetWhatIfField { column, value } => {
                self.windows.what_if.values.insert(column, value);
            }
            AppCommand::StartSweep => self.start_sweep(),
            AppCommand::CancelSweep => self.windows.sweep.cancel(),
            AppCommand::CrossValidate => self.start_cross_validation(),
            AppCommand::CancelCrossValidation => self.windows.cv.cancel(),
            AppCommand::OpenCrossValidation => self.windows.cv.open = true,
            AppCommand::ApplyBestSweep => self.apply_best_sweep(),
            AppCommand::OpenInsights => {
                self.windows.insights.open = true;
                self.refresh_insights();
            }
            AppCommand::RefreshInsights => self.refresh_insights(),
            AppCommand::ExportInsightCsv(view, path) => self.export_insight_csv(view, path),
            AppCommand::SetThreshold(t) => {
                self.settings.threshold = t.clamp(THRESHOLD_RANGE.0, THRESHOLD_RANGE.1);
            }
            AppCommand::RestoreBestSweepModel => self.restore_best_sweep_model(),
            AppCommand::Presentation(on) => {
                self.settings.presentation = on;
                self.ctx.set_zoom_factor(if on {
                    super::layout::PRESENTATION_ZOOM
                } else {
                    1.0
                });
            }
            AppCommand::DismissError => self.training.run_mut().error = None,
            AppCommand::DismissNotice => self.training.run_mut().notice = None,
            AppCommand::DismissRunsNotice => self.windows.runs.notice = None,
        }
    }
}
