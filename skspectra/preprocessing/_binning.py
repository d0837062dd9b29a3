"""Spatial binning of an unfolded spectrum image, and its way back."""

import numbers

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils._param_validation import Interval
from sklearn.utils._set_output import _get_output_config
from sklearn.utils.validation import check_is_fitted, validate_data

__all__ = ["SpatialBinning"]


class SpatialBinning(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Sum the spectra of square blocks of pixels, and map results back.

    ``X`` holds one spectrum per pixel of an ``(ny, nx)`` image in raster
    order (as :func:`~skspectra.utils.unfold` lays them out); ``transform``
    returns one spectrum per block of ``factor x factor`` pixels, the sum of
    its pixels' spectra, in raster order of the binned image.  A sum of
    Poisson counts is Poisson with the summed rate, so a Poisson model such
    as :class:`~skspectra.decomposition.PoissonNMF` stays exact on the
    binned counts (an average would not be counts).  Blocks at the right and
    bottom borders hold fewer pixels when ``factor`` does not divide the
    image; their sums are kept, so no count is lost.

    In a :class:`~sklearn.pipeline.Pipeline` before a decomposition, the
    decomposition learns from the binned image, and
    :meth:`inverse_transform` brings its results back to the full grid: the
    abundances of each block (or rebuilt spectra) are spread evenly over the
    block's pixels, so that counts per pixel keep their scale.

    Parameters
    ----------
    factor : int, default=2
        Side of the square blocks, in pixels; 1 leaves X unchanged.
    image_shape : tuple of (int, int), default=None
        The grid ``(ny, nx)`` of the rows of X.  None: the rows are a line
        scan, binned ``factor`` consecutive rows at a time.

    Attributes
    ----------
    binned_shape_ : tuple of (int, int)
        The grid of the binned rows (for example the ``image_shape`` of a
        decomposition that follows).
    pixels_per_bin_ : ndarray of shape (n_bins,)
        How many pixels each block holds.
    n_features_in_ : int
        Number of channels seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the channels, when X has string column names.

    See Also
    --------
    skspectra.decomposition.PoissonNMF : Its ``spatial_smoothness`` prior is
        the alternative that keeps the full resolution.

    Examples
    --------
    >>> import numpy as np
    >>> from skspectra.preprocessing import SpatialBinning
    >>> X = np.ones((4 * 6, 3))  # a 4 x 6 image of 3 channels
    >>> binning = SpatialBinning(2, image_shape=(4, 6)).fit(X)
    >>> binning.transform(X).shape, binning.binned_shape_
    ((6, 3), (2, 3))
    >>> binning.transform(X)[0]
    array([4., 4., 4.])
    >>> binning.inverse_transform(binning.transform(X)).shape
    (24, 3)
    """

    _parameter_constraints: dict = {
        "factor": [Interval(numbers.Integral, 1, None, closed="left")],
        "image_shape": ["array-like", None],
    }

    def __init__(self, factor=2, *, image_shape=None):
        self.factor = factor
        self.image_shape = image_shape

    def _grid(self, n_rows):
        if self.image_shape is None:
            return n_rows, 1
        shape = tuple(np.ravel(self.image_shape).tolist())
        if len(shape) != 2 or not all(
            isinstance(s, numbers.Integral) and s > 0 for s in shape
        ):
            raise ValueError(
                "image_shape must be (ny, nx), two positive integers; got "
                f"{self.image_shape!r}."
            )
        if shape[0] * shape[1] != n_rows:
            raise ValueError(
                f"image_shape={shape} has {shape[0] * shape[1]} pixels but X has "
                f"{n_rows} rows (one per pixel, in raster order)."
            )
        return shape

    def fit(self, X, y=None):
        """Learn the grid of the rows of X and of its blocks.

        Parameters
        ----------
        X : array-like of shape (n_pixels, n_channels)
            Spectra, one per pixel in raster order.
        y : Ignored
            Not used, present for API consistency.

        Returns
        -------
        self : object
            The fitted transformer.
        """
        self._validate_params()
        X = validate_data(self, X, reset=True, dtype=[np.float64, np.float32])
        ny, nx = self._grid(X.shape[0])
        f = int(self.factor)
        by = np.arange(ny) // f
        bx = np.arange(nx) // (f if self.image_shape is not None else 1)
        self.binned_shape_ = (int(by[-1]) + 1, int(bx[-1]) + 1)
        # the block of every pixel, in raster order of the binned image
        self._bin = (by[:, None] * self.binned_shape_[1] + bx[None, :]).ravel()
        self.pixels_per_bin_ = np.bincount(self._bin)
        self._n_rows = X.shape[0]
        return self

    def transform(self, X):
        """Sum the spectra of every block of pixels.

        Parameters
        ----------
        X : array-like of shape (n_pixels, n_channels)
            Spectra on the grid seen in :meth:`fit`.

        Returns
        -------
        X_binned : ndarray of shape (n_bins, n_channels)
            One summed spectrum per block, in raster order of
            ``binned_shape_``.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        if X.shape[0] != self._n_rows:
            raise ValueError(
                f"X has {X.shape[0]} rows; the grid seen in fit has "
                f"{self._n_rows} pixels."
            )
        out = np.zeros((len(self.pixels_per_bin_), X.shape[1]), dtype=X.dtype)
        np.add.at(out, self._bin, X)
        if _get_output_config("transform", self)["dense"] == "pandas":
            import pandas as pd

            # one row per block: the pixels' index does not apply, and a
            # frame returned here keeps its own when the output is wrapped
            return pd.DataFrame(out)
        return out

    def inverse_transform(self, X):
        """Spread per-block values evenly over the block's pixels.

        Works for anything with one row per block: binned spectra, or the
        abundances of a decomposition fitted to them.

        Parameters
        ----------
        X : array-like of shape (n_bins, n_columns)
            One row per block.

        Returns
        -------
        X_full : ndarray of shape (n_pixels, n_columns)
            One row per pixel of the full grid: the block's row divided by
            the number of its pixels, so that the sum over a block is kept.
        """
        check_is_fitted(self)
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[0] != len(self.pixels_per_bin_):
            raise ValueError(
                f"Expected one row per block, shape ({len(self.pixels_per_bin_)}, "
                f"n_columns); got {X.shape}."
            )
        dtype = X.dtype if X.dtype.kind == "f" else np.float64
        per_pixel = X / self.pixels_per_bin_[:, None].astype(dtype)
        return per_pixel[self._bin]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
