//! The command line: `serve`, `migrate`, `tokens`, `call-centers`, `bench`.

use std::io::Write;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::auth::jwt;
use crate::auth::token::IssuedToken;
use crate::config::{DatabaseConfig, ServeConfig};
use crate::domain::call_center::{CallCenter, JwtAlgorithm, parse_api_name};
use crate::domain::caller::User;
use crate::domain::ids::{TenantId, UserId};
use crate::server::{Server, shutdown_signal};
use crate::store::Store;

/// Switchboard: one gRPC telephony backend for Genesys, Hubgets/VoipNow,
/// Salesforce and vcita callers.
#[derive(Debug, Parser)]
#[command(name = "switchboard", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve gRPC and the REST dialects on one port until SIGTERM or Ctrl-C.
    Serve(ServeConfig),
    /// Apply pending database migrations and exit (`serve` also does this).
    Migrate(DatabaseConfig),
    /// Issue, list and revoke API tokens.
    #[command(subcommand)]
    Tokens(TokensCommand),
    /// Configure the Salesforce call centres whose JWTs are accepted.
    #[command(subcommand)]
    CallCenters(CallCentersCommand),
    /// Drive a running Switchboard with load and report rps, latency and
    /// errors (see docs/performance.md).
    Bench(crate::bench::BenchConfig),
}

/// A call centre's signing algorithm, as typed on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum AlgorithmArg {
    /// RSA SHA-256; `--key-file` is the PEM public key (Salesforce's choice).
    Rs256,
    /// HMAC SHA-256; `--key-file` holds the shared secret (at least 32
    /// bytes). Stored as given: meant for tests and development.
    Hs256,
}

/// `switchboard call-centers …`
#[derive(Debug, Subcommand)]
pub enum CallCentersCommand {
    /// Add a call centre, or replace the one with the same API name. Its
    /// JWTs (`sub` = the API name) then act as `--user` in `--tenant` (both
    /// created if new).
    Add {
        /// The call centre's API name (the JWT `sub`, the body's
        /// `callCenterApiName`).
        #[arg(long)]
        name: String,
        /// The tenant its calls belong to.
        #[arg(long)]
        tenant: String,
        /// The service user its requests act as.
        #[arg(long)]
        user: String,
        /// How its JWTs are signed.
        #[arg(long, value_enum, default_value = "rs256")]
        algorithm: AlgorithmArg,
        /// RS256: a PEM file with the public key (or certificate's key).
        /// HS256: a file whose bytes are the secret. `-` reads stdin.
        #[arg(long)]
        key_file: std::path::PathBuf,
        /// Require this `iss` (the Salesforce org id).
        #[arg(long)]
        issuer: Option<String>,
        /// Require this `aud` (for example `https://scrt.salesforce.com`).
        #[arg(long)]
        audience: Option<String>,
        /// The database.
        #[command(flatten)]
        database: DatabaseConfig,
    },
    /// List call centres (never key material).
    List {
        /// Only this tenant's call centres.
        #[arg(long)]
        tenant: Option<String>,
        /// The database.
        #[command(flatten)]
        database: DatabaseConfig,
    },
    /// Remove a call centre; its JWTs stop working within 30 seconds.
    Remove {
        /// The call centre's API name.
        name: String,
        /// The database.
        #[command(flatten)]
        database: DatabaseConfig,
    },
}

/// `switchboard tokens …`
#[derive(Debug, Subcommand)]
pub enum TokensCommand {
    /// Issue a token for a user of a tenant (both created if new). The token
    /// is printed once; only its hash is stored.
    Create {
        /// The tenant the token acts in.
        #[arg(long)]
        tenant: String,
        /// The user the token acts as.
        #[arg(long)]
        user: String,
        /// The user's login name shown as owner (defaults to the user id).
        #[arg(long)]
        user_name: Option<String>,
        /// The user's first name.
        #[arg(long)]
        first_name: Option<String>,
        /// The user's last name.
        #[arg(long)]
        last_name: Option<String>,
        /// The database.
        #[command(flatten)]
        database: DatabaseConfig,
    },
    /// List tokens (ids, tenants, users; never secrets).
    List {
        /// Only this tenant's tokens.
        #[arg(long)]
        tenant: Option<String>,
        /// The database.
        #[command(flatten)]
        database: DatabaseConfig,
    },
    /// Revoke a token by its id (as shown by `tokens list`).
    Revoke {
        /// The token id.
        id: String,
        /// The database.
        #[command(flatten)]
        database: DatabaseConfig,
    },
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(config) => {
            let server = Server::build(config).await?;
            tracing::info!(address = %server.local_addr(), "switchboard listening (gRPC and REST)");
            server.run(shutdown_signal()).await
        }
        Command::Migrate(database) => {
            Store::open(&database.store_options())
                .await
                .context("migrating")?;
            tracing::info!(database = %database.database_url, "migrations applied");
            Ok(())
        }
        Command::Tokens(command) => tokens(command).await,
        Command::CallCenters(command) => call_centers(command).await,
        Command::Bench(config) => crate::bench::run(config).await,
    }
}

