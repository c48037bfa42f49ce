"""Test cases kept on the Hub need r1-cp[hub]; without it the error names that extra."""

import sys

import pytest
from r1_core.errors import MissingExtraError
from r1_cp import testcase_store


def test_ioi_hub_tests_without_datasets_name_the_extra(monkeypatch):
    testcase_store.ioi_tests_for_year.cache_clear()
    monkeypatch.setitem(sys.modules, "datasets", None)
    with pytest.raises(MissingExtraError) as err:
        testcase_store.ioi_tests_for_year("2024")
    assert 'pip install "r1-cp[hub]"' in str(err.value)


def test_codeforces_parquet_without_pyarrow_names_the_extra(monkeypatch, tmp_path):
    (tmp_path / "test_cases_0001.parquet").write_bytes(b"PAR1")
    monkeypatch.setenv(testcase_store.CF_TESTS_ENV, str(tmp_path))
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    testcase_store._contest_tests.cache_clear()
    with pytest.raises(MissingExtraError) as err:
        testcase_store.codeforces_generated_tests("1/A")
    assert "r1-cp[hub]" in str(err.value)
