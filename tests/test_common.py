"""scikit-learn's estimator checks on every public estimator of skspectra."""

import pytest
from _estimator_settings import (
    EXPECTED_FAILED_CHECKS,
    INIT_PARAMS,
    PANDAS_INDEX_CHANGES,
    construct_instances,
    get_expected_failed_checks,
)
from sklearn.base import TransformerMixin
from sklearn.utils.estimator_checks import (
    check_global_output_transform_pandas,
    check_param_validation,
    check_set_output_transform_pandas,
    estimator_checks_generator,
    parametrize_with_checks,
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
    if type(estimator) in PANDAS_INDEX_CHANGES:
        # the check builds the expected frame on the input's index
        with pytest.raises(ValueError, match="indices imply"):
            check_set_output_transform_pandas(name, estimator)
        return
    check_set_output_transform_pandas(name, estimator)
    check_global_output_transform_pandas(name, estimator)


def test_all_estimators_are_checked():
    # every discovered estimator has a fast-settings entry, so that adding an
    # estimator without thinking about the check settings is noticed
    missing = [name for name, cls in all_estimators() if cls not in INIT_PARAMS]
    assert not missing, f"add {missing} to INIT_PARAMS in tests/_estimator_settings.py"


@pytest.mark.parametrize(
    "settings", ["INIT_PARAMS", "EXPECTED_FAILED_CHECKS"], ids=lambda s: s
)
def test_settings_have_no_stale_keys(settings):
    # a key that is no longer a discovered estimator (renamed, removed, made
    # private) would silently configure nothing
    discovered = {cls for _, cls in all_estimators()}
    stale = [cls for cls in globals()[settings] if cls not in discovered]
    where = "tests/_estimator_settings.py"
    assert not stale, f"{settings} in {where} has stale keys {stale}"


@pytest.mark.parametrize(
    "estimator",
    [e for e in ESTIMATORS if type(e) in EXPECTED_FAILED_CHECKS],
    ids=_id,
)
def test_expected_failures_name_existing_checks(estimator):
    # xfail_strict catches an excused check that now passes; this catches an
    # excused check that is no longer run at all (renamed in scikit-learn)
    run = {
        getattr(check, "func", check).__name__
        for _, check in estimator_checks_generator(estimator, legacy=True)
    }
    unknown = set(get_expected_failed_checks(estimator)) - run
    assert not unknown, f"{_id(estimator)}: no such check {sorted(unknown)}"
