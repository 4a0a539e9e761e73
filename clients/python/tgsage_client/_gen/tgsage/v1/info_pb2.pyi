from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class GetInfoRequest(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class ServiceInfo(_message.Message):
    __slots__ = ["compute_backend", "compute_details", "pid", "runtime", "services", "uptime_seconds", "version"]
    COMPUTE_BACKEND_FIELD_NUMBER: _ClassVar[int]
    COMPUTE_DETAILS_FIELD_NUMBER: _ClassVar[int]
    PID_FIELD_NUMBER: _ClassVar[int]
    RUNTIME_FIELD_NUMBER: _ClassVar[int]
    SERVICES_FIELD_NUMBER: _ClassVar[int]
    UPTIME_SECONDS_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    compute_backend: str
    compute_details: str
    pid: int
    runtime: str
    services: _containers.RepeatedScalarFieldContainer[str]
    uptime_seconds: float
    version: str
    def __init__(self, services: _Optional[_Iterable[str]] = ..., version: _Optional[str] = ..., compute_backend: _Optional[str] = ..., compute_details: _Optional[str] = ..., runtime: _Optional[str] = ..., pid: _Optional[int] = ..., uptime_seconds: _Optional[float] = ...) -> None: ...
