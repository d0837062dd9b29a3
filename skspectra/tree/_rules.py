"""Plain-language rules from a fitted decision tree.

Every leaf of a decision tree is reached by one path of threshold tests from
the root.  The conditions on one descriptor along a path are merged into one
interval (``2.0 < bond_length <= 2.3``), and each interval is written the way
the descriptor reads best: ``yes``/``no`` for a 0/1 descriptor, integer bounds
for an integer-valued descriptor, and a decimal threshold otherwise.
"""

import math

import numpy as np
from sklearn.tree._tree import TREE_LEAF

# how a descriptor's values are written in the rules
BOOLEAN = "boolean"
INTEGER = "integer"
REAL = "real"


def descriptor_kinds(X):
    """Kind of every column of ``X`` (NaN ignored): boolean, integer or real."""
    kinds = []
    for column in np.asarray(X, dtype=np.float64).T:
        values = column[~np.isnan(column)]
        if values.size and np.all((values == 0) | (values == 1)):
            kinds.append(BOOLEAN)
        elif values.size and np.all(values == np.round(values)):
            kinds.append(INTEGER)
        else:
            kinds.append(REAL)
    return kinds


def _fmt(value):
    return f"{value:.4g}"


def _interval_text(name, kind, lower, upper, missing):
    """Text of ``lower < name <= upper`` (either bound may be None)."""
    if kind == BOOLEAN:
        # the only threshold between 0 and 1 is at 0.5
        text = f"{name} = {'yes' if lower is not None else 'no'}"
    elif kind == INTEGER:
        lo = None if lower is None else math.floor(lower) + 1
        hi = None if upper is None else math.floor(upper)
        if lo is not None and hi is not None:
            text = f"{name} = {lo}" if lo == hi else f"{lo} <= {name} <= {hi}"
        elif lo is not None:
            text = f"{name} >= {lo}"
        else:
            text = f"{name} <= {hi}"
    else:
        if lower is not None and upper is not None:
            text = f"{_fmt(lower)} < {name} <= {_fmt(upper)}"
        elif lower is not None:
            text = f"{name} > {_fmt(lower)}"
        else:
            text = f"{name} <= {_fmt(upper)}"
    if missing:
        text = f"({text} or {name} missing)"
    return text


def leaf_rules(tree, feature_names, kinds, classes, has_missing=None):
    """Rules of every leaf of a fitted ``sklearn.tree`` ``Tree``.

    Parameters
    ----------
    tree : sklearn.tree._tree.Tree
        The ``tree_`` of a fitted ``DecisionTreeClassifier``.
    feature_names : sequence of str
        Name of every descriptor.
    kinds : sequence of str
        Kind of every descriptor (:func:`descriptor_kinds`).
    classes : ndarray
        The classifier's ``classes_`` (cluster labels).
    has_missing : sequence of bool, optional
        Whether the training data had missing values in each descriptor; the
        rules mention missing values only for those descriptors.

    Returns
    -------
    rules : list of dict
        One dict per leaf, sorted by cluster and then by decreasing number of
        training samples, with keys ``cluster``, ``conditions`` (list of
        ``(name, op, value)`` with ``op`` in ``"<="``, ``">"``, ``"=="``;
        ``(name, "missing", True/False)`` for a test of whether the value is
        missing, and ``(name, "or missing", True)`` when a missing value
        also leads to the leaf besides the interval),
        ``text``, ``n_samples`` and ``purity`` (the fraction of the leaf's
        training samples, weighted as in the tree, that are in ``cluster``).
    """
    if has_missing is None:
        has_missing = [False] * len(feature_names)
    left = tree.children_left
    right = tree.children_right
    missing_left = getattr(tree, "missing_go_to_left", None)
    rules = []
    # depth-first walk; a path is a list of (feature, goes_left, threshold,
    # takes_missing)
    stack = [(0, [])]
    while stack:
        node, path = stack.pop()
        if left[node] == TREE_LEAF:
            rules.append(_leaf_rule(tree, node, path, feature_names, kinds, classes))
            continue
        f = int(tree.feature[node])
        t = float(tree.threshold[node])
        if np.isinf(t):
            # scikit-learn's split of the known values (left, x <= inf) from
            # the missing ones (right)
            stack.append((right[node], [*path, (f, "missing", t, True)]))
            stack.append((left[node], [*path, (f, "known", t, False)]))
            continue
        miss_left = bool(missing_left[node]) if missing_left is not None else False
        track = bool(has_missing[f])
        stack.append((right[node], [*path, (f, "right", t, track and not miss_left)]))
        stack.append((left[node], [*path, (f, "left", t, track and miss_left)]))
    rules.sort(key=lambda r: (r["cluster"], -r["n_samples"]))
    return rules


def _leaf_rule(tree, node, path, feature_names, kinds, classes):
    value = tree.value[node][0]
    k = int(np.argmax(value))
    total = float(value.sum())
    purity = float(value[k] / total) if total > 0 else 0.0
    # merge the tests on each descriptor into one interval; ``missing`` says
    # whether a missing value also reaches the leaf: None when every test
    # was on known values, then True/False as the tests send missing values
    bounds = {}
    for f, side, t, takes_missing in path:
        lower, upper, missing, only_missing = bounds.get(f, (None, None, True, False))
        if side == "left":
            upper = t if upper is None else min(upper, t)
        elif side == "right":
            lower = t if lower is None else max(lower, t)
        elif side == "missing":
            only_missing = True
        bounds[f] = (lower, upper, missing and takes_missing, only_missing)
    conditions = []
    texts = []
    for f in sorted(bounds, key=lambda f: [p[0] for p in path].index(f)):
        lower, upper, missing, only_missing = bounds[f]
        name = feature_names[f]
        if only_missing:
            conditions.append((name, "missing", True))
            texts.append(f"{name} missing")
            continue
        if lower is None and upper is None:
            conditions.append((name, "missing", False))
            texts.append(f"{name} known")
            continue
        if kinds[f] == BOOLEAN:
            conditions.append((name, "==", 1 if lower is not None else 0))
        else:
            if lower is not None:
                conditions.append((name, ">", lower))
            if upper is not None:
                conditions.append((name, "<=", upper))
        if missing:
            conditions.append((name, "or missing", True))
        texts.append(_interval_text(name, kinds[f], lower, upper, missing))
    return {
        "cluster": classes[k].item() if hasattr(classes[k], "item") else classes[k],
        "conditions": conditions,
        "text": " and ".join(texts) if texts else "always (the tree has a single leaf)",
        "n_samples": int(tree.n_node_samples[node]),
        "purity": purity,
    }


def rules_text(rules, n_clusters, cluster_sizes, reproduced):
    """Format the rules of :func:`leaf_rules` per cluster, one line per rule."""
    lines = []
    for k in range(n_clusters):
        mine = [r for r in rules if r["cluster"] == k]
        size = int(cluster_sizes[k])
        lines.append(
            f"cluster {k}: {size} spectra, {int(reproduced[k])} of them led here "
            "by the rules"
        )
        if not mine:
            lines.append(
                "  no descriptor rule leads to this cluster; the tree assigns "
                "its spectra to other clusters"
            )
        for i, r in enumerate(mine):
            lead = "if" if i == 0 else "or if"
            lines.append(
                f"  {lead} {r['text']}" if r["conditions"] else f"  {r['text']}"
            )
            lines.append(
                f"    (leaf of {r['n_samples']} training samples, "
                f"{100 * r['purity']:.0f}% in cluster {k})"
            )
    return "\n".join(lines)
