//! Compiles `proto/` with protox (a pure-Rust protobuf compiler, so no system
//! `protoc` is needed), generates the tonic clients and servers, and writes the
//! encoded file descriptor set that server reflection serves.

use std::path::PathBuf;

const PROTOS: &[&str] = &[
    "proto/switchboard/v1/common.proto",
    "proto/switchboard/v1/interaction.proto",
    "proto/switchboard/v1/phone_call.proto",
    "proto/switchboard/v1/voice_call.proto",
    "proto/switchboard/v1/events.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // tonic-prost-build 0.14 prints no rerun-if-changed lines (grpc-rust#2511).
    for proto in PROTOS {
        println!("cargo:rerun-if-changed={proto}");
    }

    // protox keeps source info (comments reach `grpcurl describe`) and imports
    // (well-known types are served by reflection too).
    let fds = protox::compile(PROTOS, ["proto"])?;
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(
        out_dir.join("switchboard_descriptor.bin"),
        protox::prost::Message::encode_to_vec(&fds),
    )?;

    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(fds)?;
    Ok(())
}
