"""tgsage_client's trainer, controller, search-space and Optuna parts against all four live services.

test/python/system.test.ts starts them (127.0.0.1:0) with a tiny teacher and runs this directory:

    TGSAGE_TRAINER_ADDR=... TGSAGE_CONTROLLER_ADDR=... TGSAGE_TEACHER_CACHE_ADDR=... TGSAGE_SCORER_ADDR=... \\
    TGSAGE_TEST_TEACHER=tiny TGSAGE_TEST_STIMULI=40 /usr/bin/python3 -m unittest discover -s clients/python/tests_system
"""

from __future__ import annotations

import contextlib
import csv
import importlib.util
import io
import json
import os
import sys
import unittest
import warnings

import grpc
import numpy as np
import optuna

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from tgsage_client import ControllerClient, SpacesClient, TrainerClient, combine  # noqa: E402
from tgsage_client.optuna import TgsageObjective, suggest_decisions  # noqa: E402

TEACHER = os.environ.get("TGSAGE_TEST_TEACHER", "default")
STIMULI = int(os.environ.get("TGSAGE_TEST_STIMULI", "0"))
# a small, fast convnet: depth 2, 16 filters, 3x3 kernels, both layers downsampling (stride 2)
SMALL = {
    "convnet": {
        "layers": [
            {"filters": 16, "kernelSize": 3, "downsample": "DOWNSAMPLE_STRIDE2"},
            {"filters": 16, "kernelSize": 3, "downsample": "DOWNSAMPLE_STRIDE2"},
        ]
    }
}
FAST = dict(batch_size=16, num_validation=50)
# Optuna: cheap candidates whatever the depth (16 filters, two stride-2 layers first); depth, kernels, skips,
# activations, ... stay free, so the conditional space is still searched
CHEAP = {f"layers[{i}].filters": "16" for i in range(8)} | {
    "layers[0].downsample": "stride2", "layers[1].downsample": "stride2", "head": "global_avg_pool"}


