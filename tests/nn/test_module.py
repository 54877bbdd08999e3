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


# --------------------------------------------------------------- registration rules
def test_assigning_a_tensor_or_array_over_a_parameter_raises_type_error():
    layer = nn.Linear(3, 2, rng=0)
    for value in (Tensor(np.ones((2, 3))), np.ones((2, 3)), 5, nn.ReLU()):
        with pytest.raises(TypeError, match=r"cannot assign '\w+(\.\w+)?' as parameter 'weight'"):
            layer.weight = value
        assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"]
        assert isinstance(layer.weight, nn.Parameter)


def test_a_new_parameter_over_a_parameter_keeps_its_place():
    layer = nn.Linear(3, 2, rng=0)
    replacement = nn.Parameter(np.zeros((2, 3)))
    layer.weight = replacement
    assert list(layer.state_dict()) == ["weight", "bias"]  # not moved after bias
    assert next(layer.parameters()) is replacement
    assert layer.weight is replacement and replacement.owner is layer
    np.testing.assert_array_equal(layer(Tensor(np.ones((1, 3)))).data, [[0.0, 0.0]])


def test_none_over_a_parameter_keeps_the_slot():
    layer = nn.Linear(3, 2, rng=0)
    layer.bias = None
    assert layer.bias is None and list(layer.state_dict()) == ["weight"]
    with pytest.raises(TypeError, match="as parameter 'bias'"):
        layer.bias = np.zeros(2)  # the slot is still a parameter's
    layer.bias = nn.Parameter(np.ones(2))
    assert list(layer.state_dict()) == ["weight", "bias"]


def test_linear_without_bias_registers_a_none_bias_as_pytorch():
    layer = nn.Linear(3, 2, bias=False)
    assert layer._parameters["bias"] is None and layer.bias is None
    assert [n for n, _ in layer.named_parameters()] == ["weight"]
    layer.bias = nn.Parameter(np.ones(2))
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]


def test_assigning_a_non_module_over_a_submodule_raises_type_error():
    model = TwoLayer()
    with pytest.raises(
        TypeError,
        match=r"cannot assign 'int' as child module 'head' \(nn.Module or None expected\)",
    ):
        model.head = 5
    assert "head.weight" in dict(model.named_parameters())
    model.head = None  # None keeps the slot
    assert model.head is None and "head" in model._modules
    assert [n for n, _ in model.named_children()] == ["features", "norm"]
    model.head = nn.Parameter(np.ones(2))  # a Parameter replaces the child
    assert "head" not in model._modules and "head" in dict(model.named_parameters())


def test_a_module_over_a_parameter_raises_and_a_parameter_over_a_buffer_replaces_it():
    norm = nn.BatchNorm1d(2)
    with pytest.raises(TypeError, match="as parameter 'weight'"):
        norm.weight = nn.Linear(2, 2)
    norm.running_mean = nn.Parameter(np.zeros(2))
    assert "running_mean" not in dict(norm.named_buffers())
    assert "running_mean" in dict(norm.named_parameters())


def test_assigning_something_else_over_a_buffer_raises_type_error():
    norm = nn.BatchNorm1d(2)
    with pytest.raises(TypeError, match=r"cannot assign 'list' as buffer 'running_mean'"):
        norm.running_mean = [0.0, 0.0]
    norm.running_mean = None  # the slot stays, out of the state
    assert "running_mean" in norm._buffers and "running_mean" not in norm.state_dict()


def test_parameters_and_modules_before_super_init_raise_as_pytorch():
    class Forgetful(nn.Module):
        def __init__(self, value):
            self.scale = 2.0  # plain attributes are fine, as in PyTorch
            self.value = value

    with pytest.raises(AttributeError, match=r"cannot assign parameters before Module.__init__"):
        Forgetful(nn.Parameter(np.ones(1)))
    with pytest.raises(AttributeError, match=r"cannot assign module before Module.__init__"):
        Forgetful(nn.ReLU())


def test_register_buffer_checks_names_and_values_as_pytorch():
    module = nn.Linear(2, 2)
    with pytest.raises(KeyError, match="attribute 'weight' already exists"):
        module.register_buffer("weight", np.zeros(2))
    with pytest.raises(KeyError, match=r'contain "\."'):
        module.register_buffer("a.b", np.zeros(2))
    with pytest.raises(KeyError, match="empty string"):
        module.register_buffer("", np.zeros(2))
    with pytest.raises(TypeError, match="buffer name should be a string"):
        module.register_buffer(3, np.zeros(2))
    with pytest.raises(TypeError, match="cannot assign 'list' object to buffer 'steps'"):
        module.register_buffer("steps", [1, 2])
    module.in_features = 2  # a plain attribute
    with pytest.raises(KeyError, match="attribute 'in_features' already exists"):
        module.register_buffer("in_features", np.zeros(1))
    assert list(module.state_dict()) == ["weight", "bias"]  # nothing half-registered


