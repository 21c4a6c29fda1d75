//! Writes the OpenAPI document to `$OUT_DIR/openapi.json` at build time.
//!
//! The document is derived from the contract's types (`src/contract/`),
//! which are compiled here on their own, so that the Worker serves a finished
//! file and carries none of the schema code (see `src/contract/mod.rs`).

#[allow(dead_code)]
#[path = "src/contract/mod.rs"]
mod contract;

fn main() {
    println!("cargo:rerun-if-changed=src/contract");
    let out_dir = std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR for build scripts");
    let document = serde_json::to_string(&contract::openapi::document()).expect("the document serializes");
    std::fs::write(std::path::Path::new(&out_dir).join("openapi.json"), document)
        .expect("OUT_DIR is writable");
}
