//! Switchboard: one gRPC telephony backend for many vendor dialects.
//!
//! - [`pb`]: the generated `switchboard.v1` API (the source of truth).
//! - [`api`]: tonic services over [`store`], with rules from [`domain`].
//! - [`auth`]: tokens and the gRPC authentication middleware.
//! - [`events`]: the outbox reader and live fan-out behind `Watch`.
//! - [`facade`]: vendor REST dialects, which call the API through gRPC.
//! - [`server`]: one port for all of it; [`cli`] and [`config`] drive it.

pub mod api;
pub mod auth;
pub mod bench;
pub mod cli;
pub mod config;
pub mod domain;
pub mod events;
pub mod facade;
pub mod limits;
pub mod pb;
pub mod server;
pub mod store;
