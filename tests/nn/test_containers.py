"""Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict: PyTorch's API, and
everything inside them trains, is saved and follows train()/eval()."""

from __future__ import annotations

import gc
from collections import OrderedDict

import numpy as np
import pytest

import nn
from autograd_mini import Tensor


def linears(n, size=2):
    return [nn.Linear(size, size, rng=i) for i in range(n)]


# ------------------------------------------------------------------ ModuleList
def test_layers_in_a_module_list_train():
    class Stack(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList(linears(2))

        def forward(self, x):
            for layer in self.layers:
                x = layer(x)
            return x

    model = Stack()
    assert [n for n, _ in model.named_parameters()] == [
        "layers.0.weight",
        "layers.0.bias",
        "layers.1.weight",
        "layers.1.bias",
    ]
    assert list(model.state_dict()) == [n for n, _ in model.named_parameters()]
    before = model.layers[0].weight.data.copy()
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1)
    model(Tensor(np.ones((3, 2)))).sum().backward()
    optimizer.step()
    assert not np.array_equal(model.layers[0].weight.data, before)


def test_module_list_indexing_as_a_list():
    layers = linears(4)
    modules = nn.ModuleList(layers)
    assert len(modules) == 4 and list(modules) == layers
    assert modules[-1] is layers[3] and modules[0] is layers[0]
    part = modules[1:3]
    assert isinstance(part, nn.ModuleList) and list(part) == layers[1:3]
    assert [n for n, _ in part.named_children()] == ["0", "1"]
    assert list(modules[::-2]) == [layers[3], layers[1]]
    with pytest.raises(IndexError, match="index 4 is out of range"):
        modules[4]
    with pytest.raises(IndexError, match="index -5 is out of range"):
        modules[-5]
    with pytest.raises(TypeError):
        modules["0"]


def test_module_list_mutation_keeps_names_numbered():
    a, b, c, d = linears(4)
    modules = nn.ModuleList([a, b])
    assert modules.append(c) is modules
    modules.extend([d])
    modules.insert(0, nn.ReLU())
    modules.insert(-1, nn.Tanh())  # as list.insert
    assert [type(m).__name__ for m in modules] == [
        "ReLU",
        "Linear",
        "Linear",
        "Linear",
        "Tanh",
        "Linear",
    ]
    del modules[0]
    del modules[-2]
    assert list(modules) == [a, b, c, d]
    assert [n for n, _ in modules.named_children()] == ["0", "1", "2", "3"]
    del modules[1:3]
    assert list(modules) == [a, d] and [n for n, _ in modules.named_children()] == ["0", "1"]
    modules[-1] = c
    assert list(modules) == [a, c] and "1.weight" in modules.state_dict()
    assert modules.pop(0) is a and list(modules) == [c]
    assert not hasattr(modules, "1")  # no stale attribute after renumbering
    assert a.parent is None and a.weight.name == "weight"  # it left the list


def test_module_list_refuses_non_modules_and_changes_nothing():
    a, b = linears(2)
    modules = nn.ModuleList([a])
    with pytest.raises(TypeError, match="item 1 is a int, not a Module"):
        modules.extend([b, 3])
    assert list(modules) == [a]  # b was not added either
    with pytest.raises(TypeError, match="cannot assign 'Parameter' as child module '0'"):
        modules[0] = nn.Parameter(np.ones(1))
    with pytest.raises(TypeError, match="iterable of Modules"):
        nn.ModuleList(a)
    with pytest.raises(TypeError, match="item 0 is a int, not a Module"):
        modules.append(5)


