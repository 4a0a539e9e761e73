from tgsage_client._gen.tgsage.v1 import data_pb2 as _data_pb2
from tgsage_client._gen.tgsage.v1 import genome_pb2 as _genome_pb2
from tgsage_client._gen.tgsage.v1 import similarity_pb2 as _similarity_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

CHECKPOINT_MODE_IF_FITS: CheckpointMode
CHECKPOINT_MODE_NONE: CheckpointMode
CHECKPOINT_MODE_REQUIRED: CheckpointMode
DESCRIPTOR: _descriptor.FileDescriptor
LR_SCHEDULE_CONSTANT: LrSchedule
LR_SCHEDULE_COSINE: LrSchedule
LR_SCHEDULE_WARMUP_COSINE: LrSchedule
OPTIMIZER_ADAM: Optimizer
OPTIMIZER_SGD_MOMENTUM: Optimizer

class CheckpointChunk(_message.Message):
    __slots__ = ["data"]
    DATA_FIELD_NUMBER: _ClassVar[int]
    data: bytes
    def __init__(self, data: _Optional[bytes] = ...) -> None: ...

class ContinueCandidateRequest(_message.Message):
    __slots__ = ["chunk", "header"]
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    HEADER_FIELD_NUMBER: _ClassVar[int]
    chunk: CheckpointChunk
    header: TrainCandidateRequest
    def __init__(self, header: _Optional[_Union[TrainCandidateRequest, _Mapping]] = ..., chunk: _Optional[_Union[CheckpointChunk, _Mapping]] = ...) -> None: ...

class CurvePoint(_message.Message):
    __slots__ = ["eval_seconds", "score_seconds", "similarity", "step", "train_loss", "train_seconds", "validation_accuracy"]
    EVAL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    SCORE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    SIMILARITY_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    TRAIN_LOSS_FIELD_NUMBER: _ClassVar[int]
    TRAIN_SECONDS_FIELD_NUMBER: _ClassVar[int]
    VALIDATION_ACCURACY_FIELD_NUMBER: _ClassVar[int]
    eval_seconds: float
    score_seconds: float
    similarity: _similarity_pb2.SimilarityResult
    step: int
    train_loss: float
    train_seconds: float
    validation_accuracy: float
    def __init__(self, step: _Optional[int] = ..., validation_accuracy: _Optional[float] = ..., similarity: _Optional[_Union[_similarity_pb2.SimilarityResult, _Mapping]] = ..., train_loss: _Optional[float] = ..., train_seconds: _Optional[float] = ..., eval_seconds: _Optional[float] = ..., score_seconds: _Optional[float] = ...) -> None: ...

class DescribeGenomeRequest(_message.Message):
    __slots__ = ["dataset", "genome"]
    DATASET_FIELD_NUMBER: _ClassVar[int]
    GENOME_FIELD_NUMBER: _ClassVar[int]
    dataset: _data_pb2.DatasetSpec
    genome: _genome_pb2.Genome
    def __init__(self, genome: _Optional[_Union[_genome_pb2.Genome, _Mapping]] = ..., dataset: _Optional[_Union[_data_pb2.DatasetSpec, _Mapping]] = ...) -> None: ...

class GenomeSummary(_message.Message):
    __slots__ = ["flops", "genome_json", "parameter_count", "representation_layers", "space"]
    FLOPS_FIELD_NUMBER: _ClassVar[int]
    GENOME_JSON_FIELD_NUMBER: _ClassVar[int]
    PARAMETER_COUNT_FIELD_NUMBER: _ClassVar[int]
    REPRESENTATION_LAYERS_FIELD_NUMBER: _ClassVar[int]
    SPACE_FIELD_NUMBER: _ClassVar[int]
    flops: int
    genome_json: str
    parameter_count: int
    representation_layers: _containers.RepeatedScalarFieldContainer[str]
    space: _genome_pb2.SearchSpace
    def __init__(self, space: _Optional[_Union[_genome_pb2.SearchSpace, str]] = ..., parameter_count: _Optional[int] = ..., flops: _Optional[int] = ..., representation_layers: _Optional[_Iterable[str]] = ..., genome_json: _Optional[str] = ...) -> None: ...

