use super::*;
use crate::model::device::ComputeKind;
use crate::model::spec::{NetworkSpec, Task, TrainSettings};

fn adapter(name: &str) -> AdapterSummary {
    AdapterSummary {
        name: name.to_string(),
        api: "Vulkan".to_string(),
        software: true,
        driver: "llvmpipe Mesa 22.3.6".to_string(),
    }
}

fn job(hidden: Vec<usize>, rows: usize) -> ProbeJob {
    ProbeJob {
        spec: NetworkSpec {
            hidden,
            ..NetworkSpec::default()
        },
        settings: TrainSettings {
            batch_size: 32,
            ..TrainSettings::default()
        },
        task: Task::Classification,
        n_features: 40,
        n_rows: rows,
    }
}

fn cpu_wins() -> Verdict {
    Verdict::Measured {
        winner: ComputeKind::Cpu,
        cpu_step_seconds: 5e-5,
        gpu_step_seconds: 0.3,
    }
}

#[test]
fn an_answer_comes_back_from_the_file_for_the_same_adapter_and_shape_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested").join("device-choice.json");
    let key = CacheKey::new(&adapter("llvmpipe"), &job(vec![64, 32], 4789));
    let mut cache = DeviceCache::default();
    cache.insert(key.clone(), cpu_wins());
    cache.save(&path).unwrap();

    let (loaded, note) = DeviceCache::load(&path);
    assert_eq!(note, None);
    assert_eq!(loaded.get(&key), Some(&cpu_wins()));
    // Rows bucketed by powers of ten: 4,789 and 1,200 share an answer.
    let same_bucket = CacheKey::new(&adapter("llvmpipe"), &job(vec![64, 32], 1200));
    assert_eq!(loaded.get(&same_bucket), Some(&cpu_wins()));
    // Widths round up to powers of two: 60-30 is timed as 64-32 was.
    let similar = CacheKey::new(&adapter("llvmpipe"), &job(vec![60, 30], 4789));
    assert_eq!(loaded.get(&similar), Some(&cpu_wins()));
    // Another adapter, network shape or size: measured afresh.
    for other in [
        CacheKey::new(&adapter("NVIDIA H100"), &job(vec![64, 32], 4789)),
        CacheKey::new(&adapter("llvmpipe"), &job(vec![256, 256], 4789)),
        CacheKey::new(&adapter("llvmpipe"), &job(vec![64, 32], 1_000_000)),
    ] {
        assert_eq!(loaded.get(&other), None, "{other:?}");
    }
    let mut other_driver = key.clone();
    other_driver.driver = "llvmpipe Mesa 24.0".to_string();
    assert_eq!(loaded.get(&other_driver), None);
}

#[test]
fn a_missing_file_is_an_empty_cache_without_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let (cache, note) = DeviceCache::load(&dir.path().join("none.json"));
    assert!(cache.is_empty());
    assert_eq!(note, None);
}

#[test]
fn a_corrupt_file_is_ignored_with_a_note_and_rewritten() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("device-choice.json");
    for bad in [
        &b"{not json"[..],
        br#"{"version": 1, "build": "x", "entries": [{"adapter": 3}]}"#,
        br#"{"version": 99, "build": "x", "entries": []}"#,
        &[0xff, 0xfe, 0x00][..],
    ] {
        std::fs::write(&path, bad).unwrap();
        let (cache, note) = DeviceCache::load(&path);
        assert!(cache.is_empty());
        let note = note.expect("a note for a bad file");
        assert!(note.contains("device-choice.json"), "{note}");
        assert!(note.contains("ignored"), "{note}");
    }
    let key = CacheKey::new(&adapter("llvmpipe"), &job(vec![8], 100));
    let mut cache = DeviceCache::default();
    cache.insert(key.clone(), cpu_wins());
    cache.save(&path).unwrap();
    assert_eq!(DeviceCache::load(&path).0.get(&key), Some(&cpu_wins()));
}

#[test]
fn answers_of_another_build_are_dropped_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("device-choice.json");
    let key = CacheKey::new(&adapter("llvmpipe"), &job(vec![8], 100));
    let mut cache = DeviceCache::default();
    cache.insert(key, cpu_wins());
    cache.save(&path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let old = text.replace(env!("CARGO_PKG_VERSION"), "0.0.0-older");
    std::fs::write(&path, old).unwrap();
    assert_eq!(DeviceCache::load(&path), (DeviceCache::default(), None));
}

#[test]
fn a_new_answer_replaces_the_old_and_the_oldest_go_over_the_cap() {
    let mut cache = DeviceCache::default();
    // A distinct shape each: i + 1 hidden layers.
    let key = |i: usize| CacheKey::new(&adapter("llvmpipe"), &job(vec![8; i + 1], 100));
    for i in 0..MAX_ENTRIES + 3 {
        cache.insert(key(i), cpu_wins());
    }
    assert_eq!(cache.len(), MAX_ENTRIES);
    assert_eq!(cache.get(&key(0)), None);
    assert_eq!(cache.get(&key(3)), Some(&cpu_wins()));
    let failed = Verdict::GpuFailed {
        reason: "lost".into(),
    };
    cache.insert(key(3), failed.clone());
    assert_eq!(cache.len(), MAX_ENTRIES);
    assert_eq!(cache.get(&key(3)), Some(&failed));
}

#[test]
fn rows_round_down_to_a_power_of_ten() {
    assert_eq!(power_of_ten_below(0), 0);
    assert_eq!(power_of_ten_below(7), 1);
    assert_eq!(power_of_ten_below(10), 10);
    assert_eq!(power_of_ten_below(4789), 1000);
    assert_eq!(power_of_ten_below(1_000_000), 1_000_000);
}
