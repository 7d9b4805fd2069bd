use super::*;

/// A 2-input, 1-output layer with weights `[a, b]`.
fn layer(a: f32, b: f32) -> LayerWeights {
    LayerWeights {
        weights: vec![a, b],
        bias: vec![0.0],
        n_in: 2,
        n_out: 1,
    }
}

#[test]
fn quantiles_interpolate_between_order_statistics() {
    // 0..=100: the q-th percentile is q itself.
    let values: Vec<f32> = (0..=100).rev().map(|v| v as f32).collect();
    assert_eq!(quantiles(&values), [5.0, 25.0, 50.0, 75.0, 95.0]);
    // [1, 2, 3, 4]: h = 3q; 5% -> 1.15, 25% -> 1.75, 50% -> 2.5,
    // 75% -> 3.25, 95% -> 3.85 (numpy.percentile gives the same).
    let got = quantiles(&[4.0, 1.0, f32::NAN, 3.0, 2.0]);
    for (g, want) in got.iter().zip([1.15, 1.75, 2.5, 3.25, 3.85]) {
        assert!((g - want).abs() < 1e-6, "{got:?}");
    }
    assert_eq!(quantiles(&[7.0]), [7.0; 5]);
    assert!(quantiles(&[]).iter().all(|v| v.is_nan()));
}

#[test]
fn a_link_gives_its_weight_in_each_kept_epoch() {
    let mut history = WeightHistory::default();
    // Two layers: 2 -> 2 (one row per unit), then 2 -> 1.
    let hidden = |e: f32| LayerWeights {
        weights: vec![e, 10.0 + e, 20.0 + e, 30.0 + e],
        bias: vec![0.0; 2],
        n_in: 2,
        n_out: 2,
    };
    for epoch in 1..=3 {
        let e = epoch as f32;
        history.record(epoch, &[hidden(e), layer(-e, e)]);
    }
    // Unit 1 of the hidden layer from input 0: row 1, column 0.
    assert_eq!(history.link(0, 0, 1), [(1, 21.0), (2, 22.0), (3, 23.0)]);
    assert_eq!(history.link(1, 0, 0), [(1, -1.0), (2, -2.0), (3, -3.0)]);
    assert!(history.link(2, 0, 0).is_empty());
    assert!(history.link(0, 5, 0).is_empty());
    // The same epoch again (a second surface) replaces its snapshot.
    history.record(3, &[hidden(9.0), layer(0.5, 0.5)]);
    assert_eq!(history.link(1, 0, 0), [(1, -1.0), (2, -2.0), (3, 0.5)]);
    assert_eq!(history.bands().len(), 3);
    assert_eq!(history.bands()[2].layers[1], [0.5; 5]);
}

#[test]
fn the_history_is_bounded_and_a_new_shape_starts_again() {
    let mut history = WeightHistory::default();
    let epochs = BAND_EPOCHS * 3;
    for epoch in 1..=epochs {
        history.record(epoch, &[layer(epoch as f32, 0.0)]);
    }
    let link = history.link(0, 0, 0);
    assert_eq!(link.len(), RECENT_EPOCHS);
    assert_eq!(link.last(), Some(&(epochs, epochs as f32)));
    assert_eq!(link.first().map(|l| l.0), Some(epochs - RECENT_EPOCHS + 1));
    let bands = history.bands();
    assert!(bands.len() <= BAND_EPOCHS, "{}", bands.len());
    assert!(bands.len() > BAND_EPOCHS / 4);
    // Thinned evenly: the first epoch stays, epochs keep increasing and the
    // newest is there.
    assert_eq!(bands[0].epoch, 1);
    assert!(bands.windows(2).all(|w| w[0].epoch < w[1].epoch));
    assert_eq!(bands.last().map(|b| b.epoch), Some(epochs));

    // A wider network: the old history is for another shape.
    let wide = LayerWeights {
        weights: vec![1.0; 6],
        bias: vec![0.0; 2],
        n_in: 3,
        n_out: 2,
    };
    history.record(1, &[wide]);
    assert_eq!(history.bands().len(), 1);
    assert_eq!(history.link(0, 2, 1), [(1, 1.0)]);
    history.record(2, &[]);
    assert_eq!(history.bands().len(), 1);
    history.clear();
    assert_eq!(history.n_layers(), 0);
}

#[test]
fn a_very_wide_network_keeps_fewer_full_snapshots() {
    let mut history = WeightHistory::default();
    let huge = LayerWeights {
        weights: vec![0.5; RECENT_FLOATS / 3],
        bias: vec![0.0; 1],
        n_in: RECENT_FLOATS / 3,
        n_out: 1,
    };
    for epoch in 1..=6 {
        history.record(epoch, std::slice::from_ref(&huge));
    }
    assert_eq!(history.link(0, 0, 0).len(), 3);
}
