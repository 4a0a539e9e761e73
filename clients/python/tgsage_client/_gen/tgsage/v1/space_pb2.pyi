from tgsage_client._gen.tgsage.v1 import genome_pb2 as _genome_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DecisionCondition(_message.Message):
    __slots__ = ["choices", "decision", "name"]
    CHOICES_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    choices: _containers.RepeatedScalarFieldContainer[int]
    decision: int
    name: str
    def __init__(self, decision: _Optional[int] = ..., name: _Optional[str] = ..., choices: _Optional[_Iterable[int]] = ...) -> None: ...

class DecisionsToGenomeRequest(_message.Message):
    __slots__ = ["by_name", "decisions", "space"]
    class ByNameEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    BY_NAME_FIELD_NUMBER: _ClassVar[int]
    DECISIONS_FIELD_NUMBER: _ClassVar[int]
    SPACE_FIELD_NUMBER: _ClassVar[int]
    by_name: _containers.ScalarMap[str, int]
    decisions: _containers.RepeatedScalarFieldContainer[int]
    space: _genome_pb2.SearchSpace
    def __init__(self, space: _Optional[_Union[_genome_pb2.SearchSpace, str]] = ..., decisions: _Optional[_Iterable[int]] = ..., by_name: _Optional[_Mapping[str, int]] = ...) -> None: ...

class DecisionsToGenomeResponse(_message.Message):
    __slots__ = ["decisions", "genome", "genome_json"]
    DECISIONS_FIELD_NUMBER: _ClassVar[int]
    GENOME_FIELD_NUMBER: _ClassVar[int]
    GENOME_JSON_FIELD_NUMBER: _ClassVar[int]
    decisions: _containers.RepeatedScalarFieldContainer[int]
    genome: _genome_pb2.Genome
    genome_json: str
    def __init__(self, genome: _Optional[_Union[_genome_pb2.Genome, _Mapping]] = ..., decisions: _Optional[_Iterable[int]] = ..., genome_json: _Optional[str] = ...) -> None: ...

class DescribeSpaceRequest(_message.Message):
    __slots__ = ["space"]
    SPACE_FIELD_NUMBER: _ClassVar[int]
    space: _genome_pb2.SearchSpace
    def __init__(self, space: _Optional[_Union[_genome_pb2.SearchSpace, str]] = ...) -> None: ...

class GenomeToDecisionsRequest(_message.Message):
    __slots__ = ["genome"]
    GENOME_FIELD_NUMBER: _ClassVar[int]
    genome: _genome_pb2.Genome
    def __init__(self, genome: _Optional[_Union[_genome_pb2.Genome, _Mapping]] = ...) -> None: ...

class GenomeToDecisionsResponse(_message.Message):
    __slots__ = ["active", "by_name", "decisions", "space"]
    class ByNameEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    BY_NAME_FIELD_NUMBER: _ClassVar[int]
    DECISIONS_FIELD_NUMBER: _ClassVar[int]
    SPACE_FIELD_NUMBER: _ClassVar[int]
    active: _containers.RepeatedScalarFieldContainer[bool]
    by_name: _containers.ScalarMap[str, int]
    decisions: _containers.RepeatedScalarFieldContainer[int]
    space: _genome_pb2.SearchSpace
    def __init__(self, space: _Optional[_Union[_genome_pb2.SearchSpace, str]] = ..., decisions: _Optional[_Iterable[int]] = ..., active: _Optional[_Iterable[bool]] = ..., by_name: _Optional[_Mapping[str, int]] = ...) -> None: ...

class SpaceDecision(_message.Message):
    __slots__ = ["active_when", "choices", "default_choice", "index", "name"]
    ACTIVE_WHEN_FIELD_NUMBER: _ClassVar[int]
    CHOICES_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_CHOICE_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    active_when: _containers.RepeatedCompositeFieldContainer[DecisionCondition]
    choices: _containers.RepeatedScalarFieldContainer[str]
    default_choice: int
    index: int
    name: str
    def __init__(self, index: _Optional[int] = ..., name: _Optional[str] = ..., choices: _Optional[_Iterable[str]] = ..., default_choice: _Optional[int] = ..., active_when: _Optional[_Iterable[_Union[DecisionCondition, _Mapping]]] = ...) -> None: ...

class SpaceDescription(_message.Message):
    __slots__ = ["decisions", "log10_vectors", "name", "notes", "space"]
    DECISIONS_FIELD_NUMBER: _ClassVar[int]
    LOG10_VECTORS_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    NOTES_FIELD_NUMBER: _ClassVar[int]
    SPACE_FIELD_NUMBER: _ClassVar[int]
    decisions: _containers.RepeatedCompositeFieldContainer[SpaceDecision]
    log10_vectors: float
    name: str
    notes: _containers.RepeatedScalarFieldContainer[str]
    space: _genome_pb2.SearchSpace
    def __init__(self, space: _Optional[_Union[_genome_pb2.SearchSpace, str]] = ..., name: _Optional[str] = ..., decisions: _Optional[_Iterable[_Union[SpaceDecision, _Mapping]]] = ..., log10_vectors: _Optional[float] = ..., notes: _Optional[_Iterable[str]] = ...) -> None: ...