def test_non_persistent_buffers_are_buffers_but_not_state():
    module = nn.Linear(2, 2)
    module.register_buffer("cache", np.ones(3), persistent=False)
    module.register_buffer("count", np.zeros((), dtype=np.int64))
    assert [n for n, _ in module.named_buffers()] == ["cache", "count"]
    assert list(module.state_dict()) == ["weight", "bias", "count"]
    module.load_state_dict({**module.state_dict(), "count": np.array(7)})
    assert module.count == 7 and module.count.dtype == np.int64
    with pytest.raises(KeyError, match=r"unexpected \['cache'\]"):
        module.load_state_dict({**module.state_dict(), "cache": np.ones(3)})


def test_a_tensor_given_as_a_buffer_is_stored_as_its_own_array():
    module = nn.Module()
    values = Tensor(np.zeros(2))
    module.register_buffer("stat", values)
    assert module.stat is values.data  # one array: updates of the buffer show in the tensor
    module.stat += 1
    np.testing.assert_array_equal(values.data, [1.0, 1.0])


def test_register_parameter_and_add_module_check_as_pytorch():
    module = nn.Module()
    with pytest.raises(TypeError, match="cannot assign 'Tensor' object to parameter 'w'"):
        module.register_parameter("w", Tensor(np.ones(1)))
    with pytest.raises(KeyError, match="attribute 'forward' already exists"):
        module.register_parameter("forward", nn.Parameter(np.ones(1)))
    with pytest.raises(TypeError, match="int is not a Module subclass"):
        module.add_module("child", 3)
    with pytest.raises(KeyError, match=r'contain "\."'):
        module.add_module("a.b", nn.ReLU())
    module.register_module("act", nn.ReLU())
    assert isinstance(module.act, nn.ReLU) and list(module.children()) == [module.act]
    with pytest.raises(KeyError, match="attribute 'train' already exists"):
        module.train = nn.Parameter(np.ones(1))  # methods cannot be shadowed


def test_a_non_leaf_tensor_cannot_become_a_parameter():
    module = nn.Module()
    weight = nn.Parameter(np.ones(2))
    fake = nn.Parameter(np.ones(2))
    fake.grad_fn = (weight * 2).grad_fn  # a Parameter made by an op, as torch forbids
    with pytest.raises(ValueError, match="compute the value in the forward"):
        module.w = fake


def test_deleting_parameters_buffers_and_modules_unregisters_them():
    model = TwoLayer()
    del model.head.bias
    del model.norm.running_mean
    del model.features
    assert list(model.state_dict()) == [
        "norm.weight",
        "norm.bias",
        "norm.running_var",
        "head.weight",
    ]
    assert not hasattr(model, "features") and not hasattr(model.head, "bias")
    with pytest.raises(AttributeError):
        del model.nothing


def test_registered_values_are_plain_attributes():
    layer = nn.Linear(2, 2)
    assert layer.__dict__["weight"] is layer.weight  # forward reads them at attribute speed
    layer.weight = nn.Parameter(np.zeros((2, 2)))
    assert layer.__dict__["weight"] is layer._parameters["weight"]
    del layer.weight
    assert "weight" not in layer.__dict__


@pytest.mark.parametrize(
    "value, container",
    [
        ([nn.Linear(1, 1)], "nn.ModuleList"),
        ((nn.ReLU(), nn.ReLU()), "nn.ModuleList"),
        ({"a": nn.Linear(1, 1)}, "nn.ModuleDict"),
        ([1, [2, (nn.ReLU(),)]], "nn.ModuleList"),  # at any depth
        ({"a": [nn.ReLU()]}, "nn.ModuleDict"),
        ({nn.ReLU()}, "nn.ModuleList"),
        ([nn.Parameter(np.ones(1))], "nn.ParameterList"),
        ({"w": nn.Parameter(np.ones(1))}, "nn.ParameterDict"),
    ],
)
def test_containers_holding_modules_or_parameters_raise_type_error(value, container):
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = value

    with pytest.raises(TypeError, match=rf"'layers' of Net.*{container}.*object.__setattr__"):
        Net()


def test_containers_of_other_things_are_plain_attributes():
    module = nn.Module()
    module.sizes = [3, 4, [5, Tensor(np.ones(1))]]
    module.names = {"a": "b"}
    module.loop = []
    module.loop.append(module.loop)  # a list that holds itself is scanned once
    module.loop = module.loop
    assert module.sizes[0] == 3 and list(module.parameters()) == []
    object.__setattr__(module, "hidden", [nn.Linear(1, 1)])  # the escape hatch
    assert list(module.parameters()) == []


