"""Cluster execution through ``profiles/slurm`` against a real single-node SLURM.

The session fixture uses a SLURM that answers ``sinfo`` already, or starts one with
``tests/slurm/setup_slurm.sh`` (Debian ``slurm-wlm`` + ``munge``, no accounting, no GPUs) and stops it with
``tests/slurm/stop_slurm.sh`` at the end. Without SLURM the SLURM tests skip, unless
``HYPERGCN_REQUIRE_SLURM=1`` (set by ``.ci/run``): then they fail, and the setup script may install the
packages (root + apt).

The main test runs the demo DAG's data stages and one short training through
``snakemake --workflow-profile profiles/slurm`` (a subprocess: the Python API reads no profile), cancels the
training job with ``scancel`` once its first checkpoint exists, and checks that Snakemake's retry resumed
it from that checkpoint, that every non-local job was a SLURM job, and that the sbatch flags of the real
submissions carry the profile's resources. The profile tests below it need no SLURM.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
PROFILE = REPO / "profiles" / "slurm"
MULTIGPU_PROFILE = REPO / "profiles" / "slurm-multigpu"
SETUP = REPO / "tests" / "slurm" / "setup_slurm.sh"
STOP = REPO / "tests" / "slurm" / "stop_slurm.sh"
SLURM_DIR = Path(os.environ.get("HYPERGCN_SLURM_DIR", "/tmp/hypergcn-slurm"))
REQUIRE = os.environ.get("HYPERGCN_REQUIRE_SLURM") == "1"

# The test node has no GPU and few cores: what the test overrides in the profile, nothing else.
TRAIN_MEM = "attempt * 2000"
TRAIN_THREADS = 2
EPOCHS = 3
TRAIN_DIR = "results/train/demo/xsub/base/joint"
TARGET = f"{TRAIN_DIR}/model.pt"
# A tiny demo: one setup, one camera, four subjects (xsub: 1, 2, 4 train, 3 test), one repetition.
DEMO_OVERLAY = {
    "run": ["demo"],
    "demo": {"setups": ["S001"], "subjects": [1, 2, 3, 4], "repetitions": 1, "cameras": [1]},
    "experiments": {"demo": {"benchmarks": ["xsub"], "sizes": ["base"], "modalities": ["joint"]}},
    "recipe_overrides": {
        "demo": {
            "epochs": EPOCHS,
            "batch_size": 8,
            "test_batch_size": 16,
            "warmup_epochs": 1,
            "lr_steps": [2],
            "window": 32,
            "num_workers": 0,
        }
    },
}
WATCHDOG_S = 540  # the whole SLURM run; measured 190-220 s on a busy 2-core machine


def _unavailable(message: str):
    if REQUIRE:
        pytest.fail(f"{message} (HYPERGCN_REQUIRE_SLURM=1)")
    pytest.skip(message)


def _sinfo_ok() -> bool:
    if not shutil.which("sinfo"):
        return False
    try:
        out = subprocess.run(["sinfo", "-h", "-o", "%t"], capture_output=True, text=True, timeout=15)
    except subprocess.TimeoutExpired:
        return False
    return out.returncode == 0 and any(s.strip("*~#") in {"idle", "mix", "alloc"} for s in out.stdout.split())


@pytest.fixture(scope="session")
def slurm_cluster():
    """A SLURM that answers sinfo: an existing one, or ours (started here and stopped at the end)."""
    started = False
    if not _sinfo_ok():
        have_daemons = all(shutil.which(b) for b in ("slurmctld", "slurmd", "munged"))
        if not have_daemons and not REQUIRE:
            pytest.skip(
                "SLURM is not installed (apt-get install slurm-wlm munge; see tests/slurm/setup_slurm.sh)"
            )
        if os.geteuid() != 0:
            _unavailable("starting a test SLURM needs root")
        proc = subprocess.run(["bash", str(SETUP)], capture_output=True, text=True, timeout=900)
        if proc.returncode != 0:
            _unavailable(f"tests/slurm/setup_slurm.sh failed:\n{proc.stdout}\n{proc.stderr}")
        for line in proc.stdout.splitlines():
            if line.startswith("SLURM_CONF="):
                os.environ["SLURM_CONF"] = line.split("=", 1)[1]
        started = "started slurmctld" in proc.stderr
        if not _sinfo_ok():
            _unavailable(f"SLURM started but sinfo shows no usable node:\n{proc.stderr}")
    yield {"started_here": started}
    if started:
        subprocess.run(["bash", str(STOP)], capture_output=True, text=True, timeout=120)


# --------------------------------------------------------------------------------------------------------
# helpers


def _profile(path: Path = PROFILE) -> dict[str, Any]:
    return yaml.safe_load((path / "config.yaml").read_text())


def _evaluate(value: Any, attempt: int) -> Any:
    """A profile resource at a given attempt ("attempt * 60" -> 60 * attempt)."""
    if isinstance(value, str) and "attempt" in value:
        return eval(value, {"__builtins__": {}}, {"attempt": attempt})  # noqa: S307 - our own profile
    return value


def _node_overrides(profile: dict[str, Any]) -> list[str]:
    """--set-resources replacing the profile's whole set-resources: the same entries, with what this GPU-less,
    small node cannot give changed (gpu 0, a little memory). Everything else stays the profile's."""
    resources = {rule: dict(values) for rule, values in (profile.get("set-resources") or {}).items()}
    for values in resources.values():
        if "gpu" in values:
            values["gpu"] = 0
    resources["train_model"]["mem_mb"] = TRAIN_MEM
    return [f"{rule}:{key}={value}" for rule, values in resources.items() for key, value in values.items()]


