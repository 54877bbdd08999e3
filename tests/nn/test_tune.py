"""nn.tune: sampling on the right scale, random search on any executor, coarse to fine."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

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
        n_workers=2, threads_per_worker=1, dashboard_address=":0"
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


# ---------------------------------------------------------------- failures that must not escape
OUTCOMES = {
    "kind": tune.Choice(["ok", "ok", "ok", "crash", "hang"]),
    "x": tune.Uniform(0.0, 1.0),
}
_release = threading.Event()  # what hung threads wait for; each test that hangs one sets it


def crash_or_hang(config):
    """x, except that "crash" kills the process and "hang" never returns (on its own)."""
    if config["kind"] == "crash":
        os._exit(1)
    if config["kind"] == "hang":
        pid_dir = os.environ.get("TUNE_TEST_PIDS")
        if pid_dir:
            Path(pid_dir, str(os.getpid())).touch()
        time.sleep(60)
    return config["x"]


def hang_in_thread(config):
    """x, except that "hang" waits (on a thread, which cannot be stopped) until released."""
    if config["kind"] == "hang":
        _release.wait(30)
    return config["x"]


@pytest.fixture
def children():
    """The child processes before the test (another test's cluster, say): the search
    must leave no process of its own."""
    return set(multiprocessing.active_children())


def kinds(n_trials, seed):
    return [config["kind"] for config, _ in tune.sample_configs(OUTCOMES, n_trials, seed)]


def assert_kept_and_failed(trials, n_trials, seed, failing, error):
    """Every drawn trial is there once; the ``failing`` kinds failed with ``error``, the
    others kept their exact score, best first, failed ones last."""
    assert len(trials) == n_trials
    assert sorted(t.seed for t in trials) == sorted(
        s for _, s in tune.sample_configs(OUTCOMES, n_trials, seed)
    )
    good = [t for t in trials if t.config["kind"] not in failing]
    bad = [t for t in trials if t.config["kind"] in failing]
    assert trials == good + bad
    assert all(not t.failed and t.score == t.config["x"] for t in good)
    assert [t.score for t in good] == sorted(t.score for t in good)
    assert bad and all(t.failed and np.isnan(t.score) and error in t.error for t in bad)
    return bad


def test_a_trial_that_kills_its_worker_process_fails_alone(children):
    assert kinds(8, 24).count("crash") == 4 and "hang" not in kinds(8, 24)
    trials = tune.random_search(crash_or_hang, OUTCOMES, n_trials=8, seed=24)
    assert_kept_and_failed(trials, 8, 24, {"crash"}, "worker process died (exit code 1)")
    assert set(multiprocessing.active_children()) <= children


def test_a_trial_past_the_timeout_has_its_process_stopped(tmp_path, monkeypatch, children):
    monkeypatch.setenv("TUNE_TEST_PIDS", str(tmp_path))
    assert kinds(6, 0).count("hang") == 1 and kinds(6, 0).count("crash") == 1
    start = time.perf_counter()
    trials = tune.random_search(crash_or_hang, OUTCOMES, n_trials=6, seed=0, timeout=1)
    assert time.perf_counter() - start < 10  # not the hung trial's 60 s
    (hung,) = [t for t in trials if t.config["kind"] == "hang"]
    assert "timed out after 1 s" in hung.error and 1.0 <= hung.duration < 5.0
    assert trials[-2:] in ([hung, trials[-1]], [trials[-2], hung])
    assert_kept_and_failed(trials, 6, 0, {"crash", "hang"}, "")
    (pid,) = [int(p.name) for p in tmp_path.iterdir()]
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # stopped and reaped, not left burning a core
    assert set(multiprocessing.active_children()) <= children


@pytest.fixture
def release():
    global _release
    _release = threading.Event()
    yield
    _release.set()


def test_a_timed_out_trial_on_a_thread_pool_is_abandoned_and_the_rest_kept(release):
    assert kinds(6, 0).count("hang") == 1
    pool = ThreadPoolExecutor(2)
    try:
        start = time.perf_counter()
        trials = tune.random_search(
            hang_in_thread, OUTCOMES, n_trials=6, seed=0, executor=pool, timeout=1
        )
        assert time.perf_counter() - start < 10
    finally:
        _release.set()
        pool.shutdown()
    (hung,) = assert_kept_and_failed(trials, 6, 0, {"hang"}, "timed out after 1 s")
    assert "cannot stop a running thread" in hung.error and 1.0 <= hung.duration < 5.0


def test_a_timed_out_trial_on_a_dask_cluster_is_recorded(release):
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        try:
            trials = tune.random_search(
                hang_in_thread,
                OUTCOMES,
                n_trials=6,
                seed=0,
                executor=client.get_executor(),
                timeout=1,
            )
        finally:
            _release.set()
    (hung,) = assert_kept_and_failed(trials, 6, 0, {"hang"}, "timed out after 1 s")
    assert 1.0 <= hung.duration < 5.0


def test_a_broken_process_pool_keeps_the_finished_trials():
    order = kinds(8, 25)
    first_crash = order.index("crash")
    assert first_crash == 4 and "hang" not in order
    with ProcessPoolExecutor(1) as pool:
        trials = tune.random_search(crash_or_hang, OUTCOMES, n_trials=8, seed=25, executor=pool)
    drawn = tune.sample_configs(OUTCOMES, 8, 25)
    by_seed = {t.seed: t for t in trials}
    for config, seed in drawn[:first_crash]:  # finished before the pool broke: all kept
        assert not by_seed[seed].failed and by_seed[seed].score == config["x"]
    broken = [t for t in trials if t.failed]
    assert len(trials) == 8 and broken
    assert all("BrokenProcessPool" in t.error for t in broken)


def test_ctrl_c_stops_the_worker_processes_and_keeps_the_finished_trials(
    tmp_path, monkeypatch, children
):
    monkeypatch.setenv("TUNE_TEST_PIDS", str(tmp_path))
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    space = {"kind": tune.Choice(["ok", "hang"]), "x": tune.Uniform(0.0, 1.0)}
    order = [c["kind"] for c, _ in tune.sample_configs(space, 4, 0)]
    assert order == ["hang", "ok", "ok", "hang"]  # two workers: both "ok" finish, then Ctrl-C
    timer = threading.Timer(2.0, os.kill, (os.getpid(), signal.SIGINT))
    try:
        timer.start()
        with pytest.raises(KeyboardInterrupt) as interrupted:
            tune.random_search(crash_or_hang, space, n_trials=4, seed=0)
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    assert set(multiprocessing.active_children()) <= children
    for pid in (int(p.name) for p in tmp_path.iterdir()):
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    finished = interrupted.value.trials
    assert [t.config["kind"] for t in finished] == ["ok", "ok"]
    assert [t.score for t in finished] == sorted(t.config["x"] for t in finished)


def bad_returns(config):
    if config["kind"] == "exit":
        sys.exit(2)  # e.g. a training script's main() reused as the objective
    return {"inf": float("inf"), "-inf": -np.inf, "str": "1.5", "none": None, "ok": 0.5}[
        config["kind"]
    ]


def test_an_objective_returning_a_non_finite_or_non_number_fails_that_trial():
    space = {"kind": tune.Choice(["inf", "-inf", "str", "none", "exit", "ok"])}
    trials = tune.random_search(bad_returns, space, 30, executor=ThreadPoolExecutor(2))
    assert len(trials) == 30 and trials[0].score == 0.5
    assert {t.config["kind"] for t in trials if not t.failed} == {"ok"}
    errors = {t.config["kind"]: t.error for t in trials if t.failed}
    assert set(errors) == {"inf", "-inf", "str", "none", "exit"}
    assert "SystemExit: 2" in errors["exit"]
    assert "returned inf; return a finite score" in errors["inf"]
    assert "returned -inf" in errors["-inf"]
    assert "returned str '1.5', not a number" in errors["str"]
    assert "returned NoneType None" in errors["none"]


def test_a_local_function_gives_the_clear_error_before_any_process_starts(children):
    def local(config):
        return 1.0

    with pytest.raises(TypeError, match="define it at module level"):
        tune.random_search(local, {"lr": tune.Uniform(0, 1)}, 2)
    assert set(multiprocessing.active_children()) <= children


def test_argument_errors():
    with pytest.raises(TypeError, match="IntUniform: lo must be an integer, got 1.5"):
        tune.IntUniform(1.5, 4)
    assert tune.IntUniform(2.0, 4).lo == 2 and isinstance(tune.IntUniform(2.0, 4).lo, int)
    with pytest.raises(ValueError, match="finite lo <= hi"):
        tune.Uniform(0.0, float("inf"))
    with pytest.raises(ValueError, match="non-empty list"):
        tune.Choice("ab")
    with pytest.raises(TypeError, match="n_trials must be an int"):
        tune.random_search(objective, SPACE, 2.5)
    with pytest.raises(ValueError, match="timeout must be None or seconds > 0"):
        tune.random_search(objective, SPACE, 2, timeout=0)
    trial = tune.Trial({"lr": 0.1}, 1.0, 0, 0.0)
    with pytest.raises(ValueError, match="top_k must be >= 1"):
        tune.refine([trial], {"lr": tune.Uniform(0, 1)}, top_k=0)
    with pytest.raises(KeyError, match="no value for 'beta'"):
        tune.refine([trial], {"beta": tune.Uniform(0, 1)})


def test_a_shut_down_executor_raises_at_once():
    pool = ThreadPoolExecutor(1)
    pool.shutdown()
    with pytest.raises(RuntimeError, match="shutdown"):
        tune.random_search(objective, SPACE, 3, executor=pool)
