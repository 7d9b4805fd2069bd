//! The Insights window's state and its computation: the training thread
//! sends the model as it stands ([`Event::Snapshot`](crate::worker::Event),
//! a model file's bytes), and a named thread opens it on the CPU, scores
//! the rows the evaluation panel shows (validation rows while training,
//! test rows once the run ended or while watched) and computes the five
//! views ([`InsightsReport`]). One computation at a time; a snapshot that
//! arrives meanwhile waits its turn (only the newest is kept), so the UI
//! never waits for a thread.

use std::sync::Arc;

use super::background::Task;
use crate::data::prep::{Part, Prepared};
use crate::data::table::Table;
use crate::insights::export::InsightView;
use crate::insights::profit::{CampaignEconomics, ProfitCurve};
use crate::insights::report::{InsightsReport, ReportSettings};
use crate::model::bundle::{Bundle, LoadedModel};
use crate::model::{BackendChoice, select_device};

/// Everything one computation needs, taken when the snapshot arrived.
pub struct InsightsJob {
    pub bundle: Arc<Bundle>,
    pub table: Arc<Table>,
    pub prepared: Arc<Prepared>,
    pub part: Part,
    /// The run had ended: the final model on the test rows.
    pub final_model: bool,
    pub epoch: usize,
    pub settings: ReportSettings,
}

/// A finished computation and what it was computed on.
pub struct Shown {
    pub report: InsightsReport,
    /// The positive class in the data's own words (`churn = Yes`), for
    /// the views' labels: not every target is a purchase.
    pub positive: String,
    pub part: Part,
    pub final_model: bool,
    pub epoch: usize,
}

/// What the computing thread sends back.
type Outcome = Result<Shown, String>;

/// The window's choices, its last views and the computation in flight.
pub struct InsightsState {
    pub open: bool,
    /// The view shown.
    pub tab: InsightView,
    /// The profit curve's inputs, edited in the window.
    pub economics: CampaignEconomics,
    /// The partial dependence's feature (`None`: the most important
    /// numeric one).
    pub feature: Option<String>,
    /// A snapshot was asked of the training thread and has not come yet.
    pub awaiting: bool,
    task: Option<Task<Outcome>>,
    queued: Option<InsightsJob>,
    pub shown: Option<Shown>,
    /// The profit curve at the current inputs, with the inputs it is for.
    profit: Option<(CampaignEconomics, ProfitCurve)>,
    pub error: Option<String>,
}

impl Default for InsightsState {
    fn default() -> Self {
        InsightsState {
            open: false,
            tab: InsightView::Gains,
            economics: CampaignEconomics::default(),
            feature: None,
            awaiting: false,
            task: None,
            queued: None,
            shown: None,
            profit: None,
            error: None,
        }
    }
}

impl InsightsState {
    /// A computation is running, queued or waiting for its snapshot.
    pub fn busy(&self) -> bool {
        self.awaiting || self.task.is_some() || self.queued.is_some()
    }

    /// The settings a new computation uses: the window's inputs.
    pub fn settings(&self) -> ReportSettings {
        ReportSettings {
            economics: self.economics,
            feature: self.feature.clone(),
            ..ReportSettings::default()
        }
    }

    /// Computes `job` on a named thread, or queues it behind the one
    /// running (replacing any queued before it).
    pub fn start(&mut self, job: InsightsJob, notify: impl Fn() + Send + 'static) {
        self.awaiting = false;
        if self.task.is_some() {
            self.queued = Some(job);
            return;
        }
        match Task::spawn("purchase-lab-insights", true, notify, move || compute(job)) {
            Ok(task) => self.task = Some(task),
            Err(e) => self.error = Some(e),
        }
    }

    /// Collects a finished computation; returns the queued job to start
    /// next, if any.
    pub fn poll(&mut self) -> Option<InsightsJob> {
        let task = self.task.as_mut()?;
        match task.poll() {
            Some(Ok(shown)) => {
                self.error = None;
                self.profit = None;
                self.shown = Some(shown);
            }
            Some(Err(e)) => self.error = Some(e),
            None if task.is_lost() => {
                self.error = Some("the insights stopped on an internal error".into());
            }
            None => return None,
        }
        self.task = None;
        self.queued.take()
    }

    /// The profit curve at the window's current inputs: the computed one,
    /// or recomputed from the same scores when the inputs changed (a sort
    /// of the scores, as the evaluation's metrics are at a new threshold).
    pub fn profit(&mut self) -> Option<&ProfitCurve> {
        let economics = self.economics;
        let shown = self.shown.as_ref()?;
        let fresh = self.profit.as_ref().is_some_and(|(e, _)| *e == economics);
        if !fresh {
            let computed_with = shown.report.profit.as_ref().map(|p| p.economics);
            let curve = if computed_with == Some(economics) {
                shown.report.profit.clone()
            } else {
                shown.report.profit_with(economics).and_then(Result::ok)
            };
            self.profit = curve.map(|c| (economics, c));
        }
        self.profit.as_ref().map(|(_, c)| c)
    }
}

/// Opens the snapshot on the CPU (scoring a few thousand rows is quick
/// there and leaves the GPU to training) and computes the views on the
/// job's rows.
fn compute(job: InsightsJob) -> Outcome {
    let device = select_device(BackendChoice::Cpu).map_err(|e| e.to_string())?;
    let model = LoadedModel::new((*job.bundle).clone(), &device).map_err(|e| e.to_string())?;
    let rows = job.prepared.part(job.part);
    let table = job.table.select_rows(&rows.source_rows);
    let report = InsightsReport::of_model(&model, &table, &rows.y, &job.settings)
        .map_err(|e| e.to_string())?;
    let pipeline = &job.prepared.pipeline;
    let positive = pipeline.encoding.class_names().map_or_else(
        || pipeline.target.clone(),
        |(label, _)| format!("{} = {label}", pipeline.target),
    );
    Ok(Shown {
        report,
        positive,
        part: job.part,
        final_model: job.final_model,
        epoch: job.epoch,
    })
}
