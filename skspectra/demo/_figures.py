"""The figures of the demo: what each method finds, drawn as a person looks
at it, on the measured spectra when the data folder is there.

Not a part of the demo (see :data:`skspectra.demo.NOT_PARTS`):
:func:`skspectra.demo.run` calls :func:`write_figures` after the parts when
it is given a folder for the figures.
"""

from pathlib import Path

import numpy as np

# the measured files the figures are drawn from, in the shared data folder
EDS_FILE = "eds_sem_si_30x30.npz"
TEM_FILE = "eds_tem_si_64x64.npz"
EELS_FILE = "eels/srtio3_core_loss.msa"
# energy window of the EDS decomposition (keV): above the zero peak, up to
# the last line of the specimen at 20 kV
EDS_WINDOW = (0.2, 10.0)
# pre-edge fit window and upper end of the Ti L2,3 white lines (eV)
TI_BACKGROUND, TI_END = (420.0, 452.0), 480.0
# the strongest peaks labelled on each EDS component
N_LABELLED = 6
# the table of the measured XANES references
XANES_LABELS = "xanes/labels.csv"


def _measured(data_dir, name):
    """The path of a measured file in the data folder, or None."""
    path = Path(data_dir) / name if data_dir else None
    return path if path is not None and path.is_file() else None


def _decomposition(data_dir, random_state):
    """Components of the measured SEM-EDS image named by their lines (or a
    synthetic image with the channel index)."""
    from skspectra.decomposition import PoissonNMF
    from skspectra.plotting import plot_components

    path = _measured(data_dir, EDS_FILE)
    if path is None:
        from skspectra.datasets import make_spectrum_image

        image, _ = make_spectrum_image(3, shape=(32, 32), random_state=random_state)
        nmf = PoissonNMF(3, ard=False, random_state=random_state).fit_image(image)
        fig = plot_components(
            nmf.components_,
            nmf.maps_,
            energy_label="channel",
            map_label="counts per pixel",
            title="synthetic spectrum image: 3 components and their maps",
        )
        return "decomposition_synthetic.png", fig
    from skspectra.io import read_file
    from skspectra.peaks import identify_lines

    energy, image, header = read_file(path)
    keep = (energy >= EDS_WINDOW[0]) & (energy <= EDS_WINDOW[1])
    energy, image = energy[keep], image[..., keep].astype(np.float64)
    nmf = PoissonNMF(3, ard=False, orthogonality=30.0, random_state=random_state)
    nmf.fit_image(image)
    elements = header.get("arrays", {}).get("elements")
    lines = [
        [
            p
            for p in identify_lines(
                c, energy, units="keV", elements=elements, n_peaks=N_LABELLED
            )
            if p.lines
        ]
        for c in nmf.components_
    ]
    fig = plot_components(
        nmf.components_,
        nmf.maps_,
        energy=energy,
        energy_label="energy (keV)",
        lines=lines,
        map_label="counts per pixel",
        titles=[f"component {i}\n(unit sum)" for i in range(3)],
        title=f"{path.name}: PoissonNMF, 3 components named by their X-ray lines",
    )
    return f"decomposition_{path.stem}.png", fig


def _tem_maps(data_dir, random_state):
    """Maps of the sparse TEM-EDS image beside its HAADF image, without and
    with the spatial prior (None without the file)."""
    path = _measured(data_dir, TEM_FILE)
    if path is None:
        return None
    import matplotlib.pyplot as plt

    from skspectra.decomposition import PoissonNMF
    from skspectra.demo._decomposition import haadf_prediction, load_eds_tem

    image, _, haadf = load_eds_tem(path)
    fits = {
        "PoissonNMF": PoissonNMF(3, ard=False, random_state=random_state),
        "with spatial_smoothness='auto'": PoissonNMF(
            3, ard=False, spatial_smoothness="auto", random_state=random_state
        ),
    }
    fig, axes = plt.subplots(2, 4, figsize=(12, 6), constrained_layout=True)
    for row, (label, est) in zip(axes, fits.items(), strict=True):
        maps = est.fit_image(image).maps_
        row[0].imshow(haadf, cmap="gray")
        row[0].set_title("HAADF")
        r = haadf_prediction(maps, haadf)
        for k, ax in enumerate(row[1:]):
            ax.imshow(maps[..., k], cmap="viridis")
            ax.set_title(f"{label}\ncomponent {k} (HAADF fit r = {r:.2f})", fontsize=8)
        for ax in row:
            ax.set_axis_off()
    fig.suptitle(f"{path.name}: ~6 counts per pixel, maps beside the HAADF image")
    return f"maps_{path.stem}.png", fig


