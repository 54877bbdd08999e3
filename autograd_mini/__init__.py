"""autograd-mini: a small, exact reverse-mode automatic differentiation engine on numpy."""

# isort: off
# tensor first: it imports graph and ops at its end, and they import Tensor from it
from .tensor import RemovableHandle, Tensor, as_tensor

# isort: on
from .dtypes import get_default_dtype, set_default_dtype
from .function import Function, Node, ShapeError
from .functions import (
    abs,
    cat,
    clip,
    concatenate,
    exp,
    leaky_relu,
    log,
    log_softmax,
    matmul,
    maximum,
    minimum,
    relu,
    sigmoid,
    softmax,
    sqrt,
    stack,
    tanh,
    where,
)
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, GradcheckReport, gradcheck
from .graph import grad
from .viz import GraphvizNotInstalledError, draw_graph

__version__ = "0.1.0"  # the one place it is written: pyproject reads it, nn imports it

__all__ = [
    "Function",
    "GradcheckError",
    "GradcheckReport",
    "GraphvizNotInstalledError",
    "Node",
    "RemovableHandle",
    "ShapeError",
    "Tensor",
    "abs",
    "as_tensor",
    "cat",
    "clip",
    "concatenate",
    "draw_graph",
    "enable_grad",
    "exp",
    "get_default_dtype",
    "grad",
    "gradcheck",
    "is_grad_enabled",
    "leaky_relu",
    "log",
    "log_softmax",
    "matmul",
    "maximum",
    "minimum",
    "no_grad",
    "relu",
    "set_default_dtype",
    "set_grad_enabled",
    "sigmoid",
    "softmax",
    "sqrt",
    "stack",
    "tanh",
    "where",
]
