"""Optimizers against the course notes' update rules (tests/oracles/optimizers.py) and
against PyTorch's definitions, written out here as plain numpy."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn
from nn import optim

from ..helpers import arrays, floats
from ..oracles import optimizers as documents

gradient_sequences = st.integers(1, 6).flatmap(
    lambda steps: st.lists(arrays((3, 2), floats(-2, 2)), min_size=steps, max_size=steps)
)


def run(optimizer_class, start, gradients, **hyper):
    """Apply ``optimizer_class`` to one parameter fed the given gradients; return its values."""
    param = nn.Parameter(start.copy())
    optimizer = optimizer_class([param], **hyper)
    history = []
    for gradient in gradients:
        param.grad = gradient.copy()
        optimizer.step()
        history.append(param.data.copy())
    return history, optimizer, param


@given(arrays((3, 2)), gradient_sequences, st.floats(0.001, 0.5))
def test_plain_gradient_descent(start, gradients, lr):
    history, *_ = run(optim.SGD, start, gradients, lr=lr)
    W = start
    for got, dW in zip(history, gradients):
        W = W - lr * dW
        np.testing.assert_allclose(got, W, rtol=1e-12, atol=1e-14)


@given(arrays((3, 2)), gradient_sequences, st.floats(0.001, 0.5), st.floats(0.5, 0.99))
def test_documents_momentum_is_sgd_with_dampening_beta(start, gradients, lr, beta):
    """SGD(momentum=beta, dampening=beta) runs v = beta v + (1 - beta) dW; W -= lr v.

    PyTorch starts the velocity at the first gradient (v_1 = dW_1), where the
    documents start from v_0 = 0 (v_1 = (1 - beta) dW_1); from then on both
    follow the same recurrence. So the oracle starts from v_0 = dW_1.
    """
    history, optimizer, param = run(
        optim.SGD, start, gradients, lr=lr, momentum=beta, dampening=beta
    )
    W, v = start, gradients[0]
    for got, dW in zip(history, gradients):
        W, v = documents.momentum_step(W, v, dW, lr, beta)
        np.testing.assert_allclose(got, W, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(optimizer.state[param]["momentum_buffer"], v, rtol=1e-12)


@given(arrays((3, 2)), gradient_sequences, st.floats(0.001, 0.1), st.floats(0.5, 0.999))
def test_rmsprop_matches_the_documents(start, gradients, lr, beta):
    history, *_ = run(optim.RMSprop, start, gradients, lr=lr, alpha=beta, eps=1e-8)
    W, S = start, np.zeros_like(start)
    for got, dW in zip(history, gradients):
        W, S = documents.rmsprop_step(W, S, dW, lr, beta, 1e-8)
        np.testing.assert_allclose(got, W, rtol=1e-10, atol=1e-12)


@given(
    arrays((3, 2)),
    gradient_sequences,
    st.floats(0.001, 0.1),
    st.floats(0.5, 0.95),
    st.floats(0.9, 0.9999),
)
def test_adam_matches_the_documents_with_bias_correction(start, gradients, lr, beta1, beta2):
    history, optimizer, param = run(optim.Adam, start, gradients, lr=lr, betas=(beta1, beta2))
    W, m, v = start, np.zeros_like(start), np.zeros_like(start)
    for t, (got, dW) in enumerate(zip(history, gradients), start=1):
        W, m, v = documents.adam_step(W, m, v, dW, t, lr, beta1, beta2, 1e-8)
        np.testing.assert_allclose(got, W, rtol=1e-10, atol=1e-12)
    # Adam's first moment is the exponentially weighted average of the gradients;
    # bias-corrected, it is v_t / (1 - beta^t) (Improving Deep Neural Networks notes, section 18)
    state = optimizer.state[param]
    corrected = documents.exponentially_weighted_averages(gradients, beta1, bias_correction=True)
    np.testing.assert_allclose(
        state["exp_avg"] / (1 - beta1 ** len(gradients)), corrected[-1], rtol=1e-10
    )
    assert state["step"] == len(gradients)


def test_bias_correction_removes_the_start_up_bias():
    """Improving Deep Neural Networks notes, section 18: with v_0 = 0 early averages are
    biased toward zero; dividing by 1 - beta^t removes that, so a constant series averages
    to itself from step 1."""
    thetas = [np.array(10.0)] * 5
    raw = documents.exponentially_weighted_averages(thetas, 0.98)
    corrected = documents.exponentially_weighted_averages(thetas, 0.98, bias_correction=True)
    assert raw[0] == pytest.approx(0.2) and all(c == pytest.approx(10.0) for c in corrected)
    history, *_ = run(optim.Adam, np.zeros(1), [np.ones(1)] * 3, lr=0.1)
    np.testing.assert_allclose(np.diff([0.0] + [h[0] for h in history]), -0.1, rtol=1e-6)


@given(arrays((3, 2)), gradient_sequences, st.floats(0.001, 0.5))
def test_adagrad_matches_its_definition(start, gradients, lr):
    history, *_ = run(optim.Adagrad, start, gradients, lr=lr, eps=1e-10)
    W, G = start, np.zeros_like(start)
    for got, dW in zip(history, gradients):
        W, G = documents.adagrad_step(W, G, dW, lr, 1e-10)
        np.testing.assert_allclose(got, W, rtol=1e-10, atol=1e-12)


# PyTorch's definitions of the variants, written as plain numpy
@given(
    arrays((3, 2)), gradient_sequences, st.floats(0.01, 0.5), st.floats(0.1, 0.9), st.floats(0, 0.1)
)
def test_sgd_nesterov_and_weight_decay_follow_pytorch(start, gradients, lr, momentum, decay):
    history, *_ = run(
        optim.SGD, start, gradients, lr=lr, momentum=momentum, nesterov=True, weight_decay=decay
    )
    W, buffer = start, None
    for got, dW in zip(history, gradients):
        g = dW + decay * W
        buffer = g.copy() if buffer is None else momentum * buffer + g
        W = W - lr * (g + momentum * buffer)
        np.testing.assert_allclose(got, W, rtol=1e-12, atol=1e-14)


@given(arrays((3, 2)), gradient_sequences, st.floats(0.001, 0.1), st.floats(0.0, 0.1))
def test_adamw_decouples_weight_decay(start, gradients, lr, decay):
    history, *_ = run(optim.AdamW, start, gradients, lr=lr, weight_decay=decay)
    W, m, v = start, np.zeros_like(start), np.zeros_like(start)
    for t, (got, dW) in enumerate(zip(history, gradients), start=1):
        W = W * (1 - lr * decay)
        W, m, v = documents.adam_step(W, m, v, dW, t, lr, 0.9, 0.999, 1e-8)
        np.testing.assert_allclose(got, W, rtol=1e-10, atol=1e-12)


@given(arrays((3, 2)), gradient_sequences, st.floats(0, 0.1))
def test_adam_weight_decay_is_added_to_the_gradient(start, gradients, decay):
    history, *_ = run(optim.Adam, start, gradients, lr=0.01, weight_decay=decay)
    W, m, v = start, np.zeros_like(start), np.zeros_like(start)
    for t, (got, dW) in enumerate(zip(history, gradients), start=1):
        W, m, v = documents.adam_step(W, m, v, dW + decay * W, t, 0.01, 0.9, 0.999, 1e-8)
        np.testing.assert_allclose(got, W, rtol=1e-10, atol=1e-12)


@given(arrays((3, 2)), gradient_sequences, st.floats(0.1, 0.9))
def test_rmsprop_centered_with_momentum_follows_pytorch(start, gradients, momentum):
    history, *_ = run(optim.RMSprop, start, gradients, lr=0.01, centered=True, momentum=momentum)
    W = start
    square_avg, grad_avg, buffer = (np.zeros_like(start) for _ in range(3))
    for got, dW in zip(history, gradients):
        square_avg = 0.99 * square_avg + 0.01 * dW**2
        grad_avg = 0.99 * grad_avg + 0.01 * dW
        buffer = momentum * buffer + dW / (np.sqrt(square_avg - grad_avg**2) + 1e-8)
        W = W - 0.01 * buffer
        np.testing.assert_allclose(got, W, rtol=1e-9, atol=1e-12)


@given(
    arrays((3, 2)),
    gradient_sequences,
    st.floats(0.001, 0.1),
    st.floats(0.5, 0.95),
    st.floats(0.9, 0.9999),
)
def test_adam_amsgrad_follows_pytorch(start, gradients, lr, beta1, beta2):
    """v_max = max(v_max, v); the step divides by sqrt(v_max / (1 - beta2^t)) + eps."""
    history, optimizer, param = run(
        optim.Adam, start, gradients, lr=lr, betas=(beta1, beta2), amsgrad=True
    )
    W, m, v, v_max = start, *(np.zeros_like(start) for _ in range(3))
    for t, (got, dW) in enumerate(zip(history, gradients), start=1):
        m = beta1 * m + (1 - beta1) * dW
        v = beta2 * v + (1 - beta2) * dW**2
        v_max = np.maximum(v_max, v)
        W = W - lr / (1 - beta1**t) * m / (np.sqrt(v_max) / np.sqrt(1 - beta2**t) + 1e-8)
        np.testing.assert_allclose(got, W, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(optimizer.state[param]["max_exp_avg_sq"], v_max, rtol=1e-12)


def test_amsgrad_remembers_a_large_gradient_that_adam_forgets():
    """After one large gradient, plain Adam's v decays and its steps grow back toward lr;
    AMSGrad divides by the largest v so far, so its steps stay small."""
    gradients = [np.array([10.0])] + [np.array([0.1])] * 100
    plain, *_ = run(optim.Adam, np.zeros(1), gradients, lr=0.01, betas=(0.0, 0.9))
    ams, optimizer, param = run(
        optim.Adam, np.zeros(1), gradients, lr=0.01, betas=(0.0, 0.9), amsgrad=True
    )
    plain_steps, ams_steps = -np.diff([h[0] for h in plain]), -np.diff([h[0] for h in ams])
    assert plain_steps[-1] > 0.9 * 0.01  # |m_hat| / sqrt(v_hat) is about 1 again
    # v_max = (1 - 0.9) 10^2 = 10 from the first step on: step = lr 0.1 / sqrt(10 / (1 - 0.9^t))
    expected = [0.01 * 0.1 / (np.sqrt(10 / (1 - 0.9**t)) + 1e-8) for t in range(2, 102)]
    np.testing.assert_allclose(ams_steps, expected, rtol=1e-9)
    np.testing.assert_allclose(optimizer.state[param]["max_exp_avg_sq"], [10.0])


MAXIMIZING = {
    "sgd": lambda p, **k: optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.01, **k),
    "nesterov": lambda p, **k: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True, **k),
    "adam": lambda p, **k: optim.Adam(p, lr=0.01, weight_decay=0.01, **k),
    "amsgrad": lambda p, **k: optim.Adam(p, lr=0.01, amsgrad=True, **k),
    "adamw": lambda p, **k: optim.AdamW(p, lr=0.01, weight_decay=0.1, **k),
    "rmsprop": lambda p, **k: optim.RMSprop(p, centered=True, momentum=0.5, weight_decay=0.1, **k),
    "adagrad": lambda p, **k: optim.Adagrad(p, lr=0.1, weight_decay=0.1, **k),
}


@pytest.mark.parametrize("name", MAXIMIZING)
@pytest.mark.parametrize("joined", [False, True], ids=["alone", "joined"])
def test_maximize_is_descent_on_the_negated_gradient_as_in_pytorch(name, joined):
    """PyTorch negates dW first, then adds the weight decay: g = -dW + weight_decay W."""
    rng = np.random.default_rng(1)
    shapes = [(3, 2), (4,)] if joined else [(3, 2)]
    starts = [rng.standard_normal(shape) for shape in shapes]
    up = [nn.Parameter(s.copy()) for s in starts]
    down = [nn.Parameter(s.copy()) for s in starts]
    ascending, descending = MAXIMIZING[name](up, maximize=True), MAXIMIZING[name](down)
    for _ in range(4):
        for p, q in zip(up, down):
            p.grad = rng.standard_normal(p.shape)
            q.grad = -p.grad
        ascending.step()
        descending.step()
        for p, q in zip(up, down):
            np.testing.assert_array_equal(p.data, q.data)


@given(arrays((3, 2)), gradient_sequences)
def test_adamw_without_weight_decay_is_adam(start, gradients):
    adamw, *_ = run(optim.AdamW, start, gradients, lr=0.01, weight_decay=0.0)
    adam, *_ = run(optim.Adam, start, gradients, lr=0.01)
    for a, b in zip(adamw, adam):
        np.testing.assert_array_equal(a, b)


def test_adagrad_lr_decay_and_initial_accumulator():
    history, *_ = run(
        optim.Adagrad,
        np.zeros(1),
        [np.ones(1)] * 2,
        lr=1.0,
        lr_decay=0.5,
        initial_accumulator_value=1.0,
    )
    np.testing.assert_allclose(history[0], -1 / np.sqrt(2), rtol=1e-9)
    np.testing.assert_allclose(history[1], history[0] - (1 / 1.5) / np.sqrt(3), rtol=1e-9)


def test_parameter_groups_have_their_own_hyperparameters():
    a, b = nn.Parameter(np.ones(2)), nn.Parameter(np.ones(2))
    optimizer = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    a.grad, b.grad = np.ones(2), np.ones(2)
    optimizer.step()
    np.testing.assert_allclose(a.data, 0.9)
    np.testing.assert_allclose(b.data, 0.5)
    assert optimizer.param_groups[1]["momentum"] == 0.0


def test_parameters_without_gradient_are_skipped_and_zero_grad_clears():
    model = nn.Linear(2, 2, rng=0)
    before = model.weight.data.copy()
    optimizer = optim.Adam(model.parameters())
    optimizer.step()
    np.testing.assert_array_equal(model.weight.data, before)
    model.weight.grad = np.ones((2, 2))
    optimizer.zero_grad()
    assert model.weight.grad is None


@pytest.mark.parametrize(
    "make",
    [
        lambda p: optim.SGD(p, lr=0.1, momentum=0.9),
        lambda p: optim.Adam(p, lr=0.01),
        lambda p: optim.RMSprop(p, centered=True, momentum=0.5),
        lambda p: optim.Adagrad(p),
        lambda p: optim.AdamW(p),
    ],
)
def test_state_dict_round_trip_continues_identically(make):
    rng = np.random.default_rng(0)
    gradients = [rng.standard_normal((2, 3)) for _ in range(6)]
    original = nn.Parameter(rng.standard_normal((2, 3)))
    optimizer = make([original])
    for g in gradients[:3]:
        original.grad = g
        optimizer.step()
    copy = nn.Parameter(original.data.copy())
    restored = make([copy])
    restored.load_state_dict(optimizer.state_dict())
    for g in gradients[3:]:
        original.grad, copy.grad = g, g.copy()
        optimizer.step()
        restored.step()
    np.testing.assert_array_equal(copy.data, original.data)


def test_optimizer_errors():
    p = nn.Parameter(np.ones(2))
    with pytest.raises(ValueError, match="SGD: optimizer got an empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="SGD: Invalid learning rate: -1; lr must be a finite"):
        optim.SGD([p], lr=-1)
    with pytest.raises(
        ValueError,
        match=r"Adam: Invalid beta parameter at index 1: 1.0; betas\[1\] must be a number in "
        r"\[0, 1\)",
    ):
        optim.Adam([p], betas=(0.9, 1.0))
    with pytest.raises(TypeError, match="parameter 0 of group 0 is a ndarray"):
        optim.SGD([np.ones(2)], lr=0.1)
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum"):
        optim.SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="appear in more than one parameter group"):
        optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)
    optimizer = optim.SGD([p], lr=0.1)
    with pytest.raises(ValueError, match="2 parameter groups in the state"):
        optimizer.load_state_dict({"state": {}, "param_groups": [{"params": [0]}, {"params": [1]}]})
    assert "lr: 0.1" in repr(optimizer)


def test_updates_bump_the_parameter_version():
    p = nn.Parameter(np.ones(2))
    loss = (p * p).sum()
    optimizer = optim.SGD([p], lr=0.1)
    p.grad = np.ones(2)
    optimizer.step()  # stepping before backward: the graph's saved p is stale
    with pytest.raises(RuntimeError, match="mul: input 0"):
        loss.backward()


def test_step_with_a_closure_and_duplicate_parameters():
    model = nn.Linear(2, 1, rng=0)
    optimizer = optim.SGD(model.parameters(), lr=0.1)

    def closure():
        optimizer.zero_grad()
        loss = (model(np.ones((1, 2))) ** 2).sum()
        loss.backward()
        return loss

    loss = optimizer.step(closure)
    assert loss.item() > 0 and model.weight.grad is not None
    w = nn.Parameter(np.ones(2))
    with pytest.raises(ValueError, match="listed twice"):
        optim.SGD([w, w], lr=0.1)


# Every optimizer whose update is elementwise; the flat (one-vector) path must give exactly
# what updating each parameter on its own gives (a group of one parameter is never joined).
ELEMENTWISE = [
    lambda params: optim.Adam(params, lr=0.01, weight_decay=0.01),
    lambda params: optim.Adam(params, lr=0.01, amsgrad=True, maximize=True),
    lambda params: optim.AdamW(params, lr=0.01),
    lambda params: optim.RMSprop(params, centered=True, momentum=0.5),
    lambda params: optim.RMSprop(params, lr=0.01, maximize=True),
    lambda params: optim.Adagrad(params, lr=0.1, lr_decay=0.01),
]


def _one_group_each(params):
    return [{"params": [p]} for p in params]


@pytest.mark.parametrize(
    "make", ELEMENTWISE, ids=["adam", "amsgrad-max", "adamw", "rmsprop-c", "rmsprop-max", "ada"]
)
@given(
    steps=st.lists(st.lists(st.booleans(), min_size=3, max_size=3), min_size=1, max_size=6),
    seed=st.integers(0, 2**16),
    resume_at=st.integers(0, 6),
)
def test_a_group_updated_as_one_vector_matches_updating_each_parameter(
    make, steps, seed, resume_at
):
    """Random gradients, some parameters without one on some steps (the group's layout then
    changes), and a state_dict round trip in the middle: both paths agree to the last bit."""
    rng = np.random.default_rng(seed)
    shapes = [(3, 2), (2,), (4, 1, 2)]
    starts = [rng.standard_normal(shape) for shape in shapes]
    joined = [nn.Parameter(s.copy()) for s in starts]
    alone = [nn.Parameter(s.copy()) for s in starts]
    optimizer_joined, optimizer_alone = make(joined), make(_one_group_each(alone))
    for step, has_grad in enumerate(steps):
        if step == resume_at:  # continue in a fresh optimizer from the saved state
            restored = make(joined)
            restored.load_state_dict(optimizer_joined.state_dict())
            optimizer_joined = restored
        for p, q, shape, present in zip(joined, alone, shapes, has_grad):
            gradient = rng.standard_normal(shape)
            p.grad, q.grad = (gradient, gradient.copy()) if present else (None, None)
        optimizer_joined.step()
        optimizer_alone.step()
        for p, q in zip(joined, alone):
            np.testing.assert_array_equal(p.data, q.data)
            mine, theirs = optimizer_joined.state.get(p, {}), optimizer_alone.state.get(q, {})
            assert mine.keys() == theirs.keys()
            for key in mine:
                np.testing.assert_array_equal(mine[key], theirs[key])


def test_a_joined_update_keeps_each_parameters_array_and_bumps_its_version():
    params = [nn.Parameter(np.ones((2, 2))), nn.Parameter(np.zeros(3))]
    arrays_before = [p.data for p in params]
    loss = (params[0] * params[0]).sum()
    optimizer = optim.Adam(params, lr=0.1)
    for p in params:
        p.grad = np.ones(p.shape)
    optimizer.step()
    assert all(p.data is a for p, a in zip(params, arrays_before))  # updated in place
    assert optimizer._flat  # the group was joined
    np.testing.assert_allclose(params[1].data, -0.1)
    with pytest.raises(RuntimeError, match="mul: input 0"):
        loss.backward()
    state = optimizer.state[params[0]]
    assert state["exp_avg"].shape == (2, 2) and state["step"] == 1


def test_parameters_of_different_dtypes_are_updated_one_by_one():
    params = [nn.Parameter(np.ones(2)), nn.Parameter(np.ones(2, dtype=np.float32))]
    optimizer = optim.Adam(params, lr=0.1)
    for p in params:
        p.grad = np.ones(2, dtype=p.dtype)
    optimizer.step()
    assert not optimizer._flat
    assert params[1].dtype == np.float32
    np.testing.assert_allclose(params[1].data, 0.9, rtol=1e-6)


def test_a_copied_optimizer_continues_like_the_original():
    import copy

    params = [nn.Parameter(np.ones(2)), nn.Parameter(np.ones(3))]
    optimizer = optim.Adam(params, lr=0.1)
    for p in params:
        p.grad = np.full(p.shape, 0.5)
    optimizer.step()
    twin = copy.deepcopy({"optimizer": optimizer, "params": params})
    for optimizer_, params_ in ((optimizer, params), (twin["optimizer"], twin["params"])):
        for p in params_:
            p.grad = np.full(p.shape, -1.0)
        optimizer_.step()
    for p, q in zip(params, twin["params"]):
        np.testing.assert_array_equal(p.data, q.data)
        np.testing.assert_array_equal(
            optimizer.state[p]["exp_avg"], twin["optimizer"].state[q]["exp_avg"]
        )


def test_resetting_or_replacing_the_state_of_joined_parameters_is_respected():
    rng = np.random.default_rng(0)
    params = [nn.Parameter(rng.standard_normal((2, 2))) for _ in range(3)]
    twins = [nn.Parameter(p.data.copy()) for p in params]
    optimizer, fresh = optim.Adam(params, lr=0.1), None
    for _ in range(3):
        for p in params:
            p.grad = rng.standard_normal((2, 2))
        optimizer.step()
    for p in params:  # start the moments again, by hand
        optimizer.state[p].clear()
    optimizer.state[params[0]]["unused"] = 1  # (an entry the optimizer does not know)
    del optimizer.state[params[0]]["unused"]
    fresh = optim.Adam([{"params": [t]} for t in twins], lr=0.1)
    for p, t in zip(params, twins):
        t.data = p.data.copy()
        p.grad = t.grad = np.ones((2, 2))
    optimizer.step()
    fresh.step()
    for p, t in zip(params, twins):
        np.testing.assert_array_equal(p.data, t.data)
        assert optimizer.state[p]["step"] == 1
    saved = optimizer.state_dict()["state"]
    assert all(set(entry) == {"step", "exp_avg", "exp_avg_sq"} for entry in saved.values())


def test_a_subclass_with_its_own_update_gets_each_parameter():
    class Signs(optim.Adam):
        """A new, not necessarily elementwise, update: it must see real parameters."""

        def update(self, param, grad, group, state):
            assert param.shape == grad.shape
            param.data -= group["lr"] * np.sign(grad) * np.linalg.norm(param.data)

    params = [nn.Parameter(np.ones(2)), nn.Parameter(np.full(3, 2.0))]
    optimizer = Signs(params, lr=0.1)
    for p in params:
        p.grad = np.ones(p.shape)
    optimizer.step()
    np.testing.assert_allclose(params[0].data, 1 - 0.1 * np.sqrt(2))
    np.testing.assert_allclose(params[1].data, 2 - 0.1 * np.sqrt(12))
    assert optim.Adam.flat_updates and optim.AdamW.flat_updates and not Signs.flat_updates


def test_a_parameter_given_a_new_shape_gets_a_new_layout():
    params = [nn.Parameter(np.ones((2, 3))), nn.Parameter(np.ones(2))]
    optimizer = optim.Adagrad(params, lr=0.1)
    for p in params:
        p.grad = np.ones(p.shape)
    optimizer.step()
    params[0].data = np.ones((3, 2))  # reshaped between steps: its state no longer fits
    params[0].grad = np.ones((3, 2))
    params[1].grad = np.ones(2)
    with pytest.raises(ValueError):
        optimizer.step()  # as when updating it on its own: the state has the old shape
