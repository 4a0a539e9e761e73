#!/usr/bin/env python3
"""Import your search history into a tgsage study, then let tgsage's strategy continue from it: each line of the
history file is a JSON object {"genome": {...proto3 JSON...}, "p": 0.93}. Imported trials are ranked with the
study's own, show as "imported (SOURCE)" in the leaderboard, export and report, and teach the strategy (evolution
starts from them as its population; REINFORCE takes a step on each) without using up the study's trial budget.

    /usr/bin/python3 clients/python/examples/import_history.py history.jsonl --teacher my-teacher --trials 10

With --train-here, each imported genome is also trained and scored here (TG), instead of taking your P as it is.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from tgsage_client import ControllerClient  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("history", help="JSON lines: {\"genome\": {...}, \"p\": 0.9}")
    ap.add_argument("--teacher", default="default")
    ap.add_argument("--source", default="history")
    ap.add_argument("--trials", type=int, default=10, help="new trials the study runs after the import")
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--score", default="p", choices=["p", "tg", "p+tg"])
    ap.add_argument("--train-here", action="store_true")
    ap.add_argument("--num-validation", type=int, default=0)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)

    with open(args.history) as f:
        history = [json.loads(line) for line in f if line.strip()]
    with ControllerClient() as ctl:
        population = max(2, min(len(history), 16))
        study = ctl.create_study(
            space="convnet", strategy="evolution", strategy_settings={"population_size": population, "sample_size": 2},
            score=args.score, num_trials=args.trials, steps_per_trial=args.steps, teacher_id=args.teacher,
            num_validation=args.num_validation, name="seeded with history",
        )
        for h in history:
            if args.train_here:
                ctl.import_trial(study.id, h["genome"], train_here=True, source=args.source)
            else:
                ctl.import_trial(study.id, h["genome"], p=h["p"], source=args.source)
        for event in ctl.run(study.id):  # the strategy continues from the imported population
            if event.kind == "trial_completed" and not args.json:
                print(f"trial #{event.trial.number} ({event.trial.origin}): score {event.trial.score}")
        done = ctl.get(study.id)
    board = [{"number": t.number, "score": t.score, "origin": t.origin, "source": t.source} for t in done.ranked]
    if args.json:
        print(json.dumps({"study": done.id, "state": done.state, "leaderboard": board}))
    else:
        for row in board[:10]:
            print(row)
    return 0


if __name__ == "__main__":
    sys.exit(main())
