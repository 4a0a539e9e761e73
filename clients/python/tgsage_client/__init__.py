"""Python client for tgsage: numpy arrays in and out, typed results, iterators over streams.

    from tgsage_client import TeacherCacheClient, ScorerClient, TrainerClient, ControllerClient, SpacesClient

    with TeacherCacheClient() as cache:
        cache.put("my-teacher", {"V4": v4_acts, "IT": it_acts})
    with ScorerClient() as scorer:
        result = scorer.score("my-teacher", {"conv3": c3, "conv5": c5})
        print(result.tg, result.matrix)
    with TrainerClient() as trainer:
        r = trainer.train(trainer.sample("convnet", seed=1), steps=200, teacher_id="my-teacher", num_stimuli=1000)
    with ControllerClient() as ctl:
        study = ctl.create_study(space="convnet", num_trials=10, steps_per_trial=200, teacher_id="my-teacher")
        for event in ctl.run(study.id): ...

Optuna: `tgsage_client.optuna` (imported on its own, so Optuna stays optional).

Addresses default to the local ports (teacher cache 50051, scorer 50052, trainer 50053, controller 50054 on
127.0.0.1) or the environment variables TGSAGE_TEACHER_CACHE_ADDR / TGSAGE_SCORER_ADDR / TGSAGE_TRAINER_ADDR /
TGSAGE_CONTROLLER_ADDR. gRPC failures raise grpc.RpcError (`.code()`, `.details()`).
"""

from tgsage_client.chunks import MAX_CHUNK_BYTES, layer_chunks, matrix_from_chunks
from tgsage_client.clients import (
    BestMatch,
    InfoClient,
    ScoreResult,
    ScorerClient,
    TeacherCacheClient,
)
from tgsage_client.controller import ControllerClient, Event, Study, Trial, study_config
from tgsage_client.spaces import Decision, Space, SpacesClient
from tgsage_client.trainer import CurvePoint, Progress, TrainerClient, TrainingStopped, TrainResult, combine

__all__ = [
    "MAX_CHUNK_BYTES",
    "BestMatch",
    "ControllerClient",
    "CurvePoint",
    "Decision",
    "Event",
    "InfoClient",
    "Progress",
    "ScoreResult",
    "ScorerClient",
    "Space",
    "SpacesClient",
    "Study",
    "TeacherCacheClient",
    "TrainResult",
    "TrainerClient",
    "TrainingStopped",
    "Trial",
    "combine",
    "layer_chunks",
    "matrix_from_chunks",
    "study_config",
]
