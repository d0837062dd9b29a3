"""Monte Carlo tree search for the sites that solutes occupy at a boundary."""

import math
import random
from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state

from skspectra.search._base import _BaseSearch, check_positive_int


class MonteCarloTreeSearch(_BaseSearch):
    """Find the lowest-energy placement of solutes on the sites of a boundary.

    A configuration is a set of ``n_solutes`` occupied sites among
    ``n_sites``.  The configurations are the leaves of a tree whose level
    ``k`` fixes the ``k``-th occupied site, sites being taken in increasing
    order, so that each configuration has exactly one path from the root
    (Kiyohara & Mizoguchi, 2018).  Each :meth:`suggest` descends from the
    root by the UCT rule -- at each node the child maximising

    .. math:: \\bar r_c + C \\sqrt{\\ln N_{parent} / N_c}

    where :math:`\\bar r_c` is the mean reward of the evaluated
    configurations below child ``c`` (energies mapped linearly onto
    ``[0, 1]``, 1 for the lowest seen), :math:`N` the visit counts and ``C``
    the ``exploration`` -- until it reaches a child never visited, then
    completes the configuration at random (the playout) among the
    configurations below it that have not been evaluated.  Exhausted
    subtrees are never entered again, so no configuration is evaluated
    twice and, with a large enough budget, every one is evaluated once.

    Parameters
    ----------
    n_sites : int
        Number of candidate sites.
    n_solutes : int
        Number of solutes, at most ``n_sites``.
    exploration : float, default=0.2
        The UCT constant ``C``; 0 follows the best mean greedily.
    random_state : int, RandomState instance or None, default=None
        Seeds the choice among unvisited children and the playouts.

    Attributes
    ----------
    n_configurations_ : int
        ``comb(n_sites, n_solutes)``.
    best_configuration_ : ndarray of shape (n_solutes,) or None
        Occupied sites (increasing) of the lowest energy observed.
    best_value_ : float or None
        That energy.
    history_ : list of dict
        One entry per evaluation: ``trial``, ``item`` (the configuration as a
        tuple of sites), ``value`` (NaN for a failure) and ``error``.
    n_remaining_ : int
        Configurations neither observed nor waiting for a value.

    See Also
    --------
    KrigingSearch : Bayesian optimisation over a finite set of descriptors.

    Notes
    -----
    Every evaluated configuration updates the statistics of all its
    ancestors (not only of the nodes the selection passed), so the playouts
    teach the tree too.  A suggestion costs ``O(n_solutes * n_sites)``
    integer operations; counts are exact integers, so trees with more
    configurations than a float can count are fine.

    References
    ----------
    .. [1] S. Kiyohara and T. Mizoguchi, "Searching the stable segregation
       configuration at the grain boundary by a Monte Carlo tree search",
       J. Chem. Phys. 148, 241741 (2018). :doi:`10.1063/1.5023139`
    .. [2] L. Kocsis and C. Szepesvari, "Bandit based Monte-Carlo planning",
       European Conference on Machine Learning (2006) 282-293.
       :doi:`10.1007/11871842_29`

    Examples
    --------
    >>> import numpy as np
    >>> from skspectra.search import MonteCarloTreeSearch
    >>> site_energy = np.linspace(0.0, 1.0, 12)
    >>> def energy(sites):
    ...     return float(site_energy[sites].sum())
    >>> search = MonteCarloTreeSearch(12, 2, random_state=0)
    >>> search = search.run(energy, 66, progress=False)
    >>> search.best_configuration_.tolist(), search.n_remaining_
    ([0, 1], 0)
    """

    def __init__(self, n_sites, n_solutes, *, exploration=0.2, random_state=None):
        self.n_sites = check_positive_int(n_sites, "n_sites")
        self.n_solutes = check_positive_int(n_solutes, "n_solutes")
        if self.n_solutes > self.n_sites:
            raise ValueError(
                f"n_solutes={n_solutes} is more than n_sites={n_sites}: each "
                "solute needs its own site."
            )
        if (
            isinstance(exploration, bool)
            or not isinstance(exploration, Real)
            or not math.isfinite(exploration)
            or exploration < 0
        ):
            raise ValueError(
                f"exploration must be a finite number >= 0; got {exploration!r}."
            )
        self.exploration = float(exploration)
        self.random_state = random_state
        seed = int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
        self._random = random.Random(seed)
        self.n_configurations_ = math.comb(self.n_sites, self.n_solutes)
        self._init_bookkeeping(self.n_configurations_)
        self.best_configuration_ = None
        # per tree node (a tuple of the first occupied sites, in increasing
        # order): configurations below it taken (observed or pending), and the
        # number and energy sum of the successful evaluations below it
        self._taken = {}
        self._visits = {}
        self._energy_sum = {}
        self._low = math.inf
        self._high = -math.inf

    # -- the tree ---------------------------------------------------------
    def _leaves(self, node):
        """Number of configurations below ``node``."""
        last = node[-1] if node else -1
        return math.comb(self.n_sites - last - 1, self.n_solutes - len(node))

    def _free_children(self, node):
        """Children of ``node`` with a configuration not yet taken below."""
        last = node[-1] if node else -1
        left = self.n_solutes - len(node)
        out = []
        for site in range(last + 1, self.n_sites - left + 1):
            child = (*node, site)
            free = self._leaves(child) - self._taken.get(child, 0)
            if free > 0:
                out.append((child, free))
        return out

    def _reward(self, node):
        mean = self._energy_sum[node] / self._visits[node]
        span = self._high - self._low
        return 1.0 if span <= 0 else (self._high - mean) / span

    def _select(self):
        """Descend by UCT to an unvisited child (or a leaf)."""
        node = ()
        while len(node) < self.n_solutes:
            children = [c for c, _ in self._free_children(node)]
            fresh = [c for c in children if self._visits.get(c, 0) == 0]
            if fresh:
                return fresh[self._random.randrange(len(fresh))]
            log_n = math.log(self._visits[node])
            node = max(
                children,
                key=lambda c: (
                    self._reward(c)
                    + self.exploration * math.sqrt(log_n / self._visits[c])
                ),
            )
        return node

    def _playout(self, node):
        """A configuration below ``node`` drawn uniformly among the free ones."""
        while len(node) < self.n_solutes:
            children = self._free_children(node)
            pick = self._random.randrange(sum(free for _, free in children))
            for child, free in children:
                if pick < free:
                    node = child
                    break
                pick -= free
        return node

    def _take(self, leaf):
        for k in range(len(leaf) + 1):
            self._taken[leaf[:k]] = self._taken.get(leaf[:k], 0) + 1

    # -- the interface -------------------------------------------------------
    def _propose(self, n):
        leaves = []
        for _ in range(n):
            leaf = self._playout(self._select())
            self._take(leaf)
            leaves.append(leaf)
        return leaves

    def _key(self, item):
        sites = np.asarray(item)
        if sites.shape != (self.n_solutes,):
            raise ValueError(
                f"a configuration is {self.n_solutes} site indices; got shape "
                f"{sites.shape}."
            )
        if not all(
            isinstance(s, Integral | np.integer) and not isinstance(s, bool)
            for s in sites.tolist()
        ):
            raise ValueError(f"site indices must be integers; got {item!r}.")
        key = tuple(sorted(int(s) for s in sites.tolist()))
        if key[0] < 0 or key[-1] >= self.n_sites:
            raise ValueError(
                f"site indices must lie in [0, {self.n_sites}); got {list(key)}."
            )
        if len(set(key)) != len(key):
            raise ValueError(f"a site holds one solute; {list(key)} repeats one.")
        return key

    def _describe(self, key):
        return f"configuration {list(key)}"

    def _argument(self, key):
        return np.asarray(key, dtype=np.intp)

    def _as_output(self, keys):
        return np.asarray(keys[0], dtype=np.intp)

    def _set_best(self, key):
        self.best_configuration_ = np.asarray(key, dtype=np.intp)

    def _learn(self, key, value):
        self._low = min(self._low, value)
        self._high = max(self._high, value)
        for k in range(len(key) + 1):
            node = key[:k]
            self._visits[node] = self._visits.get(node, 0) + 1
            self._energy_sum[node] = self._energy_sum.get(node, 0.0) + value

    def suggest(self):
        """The next configuration to evaluate.

        Returns
        -------
        sites : ndarray of shape (n_solutes,)
            Occupied site indices, increasing.
        """
        return super().suggest()

    def observe(self, configurations, values):
        """Record the energies of evaluated configurations.

        Parameters
        ----------
        configurations : array-like of shape (n_solutes,) or (n, n_solutes)
            One configuration or several (site indices, any order).
        values : float or array-like of shape (n,)
            Their energies; NaN or inf marks a failed calculation, which is
            recorded and never proposed again.

        Returns
        -------
        self : MonteCarloTreeSearch
            The object itself, for chaining calls.
        """
        configs = np.asarray(configurations)
        if configs.ndim == 1:
            configs = configs.reshape(1, -1)
        if configs.ndim != 2:
            raise ValueError(
                "configurations must be one configuration (1-D) or a 2-D array "
                f"of them; got shape {configs.shape}."
            )
        vals = np.atleast_1d(np.asarray(values, dtype=np.float64))
        keys = [self._key(c) for c in configs]
        if len(vals) != len(keys):
            raise ValueError(
                f"got {len(keys)} configurations but {len(vals)} values; give "
                "one value per configuration."
            )
        self._check_new(keys)
        for key in keys:
            if key not in self._pending:
                self._take(key)
        return self._observe_keys(keys, vals.tolist())
