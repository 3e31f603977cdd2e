//! Tables, exports and plots from results stores. The crate has no code yet; the harness
//! writes one JSON record per cell that these reports will read.
