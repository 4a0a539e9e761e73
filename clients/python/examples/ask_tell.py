#!/usr/bin/env python3
"""tgsage's strategies + your training (ask/tell): a tgsage study proposes genomes with its strategy (here regularized
evolution); you train each one your way and tell P, and optionally the candidate's activations on the teacher's
stimuli so tgsage scores TG; the strategy learns from every result.

    /usr/bin/python3 clients/python/examples/ask_tell.py --teacher my-teacher --trials 20 --steps 300

`evaluate` below stands in for your training: it trains on tgsage's trainer (P only), so the example runs as it
is. Replace it with your code; to rank by P+TG, pass `activations={"conv1": array[stimuli, ...], ...}` to complete.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from tgsage_client import ControllerClient, TrainerClient  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--teacher", default="default")
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--batch", type=int, default=4, help="trials asked for at once")
    ap.add_argument("--num-validation", type=int, default=0)
    ap.add_argument("--num-stimuli", type=int, default=0, help="the teacher's stimulus count (same data split as TG runs)")
    ap.add_argument("--batch-size", type=int, default=0, help="training batch size (default: the trainer's, 64)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the strategy and of every trial's training")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)

    with ControllerClient() as ctl, TrainerClient() as trainer:

        def evaluate(genome) -> float:
            """YOUR training goes here; returns P (validation accuracy in [0, 1])."""
            r = trainer.train(
                genome, steps=args.steps, skip_scoring=True, seed=args.seed, batch_size=args.batch_size, num_validation=args.num_validation, num_stimuli=args.num_stimuli
            )
            return r.p

        study = ctl.create_study(
            space="convnet", strategy="evolution", strategy_settings={"population_size": 8, "sample_size": 3},
            score="p", num_trials=args.trials, steps_per_trial=args.steps, teacher_id=args.teacher, seed=args.seed,
            name="ask/tell example",
        )
        remaining = args.trials  # asking past the budget of an ended study is FAILED_PRECONDITION
        while remaining > 0:
            trials = ctl.suggest(study.id, client_id="my-search", count=min(args.batch, remaining))
            remaining -= len(trials)
            for t in trials:
                try:
                    ctl.complete(study.id, t.id, "my-search", p=evaluate(t.genome))
                except Exception as e:  # a failed evaluation is told too, so the study can finish
                    ctl.complete(study.id, t.id, "my-search", failure=str(e)[:200])
        done = ctl.get(study.id)
    board = [{"number": t.number, "p": t.p, "origin": t.origin} for t in done.ranked]
    if args.json:
        print(json.dumps({"study": done.id, "state": done.state, "leaderboard": board}))
    else:
        print(f"study {done.id} {done.state}; best trial #{done.best.number} P {done.best.p:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
