//! The Insights window (issue 16), driven as a user would: it opens from
//! the evaluation panel after training, shows the five views computed from
//! the trained model on the test customers, its profit button moves the
//! threshold slider to the profit-best threshold, each view exports as CSV
//! and PNG, and `purchase-lab evaluate` on the same customers with the
//! saved model writes the same numbers.

#![allow(
    clippy::unwrap_used,
    reason = "in a test, a failed unwrap is a failed test that names its line"
)]

#[path = "common/cli.rs"]
mod cli;
mod common;

use common::window::{self, Window, command, edit_settings, wait_for_notice, wait_until};
use eframe::egui::accesskit::Role;
use egui_kittest::kittest::{NodeT, Queryable};
use purchase_lab::app::AppCommand;
use purchase_lab::app::export::PngView;
use purchase_lab::app::insights_panel::tab_name;
use purchase_lab::app::insights_state::Shown;
use purchase_lab::data::prep::Part;
use purchase_lab::data::table::Table;
use purchase_lab::insights::export::InsightView;
use purchase_lab::insights::report::{InsightsReport, ReportSettings};
use purchase_lab::model::bundle::{Bundle, LoadedModel};
use purchase_lab::model::{BackendChoice, select_device};

/// The window after a short run on generated data ended, the Insights
/// window opened and its views computed.
fn trained_with_insights() -> Window {
    let mut h = window::open(None, None);
    train_and_open_insights(&mut h, 8);
    h
}

/// Trains `epochs` epochs, opens the Insights window as a user does and
/// waits for the views of the final model.
fn train_and_open_insights(h: &mut Window, epochs: usize) {
    edit_settings(h, |s| {
        s.train.epochs = epochs;
        s.until_paused = false;
        s.pace = None;
    });
    h.get_by_label("Play").click();
    wait_until(h, "the run to end", |app| app.run().finished);
    h.get_by_label("Insights...").click();
    // A new egui window spends its first frame sizing itself, unseen.
    h.run_steps(5);
    assert!(h.state().windows().insights.open);
    wait_until(h, "the views of the final model", |app| {
        let i = &app.windows().insights;
        !i.busy() && i.shown.as_ref().is_some_and(|s| s.final_model)
    });
}

/// What the Insights window shows.
fn shown_views(h: &Window) -> &Shown {
    h.state().windows().insights.shown.as_ref().unwrap()
}

/// The report the window shows.
fn shown(h: &Window) -> InsightsReport {
    shown_views(h).report.clone()
}

/// The test customers' rows of the loaded table.
fn test_rows(h: &Window) -> Table {
    let app = h.state();
    let prepared = app.data().prepared().unwrap();
    app.data()
        .table()
        .unwrap()
        .select_rows(&prepared.part(Part::Test).source_rows)
}

/// Saves the trained model as a user does and waits for the file.
fn save_model(h: &mut Window, path: &std::path::Path) {
    command(h, AppCommand::SaveModel(path.to_path_buf()));
    wait_for_notice(h, "model saved");
}

