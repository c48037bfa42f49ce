"""One languages table for the local sandbox and the cloud VMs (issue 16): the cloud runner has no
table of its own, the host sends it the command lines built from r1_sandbox.languages."""

import ast
import json
import shutil
import subprocess
import sys

import pytest
from r1_core import ExecRequest, SandboxError, Verdict
from r1_sandbox import cloud
from r1_sandbox.languages import LANGUAGES, LOCAL_LANGUAGES, language

_BODY = '{\n#ifdef ONLINE_JUDGE\nputs("judge");\n#else\nputs("plain");\n#endif\n}\n'
ONLINE_JUDGE = {"cpp": "#include <cstdio>\nint main()" + _BODY,
                "c": "#include <stdio.h>\nint main(void)" + _BODY}


def _runner_strings() -> set[str]:
    tree = ast.parse(cloud.runner_source())
    docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                  if isinstance(n, (ast.Module, ast.FunctionDef)) and n.body
                  and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    return {n.value for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docstrings}


def test_the_runner_has_no_language_table():
    strings = _runner_strings()
    table = {*cloud.VM_TOOLS.values(), *(f for lang in LANGUAGES.values() for f in lang.default_flags),
             *(lang.default_source_name for lang in LANGUAGES.values())}
    assert not strings & table, strings & table
    assert not {"python", "cpp", "c", "java", "javascript"} & strings


@pytest.mark.parametrize("name", sorted(LANGUAGES))
def test_every_language_of_the_table_has_a_cloud_plan_with_the_tables_flags(name):
    lang = LANGUAGES[name]
    plan = cloud.program_plan(ExecRequest(language=name, source="class Main {}"))
    assert plan["language"] == name and plan["address_space_limit"] == lang.address_space_limit
    if lang.compiled:
        argv = plan["compile_argv"]
        assert argv[0] == cloud.VM_TOOLS[lang.compiler]
        assert argv[1:1 + len(lang.default_flags)] == list(lang.default_flags)
    else:
        assert plan["compile_argv"] is None and plan["run_argv"][0] == cloud.VM_TOOLS[lang.runner]


def test_the_cloud_judges_c_and_cpp_as_locally_and_runs_java():
    assert all("-DONLINE_JUDGE" in LANGUAGES[name].default_flags for name in ("cpp", "c"))
    assert {"python", "cpp", "c", "java"} <= set(LOCAL_LANGUAGES) <= set(LANGUAGES)
    for name in ("java", "js", "node"):
        assert cloud.program_plan(ExecRequest(language=name, source="x"))  # aliases from the one table
    assert language("javascript", local=True) is None  # the cloud VMs' alone


def test_an_unknown_language_is_refused_before_a_vm_is_started():
    with pytest.raises(SandboxError, match="unknown language 'cobol'"):
        cloud.job_json(ExecRequest(language="cobol", source="x"))


def _run_in_fake_vm(tmp_path, request: ExecRequest):
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "runner.py").write_text(cloud.runner_source())
    (tmp_path / "job.json").write_text(cloud.job_json(request, isolate_network=False))
    proc = subprocess.run([sys.executable, str(tmp_path / "runner.py"), str(tmp_path / "job.json"),
                           str(tmp_path / "work")], capture_output=True, text=True, timeout=120)
    return cloud.result_from_report(cloud.parse_report(proc.stdout), request, provider="fake")


@pytest.mark.parametrize("name", ["cpp", "c"])
def test_the_runner_compiles_with_online_judge_defined_unless_flags_are_given(tmp_path, name):
    compiler = cloud.VM_TOOLS[LANGUAGES[name].compiler]
    if shutil.which(compiler) is None:
        pytest.fail(f"{compiler} is needed for this test")
    judged = _run_in_fake_vm(tmp_path / "a", ExecRequest(language=name, source=ONLINE_JUDGE[name]))
    assert (judged.verdict, judged.stdout) == (Verdict.OK, "judge\n"), judged
    own = _run_in_fake_vm(tmp_path / "b", ExecRequest(language=name, source=ONLINE_JUDGE[name],
                                                      compile_flags=["-O2"]))
    assert (own.verdict, own.stdout) == (Verdict.OK, "plain\n"), own


@pytest.mark.skipif(shutil.which("javac") is None, reason="Java is optional: no JDK on this machine")
def test_the_runner_runs_java_with_the_public_class_as_main(tmp_path):
    source = ("public class Solution {\n  public static void main(String[] a) {\n"
              "    System.out.println(Helper.twice(21));\n  }\n}\n")
    helper = "class Helper { static int twice(int x) { return 2 * x; } }\n"
    request = ExecRequest(language="java", source=source, time_limit_s=5, files={"Helper.java": helper})
    result = _run_in_fake_vm(tmp_path, request)
    assert (result.verdict, result.stdout) == (Verdict.OK, "42\n"), result
    assert json.loads(cloud.job_json(request))["program"]["main"] == "Solution.java"
