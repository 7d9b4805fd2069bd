use super::*;
use crate::data::table::ColumnKind;

fn settings(preset: Preset) -> SynthSettings {
    SynthSettings {
        preset,
        rows: 400,
        ..SynthSettings::default()
    }
}

fn positive_share(t: &Table, preset: Preset) -> f64 {
    let (target, positive) = preset.target();
    let c = t.column(target).unwrap();
    let n = (0..t.n_rows())
        .filter(|&r| c.text(r).as_deref() == Some(positive))
        .count();
    n as f64 / t.n_rows() as f64
}

#[test]
fn every_preset_is_deterministic_per_seed() {
    for preset in Preset::ALL {
        let a = generate(&settings(preset)).unwrap();
        let b = generate(&settings(preset)).unwrap();
        assert_eq!(a, b, "{preset} differs for the same seed");
        let c = generate(&SynthSettings {
            seed: 7,
            ..settings(preset)
        })
        .unwrap();
        assert_ne!(a, c, "{preset} ignores the seed");
    }
}

#[test]
fn class_balance_is_honoured() {
    for preset in Preset::ALL.into_iter().filter(|p| p.uses_balance()) {
        let s = SynthSettings {
            balance: 0.3,
            noise: 0.0,
            ..settings(preset)
        };
        let share = positive_share(&generate(&s).unwrap(), preset);
        assert!((share - 0.3).abs() < 0.02, "{preset}: share {share}");
    }
}

#[test]
fn label_noise_flips_about_half_the_noise_share() {
    let clean = generate(&SynthSettings {
        noise: 0.0,
        rows: 4000,
        ..SynthSettings::default()
    })
    .unwrap();
    let noisy = generate(&SynthSettings {
        noise: 0.4,
        rows: 4000,
        ..SynthSettings::default()
    })
    .unwrap();
    let a = clean.column("purchased").unwrap();
    let b = noisy.column("purchased").unwrap();
    let flipped = (0..4000).filter(|&r| a.text(r) != b.text(r)).count() as f64 / 4000.0;
    assert!((0.15..0.25).contains(&flipped), "flipped {flipped}");
}

#[test]
fn generated_numbers_print_short() {
    assert_eq!(round_to(7.3000001, 0.1).to_string(), "7.3");
    assert_eq!(round_to(280.7812, 0.01).to_string(), "280.78");
    assert_eq!(round_to(48_149.0, 100.0).to_string(), "48100");
    let t = generate(&SynthSettings {
        preset: Preset::Customers,
        rows: 300,
        ..SynthSettings::default()
    })
    .unwrap();
    let mut csv = Vec::new();
    crate::data::write::write_table(&t, &mut csv).unwrap();
    let text = String::from_utf8(csv).unwrap();
    assert!(
        !text.contains("0000000"),
        "long float tails in generated data"
    );
}

#[test]
fn visits_boundary_is_curved() {
    // Without noise, at the same page count, buying is not monotone in
    // minutes: short and very long visits do not buy, middle ones do.
    // A straight boundary could not do that.
    let pages = 8.0;
    let s: Vec<f64> = [1.0, 10.0, 45.0]
        .iter()
        .map(|&m| visit_score(m, pages))
        .collect();
    assert!(s[1] > s[0] && s[1] > s[2]);
}

#[test]
fn customers_have_every_column_kind_and_missing_cells() {
    let t = generate(&SynthSettings {
        preset: Preset::Customers,
        rows: 2000,
        missing: 0.1,
        ..SynthSettings::default()
    })
    .unwrap();
    assert_eq!(t.column("region").unwrap().kind(), ColumnKind::Categorical);
    assert_eq!(t.column("spend").unwrap().kind(), ColumnKind::Numeric);
    let income_missing = t.column("income").unwrap().missing_count();
    assert!((100..300).contains(&income_missing), "{income_missing}");
    assert_eq!(t.column("purchased").unwrap().missing_count(), 0);
    assert_eq!(t.column("spend").unwrap().missing_count(), 0);
}

