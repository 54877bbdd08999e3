"""Tensor: an ndarray, its gradient, and the node of the graph that made it.

Every differentiable operator and method here is one line that calls an op
from ``ops.py``, where the op's forward sits beside its backward.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from .dtypes import as_float_array

Axis = int | tuple[int, ...] | None

# Assigning a tensor's .data stamps it with the next tick of this clock; a node
# remembers the tick of its forward pass, so "modified since" is one comparison.
data_clock = [0]


class RemovableHandle:
    """Returned by ``register_hook``; ``remove()`` unregisters the hook."""

    __slots__ = ("_hook", "_hooks")

    def __init__(self, hooks: list, hook: Callable) -> None:
        self._hooks = hooks
        self._hook = hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


class Tensor:
    """An n-dimensional array that records the operations applied to it.

    ``Tensor(data, requires_grad=False, dtype=None, name=None)``: Python
    numbers, lists and integer or bool arrays become the default float dtype
    (float64 unless ``set_default_dtype`` changed it); floating ndarrays keep
    their dtype and are wrapped without a copy (like ``torch.from_numpy``).

    Assigning ``.data`` (``x.data = a``, ``x.data -= lr * x.grad``) bumps the
    tensor's version, so a backward through an op that saved the old values
    raises instead of returning a wrong gradient. Writing into the array
    itself (``x.data[...] = 0``) is not tracked, as in PyTorch.
    """

    __slots__ = ("_data", "grad", "_requires_grad", "grad_fn", "_version_cell", "_name", "_hooks")
    __slots__ += ("__weakref__",)

    # numpy defers to Tensor's reflected operators (ndarray + Tensor -> Tensor.__radd__)
    __array_ufunc__ = None
    __array_priority__ = 1000
    is_parameter = False  # nn.Parameter says True; draw_graph styles parameters apart

    def __init__(
        self,
        data: Any,
        requires_grad: bool = False,
        dtype: Any = None,
        name: str | None = None,
    ) -> None:
        if isinstance(data, Tensor):
            data = data._data
        self._data = as_float_array(data, dtype)
        self.grad: np.ndarray | None = None
        self._requires_grad = bool(requires_grad)
        self.grad_fn = None
        self._version_cell: list[int] | None = None  # shared with views; made on first change
        self._name = name
        self._hooks: list | None = None

    @classmethod
    def _from_op(cls, data: np.ndarray, node: Any) -> Tensor:
        """Wrap an op's output without the checks of ``__init__`` (hot path)."""
        tensor = object.__new__(cls)
        tensor._data = data
        tensor.grad = None
        tensor._requires_grad = node is not None
        tensor.grad_fn = node
        tensor._version_cell = None
        tensor._name = None
        tensor._hooks = None
        return tensor

    # ----------------------------------------------------------------- attributes
    @property
    def data(self) -> np.ndarray:
        """The underlying ndarray. Assigning it bumps the version counter."""
        return self._data

    @data.setter
    def data(self, value: Any) -> None:
        if value is not self._data:  # (x.data -= g assigns the same, updated, array)
            if isinstance(value, Tensor):
                value = value._data
            self._data = as_float_array(value, op="Tensor.data")
        data_clock[0] += 1
        cell = self._version_cell
        if cell is None:
            cell = self.shared_version_cell()
        cell[0] = data_clock[0]

    @property
    def _version(self) -> int:
        """The tick of ``data_clock`` at the last change of this data (0: never changed).

        Views (``x.T``, ``x[1:]``, ``x.reshape(...)``, ``x.detach()``) share it
        with the tensor they view, as in PyTorch, since changing one changes both.
        """
        return 0 if self._version_cell is None else self._version_cell[0]

    def shared_version_cell(self) -> list[int]:
        """The version counter itself, made on first need and shared with views.

        Every tensor standing for one op's output (create_graph makes such
        stand-ins) shares that output's counter, kept on the op's node, which
        checks it in backward.
        """
        if self._version_cell is None:
            node = self.grad_fn
            if node is None:
                self._version_cell = [0]
            else:
                if node._output_cell is None:
                    node._output_cell = [0]
                self._version_cell = node._output_cell
        return self._version_cell

    @property
    def name(self) -> str | None:
        """A name for drawings and reprs (None unless given)."""
        return self._name

    @name.setter
    def name(self, value: str | None) -> None:
        self._name = value
        if self.grad_fn is not None:  # the graph refers to op outputs by their nodes
            self.grad_fn.output_name = value

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        self.requires_grad_(flag)

    @property
    def is_leaf(self) -> bool:
        """True for tensors not produced by a recorded op (user-created tensors)."""
        return self.grad_fn is None

    @property
    def shape(self) -> tuple[int, ...]:
        return self._data.shape

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def size(self) -> int:
        return self._data.size

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    @property
    def T(self) -> Tensor:
        """The transpose (all axes reversed, as numpy's ``.T``)."""
        return _ops.Transpose.apply(self, axes=None)

    # ------------------------------------------------------------- graph methods
    def backward(
        self,
        gradient: Any = None,
        retain_graph: bool | None = None,
        create_graph: bool = False,
    ) -> None:
        """Accumulate d(self)/d(leaf) into the ``.grad`` of every leaf that requires grad.

        ``gradient`` is dL/d(self), needed unless ``self`` has one element.
        The graph's saved arrays are freed afterwards unless ``retain_graph``
        (which defaults to ``create_graph``). With ``create_graph=True`` the
        backward pass is itself recorded; to get differentiable gradients use
        ``autograd_mini.grad(..., create_graph=True)``, because ``.grad``
        always holds a plain ndarray.
        """
        _graph.backward(self, gradient, retain_graph, create_graph)

    def retain_grad(self) -> None:
        """Keep this non-leaf tensor's gradient in ``.grad`` after backward."""
        if self.grad_fn is None:
            return  # leaves keep their gradient anyway
        self.grad_fn.retain_output(self)

    def register_hook(self, hook: Callable[[Any], Any]) -> RemovableHandle:
        """Call ``hook(grad)`` when this tensor's gradient is computed.

        The hook may return a replacement gradient (or None to keep it).
        Returns a handle whose ``remove()`` unregisters the hook.
        """
        if not self._requires_grad:
            raise RuntimeError(
                "register_hook: this tensor does not require grad, so no gradient "
                "will ever reach it; create it with requires_grad=True"
            )
        if self.grad_fn is not None:
            hooks = self.grad_fn.output_hooks()
        else:
            if self._hooks is None:
                self._hooks = []
            hooks = self._hooks
        hooks.append(hook)
        return RemovableHandle(hooks, hook)

    def detach(self) -> Tensor:
        """A new leaf sharing this tensor's data (and version counter), outside the graph."""
        detached = Tensor._from_op(self._data, None)
        detached._version_cell = self.shared_version_cell()
        return detached

    def numpy(self) -> np.ndarray:
        """The data as an ndarray (shared, not copied)."""
        return self._data

    def item(self) -> float:
        """The value of a one-element tensor as a Python float."""
        if self._data.size != 1:
            raise ValueError(
                f"item: only one-element tensors can be converted to a Python number, "
                f"this one has shape {self.shape}"
            )
        return self._data.item()

    def zero_grad(self) -> None:
        """Set ``grad`` to None (the next backward starts the sum afresh)."""
        self.grad = None

    def requires_grad_(self, flag: bool = True) -> Tensor:
        """Set ``requires_grad`` in place on a leaf; returns self."""
        if not flag and self.grad_fn is not None:
            raise RuntimeError(
                f"requires_grad_: only leaf tensors can stop requiring grad; this one "
                f"was made by '{self.grad_fn.name}'. Use .detach() to get a leaf."
            )
        self._requires_grad = bool(flag)
        return self

    # ---------------------------------------------------------------- arithmetic
    def __add__(self, other: Any) -> Tensor:
        return _ops.Add.apply(self, other)

    def __radd__(self, other: Any) -> Tensor:
        return _ops.Add.apply(other, self)

    def __sub__(self, other: Any) -> Tensor:
        return _ops.Sub.apply(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return _ops.Sub.apply(other, self)

    def __mul__(self, other: Any) -> Tensor:
        return _ops.Mul.apply(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return _ops.Mul.apply(other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return _ops.Div.apply(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return _ops.Div.apply(other, self)

    def __pow__(self, other: Any) -> Tensor:
        return _ops.Pow.apply(self, other)

    def __rpow__(self, other: Any) -> Tensor:
        return _ops.Pow.apply(other, self)

    def __matmul__(self, other: Any) -> Tensor:
        return _ops.MatMul.apply(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return _ops.MatMul.apply(other, self)

    def __neg__(self) -> Tensor:
        return _ops.Neg.apply(self)

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return _ops.Abs.apply(self)

    def __getitem__(self, index: Any) -> Tensor:
        return _ops.GetItem.apply(self, index=index)

    # Comparisons give boolean ndarrays and take no part in gradients.
    def __lt__(self, other: Any) -> np.ndarray:
        return self._data < _as_data(other)

    def __le__(self, other: Any) -> np.ndarray:
        return self._data <= _as_data(other)

    def __gt__(self, other: Any) -> np.ndarray:
        return self._data > _as_data(other)

    def __ge__(self, other: Any) -> np.ndarray:
        return self._data >= _as_data(other)

    def __eq__(self, other: Any) -> np.ndarray:  # type: ignore[override]
        return self._data == _as_data(other)

    def __ne__(self, other: Any) -> np.ndarray:  # type: ignore[override]
        return self._data != _as_data(other)

    __hash__ = object.__hash__  # tensors are hashed by identity, as in PyTorch

    # ------------------------------------------------------- differentiable methods
    def sum(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        return _ops.Sum.apply(self, axis=_axis(axis), keepdims=keepdims)

    def mean(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        return _ops.Mean.apply(self, axis=_axis(axis), keepdims=keepdims)

    def var(self, axis: Axis = None, keepdims: bool = False, ddof: int = 0) -> Tensor:
        return _ops.Var.apply(self, axis=_axis(axis), keepdims=keepdims, ddof=ddof)

    def max(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        return _ops.Max.apply(self, axis=_axis(axis), keepdims=keepdims)

    def min(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        return _ops.Min.apply(self, axis=_axis(axis), keepdims=keepdims)

    def reshape(self, *shape: Any) -> Tensor:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return _ops.Reshape.apply(self, shape=shape)

    def transpose(self, *axes: Any) -> Tensor:
        if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))):
            axes = axes[0]  # transpose(None) and transpose((1, 0)), as numpy allows
        return _ops.Transpose.apply(self, axes=tuple(axes) if axes else None)

    def swapaxes(self, axis1: int, axis2: int) -> Tensor:
        for axis in (axis1, axis2):
            if not -self.ndim <= axis < self.ndim:
                raise ValueError(
                    f"swapaxes: axis {axis} is out of bounds for a tensor of shape {self.shape}"
                )
        axes = list(range(self.ndim))
        axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
        return _ops.Transpose.apply(self, axes=tuple(axes))

    def flatten(self) -> Tensor:
        return _ops.Reshape.apply(self, shape=(-1,))

    def exp(self) -> Tensor:
        return _ops.Exp.apply(self)

    def log(self) -> Tensor:
        return _ops.Log.apply(self)

    def sqrt(self) -> Tensor:
        return _ops.Sqrt.apply(self)

    def abs(self) -> Tensor:
        return _ops.Abs.apply(self)

    def clip(self, lo: float | None, hi: float | None) -> Tensor:
        return _ops.Clip.apply(self, lo=lo, hi=hi)

    def tanh(self) -> Tensor:
        return _ops.Tanh.apply(self)

    def sigmoid(self) -> Tensor:
        return _ops.Sigmoid.apply(self)

    def relu(self) -> Tensor:
        return _ops.Relu.apply(self)

    def leaky_relu(self, slope: float = 0.01) -> Tensor:
        return _ops.LeakyRelu.apply(self, slope=slope)

    def softmax(self, axis: int = -1) -> Tensor:
        return _ops.Softmax.apply(self, axis=axis)

    def log_softmax(self, axis: int = -1) -> Tensor:
        return _ops.LogSoftmax.apply(self, axis=axis)

    # -------------------------------------------------------------------- python
    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self._data)

    def __iter__(self) -> Iterator[Tensor]:
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self._data)))

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise ValueError(
                f"the truth value of a tensor of shape {self.shape} is ambiguous; "
                "use (t > 0).any() or .all()"
            )
        return bool(self._data)

    def __float__(self) -> float:
        return float(self.item())

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        if dtype is not None and np.dtype(dtype) != self._data.dtype:
            return self._data.astype(dtype)
        return self._data.copy() if copy else self._data

    def __repr__(self) -> str:
        body = np.array2string(self._data, separator=", ", prefix="Tensor(")
        extras = []
        if self._data.dtype != np.float64:
            extras.append(f"dtype={self._data.dtype}")
        if self.name is not None:
            extras.append(f"name={self.name!r}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn=<{self.grad_fn.name}>")
        elif self._requires_grad:
            extras.append("requires_grad=True")
        return f"Tensor({', '.join([body, *extras])})"

    def __getstate__(self) -> dict[str, Any]:
        """Pickling and deepcopy keep values, gradient, flag and name; a copy is a leaf."""
        return {
            "data": self._data,
            "grad": self.grad,
            "requires_grad": self._requires_grad,
            "name": self.name,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._data = state["data"]
        self.grad = state["grad"]
        self._requires_grad = state["requires_grad"]
        self.grad_fn = None
        self._version_cell = None
        self._name = state["name"]
        self._hooks = None

    def _repr_svg_(self) -> str | None:
        """Jupyter shows a tensor that has a graph as its drawn graph."""
        if self.grad_fn is None:
            return None
        from .viz import draw_graph  # graphviz is only needed when drawing

        try:
            return draw_graph(self)._repr_image_svg_xml()
        except Exception:  # no `dot` program: fall back to the text repr
            return None


def _axis(axis: Any) -> Any:
    """Reductions take an int, a tuple of ints or None; a list is read as a tuple."""
    return tuple(axis) if isinstance(axis, list) else axis


def as_array(value: Any) -> np.ndarray:
    """The values of a Tensor, or anything else as an ndarray (targets, labels, data)."""
    return value._data if isinstance(value, Tensor) else np.asarray(value)


def _as_data(value: Any) -> Any:
    return value._data if isinstance(value, Tensor) else value


def as_tensor(value: Any) -> Tensor:
    """``value`` itself if it is a Tensor, else a new constant Tensor."""
    return value if isinstance(value, Tensor) else Tensor(value)


# Imported last: ops and graph use Tensor, and Tensor's methods use them.
from . import graph as _graph  # noqa: E402
from . import ops as _ops  # noqa: E402
