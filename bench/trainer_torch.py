"""PyTorch (CPU) side of `npm run bench:trainer`: the same two models, batch and data shapes as bench/trainer.ts.

Usage: /usr/bin/python3 bench/trainer_torch.py THREADS BATCH
Reads lines "MODEL STEPS" on stdin (MODEL: small | fashion) and answers each with one JSON line: the list of per-step
[wall ms, process CPU ms] pairs (zero_grad, forward, cross-entropy, backward, SGD step, loss.item()). "quit" ends
it.
"""
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

threads, batch = int(sys.argv[1]), int(sys.argv[2])
torch.set_num_threads(threads)
torch.manual_seed(0)


def small_cnn():
    return nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 8 * 8, 10))


def fashion_convnet():
    return nn.Sequential(
        nn.Conv2d(1, 32, 5, padding=2), nn.BatchNorm2d(32), nn.ReLU(),
        nn.Conv2d(32, 64, 3, stride=2, padding=1), nn.ReLU(),
        nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(64, 128, 3, padding=1), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, 10))


models = {}
for name, make, shape in (('small', small_cnn, (3, 32, 32)), ('fashion', fashion_convnet, (1, 28, 28))):
    model = make()
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    x = torch.randn(batch, *shape)
    y = torch.randint(0, 10, (batch,))
    models[name] = (model, opt, x, y)


def step(name):
    model, opt, x, y = models[name]
    t0, c0 = time.perf_counter(), time.process_time()
    opt.zero_grad(set_to_none=True)
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    loss.item()
    return [(time.perf_counter() - t0) * 1000.0, (time.process_time() - c0) * 1000.0]


print(json.dumps({'torch': torch.__version__, 'threads': torch.get_num_threads()}), flush=True)
for line in sys.stdin:
    parts = line.split()
    if not parts or parts[0] == 'quit':
        break
    print(json.dumps([step(parts[0]) for _ in range(int(parts[1]))]), flush=True)
