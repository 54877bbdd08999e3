"""trace_backward: watching backward happen, one op at a time.

``trace_backward(loss)`` runs ``loss.backward()`` itself (the same walk, the
same ``.grad``) with an observer on the walk that writes down, for each op
node as it runs, the gradient it received and from whom, the rule it
applied and what it sent to each input. The result, a ``BackwardTrace``,
reads as text (``print(trace)``), draws the graph at any step
(``trace.draw(i)``) and becomes a page with a step slider (Jupyter shows it
inline; ``trace.save_html(path)`` writes it to a file).

The observer protocol of the walk (``graph._walk``): ``sender(send)``
returns the function that delivers each gradient to a node or a leaf, and
``ran(node, grad, input_grads, retain_graph)`` is called after each node's
backward, once the node has sent its gradients. The walk sends the seed
first, and then only from inside a node's turn, so every send since the
previous ``ran`` came from the node now reported.
"""

from __future__ import annotations

import html
import textwrap
import uuid
from dataclasses import dataclass
from os import PathLike
from typing import Any

import numpy as np

from . import viz
from .graph import Node, backward
from .tensor import Tensor


@dataclass
class BackwardStep:
    """One op node's turn in the backward walk (``trace.steps[i]``).

    ``output_grad`` is dL/d(output) as the op's backward got it: the sum of
    ``contributions`` (after the output's hooks, if it has any), one pair
    ``(step index, array)`` per use of the output by a later op (the seed has
    index None). ``input_grads`` holds, per positional input, the gradient
    sent to it (summed back to its shape where it was broadcast), or None
    where nothing was sent. ``formula`` is the op's derivative rule, ``freed``
    whether its saved arrays were released, ``saved_nbytes`` how many bytes
    of arrays forward had saved for this backward.
    """

    op: str
    output_grad: np.ndarray
    contributions: list[tuple[int | None, np.ndarray]]
    input_grads: tuple[np.ndarray | None, ...]
    formula: str
    freed: bool
    saved_nbytes: int


def trace_backward(
    tensor: Tensor, gradient: Any = None, retain_graph: bool = False
) -> BackwardTrace:
    """``tensor.backward(gradient, retain_graph)``, recorded step by step.

    Fills the same ``.grad`` values as ``backward`` and raises the same
    errors; returns a ``BackwardTrace`` with one step per op node, in the
    order the walk ran them (reverse topological: every consumer before the
    op that made its input).
    """
    if not isinstance(tensor, Tensor):
        raise TypeError(f"trace_backward: expected a Tensor, got {type(tensor).__name__}")
    recorder = _Recorder()
    backward(tensor, gradient, retain_graph, observer=recorder)
    return BackwardTrace(tensor, recorder)


class _Recorder:
    """The walk's observer: copies of every gradient sent, grouped by the node that sent it."""

    def __init__(self) -> None:
        self.seed: tuple[Any, np.ndarray] | None = None  # (target, array)
        self.turn: list[tuple[Any, np.ndarray]] = []  # sends of the node now running
        self.nodes: list[Node] = []
        self.output_grads: list[np.ndarray] = []
        self.sends: list[list[tuple[Any, np.ndarray]]] = []  # per step: (target, array)
        self.saved_nbytes: list[int] = []

    def sender(self, send: Any) -> Any:
        def recording_send(target: Any, grad: Any, pending: Any, queue: Any, leaf_grads: Any):
            copy = np.array(grad, copy=True)  # .grad may keep and later add into the original
            if self.seed is None:
                self.seed = (target, copy)
            else:
                self.turn.append((target, copy))
            send(target, grad, pending, queue, leaf_grads)

        return recording_send

    def ran(self, node: Node, grad: Any, input_grads: tuple, retain_graph: bool) -> None:
        self.nodes.append(node)
        self.output_grads.append(np.array(grad, copy=True))
        self.sends.append(self.turn)
        self.turn = []
        self.saved_nbytes.append(_saved_nbytes(node))


def _saved_nbytes(node: Node) -> int:
    """Bytes of the distinct arrays forward kept for this node's backward."""
    arrays = {id(v): v for v in (*(node.saved or ()), *node.__dict__.values())}
    return sum(v.nbytes for v in arrays.values() if isinstance(v, np.ndarray))


