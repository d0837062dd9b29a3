"""``skspectra peaks``: Lorentzian peaks (and edge steps) of one spectrum."""

import argparse
import math
import warnings
from pathlib import Path

from skspectra.cli._common import (
    InputError,
    add_energy_window_options,
    add_output_options,
    crop,
    csv_text,
    energy_label,
    flag_message,
    output_folder,
    output_stem,
    plural,
    read_input,
    report_written,
    unit_suffix,
    write_results,
)

FLAGS = {
    "max_peaks": "--max-peaks",
    "fit_range": "--background",
    "e_min": "--energy-min",
    "e_max": "--energy-max",
    "edge_steps": "--edge-steps",
}


def _edge_steps(text):
    if text == "auto":
        return text
    if text in ("0", "1", "2"):
        return int(text)
    raise argparse.ArgumentTypeError(f"expected 0, 1, 2 or auto; got {text!r}")


def add_parser(sub):
    """Add the ``peaks`` command to the subparsers ``sub``."""
    p = sub.add_parser(
        "peaks",
        help="Lorentzian peaks of a spectrum by ESPRIT, no initial guess",
        description=(
            "Decompose one spectrum into Lorentzian peaks (position, half-width, "
            "area, with their standard errors) by ESPRIT, optionally on edge "
            "steps and after a power-law background. An unevenly spaced axis is "
            "resampled onto evenly spaced channels first, with a warning. Writes "
            "<name>_<ext>_peaks.csv and a PNG figure, both or neither."
        ),
    )
    p.add_argument("file", help="one spectrum (.msa, .xdi, .dm3, .npy, .npz, ...)")
    p.add_argument(
        "--max-peaks",
        type=int,
        default=10,
        help="largest number of peaks looked for (default: %(default)s)",
    )
    p.add_argument(
        "--background",
        nargs=2,
        type=float,
        metavar=("E1", "E2"),
        help="subtract an EELS power-law background fitted in [E1, E2] first and "
        "keep the channels above E2 (default: no background subtraction)",
    )
    p.add_argument(
        "--edge-steps",
        type=_edge_steps,
        default=0,
        metavar="0|1|2|auto",
        help="arctangent edge steps under the white lines, fitted with them: 1 "
        "for a K edge, 2 for L2,3 / M4,5 (2:1), auto to choose (default: "
        "%(default)s)",
    )
    add_energy_window_options(p)
    add_output_options(p)
    p.set_defaults(func=run)
    return p


def _one_spectrum(data, path):
    if data.ndim != 1 and not (data.ndim == 2 and data.shape[0] == 1):
        raise InputError(
            f"{path}: holds data of shape {data.shape}; peaks takes one spectrum"
        )
    return data.reshape(1, -1).astype(float)


def _uniform(x, energy, path):
    """The spectrum on evenly spaced channels, which ESPRIT needs.

    An axis that is uniform within rounding is kept; any other is resampled
    (PCHIP) onto as many evenly spaced channels over the same range, with a
    warning that says so.
    """
    import numpy as np

    from skspectra.preprocessing import resample_spectra
    from skspectra.utils.validation import check_energy

    try:
        check_energy(energy, x.shape[1], uniform=True)
    except ValueError:
        pass
    else:
        return x, energy
    steps = np.diff(energy)
    grid = np.linspace(energy[0], energy[-1], energy.size)
    warnings.warn(
        f"{path}: the energy axis is not evenly spaced (steps from "
        f"{steps.min():.4g} to {steps.max():.4g}); resampled onto "
        f"{grid.size} evenly spaced channels (PCHIP) for the peak fit",
        stacklevel=2,
    )
    return resample_spectra(energy, x, grid), grid


def _subtract_background(x, energy, window):
    """Background-free channels above the fit window, and the background."""
    from skspectra.preprocessing import PowerLawBackground

    lo, hi = window
    try:
        free = PowerLawBackground(energy=energy, fit_range=(lo, hi)).fit_transform(x)
    except ValueError as exc:
        message = flag_message(exc, FLAGS)
        raise InputError(f"--background {lo:g} {hi:g}: {message}") from exc
    keep = energy > hi
    if keep.sum() < 2:
        raise InputError(f"--background {lo:g} {hi:g}: no channels above {hi:g}")
    return free[:, keep], energy[keep], (x - free)[0, keep]


