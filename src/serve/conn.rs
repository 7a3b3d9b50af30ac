//! Accepting and serving HTTP/1 connections with the limits `axum::serve`
//! leaves out: it sets no timer, so a client could hold a connection open
//! forever by sending its headers a byte at a time (slowloris) or by never
//! sending a request at all, and it accepts without bound.
//!
//! Here every connection must deliver each request's headers within
//! `timeout` (an idle keep-alive connection is closed after the same time),
//! at most `max_connections` are open at once (further clients wait in the
//! kernel's backlog), and shutdown stops accepting, lets in-flight requests
//! finish, and gives up on stragglers after [`SHUTDOWN_GRACE`].

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

/// How long shutdown waits for open connections to finish.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Connection limits (see the module docs).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub timeout: Duration,
    pub max_connections: usize,
}

/// Serves `app` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    // Dropping the sender tells every connection to finish gracefully.
    let (close_tx, close_rx) = watch::channel(());
    let mut open = JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        // A slot first: while all are taken, clients queue in the backlog.
        let permit = tokio::select! {
            p = slots.clone().acquire_owned() => p.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: back off rather
                    // than spin; a reset before accept is not worth a word.
                    if !matches!(
                        e.kind(),
                        std::io::ErrorKind::ConnectionAborted | std::io::ErrorKind::ConnectionReset
                    ) {
                        tracing::warn!("accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        open.spawn(connection(
            stream,
            peer,
            app.clone(),
            limits.timeout,
            close_rx.clone(),
            permit,
        ));
        // Reap finished connections so the set stays the size of what is open.
        while open.try_join_next().is_some() {}
    }
    drop(listener);
    drop(close_tx);
    let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while open.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            "{} connection(s) still open after {}s; closing them",
            open.len(),
            SHUTDOWN_GRACE.as_secs()
        );
        open.abort_all();
    }
}

async fn connection(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    app: Router,
    timeout: Duration,
    mut close: watch::Receiver<()>,
    _slot: tokio::sync::OwnedSemaphorePermit,
) {
    // What `into_make_service_with_connect_info` would add to each request.
    let app = app.layer(axum::Extension(ConnectInfo(peer)));
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(timeout)
        .serve_connection(TokioIo::new(stream), TowerToHyperService::new(app));
    let mut conn = std::pin::pin!(conn);
    let result = tokio::select! {
        r = conn.as_mut() => r,
        _ = close.changed() => {
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    };
    if let Err(e) = result {
        // Timeouts, resets and malformed requests: the client's problem.
        tracing::debug!("connection ended: {e}");
    }
}
