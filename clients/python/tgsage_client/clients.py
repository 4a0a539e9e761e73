"""Thin, typed wrappers over the generated gRPC stubs: numpy arrays in, numpy arrays and dataclasses out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Mapping, Sequence

import grpc
import numpy as np

from tgsage_client._gen.tgsage.v1 import (
    info_pb2,
    info_pb2_grpc,
    scorer_pb2,
    scorer_pb2_grpc,
    similarity_pb2,
    teacher_cache_pb2,
    teacher_cache_pb2_grpc,
    tensor_pb2,
)
from tgsage_client import security
from tgsage_client._common import Client, lookup, name_of
from tgsage_client.chunks import MAX_CHUNK_BYTES, layer_chunks, matrix_from_chunks

RDM_METHODS = {
    "correlation": similarity_pb2.RDM_METHOD_CORRELATION,
    "cosine": similarity_pb2.RDM_METHOD_COSINE,
    "euclidean": similarity_pb2.RDM_METHOD_EUCLIDEAN,
}
COMPARATORS = {
    "spearman": similarity_pb2.COMPARATOR_SPEARMAN,
    "pearson": similarity_pb2.COMPARATOR_PEARSON,
    "kendall": similarity_pb2.COMPARATOR_KENDALL_TAU_A,
    "cosine": similarity_pb2.COMPARATOR_COSINE,
    "cka": similarity_pb2.COMPARATOR_CKA_LINEAR,
    "cka-unbiased": similarity_pb2.COMPARATOR_CKA_LINEAR_UNBIASED,
}


_lookup = lookup
_name = name_of
_Client = Client


class TeacherCacheClient(_Client):
    """The teacher cache: upload a teacher's layer activations once, then list, inspect, download RDMs, delete."""

    _env = "TGSAGE_TEACHER_CACHE_ADDR"
    _default = "127.0.0.1:50051"

    def __init__(self, address: str | None = None, **kwargs):
        super().__init__(address, **kwargs)
        self._stub = teacher_cache_pb2_grpc.TeacherCacheStub(self.channel)

    def put(
        self,
        teacher_id: str,
        layers: Mapping[str, np.ndarray],
        *,
        description: str = "",
        rdm_method: str = "correlation",
        store_gram: bool = False,
        stimulus_ids: Sequence[str] | None = None,
        chunk_bytes: int = MAX_CHUNK_BYTES,
        upload_timeout: float | None = None,
        repetitions: bool = False,
        missing_repetitions: bool = False,
        ceiling_splits: int = 0,
        ceiling_seed: int = 0,
        tg_layers: Sequence[str] | None = None,
    ) -> teacher_cache_pb2.Teacher:
        """Uploads a teacher: `layers` maps layer names (in order) to activations [stimuli, ...features],
        float16/32/64. Returns the stored Teacher (ALREADY_EXISTS if the id is taken).

        Brain recordings: with `repetitions=True` every layer is [repetitions, stimuli, ...sites]; the RDM is computed
        from the mean over repetitions and each layer gets noise ceilings (Teacher.layers[i].ceilings). With
        `missing_repetitions=True`, NaN marks a missing repetition (otherwise NaN is an error).

        `tg_layers`: the layers TG averages over when a score or study names none (default: every layer)."""
        if not layers:
            raise ValueError("layers: give at least one layer")
        num_stimuli = int(np.shape(next(iter(layers.values())))[1 if repetitions else 0])

        def requests() -> Iterator[teacher_cache_pb2.CreateTeacherRequest]:
            yield teacher_cache_pb2.CreateTeacherRequest(
                header=teacher_cache_pb2.TeacherHeader(
                    id=teacher_id,
                    description=description,
                    num_stimuli=num_stimuli,
                    stimulus_ids=list(stimulus_ids or []),
                    rdm_method=_lookup(RDM_METHODS, "rdm_method", rdm_method),
                    store_gram=store_gram,
                    repetitions=repetitions,
                    missing_repetitions=missing_repetitions,
                    ceiling_splits=ceiling_splits,
                    ceiling_seed=ceiling_seed,
                    tg_layers=list(tg_layers or []),
                )
            )
            for name, array in layers.items():
                for chunk in layer_chunks(name, array, chunk_bytes):
                    yield teacher_cache_pb2.CreateTeacherRequest(chunk=chunk)

        return self._stub.CreateTeacher(requests(), timeout=upload_timeout)

    def get(self, teacher_id: str) -> teacher_cache_pb2.Teacher:
        return self._stub.GetTeacher(teacher_cache_pb2.GetTeacherRequest(id=teacher_id), timeout=self.timeout)

    def list(self) -> list[teacher_cache_pb2.Teacher]:
        """Every complete teacher, sorted by id (follows the listing's pages)."""
        out: list[teacher_cache_pb2.Teacher] = []
        token = ""
        while True:
            page = self._stub.ListTeachers(teacher_cache_pb2.ListTeachersRequest(page_token=token), timeout=self.timeout)
            out.extend(page.teachers)
            token = page.next_page_token
            if not token:
                return out

    def set_tg_layers(self, teacher_id: str, tg_layers: Sequence[str]) -> teacher_cache_pb2.Teacher:
        """Sets the layers TG averages over when a score or study names none (empty: every layer). Studies already
        created keep the layers they were created with."""
        return self._stub.SetTgLayers(
            teacher_cache_pb2.SetTgLayersRequest(id=teacher_id, tg_layers=list(tg_layers)), timeout=self.timeout
        )

    def delete(self, teacher_id: str) -> None:
        self._stub.DeleteTeacher(teacher_cache_pb2.DeleteTeacherRequest(id=teacher_id), timeout=self.timeout)

    def rdm(self, teacher_id: str, layer: str) -> np.ndarray:
        """One teacher layer's RDM, (N, N) float32."""
        return matrix_from_chunks(
            self._stub.GetRdm(teacher_cache_pb2.GetRdmRequest(teacher_id=teacher_id, layer=layer), timeout=self.timeout)
        )

    def gram(self, teacher_id: str, layer: str) -> np.ndarray:
        """One teacher layer's centred Gram matrix, (N, N) float64 (teachers stored with store_gram=True)."""
        return matrix_from_chunks(
            self._stub.GetGram(teacher_cache_pb2.GetRdmRequest(teacher_id=teacher_id, layer=layer), timeout=self.timeout)
        )


