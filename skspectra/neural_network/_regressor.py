"""SpectrumPropertyRegressor: an ensemble of noise-augmented neural networks.

A feed-forward network predicts material properties (bond lengths, angles,
valence, transition energies...) directly from a spectrum.  Networks trained
on clean computed spectra fail on noisy measured ones unless noise is part of
the training; this estimator draws the perturbations of a measurement (energy
shift, instrumental broadening, background, Poisson or Gaussian noise) for
every mini-batch, and trains several networks from different seeds whose
disagreement, calibrated on held-out spectra, estimates the uncertainty of a
prediction.
"""

import time
import warnings
from numbers import Integral, Real

import numpy as np
from joblib import Parallel, delayed
from scipy.optimize import minimize
from scipy.signal import savgol_filter
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from skspectra.neural_network._mlp import (
    ACTIVATIONS,
    Adam,
    _activate,
    forward,
    gradients,
    init_network,
)
from skspectra.preprocessing import augment_spectra
from skspectra.utils._parallel import single_threaded
from skspectra.utils.validation import check_energy, check_level

NORMALIZATIONS = ("snv", "area", "max", "minmax", "l2")

# rows per block when preprocessing or predicting many spectra
_CHUNK = 8192
# training spectra used for the principal components (n_components)
_PCA_ROWS = 20000
# fewest held-out spectra from which the two numbers of the calibration
# (a noise level and a factor on the spread) are fitted
_MIN_CALIBRATION = 2
# the principal subspace of the training spectra keeps all but this fraction
# of their variance; what a spectrum has outside it is its residual
_RESIDUAL_VARIANCE = 1e-4
# variance added to the modelled one, relative to the mean squared residual,
# so that the likelihood stays finite where a residual and a spread are 0
_VARIANCE_FLOOR = 1e-12
# input variance relative to the mean square below which the training
# spectra are taken as identical (float64 sums of float32 values cancel to
# about 1e-14 of it)
_INPUT_VARIANCE_FLOOR = 1e-12
# calibration_fraction="auto": hold out this share when it gives at least
# this many spectra.  From 100 residuals a variance is known to about
# sqrt(2/100) = 14 %, a std to 7 %, which keeps nominal 95 % intervals
# between about 93 and 96 %; fewer spectra calibrate too loosely to be a
# default, and a tenth costs the networks little accuracy
_AUTO_CALIBRATION_FRACTION = 0.1
_AUTO_MIN_CALIBRATION = 100
# quantile of the residuals of the held-out spectra above which the standard
# deviation is inflated: 1 % of spectra like the training ones are
_RESIDUAL_QUANTILE = 0.99

# with learning_rate_schedule="plateau", the step size is cut this many
# times, by this factor, before a plateau stops training: two cuts take Adam
# from a coarse search to fine convergence
_LEARNING_RATE_DROPS = 2
_LEARNING_RATE_FACTOR = 0.1


def _normalize(X, method):
    """Per-spectrum normalisation, in place on a float array; returns X."""
    if method is None:
        return X
    if method == "snv":
        X -= X.mean(axis=1, keepdims=True)
        scale = X.std(axis=1, keepdims=True)
    elif method == "minmax":
        X -= X.min(axis=1, keepdims=True)
        scale = X.max(axis=1, keepdims=True)
    elif method == "max":
        scale = np.abs(X).max(axis=1, keepdims=True)
    elif method == "area":
        scale = np.abs(X).sum(axis=1, keepdims=True)
    else:  # "l2"
        scale = np.sqrt(np.einsum("ij,ij->i", X, X))[:, None]
    scale[scale == 0] = 1
    X /= scale
    return X


def _fit_variance_model(resid2, spread2):
    """``(a2, b2) >= 0`` maximising the Gaussian likelihood of residuals.

    The residual ``r_i`` of a prediction of spread ``s_i`` is modelled as
    drawn from :math:`N(0, a^2 + b^2 s_i^2)`; the negative log-likelihood is
    minimised over :math:`\\log a^2` and :math:`\\log b^2`.
    """
    total = float(resid2.mean())
    if total == 0.0:
        return 0.0, 0.0
    if not np.any(spread2 > 0):
        return total, 0.0
    tiny = total * _VARIANCE_FLOOR

    def nll(theta):
        a2, b2 = np.exp(theta)
        var = a2 + b2 * spread2 + tiny
        ratio = resid2 / var
        value = np.mean(np.log(var) + ratio)
        # derivatives with respect to log a2 and log b2
        common = (1.0 - ratio) / var
        return value, np.array([a2 * common.mean(), b2 * (common * spread2).mean()])

    start = np.log([total / 2, max(total / 2, tiny) / max(spread2.mean(), tiny)])
    result = minimize(nll, start, jac=True, method="L-BFGS-B")
    # b2 = 0 lies on the boundary, out of reach of the logarithm: keep the
    # constant variance (the mean squared residual) when it fits as well
    constant = nll(np.log([total, tiny]))[0]
    if not np.isfinite(result.fun) or constant <= result.fun:
        return total, 0.0
    a2, b2 = np.exp(result.x)
    return float(a2), float(b2)


def _train_member(estimator, X, Y, seed, augmenting):
    """Train one network of the ensemble (a joblib task)."""
    rng = np.random.default_rng(int(seed))
    # mini-batch products are small: starting BLAS threads for each costs
    # more than the threads save
    with single_threaded("blas"):
        return estimator._fit_one(X, Y, rng, augmenting)


