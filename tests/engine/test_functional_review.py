"""A hostile review of functional.py and grad(): what PyTorch does where they differed.

- ``torch.autograd.functional`` computes under ``torch.enable_grad()``, so its six
  functions give the true derivatives when called inside ``no_grad()``.
- ``torch.autograd.grad`` runs only the backward of nodes on a path from the outputs
  to the inputs: the graph beyond a non-leaf input, and the branches that lead only to
  other leaves, are neither run nor freed.
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd_mini as am
from autograd_mini import Function, Tensor
from autograd_mini import functional as F


def cube_sum(x: Tensor) -> Tensor:
    return (x * x * x).sum()


X = np.array([0.5, -1.0, 2.0])
V = np.array([1.0, 2.0, -1.0])
J_SQUARE = np.diag(2 * X)  # jacobian of x * x
H_CUBE = np.diag(6 * X)  # hessian of sum(x^3)


@pytest.mark.parametrize(
    "call, expected",
    [
        (lambda x: F.jacobian(lambda t: t * t, x), J_SQUARE),
        (lambda x: F.vjp(lambda t: t * t, x, V)[1], V @ J_SQUARE),
        (lambda x: F.jvp(lambda t: t * t, x, V)[1], J_SQUARE @ V),
        (lambda x: F.hessian(cube_sum, x), H_CUBE),
        (lambda x: F.vhp(cube_sum, x, V)[1], V @ H_CUBE),
        (lambda x: F.hvp(cube_sum, x, V)[1], H_CUBE @ V),
    ],
    ids=["jacobian", "vjp", "jvp", "hessian", "vhp", "hvp"],
)
@pytest.mark.parametrize("requires_grad", [False, True])
def test_functional_derivatives_are_right_inside_no_grad(call, expected, requires_grad):
    x = Tensor(X.copy(), requires_grad=requires_grad)
    with am.no_grad():
        result = call(x)
        assert not am.is_grad_enabled()  # the mode is restored
    np.testing.assert_allclose(result.data, expected, atol=1e-12)
    assert not result.requires_grad and x.grad is None


def test_create_graph_inside_no_grad_gives_results_that_differentiate_again():
    x = Tensor(X.copy(), requires_grad=True)
    with am.no_grad():
        H = F.hessian(cube_sum, x, create_graph=True)
    assert H.requires_grad
    (g,) = am.grad(H.sum(), x)  # d/dx sum(diag(6x)) = 6
    np.testing.assert_allclose(g.data, np.full(3, 6.0))


def test_grad_with_respect_to_a_non_leaf_leaves_the_graph_behind_it_intact():
    x = Tensor(X.copy(), requires_grad=True)
    h = x.exp()  # shared by two losses
    (g,) = am.grad((h * h).sum(), h)
    np.testing.assert_allclose(g.data, 2 * np.exp(X))
    h.backward(g.data)  # through exp, which grad() had no reason to run or free
    np.testing.assert_allclose(x.grad, 2 * np.exp(X) * np.exp(X))


def test_grad_does_not_run_branches_that_lead_only_to_other_leaves():
    a = Tensor(X.copy(), requires_grad=True)
    b = Tensor(V.copy(), requires_grad=True)
    hb = b.tanh()
    (g,) = am.grad((a * hb).sum(), a)
    np.testing.assert_allclose(g.data, np.tanh(V))
    hb.sum().backward()  # tanh's saved output is still there
    np.testing.assert_allclose(b.grad, 1 - np.tanh(V) ** 2)


class Unreachable(Function):
    """An op whose backward must not run: it raises."""

    @staticmethod
    def forward(ctx, x):
        return x * 1.0

    @staticmethod
    def backward(ctx, grad):
        raise AssertionError("backward ran although no input of grad() lies behind it")


def test_grad_never_calls_the_backward_of_a_node_no_input_needs():
    a = Tensor(X.copy(), requires_grad=True)
    b = Tensor(V.copy(), requires_grad=True)
    h = Unreachable.apply(a) * 2.0  # a non-leaf input: what made it is not needed
    (g_h,) = am.grad((h * b).sum(), h)
    np.testing.assert_allclose(g_h.data, V)
    (g_b,) = am.grad((Unreachable.apply(a) * b).sum(), b)  # a branch to another leaf
    np.testing.assert_allclose(g_b.data, X)


def test_grad_with_no_inputs_raises_as_pytorch():
    x = Tensor(X.copy(), requires_grad=True)
    with pytest.raises(RuntimeError, match="grad: .*no inputs"):
        am.grad((x * x).sum(), [])


def test_hessian_of_a_random_smooth_function_of_two_inputs_matches_finite_differences():
    rng = np.random.default_rng(11)
    A, B = rng.standard_normal((3, 2)), rng.standard_normal((2, 2))
    w = rng.standard_normal(2)

    def f(a, b):
        return ((a @ b).tanh() @ Tensor(w)).sum() + (a.exp() * (b @ b).sum()).mean()

    H = F.hessian(f, (Tensor(A), Tensor(B)))
    assert [[h.shape for h in row] for row in H] == [
        [(3, 2, 3, 2), (3, 2, 2, 2)],
        [(2, 2, 3, 2), (2, 2, 2, 2)],
    ]
    eps = 1e-5
    for j, base in enumerate((A, B)):  # column j of H: d(gradient)/d input j
        for index in np.ndindex(base.shape):
            shifted = []
            for sign in (1.0, -1.0):
                args = [A.copy(), B.copy()]
                args[j][index] += sign * eps
                _, gradients = F.vjp(f, (Tensor(args[0]), Tensor(args[1])))
                shifted.append([g.data for g in gradients])
            for i in range(2):
                numeric = (shifted[0][i] - shifted[1][i]) / (2 * eps)
                np.testing.assert_allclose(H[i][j].data[(...,) + index], numeric, atol=1e-7)
    np.testing.assert_allclose(H[0][1].data, H[1][0].data.transpose(2, 3, 0, 1), atol=1e-12)


@pytest.mark.parametrize(
    "call",
    [
        lambda f, a: F.vjp(f, a, (np.ones(2), np.ones(1)), strict=True),
        lambda f, a: F.jvp(f, a, np.ones(2), strict=True),
        lambda f, a: F.jacobian(f, a, strict=True),
    ],
    ids=["vjp", "jvp", "jacobian"],
)
def test_strict_mode_refuses_an_output_that_does_not_depend_on_the_inputs(call):
    """PyTorch checks every output in strict mode, not only that each input is used."""

    def f(a):
        return a * 2.0, Tensor([1.0])  # output 1 is a constant

    with pytest.raises(RuntimeError, match="output 1 .*strict mode"):
        call(f, Tensor([1.0, 2.0]))
    call(lambda a: (a * 2.0, a.sum().reshape(1)), Tensor([1.0, 2.0]))  # both depend on a: fine


def test_gradcheck_and_gradgradcheck_give_the_same_verdict_inside_no_grad():
    """Both record their own backprop (enable_grad); a false "the graph was cut" failure
    inside no_grad() would send a user hunting for a bug that is not there."""
    x = Tensor(np.array([[0.3, -0.7], [1.2, 0.1]]), requires_grad=True)
    with am.no_grad():
        assert am.gradcheck(lambda t: t.tanh() * t, [x]).passed
        assert am.gradgradcheck(lambda t: t.tanh() * t, [x]).passed
        assert am.gradcheck(lambda t: (t.exp() * t).sum(), [x]).passed  # a scalar output
        assert not am.is_grad_enabled()


def test_create_graph_tells_an_input_from_a_detached_copy_that_shares_its_array():
    """x.detach() and x.data share x's ndarray; to the second derivative they are
    constants (PyTorch: d/dx of grad(x * x.detach()) is 0, and of grad(x.detach() / x)
    is 2 x / x^3), while x itself is not."""
    x = Tensor(X.copy(), requires_grad=True)
    for constant in (x.detach(), x.data):
        (g,) = am.grad((x * constant).sum(), x, create_graph=True)
        np.testing.assert_allclose(g.data, X)
        assert not g.requires_grad  # grad_output * a constant
    (g,) = am.grad((x.detach() / x).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.data, -X / X**2)
    (h,) = am.grad(g.sum(), x)
    np.testing.assert_allclose(h.data, 2 * X / X**3)
    (g,) = am.grad((x * x).sum(), x, create_graph=True)  # the same tensor twice: 2x
    np.testing.assert_allclose(am.grad(g.sum(), x)[0].data, np.full(3, 2.0))
    # gradgradcheck sees the first-order gradient x.detach() move with x: not a derivative
    xc = Tensor(X.copy(), requires_grad=True)
    report = am.gradgradcheck(lambda t: t * t.detach(), [xc], raise_on_failure=False)
    assert not report.passed and report.per_input[0] > 1e-3


class SinOnPlainValues(Function):
    """sin, whose backward is right but computes on plain values: under create_graph its
    gradient is cut from the output's gradient, which jvp's double-vjp trick needs."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sin(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        plain = [value.data if isinstance(value, Tensor) else value for value in (x, grad)]
        return np.cos(plain[0]) * plain[1]


