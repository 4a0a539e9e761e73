"""Independent float64 references for noise ceilings and the stimulus bootstrap (numpy / scipy, nothing shared with
services/). Reads one JSON request on stdin, writes one JSON answer on stdout.

ceiling:   {"kind": "ceiling", "data": [R][N][D] (null = missing), "method", "comparators", "splits": [[perm]]}
bootstrap: {"kind": "bootstrap", "candidates": [[N*N]], "teachers": [[N*N]], "n", "comparator", "draws": [[N]]}
"""
import json
import sys

import numpy as np
from scipy.stats import kendalltau, rankdata


def rdm(x, method):
    x = np.asarray(x, dtype=np.float64)
    if method == "correlation":
        return 1.0 - np.corrcoef(x)
    if method == "cosine":
        u = x / np.linalg.norm(x, axis=1, keepdims=True)
        return 1.0 - u @ u.T
    d = x[:, None, :] - x[None, :, :]
    return np.sqrt((d * d).sum(-1))


def upper(m):
    i, j = np.triu_indices(m.shape[0], 1)
    return m[i, j]


def tau_a(a, b):
    n = len(a)
    s = 0.0
    for k in range(n):
        s += np.sum(np.sign(a[k] - a[k + 1:]) * np.sign(b[k] - b[k + 1:]))
    return s / (n * (n - 1) / 2)


def compare(a, b, comparator):
    if comparator == "spearman":
        return np.corrcoef(rankdata(a), rankdata(b))[0, 1]
    if comparator == "pearson":
        return np.corrcoef(a, b)[0, 1]
    if comparator == "cosine":
        return a @ b / np.sqrt((a @ a) * (b @ b))
    if comparator == "kendall":
        return tau_a(a, b)
    raise ValueError(comparator)


def pool_transform(v, comparator):
    # rsatoolbox pool_rdm: ranks (spearman, kendall), z-scores (corr), RMS normalisation (cosine)
    if comparator in ("spearman", "kendall"):
        return rankdata(v)
    if comparator == "pearson":
        return (v - v.mean()) / v.std()
    return v / np.sqrt(np.mean(v * v))


def ceiling(req):
    data = np.array([[[np.nan if v is None else v for v in row] for row in rep] for rep in req["data"]], dtype=np.float64)
    R = data.shape[0]
    h = R // 2
    out = {}
    for c in req["comparators"]:
        rs = []
        for perm in req["splits"]:
            a = np.nanmean(data[perm[:h]], axis=0)
            b = np.nanmean(data[perm[h:2 * h]], axis=0)
            keep = ~(np.isnan(a).any(0) | np.isnan(b).any(0))
            if keep.sum() < 2:
                continue
            rs.append(compare(upper(rdm(a[:, keep], req["method"])), upper(rdm(b[:, keep], req["method"])), c))
        r = float(np.mean(rs))
        k = R / h
        res = {"splitHalf": k * r / (1 + (k - 1) * r), "uncorrected": r, "sd": float(np.std(rs, ddof=1)), "splits": len(rs)}
        # rsatoolbox boot_noise_ceiling over per-repetition RDMs (sites complete in that repetition)
        vecs = []
        for rep in data:
            keep = ~np.isnan(rep).any(0)
            if keep.sum() >= 2:
                vecs.append(upper(rdm(rep[:, keep], req["method"])))
        if len(vecs) >= 2:
            pooled = np.array([pool_transform(v, c) for v in vecs])
            lo, hi = [], []
            for i, v in enumerate(vecs):
                others = np.delete(pooled, i, axis=0).mean(0)
                lo.append(compare(others, v, c))
                hi.append(compare(pooled.mean(0), v, c))
            res["lower"] = float(np.mean(lo))
            res["upper"] = float(np.mean(hi))
        out[c] = res
    return out


def bootstrap(req):
    n = req["n"]
    cands = [np.array(m, dtype=np.float64).reshape(n, n) for m in req["candidates"]]
    teachers = [np.array(m, dtype=np.float64).reshape(n, n) for m in req["teachers"]]
    sims = []
    for draw in req["draws"]:
        idx = np.array(draw)
        a, b = np.triu_indices(n, 1)
        keep = idx[a] != idx[b]  # a stimulus paired with its own duplicate is dropped
        ia, ib = idx[a][keep], idx[b][keep]
        cv = [m[ia, ib] for m in cands]
        tv = [m[ia, ib] for m in teachers]
        sims.append([[float(compare(x, y, req["comparator"])) for y in tv] for x in cv])
    s = np.array(sims)  # K x rows x cols
    point_best = req.get("pointBest")
    out = {"sims": s.tolist()}
    out["low"] = np.percentile(s, 2.5, axis=0).tolist()
    out["high"] = np.percentile(s, 97.5, axis=0).tolist()
    tg = s.max(axis=1).mean(axis=1)
    out["tg"] = [float(np.percentile(tg, 2.5)), float(np.percentile(tg, 97.5))]
    if point_best is not None:
        out["pBest"] = [float(np.mean(np.argmax(s[:, :, j], axis=1) == point_best[j])) for j in range(s.shape[2])]
    return out


if __name__ == "__main__":
    req = json.load(sys.stdin)
    print(json.dumps(ceiling(req) if req["kind"] == "ceiling" else bootstrap(req)))
