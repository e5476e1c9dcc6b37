//! Resource `system://info`: host name, OS, architecture, CPUs, uptime, pid, RSS, node id and
//! version, read when the resource is read.

use crate::content;
use crate::registry::Resource;
use crate::system;

/// The resource.
pub fn resource() -> Resource {
    Resource::new(
        "system://info",
        "System information",
        "This machine and this mcpd process, read live.",
        "application/json",
        |ctx, uri| async move {
            let info = system::info(&ctx.config().node_id, ctx.app().started);
            Ok(content::resource_text(
                &uri,
                "application/json",
                info.to_string(),
            ))
        },
    )
}
