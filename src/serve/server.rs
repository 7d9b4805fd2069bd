//! The HTTP endpoint: tiny_http's listener and a pool of named worker
//! threads, each with its own inference-only copy of the model (a Burn
//! module is not shared between threads).
//!
//! The workers take requests straight from tiny_http's queue
//! ([`tiny_http::Server::recv_timeout`], which is made to be shared): a
//! dispatcher thread and a bounded channel in between would add a hop per
//! request and bound nothing, since the listener queues connections before
//! any dispatcher sees them. Stopping ([`Endpoint::stop`], or dropping the
//! endpoint) sets a flag; each worker finishes the request in hand, answers
//! whatever is still queued, and ends; the endpoint joins them all.

use std::io::Read;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::sync_channel;
use std::thread::JoinHandle;
use std::time::Duration;

use thiserror::Error;
use tiny_http::{Header, Method, Request, Response, Server};

use super::answer::{Answer, invocations};
use crate::model::SelectedDevice;
use crate::model::bundle::{Bundle, BundleError, LoadedModel};

/// How long a worker waits for a request before looking at the stop flag.
const POLL: Duration = Duration::from_millis(50);

/// What the endpoint is asked to be.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// `host:port` to listen on; port 0 takes a free port.
    pub address: String,
    /// Worker threads, each scoring one request at a time (at least 1).
    pub threads: usize,
    /// The largest request body taken, in bytes (413 past it).
    pub max_payload_bytes: usize,
    /// Probability at or above which the JSON answer's label is positive.
    pub threshold: f64,
}

#[derive(Debug, Error)]
pub enum ServeError {
    #[error("cannot listen on {address}: {message}")]
    Bind { address: String, message: String },
    #[error("the model cannot be opened for scoring: {0}")]
    Model(#[from] BundleError),
    #[error("cannot start a worker thread: {0}")]
    Thread(String),
}

/// A running endpoint. Dropping it stops it gracefully.
pub struct Endpoint {
    server: Arc<Server>,
    stop: Arc<AtomicBool>,
    workers: Vec<JoinHandle<()>>,
    address: Option<SocketAddr>,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("address", &self.address)
            .field("workers", &self.workers.len())
            .finish_non_exhaustive()
    }
}

impl Endpoint {
    /// Listens on `options.address` and starts the workers; returns once
    /// every worker has opened its copy of the model, so `GET /ping` is
    /// answered only by a loaded model.
    ///
    /// # Errors
    /// The address cannot be bound, a worker thread cannot start, or the
    /// model's weights do not open.
    pub fn start(
        bundle: &Bundle,
        device: &SelectedDevice,
        options: &ServeOptions,
    ) -> Result<Endpoint, ServeError> {
        let server = bind(&options.address).map_err(|message| ServeError::Bind {
            address: options.address.clone(),
            message,
        })?;
        let address = server.server_addr().to_ip();
        let mut endpoint = Endpoint {
            server: Arc::new(server),
            stop: Arc::new(AtomicBool::new(false)),
            workers: Vec::new(),
            address,
        };
        let threads = options.threads.max(1);
        let (loaded_tx, loaded_rx) = sync_channel::<Result<(), BundleError>>(threads);
        for index in 0..threads {
            let worker = Worker {
                server: Arc::clone(&endpoint.server),
                stop: Arc::clone(&endpoint.stop),
                options: options.clone(),
            };
            let (bundle, device, loaded) = (bundle.clone(), device.clone(), loaded_tx.clone());
            let handle = std::thread::Builder::new()
                .name(format!("purchase-lab-serve-{index}"))
                .spawn(move || match LoadedModel::new(bundle, &device) {
                    Ok(model) => {
                        let _ = loaded.send(Ok(()));
                        worker.run(&model);
                    }
                    Err(e) => {
                        let _ = loaded.send(Err(e));
                    }
                })
                .map_err(|e| ServeError::Thread(e.to_string()))?;
            endpoint.workers.push(handle);
        }
        drop(loaded_tx);
        for _ in 0..threads {
            match loaded_rx.recv() {
                Ok(Ok(())) => {}
                Ok(Err(e)) => return Err(ServeError::Model(e)),
                Err(_) => return Err(ServeError::Thread("a worker ended while starting".into())),
            }
        }
        Ok(endpoint)
    }

