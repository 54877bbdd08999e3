"""Finding where a NaN comes from: ``detect_anomaly`` and ``set_detect_anomaly``.

While the mode is on, every op remembers where the user's code called it:
the file, line and text of the first frame outside the library (outside
``autograd_mini`` and ``nn``). A backward that produces NaN or inf in a
gradient then raises a RuntimeError naming the op, which of its inputs'
gradients, and that line. With ``check_forward=True``, an op whose output
holds NaN or inf while none of its inputs does raises at once, named the
same way. As in PyTorch, the mode is global (not per thread).

When the mode is off it costs one attribute read per op and per backward:
nothing is recorded and nothing is checked.
"""

from __future__ import annotations

import functools
import linecache
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

F = TypeVar("F", bound=Callable[..., Any])


class _AnomalyState:
    enabled = False
    check_forward = False


state = _AnomalyState()


def is_anomaly_enabled() -> bool:
    """True while anomaly detection is on."""
    return state.enabled


class set_detect_anomaly:  # noqa: N801 - PyTorch's name
    """Turn anomaly detection on or off: at once when called, and back when used as a
    context manager (``with set_detect_anomaly(True): ...``), as in PyTorch."""

    def __init__(self, mode: bool, check_forward: bool = False) -> None:
        self._previous = (state.enabled, state.check_forward)
        state.enabled, state.check_forward = bool(mode), bool(mode and check_forward)

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc_info: object) -> None:
        state.enabled, state.check_forward = self._previous


class detect_anomaly:  # noqa: N801 - PyTorch's name
    """``with detect_anomaly(): ...`` (or ``@detect_anomaly()``): find the op that made a NaN.

    In the block, a backward producing NaN or inf raises a RuntimeError naming
    the op, the input whose gradient it is, and the file and line of your code
    that called the op. ``check_forward=True`` also stops at the first op
    whose output holds NaN or inf while its inputs are finite. The previous
    mode is restored when the block ends, also after an exception.
    """

    def __init__(self, check_forward: bool = False) -> None:
        self.check_forward = check_forward
        self._previous: list[tuple[bool, bool]] = []

    def __enter__(self) -> None:
        self._previous.append((state.enabled, state.check_forward))
        state.enabled, state.check_forward = True, bool(self.check_forward)

    def __exit__(self, *exc_info: object) -> None:
        state.enabled, state.check_forward = self._previous.pop()

    def __call__(self, function: F) -> F:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with detect_anomaly(self.check_forward):
                return function(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


# --------------------------------------------------------------------------
# What the engine calls while the mode is on


def after_forward(function: type, ctx: Any, arrays: list[Any], out: np.ndarray) -> None:
    """Remember where the user called this op; with check_forward, stop at a new NaN/inf."""
    ctx.origin = user_line()
    if state.check_forward and not _finite(out) and all(_finite(a) for a in arrays):
        raise RuntimeError(
            f"anomaly: the forward of '{function.name}' made {_kind(out)} out of finite inputs "
            f"(output shape {out.shape}); it was called at {ctx.origin}"
        )


def user_line() -> str:
    """``file:line: code`` of the innermost frame outside autograd_mini and nn."""
    frame = sys._getframe(1)
    while frame is not None and _in_library(frame.f_globals.get("__name__", "")):
        frame = frame.f_back
    if frame is None:
        return "an unknown place (no frame outside the library)"
    code = linecache.getline(frame.f_code.co_filename, frame.f_lineno).strip()
    return f"{frame.f_code.co_filename}:{frame.f_lineno}" + (f": {code}" if code else "")


def _in_library(module: str) -> bool:
    return module.split(".", 1)[0] in ("autograd_mini", "nn")


def with_checks(observer: Any) -> Any:
    """The walk's observer with anomaly mode's gradient checks added."""
    checks = _GradientChecks()
    return checks if observer is None else _Both(observer, checks)


class _GradientChecks:
    """Raises when a node's backward produced NaN or inf."""

    def sender(self, send: Callable) -> Callable:
        return send

    def ran(self, node: Any, grad: Any, input_grads: tuple, retain_graph: bool) -> None:
        # Only the gradients the walk passes on: a backward may compute a constant's
        # gradient anyway, as a step to another (div's grad / b), and that one is dropped.
        for position, (need, gradient) in enumerate(zip(node.needs_input_grad, input_grads)):
            if need and gradient is not None and not _finite(gradient):
                where = node.origin or (
                    "an unknown place (the forward pass ran outside detect_anomaly(); run it "
                    "inside to see the line)"
                )
                raise RuntimeError(
                    f"anomaly: the backward of '{node.name}' produced {_kind(gradient)} in the "
                    f"gradient of its input {position} (shape {np.shape(_values(gradient))}); "
                    f"'{node.name}' was called at {where}"
                )


class _Both:
    """Two observers of one walk (trace_backward inside detect_anomaly)."""

    def __init__(self, first: Any, second: Any) -> None:
        self.first, self.second = first, second

    def sender(self, send: Callable) -> Callable:
        return self.second.sender(self.first.sender(send))

    def ran(self, node: Any, grad: Any, input_grads: tuple, retain_graph: bool) -> None:
        self.second.ran(node, grad, input_grads, retain_graph)
        self.first.ran(node, grad, input_grads, retain_graph)


def _values(value: Any) -> Any:
    return getattr(value, "_data", value)


def _finite(value: Any) -> bool:
    values = _values(value)
    if not isinstance(values, (np.ndarray, np.generic)) or values.dtype.kind not in "fc":
        return True
    return bool(np.isfinite(values).all())


def _kind(value: Any) -> str:
    values = np.asarray(_values(value))
    has_nan, has_inf = bool(np.isnan(values).any()), bool(np.isinf(values).any())
    return "nan and inf" if has_nan and has_inf else ("nan" if has_nan else "inf")
