"""draw_graph: the computation graph behind a tensor, as a graphviz.Digraph.

One graph node per tensor (its name, shape and dtype; optionally its values
and its gradient's norm) and per op, with edges in data-flow order: input
tensor -> op -> output tensor. A tensor used by several ops is drawn once.
Kinds are styled apart: parameters (green), other leaves that require grad
(blue), constants such as the input batch (grey, dashed), intermediate
results (white) and the output (orange). Each node's ``tooltip`` starts
with its kind, so the kinds can also be read from the DOT source.

Rendering (``.render(...)``, ``.pipe()``, the inline SVG in Jupyter) needs
Graphviz's ``dot`` program; without it these raise
``GraphvizNotInstalledError`` saying how to install it, and the DOT text is
still available as ``.source``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .function import Node
from .tensor import Tensor

try:
    import graphviz
except ImportError as error:  # pragma: no cover - graphviz is a dependency
    raise ImportError("draw_graph needs the graphviz package: pip install graphviz") from error

INSTALL_HINT = (
    "Graphviz's `dot` program is not on PATH, so the graph cannot be rendered. Install it "
    "(Debian/Ubuntu: sudo apt-get install graphviz; macOS: brew install graphviz; conda: "
    "conda install graphviz), or read the DOT text in .source."
)

STYLES = {
    "output": dict(shape="box", style="filled,bold", fillcolor="#fdd49e"),
    "parameter": dict(shape="box", style="filled", fillcolor="#c7e9c0"),
    "leaf": dict(shape="box", style="filled", fillcolor="#c6dbef"),
    "constant": dict(shape="box", style="dashed", color="#969696", fontcolor="#525252"),
    "intermediate": dict(shape="box", style="rounded"),
    "op": dict(shape="ellipse", style="filled", fillcolor="#eeeeee", fontname="Helvetica-Bold"),
}

# Functions that name the scopes (e.g. nn modules) that ops ran in: given the
# graph's tensors, each returns {node: scope label}. nn registers one.
ScopeResolver = Callable[[list[Tensor]], dict[Node, str]]
_scope_resolvers: list[ScopeResolver] = []


def register_scope_resolver(resolver: ScopeResolver) -> None:
    """Let a library (nn) tell ``draw_graph(group_modules=True)`` which scope ran each op."""
    if resolver not in _scope_resolvers:
        _scope_resolvers.append(resolver)


class GraphvizNotInstalledError(RuntimeError):
    """Rendering was asked for but Graphviz's ``dot`` program is missing."""