#[test]
fn bad_settings_are_refused() {
    let bad = |s: SynthSettings| generate(&s).unwrap_err().to_string();
    assert_eq!(
        bad(SynthSettings {
            rows: 3,
            ..SynthSettings::default()
        }),
        "rows must be between 10 and 10000000, not 3"
    );
    assert!(
        bad(SynthSettings {
            noise: 2.0,
            ..SynthSettings::default()
        })
        .contains("noise")
    );
    assert!("moons".parse::<Preset>().is_err());
    assert_eq!("XOR".parse::<Preset>(), Ok(Preset::Xor));
}

fn numbers(c: &crate::data::table::Column) -> &[f64] {
    match &c.data {
        crate::data::table::ColumnData::Numeric(v) => v,
        other => panic!("{} is not numeric: {other:?}", c.name),
    }
}

/// The labels of `column` with their counts, sorted by label.
fn label_counts(t: &Table, column: &str) -> Vec<(String, usize)> {
    let c = t.column(column).unwrap();
    let mut counts = std::collections::BTreeMap::new();
    for r in 0..t.n_rows() {
        *counts.entry(c.text(r).unwrap().into_owned()).or_insert(0) += 1;
    }
    counts.into_iter().collect()
}

#[test]
fn blobs3_has_three_classes_in_the_asked_shares_around_three_centres() {
    let t = generate(&SynthSettings {
        preset: Preset::Blobs3,
        rows: 1001,
        balance: 0.4,
        noise: 0.0,
        ..SynthSettings::default()
    })
    .unwrap();
    assert_eq!(t.column_names().collect::<Vec<_>>(), ["x1", "x2", "class"]);
    assert_eq!(
        label_counts(&t, "class"),
        [
            ("blue".into(), 301),
            ("green".into(), 300),
            ("orange".into(), 400)
        ]
    );
    // Each class's mean lies near its centre: orange up, blue lower left,
    // green lower right.
    let (x1, x2, class) = (
        t.column("x1").unwrap(),
        t.column("x2").unwrap(),
        t.column("class").unwrap(),
    );
    for (label, cx, cy) in [
        (ORANGE, 0.0, 3.0),
        (BLUE, -2.598, -1.5),
        (GREEN, 2.598, -1.5),
    ] {
        let rows: Vec<usize> = (0..t.n_rows())
            .filter(|&r| class.text(r).as_deref() == Some(label))
            .collect();
        let mean = |c: &crate::data::table::Column| {
            rows.iter().map(|&r| numbers(c)[r]).sum::<f64>() / rows.len() as f64
        };
        assert!(
            (mean(x1) - cx).abs() < 0.2 && (mean(x2) - cy).abs() < 0.2,
            "{label}"
        );
    }
}

#[test]
fn segments_customers_choose_among_four_plans_in_similar_shares() {
    let t = generate(&SynthSettings {
        preset: Preset::Segments,
        rows: 4000,
        ..SynthSettings::default()
    })
    .unwrap();
    assert_eq!(
        t.column_names().collect::<Vec<_>>(),
        [
            "age",
            "income",
            "household_size",
            "monthly_usage_hours",
            "devices",
            "plan"
        ]
    );
    let counts = label_counts(&t, "plan");
    let labels: Vec<&str> = counts.iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(labels, ["basic", "family", "plus", "premium"]);
    for (label, n) in &counts {
        assert!((600..1500).contains(n), "{label}: {n} of 4000");
    }
    for c in t.columns() {
        assert_eq!(c.missing_count(), 0, "{}", c.name);
    }
    // Families live in bigger households than basic customers.
    let (household, plan) = (
        t.column("household_size").unwrap(),
        t.column("plan").unwrap(),
    );
    let mean_household = |label: &str| {
        let rows: Vec<f64> = (0..t.n_rows())
            .filter(|&r| plan.text(r).as_deref() == Some(label))
            .map(|r| numbers(household)[r])
            .collect();
        rows.iter().sum::<f64>() / rows.len() as f64
    };
    assert!(mean_household("family") > mean_household("basic") + 1.0);
}
