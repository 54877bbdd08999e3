"""The semantics of the graph and of backward, one by one (API.md, "Graph and backward")."""

from __future__ import annotations

import gc
import threading
import weakref

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import autograd_mini as am
from autograd_mini import Tensor

from ..helpers import arrays, floats


def test_each_op_records_one_node_with_its_inputs():
    x = Tensor([1.0, 2.0], requires_grad=True)
    w = Tensor([3.0, 4.0], requires_grad=True)
    y = x * w
    z = y.sum()
    assert x.is_leaf and x.grad_fn is None
    assert not y.is_leaf and y.grad_fn.name == "mul"
    assert z.grad_fn.name == "sum"
    assert y.grad_fn.parents == (x, w)
    assert z.grad_fn.parents == (y.grad_fn,)  # an op's output is known by the node that made it
    assert repr(z.grad_fn) == "<grad_fn sum>"


def test_no_node_when_no_input_requires_grad():
    y = Tensor([1.0]) * 2 + Tensor([3.0])
    assert y.grad_fn is None and not y.requires_grad


def test_constant_inputs_get_no_gradient_and_no_parent():
    x = Tensor([1.0, 2.0], requires_grad=True)
    c = Tensor([5.0, 6.0])
    y = x * c
    assert y.grad_fn.parents == (x, None)
    assert y.grad_fn.needs_input_grad == (True, False)
    y.sum().backward()
    assert c.grad is None
    np.testing.assert_array_equal(x.grad, [5.0, 6.0])


def test_gradients_accumulate_into_leaves():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * 4).sum().backward()
    np.testing.assert_array_equal(x.grad, [7.0, 7.0])
    x.zero_grad()
    assert x.grad is None


def test_a_tensor_used_twice_gets_the_sum_of_both_paths():
    x = Tensor([2.0], requires_grad=True)
    y = x * x + x  # dy/dx = 2x + 1
    y.backward()
    np.testing.assert_array_equal(x.grad, [5.0])


def test_diamond_graph_runs_each_node_once():
    x = Tensor([1.5], requires_grad=True)
    a = x.exp()
    b = a * 2
    c = a * 3
    (b + c).backward()  # d/dx 5 e^x
    np.testing.assert_allclose(x.grad, 5 * np.exp(1.5))


def test_leaf_grads_are_fresh_arrays_not_shared():
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0, 4.0], requires_grad=True)
    seed = np.array([1.0, 1.0])
    (a + b).backward(seed)
    assert a.grad is not b.grad and a.grad is not seed
    a.grad += 1
    np.testing.assert_array_equal(b.grad, [1.0, 1.0])
    np.testing.assert_array_equal(seed, [1.0, 1.0])


def test_non_leaf_keeps_no_grad_unless_retained():
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    kept = x * 3
    kept.retain_grad()
    (h.sum() + kept.sum() * 2).backward()
    with pytest.warns(UserWarning, match="not a leaf Tensor is being accessed"):
        assert h.grad is None
    np.testing.assert_array_equal(kept.grad, [2.0, 2.0])
    x.retain_grad()  # harmless on a leaf


def test_backward_needs_a_gradient_for_non_scalar_outputs():
    y = Tensor(np.ones((3, 4)), requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"shape \(3, 4\).*gradient=.*\.sum\(\)"):
        y.backward()
    y.backward(np.ones((3, 4)))
    with pytest.raises(
        RuntimeError, match=r"gradient has shape \(4,\) but the output has shape \(3, 4\)"
    ):
        (Tensor(np.ones((3, 4)), requires_grad=True) * 2).backward(np.ones(4))


def test_single_element_output_of_any_shape():
    x = Tensor([[2.0]], requires_grad=True)
    (x * 3).backward()
    np.testing.assert_array_equal(x.grad, [[3.0]])


def test_backward_on_a_tensor_that_does_not_require_grad():
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor([1.0]).sum().backward()


def test_grad_is_an_ndarray_even_for_a_scalar_reached_by_scalar_arithmetic():
    x = Tensor(3.0, requires_grad=True)
    y = Tensor(np.float32(2.0), requires_grad=True)
    ((x * 2 - 1) / 4).backward()
    (y * 3).backward()
    assert type(x.grad) is np.ndarray and x.grad.dtype == np.float64 and x.grad == 0.5
    assert type(y.grad) is np.ndarray and y.grad.dtype == np.float32 and y.grad == 3.0


