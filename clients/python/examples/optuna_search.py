#!/usr/bin/env python3
"""Your optimizer + tgsage's evaluation: an Optuna study (TPE) searches a tgsage space; every trial's genome is
trained on tgsage's trainer for a step budget and scored against a teacher (P, TG or P+TG).

    /usr/bin/python3 clients/python/examples/optuna_search.py --teacher my-teacher --trials 20 --steps 300

Needs the trainer and the teacher cache (npm start). With --eval-steps, learning-curve points are reported to
Optuna and the median pruner stops poor trials early.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings

import optuna

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from tgsage_client.optuna import TgsageObjective  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--space", default="convnet", choices=["convnet", "nasnet"])
    ap.add_argument("--teacher", default="default")
    ap.add_argument("--score", default="p", choices=["p", "tg", "p+tg"])
    ap.add_argument("--alpha", type=float, default=0.5)
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--eval-steps", type=int, nargs="*", default=[])
    ap.add_argument("--batch-size", type=int, default=0)
    ap.add_argument("--num-validation", type=int, default=0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--fix", action="append", default=[], metavar="DECISION=CHOICE",
                    help="search a subspace: fix a decision to a choice label, e.g. --fix depth=4 (repeatable)")
    ap.add_argument("--json", action="store_true", help="print the best trial as JSON")
    args = ap.parse_args(argv)

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    with TgsageObjective(
        args.space, steps=args.steps, score=args.score, alpha=args.alpha, teacher_id=args.teacher,
        eval_steps=args.eval_steps, seed=args.seed, batch_size=args.batch_size, num_validation=args.num_validation,
    ) as objective:
        sampler = optuna.samplers.TPESampler(seed=args.seed)
        if args.fix:
            fixed = dict(f.split("=", 1) for f in args.fix)
            known = {d.name: d.choices for d in objective.space.decisions}
            for name, label in fixed.items():
                if label not in known.get(name, ()):
                    ap.error(f"--fix {name}={label}: {name} is not a decision, or {label} not one of its choices")
            with warnings.catch_warnings():  # experimental since Optuna 2.4, and stable enough for this
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                sampler = optuna.samplers.PartialFixedSampler(fixed, sampler)
        study = optuna.create_study(
            direction="maximize",
            sampler=sampler,
            pruner=optuna.pruners.MedianPruner(n_startup_trials=3),
        )
        study.optimize(objective, n_trials=args.trials)
    best = study.best_trial
    out = {"number": best.number, "value": best.value, "p": best.user_attrs["p"], "tg": best.user_attrs.get("tg"),
           "params": best.params, "genome": best.user_attrs["genome"],
           "states": [t.state.name for t in study.trials]}
    if args.json:
        print(json.dumps(out))
    else:
        print(f"best of {len(study.trials)} trials: #{best.number} {args.score} {best.value:.4f}")
        print(json.dumps(best.user_attrs["genome"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
