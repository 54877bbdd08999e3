"""Gradient checking with two-sided differences (Improving Deep Neural Networks notes,
sections 11-13: numerical approximation of gradients, gradient checking, practical tips).

For every entry theta_i of every input that requires grad::

    dtheta_approx[i] = (J(theta + eps e_i) - J(theta - eps e_i)) / (2 eps)

and the check is the relative difference of the Improving Deep Neural Networks notes
(section 12)::

    difference = ||dtheta_approx - dtheta||_2 / (||dtheta_approx||_2 + ||dtheta||_2)

read as: below 1e-7 great, around 1e-5 inspect, above 1e-3 a bug.

``gradgradcheck`` applies the same check one order up: the gradients that
``grad(..., create_graph=True)`` returns are differentiated again and compared
with two-sided differences of those gradients.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .grad_mode import enable_grad, is_grad_enabled, no_grad
from .graph import grad
from .tensor import Tensor

_WEIGHTS_SEED = 0x9E3779B9  # the golden-ratio constant: arbitrary, and not 0, 1 or 42
_GRAD_OUTPUT_SEED = 0x85EBCA6B  # gradgradcheck's v and u: another arbitrary constant


class GradcheckError(RuntimeError):
    """Raised by ``gradcheck`` (and ``gradgradcheck``) when backprop and finite differences
    disagree."""

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
    """The outcome of ``gradcheck`` or ``gradgradcheck`` (``check`` says which).

    ``difference``: the relative difference over all checked entries;
    ``per_input``: the same for each input that requires grad (by position;
    for ``gradgradcheck``, position ``grad_output`` is the weights v that stand
    for the output's gradient);
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
    check: str = "gradcheck"
    grad_output: int | None = None

    def _name(self, position: int) -> str:
        if position == self.grad_output:
            return f"input {position} (v, the output's gradient)"
        return f"input {position}"

    def __str__(self) -> str:
        verdict = "passed" if self.passed else "FAILED"
        per_input = ", ".join(f"{self._name(i)}: {d:.3e}" for i, d in self.per_input.items())
        lines = [
            f"{self.check} {verdict}: relative difference {self.difference:.3e} "
            f"(tolerance {self.tol:.0e}, eps {self.eps:.0e})",
            "  per input: " + per_input,
            "  worst entries (input, index: finite difference vs backprop):",
        ]
        for entry in self.worst:
            lines.append(
                f"    {self._name(entry.input)}, index {entry.index}: "
                f"{entry.numerical:.10g} vs {entry.analytic:.10g} (error {entry.error:.3e})"
            )
        if not self.worst:
            lines.append("    none: the inputs have no entries, so nothing was checked")
        if self.empty:
            lines.append(f"  note: input(s) {self.empty} have no entries (size 0)")
        if self.unused and self.check == "gradgradcheck":
            lines.append(
                f"  note: backprop found the gradients do not depend on input(s) {self.unused} "
                "(second derivatives taken as zero, as for a linear op); a nonzero finite "
                "difference there means a backward cut the graph (it computed on .data or with "
                "numpy instead of Tensor operations)"
            )
        elif self.unused:
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
    deterministic (turn dropout off, as the Improving Deep Neural Networks notes
    advise in section 13).

    The check leaves everything as it was: every perturbed entry gets its exact
    value back, also when ``fn`` raises or on Ctrl-C; ``.grad`` of the inputs is
    not touched (backprop's gradients come from ``grad()``). ``fn`` is called
    2n + 1 times for n entries: a model in training mode updates its BatchNorm
    running statistics at each call. When ``fn`` is itself such a model (it has
    ``state_dict`` and ``load_state_dict``) its state is restored afterwards; when
    ``fn`` only calls one, save and load its ``state_dict()`` around the check.
    Raises ``GradcheckError`` on failure unless ``raise_on_failure=False``.
    """
    inputs = _checked_arguments("gradcheck", inputs, eps, tol)
    checked = _checked_inputs(inputs, "gradcheck")
    state = _model_state(fn)
    try:
        report = _compare(fn, inputs, checked, eps, tol, n_worst, "gradcheck")
    finally:
        if state is not None:
            fn.load_state_dict(state)  # type: ignore[attr-defined]
    if raise_on_failure and not report.passed:
        raise GradcheckError(report)
    return report


def gradgradcheck(
    fn: Callable[..., Tensor],
    inputs: Tensor | Sequence[Tensor],
    eps: float = 1e-6,
    tol: float = 1e-7,
    raise_on_failure: bool = True,
    n_worst: int = 5,
) -> GradcheckReport:
    """Second-order gradcheck: differentiate the gradients of ``fn(*inputs)`` again and
    compare with two-sided differences of those gradients.

    The gradients are those of ``sum(fn(*inputs) * v)``, computed with
    ``grad(..., create_graph=True)``, for fixed random weights ``v`` of the
    output's shape (``v`` stands for dL/d(output), as gradcheck's weights do).
    They are checked as a function of the inputs and of ``v``, contracted with
    further fixed random weights ``u_i`` of each input's shape::

        s(inputs, v) = sum_i sum(u_i * d sum(fn(*inputs) * v) / d input_i)

    ``ds/d input`` is a Hessian-vector product (the second derivatives); ``ds/dv``
    is the Jacobian applied to ``u``, and is right only if each backward is
    recorded as a differentiable function of its output's gradient: a backward
    that computes on ``.data`` or with numpy loses the graph there and fails.
    Both are compared with two-sided differences of ``s``, which need first-order
    gradients only: ``fn`` is called 2n + 2 times (each with a backward pass) for n
    entries of the inputs and of ``v``.

    Arguments, report and failure behaviour are gradcheck's: float64 leaves
    only, everything restored afterwards (also when ``fn`` raises), a
    ``GradcheckReport`` with ``check = "gradgradcheck"`` whose position
    ``grad_output`` (= len(inputs)) is ``v``; ``GradcheckError`` on failure unless
    ``raise_on_failure=False``.
    """
    inputs = _checked_arguments("gradgradcheck", inputs, eps, tol)
    checked = _checked_inputs(inputs, "gradgradcheck")
    state = _model_state(fn)
    try:
        with enable_grad():
            output_shape = _call(fn, inputs, "gradgradcheck").shape
        rng = np.random.default_rng(_GRAD_OUTPUT_SEED)
        v = Tensor(np.asarray(rng.standard_normal(output_shape), np.float64), requires_grad=True)
        probes = [rng.standard_normal(inputs[i].shape) for i in checked]

        def contracted_gradients(*values_and_v: Tensor) -> Tensor:
            """s: the first-order gradients contracted with the probes (differentiable
            when called with grad recording on, plain values under no_grad)."""
            *values, weights = values_and_v
            record = is_grad_enabled()
            with enable_grad():
                weighted = (_call(fn, values, "gradgradcheck") * weights).sum()
                gradients = grad(
                    weighted,
                    [values[i] for i in checked],
                    create_graph=record,
                    allow_unused=True,
                )
            total = Tensor(np.zeros((), np.float64))
            for gradient, probe in zip(gradients, probes):
                if gradient is not None:
                    total = total + (gradient * probe).sum()
            return total

        position = len(inputs)
        report = _compare(
            contracted_gradients,
            [*inputs, v],
            [*checked, position],
            eps,
            tol,
            n_worst,
            "gradgradcheck",
        )
        report.grad_output = position
    finally:
        if state is not None:
            fn.load_state_dict(state)  # type: ignore[attr-defined]
    if raise_on_failure and not report.passed:
        raise GradcheckError(report)
    return report


def _checked_arguments(caller: str, inputs: Any, eps: float, tol: float) -> list[Any]:
    if not (eps > 0 and tol > 0):
        raise ValueError(f"{caller}: eps and tol must be > 0, got eps={eps}, tol={tol}")
    return [inputs] if isinstance(inputs, Tensor) else list(inputs)


def _compare(
    fn: Callable[..., Tensor],
    inputs: list[Tensor],
    checked: list[int],
    eps: float,
    tol: float,
    n_worst: int,
    caller: str,
) -> GradcheckReport:
    """Backprop's gradients of fn against two-sided differences, for the checked inputs."""
    analytic, unused, weights = _backprop_gradients(fn, inputs, checked, caller)

    def cost() -> float:
        with no_grad():
            value = _call(fn, inputs, caller).data
        return float(np.sum(value * weights) if weights is not None else np.sum(value))

    numerical = [_two_sided_differences(cost, inputs[i].data, eps) for i in checked]
    report = _report(checked, numerical, analytic, tol, eps, n_worst)
    report.check = caller
    report.unused = unused
    report.empty = [i for i in checked if inputs[i].data.size == 0]
    return report


def _model_state(fn: Any) -> Any:
    """A snapshot of ``fn``'s state when it is a model (it has state_dict/load_state_dict)."""
    if callable(getattr(fn, "state_dict", None)) and callable(getattr(fn, "load_state_dict", None)):
        return fn.state_dict()
    return None


def _backprop_gradients(
    fn: Callable[..., Tensor], inputs: list[Tensor], checked: list[int], caller: str
) -> tuple[list[np.ndarray], list[int], np.ndarray | None]:
    """(gradients of the checked inputs, the inputs the output does not depend on, the
    weights that reduce a non-scalar output to a scalar)."""
    weights = None
    with enable_grad():  # the reduction too, or inside no_grad() it would cut the graph
        output = _call(fn, inputs, caller)
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


def _checked_inputs(inputs: list[Any], caller: str) -> list[int]:
    checked = []
    for position, tensor in enumerate(inputs):
        if not isinstance(tensor, Tensor):
            raise TypeError(
                f"{caller}: input {position} is a {type(tensor).__name__}, not a Tensor"
            )
        if not tensor.requires_grad:
            continue
        if tensor.dtype != np.float64:
            raise TypeError(
                f"{caller}: input {position} is {tensor.dtype}; two-sided differences need "
                "float64 (float32 rounding swamps eps). Use Tensor(x, dtype=np.float64, "
                "requires_grad=True)."
            )
        if not tensor.is_leaf:
            raise ValueError(
                f"{caller}: input {position} is not a leaf (it was made by "
                f"'{tensor.grad_fn.name}'); pass leaf tensors and compute inside fn"
            )
        if not tensor.data.flags.writeable:
            raise ValueError(
                f"{caller}: input {position}'s array is read-only (a broadcast view?), so it "
                "cannot be perturbed; pass Tensor(np.array(x), requires_grad=True)"
            )
        checked.append(position)
    if not checked:
        raise ValueError(f"{caller}: no input has requires_grad=True, so nothing to check")
    return checked


def _call(fn: Callable[..., Tensor], inputs: list[Tensor], caller: str) -> Tensor:
    output = fn(*inputs)
    if not isinstance(output, Tensor):
        raise TypeError(f"{caller}: fn must return a Tensor, got {type(output).__name__}")
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