def test_backward_on_a_leaf():
    x = Tensor(3.0, requires_grad=True)
    x.backward()
    assert x.grad == 1.0


def test_graph_is_freed_after_backward():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match=r"second time.*retain_graph=True"):
        y.backward()


def test_retain_graph_allows_a_second_backward():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_array_equal(x.grad, [4.0, 8.0])


def test_saved_arrays_are_released():
    x = Tensor(np.ones(3), requires_grad=True)
    y = x.exp()
    node = y.grad_fn
    y.sum().backward()
    assert node.saved is None


def test_deep_chain_of_100000_ops():
    x = Tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.backward()
    assert x.grad == 1.0
    del y  # freeing the chain must not overflow the stack either
    gc.collect()


def test_grad_returns_tensors_and_leaves_dot_grad_alone():
    x = Tensor([1.0, 2.0], requires_grad=True)
    w = Tensor([3.0, 4.0], requires_grad=True)
    y = (x * w).sum()
    gx, gw = am.grad(y, [x, w])
    assert isinstance(gx, Tensor) and not gx.requires_grad
    np.testing.assert_array_equal(gx.data, [3.0, 4.0])
    np.testing.assert_array_equal(gw.data, [1.0, 2.0])
    assert x.grad is None and w.grad is None


def test_grad_with_respect_to_an_intermediate_tensor():
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    y = (h * h).sum()
    (gh,) = am.grad(y, h)
    np.testing.assert_array_equal(gh.data, 2 * h.data)


def test_grad_with_several_outputs_and_grad_outputs():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y1, y2 = x * 2, x * 3
    (gx,) = am.grad([y1, y2], [x], grad_outputs=[np.array([1.0, 0.0]), np.array([0.0, 1.0])])
    np.testing.assert_array_equal(gx.data, [2.0, 3.0])


def test_grad_unused_input():
    x = Tensor([1.0], requires_grad=True)
    unused = Tensor([1.0], requires_grad=True)
    y = (x * 2).sum()
    with pytest.raises(RuntimeError, match="allow_unused=True"):
        am.grad(y, [x, unused], retain_graph=True)
    gx, gu = am.grad(y, [x, unused], allow_unused=True)
    assert gu is None
    np.testing.assert_array_equal(gx.data, [2.0])


def test_grad_errors_name_the_problem():
    x = Tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="input 0 does not require grad"):
        am.grad((x * 2).sum(), [Tensor([1.0])])
    with pytest.raises(ValueError, match="2 outputs but 1 grad_outputs"):
        am.grad([x * 2, x * 3], [x], grad_outputs=[np.ones(1)])


@given(x0=arrays((3,), floats(-2, 2)), v=arrays((3,), floats(-1, 1)))
def test_hessian_vector_product_matches_finite_differences_of_the_gradient(x0, v):
    def f(t):
        return (
            (t.tanh() * t * t).sum() + (t.sigmoid() * t.sum()).sum() + (t.exp() / (1 + t * t)).sum()
        )

    x = Tensor(x0, requires_grad=True)
    (g,) = am.grad(f(x), x, create_graph=True)
    assert g.requires_grad and g.grad_fn is not None
    (hv,) = am.grad((g * Tensor(v)).sum(), x)

    def gradient_at(point):
        t = Tensor(point, requires_grad=True)
        (gradient,) = am.grad(f(t), t)
        return gradient.data

    eps = 1e-5
    expected = (gradient_at(x0 + eps * v) - gradient_at(x0 - eps * v)) / (2 * eps)
    np.testing.assert_allclose(hv.data, expected, rtol=1e-6, atol=1e-8)


def test_create_graph_in_backward_keeps_grad_an_ndarray():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x**3).sum().backward(create_graph=True)
    assert isinstance(x.grad, np.ndarray)
    np.testing.assert_array_equal(x.grad, [3.0, 12.0])


