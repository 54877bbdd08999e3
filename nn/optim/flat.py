"""A parameter group updated as one vector: one numpy call per operation of the update.

Every optimizer's update is elementwise, so applying it to the concatenation
of a group's parameters, gradients and state gives the same numbers as
applying it to each parameter in turn, with one numpy call per operation
instead of one per operation and parameter. For the 64-32-16-10 digits network (after
CS229 Lecture 12 notes: Backpropagation & Deep Learning, section 7.5), six parameters,
Adam's 78 small calls per step become 13.

The concatenated state is the real one; each parameter's entry in
``optimizer.state`` holds views of it (and copies of its counters), so
``state_dict()`` and inspecting ``optimizer.state[param]`` see the same
values as before. The parameters keep their own arrays: the updated vector
is copied back into them, and their version counters move as when ``.data``
is assigned.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd_mini import Tensor


class FlatGroup:
    """The parameters of one group (those with a gradient this step) as one vector."""

    def __init__(self, params: tuple[Tensor, ...], states: list[dict[str, Any]]) -> None:
        self.params = params
        self.states = states  # the per-parameter dicts of optimizer.state, in order
        self.arrays = [p.data for p in params]  # an array replaced by another: a new layout
        self.shapes = [a.shape for a in self.arrays]
        self.bounds = np.cumsum([0, *(p.data.size for p in params)]).tolist()
        self.vector = _Vector(np.empty(self.bounds[-1], dtype=params[0].data.dtype))
        self.views = [self.piece(self.vector.data, i) for i in range(len(params))]
        self.state: dict[str, Any] = {}
        for key, value in states[0].items():  # the parameters' state so far, joined
            if isinstance(value, np.ndarray):
                self.state[key] = np.concatenate([s[key] for s in states], axis=None)
            else:
                self.state[key] = value
        self._shared: dict[str, np.ndarray] = {}  # the joined arrays the dicts hold views of
        self._shared_entries: list[dict[str, Any]] = []  # what share_state() put in each dict
        self.share_state()

    @staticmethod
    def usable(params: list[Tensor], states: list[dict[str, Any] | None]) -> bool:
        """True when the parameters can be updated as one vector: one dtype, and the same
        state so far (all new, or the same entries and counters, as after equal steps,
        each array shaped like its parameter)."""
        dtype = params[0].data.dtype
        if any(p.data.dtype != dtype for p in params):  # (step() saw each grad has its dtype)
            return False
        # parameters whose arrays share memory (two made from one ndarray) are updated one
        # after the other, each in place; copied into one vector, one update would overwrite
        # the other
        if len({id(_memory(p.data)) for p in params}) != len(params):
            return False
        if all(not s for s in states):
            return True
        if any(not s for s in states):
            return False
        first = states[0]
        for param, state in zip(params, states):
            if state.keys() != first.keys():
                return False
            for key, value in state.items():
                if isinstance(value, np.ndarray):
                    if value.shape != param.data.shape:  # (updated alone, it would fail)
                        return False
                elif value != first[key]:
                    return False
        return True

    def matches(self, params: list[Tensor], state: dict[Tensor, dict[str, Any]]) -> bool:
        """True if this is still the layout for ``params``: the same parameters holding the
        same arrays, and in ``state`` the same dicts holding what this group put there
        (someone who resets or replaces an entry, or the whole state, or assigns a
        parameter new data, gets a new layout from it)."""
        if len(params) != len(self.params):
            return False
        for param, mine, array, own, entries in zip(
            params, self.params, self.arrays, self.states, self._shared_entries
        ):
            if param is not mine or state.get(param) is not own or param.data is not array:
                return False
            if len(own) != len(entries):
                return False
            for key, value in entries.items():
                if own.get(key) is not value:
                    return False
        return True

    def piece(self, vector: np.ndarray, index: int) -> np.ndarray:
        """Parameter ``index``'s part of a vector, shaped like the parameter (a view)."""
        start, stop = self.bounds[index], self.bounds[index + 1]
        return vector[start:stop].reshape(self.shapes[index])

    def update(
        self, optimizer: Any, group: dict[str, Any], decay: float, maximize: bool = False
    ) -> None:
        """One step of ``optimizer.update`` on the whole group (the gradient negated first
        with ``maximize``, then ``decay`` W added, as Optimizer.step does for one)."""
        params, vector = self.params, self.vector
        np.concatenate([p.data for p in params], axis=None, out=vector.data)
        grad = np.concatenate([p.grad for p in params], axis=None)
        if maximize:
            np.negative(grad, out=grad)
        if decay:
            grad += decay * vector.data
        optimizer.update(vector, grad, group, self.state)
        for param, view in zip(params, self.views):
            data = param.data
            np.copyto(data, view)
            param.data = data  # an assignment: the version counter moves
        self.share_state()

    def share_state(self) -> None:
        """Give each parameter's state dict views of the vectors and copies of the counters
        (and remember what it put there, for ``matches``)."""
        if not self._shared_entries:
            self._shared_entries = [{} for _ in self.states]
        for key, value in self.state.items():
            if isinstance(value, np.ndarray):
                if self._shared.get(key) is value:
                    continue  # the views are already in place
                self._shared[key] = value
                for index, (state, shared) in enumerate(zip(self.states, self._shared_entries)):
                    state[key] = shared[key] = self.piece(value, index)
            else:
                for state, shared in zip(self.states, self._shared_entries):
                    state[key] = shared[key] = value


def _memory(array: np.ndarray) -> Any:
    """The object that owns ``array``'s memory (itself, or the base its view was taken from)."""
    while isinstance(array, np.ndarray) and array.base is not None:
        array = array.base
    return array


class _Vector:
    """What ``update`` sees as the parameter: ``data`` is the group's values as one vector.

    Assigning ``data`` (``vector.data -= step`` does) writes into the same
    buffer, which the group then copies back into the parameters.
    """

    __slots__ = ("_data",)

    def __init__(self, data: np.ndarray) -> None:
        self._data = data

    @property
    def data(self) -> np.ndarray:
        return self._data

    @data.setter
    def data(self, value: np.ndarray) -> None:
        if value is not self._data:
            np.copyto(self._data, value)
