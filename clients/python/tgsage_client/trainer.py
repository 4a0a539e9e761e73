"""The trainer: train a genome for a step budget (progress and learning-curve callbacks), describe it, sample one.

    from tgsage_client import TrainerClient

    with TrainerClient() as trainer:
        genome = trainer.sample("convnet", seed=3)
        result = trainer.train(genome, steps=200, teacher_id="my-teacher", num_stimuli=1000,
                               on_progress=lambda p: print(p.phase, p.step, p.total_steps))
        print(result.p, result.tg)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from tgsage_client._common import Client, genome_dict, lookup, space_value, to_genome
from tgsage_client._gen.tgsage.v1 import data_pb2, trainer_pb2, trainer_pb2_grpc
from tgsage_client.clients import COMPARATORS, ScoreResult

OPTIMIZERS = {"sgd": trainer_pb2.OPTIMIZER_SGD_MOMENTUM, "adam": trainer_pb2.OPTIMIZER_ADAM}
SCHEDULES = {
    "cosine": trainer_pb2.LR_SCHEDULE_COSINE,
    "constant": trainer_pb2.LR_SCHEDULE_CONSTANT,
    "warmup-cosine": trainer_pb2.LR_SCHEDULE_WARMUP_COSINE,
}


@dataclass(frozen=True)
class Progress:
    phase: str
    step: int
    total_steps: int
    loss: float
    images_per_second: float
    elapsed_seconds: float


@dataclass(frozen=True)
class CurvePoint:
    """The candidate measured after `step` steps: P, and TG when scored."""

    step: int
    p: float
    tg: float | None
    train_loss: float
    similarity: ScoreResult | None = field(default=None, repr=False)


@dataclass(frozen=True)
class TrainResult:
    p: float
    tg: float | None
    similarity: ScoreResult | None
    final_loss: float
    parameter_count: int
    flops: int
    steps: int
    wall_seconds: float
    backend: str
    curve: list[CurvePoint]
    raw: Any = field(default=None, repr=False, compare=False)

    def score(self, kind: str = "p+tg", alpha: float = 0.5) -> float:
        """The ranking score: "p", "tg" or "p+tg" = (1 - alpha) P + alpha TG (the controller's rule)."""
        return combine(kind, self.p, self.tg, alpha)


def combine(kind: str, p: float, tg: float | None, alpha: float = 0.5) -> float:
    """P, TG or P+TG = (1 - alpha) P + alpha TG, as the controller ranks trials (ValueError if TG is needed and absent)."""
    kind = kind.lower()
    if kind == "p":
        return p
    if tg is None:
        raise ValueError(f"score {kind!r} needs TG: train with a teacher (skip_scoring off)")
    if kind == "tg":
        return tg
    if kind in ("p+tg", "p_tg"):
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f"alpha: must be in [0, 1] (got {alpha})")
        return (1.0 - alpha) * p + alpha * tg
    raise ValueError(f"score: {kind!r} is not one of p, tg, p+tg")


def _similarity(msg, has: bool) -> ScoreResult | None:
    return ScoreResult.from_proto(msg) if has else None


def _curve_point(c: trainer_pb2.CurvePoint) -> CurvePoint:
    sim = _similarity(c.similarity, c.HasField("similarity"))
    return CurvePoint(c.step, c.validation_accuracy, sim.tg if sim else None, c.train_loss, sim)