def test_no_grad_context_and_decorator():
    x = Tensor([1.0], requires_grad=True)
    with am.no_grad():
        assert not am.is_grad_enabled()
        y = x * 2
        with am.enable_grad():
            assert am.is_grad_enabled()
            z = x * 2
    assert am.is_grad_enabled()
    assert y.grad_fn is None and not y.requires_grad
    assert z.grad_fn is not None

    @am.no_grad()
    def evaluate(t):
        return t * 2

    assert evaluate(x).grad_fn is None
    assert am.is_grad_enabled()
    with am.set_grad_enabled(False):
        assert not am.is_grad_enabled()
    assert am.is_grad_enabled()


def test_grad_mode_is_per_thread():
    x = Tensor([1.0], requires_grad=True)
    inside_no_grad = threading.Event()
    other_done = threading.Event()
    seen = {}

    def other_thread():
        inside_no_grad.wait()
        seen["enabled"] = am.is_grad_enabled()
        seen["recorded"] = (x * 2).grad_fn is not None
        other_done.set()

    thread = threading.Thread(target=other_thread)
    thread.start()
    with am.no_grad():
        inside_no_grad.set()
        other_done.wait()
        assert (x * 2).grad_fn is None
    thread.join()
    assert seen == {"enabled": True, "recorded": True}


def test_detach_and_requires_grad_():
    x = Tensor([1.0], requires_grad=True)
    y = x * 2
    d = y.detach()
    assert d.is_leaf and not d.requires_grad and d.data is y.data
    with pytest.raises(RuntimeError, match="only leaf tensors"):
        y.requires_grad_(False)
    leaf = Tensor([1.0]).requires_grad_()
    assert leaf.requires_grad
    leaf.requires_grad = False
    assert not leaf.requires_grad


class TestVersionCounter:
    def test_assigning_data_of_a_saved_input_raises_naming_the_op(self):
        x = Tensor([1.0, 2.0], requires_grad=True)
        w = Tensor([3.0, 4.0], requires_grad=True)
        y = (x * w).sum()
        w.data = np.array([0.0, 0.0])
        with pytest.raises(RuntimeError, match=r"mul: input 1 \(shape \(2,\)\) was modified"):
            y.backward()

    def test_in_place_update_through_the_property_raises(self):
        w = Tensor([3.0, 4.0], requires_grad=True)
        y = (w * w).sum()
        w.data -= 0.1 * np.ones(2)  # the SGD update, done before backward by mistake
        with pytest.raises(RuntimeError, match="mul: input 0"):
            y.backward()

    def test_modifying_a_saved_output_raises(self):
        x = Tensor([1.0, 2.0], requires_grad=True)
        y = x.exp()
        loss = y.sum()
        y.data += 1
        with pytest.raises(RuntimeError, match="exp: its output"):
            loss.backward()

    def test_modifying_an_input_the_op_did_not_save_is_fine(self):
        x = Tensor([1.0, 2.0], requires_grad=True)
        y = x.exp()  # exp saves its output, not x
        loss = y.sum()
        x.data += 1
        loss.backward()
        np.testing.assert_allclose(x.grad, np.exp([1.0, 2.0]))

    def test_modifying_an_intermediate_result_that_a_later_op_saved_raises(self):
        x = Tensor([1.0, 2.0], requires_grad=True)
        h = x * 2  # an op's output, not a leaf
        loss = (h * h).sum()  # this mul saved h's values
        h.data += 1
        with pytest.raises(RuntimeError, match=r"mul: input 0 \(shape \(2,\)\) was modified"):
            loss.backward()

    def test_the_check_reaches_the_recorded_backward_of_create_graph(self):
        """Double backward takes views of stand-ins for h; they share h's counter."""
        x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
        w = Tensor(np.ones((3, 2)), requires_grad=True)
        h = x * 2
        y = ((h @ w) * (x * 3).sum()).sum()
        (grad_w,) = am.grad(y, [w], create_graph=True)
        h.data += 1
        with pytest.raises(RuntimeError, match="was modified"):
            am.grad(grad_w.sum(), [x])

    def test_version_increases_on_each_assignment(self):
        x = Tensor([1.0])
        before = x._version
        x.data += 1
        x.data = np.array([5.0])
        assert x._version > before

    def test_writing_into_the_array_is_not_tracked(self):
        x = Tensor([1.0, 2.0], requires_grad=True)
        y = (x * x).sum()
        x.data[0] = 10.0  # documented: not tracked, as in PyTorch
        y.backward()
        np.testing.assert_array_equal(x.grad, [20.0, 4.0])


