//! The content hash's format, shared with `build.rs` (which hashes the built-in blueprints
//! when gogen is built): every file as its path's length, the path, its length and its bytes,
//! all little-endian `u64` lengths, in the order the caller gives.

use sha2::{Digest, Sha256};

#[derive(Default)]
pub struct ContentHasher(Sha256);

impl ContentHasher {
    pub fn file(&mut self, path: &str, bytes: &[u8]) {
        self.0.update((path.len() as u64).to_le_bytes());
        self.0.update(path.as_bytes());
        self.0.update((bytes.len() as u64).to_le_bytes());
        self.0.update(bytes);
    }

    /// `sha256:` and the digest in lower-case hex.
    pub fn finish(self) -> String {
        format!("sha256:{}", hex(&self.0.finalize()))
    }
}

/// Lower-case hex, two digits a byte.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    s
}
