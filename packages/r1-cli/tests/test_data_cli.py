import json
from pathlib import Path

import pytest
import yaml


def _read_jsonl(path):
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]


def _write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.fixture
def sources(tmp_path):
    a = _write_jsonl(tmp_path / "a.jsonl", [{"problem": f"a{i}", "solution": str(i), "extra": i}
                                             for i in range(10)])
    b = _write_jsonl(tmp_path / "b.jsonl", [{"problem": f"b{i}", "solution": str(i)} for i in range(20)])
    return a, b


def test_mix_weights_are_fractions_of_each_source(r1, sources, tmp_path):
    a, b = sources
    cfg = tmp_path / "mix.yaml"
    cfg.write_text(f"""dataset_mixture:
  datasets:
    - id: {a}
      columns: [problem, solution]
      weight: 0.5
    - id: {b}
      columns: [problem, solution]
      weight: 0.25
  seed: 42
  test_split_size: 0.2
""")
    result = r1("data", "mix", "--config", cfg, "--output", tmp_path / "out", "--json")
    assert result.code == 0, result.err
    report = result.json()
    assert [s["rows"] for s in report["sources"]] == [5, 5]
    assert (report["train"], report["test"]) == (8, 2)
    train = _read_jsonl(tmp_path / "out" / "train.jsonl")
    test = _read_jsonl(tmp_path / "out" / "test.jsonl")
    assert len(train) == 8 and len(test) == 2
    rows = train + test
    assert all(set(r) == {"problem", "solution"} for r in rows)
    assert sum(r["problem"].startswith("a") for r in rows) == 5
    assert len({r["problem"] for r in rows}) == 10
    # Same seed, same mixture.
    assert r1("data", "mix", "--config", cfg, "--output", tmp_path / "again").code == 0
    assert _read_jsonl(tmp_path / "again" / "train.jsonl") == train


def test_mix_without_weights_or_test_split_keeps_everything(r1, sources, tmp_path):
    a, b = sources
    cfg = tmp_path / "mix.yaml"
    cfg.write_text(f"datasets:\n  - id: {a}\n    columns: [problem]\n  - id: {b}\n    columns: [problem]\n")
    result = r1("data", "mix", "--config", cfg, "--output", tmp_path / "out", "--json")
    assert result.code == 0, result.err
    assert (result.json()["train"], result.json()["test"]) == (30, 0)
    assert not (tmp_path / "out" / "test.jsonl").exists()


@pytest.mark.parametrize(("yaml_text", "fragment"), [
    ("datasets: []\n", "at least one dataset"),
    ("datasets:\n  - id: A\n  - id: B\n", "columns"),  # a has `extra`, b has not
    ("datasets:\n  - id: A\n    columns: [nope]\n", "nope"),
    ("datasets:\n  - id: A\n    wieght: 0.5\n", "wieght"),
])
def test_mix_errors_are_one_line(r1, sources, tmp_path, yaml_text, fragment):
    a, b = sources
    cfg = tmp_path / "mix.yaml"
    cfg.write_text(yaml_text.replace("id: A", f"id: {a}").replace("id: B", f"id: {b}"))
    result = r1("data", "mix", "--config", cfg, "--output", tmp_path / "out")
    assert result.code == 2, result.err
    assert fragment in result.err and len(result.err.strip().splitlines()) == 1, result.err


def test_generate_is_concurrent_and_resumable(r1, openai_server, tmp_path):
    rows = [{"id": i, "prompt": f"What is {i} + {i}?"} for i in range(4)]
    data = _write_jsonl(tmp_path / "in.jsonl", rows)
    out = tmp_path / "gen.jsonl"
    args = ["data", "generate", "--dataset", data, "--model", "tiny", "--base-url", openai_server,
            "--output", out, "--num-generations", 2, "--max-new-tokens", 6, "--concurrency", 3,
            "--prompt-template", "Solve: {prompt} (row {id})", "--json"]
    first = r1(*args, "--limit", 2)
    assert first.code == 0, first.err
    assert first.json() | {"output": None} == {"rows": 2, "skipped": 0, "written": 2, "failed": 0,
                                              "errors": [], "output": None}
    # A crash mid-write leaves a torn last line: it is dropped and the row is generated again.
    with out.open("a") as fh:
        fh.write('{"id": 99, "gener')
    second = r1(*args)
    assert second.code == 0, second.err
    assert (second.json()["skipped"], second.json()["written"]) == (2, 2)
    written = _read_jsonl(out)
    assert sorted(r["id"] for r in written) == [0, 1, 2, 3]
    for r in written:
        assert len(r["generations"]) == 2 and len(r["finish_reasons"]) == 2
        assert r["api_metadata"]["completion_tokens"] >= 0 and r["r1_key"]
    third = r1(*args)
    assert (third.json()["skipped"], third.json()["written"]) == (4, 0)


