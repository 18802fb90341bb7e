//! The `switchboard` binary: parse the command line, start logging, run.

use clap::Parser;

// glibc malloc was about a fifth of a create's instructions in profiles;
// mimalloc is much cheaper for the many small, short-lived allocations of
// request handling. With the crate's `override` feature it also serves the
// C code's malloc (SQLite's page cache and B-tree scratch space), which
// under glibc grew and trimmed the writer thread's heap with an `mprotect`
// system call every few creates.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn,tower_http=info")),
        )
        .with_writer(std::io::stderr)
        .init();
    switchboard::cli::run(switchboard::cli::Cli::parse()).await
}
