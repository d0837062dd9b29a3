"""Compute the xraylarch reference for the XANESNormalizer tests (run once).

    python tests/preprocessing/make_larch_reference.py [DATA_DIR]

For every Mn, Fe, V and Cr K-edge XDI file of the shared data folder, runs
``larch.xafs.pre_edge`` with its default settings and stores, in
``larch_pre_edge_reference.npz`` beside this script: the file names, E0, the
edge step, the pre-edge and post-edge ranges and degree that larch chose, and
the normalised spectrum (float16: three significant digits are plenty for an
RMS comparison at the per-cent level).  Only derived numbers are stored, not
the measured data.  Needs xraylarch (``pip install xraylarch``).
"""

import sys
from pathlib import Path

ELEMENTS = ("Mn", "Fe", "V", "Cr")
OUT = Path(__file__).with_name("larch_pre_edge_reference.npz")


def main(data_dir):
    import larch
    import numpy as np
    from larch import Group
    from larch.xafs import pre_edge

    from skspectra.io import read_xdi

    names, e0, step, ranges, degree, norms = [], [], [], [], [], []
    for element in ELEMENTS:
        for path in sorted((Path(data_dir) / "xanes" / "xdi" / element).glob("*.xdi")):
            energy, mu, _ = read_xdi(path)
            group = Group(energy=energy, mu=mu)
            pre_edge(group)
            details = group.pre_edge_details
            names.append(f"{element}/{path.name}")
            e0.append(group.e0)
            step.append(group.edge_step)
            ranges.append([details.pre1, details.pre2, details.norm1, details.norm2])
            degree.append(details.nnorm)
            norms.append(np.asarray(group.norm, dtype=np.float16))
    lengths = np.array([n.size for n in norms])
    np.savez_compressed(
        OUT,
        names=np.array(names),
        e0=np.array(e0),
        edge_step=np.array(step),
        ranges=np.array(ranges),
        degree=np.array(degree),
        norm=np.concatenate(norms),
        lengths=lengths,
        larch_version=np.array(larch.__version__),
    )
    print(f"wrote {OUT} ({OUT.stat().st_size / 1024:.0f} KiB, {len(names)} spectra)")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/data")
