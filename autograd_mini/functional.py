"""Derivatives as functions, with the signatures and results of ``torch.autograd.functional``.

For ``f`` taking ``x`` (a Tensor or a tuple of Tensors) to ``y = f(x)``, with
Jacobian ``J = dy/dx`` and, for a scalar ``f``, Hessian ``H = d^2 f / dx^2``:

=====================  ===========================  =============================
call                   returns                      shape of the derivative
=====================  ===========================  =============================
``vjp(f, x, v)``       ``(f(x), v^T J)``            the shape of ``x``
``jvp(f, x, v)``       ``(f(x), J v)``              the shape of ``f(x)``
``jacobian(f, x)``     ``J``                        ``f(x).shape + x.shape``
``hessian(f, x)``      ``H``                        ``x.shape + x.shape``
``vhp(f, x, v)``       ``(f(x), v^T H)``            the shape of ``x``
``hvp(f, x, v)``       ``(f(x), H v)``              the shape of ``x``
=====================  ===========================  =============================

Several inputs or outputs nest as in PyTorch: ``jacobian(f, (a, b))`` is
``(dy/da, dy/db)``, a tuple of outputs gives one entry per output, and both
give ``J[i][j] = d y_i / d x_j``. What decides the nesting is whether a tuple
was passed (or returned), not how many elements it has.

Everything is built on ``grad()``: a vjp is one backward pass; a Jacobian is
one backward pass per output element (its rows); second derivatives
differentiate a gradient taken with ``create_graph=True``. ``jvp`` uses the
double-vjp trick: ``g(u) = J^T u`` is linear in ``u``, so the vjp of ``g``
with ``v`` is ``(d g / d u)^T v = J v``, computed by two backward passes.

The inputs are used through fresh leaves (their values, not their graphs),
and results are detached, unless ``create_graph=True``: then the results can
be differentiated again, with respect to the inputs' own graphs too.
``strict=True`` raises when an output does not depend on an input (whose
derivative is otherwise returned as zeros, as in PyTorch). As PyTorch's, the six
functions record what they need also when called inside ``no_grad()``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .grad_mode import enable_grad
from .graph import grad
from .ops import stack
from .tensor import Tensor

Inputs = Tensor | tuple[Tensor, ...]
Function = Callable[..., Any]


# --------------------------------------------------------------------------
# The six derivatives


@enable_grad()
def vjp(
    func: Function, inputs: Inputs, v: Any = None, create_graph: bool = False, strict: bool = False
) -> tuple[Any, Any]:
    """``(func(inputs), v^T J)``: the vector-Jacobian product, one backward pass.

    ``v`` has the shape of the output (a tuple of them for several outputs);
    it may be omitted when the output is a single Tensor of one element.
    The product has the shape of ``inputs`` (a tuple of them when ``inputs`` is one).
    """
    inputs_tuple, xs = _as_tuple(inputs, "inputs", "vjp")
    xs = _prepare(xs, create_graph)
    outputs_tuple, ys = _as_tuple(func(*xs), "outputs of the user-provided function", "vjp")
    _check_outputs_depend_on_inputs(ys, strict, "vjp")
    if v is None:
        vs = _ones_for_scalar(ys, "vjp", "returns a single Tensor with a single element")
    else:
        vs = _check_vectors(v, ys, outputs_tuple, "vjp", "output")
    products = _gradients(ys, xs, vs, create_graph, strict, "vjp")
    return _nest(_finish(ys, create_graph), outputs_tuple), _nest(products, inputs_tuple)


@enable_grad()
def jvp(
    func: Function, inputs: Inputs, v: Any = None, create_graph: bool = False, strict: bool = False
) -> tuple[Any, Any]:
    """``(func(inputs), J v)``: the Jacobian-vector product, by the double-vjp trick.

    ``v`` has the shape of ``inputs`` (may be omitted for a single input of
    one element); the product has the shape of the output.
    """
    inputs_tuple, xs = _as_tuple(inputs, "inputs", "jvp")
    vs = (
        _ones_for_scalar(xs, "jvp", "is a single Tensor with a single element", about="input")
        if v is None
        else _check_vectors(v, xs, inputs_tuple, "jvp", "input")
    )
    xs = _prepare(xs, create_graph)
    outputs_tuple, ys = _as_tuple(func(*xs), "outputs of the user-provided function", "jvp")
    _check_outputs_depend_on_inputs(ys, strict, "jvp")
    # g(u) = J^T u for a dummy u; the vjp of g with v is J v
    dummies = tuple(Tensor(np.zeros(y.shape, dtype=y.dtype), requires_grad=True) for y in ys)
    transposed = _gradients(ys, xs, dummies, True, strict, "jvp", keep_none=True)
    _check_recorded(transposed, strict, "jvp")
    used = [(g, v_) for g, v_ in zip(transposed, vs) if g is not None and g.requires_grad]
    if used:
        gs, grad_vs = zip(*used)
        products = _gradients(gs, dummies, grad_vs, create_graph, False, "jvp")
    else:  # the outputs do not depend on the inputs: J = 0
        products = tuple(Tensor(np.zeros(y.shape, dtype=y.dtype)) for y in ys)
    return _nest(_finish(ys, create_graph), outputs_tuple), _nest(products, outputs_tuple)


@enable_grad()
def jacobian(
    func: Function,
    inputs: Inputs,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    strategy: str = "reverse-mode",
) -> Any:
    """``J[i][j] = d outputs[i] / d inputs[j]``, of shape ``outputs[i].shape + inputs[j].shape``.

    One backward pass per output element gives one row of J. A single
    output and a single input (not in tuples) give one Tensor. ``vectorize``
    is accepted for PyTorch's signature; it changes nothing here (the rows
    are computed one by one either way). Only ``strategy="reverse-mode"``
    exists.
    """
    _check_strategy(strategy, "jacobian")
    inputs_tuple, xs = _as_tuple(inputs, "inputs", "jacobian")
    xs = _prepare(xs, create_graph)
    outputs_tuple, ys = _as_tuple(func(*xs), "outputs of the user-provided function", "jacobian")
    _check_outputs_depend_on_inputs(ys, strict, "jacobian")
    blocks = tuple(_jacobian_rows(y, xs, create_graph, strict, "jacobian") for y in ys)
    return _nest_pairs(blocks, outputs_tuple, inputs_tuple)


@enable_grad()
def hessian(
    func: Function,
    inputs: Inputs,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    outer_jacobian_strategy: str = "reverse-mode",
) -> Any:
    """The Hessian ``H[i][j] = d^2 func / d inputs[i] d inputs[j]``.

    ``H[i][j]`` has shape ``inputs[i].shape + inputs[j].shape``.
    ``func`` returns a single Tensor of one element. H is the Jacobian of the
    gradient, the gradient taken with ``create_graph=True``.
    """
    _check_strategy(outer_jacobian_strategy, "hessian")
    inputs_tuple, xs = _as_tuple(inputs, "inputs", "hessian")
    xs = _prepare(xs, create_graph)
    gradients = _scalar_gradients(func, xs, strict, "hessian")
    blocks = tuple(_jacobian_rows(g, xs, create_graph, strict, "hessian") for g in gradients)
    return _nest_pairs(blocks, inputs_tuple, inputs_tuple)


@enable_grad()
def vhp(
    func: Function, inputs: Inputs, v: Any = None, create_graph: bool = False, strict: bool = False
) -> tuple[Any, Any]:
    """``(func(inputs), v^T H)`` for a scalar ``func``: the vjp of its gradient with ``v``."""
    return _hessian_product(func, inputs, v, create_graph, strict, "vhp")


@enable_grad()
def hvp(
    func: Function, inputs: Inputs, v: Any = None, create_graph: bool = False, strict: bool = False
) -> tuple[Any, Any]:
    """``(func(inputs), H v)`` for a scalar ``func``: the jvp of its gradient with ``v``
    (the double-vjp trick). For a twice continuously differentiable ``func``, H is
    symmetric and this equals ``vhp``."""
    return _hessian_product(func, inputs, v, create_graph, strict, "hvp")


# --------------------------------------------------------------------------
# Shared steps


def _hessian_product(
    func: Function, inputs: Inputs, v: Any, create_graph: bool, strict: bool, caller: str
) -> tuple[Any, Any]:
    inputs_tuple, xs = _as_tuple(inputs, "inputs", caller)
    vs = (
        _ones_for_scalar(xs, caller, "is a single Tensor with a single element", about="input")
        if v is None
        else _check_vectors(v, xs, inputs_tuple, caller, "input")
    )
    xs = _prepare(xs, create_graph)
    output, gradients = _scalar_gradients(func, xs, strict, caller, with_output=True)
    if caller == "vhp":  # v^T H: the vjp of the gradient g(x) with v
        products = _gradients(gradients, xs, vs, create_graph, strict, caller)
    else:  # H v: g^T u is linear in a dummy u; its gradient in u, J_g^T u, has vjp J_g v
        dummies = tuple(Tensor(np.zeros(x.shape, dtype=x.dtype), requires_grad=True) for x in xs)
        transposed = _gradients(gradients, xs, dummies, True, strict, caller, keep_none=True)
        _check_recorded(transposed, strict, caller)
        used = [(t, v_) for t, v_ in zip(transposed, vs) if t is not None and t.requires_grad]
        if used:
            ts, t_vs = zip(*used)
            products = _gradients(ts, dummies, t_vs, create_graph, False, caller)
        else:
            products = tuple(Tensor(np.zeros(x.shape, dtype=x.dtype)) for x in xs)
    return _finish((output,), create_graph)[0], _nest(products, inputs_tuple)


def _scalar_gradients(
    func: Function, xs: tuple[Tensor, ...], strict: bool, caller: str, with_output: bool = False
) -> Any:
    """The gradient of the scalar ``func(*xs)`` with ``create_graph=True`` (zeros where unused)."""
    output = func(*xs)
    if not isinstance(output, Tensor):
        raise TypeError(
            f"{caller}: the function should return a single Tensor, got {type(output).__name__}"
        )
    if output.size != 1:
        raise RuntimeError(
            f"{caller}: the Tensor returned by the function should contain a single element "
            f"(it has shape {output.shape}), so that a Hessian can be computed"
        )
    gradients = _gradients((output,), xs, (None,), True, strict, caller)
    if strict:
        for position, g in enumerate(gradients):
            if not g.requires_grad:
                raise RuntimeError(
                    f"{caller}: the gradient of the function with respect to input {position} "
                    "does not depend on the inputs (the function is linear in it); this is not "
                    "allowed in strict mode"
                )
    return (output, gradients) if with_output else gradients


def _jacobian_rows(
    output: Tensor, xs: tuple[Tensor, ...], create_graph: bool, strict: bool, caller: str
) -> tuple[Tensor, ...]:
    """d output / d x for each x, shape ``output.shape + x.shape``: one backward per row."""
    rows: list[tuple[Tensor, ...]] = []
    for k in range(output.size):
        e_k = np.zeros(output.size, dtype=output.dtype)
        e_k[k] = 1.0
        rows.append(
            _gradients((output,), xs, (e_k.reshape(output.shape),), create_graph, strict, caller)
        )
    blocks = []
    for position, x in enumerate(xs):
        shape = output.shape + x.shape
        if not rows:  # an empty output has an empty Jacobian
            blocks.append(Tensor(np.zeros(shape, dtype=x.dtype)))
        elif create_graph:
            blocks.append(stack([row[position] for row in rows]).reshape(shape))
        else:
            blocks.append(Tensor(np.stack([row[position].data for row in rows]).reshape(shape)))
    return tuple(blocks)


def _gradients(
    outputs: tuple[Tensor, ...],
    xs: tuple[Tensor, ...],
    vs: tuple[Any, ...],
    create_graph: bool,
    strict: bool,
    caller: str,
    keep_none: bool = False,
) -> tuple[Any, ...]:
    """sum_i v_i^T d outputs_i / d x for each x, zeros (or None) where x is not used."""
    pairs = [(y, v) for y, v in zip(outputs, vs) if y.requires_grad]
    found: tuple[Any, ...] = (None,) * len(xs)
    if pairs:
        ys, grad_outputs = zip(*pairs)
        found = grad(
            list(ys),
            list(xs),
            grad_outputs=list(grad_outputs),
            retain_graph=True,
            create_graph=create_graph,
            allow_unused=True,
        )
    results = []
    for position, (x, g) in enumerate(zip(xs, found)):
        if g is None:
            if strict:
                raise RuntimeError(
                    f"{caller}: the output of the function does not depend on input "
                    f"{position}; this is not allowed in strict mode"
                )
            g = None if keep_none else Tensor(np.zeros(x.shape, dtype=x.dtype))
        results.append(g)
    return tuple(results)


def _check_recorded(transposed: tuple[Any, ...], strict: bool, caller: str) -> None:
    """The double-vjp trick differentiates ``J^T u`` in the dummy ``u``; a gradient that
    does not require grad (a backward that computed on plain values cut it) would give
    zeros. Strict mode refuses it, as PyTorch's does."""
    if strict:
        for position, g in enumerate(transposed):
            if g is not None and not g.requires_grad:
                raise RuntimeError(
                    f"{caller}: the gradient with respect to input {position} does not depend "
                    "on the output's gradient (was a backward computed on plain values?), so "
                    "the double-vjp trick cannot differentiate it; this is not allowed in "
                    "strict mode"
                )


