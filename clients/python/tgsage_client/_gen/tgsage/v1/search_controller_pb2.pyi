from google.protobuf import timestamp_pb2 as _timestamp_pb2
from tgsage_client._gen.tgsage.v1 import data_pb2 as _data_pb2
from tgsage_client._gen.tgsage.v1 import genome_pb2 as _genome_pb2
from tgsage_client._gen.tgsage.v1 import similarity_pb2 as _similarity_pb2
from tgsage_client._gen.tgsage.v1 import tensor_pb2 as _tensor_pb2
from tgsage_client._gen.tgsage.v1 import trainer_pb2 as _trainer_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor
EXPORT_FORMAT_CSV: ExportFormat
EXPORT_FORMAT_JSON: ExportFormat
SCORE_KIND_P: ScoreKind
SCORE_KIND_P_TG: ScoreKind
SCORE_KIND_TG: ScoreKind
SCORE_KIND_UNSPECIFIED: ScoreKind
STUDY_STATE_CREATED: StudyState
STUDY_STATE_FAILED: StudyState
STUDY_STATE_FINISHED: StudyState
STUDY_STATE_RUNNING: StudyState
STUDY_STATE_STOPPED: StudyState
STUDY_STATE_UNSPECIFIED: StudyState
STUDY_VIEW_BASIC: StudyView
STUDY_VIEW_FULL: StudyView
STUDY_VIEW_UNSPECIFIED: StudyView
TG_KIND_CEILING_NORMALIZED: TgKind
TG_KIND_RAW: TgKind
TG_KIND_UNSPECIFIED: TgKind
TRIAL_ORIGIN_IMPORTED: TrialOrigin
TRIAL_ORIGIN_PROMOTED: TrialOrigin
TRIAL_ORIGIN_STRATEGY: TrialOrigin
TRIAL_ORIGIN_UNSPECIFIED: TrialOrigin
TRIAL_STATE_COMPLETED: TrialState
TRIAL_STATE_FAILED: TrialState
TRIAL_STATE_PENDING: TrialState
TRIAL_STATE_RUNNING: TrialState
TRIAL_STATE_STOPPED: TrialState
TRIAL_STATE_UNSPECIFIED: TrialState

class CompleteTrialHeader(_message.Message):
    __slots__ = ["client_id", "failure", "genome", "p", "source", "study_id", "train_here", "trial_id"]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    GENOME_FIELD_NUMBER: _ClassVar[int]
    P_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    STUDY_ID_FIELD_NUMBER: _ClassVar[int]
    TRAIN_HERE_FIELD_NUMBER: _ClassVar[int]
    TRIAL_ID_FIELD_NUMBER: _ClassVar[int]
    client_id: str
    failure: str
    genome: _genome_pb2.Genome
    p: float
    source: str
    study_id: str
    train_here: bool
    trial_id: str
    def __init__(self, study_id: _Optional[str] = ..., trial_id: _Optional[str] = ..., client_id: _Optional[str] = ..., p: _Optional[float] = ..., train_here: bool = ..., failure: _Optional[str] = ..., genome: _Optional[_Union[_genome_pb2.Genome, _Mapping]] = ..., source: _Optional[str] = ...) -> None: ...

class CompleteTrialRequest(_message.Message):
    __slots__ = ["chunk", "header"]
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    HEADER_FIELD_NUMBER: _ClassVar[int]
    chunk: _tensor_pb2.LayerChunk
    header: CompleteTrialHeader
    def __init__(self, header: _Optional[_Union[CompleteTrialHeader, _Mapping]] = ..., chunk: _Optional[_Union[_tensor_pb2.LayerChunk, _Mapping]] = ...) -> None: ...

class CreateStudyRequest(_message.Message):
    __slots__ = ["config", "study_id"]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    STUDY_ID_FIELD_NUMBER: _ClassVar[int]
    config: StudyConfig
    study_id: str
    def __init__(self, config: _Optional[_Union[StudyConfig, _Mapping]] = ..., study_id: _Optional[str] = ...) -> None: ...

