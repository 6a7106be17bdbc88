//! livermet-image (see DESIGN.md, Layout).