def test_strict_jvp_refuses_a_gradient_cut_from_the_double_vjp_trick():
    """PyTorch's strict mode checks that the first backward's result requires grad
    ("The gradient with respect to input 0 is independent of the inputs")."""
    x = Tensor(np.array([0.3, 0.5]))
    _, vjp_product = F.vjp(lambda a: SinOnPlainValues.apply(a), x, np.ones(2), strict=True)
    np.testing.assert_allclose(vjp_product.data, np.cos(x.data))  # first order: fine
    with pytest.raises(RuntimeError, match="jvp: .*input 0.*strict mode"):
        F.jvp(lambda a: SinOnPlainValues.apply(a), x, np.ones(2), strict=True)
    _, product = F.jvp(lambda a: a.tanh(), x, np.ones(2), strict=True)  # recorded: fine
    np.testing.assert_allclose(product.data, 1 - np.tanh(x.data) ** 2)


def test_grad_of_a_non_scalar_output_without_grad_outputs_names_its_own_argument():
    x = Tensor(X.copy(), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"^grad: .*shape \(3,\).*pass grad_outputs=") as caught:
        am.grad(x * 2.0, x)
    assert "gradient=" not in str(caught.value)  # grad() has no such argument
    with pytest.raises(RuntimeError, match=r"^backward: .*pass gradient="):
        (x * 2.0).backward()
