"""Optuna drives tgsage: Optuna's samplers propose, tgsage evaluates with teacher guidance.

    import optuna
    from tgsage_client.optuna import TgsageObjective

    objective = TgsageObjective("convnet", steps=300, teacher_id="my-teacher", score="p+tg", eval_steps=[100, 200])
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=0),
                                pruner=optuna.pruners.MedianPruner(n_startup_trials=2))
    study.optimize(objective, n_trials=20)
    print(study.best_trial.user_attrs["genome"])

`suggest_decisions` maps an Optuna trial onto the space's decisions as tgsage describes them (SearchSpaces RPC): one
categorical parameter per decision, named like "layers[2].kernel_size", with the readable choice labels, asked only
when the decision is active given the earlier ones (a convnet of depth 3 never asks for layers[5].*), so Optuna's
conditional search space is exactly tgsage's. The genome is trained on tgsage's trainer for a step budget and scored
against a teacher; the objective is P (the default, as the controller's), TG or P+TG = (1 - alpha) P + alpha TG
(score="p+tg"). With `eval_steps`, each learning-curve point is reported to Optuna (`trial.report`) and a pruned trial
stops training at once.
"""

from __future__ import annotations

from typing import Any, Sequence

import optuna

from tgsage_client.clients import TeacherCacheClient
from tgsage_client.spaces import Space, SpacesClient
from tgsage_client.trainer import CurvePoint, TrainerClient, TrainingStopped, combine


def suggest_decisions(trial: "optuna.trial.BaseTrial", space: Space) -> dict[str, int]:
    """Asks `trial` for every decision that is active given the earlier ones; returns the choice index by name."""
    chosen: dict[str, int] = {}
    for d in space.decisions:
        if d.is_active(chosen):
            label = trial.suggest_categorical(d.name, list(d.choices))
            chosen[d.name] = d.choices.index(label)
    return chosen


class TgsageObjective:
    """An Optuna objective that evaluates each trial's genome on tgsage (see the module doc). Every trial gets user
    attributes: p, tg, genome (proto3 JSON), parameter_count, steps. Call `close()` (or use `with`) when done."""

    def __init__(
        self,
        space: str = "convnet",
        *,
        steps: int,
        score: str = "p",
        alpha: float = 0.5,
        teacher_id: str = "default",
        eval_steps: Sequence[int] = (),
        dataset: str = "mnist",
        num_stimuli: int = 0,
        num_validation: int = 0,
        seed: int = 0,
        trainer: TrainerClient | None = None,
        spaces: SpacesClient | None = None,
        teacher_cache: TeacherCacheClient | None = None,
        **train_options: Any,
    ):
        combine(score, 0.5, 0.5, alpha)  # checks score and alpha now, not after the first training
        self.score, self.alpha = score.lower(), alpha
        self.trainer = trainer or TrainerClient()
        self.spaces = spaces or SpacesClient(self.trainer.address)
        self._owned = [c for c, given in ((self.trainer, trainer), (self.spaces, spaces)) if given is None]
        self.space = self.spaces.describe(space)
        needs_teacher = self.score != "p"
        if needs_teacher and num_stimuli == 0:
            # the trainer needs the teacher's stimulus count for the stimulus set it draws
            cache = teacher_cache or TeacherCacheClient()
            try:
                num_stimuli = cache.get(teacher_id).num_stimuli
            finally:
                if teacher_cache is None:
                    cache.close()
        self.train_options = dict(
            steps=steps,
            teacher_id=teacher_id,
            skip_scoring=not needs_teacher,
            eval_steps=[s for s in eval_steps if s < steps],
            dataset=dataset,
            num_stimuli=num_stimuli,
            num_validation=num_validation,
            seed=seed,
            **train_options,
        )

    def genome(self, trial: "optuna.trial.BaseTrial"):
        """The trial's genome (asks the trial for the active decisions)."""
        return self.spaces.to_genome(self.space.name, by_name=suggest_decisions(trial, self.space))

    def __call__(self, trial: "optuna.trial.Trial") -> float:
        decoded = self.genome(trial)
        trial.set_user_attr("genome", decoded.genome_dict)

        def on_point(point: CurvePoint) -> bool:
            value = self._value(point.p, point.tg)
            if value is None:
                return False
            trial.report(value, point.step)
            return trial.should_prune()

        try:
            result = self.trainer.train(
                decoded.genome, on_curve_point=on_point, trial_id=f"optuna-{trial.number}", **self.train_options
            )
        except TrainingStopped as stopped:
            trial.set_user_attr("p", stopped.point.p)
            trial.set_user_attr("steps", stopped.point.step)
            raise optuna.TrialPruned(str(stopped)) from None
        trial.set_user_attr("p", result.p)
        trial.set_user_attr("tg", result.tg)
        trial.set_user_attr("parameter_count", result.parameter_count)
        trial.set_user_attr("steps", result.steps)
        return combine(self.score, result.p, result.tg, self.alpha)

    def _value(self, p: float, tg: float | None) -> float | None:
        try:
            return combine(self.score, p, tg, self.alpha)
        except ValueError:
            return None

    def close(self) -> None:
        """Closes the clients this objective made (not those passed in)."""
        for c in self._owned:
            c.close()
        self._owned = []

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
