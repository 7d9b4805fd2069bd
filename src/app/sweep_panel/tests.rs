use super::*;

#[test]
fn the_time_left_comes_from_the_time_so_far_and_the_share_done() {
    let started = std::time::Instant::now().checked_sub(std::time::Duration::from_secs(60));
    assert_eq!(time_left(started, 0.5), ", about 60 s left");
    assert_eq!(time_left(started, 0.2), ", about 4 min left");
    assert_eq!(time_left(started, 0.01), "", "too early to say");
    assert_eq!(time_left(None, 0.5), "");
}

#[test]
fn layouts_are_read_as_the_cli_writes_them() {
    assert_eq!(
        parse_layouts("0; 16; 64, 32; 8-8-8").unwrap(),
        vec![vec![], vec![16], vec![64, 32], vec![8, 8, 8]]
    );
    assert_eq!(parse_layouts("  ").unwrap(), Vec::<Vec<usize>>::new());
    let err = parse_layouts("16; 64, x").unwrap_err();
    assert!(err.contains("`x` in `64, x`"), "{err}");
    assert!(parse_layouts("16, 0").is_err(), "a layer of 0 neurons");
}

#[test]
fn the_form_sweeps_layouts_or_widths_but_says_so_when_given_both() {
    let mut form = SweepState {
        layouts: "0; 32".into(),
        widths: String::new(),
        ..SweepState::default()
    };
    let grid = form.grid().unwrap();
    assert_eq!(grid.hidden, vec![vec![], vec![32]]);
    let points = grid
        .expand(
            &crate::model::NetworkSpec::default(),
            &crate::model::TrainSettings::default(),
        )
        .unwrap();
    // 3 learning rates × 2 layouts.
    assert_eq!(points.len(), 6);
    form.widths = "8".into();
    let both = form
        .grid()
        .unwrap()
        .expand(
            &crate::model::NetworkSpec::default(),
            &crate::model::TrainSettings::default(),
        )
        .unwrap_err();
    assert!(both.to_string().contains("not both"), "{both}");
}
