"""Python client for tgsage: numpy arrays in and out.

    from tgsage_client import TeacherCacheClient, ScorerClient

    with TeacherCacheClient() as cache:
        cache.put("my-teacher", {"V4": v4_acts, "IT": it_acts})
    with ScorerClient() as scorer:
        result = scorer.score("my-teacher", {"conv3": c3, "conv5": c5})
        print(result.tg, result.matrix)

Addresses default to the local ports (teacher cache 127.0.0.1:50051, scorer 127.0.0.1:50052) or the environment
variables TGSAGE_TEACHER_CACHE_ADDR / TGSAGE_SCORER_ADDR. gRPC failures raise grpc.RpcError (`.code()`, `.details()`).
"""

from tgsage_client.chunks import MAX_CHUNK_BYTES, layer_chunks, matrix_from_chunks
from tgsage_client.clients import (
    BestMatch,
    InfoClient,
    ScoreResult,
    ScorerClient,
    TeacherCacheClient,
)

__all__ = [
    "MAX_CHUNK_BYTES",
    "BestMatch",
    "InfoClient",
    "ScoreResult",
    "ScorerClient",
    "TeacherCacheClient",
    "layer_chunks",
    "matrix_from_chunks",
]
