//! Write a synthetic cohort without the CLI (for looking at images and timing the library):
//! `cargo run -p livermet-synth --example synth_cohort -- OUT [PRIMARY EXTERNAL [SEED]]`.

use std::path::PathBuf;
use std::time::Instant;

use livermet_synth::{SynthSettings, synthesise};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let out = PathBuf::from(args.first().map(String::as_str).unwrap_or("synth-example"));
    let num = |i: usize, d: u64| args.get(i).and_then(|s| s.parse().ok()).unwrap_or(d);
    let settings = SynthSettings {
        primary: num(1, 4) as usize,
        external: num(2, 2) as usize,
        seed: num(3, 1),
        ..SynthSettings::default()
    };
    let t = Instant::now();
    let summary = synthesise(&out, &settings, &|| {}).expect("synthesise");
    println!("{summary:?}\n{:.2} s", t.elapsed().as_secs_f64());
}
