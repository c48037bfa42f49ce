"""ExecResult keeps what any sandbox reports; provider-specific facts live in ``details`` (issue 16)."""

from r1_core.protocols import ExecResult, Verdict

# a result as routers answered before issue 16 (model_dump of the old ExecResult)
LEGACY = {"verdict": "OK", "exit_code": 0, "signal": None, "cpu_time_s": 0.01, "wall_time_s": 0.02,
          "peak_memory_bytes": 1 << 20, "stdout": "1\n", "stderr": "", "compile_output": "",
          "compile_time_s": 0.0, "cached_compile": True, "files": {}, "provider": "local",
          "tier": "strict", "message": "", "id": "a"}


def test_old_router_answers_still_parse_and_fold_into_details():
    result = ExecResult.model_validate(LEGACY)
    assert (result.verdict, result.stdout, result.id) == (Verdict.OK, "1\n", "a")
    assert result.details == {"tier": "strict", "cached_compile": True}
    assert "cached_compile" not in result.model_dump()
    # tier stays readable where architecture.md's result format names it: a view of details
    assert result.tier == result.model_dump()["tier"] == "strict"
    assert ExecResult(verdict=Verdict.OK).tier == ""


def test_the_old_defaults_say_nothing_and_new_details_win():
    assert ExecResult.model_validate({**LEGACY, "tier": "", "cached_compile": False}).details == {}
    both = ExecResult.model_validate({**LEGACY, "details": {"tier": "rootless"}})
    assert both.details == {"tier": "rootless", "cached_compile": True}


def test_details_round_trip_through_json():
    result = ExecResult(verdict=Verdict.CE, compile_output="error", details={"tier": "strict", "x": [1]})
    assert ExecResult.model_validate_json(result.model_dump_json()) == result


def test_no_provider_specific_field_at_the_top_level():
    assert not {"tier", "cached_compile"} & set(ExecResult.model_fields)
