//! The HTTP/1.x server: listeners, connection limits, timeouts, request heads, response
//! writing. The only module that touches sockets; the rest sees `Request` and `Response`.
//!
//! Why not async-h1 (the design card's pick)? It brings a second executor and reactor
//! (async-global-executor, async-io 1.x), has had no release since 2023, refuses HTTP/1.0
//! without a reply, drains rejected bodies and has no body timeout. Heads are parsed by
//! httparse; bodies and chunked framing are ours (`chunked`), tested at every split.
//!
//! Guards, all from `limits`: at most `--max-connections` connections over all listeners
//! (`admission`); a kept-alive connection may wait `KEEP_ALIVE_IDLE_TIMEOUT_MS` for its next
//! request; a head must arrive within `HEAD_READ_TIMEOUT_MS` (from the connection's start for
//! the first, from its first byte for later ones) and fit `HEAD_BYTES_MAX`; body reads time
//! out after `BODY_READ_IDLE_TIMEOUT_MS` idle; a body over `body_bytes_max` is refused; a reply
//! whose client accepts no byte for `write_timeout` is abandoned and its connection closed
//! (any byte accepted restarts that wait, so a slow reader keeps its connection). While a
//! reply waits, it holds one `RESPONSE_CHUNK_BYTES` chunk and its body source, which holds
//! no store snapshot between series (`store::read`). After a reply to a
//! request whose body was not read, at most `BODY_DRAIN_BYTES_MAX` are drained, else the
//! connection is closed: a rejected upload is never read to its end.
//!
//! At the connection cap a new client takes the slot of the connection idle the longest
//! between two requests. Only when every connection is in a request is it refused: its head is
//! read (within `REFUSAL_HEAD_READ_TIMEOUT_MS`, at most `CONNECTIONS_REFUSING_MAX` at once) so
//! that the 503, with `Retry-After`, speaks the dialect its path names (`BusyReply`).
//! Between requests a connection holds no read buffer, so idle clients cost sockets only.

mod admission;
mod chunked;
pub mod http;

pub use http::{Body, BodySource, LiveBodySource, LiveChunk, Request, Response, ResponseBody};

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use smol::io::{AsyncReadExt, AsyncWriteExt};
use smol::lock::Semaphore;
use smol::net::{TcpListener, TcpStream};

use crate::limits::{
    BODY_DRAIN_BYTES_MAX, CONNECTIONS_REFUSING_MAX, HEAD_BYTES_MAX, HEAD_READ_TIMEOUT_MS,
    HEADERS_MAX, KEEP_ALIVE_IDLE_TIMEOUT_MS, REFUSAL_HEAD_READ_TIMEOUT_MS, RESPONSE_CHUNK_BYTES,
    RETRY_AFTER_S,
};
use admission::{Admission, Ticket};
use http::{ConnReader, reason_phrase, with_timeout};

pub type Handler =
    Arc<dyn Fn(Request) -> Pin<Box<dyn Future<Output = (Response, Body)> + Send>> + Send + Sync>;

/// The reply to a request refused because every connection is in a request: built from the
/// request's head (its body is never read) and the reason, in the dialect its path names.
/// The server adds `Retry-After` and closes the connection.
pub type BusyReply = Arc<dyn Fn(&Request, &str) -> Response + Send + Sync>;

/// Shared state of all listeners: shutdown flag, connection slots, live connection count.
pub struct Server {
    shutting_down: AtomicBool,
    /// Connection tasks running, counted for the drain at shutdown.
    connections: AtomicUsize,
    admission: Arc<Admission>,
    /// Permits for connections being refused (`CONNECTIONS_REFUSING_MAX`).
    refusing: Arc<Semaphore>,
    busy_reply: BusyReply,
    /// Closed at shutdown; waking every idle connection and accept loop.
    stop: (smol::channel::Sender<()>, smol::channel::Receiver<()>),
    body_bytes_max: u64,
    /// How long a reply may wait for its client to accept any byte (`--write-timeout`).
    write_timeout: Duration,
}