def test_generate_errors(r1, tmp_path):
    data = _write_jsonl(tmp_path / "in.jsonl", [{"prompt": "x"}])
    down = r1("data", "generate", "--dataset", data, "--model", "tiny", "--base-url",
              "http://127.0.0.1:9/v1", "--output", tmp_path / "o.jsonl", "--retries", 0)
    assert down.code == 2 and "every request failed" in down.err
    bad = r1("data", "generate", "--dataset", data, "--model", "tiny", "--base-url", "http://127.0.0.1:9/v1",
             "--output", tmp_path / "o.jsonl", "--prompt-template", "{missing}")
    assert bad.code == 2 and "--prompt-template" in bad.err and len(bad.err.strip().splitlines()) == 1


def test_filter_pass_rate_keeps_the_middle(r1, openai_server, tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(Path(__file__).parent))
    rows = [{"problem": f"q{i}", "p": p} for i, p in enumerate([0.0, 0.05, 0.5, 0.9, 1.0, 0.3])]
    data = _write_jsonl(tmp_path / "in.jsonl", rows)
    result = r1("data", "filter-pass-rate", "--dataset", data, "--model", "tiny", "--backend", "openai",
                "--base-url", openai_server, "--reward", "pass_rate_rewards:column_p", "--num-samples", 2,
                "--max-new-tokens", 4, "--min", 0.1, "--max", 0.9, "--output", tmp_path / "out", "--json")
    assert result.code == 0, result.err
    report = result.json()
    assert report["pass_rates"] == [0.0, 0.05, 0.5, 0.9, 1.0, 0.3]
    assert report["kept_indices"] == [2, 5] and report["kept"] == 2
    kept = _read_jsonl(tmp_path / "out" / "filtered.jsonl")
    assert [r["problem"] for r in kept] == ["q2", "q5"]
    everything = _read_jsonl(tmp_path / "out" / "generations.jsonl")
    assert all(len(r["pass_rate_generations"]) == 2 for r in everything)


def test_filter_pass_rate_with_a_registered_reward_and_local_model(r1, tiny_model, tmp_path):
    data = _write_jsonl(tmp_path / "in.jsonl", [{"problem": "1+1?", "solution": "$2$"}])
    result = r1("data", "filter-pass-rate", "--dataset", data, "--model", tiny_model, "--reward", "accuracy",
                "--num-samples", 2, "--max-new-tokens", 4, "--output", tmp_path / "out", "--json")
    assert result.code == 0, result.err
    assert result.json()["pass_rates"] == [0.0] and result.json()["kept"] == 0


@pytest.mark.parametrize(("extra", "fragment"), [
    (["--reward", "no_such_reward"], "no_such_reward"),
    (["--reward", "accuracy", "--min", "0.9", "--max", "0.1"], "--min"),
    (["--reward", "accuracy", "--column", "nope"], "nope"),
])
def test_filter_pass_rate_errors(r1, tmp_path, extra, fragment):
    data = _write_jsonl(tmp_path / "in.jsonl", [{"problem": "x"}])
    result = r1("data", "filter-pass-rate", "--dataset", data, "--model", "m", *extra,
                "--output", tmp_path / "o")
    assert result.code == 2, result.err
    assert fragment in result.err and len(result.err.strip().splitlines()) == 1, result.err


