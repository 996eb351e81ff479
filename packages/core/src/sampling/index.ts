// Adaptive tail sampling (see SAMPLING.md): filled in by the sampling work.
export {};