async fn call_centers(command: CallCentersCommand) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match command {
        CallCentersCommand::Add {
            name,
            tenant,
            user,
            algorithm,
            key_file,
            issuer,
            audience,
            database,
        } => {
            let api_name = parse_api_name(&name).context("--name")?;
            let tenant = TenantId::parse(&tenant).context("--tenant")?;
            let user_id = UserId::parse(&user).context("--user")?;
            let algorithm = match algorithm {
                AlgorithmArg::Rs256 => JwtAlgorithm::Rs256,
                AlgorithmArg::Hs256 => JwtAlgorithm::Hs256,
            };
            let key = if key_file.as_os_str() == "-" {
                let mut key = Vec::new();
                std::io::Read::read_to_end(&mut std::io::stdin(), &mut key)?;
                key
            } else {
                std::fs::read(&key_file).with_context(|| format!("reading {}", key_file.display()))?
            };
            jwt::check_key(algorithm, &key)
                .map_err(anyhow::Error::msg)
                .context("--key-file")?;
            let center = CallCenter {
                api_name,
                tenant,
                user: crate::domain::caller::User {
                    user_name: user_id.to_string(),
                    id: user_id,
                    first_name: None,
                    last_name: None,
                },
                algorithm,
                key,
                issuer: issuer.filter(|i| !i.is_empty()),
                audience: audience.filter(|a| !a.is_empty()),
            };
            let store = Store::open(&database.store_options()).await?;
            let replaced = store.upsert_call_center(&center).await?;
            let verb = if replaced { "replaced" } else { "added" };
            writeln!(out, "{verb} call center {}", center.api_name)?;
        }
        CallCentersCommand::List { tenant, database } => {
            let tenant = tenant
                .map(|t| TenantId::parse(&t))
                .transpose()
                .context("--tenant")?;
            let store = Store::open(&database.store_options()).await?;
            for center in store.list_call_centers(tenant.as_ref()).await? {
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}\tiss={}\taud={}",
                    center.api_name,
                    center.tenant,
                    center.user.id,
                    center.algorithm.as_str(),
                    center.issuer.as_deref().unwrap_or("-"),
                    center.audience.as_deref().unwrap_or("-"),
                )?;
            }
        }
        CallCentersCommand::Remove { name, database } => {
            let store = Store::open(&database.store_options()).await?;
            anyhow::ensure!(
                store.remove_call_center(&name).await?,
                "no call center named {name}"
            );
            writeln!(out, "removed call center {name}")?;
        }
    }
    Ok(())
}

async fn tokens(command: TokensCommand) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match command {
        TokensCommand::Create {
            tenant,
            user,
            user_name,
            first_name,
            last_name,
            database,
        } => {
            let tenant = TenantId::parse(&tenant).context("--tenant")?;
            let id = UserId::parse(&user).context("--user")?;
            let user = User {
                user_name: user_name.unwrap_or_else(|| id.to_string()),
                id,
                first_name,
                last_name,
            };
            let store = Store::open(&database.store_options()).await?;
            let token = IssuedToken::generate();
            store
                .insert_token(&tenant, &user, token.id(), &token.secret_sha256())
                .await?;
            writeln!(out, "{token}")?;
        }
        TokensCommand::List { tenant, database } => {
            let tenant = tenant
                .map(|t| TenantId::parse(&t))
                .transpose()
                .context("--tenant")?;
            let store = Store::open(&database.store_options()).await?;
            for record in store.list_tokens(tenant.as_ref()).await? {
                let state = if record.revoke_time.is_some() {
                    "revoked"
                } else {
                    "active"
                };
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}\t{state}",
                    record.id,
                    record.tenant,
                    record.user.id,
                    record.create_time.to_rfc3339()
                )?;
            }
        }
        TokensCommand::Revoke { id, database } => {
            let store = Store::open(&database.store_options()).await?;
            anyhow::ensure!(store.revoke_token(&id).await?, "no active token with id {id}");
            writeln!(out, "revoked {id}")?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn verify_cli() {
        super::Cli::command().debug_assert();
    }
}
