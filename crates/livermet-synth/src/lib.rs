//! livermet-synth (see DESIGN.md, Layout).
