"""The multi-layer perceptron classifier."""

from numbers import Real

import numpy as np
from sklearn.base import ClassifierMixin, _fit_context
from sklearn.metrics import accuracy_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import column_or_1d
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import type_of_target, unique_labels
from sklearn.utils.validation import check_is_fitted, validate_data

from . import _docstrings
from ._base import BaseMultilayerPerceptron
from ._training.label_smoothing import smooth_targets
from ._training.rollback import unchanged_on_failure
from ._transform import HiddenLayerTransformerMixin


class MLPClassifier(ClassifierMixin, HiddenLayerTransformerMixin, BaseMultilayerPerceptron):
    __doc__ = f"""Multi-layer Perceptron classifier.

    A drop-in replacement for :class:`sklearn.neural_network.MLPClassifier`:
    same parameters, attributes and training semantics, compiled training.
    It optimizes the log-loss function using L-BFGS or stochastic gradient
    descent.

    Parameters
    ----------{
        _docstrings.PARAMETERS.format(
            stratified=(
                "As in scikit-learn, the split is stratified for binary targets, "
                "and for multiclass ones only with ``stratify_multiclass=True``."
            ),
            score_name="accuracy",
        )
    }

    class_weight : dict, 'balanced' or None, default=None
        Weights of the classes, multiplied into ``sample_weight``: a dict
        ``{{label: weight}}`` (missing labels weigh 1), or 'balanced' for
        ``n_samples / (n_classes * np.bincount(y))``, counting each sample with
        its ``sample_weight``. Not for multilabel targets; with 'balanced',
        :meth:`partial_fit` is not available, as it does not see the whole
        data.

    label_smoothing : float, default=0.0
        Label smoothing ``eps`` in [0, 1): the network is trained on soft
        targets. With a softmax output (multiclass) the true class gets
        ``1 - eps + eps / n_classes`` and every other class ``eps /
        n_classes``, as PyTorch's ``CrossEntropyLoss(label_smoothing=eps)``
        and Keras; with the logistic outputs (binary and multilabel) each
        0/1 target ``y`` becomes ``y * (1 - eps) + eps / 2``, Keras'
        convention. ``loss_`` and ``loss_curve_`` are the loss of the
        smoothed targets (so they no longer go to 0 on separable data). With
        early stopping, the validation scores and ``validation_loss_curve_``
        are computed on the true labels: they measure the predictions, not
        the training objective. 0 gives scikit-learn's training.

    stratify_multiclass : bool, default=False
        Whether early stopping's validation split is stratified for a
        multiclass target too, so that each class keeps its share of the
        validation set. scikit-learn stratifies binary targets only (False),
        although its documentation says every classification; multilabel
        targets are never stratified.

    Attributes
    ----------
    classes_ : ndarray or list of ndarray of shape (n_classes,)
        Class labels for each output.
{_docstrings.ATTRIBUTES.format(score="accuracy")}

    See Also
    --------
    MLPRegressor : Multi-layer Perceptron regressor.
    sklearn.neural_network.MLPClassifier : The reference implementation.

    Notes
    -----{_docstrings.NOTES}

    Examples
    --------
    >>> from skmlp import MLPClassifier
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.model_selection import train_test_split
    >>> X, y = make_classification(n_samples=100, random_state=1)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y,
    ...                                                     random_state=1)
    >>> clf = MLPClassifier(random_state=1, max_iter=300).fit(X_train, y_train)
    >>> clf.predict_proba(X_test[:1]).shape
    (1, 2)
    >>> clf.predict(X_test[:5]).shape
    (5,)
    >>> clf.score(X_test, y_test) > 0.8
    True
    """

    _parameter_constraints: dict = {
        **BaseMultilayerPerceptron._parameter_constraints,
        "class_weight": [None, StrOptions({"balanced"}), dict],
        "label_smoothing": [Interval(Real, 0, 1, closed="left")],
        "stratify_multiclass": ["boolean"],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        weight_init="glorot_uniform",
        l1_ratio=0.0,
        max_grad_norm=None,
        warmup_fraction=0.0,
        scoring=None,
        dropout=0.0,
        batch_norm=False,
        schedule_adam=False,
        class_weight=None,
        label_smoothing=0.0,
        stratify_multiclass=False,
    ):
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            solver=solver,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            power_t=power_t,
            max_iter=max_iter,
            loss="log_loss",
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            warm_start=warm_start,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            n_iter_no_change=n_iter_no_change,
            max_fun=max_fun,
            weight_init=weight_init,
            l1_ratio=l1_ratio,
            max_grad_norm=max_grad_norm,
            warmup_fraction=warmup_fraction,
            scoring=scoring,
            dropout=dropout,
            batch_norm=batch_norm,
            schedule_adam=schedule_adam,
        )
        self.class_weight = class_weight
        self.label_smoothing = label_smoothing
        self.stratify_multiclass = stratify_multiclass

    def _training_targets(self, Y):
        softmax = self.out_activation_ == "softmax"
        return smooth_targets(Y, float(self.label_smoothing), softmax)

    def _validate_input(self, X, y, incremental, reset):
        plain = incremental and not reset and not self.warm_start
        if plain and self._is_plain_input(X, finite=False):  # the epoch tests the values
            Y = self._plain_targets(y, X.shape[0])
            if Y is not None:
                return X, Y
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            dtype=(np.float64, np.float32),
            reset=reset,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)

        # classes_ is (re)defined on a fresh fit; warm_start and partial_fit
        # must see labels compatible with the previous call.
        if (not hasattr(self, "classes_")) or (not self.warm_start and not incremental):
            self._label_binarizer = LabelBinarizer()
            self._label_binarizer.fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            classes = unique_labels(y)
            if self.warm_start:
                if set(classes) != set(self.classes_):
                    raise ValueError(
                        "warm_start can only be used where `y` has the same "
                        "classes as in the previous call to fit. Previously "
                        f"got {self.classes_}, `y` has {classes}"
                    )
            elif len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
                raise ValueError(
                    "`y` has classes not in `self.classes_`. "
                    f"`self.classes_` has {self.classes_}. 'y' has {classes}."
                )
        y = self._label_binarizer.transform(y)
        return X, y

    def _plain_targets(self, y, n_samples):
        """What ``_label_binarizer.transform(y)`` gives, for plain integer labels; else None.

        The fast path of ``partial_fit`` for a chunk of single-output integer
        labels (``validate_data``, ``unique_labels`` and the binarizer's own
        checks cost more than a small chunk's epoch). None sends ``y`` through
        the full validation, which raises scikit-learn's errors, such as for
        labels not in ``classes_``.
        """
        classes = self.classes_
        y_type = self._label_binarizer.y_type_
        if not (
            type(y) is np.ndarray
            and y.ndim == 1
            and y.shape[0] == n_samples
            and y.dtype.kind in "iu"
            and classes.dtype.kind in "iu"
            and y_type in ("binary", "multiclass")
        ):
            return None
        n_classes = len(classes)
        if classes[0] == 0 and classes[-1] == n_classes - 1:
            # Sorted distinct integers from 0 to n_classes - 1: the labels are
            # their own codes when they are in range (two reductions).
            if not (y.min() >= 0 and y.max() < n_classes):
                return None
            codes = y
        else:
            codes = np.searchsorted(classes, y)
            np.minimum(codes, n_classes - 1, out=codes)
            if not np.array_equal(classes[codes], y):
                return None
        if y_type == "binary":
            return codes.reshape(-1, 1)
        Y = np.zeros((n_samples, n_classes), dtype=np.int64)
        Y[np.arange(n_samples), codes] = 1
        return Y

    def _sample_class_weight(self, y, sample_weight):
        if self.class_weight is None:
            return None
        if self._label_binarizer.y_type_ == "multilabel-indicator":
            raise ValueError("class_weight is not supported for multilabel targets.")
        # y is binarised: recover each sample's class index.
        index = y[:, 0].astype(np.intp) if y.shape[1] == 1 else y.argmax(axis=1)
        n_classes = len(self.classes_)
        if self.class_weight == "balanced":
            # Class totals of the sample weights, so that a sample of weight 2
            # counts as two copies; a class with no weight gets none.
            totals = np.bincount(index, weights=sample_weight, minlength=n_classes)
            weights = np.zeros(n_classes)
            present = totals > 0
            weights[present] = totals.sum() / (present.sum() * totals[present])
            return weights[index]
        unknown = set(self.class_weight) - set(self.classes_.tolist())
        if unknown:
            raise ValueError(
                "class_weight has labels %s that are not in classes_ %s."
                % (sorted(unknown, key=str), self.classes_)
            )
        weights = np.array([self.class_weight.get(c, 1.0) for c in self.classes_.tolist()])
        return weights[index]

    def predict(self, X):
        """Predict using the multi-layer perceptron classifier.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_classes)
            The predicted classes.
        """
        if not hasattr(self, "_params"):  # cheap test first: predict latency counts
            check_is_fitted(self)
        return self._predict(X)

    def _predict(self, X, check_input=True, dtype=None):
        y_pred = self._forward_pass_fast(X, check_input=check_input, dtype=dtype)
        if self.n_outputs_ == 1:
            y_pred = y_pred.ravel()
        # LabelBinarizer.inverse_transform's rules, without its validation
        # overhead (which dominates single-row prediction).
        y_type = self._label_binarizer.y_type_
        if y_type == "multiclass":
            return self.classes_.take(y_pred.argmax(axis=1))
        if y_type == "binary" and len(self.classes_) == 2:
            return self.classes_.take((y_pred > 0.5).astype(np.intp))
        return self._label_binarizer.inverse_transform(y_pred)

    def _score(self, X, y, sample_weight=None):
        return self._score_with_function(
            X, y, sample_weight=sample_weight, score_function=accuracy_score
        )

    @available_if(lambda est: est._check_solver())
    @_fit_context(prefer_skip_nested_validation=True)
    @unchanged_on_failure
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Update the model with a single iteration over the given data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        y : array-like of shape (n_samples,)
            The target values.

        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights. As in scikit-learn, negative weights are accepted.

        classes : array of shape (n_classes,), default=None
            Classes across all calls to partial_fit. Can be obtained via
            `np.unique(y_all)`, where y_all is the target vector of the entire
            dataset. Required on the first call to partial_fit and can be
            omitted in the subsequent calls. `y` need not contain all labels
            in `classes`.

        Returns
        -------
        self : object
            Trained MLP model.
        """
        first_call = not hasattr(self, "classes_")
        if first_call and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit.")
        if classes is not None:
            classes = unique_labels(classes)
            if not first_call and not np.array_equal(self.classes_, classes):
                raise ValueError(
                    "`classes=%r` is not the same as on last call "
                    "to partial_fit, was: %r" % (classes, self.classes_)
                )
        if first_call:
            self._label_binarizer = LabelBinarizer()
            if type_of_target(y).startswith("multilabel"):
                self._label_binarizer.fit(y)
            else:
                self._label_binarizer.fit(classes)
            self.classes_ = self._label_binarizer.classes_
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)

    def predict_log_proba(self, X):
        """Return the log of probability estimates.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        log_y_prob : ndarray of shape (n_samples, n_classes)
            The predicted log-probability of the sample for each class in the
            model, where classes are ordered as they are in `self.classes_`.
            Equivalent to `log(predict_proba(X))`.
        """
        y_prob = self.predict_proba(X)
        return np.log(y_prob, out=y_prob)

    def predict_proba(self, X):
        """Probability estimates.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y_prob : ndarray of shape (n_samples, n_classes)
            The predicted probability of the sample for each class in the
            model, where classes are ordered as they are in `self.classes_`.
        """
        if not hasattr(self, "_params"):  # cheap test first: predict latency counts
            check_is_fitted(self)
        return self._predict_proba(X)

    def _predict_proba(self, X, dtype=None):
        """``predict_proba``, computed in ``dtype`` (see ``_forward_pass_fast``)."""
        y_pred = self._forward_pass_fast(X, dtype=dtype)
        # A saturated logistic or softmax output rounds to exactly 0 or 1;
        # keep probabilities strictly inside (0, 1) so their logs are finite.
        info = np.finfo(y_pred.dtype)
        np.clip(y_pred, info.tiny, 1 - info.epsneg, out=y_pred)
        if self.n_outputs_ == 1:
            y_pred = y_pred.ravel()
        if y_pred.ndim == 1:
            return np.vstack([1 - y_pred, y_pred]).T
        return y_pred

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = self.class_weight is None
        return tags