def _resource(profile: dict[str, Any], rule: str, key: str, attempt: int) -> Any:
    if rule == "train_model" and key == "mem_mb":
        value = TRAIN_MEM
    else:
        value = (
            (profile.get("set-resources") or {}).get(rule, {}).get(key, profile["default-resources"].get(key))
        )
    return _evaluate(value, attempt)


def _snakemake_cmd(workdir: Path, overlay: Path, profile: dict[str, Any], *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "snakemake",
        "--snakefile", str(REPO / "Snakefile"),
        "--directory", str(workdir),
        "--workflow-profile", str(PROFILE),
        "--configfile", str(overlay),
        "--set-resources", *_node_overrides(profile),
        "--set-threads", f"train_model={TRAIN_THREADS}",
        *extra,
    ]  # fmt: skip


def _squeue(*args: str) -> str:
    return subprocess.run(["squeue", "-h", *args], capture_output=True, text=True, timeout=30).stdout


def _stop(proc: subprocess.Popen) -> None:
    """SIGINT (Snakemake ignores SIGTERM while polling SLURM, and SIGINT cancels its jobs), then kill."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _own_lines(text: str) -> str:
    """The Snakemake log without the job logs it quotes (show-failed-logs: "Logfile X:" then a block between
    lines of 80 "="; a quoted SLURM job log may quote the rule log in turn)."""
    lines, kept, depth, bar = text.splitlines(), [], 0, "=" * 80
    i = 0
    while i < len(lines):
        if re.match(r"^Logfile .*:$", lines[i]) and i + 1 < len(lines) and lines[i + 1] == bar:
            depth, i = depth + 1, i + 2
            continue
        if depth and lines[i] == bar:
            depth -= 1
        elif not depth:
            kept.append(lines[i])
        i += 1
    return "\n".join(kept)


def _parse_log(text: str) -> dict[str, Any]:
    """Jobs, local rules, SLURM submissions and sbatch calls from a --verbose Snakemake log."""
    text = _own_lines(text)
    finished = {int(j): rule for j, rule in re.findall(r"Finished jobid: (\d+) \(Rule: (\w+)\)", text)}
    local_rules = set(re.findall(r"^localrule (\w+):", text, re.M))
    submitted: dict[int, list[str]] = {}
    for job, slurm_id in re.findall(r"Job (\d+) has been submitted with SLURM jobid (\d+)", text):
        submitted.setdefault(int(job), []).append(slurm_id)
    calls = re.findall(r"^sbatch call: (sbatch .*?) --wrap=", text, re.M)
    return {"finished": finished, "local": local_rules, "submitted": submitted, "calls": calls}


def _flags(call: str) -> dict[str, str]:
    """The options of one sbatch call that carry resources."""
    patterns = {
        "comment": r"--comment (\S+)",
        "time": r"(?:^| )-t (\S+)",
        "mem": r"--mem (\d+)",
        "cpus": r"--cpus-per-(?:task|gpu)=(\d+)",
        "gpus": r"--gpus=(\S+)",
        "partition": r"(?:^| )-p (\S+)",
        "account": r"(?:^| )-A (\S+)",
        "workdir": r"(?:^| )-D (\S+)",
    }
    return {key: m.group(1).strip("'") for key, p in patterns.items() if (m := re.search(p, call))}


# --------------------------------------------------------------------------------------------------------
# the SLURM test


@pytest.mark.slurm
def test_demo_on_slurm_scancel_resumes_from_checkpoint(slurm_cluster, tmp_path):
    t0 = time.monotonic()
    workdir = tmp_path / "work"
    workdir.mkdir()
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text(yaml.safe_dump(DEMO_OVERLAY))
    profile = _profile()
    assert profile["executor"] == "slurm" and int(profile["retries"]) >= 1
    log_path = tmp_path / "snakemake.log"
    cmd = [
        "timeout",
        "-s",
        "INT",
        str(WATCHDOG_S),
        *_snakemake_cmd(workdir, overlay, profile, "--verbose", TARGET),
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLURM_JOB", "SBATCH_", "SRUN_"))}

    with log_path.open("w") as log_file:
        proc = subprocess.Popen(cmd, stdout=log_file, stderr=subprocess.STDOUT, env=env, cwd=tmp_path)
        try:
            # 1. Wait for the first epoch checkpoint of the running training job, then scancel that job.
            checkpoints = workdir / TRAIN_DIR / "checkpoints"
            while not list(checkpoints.glob("epoch-*.pt")):
                assert proc.poll() is None, (
                    f"Snakemake ended before a checkpoint existed:\n{log_path.read_text()}"
                )
                assert time.monotonic() - t0 < WATCHDOG_S - 60, "no training checkpoint in time"
                time.sleep(0.2)
            t_checkpoint = time.monotonic() - t0
            first_checkpoint = sorted(p.name for p in checkpoints.glob("epoch-*.pt"))
            running = [
                line.split("|")
                for line in _squeue("-t", "RUNNING", "-o", "%i|%k").splitlines()
                if line.split("|")[1].startswith("rule_train_model")
            ]
            assert len(running) == 1, f"expected one running rule_train_model job, squeue: {running}"
            cancelled = running[0][0]
            subprocess.run(["scancel", cancelled], check=True, timeout=30)
            # 2. Snakemake sees the job CANCELLED, retries it (attempt 2), and the trainer resumes.
            rc = proc.wait(timeout=WATCHDOG_S)
        finally:
            _stop(proc)
    duration = time.monotonic() - t0
    text = log_path.read_text()
    assert rc == 0, f"snakemake exited {rc} (124: watchdog):\n{text[-6000:]}"

    # Every job that did not run locally was submitted to SLURM; the training job twice.
    parsed = _parse_log(text)
    finished, local_rules, submitted = parsed["finished"], parsed["local"], parsed["submitted"]
    remote = {job: rule for job, rule in finished.items() if rule not in local_rules}
    assert remote, text[-4000:]
    missing = {job: rule for job, rule in remote.items() if job not in submitted}
    assert not missing, f"jobs that finished without a SLURM submission: {missing}"
    remote_rules = set(remote.values())
    assert {"train_model", "build_benchmark"} <= remote_rules, remote_rules
    (train_job,) = [job for job, rule in finished.items() if rule == "train_model"]
    assert len(submitted[train_job]) == 2 and submitted[train_job][0] == cancelled, submitted
    assert re.search(rf"SLURM-job '{cancelled}' failed, SLURM status is: 'CANCELLED'", text)
    slurm_ids = [i for ids in submitted.values() for i in ids]

    # squeue (finished jobs stay visible for MinJobAge) confirms each job, its state, comment and limits.
    states = {}
    for line in _squeue("-t", "all", "-j", ",".join(slurm_ids), "-o", "%i|%T|%k|%l|%m|%C").splitlines():
        job_id, state, comment, limit, mem, cpus = line.split("|")
        states[job_id] = (state, comment, limit, mem, cpus)
    if states:  # a site SLURM with a short MinJobAge may have forgotten them already
        assert states[cancelled][0] == "CANCELLED", states
        assert all(s[0] == "COMPLETED" for i, s in states.items() if i != cancelled), states
    ctld_log = SLURM_DIR / "log" / "slurmctld.log"
    if slurm_cluster["started_here"] and ctld_log.exists():
        ctld = ctld_log.read_text()
        for slurm_id in slurm_ids:
            assert re.search(rf"_slurm_rpc_submit_batch_job: JobId={slurm_id}\b", ctld), slurm_id

    # The sbatch flags of the real submissions carry the profile's resources (attempt 2: the larger ones).
    calls = [_flags(call) for call in parsed["calls"]]
    assert len(calls) == len(slurm_ids), parsed["calls"]
    train_calls = [c for c in calls if c["comment"].startswith("rule_train_model")]
    assert len(train_calls) == 2
    for attempt, flags in enumerate(train_calls, start=1):
        assert flags["time"] == str(_resource(profile, "train_model", "runtime", attempt)), flags
        assert flags["mem"] == str(_resource(profile, "train_model", "mem_mb", attempt)), flags
        assert flags["cpus"] == str(TRAIN_THREADS) and "gpus" not in flags, flags
        assert flags["workdir"] == str(workdir), flags
    for flags in calls:
        rule = re.match(r"rule_([a-z_]+?)(?:_wildcards_.*)?$", flags["comment"]).group(1)
        if rule != "train_model":
            assert flags["time"] == str(_resource(profile, rule, "runtime", 1)), flags
            assert flags["mem"] == str(_resource(profile, rule, "mem_mb", 1)), flags

    # Outputs complete; the second attempt resumed from the checkpoint, not from epoch 0.
    for path in (TARGET, f"{TRAIN_DIR}/metrics.csv", "results/data/demo/xsub.h5"):
        assert (workdir / path).stat().st_size > 0, path
    rows = (workdir / TRAIN_DIR / "metrics.csv").read_text().splitlines()
    epochs = [int(row.split(",")[0]) for row in rows[1:]]
    assert epochs == list(range(1, EPOCHS + 1)), rows
    train_log = (workdir / "results/logs/train_model/demo/xsub/base/joint.log").read_text()
    resumed = re.search(r"resuming from checkpoint \S+: (\d+) of (\d+) epochs done", train_log)
    assert resumed, f"the retried training did not resume:\n{train_log}"
    done_before = int(resumed.group(1))
    assert 1 <= done_before < EPOCHS and int(resumed.group(2)) == EPOCHS, resumed.group(0)
    assert "starting from scratch" not in train_log
    assert not re.search(rf"epoch {done_before}/{EPOCHS} ", train_log), "the resumed run repeated an epoch"
    assert re.search(rf"epoch {EPOCHS}/{EPOCHS} ", train_log)

    # Nothing left to do.
    check = subprocess.run(
        _snakemake_cmd(workdir, overlay, profile, "-n", TARGET), capture_output=True, text=True, timeout=120
    )
    assert check.returncode == 0 and "Nothing to be done" in check.stdout + check.stderr, check.stderr[-3000:]

    evidence = [
        f"SLURM test: {duration:.0f} s (first checkpoint {first_checkpoint} at {t_checkpoint:.0f} s)",
        *(f"  job {job} {finished[job]}: SLURM {', '.join(ids)}" for job, ids in sorted(submitted.items())),
        f"  local rules: {sorted(local_rules)}",
        f"  scancel {cancelled} -> retried as {submitted[train_job][1]}; {resumed.group(0)}",
        *(f"  squeue {i}: {'|'.join(s)}" for i, s in sorted(states.items())),
        *(f"  {call}" for call in parsed["calls"]),
    ]
    print("\n".join(evidence))
    if os.environ.get("HYPERGCN_SLURM_EVIDENCE"):
        Path(os.environ["HYPERGCN_SLURM_EVIDENCE"]).write_text("\n".join(evidence) + "\n")


# --------------------------------------------------------------------------------------------------------
# the profiles, without SLURM


def _fake_reproduction_raw(workdir: Path) -> None:
    """config/reproduce.yaml's raw folders (relative to the working directory), one real file name each."""
    files = {
        "data/nturgbd_raw/nturgb+d_skeletons": "S001C001P001R001A001.skeleton",
        "data/nturgbd_raw/nturgb+d_skeletons120": "S018C001P008R001A061.skeleton",
        "data/NW-UCLA/all_sqe": "a01_s01_e00_v01.json",
    }
    for folder, name in files.items():
        (workdir / folder).mkdir(parents=True, exist_ok=True)
        (workdir / folder / name).touch()


