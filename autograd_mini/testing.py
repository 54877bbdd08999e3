"""Tools for property-based gradient tests of your own ops (needs ``hypothesis``).

Example, testing a custom op against finite differences on random shapes::

    from hypothesis import given
    from autograd_mini.testing import tensors, assert_gradients_match

    @given(tensors(shape=(3, 4)))
    def test_my_op(x):
        assert_gradients_match(lambda t: MyOp.apply(t), x)

``tensors`` draws float64 tensors (so ``gradcheck`` can run on them),
``broadcastable_shapes`` draws shapes that broadcast together, and
``assert_gradients_match`` is ``gradcheck`` as an assertion whose failure
message shows the worst entries.

Draw inputs away from points where the op has a kink (``|x|`` at 0, relu at 0,
max at ties: a two-sided difference straddling a kink is wrong there) and
away from points where the whole gradient is zero (x**3 at 0): there the
relative difference (Deep Learning Study Notes: Improving Deep Neural Networks,
section 12) divides rounding noise by zero and fails.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .gradcheck import gradcheck
from .tensor import Tensor

try:
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError(
        "autograd_mini.testing needs hypothesis: pip install 'autograd-mini[testing]'"
    ) from error

Shape = tuple[int, ...]


def shapes(min_dims: int = 0, max_dims: int = 3, min_side: int = 1, max_side: int = 5):
    """Array shapes with ``min_dims..max_dims`` dimensions of ``min_side..max_side`` each."""
    return hnp.array_shapes(
        min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side
    )


def tensors(
    shape: Shape | st.SearchStrategy[Shape] | None = None,
    dtype: Any = np.float64,
    elements: st.SearchStrategy[float] | None = None,
    requires_grad: bool = True,
) -> st.SearchStrategy[Tensor]:
    """Tensors of the given (or a drawn) shape.

    Elements default to finite values in [-10, -0.1] or [0.1, 10]: away from 0,
    where many functions have a kink (abs, relu) or a zero gradient (x**2),
    which two-sided differences cannot check.
    """
    if shape is None:
        shape = shapes()
    if elements is None:
        width = 32 if np.dtype(dtype) == np.float32 else 64
        magnitudes = st.floats(0.1, 10, allow_nan=False, allow_infinity=False, width=width)
        elements = st.one_of(magnitudes, magnitudes.map(lambda v: -v))
    arrays = hnp.arrays(dtype=dtype, shape=shape, elements=elements)
    return arrays.map(lambda a: Tensor(a, requires_grad=requires_grad))


def broadcastable_shapes(
    num_shapes: int = 2,
    base_shape: Shape = (),
    min_dims: int = 0,
    max_dims: int = 3,
    min_side: int = 1,
    max_side: int = 4,
) -> st.SearchStrategy[tuple[Shape, ...]]:
    """Tuples of ``num_shapes`` shapes that broadcast together (numpy's rules)."""
    return hnp.mutually_broadcastable_shapes(
        num_shapes=num_shapes,
        base_shape=base_shape,
        min_dims=min_dims,
        max_dims=max_dims,
        min_side=min_side,
        max_side=max_side,
    ).map(lambda drawn: drawn.input_shapes)


def assert_gradients_match(
    fn: Callable[..., Tensor], *inputs: Tensor, eps: float = 1e-6, tol: float = 1e-7
) -> None:
    """Assert backprop's gradients of ``fn(*inputs)`` match two-sided differences."""
    report = gradcheck(fn, inputs, eps=eps, tol=tol, raise_on_failure=False)
    if not report.passed:
        raise AssertionError(str(report))