@dataclass(frozen=True)
class BestMatch:
    teacher_layer: str
    candidate_layer: str
    similarity: float


@dataclass(frozen=True)
class ScoreResult:
    """A candidate scored against a teacher. `matrix[i, j]` = similarity of candidate layer i to teacher layer j."""

    teacher_id: str
    comparator: str
    rdm_method: str
    candidate_layers: list[str]
    teacher_layers: list[str]
    matrix: np.ndarray
    best: list[BestMatch]
    tg: float
    num_stimuli: int
    compute_seconds: float = 0.0
    raw: similarity_pb2.SimilarityResult | None = field(default=None, repr=False, compare=False)
    # teachers with repetitions: each teacher layer's noise ceiling, similarity / ceiling, and TG over those
    ceilings: np.ndarray | None = None
    normalized: np.ndarray | None = None
    tg_normalized: float = float("nan")

    @classmethod
    def from_proto(cls, r: similarity_pb2.SimilarityResult) -> "ScoreResult":
        rows, cols = len(r.candidate_layers), len(r.teacher_layers)
        return cls(
            teacher_id=r.teacher_id,
            comparator=_name(COMPARATORS, r.comparator),
            rdm_method=_name(RDM_METHODS, r.rdm_method),
            candidate_layers=list(r.candidate_layers),
            teacher_layers=list(r.teacher_layers),
            matrix=np.array(r.similarity, dtype=np.float64).reshape(rows, cols),
            best=[BestMatch(b.teacher_layer, b.candidate_layer, b.similarity) for b in r.best],
            tg=r.tg,
            num_stimuli=r.num_stimuli,
            compute_seconds=r.compute_seconds,
            raw=r,
            ceilings=np.array(r.ceilings, dtype=np.float64) if r.ceilings else None,
            normalized=np.array(r.normalized_similarity, dtype=np.float64).reshape(rows, cols) if r.normalized_similarity else None,
            tg_normalized=r.tg_normalized,
        )

    def to_dict(self) -> dict:
        """JSON-ready, in the same shape as `tgsage --json score`."""
        return {
            "teacherId": self.teacher_id,
            "comparator": self.comparator,
            "rdmMethod": self.rdm_method,
            "numStimuli": self.num_stimuli,
            "tg": self.tg,
            "best": [
                {"teacherLayer": b.teacher_layer, "candidateLayer": b.candidate_layer, "similarity": b.similarity}
                for b in self.best
            ],
            "candidateLayers": self.candidate_layers,
            "teacherLayers": self.teacher_layers,
            "matrix": self.matrix.tolist(),
            "computeSeconds": self.compute_seconds,
        }


