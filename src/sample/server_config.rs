//! Resource `config://server`: the effective configuration, secrets masked.

use crate::content;
use crate::registry::Resource;

/// The resource.
pub fn resource() -> Resource {
    Resource::new(
        "config://server",
        "Server configuration",
        "The effective configuration of this mcpd process.",
        "application/json",
        |ctx, uri| async move {
            Ok(content::resource_text(
                &uri,
                "application/json",
                ctx.config().to_json().to_string(),
            ))
        },
    )
}
