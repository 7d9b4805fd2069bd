use super::*;

#[test]
fn an_input_name_is_cut_in_the_middle_to_fit_its_room() {
    // 6 points a character: 15 characters fit in 90 points.
    let width = |t: &str| t.chars().count() as f32 * 6.0;
    assert_eq!(fit_label("tenure", 90.0, width), "tenure");
    let cut = fit_label("payment_method=Bank transfer (automatic)", 90.0, width);
    assert_eq!(cut, "payment…omatic)");
    assert!(width(&cut) <= 90.0);
    assert_eq!(fit_label("abc", 3.0, width), "…");
}

#[test]
fn strongest_units_by_outgoing_weight_in_network_order() {
    // 4 units feeding 1 output: weights 0.1, -3, 0.5, 2.
    let w = LayerWeights {
        weights: vec![0.1, -3.0, 0.5, 2.0],
        bias: vec![0.0],
        n_in: 4,
        n_out: 1,
    };
    assert_eq!(strongest(4, 2, Some(&w), None), vec![1, 3]);
    assert_eq!(strongest(4, 8, Some(&w), None), vec![0, 1, 2, 3]);
    assert_eq!(strongest(4, 2, None, None), vec![0, 1]);
}

#[test]
fn units_silent_on_the_slice_give_way_to_active_ones() {
    let w = LayerWeights {
        weights: vec![0.1, -3.0, 0.5, 2.0],
        bias: vec![0.0],
        n_in: 4,
        n_out: 1,
    };
    // Unit 1 has the largest weight but never fires on this slice.
    let activity = vec![
        vec![0.0, 1.0],
        vec![0.0, 0.0],
        vec![0.5, 0.2],
        vec![0.0, 0.1],
    ];
    assert_eq!(strongest(4, 2, Some(&w), Some(&activity)), vec![2, 3]);
    // Activity of another layer's size is ignored, not misread.
    assert_eq!(strongest(4, 2, Some(&w), Some(&activity[..3])), vec![1, 3]);
}

#[test]
fn stale_weights_are_ignored() {
    let weights = [LayerWeights {
        weights: vec![0.0; 2],
        bias: vec![0.0],
        n_in: 2,
        n_out: 1,
    }];
    assert!(matching_weights(Some(&weights), &[2, 1]).is_some());
    assert!(matching_weights(Some(&weights), &[2, 4, 1]).is_none());
    assert!(matching_weights(None, &[2, 1]).is_none());
}

#[test]
fn unit_image_is_white_when_silent_and_orange_at_its_peak() {
    let mut values = vec![0.0; UNIT_RESOLUTION * UNIT_RESOLUTION];
    // Bottom-left cell of the slice fires most: the image's last row.
    values[0] = 2.0;
    let image = unit_image(&values);
    assert_eq!(
        image.pixels[(UNIT_RESOLUTION - 1) * UNIT_RESOLUTION],
        POSITIVE
    );
    assert_eq!(image.pixels[0], Color32::WHITE);
    // A dead unit (all zeros) is all white, not NaN-coloured.
    let dead = unit_image(&vec![0.0; UNIT_RESOLUTION * UNIT_RESOLUTION]);
    assert!(dead.pixels.iter().all(|&p| p == Color32::WHITE));
}