def _dry_run(workdir: Path, profile: Path, *args: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), "--directory", str(workdir),
         "--workflow-profile", str(profile), "-n", *args],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


def _job_blocks(text: str, rule: str) -> list[str]:
    return [
        b
        for b in re.split(r"\n(?=\[\w{3} \w{3} +\d+ [\d:]+ \d{4}\]\n)", text)
        if re.search(rf"^(local)?rule {rule}:", b, re.M)
    ]


def test_slurm_profile_dry_run_lists_the_40_training_jobs(tmp_path):
    """`snakemake --workflow-profile profiles/slurm -n --configfile config/reproduce.yaml`: 32 NTU + 8 NW-UCLA
    trainings, each asking for the profile's GPU resources."""
    _fake_reproduction_raw(tmp_path)
    text = _dry_run(tmp_path, PROFILE, "--configfile", str(REPO / "config" / "reproduce.yaml"))
    assert re.search(r"^train_model\s+40$", text, re.M), text[-3000:]
    blocks = _job_blocks(text, "train_model")
    assert len(blocks) == 40
    datasets = [re.search(r"wildcards: dataset=(\w+)", b).group(1) for b in blocks]
    assert {d: datasets.count(d) for d in set(datasets)} == {"ntu60": 16, "ntu120": 16, "ucla": 8}
    train = _profile()["set-resources"]["train_model"]
    for block in blocks:
        resources = dict(re.findall(r"(\w+)=([^,\s]+)", re.search(r"resources: (.*)", block).group(1)))
        assert resources["gpu"] == str(train["gpu"]) and resources["cpus_per_gpu"] == str(
            train["cpus_per_gpu"]
        )
        assert resources["mem_mb"] == str(_evaluate(train["mem_mb"], 1))
        assert resources["runtime"] == str(_evaluate(train["runtime"], 1))


