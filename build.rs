// include_dir! does not notice added or removed files on stable Rust, so ask
// cargo to rerun (and therefore re-embed) whenever anything under blueprints/ changes.
fn main() {
    println!("cargo:rerun-if-changed=blueprints");
}
