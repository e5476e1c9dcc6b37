//! The content the `mcpd` binary ships: tools `calculator` and `echo`, resources
//! `system://info` and `config://server`, and the prompt `summarize`. Each lives in its own
//! file; adding one is a new file and one line here.

mod calculator;
mod echo;
mod prompts;
mod server_config;
mod system_info;

use crate::registry::Registry;

/// The sample registry.
pub fn registry() -> Registry {
    Registry::new("mcpd", env!("CARGO_PKG_VERSION"))
        .instructions(
            "mcpd sample server: use calculator for arithmetic, echo to test the connection.",
        )
        .tool(calculator::tool())
        .tool(echo::tool())
        .resource(system_info::resource())
        .resource(server_config::resource())
        .prompt(prompts::summarize())
}
