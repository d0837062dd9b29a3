"""SparseNMF and PoissonNMF: components, maps and their number from spectrum images."""

import numpy as np
from sklearn.base import clone

from skspectra.datasets import make_spectrum_image
from skspectra.decomposition import (
    PoissonNMF,
    SparseNMF,
    binomial_split,
    half_dose_weight,
    match_components,
    select_n_components,
)

# the TEM-EDS file's detector zero peak lies below this energy (keV), and no
# line of its specimen above EDS_TOP
ZERO_PEAK_EDGE = 0.15
EDS_TOP = 10.0

# the largest number of components the held-out count of the TEM-EDS image
# tries: its maps hold a few phases, and each K is one fit of the image
HELD_OUT_CAP = 5

_EDS_LINES = {
    "O": 0.525,
    "Mg": 1.254,
    "Al": 1.487,
    "Si": 1.740,
    "P": 2.013,
    "Ca": 3.692,
    "Ti": 4.511,
    "Fe": 6.404,
}


def line_owners(components, energy, half_width=0.06):
    """The component that holds the largest share of each EDS line.

    For every line of ``_EDS_LINES`` (O, Mg, Al, Si, P, Ca, Ti and Fe K-alpha,
    keV), the fraction of each component's counts within ``half_width`` of
    the line is computed; the line belongs to the component with the
    largest fraction.

    Parameters
    ----------
    components : ndarray of shape (n_components, n_channels)
        Non-negative component spectra, e.g. ``PoissonNMF().components_``.
    energy : ndarray of shape (n_channels,)
        Channel energies (keV).
    half_width : float, default=0.06
        Half-width of the window about each line (keV).

    Returns
    -------
    owners : dict
        ``{element: component index}``.
    """
    near = [np.abs(energy - e) < half_width for e in _EDS_LINES.values()]
    fractions = np.array([[c[m].sum() / c.sum() for m in near] for c in components])
    owner = fractions.argmax(axis=0)
    return {el: int(k) for el, k in zip(_EDS_LINES, owner, strict=True)}


