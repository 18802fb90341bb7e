//! Integration tests: each spawns the real server on 127.0.0.1:0 over a real
//! SQLite file or a fresh PostgreSQL schema and talks to it as clients do
//! (gRPC over HTTP/2, REST over HTTP/1.1). One test binary, so it links once.

mod helpers;

mod auth;
mod bench;
mod cometd;
mod cometd_node;
mod cross_dialect;
mod durability;
mod events;
mod fuzz;
mod genesys;
mod health;
mod hostile;
mod hubgets;
mod idempotency;
mod interactions;
mod limits;
mod openapi;
mod persistence;
mod phone_calls;
mod reflection;
mod rest;
mod salesforce;
mod secrets;
mod tenancy;
mod vcita;
mod voice_calls;
