"""train_dev_test_split, Standardizer, DataLoader."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn
from autograd_mini import Tensor


@given(
    st.integers(20, 300),
    st.integers(2, 5),
    st.sampled_from([(0.15, 0.15), (0.2, 0.1), (0.0, 0.3)]),
    st.integers(0, 10),
)
def test_split_sizes_no_overlap_and_stratification(n, classes, fractions, seed):
    dev, test = fractions
    X = np.arange(n, dtype=float)[:, None] * np.ones((1, 3))
    y = np.arange(n) % classes
    (X_train, y_train), (X_dev, y_dev), (X_test, y_test) = nn.data.train_dev_test_split(
        X, y, dev=dev, test=test, seed=seed
    )
    assert len(y_dev) == round(n * dev) and len(y_test) == round(n * test)
    assert len(y_train) + len(y_dev) + len(y_test) == n
    ids = [part[:, 0].astype(int) for part in (X_train, X_dev, X_test)]
    assert sorted(np.concatenate(ids)) == list(range(n))  # every example exactly once
    for part, labels in zip(ids, (y_train, y_dev, y_test)):
        np.testing.assert_array_equal(y[part], labels)  # rows stay with their labels
    for labels, fraction in ((y_dev, dev), (y_test, test)):
        counts = np.bincount(labels, minlength=classes)
        expected = np.bincount(y, minlength=classes) * fraction
        assert np.all(np.abs(counts - expected) <= 1)  # each class keeps its share


def test_split_is_reproducible_and_seed_dependent():
    X, y = np.arange(100.0)[:, None], np.arange(100) % 2
    first = nn.data.train_dev_test_split(X, y, seed=1)
    again = nn.data.train_dev_test_split(X, y, seed=1)
    other = nn.data.train_dev_test_split(X, y, seed=2)
    np.testing.assert_array_equal(first[1][0], again[1][0])
    assert not np.array_equal(first[1][0], other[1][0])
    unstratified = nn.data.train_dev_test_split(X, y, stratify=False, seed=1)
    assert len(unstratified[1][1]) == 15


def test_split_errors():
    with pytest.raises(ValueError, match="X has 3 examples but y has 2"):
        nn.data.train_dev_test_split(np.ones((3, 1)), [0, 1])
    with pytest.raises(ValueError, match="dev \\+ test < 1"):
        nn.data.train_dev_test_split(np.ones((3, 1)), [0, 1, 0], dev=0.5, test=0.5)


def test_standardizer_uses_the_training_statistics_only():
    rng = np.random.default_rng(0)
    train = rng.normal([5.0, -3.0], [2.0, 0.5], (500, 2))
    dev = rng.normal([100.0, 100.0], 10.0, (50, 2))  # a very different set
    scaler = nn.data.Standardizer().fit(train)
    np.testing.assert_allclose(scaler.transform(train).mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(scaler.transform(train).std(axis=0), 1, rtol=1e-12)
    np.testing.assert_allclose(scaler.transform(dev), (dev - train.mean(0)) / train.std(0))
    mean_before = scaler.mean.copy()
    scaler.transform(dev)
    np.testing.assert_array_equal(scaler.mean, mean_before)
    assert isinstance(scaler.transform(Tensor(dev)), Tensor)
    np.testing.assert_array_equal(
        nn.data.Standardizer().fit_transform(train), scaler.transform(train)
    )


def test_standardizer_constant_features_and_errors():
    X = np.array([[1.0, 2.0], [1.0, 4.0]])
    np.testing.assert_allclose(nn.data.Standardizer().fit_transform(X), [[0, -1], [0, 1]])
    with pytest.raises(RuntimeError, match="call fit"):
        nn.data.Standardizer().transform(X)
    with pytest.raises(ValueError, match="had 2 features"):
        nn.data.Standardizer().fit(X).transform(np.ones((2, 3)))


@given(st.integers(1, 50), st.integers(1, 16), st.booleans(), st.booleans())
def test_every_example_appears_once_per_epoch(n, batch_size, shuffle, drop_last):
    X, y = np.arange(n, dtype=float)[:, None], np.arange(n)
    loader = nn.data.DataLoader(
        X, y, batch_size=batch_size, shuffle=shuffle, seed=0, drop_last=drop_last
    )
    epochs = [list(loader) for _ in range(2)]
    for batches in epochs:
        assert len(batches) == len(loader)
        seen = np.concatenate([yb for _, yb in batches]) if batches else np.array([], int)
        for xb, yb in batches:
            assert isinstance(xb, Tensor) and np.array_equal(xb.data[:, 0], yb)
            assert len(yb) == batch_size or (not drop_last and yb is batches[-1][1])
        if drop_last:
            assert len(seen) == (n // batch_size) * batch_size and len(set(seen)) == len(seen)
        else:
            assert sorted(seen) == list(range(n))
    if shuffle and n > 3 and not drop_last:
        first, second = (np.concatenate([yb for _, yb in b]) for b in epochs)
        assert not np.array_equal(first, second)  # a fresh permutation each epoch


def test_loader_is_reproducible_with_a_seed():
    X, y = np.arange(20.0)[:, None], np.arange(20)
    a = [yb for _, yb in nn.data.DataLoader(X, y, batch_size=5, seed=3)]
    b = [yb for _, yb in nn.data.DataLoader(X, y, batch_size=5, seed=3)]
    assert all(np.array_equal(p, q) for p, q in zip(a, b))
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        nn.data.DataLoader(X, y, batch_size=0)


@given(
    st.lists(st.integers(0, 6), min_size=1, max_size=40),
    st.sampled_from([(0.15, 0.15), (0.2, 0.2), (0.0, 0.3), (0.4, 0.0)]),
    st.integers(0, 5),
)
def test_stratified_splits_of_small_and_uneven_classes_keep_the_sizes(labels, fractions, seed):
    y = np.array(labels)
    n, (dev, test) = len(y), fractions
    X = np.arange(n, dtype=float)[:, None]
    sizes = [n - round(n * dev) - round(n * test), round(n * dev), round(n * test)]
    if sizes[0] < 1 or any(f > 0 and k == 0 for f, k in zip(fractions, sizes[1:])):
        with pytest.raises(ValueError, match="no example|none to train on"):
            nn.data.train_dev_test_split(X, y, dev=dev, test=test, seed=seed)
        return
    parts = nn.data.train_dev_test_split(X, y, dev=dev, test=test, seed=seed)
    assert [len(part_y) for _, part_y in parts] == sizes
    ids = np.concatenate([part_X[:, 0].astype(int) for part_X, _ in parts])
    assert sorted(ids) == list(range(n))
    for part_X, part_y in parts:
        np.testing.assert_array_equal(y[part_X[:, 0].astype(int)], part_y)


def test_a_class_with_one_example_stays_in_train_and_the_sizes_hold():
    X, y = np.arange(20.0)[:, None], np.array([0] * 19 + [1])
    for seed in range(5):
        (_, y_train), (_, y_dev), (_, y_test) = nn.data.train_dev_test_split(X, y, seed=seed)
        assert list(y_train).count(1) == 1 and (len(y_dev), len(y_test)) == (3, 3)
    (_, y_train), (_, y_dev), (_, y_test) = nn.data.train_dev_test_split(
        np.arange(5.0)[:, None], np.arange(5), dev=0.2, test=0.2
    )
    assert (len(y_train), len(y_dev), len(y_test)) == (3, 1, 1)


def test_stratifying_on_distinct_values_does_not_pick_the_smallest_for_dev_and_test():
    X, y = np.arange(40.0)[:, None], np.arange(40.0)  # every value its own "class"
    _, (_, y_dev), (_, y_test) = nn.data.train_dev_test_split(X, y, seed=0)
    assert len(y_dev) == len(y_test) == 6
    assert sorted(np.concatenate([y_dev, y_test])) != list(range(12))


def test_one_hot_targets_are_stratified_like_labels():
    labels = np.arange(100) % 4
    X, one_hot = np.arange(100.0)[:, None], np.eye(4)[labels]
    _, (_, y_dev), (_, y_test) = nn.data.train_dev_test_split(X, one_hot, seed=3)
    assert y_dev.shape == (15, 4) and y_test.shape == (15, 4)
    assert np.all(np.abs(y_dev.sum(axis=0) - 15 / 4) <= 1)


def test_splits_too_small_for_their_sets_raise():
    with pytest.raises(ValueError, match="dev=0.15 of 3 examples is no example"):
        nn.data.train_dev_test_split(np.ones((3, 1)), [0, 1, 0])
    with pytest.raises(ValueError, match="2 examples leave none to train on"):
        nn.data.train_dev_test_split(np.ones((2, 1)), [0, 1], dev=0.49, test=0.49)
    with pytest.raises(ValueError, match="0 examples"):
        nn.data.train_dev_test_split(np.ones((0, 1)), np.zeros(0))
    with pytest.raises(ValueError, match="one row per example"):
        nn.data.train_dev_test_split(np.float64(1.0), np.int64(0))
    (_, y_train), (_, y_dev), (_, y_test) = nn.data.train_dev_test_split(
        np.ones((3, 1)), [0, 1, 0], dev=0, test=0
    )
    assert len(y_train) == 3 and len(y_dev) == len(y_test) == 0


def test_loader_batch_size_must_be_an_int_and_other_inputs_work():
    X, y = np.arange(24.0).reshape(4, 2, 3), [0, 1, 0, 1]  # 3-D X, y as a list
    for bad in (2.0, True, 0, "2"):
        with pytest.raises(ValueError, match="batch_size must be >= 1 and an int"):
            nn.data.DataLoader(X, y, batch_size=bad)
    batches = list(nn.data.DataLoader(X, y, batch_size=np.int64(3), shuffle=False))
    assert [xb.shape for xb, _ in batches] == [(3, 2, 3), (1, 2, 3)]
    np.testing.assert_array_equal(batches[1][0].data, X[3:])
    np.testing.assert_array_equal(batches[0][1], [0, 1, 0])
    assert len(nn.data.DataLoader(X, y, batch_size=3, drop_last=True)) == 1
    empty = nn.data.DataLoader(np.zeros((0, 2)), np.zeros(0), batch_size=4)
    assert len(empty) == 0 and list(empty) == []
    with pytest.raises(ValueError, match="one row per example"):
        nn.data.DataLoader(np.float64(1.0), np.int64(0))


def test_loader_draws_a_new_permutation_each_pass_and_the_same_ones_for_a_seed():
    X, y = np.arange(30.0)[:, None], np.arange(30)
    passes = [np.concatenate([yb for _, yb in nn.data.DataLoader(X, y, seed=7)])]
    loader = nn.data.DataLoader(X, y, seed=7)
    again = [np.concatenate([yb for _, yb in loader]) for _ in range(2)]
    np.testing.assert_array_equal(passes[0], again[0])
    assert not np.array_equal(again[0], again[1]) and sorted(again[1]) == list(range(30))


def test_standardizer_refuses_nan_and_centres_a_single_example():
    with pytest.raises(ValueError, match=r"feature\(s\) \[1\] hold NaN or infinite"):
        nn.data.Standardizer().fit(np.array([[1.0, np.nan], [2.0, 3.0]]))
    with pytest.raises(ValueError, match=r"feature\(s\) \[0\]"):
        nn.data.Standardizer().fit(np.array([[np.inf, 0.0], [2.0, 3.0]]))
    one = nn.data.Standardizer().fit(np.array([[3.0, -1.0]]))
    np.testing.assert_array_equal(one.std, [1.0, 1.0])
    np.testing.assert_array_equal(one.transform(np.array([[4.0, 1.0]])), [[1.0, 2.0]])
