"""autograd-mini: a small, exact reverse-mode automatic differentiation engine on numpy.

Where to read: ``tensor.py`` (the Tensor), ``graph.py`` (how an op records a
node, and the backward walk), ``ops.py`` (the table of derivatives and each
op's forward beside its backward), ``kernels.py`` (stable formulas and BLAS
shortcuts the ops compute with).

Beyond ``backward()`` and ``grad()``: ``functional`` (``vjp``, ``jvp``,
``jacobian``, ``hessian``, ``vhp``, ``hvp``: derivatives as functions),
``gradcheck`` and ``gradgradcheck`` (first and second derivatives against
two-sided differences), ``detect_anomaly`` (which op, and which line of your
code, made a NaN), ``trace_backward`` (backward recorded step by step) and
``draw_graph``.
"""

# isort: off
# tensor first: it imports graph and ops at its end, and they import Tensor from it
from .tensor import RemovableHandle, Tensor, as_array, as_tensor

# isort: on
from . import functional, kernels
from .anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .dtypes import get_default_dtype, set_default_dtype
from .errors import ShapeError
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, GradcheckReport, gradcheck, gradgradcheck
from .graph import Function, Node, attach_formulas, grad, sum_to_shape
from .ops import (
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
from .trace import BackwardTrace, trace_backward
from .viz import GraphvizNotInstalledError, draw_graph

__version__ = "0.1.0"  # the one place it is written: pyproject reads it, nn imports it

__all__ = [
    "BackwardTrace",
    "Function",
    "GradcheckError",
    "GradcheckReport",
    "GraphvizNotInstalledError",
    "Node",
    "RemovableHandle",
    "ShapeError",
    "Tensor",
    "abs",
    "as_array",
    "as_tensor",
    "attach_formulas",
    "cat",
    "clip",
    "concatenate",
    "detect_anomaly",
    "draw_graph",
    "enable_grad",
    "exp",
    "functional",
    "get_default_dtype",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "is_anomaly_enabled",
    "is_grad_enabled",
    "kernels",
    "leaky_relu",
    "log",
    "log_softmax",
    "matmul",
    "maximum",
    "minimum",
    "no_grad",
    "relu",
    "set_default_dtype",
    "set_detect_anomaly",
    "set_grad_enabled",
    "sigmoid",
    "softmax",
    "sqrt",
    "stack",
    "sum_to_shape",
    "tanh",
    "trace_backward",
    "where",
]
