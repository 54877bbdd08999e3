"""Graphs of nn models, module clusters, and gradient-flow diagnostics
(CS229 Lecture 12 notes, section 7.4; Improving Deep Neural Networks notes,
sections 9-10)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

import nn
from autograd_mini import Tensor, draw_graph

from ..helpers import parse_dot


def two_layers():
    return nn.Sequential(nn.Linear(3, 4, rng=0), nn.ReLU(), nn.Linear(4, 2, rng=1))


def test_graph_of_a_two_layer_sequential():
    model = two_layers()
    x = Tensor(np.ones((5, 3)), name="x")
    y = model(x)
    nodes, edges, _ = parse_dot(draw_graph(y).source)
    labels = {node_id: attrs["label"] for node_id, attrs in nodes.items()}
    ops = sorted(label for node_id, label in labels.items() if nodes[node_id]["tooltip"] == "op")
    assert ops == ["linear", "linear", "relu"]
    params = {
        label.split("\n")[0]: node_id
        for node_id, label in labels.items()
        if nodes[node_id]["tooltip"] == "parameter"
    }
    assert set(params) == {"0.weight", "0.bias", "2.weight", "2.bias"}
    assert labels[params["0.weight"]] == "0.weight\n(4, 3) float64"
    assert len(nodes) == 11  # x, 4 parameters, 3 ops, 2 hidden tensors, the output
    # each linear op takes its input, its weight and its bias, and makes one tensor
    linear_ops = [n for n, label in labels.items() if label == "linear"]
    inputs = {op: {s for s, t in edges if t == op} for op in linear_ops}
    assert {
        frozenset(labels[s].split("\n")[0] for s in v if s in params.values())
        for v in inputs.values()
    } == {
        frozenset({"0.weight", "0.bias"}),
        frozenset({"2.weight", "2.bias"}),
    }
    assert len(edges) == 4 + 2 + 4  # each op's inputs and output: linear 3+1, relu 1+1, linear 3+1


def test_group_modules_boxes_each_modules_ops():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = two_layers()
            self.head = nn.Linear(2, 1, rng=2)

        def forward(self, x):
            return self.head(self.body(x).tanh())

    net = Net()
    y = net(Tensor(np.ones((2, 3))))
    nodes, _, clusters = parse_dot(draw_graph(y, group_modules=True).source)
    labels = {k: v["label"] for k, v in nodes.items()}
    assert set(clusters) == {"body.0: Linear", "body.1: ReLU", "body.2: Linear", "head: Linear"}
    for name, members in clusters.items():
        ops = [labels[m] for m in members if nodes[m]["tooltip"] == "op"]
        assert ops == (["relu"] if "ReLU" in name else ["linear"])
    tanh = [k for k, v in labels.items() if v == "tanh"]
    assert not any(tanh[0] in members for members in clusters.values())  # ran in Net.forward itself
    assert "head.weight\n(1, 2) float64" in labels.values()


def test_parameter_names_follow_the_outermost_module_and_can_be_set():
    model = nn.Sequential(nn.Sequential(nn.Linear(2, 2)), nn.Linear(2, 1))
    assert [p.name for p in model.parameters()] == ["0.0.weight", "0.0.bias", "1.weight", "1.bias"]
    model[1].weight.name = "output_weights"
    assert model[1].weight.name == "output_weights"
    assert nn.Parameter(np.ones(1)).name is None


def identity_chain(scale, layers=10):
    """The CS229 Lecture 12 notes' example (section 7.4): identity activations, zero biases,
    W = scale * I (2 x 2)."""
    model = nn.Sequential(*[nn.Linear(2, 2, bias=False) for _ in range(layers)])
    for layer in model:
        layer.weight.data = scale * np.eye(2)
    return model


@pytest.mark.parametrize("scale", [1.5, 0.5])
def test_activations_grow_or_shrink_like_scale_to_the_l(scale):
    x = np.random.default_rng(0).standard_normal((64, 2))
    stats = nn.utils.activation_stats(identity_chain(scale), x)
    stds = np.array([s["std"] for s in stats.values()])
    assert len(stds) == 10
    np.testing.assert_allclose(stds[1:] / stds[:-1], scale, rtol=1e-12)  # y_hat = scale^L x
    np.testing.assert_allclose(stds[-1] / x.std(), scale**10, rtol=1e-12)  # 1.5^10 ~ 57.7


@pytest.mark.parametrize("scale", [1.5, 0.5])
def test_gradients_with_respect_to_activations_explode_or_vanish_toward_the_input(scale):
    model = identity_chain(scale)
    x = Tensor(np.random.default_rng(1).standard_normal((8, 2)))
    activations = []
    for layer in model:
        x = layer(x)
        x.retain_grad()
        activations.append(x)
    x.sum().backward()
    norms = np.array([np.linalg.norm(a.grad) for a in activations])
    # dJ/dA^[l] = (W^T)^(L - l) 1: each layer closer to the input multiplies it by scale
    np.testing.assert_allclose(norms[:-1] / norms[1:], scale, rtol=1e-12)


def test_he_initialization_keeps_relu_activations_level():
    rng = np.random.default_rng(0)
    layers = []
    for _ in range(10):
        layers += [nn.Linear(256, 256, init="he", rng=rng), nn.ReLU()]
    model = nn.Sequential(*layers)
    stats = nn.utils.activation_stats(model, rng.standard_normal((512, 256)))
    relu_stds = [s["std"] for name, s in stats.items() if int(name) % 2 == 1]
    assert len(relu_stds) == 10
    assert max(relu_stds) / min(relu_stds) < 2.0
    zeros = [s["zero_fraction"] for name, s in stats.items() if int(name) % 2 == 1]
    assert all(0.4 < z < 0.6 for z in zeros)  # ReLU zeroes about half its inputs
    # while N(0, 1) weights explode: each layer multiplies the scale by about sqrt(n / 2)
    for layer in model[::2]:
        layer.weight.data = rng.standard_normal(layer.weight.shape)
    stats = nn.utils.activation_stats(model, rng.standard_normal((512, 256)))
    exploded = [s["std"] for name, s in stats.items() if int(name) % 2 == 1]
    per_layer = (exploded[-1] / exploded[0]) ** (1 / 9)
    assert 0.75 * np.sqrt(128) < per_layer < 1.25 * np.sqrt(128)


def test_activation_stats_leaves_the_module_unchanged():
    model = nn.Sequential(nn.Linear(3, 3, rng=0), nn.BatchNorm1d(3), nn.Dropout(0.5, rng=0))
    before = model.state_dict()
    stats = nn.utils.activation_stats(model, np.random.default_rng(0).standard_normal((16, 3)))
    assert list(stats) == ["0", "1", "2"] and 0.3 < stats["2"]["zero_fraction"] < 0.7
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[name], err_msg=name)
    assert all(not m._forward_hooks for m in model.modules())
    assert all(p.grad is None for p in model.parameters())


def test_grad_norms_and_their_plot():
    bad, good = identity_chain(1.5), identity_chain(1.0)
    for model in (bad, good):
        x = Tensor(np.random.default_rng(2).standard_normal((4, 2)))
        model(x).sum().backward()
    norms = nn.utils.grad_norms(bad)
    assert list(norms) == [f"{i}.weight" for i in range(10)]
    assert all(
        np.isclose(n, np.linalg.norm(p.grad)) for n, p in zip(norms.values(), bad.parameters())
    )
    ax = nn.utils.plot_grad_norms({"W = 1.5 I": bad, "W = I": good})
    assert ax.get_yscale() == "log" and len(ax.get_lines()) == 2
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel() and ax.get_legend() is not None
    with pytest.raises(ValueError, match="no gradients"):
        nn.utils.plot_grad_norms(identity_chain(1.0))


def test_module_clusters_survive_backward():
    model = two_layers()
    loss = model(Tensor(np.ones((2, 3)))).sum()
    before = parse_dot(draw_graph(loss, group_modules=True).source)[2]
    loss.backward()
    after = parse_dot(draw_graph(loss, group_modules=True, show_grad=True).source)[2]
    assert set(before) == set(after) == {"0: Linear", "1: ReLU", "2: Linear"}
