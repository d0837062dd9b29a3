"""The file-to-answer commands of ``skspectra``: decompose, peaks, estimate,
interpret.

Each command reads files a microscopist or XAS scientist already has, runs one
estimator, prints the answer and writes results atomically (a temporary file
renamed into place), so an interrupted run never leaves a half-written file.
Problems with the input end the command with exit code 2 and a message that
says what was wrong; figures need the ``plot`` extra.
"""

import csv
import io
import sys
from pathlib import Path

import numpy as np

from skspectra.utils._atomic import atomic_path
from skspectra.utils._progress import Progress

# extensions read by skspectra.io (text formats built in, binary ones through
# the ``io`` extra) plus NumPy's own
_IMAGE_EXTENSIONS = (".npz", ".npy")
_ENERGY_KEYS = ("energy", "energy_eV", "energy_ev", "energy_keV", "energy_kev", "E")


class InputError(Exception):
    """A problem with the user's input; reported without a traceback."""


# --------------------------------------------------------------------- reading
def _existing(path):
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a folder, expected a file")
    return path


def _supported():
    from skspectra.io import SUPPORTED_EXTENSIONS

    return ", ".join(sorted(set(SUPPORTED_EXTENSIONS) | set(_IMAGE_EXTENSIONS)))


def _energy_label(key, header=None):
    if key and key.lower().endswith("kev"):
        return "energy (keV)"
    units = (header or {}).get("XUNITS") if header else None
    if units:
        return f"energy ({str(units).strip()})"
    return "energy" if key != "channel" else "channel"


def read_data(path):
    """Read spectra from ``path``: ``(data, energy, energy_label)``.

    ``data`` has the channel axis last: one spectrum, a set of spectra or a
    spectrum image. ``.npz`` files take the array ``X`` (or their only array
    of two or more dimensions) and a 1-D energy axis among ``energy``,
    ``energy_eV``, ``energy_keV``, ``channel``; other formats go through
    :func:`skspectra.io.read_spectrum`.
    """
    path = _existing(path)
    ext = path.suffix.lower()
    if ext in _IMAGE_EXTENSIONS:
        try:
            loaded = np.load(path, allow_pickle=False)
        except (ValueError, OSError) as exc:
            raise InputError(f"{path}: not a readable NumPy file ({exc})") from exc
        if ext == ".npy":
            data, arrays = loaded, {}
        else:
            with loaded:
                arrays = {k: loaded[k] for k in loaded.files}
            candidates = [k for k, v in arrays.items() if v.ndim >= 2]
            key = (
                "X"
                if "X" in candidates
                else (candidates[0] if len(candidates) == 1 else None)
            )
            if key is None:
                raise InputError(
                    f"{path}: expected an array 'X' (or exactly one array of two or "
                    f"more dimensions); found {sorted(arrays) or 'no arrays'}"
                )
            data = arrays[key]
        n = data.shape[-1]
        for key in (*_ENERGY_KEYS, "channel"):
            if key in arrays and arrays[key].ndim == 1 and arrays[key].shape[0] == n:
                return data, np.asarray(arrays[key], dtype=float), _energy_label(key)
        return data, None, "channel"
    from skspectra.io import SUPPORTED_EXTENSIONS, read_spectrum

    if ext not in SUPPORTED_EXTENSIONS:
        raise InputError(
            f"{path}: unknown format '{ext}'; readable formats: {_supported()}"
        )
    try:
        spectrum = read_spectrum(path)
    except ImportError as exc:
        raise InputError(str(exc)) from exc
    except (ValueError, OSError, KeyError) as exc:
        raise InputError(f"{path}: could not be read: {exc}") from exc
    return (
        np.asarray(spectrum.intensity),
        np.asarray(spectrum.energy, dtype=float),
        _energy_label(None, spectrum.header),
    )


def _crop(data, energy, e_min, e_max):
    if e_min is None and e_max is None:
        return data, energy
    if energy is None:
        energy = np.arange(data.shape[-1], dtype=float)
    lo = -np.inf if e_min is None else e_min
    hi = np.inf if e_max is None else e_max
    keep = (energy >= lo) & (energy <= hi)
    if keep.sum() < 2:
        raise InputError(
            f"the energy window [{e_min}, {e_max}] keeps {int(keep.sum())} channels of "
            f"the data's {energy[0]:g}..{energy[-1]:g}"
        )
    return data[..., keep], energy[keep]