class TrainerClient(Client):
    _env = "TGSAGE_TRAINER_ADDR"
    _default = "127.0.0.1:50053"

    def __init__(self, address: str | None = None, **kwargs):
        super().__init__(address, **kwargs)
        self._stub = trainer_pb2_grpc.TrainerStub(self.channel)

    def sample(self, space: str | int, seed: int = 0) -> Any:
        """A genome drawn uniformly over the space's decisions for `seed` (a Genome message)."""
        return self._stub.SampleGenome(trainer_pb2.SampleGenomeRequest(space=space_value(space), seed=seed), timeout=self.timeout)

    def describe(self, genome: Any, *, dataset: str = "mnist") -> dict:
        """Parameters, FLOPs, representation layers and canonical genome of what `genome` builds."""
        s = self._stub.DescribeGenome(
            trainer_pb2.DescribeGenomeRequest(genome=to_genome(genome), dataset=data_pb2.DatasetSpec(name=dataset)),
            timeout=self.timeout,
        )
        return {
            "space": "convnet" if s.space == 1 else "nasnet",
            "parameter_count": s.parameter_count,
            "flops": s.flops,
            "representation_layers": list(s.representation_layers),
            "genome": genome_dict(to_genome(s.genome_json)),
        }

    def train(
        self,
        genome: Any,
        *,
        steps: int,
        teacher_id: str = "default",
        teacher_layers: Sequence[str] = (),
        skip_scoring: bool = False,
        comparator: str = "spearman",
        dataset: str = "mnist",
        data_dir: str = "",
        num_stimuli: int = 0,
        num_validation: int = 0,
        seed: int = 0,
        batch_size: int = 0,
        optimizer: str = "sgd",
        learning_rate: float = 0.0,
        schedule: str = "cosine",
        eval_steps: Sequence[int] = (),
        on_progress: Callable[[Progress], None] | None = None,
        on_curve_point: Callable[[CurvePoint], Any] | None = None,
        trial_id: str = "",
        timeout: float | None = None,
    ) -> TrainResult:
        """Trains `genome` for `steps` and returns P (and TG against `teacher_id` unless skip_scoring). `num_stimuli`
        must match the teacher's stimulus count. `teacher_layers`: the teacher layers TG averages over (default: the
        teacher's tg_layers, else all; ["*"]: all). `eval_steps` adds learning-curve points, each passed to
        `on_curve_point` as soon as it is measured; if that callback returns True, training is cancelled and
        `TrainingStopped` is raised (e.g. Optuna pruning)."""
        request = trainer_pb2.TrainCandidateRequest(
            genome=to_genome(genome),
            training=trainer_pb2.TrainingConfig(
                steps=steps,
                batch_size=batch_size,
                optimizer=lookup(OPTIMIZERS, "optimizer", optimizer),
                learning_rate=learning_rate,
                schedule=lookup(SCHEDULES, "schedule", schedule),
                seed=seed,
                dataset=data_pb2.DatasetSpec(
                    name=dataset, directory=data_dir, num_stimuli=num_stimuli, num_validation=num_validation
                ),
                eval_steps=list(eval_steps),
            ),
            teacher_id=teacher_id,
            teacher_layers=list(teacher_layers),
            comparator=lookup(COMPARATORS, "comparator", comparator),
            skip_scoring=skip_scoring,
            trial_id=trial_id,
        )
        call = self._stub.TrainCandidate(request, timeout=timeout)
        try:
            for event in call:
                kind = event.WhichOneof("event")
                if kind == "progress" and on_progress is not None:
                    p = event.progress
                    on_progress(Progress(p.phase, p.step, p.total_steps, p.loss, p.images_per_second, p.elapsed_seconds))
                elif kind == "curve_point" and on_curve_point is not None:
                    point = _curve_point(event.curve_point)
                    if on_curve_point(point) is True:
                        raise TrainingStopped(point)
                elif kind == "result":
                    r = event.result
                    sim = _similarity(r.similarity, r.HasField("similarity"))
                    return TrainResult(
                        p=r.validation_accuracy,
                        tg=sim.tg if sim else None,
                        similarity=sim,
                        final_loss=r.final_loss,
                        parameter_count=r.parameter_count,
                        flops=r.flops,
                        steps=r.steps,
                        wall_seconds=r.wall_seconds,
                        backend=r.backend,
                        curve=[_curve_point(c) for c in r.curve],
                        raw=r,
                    )
        finally:
            call.cancel()  # no-op once the stream has ended; stops training when we leave early
        raise RuntimeError("the trainer's stream ended without a result")


class TrainingStopped(Exception):
    """Training was cancelled by the on_curve_point callback; `point` is the last point measured."""

    def __init__(self, point: CurvePoint):
        super().__init__(f"training stopped at step {point.step} (P {point.p:.4f})")
        self.point = point