    /// The address it listens on (the port chosen when asked for port 0).
    pub fn address(&self) -> Option<SocketAddr> {
        self.address
    }

    /// Stops taking new work: requests in hand and queued are answered,
    /// then the workers end and are joined.
    pub fn stop(mut self) {
        self.shut_down();
    }

    fn shut_down(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        for worker in self.workers.drain(..) {
            // A worker that panicked outside a request has nothing left to
            // answer; the others are still joined.
            let _ = worker.join();
        }
    }
}

impl Drop for Endpoint {
    fn drop(&mut self) {
        self.shut_down();
    }
}

/// One worker's share of the endpoint.
struct Worker {
    server: Arc<Server>,
    stop: Arc<AtomicBool>,
    options: ServeOptions,
}

impl Worker {
    fn run(&self, model: &LoadedModel) {
        while !self.stop.load(Ordering::SeqCst) {
            match self.server.recv_timeout(POLL) {
                Ok(Some(request)) => self.handle(request, model),
                Ok(None) => {}
                Err(_) => break,
            }
        }
        // Stopping: answer what the listener already queued.
        while let Ok(Some(request)) = self.server.try_recv() {
            self.handle(request, model);
        }
    }

    fn handle(&self, mut request: Request, model: &LoadedModel) {
        // A panic inside Burn or a bug must cost one request a 500, not the
        // worker its life.
        let answer = std::panic::catch_unwind(AssertUnwindSafe(|| {
            route(&mut request, model, &self.options)
        }))
        .unwrap_or_else(|_| Answer::error(500, "the model failed on this request"));
        let mut response = Response::from_data(answer.body).with_status_code(answer.status);
        if let Ok(header) = Header::from_bytes(&b"Content-Type"[..], answer.content_type.as_bytes())
        {
            response.add_header(header);
        }
        // RFC 9110 15.5.6: a 405 lists the methods the route takes.
        if answer.status == 405
            && let Some(allow) = allowed_methods(request.url())
            && let Ok(header) = Header::from_bytes(&b"Allow"[..], allow.as_bytes())
        {
            response.add_header(header);
        }
        // The client may have gone; nothing to do about it.
        let _ = request.respond(response);
    }
}

/// The request's value of header `name`, if it has one.
fn header<'a>(request: &'a Request, name: &'static str) -> Option<&'a str> {
    request
        .headers()
        .iter()
        .find(|h| h.field.equiv(name))
        .map(|h| h.value.as_str())
}

/// The methods a route takes (the `Allow` header of a 405), for a request
/// URL; `None` for a path that is not a route.
fn allowed_methods(url: &str) -> Option<&'static str> {
    match url.split('?').next().unwrap_or_default() {
        "/ping" => Some("GET, HEAD"),
        "/invocations" => Some("POST"),
        _ => None,
    }
}

/// SageMaker's routes: `GET /ping` (200, empty, once loaded) and
/// `POST /invocations`; 405 for another method on them, 404 elsewhere.
fn route(request: &mut Request, model: &LoadedModel, options: &ServeOptions) -> Answer {
    let path = request
        .url()
        .split('?')
        .next()
        .unwrap_or_default()
        .to_owned();
    match (request.method(), path.as_str()) {
        (Method::Get | Method::Head, "/ping") => Answer {
            status: 200,
            content_type: "text/plain",
            body: Vec::new(),
        },
        (Method::Post, "/invocations") => {
            let body = match read_body(request, options.max_payload_bytes) {
                Ok(body) => body,
                Err(answer) => return answer,
            };
            invocations(
                model,
                header(request, "Content-Type"),
                header(request, "Accept"),
                &body,
                options.threshold,
            )
        }
        (_, "/ping" | "/invocations") => {
            Answer::error(405, "GET /ping and POST /invocations are the routes")
        }
        _ => Answer::error(404, "GET /ping and POST /invocations are the routes"),
    }
}