class EvolutionSettings(_message.Message):
    __slots__ = ["population_size", "sample_size"]
    POPULATION_SIZE_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_SIZE_FIELD_NUMBER: _ClassVar[int]
    population_size: int
    sample_size: int
    def __init__(self, population_size: _Optional[int] = ..., sample_size: _Optional[int] = ...) -> None: ...

class ExportStudyRequest(_message.Message):
    __slots__ = ["format", "study_id"]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    STUDY_ID_FIELD_NUMBER: _ClassVar[int]
    format: ExportFormat
    study_id: str
    def __init__(self, study_id: _Optional[str] = ..., format: _Optional[_Union[ExportFormat, str]] = ...) -> None: ...

class ExportStudyResponse(_message.Message):
    __slots__ = ["content", "content_type"]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    content: str
    content_type: str
    def __init__(self, content: _Optional[str] = ..., content_type: _Optional[str] = ...) -> None: ...

class GetStudyRequest(_message.Message):
    __slots__ = ["study_id", "view"]
    STUDY_ID_FIELD_NUMBER: _ClassVar[int]
    VIEW_FIELD_NUMBER: _ClassVar[int]
    study_id: str
    view: StudyView
    def __init__(self, study_id: _Optional[str] = ..., view: _Optional[_Union[StudyView, str]] = ...) -> None: ...

class Leaderboard(_message.Message):
    __slots__ = ["entries"]
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[LeaderboardEntry]
    def __init__(self, entries: _Optional[_Iterable[_Union[LeaderboardEntry, _Mapping]]] = ...) -> None: ...

class LeaderboardEntry(_message.Message):
    __slots__ = ["number", "origin", "p", "rank", "score", "source", "tg", "trial_id"]
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    P_FIELD_NUMBER: _ClassVar[int]
    RANK_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    TG_FIELD_NUMBER: _ClassVar[int]
    TRIAL_ID_FIELD_NUMBER: _ClassVar[int]
    number: int
    origin: TrialOrigin
    p: float
    rank: int
    score: float
    source: str
    tg: float
    trial_id: str
    def __init__(self, rank: _Optional[int] = ..., trial_id: _Optional[str] = ..., number: _Optional[int] = ..., score: _Optional[float] = ..., p: _Optional[float] = ..., tg: _Optional[float] = ..., origin: _Optional[_Union[TrialOrigin, str]] = ..., source: _Optional[str] = ...) -> None: ...

