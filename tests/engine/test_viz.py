"""draw_graph: structure of the DOT source, labels, styles, rendering with and without dot."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ElementTree

import graphviz
import numpy as np
import pytest

from autograd_mini import GraphvizNotInstalledError, Tensor, draw_graph

from ..helpers import parse_dot

needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz's dot is not installed"
)


def example():
    """y = (x @ w + b).relu().sum() with x a constant batch, w and b leaves."""
    x = Tensor(np.ones((3, 4)), name="x")
    w = Tensor(np.full((4, 2), 0.5), requires_grad=True, name="w")
    b = Tensor(np.array([-1.0, 1.0]), requires_grad=True, name="b")
    y = (x @ w + b).relu().sum()
    return x, w, b, y


def by_label(nodes):
    """Node ids by the first line of their label."""
    return {attrs["label"].split("\n")[0]: node_id for node_id, attrs in nodes.items()}


def test_dot_has_exactly_the_tensors_ops_and_edges_of_the_expression():
    *_, y = example()
    nodes, edges, _ = parse_dot(draw_graph(y).source)
    ops = {attrs["label"] for attrs in nodes.values() if attrs["tooltip"] == "op"}
    assert ops == {"matmul", "add", "relu", "sum"}
    kinds = sorted(attrs["tooltip"] for attrs in nodes.values())
    assert kinds == sorted(
        [
            "constant",
            "leaf",
            "leaf",
            "intermediate",
            "intermediate",
            "intermediate",
            "output",
            "op",
            "op",
            "op",
            "op",
        ]
    )
    ids = by_label(nodes)
    op_ids = {
        attrs["label"]: node_id for node_id, attrs in nodes.items() if attrs["tooltip"] == "op"
    }

    def output_of(op):
        (target,) = [t for s, t in edges if s == op_ids[op]]
        return target

    expected = {
        (ids["x"], op_ids["matmul"]),
        (ids["w"], op_ids["matmul"]),
        (op_ids["matmul"], output_of("matmul")),
        (output_of("matmul"), op_ids["add"]),
        (ids["b"], op_ids["add"]),
        (op_ids["add"], output_of("add")),
        (output_of("add"), op_ids["relu"]),
        (op_ids["relu"], output_of("relu")),
        (output_of("relu"), op_ids["sum"]),
        (op_ids["sum"], output_of("sum")),
    }
    assert set(edges) == expected and len(edges) == len(expected)
    assert nodes[output_of("sum")]["tooltip"] == "output"


def test_labels_show_name_shape_dtype_and_on_request_data_and_grad_norm():
    _, w, _, y = example()
    nodes, _, _ = parse_dot(draw_graph(y).source)
    labels = {attrs["label"] for attrs in nodes.values()}
    assert "w\n(4, 2) float64" in labels and "x\n(3, 4) float64" in labels
    assert "(3, 2) float64" in labels and "() float64" in labels
    assert not any("grad norm" in label for label in labels)
    y.backward()
    nodes, _, _ = parse_dot(draw_graph(y, show_grad=True, show_data=True).source)
    w_label = nodes[by_label(nodes)["w"]]["label"]
    assert f"grad norm {np.linalg.norm(w.grad):.3g}" in w_label
    assert "[[0.5, 0.5]" in w_label
    assert "grad norm" not in nodes[by_label(nodes)["x"]]["label"]  # no gradient kept for x


def test_kinds_are_styled_apart():
    *_, y = example()
    nodes, _, _ = parse_dot(draw_graph(y).source)
    styles = {
        attrs["tooltip"]: (attrs.get("style"), attrs.get("fillcolor")) for attrs in nodes.values()
    }
    assert len(set(styles.values())) == len(styles)  # output, leaf, constant, intermediate, op


def test_a_tensor_used_twice_is_drawn_once_and_rankdir_is_passed_on():
    a = Tensor([1.0, 2.0], requires_grad=True, name="a")
    h = a.exp()
    y = (h * h + h).sum()
    nodes, edges, _ = parse_dot(draw_graph(y, rankdir="TB").source)
    assert sum(attrs["label"].startswith("a\n") for attrs in nodes.values()) == 1
    exp_output = next(t for s, t in edges if nodes[s].get("label") == "exp")
    assert sum(1 for s, _ in edges if s == exp_output) == 3  # into mul twice and into add
    assert "rankdir=TB" in draw_graph(y, rankdir="TB").source


def test_the_graph_can_be_drawn_after_backward():
    *_, y = example()
    before = parse_dot(draw_graph(y).source)
    y.backward()
    assert parse_dot(draw_graph(y).source) == before


def test_max_nodes_guard():
    x = Tensor(1.0, requires_grad=True)
    y = x
    for _ in range(200):
        y = y * 1.01
    with pytest.raises(ValueError, match=r"more than 300 tensors and ops.*max_nodes"):
        draw_graph(y)
    assert draw_graph(y, max_nodes=1000).source.count("->") == 400
    with pytest.raises(TypeError, match="expected a Tensor"):
        draw_graph(np.ones(3))


def test_result_is_a_digraph():
    *_, y = example()
    assert isinstance(draw_graph(y), graphviz.Digraph)


@needs_dot
def test_rendering_with_dot_gives_valid_svg(tmp_path):
    *_, y = example()
    path = draw_graph(y).render(tmp_path / "graph", format="svg")
    root = ElementTree.parse(path).getroot()
    assert root.tag.endswith("svg")
    titles = [el.text for el in root.iter() if el.tag.endswith("title")]
    assert "t0" in titles and any(t and "->" in t for t in titles)
    assert (tmp_path / "graph.png").exists() is False
    draw_graph(y).render(tmp_path / "graph", format="png")
    assert (tmp_path / "graph.png").read_bytes()[:4] == b"\x89PNG"


@needs_dot
def test_tensors_show_their_graph_as_svg_in_jupyter():
    *_, y = example()
    svg = y._repr_svg_()
    assert ElementTree.fromstring(svg).tag.endswith("svg")
    assert Tensor([1.0])._repr_svg_() is None  # nothing to draw for a leaf


def test_without_dot_rendering_explains_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot anywhere on PATH
    *_, y = example()
    drawing = draw_graph(y)
    with pytest.raises(GraphvizNotInstalledError, match="apt-get install graphviz"):
        drawing.render(tmp_path / "graph", format="svg")
    with pytest.raises(GraphvizNotInstalledError, match=r"\.source"):
        drawing.pipe(format="svg")
    assert drawing.source.startswith("digraph")
    assert "apt-get install graphviz" in drawing._repr_mimebundle_()["text/plain"]
    assert y._repr_svg_() is None  # Jupyter falls back to the text repr


def test_retained_gradients_are_shown_after_backward():
    w = Tensor(np.ones(3), requires_grad=True, name="w")
    z = w * 2.0
    z.name = "z"
    z.retain_grad()
    y = z.sum()
    y.backward()
    nodes, _, _ = parse_dot(draw_graph(y, show_grad=True).source)
    z_label = next(a["label"] for a in nodes.values() if a["label"].startswith("z\n"))
    assert f"grad norm {np.linalg.norm(np.ones(3)):.3g}" in z_label