# --------------------------------------------------------------------- writing
def _write_text(path, text):
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def _write_npz(path, **arrays):
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as handle:
            np.savez_compressed(handle, **arrays)


def _write_csv(path, header, rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    _write_text(path, buffer.getvalue())


def _write_figure(path, make_figure, quiet):
    try:
        fig = make_figure()
    except ImportError as exc:
        print(f"figure skipped: {exc}", file=sys.stderr)
        return None
    import matplotlib.pyplot as plt

    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110)
    plt.close(fig)
    return path


def _out_dir(args):
    out = Path(args.out) if args.out else Path.cwd()
    if not out.is_dir():
        raise InputError(f"output folder {out} does not exist")
    return out


# ------------------------------------------------------------------ decompose
def _progress_hook(model, quiet, label):
    bar = Progress(model.max_iter, label, quiet=quiet)

    def hook(iteration, objective):
        bar.update(iteration - bar.count, info=f"objective {objective:.6g}")

    model._progress_callback = hook
    return bar


def cmd_decompose(args):
    """Components, maps and their number for a spectrum image."""
    from skspectra.decomposition import PoissonNMF, SparseNMF
    from skspectra.utils import unfold

    data, energy, label = read_data(args.file)
    if data.ndim < 3:
        raise InputError(
            f"{args.file}: holds data of shape {data.shape}; decompose needs a "
            "spectrum image (ny, nx, channels)"
        )
    data, energy = _crop(data, energy, args.energy_min, args.energy_max)
    auto = args.n_components == "auto"
    try:
        k = args.max_components if auto else int(args.n_components)
    except ValueError:
        raise InputError(
            f"--n-components must be 'auto' or an integer; got {args.n_components!r}"
        ) from None
    cls = PoissonNMF if args.model == "poisson" else SparseNMF
    model = cls(
        n_components=k,
        ard=auto,
        orthogonality=args.orthogonality,
        max_iter=args.max_iter,
        tol=args.tol,
        energy=energy,
        random_state=args.seed,
    )
    stem = Path(args.file).stem
    out = _out_dir(args)
    X = unfold(data)
    if not args.quiet:
        print(
            f"{args.file}: {data.shape[:-1]} pixels x {data.shape[-1]} channels, "
            f"{cls.__name__}, n_components={f'auto (up to {k})' if auto else k}"
        )
    bar = _progress_hook(model, args.quiet, cls.__name__)
    try:
        maps = model.fit_transform(X)
    except ValueError as exc:
        raise InputError(f"{args.file}: {exc}") from exc
    finally:
        bar.close()
        model.__dict__.pop("_progress_callback", None)
    maps_img = maps.reshape(*data.shape[:-1], -1)
    e = energy if energy is not None else np.arange(data.shape[-1], dtype=float)
    print(
        f"found {model.n_components_} components in {model.n_iter_} iterations "
        f"(reconstruction error {model.reconstruction_err_:.6g})"
    )
    from scipy.signal import find_peaks

    for i, comp in enumerate(model.components_):
        found, _ = find_peaks(comp)
        if found.size == 0:
            found = np.array([int(np.argmax(comp))])
        top = e[found[np.argsort(comp[found])[::-1][:3]]]
        share = maps[:, i].sum() / max(maps.sum(), np.finfo(float).tiny)
        peaks = ", ".join(f"{t:.4g}" for t in sorted(top))
        print(
            f"  component {i}: {100 * share:.1f}% of the signal, strongest peaks "
            f"at {peaks}"
        )
    files = [out / f"{stem}_components.csv", out / f"{stem}_decomposition.npz"]
    _write_csv(
        files[0],
        ["energy", *[f"component{i}" for i in range(model.n_components_)]],
        np.column_stack([e, model.components_.T]).tolist(),
    )
    _write_npz(
        files[1],
        components=model.components_,
        maps=maps_img,
        energy=e,
        objective=np.asarray(model.objective_history_, dtype=float),
    )
    if not args.no_figure:
        from skspectra.plotting import plot_components

        fig_path = _write_figure(
            out / f"{stem}_decomposition.png",
            lambda: plot_components(
                model.components_, maps_img, energy=e, energy_label=label
            ),
            args.quiet,
        )
        if fig_path:
            files.append(fig_path)
    print("wrote " + ", ".join(str(f) for f in files))
    return 0