class SampleGenomeRequest(_message.Message):
    __slots__ = ["seed", "space"]
    SEED_FIELD_NUMBER: _ClassVar[int]
    SPACE_FIELD_NUMBER: _ClassVar[int]
    seed: int
    space: _genome_pb2.SearchSpace
    def __init__(self, space: _Optional[_Union[_genome_pb2.SearchSpace, str]] = ..., seed: _Optional[int] = ...) -> None: ...

class TrainCandidateEvent(_message.Message):
    __slots__ = ["checkpoint_chunk", "curve_point", "progress", "result"]
    CHECKPOINT_CHUNK_FIELD_NUMBER: _ClassVar[int]
    CURVE_POINT_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    checkpoint_chunk: CheckpointChunk
    curve_point: CurvePoint
    progress: TrainingProgress
    result: TrainingResult
    def __init__(self, progress: _Optional[_Union[TrainingProgress, _Mapping]] = ..., result: _Optional[_Union[TrainingResult, _Mapping]] = ..., curve_point: _Optional[_Union[CurvePoint, _Mapping]] = ..., checkpoint_chunk: _Optional[_Union[CheckpointChunk, _Mapping]] = ...) -> None: ...

class TrainCandidateRequest(_message.Message):
    __slots__ = ["also_comparators", "checkpoint", "comparator", "genome", "max_checkpoint_bytes", "skip_scoring", "teacher_id", "teacher_layers", "training", "trial_id"]
    ALSO_COMPARATORS_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_FIELD_NUMBER: _ClassVar[int]
    COMPARATOR_FIELD_NUMBER: _ClassVar[int]
    GENOME_FIELD_NUMBER: _ClassVar[int]
    MAX_CHECKPOINT_BYTES_FIELD_NUMBER: _ClassVar[int]
    SKIP_SCORING_FIELD_NUMBER: _ClassVar[int]
    TEACHER_ID_FIELD_NUMBER: _ClassVar[int]
    TEACHER_LAYERS_FIELD_NUMBER: _ClassVar[int]
    TRAINING_FIELD_NUMBER: _ClassVar[int]
    TRIAL_ID_FIELD_NUMBER: _ClassVar[int]
    also_comparators: _containers.RepeatedScalarFieldContainer[_similarity_pb2.Comparator]
    checkpoint: CheckpointMode
    comparator: _similarity_pb2.Comparator
    genome: _genome_pb2.Genome
    max_checkpoint_bytes: int
    skip_scoring: bool
    teacher_id: str
    teacher_layers: _containers.RepeatedScalarFieldContainer[str]
    training: TrainingConfig
    trial_id: str
    def __init__(self, genome: _Optional[_Union[_genome_pb2.Genome, _Mapping]] = ..., training: _Optional[_Union[TrainingConfig, _Mapping]] = ..., teacher_id: _Optional[str] = ..., comparator: _Optional[_Union[_similarity_pb2.Comparator, str]] = ..., skip_scoring: bool = ..., trial_id: _Optional[str] = ..., checkpoint: _Optional[_Union[CheckpointMode, str]] = ..., max_checkpoint_bytes: _Optional[int] = ..., also_comparators: _Optional[_Iterable[_Union[_similarity_pb2.Comparator, str]]] = ..., teacher_layers: _Optional[_Iterable[str]] = ...) -> None: ...

class TrainingConfig(_message.Message):
    __slots__ = ["batch_size", "dataset", "eval_steps", "learning_rate", "momentum", "optimizer", "schedule", "schedule_steps", "seed", "steps"]
    BATCH_SIZE_FIELD_NUMBER: _ClassVar[int]
    DATASET_FIELD_NUMBER: _ClassVar[int]
    EVAL_STEPS_FIELD_NUMBER: _ClassVar[int]
    LEARNING_RATE_FIELD_NUMBER: _ClassVar[int]
    MOMENTUM_FIELD_NUMBER: _ClassVar[int]
    OPTIMIZER_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_STEPS_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    batch_size: int
    dataset: _data_pb2.DatasetSpec
    eval_steps: _containers.RepeatedScalarFieldContainer[int]
    learning_rate: float
    momentum: float
    optimizer: Optimizer
    schedule: LrSchedule
    schedule_steps: int
    seed: int
    steps: int
    def __init__(self, steps: _Optional[int] = ..., batch_size: _Optional[int] = ..., optimizer: _Optional[_Union[Optimizer, str]] = ..., learning_rate: _Optional[float] = ..., momentum: _Optional[float] = ..., schedule: _Optional[_Union[LrSchedule, str]] = ..., seed: _Optional[int] = ..., dataset: _Optional[_Union[_data_pb2.DatasetSpec, _Mapping]] = ..., eval_steps: _Optional[_Iterable[int]] = ..., schedule_steps: _Optional[int] = ...) -> None: ...