class _PlateauSchedule:
    """Stopping and step-size rule on a monitored loss.

    A loss lower than the best by more than ``tol`` resets the count of
    stalled epochs (and, with ``keep_best``, stores the weights).  After
    ``patience`` stalled epochs the optimiser's step is multiplied by
    ``_LEARNING_RATE_FACTOR`` and the best weights are restored, ``drops``
    times at most; the next plateau stops training.
    """

    def __init__(self, params, optimizer, tol, patience, drops, keep_best):
        self.params = params
        self.optimizer = optimizer
        self.tol = tol
        self.patience = patience
        self.drops_left = drops
        self.keep_best = keep_best
        self.best = np.inf
        self.best_params = None
        self.stall = 0

    def update(self, monitored):
        """Record an epoch's loss; True when training should stop."""
        if monitored < self.best - self.tol:
            self.best = monitored
            self.stall = 0
            if self.keep_best:
                self.best_params = [p.copy() for p in self.params]
            return False
        self.stall += 1
        if self.stall < self.patience:
            return False
        if self.drops_left == 0:
            return True
        # plateau: go back to the best weights, take smaller steps
        self.drops_left -= 1
        self.stall = 0
        self.optimizer.learning_rate *= _LEARNING_RATE_FACTOR
        self.restore_best()
        return False

    def restore_best(self):
        """Copy the best stored weights (if any) back into the parameters."""
        if self.best_params is not None:
            for p, q in zip(self.params, self.best_params, strict=True):
                p[...] = q


def _input_scale(var, mean_square):
    """The root mean channel variance, relative to the size of the inputs.

    A variance below :data:`_INPUT_VARIANCE_FLOOR` of the mean square is rounding
    left by the subtraction of the mean: the spectra are then the same, and
    their magnitude is the scale (1 for all-zero spectra), whatever the unit.
    """
    if var > _INPUT_VARIANCE_FLOOR * mean_square:
        return float(np.sqrt(var))
    return float(np.sqrt(mean_square)) if mean_square > 0 else 1.0