# ---------------------------------------------------------------------- peaks
def cmd_peaks(args):
    """Lorentzian peaks of one spectrum by ESPRIT."""
    from skspectra.peaks import ESPRITPeaks

    data, energy, label = read_data(args.file)
    if data.ndim != 1 and not (data.ndim == 2 and data.shape[0] == 1):
        raise InputError(
            f"{args.file}: holds data of shape {data.shape}; peaks takes one spectrum"
        )
    x = np.asarray(data, dtype=float).reshape(-1)
    if energy is None:
        energy = np.arange(x.size, dtype=float)
    if args.background:
        from skspectra.preprocessing import PowerLawBackground

        lo, hi = args.background
        try:
            x = PowerLawBackground(energy=energy, fit_range=(lo, hi)).fit_transform(
                x[None]
            )[0]
        except ValueError as exc:
            raise InputError(f"{args.file}: background: {exc}") from exc
        keep = energy > hi
        x, energy = x[keep], energy[keep]
    (x,), energy = _crop(x[None], energy, args.energy_min, args.energy_max)
    model = ESPRITPeaks(max_peaks=args.max_peaks, energy=energy)
    try:
        peaks = model.fit(x[None]).decompose(x)
    except ValueError as exc:
        raise InputError(f"{args.file}: {exc}") from exc
    print(f"{args.file}: {len(peaks)} peaks in {energy[0]:g}..{energy[-1]:g}")
    print(f"{'position':>12} {'HWHM':>10} {'area':>12}")
    for p in peaks:
        print(f"{p.position:12.4f} {p.width:10.4f} {p.area:12.5g}")
    out = _out_dir(args)
    stem = Path(args.file).stem
    files = [out / f"{stem}_peaks.csv"]
    _write_csv(files[0], ["position", "hwhm", "area"], [list(p) for p in peaks])
    if not args.no_figure:
        from skspectra.plotting import plot_peaks

        fig_path = _write_figure(
            out / f"{stem}_peaks.png",
            lambda: plot_peaks(energy, x, peaks, energy_label=label),
            args.quiet,
        )
        if fig_path:
            files.append(fig_path)
    print("wrote " + ", ".join(str(f) for f in files))
    return 0


# ------------------------------------------------------------------- estimate
def _edge_grid(energies, spectra):
    """A common near-edge grid for one element's references."""
    from skspectra.preprocessing import edge_energy, resample_spectra

    e0 = []
    for e, mu in zip(energies, spectra, strict=True):
        step = np.median(np.diff(e))
        grid = np.arange(e[0], e[-1], max(step, 0.1))
        e0.append(float(edge_energy(resample_spectra(e, [mu], grid), grid)[0]))
    center = float(np.median(e0))
    return np.arange(center - 20.0, center + 80.0 + 1e-9, 0.5), center


def _normalise_on(grid, energy, mu, name):
    from skspectra.preprocessing import XANESNormalizer, resample_spectra

    if energy[0] > grid[0] or energy[-1] < grid[-1]:
        raise InputError(
            f"{name}: its energy axis {energy[0]:.1f}..{energy[-1]:.1f} eV does not "
            f"cover the references' grid {grid[0]:.1f}..{grid[-1]:.1f} eV"
        )
    x = resample_spectra(energy, [mu], grid)
    return XANESNormalizer(energy=grid).fit_transform(x)[0]


