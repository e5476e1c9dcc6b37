//! The benchmark's baseline: the least a server on this stack can do per request. One thread,
//! one `LocalExecutor`, async-h1's decoder and encoder in a keep-alive loop, TCP_NODELAY, the
//! request body read, and a fixed `200 OK`. No routing, JSON, sessions or timeouts: whatever mcpd
//! does per request is measured against this ceiling (`benches/bench.sh`).
//!
//! Run with: `cargo run --release --example bare_responder -- 3100` (port; 0 picks one)

use std::net::TcpListener;

use async_io::Async;
use futures_lite::{io, AsyncReadExt};
use http_types::{Response, StatusCode};
use smol::LocalExecutor;

async fn serve(stream: smol::net::TcpStream) {
    while let Ok(Some((mut req, _))) = async_h1::server::decode(stream.clone()).await {
        let mut body = Vec::new();
        if req.take_body().read_to_end(&mut body).await.is_err() {
            return;
        }
        let mut res = Response::new(StatusCode::Ok);
        res.set_body("OK");
        let encoder = &mut async_h1::server::Encoder::new(res, req.method());
        if io::copy(encoder, &mut stream.clone()).await.is_err() {
            return;
        }
    }
}

fn main() -> std::io::Result<()> {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    let listener = Async::<TcpListener>::bind(([127, 0, 0, 1], port))?;
    println!(
        "bare responder listening on http://{}/",
        listener.get_ref().local_addr()?
    );
    let executor = LocalExecutor::new();
    smol::block_on(executor.run(async {
        loop {
            let (stream, _) = listener.accept().await?;
            stream.get_ref().set_nodelay(true)?;
            executor
                .spawn(serve(smol::net::TcpStream::from(stream)))
                .detach();
        }
    }))
}