#[test]
fn the_views_are_the_trained_models_and_the_profit_button_moves_the_threshold() {
    let mut h = trained_with_insights();
    let report = shown(&h);
    let n_test = h.state().data().prepared().unwrap().test.x.rows;
    assert_eq!(report.rows, n_test);
    assert!(
        h.query_by_label(&format!("On the {n_test} test customers, final model"))
            .is_some()
    );

    // The same views computed here from the saved model: the window's
    // numbers are the trained model's.
    let dir = tempfile::tempdir().unwrap();
    let model_path = dir.path().join("model.plab");
    save_model(&mut h, &model_path);
    let bundle = Bundle::load(&model_path).unwrap();
    let model = LoadedModel::new(bundle, &select_device(BackendChoice::Cpu).unwrap()).unwrap();
    let labels = h.state().data().prepared().unwrap().test.y.clone();
    let expected =
        InsightsReport::of_model(&model, &test_rows(&h), &labels, &ReportSettings::default())
            .unwrap();
    assert_eq!(report, expected);

    // Each view shows its numbers.
    let gains = report.gains.as_ref().unwrap();
    assert!(
        h.query_all_by_label(&format!("{:.3}", gains.deciles[0].cumulative_gain))
            .next()
            .is_some()
    );
    h.get_by_label("Calibration").click();
    h.run_steps(3);
    let brier = report.calibration.as_ref().unwrap().brier;
    assert!(
        h.query_by_label_contains(&format!("Brier score {brier:.4}"))
            .is_some()
    );
    h.get_by_label("Importance").click();
    h.run_steps(3);
    for f in &report.importance.features {
        let mean = format!("{:.4}", f.mean);
        assert!(
            h.query_all_by_label(&mean).next().is_some(),
            "{}: {mean}",
            f.column
        );
    }
    h.get_by_label("Dependence").click();
    h.run_steps(3);
    let feature = &report.dependence.as_ref().unwrap().feature;
    assert!(
        h.query_by_label_contains(&format!("as `{feature}` varies"))
            .is_some()
    );

    // The profit button moves the evaluation's threshold slider to the
    // profit-best threshold.
    h.get_by_label("Profit").click();
    h.run_steps(3);
    let best = report
        .profit
        .as_ref()
        .unwrap()
        .best_threshold()
        .clamp(0.01, 0.99);
    let elsewhere = if best > 0.5 { 0.2 } else { 0.8 };
    command(&mut h, AppCommand::SetThreshold(elsewhere));
    h.run_steps(2);
    assert_eq!(h.state().settings().threshold, elsewhere);
    h.get_by_label(&format!("Move the threshold slider to {best:.3}"))
        .click();
    h.run_steps(3);
    assert!((h.state().settings().threshold - best).abs() < 1e-12);
    let slider = h.get_by_role_and_label(Role::Slider, "threshold");
    let on_screen = slider.accesskit_node().numeric_value().unwrap();
    assert!((on_screen - best).abs() < 1e-9, "{on_screen} vs {best}");

    // The CLI on the same customers with the saved model: the same numbers.
    let data = dir.path().join("test-rows.csv");
    purchase_lab::data::write_csv(&test_rows(&h), &data).unwrap();
    let (json, _) = cli::ok(&[
        "evaluate",
        "--model",
        model_path.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--json",
        "--backend",
        "cpu",
    ]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["rows"].as_u64().unwrap() as usize, n_test);
    let close = |a: &serde_json::Value, b: f64| (a.as_f64().unwrap() - b).abs() < 1e-6;
    assert!(
        close(&v["calibration"]["brier"], brier),
        "{}",
        v["calibration"]
    );
    for (json, d) in v["gains"]["deciles"]
        .as_array()
        .unwrap()
        .iter()
        .zip(&gains.deciles)
    {
        assert!(close(&json["cumulative_gain"], d.cumulative_gain));
        assert!(close(&json["lift"], d.lift));
    }
    assert!(close(
        &v["profit"]["points"][v["profit"]["best"].as_u64().unwrap() as usize]["profit"],
        report.profit.as_ref().unwrap().best_point().profit
    ));
    let columns: Vec<&str> = v["importance"]["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["column"].as_str().unwrap())
        .collect();
    let ours: Vec<&str> = report
        .importance
        .features
        .iter()
        .map(|f| f.column.as_str())
        .collect();
    assert_eq!(columns, ours);
}

#[test]
fn each_view_exports_as_csv_and_png() {
    let mut h = trained_with_insights();
    let report = shown(&h);
    let dir = tempfile::tempdir().unwrap();
    for view in InsightView::ALL {
        h.get_by_label(tab_name(view)).click();
        h.run_steps(3);
        let csv = dir.path().join(view.csv_name());
        command(&mut h, AppCommand::ExportInsightCsv(view, csv.clone()));
        wait_until(&mut h, "the CSV", |_| csv.exists());
        let mut expected = dir.path().join("expected.csv");
        expected.set_extension(format!("{}.csv", view.name()));
        report.write_csv(view, &expected).unwrap();
        assert_eq!(
            std::fs::read_to_string(&csv).unwrap(),
            std::fs::read_to_string(&expected).unwrap(),
            "{view:?}"
        );

        let png = dir.path().join(PngView::Insight(view).file_name());
        h.run_steps(2);
        let rect = h.state().view_rects().get(PngView::Insight(view)).unwrap();
        command(
            &mut h,
            AppCommand::ExportPng(PngView::Insight(view), png.clone()),
        );
        wait_until(&mut h, "the image", |_| png.exists());
        wait_for_notice(&mut h, "image saved");
        let decoder =
            png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&png).unwrap()));
        let reader = decoder.read_info().unwrap();
        let ppp = h.ctx.pixels_per_point();
        assert!(
            (reader.info().width as f32 - rect.width() * ppp).abs() <= 2.0,
            "{view:?}: {} vs {rect:?}",
            reader.info().width
        );
        h.get_by_label("dismiss").click();
        h.run_steps(2);
    }
}

