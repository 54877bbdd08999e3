"""trace_backward: the same walk as backward(), written down step by step.

Gradients equal backward's; the steps come in reverse topological order; each step's
contributions sum to its output gradient and come from the steps that consumed it; the
text, the frames (DOT and SVG) and the page say what happened; errors are backward's own.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import autograd_mini
import nn
from autograd_mini import Function, Node, Tensor, detect_anomaly, trace_backward
from autograd_mini.graph import Function as BaseFunction

from ..helpers import parse_dot

needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz's dot is not installed"
)


def three_layer_network(seed: int = 0):
    """The CS229 Lecture 12 notes' 3-layer sigmoid network, batch-first, with its loss."""
    rng = np.random.default_rng(seed)
    model = nn.Sequential(
        nn.Linear(5, 3, rng=rng),
        nn.Sigmoid(),
        nn.Linear(3, 2, rng=rng),
        nn.Sigmoid(),
        nn.Linear(2, 1, rng=rng),
        nn.Sigmoid(),
    )
    x = Tensor(rng.standard_normal((8, 5)), name="X")
    y = (rng.random((8, 1)) < 0.5).astype(float)
    loss = nn.BCELoss()(model(x), y)
    loss.name = "J"
    return model, loss


def fan_out(values=(0.5, -1.0, 2.0)):
    """L = sum(a * a) + sum(2 a), a = tanh(x): a's gradient is the sum of three parts."""
    x = Tensor(np.array(values), requires_grad=True, name="x")
    a = x.tanh()
    a.name = "a"
    return x, a, (a * a).sum() + (2 * a).sum()


def broadcast_expression():
    """(x @ w + b).relu() * x2 summed: b is broadcast over rows, x2 is used twice."""
    rng = np.random.default_rng(1)
    x = Tensor(rng.standard_normal((4, 3)), name="x")
    w = Tensor(rng.standard_normal((3, 2)), requires_grad=True, name="w")
    b = Tensor(rng.standard_normal(2), requires_grad=True, name="b")
    h = (x @ w + b).relu()
    return (w, b), (h * h + h.exp()).sum()


