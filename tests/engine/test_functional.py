"""autograd_mini.functional against closed forms, finite differences and PyTorch's nesting."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given

import autograd_mini as am
from autograd_mini import Tensor
from autograd_mini import functional as F

from ..helpers import arrays, floats


def numerical_jacobian(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Two-sided differences of f (ndarray -> ndarray): shape f(x).shape + x.shape."""
    out_shape = np.shape(f(x))
    jac = np.zeros(out_shape + x.shape)
    for index in np.ndindex(x.shape):
        plus, minus = x.copy(), x.copy()
        plus[index] += eps
        minus[index] -= eps
        jac[(...,) + index] = (f(plus) - f(minus)) / (2 * eps)
    return jac


def test_hessian_of_a_quadratic_form_is_a_plus_a_transpose():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((4, 4))
    x = Tensor(rng.standard_normal(4))
    H = F.hessian(lambda x: x @ (Tensor(A) @ x), x)
    np.testing.assert_allclose(H.data, A + A.T, atol=1e-12)
    assert not H.requires_grad


def test_jacobian_of_softmax_is_diag_s_minus_s_s_transpose():
    z = Tensor(np.array([0.5, -1.0, 2.0, 0.0]))
    J = F.jacobian(lambda z: z.softmax(), z)
    s = np.exp(z.data) / np.exp(z.data).sum()
    np.testing.assert_allclose(J.data, np.diag(s) - np.outer(s, s), atol=1e-14)


def test_logistic_regression_hessian_is_x_t_diag_p_one_minus_p_x_over_m():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((20, 3))
    y = (rng.random(20) > 0.5).astype(float)
    w = Tensor(rng.standard_normal(3) * 0.3)

    def cost(w):
        p = (Tensor(X) @ w).sigmoid()
        return -(y * p.log() + (1 - y) * (1 - p).log()).mean()

    H = F.hessian(cost, w)
    p = 1 / (1 + np.exp(-X @ w.data))
    np.testing.assert_allclose(H.data, X.T @ np.diag(p * (1 - p)) @ X / 20, atol=1e-12)


def rosenbrock(v: Tensor, a: float = 1.0, b: float = 100.0) -> Tensor:
    x, y = v[0], v[1]
    return (a - x) ** 2 + b * (y - x**2) ** 2


def rosenbrock_hessian(x: float, y: float, b: float = 100.0) -> np.ndarray:
    return np.array([[2 - 4 * b * y + 12 * b * x**2, -4 * b * x], [-4 * b * x, 2 * b]])


def test_rosenbrock_hessian_at_its_minimum_is_positive_definite():
    H = F.hessian(rosenbrock, Tensor([1.0, 1.0]))
    np.testing.assert_allclose(H.data, [[802.0, -400.0], [-400.0, 200.0]], atol=1e-10)
    assert np.all(np.linalg.eigvalsh(H.data) > 0)
    _, g = F.vjp(rosenbrock, Tensor([1.0, 1.0]))
    np.testing.assert_allclose(g.data, [0.0, 0.0], atol=1e-12)  # a critical point


def test_rosenbrock_hessian_where_it_is_saddle_shaped_is_indefinite():
    H = F.hessian(rosenbrock, Tensor([0.0, 1.0]))
    np.testing.assert_allclose(H.data, rosenbrock_hessian(0.0, 1.0), atol=1e-10)
    eigenvalues = np.linalg.eigvalsh(H.data)
    assert eigenvalues.min() < 0 < eigenvalues.max()


def test_a_true_saddle_point_has_curvature_of_both_signs():
    f = lambda v: v[0] ** 2 - v[1] ** 2  # noqa: E731
    origin = Tensor([0.0, 0.0])
    np.testing.assert_allclose(F.vjp(f, origin)[1].data, [0.0, 0.0])
    np.testing.assert_allclose(F.hessian(f, origin).data, [[2.0, 0.0], [0.0, -2.0]])


def smooth(a: Tensor, b: Tensor) -> Tensor:
    return (a * b).tanh() + a.exp().sum() * b


@given(a=arrays((3,), floats(-1, 1)), b=arrays((2, 3), floats(-1, 1)))
def test_jacobian_matches_two_sided_differences(a, b):
    J_a, J_b = F.jacobian(smooth, (Tensor(a), Tensor(b)))
    numeric_a = numerical_jacobian(lambda t: smooth(Tensor(t), Tensor(b)).data, a)
    numeric_b = numerical_jacobian(lambda t: smooth(Tensor(a), Tensor(t)).data, b)
    assert J_a.shape == (2, 3, 3) and J_b.shape == (2, 3, 2, 3)
    np.testing.assert_allclose(J_a.data, numeric_a, atol=1e-8)
    np.testing.assert_allclose(J_b.data, numeric_b, atol=1e-8)