/// Not every target is a purchase: on churn data the views name the
/// positive class in the data's words (`churn = Yes`), in the gains text,
/// the decile table, the profit inputs and the calibration axis, and never
/// say "buyers".
#[test]
fn the_views_use_the_targets_own_words() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("churn.csv");
    let mut csv = String::from("tenure,monthly,contract,churn\n");
    for i in 0..400u32 {
        let tenure = (i * 37) % 72;
        let monthly = 20 + (i * 53) % 100;
        let contract = ["month", "year", "two years"][(i % 3) as usize];
        let churn = if tenure < 12 && monthly > 60 {
            "Yes"
        } else {
            "No"
        };
        csv.push_str(&format!("{tenure},{monthly},{contract},{churn}\n"));
    }
    std::fs::write(&path, csv).unwrap();
    let mut h = window::open(None, Some(path));
    let problem = h.state().settings().problem.clone().unwrap();
    assert_eq!(
        (problem.target.as_str(), problem.positive.as_str()),
        ("churn", "Yes")
    );
    train_and_open_insights(&mut h, 5);
    assert_eq!(shown_views(&h).positive, "churn = Yes");
    let says_buyers = |h: &Window| h.query_all_by_label_contains("buyer").next().is_some();
    assert!(
        h.query_by_label_contains("customers with churn = Yes")
            .is_some(),
        "the gains text names the positive class"
    );
    assert!(
        h.query_by_label("churn = Yes").is_some(),
        "the decile table's column"
    );
    assert!(!says_buyers(&h), "the gains view says buyers");
    h.get_by_label("Profit").click();
    h.run_steps(3);
    assert!(
        h.query_by_label_contains("with churn = Yes, profit")
            .is_some(),
        "the best-threshold line names the positive class"
    );
    assert!(!says_buyers(&h), "the profit view says buyers");
    h.get_by_label("Calibration").click();
    h.run_steps(3);
    assert!(!says_buyers(&h), "the calibration view says buyers");
}

/// Makes the README's gains chart with the app's own PNG export: the
/// window on the real telco churn file, 40 epochs, the Insights window's
/// gains view of the final model on the test customers.
#[test]
#[ignore = "writes docs/gains-telco.png: PURCHASE_LAB_TELCO=path/to/telco_churn.csv cargo test --test insights_window -- --ignored"]
fn readme_gains_chart_on_telco() {
    let telco = std::env::var("PURCHASE_LAB_TELCO")
        .expect("PURCHASE_LAB_TELCO names the telco_churn.csv to chart");
    let mut h = window::open(None, Some(telco.into()));
    assert_eq!(
        h.state().settings().problem.as_ref().unwrap().target,
        "churn"
    );
    train_and_open_insights(&mut h, 40);
    h.run_steps(3);
    let png = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/gains-telco.png");
    command(
        &mut h,
        AppCommand::ExportPng(PngView::Insight(InsightView::Gains), png.clone()),
    );
    wait_for_notice(&mut h, "image saved");
    let gains = shown(&h).gains.unwrap();
    eprintln!(
        "{} test customers, {} churners; top decile: lift {:.2}, {:.1} % of churners; top three deciles: {:.1} %",
        gains.customers,
        gains.buyers,
        gains.deciles[0].lift,
        100.0 * gains.deciles[0].cumulative_gain,
        100.0 * gains.deciles[2].cumulative_gain
    );
}
