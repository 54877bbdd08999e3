"""Gradient checking with two-sided differences (Improving Deep Neural Networks notes,
sections 11-13: numerical approximation of gradients, gradient checking, practical tips).

For every entry theta_i of every input that requires grad::

    dtheta_approx[i] = (J(theta + eps e_i) - J(theta - eps e_i)) / (2 eps)

and the check is the documents' relative difference::

    difference = ||dtheta_approx - dtheta||_2 / (||dtheta_approx||_2 + ||dtheta||_2)

read as: below 1e-7 great, around 1e-5 inspect, above 1e-3 a bug.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .grad_mode import enable_grad, no_grad
from .graph import grad
from .tensor import Tensor

_WEIGHTS_SEED = 0x9E3779B9  # the golden-ratio constant: arbitrary, and not 0, 1 or 42


class GradcheckError(RuntimeError):
    """Raised by ``gradcheck`` when backprop and finite differences disagree."""

    def __init__(self, report: GradcheckReport) -> None:
        super().__init__(str(report))
        self.report = report


@dataclass(frozen=True)
class Entry:
    """One entry of one input: where it is and both estimates of its derivative."""

    input: int
    index: tuple[int, ...]
    numerical: float
    analytic: float

    @property
    def error(self) -> float:
        return abs(self.numerical - self.analytic)


@dataclass
class GradcheckReport:
    """The outcome of ``gradcheck``.

    ``difference``: the relative difference over all checked entries;
    ``per_input``: the same for each input that requires grad (by position);
    ``worst``: the entries with the largest absolute error, worst first;
    ``passed``: ``difference < tol``; ``unused``: the inputs backprop found the
    output does not depend on; ``empty``: the inputs with no entries (nothing to
    check there; an input set of only empty tensors passes with difference 0, as
    in PyTorch).
    """

    difference: float
    passed: bool
    tol: float
    eps: float
    per_input: dict[int, float] = field(default_factory=dict)
    worst: list[Entry] = field(default_factory=list)
    analytic_norm: float = 0.0
    unused: list[int] = field(default_factory=list)
    empty: list[int] = field(default_factory=list)

    def __str__(self) -> str:
        verdict = "passed" if self.passed else "FAILED"
        lines = [
            f"gradcheck {verdict}: relative difference {self.difference:.3e} "
            f"(tolerance {self.tol:.0e}, eps {self.eps:.0e})",
            "  per input: " + ", ".join(f"input {i}: {d:.3e}" for i, d in self.per_input.items()),
            "  worst entries (input, index: finite difference vs backprop):",
        ]
        for entry in self.worst:
            lines.append(
                f"    input {entry.input}, index {entry.index}: "
                f"{entry.numerical:.10g} vs {entry.analytic:.10g} (error {entry.error:.3e})"
            )
        if not self.worst:
            lines.append("    none: the inputs have no entries, so nothing was checked")
        if self.empty:
            lines.append(f"  note: input(s) {self.empty} have no entries (size 0)")
        if self.unused:
            lines.append(
                f"  note: backprop found the output does not depend on input(s) {self.unused} "
                "(its gradient taken as zero); a nonzero finite difference there means the "
                "graph was cut (a detach, a computation outside the Tensor ops)"
            )
        if not np.isfinite(self.difference):
            lines.append(
                "  note: the difference is not a number: fn's output or backprop's gradient "
                "is NaN or infinite at this point"
            )
        outliers = [i for i, d in self.per_input.items() if d >= self.tol]
        if self.passed and outliers:
            lines.append(
                f"  note: input(s) {outliers} alone read above the tolerance; their gradients "
                "are small next to the others', so the overall difference hides them"
            )
        if not self.passed and self.analytic_norm < 1e-9:
            lines.append(
                "  note: backprop's gradient is (almost) zero here, so the relative difference "
                "compares rounding noise with zero; check at a point where the gradient is not zero"
            )
        return "\n".join(lines)


def relative_difference(approx: np.ndarray, analytic: np.ndarray) -> float:
    """||approx - analytic|| / (||approx|| + ||analytic||), and 0 when both are zero."""
    denominator = np.linalg.norm(approx) + np.linalg.norm(analytic)
    if denominator == 0:
        return 0.0
    return float(np.linalg.norm(approx - analytic) / denominator)


def gradcheck(
    fn: Callable[..., Tensor],
    inputs: Tensor | Sequence[Tensor],
    eps: float = 1e-6,
    tol: float = 1e-7,
    raise_on_failure: bool = True,
    n_worst: int = 5,
) -> GradcheckReport:
    """Compare backprop's gradients of ``fn(*inputs)`` with two-sided differences.

    Only inputs with ``requires_grad=True`` are checked; they must be
    float64 leaves. A non-scalar output is reduced to ``sum(output * w)`` with
    fixed random weights ``w``, so every output element is checked. ``fn`` must be
    deterministic (turn dropout off, as the documents advise).

    The check leaves everything as it was: every perturbed entry gets its exact
    value back, also when ``fn`` raises or on Ctrl-C; ``.grad`` of the inputs is
    not touched (backprop's gradients come from ``grad()``). ``fn`` is called
    2n + 1 times for n entries: a model in training mode updates its BatchNorm
    running statistics at each call. When ``fn`` is itself such a model (it has
    ``state_dict`` and ``load_state_dict``) its state is restored afterwards; when
    ``fn`` only calls one, save and load its ``state_dict()`` around the check.
    Raises ``GradcheckError`` on failure unless ``raise_on_failure=False``.
    """
    if not (eps > 0 and tol > 0):
        raise ValueError(f"gradcheck: eps and tol must be > 0, got eps={eps}, tol={tol}")
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    checked = _checked_inputs(inputs)
    state = _model_state(fn)
    try:
        analytic, unused, weights = _backprop_gradients(fn, inputs, checked)

        def cost() -> float:
            with no_grad():
                value = _call(fn, inputs).data
            return float(np.sum(value * weights) if weights is not None else np.sum(value))

        numerical = [_two_sided_differences(cost, inputs[i].data, eps) for i in checked]
    finally:
        if state is not None:
            fn.load_state_dict(state)  # type: ignore[attr-defined]
    report = _report(checked, numerical, analytic, tol, eps, n_worst)
    report.unused = unused
    report.empty = [i for i in checked if inputs[i].data.size == 0]
    if raise_on_failure and not report.passed:
        raise GradcheckError(report)
    return report


def _model_state(fn: Any) -> Any:
    """A snapshot of ``fn``'s state when it is a model (it has state_dict/load_state_dict)."""
    if callable(getattr(fn, "state_dict", None)) and callable(getattr(fn, "load_state_dict", None)):
        return fn.state_dict()
    return None


def _backprop_gradients(
    fn: Callable[..., Tensor], inputs: list[Tensor], checked: list[int]
) -> tuple[list[np.ndarray], list[int], np.ndarray | None]:
    """(gradients of the checked inputs, the inputs the output does not depend on, the
    weights that reduce a non-scalar output to a scalar)."""
    with enable_grad():
        output = _call(fn, inputs)
    weights = None
    if output.size != 1:
        # fixed weights from a seed users are unlikely to draw their own data from: weights
        # equal to the data would make a normalization's weighted gradient vanish
        weights = np.random.default_rng(_WEIGHTS_SEED).standard_normal(output.shape)
        scalar = (output * weights).sum()
    else:
        scalar = output.sum()
    if scalar.requires_grad:
        gradients = grad(scalar, [inputs[i] for i in checked], allow_unused=True)
    else:  # cut from every input (detached): backprop's gradient is zero everywhere
        gradients = (None,) * len(checked)
    analytic = [
        np.zeros_like(inputs[i].data) if g is None else g.data for i, g in zip(checked, gradients)
    ]
    unused = [i for i, g in zip(checked, gradients) if g is None]
    return analytic, unused, weights


def _report(
    checked: list[int],
    numerical: list[np.ndarray],
    analytic: list[np.ndarray],
    tol: float,
    eps: float,
    n_worst: int,
) -> GradcheckReport:
    all_numerical = np.concatenate([n.ravel() for n in numerical])
    all_analytic = np.concatenate([a.ravel() for a in analytic])
    difference = relative_difference(all_numerical, all_analytic)
    entries = [
        Entry(i, tuple(int(k) for k in index), float(n[index]), float(a[index]))
        for i, n, a in zip(checked, numerical, analytic)
        for index in np.ndindex(n.shape)
    ]
    entries.sort(key=lambda entry: entry.error, reverse=True)
    return GradcheckReport(
        difference=difference,
        passed=bool(difference < tol),
        tol=tol,
        eps=eps,
        per_input={i: relative_difference(n, a) for i, n, a in zip(checked, numerical, analytic)},
        worst=entries[:n_worst],
        analytic_norm=float(np.linalg.norm(all_analytic)),
    )


def _checked_inputs(inputs: list[Any]) -> list[int]:
    checked = []
    for position, tensor in enumerate(inputs):
        if not isinstance(tensor, Tensor):
            raise TypeError(
                f"gradcheck: input {position} is a {type(tensor).__name__}, not a Tensor"
            )
        if not tensor.requires_grad:
            continue
        if tensor.dtype != np.float64:
            raise TypeError(
                f"gradcheck: input {position} is {tensor.dtype}; two-sided differences need "
                "float64 (float32 rounding swamps eps). Use Tensor(x, dtype=np.float64, "
                "requires_grad=True)."
            )
        if not tensor.is_leaf:
            raise ValueError(
                f"gradcheck: input {position} is not a leaf (it was made by "
                f"'{tensor.grad_fn.name}'); pass leaf tensors and compute inside fn"
            )
        if not tensor.data.flags.writeable:
            raise ValueError(
                f"gradcheck: input {position}'s array is read-only (a broadcast view?), so it "
                "cannot be perturbed; pass Tensor(np.array(x), requires_grad=True)"
            )
        checked.append(position)
    if not checked:
        raise ValueError("gradcheck: no input has requires_grad=True, so nothing to check")
    return checked


def _call(fn: Callable[..., Tensor], inputs: list[Tensor]) -> Tensor:
    output = fn(*inputs)
    if not isinstance(output, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor, got {type(output).__name__}")
    return output


def _two_sided_differences(cost: Callable[[], float], data: np.ndarray, eps: float) -> np.ndarray:
    """(J(x + eps) - J(x - eps)) / 2eps for each entry of ``data``, perturbed in place."""
    approx = np.empty(data.shape, dtype=np.float64)
    for index in np.ndindex(data.shape):
        original = data[index]
        try:
            data[index] = original + eps
            plus = cost()
            data[index] = original - eps
            minus = cost()
        finally:
            data[index] = original  # the exact value, also when cost() raises or on Ctrl-C
        approx[index] = (plus - minus) / (2 * eps)
    return approx
