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

from .graph import Node, _sequence
from .tensor import Tensor

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
# graph's tensors and ops, each returns {op node: scope label}. nn registers one.
ScopeResolver = Callable[[list[Tensor], list[Node]], dict[Node, str]]
_scope_resolvers: list[ScopeResolver] = []


def register_scope_resolver(resolver: ScopeResolver) -> None:
    """Let a library tell ``draw_graph(group_modules=True)`` which scope ran each op.

    ``resolver(tensors, nodes)`` gets the drawn graph's tensors and op nodes
    and returns ``{node: label}`` for the nodes it knows a scope of. nn
    registers one that boxes each module's ops (``nn/drawing.py``); a scope
    can be told by node numbers, taken with ``graph_position()`` before and
    after the code that ran in it.
    """
    if resolver not in _scope_resolvers:
        _scope_resolvers.append(resolver)


#: ``graph_position()``: a number between those of the nodes recorded before the call
#: and those after it. Nodes are numbered as they are recorded (``node.sequence``), so a
#: scope that takes ``graph_position()`` on entry and on exit contains exactly the nodes
#: numbered strictly between the two. (The counter's own ``__next__``, not a Python
#: function around it: nn takes two per module call, 1% of its MLP training step.)
graph_position: Callable[[], int] = _sequence.__next__


def _graphviz() -> Any:
    """The graphviz package, imported when something is drawn (the engine runs without it)."""
    try:
        import graphviz
    except ImportError as error:
        raise ImportError("draw_graph needs the graphviz package: pip install graphviz") from error
    return graphviz


class GraphvizNotInstalledError(RuntimeError):
    """Rendering was asked for but Graphviz's ``dot`` program is missing."""


def _drawing_class() -> type:
    """``GraphDrawing``: a ``graphviz.Digraph`` whose rendering says how to install
    Graphviz's ``dot`` when it is missing (made once, when first needed)."""
    global _GraphDrawing
    if _GraphDrawing is None:
        graphviz = _graphviz()

        class GraphDrawing(graphviz.Digraph):
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

            def _repr_mimebundle_(
                self, include: Any = None, exclude: Any = None, **kwargs: Any
            ) -> dict:
                try:
                    return super()._repr_mimebundle_(include, exclude, **kwargs)
                except GraphvizNotInstalledError:  # raised by our pipe(), which it calls
                    return {"text/plain": f"{INSTALL_HINT}\n\n{self.source}"}

        GraphDrawing.__module__ = __name__
        _GraphDrawing = GraphDrawing
    return _GraphDrawing


_GraphDrawing: type | None = None


def __getattr__(name: str) -> Any:
    if name == "GraphDrawing":  # the class, made on first use (graphviz imported then)
        return _drawing_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def draw_graph(
    tensor: Tensor,
    show_data: bool = False,
    show_grad: bool = False,
    rankdir: str = "LR",
    group_modules: bool = False,
    max_nodes: int = 300,
) -> Any:
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
    values, nodes, edges, held = _collect(tensor, max_nodes)
    value_ids = {key: f"t{index}" for index, key in enumerate(values)}
    node_ids = {node: f"op{index}" for index, node in enumerate(nodes)}
    tensors = [v for v in values.values() if isinstance(v, Tensor)]
    scopes = _scopes(tensors, nodes) if group_modules else {}

    dot = _drawing_class()(name="autograd_graph", graph_attr={"rankdir": rankdir})
    dot.attr("node", fontname="Helvetica", fontsize="11")
    clusters: dict[str | None, list[tuple[str, str, str, dict]]] = {}
    root_key = _key(tensor)
    for key, value in values.items():
        kind = "output" if key is root_key else _kind(value)
        label = _value_label(value, held.get(key), show_data, show_grad)
        scope = scopes.get(key) if isinstance(key, Node) and key is not root_key else None
        clusters.setdefault(scope, []).append((value_ids[key], label, kind, STYLES[kind]))
    for node in nodes:
        entry = (node_ids[node], node.name, "op", STYLES["op"])
        clusters.setdefault(scopes.get(node), []).append(entry)

    for index, (scope, members) in enumerate(clusters.items()):
        if scope is None:
            _add_nodes(dot, members)
            continue
        with dot.subgraph(name=f"cluster_{index}") as cluster:
            cluster.attr(label=scope, style="dashed", color="#737373", fontname="Helvetica")
            _add_nodes(cluster, members)
    for source, target, op_first in edges:
        if op_first:
            dot.edge(node_ids[source], value_ids[target])
        else:
            dot.edge(value_ids[source], node_ids[target])
    return dot


