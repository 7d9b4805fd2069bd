use super::*;

#[test]
fn defaults_are_valid() {
    assert_eq!(NetworkSpec::default().validate(), Ok(()));
    assert_eq!(TrainSettings::default().validate(), Ok(()));
    let settings = TrainSettings::default();
    assert_eq!(settings.learning_rate, 0.001);
    assert_eq!(settings.l2, 0.001);
    assert_eq!(settings.batch_size, 32);
    assert_eq!(settings.epochs, 50);
    assert_eq!(settings.seed, 42);
}

#[test]
fn no_hidden_layer_is_valid() {
    let spec = NetworkSpec {
        hidden: vec![],
        ..NetworkSpec::default()
    };
    assert_eq!(spec.validate(), Ok(()));
}

#[test]
fn network_messages() {
    let too_deep = NetworkSpec {
        hidden: vec![4; 7],
        ..NetworkSpec::default()
    };
    assert_eq!(
        too_deep.validate().unwrap_err().to_string(),
        "7 hidden layers requested; at most 6 are supported"
    );
    let empty_layer = NetworkSpec {
        hidden: vec![8, 0],
        ..NetworkSpec::default()
    };
    assert_eq!(
        empty_layer.validate().unwrap_err().to_string(),
        "hidden layer 2 has 0 neurons; each layer needs 1 to 256"
    );
    let wide = NetworkSpec {
        hidden: vec![257],
        ..NetworkSpec::default()
    };
    assert!(matches!(
        wide.validate(),
        Err(SpecError::LayerWidth {
            layer: 1,
            neurons: 257
        })
    ));
    for dropout in [1.0, -0.1, f64::NAN] {
        let spec = NetworkSpec {
            dropout,
            ..NetworkSpec::default()
        };
        assert!(matches!(spec.validate(), Err(SpecError::Dropout(_))));
    }
    let spec = NetworkSpec {
        dropout: 1.0,
        ..NetworkSpec::default()
    };
    assert_eq!(
        spec.validate().unwrap_err().to_string(),
        "dropout 1 is outside 0 (inclusive) to 1 (exclusive)"
    );
}

#[test]
fn settings_messages() {
    let message = |settings: TrainSettings| settings.validate().unwrap_err().to_string();
    let base = TrainSettings::default();
    assert_eq!(
        message(TrainSettings {
            learning_rate: 50.0,
            ..base.clone()
        }),
        "learning rate 50 is outside 1e-6..=10"
    );
    assert_eq!(
        message(TrainSettings {
            learning_rate: f64::NAN,
            ..base.clone()
        }),
        "learning rate is not a number"
    );
    assert!(matches!(
        TrainSettings {
            learning_rate: f64::INFINITY,
            ..base.clone()
        }
        .validate(),
        Err(SpecError::LearningRate(_))
    ));
    assert!(matches!(
        TrainSettings {
            learning_rate: 0.0,
            ..base.clone()
        }
        .validate(),
        Err(SpecError::LearningRate(_))
    ));
    assert_eq!(
        message(TrainSettings {
            batch_size: 0,
            ..base.clone()
        }),
        "batch size must be at least 1"
    );
    assert_eq!(
        message(TrainSettings {
            epochs: 0,
            ..base.clone()
        }),
        "0 epochs requested; choose 1 to 1000000"
    );
    assert_eq!(
        message(TrainSettings {
            momentum: 1.0,
            ..base.clone()
        }),
        "momentum 1 is outside 0 (inclusive) to 1 (exclusive)"
    );
    assert_eq!(
        message(TrainSettings {
            l2: -0.5,
            ..base.clone()
        }),
        "L2 weight decay -0.5 is outside 0..=1"
    );
    assert!(matches!(
        TrainSettings {
            batch_size: MAX_BATCH_SIZE + 1,
            ..base
        }
        .validate(),
        Err(SpecError::BatchSizeTooLarge(_))
    ));
}

#[test]
fn serde_round_trip_and_missing_fields_default() {
    let settings = TrainSettings {
        optimizer: OptimizerKind::Sgd,
        learning_rate: 0.05,
        ..TrainSettings::default()
    };
    let json = serde_json::to_string(&settings).unwrap();
    assert!(json.contains("\"sgd\""), "{json}");
    let back: TrainSettings = serde_json::from_str(&json).unwrap();
    assert_eq!(back, settings);

    // Settings saved before early stopping existed still load, with it off.
    let old: TrainSettings =
        serde_json::from_str(r#"{"optimizer":"adam","learning_rate":0.01,"epochs":7}"#).unwrap();
    assert_eq!(old.early_stopping, None);
    assert_eq!(old.epochs, 7);
    let patient = TrainSettings {
        early_stopping: Some(5),
        ..TrainSettings::default()
    };
    let back: TrainSettings =
        serde_json::from_str(&serde_json::to_string(&patient).unwrap()).unwrap();
    assert_eq!(back.early_stopping, Some(5));
    assert_eq!(
        TrainSettings {
            early_stopping: Some(0),
            ..TrainSettings::default()
        }
        .validate(),
        Err(SpecError::Patience)
    );

    let spec: NetworkSpec =
        serde_json::from_str(r#"{"hidden":[3],"activation":"leakyrelu"}"#).unwrap();
    assert_eq!(spec.hidden, vec![3]);
    assert_eq!(spec.activation, Activation::LeakyRelu);
    assert_eq!(spec.dropout, NetworkSpec::default().dropout);
}

#[test]
fn fitted_settings_give_small_files_enough_steps_and_keep_what_the_user_chose() {
    let base = TrainSettings::default();
    let keep_nothing = FittedKeep::default();
    // 41 rows: batch ceil(41/16) = 3 -> 8; 6 steps per epoch; cap
    // ceil(6000/6) = 1000 epochs; patience ceil(600/6) = 100 epochs.
    let small = base.fitted_to(41, keep_nothing);
    assert_eq!(
        (small.batch_size, small.epochs, small.early_stopping),
        (8, 1000, Some(100))
    );
    // 4,800 rows: batch 32, 150 steps; cap 200 epochs; patience 10.
    let large = base.fitted_to(4800, keep_nothing);
    assert_eq!(
        (large.batch_size, large.epochs, large.early_stopping),
        (32, 200, Some(10))
    );
    // 320 rows: batch 20, 16 steps; cap 375; patience 38.
    let mid = base.fitted_to(320, keep_nothing);
    assert_eq!(
        (mid.batch_size, mid.epochs, mid.early_stopping),
        (20, 375, Some(38))
    );
    let chosen = TrainSettings {
        batch_size: 4,
        epochs: 7,
        early_stopping: None,
        ..base
    };
    let kept = chosen.fitted_to(
        41,
        FittedKeep {
            batch_size: true,
            epochs: true,
            early_stopping: true,
        },
    );
    assert_eq!(kept, chosen);
}