def test_a_container_of_registered_modules_raises_too():
    """API.md: any list, tuple or dict holding Modules raises, even of registered ones."""
    model = TwoLayer()
    with pytest.raises(TypeError, match="nn.ModuleList"):
        model.blocks = [model.features, model.head]
    with pytest.raises(TypeError, match="nn.ParameterDict"):
        model.weights = {"head": model.head.weight}
    assert "blocks" not in model.__dict__ and len(list(model.parameters())) == 6


# --------------------------------------------------------------- tied parameters
def tied_pair():
    model = nn.Sequential(nn.Linear(2, 2, rng=0), nn.Linear(2, 2, rng=1))
    model[1].weight = model[0].weight
    return model


def test_tied_parameters_appear_under_both_names_in_the_state_and_once_in_parameters():
    model = tied_pair()
    assert list(model.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias", "1.bias"]
    assert [n for n, _ in model.named_parameters(remove_duplicate=False)] == [
        "0.weight",
        "0.bias",
        "1.weight",
        "1.bias",
    ]
    assert len(list(model.parameters())) == 3


def test_tied_parameters_load_back_tied():
    source, target = tied_pair(), tied_pair()
    source[0].weight.data = np.array([[1.0, 2.0], [3.0, 4.0]])
    target.load_state_dict(source.state_dict())
    assert target[1].weight is target[0].weight
    np.testing.assert_array_equal(target[1].weight.data, [[1.0, 2.0], [3.0, 4.0]])


def test_tied_names_with_different_values_raise_and_change_nothing():
    model = tied_pair()
    before = model.state_dict()
    state = model.state_dict()
    state["1.weight"] = state["1.weight"] + 1
    state["0.bias"] = np.full(2, 9.0)
    with pytest.raises(ValueError, match=r"'0.weight' and '1.weight' are one parameter"):
        model.load_state_dict(state)
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[name], err_msg=name)


def test_a_tied_name_missing_from_the_state_is_reported_as_tied():
    model = tied_pair()
    state = model.state_dict()
    del state["1.weight"]
    with pytest.raises(KeyError, match=r"'1.weight' is tied to '0.weight'"):
        model.load_state_dict(state)
    assert model.load_state_dict(state, strict=False).missing_keys == ["1.weight"]


def test_a_tied_module_appears_under_each_name_and_its_children_once():
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert [n for n, _ in model.named_modules()] == ["", "0", "1"]
    assert [n for n, _ in model.named_children()] == ["0", "1"]
    assert len(list(model.children())) == 2
    model.load_state_dict(model.state_dict())
    assert model[0] is model[2]


def test_deepcopy_and_pickle_keep_tied_parameters_tied():
    import copy
    import pickle

    model = tied_pair()
    for clone in (copy.deepcopy(model), pickle.loads(pickle.dumps(model))):
        assert clone[1].weight is clone[0].weight and clone[0].weight is not model[0].weight
        clone[0].weight.data += 1
        np.testing.assert_array_equal(clone[1].weight.data, clone[0].weight.data)
        assert len(list(clone.parameters())) == 3


# --------------------------------------------------------------- load_state_dict
def test_load_state_dict_checks_everything_before_changing_anything():
    model = TwoLayer()
    before = model.state_dict()
    state = model.state_dict()
    state["features.0.weight"] = np.full((4, 3), 7.0)  # fine, and listed first
    state["head.weight"] = np.ones((3, 3))  # but this one has the wrong shape
    with pytest.raises(ValueError, match=r"'head.weight' has shape \(3, 3\).*\(2, 4\)"):
        model.load_state_dict(state)
    np.testing.assert_array_equal(model.features[0].weight.data, before["features.0.weight"])


@pytest.mark.parametrize("value", ["abc", None, {"a": 1}, object(), np.array(["x", "y"])])
def test_non_numeric_values_in_the_state_raise_a_clear_error_naming_the_key(value):
    model = nn.Linear(2, 2)
    state = model.state_dict()
    state["bias"] = value
    with pytest.raises(TypeError, match="'bias'"):
        model.load_state_dict(state)
    with pytest.raises(RuntimeError):  # PyTorch raises RuntimeError: both work
        model.load_state_dict(state)


def test_float_values_are_not_truncated_into_integer_buffers():
    module = nn.Module()
    module.register_buffer("count", np.zeros(2, dtype=np.int64))
    with pytest.raises(TypeError, match="'count' holds float64 values"):
        module.load_state_dict({"count": np.array([1.5, 2.0])})
    module.load_state_dict({"count": [1, 2]})  # lists of numbers are arrays too
    np.testing.assert_array_equal(module.count, [1, 2])


