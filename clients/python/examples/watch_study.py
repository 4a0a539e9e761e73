#!/usr/bin/env python3
"""Watch a search-controller study from Python: the study's current state first, then its live events, to the end.

    /usr/bin/python3 clients/python/examples/watch_study.py STUDY_ID               # local controller (npm start)
    /usr/bin/python3 clients/python/examples/watch_study.py STUDY_ID --controller HOST:PORT --json

Prints one line per event (with --json: one JSON object per line), then the leaderboard.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import grpc
from google.protobuf.json_format import MessageToDict

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from tgsage_client import security  # noqa: E402
from tgsage_client._gen.tgsage.v1 import search_controller_pb2, search_controller_pb2_grpc  # noqa: E402


def describe(event) -> str:
    kind = event.WhichOneof("event")
    if kind == "snapshot":
        s = event.snapshot
        return f"snapshot: {s.trial_count} trials, {s.completed_trials} completed"
    if kind == "snapshot_trials":  # a large study's snapshot: the trials that did not fit in the snapshot event
        return f"snapshot: {len(event.snapshot_trials.trials)} more trials"
    if kind == "trial_started":
        return f"trial {event.trial_started.trial_id} started on {event.trial_started.trainer}"
    if kind == "trial_progress" and event.trial_progress.HasField("curve_point"):
        c = event.trial_progress.curve_point
        tg = f" TG {c.similarity.tg:.4f}" if c.HasField("similarity") else ""
        return f"trial {event.trial_progress.trial_id}: at step {c.step} P {c.validation_accuracy:.4f}{tg}"
    if kind == "trial_progress":
        p = event.trial_progress.progress
        return f"trial {event.trial_progress.trial_id}: {p.phase} {p.step}/{p.total_steps}"
    if kind in ("trial_completed", "trial_failed", "trial_proposed"):
        t = getattr(event, kind)
        score = f" score {t.score:.4f}" if t.HasField("score") else ""
        return f"{kind.replace('_', ' ')}: trial {t.number}{score}{' ' + t.error if t.error else ''}"
    if kind == "leaderboard":
        return "leaderboard: " + "  ".join(f"#{e.rank} trial {e.number} {e.score:.4f}" for e in event.leaderboard.entries[:3])
    if kind == "study_finished":
        return f"study finished: {search_controller_pb2.StudyState.Name(event.study_finished.state)}"
    return kind or "?"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("study")
    ap.add_argument("--controller", default=os.environ.get("TGSAGE_CONTROLLER_ADDR", "127.0.0.1:50054"))
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    with security.channel(args.controller) as channel:  # TLS / token from TGSAGE_TLS_* / TGSAGE_TOKEN_FILE
        stub = search_controller_pb2_grpc.SearchControllerStub(channel)
        try:
            for event in stub.WatchStudy(search_controller_pb2.WatchStudyRequest(study_id=args.study)):
                if args.json:
                    print(json.dumps(MessageToDict(event)), flush=True)
                else:
                    print(describe(event), flush=True)
            # the leaderboard from every trial, a page at a time (a study of any size)
            trials, token = [], ""
            while True:
                page = stub.ListTrials(search_controller_pb2.ListTrialsRequest(study_id=args.study, page_token=token))
                trials.extend(page.trials)
                if not (token := page.next_page_token):
                    break
        except grpc.RpcError as e:
            print(f"error: {e.code().name}: {e.details()}", file=sys.stderr)
            return 1
    if not args.json:
        done = sorted((t for t in trials if t.HasField("score")), key=lambda t: (-t.score, t.number))
        for rank, t in enumerate(done, 1):
            print(f"{rank:3d}  trial {t.number:3d}  score {t.score:.4f}  P {t.p:.4f}  TG {t.tg:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