def split_half_reproducibility(est, image, seed=0, binning=1):
    """How far the maps of ``est`` are signal rather than counting noise.

    The counts of every pixel and channel are split at random into two
    independent halves (binomial thinning: each is Poisson with half the
    rate).  ``est`` is fitted on the whole image, both halves are mapped
    with its components, and the mean over components of the correlation
    between the two maps (after ``binning x binning`` pixel binning) is
    returned.

    Parameters
    ----------
    est : SparseNMF or PoissonNMF
        Unfitted decomposition; it is fitted here with ``fit_image``.
    image : array-like of shape (ny, nx, n_channels)
        Spectrum image of integer counts.
    seed : int, default=0
        Seed of the split.
    binning : int, default=1
        Side of the square blocks of pixels summed before the correlation.

    Returns
    -------
    r : float
        About 1 where the maps are signal, about 0 where they are noise.
    """
    counts = np.asarray(image).astype(np.int64)
    halves = binomial_split(counts, np.random.default_rng(seed))
    est.fit_image(counts.astype(np.float32))
    maps = [est.transform_image(h.astype(np.float32)) for h in halves]
    ny, nx, k = maps[0].shape
    b = binning
    maps = [
        m[: ny - ny % b, : nx - nx % b]
        .reshape(ny // b, b, nx // b, b, k)
        .sum(axis=(1, 3))
        .reshape(-1, k)
        for m in maps
    ]
    return float(
        np.mean([np.corrcoef(maps[0][:, j], maps[1][:, j])[0, 1] for j in range(k)])
    )


def load_eds_tem(path):
    """The TEM-EDS image without its zero peak, its energies and its HAADF.

    Channels below :data:`ZERO_PEAK_EDGE` hold the detector's zero peak on
    64 pixels, and above :data:`EDS_TOP` there is no line of the specimen;
    the HAADF image is of the same raster.

    Parameters
    ----------
    path : path-like
        ``eds_tem_si_64x64.npz`` of the shared data folder.

    Returns
    -------
    image : ndarray of shape (64, 64, n_channels)
        Counts (float32).
    energy : ndarray of shape (n_channels,)
        Channel energies (keV).
    haadf : ndarray of shape (64, 64)
        The HAADF image (float64).
    """
    d = np.load(path)
    energy = d["energy_keV"]
    keep = (energy >= ZERO_PEAK_EDGE) & (energy < EDS_TOP)
    return (
        d["X"][..., keep].astype(np.float32),
        energy[keep],
        d["haadf"].astype(np.float64),
    )


def haadf_prediction(maps, haadf):
    """How well abundance maps predict an independent image of the specimen.

    The image is fitted by least squares from the maps and a constant; the
    correlation of the fit with the image is returned (a multiple
    correlation coefficient: 0 when the maps carry nothing of it).

    Parameters
    ----------
    maps : ndarray of shape (ny, nx, n_components)
        Abundance maps, e.g. ``PoissonNMF().fit_image(image).maps_``.
    haadf : ndarray of shape (ny, nx)
        The image, e.g. the HAADF signal of the same raster.

    Returns
    -------
    r : float
        Correlation of ``haadf`` with its fit from the maps.
    """
    F = np.column_stack([maps.reshape(-1, maps.shape[-1]), np.ones(haadf.size)])
    y = np.asarray(haadf, dtype=np.float64).ravel()
    coef, *_ = np.linalg.lstsq(F, y, rcond=None)
    return float(np.corrcoef(F @ coef, y)[0, 1])


def split_half_maps(est, image, seed=0):
    """Reproducibility of the maps between two independent halves of counts.

    The counts are split binomially into two halves (each Poisson with half
    the rate); ``est`` is fitted on each half on its own, the components of
    the two fits are matched by the cosine of their spectra, and the mean
    correlation of the matched maps is returned.  Unlike
    :func:`split_half_reproducibility`, every fit here sees its half's pixel
    grid, so a spatial prior acts on both, at the weight that smooths half
    the counts as much as ``est``'s weight smooths all of them
    (:func:`~skspectra.decomposition.half_dose_weight`).

    Parameters
    ----------
    est : SparseNMF or PoissonNMF
        Unfitted decomposition, cloned for each half.
    image : array-like of shape (ny, nx, n_channels)
        Spectrum image of integer counts.
    seed : int, default=0
        Seed of the split and of the fits.

    Returns
    -------
    r : float
        Mean correlation of the matched maps of the two halves.
    """
    image = np.asarray(image)
    halves = binomial_split(image, np.random.default_rng(seed))
    weight = est.get_params()["spatial_smoothness"]
    loss = "poisson" if isinstance(est, PoissonNMF) else "gaussian"
    fits = []
    for h in halves:
        fit = clone(est).set_params(random_state=seed)
        if not isinstance(weight, str) and weight > 0:
            flat = [a.reshape(-1, a.shape[-1]) for a in (image, h)]
            fit.set_params(
                spatial_smoothness=half_dose_weight(weight, *flat, loss=loss)
            )
        fits.append(fit.fit_image(h.astype(np.float32)))
    index, _ = match_components(fits[0].components_, fits[1].components_)
    maps = [f.maps_.reshape(-1, f.maps_.shape[-1]) for f in fits]
    return float(
        np.mean(
            [
                np.corrcoef(maps[0][:, i], maps[1][:, j])[0, 1]
                for i, j in enumerate(index)
                if j >= 0
            ]
        )
    )


def _matched_cosine(found, truth):
    """Mean cosine of the true spectra with their matches (0 for a true
    spectrum left without one)."""
    return float(match_components(truth, found)[1].mean())


def run_demo(report, *, data_dir, random_state):
    """Run the decomposition demo; ``report`` receives one line at a time."""
    image, truth = make_spectrum_image(
        4,
        shape=(48, 48),
        n_channels=512,
        counts_per_pixel=200,
        random_state=random_state,
    )
    nmf = PoissonNMF(10, random_state=random_state).fit_image(image.astype(np.float32))
    report(
        "synthetic 48x48x512 image, 4 components, ~200 counts/pixel, Poisson noise: "
        f"PoissonNMF with ARD from 10 kept {nmf.n_components_} components "
        f"(truth 4), matched spectra cosine "
        f"{_matched_cosine(nmf.components_, truth.components):.3f}, "
        f"{nmf.n_iter_} iterations"
    )
    if data_dir is None:
        report("no real-data folder: real spectrum images skipped")
        return
    path = data_dir / "mn3o4_phantom_si.npz"
    if path.exists():
        d = np.load(path)
        X = d["X"].reshape(-1, d["X"].shape[-1])
        found = [
            SparseNMF(10, clip_negative=True, random_state=random_state)
            .fit(s * X)
            .n_components_
            for s in (1.0, 1000.0)
        ]
        report(
            "Mn3O4 EELS phantom (Shiga et al. 2016), ARD from 10 components: "
            f"{found[0]} on the raw data, {found[1]} on 1000 x the data (truth 2)"
        )
    path = data_dir / "eds_sem_si_30x30.npz"
    if path.exists():
        d = np.load(path)
        energy = d["energy_keV"]
        keep = energy > 0.1
        nmf = PoissonNMF(3, ard=False, orthogonality=30.0, random_state=random_state)
        nmf.fit_image(d["X"][..., keep])
        owners = {k: [] for k in range(nmf.n_components_)}
        for el, k in line_owners(nmf.components_, energy[keep]).items():
            owners[k].append(el)
        phases = "; ".join(
            f"component {k}: {' '.join(v) or '-'}" for k, v in owners.items()
        )
        report(
            "SEM-EDS 30x30 mineral (uint16 counts), PoissonNMF with orthogonality: "
            f"strongest lines per component -> {phases} "
            "(expected: silicate O Mg Al Si; Ca-P; Ti-Fe)"
        )
    path = data_dir / "eds_tem_si_64x64.npz"
    if path.exists():
        _eds_tem(report, path, random_state)


def _eds_tem(report, path, random_state):
    """The sparse STEM-EDS image: maps judged against the HAADF image."""
    image, energy, haadf = load_eds_tem(path)
    r = {
        cls.__name__: split_half_reproducibility(
            cls(3, ard=False, max_iter=100, random_state=random_state), image
        )
        for cls in (PoissonNMF, SparseNMF)
    }
    total = image.sum(axis=-1, dtype=np.int64).astype(np.float64)
    neighbours = np.mean(
        [
            np.corrcoef(total[:, :-1].ravel(), total[:, 1:].ravel())[0, 1],
            np.corrcoef(total[:-1].ravel(), total[1:].ravel())[0, 1],
        ]
    )
    report(
        f"TEM-EDS 64x64 ({total.mean():.1f} counts per pixel, "
        f"{np.count_nonzero(image) / image.size:.2%} of channels non-zero): "
        "maps of two independent halves of the counts agree per pixel at "
        f"r = {r['PoissonNMF']:.2f} (PoissonNMF) and {r['SparseNMF']:.2f} "
        "(SparseNMF); neighbouring pixels' total counts correlate at only "
        f"r = {neighbours:.2f}: the specimen's structure is there, in raster "
        "order, but far below the counting noise of one pixel"
    )
    plain = PoissonNMF(3, ard=False, random_state=random_state).fit_image(image)
    smooth = PoissonNMF(
        3, ard=False, spatial_smoothness="auto", random_state=random_state
    ).fit_image(image)
    fixed = {"spatial_smoothness": smooth.spatial_smoothness_}
    halves = {
        "plain": split_half_maps(PoissonNMF(3, ard=False), image, random_state),
        "smooth": split_half_maps(
            PoissonNMF(3, ard=False, **fixed), image, random_state
        ),
    }
    report(
        "TEM-EDS 64x64 against its HAADF image (least-squares fit of the HAADF "
        "from the 3 maps): "
        f"r = {haadf_prediction(plain.maps_, haadf):.2f} for PoissonNMF, "
        f"r = {haadf_prediction(smooth.maps_, haadf):.2f} with the spatial prior "
        f"(spatial_smoothness='auto' chose {smooth.spatial_smoothness_:.3g}); "
        "maps fitted on two independent halves of the counts agree at "
        f"r = {halves['plain']:.2f} without and {halves['smooth']:.2f} with it"
    )
    est = PoissonNMF(ard=False, image_shape=image.shape[:2], **fixed)
    held = select_n_components(
        image.reshape(-1, image.shape[-1]),
        model=est,
        max_components=HELD_OUT_CAP,
        method="split",
        max_iter=est.max_iter,
        tol=est.tol,
        random_state=random_state,
    )
    gains = ", ".join(
        f"{k}: {v - held.scores[0]:+.0f}"
        for k, v in zip(held.ks, held.scores, strict=True)
    )
    report(
        "TEM-EDS 64x64, number of components by the held-out log-likelihood of "
        f"one half of the counts with the spatial prior: {held.n_components} "
        f"(gain over 1 component: {gains})"
    )