def fixed(base):
    """PartialFixedSampler(CHEAP, base), without its ExperimentalWarning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return optuna.samplers.PartialFixedSampler(CHEAP, base)


class SpacesTest(unittest.TestCase):
    def test_describe_matches_on_trainer_and_controller_and_round_trips(self):
        with SpacesClient() as on_trainer, SpacesClient(os.environ["TGSAGE_CONTROLLER_ADDR"]) as on_controller:
            space = on_trainer.describe("convnet")
            self.assertEqual(space, on_controller.describe("convnet"))
            self.assertEqual(len(space.decisions), 49)
            depth = space.decisions[0]
            self.assertEqual((depth.name, depth.choices[0], depth.choices[-1]), ("depth", "2", "8"))
            # depth 3 (choice 1): layers[2] active, layers[3] not
            by_name = {d.name: min(1, len(d.choices) - 1) for d in space.decisions}
            vector = space.vector(by_name)
            active = space.active(vector)
            names = [d.name for d in space.decisions]
            self.assertTrue(active[names.index("layers[2].filters")])
            self.assertFalse(active[names.index("layers[3].filters")])
            decoded = on_trainer.to_genome("convnet", by_name=by_name)
            self.assertEqual(decoded.decisions, vector)
            self.assertEqual(len(decoded.genome_dict["convnet"]["layers"]), 3)
            back = on_trainer.to_decisions(decoded.genome_dict)
            self.assertEqual(back.decisions, vector)
            self.assertEqual(back.active, active)
            with self.assertRaises(grpc.RpcError) as e:
                on_trainer.to_genome("convnet", by_name={"depth": 1})
            self.assertEqual(e.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
            self.assertIn("by_name[head]", e.exception.details())


class TrainerTest(unittest.TestCase):
    def test_sample_describe_train_with_progress_and_curve(self):
        with TrainerClient() as trainer:
            sampled = trainer.sample("nasnet", seed=4)
            self.assertEqual(sampled, trainer.sample("nasnet", seed=4))
            info = trainer.describe(SMALL)
            self.assertEqual(info["space"], "convnet")
            self.assertEqual(len(info["representation_layers"]), 2)
            # conv 3x3x1x16 + 16, conv 3x3x16x16 + 16, dense 16x10 + 10
            self.assertEqual(info["parameter_count"], 3 * 3 * 16 + 16 + 3 * 3 * 16 * 16 + 16 + 16 * 10 + 10)
            progress, points = [], []
            r = trainer.train(
                SMALL, steps=8, eval_steps=[4], teacher_id=TEACHER, num_stimuli=STIMULI, seed=1,
                on_progress=progress.append, on_curve_point=points.append, **FAST,
            )
            self.assertTrue(0.0 <= r.p <= 1.0)
            self.assertIsNotNone(r.tg)
            self.assertEqual(r.steps, 8)
            self.assertTrue(progress and progress[-1].total_steps == 8)
            if r.curve:  # trainers without learning curves (before training.eval_steps) send none: tolerated
                self.assertEqual([c.step for c in r.curve], [4, 8])
                self.assertEqual([c.step for c in points], [4, 8])
                self.assertAlmostEqual(r.curve[-1].p, r.p, places=12)
            else:
                self.assertEqual(points, [])
            self.assertAlmostEqual(r.score("p+tg", 0.25), 0.75 * r.p + 0.25 * r.tg, places=12)
            self.assertEqual(r.similarity.matrix.shape, (2, 1))
            with self.assertRaises(grpc.RpcError) as e:  # checked before any training
                trainer.train(SMALL, steps=8, teacher_id=TEACHER, teacher_layers=["no-such-layer"], num_stimuli=STIMULI, **FAST)
            self.assertEqual(e.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
            self.assertTrue(e.exception.details().startswith("teacher_layers:"), e.exception.details())


class ControllerTest(unittest.TestCase):
    def test_ask_tell_import_watch_export(self):
        with ControllerClient() as ctl:
            study = ctl.create_study(
                space="convnet", num_trials=2, steps_per_trial=4, teacher_id=TEACHER, seed=102, dataset="mnist",
                num_validation=50, name="py ask/tell", score="p+tg",
            )
            self.assertEqual(study.state, "created")
            with self.assertRaises(grpc.RpcError) as e:
                ctl.create_study(space="convnet", num_trials=1, steps_per_trial=4, teacher_id=TEACHER, teacher_layers=["no-such-layer"],
                                 score="p+tg")
            self.assertEqual(e.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
            self.assertTrue(e.exception.details().startswith("teacher_layers:"), e.exception.details())
            imported = ctl.import_trial(study.id, SMALL, p=0.5, activations={"l1": np.random.default_rng(0).normal(size=(STIMULI, 8))}, source="history")
            self.assertEqual((imported.origin, imported.source, imported.state), ("imported", "history", "completed"))
            self.assertIsNotNone(imported.tg)
            self.assertAlmostEqual(imported.score, 0.5 * 0.5 + 0.5 * imported.tg, places=12)
            self.assertEqual(imported.score, combine("p+tg", 0.5, imported.tg, 0.5))  # the client's rule is the server's
            asked = ctl.suggest(study.id, "py", 2)
            self.assertEqual([t.origin for t in asked], ["strategy", "strategy"])
            rng = np.random.default_rng(1)
            x = rng.normal(size=(STIMULI, 16))
            told = ctl.complete(study.id, asked[0].id, "py", p=0.25, activations={"a": x, "b": x @ rng.normal(size=(16, 4))})
            self.assertEqual(told.state, "completed")
            trained = ctl.complete(study.id, asked[1].id, "py", train_here=True)
            self.assertEqual((trained.state, trained.steps), ("completed", 4))
            events = list(ctl.watch(study.id))
            self.assertEqual((events[0].kind, events[-1].kind), ("snapshot", "study_finished"))
            done = ctl.get(study.id)
            self.assertEqual(done.state, "finished")
            self.assertEqual(len(done.trials), 3)
            self.assertEqual(done.best.id, done.ranked[0].id)
            rows = list(csv.DictReader(io.StringIO(ctl.export(study.id, "csv"))))
            self.assertEqual(sorted(r["origin"] for r in rows), ["imported", "strategy", "strategy"])
            self.assertIn(study.id, [s.id for s in ctl.list()])


class OptunaTest(unittest.TestCase):
    def test_tpe_study_searches_the_conditional_space(self):
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        with TgsageObjective("convnet", steps=4, teacher_id=TEACHER, score="p+tg", alpha=0.5, seed=0, **FAST) as objective:
            sampler = fixed(optuna.samplers.TPESampler(seed=0, n_startup_trials=2))
            study = optuna.create_study(direction="maximize", sampler=sampler)
            study.enqueue_trial({"depth": "2"})
            study.optimize(objective, n_trials=3)
            self.assertEqual(len(study.trials), 3)
            for t in study.trials:
                self.assertEqual(t.state, optuna.trial.TrialState.COMPLETE)
                depth = int(t.params["depth"])
                # only the active decisions were asked: exactly the layers below the depth
                layers = {int(k[7]) for k in t.params if k.startswith("layers[")}
                self.assertEqual(layers, set(range(depth)))
                self.assertEqual(len(t.user_attrs["genome"]["convnet"]["layers"]), depth)
                self.assertAlmostEqual(t.value, 0.5 * t.user_attrs["p"] + 0.5 * t.user_attrs["tg"], places=12)
            self.assertEqual(study.trials[0].params["depth"], "2")

    def test_pruning_stops_training_at_a_curve_point(self):
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        with TgsageObjective("convnet", steps=8, eval_steps=[4], teacher_id=TEACHER, score="p", seed=0, **FAST) as objective:
            # prunes at any reported value below 2, i.e. at the first curve point
            study = optuna.create_study(
                direction="maximize", sampler=fixed(optuna.samplers.RandomSampler(seed=0)),
                pruner=optuna.pruners.ThresholdPruner(lower=2.0),
            )
            study.enqueue_trial({"depth": "2"})
            study.optimize(objective, n_trials=1)
            t = study.trials[0]
            if t.state == optuna.trial.TrialState.COMPLETE and not t.intermediate_values:
                self.skipTest("this trainer sends no learning-curve points (training.eval_steps), so nothing to prune on")
            self.assertEqual(t.state, optuna.trial.TrialState.PRUNED)
            self.assertEqual(t.user_attrs["steps"], 4)
            self.assertEqual(list(t.intermediate_values), [4])

    def test_suggest_decisions_asks_only_active_decisions(self):
        with SpacesClient() as spaces:
            space = spaces.describe("convnet")
        trial = optuna.trial.FixedTrial({d.name: d.choices[-1] for d in space.decisions} | {"depth": "4"})
        chosen = suggest_decisions(trial, space)
        self.assertEqual(chosen["depth"], 2)
        self.assertNotIn("layers[4].filters", chosen)
        self.assertEqual(chosen["layers[3].skip_from"], 3)
        self.assertEqual(len(chosen), 2 + 5 + 3 * 6)


def run_example(name: str, *args: str) -> dict:
    """Runs examples/<name>.py's main(args + --json) in this process; returns its JSON output."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"example_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = module.main([*args, "--json"])
    assert code == 0, f"{name} exited {code}"
    return json.loads(out.getvalue().strip().splitlines()[-1])


