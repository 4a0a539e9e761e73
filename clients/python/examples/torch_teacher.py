#!/usr/bin/env python3
"""A teacher from another framework: train a small PyTorch CNN, compute its layers' activations on tgsage's stimulus
set, and upload them to the teacher cache. Candidates trained by `tgsage train --teacher torch-cnn` are then scored
against it. This is the any-language path: all tgsage needs is activations [stimuli, ...features] in stimulus order.

The stimulus set (and the training split) come from `tgsage data export`, which splits the dataset exactly as the
trainer does; this script runs it for you unless --stimuli-npy / --train-npy are given.

    /usr/bin/python3 clients/python/examples/torch_teacher.py                 # local services (npm start)
    /usr/bin/python3 clients/python/examples/torch_teacher.py --id torch-cnn --steps 300 --teacher-cache HOST:PORT

Without PyTorch installed it says so and exits 0 (Debian: apt-get install python3-torch).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.join(HERE, ".."))
from tgsage_client import TeacherCacheClient  # noqa: E402


def export_split(split: str, dataset: str, stimuli: int, out_dir: str) -> tuple[np.ndarray, np.ndarray]:
    """Runs `tgsage data export` (through tsx in this repository) and reads the .npy files it writes."""
    images = os.path.join(out_dir, f"{split}.npy")
    labels = os.path.join(out_dir, f"{split}_labels.npy")
    cmd = ["node", "--import", "tsx", os.path.join(REPO, "clients", "cli", "main.ts"), "data", "export",
           "--split", split, "--dataset", dataset, "--stimuli", str(stimuli), "--out", images, "--labels", labels]
    subprocess.run(cmd, cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    return np.load(images), np.load(labels).astype(np.int64)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--id", default="torch-cnn", help="teacher id")
    p.add_argument("--dataset", default="mnist", help="mnist | fashion-mnist")
    p.add_argument("--stimuli", type=int, default=1000, help="stimulus-set size (candidates must use the same)")
    p.add_argument("--steps", type=int, default=300, help="training steps of the PyTorch CNN")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--stimuli-npy", help="stimulus images [N, H, W, C] (default: exported with tgsage data export)")
    p.add_argument("--train-npy", help="training images; labels from the same name with _labels before .npy")
    p.add_argument("--teacher-cache", default=None, help="teacher cache address (default: env or 127.0.0.1:50051)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    args = p.parse_args()

    try:
        import torch
        from torch import nn
    except ImportError:
        print("PyTorch is not installed (Debian: apt-get install python3-torch); skipping the torch teacher example.")
        return 0

    with tempfile.TemporaryDirectory() as tmp:
        if args.stimuli_npy:
            stimuli = np.load(args.stimuli_npy)
        else:
            stimuli, _ = export_split("stimuli", args.dataset, args.stimuli, tmp)
        if args.train_npy:
            train_x = np.load(args.train_npy)
            train_y = np.load(args.train_npy.replace(".npy", "_labels.npy")).astype(np.int64)
        else:
            train_x, train_y = export_split("train", args.dataset, args.stimuli, tmp)

    torch.manual_seed(args.seed)
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    net = nn.ModuleDict({
        "conv1": nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)),
        "conv2": nn.Sequential(nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)),
        "fc1": nn.Sequential(nn.Flatten(), nn.Linear(32 * 7 * 7, 128), nn.ReLU()),
        "out": nn.Linear(128, 10),
    })
    order = ["conv1", "conv2", "fc1", "out"]

    def forward(x: torch.Tensor) -> dict[str, torch.Tensor]:
        acts = {}
        for name in order:
            x = net[name](x)
            acts[name] = x
        return acts

    # NHWC float32 in [0, 1] (tgsage's layout) -> NCHW for PyTorch
    to_torch = lambda a: torch.from_numpy(np.ascontiguousarray(a.transpose(0, 3, 1, 2)))  # noqa: E731
    xs, ys = to_torch(train_x), torch.from_numpy(train_y)
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    gen = torch.Generator().manual_seed(args.seed)
    net.train()
    for step in range(args.steps):
        idx = torch.randint(0, xs.shape[0], (64,), generator=gen)
        loss = nn.functional.cross_entropy(forward(xs[idx])["out"], ys[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()

    net.eval()
    with torch.no_grad():
        acts = forward(to_torch(stimuli))
    # Activations per layer, [N, ...features]; NHWC like tgsage's own layers (any consistent order works for RDMs).
    layers = {
        "conv1": acts["conv1"].permute(0, 2, 3, 1).contiguous().numpy().astype(np.float32),
        "conv2": acts["conv2"].permute(0, 2, 3, 1).contiguous().numpy().astype(np.float32),
        "fc1": acts["fc1"].numpy().astype(np.float32),
    }
    with TeacherCacheClient(args.teacher_cache) as cache:
        stored = cache.put(args.id, layers, description=f"PyTorch CNN on {args.dataset} ({args.steps} steps)", store_gram=True)
    summary = {
        "id": stored.id,
        "numStimuli": stored.num_stimuli,
        "layers": [{"name": l.name, "shape": list(l.shape)} for l in stored.layers],
        "finalLoss": float(loss.item()),
    }
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"stored teacher {stored.id}: layers {', '.join(l['name'] for l in summary['layers'])}, "
              f"{stored.num_stimuli} stimuli (final training loss {summary['finalLoss']:.3f})")
        print(f"score candidates against it: tgsage train --space convnet --random-genome --seed 3 --teacher {stored.id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
