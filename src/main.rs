//! The `mcpd` binary: the sample tools, resources and prompt, served with the flags given.

fn main() {
    mcpd::run(mcpd::sample::registry())
}
