//! Built-in target posteriors for flowpost.
