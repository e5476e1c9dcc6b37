//! The `test://` resources and the resource template the conformance scenarios read.

use mcpd::{content, Registry, Resource, ResourceTemplate};
use serde_json::json;

use crate::PNG;

/// Adds the resources and the template.
pub fn resources(registry: Registry) -> Registry {
    registry
        .resource(Resource::new(
            "test://static-text",
            "Static text",
            "A fixed text resource.",
            "text/plain",
            |_ctx, uri| async move {
                Ok(content::resource_text(
                    &uri,
                    "text/plain",
                    "This is the content of the static text resource.",
                ))
            },
        ))
        .resource(Resource::new(
            "test://static-binary",
            "Static binary",
            "A fixed PNG.",
            "image/png",
            |_ctx, uri| async move { Ok(content::resource_blob(&uri, "image/png", PNG)) },
        ))
        .resource(Resource::new(
            "test://watched-resource",
            "Watched resource",
            "A resource to subscribe to.",
            "text/plain",
            |_ctx, uri| async move {
                Ok(content::resource_text(
                    &uri,
                    "text/plain",
                    "Watched resource content",
                ))
            },
        ))
        .template(ResourceTemplate::new(
            "test://template/{id}/data",
            "Template data",
            "Data for an id.",
            "application/json",
            |_ctx, (uri, vars)| async move {
                let id = vars.get("id").cloned().unwrap_or_default();
                let body =
                    json!({ "id": id, "templateTest": true, "data": format!("Data for ID: {id}") });
                Ok(content::resource_text(
                    &uri,
                    "application/json",
                    body.to_string(),
                ))
            },
        ))
}
