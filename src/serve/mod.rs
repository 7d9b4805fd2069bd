//! `purchase-lab serve`: a saved model behind SageMaker's inference
//! contract (`GET /ping`, `POST /invocations`), so the binary can be the
//! entry point of a bring-your-own-container image.
//!
//! - [`request`]: a request body (CSV lines or JSON records) to the model's
//!   typed input columns, or the line and column of the first bad record.
//!   Plain Rust on bytes, always built: the fuzz crate covers it.
//! - [`answer`]: one `POST /invocations` from body and headers to status
//!   and answer, scored exactly as `predict` scores a file.
//! - `multiclass`: a multi-class model's answer (every class's probability
//!   and the most probable class).
//! - `server` (feature `serve`): tiny_http's listener, named worker threads
//!   each holding a copy of the model, graceful stop.

pub mod answer;
mod csv_body;
mod multiclass;
pub mod request;
#[cfg(feature = "serve")]
pub mod server;

pub use answer::{Answer, answer_format, invocations};
pub use request::{BodyFormat, Customers, Place, RequestError, parse_body};
#[cfg(feature = "serve")]
pub use server::{Endpoint, ServeError, ServeOptions};

#[cfg(test)]
mod tests;