class GraphDrawing(graphviz.Digraph):
    """A ``graphviz.Digraph`` whose rendering says how to install Graphviz when it is missing."""

    def pipe(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().pipe(*args, **kwargs)
        except graphviz.ExecutableNotFound as error:
            raise GraphvizNotInstalledError(INSTALL_HINT) from error

    def render(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().render(*args, **kwargs)
        except graphviz.ExecutableNotFound as error:
            raise GraphvizNotInstalledError(INSTALL_HINT) from error

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **kwargs: Any) -> dict:
        try:
            return super()._repr_mimebundle_(include, exclude, **kwargs)
        except GraphvizNotInstalledError:  # raised by our pipe(), which it calls
            return {"text/plain": f"{INSTALL_HINT}\n\n{self.source}"}


def draw_graph(
    tensor: Tensor,
    show_data: bool = False,
    show_grad: bool = False,
    rankdir: str = "LR",
    group_modules: bool = False,
    max_nodes: int = 300,
) -> GraphDrawing:
    """Draw the graph that computed ``tensor``.

    ``show_data`` adds (abbreviated) values, ``show_grad`` the norm of each
    gradient that is kept (leaves, and tensors that called ``retain_grad``),
    ``rankdir`` is Graphviz's layout direction ("LR", "TB", ...).
    ``group_modules`` boxes the ops each nn module ran in a cluster named
    after it. More than ``max_nodes`` tensors and ops raise a ValueError
    instead of drawing an unreadable picture.
    """
    if not isinstance(tensor, Tensor):
        raise TypeError(f"draw_graph: expected a Tensor, got {type(tensor).__name__}")
    tensors, nodes, edges = _collect(tensor, max_nodes)
    tensor_ids = {id(t): f"t{index}" for index, t in enumerate(tensors)}
    node_ids = {node: f"op{index}" for index, node in enumerate(nodes)}
    scopes = _scopes(tensors) if group_modules else {}

    dot = GraphDrawing(name="autograd_graph", graph_attr={"rankdir": rankdir})
    dot.attr("node", fontname="Helvetica", fontsize="11")
    clusters: dict[str, list[tuple[str, str, dict]]] = {}
    for t in tensors:
        kind = _kind(t, tensor)
        entry = (tensor_ids[id(t)], _tensor_label(t, show_data, show_grad), kind)
        scope = scopes.get(t.grad_fn) if t.grad_fn is not None and t is not tensor else None
        clusters.setdefault(scope, []).append((*entry, STYLES[kind]))
    for node in nodes:
        entry = (node_ids[node], node.name, "op")
        clusters.setdefault(scopes.get(node), []).append((*entry, STYLES["op"]))

    for index, (scope, members) in enumerate(clusters.items()):
        if scope is None:
            _add_nodes(dot, members)
            continue
        with dot.subgraph(name=f"cluster_{index}") as cluster:
            cluster.attr(label=scope, style="dashed", color="#737373", fontname="Helvetica")
            _add_nodes(cluster, members)
    for source, target in edges:
        dot.edge(_id(source, tensor_ids, node_ids), _id(target, tensor_ids, node_ids))
    return dot


def _collect(root: Tensor, max_nodes: int) -> tuple[list[Tensor], list[Node], list[tuple]]:
    """Tensors and ops reachable from ``root`` (each once), and the data-flow edges."""
    tensors: dict[int, Tensor] = {}
    nodes: dict[Node, None] = {}
    edges: list[tuple[Any, Any]] = []
    stack = [root]
    while stack:
        tensor = stack.pop()
        if id(tensor) in tensors:
            continue
        tensors[id(tensor)] = tensor
        node = tensor.grad_fn
        if node is None:
            continue
        edges.append((node, tensor))
        if node in nodes:
            continue
        nodes[node] = None
        inputs = node._inputs or node.parents  # _inputs also holds constant tensors
        for argument in inputs:
            if isinstance(argument, Tensor):
                edges.append((argument, node))
                stack.append(argument)
        if len(tensors) + len(nodes) > max_nodes:
            raise ValueError(
                f"draw_graph: the graph has more than {max_nodes} tensors and ops, too many to "
                "read in one picture; draw a smaller part (one layer's output, a smaller "
                "batch of ops) or pass max_nodes to draw it anyway"
            )
    return list(tensors.values()), list(nodes), edges


def _id(item: Any, tensor_ids: dict[int, str], node_ids: dict[Node, str]) -> str:
    return node_ids[item] if isinstance(item, Node) else tensor_ids[id(item)]


def _add_nodes(graph: graphviz.Digraph, members: list[tuple[str, str, str, dict]]) -> None:
    for node_id, label, kind, style in members:
        graph.node(node_id, label=label, tooltip=kind, **style)


def _kind(tensor: Tensor, root: Tensor) -> str:
    if tensor is root:
        return "output"
    if getattr(tensor, "is_parameter", False):
        return "parameter"
    if tensor.grad_fn is not None:
        return "intermediate"
    return "leaf" if tensor.requires_grad else "constant"


def _tensor_label(tensor: Tensor, show_data: bool, show_grad: bool) -> str:
    lines = [tensor.name] if tensor.name else []
    lines.append(f"{tensor.shape} {tensor.dtype}")
    if show_data:
        lines.append(
            np.array2string(tensor.data, precision=3, threshold=6, edgeitems=2, separator=", ")
        )
    if show_grad and tensor.grad is not None:
        lines.append(f"grad norm {np.linalg.norm(tensor.grad):.3g}")
    return "\n".join(lines)


def _scopes(tensors: list[Tensor]) -> dict[Node, str]:
    scopes: dict[Node, str] = {}
    for resolver in _scope_resolvers:
        scopes.update(resolver(tensors))
    return scopes