/// How much of a refused body is read and dropped before the 413, so the
/// client, still sending, reads the answer instead of a connection reset
/// (closing a socket with unread data resets it). Larger bodies are cut.
const DRAIN_BYTES: u64 = 64 << 20;

/// `bytes` in MB of 1,048,576 bytes (as --max-payload-mb counts), with at
/// most two decimals: `6`, `0.5`, `1.25`.
fn format_mb(bytes: usize) -> String {
    let text = format!("{:.2}", bytes as f64 / 1_048_576.0);
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// The body, or 413 past `max` bytes (by its `Content-Length`, or while
/// reading a chunked one), or 400 when it cannot be read.
fn read_body(request: &mut Request, max: usize) -> Result<Vec<u8>, Answer> {
    let too_large = |request: &mut Request| {
        let _ = std::io::copy(
            &mut request.as_reader().take(DRAIN_BYTES),
            &mut std::io::sink(),
        );
        Answer::error(
            413,
            format!(
                "the body is larger than the endpoint takes: {} MB ({max} bytes, --max-payload-mb); send the customers in smaller batches",
                format_mb(max)
            ),
        )
    };
    if request.body_length().is_some_and(|n| n > max) {
        return Err(too_large(request));
    }
    let mut body = Vec::with_capacity(request.body_length().unwrap_or(0));
    let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    request
        .as_reader()
        .take(limit)
        .read_to_end(&mut body)
        .map_err(|e| Answer::error(400, format!("the body could not be read: {e}")))?;
    if body.len() > max {
        return Err(too_large(request));
    }
    Ok(body)
}
/// The listener for `address`, with Nagle's algorithm off for every
/// connection it accepts.
///
/// tiny_http writes an answer's headers and its body in separate writes.
/// With Nagle's algorithm on, a body that does not fill a segment waits
/// for the client's acknowledgement of the headers, which clients delay
/// (40 ms on Linux): a 1,000-customer answer took 44 ms of wall time for
/// 2 ms of work. Linux copies `TCP_NODELAY` from the listening socket to
/// the sockets it accepts; elsewhere the setting may not carry over, and
/// answers are as correct, only slower.
fn bind(address: &str) -> Result<Server, String> {
    let listener = listening(address).map_err(|e| e.to_string())?;
    Server::from_listener(listener, None).map_err(|e| e.to_string())
}

/// A socket listening on `address` with `TCP_NODELAY` set (see [`bind`]).
fn listening(address: &str) -> std::io::Result<std::net::TcpListener> {
    let listener = std::net::TcpListener::bind(address)?;
    // A failure costs latency, not correctness: serve anyway.
    let _ = no_delay(&listener);
    Ok(listener)
}

/// Sets `TCP_NODELAY` on `listener`; whether it took.
#[cfg(unix)]
#[expect(
    unsafe_code,
    reason = "std sets TCP_NODELAY on a stream only, not on a listening socket"
)]
fn no_delay(listener: &std::net::TcpListener) -> bool {
    use std::os::fd::AsRawFd;
    let on: libc::c_int = 1;
    // SAFETY: the descriptor is the listener's, open for the whole call;
    // `on` lives through the call and its exact size is passed.
    let status = unsafe {
        libc::setsockopt(
            listener.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_NODELAY,
            std::ptr::from_ref(&on).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    status == 0
}

#[cfg(not(unix))]
fn no_delay(_listener: &std::net::TcpListener) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The connections the endpoint accepts send each write at once (no
    /// Nagle wait for the client's delayed acknowledgement): the setting
    /// on the listener carries over to an accepted socket.
    #[cfg(target_os = "linux")]
    #[test]
    fn accepted_connections_have_nagle_off() {
        let listener = listening("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let _client = std::net::TcpStream::connect(address).unwrap();
        let (accepted, _) = listener.accept().unwrap();
        assert!(accepted.nodelay().unwrap());
    }
}
