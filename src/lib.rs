//! Purchase Lab: see a neural network learn which customers will buy.
//!
//! Layers, top to bottom (data flows down, never back up): [`data`] knows
//! tables and preparation; `model` knows Burn; `worker` runs training on its
//! own thread; [`tune`] keeps the run history, sweeps and session files;
//! [`insights`] answers the business questions of a scored set (gains and
//! lift, profit, calibration, importance, partial dependence);
//! `app` and [`cli`] are two faces on the same engine; [`fuzzing`] holds the
//! bodies of the fuzz targets in `fuzz/`; every file is written through
//! [`save`] (whole or not at all, never over a device).
//!
//! Cargo features (both on by default): `app` builds the desktop window
//! (`app`, eframe), `gpu` Burn's wgpu backend. Without them the library is
//! headless and trains on the CPU only.

#[cfg(feature = "app")]
pub mod app;
pub mod bench;
pub mod cli;
pub mod data;
pub mod fuzzing;
pub mod insights;
pub mod model;
pub mod save;
pub mod serve;
pub mod tune;
pub mod worker;
