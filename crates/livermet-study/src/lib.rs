//! livermet-study (see DESIGN.md, Layout).
