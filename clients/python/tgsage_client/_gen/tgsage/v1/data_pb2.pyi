from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class DatasetSpec(_message.Message):
    __slots__ = ["directory", "name", "num_stimuli", "num_validation", "split_seed"]
    DIRECTORY_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    NUM_STIMULI_FIELD_NUMBER: _ClassVar[int]
    NUM_VALIDATION_FIELD_NUMBER: _ClassVar[int]
    SPLIT_SEED_FIELD_NUMBER: _ClassVar[int]
    directory: str
    name: str
    num_stimuli: int
    num_validation: int
    split_seed: int
    def __init__(self, name: _Optional[str] = ..., directory: _Optional[str] = ..., num_stimuli: _Optional[int] = ..., num_validation: _Optional[int] = ..., split_seed: _Optional[int] = ...) -> None: ...
