"""
======================================
Optimizers and learning-rate schedules
======================================

skmlp's stochastic solvers are scikit-learn's 'sgd' (with or without momentum,
Nesterov's by default) and 'adam', plus 'adamw', 'rmsprop', 'adagrad' and
'nadam'; every learning-rate schedule ('constant', 'invscaling', 'adaptive',
'cosine', with an optional linear warm-up) works with every one of them. This
example trains the same network on the digits data set with each solver, then
with each schedule, and draws the training loss curves with
:class:`skmlp.LossCurveDisplay`.
"""

# %%
# The data and the network
# ------------------------
# Standardised digits, one hidden layer of 64 units, minibatches of 64, 30
# epochs from the same ``random_state``. ``n_iter_no_change=30`` keeps every
# run going for the 30 epochs, so that the curves have the same length.

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skmlp import LossCurveDisplay, MLPClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

n_epochs = 30
common = {
    "hidden_layer_sizes": (64,),
    "batch_size": 64,
    "max_iter": n_epochs,
    "n_iter_no_change": n_epochs,
    "random_state": 0,
}


def fit(**options):
    clf = MLPClassifier(**{**common, **options})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return clf.fit(X_train, y_train)


# %%
# Solvers
# -------
# Each solver with its usual learning rate: 0.01 for the gradient-descent
# family and for Adagrad (whose steps shrink as squared gradients accumulate),
# 0.001 (the default) for the Adam family and RMSprop. 'sgd' with
# ``momentum=0`` is plain minibatch gradient descent; 'momentum' is heavy-ball
# momentum 0.9 (``nesterovs_momentum=False``); 'nesterov' is scikit-learn's
# default 'sgd'. 'adamw' applies ``alpha`` as a decoupled weight decay instead
# of adding its gradient; with the small default ``alpha`` used here that makes
# little difference.

solvers = {
    "sgd": {"solver": "sgd", "momentum": 0.0, "learning_rate_init": 0.01},
    "momentum": {"solver": "sgd", "nesterovs_momentum": False, "learning_rate_init": 0.01},
    "nesterov": {"solver": "sgd", "learning_rate_init": 0.01},
    "adam": {"solver": "adam"},
    "adamw": {"solver": "adamw"},
    "nadam": {"solver": "nadam"},
    "rmsprop": {"solver": "rmsprop"},
    "adagrad": {"solver": "adagrad", "learning_rate_init": 0.01},
}
solver_fits = {name: fit(**options) for name, options in solvers.items()}

# %%
# The training loss of each solver, on a log scale:

fig, ax = plt.subplots(figsize=(8, 5))
for i, (name, clf) in enumerate(solver_fits.items()):
    LossCurveDisplay.from_estimator(
        clf, ax=ax, name=name, mark_best=False, color="C%d" % i, linestyle="-"
    )
ax.set(yscale="log", title="Solvers on digits")
fig.tight_layout()

# %%
# Plain gradient descent with this learning rate is by far the slowest: after
# 30 epochs its loss is still several times that of every other solver.
# Momentum gives it about ten times larger effective steps, and its two
# variants (heavy ball and Nesterov) are nearly indistinguishable. Adam, AdamW
# and NAdam follow almost the same curve. RMSprop, which divides by a
# running root mean square of the gradient without Adam's bias correction or
# momentum, takes large steps in the first epochs and is the fastest here.
# Every solver but plain gradient descent reaches a test accuracy of at least
# 0.96. How the solvers rank depends on the learning rate each one gets: this
# is one setting, not a benchmark.
#
# Schedules
# ---------
# Adam with a learning rate of 0.025, 25 times the default, to make the
# schedules matter: 'constant' keeps it; 'invscaling' divides it by
# ``(t + 1) ** power_t`` (``power_t=0.25``, ``t`` counting samples); 'adaptive'
# divides it by 5 each time the training loss fails to improve by ``tol`` for
# ``n_iter_no_change`` epochs (here 1e-3 and 2); 'cosine' anneals it to 0
# along a half cosine over the 30 epochs; and 'cosine' with
# ``warmup_fraction=0.2`` first raises it linearly over 6 epochs. Like
# scikit-learn, adam ignores 'invscaling' and 'adaptive' unless
# ``schedule_adam=True``, which is set here.

schedules = {
    "constant": {},
    "invscaling": {"learning_rate": "invscaling", "power_t": 0.25},
    "adaptive": {"learning_rate": "adaptive", "tol": 1e-3, "n_iter_no_change": 2},
    "cosine": {"learning_rate": "cosine"},
    "cosine_warmup": {"learning_rate": "cosine", "warmup_fraction": 0.2},
}
schedule_fits = {
    name: fit(solver="adam", schedule_adam=True, learning_rate_init=0.025, **options)
    for name, options in schedules.items()
}

fig, ax = plt.subplots(figsize=(8, 5))
for i, (name, clf) in enumerate(schedule_fits.items()):
    LossCurveDisplay.from_estimator(
        clf, ax=ax, name=name, mark_best=False, color="C%d" % i, linestyle="-"
    )
ax.set(yscale="log", title="Learning-rate schedules (Adam, learning_rate_init=0.025)")
fig.tight_layout()

# %%
# The training loss after the first and the last epoch, the number of epochs in
# which the training loss went up instead of down, and the test accuracy of
# every run:

print("%-14s %10s %10s %9s %8s" % ("run", "first_loss", "train_loss", "increases", "test_acc"))
for name, clf in {**solver_fits, **schedule_fits}.items():
    increases = int(np.sum(np.diff(clf.loss_curve_) > 0))
    print(
        "%-14s %10.5f %10.5f %9d %8.4f"
        % (name, clf.loss_curve_[0], clf.loss_curve_[-1], increases, clf.score(X_test, y_test))
    )

# %%
# With the constant rate the loss falls fast but jumps back up now and then:
# the steps are too large once the network is close to a minimum. Every
# schedule that lowers the rate calms this down. 'invscaling' lowers it from
# the first epoch on and ends with the highest loss of the five: it slows down
# too early. The cosine schedule keeps a large rate while it is useful and a
# small one at the end, and reaches the lowest final training loss. The
# warm-up starts slower, since its first epochs take small steps (its loss
# after the first epoch is the highest of the five), then catches up and also
# ends below the constant rate. On this easy problem the test accuracies of the
# schedules differ by about three points at most.

plt.show()
