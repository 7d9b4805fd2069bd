use super::*;

fn names(k: usize) -> Vec<String> {
    ["a", "b", "c", "d"][..k]
        .iter()
        .map(|s| (*s).to_owned())
        .collect()
}

/// Seven rows of three classes; the figures below are worked by hand and
/// agree with scikit-learn 1.x (`precision_recall_fscore_support`,
/// `log_loss`, `roc_auc_score(multi_class="ovr")`, `accuracy_score`).
fn seven_rows() -> (Vec<f32>, Vec<f32>) {
    let probabilities = vec![
        0.7, 0.2, 0.1, // a, predicted a
        0.3, 0.6, 0.1, // a, predicted b
        0.1, 0.8, 0.1, // b, predicted b
        0.2, 0.3, 0.5, // b, predicted c
        0.1, 0.2, 0.7, // c, predicted c
        0.5, 0.1, 0.4, // c, predicted a
        0.1, 0.1, 0.8, // c, predicted c
    ];
    (probabilities, vec![0.0, 0.0, 1.0, 1.0, 2.0, 2.0, 2.0])
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

#[test]
fn confusion_and_per_class_figures_match_a_hand_computation() {
    let (p, y) = seven_rows();
    let m = MulticlassMetrics::compute(&p, &y, &names(3)).unwrap();
    assert_eq!(
        m.confusion,
        vec![vec![1, 1, 0], vec![0, 1, 1], vec![1, 0, 2]]
    );
    assert!(close(m.accuracy, 4.0 / 7.0));
    // a: predicted a twice, once right; 2 rows of a, one found.
    assert!(close(m.per_class[0].precision, 0.5) && close(m.per_class[0].recall, 0.5));
    // c: predicted c three times, twice right; 3 rows of c, two found.
    assert!(close(m.per_class[2].precision, 2.0 / 3.0));
    assert!(close(m.per_class[2].recall, 2.0 / 3.0));
    assert!(close(m.per_class[2].f1, 2.0 / 3.0));
    assert_eq!(
        m.per_class.iter().map(|f| f.support).collect::<Vec<_>>(),
        vec![2, 2, 3]
    );
    // Macro: (0.5 + 0.5 + 2/3) / 3; weighted: (2·0.5 + 2·0.5 + 3·2/3) / 7.
    assert!(close(m.macro_avg.precision, 5.0 / 9.0));
    assert!(close(m.macro_avg.f1, 5.0 / 9.0));
    assert!(close(m.weighted_avg.precision, 4.0 / 7.0));
    assert!(close(m.weighted_avg.recall, 4.0 / 7.0));
    let shares = m.row_shares();
    assert!(close(shares[2][2], 2.0 / 3.0) && close(shares[0][1], 0.5));
}

#[test]
fn log_loss_and_one_vs_rest_auc_match_a_hand_computation() {
    let (p, y) = seven_rows();
    let m = MulticlassMetrics::compute(&p, &y, &names(3)).unwrap();
    // -(2 ln 0.7 + 2 ln 0.3 + 2 ln 0.8 + ln 0.4) / 7 (the true classes'
    // probabilities, read off the rows above).
    let expected = -(2.0 * 0.7f64.ln() + 2.0 * 0.3f64.ln() + 2.0 * 0.8f64.ln() + 0.4f64.ln()) / 7.0;
    assert!((m.log_loss - expected).abs() < 1e-6);
    assert!((m.log_loss - 0.640_553_333).abs() < 1e-6);
    // a: its rows score 0.7 and 0.3 against 0.1, 0.2, 0.1, 0.5, 0.1: 9 of
    // 10 pairs ordered right. b likewise 9/10. c: 0.7, 0.4, 0.8 against
    // 0.1, 0.1, 0.1, 0.5: 11 of 12.
    let aucs: Vec<f64> = m.per_class.iter().map(|f| f.auc.unwrap()).collect();
    assert!(close(aucs[0], 0.9) && close(aucs[1], 0.9) && close(aucs[2], 11.0 / 12.0));
    assert!(close(m.macro_auc.unwrap(), 0.905_555_556));
    for figures in &m.per_class {
        assert_eq!(figures.roc.first(), Some(&(0.0, 0.0)));
        assert_eq!(figures.roc.last(), Some(&(1.0, 1.0)));
    }
}

#[test]
fn a_class_without_rows_leaves_its_auc_and_the_macro_auc_undefined() {
    // Four classes, no row of `d`: its precision and recall are 0 (no
    // division by zero) and scikit-learn would refuse the macro AUC.
    let p = vec![
        0.7, 0.1, 0.1, 0.1, //
        0.1, 0.7, 0.1, 0.1, //
        0.1, 0.1, 0.7, 0.1,
    ];
    let m = MulticlassMetrics::compute(&p, &[0.0, 1.0, 2.0], &names(4)).unwrap();
    assert_eq!(m.per_class[3].support, 0);
    assert_eq!(m.per_class[3].auc, None);
    assert!(m.per_class[3].roc.is_empty());
    assert_eq!(m.macro_auc, None);
    assert!(close(m.accuracy, 1.0));
    // The macro mean counts the empty class's zeros, as scikit-learn does.
    assert!(close(m.macro_avg.recall, 0.75));
    assert!(close(m.weighted_avg.recall, 1.0));
}

#[test]
fn mismatched_lengths_are_an_error_and_ties_take_the_first_class() {
    assert!(MulticlassMetrics::compute(&[0.5, 0.5], &[0.0], &names(3)).is_err());
    assert_eq!(argmax(&[0.2, 0.4, 0.4]), 1);
    assert_eq!(argmax(&[f32::NAN, 0.1, 0.0]), 1);
    // A certain wrong answer costs -ln(1e-15), not infinity.
    let m = MulticlassMetrics::compute(&[0.0, 1.0, 0.0], &[0.0], &names(3)).unwrap();
    assert!(close(m.log_loss, -(1e-15f64).ln()));
}
