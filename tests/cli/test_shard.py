#!/usr/bin/env python3
"""Sharded runs and merge (stdlib unittest only; run with /usr/bin/python3).

    test_shard.py ATTNLAB_BIN FAKE_BIN [unittest arguments, e.g. test class names]

FakeShards (attnlab_fake_cli, the framework's test experiment "fake", one unit claim and three
claims run whole): N = 2 and 3 merged give the unsharded run's CSVs byte for byte and the same
verdicts and reasons; a finished shard is skipped on a re-run, an interrupted one keeps its finished
claims; merge refuses (exit 2, one line, nothing written) a missing shard, an incomplete one, a
different seed, different parameters, mixed N; --shard-from-env maps Slurm's 0- and 1-based ids.
RealShards (attnlab): ssm_heads (quick, deficit_below_k converted to units) for N = 2 and 3, once
with figures; rank_collapse san_* (units) for N = 2; the same through GNU parallel (skipped,
saying so, when `parallel` is absent).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_cli import read_tree  # noqa: E402

BIN = os.environ.get("ATTNLAB_BIN", "")
FAKE_BIN = os.environ.get("ATTNLAB_FAKE_BIN", "")


def run(binary, args, env_extra=None, timeout=600, drop_slurm=True):
    env = dict(os.environ)
    env.pop("ATTNLAB_VERBOSE", None)
    if drop_slurm:
        for k in list(env):
            if k.startswith("SLURM_"):
                del env[k]
    if env_extra:
        env.update(env_extra)
    return subprocess.run([binary] + list(args), env=env, capture_output=True, text=True, timeout=timeout)


tree = read_tree  # {relative path: bytes} under root/sub, shared with test_cli.py


def stat_tree(root):
    """{relative path: (size, mtime_ns)} of every file under root."""
    out = {}
    for dirpath, _, filenames in os.walk(root):
        for f in filenames:
            p = os.path.join(dirpath, f)
            st = os.stat(p)
            out[os.path.relpath(p, root)] = (st.st_size, st.st_mtime_ns)
    return out


def verdicts(out, experiment):
    """Per claim what must not depend on sharding: verdict, reason, measured, threshold, control, params, data."""
    with open(os.path.join(out, experiment, "report.json")) as fh:
        rep = json.load(fh)
    keys = ("id", "verdict", "expected", "measured", "threshold", "reason", "control", "params", "data", "figures")
    return [{k: c[k] for k in keys} for c in rep["claims"]], rep["summary"]


class Base(unittest.TestCase):
    binary = None
    experiment = None
    args = []  # claim selection and mode

    def setUp(self):
        if not self.binary:
            self.skipTest("binary not given")
        self.tmp = tempfile.mkdtemp(prefix="attnlab-shard-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def plain(self, out, extra=()):
        r = run(self.binary, ["run", self.experiment] + self.args + list(extra) + ["--out", out])
        self.assertIn(r.returncode, (0, 1), r.stderr)
        return r

    def shard(self, out, k, n, extra=(), env_extra=None, flag=None):
        args = ["run", self.experiment] + self.args + list(extra) + ["--out", out]
        args += [flag] if flag else ["--shard", "%d/%d" % (k, n)]
        r = run(self.binary, args, env_extra=env_extra)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r

    def merge(self, out, extra=()):
        return run(self.binary, ["merge", os.path.join(out, self.experiment)] + list(extra))

    def assert_same_as_plain(self, plain_out, merged_out, rc_plain, rc_merge, figures=False):
        self.assertEqual(rc_merge, rc_plain)
        a, b = tree(plain_out, self.experiment + "/data"), tree(merged_out, self.experiment + "/data")
        self.assertTrue(a, "the unsharded run wrote no CSV")
        self.assertEqual(sorted(a), sorted(b))
        for name in a:
            self.assertEqual(a[name], b[name], "CSV %s differs between the unsharded and the merged run" % name)
        self.assertEqual(verdicts(plain_out, self.experiment), verdicts(merged_out, self.experiment))
        with open(os.path.join(plain_out, self.experiment, "config.toml")) as f1, \
                open(os.path.join(merged_out, self.experiment, "config.toml")) as f2:
            self.assertEqual(f1.read(), f2.read())
        for f in ("index.md", "junit.xml"):
            self.assertTrue(os.path.isfile(os.path.join(merged_out, f)), f)
        if figures:
            fa, fb = tree(plain_out, self.experiment + "/figures"), tree(merged_out, self.experiment + "/figures")
            self.assertTrue(fa, "no figure drawn")
            self.assertEqual(sorted(fa), sorted(fb))
            for name in fa:
                self.assertEqual(fa[name], fb[name], "figure %s differs" % name)

    def sharded_equals_plain(self, n, plots=False):
        no_plots = [] if plots else ["--no-plots"]
        plain_out = os.path.join(self.tmp, "plain%d" % n)
        rp = self.plain(plain_out, no_plots)
        out = os.path.join(self.tmp, "sharded%d" % n)
        for k in range(1, n + 1):
            r = self.shard(out, k, n, no_plots)
            self.assertIn("shard %d/%d of %s complete" % (k, n, self.experiment), r.stderr)
            self.assertTrue(os.path.isfile(os.path.join(out, self.experiment, "shards", "%d-of-%d" % (k, n),
                                                        "complete.json")))
        # A shard writes no report: only its own folder.
        self.assertFalse(os.path.exists(os.path.join(out, self.experiment, "report.json")))
        rm = run(self.binary, ["merge", os.path.join(out, self.experiment, "")] + no_plots)  # a trailing / too
        self.assertNotIn("attnlab: error", rm.stderr)
        self.assertNotIn("attnlab: warning: merge", rm.stderr)
        self.assert_same_as_plain(plain_out, out, rp.returncode, rm.returncode, figures=plots)
        return out


# ---- the fake experiment: every path, in a second -------------------------------------------------

class FakeShards(Base):
    binary = FAKE_BIN
    experiment = "fake"
    args = []  # quick mode, seed 1 (the defaults)

    def test_n2_and_n3_byte_identical(self):
        for n in (2, 3):
            out = self.sharded_equals_plain(n)
            # The unit claim's trials really spread: each shard computed some, together all 6.
            computed = 0
            for k in range(1, n + 1):
                with open(os.path.join(out, "fake", "shards", "%d-of-%d" % (k, n), "complete.json")) as fh:
                    m = json.load(fh)
                entry = [c for c in m["claims"] if c["id"] == "fake.sum_identity"][0]
                self.assertEqual(entry["role"], "units")
                self.assertGreater(entry["units_computed"], 0)
                computed += entry["units_computed"]
                self.assertEqual(m["identity"]["shards"], n)
            self.assertEqual(computed, 6)
            # The three claims without units run whole, each in exactly one shard.
            wholes = tree(os.path.join(out, "fake", "shards"))
            names = sorted(os.path.basename(p) for p in wholes if "/whole/" in p)
            self.assertEqual(names, ["broken.json", "refuted.json", "second.json"])

    def test_rerun_of_finished_shard_is_skipped(self):
        out = os.path.join(self.tmp, "o")
        self.shard(out, 1, 2)
        sd = os.path.join(out, "fake", "shards", "1-of-2")
        before = stat_tree(sd)
        r = self.shard(out, 1, 2)
        self.assertIn("shard 1/2 of fake is already complete", r.stderr)
        self.assertEqual(stat_tree(sd), before, "a finished shard was rewritten")
        # Interrupted after its claims (no marker): the claims finished before are kept.
        os.remove(os.path.join(sd, "complete.json"))
        r = self.shard(out, 1, 2)
        self.assertIn("kept from an earlier run", r.stderr)
        self.assertTrue(os.path.isfile(os.path.join(sd, "complete.json")))
        # A different seed is another run: the shard is computed again, not skipped.
        r = self.shard(out, 1, 2, ["--seed", "4"])
        self.assertNotIn("already complete", r.stderr)
        self.assertNotIn("kept from an earlier run", r.stderr)

    def assert_merge_refused(self, out, needles):
        before = tree(out)
        r = self.merge(out)
        lines = r.stderr.splitlines()
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertTrue(lines[0].startswith("attnlab: error: merge "), lines[0])
        for needle in needles:
            self.assertIn(needle, lines[0])
        self.assertEqual(tree(out), before, "a refused merge wrote something")
        self.assertFalse(os.path.exists(os.path.join(out, "fake", "report.json")))
        self.assertFalse(os.path.exists(os.path.join(out, "index.md")))

    def test_merge_refuses_missing_incomplete_and_mismatched_shards(self):
        out = os.path.join(self.tmp, "o")
        self.shard(out, 1, 3)
        self.shard(out, 3, 3)
        self.assert_merge_refused(out, ["missing 2-of-3"])
        self.shard(out, 2, 3)
        os.remove(os.path.join(out, "fake", "shards", "2-of-3", "complete.json"))
        self.assert_merge_refused(out, ["incomplete", "2-of-3"])
        self.shard(out, 2, 3, ["--seed", "4"])
        self.assert_merge_refused(out, ["2-of-3 differs from 1-of-3", "seed 4, not 1"])
        shutil.rmtree(os.path.join(out, "fake", "shards", "2-of-3"))
        self.shard(out, 2, 3, ["--set", "fake.sum_identity.trials=7"])
        self.assert_merge_refused(out, ["2-of-3", "parameters fake.sum_identity.trials"])
        shutil.rmtree(os.path.join(out, "fake", "shards", "2-of-3"))
        self.shard(out, 2, 3, ["--full"])
        self.assert_merge_refused(out, ["2-of-3", 'mode "full", not "quick"'])
        shutil.rmtree(os.path.join(out, "fake", "shards", "2-of-3"))
        self.shard(out, 2, 3)
        self.shard(out, 1, 2)
        self.assert_merge_refused(out, ["different N", "1-of-2"])
        shutil.rmtree(os.path.join(out, "fake", "shards", "1-of-2"))
        # A claim file tampered with after the marker: merge names it.
        os.remove(os.path.join(out, "fake", "shards", "3-of-3", "units", "sum_identity.tsv"))
        self.assert_merge_refused(out, ["3-of-3/units/sum_identity.tsv"])
        self.shard(out, 3, 3)  # complete and of this run: skipped, the file stays missing
        self.assert_merge_refused(out, ["sum_identity.tsv"])
        os.remove(os.path.join(out, "fake", "shards", "3-of-3", "complete.json"))
        self.shard(out, 3, 3)
        r = self.merge(out)
        self.assertEqual(r.returncode, 1, r.stderr)  # fake.broken is not as expected, as in a plain run
        self.assertTrue(os.path.isfile(os.path.join(out, "fake", "report.json")))

    def test_merge_usage_errors(self):
        for args, needle in ((["merge"], "folders"),
                             (["merge", os.path.join(self.tmp, "nothing")], "no shards/ folder"),
                             (["run", "fake", "--shard", "0/2"], "--shard"),
                             (["run", "fake", "--shard", "3/2"], "--shard"),
                             (["run", "fake", "--shard", "a/b"], "--shard"),
                             (["run", "fake", "--shard", "1/2", "--shard-from-env"], "--shard")):
            r = run(self.binary, args + (["--out", os.path.join(self.tmp, "x")] if args[0] == "run" else []))
            self.assertEqual(r.returncode, 2, (args, r.stderr))
            self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)
            self.assertIn(needle, r.stderr)
            self.assertFalse(os.path.exists(os.path.join(self.tmp, "x")))

    def test_shard_from_env(self):
        # Slurm arrays numbered 0..N-1 and 1..N both map onto shards 1..N.
        plain_out = os.path.join(self.tmp, "plain")
        rp = self.plain(plain_out, ["--no-plots"])
        for first in (0, 1):
            out = os.path.join(self.tmp, "slurm%d" % first)
            for task in range(first, first + 3):
                env = {"SLURM_ARRAY_TASK_ID": str(task), "SLURM_ARRAY_TASK_COUNT": "3",
                       "SLURM_ARRAY_TASK_MIN": str(first), "SLURM_ARRAY_TASK_MAX": str(first + 2)}
                r = self.shard(out, 0, 0, ["--no-plots"], env_extra=env, flag="--shard-from-env")
                self.assertIn("shard %d/3 of fake complete" % (task - first + 1), r.stderr)
            rm = self.merge(out, ["--no-plots"])
            self.assert_same_as_plain(plain_out, out, rp.returncode, rm.returncode)
        bad = [({}, "SLURM_ARRAY_TASK_ID"),
               ({"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "3"}, "SLURM_ARRAY_TASK_MIN"),
               ({"SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_COUNT": "3", "SLURM_ARRAY_TASK_MIN": "0"}, "outside"),
               ({"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "3", "SLURM_ARRAY_TASK_MIN": "0",
                 "SLURM_ARRAY_TASK_MAX": "4", "SLURM_ARRAY_TASK_STEP": "2"}, "STEP"),
               ({"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "3", "SLURM_ARRAY_TASK_MIN": "0",
                 "SLURM_ARRAY_TASK_MAX": "7"}, "contiguous")]
        for env, needle in bad:
            out = os.path.join(self.tmp, "bad")
            r = run(self.binary, ["run", "fake", "--shard-from-env", "--out", out], env_extra=env)
            self.assertEqual(r.returncode, 2, (env, r.stderr))
            self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)
            self.assertIn(needle, r.stderr)
            self.assertFalse(os.path.exists(out))


# ---- real experiments ------------------------------------------------------------------------------

class SsmHeadsShards(Base):
    binary = BIN
    experiment = "ssm_heads"
    args = ["--quick"]

    def test_n2_with_figures(self):
        # Figures cost a matplotlib start each: one claim only (the one with units).
        self.args = ["--quick", "--claim", "deficit_below_k"]
        self.sharded_equals_plain(2, plots=True)

    def test_n3(self):
        out = self.sharded_equals_plain(3)
        with open(os.path.join(out, "ssm_heads", "shards", "1-of-3", "complete.json")) as fh:
            m = json.load(fh)
        roles = {c["id"]: c["role"] for c in m["claims"]}
        self.assertEqual(roles["ssm_heads.deficit_below_k"], "units")

    def test_gnu_parallel(self):
        parallel = shutil.which("parallel")
        if not parallel:
            self.skipTest("GNU parallel is not installed (apt-get install parallel): the parallel recipe is untested")
        plain_out = os.path.join(self.tmp, "plain")
        rp = self.plain(plain_out, ["--no-plots"])
        out = os.path.join(self.tmp, "par")
        r = subprocess.run([parallel, "--halt", "now,fail=1", self.binary, "run", "ssm_heads", "--quick", "--no-plots",
                            "--out", out, "--shard", "{}/3", ":::", "1", "2", "3"],
                           capture_output=True, text=True, timeout=600)
        self.assertEqual(r.returncode, 0, r.stderr)
        rm = self.merge(out, ["--no-plots"])
        self.assert_same_as_plain(plain_out, out, rp.returncode, rm.returncode)


class RankCollapseShards(Base):
    binary = BIN
    experiment = "rank_collapse"
    args = ["--quick", "--claim", "san_*"]

    def test_n2(self):
        self.sharded_equals_plain(2)


if __name__ == "__main__":
    args = sys.argv[1:]
    if len(args) >= 2 and not args[0].startswith("-"):
        BIN, FAKE_BIN = args[0], args[1]
        args = args[2:]
    BIN = os.path.abspath(BIN) if BIN else ""
    FAKE_BIN = os.path.abspath(FAKE_BIN) if FAKE_BIN else ""
    FakeShards.binary = FAKE_BIN
    SsmHeadsShards.binary = BIN
    RankCollapseShards.binary = BIN
    unittest.main(argv=[sys.argv[0]] + args, verbosity=2)
