"""Dataset tooling: sources, decontamination, mixtures, pass-rate filtering, generation."""
