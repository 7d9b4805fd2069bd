//! Criterion benchmarks of the engine's hot paths, the same workloads as
//! `purchase-lab bench` (see docs/PERFORMANCE.md), so a regression shows:
//! one W1 and one W2 training epoch on the CPU backend with each training
//! engine (`train_epoch/w1/host-kernel`, `train_epoch/w1/burn-autodiff`, …),
//! and the decision surface at 100 × 100 and 200 × 200. Run with
//! `cargo bench --bench engine`.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use purchase_lab::bench::{w1_prepared, w2_prepared, workload_settings, workload_trainer};
use purchase_lab::model::run::TrainingRun;
use purchase_lab::model::surface::{SurfaceRequest, compute_surface};
use purchase_lab::model::{BackendChoice, NetworkSpec, TrainingEngine, select_device};

// The binary runs on mimalloc; measure what users run.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn training(c: &mut Criterion) {
    let device = select_device(BackendChoice::Cpu).expect("the CPU backend always exists");
    let w1 = w1_prepared(1000).expect("W1 data");
    let (w2, _) = w2_prepared(7000).expect("W2 data");
    let mut group = c.benchmark_group("train_epoch");
    group.sample_size(20);
    let workloads = [("w1", &w1, vec![16, 16]), ("w2", &w2, vec![64, 32])];
    for ((name, prepared, hidden), engine) in workloads
        .iter()
        .flat_map(|w| TrainingEngine::ALL.map(|e| (w, e)))
    {
        let train = &prepared.train;
        let mut trainer = workload_trainer(prepared, hidden, 32, 1_000_000, &device, engine)
            .expect("valid settings");
        // The id names the engine that actually runs.
        let id = format!(
            "{name}/{}",
            trainer.engine().label().to_lowercase().replace(' ', "-")
        );
        group.bench_function(id, |b| {
            b.iter(|| {
                black_box(
                    trainer
                        .run_epoch(&train.x.data, &train.y, train.x.rows)
                        .expect("epoch"),
                )
            })
        });
    }
    group.finish();
}

fn surface(c: &mut Criterion) {
    let device = select_device(BackendChoice::Cpu).expect("the CPU backend always exists");
    let w1 = Arc::new(w1_prepared(1000).expect("W1 data"));
    let (settings, activation) = workload_settings(32, 1);
    let spec = NetworkSpec {
        hidden: vec![16, 16],
        activation,
        layer_activations: Vec::new(),
        dropout: 0.0,
    };
    let mut run = TrainingRun::new(w1, &spec, &settings, &device).expect("run");
    run.run_epoch().expect("epoch");
    let mut group = c.benchmark_group("surface");
    for resolution in [100, 200] {
        let request = SurfaceRequest {
            resolution,
            ..SurfaceRequest::new("visit_minutes", "pages_visited")
        };
        group.bench_function(resolution.to_string(), |b| {
            b.iter(|| black_box(compute_surface(&run, &request).expect("surface")))
        });
    }
    group.finish();
}

criterion_group!(benches, training, surface);
criterion_main!(benches);
