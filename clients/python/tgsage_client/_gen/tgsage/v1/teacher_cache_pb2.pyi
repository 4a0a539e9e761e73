from google.protobuf import timestamp_pb2 as _timestamp_pb2
from tgsage_client._gen.tgsage.v1 import similarity_pb2 as _similarity_pb2
from tgsage_client._gen.tgsage.v1 import tensor_pb2 as _tensor_pb2
from tgsage_client._gen.tgsage.v1 import data_pb2 as _data_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor
TEACHER_SOURCE_COMPUTED: TeacherSource
TEACHER_SOURCE_UNSPECIFIED: TeacherSource
TEACHER_SOURCE_UPLOADED: TeacherSource

class ComputeProgress(_message.Message):
    __slots__ = ["done", "phase", "total"]
    DONE_FIELD_NUMBER: _ClassVar[int]
    PHASE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    done: int
    phase: str
    total: int
    def __init__(self, phase: _Optional[str] = ..., done: _Optional[int] = ..., total: _Optional[int] = ...) -> None: ...

class ComputeTeacherEvent(_message.Message):
    __slots__ = ["progress", "teacher"]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    TEACHER_FIELD_NUMBER: _ClassVar[int]
    progress: ComputeProgress
    teacher: Teacher
    def __init__(self, progress: _Optional[_Union[ComputeProgress, _Mapping]] = ..., teacher: _Optional[_Union[Teacher, _Mapping]] = ...) -> None: ...

class ComputeTeacherRequest(_message.Message):
    __slots__ = ["batch_size", "dataset", "description", "id", "layers", "model_path", "rdm_method", "store_gram", "tg_layers"]
    BATCH_SIZE_FIELD_NUMBER: _ClassVar[int]
    DATASET_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    LAYERS_FIELD_NUMBER: _ClassVar[int]
    MODEL_PATH_FIELD_NUMBER: _ClassVar[int]
    RDM_METHOD_FIELD_NUMBER: _ClassVar[int]
    STORE_GRAM_FIELD_NUMBER: _ClassVar[int]
    TG_LAYERS_FIELD_NUMBER: _ClassVar[int]
    batch_size: int
    dataset: _data_pb2.DatasetSpec
    description: str
    id: str
    layers: _containers.RepeatedScalarFieldContainer[str]
    model_path: str
    rdm_method: _similarity_pb2.RdmMethod
    store_gram: bool
    tg_layers: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, id: _Optional[str] = ..., description: _Optional[str] = ..., model_path: _Optional[str] = ..., layers: _Optional[_Iterable[str]] = ..., dataset: _Optional[_Union[_data_pb2.DatasetSpec, _Mapping]] = ..., rdm_method: _Optional[_Union[_similarity_pb2.RdmMethod, str]] = ..., store_gram: bool = ..., batch_size: _Optional[int] = ..., tg_layers: _Optional[_Iterable[str]] = ...) -> None: ...

class CreateTeacherRequest(_message.Message):
    __slots__ = ["chunk", "header"]
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    HEADER_FIELD_NUMBER: _ClassVar[int]
    chunk: _tensor_pb2.LayerChunk
    header: TeacherHeader
    def __init__(self, header: _Optional[_Union[TeacherHeader, _Mapping]] = ..., chunk: _Optional[_Union[_tensor_pb2.LayerChunk, _Mapping]] = ...) -> None: ...

class DeleteTeacherRequest(_message.Message):
    __slots__ = ["id"]
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class DeleteTeacherResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class GetRdmRequest(_message.Message):
    __slots__ = ["layer", "teacher_id"]
    LAYER_FIELD_NUMBER: _ClassVar[int]
    TEACHER_ID_FIELD_NUMBER: _ClassVar[int]
    layer: str
    teacher_id: str
    def __init__(self, teacher_id: _Optional[str] = ..., layer: _Optional[str] = ...) -> None: ...

