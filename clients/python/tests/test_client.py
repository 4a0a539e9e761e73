"""Tests of tgsage_client against live teacher-cache and scorer services.

Addresses come from TGSAGE_TEACHER_CACHE_ADDR and TGSAGE_SCORER_ADDR (test/python/python.test.ts starts real servers
and runs this file). Numbers are checked against numpy/scipy references computed here.

    TGSAGE_TEACHER_CACHE_ADDR=... TGSAGE_SCORER_ADDR=... /usr/bin/python3 -m unittest discover -s clients/python/tests
"""

from __future__ import annotations

import os
import sys
import unittest
import uuid

import grpc
import numpy as np
from scipy import stats

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from tgsage_client import ScorerClient, TeacherCacheClient, layer_chunks  # noqa: E402


def corr_rdm(x: np.ndarray) -> np.ndarray:
    return 1.0 - np.corrcoef(x.reshape(x.shape[0], -1).astype(np.float64))


def upper(m: np.ndarray) -> np.ndarray:
    return m[np.triu_indices(m.shape[0], k=1)]


class ClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cache = TeacherCacheClient()
        cls.scorer = ScorerClient()
        rng = np.random.default_rng(7)
        n = 150
        z = rng.normal(size=(n, 12))
        cls.teacher = {
            # float32, 150 x 2000 x 4 B = 1.2 MB: more than one 1 MiB chunk
            "big": (z @ rng.normal(size=(12, 2000)) + rng.normal(size=(n, 2000))).astype(np.float32),
            "f64": np.tanh(z @ rng.normal(size=(12, 40))),
        }
        cls.candidate = {
            "a": (z[:, :6] @ rng.normal(size=(6, 64))).astype(np.float32),
            "b": rng.normal(size=(n, 3, 5, 5)),
        }
        cls.tid = "py-" + uuid.uuid4().hex[:10]
        cls.stored = cls.cache.put(cls.tid, cls.teacher, description="python unittest", stimulus_ids=[f"s{i}" for i in range(n)])

    @classmethod
    def tearDownClass(cls):
        try:
            cls.cache.delete(cls.tid)
        except grpc.RpcError:
            pass
        cls.cache.close()
        cls.scorer.close()

    def test_chunks_are_at_most_one_mib(self):
        chunks = list(layer_chunks("big", self.teacher["big"]))
        self.assertGreater(len(chunks), 1)
        self.assertTrue(all(len(c.data) <= 1 << 20 for c in chunks))
        self.assertEqual(list(chunks[0].shape), [150, 2000])

    def test_put_get_list(self):
        self.assertEqual(self.stored.id, self.tid)
        self.assertEqual(self.stored.num_stimuli, 150)
        t = self.cache.get(self.tid)
        self.assertEqual([l.name for l in t.layers], ["big", "f64"])
        self.assertEqual(list(t.layers[0].shape), [150, 2000])
        self.assertEqual(t.description, "python unittest")
        self.assertEqual(list(t.stimulus_ids)[:2], ["s0", "s1"])
        self.assertIn(self.tid, [x.id for x in self.cache.list()])

    def test_rdm_matches_numpy(self):
        for name, acts in self.teacher.items():
            rdm = self.cache.rdm(self.tid, name)
            self.assertEqual(rdm.shape, (150, 150))
            np.testing.assert_allclose(rdm, corr_rdm(acts), atol=1e-5)

    def test_score_matches_scipy_spearman(self):
        r = self.scorer.score(self.tid, self.candidate)
        self.assertEqual(r.candidate_layers, ["a", "b"])
        self.assertEqual(r.teacher_layers, ["big", "f64"])
        ref = np.array(
            [
                [stats.spearmanr(upper(corr_rdm(c)), upper(corr_rdm(t))).correlation for t in self.teacher.values()]
                for c in self.candidate.values()
            ]
        )
        np.testing.assert_allclose(r.matrix, ref, atol=1e-4)
        self.assertAlmostEqual(r.tg, float(ref.max(axis=0).mean()), delta=1e-4)
        self.assertEqual([b.candidate_layer for b in r.best], [["a", "b"][i] for i in ref.argmax(axis=0)])

    def test_compare_own_rdms_with_pearson(self):
        cand = {k: corr_rdm(v) for k, v in self.candidate.items()}
        teach = {k: corr_rdm(v) for k, v in self.teacher.items()}
        r = self.scorer.compare_rdms(cand, teach, comparator="pearson")
        ref = np.array([[np.corrcoef(upper(c), upper(t))[0, 1] for t in teach.values()] for c in cand.values()])
        np.testing.assert_allclose(r.matrix, ref, atol=1e-4)

    def test_tg_layers(self):
        """A teacher's tg_layers decide what TG averages over when a score names no layers; "*" means every layer."""
        tid = "py-tg-" + uuid.uuid4().hex[:8]
        small = {"big": self.teacher["big"][:, :50], "f64": self.teacher["f64"]}
        t = self.cache.put(tid, small, tg_layers=["f64"])
        try:
            self.assertEqual(list(t.tg_layers), ["f64"])
            ref = {
                name: max(stats.spearmanr(upper(corr_rdm(c)), upper(corr_rdm(a))).correlation for c in self.candidate.values())
                for name, a in small.items()
            }
            r = self.scorer.score(tid, self.candidate)
            self.assertEqual(r.teacher_layers, ["f64"])
            self.assertAlmostEqual(r.tg, ref["f64"], delta=1e-4)
            r_all = self.scorer.score(tid, self.candidate, teacher_layers=["*"])
            self.assertEqual(r_all.teacher_layers, ["big", "f64"])
            self.assertAlmostEqual(r_all.tg, (ref["big"] + ref["f64"]) / 2, delta=1e-4)
            cand_rdms = {k: corr_rdm(v) for k, v in self.candidate.items()}
            self.assertEqual(self.scorer.compare_rdms(cand_rdms, tid).teacher_layers, ["f64"])
            self.assertEqual(self.scorer.compare_rdms(cand_rdms, tid, teacher_layers=["big"]).teacher_layers, ["big"])
            self.assertEqual(list(self.cache.set_tg_layers(tid, ["big"]).tg_layers), ["big"])
            self.assertEqual(self.scorer.score(tid, self.candidate).teacher_layers, ["big"])
            self.assertEqual(list(self.cache.set_tg_layers(tid, []).tg_layers), [])
            self.assertEqual(self.scorer.score(tid, self.candidate).teacher_layers, ["big", "f64"])
            with self.assertRaises(grpc.RpcError) as e:
                self.cache.set_tg_layers(tid, ["V4"])
            self.assertEqual(e.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
            self.assertTrue(e.exception.details().startswith("tg_layers:"), e.exception.details())
        finally:
            self.cache.delete(tid)

    def test_errors_have_clear_status(self):
        with self.assertRaises(grpc.RpcError) as e:
            self.cache.get("no-such-teacher")
        self.assertEqual(e.exception.code(), grpc.StatusCode.NOT_FOUND)
        with self.assertRaises(grpc.RpcError) as e:
            self.scorer.score(self.tid, {"short": np.random.default_rng(1).normal(size=(10, 5))})
        self.assertEqual(e.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        with self.assertRaises(grpc.RpcError) as e:
            self.cache.put(self.tid, {"x": np.ones((3, 2))})
        self.assertEqual(e.exception.code(), grpc.StatusCode.ALREADY_EXISTS)


if __name__ == "__main__":
    unittest.main()


class StudyConfigTest(unittest.TestCase):
    """study_config without services: what its defaults send."""

    def test_score_defaults_to_the_controllers(self):
        from tgsage_client._gen.tgsage.v1 import search_controller_pb2 as pb
        from tgsage_client.controller import study_config

        self.assertEqual(study_config().score, pb.SCORE_KIND_UNSPECIFIED)  # the controller's default: P
        self.assertEqual(study_config(score="P+TG", alpha=0.25).score, pb.SCORE_KIND_P_TG)
        self.assertEqual(study_config(score="p+tg", alpha=0.25).alpha, 0.25)
        self.assertEqual(study_config(score="tg").score, pb.SCORE_KIND_TG)
        with self.assertRaisesRegex(ValueError, r"^score: 'x' is not one of p\+tg, p, tg$"):
            study_config(score="x")
