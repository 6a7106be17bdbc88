//! livermet-model (see DESIGN.md, Layout).