class GetTeacherRequest(_message.Message):
    __slots__ = ["id"]
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class ListTeachersRequest(_message.Message):
    __slots__ = ["page_size", "page_token"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListTeachersResponse(_message.Message):
    __slots__ = ["next_page_token", "teachers"]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TEACHERS_FIELD_NUMBER: _ClassVar[int]
    next_page_token: str
    teachers: _containers.RepeatedCompositeFieldContainer[Teacher]
    def __init__(self, teachers: _Optional[_Iterable[_Union[Teacher, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class NoiseCeiling(_message.Message):
    __slots__ = ["comparator", "has_bounds", "lower", "split_half", "split_half_sd", "split_half_uncorrected", "splits", "upper"]
    COMPARATOR_FIELD_NUMBER: _ClassVar[int]
    HAS_BOUNDS_FIELD_NUMBER: _ClassVar[int]
    LOWER_FIELD_NUMBER: _ClassVar[int]
    SPLITS_FIELD_NUMBER: _ClassVar[int]
    SPLIT_HALF_FIELD_NUMBER: _ClassVar[int]
    SPLIT_HALF_SD_FIELD_NUMBER: _ClassVar[int]
    SPLIT_HALF_UNCORRECTED_FIELD_NUMBER: _ClassVar[int]
    UPPER_FIELD_NUMBER: _ClassVar[int]
    comparator: _similarity_pb2.Comparator
    has_bounds: bool
    lower: float
    split_half: float
    split_half_sd: float
    split_half_uncorrected: float
    splits: int
    upper: float
    def __init__(self, comparator: _Optional[_Union[_similarity_pb2.Comparator, str]] = ..., split_half: _Optional[float] = ..., split_half_uncorrected: _Optional[float] = ..., split_half_sd: _Optional[float] = ..., splits: _Optional[int] = ..., has_bounds: bool = ..., lower: _Optional[float] = ..., upper: _Optional[float] = ...) -> None: ...

class SetTgLayersRequest(_message.Message):
    __slots__ = ["id", "tg_layers"]
    ID_FIELD_NUMBER: _ClassVar[int]
    TG_LAYERS_FIELD_NUMBER: _ClassVar[int]
    id: str
    tg_layers: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, id: _Optional[str] = ..., tg_layers: _Optional[_Iterable[str]] = ...) -> None: ...

class Teacher(_message.Message):
    __slots__ = ["ceiling_seed", "created_at", "dataset", "description", "id", "layers", "num_stimuli", "rdm_method", "repetitions", "source", "stimulus_ids", "stored_bytes", "tg_layers"]
    CEILING_SEED_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    DATASET_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    LAYERS_FIELD_NUMBER: _ClassVar[int]
    NUM_STIMULI_FIELD_NUMBER: _ClassVar[int]
    RDM_METHOD_FIELD_NUMBER: _ClassVar[int]
    REPETITIONS_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    STIMULUS_IDS_FIELD_NUMBER: _ClassVar[int]
    STORED_BYTES_FIELD_NUMBER: _ClassVar[int]
    TG_LAYERS_FIELD_NUMBER: _ClassVar[int]
    ceiling_seed: int
    created_at: _timestamp_pb2.Timestamp
    dataset: str
    description: str
    id: str
    layers: _containers.RepeatedCompositeFieldContainer[TeacherLayer]
    num_stimuli: int
    rdm_method: _similarity_pb2.RdmMethod
    repetitions: bool
    source: TeacherSource
    stimulus_ids: _containers.RepeatedScalarFieldContainer[str]
    stored_bytes: int
    tg_layers: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, id: _Optional[str] = ..., description: _Optional[str] = ..., num_stimuli: _Optional[int] = ..., stimulus_ids: _Optional[_Iterable[str]] = ..., rdm_method: _Optional[_Union[_similarity_pb2.RdmMethod, str]] = ..., layers: _Optional[_Iterable[_Union[TeacherLayer, _Mapping]]] = ..., created_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., stored_bytes: _Optional[int] = ..., source: _Optional[_Union[TeacherSource, str]] = ..., dataset: _Optional[str] = ..., repetitions: bool = ..., ceiling_seed: _Optional[int] = ..., tg_layers: _Optional[_Iterable[str]] = ...) -> None: ...

class TeacherHeader(_message.Message):
    __slots__ = ["ceiling_seed", "ceiling_splits", "description", "id", "missing_repetitions", "num_stimuli", "rdm_method", "repetitions", "stimulus_ids", "store_gram", "tg_layers"]
    CEILING_SEED_FIELD_NUMBER: _ClassVar[int]
    CEILING_SPLITS_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    MISSING_REPETITIONS_FIELD_NUMBER: _ClassVar[int]
    NUM_STIMULI_FIELD_NUMBER: _ClassVar[int]
    RDM_METHOD_FIELD_NUMBER: _ClassVar[int]
    REPETITIONS_FIELD_NUMBER: _ClassVar[int]
    STIMULUS_IDS_FIELD_NUMBER: _ClassVar[int]
    STORE_GRAM_FIELD_NUMBER: _ClassVar[int]
    TG_LAYERS_FIELD_NUMBER: _ClassVar[int]
    ceiling_seed: int
    ceiling_splits: int
    description: str
    id: str
    missing_repetitions: bool
    num_stimuli: int
    rdm_method: _similarity_pb2.RdmMethod
    repetitions: bool
    stimulus_ids: _containers.RepeatedScalarFieldContainer[str]
    store_gram: bool
    tg_layers: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, id: _Optional[str] = ..., description: _Optional[str] = ..., num_stimuli: _Optional[int] = ..., stimulus_ids: _Optional[_Iterable[str]] = ..., rdm_method: _Optional[_Union[_similarity_pb2.RdmMethod, str]] = ..., store_gram: bool = ..., repetitions: bool = ..., missing_repetitions: bool = ..., ceiling_splits: _Optional[int] = ..., ceiling_seed: _Optional[int] = ..., tg_layers: _Optional[_Iterable[str]] = ...) -> None: ...

class TeacherLayer(_message.Message):
    __slots__ = ["ceilings", "has_gram", "missing_values", "name", "num_features", "rdm_sha256", "repetitions", "shape"]
    CEILINGS_FIELD_NUMBER: _ClassVar[int]
    HAS_GRAM_FIELD_NUMBER: _ClassVar[int]
    MISSING_VALUES_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    NUM_FEATURES_FIELD_NUMBER: _ClassVar[int]
    RDM_SHA256_FIELD_NUMBER: _ClassVar[int]
    REPETITIONS_FIELD_NUMBER: _ClassVar[int]
    SHAPE_FIELD_NUMBER: _ClassVar[int]
    ceilings: _containers.RepeatedCompositeFieldContainer[NoiseCeiling]
    has_gram: bool
    missing_values: int
    name: str
    num_features: int
    rdm_sha256: str
    repetitions: int
    shape: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, name: _Optional[str] = ..., shape: _Optional[_Iterable[int]] = ..., num_features: _Optional[int] = ..., rdm_sha256: _Optional[str] = ..., has_gram: bool = ..., repetitions: _Optional[int] = ..., ceilings: _Optional[_Iterable[_Union[NoiseCeiling, _Mapping]]] = ..., missing_values: _Optional[int] = ...) -> None: ...

class TeacherSource(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
