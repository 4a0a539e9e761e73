from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

COMPARATOR_CKA_LINEAR: Comparator
COMPARATOR_CKA_LINEAR_UNBIASED: Comparator
COMPARATOR_COSINE: Comparator
COMPARATOR_KENDALL_TAU_A: Comparator
COMPARATOR_PEARSON: Comparator
COMPARATOR_SPEARMAN: Comparator
COMPARATOR_UNSPECIFIED: Comparator
DESCRIPTOR: _descriptor.FileDescriptor
RDM_METHOD_CORRELATION: RdmMethod
RDM_METHOD_COSINE: RdmMethod
RDM_METHOD_EUCLIDEAN: RdmMethod
RDM_METHOD_UNSPECIFIED: RdmMethod

class BestMatch(_message.Message):
    __slots__ = ["candidate_layer", "normalized_similarity", "p_best", "similarity", "teacher_layer"]
    CANDIDATE_LAYER_FIELD_NUMBER: _ClassVar[int]
    NORMALIZED_SIMILARITY_FIELD_NUMBER: _ClassVar[int]
    P_BEST_FIELD_NUMBER: _ClassVar[int]
    SIMILARITY_FIELD_NUMBER: _ClassVar[int]
    TEACHER_LAYER_FIELD_NUMBER: _ClassVar[int]
    candidate_layer: str
    normalized_similarity: float
    p_best: float
    similarity: float
    teacher_layer: str
    def __init__(self, teacher_layer: _Optional[str] = ..., candidate_layer: _Optional[str] = ..., similarity: _Optional[float] = ..., normalized_similarity: _Optional[float] = ..., p_best: _Optional[float] = ...) -> None: ...

class Bootstrap(_message.Message):
    __slots__ = ["confidence", "resamples", "seed", "similarity_high", "similarity_low", "tg_high", "tg_low", "tg_normalized_high", "tg_normalized_low"]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    RESAMPLES_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    SIMILARITY_HIGH_FIELD_NUMBER: _ClassVar[int]
    SIMILARITY_LOW_FIELD_NUMBER: _ClassVar[int]
    TG_HIGH_FIELD_NUMBER: _ClassVar[int]
    TG_LOW_FIELD_NUMBER: _ClassVar[int]
    TG_NORMALIZED_HIGH_FIELD_NUMBER: _ClassVar[int]
    TG_NORMALIZED_LOW_FIELD_NUMBER: _ClassVar[int]
    confidence: float
    resamples: int
    seed: int
    similarity_high: _containers.RepeatedScalarFieldContainer[float]
    similarity_low: _containers.RepeatedScalarFieldContainer[float]
    tg_high: float
    tg_low: float
    tg_normalized_high: float
    tg_normalized_low: float
    def __init__(self, resamples: _Optional[int] = ..., seed: _Optional[int] = ..., confidence: _Optional[float] = ..., similarity_low: _Optional[_Iterable[float]] = ..., similarity_high: _Optional[_Iterable[float]] = ..., tg_low: _Optional[float] = ..., tg_high: _Optional[float] = ..., tg_normalized_low: _Optional[float] = ..., tg_normalized_high: _Optional[float] = ...) -> None: ...

class RdmPreview(_message.Message):
    __slots__ = ["data", "layer", "size"]
    DATA_FIELD_NUMBER: _ClassVar[int]
    LAYER_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    data: bytes
    layer: str
    size: int
    def __init__(self, layer: _Optional[str] = ..., size: _Optional[int] = ..., data: _Optional[bytes] = ...) -> None: ...

class SimilarityResult(_message.Message):
    __slots__ = ["also", "best", "bootstrap", "candidate_layers", "ceilings", "comparator", "compute_seconds", "normalized_similarity", "num_stimuli", "rdm_method", "similarity", "skipped_layers", "teacher_id", "teacher_layers", "tg", "tg_normalized"]
    ALSO_FIELD_NUMBER: _ClassVar[int]
    BEST_FIELD_NUMBER: _ClassVar[int]
    BOOTSTRAP_FIELD_NUMBER: _ClassVar[int]
    CANDIDATE_LAYERS_FIELD_NUMBER: _ClassVar[int]
    CEILINGS_FIELD_NUMBER: _ClassVar[int]
    COMPARATOR_FIELD_NUMBER: _ClassVar[int]
    COMPUTE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    NORMALIZED_SIMILARITY_FIELD_NUMBER: _ClassVar[int]
    NUM_STIMULI_FIELD_NUMBER: _ClassVar[int]
    RDM_METHOD_FIELD_NUMBER: _ClassVar[int]
    SIMILARITY_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_LAYERS_FIELD_NUMBER: _ClassVar[int]
    TEACHER_ID_FIELD_NUMBER: _ClassVar[int]
    TEACHER_LAYERS_FIELD_NUMBER: _ClassVar[int]
    TG_FIELD_NUMBER: _ClassVar[int]
    TG_NORMALIZED_FIELD_NUMBER: _ClassVar[int]
    also: _containers.RepeatedCompositeFieldContainer[SimilarityResult]
    best: _containers.RepeatedCompositeFieldContainer[BestMatch]
    bootstrap: Bootstrap
    candidate_layers: _containers.RepeatedScalarFieldContainer[str]
    ceilings: _containers.RepeatedScalarFieldContainer[float]
    comparator: Comparator
    compute_seconds: float
    normalized_similarity: _containers.RepeatedScalarFieldContainer[float]
    num_stimuli: int
    rdm_method: RdmMethod
    similarity: _containers.RepeatedScalarFieldContainer[float]
    skipped_layers: _containers.RepeatedScalarFieldContainer[str]
    teacher_id: str
    teacher_layers: _containers.RepeatedScalarFieldContainer[str]
    tg: float
    tg_normalized: float
    def __init__(self, teacher_id: _Optional[str] = ..., comparator: _Optional[_Union[Comparator, str]] = ..., rdm_method: _Optional[_Union[RdmMethod, str]] = ..., candidate_layers: _Optional[_Iterable[str]] = ..., teacher_layers: _Optional[_Iterable[str]] = ..., similarity: _Optional[_Iterable[float]] = ..., best: _Optional[_Iterable[_Union[BestMatch, _Mapping]]] = ..., tg: _Optional[float] = ..., num_stimuli: _Optional[int] = ..., compute_seconds: _Optional[float] = ..., ceilings: _Optional[_Iterable[float]] = ..., normalized_similarity: _Optional[_Iterable[float]] = ..., tg_normalized: _Optional[float] = ..., bootstrap: _Optional[_Union[Bootstrap, _Mapping]] = ..., also: _Optional[_Iterable[_Union[SimilarityResult, _Mapping]]] = ..., skipped_layers: _Optional[_Iterable[str]] = ...) -> None: ...

class RdmMethod(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class Comparator(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
