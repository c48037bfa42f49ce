import json

import pytest
from r1_core import list_entries

BENCHMARKS = ["aime24", "aime25", "math_500", "gpqa_diamond", "lcb"]


def _read_jsonl(path):
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _check_results(res, *, benchmark, model, n, problems, backend):
    assert res["benchmark"] == benchmark
    assert res["model"] == model and res["backend"] == backend
    assert res["num_problems"] == problems and res["num_samples"] == n
    assert list(res["metrics"]) == [f"pass@{k}" for k in range(1, n + 1)]
    for m in res["metrics"].values():
        assert 0 <= m["ci95"][0] <= m["value"] <= m["ci95"][1] <= 1
    assert res["sampling"] == {"n": n, "temperature": 0.7, "top_p": 0.9, "max_new_tokens": 8, "seed": 3}
    assert res["source"]["bundled"] is True and res["revision"].startswith("r1-sample-sha256:")
    assert res["first_prompt"][-1]["role"] == "user"
    assert {"r1-core", "r1-cli", "transformers", "python"} <= set(res["versions"])
    assert "bootstrap" in res["ci_method"]


@pytest.mark.parametrize("benchmark", BENCHMARKS)
def test_eval_bundled_sample_end_to_end(r1, tiny_model, tmp_path, benchmark):
    out = tmp_path / "run"
    result = r1("eval", benchmark, "--model", tiny_model, "--num-samples", 2, "--limit", 2,
                "--max-new-tokens", 8, "--temperature", 0.7, "--top-p", 0.9, "--seed", 3,
                "--offline", "--output-dir", out, "--json")
    assert result.code == 0, result.err
    res = result.json()
    _check_results(res, benchmark=benchmark, model=tiny_model, n=2, problems=2, backend="transformers")
    assert json.loads((out / "results.json").read_text()) == res
    details = _read_jsonl(out / "details.jsonl")
    assert [(d["problem"], d["sample"]) for d in details] == [(0, 0), (0, 1), (1, 0), (1, 1)]
    for d in details:
        assert isinstance(d["completion"], str) and d["score"] in (0.0, 1.0)
        assert d["finish_reason"] in ("stop", "length")
    # The scores in the details are the ones pass@1 is computed from.
    assert res["metrics"]["pass@1"]["value"] == pytest.approx(sum(d["score"] for d in details) / 4)


def test_cp_benchmarks_run_through_the_same_path(r1, tiny_model, tmp_path):
    cp = [e.name for e in list_entries("benchmarks") if e.name in ("ioi", "codeforces", "usaco")]
    assert cp, "r1-cp registers its benchmarks"
    result = r1("eval", cp[0], "--model", tiny_model, "--limit", 1, "--max-new-tokens", 8, "--temperature",
                0.7, "--top-p", 0.9, "--seed", 3, "--offline", "--output-dir", tmp_path, "--json")
    assert result.code == 0, result.err
    assert result.json()["benchmark"] == cp[0] and "pass@1" in result.json()["metrics"]


def test_eval_openai_backend_against_a_loopback_server(r1, openai_server, tmp_path):
    result = r1("eval", "math_500", "--model", "tiny", "--backend", "openai", "--base-url", openai_server,
                "--num-samples", 3, "--limit", 2, "--max-new-tokens", 8, "--temperature", 0.7,
                "--top-p", 0.9, "--seed", 3, "--offline", "--output-dir", tmp_path, "--json")
    assert result.code == 0, result.err
    res = result.json()
    _check_results(res, benchmark="math_500", model="tiny", n=3, problems=2, backend="openai")
    assert len(_read_jsonl(tmp_path / "details.jsonl")) == 6


def test_eval_table_output(r1, tiny_model, tmp_path):
    result = r1("eval", "aime24", "--model", tiny_model, "--limit", 1, "--max-new-tokens", 4, "--offline",
                "--output-dir", tmp_path)
    assert result.code == 0, result.err
    assert "pass@1" in result.out and "results.json" in result.out


@pytest.mark.parametrize(("args", "fragment"), [
    (["eval", "nope", "--model", "m"], "nope"),
    (["eval", "aime24", "--model", "m", "--backend", "bogus"], "bogus"),
    (["eval", "aime24", "--model", "m", "--num-samples", "0"], "--num-samples"),
    (["eval", "aime24", "--model", "m", "--temperature", "-1"], "--temperature"),
    (["eval", "aime24", "--model", "m", "--backend", "vllm"], "pip install"),
    (["eval", "aime24", "--model", "m", "--backend", "openai"], "--base-url"),
    (["eval", "aime24", "--model", "/no/such/model"], "/no/such/model"),
    (["eval", "aime24"], "--model"),
    (["eval", "lcb", "--model", "m", "-o", "start_date=2024-13-01"], "YYYY-MM-DD"),
    (["eval", "lcb", "--model", "m", "-o", "no_such_option=1"], "no_such_option"),
    (["eval", "lcb", "--model", "m", "-o", "start_date"], "KEY=VALUE"),
])
def test_eval_user_errors_are_one_line_exit_2(r1, args, fragment, monkeypatch):
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    result = r1(*args)
    assert result.code == 2
    assert fragment in result.err
    assert len(result.err.strip().splitlines()) == 1, result.err
    assert "Traceback" not in result.err


def test_eval_revision_is_passed_to_the_benchmark_and_recorded(r1, tiny_model, tmp_path):
    result = r1("eval", "aime24", "--model", tiny_model, "--revision", "0123abc", "--limit", 1,
                "--max-new-tokens", 2, "--offline", "--output-dir", tmp_path, "--json")
    assert result.code == 0, result.err
    assert result.json()["benchmark_options"] == {"revision": "0123abc"}


def test_eval_options_reach_the_benchmark_and_are_recorded(r1, tiny_model, tmp_path):
    result = r1("eval", "lcb", "--model", tiny_model, "-o", "start_date=2024-10-01",
                "-o", "end_date=2024-12-31", "--max-new-tokens", 2, "--offline", "--output-dir", tmp_path,
                "--json")
    assert result.code == 0, result.err
    data = result.json()
    assert data["benchmark_options"] == {"start_date": "2024-10-01", "end_date": "2024-12-31"}
    assert data["num_problems"] == 1


def test_eval_openai_server_down_is_one_line(r1, tmp_path):
    result = r1("eval", "aime24", "--model", "tiny", "--backend", "openai", "--base-url",
                "http://127.0.0.1:9/v1", "--limit", 1, "--offline", "--output-dir", tmp_path)
    assert result.code == 2
    assert "127.0.0.1:9" in result.err and len(result.err.strip().splitlines()) == 1
