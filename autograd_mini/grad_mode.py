"""Gradient recording mode: ``no_grad``, ``enable_grad``, ``is_grad_enabled``.

The mode is per thread, as in PyTorch: a ``with no_grad():`` block in one
thread does not stop another thread from recording its graph.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class _GradState(threading.local):
    # A class attribute of a threading.local subclass is the per-thread default.
    enabled = True


_state = _GradState()


def is_grad_enabled() -> bool:
    """True if operations in this thread currently record the graph."""
    return _state.enabled


class _GradModeContext:
    """Context manager and decorator (``@no_grad()`` or ``@no_grad``) setting the mode."""

    _target: bool

    def __new__(cls, function: Callable | None = None) -> Any:
        instance = super().__new__(cls)
        if callable(function):  # used bare, as @no_grad: decorate right away
            instance.__init__()
            return instance(function)
        return instance

    def __init__(self, function: Callable | None = None) -> None:
        self._previous: list[bool] = []

    def __enter__(self) -> None:
        self._previous.append(_state.enabled)
        _state.enabled = self._target

    def __exit__(self, *exc_info: object) -> None:
        _state.enabled = self._previous.pop()

    def __call__(self, function: F) -> F:
        target = self._target

        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            previous = _state.enabled
            _state.enabled = target
            try:
                return function(*args, **kwargs)
            finally:
                _state.enabled = previous

        return wrapper  # type: ignore[return-value]


class no_grad(_GradModeContext):  # noqa: N801 - the name users know from PyTorch
    """Disable graph recording: ``with no_grad(): ...`` or ``@no_grad()``.

    Results computed inside have ``requires_grad=False`` and no ``grad_fn``;
    use it for evaluation and for parameter updates.
    """

    _target = False


class enable_grad(_GradModeContext):  # noqa: N801
    """Re-enable graph recording inside a ``no_grad`` block (or as a decorator)."""

    _target = True


class set_grad_enabled(_GradModeContext):  # noqa: N801
    """Set the grad mode to ``mode`` for a block, like ``torch.set_grad_enabled``."""

    def __new__(cls, mode: bool) -> Any:
        return object.__new__(cls)

    def __init__(self, mode: bool) -> None:
        super().__init__()
        self._target = bool(mode)