class BackwardTrace:
    """What one backward pass did, step by step: ``steps``, ``str()``, ``draw(i)``, a page.

    ``leaf_grads`` maps each leaf that received a gradient to the sum this
    backward sent it (its ``.grad`` is that plus whatever it held before).
    """

    def __init__(self, root: Tensor, recorder: _Recorder) -> None:
        self._root = root
        self._nodes = recorder.nodes
        self._index = {node: i for i, node in enumerate(self._nodes)}
        assert recorder.seed is not None
        self._seed = recorder.seed[1]
        self._sends = recorder.sends
        received: dict[Any, list[tuple[int | None, np.ndarray]]] = {
            recorder.seed[0]: [(None, self._seed)]
        }
        for step, sends in enumerate(self._sends):
            for target, array in sends:
                received.setdefault(target, []).append((step, array))
        self.steps = [
            BackwardStep(
                op=node.name,
                output_grad=output_grad,
                contributions=received.get(node, []),
                input_grads=_by_position(node, sends),
                formula=node.function.formula,
                freed=node.saved is None,
                saved_nbytes=nbytes,
            )
            for node, output_grad, sends, nbytes in zip(
                self._nodes, recorder.output_grads, self._sends, recorder.saved_nbytes
            )
        ]
        self.leaf_grads = {
            leaf: _total(parts) for leaf, parts in received.items() if isinstance(leaf, Tensor)
        }

    def __len__(self) -> int:
        return len(self.steps)

    def __repr__(self) -> str:
        return f"<BackwardTrace of {len(self.steps)} steps from {self._tensor(self._root, False)}>"

    # ---------------------------------------------------------------- text

    def __str__(self) -> str:
        head = (
            f"Backward from {self._tensor(self._root, with_step=False)}, shape {self._seed.shape}: "
            f"{len(self.steps)} steps, one per op, in the order the walk ran them "
            "(step i is trace.steps[i])."
        )
        return "\n\n".join([_wrapped(head), *(self.describe(i) for i in range(len(self.steps)))])

    def describe(self, i: int) -> str:
        """Step ``i`` as a paragraph: what it received and from whom, its rule, what it sent
        to each input, what it freed."""
        i = self._checked(i)
        step, node = self.steps[i], self._nodes[i]
        shape, _, name = node.output_info
        output = f"{name}, shape {shape}" if name else f"shape {shape}"
        lines = [f"Step {i}: {step.op} (output: {output})"]
        lines += self._received_lines(step, f"dL/d({name or 'output'})")
        lines.append(f"  rule: {step.formula}")
        for position, grad in enumerate(step.input_grads):
            if grad is not None:
                target = self._tensor(node._inputs[position])
                lines.append(f"  sent to input {position}, {target}: {_summary(grad)}")
        lines.append("  " + _freed_text(step))
        return "\n".join(_wrapped(line) for line in lines)

    def _received_lines(self, step: BackwardStep, name: str) -> list[str]:
        parts = step.contributions
        if len(parts) == 1:
            sender, array = parts[0]
            lines = [f"  received {name} from {self._sender(sender)}: {_summary(array)}"]
        else:
            lines = [f"  received {name} from {len(parts)} uses of the output, summed:"]
            for k, (sender, array) in enumerate(parts):
                sign = "+" if k else " "
                lines.append(f"    {sign} from {self._sender(sender)}: {_summary(array)}")
            lines.append(f"    = {_summary(_total(parts))}")
        if not np.array_equal(_total(parts), step.output_grad):
            lines.append(f"  after the output's hooks: {_summary(step.output_grad)}")
        return lines

    def _sender(self, step: int | None) -> str:
        if step is None:
            one = self._seed.size == 1 and float(self._seed.reshape(())) == 1.0
            return "the seed (dL/dL = 1)" if one else "the seed (the gradient given)"
        return f"step {step} ({self.steps[step].op})"

    def _tensor(self, value: Any, with_step: bool = True) -> str:
        """A tensor as the text calls it: its name, else the step (or op) that made it."""
        if isinstance(value, Tensor) and value.grad_fn is not None:
            value = value.grad_fn
        if not isinstance(value, Node):
            return value.name or f"a leaf of shape {value.shape}"
        name, step = value.output_info[2], self._index.get(value) if with_step else None
        if step is None:
            return name or f"the output of {value.name}"
        return f"{name} (from step {step})" if name else f"the output of step {step} ({value.name})"

    def _checked(self, i: int) -> int:
        if not isinstance(i, (int, np.integer)) or not -len(self.steps) <= i < len(self.steps):
            raise IndexError(
                f"BackwardTrace: step {i!r} out of range; this trace has steps "
                f"0 to {len(self.steps) - 1}"
            )
        return int(i) % len(self.steps)

    # ---------------------------------------------------------------- drawing

    def draw(
        self, i: int, rankdir: str = "LR", group_modules: bool = True, caption: bool = True
    ) -> Any:
        """The graph (a ``graphviz.Digraph``) as step ``i`` runs: its gradients just sent.

        ``draw_graph``'s picture (parameters named by their module path, the
        ops of each nn module boxed when ``group_modules``), with the ops that
        already ran grey, the op of step ``i`` orange, the ops still to run
        dashed, and on every tensor the gradient known so far (its parts so
        far, out of how many, where it is a sum). ``caption`` puts ``caption(i)``
        above the graph.
        """
        i = self._checked(i)
        dot = viz.draw_graph(self._root, rankdir=rankdir, group_modules=group_modules)
        values, nodes, _, _ = viz._collect(self._root, max_nodes=10**9)  # draw_graph checked
        known, root_key = self._known_until(i), viz._key(self._root)
        totals = self._parts_per_target()
        current_inputs = {viz._key(v) for v in self._nodes[i]._inputs if _takes_grad(v)}
        for index, (key, value) in enumerate(values.items()):  # draw_graph's order: t0, t1, ...
            label = viz._value_label(value, None, False, False)
            if isinstance(value, Node) or value.requires_grad:
                label += "\n" + _grad_line(known.get(key, []), totals.get(key, 0))
            style = _RECEIVING if key in current_inputs else {}
            kind = "output" if key is root_key else viz._kind(value)  # draw_graph's tooltip
            dot.node(f"t{index}", label=label, tooltip=kind, **style)
        for index, node in enumerate(nodes):
            step = self._index.get(node)
            if step is None:
                status, label = "never", f"{node.name}\nno gradient reached it"
                style = _STATUS[status]
            else:
                status = "done" if step < i else ("now" if step == i else "pending")
                style, label = _STATUS[status], f"{node.name}\nstep {step}"
            dot.node(f"op{index}", label=label, tooltip=f"op, {status}", **style)
        dot.attr(ranksep="0.3", nodesep="0.25")
        if caption:
            text = textwrap.fill(self.caption(i), 90, break_on_hyphens=False)
            dot.attr(label=text, labelloc="t", fontname="Helvetica", fontsize="12")
        return dot

    def _known_until(self, i: int) -> dict[Any, list[np.ndarray]]:
        """Per drawn tensor (draw_graph's key): the parts of its gradient sent by steps <= i."""
        root_key = viz._key(self._root)
        known: dict[Any, list[np.ndarray]] = {root_key: [self._seed]}
        for sends in self._sends[: i + 1]:
            for target, array in sends:
                known.setdefault(viz._key(target), []).append(array)
        return known

    def _parts_per_target(self) -> dict[Any, int]:
        totals: dict[Any, int] = {viz._key(self._root): 1}
        for sends in self._sends:
            for target, _ in sends:
                key = viz._key(target)
                totals[key] = totals.get(key, 0) + 1
        return totals

    def caption(self, i: int) -> str:
        """Step ``i`` in two or three sentences: the gradient it got and from whom, its rule,
        what it sent and to where."""
        i = self._checked(i)
        step, node = self.steps[i], self._nodes[i]
        parts = step.contributions
        source = (
            f"the sum of {len(parts)} parts (from "
            + ", ".join(self._sender(k) for k, _ in parts)
            + ")"
            if len(parts) > 1
            else self._sender(parts[0][0])
        )
        sent = [
            f"{_brief(g)} to {self._tensor(node._inputs[p])}"
            for p, g in enumerate(step.input_grads)
            if g is not None
        ]
        return (
            f"Step {i}: {step.op} receives dL/d(output), {_brief(step.output_grad)}, from "
            f"{source}. Rule: {step.formula}. It sends " + ("; ".join(sent) or "nothing") + "."
        )

    # ---------------------------------------------------------------- the page

    def _repr_html_(self) -> str:
        """The page as Jupyter shows it; the text account where Graphviz cannot draw."""
        try:
            return self.html()
        except (ImportError, viz.GraphvizNotInstalledError) as error:
            return f"<pre>{html.escape(str(error))}\n\n{html.escape(str(self))}</pre>"

    def html(self, rankdir: str = "TB", group_modules: bool = True) -> str:
        """An HTML fragment: every step's frame as inline SVG, a slider, previous and next
        buttons and a caption per step. Nothing is loaded from the network; without
        JavaScript (an untrusted notebook) the frames show one below the other. The
        frames are drawn top to bottom ("TB"), which suits a page that scrolls."""
        frames = []
        for i in range(len(self.steps)):
            svg = (
                self.draw(i, rankdir, group_modules, caption=False)
                .pipe(format="svg")
                .decode("utf-8")
            )
            svg = svg[svg.index("<svg") :]  # the XML prolog is not valid inside HTML
            caption = html.escape(self.caption(i))
            frames.append(
                f'<figure class="am-frame" data-step="{i}">'
                f'<figcaption class="am-caption">{caption}</figcaption>'
                f'<div class="am-box">{svg}</div></figure>'
            )
        if not frames:
            return f"<pre>{html.escape(str(self))}</pre>"
        page_id = f"am-trace-{uuid.uuid4().hex[:12]}"
        last = len(frames) - 1
        return _PAGE.format(
            id=page_id,
            last=last,
            frames="\n".join(frames),
            title=html.escape(f"Backward from {self._tensor(self._root, False)}: {last + 1} steps"),
        )

    def save_html(self, path: str | PathLike, rankdir: str = "TB", group_modules: bool = True):
        """Write the page to ``path`` as a self-contained HTML file (open it in a browser)."""
        document = (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{html.escape(repr(self))}</title></head>\n"
            f"<body>\n{self.html(rankdir, group_modules)}\n</body></html>\n"
        )
        with open(path, "w", encoding="utf-8") as file:
            file.write(document)