def _key(value: Tensor | Node) -> Any:
    """What identifies a drawn tensor: the op that made it, or the leaf tensor itself.

    The graph refers to an intermediate result by the node that made it (the
    tensor itself may be gone); both spellings get one key.
    """
    if isinstance(value, Node):
        return value
    return value.grad_fn if value.grad_fn is not None else value


def _collect(
    root: Tensor, max_nodes: int
) -> tuple[dict[Any, Any], list[Node], list[tuple], dict[Node, np.ndarray]]:
    """The tensors (by key, each once) and ops reachable from ``root``, the edges, and the
    values of intermediate results that the graph still holds (before backward frees them).

    An edge is (op, key, True) from an op to its output, or (key, op, False)
    from an input to the op that uses it.
    """
    values: dict[Any, Tensor | Node] = {}
    nodes: dict[Node, None] = {}
    edges: list[tuple[Any, Any, bool]] = []
    held: dict[Node, np.ndarray] = {}
    stack: list[Tensor | Node] = [root]
    while stack:
        value = stack.pop()
        key = _key(value)
        if key in values:
            continue
        values[key] = value
        node = value if isinstance(value, Node) else value.grad_fn
        if node is None:
            continue
        edges.append((node, key, True))
        if node in nodes:
            continue
        nodes[node] = None
        arrays = node._arrays or [None] * len(node._inputs)
        for argument, array in zip(node._inputs, arrays):  # _inputs also holds constants
            if isinstance(argument, (Tensor, Node)):
                edges.append((_key(argument), node, False))
                stack.append(argument)
                if isinstance(argument, Node) and array is not None:
                    held[argument] = array
        if len(values) + len(nodes) > max_nodes:
            raise ValueError(
                f"draw_graph: the graph has more than {max_nodes} tensors and ops, too many to "
                "read in one picture; draw a smaller part (one layer's output, a smaller "
                "batch of ops) or pass max_nodes to draw it anyway"
            )
    return values, list(nodes), edges, held


def _add_nodes(graph: Any, members: list[tuple[str, str, str, dict]]) -> None:
    for node_id, label, kind, style in members:
        graph.node(node_id, label=label, tooltip=kind, **style)


def _kind(value: Tensor | Node) -> str:
    if isinstance(value, Node) or value.grad_fn is not None:
        return "intermediate"
    if getattr(value, "is_parameter", False):
        return "parameter"
    return "leaf" if value.requires_grad else "constant"


def _value_label(
    value: Tensor | Node, held: np.ndarray | None, show_data: bool, show_grad: bool
) -> str:
    """Name, shape and dtype; values and gradient norm when asked (and known)."""
    if isinstance(value, Node):  # an intermediate result, known through the op that made it
        shape, dtype, name = value.output_info
        retained = value.retained_tensor()
        grad = retained.grad if retained is not None else None
        data = held
    else:
        shape, dtype, name, grad, data = (
            value.shape,
            value.dtype,
            value.name,
            getattr(value, "_grad", None),  # (.grad of a non-leaf would warn)
            value.data,
        )
    lines = [name] if name else []
    lines.append(f"{shape} {dtype}")
    if show_data and data is not None:
        lines.append(np.array2string(data, precision=3, threshold=6, edgeitems=2, separator=", "))
    if show_grad and grad is not None:
        lines.append(f"grad norm {np.linalg.norm(grad):.3g}")
    return "\n".join(lines)


def _scopes(tensors: list[Tensor], nodes: list[Node]) -> dict[Node, str]:
    scopes: dict[Node, str] = {}
    for resolver in _scope_resolvers:
        scopes.update(resolver(tensors, nodes))
    return scopes