# An open-r1-shaped pass-rate filtering config (the keys of open-r1's recipes/dataset_filtering/*.yaml);
# model and data are filled in by each test.
FILTER_CONFIG = """\
model_name_or_path: {model}
model_revision: main
torch_dtype: bfloat16
attn_implementation: flash_attention_2
chat_template: "{{% for m in messages %}}{{{{ m['content'] }}}}{{% endfor %}}"
dataset_name: {data}
dataset_config: all
dataset_split: train
dataset_prompt_column: problem
system_prompt: "Think first."
max_completion_length: 4
num_generations: 2
temperature: 0.7
top_p: 0.95
reward_funcs:
- {reward}
reward_weights:
- 1.0
pass_rate_min: 0.1
pass_rate_max: 0.9
output_dataset_name: my-org/filtered
"""


def test_filter_pass_rate_runs_an_open_r1_config(r1, openai_server, tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(Path(__file__).parent))
    rows = [{"problem": f"q{i}", "p": p} for i, p in enumerate([0.0, 0.05, 0.5, 0.9, 1.0, 0.3])]
    data = _write_jsonl(tmp_path / "in.jsonl", rows)
    cfg = tmp_path / "filter.yaml"
    cfg.write_text(FILTER_CONFIG.format(model="tiny", data=data, reward="pass_rate_rewards:column_p"))
    serve = ["--backend", "openai", "--base-url", openai_server]
    result = r1("data", "filter-pass-rate", "--config", cfg, *serve, "--output", tmp_path / "out", "--json")
    assert result.code == 0, result.err
    report = result.json()
    assert report["kept_indices"] == [2, 5] and report["num_samples"] == 2
    assert report["sampling"]["max_new_tokens"] == 4 and report["sampling"]["top_p"] == 0.95
    # a flag given on the command line wins over the config
    result = r1("data", "filter-pass-rate", "--config", cfg, *serve, "--min", "0.4", "--output",
                tmp_path / "out2", "--json")
    assert result.code == 0, result.err
    assert result.json()["kept_indices"] == [2]


def test_filter_pass_rate_dry_run_reports_every_key(r1, tmp_path):
    cfg = tmp_path / "filter.yaml"
    cfg.write_text(FILTER_CONFIG.format(model="org/model", data="org/problems", reward="binary_code")
                   + "e2b_router_url: ip-10-0-0-2:8000\n")
    result = r1("data", "filter-pass-rate", "--config", cfg, "--dry-run", "--json")
    assert result.code == 0, result.err
    plan = result.json()
    assert set(plan["keys"]) == set(yaml.safe_load(cfg.read_text()))
    assert all(k["status"] in ("applied", "ignored") for k in plan["keys"].values())
    assert all(k["reason"] for k in plan["keys"].values() if k["status"] == "ignored")
    assert plan["settings"]["model"] == "org/model" and plan["settings"]["min_rate"] == 0.1
    # open-r1's default code_provider was e2b: a router URL alone routes the code reward to it
    assert plan["rewards"][0]["options"]["provider"] == "router"
    assert plan["rewards"][0]["options"]["provider_config"] == {"urls": ["http://ip-10-0-0-2:8000"]}
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("extra_yaml", "fragment"), [
    ("pass_rate_floor: 0.1\n", "unknown key 'pass_rate_floor'"),
    ("ioi_provider: piston\n", "'piston'"),
])
def test_filter_pass_rate_config_errors_are_one_line(r1, tmp_path, extra_yaml, fragment):
    cfg = tmp_path / "filter.yaml"
    cfg.write_text(FILTER_CONFIG.format(model="m", data="d/d", reward="ioi") + extra_yaml)
    result = r1("data", "filter-pass-rate", "--config", cfg, "--dry-run")
    assert result.code == 2, result.err
    assert fragment in result.err and len(result.err.strip().splitlines()) == 1, result.err


FILTERING = Path(__file__).resolve().parents[3] / "recipes" / "dataset_filtering"


@pytest.mark.parametrize("recipe", sorted(FILTERING.glob("*.yaml")), ids=lambda p: p.name)
def test_filtering_recipes_pass_dry_run(r1, recipe):
    result = r1("data", "filter-pass-rate", "--config", recipe, "--dry-run", "--json")
    assert result.code == 0, result.err
    plan = result.json()
    assert plan["settings"]["model"] and plan["settings"]["dataset"] and plan["rewards"]
