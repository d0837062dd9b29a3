"""scikit-learn's estimator checks on every public estimator of skspectra."""

import pytest
from sklearn.base import TransformerMixin
from sklearn.utils.estimator_checks import (
    check_global_output_transform_pandas,
    check_param_validation,
    check_set_output_transform_pandas,
    parametrize_with_checks,
)

from skspectra.utils._test_common import (
    construct_instances,
    get_expected_failed_checks,
)
from skspectra.utils.discovery import all_estimators

ESTIMATORS = list(construct_instances())


def _id(estimator):
    return type(estimator).__name__


@parametrize_with_checks(
    ESTIMATORS,
    expected_failed_checks=get_expected_failed_checks,
    xfail_strict=True,
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=_id)
def test_param_validation(estimator):
    check_param_validation(type(estimator).__name__, estimator)


TRANSFORMERS = [e for e in ESTIMATORS if isinstance(e, TransformerMixin)]


@pytest.mark.parametrize("estimator", TRANSFORMERS, ids=_id)
def test_set_output_pandas(estimator):
    pytest.importorskip("pandas")
    name = type(estimator).__name__
    check_set_output_transform_pandas(name, estimator)
    check_global_output_transform_pandas(name, estimator)


def test_all_estimators_are_checked():
    # every discovered estimator has a fast-settings entry, so that adding an
    # estimator without thinking about the check settings is noticed
    from skspectra.utils._test_common import INIT_PARAMS

    missing = [name for name, _ in all_estimators() if name not in INIT_PARAMS]
    assert not missing, f"add {missing} to INIT_PARAMS in utils/_test_common.py"
