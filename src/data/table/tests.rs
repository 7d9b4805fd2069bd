use super::*;

#[test]
fn categorical_codes_follow_first_appearance_and_keep_missing() {
    let c = Column::categorical("g", &[Some("b"), None, Some("a"), Some("b")]);
    match &c.data {
        ColumnData::Categorical { codes, levels } => {
            assert_eq!(levels, &vec!["b".to_string(), "a".to_string()]);
            assert_eq!(codes, &vec![0, MISSING_CODE, 1, 0]);
        }
        other => panic!("expected categorical, got {other:?}"),
    }
    assert_eq!(c.missing_count(), 1);
    assert_eq!(c.text(2).as_deref(), Some("a"));
    assert_eq!(c.text(1), None);
}

#[test]
fn numeric_summary_ignores_missing() {
    let c = Column::numeric("x", vec![1.0, f64::NAN, 3.0, 8.0]);
    let s = c.summary();
    assert_eq!(s.missing, 1);
    assert_eq!(
        s.stats,
        SummaryStats::Numeric {
            min: Some(1.0),
            max: Some(8.0),
            mean: Some(4.0)
        }
    );
    assert_eq!(s.describe(), "min 1  max 8  mean 4");
}

#[test]
fn all_missing_numeric_summary_says_so() {
    let s = Column::numeric("x", vec![f64::NAN; 3]).summary();
    assert_eq!(s.describe(), "all missing");
}

#[test]
fn categorical_summary_caps_and_counts_others() {
    let labels: Vec<Option<String>> = (0..20)
        .flat_map(|i| std::iter::repeat_n(Some(format!("c{i:02}")), 20 - i))
        .collect();
    let s = Column::categorical("c", &labels).summary();
    match &s.stats {
        SummaryStats::Categorical {
            distinct,
            top,
            others,
        } => {
            assert_eq!(*distinct, 20);
            assert_eq!(top.len(), SUMMARY_CATEGORY_CAP);
            assert_eq!(top[0], ("c00".to_string(), 20));
            let listed: usize = top.iter().map(|t| t.1).sum();
            assert_eq!(listed + others, labels.len());
        }
        other => panic!("expected categorical, got {other:?}"),
    }
    assert!(s.describe().contains("… 12 more"));
}

#[test]
fn table_rejects_duplicate_and_ragged_columns() {
    let dup = Table::new(vec![
        Column::numeric("a", vec![1.0]),
        Column::numeric("a", vec![2.0]),
    ]);
    assert_eq!(dup, Err(TableError::DuplicateName("a".into())));
    let ragged = Table::new(vec![
        Column::numeric("a", vec![1.0]),
        Column::numeric("b", vec![2.0, 3.0]),
    ]);
    assert!(matches!(ragged, Err(TableError::RaggedColumn { .. })));
}

#[test]
fn numbers_print_back_exactly() {
    assert_eq!(format_number(3.0), "3");
    assert_eq!(format_number(0.1), "0.1");
    assert_eq!(format_number(-2.5e-7).parse::<f64>().ok(), Some(-2.5e-7));
}