# ------------------------------------------------------------------- helpers


def _by_position(node: Node, sends: list[tuple[Any, np.ndarray]]) -> tuple:
    """Per positional input of ``node``: the gradient it sent there, or None.

    The walk sends in input order, skipping inputs that need no gradient
    and those whose gradient backward returned as None.
    """
    grads: list[np.ndarray | None] = [None] * len(node.needs_input_grad)
    remaining = list(sends)
    for position, (argument, need) in enumerate(zip(node._inputs, node.needs_input_grad)):
        if need and remaining and remaining[0][0] is argument:
            grads[position] = remaining.pop(0)[1]
    return tuple(grads)


def _wrapped(line: str, width: int = 88) -> str:
    """A long line folded for a terminal, its continuation indented under its text."""
    indent = " " * (len(line) - len(line.lstrip()) + 4)
    return textwrap.fill(line, width, subsequent_indent=indent, break_on_hyphens=False)


def _total(parts: list[tuple[int | None, np.ndarray]]) -> np.ndarray:
    total = parts[0][1]
    for _, array in parts[1:]:
        total = total + array
    return total


def _takes_grad(value: Any) -> bool:
    return isinstance(value, Node) or (isinstance(value, Tensor) and value.requires_grad)


def _summary(array: np.ndarray) -> str:
    """Small arrays in full; larger ones by shape, norm and their first values."""
    if array.ndim == 0:
        return f"{float(array):.4g}"
    if array.size <= 6:
        values = np.array2string(array, precision=4, separator=", ", suppress_small=True)
        return f"shape {array.shape}, " + " ".join(values.split())
    first = ", ".join(f"{v + 0.0:.4g}" for v in array.ravel()[:3])  # (+ 0.0: no "-0")
    return f"shape {array.shape}, norm {np.linalg.norm(array):.4g}, values [{first}, ...]"


