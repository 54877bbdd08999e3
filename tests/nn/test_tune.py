"""nn.tune: sampling on the right scale, random search on any executor, coarse to fine."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from nn import tune

SPACE = {
    "lr": tune.LogUniform(1e-4, 1.0),
    "beta": tune.OneMinusLogUniform(0.9, 0.999),
    "hidden": tune.IntUniform(8, 64),
    "dropout": tune.Uniform(0.0, 0.5),
    "activation": tune.Choice(["relu", "tanh"]),
}


def objective(config, seed):
    """A noisy bowl with its minimum at lr = 1e-2, beta = 0.99; fails for hidden > 60."""
    if config["hidden"] > 60:
        raise RuntimeError("out of memory (pretend)")
    noise = np.random.default_rng(seed).normal(0, 0.01)
    return (np.log10(config["lr"]) + 2) ** 2 + (np.log10(1 - config["beta"]) + 2) ** 2 + noise


def assert_uniform_quartiles(values, lo, hi):
    quartiles = np.percentile(values, [25, 50, 75])
    expected = lo + (hi - lo) * np.array([0.25, 0.5, 0.75])
    np.testing.assert_allclose(quartiles, expected, atol=0.03 * (hi - lo))


def test_log_uniform_is_uniform_in_log10():
    rng = np.random.default_rng(0)
    samples = [tune.LogUniform(1e-4, 1.0).sample(rng) for _ in range(20000)]
    assert min(samples) >= 1e-4 and max(samples) <= 1.0
    assert_uniform_quartiles(np.log10(samples), -4, 0)


def test_one_minus_log_uniform_makes_one_minus_beta_log_uniform():
    rng = np.random.default_rng(1)
    betas = np.array([tune.OneMinusLogUniform(0.9, 0.999).sample(rng) for _ in range(20000)])
    assert betas.min() >= 0.9 and betas.max() <= 0.999
    assert_uniform_quartiles(np.log10(1 - betas), -3, -1)
    # as many betas in [0.9, 0.99] as in [0.99, 0.999], unlike a uniform draw
    assert abs(np.mean(betas < 0.99) - 0.5) < 0.02


def test_int_uniform_and_choice_cover_their_values():
    rng = np.random.default_rng(2)
    ints = [tune.IntUniform(1, 4).sample(rng) for _ in range(4000)]
    assert set(ints) == {1, 2, 3, 4} and all(
        abs(ints.count(v) / 4000 - 0.25) < 0.03 for v in range(1, 5)
    )
    picks = [tune.Choice(["a", "b"]).sample(rng) for _ in range(1000)]
    assert set(picks) == {"a", "b"}


def test_search_records_failures_and_sorts_best_first():
    trials = tune.random_search(
        objective, SPACE, n_trials=30, seed=0, executor=ThreadPoolExecutor(2)
    )
    assert len(trials) == 30
    failed = [t for t in trials if t.failed]
    assert failed and all(t.config["hidden"] > 60 for t in failed)
    assert all(np.isnan(t.score) and "out of memory" in t.error for t in failed)
    succeeded = [t for t in trials if not t.failed]
    assert trials[: len(succeeded)] == succeeded  # failures last
    assert [t.score for t in succeeded] == sorted(t.score for t in succeeded)
    assert all(t.duration >= 0 and isinstance(t.seed, int) for t in trials)


def _key(trials):
    return [(t.config, None if t.failed else t.score, t.seed, t.failed) for t in trials]


def test_same_results_on_the_process_pool_a_thread_pool_and_a_dask_cluster():
    distributed = pytest.importorskip("distributed")
    default = tune.random_search(objective, SPACE, n_trials=12, seed=3)
    threads = tune.random_search(
        objective, SPACE, n_trials=12, seed=3, executor=ThreadPoolExecutor(4)
    )
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, dashboard_address=None
    ) as cluster:
        with distributed.Client(cluster) as client:
            on_dask = tune.random_search(
                objective, SPACE, n_trials=12, seed=3, executor=client.get_executor()
            )
    assert _key(default) == _key(threads) == _key(on_dask)
    assert _key(
        tune.random_search(objective, SPACE, n_trials=12, seed=4, executor=ThreadPoolExecutor(2))
    ) != _key(default)


def test_objective_without_a_seed_parameter_and_unpicklable_objectives():
    trials = tune.random_search(
        lambda config: config["lr"], {"lr": tune.Uniform(0, 1)}, 5, executor=ThreadPoolExecutor(2)
    )
    assert [t.score for t in trials] == sorted(t.config["lr"] for t in trials)
    with pytest.raises(TypeError, match="define it at module level"):
        tune.random_search(lambda config: 1.0, {"lr": tune.Uniform(0, 1)}, 2)


def test_refine_narrows_around_the_best_trials():
    trials = tune.random_search(
        objective, SPACE, n_trials=60, seed=0, executor=ThreadPoolExecutor(4)
    )
    finer = tune.refine(trials, SPACE, top_k=5)
    best = [t for t in trials if not t.failed][:5]
    for name in ("lr", "beta", "dropout"):
        values = [t.config[name] for t in best]
        assert (
            SPACE[name].lo <= finer[name].lo <= min(values)
            and max(values) <= finer[name].hi <= SPACE[name].hi
        )
    assert np.log10(finer["lr"].hi / finer["lr"].lo) < np.log10(SPACE["lr"].hi / SPACE["lr"].lo)
    assert set(finer["activation"].options) <= {"relu", "tanh"}
    second = tune.random_search(
        objective, finer, n_trials=20, seed=1, executor=ThreadPoolExecutor(4)
    )
    assert np.median([t.score for t in second if not t.failed]) < np.median(
        [t.score for t in trials if not t.failed]
    )


def test_space_errors():
    with pytest.raises(ValueError, match="0 < lo <= hi"):
        tune.LogUniform(0.0, 1.0)
    with pytest.raises(ValueError, match="hi < 1"):
        tune.OneMinusLogUniform(0.9, 1.0)
    with pytest.raises(TypeError, match="not a Space"):
        tune.random_search(objective, {"lr": 0.1}, 2)
    with pytest.raises(ValueError, match="no successful trial"):
        tune.refine([tune.Trial({}, float("nan"), 0, 0.0, "boom")], {})
