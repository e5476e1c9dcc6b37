//! `resources/list`, `resources/templates/list`, `resources/read`, `resources/subscribe` and
//! `resources/unsubscribe`.

use serde_json::{json, Value};

use super::{page::page, required_str};
use crate::ctx::Ctx;
use crate::jsonrpc::RpcError;
use crate::registry::Outcome;

/// `resources/list {cursor?}`.
pub fn list(ctx: &Ctx, params: &Value) -> Outcome {
    let resources = &ctx.app().registry.resources;
    page(
        "resources",
        resources.iter().map(|r| &r.listing),
        params,
        ctx.config().page_size,
    )
}

/// `resources/templates/list {cursor?}`.
pub fn list_templates(ctx: &Ctx, params: &Value) -> Outcome {
    let templates = &ctx.app().registry.templates;
    page(
        "resourceTemplates",
        templates.iter().map(|t| &t.listing),
        params,
        ctx.config().page_size,
    )
}

/// `resources/read {uri}`: a fixed resource first, then the first matching template;
/// nothing → -32002 with the uri.
pub async fn read(ctx: Ctx, params: Value) -> Outcome {
    let uri = required_str(&params, "uri")?.to_owned();
    let registry = &ctx.app().registry;
    let contents = if let Some(resource) = registry.resources.iter().find(|r| r.uri == uri) {
        let handler = resource.handler.clone();
        handler(ctx, uri).await?
    } else if let Some((template, vars)) = registry
        .templates
        .iter()
        .find_map(|t| t.template.matches(&uri).map(|vars| (t, vars)))
    {
        let handler = template.handler.clone();
        handler(ctx, (uri, vars)).await?
    } else {
        return Err(RpcError::resource_not_found(&uri));
    };
    Ok(json!({ "contents": contents }))
}

/// `resources/subscribe {uri}` and `resources/unsubscribe {uri}` → `{}`; the subscription is
/// part of the session snapshot.
pub async fn subscribe(ctx: &Ctx, params: &Value, on: bool) -> Outcome {
    let uri = required_str(params, "uri")?;
    if !uri.contains(':') {
        return Err(RpcError::invalid_params(format!("'{uri}' is not a URI")));
    }
    if let Some(session) = ctx.session() {
        let changed = {
            let mut subs = session.subscriptions.borrow_mut();
            if on {
                subs.insert(uri.to_owned())
            } else {
                subs.remove(uri)
            }
        };
        if changed {
            ctx.save_session().await?;
        }
    }
    Ok(json!({}))
}