def _brief(array: np.ndarray) -> str:
    if array.size == 1:
        return f"{float(array.reshape(())):.4g}"
    return f"shape {array.shape}, norm {np.linalg.norm(array):.3g}"


def _grad_line(parts: list[np.ndarray], total: int) -> str:
    if not parts:
        return "grad: not yet"
    known = parts[0] if len(parts) == 1 else sum(parts)
    value = _brief(known) if known.size == 1 else f"norm {np.linalg.norm(known):.3g}"
    return f"grad {value}" if len(parts) >= total else f"grad {value} ({len(parts)} of {total})"


def _freed_text(step: BackwardStep) -> str:
    size = f"{step.saved_nbytes:,} bytes of saved arrays"
    if step.saved_nbytes == 0:
        return "freed (forward saved no arrays)" if step.freed else "kept (it saved no arrays)"
    return f"freed {size}" if step.freed else f"kept {size} (retain_graph=True)"


_STATUS = {
    "done": dict(style="filled", fillcolor="#e0e0e0", color="#9e9e9e", fontcolor="#757575"),
    "now": dict(
        style="filled,bold",
        fillcolor="#fdae61",
        color="#d7301f",
        penwidth="3",
        **{"class": "am-now"},
    ),  # the page scrolls its frame to the SVG element of this class
    "pending": dict(style="dashed", fillcolor="white", color="#525252"),
    "never": dict(style="dotted", fillcolor="white", color="#9e9e9e", fontcolor="#9e9e9e"),
}
_RECEIVING = dict(color="#d7301f", penwidth="2.5")

