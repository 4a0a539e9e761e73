from tgsage_client._gen.tgsage.v1 import similarity_pb2 as _similarity_pb2
from tgsage_client._gen.tgsage.v1 import tensor_pb2 as _tensor_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor
RDM_SIDE_CANDIDATE: RdmSide
RDM_SIDE_TEACHER: RdmSide
RDM_SIDE_UNSPECIFIED: RdmSide

class CompareRdmsHeader(_message.Message):
    __slots__ = ["bootstrap", "bootstrap_seed", "comparator", "num_stimuli", "teacher_id", "teacher_layers"]
    BOOTSTRAP_FIELD_NUMBER: _ClassVar[int]
    BOOTSTRAP_SEED_FIELD_NUMBER: _ClassVar[int]
    COMPARATOR_FIELD_NUMBER: _ClassVar[int]
    NUM_STIMULI_FIELD_NUMBER: _ClassVar[int]
    TEACHER_ID_FIELD_NUMBER: _ClassVar[int]
    TEACHER_LAYERS_FIELD_NUMBER: _ClassVar[int]
    bootstrap: int
    bootstrap_seed: int
    comparator: _similarity_pb2.Comparator
    num_stimuli: int
    teacher_id: str
    teacher_layers: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, teacher_id: _Optional[str] = ..., comparator: _Optional[_Union[_similarity_pb2.Comparator, str]] = ..., num_stimuli: _Optional[int] = ..., bootstrap: _Optional[int] = ..., bootstrap_seed: _Optional[int] = ..., teacher_layers: _Optional[_Iterable[str]] = ...) -> None: ...

class CompareRdmsRequest(_message.Message):
    __slots__ = ["header", "rdm"]
    HEADER_FIELD_NUMBER: _ClassVar[int]
    RDM_FIELD_NUMBER: _ClassVar[int]
    header: CompareRdmsHeader
    rdm: RdmUpload
    def __init__(self, header: _Optional[_Union[CompareRdmsHeader, _Mapping]] = ..., rdm: _Optional[_Union[RdmUpload, _Mapping]] = ...) -> None: ...

class RdmUpload(_message.Message):
    __slots__ = ["chunk", "side"]
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    chunk: _tensor_pb2.MatrixChunk
    side: RdmSide
    def __init__(self, side: _Optional[_Union[RdmSide, str]] = ..., chunk: _Optional[_Union[_tensor_pb2.MatrixChunk, _Mapping]] = ...) -> None: ...

class ScoreActivationsRequest(_message.Message):
    __slots__ = ["chunk", "header"]
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    HEADER_FIELD_NUMBER: _ClassVar[int]
    chunk: _tensor_pb2.LayerChunk
    header: ScoreHeader
    def __init__(self, header: _Optional[_Union[ScoreHeader, _Mapping]] = ..., chunk: _Optional[_Union[_tensor_pb2.LayerChunk, _Mapping]] = ...) -> None: ...

class ScoreHeader(_message.Message):
    __slots__ = ["also_comparators", "bootstrap", "bootstrap_seed", "comparator", "rdm_method", "teacher_id", "teacher_layers"]
    ALSO_COMPARATORS_FIELD_NUMBER: _ClassVar[int]
    BOOTSTRAP_FIELD_NUMBER: _ClassVar[int]
    BOOTSTRAP_SEED_FIELD_NUMBER: _ClassVar[int]
    COMPARATOR_FIELD_NUMBER: _ClassVar[int]
    RDM_METHOD_FIELD_NUMBER: _ClassVar[int]
    TEACHER_ID_FIELD_NUMBER: _ClassVar[int]
    TEACHER_LAYERS_FIELD_NUMBER: _ClassVar[int]
    also_comparators: _containers.RepeatedScalarFieldContainer[_similarity_pb2.Comparator]
    bootstrap: int
    bootstrap_seed: int
    comparator: _similarity_pb2.Comparator
    rdm_method: _similarity_pb2.RdmMethod
    teacher_id: str
    teacher_layers: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, teacher_id: _Optional[str] = ..., rdm_method: _Optional[_Union[_similarity_pb2.RdmMethod, str]] = ..., comparator: _Optional[_Union[_similarity_pb2.Comparator, str]] = ..., teacher_layers: _Optional[_Iterable[str]] = ..., also_comparators: _Optional[_Iterable[_Union[_similarity_pb2.Comparator, str]]] = ..., bootstrap: _Optional[int] = ..., bootstrap_seed: _Optional[int] = ...) -> None: ...

class RdmSide(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