@given(x=arrays((4,), floats(-1, 1)), v=arrays((4,), floats(-1, 1)), u=arrays((3,), floats()))
def test_vjp_jvp_hvp_and_vhp_agree_with_the_full_matrices(x, v, u):
    W = np.arange(12.0).reshape(3, 4) / 10

    def f(x):
        return (Tensor(W) @ x).tanh()

    J = F.jacobian(f, Tensor(x)).data
    output, jv = F.jvp(f, Tensor(x), Tensor(v))
    np.testing.assert_allclose(output.data, np.tanh(W @ x))
    np.testing.assert_allclose(jv.data, J @ v, atol=1e-12)
    _, uj = F.vjp(f, Tensor(x), u)
    np.testing.assert_allclose(uj.data, u @ J, atol=1e-12)

    def scalar(x):
        return (x.exp() * x).sum() + (x[0] * x[1]) ** 2

    H = F.hessian(scalar, Tensor(x)).data
    numeric = numerical_jacobian(
        lambda t: F.vjp(scalar, Tensor(t))[1].data, np.array(x, dtype=float)
    )
    np.testing.assert_allclose(H, numeric, atol=1e-6)
    value, hv = F.hvp(scalar, Tensor(x), v)
    _, vh = F.vhp(scalar, Tensor(x), v)
    np.testing.assert_allclose(value.data, scalar(Tensor(x)).data)
    np.testing.assert_allclose(hv.data, H @ v, atol=1e-10)
    np.testing.assert_allclose(vh.data, v @ H, atol=1e-10)


def two_outputs(a, b):
    return a * b, (a.exp() * 2.0).sum() + b.sum()


def test_jacobian_nests_as_pytorch_for_one_and_two_inputs_and_outputs():
    a, b = Tensor([1.0, 2.0]), Tensor([3.0, 4.0])
    single = F.jacobian(lambda a: a * 3.0, a)
    assert isinstance(single, Tensor) and single.shape == (2, 2)
    per_input = F.jacobian(lambda a, b: a * b, (a, b))
    assert isinstance(per_input, tuple) and len(per_input) == 2
    np.testing.assert_allclose(per_input[0].data, np.diag([3.0, 4.0]))
    np.testing.assert_allclose(per_input[1].data, np.diag([1.0, 2.0]))
    per_output = F.jacobian(lambda a: (a * 2.0, a.sum()), a)
    assert isinstance(per_output, tuple) and [j.shape for j in per_output] == [(2, 2), (2,)]
    both = F.jacobian(two_outputs, (a, b))
    assert [[j.shape for j in row] for row in both] == [[(2, 2), (2, 2)], [(2,), (2,)]]
    np.testing.assert_allclose(both[1][0].data, 2 * np.exp([1.0, 2.0]))
    np.testing.assert_allclose(both[1][1].data, [1.0, 1.0])
    one_tuple = F.jacobian(lambda a: a * 3.0, (a,))  # a tuple of one input is still a tuple
    assert isinstance(one_tuple, tuple) and len(one_tuple) == 1


def test_hessian_of_two_inputs_is_a_tuple_of_tuples():
    def f(a, b):
        return (a * a).sum() * b.sum() + (a * b).sum()

    a, b = Tensor([1.0, 2.0]), Tensor([3.0, 5.0])
    H = F.hessian(f, (a, b))
    assert [[h.shape for h in row] for row in H] == [[(2, 2), (2, 2)], [(2, 2), (2, 2)]]
    np.testing.assert_allclose(H[0][0].data, 2 * 8.0 * np.eye(2))
    np.testing.assert_allclose(H[0][1].data, 2 * np.outer([1.0, 2.0], [1, 1]) + np.eye(2))
    np.testing.assert_allclose(H[1][0].data, H[0][1].data.T)
    np.testing.assert_allclose(H[1][1].data, np.zeros((2, 2)))


def test_vjp_and_jvp_nest_outputs_and_products_by_tuples():
    a, b = Tensor([1.0, 2.0]), Tensor([3.0, 4.0])
    outputs, products = F.vjp(two_outputs, (a, b), (np.ones(2), np.array(1.0)))
    assert isinstance(outputs, tuple) and isinstance(products, tuple)
    np.testing.assert_allclose(products[0].data, b.data + 2 * np.exp(a.data))
    np.testing.assert_allclose(products[1].data, a.data + 1.0)
    outputs, products = F.jvp(two_outputs, (a, b), (np.ones(2), np.zeros(2)))
    np.testing.assert_allclose(products[0].data, b.data)
    np.testing.assert_allclose(products[1].data, 2 * np.exp(a.data).sum())


