#!/usr/bin/env python3
"""Upload a teacher made from random *structured* data, score a candidate against it, print TG.

Both sides are built from the same latent class structure (8 classes, a 32-d latent code per stimulus), so candidate
layers that are functions of the latent code match the teacher well and the pure-noise layer does not.

    /usr/bin/python3 clients/python/examples/upload_and_score.py            # local services (npm start)
    /usr/bin/python3 clients/python/examples/upload_and_score.py --json --teacher-cache HOST:PORT --scorer HOST:PORT
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from tgsage_client import ScorerClient, TeacherCacheClient  # noqa: E402


def make_data(n: int, seed: int):
    rng = np.random.default_rng(seed)
    classes = np.repeat(np.arange(8), -(-n // 8))[:n]
    z = rng.normal(size=(8, 32))[classes] + 0.7 * rng.normal(size=(n, 32))
    w_v4 = rng.normal(size=(32, 600))
    w_it = rng.normal(size=(32, 256))
    teacher = {
        "V4": np.tanh(z @ w_v4 / 4 + 0.3 * rng.normal(size=(n, 600))).astype(np.float32),
        "IT": np.maximum(z @ w_it, 0).reshape(n, 4, 8, 8),  # float64, 4-D
    }
    candidate = {
        "conv1": rng.normal(size=(n, 2000)).astype(np.float32),  # unrelated to the classes: > 1 MiB, several chunks
        "conv2": np.tanh(z @ w_v4[:, :300] / 4 + 1.5 * rng.normal(size=(n, 300))).astype(np.float32),  # V4-like
        "fc": np.maximum(z @ w_it[:, :128] + 2.0 * rng.normal(size=(n, 128)), 0).astype(np.float32),  # IT-like
    }
    return teacher, candidate


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--teacher-cache", default=None, help="teacher cache address (default: env or 127.0.0.1:50051)")
    p.add_argument("--scorer", default=None, help="scorer address (default: env or 127.0.0.1:50052)")
    p.add_argument("--stimuli", type=int, default=400, help="number of stimuli")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--teacher-id", default="example-teacher")
    p.add_argument("--comparator", default="spearman")
    p.add_argument("--keep", action="store_true", help="keep the teacher in the cache afterwards")
    p.add_argument("--save-dir", help="also save the layers as .npy files here (teacher_<layer>.npy, <layer>.npy)")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    args = p.parse_args()

    teacher, candidate = make_data(args.stimuli, args.seed)
    if args.save_dir:
        os.makedirs(args.save_dir, exist_ok=True)
        for name, a in teacher.items():
            np.save(os.path.join(args.save_dir, f"teacher_{name}.npy"), a)
        for name, a in candidate.items():
            np.save(os.path.join(args.save_dir, f"{name}.npy"), a)

    with TeacherCacheClient(args.teacher_cache) as cache, ScorerClient(args.scorer) as scorer:
        stored = cache.put(args.teacher_id, teacher, description="random structured example")
        if not args.json:
            print(f"stored teacher {stored.id}: {len(stored.layers)} layers, {stored.num_stimuli} stimuli")
        try:
            result = scorer.score(args.teacher_id, candidate, comparator=args.comparator)
        finally:
            if not args.keep:
                cache.delete(args.teacher_id)

    if args.json:
        print(json.dumps(result.to_dict()))
        return 0
    width = max(len(c) for c in result.candidate_layers)
    print(" " * width + "".join(f"{t:>10}" for t in result.teacher_layers))
    for i, c in enumerate(result.candidate_layers):
        print(c.ljust(width) + "".join(f"{v:10.4f}" for v in result.matrix[i]))
    for b in result.best:
        print(f"best for {b.teacher_layer}: {b.candidate_layer} ({b.similarity:.4f})")
    print(f"TG = {result.tg:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