class SpectrumPropertyRegressor(RegressorMixin, BaseEstimator):
    r"""Ensemble of neural networks predicting properties from spectra.

    Each of ``n_estimators`` multilayer perceptrons maps a spectrum ``x``
    (after optional Savitzky–Golay smoothing, per-spectrum normalisation and
    centring) to the standardised targets; the prediction is the ensemble
    mean and the uncertainty its standard deviation,

    .. math::

        \hat y(x) = \frac1M \sum_{m=1}^M f_m(x), \qquad
        \hat\sigma(x)^2 = \frac1M \sum_{m=1}^M (f_m(x) - \hat y(x))^2 .

    Networks differ by their initial weights, mini-batch order, validation
    split and (optionally) a bootstrap sample, so they agree where the
    training spectra constrain them and disagree on spectra unlike any seen
    in training (deep ensembles, Lakshminarayanan et al., 2017).

    Training minimises the mean squared error of standardised targets plus an
    L2 penalty with Adam on mini-batches.  Each mini-batch is perturbed as a
    measurement would be (:func:`skspectra.preprocessing.augment_spectra`):
    a random energy shift ``U(-max_shift, max_shift)`` (linear
    interpolation), a Gaussian broadening of standard deviation
    ``U(0, max_broadening)``, a smooth random background (a line or a power
    law, up to ``max_background`` of the spectrum's largest value), then
    Gaussian noise of standard deviation
    ``rms(x) / snr`` or Poisson resampling at ``c`` counts per unit of
    intensity (``Poisson(c x) / c``), the noise models of
    :func:`skspectra.datasets.make_xanes_series`.  With
    ``augment="epoch"`` new perturbations are drawn for every epoch, so the
    network never sees the same noisy spectrum twice (Kiyohara et al., 2019);
    an integer draws that many noisy copies once, before training.

    The spread of the ensemble measures only what the networks do not know
    (epistemic uncertainty), and on spectra like the training ones it is
    smaller than the error.  With ``calibration_fraction`` (by default for
    1000 training spectra or more), a share of the training spectra is held
    out of every network, perturbed once with the
    training augmentation, and the variance of a prediction is modelled as

    .. math::

        \sigma(x)^2 = a^2 + b^2\,\hat\sigma(x)^2 ,

    :math:`a` the error that remains where the networks agree (the noise and
    nuisances of the spectra) and :math:`b` a factor on their spread, both
    per target by maximum Gaussian likelihood on the held-out spectra.  The
    intervals ``mean ± 1.96 std`` then cover about 95 % of spectra perturbed
    like the training ones.  Networks can agree on a spectrum unlike any in
    training, so the calibrated std is also multiplied by
    :math:`\max(1, \sqrt{Q(x) / Q_{99}})`, :math:`Q(x)` the squared
    residual of the prepared spectrum outside the principal subspace of the
    training spectra (the Q statistic of chemometrics, Jackson & Mudholkar,
    1979) and :math:`Q_{99}` its 99th percentile on the held-out spectra: 1 %
    of spectra like the training ones are widened a little, a spectrum of
    another kind a lot.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default=(128, 64)
        Units of each hidden layer.
    activation : {"relu", "elu", "tanh"}, default="relu"
        Hidden-layer activation.
    n_estimators : int, default=5
        Number of networks in the ensemble.  With 1 and no calibration, the
        predicted standard deviation is zero.
    max_iter : int, default=200
        Maximum number of epochs (passes over the training spectra) per
        network.
    batch_size : int, default=256
        Spectra per mini-batch (capped at the number of training spectra).
    learning_rate : float, default=1e-3
        Adam step size.
    learning_rate_schedule : {"plateau", "constant"}, default="plateau"
        "plateau": when the monitored loss has not improved for
        ``n_iter_no_change`` epochs, return to the best weights and divide the
        step size by 10, at most twice, before stopping.  "constant": stop at
        the first plateau.
    alpha : float, default=1e-4
        L2 penalty on the weights.
    early_stopping : bool, default=True
        Hold out ``validation_fraction`` of the spectra (a different split per
        network), stop when the validation loss has not improved by ``tol``
        for ``n_iter_no_change`` epochs and keep the best weights.  The
        held-out spectra are perturbed once with the training augmentation, so
        the stopping point is chosen for noisy spectra.  Early stopping is
        skipped when the split would leave fewer than 2 spectra on either
        side; the training loss then decides when to stop.
    validation_fraction : float, default=0.1
        Fraction of spectra held out for early stopping.
    n_iter_no_change : int, default=10
        Epochs without improvement before stopping.
    tol : float, default=1e-4
        Minimum improvement of the monitored loss.
    noise_snr : float, (float, float) or None, default=(3.0, 100.0)
        Gaussian noise augmentation at this signal-to-noise ratio; a pair
        draws each spectrum's ratio log-uniformly between the two values.
        None: no Gaussian noise.
    noise_counts : float, (float, float) or None, default=None
        Poisson noise augmentation at this number of counts per unit of
        intensity (per channel at unit edge jump for edge-step normalised
        spectra); a pair draws log-uniformly.  Needs non-negative spectra.
        When both noise models are set, each spectrum gets one of them at
        random.
    max_shift : float, default=0.0
        Largest random energy shift, in the units of ``energy``.
    max_broadening : float, default=0.0
        Largest standard deviation of the random Gaussian broadening (the
        instrumental resolution), in the units of ``energy``; it must not
        exceed the energy range of the spectra.  0: no broadening.
    background : {"linear", "power_law"} or None, default=None
        Shape of a random smooth background added to the training spectra;
        ``"power_law"`` needs ``energy`` (positive energies).  None: no
        background.
    max_background : float, default=0.1
        Largest value of the background at an end of a spectrum, as a
        fraction of the spectrum's largest absolute value.
    augment : "epoch" or int, default="epoch"
        "epoch": fresh perturbations for every epoch.  An int ``k``: ``k``
        perturbed copies of every spectrum are drawn once; training uses the
        clean spectra and the copies.
    bootstrap : bool, default=False
        Train each network on a bootstrap sample of the training spectra.
    smoothing_window : int or None, default=None
        Odd window (in channels) of a Savitzky–Golay filter applied to every
        spectrum before normalisation, at fit and predict.  None: no smoothing.
    smoothing_polyorder : int, default=2
        Polynomial order of the Savitzky–Golay filter.
    normalization : {"snv", "area", "max", "minmax", "l2"} or None, default=None
        Per-spectrum normalisation after smoothing: "snv" subtracts the mean
        and divides by the standard deviation (standard normal variate),
        "area" divides by the sum of absolute values, "max" by the largest
        absolute value, "minmax" maps to [0, 1], "l2" divides by the norm.
    n_components : int or None, default=None
        Project the smoothed and normalised spectra onto this many leading
        principal components of the clean training spectra before the
        networks (at fit, after augmentation, and at predict).  A linear
        denoiser: white noise spread over ``n_channels`` keeps only
        ``n_components / n_channels`` of its power, while smooth spectra lie
        almost wholly in a few components.  None: the networks see every
        channel.  Must not exceed the number of channels or training
        spectra.
    calibration_fraction : float, "auto" or None, default="auto"
        Fraction of the training spectra held out of every network to
        calibrate the predicted standard deviation (see above).  "auto":
        0.1 when that holds out at least 100 spectra (1000 training spectra
        or more), else no calibration.  None: the standard deviation is the
        spread of the ensemble, and every spectrum trains the networks.
    energy : array-like of shape (n_channels,) or None, default=None
        Channel energies (used by ``max_shift``, ``max_broadening`` and
        ``background``); None is the channel index.
    n_jobs : int or None, default=None
        Networks trained in parallel (joblib processes); None is 1 unless in
        a :func:`joblib.parallel_config` context, -1 every CPU this process
        may use.  Each network uses one BLAS thread.  The result does not
        depend on ``n_jobs``.
    random_state : int, RandomState instance or None, default=None
        Seeds weights, batch order, splits and augmentation.
    verbose : int, default=0
        Print the losses of every epoch when positive.

    Attributes
    ----------
    n_features_in_ : int
        Number of channels seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Channel names, when ``X`` had string column names.
    components_ : ndarray of shape (n_components, n_channels) or None
        Principal axes onto which the prepared spectra are projected (None
        without ``n_components``).
    pca_mean_ : ndarray of shape (n_channels,) or None
        Mean prepared training spectrum, subtracted before the projection.
    n_outputs_ : int
        Number of targets.
    coefs_ : list of list of ndarray
        ``coefs_[m][l]`` are the weights of layer ``l`` of network ``m``
        (float32).
    intercepts_ : list of list of ndarray
        Biases, indexed like ``coefs_``.
    loss_curves_ : list of ndarray
        Training loss (standardised targets) per epoch of every network.
    validation_curves_ : list of ndarray or None
        Validation loss per epoch of every network, or None where early
        stopping was skipped.
    n_iter_ : int
        Largest number of epochs run by a network.
    input_mean_ : ndarray of shape (`n_features_in_`,)
        Mean of the preprocessed training spectra, subtracted before the
        network.
    input_scale_ : float
        One scale for all channels (root mean channel variance): a per-channel
        scale would blow up the noise in flat channels.
    std_calibration_ : ndarray of shape (`n_outputs_`, 2) or None
        Per target, the noise level :math:`a` (in target units) and the
        factor :math:`b` on the ensemble spread; None when no spectra
        were held out for calibration.
    residual_components_ : ndarray of shape (n_kept, n_channels) or None
        Principal axes of the prepared clean training spectra that keep all
        but 1e-4 of their variance; the residual of a spectrum is measured
        outside them.  None without calibration.
    residual_mean_ : ndarray of shape (n_channels,) or None
        Mean prepared training spectrum, subtracted before the residual.
    residual_limit_ : float or None
        99th percentile of the squared residuals of the held-out spectra.
    target_mean_, target_scale_ : ndarray of shape (`n_outputs_`,)
        Standardisation of the targets; a constant target has its value as
        mean and scale 0, so it is predicted exactly.
    fit_time_ : float
        Seconds spent in fit.

    See Also
    --------
    sklearn.neural_network.MLPRegressor : A single network without
        augmentation or uncertainty.
    sklearn.cross_decomposition.PLSRegression : The usual linear baseline for
        spectra.
    skspectra.neighbors.SimilarityKNNEstimator : Properties from the nearest
        reference spectra.
    skspectra.datasets.make_xanes_series : Spectra with known valence and
        crystal field, with the same noise models.

    Notes
    -----
    Networks are trained in float32 whatever the input dtype, on mini-batches,
    so memory is the training spectra plus one batch; 150,000 spectra of 200
    channels take 120 MB.  Training runs the mini-batch matrix products on one
    BLAS thread: at these sizes threads cost more than they save.  Prediction
    runs in blocks of 8192 spectra and multiplies the block with the stacked
    first-layer weights of all networks in one matrix product.  The
    Savitzky–Golay filter (with polynomial fits at the edges) is linear, so
    for up to 512 channels it is applied as one matrix product.

    Noise levels are drawn per spectrum inside every mini-batch, with the
    definitions of :func:`skspectra.datasets.make_xanes_series` (amplitude
    SNR against the rms of the spectrum; Poisson counts per unit intensity),
    so a network trained with ``noise_snr=(3, 100)`` has seen the noise of a
    test set generated with ``noise=5`` or ``noise=20``.  Augmentation is
    applied to the spectra before smoothing and normalisation, as noise is in
    a measurement.

    Noise augmentation does not create information: a feature that the noise
    hides (a weak pre-edge splitting at low signal-to-noise) is learned to be
    ignored, so a network trained with augmentation can be less accurate on
    clean spectra than one trained without.  Train without augmentation when
    the spectra to predict are as clean as the training ones.

    References
    ----------
    .. [1] S. Kiyohara, M. Tsubaki, K. Liao, T. Mizoguchi, "Quantitative
       estimation of properties from core-loss spectrum via neural network",
       J. Phys.: Mater. 2, 024003 (2019).
    .. [2] B. Lakshminarayanan, A. Pritzel, C. Blundell, "Simple and scalable
       predictive uncertainty estimation using deep ensembles", Advances in
       Neural Information Processing Systems 30 (2017).
       :doi:`10.48550/arXiv.1612.01474`
    .. [3] D. P. Kingma, J. Ba, "Adam: a method for stochastic optimization",
       ICLR (2015). :doi:`10.48550/arXiv.1412.6980`
    .. [4] J. E. Jackson, G. S. Mudholkar, "Control procedures for residuals
       associated with principal component analysis", Technometrics 21,
       341-349 (1979). :doi:`10.1080/00401706.1979.10489779`

    Examples
    --------
    >>> import numpy as np
    >>> from skspectra.neural_network import SpectrumPropertyRegressor
    >>> rng = np.random.default_rng(0)
    >>> energy = np.linspace(0, 10, 60)
    >>> centre = rng.uniform(3, 7, 400)
    >>> X = np.exp(-0.5 * (energy - centre[:, None]) ** 2)
    >>> reg = SpectrumPropertyRegressor(
    ...     hidden_layer_sizes=(32,), n_estimators=3, batch_size=32, random_state=0
    ... ).fit(X, centre)
    >>> mean, std = reg.predict(X[:2], return_std=True)
    >>> bool(np.all(np.abs(mean - centre[:2]) < 0.2))
    True
    >>> mean.shape, std.shape
    ((2,), (2,))
    """

    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like"],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "learning_rate_schedule": [StrOptions({"plateau", "constant"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "noise_snr": [None, Interval(Real, 0, None, closed="neither"), "array-like"],
        "noise_counts": [
            None,
            Interval(Real, 0, None, closed="neither"),
            "array-like",
        ],
        "max_shift": [Interval(Real, 0, None, closed="left")],
        "max_broadening": [Interval(Real, 0, None, closed="left")],
        "background": [None, StrOptions({"linear", "power_law"})],
        "max_background": [Interval(Real, 0, None, closed="left")],
        "augment": [StrOptions({"epoch"}), Interval(Integral, 1, None, closed="left")],
        "bootstrap": ["boolean"],
        "smoothing_window": [None, Interval(Integral, 3, None, closed="left")],
        "smoothing_polyorder": [Interval(Integral, 0, None, closed="left")],
        "normalization": [None, StrOptions(set(NORMALIZATIONS))],
        "n_components": [None, Interval(Integral, 1, None, closed="left")],
        "calibration_fraction": [
            None,
            StrOptions({"auto"}),
            Interval(Real, 0, 1, closed="neither"),
        ],
        "energy": [None, "array-like"],
        "n_jobs": [None, Integral],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        hidden_layer_sizes=(128, 64),
        activation="relu",
        n_estimators=5,
        max_iter=200,
        batch_size=256,
        learning_rate=1e-3,
        learning_rate_schedule="plateau",
        alpha=1e-4,
        early_stopping=True,
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-4,
        noise_snr=(3.0, 100.0),
        noise_counts=None,
        max_shift=0.0,
        max_broadening=0.0,
        background=None,
        max_background=0.1,
        augment="epoch",
        bootstrap=False,
        smoothing_window=None,
        smoothing_polyorder=2,
        normalization=None,
        n_components=None,
        calibration_fraction="auto",
        energy=None,
        n_jobs=None,
        random_state=None,
        verbose=0,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.n_estimators = n_estimators
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_schedule = learning_rate_schedule
        self.alpha = alpha
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.noise_snr = noise_snr
        self.noise_counts = noise_counts
        self.max_shift = max_shift
        self.max_broadening = max_broadening
        self.background = background
        self.max_background = max_background
        self.augment = augment
        self.bootstrap = bootstrap
        self.smoothing_window = smoothing_window
        self.smoothing_polyorder = smoothing_polyorder
        self.normalization = normalization
        self.n_components = n_components
        self.calibration_fraction = calibration_fraction
        self.energy = energy
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    # -- preprocessing ----------------------------------------------------

    def _prepare(self, X, project=True):
        """Smooth and normalise raw spectra; returns a new float32 array.

        With ``project`` and ``n_components``, the result is projected onto
        the principal axes.
        """
        if self.smoothing_window is None:
            X = np.array(X, dtype=np.float32, copy=True)
        elif self._smoother is not None:
            X = np.asarray(X, dtype=np.float32) @ self._smoother
        else:
            X = savgol_filter(
                np.asarray(X, dtype=np.float32),
                self.smoothing_window,
                self.smoothing_polyorder,
                axis=1,
            ).astype(np.float32, copy=False)
        X = _normalize(X, self.normalization)
        if project and getattr(self, "components_", None) is not None:
            X -= self.pca_mean_
            X = X @ self.components_.T
        return X

    def _fit_projection(self, X32):
        """Principal components of the prepared clean training spectra."""
        self.components_ = self.pca_mean_ = None
        if self.n_components is None:
            return
        n_samples, n_channels = X32.shape
        if self.n_components > min(n_samples, n_channels):
            raise ValueError(
                f"n_components={self.n_components} exceeds the number of "
                f"channels ({n_channels}) or of training spectra ({n_samples})."
            )
        mean, _, Vt = self._principal_axes(X32)
        self.pca_mean_ = mean.astype(np.float32)
        self.components_ = np.ascontiguousarray(Vt[: self.n_components], np.float32)

    def _principal_axes(self, X32):
        """Mean, singular values and axes of the prepared (unprojected) spectra."""
        n_samples = X32.shape[0]
        rows = np.arange(n_samples)
        if n_samples > _PCA_ROWS:
            rows = np.sort(check_random_state(0).choice(n_samples, _PCA_ROWS, False))
        P = np.concatenate(
            [
                self._prepare(X32[rows[s : s + _CHUNK]], project=False)
                for s in range(0, rows.size, _CHUNK)
            ]
        ).astype(np.float64)
        mean = P.mean(axis=0)
        _, sv, Vt = np.linalg.svd(P - mean, full_matrices=False)
        return mean, sv, Vt

    def _standardize(self, X):
        """Prepare raw spectra and centre/scale them for the networks."""
        X = self._prepare(X)
        X -= self.input_mean_
        X *= np.float32(1.0 / self.input_scale_)
        return X

    def _augment(self, X, rng):
        return augment_spectra(
            X,
            max_shift=float(self.max_shift),
            max_broadening=float(self.max_broadening),
            background=self.background,
            max_background=float(self.max_background),
            energy=self._energy,
            noise_snr=self._snr,
            noise_counts=self._counts,
            random_state=rng,
        )

    def _check_params(self, X):
        sizes = np.atleast_1d(np.asarray(self.hidden_layer_sizes))
        if (
            sizes.ndim != 1
            or sizes.size == 0
            or not np.issubdtype(sizes.dtype, np.integer)
            or np.any(sizes < 1)
        ):
            raise ValueError(
                "hidden_layer_sizes must be a non-empty sequence of positive "
                f"integers; got {self.hidden_layer_sizes!r}."
            )
        self._hidden = [int(s) for s in sizes]
        self._snr = check_level(self.noise_snr, "noise_snr")
        self._counts = check_level(self.noise_counts, "noise_counts")
        self._energy = check_energy(self.energy, X.shape[1])
        # a trial on one flat spectrum raises on a broadening wider than the
        # spectra or a power-law background without a positive energy axis
        self._augment(np.zeros((1, X.shape[1])), np.random.default_rng(0))
        if self.smoothing_window is not None:
            if self.smoothing_window % 2 == 0:
                raise ValueError(
                    f"smoothing_window must be odd; got {self.smoothing_window}."
                )
            if self.smoothing_window > X.shape[1]:
                raise ValueError(
                    f"smoothing_window={self.smoothing_window} is longer than "
                    f"the spectra ({X.shape[1]} channels)."
                )
            if self.smoothing_polyorder >= self.smoothing_window:
                raise ValueError(
                    "smoothing_polyorder must be less than smoothing_window; got "
                    f"{self.smoothing_polyorder} >= {self.smoothing_window}."
                )
        self._smoother = None
        if self.smoothing_window is not None and X.shape[1] <= 512:
            # the filter is linear: row i of the matrix is the filtered e_i
            eye = np.eye(X.shape[1])
            self._smoother = savgol_filter(
                eye, self.smoothing_window, self.smoothing_polyorder, axis=1
            ).astype(np.float32)
        if self._counts is not None and X.size and X.min() < 0:
            raise ValueError(
                "noise_counts (Poisson augmentation) needs non-negative spectra; "
                f"the smallest value in X is {X.min():g}. Subtract the "
                "background offset first or use noise_snr."
            )

    # -- fitting ----------------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Train the ensemble on spectra ``X`` and targets ``y``.

        Parameters
        ----------
        X : array-like of shape (n_spectra, n_channels)
            Training spectra (clean or measured) on one energy grid.
        y : array-like of shape (n_spectra,) or (n_spectra, n_targets)
            Properties to predict; NaN is not allowed.

        Returns
        -------
        self : SpectrumPropertyRegressor
            The fitted estimator.
        """
        start = time.perf_counter()
        X, y = validate_data(
            self,
            X,
            y,
            dtype=[np.float64, np.float32],
            multi_output=True,
            y_numeric=True,
        )
        n_samples = X.shape[0]
        if n_samples < 2:
            raise ValueError(
                f"SpectrumPropertyRegressor needs at least 2 training spectra; "
                f"got {n_samples} sample."
            )
        self._check_params(X)
        self._y_1d = y.ndim == 1
        Y = np.asarray(y, dtype=np.float64).reshape(n_samples, -1)
        self.n_outputs_ = Y.shape[1]
        self._set_target_scaling(Y)
        scale = np.where(self.target_scale_ == 0, 1.0, self.target_scale_)
        Ys = ((Y - self.target_mean_) / scale).astype(np.float32)

        X32 = np.asarray(X, dtype=np.float32)
        self._fit_projection(X32)
        n_in = self._prepare(X32[:1]).shape[1]
        # input centring and one global scale, from the clean training spectra
        mean = np.zeros(n_in, dtype=np.float64)
        sq = 0.0
        for s in range(0, n_samples, _CHUNK):
            P = self._prepare(X32[s : s + _CHUNK]).astype(np.float64)
            mean += P.sum(axis=0)
            sq += float(np.einsum("ij,ij->", P, P))
        mean /= n_samples
        var = sq / n_samples / n_in - float(mean @ mean) / n_in
        self.input_mean_ = mean.astype(np.float32)
        self.input_scale_ = _input_scale(var, sq / n_samples / n_in)

        augmenting = (
            self._snr is not None
            or self._counts is not None
            or self.max_shift > 0
            or self.max_broadening > 0
            or (self.background is not None and self.max_background > 0)
        )
        rs = check_random_state(self.random_state)
        seeds = rs.randint(0, np.iinfo(np.int32).max, size=self.n_estimators)
        cal_idx = None
        fraction = self._calibration_share(n_samples)
        if fraction is not None:
            X32, Ys, cal_idx, X_all, Y_all = self._calibration_split(
                X32, Ys, fraction, rs
            )
        self.coefs_, self.intercepts_ = [], []
        self.loss_curves_, self.validation_curves_ = [], []
        self._converged = []
        # limited here too for thread workers, which do not limit BLAS
        # themselves (skspectra.utils._parallel); process workers do
        with single_threaded("blas"):
            trained = Parallel(n_jobs=self.n_jobs)(
                delayed(_train_member)(self, X32, Ys, seed, augmenting)
                for seed in seeds
            )
        for coefs, intercepts, losses, val_losses, converged in trained:
            self.coefs_.append(coefs)
            self.intercepts_.append(intercepts)
            self.loss_curves_.append(losses)
            self.validation_curves_.append(val_losses)
            self._converged.append(converged)
        self.n_iter_ = max(len(c) for c in self.loss_curves_)
        self.std_calibration_ = None
        self.residual_components_ = self.residual_mean_ = None
        self.residual_limit_ = None
        if cal_idx is not None:
            self._fit_residual_subspace(X32)
            self._calibrate(X_all[cal_idx], Y_all[cal_idx], rs, augmenting)
        if not all(self._converged):
            warnings.warn(
                f"{self._converged.count(False)} of {self.n_estimators} networks "
                f"reached max_iter={self.max_iter} epochs without converging; "
                "increase max_iter.",
                ConvergenceWarning,
                stacklevel=2,
            )
        self.fit_time_ = time.perf_counter() - start
        return self

    def _calibration_share(self, n_samples):
        """The fraction held out for calibration, or None for none."""
        if self.calibration_fraction != "auto":
            return self.calibration_fraction
        if _AUTO_CALIBRATION_FRACTION * n_samples >= _AUTO_MIN_CALIBRATION:
            return _AUTO_CALIBRATION_FRACTION
        return None

    def _calibration_split(self, X32, Ys, fraction, rs):
        """Hold out ``fraction`` of the spectra from every network."""
        n_samples = X32.shape[0]
        n_cal = int(np.ceil(fraction * n_samples))
        if n_cal < _MIN_CALIBRATION or n_samples - n_cal < 2:
            raise ValueError(
                f"calibration_fraction={fraction} of "
                f"{n_samples} spectra leaves {n_cal} for calibration and "
                f"{n_samples - n_cal} for training; at least "
                f"{_MIN_CALIBRATION} and 2 are needed."
            )
        perm = rs.permutation(n_samples)
        cal_idx, train_idx = np.sort(perm[:n_cal]), np.sort(perm[n_cal:])
        return X32[train_idx], Ys[train_idx], cal_idx, X32, Ys

    def _fit_residual_subspace(self, X_train):
        """Principal subspace of the prepared clean training spectra."""
        mean, sv, Vt = self._principal_axes(X_train)
        total = float(np.sum(sv**2))
        kept = np.cumsum(sv**2) / max(total, np.finfo(float).tiny)
        k = min(int(np.searchsorted(kept, 1.0 - _RESIDUAL_VARIANCE)) + 1, Vt.shape[0])
        self.residual_mean_ = mean.astype(np.float32)
        self.residual_components_ = np.ascontiguousarray(Vt[:k], np.float32)
        # float32 rounding of a spectrum inside the subspace leaves a residual
        # of about this size; the limit is never below it
        self._residual_floor = np.finfo(np.float32).eps * total / X_train.shape[0]

    def _residual(self, X):
        """Squared distance of prepared spectra from the training subspace."""
        out = np.empty(X.shape[0])
        V = self.residual_components_
        for s in range(0, X.shape[0], _CHUNK):
            P = self._prepare(X[s : s + _CHUNK], project=False) - self.residual_mean_
            P -= (P @ V.T) @ V
            out[s : s + P.shape[0]] = np.einsum("ij,ij->i", P, P)
        return out

    def _calibrate(self, X_cal, Y_cal, rs, augmenting):
        """Fit the noise level and the spread factor on held-out spectra.

        The held-out spectra are perturbed once with the training
        augmentation; per target, :math:`a^2` and :math:`b^2` maximise the
        Gaussian likelihood of the residuals of the ensemble mean under the
        variance :math:`a^2 + b^2 \\hat\\sigma^2` (in standardised units).
        """
        if augmenting:
            rng = np.random.default_rng(int(rs.randint(0, np.iinfo(np.int32).max)))
            X_cal = self._augment(X_cal, rng)
        self.residual_limit_ = max(
            float(np.quantile(self._residual(X_cal), _RESIDUAL_QUANTILE)),
            self._residual_floor,
        )
        mean, spread = self._mean_and_spread(X_cal)
        resid2 = (mean - Y_cal) ** 2
        spread2 = spread**2
        calibration = np.zeros((self.n_outputs_, 2))
        for q in range(self.n_outputs_):
            a2, b2 = _fit_variance_model(resid2[:, q], spread2[:, q])
            calibration[q] = np.sqrt(a2) * self.target_scale_[q], np.sqrt(b2)
        self.std_calibration_ = calibration

    def _set_target_scaling(self, Y):
        """Mean and scale of every target; a constant target gets scale 0.

        The networks learn ``(y - mean) / scale``.  For a constant target the
        mean is that value itself (not a sum divided by n, which can round)
        and the scale 0, so its predictions are exactly the value, whatever
        the networks output, with zero spread.
        """
        constant = np.ptp(Y, axis=0) == 0
        self.target_mean_ = np.where(constant, Y[0], Y.mean(axis=0))
        scale = Y.std(axis=0)
        # a spread too small for the standard deviation in float64
        scale[(scale == 0) & ~constant] = 1.0
        scale[constant] = 0.0
        self.target_scale_ = scale

    def _fit_one(self, X, Y, rng, augmenting):
        """Train one network; returns its weights, curves and convergence.

        The stages draw from ``rng`` in a fixed order (split, bootstrap,
        validation noise, noisy copies, initial weights, epochs), so a seed
        gives one network.
        """
        train_idx, val_idx = self._member_split(X.shape[0], rng)
        validation = None
        if val_idx is not None:
            raw = X[val_idx]
            if augmenting:
                raw = self._augment(raw, rng)
            validation = self._standardize(raw), Y[val_idx]
        per_epoch = augmenting and self.augment == "epoch"
        if per_epoch:
            # raw spectra, perturbed and standardised batch by batch
            X_train, Y_train = X[train_idx], Y[train_idx]
        else:
            X_train, Y_train = self._fixed_training_set(
                X[train_idx], Y[train_idx], rng, augmenting
            )
        sizes = [self.input_mean_.size, *self._hidden, Y.shape[1]]
        coefs, intercepts = init_network(sizes, self.activation, rng)
        losses, val_losses, converged = self._train_network(
            coefs, intercepts, X_train, Y_train, validation, rng, per_epoch
        )
        return (
            coefs,
            intercepts,
            np.asarray(losses),
            np.asarray(val_losses) if validation is not None else None,
            converged,
        )

    def _member_split(self, n_samples, rng):
        """Training and validation rows of one network (validation may be None).

        Early stopping is skipped when either side would have fewer than 2
        spectra; with ``bootstrap`` the training rows are resampled.
        """
        idx = rng.permutation(n_samples)
        n_val = int(np.ceil(self.validation_fraction * n_samples))
        use_val = self.early_stopping and n_val >= 2 and n_samples - n_val >= 2
        if use_val:
            val_idx, train_idx = idx[:n_val], idx[n_val:]
        else:
            val_idx, train_idx = None, idx
        if self.bootstrap:
            train_idx = rng.choice(train_idx, size=train_idx.size, replace=True)
        return train_idx, val_idx

    def _fixed_training_set(self, raw, Y, rng, augmenting):
        """Standardised spectra and targets trained on for every epoch.

        With an integer ``augment`` and some augmentation, the clean spectra
        are followed by ``augment`` perturbed copies of them.
        """
        if augmenting:
            copies = [raw] + [self._augment(raw, rng) for _ in range(self.augment)]
            raw = np.concatenate(copies)
            Y = np.tile(Y, (self.augment + 1, 1))
        X_train = np.concatenate(
            [self._standardize(raw[s : s + _CHUNK]) for s in range(0, len(raw), _CHUNK)]
        )
        return X_train, Y

    def _train_network(
        self, coefs, intercepts, X_train, Y_train, validation, rng, per_epoch
    ):
        """Epochs of Adam on one network, in place; returns curves, convergence.

        The monitored loss is the validation loss when ``validation`` is
        given (and the best weights are restored at the end), else the
        training loss.
        """
        params = coefs + intercepts
        opt = Adam(params, learning_rate=self.learning_rate)
        drops = _LEARNING_RATE_DROPS if self.learning_rate_schedule == "plateau" else 0
        schedule = _PlateauSchedule(
            params, opt, self.tol, self.n_iter_no_change, drops, validation is not None
        )
        losses, val_losses = [], []
        converged = False
        for epoch in range(self.max_iter):
            losses.append(
                self._run_epoch(
                    coefs, intercepts, opt, X_train, Y_train, rng, per_epoch
                )
            )
            monitored = losses[-1]
            if validation is not None:
                X_val, Y_val = validation
                d = forward(X_val, coefs, intercepts, self.activation)[-1] - Y_val
                monitored = 0.5 * float(np.vdot(d, d)) / d.size
                val_losses.append(monitored)
            if self.verbose:
                msg = f"epoch {epoch + 1}: loss {losses[-1]:.5f}"
                if validation is not None:
                    msg += f", validation {monitored:.5f}"
                print(msg)
            if not np.isfinite(monitored):
                raise FloatingPointError(
                    "training diverged (non-finite loss); lower learning_rate."
                )
            if schedule.update(monitored):
                converged = True
                break
        schedule.restore_best()
        return losses, val_losses, converged

    def _run_epoch(self, coefs, intercepts, opt, X_train, Y_train, rng, per_epoch):
        """One pass over shuffled mini-batches; returns the mean training loss."""
        n_train = X_train.shape[0]
        batch = min(self.batch_size, n_train)
        alpha = np.float32(self.alpha)
        order = rng.permutation(n_train)
        total = 0.0
        for s in range(0, n_train, batch):
            b = order[s : s + batch]
            xb = X_train[b]
            if per_epoch:
                xb = self._standardize(self._augment(xb, rng))
            acts = forward(xb, coefs, intercepts, self.activation)
            loss, gc, gi = gradients(acts, Y_train[b], coefs, self.activation, alpha)
            opt.step(gc + gi)
            total += loss * len(b)
        return total / n_train

    # -- prediction -------------------------------------------------------

    def _ensemble_outputs(self, X):
        """Yield ``(slice, outputs)`` with outputs of shape (M, rows, q)."""
        M = len(self.coefs_)
        W1 = np.concatenate([c[0] for c in self.coefs_], axis=1)
        b1 = np.concatenate([b[0] for b in self.intercepts_])
        widths = np.cumsum([0] + [c[0].shape[1] for c in self.coefs_])
        for s in range(0, X.shape[0], _CHUNK):
            Z = self._standardize(X[s : s + _CHUNK])
            H = Z @ W1
            H += b1
            single_layer = len(self.coefs_[0]) == 1
            outs = np.empty((M, Z.shape[0], self.n_outputs_), dtype=np.float32)
            for m in range(M):
                h = H[:, widths[m] : widths[m + 1]]
                if single_layer:
                    outs[m] = h
                    continue
                h = _activate(np.ascontiguousarray(h), self.activation)
                outs[m] = forward(
                    h, self.coefs_[m][1:], self.intercepts_[m][1:], self.activation
                )[-1]
            yield slice(s, s + Z.shape[0]), outs

    def _mean_and_spread(self, X, return_std=True):
        """Ensemble mean and spread in standardised target units."""
        n = X.shape[0]
        mean = np.empty((n, self.n_outputs_))
        std = np.empty((n, self.n_outputs_)) if return_std else None
        # one BLAS thread: the products are a few thousand rows by a hidden
        # layer, too small to repay starting threads
        with single_threaded("blas"):
            for sl, outs in self._ensemble_outputs(X):
                o = outs.astype(np.float64)
                mean[sl] = o.mean(axis=0)
                if return_std:
                    std[sl] = o.std(axis=0)
        return mean, std

    def _inflation(self, X):
        """``max(1, sqrt(Q / Q_99))``: the factor on the calibrated std."""
        return np.sqrt(np.maximum(1.0, self._residual(X) / self.residual_limit_))

    def predict(self, X, return_std=False):
        """Predict properties, optionally with the ensemble's spread.

        Parameters
        ----------
        X : array-like of shape (n_spectra, n_channels)
            Spectra on the training energy grid.
        return_std : bool, default=False
            Also return the standard deviation of the prediction: the spread
            of the networks, which grows for spectra unlike the training
            spectra, and when calibrated (``calibration_fraction``) the
            :math:`\\sqrt{a^2 + b^2 \\hat\\sigma^2}` of the class docstring.

        Returns
        -------
        y_pred : ndarray of shape (n_spectra,) or (n_spectra, n_targets)
            Ensemble mean; 1-D when ``y`` was 1-D at fit.
        y_std : ndarray, same shape as ``y_pred``
            Only with ``return_std=True``.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        mean, std = self._mean_and_spread(X, return_std)
        mean = mean * self.target_scale_ + self.target_mean_
        if self._y_1d:
            mean = mean[:, 0]
        if not return_std:
            return mean
        std = std * self.target_scale_
        if self.std_calibration_ is not None:
            noise, factor = self.std_calibration_.T
            # a constant target has scale 0 and noise 0: its std stays 0
            std = np.sqrt(noise**2 + (factor * std) ** 2)
            std *= self._inflation(X)[:, None]
        if self._y_1d:
            std = std[:, 0]
        return mean, std

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        tags.regressor_tags.poor_score = False
        return tags
