"""What the optimizers accept: their parameters, their hyperparameters, a state to load,
the gradients step() finds; and that a refusal leaves the optimizer as it was."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

import nn
from autograd_mini import Tensor
from nn import optim

NAN, INF = math.nan, math.inf

# every optimizer, with settings that give it all of its state entries
MAKERS = {
    "sgd": lambda p: optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.01),
    "adam": lambda p: optim.Adam(p, lr=0.01, weight_decay=0.01),
    "adam-amsgrad": lambda p: optim.Adam(p, lr=0.01, amsgrad=True),
    "adamw": lambda p: optim.AdamW(p, lr=0.01),
    "rmsprop": lambda p: optim.RMSprop(p, lr=0.01, centered=True, momentum=0.5),
    "adagrad": lambda p: optim.Adagrad(p, lr=0.1, lr_decay=0.01),
}
SHAPES = [(3, 2), (2,), (4, 1, 2)]


def make_params(seed=0):
    rng = np.random.default_rng(seed)
    return [nn.Parameter(rng.standard_normal(shape)) for shape in SHAPES]


def give_grads(params, seed):
    rng = np.random.default_rng(seed)
    for p in params:
        p.grad = rng.standard_normal(p.shape)


def trained(name, steps=2):
    """An optimizer of three parameters after ``steps`` steps (the flat path, where it has one)."""
    params = make_params()
    optimizer = MAKERS[name](params)
    for step in range(steps):
        give_grads(params, step)
        optimizer.step()
    return optimizer, params


def snapshot(optimizer):
    """Everything the optimizer holds, as plain values that a later change cannot alter."""
    groups = [
        {k: (v if k != "params" else [id(p) for p in v]) for k, v in g.items()}
        for g in optimizer.param_groups
    ]
    state = {
        id(param): {k: np.array(v, copy=True) for k, v in values.items()}
        for param, values in optimizer.state.items()
    }
    flat = {
        index: (
            id(group),
            [id(p) for p in group.params],
            {k: np.array(v, copy=True) for k, v in group.state.items()},
        )
        for index, group in optimizer._flat.items()
    }
    return copy.deepcopy(groups), state, flat


def assert_same_snapshot(before, after):
    groups_before, state_before, flat_before = before
    groups_after, state_after, flat_after = after
    assert groups_after == groups_before
    assert state_after.keys() == state_before.keys()
    for key, values in state_before.items():
        assert state_after[key].keys() == values.keys()
        for name, value in values.items():
            np.testing.assert_array_equal(state_after[key][name], value)
    assert flat_after.keys() == flat_before.keys()
    for index, (identity, params, joined) in flat_before.items():
        assert flat_after[index][:2] == (identity, params)
        for name, value in joined.items():
            np.testing.assert_array_equal(flat_after[index][2][name], value)


# ------------------------------------------------------------------ parameters
@pytest.mark.parametrize("name", MAKERS)
def test_a_bare_tensor_raises_type_error_like_pytorch(name):
    w = nn.Parameter(np.ones((3, 2)))
    with pytest.raises(TypeError, match="should be an iterable of Tensors or dicts, but got"):
        MAKERS[name](w)
    with pytest.raises(TypeError, match="but got Tensor"):
        MAKERS[name](Tensor(np.ones(2), requires_grad=True))


def test_a_single_tensor_as_the_params_of_a_group_is_accepted():
    w = nn.Parameter(np.ones((3, 2)))
    optimizer = optim.SGD([{"params": w}], lr=0.5)
    w.grad = np.ones((3, 2))
    optimizer.step()
    np.testing.assert_array_equal(w.data, 0.5)
    assert optimizer.param_groups[0]["params"] == [w]


def test_a_generator_of_parameters_is_read_once_and_all_are_updated():
    model = nn.Linear(2, 3, rng=0)
    before = [p.data.copy() for p in model.parameters()]
    optimizer = optim.Adam(model.parameters(), lr=0.1)
    for p in model.parameters():
        p.grad = np.ones(p.shape)
    optimizer.step()
    for p, start in zip(model.parameters(), before):
        np.testing.assert_allclose(p.data, start - 0.1, rtol=1e-6)


@pytest.mark.parametrize("params", [[], (), iter([]), (p for p in [])])
def test_an_empty_parameter_list_raises_value_error(params):
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        optim.SGD(params, lr=0.1)


def test_a_non_leaf_tensor_raises_value_error_naming_its_position_and_op():
    a = nn.Parameter(np.ones(2))
    doubled = a * 2
    with pytest.raises(
        ValueError,
        match=r"can't optimize a non-leaf Tensor: parameter 1 of group 0 was made by 'mul'",
    ):
        optim.SGD([a, doubled], lr=0.1)
    with pytest.raises(ValueError, match="parameter 0 of group 1 was made by 'mul'"):
        optim.Adam([{"params": [a]}, {"params": [doubled]}])


def test_frozen_parameters_are_accepted_and_skipped_like_pytorch():
    model = nn.Sequential(nn.Linear(2, 2, rng=0), nn.Linear(2, 1, rng=1))
    for p in model[0].parameters():
        p.requires_grad = False
    frozen = [p.data.copy() for p in model[0].parameters()]
    trainable = [p.data.copy() for p in model[1].parameters()]
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    loss = (model(np.ones((4, 2))) ** 2).sum()
    loss.backward()
    optimizer.step()
    for p, start in zip(model[0].parameters(), frozen):
        assert p.grad is None
        np.testing.assert_array_equal(p.data, start)
    for p, start in zip(model[1].parameters(), trainable):
        np.testing.assert_allclose(p.data, start - 0.1 * p.grad)


@pytest.mark.parametrize("entry", [np.ones(2), 3.0, [1.0, 2.0], None])
def test_a_non_tensor_entry_raises_type_error_naming_its_position(entry):
    p = nn.Parameter(np.ones(2))
    with pytest.raises(TypeError, match="can only optimize Tensors, but parameter 1 of group 0"):
        optim.SGD([p, entry], lr=0.1)
    with pytest.raises(TypeError, match="parameter 0 of group 1"):
        optim.SGD([{"params": [p]}, {"params": [entry]}], lr=0.1)


@pytest.mark.parametrize(
    "params, error, message",
    [
        ({"params": []}, TypeError, "params is one dict; pass a list of parameter groups"),
        (5, TypeError, "should be an iterable of Tensors or dicts"),
        ("weights", TypeError, "should be an iterable of Tensors or dicts"),
        ([{"params": [nn.Parameter(np.ones(1))]}, nn.Parameter(np.ones(1))], TypeError, "not both"),
        ([{"lr": 0.1}], KeyError, "parameter group 0 has no 'params' key"),
        ([{"params": 3}], TypeError, "'params' of parameter group 0 should be a Tensor"),
    ],
)
def test_params_that_are_not_tensors_or_groups_raise(params, error, message):
    with pytest.raises(error, match=message):
        optim.SGD(params, lr=0.1)


def test_a_set_of_parameters_raises_like_pytorch_since_its_order_changes():
    p, q = nn.Parameter(np.ones(1)), nn.Parameter(np.ones(2))
    with pytest.raises(TypeError, match="ordering of tensors in sets will change"):
        optim.SGD({p, q}, lr=0.1)
    with pytest.raises(TypeError, match="ordering of tensors in sets will change"):
        optim.SGD([{"params": {p, q}}], lr=0.1)


def test_a_refused_param_group_adds_nothing():
    p, q = nn.Parameter(np.ones(1)), nn.Parameter(np.ones(2))
    optimizer = optim.SGD([p], lr=0.1)
    refused = [
        {"params": [p]},  # already in group 0
        {"params": [q, q]},
        {"params": [q], "lr": NAN},
        {"params": [q], "momentum": -1},
        {"params": [q], "nesterov": True},  # momentum 0
        {"params": [q * 1]},
        "not a dict",
    ]
    for group in refused:
        with pytest.raises((TypeError, ValueError)):
            optimizer.add_param_group(group)
    assert len(optimizer.param_groups) == 1
    optimizer.add_param_group({"params": [q], "lr": 0.5})
    assert optimizer.param_groups[1]["momentum"] == 0.0 and optimizer.param_groups[1]["lr"] == 0.5


# ------------------------------------------------------------- hyperparameters
HYPERPARAMETERS = [
    # (optimizer, keyword, PyTorch's phrase)
    (optim.SGD, "lr", "learning rate"),
    (optim.SGD, "momentum", "momentum value"),
    (optim.SGD, "dampening", "dampening value"),
    (optim.SGD, "weight_decay", "weight_decay value"),
    (optim.Adam, "lr", "learning rate"),
    (optim.Adam, "eps", "epsilon value"),
    (optim.Adam, "weight_decay", "weight_decay value"),
    (optim.AdamW, "lr", "learning rate"),
    (optim.AdamW, "eps", "epsilon value"),
    (optim.AdamW, "weight_decay", "weight_decay value"),
    (optim.RMSprop, "lr", "learning rate"),
    (optim.RMSprop, "alpha", "alpha value"),
    (optim.RMSprop, "eps", "epsilon value"),
    (optim.RMSprop, "weight_decay", "weight_decay value"),
    (optim.RMSprop, "momentum", "momentum value"),
    (optim.Adagrad, "lr", "learning rate"),
    (optim.Adagrad, "lr_decay", "lr_decay value"),
    (optim.Adagrad, "weight_decay", "weight_decay value"),
    (optim.Adagrad, "initial_accumulator_value", "initial_accumulator_value value"),
    (optim.Adagrad, "eps", "epsilon value"),
]


def _construct(cls, **hyper):
    hyper.setdefault("lr", 0.1)
    return cls([nn.Parameter(np.ones(2))], **hyper)


@pytest.mark.parametrize("value", [NAN, -1.0, INF, -INF])
@pytest.mark.parametrize("cls, key, phrase", HYPERPARAMETERS)
def test_a_nan_negative_or_infinite_hyperparameter_raises_value_error(cls, key, phrase, value):
    with pytest.raises(ValueError, match=f"{cls.__name__}: Invalid {phrase}: {value}"):
        _construct(cls, **{key: value})
    optimizer = _construct(cls)
    with pytest.raises(ValueError, match=f"parameter group 1: Invalid {phrase}: {value}"):
        optimizer.add_param_group({"params": [nn.Parameter(np.ones(1))], key: value})
    assert len(optimizer.param_groups) == 1


@pytest.mark.parametrize("cls", [optim.Adam, optim.AdamW])
@pytest.mark.parametrize("betas", [(NAN, 0.9), (0.9, NAN), (-0.1, 0.9), (0.9, 1.0), (INF, 0.9)])
def test_betas_outside_zero_one_raise_value_error(cls, betas):
    position = 0 if not 0 <= betas[0] < 1 else 1
    with pytest.raises(ValueError, match=f"Invalid beta parameter at index {position}"):
        cls([nn.Parameter(np.ones(2))], betas=betas)


def test_values_at_the_edges_of_their_ranges_are_accepted():
    p = nn.Parameter(np.ones(2))
    optim.SGD([p], lr=0, momentum=0, dampening=1)
    optim.Adam([p], lr=0, betas=(0, 0), eps=0)
    optim.RMSprop([p], alpha=1, eps=0, momentum=0)
    optim.Adagrad([p], lr_decay=0, initial_accumulator_value=0)
    optim.SGD([p], lr=np.float32(0.1), momentum=np.float64(0.9))  # numpy scalars


def test_alpha_above_one_or_dampening_above_one_raise():
    p = nn.Parameter(np.ones(2))
    with pytest.raises(ValueError, match=r"alpha must be a number in \[0, 1\]"):
        optim.RMSprop([p], alpha=1.5)  # S would turn negative, sqrt(S) NaN
    with pytest.raises(ValueError, match=r"dampening must be a number in \[0, 1\]"):
        optim.SGD([p], lr=0.1, momentum=0.9, dampening=1.5)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: optim.SGD(p, lr="0.1"), "lr must be a number, got str"),
        (lambda p: optim.SGD(p, lr=True), "lr must be a number, got bool"),
        (lambda p: optim.SGD(p, lr=Tensor(0.1)), r"pass float\(...\)"),
        (lambda p: optim.Adam(p, betas=0.9), "betas must be a pair of numbers"),
        (lambda p: optim.RMSprop(p, centered="False"), "centered must be True or False"),
        (lambda p: optim.Adam(p, amsgrad=1), "amsgrad must be True or False"),
        # PyTorch's order SGD(params, lr, momentum, dampening, weight_decay): here the fifth
        # argument is nesterov; a weight decay there must not turn Nesterov on silently
        (lambda p: optim.SGD(p, 0.1, 0.9, 0, 1e-4), "pass weight_decay=... by name"),
    ],
)
def test_a_hyperparameter_of_the_wrong_type_raises_type_error(make, message):
    with pytest.raises(TypeError, match=message):
        make([nn.Parameter(np.ones(2))])


def test_nesterov_needs_momentum_and_no_dampening_in_every_group():
    p, q = nn.Parameter(np.ones(2)), nn.Parameter(np.ones(2))
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum and zero"):
        optim.SGD([p], lr=0.1, momentum=0.9, dampening=0.1, nesterov=True)
    optimizer = optim.SGD([p], lr=0.1, momentum=0.9, nesterov=True)
    with pytest.raises(ValueError, match="parameter group 1: Nesterov"):
        optimizer.add_param_group({"params": [q], "momentum": 0.0})


@pytest.mark.parametrize("name", MAKERS)
@pytest.mark.parametrize("lr", [NAN, INF, -0.1, "0.1"])
def test_a_learning_rate_set_by_hand_to_nan_raises_at_step_and_changes_nothing(name, lr):
    optimizer, params = trained(name)
    optimizer.param_groups[0]["lr"] = lr
    before = snapshot(optimizer)
    data = [p.data.copy() for p in params]
    give_grads(params, 5)
    with pytest.raises((TypeError, ValueError), match="step: parameter group 0"):
        optimizer.step()
    assert_same_snapshot(before, snapshot(optimizer))
    for p, start in zip(params, data):
        np.testing.assert_array_equal(p.data, start)


# ---------------------------------------------------------------- load_state_dict
def _first_array_key(entry):
    return next(k for k, v in entry.items() if isinstance(v, np.ndarray))


CORRUPTIONS = {
    # name: (change a good state dict in place, expected error, message)
    "one group too many": (
        lambda s: s["param_groups"].append(copy.deepcopy(s["param_groups"][0])),
        ValueError,
        "2 parameter groups in the state, 1 in the optimizer",
    ),
    "a parameter too few": (
        lambda s: s["param_groups"][0]["params"].pop(),
        ValueError,
        "parameter group 0 has 2 parameters in the state but 3 in the optimizer",
    ),
    "a state array of another shape": (
        lambda s: s["state"][2].update({_first_array_key(s["state"][2]): np.ones((2, 4, 1))}),
        ValueError,
        r"state of parameter 2: '\w+' has shape \(2, 4, 1\) but the parameter has shape",
    ),
    "state for a parameter that does not exist": (
        lambda s: s["state"].update({7: copy.deepcopy(s["state"][0])}),
        ValueError,
        r"entry for parameter index 7, which no parameter group lists \(they list \[0, 1, 2\]\)",
    ),
    "no state": (lambda s: s.pop("state"), KeyError, "the state has no 'state'"),
    "no groups": (lambda s: s.pop("param_groups"), KeyError, "has no 'param_groups'"),
    "a group without its learning rate": (
        lambda s: s["param_groups"][0].pop("lr"),
        ValueError,
        "parameter group 0 has no 'lr'",
    ),
    "a learning rate of NaN": (
        lambda s: s["param_groups"][0].update(lr=NAN),
        ValueError,
        "parameter group 0: Invalid learning rate: nan",
    ),
    "a learning rate that is a string": (
        lambda s: s["param_groups"][0].update(lr="0.1"),
        TypeError,
        "parameter group 0: lr must be a number",
    ),
    "a state entry that is a list": (
        lambda s: s["state"].update({1: [1.0]}),
        TypeError,
        "state of parameter 1 must be a dict",
    ),
    "a state array that is a list": (
        lambda s: s["state"][1].update({_first_array_key(s["state"][1]): [1.0, 2.0]}),
        TypeError,
        r"state of parameter 1: '\w+' must be an ndarray, got list",
    ),
    "a state key of another optimizer": (
        lambda s: s["state"][0].update(unknown_average=np.zeros((3, 2))),
        ValueError,
        "state of parameter 0: 'unknown_average' is not state that",
    ),
    "a parameter listed twice": (
        lambda s: s["param_groups"][0].update(params=[0, 0, 1]),
        ValueError,
        "parameter index 0 is listed twice",
    ),
    "not a dict": (lambda s: None, TypeError, "expected a dict, got list"),
}


@pytest.mark.parametrize("corruption", CORRUPTIONS)
@pytest.mark.parametrize("name", MAKERS)
def test_a_failed_load_changes_nothing_and_the_next_step_is_unaffected(name, corruption):
    change, error, message = CORRUPTIONS[corruption]
    optimizer, params = trained(name)
    twin, twin_params = trained(name)
    bad = trained(name, steps=3)[0].state_dict()
    if corruption == "not a dict":
        bad = [bad]
    else:
        change(bad)
    before = snapshot(optimizer)
    with pytest.raises(error, match=message):
        optimizer.load_state_dict(bad)
    assert_same_snapshot(before, snapshot(optimizer))
    give_grads(params, 9)
    give_grads(twin_params, 9)
    optimizer.step()
    twin.step()
    for p, q in zip(params, twin_params):
        np.testing.assert_array_equal(p.data, q.data)


def test_a_missing_state_entry_and_a_non_integer_step_are_refused():
    optimizer, _ = trained("adam")
    state = optimizer.state_dict()
    del state["state"][1]["exp_avg_sq"]
    with pytest.raises(ValueError, match="state of parameter 1 has no 'exp_avg_sq'"):
        optimizer.load_state_dict(state)
    for step, error in [("2", TypeError), (-1, ValueError), (2.5, ValueError), (NAN, ValueError)]:
        state = optimizer.state_dict()
        state["state"][0]["step"] = step
        with pytest.raises(error, match="state of parameter 0: 'step' must be an integer"):
            optimizer.load_state_dict(state)
    state = optimizer.state_dict()
    state["state"][0]["step"] = 2.0  # PyTorch keeps the count as a float
    optimizer.load_state_dict(state)
    assert optimizer.state[optimizer.param_groups[0]["params"][0]]["step"] == 2


@pytest.mark.parametrize(
    "source, target",
    [
        ("adam", "sgd"),
        ("sgd", "adam"),
        ("rmsprop", "adagrad"),
        ("adagrad", "rmsprop"),
        ("sgd", "rmsprop"),
        ("adam", "adagrad"),
    ],
)
def test_a_state_saved_from_another_optimizer_type_is_refused(source, target):
    saved = trained(source)[0].state_dict()
    optimizer, _ = trained(target)
    before = snapshot(optimizer)
    with pytest.raises(ValueError, match="saved from another optimizer"):
        optimizer.load_state_dict(saved)
    assert_same_snapshot(before, snapshot(optimizer))


def test_adam_and_adamw_states_load_into_each_other():
    """The same entries and hyperparameters (as in PyTorch): only the decay's use differs."""
    adam, _ = trained("adam")
    adamw, params = trained("adamw")
    adamw.load_state_dict(adam.state_dict())
    assert adamw.param_groups[0]["weight_decay"] == 0.01
    np.testing.assert_array_equal(
        adamw.state[params[0]]["exp_avg"], adam.state_dict()["state"][0]["exp_avg"]
    )


