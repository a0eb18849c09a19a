//! For rule authors: what the emergency and report rules make of each message given on the
//! command line (verdict, the syllables as read, the patterns that fired).
//!
//! `cargo run -p caunoi-text --example explain_safety -- "nha toi bi chay" "chay xe"`

fn main() {
    for text in std::env::args().skip(1) {
        println!("{text}\t{}", caunoi_text::safety::explain(&text));
    }
}
