use super::*;
use crate::model::spec::TrainSettings;

fn at(epoch: usize, batch: usize, batches: usize) -> BatchAt {
    BatchAt {
        epoch,
        batch,
        batches,
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

#[test]
fn constant_is_one_everywhere() {
    for (epoch, batch) in [(0, 0), (3, 2), (500, 7)] {
        assert_eq!(LrSchedule::Constant.factor(at(epoch, batch, 8), 10), 1.0);
    }
}

#[test]
fn step_decay_halves_every_ten_epochs_whatever_the_batch() {
    let step = LrSchedule::Step {
        every: 10,
        factor: 0.5,
    };
    // 0.5^floor(e / 10): epochs 0-9 -> 1, 10-19 -> 0.5, 25 -> 0.25.
    for (epoch, expected) in [(0, 1.0), (9, 1.0), (10, 0.5), (19, 0.5), (25, 0.25)] {
        for batch in [0, 3] {
            assert!(close(step.factor(at(epoch, batch, 4), 50), expected));
        }
    }
}

#[test]
fn cosine_with_warmup_matches_hand_computed_values() {
    let cosine = LrSchedule::Cosine {
        floor: 0.1,
        warmup: 2,
    };
    // 12 epochs of 4 batches: 8 warm-up batches, then 10 epochs of cosine.
    let cases = [
        // Warm-up: s / 8 for the s-th batch.
        (at(0, 0, 4), 0.125),
        (at(0, 3, 4), 0.5),
        (at(1, 3, 4), 1.0),
        // p = 2: the start of the annealing.
        (at(2, 0, 4), 1.0),
        // p = 4.5: done 0.25; 0.1 + 0.9 * (1 + cos(pi / 4)) / 2.
        (
            at(4, 2, 4),
            0.1 + 0.45 * (1.0 + std::f64::consts::FRAC_1_SQRT_2),
        ),
        // p = 7: done 0.5; 0.1 + 0.45.
        (at(7, 0, 4), 0.55),
        // Past the last epoch: the floor.
        (at(12, 0, 4), 0.1),
        (at(40, 1, 4), 0.1),
    ];
    for (batch, expected) in cases {
        let got = cosine.factor(batch, 12);
        assert!(close(got, expected), "{batch:?}: {got} != {expected}");
    }
    // 0.8681980515339464 by hand for p = 4.5.
    assert!((cosine.factor(at(4, 2, 4), 12) - 0.868_198_051_533_946_4).abs() < 1e-12);
}

#[test]
fn cosine_without_warmup_falls_to_the_floor() {
    let cosine = LrSchedule::Cosine {
        floor: 0.0,
        warmup: 0,
    };
    assert!(close(cosine.factor(at(0, 0, 2), 4), 1.0));
    assert!(close(cosine.factor(at(2, 0, 2), 4), 0.5));
    // p = 3.5 of 4: (1 + cos(0.875 pi)) / 2 = 0.038060233744356624.
    assert!((cosine.factor(at(3, 1, 2), 4) - 0.038_060_233_744_356_624).abs() < 1e-12);
    // A run no longer than its warm-up sits at the floor afterwards.
    let long_warmup = LrSchedule::Cosine {
        floor: 0.2,
        warmup: 5,
    };
    assert!(close(long_warmup.factor(at(5, 0, 3), 5), 0.2));
}

#[test]
fn epoch_rates_scale_the_base_rate_batch_by_batch() {
    let cosine = LrSchedule::Cosine {
        floor: 0.1,
        warmup: 2,
    };
    let rates = cosine.epoch_rates(0.01, 0, 4, 12);
    let expected = [0.00125, 0.0025, 0.00375, 0.005];
    assert_eq!(rates.len(), 4);
    for (got, want) in rates.iter().zip(expected) {
        assert!(close(*got, want), "{rates:?}");
    }
    // Doubling the base (the live slider) doubles every rate.
    let doubled = cosine.epoch_rates(0.02, 0, 4, 12);
    for (a, b) in rates.iter().zip(&doubled) {
        assert!(close(2.0 * a, *b));
    }
    assert_eq!(
        LrSchedule::Constant.epoch_rates(0.3, 9, 3, 10),
        vec![0.3; 3]
    );
}

#[test]
fn curve_spans_the_run() {
    let step = LrSchedule::Step {
        every: 2,
        factor: 0.5,
    };
    let curve = step.curve(4, 2);
    assert_eq!(curve.len(), 8);
    assert_eq!(curve[0], [0.0, 1.0]);
    assert_eq!(curve[4], [2.0, 0.5]);
    assert_eq!(curve[7], [3.5, 0.5]);
}

#[test]
fn text_parses_validates_and_round_trips() {
    let parse = |s: &str| s.parse::<LrSchedule>();
    assert_eq!(parse("constant"), Ok(LrSchedule::Constant));
    assert_eq!(
        parse(" Step:10:0.5 "),
        Ok(LrSchedule::Step {
            every: 10,
            factor: 0.5
        })
    );
    assert_eq!(
        parse("cosine"),
        Ok(LrSchedule::Cosine {
            floor: 0.0,
            warmup: 0
        })
    );
    assert_eq!(
        parse("cosine:0.01:5"),
        Ok(LrSchedule::Cosine {
            floor: 0.01,
            warmup: 5
        })
    );
    assert_eq!(parse("step:0:0.5"), Err(ScheduleError::StepEvery(0)));
    assert_eq!(parse("step:3:1.5"), Err(ScheduleError::StepFactor(1.5)));
    assert_eq!(parse("cosine:1"), Err(ScheduleError::CosineFloor(1.0)));
    for bad in ["step:10", "linear", "cosine:a", "cosine:0.1:2:3", ""] {
        assert!(matches!(parse(bad), Err(ScheduleError::Text(_))), "{bad}");
    }
    assert_eq!(
        parse("step:10").unwrap_err().to_string(),
        "learning-rate schedule `step:10` not understood; use constant, step:EVERY:FACTOR (e.g. step:10:0.5) or cosine[:FLOOR[:WARMUP]] (e.g. cosine:0.01:5)"
    );
    for schedule in [
        LrSchedule::Constant,
        LrSchedule::Step {
            every: 3,
            factor: 0.25,
        },
        LrSchedule::Cosine {
            floor: 0.05,
            warmup: 2,
        },
    ] {
        assert_eq!(parse(&schedule.label()), Ok(schedule));
    }
}

#[test]
fn settings_carry_the_schedule_and_old_files_read_constant() {
    let settings = TrainSettings {
        schedule: LrSchedule::Cosine {
            floor: 0.1,
            warmup: 3,
        },
        ..TrainSettings::default()
    };
    let json = serde_json::to_string(&settings).unwrap();
    let back: TrainSettings = serde_json::from_str(&json).unwrap();
    assert_eq!(back, settings);
    let old: TrainSettings =
        serde_json::from_str(r#"{"optimizer":"adam","learning_rate":0.01}"#).unwrap();
    assert_eq!(old.schedule, LrSchedule::Constant);
    let bad = TrainSettings {
        schedule: LrSchedule::Step {
            every: 0,
            factor: 0.5,
        },
        ..TrainSettings::default()
    };
    assert_eq!(
        bad.validate().unwrap_err().to_string(),
        "step decay every 0 epochs: choose 1 to 1000000"
    );
}
