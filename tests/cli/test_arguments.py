"""The analysis commands check their own arguments up front (issue 16; they ended in tracebacks).

Every case is refused before any simulation, in one ``PROG: error:`` line naming the argument
and what is allowed, exit status 2; a file of the user's named as the output folder is kept.
"""

from __future__ import annotations

import pytest

from sim.cli import calibrate, compare, sensitivity, validate

CASES = [
    (validate, ["OUT", "--seeds", "-1"], ["--seeds", "-1 is out of range", ">= 0"]),
    (validate, ["OUT", "--seeds", "x"], ["--seeds", "'x' is not a whole number"]),
    (validate, ["FILE"], ["OUT_DIR", "FILE: cannot write (it is a file, not a folder)"]),
    (validate, ["OUT", "--override", "sede=3"], ["sede", "did you mean 'seed'?"]),
    (validate, ["OUT", "--override", "persons_per_agent=0"], ["persons_per_agent", "> 0"]),
    (calibrate, ["--out", "OUT", "--persons-per-agent", "0"], ["--persons-per-agent", ">= 1"]),
    (calibrate, ["--out", "OUT", "--tolerance", "-1"], ["--tolerance", "(0, 1)"]),
    (calibrate, ["--out", "OUT", "--tolerance", "nan"], ["--tolerance", "out of range"]),
    (calibrate, ["--out", "OUT", "--grid", "0.05", "7"], ["--grid", "7 is out of range"]),
    (calibrate, ["--out", "OUT", "--moment-years", "0"], ["--moment-years", "from 1 to 10"]),
    (calibrate, ["--out", "OUT", "--seeds", "-2"], ["--seeds", ">= 0"]),
    (calibrate, ["--out", "FILE"], ["--out", "it is a file"]),
    (sensitivity, ["OUT", "--trajectories", "0"], ["--trajectories", ">= 2"]),
    (sensitivity, ["OUT", "--levels", "1"], ["--levels", ">= 2"]),
    (sensitivity, ["OUT", "--sobol-n", "3"], ["--sobol-n", "not a power of two"]),
    (sensitivity, ["OUT", "--n-jobs", "0"], ["--n-jobs", "-1 for every core"]),
    (sensitivity, ["OUT", "--top", "0"], ["--top", "0 is out of range"]),
    (sensitivity, ["OUT", "--seed", "-1"], ["--seed", ">= 0"]),
    (sensitivity, ["FILE"], ["OUT_DIR", "it is a file"]),
    (compare, ["/nonexistent/sweep"], ["/nonexistent/sweep is not a folder"]),
    (compare, ["OUT", "--baseline", "="], ["--baseline '='", "KEY=VALUE"]),
    (compare, ["OUT", "--out", "FILE"], ["--out", "it is a file"]),
]


@pytest.mark.parametrize(
    ("command", "argv", "words"),
    CASES,
    ids=[f"{c.__name__.rsplit('.', 1)[1]} {' '.join(a)}" for c, a, _ in CASES],
)
def test_a_bad_argument_is_one_line_and_exit_2(command, argv, words, tmp_path, capsys):
    (tmp_path / "OUT").mkdir()
    (tmp_path / "FILE").write_text("the user's\n")
    real = [str(tmp_path / a) if a in ("OUT", "FILE") else a for a in argv]
    with pytest.raises(SystemExit) as stopped:
        raise SystemExit(command.main(real))
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if "error:" in line]
    assert len(errors) == 1, err
    for word in words:
        assert word in errors[0], err
    assert (tmp_path / "FILE").read_text() == "the user's\n"
    assert list((tmp_path / "OUT").iterdir()) == []  # nothing written


def test_compare_refuses_a_group_by_key_no_run_has(run, tmp_path, capsys):
    from sim.runs.output import write_run

    short = ("end_year=2021", "persons_per_agent=20000", "output.figures=false")
    for seed in (0, 1):
        write_run(
            run(*short, f"seed={seed}"),
            tmp_path / f"baseline_seed{seed}",
            extra_provenance={"overrides": [*short, f"seed={seed}"]},
        )
    assert compare.main([str(tmp_path), "--group-by", "nonsense", "--no-figures"]) == 2
    err = capsys.readouterr().err
    assert "--group-by: nonsense is not an override of the runs" in err
    assert "allowed: end_year, output.figures, persons_per_agent, seed" in err
    assert not (tmp_path / "comparison").exists()


def test_the_argument_types_accept_the_defaults():
    from sim.cli.arguments import jobs, number, power_of_two, whole

    assert whole(0)("3") == 3 and number(0, 1)("0.5") == 0.5
    assert power_of_two()("64") == 64 and jobs("-1") == -1 and jobs("2") == 2


def test_an_output_folder_that_does_not_exist_yet_is_fine(tmp_path):
    from sim.runs.folders import check_output_folder

    check_output_folder(tmp_path / "new" / "deeper", run=False)
    assert list(tmp_path.iterdir()) == []  # checking creates nothing