@pytest.mark.parametrize("name", MAKERS)
def test_loading_copies_the_state_so_later_steps_leave_the_callers_dict_alone(name):
    source, _ = trained(name)
    saved = source.state_dict()
    kept = copy.deepcopy(saved)
    optimizer, params = trained(name, steps=0)
    optimizer.load_state_dict(saved)
    for step in range(3):
        give_grads(params, 10 + step)
        optimizer.step()
    optimizer.param_groups[0]["lr"] = 0.5
    assert saved["param_groups"] == kept["param_groups"]
    for index, entry in kept["state"].items():
        for key, value in entry.items():
            np.testing.assert_array_equal(saved["state"][index][key], value)


@pytest.mark.parametrize("name", MAKERS)
def test_a_round_trip_then_identical_steps_for_every_optimizer(name):
    original, params = trained(name, steps=3)
    copies = [nn.Parameter(p.data.copy()) for p in params]
    restored = MAKERS[name](copies)
    restored.load_state_dict(original.state_dict())
    assert_same_state_dicts(original.state_dict(), restored.state_dict())
    for step in range(4):
        give_grads(params, 20 + step)
        give_grads(copies, 20 + step)
        if step == 2:  # one parameter without a gradient: the joined layout changes
            params[1].grad = copies[1].grad = None
        original.step()
        restored.step()
        for p, q in zip(params, copies):
            np.testing.assert_array_equal(p.data, q.data)
    assert_same_state_dicts(original.state_dict(), restored.state_dict())