def test_loading_keeps_the_parameters_identity_and_bumps_their_version():
    model = nn.Linear(2, 2, rng=0)
    optimizer = nn.optim.SGD(model.parameters(), lr=1.0)
    weight, array = model.weight, model.weight.data
    version = weight._version
    y = (model(Tensor(np.ones((1, 2)))) ** 2).sum()
    model.load_state_dict({"weight": np.ones((2, 2)), "bias": np.zeros(2)})
    assert model.weight is weight and model.weight.data is array  # copied in place
    np.testing.assert_array_equal(array, np.ones((2, 2)))
    assert weight._version > version
    with pytest.raises(RuntimeError, match="modified"):
        y.backward()  # the graph saved the old values
    model(Tensor(np.ones((1, 2)))).sum().backward()
    optimizer.step()  # the optimizer still trains the loaded parameter
    np.testing.assert_array_equal(model.weight.data, np.zeros((2, 2)))


def test_loading_casts_to_the_models_dtype():
    model = nn.Linear(2, 2, dtype=np.float32)
    model.load_state_dict({"weight": np.full((2, 2), 0.1), "bias": np.zeros(2)})
    assert model.weight.dtype == np.float32
    np.testing.assert_array_equal(model.weight.data, np.float32(0.1))


def test_load_state_dict_strict_false_returns_the_keys_as_pytorch():
    model = nn.Linear(2, 2)
    result = model.load_state_dict({"weight": np.ones((2, 2)), "extra": np.ones(1)}, strict=False)
    assert result == (["bias"], ["extra"])
    assert result.missing_keys == ["bias"] and result.unexpected_keys == ["extra"]
    assert repr(model.load_state_dict(model.state_dict())) == "<All keys matched successfully>"
    with pytest.raises(TypeError, match="expected a mapping"):
        model.load_state_dict([("weight", np.ones((2, 2)))])


def test_state_dict_holds_zero_d_and_keep_vars_gives_the_parameters():
    module = nn.Module()
    module.scale = nn.Parameter(np.array(2.0))
    assert module.state_dict()["scale"].shape == ()
    assert module.state_dict(keep_vars=True)["scale"] is module.scale
    assert list(module.state_dict(prefix="m.")) == ["m.scale"]
    module.load_state_dict({"scale": 3.0})
    assert module.scale.item() == 3.0


# --------------------------------------------------------------- traversal and modes
def test_get_submodule_parameter_and_buffer():
    model = TwoLayer()
    assert model.get_submodule("features.0") is model.features[0]
    assert model.get_submodule("") is model
    assert model.get_parameter("features.0.weight") is model.features[0].weight
    np.testing.assert_array_equal(model.get_buffer("norm.running_var"), np.ones(4))
    with pytest.raises(AttributeError, match="Sequential has no attribute `5`"):
        model.get_submodule("features.5")
    with pytest.raises(AttributeError, match="`running_var` is not an nn.Parameter"):
        model.get_parameter("norm.running_var")


def test_train_and_eval_return_self_and_reach_containers():
    model = nn.Module()
    model.blocks = nn.ModuleList([nn.Dropout(0.5), nn.Sequential(nn.BatchNorm1d(2))])
    model.heads = nn.ModuleDict({"a": nn.Dropout(0.1)})
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    assert model.train() is model and all(m.training for m in model.modules())
    with pytest.raises(ValueError, match="boolean"):
        model.train("no")


def test_apply_visits_children_before_parents_each_once():
    shared = nn.ReLU()
    model = nn.Sequential(nn.Sequential(nn.Linear(1, 1), shared), shared)
    seen = []
    assert model.apply(lambda m: seen.append(type(m).__name__)) is model
    assert seen == ["Linear", "ReLU", "Sequential", "Sequential"]


def test_zero_grad_can_keep_zeros_and_requires_grad_freezes():
    model = nn.Linear(2, 1)
    model(Tensor(np.ones((1, 2)))).sum().backward()
    model.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(model.weight.grad, np.zeros((1, 2)))
    assert model.requires_grad_(False) is model
    assert not any(p.requires_grad for p in model.parameters())


def test_repr_puts_extra_repr_on_its_own_line_when_there_are_children():
    class Scaled(nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = nn.ReLU()

        def extra_repr(self):
            return "scale=2"

    assert repr(Scaled()) == "Scaled(\n  scale=2\n  (inner): ReLU()\n)"


def test_a_parameter_replaced_under_one_of_its_names_keeps_its_name_from_the_other():
    module = nn.Module()
    shared = nn.Parameter(np.ones(2))
    module.a, module.b = shared, shared
    module.b = nn.Parameter(np.zeros(2))
    assert shared.owner is module and shared.name == "a"
    del module.a
    assert shared.owner is None and shared.name is None
