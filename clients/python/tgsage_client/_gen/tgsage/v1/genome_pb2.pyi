from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

ACTIVATION_ELU: Activation
ACTIVATION_RELU: Activation
ACTIVATION_SWISH: Activation
ACTIVATION_TANH: Activation
DESCRIPTOR: _descriptor.FileDescriptor
DOWNSAMPLE_AVG_POOL: Downsample
DOWNSAMPLE_MAX_POOL: Downsample
DOWNSAMPLE_NONE: Downsample
DOWNSAMPLE_STRIDE2: Downsample
HEAD_FLATTEN: Head
HEAD_GLOBAL_AVG_POOL: Head
HEAD_GLOBAL_AVG_POOL_HIDDEN: Head
NAS_OP_AVG_POOL_3X3: NasOp
NAS_OP_CONV_1X7_7X1: NasOp
NAS_OP_DIL_CONV_3X3: NasOp
NAS_OP_IDENTITY: NasOp
NAS_OP_MAX_POOL_3X3: NasOp
NAS_OP_SEP_CONV_3X3: NasOp
NAS_OP_SEP_CONV_5X5: NasOp
NAS_OP_SEP_CONV_7X7: NasOp
SEARCH_SPACE_CONVNET: SearchSpace
SEARCH_SPACE_NASNET: SearchSpace
SEARCH_SPACE_UNSPECIFIED: SearchSpace

class ConvLayerGene(_message.Message):
    __slots__ = ["activation", "batch_norm", "downsample", "filters", "kernel_size", "skip_from"]
    ACTIVATION_FIELD_NUMBER: _ClassVar[int]
    BATCH_NORM_FIELD_NUMBER: _ClassVar[int]
    DOWNSAMPLE_FIELD_NUMBER: _ClassVar[int]
    FILTERS_FIELD_NUMBER: _ClassVar[int]
    KERNEL_SIZE_FIELD_NUMBER: _ClassVar[int]
    SKIP_FROM_FIELD_NUMBER: _ClassVar[int]
    activation: Activation
    batch_norm: bool
    downsample: Downsample
    filters: int
    kernel_size: int
    skip_from: int
    def __init__(self, filters: _Optional[int] = ..., kernel_size: _Optional[int] = ..., downsample: _Optional[_Union[Downsample, str]] = ..., skip_from: _Optional[int] = ..., batch_norm: bool = ..., activation: _Optional[_Union[Activation, str]] = ...) -> None: ...

class ConvNetGenome(_message.Message):
    __slots__ = ["head", "layers"]
    HEAD_FIELD_NUMBER: _ClassVar[int]
    LAYERS_FIELD_NUMBER: _ClassVar[int]
    head: Head
    layers: _containers.RepeatedCompositeFieldContainer[ConvLayerGene]
    def __init__(self, layers: _Optional[_Iterable[_Union[ConvLayerGene, _Mapping]]] = ..., head: _Optional[_Union[Head, str]] = ...) -> None: ...

class Genome(_message.Message):
    __slots__ = ["convnet", "nasnet"]
    CONVNET_FIELD_NUMBER: _ClassVar[int]
    NASNET_FIELD_NUMBER: _ClassVar[int]
    convnet: ConvNetGenome
    nasnet: NasNetGenome
    def __init__(self, convnet: _Optional[_Union[ConvNetGenome, _Mapping]] = ..., nasnet: _Optional[_Union[NasNetGenome, _Mapping]] = ...) -> None: ...

class NasBlock(_message.Message):
    __slots__ = ["input_a", "input_b", "op_a", "op_b"]
    INPUT_A_FIELD_NUMBER: _ClassVar[int]
    INPUT_B_FIELD_NUMBER: _ClassVar[int]
    OP_A_FIELD_NUMBER: _ClassVar[int]
    OP_B_FIELD_NUMBER: _ClassVar[int]
    input_a: int
    input_b: int
    op_a: NasOp
    op_b: NasOp
    def __init__(self, input_a: _Optional[int] = ..., input_b: _Optional[int] = ..., op_a: _Optional[_Union[NasOp, str]] = ..., op_b: _Optional[_Union[NasOp, str]] = ...) -> None: ...

class NasCell(_message.Message):
    __slots__ = ["blocks"]
    BLOCKS_FIELD_NUMBER: _ClassVar[int]
    blocks: _containers.RepeatedCompositeFieldContainer[NasBlock]
    def __init__(self, blocks: _Optional[_Iterable[_Union[NasBlock, _Mapping]]] = ...) -> None: ...

class NasNetGenome(_message.Message):
    __slots__ = ["initial_filters", "normal_cell", "num_normal_cells", "num_reductions", "reduction_cell"]
    INITIAL_FILTERS_FIELD_NUMBER: _ClassVar[int]
    NORMAL_CELL_FIELD_NUMBER: _ClassVar[int]
    NUM_NORMAL_CELLS_FIELD_NUMBER: _ClassVar[int]
    NUM_REDUCTIONS_FIELD_NUMBER: _ClassVar[int]
    REDUCTION_CELL_FIELD_NUMBER: _ClassVar[int]
    initial_filters: int
    normal_cell: NasCell
    num_normal_cells: int
    num_reductions: int
    reduction_cell: NasCell
    def __init__(self, normal_cell: _Optional[_Union[NasCell, _Mapping]] = ..., reduction_cell: _Optional[_Union[NasCell, _Mapping]] = ..., num_normal_cells: _Optional[int] = ..., initial_filters: _Optional[int] = ..., num_reductions: _Optional[int] = ...) -> None: ...

class SearchSpace(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class Downsample(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class Activation(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class Head(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class NasOp(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
