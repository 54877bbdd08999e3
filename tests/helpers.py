"""Strategies and checks shared by the tests: adding an op's test costs a table row."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from autograd_mini import Tensor
from autograd_mini.testing import assert_gradients_match


def floats(lo: float = -5.0, hi: float = 5.0, away_from: float | None = None, margin: float = 0.05):
    """Finite float64 values in [lo, hi], optionally at least ``margin`` from a kink."""
    values = st.floats(lo, hi, allow_nan=False, allow_infinity=False)
    if away_from is not None:
        values = values.filter(lambda v: abs(v - away_from) > margin)
    return values


def arrays(shape, elements=None, unique: bool = False):
    return hnp.arrays(
        np.float64, shape, elements=floats() if elements is None else elements, unique=unique
    )


def spaced_arrays(shape, spacing: float = 0.05):
    """Arrays whose entries differ pairwise by more than ``spacing`` (no ties, no near-ties)."""
    size = int(np.prod(shape))
    return st.permutations(range(size)).flatmap(
        lambda order: arrays((size,), floats(-0.01, 0.01)).map(
            lambda jitter: ((np.array(order) - size / 2) * (3 * spacing) + jitter).reshape(shape)
        )
    )


def leaf(array: np.ndarray) -> Tensor:
    return Tensor(np.array(array, dtype=np.float64), requires_grad=True)


def check_forward_and_gradients(
    op: Callable[..., Tensor],
    reference: Callable[..., np.ndarray],
    *arrays_in: np.ndarray,
    rtol: float = 1e-12,
) -> None:
    """The op's values equal numpy's; its gradients pass the 1e-7 check (Improving Deep
    Neural Networks notes, section 12)."""
    tensors = [leaf(a) for a in arrays_in]
    expected = reference(*[np.array(a, dtype=np.float64) for a in arrays_in])
    actual = op(*tensors)
    assert actual.shape == np.shape(expected)
    assert actual.dtype == np.float64
    np.testing.assert_allclose(actual.data, expected, rtol=rtol, atol=1e-12)
    assert_gradients_match(op, *tensors)


def parse_dot(
    source: str,
) -> tuple[dict[str, dict[str, str]], list[tuple[str, str]], dict[str, set[str]]]:
    """Parse the DOT that draw_graph writes: (nodes and their attributes, edges, clusters).

    A small tokenizer and parser for DOT's statements (quoted strings,
    attribute lists, ``a -> b``, ``subgraph { ... }``), so that tests check the
    graph's structure instead of searching for substrings.
    """
    tokens = re.findall(r'"(?:\\.|[^"\\])*"|->|[{}\[\]=;]|[^\s{}\[\]=;"]+', source)
    nodes: dict[str, dict[str, str]] = {}
    edges: list[tuple[str, str]] = []
    clusters: dict[str, set[str]] = {}
    scope: list[str | None] = []
    cluster_labels: dict[int, str] = {}
    i = 0

    def unquote(token: str) -> str:
        return token[1:-1].replace('\\"', '"') if token.startswith('"') else token

    def attributes(start: int) -> tuple[dict[str, str], int]:
        attrs, j = {}, start + 1
        while tokens[j] != "]":
            attrs[tokens[j]] = unquote(tokens[j + 2])
            j += 3
        return attrs, j + 1

    while i < len(tokens):
        token = tokens[i]
        if token in ("digraph", "subgraph"):
            scope.append(tokens[i + 1])
            i += 3  # name and "{"
        elif token == "}":
            scope.pop()
            i += 1
        elif token in ("graph", "node", "edge") and tokens[i + 1] == "[":
            _, i = attributes(i + 1)
        elif i + 1 < len(tokens) and tokens[i + 1] == "=":
            if token == "label" and scope and scope[-1] and scope[-1].startswith("cluster"):
                cluster_labels[len(scope)] = unquote(tokens[i + 2])
                clusters.setdefault(unquote(tokens[i + 2]), set())
            i += 3
        elif i + 2 < len(tokens) and tokens[i + 1] == "->":
            edges.append((unquote(token), unquote(tokens[i + 2])))
            i += 3
            if i < len(tokens) and tokens[i] == "[":
                _, i = attributes(i)
        elif token == ";":
            i += 1
        else:
            attrs, i = (
                attributes(i + 1) if i + 1 < len(tokens) and tokens[i + 1] == "[" else ({}, i + 1)
            )
            nodes[unquote(token)] = attrs
            if scope and scope[-1] and scope[-1].startswith("cluster"):
                clusters[cluster_labels[len(scope)]].add(unquote(token))
    return nodes, edges, clusters
