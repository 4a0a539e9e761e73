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
    __slots__ = ["candidate_layer", "similarity", "teacher_layer"]
    CANDIDATE_LAYER_FIELD_NUMBER: _ClassVar[int]
    SIMILARITY_FIELD_NUMBER: _ClassVar[int]
    TEACHER_LAYER_FIELD_NUMBER: _ClassVar[int]
    candidate_layer: str
    similarity: float
    teacher_layer: str
    def __init__(self, teacher_layer: _Optional[str] = ..., candidate_layer: _Optional[str] = ..., similarity: _Optional[float] = ...) -> None: ...

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
    __slots__ = ["also", "best", "candidate_layers", "comparator", "compute_seconds", "num_stimuli", "rdm_method", "similarity", "teacher_id", "teacher_layers", "tg"]
    ALSO_FIELD_NUMBER: _ClassVar[int]
    BEST_FIELD_NUMBER: _ClassVar[int]
    CANDIDATE_LAYERS_FIELD_NUMBER: _ClassVar[int]
    COMPARATOR_FIELD_NUMBER: _ClassVar[int]
    COMPUTE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    NUM_STIMULI_FIELD_NUMBER: _ClassVar[int]
    RDM_METHOD_FIELD_NUMBER: _ClassVar[int]
    SIMILARITY_FIELD_NUMBER: _ClassVar[int]
    TEACHER_ID_FIELD_NUMBER: _ClassVar[int]
    TEACHER_LAYERS_FIELD_NUMBER: _ClassVar[int]
    TG_FIELD_NUMBER: _ClassVar[int]
    also: _containers.RepeatedCompositeFieldContainer[SimilarityResult]
    best: _containers.RepeatedCompositeFieldContainer[BestMatch]
    candidate_layers: _containers.RepeatedScalarFieldContainer[str]
    comparator: Comparator
    compute_seconds: float
    num_stimuli: int
    rdm_method: RdmMethod
    similarity: _containers.RepeatedScalarFieldContainer[float]
    teacher_id: str
    teacher_layers: _containers.RepeatedScalarFieldContainer[str]
    tg: float
    def __init__(self, teacher_id: _Optional[str] = ..., comparator: _Optional[_Union[Comparator, str]] = ..., rdm_method: _Optional[_Union[RdmMethod, str]] = ..., candidate_layers: _Optional[_Iterable[str]] = ..., teacher_layers: _Optional[_Iterable[str]] = ..., similarity: _Optional[_Iterable[float]] = ..., best: _Optional[_Iterable[_Union[BestMatch, _Mapping]]] = ..., tg: _Optional[float] = ..., num_stimuli: _Optional[int] = ..., compute_seconds: _Optional[float] = ..., also: _Optional[_Iterable[_Union[SimilarityResult, _Mapping]]] = ...) -> None: ...

class RdmMethod(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class Comparator(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