def test_results_with_create_graph_can_be_differentiated_again():
    x = Tensor([0.5, -1.0], requires_grad=True)
    H = F.hessian(lambda x: (x**3).sum(), x, create_graph=True)  # diag(6 x)
    np.testing.assert_allclose(H.data, np.diag(6 * x.data))
    assert H.requires_grad
    H.sum().backward()  # d/dx sum(diag(6x)) = 6
    np.testing.assert_allclose(x.grad, [6.0, 6.0])
    x.grad = None
    _, g = F.vjp(lambda x: (x.exp()).sum(), x, create_graph=True)
    (g * g).sum().backward()  # d/dx sum(e^2x) = 2 e^2x
    np.testing.assert_allclose(x.grad, 2 * np.exp(2 * x.data))
    x.grad = None
    _, hv = F.hvp(lambda x: (x**4).sum(), x, Tensor([1.0, 1.0]), create_graph=True)
    hv.sum().backward()  # hv = 12 x^2, its derivative 24 x
    np.testing.assert_allclose(x.grad, 24 * x.data)


def test_without_create_graph_results_are_detached_and_inputs_untouched():
    x = Tensor([1.0, 2.0], requires_grad=True)
    output, product = F.vjp(lambda x: (x * x).sum(), x)
    assert not output.requires_grad and not product.requires_grad
    assert x.grad is None
    J = F.jacobian(lambda x: x * x, Tensor([1.0, 2.0]))  # inputs need not require grad
    np.testing.assert_allclose(J.data, np.diag([2.0, 4.0]))


def test_unused_inputs_give_zeros_or_raise_in_strict_mode():
    a, b = Tensor([1.0, 2.0]), Tensor([3.0])
    _, J_b = F.jacobian(lambda a, b: a * 2.0, (a, b))
    np.testing.assert_array_equal(J_b.data, np.zeros((2, 1)))
    with pytest.raises(RuntimeError, match="input 1"):
        F.jacobian(lambda a, b: a * 2.0, (a, b), strict=True)
    _, product = F.jvp(lambda a: Tensor([1.0, 2.0]), a, Tensor([1.0, 1.0]))
    np.testing.assert_array_equal(product.data, [0.0, 0.0])
    H = F.hessian(lambda a: a.sum(), a)  # linear: zero curvature
    np.testing.assert_array_equal(H.data, np.zeros((2, 2)))
    with pytest.raises(RuntimeError, match="strict"):
        F.hessian(lambda a: a.sum(), a, strict=True)


def test_bad_arguments_raise_like_pytorch():
    x = Tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="v can only be None"):
        F.vjp(lambda x: x * 2.0, x)
    with pytest.raises(RuntimeError, match="mismatch in shape"):
        F.vjp(lambda x: x * 2.0, x, np.ones(3))
    with pytest.raises(RuntimeError, match="v can only be None"):
        F.jvp(lambda x: x * 2.0, x)
    with pytest.raises(TypeError, match="index 0 has type list"):
        F.jacobian(lambda x: x, [1.0, 2.0])
    with pytest.raises(TypeError, match="index 1 has type float"):
        F.jacobian(lambda x: (x, 1.0), x)
    with pytest.raises(RuntimeError, match="single element"):
        F.hessian(lambda x: x * 2.0, x)
    with pytest.raises(TypeError, match="single Tensor"):
        F.hvp(lambda x: (x.sum(), x.sum()), x, np.ones(2))
    with pytest.raises(ValueError, match="reverse-mode"):
        F.jacobian(lambda x: x, x, strategy="forward-mode")


def test_zero_dimensional_inputs_and_a_scalar_v_may_be_omitted():
    x = Tensor(0.7)
    _, slope = F.jvp(lambda x: x.exp(), x)
    np.testing.assert_allclose(slope.data, np.exp(0.7))
    assert F.jacobian(lambda x: x.exp(), x).shape == ()
    np.testing.assert_allclose(F.hessian(lambda x: x.exp(), x).data, np.exp(0.7))
    tanh_curvature = -2 * np.tanh(0.7) / np.cosh(0.7) ** 2
    np.testing.assert_allclose(F.hvp(lambda x: x.tanh(), x)[1].data, tanh_curvature)


def test_functional_is_reachable_from_the_package():
    assert am.functional.hessian is F.hessian