class ExamplesTest(unittest.TestCase):
    """The README's three ways, as the runnable examples, with tiny budgets."""

    common = ("--teacher", TEACHER, "--num-validation", "50")

    def test_optuna_search(self):
        small = ("--fix", "depth=2", "--fix", "layers[0].filters=16", "--fix", "layers[1].filters=16",
                 "--fix", "layers[0].downsample=stride2")
        r = run_example("optuna_search", *self.common, *small, "--trials", "2", "--steps", "3", "--batch-size", "16", "--score", "p+tg")
        self.assertEqual((r["params"]["depth"], r["params"]["layers[0].downsample"]), ("2", "stride2"))
        self.assertEqual(r["states"], ["COMPLETE", "COMPLETE"])
        self.assertAlmostEqual(r["value"], 0.5 * r["p"] + 0.5 * r["tg"], places=12)

    def test_ask_tell(self):
        r = run_example("ask_tell", *self.common, "--trials", "1", "--steps", "3", "--num-stimuli", str(STIMULI), "--seed", "102",
                        "--batch-size", "16")
        self.assertEqual(r["state"], "finished")
        self.assertEqual(len(r["leaderboard"]), 1)
        self.assertTrue(all(0 <= row["p"] <= 1 and row["origin"] == "strategy" for row in r["leaderboard"]))

    def test_import_history(self):
        history = os.path.join(self.tmp, "history.jsonl")
        with open(history, "w") as f:
            for k, p in zip((16, 32, 64), (0.3, 0.9, 0.6)):
                g = {"convnet": {"layers": [dict(layer, filters=k) for layer in SMALL["convnet"]["layers"]]}}
                f.write(json.dumps({"genome": g, "p": p}) + "\n")
        r = run_example("import_history", history, *self.common, "--trials", "1", "--steps", "3", "--source", "lab")
        self.assertEqual(r["state"], "finished")
        origins = sorted((row["origin"], row["source"]) for row in r["leaderboard"])
        self.assertEqual(origins, [("imported", "lab")] * 3 + [("strategy", "")])
        self.assertEqual([row["score"] for row in r["leaderboard"] if row["origin"] == "imported"], [0.9, 0.6, 0.3])

    def setUp(self):
        import tempfile

        self._dir = tempfile.TemporaryDirectory()
        self.tmp = self._dir.name

    def tearDown(self):
        self._dir.cleanup()


if __name__ == "__main__":
    unittest.main()