def test_module_list_plus_and_repr_as_pytorch():
    a, b = linears(2)
    joined = nn.ModuleList([a]) + nn.ModuleList([b])
    assert isinstance(joined, nn.ModuleList) and list(joined) == [a, b]
    joined += [nn.ReLU()]
    assert len(joined) == 3
    assert repr(nn.ModuleList()) == "ModuleList()"
    assert repr(joined) == (
        "ModuleList(\n"
        "  (0-1): 2 x Linear(in_features=2, out_features=2, bias=True)\n"
        "  (2): ReLU()\n"
        ")"
    )
    nested = nn.ModuleList([nn.Sequential(nn.ReLU())])
    assert repr(nested) == "ModuleList(\n  (0): Sequential(\n    (0): ReLU()\n  )\n)"


def test_a_slice_borrows_the_modules():
    modules = nn.ModuleList(linears(3))
    head = modules[:2]
    del head
    gc.collect()
    assert modules[0].weight.name == "0.weight"


# ------------------------------------------------------------------ ModuleDict
def test_module_dict_as_pytorch():
    a, b, c = linears(3)
    heads = nn.ModuleDict({"b": b, "a": a})
    assert list(heads) == ["b", "a"] and list(heads.keys()) == ["b", "a"]  # insertion order
    assert heads["a"] is a and "a" in heads and "z" not in heads and len(heads) == 2
    heads["c"] = c
    assert list(heads.values()) == [b, a, c]
    assert list(heads.items())[2] == ("c", c)
    assert [n for n, _ in heads.named_parameters()][:2] == ["b.weight", "b.bias"]
    assert heads.pop("b") is b and list(heads) == ["a", "c"]
    del heads["a"]
    assert list(heads) == ["c"] and not hasattr(heads, "a")
    heads.update([("x", a), ("y", b)])
    heads.update(OrderedDict(z=nn.ReLU()))
    assert list(heads) == ["c", "x", "y", "z"]
    heads.clear()
    assert len(heads) == 0 and list(heads.parameters()) == []
    with pytest.raises(KeyError):
        heads["missing"]
    with pytest.raises(KeyError):
        del heads["missing"]


def test_module_dict_refuses_bad_keys_and_values_before_adding_any():
    heads = nn.ModuleDict()
    with pytest.raises(TypeError, match="'b' is a int, not a Module"):
        heads.update({"a": nn.ReLU(), "b": 3})
    assert len(heads) == 0
    with pytest.raises(KeyError, match="attribute 'keys' already exists"):
        heads["keys"] = nn.ReLU()
    with pytest.raises(KeyError, match="contain"):
        heads["a.b"] = nn.ReLU()
    with pytest.raises(TypeError, match="module name should be a string"):
        heads[1] = nn.ReLU()
    with pytest.raises(ValueError, match="element #0 has length 3"):
        heads.update([("a", nn.ReLU(), 1)])
    assert repr(nn.ModuleDict({"act": nn.ReLU()})) == "ModuleDict(\n  (act): ReLU()\n)"


# ------------------------------------------------------------------ Sequential
def test_sequential_indexing_with_negative_ints_and_slices():
    a, b, c = linears(3)
    model = nn.Sequential(a, nn.ReLU(), b, c)
    assert model[-1] is c and model[-4] is a
    assert list(model[1:3]) == [model[1], b]
    assert list(model[1:3].state_dict()) == ["2.weight", "2.bias"]  # names kept, as PyTorch
    with pytest.raises(IndexError, match="out of range"):
        model[4]


def test_sequential_of_an_ordered_dict_names_its_modules():
    model = nn.Sequential(OrderedDict([("hidden", nn.Linear(2, 3)), ("act", nn.ReLU())]))
    assert list(model.state_dict()) == ["hidden.weight", "hidden.bias"]
    assert model.hidden is model[0]
    assert repr(model).startswith("Sequential(\n  (hidden): Linear")
    assert model(Tensor(np.ones((1, 2)))).shape == (1, 3)
    with pytest.raises(TypeError, match="'act' is a str, not a Module"):
        nn.Sequential(OrderedDict(act="relu"))
    with pytest.raises(TypeError, match="pass an OrderedDict"):
        nn.Sequential({"act": nn.ReLU()})


