//! Purchase Lab: see a neural network learn which customers will buy.
//!
//! Layers, top to bottom (data flows down, never back up): [`data`] knows
//! tables and preparation; `model` knows Burn; `worker` runs training on its
//! own thread; [`tune`] keeps the run history, sweeps and session files;
//! `app` and [`cli`] are two faces on the same engine.

pub mod app;
pub mod bench;
pub mod cli;
pub mod data;
pub mod model;
pub mod tune;
pub mod worker;
