"""Tensor: an ndarray, its gradient, and the node of the graph that made it.

Every differentiable operator and method here is one line that calls an op
from ``ops.py``, where the op's forward sits beside its backward.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from .dtypes import float_array_and_kind
from .grad_mode import _state as _grad_state
from .hooks import RemovableHandle

Axis = int | tuple[int, ...] | None

# Assigning a tensor's .data stamps it with the next tick of this clock; a node
# remembers the tick of its forward pass, so "modified since" is one comparison.
data_clock = [0]


class DefaultAxis(int):
    """An ``axis`` left at its default: the same number, but not the same object as that
    number passed explicitly, so that ``axis=`` and ``dim=`` together always raise."""


LAST_AXIS = DefaultAxis(-1)  # softmax, log_softmax
FIRST_AXIS = DefaultAxis(0)  # concatenate, stack


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

    Tensors hold floats, but a tensor made from booleans (``Tensor(x.data > 0)``,
    ``Tensor([True, False])``) remembers it: used as an index it is a mask, as
    a bool tensor is in PyTorch, never the positions 0 and 1; so is what
    reshaping, transposing or indexing it gives. Arithmetic on it gives
    ordinary float tensors (so ``x[mask * 1]`` indexes by position, as
    PyTorch's ``x[mask.long()]`` does). Comparisons return boolean ndarrays,
    which index as masks too.

    ``x += y`` (and ``-= *= /= **=``) works in place, bumping the version, when
    nothing is recorded (under ``no_grad()``, or when neither operand requires
    grad): so ``with no_grad(): w -= lr * w.grad`` updates ``w`` as in PyTorch.
    When the op is recorded it makes a new tensor (as ``x = x + y``); on a leaf
    that requires grad it raises, as PyTorch does, and on a view in the graph
    (``w.T``, ``h[0]``) too, since a new tensor would leave the viewed one
    unchanged. ``x[index] = v`` follows the same rules, and raises whenever it
    would be recorded (use ``where`` or ``concatenate`` for that).
    """

    __slots__ = ("_data", "_grad", "_requires_grad", "grad_fn", "_version_cell", "_name", "_hooks")
    __slots__ += ("_boolean", "__weakref__")
    # _grad is never set on an op's output (a non-leaf) unless retain_grad() is called:
    # reading .grad there finds it unset, and warns as PyTorch does.
    # _boolean is set by __init__ and by the ops that return views (a reshaped mask is a
    # mask); other op outputs never set it, so read it with getattr.

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
        source = data if isinstance(data, Tensor) else None
        if source is not None:
            data = source._data
        self._data, kind = float_array_and_kind(data, dtype)
        self._boolean = kind == "b" or (source is not None and getattr(source, "_boolean", False))
        self._grad: np.ndarray | None = None
        self._requires_grad = bool(requires_grad)
        self.grad_fn = None
        self._version_cell: list[int] | None = None  # shared with views; made on first change
        if source is not None and self._data is data:  # the same array: one version counter
            self._version_cell = source.shared_version_cell()
        self._name = name
        self._hooks: list | None = None

    @classmethod
    def _from_op(cls, data: np.ndarray, node: Any) -> Tensor:
        """Wrap an op's output without the checks of ``__init__`` (hot path)."""
        tensor = object.__new__(cls)
        tensor._data = data
        if node is None:  # a leaf; an op's output keeps _grad unset (see __slots__)
            tensor._grad = None
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
            self._data, kind = float_array_and_kind(value, op="Tensor.data")
            self._boolean = kind == "b"
        data_clock[0] += 1
        cell = self._version_cell
        if cell is None:
            cell = self.shared_version_cell()
        cell[0] = data_clock[0]

    @property
    def grad(self) -> np.ndarray | None:
        """dL/d(this tensor) after backward (an ndarray of its shape and dtype), or None.

        Assigning it takes an ndarray (or a Tensor, whose array is stored) of the
        tensor's shape and dtype, or None; anything else raises RuntimeError, as
        in PyTorch. Reading it on a non-leaf tensor that did not call
        ``retain_grad()`` gives None with a UserWarning, as in PyTorch.
        """
        try:
            return self._grad
        except AttributeError:  # an op's output never gets _grad unless it calls retain_grad()
            warnings.warn(_non_leaf_grad_message(self.grad_fn.name), UserWarning, stacklevel=2)
            return None

    @grad.setter
    def grad(self, value: Any) -> None:
        self._grad = None if value is None else _checked_grad(self, value)

    # (No __getattr__ for that warning: a class with one loses CPython's fast attribute
    # access on every Tensor, 8% of the tiny network's forward pass.)

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
        """The transpose: all axes reversed, as numpy's ``.T`` (0-d and 1-D tensors unchanged)."""
        return _ops.Transpose.apply(self, axes=None)

    # ------------------------------------------------------------- graph methods
    def retain_grad(self) -> None:
        """Keep this non-leaf tensor's gradient in ``.grad`` after backward."""
        if self.grad_fn is None:
            return  # leaves keep their gradient anyway
        try:
            self._grad  # noqa: B018 (set already: retain_grad() was called before)
        except AttributeError:
            self._grad = None  # from now on .grad reads None, without a warning, until backward
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
        detached._boolean = getattr(self, "_boolean", False)
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
        self._grad = None

    def _add_to_grad(self, grad: Any) -> None:
        """``.grad += grad`` (backward's accumulation), a fresh array of this dtype at first."""
        if isinstance(grad, Tensor):
            grad = grad._data
        if self._grad is None:
            self._grad = np.array(grad, dtype=self._data.dtype)  # a copy: never a shared array
        else:
            self._grad += grad

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

    # In-place arithmetic: see the class docstring
    def __iadd__(self, other: Any) -> Tensor:
        return self._in_place(other, np.add, _ops.Add, "+=")

    def __isub__(self, other: Any) -> Tensor:
        return self._in_place(other, np.subtract, _ops.Sub, "-=")

    def __imul__(self, other: Any) -> Tensor:
        return self._in_place(other, np.multiply, _ops.Mul, "*=")

    def __itruediv__(self, other: Any) -> Tensor:
        return self._in_place(other, np.divide, _ops.Div, "/=")

    def __ipow__(self, other: Any) -> Tensor:
        return self._in_place(other, np.power, _ops.Pow, "**=")

    def _in_place(self, other: Any, ufunc: np.ufunc, op: Any, symbol: str) -> Tensor:
        """``self <symbol> other``: in place when not recorded, else a new tensor (or an error)."""
        other_requires = isinstance(other, Tensor) and other._requires_grad
        if _grad_state.enabled and (self._requires_grad or other_requires):
            refusal = self._in_place_refusal(f"{op.name} ({symbol})")
            if refusal is not None:
                raise refusal
            return op.apply(self, other)  # recorded: a new tensor, as x = x + y
        try:
            ufunc(self._data, _as_data(other), out=self._data)
        except (ValueError, TypeError) as error:
            raise _in_place_error(op.name, symbol, self.shape, other, error) from None
        self.data = self._data  # an assignment: the version counter moves
        return self

    def __setitem__(self, index: Any, value: Any) -> None:
        """``x[index] = value`` in place, when not recorded (under ``no_grad()``, or when
        neither side requires grad); recorded, it raises (build the new values with
        ``where`` or ``concatenate`` instead)."""
        value_requires = isinstance(value, Tensor) and value._requires_grad
        if _grad_state.enabled and (self._requires_grad or value_requires):
            raise self._in_place_refusal("setitem") or RuntimeError(
                f"setitem: assigning into a tensor in the graph (shape {self.shape}) is not "
                "differentiable here; build the new values with where(mask, new, x) or "
                "concatenate, or assign under no_grad()"
            )
        try:
            self._data[_ops.plain_index(index)] = _as_data(value)
        except IndexError as error:
            raise IndexError(f"setitem: {error} (tensor shape {self.shape})") from None
        except ValueError as error:  # (a value that does not broadcast to the selection)
            raise _ops.ShapeError(f"setitem: {error} (tensor shape {self.shape})") from None
        except TypeError as error:
            raise TypeError(f"setitem: {error} (tensor shape {self.shape})") from None
        self.data = self._data  # an assignment: the version counter moves

    def _in_place_refusal(self, op: str) -> RuntimeError | None:
        """The error for changing this tensor in place while recording, where a new tensor
        would silently differ from PyTorch: a leaf that requires grad, or a view of another."""
        if self.grad_fn is None and self._requires_grad:
            return RuntimeError(
                f"{op}: a leaf Tensor that requires grad (shape {self.shape}) is being used in "
                "an in-place operation. To update a parameter, do it inside `with no_grad():` "
                "(as in PyTorch) or on .data (w.data -= lr * w.grad); to compute a new value, "
                "write x = x + y"
            )
        node = self.grad_fn
        if node is not None and self._version_cell is not None and node.function.returns_view:
            viewed = node._inputs[0]  # a leaf Tensor, or the node that made the input
            cell = viewed._version_cell if isinstance(viewed, Tensor) else viewed._output_cell
            if self._version_cell is cell:  # one counter: the output is a view of the input
                return RuntimeError(
                    f"{op}: this tensor (shape {self.shape}) is a view made by "
                    f"'{self.grad_fn.name}', and changing it in place while recording would "
                    "not change the tensor it views; write y = y + 1 for a new tensor, or "
                    "change the viewed tensor under no_grad()"
                )
        return None

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
    # Each reduction also takes PyTorch's names, dim= and keepdim= (keyword only).
    def sum(
        self, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None, keepdim: Any = None
    ) -> Tensor:
        """The sum over ``axis`` (an int, a tuple, or None for all axes)."""
        if dim is not None or keepdim is not None:
            axis, keepdims = _torch_names("sum", axis, keepdims, dim, keepdim)
        if axis is not None:
            axis = _ops.reduction_axis(axis, self._data.shape, "sum")
        return _ops.Sum.apply(self, axis=axis, keepdims=keepdims)

    def mean(
        self, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None, keepdim: Any = None
    ) -> Tensor:
        """The mean over ``axis``; over no values it is nan with numpy's RuntimeWarning."""
        if dim is not None or keepdim is not None:
            axis, keepdims = _torch_names("mean", axis, keepdims, dim, keepdim)
        if axis is not None:
            axis = _ops.reduction_axis(axis, self._data.shape, "mean")
        return _ops.Mean.apply(self, axis=axis, keepdims=keepdims)

    def var(
        self,
        axis: Axis = None,
        keepdims: bool = False,
        ddof: int = 0,
        *,
        dim: Axis = None,
        keepdim: Any = None,
        correction: int | None = None,
        unbiased: bool | None = None,
    ) -> Tensor:
        """sum (x - mean)^2 / (n - ddof) over ``axis``.

        ``ddof`` defaults to 0 (numpy's biased variance); PyTorch's ``var``
        defaults to the unbiased one (its ``correction=1``). ``correction=`` and
        ``unbiased=`` are accepted as PyTorch's spellings of ``ddof``. With
        ``ddof >= n`` the result is inf or nan with numpy's RuntimeWarning.
        """
        if dim is not None or keepdim is not None:
            axis, keepdims = _torch_names("var", axis, keepdims, dim, keepdim)
        if correction is not None or unbiased is not None:
            ddof = _ddof_from_torch_names(ddof, correction, unbiased)
        if axis is not None:
            axis = _ops.reduction_axis(axis, self._data.shape, "var")
        return _ops.Var.apply(self, axis=axis, keepdims=keepdims, ddof=ddof)

    def max(
        self, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None, keepdim: Any = None
    ) -> Tensor:
        """The maximum over ``axis``: values only (PyTorch's ``max(dim)`` also gives indices).

        Tied maxima share the gradient evenly; NaN propagates, and its gradient
        goes to the NaN entries (as in PyTorch). Over an axis of size 0 it raises.
        """
        if dim is not None or keepdim is not None:
            axis, keepdims = _torch_names("max", axis, keepdims, dim, keepdim)
        if axis is not None:
            axis = _ops.reduction_axis(axis, self._data.shape, "max")
        return _ops.Max.apply(self, axis=axis, keepdims=keepdims)

    def min(
        self, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None, keepdim: Any = None
    ) -> Tensor:
        """The minimum over ``axis``: values only; ties, NaN and empty axes as ``max``."""
        if dim is not None or keepdim is not None:
            axis, keepdims = _torch_names("min", axis, keepdims, dim, keepdim)
        if axis is not None:
            axis = _ops.reduction_axis(axis, self._data.shape, "min")
        return _ops.Min.apply(self, axis=axis, keepdims=keepdims)

    def reshape(self, *shape: Any) -> Tensor:
        """The same values in a new shape (one -1 inferred): ``reshape(2, 3)`` or ``((2, 3))``."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return _ops.Reshape.apply(self, shape=shape)

    def transpose(self, *axes: Any, dim0: int | None = None, dim1: int | None = None) -> Tensor:
        """Permute the axes.

        ``transpose()`` reverses them all (as ``.T``); ``transpose(dim0, dim1)``,
        with exactly two axes, swaps those two, as in PyTorch, on any number of
        dimensions (numpy would read ``(0, 1)`` on a matrix as the identity);
        three or more axes, or one tuple or list, are a permutation, as in numpy
        (``transpose((1, 0, 2))``). Negative axes count from the end.
        """
        if dim0 is not None or dim1 is not None:
            if axes or dim0 is None or dim1 is None:
                raise TypeError(
                    "transpose: give the two axes to swap as dim0= and dim1=, or as axes"
                )
            axes = (dim0, dim1)
        if len(axes) == 2 and not isinstance(axes[0], (tuple, list)):
            permutation = _ops.swapped_axes(self._data.shape, axes[0], axes[1], "transpose")
        elif not axes or axes == (None,):
            permutation = None
        elif len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            permutation = tuple(axes[0])
        else:
            permutation = axes
        return _ops.Transpose.apply(self, axes=permutation)

    def permute(self, *dims: Any) -> Tensor:
        """Reorder the axes: output axis i is input axis ``dims[i]`` (PyTorch's ``permute``;
        ``permute(2, 0, 1)`` or ``permute((2, 0, 1))``)."""
        if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
            dims = tuple(dims[0])
        return _ops.Transpose.apply(self, axes=_ops.permutation(dims, self._data.shape, "permute"))

    def swapaxes(self, axis1: int, axis2: int) -> Tensor:
        """Swap two axes (numpy's name; the same as ``transpose(axis1, axis2)``)."""
        axes = _ops.swapped_axes(self._data.shape, axis1, axis2, "swapaxes")
        return _ops.Transpose.apply(self, axes=axes)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """The axes ``start_dim`` to ``end_dim`` (default: all) merged into one, as PyTorch."""
        if start_dim == 0 and end_dim == -1:
            return _ops.Reshape.apply(self, shape=(-1,))
        return _ops.Reshape.apply(
            self, shape=_ops.flattened_shape(self._data.shape, start_dim, end_dim)
        )

    def exp(self) -> Tensor:
        return _ops.Exp.apply(self)

    def log(self) -> Tensor:
        return _ops.Log.apply(self)

    def sqrt(self) -> Tensor:
        return _ops.Sqrt.apply(self)

    def abs(self) -> Tensor:
        return _ops.Abs.apply(self)

    def clip(self, lo: Any = None, hi: Any = None, *, min: Any = None, max: Any = None) -> Tensor:
        """Values limited to [lo, hi] (None: no limit on that side; ``min=``/``max=`` are
        PyTorch's names). The gradient passes where lo <= x <= hi, bounds included."""
        if min is not None or max is not None:
            lo, hi = _torch_bounds(lo, hi, min, max)
        return _ops.Clip.apply(self, lo=lo, hi=hi)

    clamp = clip  # PyTorch's name

    def tanh(self) -> Tensor:
        return _ops.Tanh.apply(self)

    def sigmoid(self) -> Tensor:
        return _ops.Sigmoid.apply(self)

    def relu(self) -> Tensor:
        return _ops.Relu.apply(self)

    def leaky_relu(self, slope: float = 0.01) -> Tensor:
        return _ops.LeakyRelu.apply(self, slope=slope)

    def softmax(self, axis: int = LAST_AXIS, *, dim: int | None = None) -> Tensor:
        """e^x / sum e^x along ``axis`` (``dim=`` is PyTorch's name), computed without overflow."""
        if dim is not None:
            axis = torch_axis("softmax", axis, dim)
        return _ops.Softmax.apply(self, axis=axis)

    def log_softmax(self, axis: int = LAST_AXIS, *, dim: int | None = None) -> Tensor:
        """x - log sum e^x along ``axis`` (``dim=`` is PyTorch's name), without overflow."""
        if dim is not None:
            axis = torch_axis("log_softmax", axis, dim)
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

    def __int__(self) -> int:
        return int(self.item())

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
            "grad": getattr(self, "_grad", None),
            "requires_grad": self._requires_grad,
            "name": self.name,
            "boolean": getattr(self, "_boolean", False),
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._data = state["data"]
        self._grad = state["grad"]
        self._boolean = state.get("boolean", False)
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


def _torch_names(op: str, axis: Any, keepdims: bool, dim: Any, keepdim: Any) -> tuple[Any, bool]:
    """(axis, keepdims) from numpy's and PyTorch's spellings; both at once is a TypeError."""
    if dim is not None:
        if axis is not None:
            raise TypeError(f"{op}: got both axis={axis!r} and dim={dim!r}; give one of them")
        axis = dim
    if keepdim is not None:
        if keepdims is not False:
            raise TypeError(f"{op}: got both keepdims= and keepdim=; give one of them")
        keepdims = bool(keepdim)
    return axis, keepdims


def torch_axis(op: str, axis: int, dim: int) -> int:
    """``dim`` (PyTorch's name) in place of ``axis``, which must then be left at its default
    (a ``DefaultAxis``: ``softmax(axis=-1, dim=0)`` raises, as in PyTorch)."""
    if not isinstance(axis, DefaultAxis):
        raise TypeError(f"{op}: got both axis={axis!r} and dim={dim!r}; give one of them")
    return dim


def _ddof_from_torch_names(ddof: int, correction: int | None, unbiased: bool | None) -> int:
    """var's ddof from PyTorch's ``correction=`` or ``unbiased=`` (only one of the three)."""
    given = [
        name
        for name, value in (("correction", correction), ("unbiased", unbiased))
        if value is not None
    ]
    if len(given) > 1 or ddof != 0:
        raise TypeError(
            f"var: got ddof={ddof} and {' and '.join(given)}; give only one of ddof=, "
            "correction= and unbiased="
        )
    return int(correction) if correction is not None else int(bool(unbiased))


def _torch_bounds(lo: Any, hi: Any, minimum: Any, maximum: Any) -> tuple[Any, Any]:
    """clip's (lo, hi) from PyTorch's ``min=`` and ``max=`` (each side given once at most)."""
    if (minimum is not None and lo is not None) or (maximum is not None and hi is not None):
        raise TypeError("clip: got a bound both as lo/hi and as min=/max=; give each once")
    return (lo if minimum is None else minimum), (hi if maximum is None else maximum)


def _checked_grad(tensor: Tensor, value: Any) -> np.ndarray:
    """A value assigned to ``tensor.grad``, checked as PyTorch checks it (RuntimeError)."""
    if isinstance(value, Tensor):
        value = value._data
    elif isinstance(value, np.generic) and not isinstance(value, np.bool_):
        value = np.asarray(value)  # the numpy scalars that 0-d arithmetic gives
    if type(value) is not np.ndarray:
        raise RuntimeError(
            f"Tensor.grad: assigned grad expected to be an ndarray (or a Tensor) or None, but "
            f"got {type(value).__name__}; assign np.asarray(value, dtype=tensor.dtype)"
        )
    dtype = tensor._data.dtype
    if value.dtype != dtype:
        raise RuntimeError(
            f"Tensor.grad: assigned grad has data of a different type ({value.dtype}) than the "
            f"tensor ({dtype}); convert it with .astype(np.{dtype})"
        )
    if value.shape != tensor._data.shape:
        raise RuntimeError(
            f"Tensor.grad: assigned grad has data of a different size: shape {value.shape} "
            f"for a tensor of shape {tensor._data.shape}"
        )
    return value


def _non_leaf_grad_message(op: str) -> str:
    return (
        "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed (this "
        f"one was made by '{op}'). Its .grad attribute won't be populated during backward(). "
        "If you indeed want the .grad field to be populated for a non-leaf Tensor, use "
        ".retain_grad() on the non-leaf Tensor. If you access the non-leaf Tensor by mistake, "
        "make sure you access the leaf Tensor instead."
    )


def _in_place_error(
    op: str, symbol: str, shape: tuple[int, ...], other: Any, error: Exception
) -> Exception:
    if isinstance(error, ValueError):
        return _ops.ShapeError(
            f"{op} ({symbol}): the result of broadcasting {np.shape(_as_data(other))} against "
            f"the tensor's shape {shape} does not fit in place; write x = x {symbol[:-1]} y for a "
            "new tensor of the broadcast shape"
        )
    return TypeError(
        f"{op} ({symbol}): unsupported operand of type {type(other).__name__} for a tensor of "
        f"shape {shape} ({error})"
    )


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

Tensor.backward = _graph.backward  # type: ignore[attr-defined]  # (its docstring is there)
