#!/usr/bin/env bash
# The checks CI runs (.ci/run calls this after installing packages), so a
# developer runs exactly the same ones before pushing:
#
#   scripts/check.sh            fmt, build (with timings), clippy, tests, docs,
#                               headless build
#
# Every cargo command uses the one feature set of `cargo test` (default
# features plus the dev-dependencies), so Burn is compiled once; only the
# headless check at the end builds Burn without wgpu (check mode, no code
# generation), which keeps the fuzz crate's configuration compiling.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n=== %s (%s)\n' "$1" "$(date +%T)"; }

step "cargo fmt --check"
cargo fmt --all --check

# First, the build `cargo run` gives (the README's run command). With the
# one feature set, clippy and the tests after it compile no dependency again.
# --timings writes cargo-timings/*.html in the target directory: the
# per-crate split of a cold build (docs/PERFORMANCE.md, "Cold build").
step "cargo build --timings (README's run command builds this)"
cargo build --timings

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets -- -D warnings

step "cargo test (README's test command)"
cargo test

step "cargo doc --no-deps (warnings denied)"
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --lib

step "cargo check --lib --no-default-features (headless, CPU only)"
cargo check --lib --no-default-features

step "all checks passed"