def cmd_estimate(args):
    """A material parameter of measured spectra from similar references."""
    from skspectra.datasets import load_xanes_references
    from skspectra.io import read_spectrum
    from skspectra.neighbors import SimilarityKNNEstimator

    try:
        refs = load_xanes_references(args.references, element=args.element)
    except (FileNotFoundError, ValueError) as exc:
        raise InputError(f"references: {exc}") from exc
    labels = refs.labels
    if args.target not in labels:
        raise InputError(
            f"references: no column {args.target!r} in labels.csv; columns: "
            f"{', '.join(labels)}"
        )
    y = np.array(
        [float(v) if str(v) not in ("", "nan") else np.nan for v in labels[args.target]]
    )
    elements = sorted(set(labels["element"]))
    if len(elements) > 1:
        raise InputError(
            f"references hold several elements ({', '.join(elements)}); choose one "
            "with --element"
        )
    use = np.flatnonzero(np.isfinite(y))
    if len(use) < args.n_neighbors:
        raise InputError(
            f"references: {len(use)} spectra with a {args.target} label, fewer than "
            f"--n-neighbors {args.n_neighbors}"
        )
    energies = [refs.energies[i] for i in use]
    spectra = [refs.spectra[i] for i in use]
    grid, e0 = _edge_grid(energies, spectra)
    X, kept = [], []
    for i, (e, mu) in enumerate(zip(energies, spectra, strict=True)):
        try:
            X.append(_normalise_on(grid, e, mu, refs.names[use[i]]))
            kept.append(i)
        except (InputError, ValueError):
            continue  # a reference that does not cover the grid is left out
    if len(kept) < args.n_neighbors:
        raise InputError(
            f"references: only {len(kept)} spectra cover the grid "
            f"{grid[0]:.1f}..{grid[-1]:.1f} eV"
        )
    X = np.asarray(X)
    y_ref = y[use][kept]
    names = [refs.names[use[i]] for i in kept]
    window = (grid >= e0 - 15) & (grid <= e0 + 45)
    model = SimilarityKNNEstimator(
        n_neighbors=args.n_neighbors,
        metric=args.metric,
        weights="distance",
        energy=grid[window],
    ).fit(X[:, window], y_ref)
    print(
        f"{len(kept)} references of {elements[0]}, edge near {e0:.1f} eV, "
        f"metric {args.metric}, k={args.n_neighbors}"
    )
    for query in args.queries:
        path = _existing(query)
        try:
            spectrum = read_spectrum(path)
        except (ValueError, OSError, ImportError) as exc:
            raise InputError(f"{query}: could not be read: {exc}") from exc
        mu = np.asarray(spectrum.intensity, dtype=float)
        if mu.ndim != 1:
            raise InputError(f"{query}: holds {mu.shape} data; expected one spectrum")
        x = _normalise_on(grid, np.asarray(spectrum.energy, dtype=float), mu, query)
        xq = x[window][None]
        pred = float(model.predict(xq)[0])
        dist, idx = model.kneighbors(xq)
        print(f"{query}: {args.target} = {pred:.2f}")
        for d, j in zip(dist[0], idx[0], strict=True):
            print(f"    {names[j]:<40} {args.target} {y_ref[j]:<6g} distance {d:.4g}")
    return 0


# ------------------------------------------------------------------ interpret
def _read_descriptors(path):
    path = _existing(path)
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    if len(rows) < 2:
        raise InputError(f"{path}: expected a header row and one row per spectrum")
    header, body = rows[0], rows[1:]
    columns, names = [], []
    for j, name in enumerate(header):
        values = [r[j] if j < len(r) else "" for r in body]
        try:
            columns.append([float(v) if v.strip() else np.nan for v in values])
            names.append(name)
        except ValueError:
            levels = sorted(set(values))
            if len(levels) > 20:
                continue  # an identifier column (names), not a descriptor
            for level in levels:
                columns.append([1.0 if v == level else 0.0 for v in values])
                names.append(f"{name}={level}")
    if not columns:
        raise InputError(f"{path}: no descriptor columns")
    return np.asarray(columns, dtype=float).T, names


def cmd_interpret(args):
    """Clusters of spectra explained by rules on descriptors."""
    from skspectra.tree import SpectralDendrogramTree

    D, names = _read_descriptors(args.descriptors)
    spectra, energy, label = read_data(args.spectra)
    if spectra.ndim != 2:
        raise InputError(
            f"{args.spectra}: holds data of shape {spectra.shape}; expected one "
            "spectrum per row (n_spectra, n_channels)"
        )
    if spectra.shape[0] != D.shape[0]:
        raise InputError(
            f"{args.descriptors} has {D.shape[0]} rows but {args.spectra} has "
            f"{spectra.shape[0]} spectra; they must match row by row"
        )
    model = SpectralDendrogramTree(
        n_clusters=args.n_clusters,
        metric=args.metric,
        linkage=args.linkage,
        max_depth=args.max_depth,
        energy=energy,
        random_state=args.seed,
    )
    try:
        import pandas as pd

        D = pd.DataFrame(D, columns=names)
    except ImportError:
        pass
    try:
        model.fit(D, np.asarray(spectra, dtype=float))
    except ValueError as exc:
        raise InputError(str(exc)) from exc
    text = model.export_text()
    print(text)
    out = _out_dir(args)
    stem = Path(args.spectra).stem
    files = [out / f"{stem}_rules.txt"]
    _write_text(files[0], text + "\n")
    if not args.no_figure:
        fig_path = _write_figure(
            out / f"{stem}_interpretation.png",
            lambda: model.plot(spectra=np.asarray(spectra, dtype=float)),
            args.quiet,
        )
        if fig_path:
            files.append(fig_path)
    print("wrote " + ", ".join(str(f) for f in files))
    return 0