_PAGE = """<div class="am-trace" id="{id}">
<style>
#{id} {{ font-family: Helvetica, Arial, sans-serif; }}
#{id} .am-controls {{ display: none; align-items: center; gap: 0.6em; margin: 0.4em 0; }}
#{id}.am-js .am-controls {{ display: flex; }}
#{id}.am-js .am-frame {{ display: none; }}
#{id}.am-js .am-frame.am-current {{ display: block; }}
#{id} .am-frame {{ margin: 0.4em 0 1.2em 0; }}
#{id} .am-box {{ max-height: 75vh; overflow: auto; border: 1px solid #e0e0e0; }}
#{id} .am-caption {{ font-size: 0.95em; margin: 0.3em 0 0.5em 0; max-width: 60em; }}
#{id} input[type=range] {{ flex: 1; max-width: 32em; }}
#{id} .am-legend {{ font-size: 0.85em; color: #525252; }}
</style>
<div class="am-title"><b>{title}</b></div>
<div class="am-controls">
<button type="button" class="am-previous">&#9664; previous</button>
<input type="range" class="am-slider" min="0" max="{last}" value="0" step="1"
 aria-label="step">
<button type="button" class="am-next">next &#9654;</button>
<span class="am-counter">step 0 (of 0 to {last})</span>
</div>
<div class="am-legend">ops: grey ran already, orange runs now, dashed still to run; a red
border marks the tensors that just received a gradient; each tensor shows its gradient so far.
</div>
{frames}
<script>
(function () {{
  var root = document.getElementById("{id}");
  if (!root) return;
  var frames = root.querySelectorAll(".am-frame");
  var slider = root.querySelector(".am-slider");
  var counter = root.querySelector(".am-counter");
  function show(i) {{
    i = Math.max(0, Math.min(frames.length - 1, i));
    for (var k = 0; k < frames.length; k++) {{
      frames[k].classList.toggle("am-current", k === i);
    }}
    var box = frames[i].querySelector(".am-box"), now = box.querySelector(".am-now");
    if (now) {{  // bring the running op to the middle of its frame
      var b = box.getBoundingClientRect(), n = now.getBoundingClientRect();
      box.scrollTop += n.top - b.top - (b.height - n.height) / 2;
      box.scrollLeft += n.left - b.left - (b.width - n.width) / 2;
    }}
    slider.value = String(i);
    counter.textContent = "step " + i + " (of 0 to " + (frames.length - 1) + ")";
  }}
  slider.addEventListener("input", function () {{ show(parseInt(slider.value, 10)); }});
  root.querySelector(".am-previous").addEventListener("click", function () {{
    show(parseInt(slider.value, 10) - 1);
  }});
  root.querySelector(".am-next").addEventListener("click", function () {{
    show(parseInt(slider.value, 10) + 1);
  }});
  root.classList.add("am-js");
  show(0);
}})();
</script>
</div>"""

__all__ = ["BackwardStep", "BackwardTrace", "trace_backward"]
