"""What drawings need to know about modules: which module's call made each op.

``draw_graph(..., group_modules=True)`` (and ``trace_backward``'s frames) box
each op in the innermost module whose last call made it. To know that, two
hooks on every module (``register_module_forward_pre_hook`` and
``register_module_forward_hook``) note the graph's position before and after
each call (``autograd_mini.viz.graph_position``): the ops of a call are the
nodes numbered in between. This is the only place nn does anything for
drawings; ``Module`` itself knows nothing of them.
"""

from __future__ import annotations

from autograd_mini import Node, Tensor
from autograd_mini.viz import graph_position, register_scope_resolver

from .module import (
    Module,
    Parameter,
    register_module_forward_hook,
    register_module_forward_pre_hook,
)

_START, _LAST_CALL = "_drawing_call_start", "_drawing_last_call"


def _note_start(module: Module, args: tuple) -> None:
    module.__dict__[_START] = graph_position()


def _note_end(module: Module, args: tuple, output: object) -> None:
    notes = module.__dict__
    start = notes[_START]
    if start is not None:  # (None, not a deleted key: a module's keys stay the same from its
        notes[_START] = None  # second call on, and attribute lookups stay fast, 3% of a step)
        notes[_LAST_CALL] = (start, graph_position())


def module_scopes(tensors: list[Tensor], nodes: list[Node]) -> dict[Node, str]:
    """For each op: "name: Type" of the innermost module whose last call made it.

    Modules are found from the graph's parameters, up to their outermost module.
    """
    roots: dict[int, Module] = {}
    for tensor in tensors:
        module = tensor.owner if isinstance(tensor, Parameter) else None
        while module is not None and module.parent is not None:
            module = module.parent
        if module is not None:
            roots[id(module)] = module
    calls = []  # (span, label, first, last)
    for root in roots.values():
        for name, module in root.named_modules():
            if _LAST_CALL in module.__dict__ and name:
                first, last = module.__dict__[_LAST_CALL]
                calls.append((last - first, f"{name}: {type(module).__name__}", first, last))
    calls.sort()  # innermost (shortest) calls first
    scopes: dict[Node, str] = {}
    for node in nodes:
        for _, label, first, last in calls:
            if first < node.sequence < last:
                scopes[node] = label
                break
    return scopes


register_module_forward_pre_hook(_note_start)
register_module_forward_hook(_note_end)
register_scope_resolver(module_scopes)