def _peaks(data_dir):
    """ESPRIT peaks of the measured Ti L2,3 white lines of SrTiO3."""
    from skspectra.peaks import ESPRITPeaks
    from skspectra.plotting import plot_peaks

    path = _measured(data_dir, EELS_FILE)
    if path is None:
        from skspectra.datasets import make_lorentzian_peaks

        X, truth = make_lorentzian_peaks(1, random_state=0)
        energy, spectrum = truth.energy, X[0]
        name, title = "peaks_synthetic.png", "synthetic spectrum"
    else:
        from skspectra.io import read_file
        from skspectra.preprocessing import PowerLawBackground

        energy, counts, _ = read_file(path)
        background = PowerLawBackground(energy=energy, fit_range=TI_BACKGROUND)
        signal = background.fit_transform(counts[None])[0]
        keep = (energy > TI_BACKGROUND[1]) & (energy <= TI_END)
        energy, spectrum = energy[keep], signal[keep]
        name = f"peaks_{path.stem}.png"
        title = f"{path.name}: Ti L3 and L2 white lines above a power-law background"
    peaks = ESPRITPeaks(energy=energy).fit(spectrum[None]).decompose(spectrum)
    fig = plot_peaks(energy, spectrum, peaks, energy_label="energy loss (eV)")
    fig.suptitle(title)
    return name, fig


def _similarity(data_dir, random_state):
    """Mn K-edge references mapped by their cosine distance, coloured by
    valence."""
    from skspectra.demo._tree import RELATIVE_ENERGY, xanes_reference_table
    from skspectra.plotting import plot_similarity_map

    if _measured(data_dir, XANES_LABELS) is None:
        from skspectra.datasets import make_xanes_series

        data = make_xanes_series(40, random_state=random_state)
        fig = plot_similarity_map(
            data.data, data.valence, y_label="valence", random_state=random_state
        )
        fig.axes[0].set_title("synthetic XANES series: MDS map, cosine distance")
        return "similarity_map_synthetic.png", fig
    X, Y, _ = xanes_reference_table(data_dir, element="Mn")
    fig = plot_similarity_map(
        Y,
        np.asarray(X["oxidation_state"], dtype=float),
        energy=RELATIVE_ENERGY,
        y_label="Mn oxidation state",
        random_state=random_state,
    )
    fig.axes[0].set_title(f"{len(Y)} measured Mn K-edge XANES: MDS map, cosine")
    return "similarity_map_mn_xanes.png", fig


def _dendrogram(data_dir, random_state):
    """Clusters of measured XANES references explained by a decision tree."""
    from skspectra.plotting import plot_dendrogram_tree
    from skspectra.tree import SpectralDendrogramTree

    if _measured(data_dir, XANES_LABELS) is None:
        from skspectra.datasets import make_descriptor_spectra

        X, Y, _ = make_descriptor_spectra(200, random_state=random_state)
        model = SpectralDendrogramTree(n_clusters=4, random_state=0).fit(X, Y)
        fig = plot_dendrogram_tree(
            model,
            Y,
            title="synthetic spectra: clusters and the rules that explain them",
        )
        return "dendrogram_tree_synthetic.png", fig
    from skspectra.demo._tree import RELATIVE_ENERGY, xanes_reference_table

    X, Y, _ = xanes_reference_table(data_dir)
    model = SpectralDendrogramTree(
        n_clusters=6, max_depth=4, min_samples_leaf=2, random_state=0
    ).fit(X, Y)
    fig = plot_dendrogram_tree(
        model,
        Y,
        energy=RELATIVE_ENERGY,
        energy_label="energy above the edge E0 (eV)",
        title=f"{len(Y)} measured XANES references (xanes/xdi): clusters and rules",
    )
    return "dendrogram_tree_xanes.png", fig


def write_figures(folder, *, data_dir, random_state, report):
    """Draw the demo's figures and write them as PNG files into ``folder``.

    Parameters
    ----------
    folder : path-like
        Where the figures go; created if needed.
    data_dir : path-like or None
        The shared data folder; None draws synthetic data.
    random_state : int
        Seed of the fits.
    report : callable
        Receives one line of text per figure (its path, or why it failed).

    Returns
    -------
    written : list of pathlib.Path
        The figures written.
    failed : int
        How many figures could not be drawn.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    makers = (
        lambda: _decomposition(data_dir, random_state),
        lambda: _tem_maps(data_dir, random_state),
        lambda: _peaks(data_dir),
        lambda: _similarity(data_dir, random_state),
        lambda: _dendrogram(data_dir, random_state),
    )
    written, failed = [], 0
    for make in makers:
        try:
            made = make()
            if made is None:  # its measured file is not in the data folder
                continue
            name, fig = made
        except Exception as exc:  # draw every figure, then report the failures
            failed += 1
            report(f"   figure FAILED: {type(exc).__name__}: {exc}")
            continue
        # matplotlib is there: the figure was drawn
        import matplotlib.pyplot as plt

        try:
            fig.savefig(folder / name, dpi=110)
        finally:
            plt.close(fig)
        written.append(folder / name)
        report(f"   wrote {folder / name}")
    return written, failed
