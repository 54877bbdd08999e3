"""Parameter, Module, Sequential: registration, names, modes, state, repr, hooks."""

from __future__ import annotations

import numpy as np
import pytest

import nn
from autograd_mini import Tensor


class TwoLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(3, 4, rng=0), nn.ReLU())
        self.norm = nn.BatchNorm1d(4)
        self.head = nn.Linear(4, 2, rng=1)
        self.scale = 2.0  # a plain attribute

    def forward(self, x):
        return self.head(self.norm(self.features(x))) * self.scale


def test_parameter_is_a_tensor_that_requires_grad():
    p = nn.Parameter(np.ones(3))
    assert isinstance(p, Tensor) and p.requires_grad and p.is_leaf
    assert repr(p).startswith("Parameter containing:")


def test_named_parameters_use_dotted_names():
    model = TwoLayer()
    names = [name for name, _ in model.named_parameters()]
    assert names == [
        "features.0.weight",
        "features.0.bias",
        "norm.weight",
        "norm.bias",
        "head.weight",
        "head.bias",
    ]
    seq = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))
    assert [n for n, _ in seq.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert len(list(model.parameters())) == 6
    assert model.head.weight.owner is model.head


def test_shared_parameters_are_listed_once():
    layer = nn.Linear(2, 2)
    model = nn.Sequential(layer, nn.ReLU(), layer)
    assert len(list(model.parameters())) == 2


def test_children_and_modules():
    model = TwoLayer()
    assert [type(m).__name__ for m in model.children()] == ["Sequential", "BatchNorm1d", "Linear"]
    assert [name for name, _ in model.named_modules()] == [
        "",
        "features",
        "features.0",
        "features.1",
        "norm",
        "head",
    ]
    assert len(list(model.modules())) == 6


def test_train_and_eval_propagate_to_children():
    model = TwoLayer()
    assert model.eval() is model
    assert all(not m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())


def test_zero_grad_sets_grads_to_none():
    model = TwoLayer()
    model(Tensor(np.random.default_rng(0).standard_normal((5, 3)))).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_state_dict_holds_copies_of_parameters_and_buffers():
    model = TwoLayer()
    state = model.state_dict()
    assert list(state) == [  # module by module, as in PyTorch
        "features.0.weight",
        "features.0.bias",
        "norm.weight",
        "norm.bias",
        "norm.running_mean",
        "norm.running_var",
        "head.weight",
        "head.bias",
    ]
    state["head.weight"][...] = 0
    assert not np.all(model.head.weight.data == 0)


def test_load_state_dict_round_trip():
    source, target = TwoLayer(), TwoLayer()
    source(Tensor(np.random.default_rng(1).standard_normal((8, 3))))  # moves running stats
    target.load_state_dict(source.state_dict())
    for (name, a), (_, b) in zip(source.state_dict().items(), target.state_dict().items()):
        np.testing.assert_array_equal(a, b, err_msg=name)


def test_load_state_dict_strict_checking():
    model = TwoLayer()
    state = model.state_dict()
    del state["head.bias"]
    state["extra.weight"] = np.ones(1)
    with pytest.raises(KeyError, match=r"missing \['head.bias'\], unexpected \['extra.weight'\]"):
        model.load_state_dict(state)
    result = model.load_state_dict(state, strict=False)
    assert result.missing_keys == ["head.bias"] and result.unexpected_keys == ["extra.weight"]
    bad = model.state_dict()
    bad["head.weight"] = np.ones((3, 3))
    with pytest.raises(ValueError, match=r"'head.weight' has shape \(3, 3\).*\(2, 4\)"):
        model.load_state_dict(bad)


def test_repr_is_nested_and_readable():
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Dropout(0.2), nn.Linear(32, 10))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Linear(in_features=64, out_features=32, bias=True)\n"
        "  (1): ReLU()\n"
        "  (2): Dropout(p=0.2)\n"
        "  (3): Linear(in_features=32, out_features=10, bias=True)\n"
        ")"
    )
    assert "(features): Sequential(\n    (0): Linear" in repr(TwoLayer())