def _check_outputs_depend_on_inputs(ys: tuple[Tensor, ...], strict: bool, caller: str) -> None:
    """In strict mode every output must be computed from the inputs (PyTorch checks this
    before it checks that every input is used)."""
    if strict:
        for position, y in enumerate(ys):
            if not y.requires_grad:
                raise RuntimeError(
                    f"{caller}: output {position} of the function (shape {y.shape}) does not "
                    "depend on the inputs; this is not allowed in strict mode"
                )


def _as_tuple(value: Any, what: str, caller: str) -> tuple[bool, tuple[Tensor, ...]]:
    """(whether ``value`` was a tuple, its Tensors as a tuple), checking each is a Tensor."""
    is_tuple = isinstance(value, tuple)
    values = value if is_tuple else (value,)
    for position, item in enumerate(values):
        if not isinstance(item, Tensor):
            raise TypeError(
                f"{caller}: the {what} must be a Tensor or a tuple of Tensors, but the value at "
                f"index {position} has type {type(item).__name__}"
            )
    return is_tuple, values


def _prepare(xs: tuple[Tensor, ...], create_graph: bool) -> tuple[Tensor, ...]:
    """Inputs that require grad: fresh leaves of the same data, or, with ``create_graph``
    and an input that requires grad, a recorded view of it (results then reach its graph)."""
    return tuple(
        x.reshape(x.shape) if create_graph and x.requires_grad else x.detach().requires_grad_()
        for x in xs
    )


