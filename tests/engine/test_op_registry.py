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


# Engine bugs the registry found: a strict xfail each, so that the fix makes the test
# fail until its entry here is deleted.
_SOFTMAX_AT_0D = (
    "engine bug: under create_graph, (log_)softmax's backward at a 0-d input sums along "
    "axis -1 with Tensor.sum, which refuses an axis of a 0-d tensor (AxisError); the "
    "ndarray path of the first-order backward accepts it"
)
KNOWN_BUGS = {
    ("double backward", "softmax-0d"): (_SOFTMAX_AT_0D, np.exceptions.AxisError),
    ("double backward", "log_softmax-0d"): (_SOFTMAX_AT_0D, np.exceptions.AxisError),
}


def _params(rows: list[Row], test: str) -> list[Any]:
    """Each row at random shapes, and each row that takes 0-d inputs at 0-d inputs."""
    params = [(row, False, row.name) for row in rows]
    params += [(row, True, f"{row.name}-0d") for row in rows if row.takes_0d]
    marked = []
    for row, zero_d, name in params:
        bug = KNOWN_BUGS.get((test, name))
        marks = [pytest.mark.xfail(strict=True, reason=bug[0], raises=bug[1])] if bug else []
        marked.append(pytest.param(row, zero_d, id=name, marks=marks))
    return marked


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


@pytest.mark.parametrize("row, zero_d", _params(ROWS, "forward"))
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


@pytest.mark.parametrize("row, zero_d", _params(ROWS, "gradients"))
@given(data=st.data())
def test_gradients_match_finite_differences(row, zero_d, data):
    case = data.draw(row.cases(zero_d), label="case")
    op, tensors = _prepared(row, case, zero_d)
    am.gradcheck(op, tensors)  # raises with the report: the worst entries, both values


@pytest.mark.parametrize(
    "row, zero_d", _params([row for row in ROWS if row.smooth], "double backward")
)
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


def test_known_bugs_name_tests_that_exist():
    names = {
        (test, p.id)
        for test in ("forward", "gradients", "double backward")
        for p in _params(ROWS, test)
    }
    assert set(KNOWN_BUGS) <= names


@pytest.mark.xfail(
    strict=True,
    raises=am.GradcheckError,
    reason=(
        "engine bug: Pow's backward replaces d/da = b a^(b-1) by the constant 0 where the "
        "exponent b is exactly 0, so the mixed second derivative d/db (b a^(b-1)) = 1/a "
        "there comes out 0 (PyTorch masks the same way); masking only where a = 0 too would "
        "keep it"
    ),
)
def test_the_second_derivative_of_pow_at_a_zero_exponent():
    base, exponent = Tensor(2.0, requires_grad=True), Tensor(0.0, requires_grad=True)
    am.gradgradcheck(lambda a, b: a**b, [base, exponent])