def assert_same_state_dicts(a, b):
    assert a["param_groups"] == b["param_groups"]
    assert a["state"].keys() == b["state"].keys()
    for index, entry in a["state"].items():
        assert entry.keys() == b["state"][index].keys()
        for key, value in entry.items():
            np.testing.assert_array_equal(b["state"][index][key], value)


def test_a_state_saved_before_maximize_and_amsgrad_existed_still_loads():
    optimizer, params = trained("adam")
    saved = optimizer.state_dict()
    for group in saved["param_groups"]:
        del group["maximize"], group["amsgrad"]
    restored = optim.Adam([nn.Parameter(p.data.copy()) for p in params], lr=0.01)
    restored.load_state_dict(saved)
    assert restored.param_groups[0]["amsgrad"] is False


# ------------------------------------------------------------------ step and zero_grad
def test_zero_grad_sets_to_none_by_default_or_zeros_in_place():
    params = make_params()
    optimizer = optim.SGD(params, lr=0.1)
    give_grads(params, 0)
    arrays = [p.grad for p in params]
    optimizer.zero_grad(set_to_none=False)
    for p, array in zip(params, arrays):
        assert p.grad is array
        np.testing.assert_array_equal(p.grad, np.zeros(p.shape))
    optimizer.zero_grad()
    assert all(p.grad is None for p in params)
    optimizer.zero_grad(False)  # no gradient: stays None
    assert all(p.grad is None for p in params)


