"""Pipelines that carry the energy axis from step to step.

A :class:`SpectralPipeline` is a scikit-learn :class:`~sklearn.pipeline.Pipeline`
that hands every step whose ``energy`` is left unset the energies of the
channels it receives, so that a step after an
:class:`~skspectra.preprocessing.EnergyCrop` knows the cropped axis and a
grid search over the crop's window needs no hand-copied energies.
"""

from skspectra.pipeline._pipeline import SpectralPipeline, make_spectral_pipeline

__all__ = ["SpectralPipeline", "make_spectral_pipeline"]