def op_nodes(tensor: Tensor) -> set[Node]:
    """Every op node behind ``tensor``."""
    seen, stack = set(), [tensor.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        stack.extend(p for p in node.parents if isinstance(p, Node))
    return seen


# ------------------------------------------------------------------ the walk it records


@pytest.mark.parametrize("build", [three_layer_network, broadcast_expression])
def test_the_gradients_are_those_of_backward(build):
    params_a, loss_a = build()
    params_b, loss_b = build()
    loss_a.backward()
    trace = trace_backward(loss_b)
    leaves_a = list(params_a.parameters()) if isinstance(params_a, nn.Module) else params_a
    leaves_b = list(params_b.parameters()) if isinstance(params_b, nn.Module) else params_b
    for a, b in zip(leaves_a, leaves_b):
        np.testing.assert_array_equal(a.grad, b.grad)
        np.testing.assert_array_equal(trace.leaf_grads[b], b.grad)


def test_one_step_per_op_node_in_reverse_topological_order():
    _, loss = three_layer_network()
    nodes = op_nodes(loss)
    trace = trace_backward(loss, retain_graph=True)
    assert len(trace.steps) == len(nodes) == 7
    index = {node: i for i, node in enumerate(trace._nodes)}
    assert set(index) == nodes
    for node, i in index.items():
        for parent in node.parents:
            if isinstance(parent, Node):
                assert index[parent] > i, f"{parent.name} ran before its consumer {node.name}"
    assert [s.op for s in trace.steps] == [
        "binary_cross_entropy",
        *["sigmoid", "linear"] * 3,
    ]


@pytest.mark.parametrize("build", [three_layer_network, broadcast_expression, fan_out])
def test_contributions_sum_to_the_output_gradient_and_come_from_consumers(build):
    *_, loss = build()
    trace = trace_backward(loss)
    assert trace.steps[0].contributions[0][0] is None  # the seed, dL/dL = 1
    np.testing.assert_array_equal(trace.steps[0].output_grad, 1.0)
    for i, step in enumerate(trace.steps):
        total = sum(array for _, array in step.contributions)
        np.testing.assert_allclose(total, step.output_grad, rtol=1e-15, atol=0)
        for sender, array in step.contributions:
            if sender is None:
                assert i == 0
                continue
            assert sender < i
            sent = [
                g
                for p, g in enumerate(trace.steps[sender].input_grads)
                if trace._nodes[sender]._inputs[p] is trace._nodes[i]
            ]
            assert any(np.array_equal(g, array) for g in sent)


def test_a_fanned_out_value_gets_the_sum_of_its_parts():
    x, _, loss = fan_out()
    values = np.tanh(x.data)
    trace = trace_backward(loss)
    tanh = next(s for s in trace.steps if s.op == "tanh")
    assert tanh is trace.steps[-1]
    parts = sorted((k, tuple(np.round(g, 12))) for k, g in tanh.contributions)
    senders = [trace.steps[k].op for k, _ in parts]
    assert senders == ["mul", "mul", "mul"]  # a * a sends twice, 2 * a once
    np.testing.assert_allclose(tanh.output_grad, 2 * values + 2, rtol=1e-14)  # d/da (a^2 + 2a)
    np.testing.assert_allclose(tanh.input_grads[0], (2 * values + 2) * (1 - values**2))
    np.testing.assert_array_equal(x.grad, tanh.input_grads[0])
    text = str(trace)
    assert "received dL/d(a) from 3 uses of the output, summed:" in text
    assert re.search(r"\+ from step \d \(mul\)", text)


def test_input_grads_are_per_position_summed_back_to_broadcast_shapes():
    (w, b), loss = broadcast_expression()
    trace = trace_backward(loss)
    add = next(
        i for i, node in enumerate(trace._nodes) if len(node._inputs) == 2 and node._inputs[1] is b
    )
    grad_matmul, grad_b = trace.steps[add].input_grads
    assert grad_matmul.shape == (4, 2) and grad_b.shape == (2,)
    np.testing.assert_allclose(grad_b, grad_matmul.sum(axis=0))
    matmul = next(s for s in trace.steps if s.op == "matmul")
    assert matmul.input_grads[0] is None  # x is a constant: nothing is sent to it
    np.testing.assert_array_equal(matmul.input_grads[1], w.grad)


def test_a_given_gradient_is_the_seed_and_is_copied():
    x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    seed = np.array([0.5, -1.0, 2.0])
    trace = trace_backward(x * x, gradient=seed)
    seed[:] = 0.0
    assert trace.steps[0].contributions[0][0] is None
    np.testing.assert_array_equal(trace.steps[0].output_grad, [0.5, -1.0, 2.0])
    np.testing.assert_array_equal(x.grad, [1.0, -4.0, 12.0])
    assert "the seed (the gradient given)" in str(trace)


def test_recorded_arrays_do_not_change_when_grad_accumulates_later():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = x * 3.0
    trace = trace_backward(y.sum(), retain_graph=True)
    sent = trace.steps[-1].input_grads[0].copy()
    y.sum().backward()  # a second pass adds into x.grad in place
    np.testing.assert_array_equal(trace.steps[-1].input_grads[0], sent)
    np.testing.assert_array_equal(x.grad, 2 * sent)


def test_hooks_change_the_output_gradient_and_the_text_says_so():
    h = Tensor(np.array([1.0, 2.0]), requires_grad=True, name="h")
    z = h * 3.0
    z.register_hook(lambda g: g * 10)
    trace = trace_backward(z.sum())
    np.testing.assert_array_equal(trace.steps[1].contributions[0][1], [1.0, 1.0])
    np.testing.assert_array_equal(trace.steps[1].output_grad, [10.0, 10.0])
    np.testing.assert_array_equal(h.grad, [30.0, 30.0])
    assert "after the output's hooks: shape (2,), [10., 10.]" in str(trace)


def test_a_leaf_as_root_has_no_steps():
    x = Tensor(np.array(2.0), requires_grad=True)
    trace = trace_backward(x)
    assert trace.steps == [] and x.grad == 1.0
    assert "0 steps" in str(trace)
    with pytest.raises(IndexError, match="out of range"):
        trace.draw(0)


def test_steps_are_indexed_as_a_list_and_a_wrong_index_is_refused():
    _, _, loss = fan_out()
    trace = trace_backward(loss)
    assert trace.describe(-1) == trace.describe(len(trace) - 1)
    assert trace.describe(-1).startswith(f"Step {len(trace) - 1}: tanh")
    with pytest.raises(IndexError, match=r"step 6 out of range; this trace has steps 0 to 5"):
        trace.draw(6)
    with pytest.raises(IndexError, match="out of range"):
        trace.caption(1.5)


# ------------------------------------------------------------------ retain_graph and freeing


def test_without_retain_graph_every_step_frees_and_a_second_pass_raises_as_backward():
    _, loss = three_layer_network()
    trace = trace_backward(loss)
    assert all(step.freed for step in trace.steps)
    assert sum(step.saved_nbytes for step in trace.steps) > 0
    assert "freed" in trace.describe(0) and "kept" not in str(trace)
    with pytest.raises(RuntimeError) as traced:
        trace_backward(loss)
    _, loss_b = three_layer_network()
    loss_b.backward()
    with pytest.raises(RuntimeError) as plain:
        loss_b.backward()
    assert str(traced.value) == str(plain.value)
    assert "retain_graph=True" in str(traced.value)


def test_with_retain_graph_nothing_is_freed_and_a_second_pass_accumulates():
    model, loss = three_layer_network()
    first = trace_backward(loss, retain_graph=True)
    grads = [p.grad.copy() for p in model.parameters()]
    assert not any(step.freed for step in first.steps)
    assert "(retain_graph=True)" in str(first)
    second = trace_backward(loss, retain_graph=True)
    for p, g in zip(model.parameters(), grads):
        np.testing.assert_allclose(p.grad, 2 * g, rtol=1e-15)
    for a, b in zip(first.steps, second.steps):
        np.testing.assert_array_equal(a.output_grad, b.output_grad)


# ------------------------------------------------------------------ errors are backward's


def error_of(call):
    with pytest.raises(Exception) as info:
        call()
    return type(info.value), str(info.value)


@pytest.mark.parametrize(
    "make, kwargs",
    [
        (lambda: Tensor(np.ones(3), requires_grad=True) * 2, {}),  # needs a gradient
        (lambda: Tensor(np.ones(3), requires_grad=True) * 2, {"gradient": np.ones(4)}),
        (lambda: Tensor(np.ones(3)) * 2, {}),  # does not require grad
    ],
    ids=["no-gradient", "wrong-shape", "no-grad"],
)
def test_errors_are_those_of_backward(make, kwargs):
    traced = error_of(lambda: trace_backward(make(), **kwargs))
    plain = error_of(lambda: make().backward(**kwargs))
    assert traced == plain


def test_anomaly_mode_still_checks_inside_a_trace():
    x = Tensor(np.array([0.0, 1.0]), requires_grad=True)
    with detect_anomaly(), np.errstate(divide="ignore"):
        y = x.sqrt().sum()
        with pytest.raises(RuntimeError, match="anomaly: the backward of 'sqrt'"):
            trace_backward(y)


def test_a_non_tensor_is_refused():
    with pytest.raises(TypeError, match="trace_backward: expected a Tensor, got ndarray"):
        trace_backward(np.ones(3))


# ------------------------------------------------------------------ formulas


def library_ops() -> list[type]:
    ops, stack = [], list(BaseFunction.__subclasses__())
    while stack:
        op = stack.pop()
        stack.extend(op.__subclasses__())
        if op.__module__.split(".")[0] in ("autograd_mini", "nn"):
            ops.append(op)
    return ops


def test_every_library_and_nn_fused_op_has_a_formula_that_is_not_its_name():
    ops = library_ops()
    modules = {op.__module__ for op in ops}
    assert {"autograd_mini.ops", "nn.fused"} <= modules
    assert len(ops) >= 40
    for op in ops:
        assert op.formula.strip() and op.formula != op.name, op.__name__
        assert re.search(r"d/d\w+", op.formula), f"{op.name}: {op.formula!r}"


def test_a_custom_function_shows_its_formula_or_its_name():
    class Twice(Function):
        formula = "d/dx = 2 grad"

        @staticmethod
        def forward(ctx, x):
            return 2 * x

        @staticmethod
        def backward(ctx, grad):
            return 2 * grad

    class Plain(Function):
        @staticmethod
        def forward(ctx, x):
            return x + 0.0

        @staticmethod
        def backward(ctx, grad):
            return grad

    x = Tensor(np.ones(2), requires_grad=True)
    trace = trace_backward(Plain.apply(Twice.apply(x)).sum())
    assert [s.formula for s in trace.steps[1:]] == ["Plain", "d/dx = 2 grad"]
    assert "rule: d/dx = 2 grad" in str(trace)


# ------------------------------------------------------------------ the text


def test_the_text_tells_each_step_of_a_three_layer_network():
    _, loss = three_layer_network()
    trace = trace_backward(loss)
    text = str(trace)
    paragraphs = text.split("\n\n")
    assert len(paragraphs) == 1 + 7
    assert paragraphs[0].startswith("Backward from J, shape (): 7 steps")
    assert paragraphs[1].splitlines()[:2] == [
        "Step 0: binary_cross_entropy (output: J, shape ())",
        "  received dL/d(J) from the seed (dL/dL = 1): 1",
    ]
    for i, (paragraph, step) in enumerate(zip(paragraphs[1:], trace.steps)):
        assert paragraph.startswith(f"Step {i}: {step.op}")
        assert "rule: " + " ".join(step.formula.split()) in " ".join(paragraph.split())
        assert "freed" in paragraph
    assert "sent to input 1, 4.weight: shape (1, 2)" in text  # parameters by module path
    assert "sent to input 0, the output of step 3 (sigmoid): shape (8, 2), norm" in text
    assert "X" not in re.findall(r"sent to input \d, (\S+)", text)  # nothing sent to the input
    assert max(len(line) for line in text.splitlines()) <= 88


def test_big_arrays_are_summarised_by_shape_norm_and_first_values():
    x = Tensor(np.arange(1000.0).reshape(10, 100), requires_grad=True, name="x")
    trace = trace_backward((x * x).sum())
    norm = np.linalg.norm(x.data)  # mul sends grad * x to each of its two inputs
    assert f"input 1, x: shape (10, 100), norm {norm:.4g}, values [0, 1, 2, ...]" in str(trace)
    assert len(str(trace)) < 1500


# ------------------------------------------------------------------ frames


def frame(trace, i):
    nodes, _, clusters = parse_dot(trace.draw(i).source)
    ops = {
        int(re.search(r"step (\d+)", attrs["label"]).group(1)): attrs
        for attrs in nodes.values()
        if attrs.get("tooltip", "").startswith("op")
    }
    return nodes, ops, clusters


def test_a_frame_styles_done_current_and_pending_ops_apart():
    _, loss = three_layer_network()
    trace = trace_backward(loss)
    nodes, ops, clusters = frame(trace, 3)
    assert sorted(ops) == list(range(7))
    for step, attrs in ops.items():
        if step < 3:
            assert attrs["fillcolor"] == "#e0e0e0", step  # done
        elif step == 3:
            assert attrs["fillcolor"] == "#fdae61" and "bold" in attrs["style"]  # now
        else:
            assert "dashed" in attrs["style"] and "filled" not in attrs["style"]  # to come
    labels = [attrs.get("label", "") for attrs in nodes.values()]
    assert "0.weight\n(3, 5) float64\ngrad: not yet" in labels  # by module path, not known yet
    w3 = next(lab for lab in labels if lab.startswith("4.weight"))
    assert f"grad norm {np.linalg.norm(trace.steps[2].input_grads[1]):.3g}" in w3
    assert "J\n() float64\ngrad 1" in labels
    assert {"0: Linear", "1: Sigmoid", "4: Linear"} <= set(clusters)  # boxed as draw_graph does
    source = " ".join(trace.draw(3).source.replace("\\n", " ").split())
    assert " ".join(trace.caption(3).split()) in source  # the caption, folded, on top
    assert "Step 3:" not in trace.draw(3, caption=False).source


def test_a_frame_shows_a_partial_sum_of_a_fanned_out_gradient():
    _, _, loss = fan_out()
    trace = trace_backward(loss)
    first_mul = min(k for k, _ in trace.steps[-1].contributions)
    nodes, _, _ = frame(trace, first_mul)
    labels = [attrs.get("label", "") for attrs in nodes.values()]
    a_label = next(lab for lab in labels if lab.startswith("a\n"))
    assert re.search(r"\((1|2) of 3\)$", a_label)
    nodes, _, _ = frame(trace, len(trace.steps) - 1)
    a_label = next(
        a.get("label", "") for a in nodes.values() if a.get("label", "").startswith("a\n")
    )
    assert "of 3" not in a_label and "grad norm" in a_label


@needs_dot
def test_the_page_has_one_svg_frame_per_step_a_slider_and_no_network():
    _, loss = three_layer_network()
    trace = trace_backward(loss)
    page = trace._repr_html_()
    assert page.count("<svg") == 7 and page.count('class="am-frame"') == 7
    assert 'type="range"' in page and 'max="6"' in page
    assert "am-previous" in page and "am-next" in page
    for i in range(7):
        assert trace.caption(i).replace("&", "&amp;").replace("'", "&#x27;") in page
    assert not re.search(r"<(link|img|iframe)\b|\bsrc=|url\(|@import", page)
    assert not re.search(r'href="(https?:)?//', page)
    svg = trace.draw(2).pipe(format="svg").decode()
    assert "step 2" in svg and "grad norm" in svg


@needs_dot
def test_save_html_writes_a_whole_document(tmp_path):
    _, _, loss = fan_out()
    trace = trace_backward(loss)
    path = tmp_path / "trace.html"
    trace.save_html(path)
    document = path.read_text(encoding="utf-8")
    assert document.startswith("<!DOCTYPE html>") and document.rstrip().endswith("</html>")
    assert document.count("<svg") == len(trace.steps)


def test_import_and_text_work_without_graphviz(tmp_path):
    script = textwrap.dedent(
        """
        import sys
        sys.modules["graphviz"] = None  # an import of graphviz now fails
        import numpy as np
        from autograd_mini import Tensor, trace_backward
        x = Tensor(np.ones(2), requires_grad=True)
        trace = trace_backward((x * x).sum())
        assert "Step 1: mul" in str(trace)
        page = trace._repr_html_()
        assert page.startswith("<pre>") and "graphviz" in page and "Step 1: mul" in page
        try:
            trace.draw(0)
        except ImportError as error:
            assert "pip install graphviz" in str(error)
        else:
            raise AssertionError("draw without graphviz should raise")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr


def test_trace_backward_is_a_top_level_name():
    assert autograd_mini.trace_backward is trace_backward
    assert "BackwardTrace" in autograd_mini.__all__ and "trace_backward" in autograd_mini.__all__


def test_an_op_no_gradient_reaches_is_drawn_apart_and_has_no_step():
    class Blocked(Function):
        formula = "d/dx = nothing (blocked)"

        @staticmethod
        def forward(ctx, x):
            return x * 1.0

        @staticmethod
        def backward(ctx, grad):
            return None

    x = Tensor(np.ones(3), requires_grad=True)
    trace = trace_backward(Blocked.apply(x.exp()).sum())
    assert [s.op for s in trace.steps] == ["sum", "Blocked"]
    assert trace.steps[1].input_grads == (None,) and x.grad is None
    assert "sent to" not in trace.describe(1) and "It sends nothing." in trace.caption(1)
    labels = [a.get("label", "") for a in parse_dot(trace.draw(1).source)[0].values()]
    assert "exp\nno gradient reached it" in labels
