//! A three-node JetStream cluster on loopback for one test: each node in a
//! folder of its own, fsync before every acknowledgement as in production,
//! client ports the servers pick, route ports found free. A node can be
//! killed (SIGKILL) and started again on its data.

use herald_infrastructure::nats_server::{ClusterNode, Durability, NatsServer, NatsServerConfig};
use tempfile::TempDir;

use crate::nats::nats_server_binary;

pub struct TestNatsCluster {
    nodes: Vec<Option<NatsServer>>,
    configs: Vec<NatsServerConfig>,
    _dir: TempDir,
}

impl TestNatsCluster {
    /// Starts `size` nodes as one cluster.
    ///
    /// # Panics
    /// When a node cannot start.
    pub async fn start(size: usize) -> Self {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let nodes = ClusterNode::local_cluster("herald-test", size).expect("free ports");
        let configs: Vec<NatsServerConfig> = nodes
            .into_iter()
            .map(|node| NatsServerConfig {
                binary: nats_server_binary(),
                data_dir: dir.path().join(&node.server_name),
                durability: Durability::Always,
                cluster: Some(node),
                port: None,
            })
            .collect();
        let mut nodes = Vec::new();
        for config in &configs {
            nodes.push(Some(
                NatsServer::start(config)
                    .await
                    .expect("a cluster node starts (run ./scripts/install-tools)"),
            ));
        }
        Self {
            nodes,
            configs,
            _dir: dir,
        }
    }

    /// The client URLs of the running nodes, comma-separated.
    pub fn urls(&self) -> String {
        let urls: Vec<&str> = self.nodes.iter().flatten().map(NatsServer::url).collect();
        urls.join(",")
    }

    fn index(&self, server_name: &str) -> usize {
        self.configs
            .iter()
            .position(|c| {
                c.cluster
                    .as_ref()
                    .is_some_and(|n| n.server_name == server_name)
            })
            .unwrap_or_else(|| panic!("no node {server_name}"))
    }

    /// Kills the node named `server_name` at once, as a crash would.
    pub async fn kill(&mut self, server_name: &str) {
        let index = self.index(server_name);
        if let Some(node) = self.nodes[index].take() {
            node.kill().await;
        }
    }

    /// Starts the node named `server_name` again on its data.
    ///
    /// # Panics
    /// When it does not start.
    pub async fn restart(&mut self, server_name: &str) {
        let index = self.index(server_name);
        let node = NatsServer::start(&self.configs[index])
            .await
            .expect("the node starts again");
        self.nodes[index] = Some(node);
    }
}
