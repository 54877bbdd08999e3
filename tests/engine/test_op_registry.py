"""Every op's tests, made from its row of the registry (op_registry.py).

Per row, at random shapes and again at 0-d inputs (where the op takes them):
the forward values against numpy, the gradients against two-sided
differences (gradcheck: relative difference < 1e-7 in float64) and, for a
smooth op, the gradients of the gradients against two-sided differences of
the gradients (gradgradcheck). And the coverage test: every Function of
autograd_mini.ops and nn.fused has a row.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd_mini as am
from autograd_mini import Function, Tensor, ops
from nn import fused

from .op_registry import ROWS, Case, Constant, Row, library_functions

# gradgradcheck calls the op's backward 2n times for n entries: fewer examples than the
# profile's (10 of "ci"'s 50, 100 of "thorough"'s 500)
DOUBLE_BACKWARD_EXAMPLES = max(10, settings.default.max_examples // 5)


def _params(rows: list[Row]) -> list[Any]:
    """Each row at random shapes, and each row that takes 0-d inputs at 0-d inputs."""
    params = [(row, False, row.name) for row in rows]
    params += [(row, True, f"{row.name}-0d") for row in rows if row.takes_0d]
    return [pytest.param(row, zero_d, id=name) for row, zero_d, name in params]


def _prepared(row: Row, case: Case, zero_d: bool) -> tuple[Any, list[Tensor]]:
    """(the op as a function of the differentiable inputs, those inputs as float64 leaves)."""
    tensors = [
        Tensor(np.array(x, dtype=np.float64), requires_grad=True)
        for x in case.inputs
        if not isinstance(x, Constant)
    ]
    assert tensors, f"{row.name}: a case needs at least one input that requires grad"
    if zero_d:
        assert all(t.ndim == 0 for t in tensors), [t.shape for t in tensors]

    def op(*inputs: Tensor) -> Tensor:
        supplied = iter(inputs)
        args = [x.value if isinstance(x, Constant) else next(supplied) for x in case.inputs]
        return row.call(*args, **case.options)

    return op, tensors


@pytest.mark.parametrize("row, zero_d", _params(ROWS))
@given(data=st.data())
def test_forward_matches_numpy(row, zero_d, data):
    case = data.draw(row.cases(zero_d), label="case")
    op, tensors = _prepared(row, case, zero_d)
    values = [x.value if isinstance(x, Constant) else x for x in case.inputs]
    expected = np.asarray(row.reference(*values, **case.options))
    actual = op(*tensors)
    # the call reaches the op the row is for, as the output's node
    assert actual.grad_fn is not None and actual.grad_fn.function is row.op, actual.grad_fn
    assert actual.shape == expected.shape
    assert actual.dtype == np.float64
    np.testing.assert_allclose(actual.data, expected, rtol=row.rtol, atol=1e-12)


@pytest.mark.parametrize("row, zero_d", _params(ROWS))
@given(data=st.data())
def test_gradients_match_finite_differences(row, zero_d, data):
    case = data.draw(row.cases(zero_d), label="case")
    op, tensors = _prepared(row, case, zero_d)
    am.gradcheck(op, tensors)  # raises with the report: the worst entries, both values


@pytest.mark.parametrize("row, zero_d", _params([row for row in ROWS if row.smooth]))
@settings(max_examples=DOUBLE_BACKWARD_EXAMPLES)
@given(data=st.data())
def test_double_backward_matches_finite_differences_of_the_gradients(row, zero_d, data):
    case = data.draw(row.cases(zero_d), label="case")
    op, tensors = _prepared(row, case, zero_d)
    am.gradgradcheck(op, tensors)


def test_every_function_of_the_library_has_exactly_one_row():
    found = library_functions()
    assert ops.Exp in found and ops.GetItem in found and fused.Linear in found  # the search works
    covered = [row.op for row in ROWS]
    missing = [f"{f.__module__}.{f.__name__}" for f in found if f not in covered]
    assert not missing, (
        f"no row in tests/engine/op_registry.py for {missing}: add one (how to call the op, "
        "numpy's forward, how to draw its inputs, smooth or not)"
    )
    repeated = sorted({row.name for row in ROWS if covered.count(row.op) > 1})
    assert not repeated, f"ops with more than one row: {repeated}"
    stale = [row.name for row in ROWS if row.op not in found]
    assert not stale, f"rows for ops the library no longer defines: {stale}"


def test_a_function_added_to_ops_without_a_row_is_found(monkeypatch):
    class Sign(Function):
        @staticmethod
        def forward(ctx, x):
            return np.sign(x)

        @staticmethod
        def backward(ctx, grad):
            return grad * 0.0

    Sign.__module__ = ops.__name__
    monkeypatch.setattr(ops, "Sign", Sign, raising=False)
    assert Sign in library_functions()
    assert Sign not in [row.op for row in ROWS]


def test_the_second_derivative_of_pow_at_a_zero_exponent():
    # d/db (b a^(b-1)) = 1/a at b = 0: masking d/da to 0 wherever b = 0 lost it
    base, exponent = Tensor(2.0, requires_grad=True), Tensor(0.0, requires_grad=True)
    am.gradgradcheck(lambda a, b: a**b, [base, exponent])