class TestHooks:
    def test_tensor_hook_sees_and_replaces_the_gradient(self):
        x = Tensor([1.0, 2.0], requires_grad=True)
        h = x * 3
        seen = []
        h.register_hook(lambda g: seen.append(g.copy()))
        handle = h.register_hook(lambda g: g * 10)
        h.sum().backward()
        np.testing.assert_array_equal(seen[0], [1.0, 1.0])
        np.testing.assert_array_equal(x.grad, [30.0, 30.0])
        handle.remove()
        x.zero_grad()
        (x * 3).sum().backward()
        np.testing.assert_array_equal(x.grad, [3.0, 3.0])

    def test_leaf_hook_sees_the_summed_gradient_once(self):
        x = Tensor([1.0], requires_grad=True)
        calls = []
        handle = x.register_hook(lambda g: calls.append(float(g[0])))
        (x * 2 + x * 3).sum().backward()
        assert calls == [5.0]
        handle.remove()
        handle.remove()  # removing twice is harmless
        (x * 2).sum().backward()
        assert calls == [5.0]

    def test_hook_on_a_tensor_without_grad_raises(self):
        with pytest.raises(RuntimeError, match="does not require grad"):
            Tensor([1.0]).register_hook(print)

    def test_hook_returning_the_wrong_shape_raises(self):
        x = Tensor([1.0, 2.0], requires_grad=True)
        x.register_hook(lambda g: g.sum())
        with pytest.raises(RuntimeError, match="returned a gradient of shape"):
            (x * 2).sum().backward()


def test_graph_does_not_keep_dropped_outputs_alive():
    """As in PyTorch, the graph holds what ops saved, not the intermediate tensors."""
    x = Tensor(np.ones(3), requires_grad=True)
    y = x.exp()
    ref = weakref.ref(y)
    loss = (y * 2).sum()
    del y
    gc.collect()
    assert ref() is None
    loss.backward()  # the mul saved y's values, which is all backward needs
    np.testing.assert_allclose(x.grad, 2 * np.exp(np.ones(3)))


@given(data=st.data())
def test_broadcast_gradients_are_summed_to_each_input_shape(data):
    x = data.draw(arrays((3, 1)), label="x")
    b = data.draw(arrays((4,)), label="b")
    tx, tb = Tensor(x, requires_grad=True), Tensor(b, requires_grad=True)
    (tx * tb).sum().backward()
    np.testing.assert_allclose(tx.grad, np.full((3, 1), b.sum()))
    np.testing.assert_allclose(tb.grad, np.full(4, x.sum()))


def test_a_freed_graph_keeps_no_intermediate_results_alive():
    """After backward, keeping the loss (losses.append(loss)) keeps only leaves, as in PyTorch."""
    x = Tensor(np.ones((100, 100)), requires_grad=True)
    hidden = (x * 2).tanh()  # tanh saves its output: the graph holds hidden's values
    values = weakref.ref(hidden.data)
    loss = (hidden * 3).sum()
    del hidden
    gc.collect()
    assert values() is not None  # before backward the graph needs them
    loss.backward()
    gc.collect()
    assert values() is None
    assert loss.grad_fn.parents[0].name == "mul"  # the graph's structure stays, for drawings
    assert loss.grad_fn.parents[0].parents[0].output_info[0] == (100, 100)


def test_grad_leaves_retained_grads_alone():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    y.retain_grad()
    am.grad((y * y).sum(), x)
    assert y.grad is None and x.grad is None


def test_no_grad_as_a_bare_decorator():
    @am.no_grad
    def evaluate(t):
        return t * 2

    assert evaluate(Tensor([1.0], requires_grad=True)).grad_fn is None
    assert am.is_grad_enabled()