class ListStudiesRequest(_message.Message):
    __slots__ = ["page_size", "page_token"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListStudiesResponse(_message.Message):
    __slots__ = ["next_page_token", "studies"]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STUDIES_FIELD_NUMBER: _ClassVar[int]
    next_page_token: str
    studies: _containers.RepeatedCompositeFieldContainer[Study]
    def __init__(self, studies: _Optional[_Iterable[_Union[Study, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListTrialsRequest(_message.Message):
    __slots__ = ["page_size", "page_token", "study_id"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STUDY_ID_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    study_id: str
    def __init__(self, study_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListTrialsResponse(_message.Message):
    __slots__ = ["next_page_token", "trials"]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TRIALS_FIELD_NUMBER: _ClassVar[int]
    next_page_token: str
    trials: _containers.RepeatedCompositeFieldContainer[Trial]
    def __init__(self, trials: _Optional[_Iterable[_Union[Trial, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListedSettings(_message.Message):
    __slots__ = ["trials"]
    TRIALS_FIELD_NUMBER: _ClassVar[int]
    trials: _containers.RepeatedCompositeFieldContainer[ListedTrial]
    def __init__(self, trials: _Optional[_Iterable[_Union[ListedTrial, _Mapping]]] = ...) -> None: ...

class ListedTrial(_message.Message):
    __slots__ = ["genome", "training_seed"]
    GENOME_FIELD_NUMBER: _ClassVar[int]
    TRAINING_SEED_FIELD_NUMBER: _ClassVar[int]
    genome: _genome_pb2.Genome
    training_seed: int
    def __init__(self, genome: _Optional[_Union[_genome_pb2.Genome, _Mapping]] = ..., training_seed: _Optional[int] = ...) -> None: ...

class MultiFidelityConfig(_message.Message):
    __slots__ = ["enabled", "eta", "last_rung_by_p", "min_steps", "retrain_promoted", "rungs"]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    ETA_FIELD_NUMBER: _ClassVar[int]
    LAST_RUNG_BY_P_FIELD_NUMBER: _ClassVar[int]
    MIN_STEPS_FIELD_NUMBER: _ClassVar[int]
    RETRAIN_PROMOTED_FIELD_NUMBER: _ClassVar[int]
    RUNGS_FIELD_NUMBER: _ClassVar[int]
    enabled: bool
    eta: int
    last_rung_by_p: bool
    min_steps: int
    retrain_promoted: bool
    rungs: int
    def __init__(self, enabled: bool = ..., min_steps: _Optional[int] = ..., eta: _Optional[int] = ..., rungs: _Optional[int] = ..., retrain_promoted: bool = ..., last_rung_by_p: bool = ...) -> None: ...

class RandomSettings(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class ReinforceSettings(_message.Message):
    __slots__ = ["baseline_decay", "entropy_weight", "hidden_units", "learning_rate"]
    BASELINE_DECAY_FIELD_NUMBER: _ClassVar[int]
    ENTROPY_WEIGHT_FIELD_NUMBER: _ClassVar[int]
    HIDDEN_UNITS_FIELD_NUMBER: _ClassVar[int]
    LEARNING_RATE_FIELD_NUMBER: _ClassVar[int]
    baseline_decay: float
    entropy_weight: float
    hidden_units: int
    learning_rate: float
    def __init__(self, hidden_units: _Optional[int] = ..., learning_rate: _Optional[float] = ..., baseline_decay: _Optional[float] = ..., entropy_weight: _Optional[float] = ...) -> None: ...

class RunStudyRequest(_message.Message):
    __slots__ = ["config", "study_id"]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    STUDY_ID_FIELD_NUMBER: _ClassVar[int]
    config: StudyConfig
    study_id: str
    def __init__(self, study_id: _Optional[str] = ..., config: _Optional[_Union[StudyConfig, _Mapping]] = ...) -> None: ...

class SnapshotTrials(_message.Message):
    __slots__ = ["trials"]
    TRIALS_FIELD_NUMBER: _ClassVar[int]
    trials: _containers.RepeatedCompositeFieldContainer[Trial]
    def __init__(self, trials: _Optional[_Iterable[_Union[Trial, _Mapping]]] = ...) -> None: ...

class StopStudyRequest(_message.Message):
    __slots__ = ["study_id"]
    STUDY_ID_FIELD_NUMBER: _ClassVar[int]
    study_id: str
    def __init__(self, study_id: _Optional[str] = ...) -> None: ...

class StrategyConfig(_message.Message):
    __slots__ = ["evolution", "listed", "random", "reinforce"]
    EVOLUTION_FIELD_NUMBER: _ClassVar[int]
    LISTED_FIELD_NUMBER: _ClassVar[int]
    RANDOM_FIELD_NUMBER: _ClassVar[int]
    REINFORCE_FIELD_NUMBER: _ClassVar[int]
    evolution: EvolutionSettings
    listed: ListedSettings
    random: RandomSettings
    reinforce: ReinforceSettings
    def __init__(self, random: _Optional[_Union[RandomSettings, _Mapping]] = ..., reinforce: _Optional[_Union[ReinforceSettings, _Mapping]] = ..., evolution: _Optional[_Union[EvolutionSettings, _Mapping]] = ..., listed: _Optional[_Union[ListedSettings, _Mapping]] = ...) -> None: ...

class Study(_message.Message):
    __slots__ = ["best_trial_id", "completed_trials", "config", "created_at", "error", "id", "state", "trial_count", "trials"]
    BEST_TRIAL_ID_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_TRIALS_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    TRIALS_FIELD_NUMBER: _ClassVar[int]
    TRIAL_COUNT_FIELD_NUMBER: _ClassVar[int]
    best_trial_id: str
    completed_trials: int
    config: StudyConfig
    created_at: _timestamp_pb2.Timestamp
    error: str
    id: str
    state: StudyState
    trial_count: int
    trials: _containers.RepeatedCompositeFieldContainer[Trial]
    def __init__(self, id: _Optional[str] = ..., config: _Optional[_Union[StudyConfig, _Mapping]] = ..., state: _Optional[_Union[StudyState, str]] = ..., trials: _Optional[_Iterable[_Union[Trial, _Mapping]]] = ..., created_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., completed_trials: _Optional[int] = ..., best_trial_id: _Optional[str] = ..., error: _Optional[str] = ..., trial_count: _Optional[int] = ...) -> None: ...

class StudyConfig(_message.Message):
    __slots__ = ["alpha", "also_comparators", "comparator", "dataset", "max_attempts", "multi_fidelity", "name", "num_trials", "parallelism", "score", "seed", "space", "steps_per_trial", "strategy", "teacher_id", "teacher_layers", "tg_kind", "training"]
    ALPHA_FIELD_NUMBER: _ClassVar[int]
    ALSO_COMPARATORS_FIELD_NUMBER: _ClassVar[int]
    COMPARATOR_FIELD_NUMBER: _ClassVar[int]
    DATASET_FIELD_NUMBER: _ClassVar[int]
    MAX_ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    MULTI_FIDELITY_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    NUM_TRIALS_FIELD_NUMBER: _ClassVar[int]
    PARALLELISM_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    SPACE_FIELD_NUMBER: _ClassVar[int]
    STEPS_PER_TRIAL_FIELD_NUMBER: _ClassVar[int]
    STRATEGY_FIELD_NUMBER: _ClassVar[int]
    TEACHER_ID_FIELD_NUMBER: _ClassVar[int]
    TEACHER_LAYERS_FIELD_NUMBER: _ClassVar[int]
    TG_KIND_FIELD_NUMBER: _ClassVar[int]
    TRAINING_FIELD_NUMBER: _ClassVar[int]
    alpha: float
    also_comparators: _containers.RepeatedScalarFieldContainer[_similarity_pb2.Comparator]
    comparator: _similarity_pb2.Comparator
    dataset: _data_pb2.DatasetSpec
    max_attempts: int
    multi_fidelity: MultiFidelityConfig
    name: str
    num_trials: int
    parallelism: int
    score: ScoreKind
    seed: int
    space: _genome_pb2.SearchSpace
    steps_per_trial: int
    strategy: StrategyConfig
    teacher_id: str
    teacher_layers: _containers.RepeatedScalarFieldContainer[str]
    tg_kind: TgKind
    training: _trainer_pb2.TrainingConfig
    def __init__(self, name: _Optional[str] = ..., space: _Optional[_Union[_genome_pb2.SearchSpace, str]] = ..., strategy: _Optional[_Union[StrategyConfig, _Mapping]] = ..., score: _Optional[_Union[ScoreKind, str]] = ..., alpha: _Optional[float] = ..., steps_per_trial: _Optional[int] = ..., num_trials: _Optional[int] = ..., parallelism: _Optional[int] = ..., teacher_id: _Optional[str] = ..., dataset: _Optional[_Union[_data_pb2.DatasetSpec, _Mapping]] = ..., seed: _Optional[int] = ..., training: _Optional[_Union[_trainer_pb2.TrainingConfig, _Mapping]] = ..., comparator: _Optional[_Union[_similarity_pb2.Comparator, str]] = ..., multi_fidelity: _Optional[_Union[MultiFidelityConfig, _Mapping]] = ..., max_attempts: _Optional[int] = ..., also_comparators: _Optional[_Iterable[_Union[_similarity_pb2.Comparator, str]]] = ..., tg_kind: _Optional[_Union[TgKind, str]] = ..., teacher_layers: _Optional[_Iterable[str]] = ...) -> None: ...

class StudyEvent(_message.Message):
    __slots__ = ["leaderboard", "snapshot", "snapshot_trials", "study_finished", "study_id", "trial_completed", "trial_failed", "trial_progress", "trial_proposed", "trial_started"]
    LEADERBOARD_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_TRIALS_FIELD_NUMBER: _ClassVar[int]
    STUDY_FINISHED_FIELD_NUMBER: _ClassVar[int]
    STUDY_ID_FIELD_NUMBER: _ClassVar[int]
    TRIAL_COMPLETED_FIELD_NUMBER: _ClassVar[int]
    TRIAL_FAILED_FIELD_NUMBER: _ClassVar[int]
    TRIAL_PROGRESS_FIELD_NUMBER: _ClassVar[int]
    TRIAL_PROPOSED_FIELD_NUMBER: _ClassVar[int]
    TRIAL_STARTED_FIELD_NUMBER: _ClassVar[int]
    leaderboard: Leaderboard
    snapshot: Study
    snapshot_trials: SnapshotTrials
    study_finished: Study
    study_id: str
    trial_completed: Trial
    trial_failed: Trial
    trial_progress: TrialProgress
    trial_proposed: Trial
    trial_started: TrialStarted
    def __init__(self, study_id: _Optional[str] = ..., snapshot: _Optional[_Union[Study, _Mapping]] = ..., trial_proposed: _Optional[_Union[Trial, _Mapping]] = ..., trial_started: _Optional[_Union[TrialStarted, _Mapping]] = ..., trial_progress: _Optional[_Union[TrialProgress, _Mapping]] = ..., trial_completed: _Optional[_Union[Trial, _Mapping]] = ..., trial_failed: _Optional[_Union[Trial, _Mapping]] = ..., leaderboard: _Optional[_Union[Leaderboard, _Mapping]] = ..., study_finished: _Optional[_Union[Study, _Mapping]] = ..., snapshot_trials: _Optional[_Union[SnapshotTrials, _Mapping]] = ...) -> None: ...

class SuggestTrialsRequest(_message.Message):
    __slots__ = ["client_id", "count", "study_id"]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    STUDY_ID_FIELD_NUMBER: _ClassVar[int]
    client_id: str
    count: int
    study_id: str
    def __init__(self, study_id: _Optional[str] = ..., client_id: _Optional[str] = ..., count: _Optional[int] = ...) -> None: ...

class SuggestTrialsResponse(_message.Message):
    __slots__ = ["trials"]
    TRIALS_FIELD_NUMBER: _ClassVar[int]
    trials: _containers.RepeatedCompositeFieldContainer[Trial]
    def __init__(self, trials: _Optional[_Iterable[_Union[Trial, _Mapping]]] = ...) -> None: ...

class Trial(_message.Message):
    __slots__ = ["attempts", "checkpoint_note", "client_id", "created_at", "curve", "error", "finished_at", "genome", "id", "number", "origin", "p", "parameter_count", "promoted_from", "queue_seconds", "rdm_previews", "rung", "score", "similarity", "source", "start_step", "state", "steps", "study_id", "tg", "tg_normalized", "tg_raw", "train_seconds", "trainer", "training_seed", "wall_seconds"]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_NOTE_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    CURVE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_FIELD_NUMBER: _ClassVar[int]
    GENOME_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    PARAMETER_COUNT_FIELD_NUMBER: _ClassVar[int]
    PROMOTED_FROM_FIELD_NUMBER: _ClassVar[int]
    P_FIELD_NUMBER: _ClassVar[int]
    QUEUE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    RDM_PREVIEWS_FIELD_NUMBER: _ClassVar[int]
    RUNG_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    SIMILARITY_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    START_STEP_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    STUDY_ID_FIELD_NUMBER: _ClassVar[int]
    TG_FIELD_NUMBER: _ClassVar[int]
    TG_NORMALIZED_FIELD_NUMBER: _ClassVar[int]
    TG_RAW_FIELD_NUMBER: _ClassVar[int]
    TRAINER_FIELD_NUMBER: _ClassVar[int]
    TRAINING_SEED_FIELD_NUMBER: _ClassVar[int]
    TRAIN_SECONDS_FIELD_NUMBER: _ClassVar[int]
    WALL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    attempts: int
    checkpoint_note: str
    client_id: str
    created_at: _timestamp_pb2.Timestamp
    curve: _containers.RepeatedCompositeFieldContainer[_trainer_pb2.CurvePoint]
    error: str
    finished_at: _timestamp_pb2.Timestamp
    genome: _genome_pb2.Genome
    id: str
    number: int
    origin: TrialOrigin
    p: float
    parameter_count: int
    promoted_from: str
    queue_seconds: float
    rdm_previews: _containers.RepeatedCompositeFieldContainer[_similarity_pb2.RdmPreview]
    rung: int
    score: float
    similarity: _similarity_pb2.SimilarityResult
    source: str
    start_step: int
    state: TrialState
    steps: int
    study_id: str
    tg: float
    tg_normalized: float
    tg_raw: float
    train_seconds: float
    trainer: str
    training_seed: int
    wall_seconds: float
    def __init__(self, id: _Optional[str] = ..., study_id: _Optional[str] = ..., number: _Optional[int] = ..., genome: _Optional[_Union[_genome_pb2.Genome, _Mapping]] = ..., state: _Optional[_Union[TrialState, str]] = ..., p: _Optional[float] = ..., tg: _Optional[float] = ..., score: _Optional[float] = ..., similarity: _Optional[_Union[_similarity_pb2.SimilarityResult, _Mapping]] = ..., trainer: _Optional[str] = ..., steps: _Optional[int] = ..., rung: _Optional[int] = ..., client_id: _Optional[str] = ..., attempts: _Optional[int] = ..., error: _Optional[str] = ..., parameter_count: _Optional[int] = ..., wall_seconds: _Optional[float] = ..., created_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., finished_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., rdm_previews: _Optional[_Iterable[_Union[_similarity_pb2.RdmPreview, _Mapping]]] = ..., curve: _Optional[_Iterable[_Union[_trainer_pb2.CurvePoint, _Mapping]]] = ..., queue_seconds: _Optional[float] = ..., train_seconds: _Optional[float] = ..., promoted_from: _Optional[str] = ..., start_step: _Optional[int] = ..., checkpoint_note: _Optional[str] = ..., training_seed: _Optional[int] = ..., origin: _Optional[_Union[TrialOrigin, str]] = ..., source: _Optional[str] = ..., tg_raw: _Optional[float] = ..., tg_normalized: _Optional[float] = ...) -> None: ...

class TrialProgress(_message.Message):
    __slots__ = ["curve_point", "progress", "trial_id"]
    CURVE_POINT_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    TRIAL_ID_FIELD_NUMBER: _ClassVar[int]
    curve_point: _trainer_pb2.CurvePoint
    progress: _trainer_pb2.TrainingProgress
    trial_id: str
    def __init__(self, trial_id: _Optional[str] = ..., progress: _Optional[_Union[_trainer_pb2.TrainingProgress, _Mapping]] = ..., curve_point: _Optional[_Union[_trainer_pb2.CurvePoint, _Mapping]] = ...) -> None: ...

class TrialStarted(_message.Message):
    __slots__ = ["attempt", "steps", "trainer", "trial_id"]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    TRAINER_FIELD_NUMBER: _ClassVar[int]
    TRIAL_ID_FIELD_NUMBER: _ClassVar[int]
    attempt: int
    steps: int
    trainer: str
    trial_id: str
    def __init__(self, trial_id: _Optional[str] = ..., trainer: _Optional[str] = ..., attempt: _Optional[int] = ..., steps: _Optional[int] = ...) -> None: ...

class WatchStudyRequest(_message.Message):
    __slots__ = ["study_id"]
    STUDY_ID_FIELD_NUMBER: _ClassVar[int]
    study_id: str
    def __init__(self, study_id: _Optional[str] = ...) -> None: ...

class ScoreKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class TgKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class StudyState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class TrialState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class TrialOrigin(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class StudyView(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class ExportFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