class ScorerClient(_Client):
    """The scorer: compares a candidate's layers with a cached teacher's (or RDMs you bring)."""

    _env = "TGSAGE_SCORER_ADDR"
    _default = "127.0.0.1:50052"

    def __init__(self, address: str | None = None, **kwargs):
        super().__init__(address, **kwargs)
        self._stub = scorer_pb2_grpc.ScorerStub(self.channel)

    def score(
        self,
        teacher_id: str,
        layers: Mapping[str, np.ndarray],
        *,
        comparator: str = "spearman",
        rdm_method: str | None = None,
        teacher_layers: Sequence[str] | None = None,
        chunk_bytes: int = MAX_CHUNK_BYTES,
        upload_timeout: float | None = None,
        bootstrap: int = 0,
        seed: int = 0,
    ) -> ScoreResult:
        """Streams the candidate's activations (name -> [stimuli, ...features]) and returns the similarity matrix,
        the best candidate layer per teacher layer and TG."""

        def requests() -> Iterator[scorer_pb2.ScoreActivationsRequest]:
            yield scorer_pb2.ScoreActivationsRequest(
                header=scorer_pb2.ScoreHeader(
                    teacher_id=teacher_id,
                    rdm_method=0 if rdm_method is None else _lookup(RDM_METHODS, "rdm_method", rdm_method),
                    comparator=_lookup(COMPARATORS, "comparator", comparator),
                    teacher_layers=list(teacher_layers or []),
                    bootstrap=bootstrap,
                    bootstrap_seed=seed,
                )
            )
            for name, array in layers.items():
                for chunk in layer_chunks(name, array, chunk_bytes):
                    yield scorer_pb2.ScoreActivationsRequest(chunk=chunk)

        return ScoreResult.from_proto(self._stub.ScoreActivations(requests(), timeout=upload_timeout))

    def compare_rdms(
        self,
        candidate: Mapping[str, np.ndarray],
        teacher: Mapping[str, np.ndarray] | str,
        *,
        comparator: str = "spearman",
        upload_timeout: float | None = None,
        bootstrap: int = 0,
        seed: int = 0,
        teacher_layers: Sequence[str] | None = None,
    ) -> ScoreResult:
        """Compares RDMs you bring ((N, N) each): with a cached teacher (give its id; `teacher_layers` as in `score`)
        or with your own teacher RDMs."""
        first = next(iter(candidate.values()))
        n = int(np.shape(first)[0])

        def rdm_messages(side: int, rdms: Mapping[str, np.ndarray]) -> Iterator[scorer_pb2.CompareRdmsRequest]:
            for name, m in rdms.items():
                a = np.ascontiguousarray(m, dtype="<f8")
                if a.shape != (n, n):
                    raise ValueError(f"RDM {name!r}: expected shape ({n}, {n}), got {a.shape}")
                flat = a.reshape(-1)
                step = MAX_CHUNK_BYTES // 8
                for start in range(0, flat.size, step):
                    yield scorer_pb2.CompareRdmsRequest(
                        rdm=scorer_pb2.RdmUpload(
                            side=side,
                            chunk=tensor_pb2.MatrixChunk(
                                layer=name,
                                dtype=tensor_pb2.DTYPE_FLOAT64,
                                size=n,
                                offset=start,
                                data=flat[start : start + step].tobytes(),
                            ),
                        )
                    )

        def requests() -> Iterator[scorer_pb2.CompareRdmsRequest]:
            yield scorer_pb2.CompareRdmsRequest(
                header=scorer_pb2.CompareRdmsHeader(
                    teacher_id=teacher if isinstance(teacher, str) else "",
                    comparator=_lookup(COMPARATORS, "comparator", comparator),
                    num_stimuli=n,
                    teacher_layers=list(teacher_layers or []),
                    bootstrap=bootstrap,
                    bootstrap_seed=seed,
                )
            )
            yield from rdm_messages(scorer_pb2.RDM_SIDE_CANDIDATE, candidate)
            if not isinstance(teacher, str):
                yield from rdm_messages(scorer_pb2.RDM_SIDE_TEACHER, teacher)

        return ScoreResult.from_proto(self._stub.CompareRdms(requests(), timeout=upload_timeout))


class InfoClient(_Client):
    """The Info service every tgsage process serves: which services, version, compute backend."""

    _env = "TGSAGE_SCORER_ADDR"
    _default = "127.0.0.1:50052"

    def __init__(self, address: str | None = None, **kwargs):
        super().__init__(address, **kwargs)
        self._stub = info_pb2_grpc.InfoStub(self.channel)

    def get(self) -> info_pb2.ServiceInfo:
        return self._stub.GetInfo(info_pb2.GetInfoRequest(), timeout=self.timeout)