@pytest.mark.parametrize("grad", [np.ones(2), np.ones((2, 3)), [[1.0, 2.0]] * 3, 0.5])
def test_a_gradient_of_the_wrong_shape_or_type_is_refused_when_assigned(grad):
    """The .grad setter refuses it (as PyTorch's does), so no optimizer ever sees it."""
    _, params = trained("sgd")
    with pytest.raises(RuntimeError, match="grad"):
        params[0].grad = grad


@pytest.mark.parametrize("name", MAKERS)
def test_a_gradient_left_stale_by_replaced_data_raises_before_anything_changes(name):
    """A gradient that fitted until the parameter's data was replaced by another shape."""
    optimizer, params = trained(name)
    give_grads(params, 3)
    before = snapshot(optimizer)
    params[0].data = np.ones(2)
    data = [p.data.copy() for p in params]
    with pytest.raises(ValueError, match=r"step: parameter 0 of group 0 has shape \(2,\)"):
        optimizer.step()
    assert_same_snapshot(before, snapshot(optimizer))
    for p, start in zip(params, data):
        np.testing.assert_array_equal(p.data, start)


@pytest.mark.parametrize("name", MAKERS)
def test_a_gradient_of_another_dtype_raises_type_error_as_pytorch_refuses_it(name):
    """numpy would compute the update in float32 (float32 array times a Python float):
    weights would silently get steps of another precision."""
    optimizer, params = trained(name)
    give_grads(params, 4)
    before = snapshot(optimizer)
    params[1].data = params[1].data.astype(np.float32)  # the float64 grad is now stale
    with pytest.raises(
        TypeError, match="parameter 1 of group 0 is float32 but its grad is float64"
    ):
        optimizer.step()
    assert_same_snapshot(before, snapshot(optimizer))