def _finish(tensors: tuple[Tensor, ...], create_graph: bool) -> tuple[Tensor, ...]:
    return tensors if create_graph else tuple(t.detach() for t in tensors)


def _ones_for_scalar(
    tensors: tuple[Tensor, ...], caller: str, condition: str, about: str = "function"
) -> tuple[np.ndarray, ...]:
    """v = 1 when it may be omitted: a single Tensor of one element."""
    if len(tensors) != 1 or tensors[0].size != 1:
        subject = "the user-provided function" if about == "function" else "the input"
        raise RuntimeError(
            f"{caller}: v can only be None if {subject} {condition}; pass v with the shape "
            f"of each {'output' if about == 'function' else 'input'}"
        )
    return (np.ones(tensors[0].shape, dtype=tensors[0].dtype),)


def _check_vectors(
    v: Any, tensors: tuple[Tensor, ...], was_tuple: bool, caller: str, role: str
) -> tuple[Any, ...]:
    """``v`` as one array or Tensor per tensor, each of that tensor's shape."""
    vs = tuple(v) if isinstance(v, (tuple, list)) else (v,)
    if len(vs) != len(tensors):
        raise RuntimeError(
            f"{caller}: v has {len(vs)} entries but there are {len(tensors)} {role}s; give one "
            f"per {role}"
        )
    checked = []
    for position, (vector, tensor) in enumerate(zip(vs, tensors)):
        if not isinstance(vector, Tensor):
            vector = np.asarray(vector, dtype=tensor.dtype)
        if vector.shape != tensor.shape:
            raise RuntimeError(
                f"{caller}: mismatch in shape: v[{position}] has shape {vector.shape} while "
                f"{role} {position} has shape {tensor.shape}"
            )
        checked.append(vector)
    return tuple(checked)


def _check_strategy(strategy: str, caller: str) -> None:
    if strategy != "reverse-mode":
        raise ValueError(
            f"{caller}: only strategy='reverse-mode' exists in autograd-mini (got {strategy!r}); "
            "it gives the same values as forward mode"
        )


def _nest(values: tuple[Any, ...], as_tuple: bool) -> Any:
    return values if as_tuple else values[0]


def _nest_pairs(blocks: tuple[tuple[Any, ...], ...], outer_tuple: bool, inner_tuple: bool) -> Any:
    """PyTorch's nesting: ``blocks[i][j]`` for output (or row) i and input j."""
    if outer_tuple:
        return tuple(_nest(row, inner_tuple) for row in blocks)
    return _nest(blocks[0], inner_tuple)