def test_sequential_append_insert_extend_pop_delete_and_add():
    a, b, c = linears(3)
    model = nn.Sequential(a)
    assert model.append(b) is model
    model.insert(1, nn.ReLU())
    model.extend([c])
    assert [type(m).__name__ for m in model] == ["Linear", "ReLU", "Linear", "Linear"]
    assert len(model) == 4 and model(Tensor(np.ones((1, 2)))).shape == (1, 2)
    assert model.pop(1).__class__ is nn.ReLU
    del model[0]
    assert list(model) == [b, c] and [n for n, _ in model.named_children()] == ["0", "1"]
    model[0] = a
    assert list(model) == [a, c]
    both = model + nn.Sequential(b)
    assert list(both) == [a, c, b] and list(model) == [a, c]
    model += nn.Sequential(b)
    assert list(model) == [a, c, b]
    with pytest.raises(ValueError, match="only objects of Sequential class"):
        model + [a]
    with pytest.raises(TypeError, match="not a Module"):
        model.insert(0, "relu")


# ------------------------------------------------------------------ parameter containers
def test_parameter_list_registers_its_parameters():
    weights = nn.ParameterList([nn.Parameter(np.ones(2)), Tensor(np.zeros(3))])
    assert len(weights) == 2 and isinstance(weights[1], nn.Parameter)
    assert weights[1].requires_grad
    weights.append(np.ones((2, 2)))
    assert [n for n, _ in weights.named_parameters()] == ["0", "1", "2"]
    assert weights[-1].shape == (2, 2) and len(weights[:2]) == 2
    weights[0] = nn.Parameter(np.full(2, 5.0))
    np.testing.assert_array_equal(weights.state_dict()["0"], [5.0, 5.0])
    assert "(2): Parameter containing: [float64 of size 2x2]" in repr(weights)
    with pytest.raises(TypeError, match="item 3 is a str"):
        weights.append("w")
    assert len(weights) == 3


def test_parameter_dict_registers_its_parameters():
    weights = nn.ParameterDict({"w": nn.Parameter(np.ones(2))})
    weights["b"] = Tensor(np.zeros(2))
    assert list(weights) == ["w", "b"] and isinstance(weights["b"], nn.Parameter)
    assert [n for n, _ in weights.named_parameters()] == ["w", "b"]
    assert weights.get("missing") is None and weights.pop("w").shape == (2,)
    assert list(weights.state_dict()) == ["b"]
    with pytest.raises(TypeError, match="must be strings"):
        weights[1] = nn.Parameter(np.ones(1))
    with pytest.raises(KeyError, match="attribute 'items' already exists"):
        weights["items"] = nn.Parameter(np.ones(1))


def test_containers_save_and_load_with_their_names(tmp_path):
    model = nn.Module()
    model.blocks = nn.ModuleList([nn.Linear(2, 2, rng=0), nn.BatchNorm1d(2)])
    model.heads = nn.ModuleDict({"out": nn.Linear(2, 1, rng=1)})
    model.scales = nn.ParameterList([np.ones(2)])
    nn.save(model, tmp_path / "m.safetensors")
    assert list(nn.load(tmp_path / "m.safetensors")) == [
        "blocks.0.weight",
        "blocks.0.bias",
        "blocks.1.weight",
        "blocks.1.bias",
        "blocks.1.running_mean",
        "blocks.1.running_var",
        "heads.out.weight",
        "heads.out.bias",
        "scales.0",
    ]
    other = nn.Module()
    other.blocks = nn.ModuleList([nn.Linear(2, 2, rng=5), nn.BatchNorm1d(2)])
    other.heads = nn.ModuleDict({"out": nn.Linear(2, 1, rng=6)})
    other.scales = nn.ParameterList([np.zeros(2)])
    other.load_state_dict(nn.load(tmp_path / "m.safetensors"))
    np.testing.assert_array_equal(other.heads["out"].weight.data, model.heads["out"].weight.data)
