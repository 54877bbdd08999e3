"""Zero-size arrays, empty reductions and NaN: numpy's values and warnings, and gradients
that never crash (empty where the input is empty, nan where numpy's formula gives nan)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autograd_mini as am
from autograd_mini import Tensor


def _forward_and_backward(op, data):
    """op(x) and x.grad after backward of its sum, with the warnings each step raised."""
    x = Tensor(np.asarray(data, dtype=np.float64), requires_grad=True)
    with warnings.catch_warnings(record=True) as forward_warnings:
        warnings.simplefilter("always")
        y = op(x)
    with warnings.catch_warnings(record=True) as backward_warnings:
        warnings.simplefilter("always")
        y.sum().backward()
    return y, x.grad, [str(w.message) for w in forward_warnings], backward_warnings


def _numpy_warnings(call):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = call()
    return value, [str(w.message) for w in caught]


@pytest.mark.parametrize(
    "name, op, reference, shape",
    [
        ("var ddof = n", lambda t: t.var(ddof=6), lambda a: a.var(ddof=6), (2, 3)),
        ("var ddof > n", lambda t: t.var(axis=1, ddof=5), lambda a: a.var(axis=1, ddof=5), (2, 3)),
        ("var of one value, ddof=1", lambda t: t.var(ddof=1), lambda a: a.var(ddof=1), ()),
        ("var over an empty axis", lambda t: t.var(axis=0), lambda a: a.var(axis=0), (0, 3)),
        ("var along a kept empty axis", lambda t: t.var(axis=1), lambda a: a.var(axis=1), (0, 3)),
        ("var of an empty tensor", lambda t: t.var(), lambda a: a.var(), (0,)),
        ("mean of an empty tensor", lambda t: t.mean(), lambda a: a.mean(), (0,)),
        ("mean over an empty axis", lambda t: t.mean(axis=0), lambda a: a.mean(axis=0), (0, 3)),
        ("sum over an empty axis", lambda t: t.sum(axis=0), lambda a: a.sum(axis=0), (0, 3)),
        ("sum of an empty tensor", lambda t: t.sum(), lambda a: a.sum(), (2, 0)),
        ("max along a kept empty axis", lambda t: t.max(axis=1), lambda a: a.max(axis=1), (0, 3)),
    ],
)
def test_empty_and_degenerate_reductions_match_numpy_and_warn_like_it(name, op, reference, shape):
    data = np.arange(float(np.prod(shape))).reshape(shape)
    expected, numpy_messages = _numpy_warnings(lambda: reference(data))
    y, grad, messages, backward_warnings = _forward_and_backward(op, data)
    np.testing.assert_array_equal(y.data, expected)  # (equal_nan: nan where numpy has nan)
    assert y.shape == np.shape(expected)
    assert sorted(set(messages)) == sorted(set(numpy_messages))
    assert grad.shape == shape
    assert not backward_warnings  # forward has said it already


def test_the_gradient_of_a_degenerate_variance_follows_numpys_formula():
    """2 (x - mean) / max(n - ddof, 0): +-inf, and nan where x equals the mean."""
    for ddof in (3, 4):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            y, grad, _, _ = _forward_and_backward(
                lambda t: t.var(axis=1, ddof=ddof), [[1.0, 2.0, 3.0], [5.0, 5.0, 5.0]]
            )
        np.testing.assert_array_equal(y.data, [np.inf, np.nan])
        np.testing.assert_array_equal(grad, [[-np.inf, np.nan, np.inf], [np.nan] * 3])


def test_degenerate_variance_has_a_second_derivative_too():
    x = Tensor([1.0, 3.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        (g,) = am.grad(x.var(ddof=2), x, create_graph=True)
        np.testing.assert_array_equal(g.data, [-np.inf, np.inf])
        (h,) = am.grad(g.sum(), x)
    assert h.shape == (2,) and np.all(np.isnan(h.data))  # inf * 0: no number


@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
@pytest.mark.parametrize("shape, axis", [((2, 0), 1), ((2, 0), 0), ((0,), -1), ((0, 3), 1)])
def test_softmax_of_a_zero_size_tensor_is_empty(op, shape, axis):
    y, grad, messages, backward_warnings = _forward_and_backward(
        lambda t: getattr(t, op)(axis), np.zeros(shape)
    )
    assert y.shape == shape and grad.shape == shape
    assert not messages and not backward_warnings


def test_softmax_of_a_zero_size_tensor_still_checks_its_axis():
    with pytest.raises(IndexError, match=r"^softmax: axis 2 is out of bounds.*\(2, 0\)"):
        Tensor(np.zeros((2, 0))).softmax(2)


@pytest.mark.parametrize("op", ["max", "min"])
@pytest.mark.parametrize("shape, axis", [((2, 0), 1), ((0,), None), ((0, 3), (0, 1)), ((0, 3), 0)])
def test_max_and_min_over_no_values_raise_naming_the_op_and_shape(op, shape, axis):
    with pytest.raises(ValueError, match=rf"^{op}: the {op}imum over no values.*{shape}"):
        getattr(Tensor(np.zeros(shape)), op)(axis)
    with pytest.raises(RuntimeError):  # what PyTorch raises, caught as well
        getattr(Tensor(np.zeros(shape)), op)(axis)


def test_zero_size_ops_give_empty_results_and_gradients():
    a = Tensor(np.ones((3, 0)), requires_grad=True)
    b = Tensor(np.ones((0, 2)), requires_grad=True)
    product = a @ b  # a zero inner dimension: a sum of no terms
    np.testing.assert_array_equal(product.data, np.zeros((3, 2)))
    product.sum().backward()
    assert a.grad.shape == (3, 0) and b.grad.shape == (0, 2)

    x = Tensor(np.ones((0, 2)), requires_grad=True)
    joined = am.concatenate([x, x, Tensor(np.ones((1, 2)))])
    assert joined.shape == (1, 2)
    (joined * 3.0).sum().backward()
    assert x.grad.shape == (0, 2)

    y = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    for empty in (y[[]], y[y.data > 10], y[3:], y[np.array([], dtype=int)]):
        assert empty.shape == (0,)
        empty.sum().backward()
    np.testing.assert_array_equal(y.grad, [0.0, 0.0, 0.0])


def test_max_over_nan_sends_the_gradient_to_the_nans():
    """As PyTorch: NaN propagates, and the gradient goes to the entries equal to the result,
    NaN counting as equal to NaN (split evenly among several)."""
    x = Tensor([[1.0, np.nan, 3.0], [4.0, 5.0, 6.0], [np.nan, np.nan, 0.0]], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "invalid value" warning from 0 / 0 either
        result = x.max(axis=1)
        np.testing.assert_array_equal(result.data, [np.nan, 6.0, np.nan])
        result.sum().backward()
    np.testing.assert_array_equal(x.grad, [[0, 1, 0], [0, 0, 1], [0.5, 0.5, 0]])

    x.zero_grad()
    x.min(axis=0, keepdims=True).sum().backward()
    np.testing.assert_array_equal(x.grad, [[0, 0.5, 0], [0, 0, 0], [1, 0.5, 1]])

    x.zero_grad()
    x.max().backward()
    np.testing.assert_array_equal(x.grad, [[0, 1 / 3, 0], [0, 0, 0], [1 / 3, 1 / 3, 0]])

    single = Tensor(np.nan, requires_grad=True)
    single.max().backward()
    assert single.grad == 1.0


def test_max_gradient_without_nan_is_unchanged_at_ties_and_infinities():
    x = Tensor([[np.inf, 1.0, np.inf], [-np.inf, -np.inf, -np.inf]], requires_grad=True)
    x.max(axis=1).backward(np.ones(2))
    np.testing.assert_array_equal(x.grad, [[0.5, 0, 0.5], [1 / 3, 1 / 3, 1 / 3]])
