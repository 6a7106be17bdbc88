//! livermet-report (see DESIGN.md, Layout).