class TrainingProgress(_message.Message):
    __slots__ = ["elapsed_seconds", "images_per_second", "loss", "phase", "step", "total_steps"]
    ELAPSED_SECONDS_FIELD_NUMBER: _ClassVar[int]
    IMAGES_PER_SECOND_FIELD_NUMBER: _ClassVar[int]
    LOSS_FIELD_NUMBER: _ClassVar[int]
    PHASE_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    TOTAL_STEPS_FIELD_NUMBER: _ClassVar[int]
    elapsed_seconds: float
    images_per_second: float
    loss: float
    phase: str
    step: int
    total_steps: int
    def __init__(self, phase: _Optional[str] = ..., step: _Optional[int] = ..., total_steps: _Optional[int] = ..., loss: _Optional[float] = ..., images_per_second: _Optional[float] = ..., elapsed_seconds: _Optional[float] = ...) -> None: ...

class TrainingResult(_message.Message):
    __slots__ = ["backend", "checkpoint_bytes", "checkpoint_omitted", "curve", "final_loss", "flops", "parameter_count", "queue_seconds", "rdm_previews", "representation_layers", "similarity", "start_step", "steps", "train_seconds", "validation_accuracy", "wall_seconds"]
    BACKEND_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_BYTES_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_OMITTED_FIELD_NUMBER: _ClassVar[int]
    CURVE_FIELD_NUMBER: _ClassVar[int]
    FINAL_LOSS_FIELD_NUMBER: _ClassVar[int]
    FLOPS_FIELD_NUMBER: _ClassVar[int]
    PARAMETER_COUNT_FIELD_NUMBER: _ClassVar[int]
    QUEUE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    RDM_PREVIEWS_FIELD_NUMBER: _ClassVar[int]
    REPRESENTATION_LAYERS_FIELD_NUMBER: _ClassVar[int]
    SIMILARITY_FIELD_NUMBER: _ClassVar[int]
    START_STEP_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    TRAIN_SECONDS_FIELD_NUMBER: _ClassVar[int]
    VALIDATION_ACCURACY_FIELD_NUMBER: _ClassVar[int]
    WALL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    backend: str
    checkpoint_bytes: int
    checkpoint_omitted: str
    curve: _containers.RepeatedCompositeFieldContainer[CurvePoint]
    final_loss: float
    flops: int
    parameter_count: int
    queue_seconds: float
    rdm_previews: _containers.RepeatedCompositeFieldContainer[_similarity_pb2.RdmPreview]
    representation_layers: _containers.RepeatedScalarFieldContainer[str]
    similarity: _similarity_pb2.SimilarityResult
    start_step: int
    steps: int
    train_seconds: float
    validation_accuracy: float
    wall_seconds: float
    def __init__(self, validation_accuracy: _Optional[float] = ..., final_loss: _Optional[float] = ..., parameter_count: _Optional[int] = ..., flops: _Optional[int] = ..., wall_seconds: _Optional[float] = ..., similarity: _Optional[_Union[_similarity_pb2.SimilarityResult, _Mapping]] = ..., backend: _Optional[str] = ..., steps: _Optional[int] = ..., representation_layers: _Optional[_Iterable[str]] = ..., rdm_previews: _Optional[_Iterable[_Union[_similarity_pb2.RdmPreview, _Mapping]]] = ..., curve: _Optional[_Iterable[_Union[CurvePoint, _Mapping]]] = ..., queue_seconds: _Optional[float] = ..., train_seconds: _Optional[float] = ..., checkpoint_bytes: _Optional[int] = ..., checkpoint_omitted: _Optional[str] = ..., start_step: _Optional[int] = ...) -> None: ...

class Optimizer(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class CheckpointMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class LrSchedule(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
