//! Embeds the web UI (`web/dist`, built by `npm run build`) in the binary. Release builds hold
//! the files themselves, compressed with brotli and gzip; debug builds read them from
//! `web/dist` on each request, so a rebuilt UI shows without rebuilding bangui. Without a
//! built UI (a `cargo build` before `make build`), a page saying how to build it stands in.
use std::path::PathBuf;

fn main() {
    let crate_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dist = crate_dir.join("../../web/dist");
    // Also when it appears later: cargo reruns this script while the path does not exist.
    println!(
        "cargo::rerun-if-changed={}",
        dist.join("index.html").display()
    );
    let dir = if dist.join("index.html").is_file() {
        dist
    } else {
        crate_dir.join("ui-missing")
    };
    memory_serve::load_directory(dir);
}
