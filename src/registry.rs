//! The public API for adding tools, resources and prompts: build a [`Registry`] and hand it to
//! [`crate::run`]. One tool is one value; registering it is one line.
//!
//! ```no_run
//! use mcpd::{content, Registry, Tool};
//! use serde_json::json;
//!
//! fn shout() -> Tool {
//!     Tool::new("shout", "Upper-cases `text`.", json!({
//!         "type": "object",
//!         "properties": { "text": { "type": "string" } },
//!         "required": ["text"]
//!     }), |_ctx, args| async move {
//!         let text = args["text"].as_str().unwrap_or_default().to_uppercase();
//!         Ok(content::result(vec![content::text(text)]))
//!     })
//! }
//!
//! fn main() {
//!     mcpd::run(Registry::new("my-server", "1.0.0").tool(shout()))
//! }
//! ```

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use serde_json::{json, Map, Value};

use crate::ctx::Ctx;
use crate::jsonrpc::RpcError;
use crate::uri_template::UriTemplate;

/// What a handler returns: a result object, or a JSON-RPC error.
pub type Outcome = Result<Value, RpcError>;
type Handler<A> = Rc<dyn Fn(Ctx, A) -> Pin<Box<dyn Future<Output = Outcome>>>>;

fn boxed<A, F, Fut>(f: F) -> Handler<A>
where
    F: Fn(Ctx, A) -> Fut + 'static,
    Fut: Future<Output = Outcome> + 'static,
{
    Rc::new(move |ctx, arg| Box::pin(f(ctx, arg)))
}

/// A tool: its listing (`name`, `description`, `inputSchema`, …) and its handler, which gets the
/// request context and the `arguments` object and returns a `CallToolResult`.
#[derive(Clone)]
pub struct Tool {
    pub(crate) name: String,
    pub(crate) listing: Value,
    pub(crate) handler: Handler<Value>,
    /// Scopes a caller's token needs for this tool (with authentication on).
    pub(crate) scopes: Vec<String>,
}

impl Tool {
    /// A tool; `input_schema` must be a JSON Schema object with `"type": "object"`.
    pub fn new<F, Fut>(name: &str, description: &str, input_schema: Value, handler: F) -> Tool
    where
        F: Fn(Ctx, Value) -> Fut + 'static,
        Fut: Future<Output = Outcome> + 'static,
    {
        let listing =
            json!({ "name": name, "description": description, "inputSchema": input_schema });
        Tool {
            name: name.to_owned(),
            listing,
            handler: boxed(handler),
            scopes: Vec::new(),
        }
    }

    /// Makes the tool need `scopes` (with authentication on): `tools/list` shows it only to
    /// callers whose token grants them all, and `tools/call` without them gets 403
    /// `insufficient_scope` naming every scope needed, so the client can step up and retry.
    pub fn requires(mut self, scopes: &[&str]) -> Tool {
        self.scopes = scopes.iter().map(|s| s.to_string()).collect();
        self
    }

    /// Whether `principal` may call it (anyone, without authentication).
    pub(crate) fn admits(&self, principal: Option<&crate::auth::Principal>) -> bool {
        principal.is_none_or(|p| self.scopes.iter().all(|s| p.has_scope(s)))
    }

    /// Adds a field to the listing (`title`, `annotations`, `outputSchema`, `icons`, …).
    pub fn with(mut self, key: &str, value: Value) -> Tool {
        self.listing[key] = value;
        self
    }
}

/// A fixed resource: its listing (`uri`, `name`, …) and a handler returning its `contents` array.
#[derive(Clone)]
pub struct Resource {
    pub(crate) uri: String,
    pub(crate) listing: Value,
    pub(crate) handler: Handler<String>,
}

impl Resource {
    /// A resource at `uri`; the handler gets the uri and returns `[{uri, mimeType, text|blob}]`.
    pub fn new<F, Fut>(
        uri: &str,
        name: &str,
        description: &str,
        mime_type: &str,
        handler: F,
    ) -> Resource
    where
        F: Fn(Ctx, String) -> Fut + 'static,
        Fut: Future<Output = Outcome> + 'static,
    {
        let listing =
            json!({ "uri": uri, "name": name, "description": description, "mimeType": mime_type });
        Resource {
            uri: uri.to_owned(),
            listing,
            handler: boxed(handler),
        }
    }
}

/// A family of resources named by an RFC 6570 template such as `test://template/{id}/data`.
#[derive(Clone)]
pub struct ResourceTemplate {
    pub(crate) template: UriTemplate,
    pub(crate) listing: Value,
    pub(crate) handler: Handler<(String, HashMap<String, String>)>,
}

