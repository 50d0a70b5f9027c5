"""Warnings of skmlp."""

from sklearn.exceptions import InconsistentVersionWarning as _SklearnInconsistentVersionWarning

#: What a pickle without a recorded version is reported as: skmlp records its
#: version in pickles since 0.1.0; earlier states recorded none.
UNKNOWN_VERSION = "unknown (0.1.0 or earlier)"


class InconsistentVersionWarning(_SklearnInconsistentVersionWarning):
    """A model is unpickled by another skmlp version than the one that pickled it.

    A subclass of scikit-learn's :class:`~sklearn.exceptions.InconsistentVersionWarning`,
    so that a filter on scikit-learn's warning applies to skmlp's too.  The
    model still loads when its state layout is one this version reads.

    Parameters
    ----------
    estimator_name : str
        Estimator name.

    current_skmlp_version : str
        The skmlp version loading the model.

    original_skmlp_version : str
        The skmlp version that pickled it (``UNKNOWN_VERSION`` when the pickle
        records none).

    See Also
    --------
    sklearn.exceptions.InconsistentVersionWarning : scikit-learn's warning.

    Examples
    --------
    >>> from skmlp.exceptions import InconsistentVersionWarning
    >>> print(InconsistentVersionWarning(
    ...     estimator_name="MLPClassifier",
    ...     current_skmlp_version="0.2.0",
    ...     original_skmlp_version="0.1.0",
    ... ))  # doctest: +ELLIPSIS
    Trying to unpickle estimator MLPClassifier from skmlp version 0.1.0 when using ...
    """

    def __init__(self, *, estimator_name, current_skmlp_version, original_skmlp_version):
        self.estimator_name = estimator_name
        self.current_skmlp_version = current_skmlp_version
        self.original_skmlp_version = original_skmlp_version

    def __str__(self):
        return (
            f"Trying to unpickle estimator {self.estimator_name} from skmlp version "
            f"{self.original_skmlp_version} when using version {self.current_skmlp_version}. "
            "The model loaded, as its state layout is one this version reads, but "
            "predictions may differ; refit it, or load it with the version that saved it."
        )
