"""Weight initialisation schemes: a name -> function table.

Each function draws one layer's ``(coef, intercept)`` from the estimator's
RandomState, in float64 (cast to the model's dtype by the caller).
"""

import numpy as np


def glorot_uniform(rng, fan_in, fan_out, activation):
    # scikit-learn's scheme, draw for draw: biases drawn like the weights, and
    # factor 2 instead of 6 for the logistic activation.
    factor = 2.0 if activation == "logistic" else 6.0
    bound = np.sqrt(factor / (fan_in + fan_out))
    coef = rng.uniform(-bound, bound, (fan_in, fan_out))
    return coef, rng.uniform(-bound, bound, fan_out)


def glorot_normal(rng, fan_in, fan_out, activation):
    std = np.sqrt(2.0 / (fan_in + fan_out))
    return rng.normal(0.0, std, (fan_in, fan_out)), np.zeros(fan_out)


def he_uniform(rng, fan_in, fan_out, activation):
    bound = np.sqrt(6.0 / fan_in)
    return rng.uniform(-bound, bound, (fan_in, fan_out)), np.zeros(fan_out)


def he_normal(rng, fan_in, fan_out, activation):
    return rng.normal(0.0, np.sqrt(2.0 / fan_in), (fan_in, fan_out)), np.zeros(fan_out)


def lecun_normal(rng, fan_in, fan_out, activation):
    return rng.normal(0.0, np.sqrt(1.0 / fan_in), (fan_in, fan_out)), np.zeros(fan_out)


WEIGHT_INITS = {
    "glorot_uniform": glorot_uniform,
    "glorot_normal": glorot_normal,
    "he_uniform": he_uniform,
    "he_normal": he_normal,
    "lecun_normal": lecun_normal,
}