impl Server {
    pub fn new(
        body_bytes_max: u64,
        connections_max: usize,
        write_timeout: Duration,
        busy_reply: BusyReply,
    ) -> Arc<Server> {
        Arc::new(Server {
            shutting_down: AtomicBool::new(false),
            connections: AtomicUsize::new(0),
            admission: Admission::new(connections_max),
            refusing: Arc::new(Semaphore::new(CONNECTIONS_REFUSING_MAX)),
            busy_reply,
            stop: smol::channel::bounded(1),
            body_bytes_max,
            write_timeout,
        })
    }

    /// Stops accepting and closes idle connections; in-flight requests finish.
    pub fn shutdown(&self) {
        self.shutting_down.store(true, Ordering::Release);
        self.stop.0.close();
    }

    /// Waits until no connection is open, or `timeout` passed. Returns the connections left.
    pub async fn drained(&self, timeout: Duration) -> usize {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let open = self.connections.load(Ordering::Acquire);
            if open == 0 || std::time::Instant::now() >= deadline {
                return open;
            }
            smol::Timer::after(Duration::from_millis(20)).await;
        }
    }

    async fn stopped(&self) {
        let _ = self.stop.1.recv().await;
    }

    /// Accepts connections on `listener` until shutdown.
    pub async fn serve(
        self: Arc<Self>,
        ex: Arc<smol::Executor<'static>>,
        listener: TcpListener,
        snapshot: bool,
        handler: Handler,
    ) {
        loop {
            let accepted = smol::future::or(async { Some(listener.accept().await) }, async {
                self.stopped().await;
                None
            })
            .await;
            let Some(accepted) = accepted else { return };
            let (stream, _peer) = match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    eprintln!("tidegate: accept failed: {e}");
                    smol::Timer::after(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let Some(ticket) = self.admission.admit() else {
                self.refuse(&ex, stream, snapshot).await;
                continue;
            };
            self.connections.fetch_add(1, Ordering::AcqRel);
            let server = Arc::clone(&self);
            let handler = Arc::clone(&handler);
            ex.spawn(async move {
                server.connection(stream, snapshot, handler, &ticket).await;
                drop(ticket);
                server.connections.fetch_sub(1, Ordering::AcqRel);
            })
            .detach();
        }
    }

    /// Hands a connection that found every slot in a request to a task that answers it 503.
    /// While `CONNECTIONS_REFUSING_MAX` are being answered this waits, and this listener
    /// accepts nothing: further clients wait in the kernel's accept queue, at most about
    /// `REFUSAL_HEAD_READ_TIMEOUT_MS`, instead of costing a task and a buffer each.
    async fn refuse(
        self: &Arc<Self>,
        ex: &Arc<smol::Executor<'static>>,
        stream: TcpStream,
        snapshot: bool,
    ) {
        let permit = smol::future::or(async { Some(self.refusing.acquire_arc().await) }, async {
            self.stopped().await;
            None
        })
        .await;
        let Some(permit) = permit else { return };
        let server = Arc::clone(self);
        ex.spawn(async move {
            server.answer_busy(stream, snapshot).await;
            drop(permit);
        })
        .detach();
    }

    /// Reads the refused connection's head to learn its dialect, answers 503 with
    /// `Retry-After` and closes. A client too slow to send its head is closed without a reply.
    async fn answer_busy(&self, stream: TcpStream, snapshot: bool) {
        let mut writer = stream.clone();
        let mut reader = ConnReader::new(stream);
        let Ok(head) = read_head(&mut reader, REFUSAL_HEAD_READ_TIMEOUT_MS).await else {
            return;
        };
        let http10 = head.minor_version == 0;
        // The body is never read; an empty one stands in for it.
        let request = request_of(head, Body::new(reader, Some(0), false, false, 0), snapshot);
        let reason = format!(
            "all {} connections (--max-connections) are in the middle of a request; retry in {RETRY_AFTER_S} s",
            self.admission.max()
        );
        let mut response = (self.busy_reply)(&request, &reason)
            .with_header("Retry-After", RETRY_AFTER_S.to_string());
        response.close = true;
        drop(request);
        if self
            .write_response(&mut writer, response, http10, true)
            .await
            .is_ok()
        {
            linger(&mut writer).await;
        }
    }

    async fn connection(
        &self,
        stream: TcpStream,
        snapshot: bool,
        handler: Handler,
        ticket: &Ticket,
    ) {
        let mut writer = stream.clone();
        let mut reader = ConnReader::new(stream);
        let mut kept_alive = false;
        loop {
            if kept_alive && !self.next_request(&mut reader, ticket).await {
                return;
            }
            let head = smol::future::or(read_head(&mut reader, HEAD_READ_TIMEOUT_MS), async {
                self.stopped().await;
                Err(HeadError::Closed)
            })
            .await;
            let head = match head {
                Ok(h) => h,
                Err(HeadError::Closed) => return,
                Err(HeadError::Bad(status, message)) => {
                    let mut resp = Response::text(status, format!("{message}\n"));
                    resp.close = true;
                    let _ = self.write_response(&mut writer, resp, false, true).await;
                    return;
                }
            };
            let http10 = head.minor_version == 0;
            let mut keep_alive = !http10;
            let mut length = None;
            let mut chunked = false;
            let mut expect_continue = false;
            let mut bad = None;
            for (name, value) in &head.headers {
                let v = value.trim();
                if name.eq_ignore_ascii_case("connection") {
                    for token in v.split(',').map(str::trim) {
                        if token.eq_ignore_ascii_case("close") {
                            keep_alive = false;
                        } else if token.eq_ignore_ascii_case("keep-alive") {
                            keep_alive = true;
                        }
                    }
                } else if name.eq_ignore_ascii_case("content-length") {
                    // Digits only: `+3` or two different lengths are smuggling attempts.
                    let parsed = (!v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
                        .then(|| v.parse::<u64>().ok())
                        .flatten();
                    match (parsed, length) {
                        (Some(n), None) => length = Some(n),
                        (Some(n), Some(m)) if n == m => {}
                        _ => bad = Some("invalid Content-Length header"),
                    }
                } else if name.eq_ignore_ascii_case("transfer-encoding") {
                    if v.eq_ignore_ascii_case("chunked") {
                        chunked = true;
                    } else {
                        bad = Some("unsupported Transfer-Encoding (only chunked)");
                    }
                } else if name.eq_ignore_ascii_case("expect") {
                    expect_continue = v.eq_ignore_ascii_case("100-continue");
                }
            }
            if chunked && length.is_some() {
                bad = Some("Content-Length and Transfer-Encoding together");
            }
            if let Some(message) = bad {
                let mut resp = Response::text(400, format!("{message}\n"));
                resp.close = true;
                let _ = self.write_response(&mut writer, resp, http10, true).await;
                return;
            }
            let body = Body::new(
                reader,
                length,
                chunked,
                expect_continue && !http10,
                self.body_bytes_max,
            );
            let request = request_of(head, body, snapshot);
            let is_head = request.method == "HEAD";
            let (response, mut body) = handler(request).await;
            let mut close =
                response.close || !keep_alive || self.shutting_down.load(Ordering::Acquire);
            if !body.is_complete() && !close {
                close = !drain(&mut body).await;
            }
            if self
                .write_response(&mut writer, response, http10, close || is_head)
                .await
                .is_err()
                || close
            {
                return;
            }
            reader = body.into_reader();
            kept_alive = true;
        }
    }

    /// Waits, idle and without a read buffer, for the first byte of the next request on a
    /// kept-alive connection. `false` when the connection should close instead: the client
    /// closed it or sent nothing for `KEEP_ALIVE_IDLE_TIMEOUT_MS` (clients that never close
    /// their connections, Node's agent say, must not hold slots for long), a new client took
    /// its slot, or the server is stopping.
    async fn next_request(&self, reader: &mut ConnReader, ticket: &Ticket) -> bool {
        if !reader.buffered().is_empty() {
            // Pipelined: the next request is already here.
            return true;
        }
        reader.release();
        ticket.idle();
        let mut first = [0u8; 1];
        let peek = with_timeout(
            KEEP_ALIVE_IDLE_TIMEOUT_MS,
            "idle",
            reader.stream.peek(&mut first),
        );
        let arrived = smol::future::or(async { matches!(peek.await, Ok(n) if n > 0) }, async {
            smol::future::or(ticket.evicted(), self.stopped()).await;
            false
        })
        .await;
        arrived && ticket.busy()
    }
}

/// The request a parsed head and its body make.
fn request_of(head: Head, body: Body, snapshot: bool) -> Request {
    let (path, query) = head
        .target
        .split_once('?')
        .unwrap_or((head.target.as_str(), ""));
    Request {
        method: head.method,
        path: http::percent_decode(path, false),
        query: query.to_owned(),
        headers: head.headers,
        body,
        snapshot,
    }
}

/// Half-closes a refused connection and discards what its client still sends (the body),
/// at most `BODY_DRAIN_BYTES_MAX` within `REFUSAL_HEAD_READ_TIMEOUT_MS`: closing with unread
/// bytes sends a reset, which can destroy the reply before the client has read it.
async fn linger(stream: &mut TcpStream) {
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let mut scratch = [0u8; 4096];
    let mut drained = 0u64;
    let _ = with_timeout(REFUSAL_HEAD_READ_TIMEOUT_MS, "linger", async {
        loop {
            match stream.read(&mut scratch).await {
                Ok(0) | Err(_) => return Ok(()),
                Ok(n) => {
                    drained += n as u64;
                    if drained > BODY_DRAIN_BYTES_MAX {
                        return Ok(());
                    }
                }
            }
        }
    })
    .await;
}

/// Reads and discards the rest of a small unread body so the connection can be reused.
async fn drain(body: &mut Body) -> bool {
    if body
        .declared_len()
        .is_some_and(|n| n > BODY_DRAIN_BYTES_MAX)
    {
        return false;
    }
    let mut drained = 0u64;
    loop {
        match body.chunk().await {
            Ok([]) => return true,
            Ok(chunk) => {
                drained += chunk.len() as u64;
                if drained > BODY_DRAIN_BYTES_MAX {
                    return false;
                }
            }
            Err(_) => return false,
        }
    }
}

struct Head {
    method: String,
    target: String,
    minor_version: u8,
    headers: Vec<(String, String)>,
}

enum HeadError {
    /// The peer closed or went idle between requests; no reply.
    Closed,
    Bad(u16, String),
}

async fn read_head(reader: &mut ConnReader, timeout_ms: u64) -> Result<Head, HeadError> {
    let deadline = smol::Timer::after(Duration::from_millis(timeout_ms));
    let read = async {
        loop {
            let mut headers = [httparse::EMPTY_HEADER; HEADERS_MAX];
            let mut req = httparse::Request::new(&mut headers);
            let buffered = reader.buffered();
            match req.parse(buffered) {
                Ok(httparse::Status::Complete(used)) => {
                    let head = Head {
                        method: req.method.unwrap_or_default().to_owned(),
                        target: req.path.unwrap_or("/").to_owned(),
                        minor_version: req.version.unwrap_or(1),
                        headers: req
                            .headers
                            .iter()
                            .map(|h| {
                                (
                                    h.name.to_owned(),
                                    String::from_utf8_lossy(h.value).into_owned(),
                                )
                            })
                            .collect(),
                    };
                    reader.start += used;
                    return Ok(head);
                }
                Ok(httparse::Status::Partial) => {
                    if buffered.len() >= HEAD_BYTES_MAX {
                        return Err(HeadError::Bad(
                            431,
                            format!("request head exceeds head_bytes_max ({HEAD_BYTES_MAX} bytes)"),
                        ));
                    }
                }
                Err(httparse::Error::TooManyHeaders) => {
                    return Err(HeadError::Bad(
                        431,
                        format!("more than headers_max ({HEADERS_MAX}) headers"),
                    ));
                }
                Err(httparse::Error::Version) => {
                    return Err(HeadError::Bad(505, "unsupported HTTP version".into()));
                }
                Err(e) => return Err(HeadError::Bad(400, format!("malformed request: {e}"))),
            }
            match reader.fill().await {
                Ok(0) | Err(_) => return Err(HeadError::Closed),
                Ok(_) => {}
            }
        }
    };
    smol::future::or(read, async {
        (&mut { deadline }).await;
        Err(HeadError::Closed)
    })
    .await
}

impl Server {
    async fn write_response(
        &self,
        stream: &mut TcpStream,
        response: Response,
        http10: bool,
        close: bool,
    ) -> io::Result<()> {
        let mut head = String::with_capacity(256);
        let version = if http10 { "HTTP/1.0" } else { "HTTP/1.1" };
        head.push_str(&format!(
            "{version} {} {}\r\n",
            response.status,
            reason_phrase(response.status)
        ));
        for (name, value) in &response.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        // HTTP/1.0 has no chunked encoding: stream the body and mark its end by closing.
        let streamed = !matches!(response.body, ResponseBody::Bytes(_));
        let close = close || (http10 && streamed);
        match &response.body {
            ResponseBody::Bytes(b) => head.push_str(&format!("Content-Length: {}\r\n", b.len())),
            _ if !http10 => head.push_str("Transfer-Encoding: chunked\r\n"),
            _ => {}
        }
        if close {
            head.push_str("Connection: close\r\n");
        } else if http10 {
            head.push_str("Connection: keep-alive\r\n");
        }
        head.push_str("\r\n");
        let timeout = self.write_timeout;
        let write = |bytes: Vec<u8>| {
            let mut s = stream.clone();
            async move { write_all_progressing(&mut s, &bytes, timeout).await }
        };
        match response.body {
            ResponseBody::Bytes(body) => {
                let mut out = head.into_bytes();
                out.extend_from_slice(&body);
                write(out).await?;
            }
            ResponseBody::Stream(mut source) => {
                write(head.into_bytes()).await?;
                let mut buf = Vec::with_capacity(RESPONSE_CHUNK_BYTES + 64);
                loop {
                    buf.clear();
                    let more = loop {
                        match source.next_chunk(&mut buf) {
                            Ok(true) if buf.len() < RESPONSE_CHUNK_BYTES => continue,
                            Ok(more) => break more,
                            // Bytes already went out with a 200: send what the source wrote
                            // (its error text, say) and end without the last chunk, which the
                            // client sees as a truncated body.
                            Err(e) => {
                                eprintln!("tidegate: response stream failed: {e}");
                                if !buf.is_empty() {
                                    write(frame(&buf, http10)).await?;
                                }
                                return Err(io::Error::other(e));
                            }
                        }
                    };
                    if !buf.is_empty() {
                        write(frame(&buf, http10)).await?;
                    }
                    if !more {
                        break;
                    }
                }
                if !http10 {
                    write(b"0\r\n\r\n".to_vec()).await?;
                }
            }
            ResponseBody::Live(mut source) => {
                write(head.into_bytes()).await?;
                self.write_live(stream, source.as_mut(), http10).await?;
            }
        }
        stream.flush().await?;
        Ok(())
    }

    /// Writes a live body piece by piece, each flushed at once. Ends when the source does, when
    /// the client closes its side (found by reading while the source waits, so a dead client
    /// does not hold a subscription forever) or at shutdown (the source writes its tail first).
    async fn write_live(
        &self,
        stream: &mut TcpStream,
        source: &mut dyn LiveBodySource,
        http10: bool,
    ) -> io::Result<()> {
        enum Step {
            Chunk(Result<bool, String>),
            Gone,
            Stopping,
        }
        let mut probe = stream.clone();
        let mut buf = Vec::with_capacity(RESPONSE_CHUNK_BYTES + 64);
        loop {
            buf.clear();
            let step = smol::future::or(
                smol::future::or(
                    async { Step::Chunk(source.next_chunk(&mut buf).await) },
                    async {
                        peer_closed(&mut probe).await;
                        Step::Gone
                    },
                ),
                async {
                    self.stopped().await;
                    Step::Stopping
                },
            )
            .await;
            let more = match step {
                Step::Chunk(Ok(more)) => more,
                Step::Chunk(Err(e)) => {
                    eprintln!("tidegate: live response ended: {e}");
                    return Err(io::Error::other(e));
                }
                Step::Gone => return Err(io::Error::new(io::ErrorKind::BrokenPipe, "client left")),
                Step::Stopping => {
                    buf.clear();
                    source.finish(&mut buf);
                    false
                }
            };
            if !buf.is_empty() {
                let framed = frame(&buf, http10);
                write_all_progressing(stream, &framed, self.write_timeout).await?;
                stream.flush().await?;
            }
            if !more {
                break;
            }
        }
        if !http10 {
            write_all_progressing(stream, b"0\r\n\r\n", self.write_timeout).await?;
        }
        Ok(())
    }
}

/// Writes all of `bytes`, failing with `TimedOut` once the socket has taken no byte for
/// `timeout`; every byte taken restarts the wait, so the rule holds however a reply is cut
/// into writes. The timer is polled first: when it fires, the connection is given up without
/// one more write attempt. Such an attempt can still succeed on a client that reads nothing
/// (the kernel reports a socket writable only once a third of its send buffer is free, and
/// the room below that mark, or what its accounting frees later, takes a last slice), which
/// used to restart the wait once and drop such clients only after twice the timeout. A client
/// keeps its connection by reading enough for the kernel to wake the writer within `timeout`.
async fn write_all_progressing(
    stream: &mut TcpStream,
    mut bytes: &[u8],
    timeout: Duration,
) -> io::Result<()> {
    while !bytes.is_empty() {
        let timed_out = async {
            smol::Timer::after(timeout).await;
            Err(io::Error::new(io::ErrorKind::TimedOut, "write timed out"))
        };
        let written = smol::future::or(timed_out, stream.write(bytes)).await?;
        if written == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        bytes = bytes.get(written..).unwrap_or_default();
    }
    Ok(())
}

/// Resolves once the peer closed its side or the socket failed. Bytes the client sends in
/// the meantime are discarded: a live response always closes the connection after it.
async fn peer_closed(stream: &mut TcpStream) {
    let mut scratch = [0u8; 512];
    loop {
        match smol::io::AsyncReadExt::read(stream, &mut scratch).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
    }
}

/// One piece of a streamed body: a chunk of the chunked encoding, or the bytes as they are
/// for HTTP/1.0, whose body ends when the connection closes.
fn frame(buf: &[u8], http10: bool) -> Vec<u8> {
    let mut framed = Vec::with_capacity(buf.len() + 16);
    if http10 {
        framed.extend_from_slice(buf);
    } else {
        framed.extend_from_slice(format!("{:x}\r\n", buf.len()).as_bytes());
        framed.extend_from_slice(buf);
        framed.extend_from_slice(b"\r\n");
    }
    framed
}

/// Binds every address; fails with the address named if one cannot be bound.
pub fn bind(addrs: &[SocketAddr]) -> Result<Vec<TcpListener>, String> {
    addrs
        .iter()
        .map(|addr| {
            let std_listener = std::net::TcpListener::bind(addr)
                .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
            TcpListener::try_from(std_listener).map_err(|e| format!("cannot listen on {addr}: {e}"))
        })
        .collect()
}