impl ResourceTemplate {
    /// A template; the handler gets the uri and its variables and returns the `contents` array.
    pub fn new<F, Fut>(
        uri_template: &str,
        name: &str,
        description: &str,
        mime_type: &str,
        handler: F,
    ) -> Self
    where
        F: Fn(Ctx, (String, HashMap<String, String>)) -> Fut + 'static,
        Fut: Future<Output = Outcome> + 'static,
    {
        let listing = json!({ "uriTemplate": uri_template, "name": name, "description": description, "mimeType": mime_type });
        ResourceTemplate {
            template: UriTemplate::new(uri_template),
            listing,
            handler: boxed(handler),
        }
    }
}

/// A prompt: its listing, suggested values per argument (for `completion/complete`), and a
/// handler that gets the `arguments` object and returns a `GetPromptResult`.
#[derive(Clone)]
pub struct Prompt {
    pub(crate) name: String,
    pub(crate) listing: Value,
    pub(crate) suggestions: HashMap<String, Vec<String>>,
    pub(crate) handler: Handler<Map<String, Value>>,
}

impl Prompt {
    /// A prompt without arguments (add them with [`Prompt::argument`]).
    pub fn new<F, Fut>(name: &str, description: &str, handler: F) -> Prompt
    where
        F: Fn(Ctx, Map<String, Value>) -> Fut + 'static,
        Fut: Future<Output = Outcome> + 'static,
    {
        let listing = json!({ "name": name, "description": description, "arguments": [] });
        Prompt {
            name: name.to_owned(),
            listing,
            suggestions: HashMap::new(),
            handler: boxed(handler),
        }
    }

    /// Declares an argument; `prompts/get` rejects a call missing a required one with -32602.
    pub fn argument(mut self, name: &str, description: &str, required: bool) -> Prompt {
        if let Some(args) = self.listing["arguments"].as_array_mut() {
            args.push(json!({ "name": name, "description": description, "required": required }));
        }
        self
    }

    /// Values `completion/complete` offers for an argument (filtered by the typed prefix).
    pub fn suggest(mut self, argument: &str, values: &[&str]) -> Prompt {
        self.suggestions.insert(
            argument.to_owned(),
            values.iter().map(|v| v.to_string()).collect(),
        );
        self
    }

    pub(crate) fn required_arguments(&self) -> impl Iterator<Item = &str> {
        self.listing["arguments"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|a| a["required"] == true)
            .filter_map(|a| a["name"].as_str())
    }
}

/// Everything a server offers, in listing order.
#[derive(Clone, Default)]
pub struct Registry {
    pub(crate) name: String,
    pub(crate) version: String,
    pub(crate) instructions: Option<String>,
    pub(crate) tools: Vec<Rc<Tool>>,
    pub(crate) resources: Vec<Resource>,
    pub(crate) templates: Vec<ResourceTemplate>,
    pub(crate) prompts: Vec<Rc<Prompt>>,
}

impl Registry {
    /// An empty registry; `name` and `version` become the `serverInfo`.
    pub fn new(name: &str, version: &str) -> Registry {
        Registry {
            name: name.to_owned(),
            version: version.to_owned(),
            ..Registry::default()
        }
    }
    /// Sets the `instructions` returned by `initialize`.
    pub fn instructions(mut self, text: &str) -> Registry {
        self.instructions = Some(text.to_owned());
        self
    }
    /// Adds a tool.
    pub fn tool(mut self, tool: Tool) -> Registry {
        self.tools.push(Rc::new(tool));
        self
    }
    /// Adds a resource.
    pub fn resource(mut self, resource: Resource) -> Registry {
        self.resources.push(resource);
        self
    }
    /// Adds a resource template.
    pub fn template(mut self, template: ResourceTemplate) -> Registry {
        self.templates.push(template);
        self
    }
    /// Adds a prompt.
    pub fn prompt(mut self, prompt: Prompt) -> Registry {
        self.prompts.push(Rc::new(prompt));
        self
    }
}

/// Handlers are closures; their listing is what tells one item from another.
macro_rules! debug_by_listing {
    ($($item:ty),*) => {$(
        impl std::fmt::Debug for $item {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}({})", stringify!($item), self.listing)
            }
        }
    )*};
}

debug_by_listing!(Tool, Resource, ResourceTemplate, Prompt);

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("name", &self.name)
            .field("tools", &self.tools.len())
            .field("resources", &self.resources.len())
            .field("templates", &self.templates.len())
            .field("prompts", &self.prompts.len())
            .finish()
    }
}