@pytest.mark.parametrize("name", MAKERS)
def test_data_replaced_by_another_shape_is_a_clear_error_until_its_state_is_cleared(name):
    optimizer, params = trained(name)
    params[0].data = np.ones((2, 3))
    give_grads(params, 6)
    with pytest.raises(ValueError, match=r"state '\w+' has shape \(3, 2\): its data was replaced"):
        optimizer.step()
    optimizer.state[params[0]].clear()
    optimizer.step()
    assert optimizer.state[params[0]][_first_array_key(optimizer.state[params[0]])].shape == (2, 3)


def test_a_learning_rate_changed_by_hand_takes_effect_in_the_joined_update():
    joined = make_params()
    alone = make_params()
    optimizer = optim.Adam(joined, lr=0.01)
    separate = optim.Adam([{"params": [p]} for p in alone], lr=0.01)
    for step in range(4):
        if step == 2:
            optimizer.param_groups[0]["lr"] = 0.1
            for group in separate.param_groups:
                group["lr"] = 0.1
        give_grads(joined, step)
        give_grads(alone, step)
        optimizer.step()
        separate.step()
        assert optimizer._flat
        for p, q in zip(joined, alone):
            np.testing.assert_array_equal(p.data, q.data)


def test_a_group_added_after_steps_is_updated_with_its_own_values():
    params = make_params()
    optimizer = optim.Adam(params[:2], lr=0.01)
    give_grads(params, 0)
    optimizer.step()
    extra = params[2]
    start = extra.data.copy()
    optimizer.add_param_group({"params": [extra], "lr": 0.5})
    give_grads(params, 1)
    optimizer.step()
    # Adam's first step moves each weight by lr (times sign of the gradient, up to eps)
    np.testing.assert_allclose(extra.data, start - 0.5 * np.sign(extra.grad), rtol=1e-6)
    assert optimizer.state[extra]["step"] == 1 and optimizer.state[params[0]]["step"] == 2


def test_the_state_of_a_parameter_is_an_empty_dict_before_its_first_step_as_pytorch():
    params = make_params()
    optimizer = optim.Adam(params)
    assert optimizer.state[params[0]] == {}
    give_grads(params, 0)
    optimizer.step()
    assert optimizer.state[params[0]]["step"] == 1
    optimizer.load_state_dict(optimizer.state_dict())
    assert optimizer.state[nn.Parameter(np.ones(1))] == {}  # not one of its parameters
    assert sorted(optimizer.state_dict()["state"]) == [0, 1, 2]


def test_an_optimizer_subclass_without_a_learning_rate_steps():
    class Halve(optim.Optimizer):
        """W := W / 2 where the gradient is positive: no 'lr' in its groups."""

        def __init__(self, params):
            super().__init__(params, {})

        def update(self, param, grad, group, state):
            param.data = np.where(grad > 0, param.data / 2, param.data)

    p = nn.Parameter(np.array([4.0, 4.0]))
    optimizer = Halve([p])
    p.grad = np.array([1.0, -1.0])
    optimizer.step()
    np.testing.assert_array_equal(p.data, [2.0, 4.0])
    optimizer.load_state_dict(optimizer.state_dict())
