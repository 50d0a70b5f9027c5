"""The trainers on their own: arrays in, what they produced out.

``StochasticTrainer`` and ``LbfgsTrainer`` do not reach into the estimator:
given the flat buffer, the data, the hyper-parameters and a few callables,
they update the buffer in place and return the rest (a ``TrainingState``, an
``LbfgsResult``), which the estimator assigns to its fitted attributes. Run
on copies of a fitted model's arrays, they train exactly what the estimator's
own call trains, and leave the model they were copied from as it was. The
early-stopping split is one function of the validation-set module.
"""

import copy
import inspect
import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import load_diabetes, load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelBinarizer, StandardScaler

from skmlp import MLPRegressor
from skmlp._training.lbfgs import LbfgsTrainer
from skmlp._training.state import OPTIMIZER, RECORD, TrainingState
from skmlp._training.stochastic import StochasticTrainer
from skmlp._training.validation_set import split_validation_set

X_DIAB, Y_DIAB = load_diabetes(return_X_y=True)
X_DIAB = StandardScaler().fit_transform(X_DIAB)
Y_DIAB = (Y_DIAB - Y_DIAB.mean()) / Y_DIAB.std()
X_IRIS, Y_IRIS = load_iris(return_X_y=True)


def _fitted(**params):
    est = MLPRegressor(hidden_layer_sizes=(8,), max_iter=3, random_state=0, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X_DIAB, Y_DIAB)


class _Owner:
    """What partial_fit's workspaces are kept for: any object that can be weakly referenced."""


def _hyperparameters(est, trainer_class):
    """The estimator's hyper-parameters that the trainer takes as keyword arguments.

    Not ``random_state``: the trainer takes the generator itself.
    """
    names = set(inspect.signature(trainer_class).parameters) - {"random_state"}
    return {name: value for name, value in est.get_params().items() if name in names}


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_the_stochastic_trainer_trains_copied_arrays_like_partial_fit(solver):
    est = _fitted(solver=solver, learning_rate="invscaling")
    model = pickle.loads(pickle.dumps(est))
    before = pickle.dumps(model)

    params, running = model._params.copy(), model._running.copy()
    state = copy.deepcopy(model._training_state())
    trainer = StochasticTrainer(
        params,
        running,
        model._layout,
        model._spec(params.dtype),
        state,
        incremental=True,
        warm=True,
        dropout_rates=[0.0],
        random_state=np.random.RandomState(0),  # what partial_fit reseeds for random_state=0
        tasks=None,
        owner=_Owner(),
        name="MLPRegressor",
        score=None,
        predict=None,
        **_hyperparameters(model, StochasticTrainer),
    )
    returned = trainer.fit(X_DIAB, Y_DIAB.reshape(-1, 1), np.ones(len(Y_DIAB)))
    assert returned is state

    est.partial_fit(X_DIAB, Y_DIAB)
    assert_array_equal(params, est._params)
    assert_array_equal(running, est._running)
    for name, value in state.fitted_attributes().items():
        attribute = getattr(est, name)
        if isinstance(value, np.ndarray):
            assert_array_equal(value, attribute, err_msg=name)
        else:
            assert value == attribute, name
    # The model whose arrays were copied is as it was.
    assert pickle.dumps(model) == before


