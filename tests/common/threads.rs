//! The threads of this test process, by name, as the kernel lists them
//! (`/proc/self/task/*/comm`, Linux); included with `#[path]`.

/// How many of this process's threads have a name starting with `prefix`.
/// Linux keeps the first 15 bytes of a thread's name, so a prefix longer
/// than that never matches. 0 where `/proc` cannot be read.
pub fn named(prefix: &str) -> usize {
    assert!(prefix.len() <= 15, "the kernel keeps 15 bytes of a name");
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .filter(|name| name.trim_end().starts_with(prefix))
        .count()
}

/// The device probe's thread ("purchase-lab-device-probe", cut to 15 bytes).
pub const DEVICE_PROBE: &str = "purchase-lab-de";