def test_multigpu_profile_differs_only_in_training_and_launches_torchrun(tmp_path):
    single, multi = _profile(PROFILE), _profile(MULTIGPU_PROFILE)
    single_train = single["set-resources"].pop("train_model")
    multi_train = multi["set-resources"].pop("train_model")
    assert single == multi, "profiles/slurm-multigpu must equal profiles/slurm except for train_model"
    assert multi_train["gpu"] == 4 and single_train["gpu"] == 1
    assert multi_train["cpus_per_gpu"] >= 1

    overlay = tmp_path / "overlay.yaml"
    overlay.write_text(yaml.safe_dump(DEMO_OVERLAY))
    text = _dry_run(tmp_path, MULTIGPU_PROFILE, TARGET, "--configfile", str(overlay))
    (block,) = _job_blocks(text, "train_model")
    assert re.search(r"\bgpu=4\b", block) and re.search(r"\bcpus_per_gpu=\d+", block), block
    # The rule switches to DDP when it gets more than one GPU.
    assert "torchrun --standalone --nproc-per-node=4 -m hypergcn train --run" in block, block


def test_sbatch_flags_for_the_gpu_profiles():
    """What the plugin submits for train_model on a real GPU cluster (the SLURM test runs it with gpu=0)."""
    try:
        from snakemake_executor_plugin_slurm.submit_string import get_submit_command
        from snakemake_executor_plugin_slurm.utils import set_gres_string
    except ImportError as err:  # the plugin's internals moved: the SLURM test still checks real submissions
        pytest.skip(f"snakemake-executor-plugin-slurm internals changed: {err}")

    class Resources(dict):
        __getattr__ = dict.__getitem__

    for path, gpus in ((PROFILE, 1), (MULTIGPU_PROFILE, 4)):
        profile = _profile(path)
        values = {**profile["default-resources"], **profile["set-resources"]["train_model"]}
        resources = Resources({k: _evaluate(v, 1) for k, v in values.items()})
        job = type("Job", (), {"resources": resources, "threads": profile["set-threads"]["train_model"]})()
        params = {"run_uuid": "uuid", "slurm_logfile": "log", "comment_str": "rule_train_model", "account": "",
                  "partition": "", "workdir": "/work"}  # fmt: skip
        call = get_submit_command(job, params) + set_gres_string(job)
        flags = _flags(call)
        assert flags["gpus"] == str(gpus), call
        assert f"--cpus-per-gpu={values['cpus_per_gpu']}" in call, call
        assert flags["mem"] == str(resources["mem_mb"]) and flags["time"] == str(resources["runtime"]), call
        assert "--gres" not in call, call