def _table(model, units):
    """Printed table of the peaks and steps, with errors and units."""
    unit = f" [{units}]" if units else ""
    area_unit = f" [counts {units}]" if units else ""
    lines = [f"{'position' + unit:>18} {'HWHM' + unit:>16} {'area' + area_unit:>24}"]
    for p in model.peaks:
        lines.append(
            f"{p.position:10.3f} ± {p.position_error:<6.3f}"
            f"{p.width:9.3f} ± {p.width_error:<6.3f}"
            f"{p.area:13.5g} ± {p.area_error:<10.3g}"
        )
    for i, s in enumerate(model.steps):
        lines.append(
            f"edge step {i}: at {s.position:.3f}{' ' + units if units else ''}, height "
            f"{s.height:.5g} ± {s.height_error:.3g}"
        )
    lines.append(f"constant: {model.constant:.5g}")
    return lines


def _split_lines(peaks, units):
    """t2g-eg and spin-orbit splittings of a four-line L2,3 edge, with errors."""
    if len(peaks) != 4:
        return []
    unit = f" {units}" if units else ""

    def diff(i, j):
        d = peaks[j].position - peaks[i].position
        e = math.hypot(peaks[i].position_error, peaks[j].position_error)
        return f"{d:.2f} ± {e:.2f}{unit}"

    return [
        f"crystal-field splitting: {diff(0, 1)} (L3), {diff(2, 3)} (L2); "
        f"spin-orbit: {diff(0, 2)} (t2g), {diff(1, 3)} (eg)"
    ]


def run(args):
    """Lorentzian peaks (and edge steps) of one spectrum by ESPRIT."""
    data, energy, units, _ = read_input(args.file)
    x, energy = _uniform(_one_spectrum(data, args.file), energy, args.file)
    folder = output_folder(args)
    import numpy as np

    from skspectra.peaks import ESPRITPeaks

    background = None
    if args.background:
        x, energy, background = _subtract_background(x, energy, args.background)
    if background is not None:
        x2, energy2 = crop(
            np.vstack([x, background[None]]), energy, args.energy_min, args.energy_max
        )
        x, background, energy = x2[:1], x2[1], energy2
    else:
        x, energy = crop(x, energy, args.energy_min, args.energy_max)
    try:
        est = ESPRITPeaks(
            max_peaks=args.max_peaks, energy=energy, edge_steps=args.edge_steps
        ).fit(x)
        model = est.decompose(x[0], full=True)
    except ValueError as exc:
        raise InputError(f"{args.file}: {flag_message(exc, FLAGS)}") from exc
    peaks = model.peaks
    found = plural(len(peaks), "peak")
    if model.steps:
        found += f" on {plural(len(model.steps), 'edge step')}"
    print(f"{args.file}: {found} in {energy[0]:g}..{energy[-1]:g} {units}".rstrip())
    for line in _table(model, units) + _split_lines(peaks, units):
        print(line)
    unit = unit_suffix(units)
    stem = output_stem(args.file)
    header = [
        f"position{unit}",
        f"hwhm{unit}",
        "area",
        f"position_error{unit}",
        f"hwhm_error{unit}",
        "area_error",
    ]
    rows = [list(p) for p in peaks]
    written = write_results(
        folder,
        texts={f"{stem}_peaks.csv": csv_text(header, rows)},
        figure=(
            f"{stem}_peaks.png",
            None
            if args.no_figure
            else lambda: _figure(
                energy, x[0], model, background, units, Path(args.file).name
            ),
        ),
    )
    report_written(written)
    return 0


def _figure(energy, spectrum, model, background, units, name):
    from skspectra.plotting import plot_peaks

    return plot_peaks(
        energy,
        spectrum,
        model.peaks,
        steps=model.steps,
        constant=model.constant,
        background=background,
        energy_label=energy_label(units),
        title=name,
    )
