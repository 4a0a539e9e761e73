// Training budgets a request may ask for: the trainer enforces them, the controller checks a study against them
// before it starts.
export const TRAINING_LIMITS = { maxSteps: 100_000, maxBatchSize: 1024, maxEvalSteps: 64 } as const;
