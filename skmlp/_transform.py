"""The hidden representation as a transform: ``transform(X)`` and ``get_feature_names_out()``.

A fitted network's last hidden layer is a learned, supervised feature map;
``transform`` returns its activations so that the estimator, like
:class:`~sklearn.discriminant_analysis.LinearDiscriminantAnalysis`, is both a
predictor and a transformer (in a ``Pipeline`` it can feed another
estimator). It runs the prediction kernel up to that layer: batch
normalisation with its running statistics, no dropout. Output names follow
scikit-learn's ``ClassNamePrefixFeaturesOutMixin`` (``mlpclassifier0``, ...),
and ``set_output`` comes with ``TransformerMixin``.
"""

from sklearn.base import ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted


class HiddenLayerTransformerMixin(ClassNamePrefixFeaturesOutMixin, TransformerMixin):
    """``transform``: the activations of the network's last hidden layer."""

    def _last_hidden_layer(self):
        """The index of the last hidden layer in ``_layer_units`` (ValueError without one)."""
        n_hidden = len(self._layer_units) - 2
        if n_hidden < 1:
            raise ValueError(
                "transform returns the activations of the last hidden layer, but this "
                "network has none (hidden_layer_sizes=%r)." % (self.hidden_layer_sizes,)
            )
        return n_hidden

    @property
    def _n_features_out(self):
        # What ClassNamePrefixFeaturesOutMixin names; AttributeError (not
        # fitted) when the layers are unknown. A property may raise nothing
        # else: hasattr, and with it dir(), lets only AttributeError through.
        if len(self._layer_units) < 3:
            raise AttributeError("a network without a hidden layer has no features out")
        return int(self._layer_units[-2])

    def get_feature_names_out(self, input_features=None):
        """Get output feature names for transformation.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Only used to validate feature names with the names seen in
            :meth:`fit`.

        Returns
        -------
        feature_names_out : ndarray of str objects
            ``<class name lowercased><i>`` for each unit of the last hidden
            layer, for example ``mlpclassifier0``.
        """
        check_is_fitted(self)
        self._last_hidden_layer()  # a clear ValueError for a network without one
        return super().get_feature_names_out(input_features)

    def transform(self, X):
        """Return the activations of the last hidden layer for X.

        The hidden representation the network learned: batch normalisation
        (``batch_norm=True``) uses its running statistics and dropout is off,
        as in prediction.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        X_hidden : ndarray of shape (n_samples, hidden_layer_sizes[-1])
            The last hidden layer's activations, in the dtype the model was
            trained in (float32 or float64).

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from skmlp import MLPClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = MLPClassifier(hidden_layer_sizes=(10, 3), max_iter=500,
        ...                     random_state=0).fit(X, y)
        >>> clf.transform(X[:2]).shape
        (2, 3)
        >>> clf.get_feature_names_out()
        array(['mlpclassifier0', 'mlpclassifier1', 'mlpclassifier2'], dtype=object)
        """
        check_is_fitted(self)
        return self._forward_pass_fast(X, depth=self._last_hidden_layer())

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # float32 input gives a float32 model, whose transform is float32;
        # except with L-BFGS, whose model is float64 (as scikit-learn's).
        tags.transformer_tags.preserves_dtype = (
            ["float64"] if self.solver == "lbfgs" else ["float64", "float32"]
        )
        return tags
