//! Progress bars on stderr (hidden automatically when stderr is not a terminal).

use std::sync::Mutex;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use livermet_model::{BatchProgress, EpochLog};

/// A bar of `len` steps labelled `what`.
pub fn bar(len: u64, what: &str) -> ProgressBar {
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template(
            "{msg:>12} [{bar:30}] {pos}/{len} {elapsed_precise} eta {eta}",
        )
        .expect("static template")
        .progress_chars("=> "),
    );
    pb.set_message(what.to_string());
    pb
}

/// A spinner for a step of unknown length.
pub fn spinner(what: &str) -> ProgressBar {
    let pb = ProgressBar::new_spinner();
    pb.set_message(what.to_string());
    pb.enable_steady_tick(std::time::Duration::from_millis(120));
    pb
}

/// Progress bars for the study's stages; each stage line starts with the time since the start.
pub struct Bars {
    current: Mutex<Option<ProgressBar>>,
    start: Instant,
}

impl Default for Bars {
    fn default() -> Self {
        Bars {
            current: Mutex::new(None),
            start: Instant::now(),
        }
    }
}

impl Bars {
    fn set(&self, pb: Option<ProgressBar>) {
        let mut cur = self.current.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(old) = cur.take() {
            old.finish_and_clear();
        }
        *cur = pb;
    }

    pub fn clear(&self) {
        self.set(None);
    }

    fn with(&self, f: impl FnOnce(&ProgressBar)) {
        if let Some(pb) = self
            .current
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
        {
            f(pb);
        }
    }
}

impl livermet_study::Observer for Bars {
    fn stage(&self, text: &str) {
        self.clear();
        eprintln!("[{:>5.0} s] {text}", self.start.elapsed().as_secs_f64());
    }
    fn warning(&self, text: &str) {
        self.clear();
        eprintln!("warning: {text}");
    }
    fn prepare_started(&self, cohort: &str, n: usize) {
        self.set(Some(bar(n as u64, cohort)));
    }
    fn prepared_one(&self) {
        self.with(|pb| pb.inc(1));
    }
    fn batch(&self, unit: &str, epoch: usize, epochs: usize, p: BatchProgress) {
        let need_new = self
            .current
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_none();
        if need_new {
            self.set(Some(bar(p.batches as u64, unit)));
        }
        self.with(|pb| {
            pb.set_length(p.batches as u64);
            pb.set_position(p.batch as u64);
            pb.set_message(format!("{unit} {epoch}/{epochs}"));
        });
    }
    fn epoch(&self, unit: &str, log: &EpochLog, epochs: usize) {
        self.clear();
        eprintln!("  {unit}: {}", log.text(epochs));
    }
}