def test_sequential_container_behaviour():
    first, second = nn.Linear(2, 3), nn.Tanh()
    model = nn.Sequential(first, second)
    assert len(model) == 2 and model[0] is first and list(model) == [first, second]
    assert isinstance(model[:1], nn.Sequential) and len(model[:1]) == 1
    model.append(nn.Linear(3, 1))
    assert len(model) == 3 and model(Tensor(np.ones((4, 2)))).shape == (4, 1)
    with pytest.raises(TypeError, match="argument 1 is a builtin_function_or_method, not a Module"):
        nn.Sequential(nn.ReLU(), print)


def test_reassigning_an_attribute_replaces_its_registration():
    model = TwoLayer()
    model.head = nn.Identity()
    assert "head.weight" not in dict(model.named_parameters())
    del model.norm
    assert "norm.weight" not in dict(model.named_parameters())


def test_attributes_before_super_init_raise_a_clear_error():
    class Forgetful(nn.Module):
        def __init__(self):
            self.weight = nn.Parameter(np.ones(1))

    with pytest.raises(AttributeError, match=r"super\(\).__init__\(\)"):
        Forgetful()


def test_module_without_forward():
    with pytest.raises(TypeError, match="must define forward"):
        nn.Module()(1)


def test_forward_hooks_see_and_replace_outputs():
    model = nn.Sequential(nn.Linear(2, 3, rng=0), nn.ReLU())
    seen = []
    handle = model[0].register_forward_hook(lambda module, inputs, output: seen.append(output))
    out = model(Tensor(np.ones((1, 2))))
    assert len(seen) == 1 and seen[0].shape == (1, 3)
    replace = model[1].register_forward_hook(lambda module, inputs, output: output * 0)
    assert np.all(model(Tensor(np.ones((1, 2)))).data == 0)
    handle.remove()
    replace.remove()
    np.testing.assert_array_equal(model(Tensor(np.ones((1, 2)))).data, out.data)
    assert len(seen) == 2


def test_pickle_and_deepcopy_keep_the_links_between_modules_and_parameters():
    import copy
    import pickle

    model = TwoLayer()
    x = Tensor(np.random.default_rng(3).standard_normal((4, 3)))
    model.eval()
    for clone in (copy.deepcopy(model), pickle.loads(pickle.dumps(model))):
        np.testing.assert_array_equal(clone(x).data, model(x).data)
        assert clone.head.weight.owner is clone.head and clone.head.weight is not model.head.weight
        assert clone.features[0].weight.name == "features.0.weight"
        clone.head.weight.data += 1  # independent of the original
        assert not np.array_equal(clone.head.weight.data, model.head.weight.data)


def test_slicing_a_sequential_does_not_move_its_modules():
    import gc

    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))
    head = model[0:2]
    assert head[0] is model[0]
    del head
    gc.collect()
    assert model[0].weight.name == "0.weight"


def test_reassigning_a_buffer_keeps_it_in_the_state():
    norm = nn.BatchNorm1d(2)
    norm.running_mean = np.ones(2)
    assert list(norm.state_dict()) == ["weight", "bias", "running_mean", "running_var"]
    np.testing.assert_array_equal(norm.state_dict()["running_mean"], 1.0)


def test_l2_penalty_covers_weight_matrices_of_custom_modules():
    class Custom(nn.Module):
        def __init__(self):
            super().__init__()
            self.W = nn.Parameter(np.full((2, 2), 2.0))
            self.b = nn.Parameter(np.ones(2))

        def forward(self, x):
            return x @ self.W + self.b

    model = nn.Sequential(Custom(), nn.Linear(2, 2, init="zeros"))
    assert nn.l2_penalty(model, 1.0, 1).item() == pytest.approx(0.5 * 16)
