//! Criterion benchmark of the CSV reader on a W3-shaped file (numeric
//! columns with four decimals and a yes/no label), reported in bytes per
//! second. 100,000 rows keep a sample short; `purchase-lab bench` loads the
//! full 1,000,000-row file. Run with `cargo bench --bench csv_load`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use purchase_lab::bench::data::write_scale_csv;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn load(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("w3.csv");
    let bytes = write_scale_csv(&path, 100_000, 20, 42).expect("the benchmark file");
    let mut group = c.benchmark_group("csv");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(bytes));
    group.bench_function("load_100k_x_20", |b| {
        b.iter(|| black_box(purchase_lab::data::load_csv(&path).expect("load")))
    });
    group.finish();
}

criterion_group!(benches, load);
criterion_main!(benches);
