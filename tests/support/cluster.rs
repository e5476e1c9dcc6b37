//! A cluster for a test: `n` nodes `p<port>` on consecutive ports, all on one store, with the
//! real NGINX in front (configured by `nginx/generate`).

use std::rc::Rc;

use serde_json::{json, Value};

use super::backing::Backing;
use super::nginx::{free_ports, Nginx};
use super::server::Server;

/// The nodes and NGINX, stopped (by pid) when dropped.
pub struct Cluster {
    pub nodes: Vec<Server>,
    pub nginx: Nginx,
}

impl Cluster {
    /// The index of the node whose prefix `session` carries.
    pub fn owner_of(&self, session: &str) -> usize {
        let prefix = |n: &Server| format!("p{}.", n.addr.rsplit(':').next().unwrap_or_default());
        self.nodes
            .iter()
            .position(|n| session.starts_with(&prefix(n)))
            .expect("an owner node")
    }
}

/// A cluster of `examples/everything` nodes (or of `mcpd` nodes when `fixtures` is false). A
/// port taken between choosing and binding it makes a node fail to start: then every node
/// started so far is stopped and the cluster starts again on other ports.
pub fn cluster_of(fixtures: bool, backing: Backing, n: u16, args: &[&str]) -> Cluster {
    let backing = Rc::new(backing);
    for _ in 0..10 {
        let first = free_ports(n);
        let nodes: Result<Vec<Server>, String> = (0..n)
            .map(|i| Server::node(fixtures, &backing, first + i, args))
            .collect();
        match nodes {
            Ok(nodes) => {
                let nginx = Nginx::start(first, n);
                return Cluster { nodes, nginx };
            }
            Err(e) => eprintln!("a node did not start ({e}); trying other ports"),
        }
    }
    panic!("no cluster of {n} nodes could start in 10 tries");
}

/// A cluster of `examples/everything` nodes.
pub fn cluster(backing: Backing, n: u16, args: &[&str]) -> Cluster {
    cluster_of(true, backing, n, args)
}

/// `slow_progress` with a progress token equal to its id.
pub fn progress_call(id: u64, steps: u64, interval_ms: u64) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {
        "name": "slow_progress", "arguments": {"steps": steps, "interval_ms": interval_ms}, "_meta": {"progressToken": id}}})
}
