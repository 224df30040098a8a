//! Prints a synthetic `pulumi preview --json` digest of N resources, for the
//! summarize benchmark: `cargo run --release --example synthetic-preview -- 20000`.

fn main() {
    let n = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(20_000);
    println!("{}", stackpilot::preview::synthetic::digest(n));
}