def test_the_training_state_holds_every_attribute_a_stochastic_fit_sets():
    stochastic = set(vars(_fitted(solver="adam")))
    lbfgs = set(vars(_fitted(solver="lbfgs")))
    names = set(RECORD.values()) | set(OPTIMIZER.values())
    # The attributes of a stochastic fit that L-BFGS does not set are all in
    # the state; the state names only attributes a stochastic fit sets.
    assert stochastic - lbfgs <= names <= stochastic
    # The state's fields are the two tables' keys, in one structure.
    fields = set(inspect.signature(TrainingState).parameters)
    assert fields == set(RECORD) | set(OPTIMIZER)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_lbfgs_trainer_returns_what_the_estimator_assigns(dtype):
    # A model of the dtype (a float32 one from a stochastic solver), which a
    # warm-started L-BFGS fit continues.
    X, y = X_DIAB.astype(dtype), Y_DIAB.astype(dtype)
    est = _fitted(solver="adam", warm_start=True) if dtype == np.float64 else None
    if est is None:
        est = MLPRegressor(hidden_layer_sizes=(8,), max_iter=3, random_state=0, warm_start=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            est.fit(X, y)
    assert est._params.dtype == dtype
    est.set_params(solver="lbfgs", max_iter=20)
    model = pickle.loads(pickle.dumps(est))

    params = model._params.copy()
    batch = model._full_batch(X, y.reshape(-1, 1), np.ones(len(y), dtype))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        result = LbfgsTrainer(
            params, batch, tasks=None, **_hyperparameters(model, LbfgsTrainer)
        ).fit()
        est.fit(X, y)
    assert result.n_iter == est.n_iter_ > 0
    assert result.loss == est.loss_
    if dtype == np.float64:
        assert result.float64_params is None
        assert_array_equal(params, est._params)
    else:
        # SciPy's float64 solution, which the estimator's model takes.
        assert result.float64_params.dtype == est._params.dtype == np.float64
        assert_array_equal(result.float64_params, est._params)


def _split(y, binarizer=None, stratify_multiclass=False, fraction=0.2, seed=0):
    X = np.arange(2.0 * len(y)).reshape(len(y), 2)
    Y = y.reshape(len(y), -1) if binarizer is None else binarizer.transform(y)
    Y = np.ascontiguousarray(Y, dtype=np.float64)
    return split_validation_set(
        X,
        Y,
        np.ones(len(y)),
        fraction=fraction,
        random_state=np.random.RandomState(seed),
        binarizer=binarizer,
        stratify_multiclass=stratify_multiclass,
    )


def _expected_rows(n, stratify, fraction=0.2, seed=0):
    return train_test_split(
        np.arange(n),
        test_size=fraction,
        random_state=np.random.RandomState(seed),
        stratify=stratify,
    )


@pytest.mark.parametrize("stratify_multiclass", [False, True])
def test_the_split_stratifies_binary_targets_and_multiclass_ones_on_request(stratify_multiclass):
    labels = np.array(["no", "yes"])[(np.arange(100) % 5 == 0).astype(int)]
    binarizer = LabelBinarizer().fit(labels)
    X_train, _, _, rows, val = _split(labels, binarizer)
    train_rows, val_rows = _expected_rows(100, labels)
    assert_array_equal(rows, train_rows)
    assert_array_equal(X_train[:, 0] / 2, train_rows)
    assert_array_equal(val.y, labels[val_rows])  # the labels as given
    assert val.Y.shape == (20, 1)

    classes = np.array(["a", "b", "c"])[Y_IRIS]
    binarizer = LabelBinarizer().fit(classes)
    _, _, _, rows, val = _split(classes, binarizer, stratify_multiclass)
    train_rows, val_rows = _expected_rows(150, classes if stratify_multiclass else None)
    assert_array_equal(rows, train_rows)
    assert_array_equal(val.y, classes[val_rows])
    assert val.Y.shape == (30, 3)


def test_the_split_never_stratifies_multilabel_targets_nor_regression_ones():
    Y = np.stack([Y_IRIS == 0, Y_IRIS == 2], axis=1).astype(int)
    binarizer = LabelBinarizer().fit(Y)
    X = np.zeros((150, 2))
    _, _, _, rows, val = split_validation_set(
        X,
        binarizer.transform(Y).astype(float),
        np.ones(150),
        fraction=0.2,
        random_state=np.random.RandomState(0),
        binarizer=binarizer,
        stratify_multiclass=True,
    )
    train_rows, val_rows = _expected_rows(150, None)
    assert_array_equal(rows, train_rows)
    assert_array_equal(val.y, Y[val_rows])

    _, y_train, _, rows, val = _split(Y_DIAB)
    train_rows, val_rows = _expected_rows(len(Y_DIAB), None)
    assert_array_equal(rows, train_rows)
    assert val.y.shape == (len(val_rows),)  # one output: 1-D, as given
    assert_array_equal(val.y, Y_DIAB[val_rows])
    assert_array_equal(y_train[:, 0], Y_DIAB[train_rows])


def test_the_split_refuses_a_set_too_small_or_without_weight():
    with pytest.raises(ValueError, match="too small"):
        _split(Y_DIAB[:10], fraction=0.1)
    train_rows, _ = _expected_rows(10, None, fraction=0.5)
    weights = np.zeros(10)
    weights[train_rows[0]] = 1.0  # only a training row weighs
    with pytest.raises(ValueError, match="only samples of zero weight"):
        split_validation_set(
            np.zeros((10, 2)),
            Y_DIAB[:10].reshape(-1, 1),
            weights,
            fraction=0.5,
            random_state=np.random.RandomState(0),
        )