class TestViewsShareTheVersionCounter:
    def test_modifying_a_tensor_through_its_transpose_is_caught(self):
        a = Tensor([[1.0, 2.0]], requires_grad=True)
        w = Tensor(np.ones((2, 2)), requires_grad=True)
        y = (a @ w.T).sum()  # matmul saved w.T, a view of w
        w.data -= 10
        with pytest.raises(RuntimeError, match="matmul: input 1"):
            y.backward()

    def test_slices_reshapes_and_detach_share_it(self):
        x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = (x[0:2] * x[0:2]).sum()
        x.data += 100
        with pytest.raises(RuntimeError, match="mul: input 0"):
            y.backward()
        z = Tensor(np.ones((2, 2)), requires_grad=True)
        loss = (z.reshape(4) * 2.0).sum()  # mul saved the reshaped view of z
        z.detach().data += 1  # changes z's values too
        assert z._version > 0
        with pytest.raises(RuntimeError, match="mul: input 0"):
            loss.backward()

    def test_an_advanced_index_copy_does_not_share(self):
        x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
        picked = x[[0, 2]]
        y = (picked * picked).sum()
        x.data += 1  # picked is a copy: its values did not change
        y.backward()
        np.testing.assert_array_equal(x.grad, [2.0, 0.0, 6.0])


def test_a_freed_graph_keeps_no_intermediate_arrays_either():
    x = Tensor(np.ones((50, 40)), requires_grad=True)
    hidden = x * 3.0  # mul saves its inputs (x), not its output
    values = weakref.ref(hidden.data)
    loss = ((hidden * 2.0).exp()).sum()  # the second mul saves hidden's values
    del hidden
    gc.collect()
    assert values() is not None
    loss.backward()
    gc.collect()
    assert values() is None


def test_a_copy_made_by_a_view_op_does_not_share_the_version():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    copy = x.T.reshape(-1)  # transposed, then flattened: numpy must copy
    loss = (x * x).sum()
    copy.data = copy.data + 1
    loss.backward()  # x itself was not modified
    np.testing.assert_array_equal(x.grad, 2 * x.data)


# unary and binary steps of random graphs; several of them pass the gradient through
# (add, reshape, transpose, indexing views) so that arrays could be shared
_GRAPH_STEPS = [
    lambda a, b: a + b,
    lambda a, b: a - b,
    lambda a, b: a * b,
    lambda a, b: (a + b).T.T,
    lambda a, b: a.reshape(-1).reshape(a.shape) + b,
    lambda a, b: am.concatenate([a, b], axis=0)[: a.shape[0]],
    lambda a, b: am.stack([a, b])[0] + b[0:1],
    lambda a, b: a.relu() + b.tanh(),
    lambda a, b: a + b.sum(axis=0, keepdims=True),
]


@given(
    steps=st.lists(
        st.tuples(st.integers(0, len(_GRAPH_STEPS) - 1), st.integers(0, 9), st.integers(0, 9)),
        min_size=1,
        max_size=8,
    ),
    hooked=st.booleans(),
)
@example(steps=[(0, 0, 1)], hooked=False)  # a + b: one gradient array for both leaves
@example(steps=[(3, 0, 1)], hooked=False)  # (a + b).T.T: views of it
@example(steps=[(0, 0, 1), (0, 4, 2)], hooked=True)
def test_no_two_gradients_share_memory(steps, hooked):
    """Leaves' .grad arrays are their own: never shared with another leaf, data or seed."""
    rng = np.random.default_rng(0)
    leaves = [Tensor(rng.standard_normal((2, 3)), requires_grad=True) for _ in range(3)]
    constant = Tensor(rng.standard_normal((2, 3)))
    values = [*leaves, constant]
    for step, first, second in steps:
        values.append(_GRAPH_STEPS[step](values[first % len(values)], values[second % len(values)]))
    if not values[-1].requires_grad:
        return
    held = np.ones((2, 3))
    if hooked:  # a hook's array belongs to the hook's author
        values[-1].register_hook(lambda g: held)
    seed = np.ones(values[-1].shape)
    values[-1].backward(seed)
    arrays = [seed, held, constant.data, *(leaf.data for leaf in leaves)]
    grads = [leaf.grad for leaf in leaves if leaf.grad is not None]
    for position, grad in enumerate(grads):
        assert type(grad) is np.ndarray
        for other in arrays + grads[position + 1 :]:
            assert not np.shares_memory(grad, other)
