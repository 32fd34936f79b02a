#!/usr/bin/env python3
"""Command-line tests of attnlab (stdlib unittest only; run with /usr/bin/python3).

    test_cli.py [ATTNLAB_BIN] [unittest arguments, e.g. test class names]

The attnlab binary comes from the first argument or the environment variable ATTNLAB_BIN.
Optional: ATTNLAB_FAKE_BIN (attnlab_fake_cli, the CLI with only the test experiment "fake";
its exact exit codes and outputs do not depend on the real experiments' results) and
ATTNLAB_EXPERIMENT_BIN (a per-experiment binary, attnlab-<experiment>).

Classes: UsageErrors (every bad input: exit 2, one line on stderr, nothing written),
Basics (list, --help), FakeRuns (outputs, config round trip, expected FAIL, index/junit,
thread invariance, on the fake experiment), RealRuns (one real claim, and `run all` with
--threads 1 and 2 giving byte-identical CSVs).
"""
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

BIN = os.environ.get("ATTNLAB_BIN", "")
FAKE_BIN = os.environ.get("ATTNLAB_FAKE_BIN", "")
EXPERIMENT_BIN = os.environ.get("ATTNLAB_EXPERIMENT_BIN", "")

REPORT_KEYS = ["experiment", "mode", "seed", "meta", "claims", "summary"]
META_KEYS = ["commit", "dirty", "compiler", "flags", "device", "threads", "wall_s", "argv", "versions"]
VERSION_KEYS = ["eigen", "boost", "fmt", "nlohmann_json", "cli11", "attnlab"]
CLAIM_KEYS = ["id", "kind", "source", "statement", "criterion", "interpretation", "verdict", "expected",
              "measured", "threshold", "reason", "control", "params", "data", "figures", "wall_s"]
CONTROL_KEYS = ["name", "verdict", "measured", "reason"]
SUMMARY_KEYS = ["pass", "fail", "unexpected"]
RUN_FLAGS = ["--claim", "--quick", "--full", "--seed", "--out", "--threads", "--device", "--set", "--config",
             "--no-plots"]


def run(binary, args, cwd=None, env_extra=None, timeout=900):
    env = dict(os.environ)
    env.pop("ATTNLAB_VERBOSE", None)
    if env_extra:
        env.update(env_extra)
    return subprocess.run([binary] + list(args), cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)


def snapshot(root):
    """Every path under root with its kind and, for files, its bytes (None if root is absent)."""
    if not os.path.exists(root):
        return None
    snap = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for d in dirnames:
            snap[os.path.relpath(os.path.join(dirpath, d), root)] = "dir"
        for f in filenames:
            p = os.path.join(dirpath, f)
            with open(p, "rb") as fh:
                snap[os.path.relpath(p, root)] = fh.read()
    return snap


def listing(binary):
    """(claim ids, {param full name: (type, quick, full, lo, hi)}) from `list`."""
    r = run(binary, ["list"])
    assert r.returncode == 0, r.stderr
    ids = re.findall(r"^([A-Za-z0-9_]+\.[A-Za-z0-9_]+)\s", r.stdout, re.M)
    params = {}
    for m in re.finditer(r"^\s+param (\S+)\s+(integer|real)\s+quick (\S+)\s+full (\S+)\s+range \[(\S+), (\S+)\]",
                         r.stdout, re.M):
        params[m.group(1)] = (m.group(2),) + tuple(float(m.group(k)) for k in range(3, 7))
    return ids, params


def walk_json(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from walk_json(v)
    elif isinstance(value, list):
        for v in value:
            yield from walk_json(v)
    else:
        yield value


def normalized(report):
    """report.json without what legitimately changes between runs (timings, argv, threads)."""
    r = json.loads(json.dumps(report))
    for key in ("wall_s", "argv", "threads"):
        r["meta"].pop(key, None)
    for c in r["claims"]:
        c.pop("wall_s", None)
    return r


def read_tree(root, sub=""):
    """{relative path: bytes} of the files under root/sub ({} when absent)."""
    out = {}
    base = os.path.join(root, sub)
    for dirpath, _, filenames in os.walk(base):
        for f in filenames:
            p = os.path.join(dirpath, f)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, base)] = fh.read()
    return out


class Case(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="attnlab-cli-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def check_report_schema(self, rep):
        self.assertEqual(list(rep), REPORT_KEYS)
        self.assertEqual(list(rep["meta"]), META_KEYS)
        self.assertEqual(list(rep["meta"]["versions"]), VERSION_KEYS)
        self.assertEqual(list(rep["summary"]), SUMMARY_KEYS)
        self.assertIn(rep["mode"], ("quick", "full"))
        self.assertIsInstance(rep["seed"], int)
        self.assertIsInstance(rep["meta"]["dirty"], bool)
        self.assertIsInstance(rep["meta"]["argv"], list)
        self.assertGreaterEqual(len(rep["claims"]), 1)
        for c in rep["claims"]:
            self.assertEqual(list(c), CLAIM_KEYS)
            self.assertEqual(list(c["control"]), CONTROL_KEYS)
            self.assertIn(c["verdict"], ("PASS", "FAIL"))
            self.assertIn(c["expected"], ("PASS", "FAIL"))
            self.assertIn(c["control"]["verdict"], ("PASS", "FAIL"))
            for key in ("measured", "threshold"):
                v = c[key]
                self.assertTrue(isinstance(v, (int, float)) or v in ("nan", "inf", "-inf"), (c["id"], key, v))
            for d in c["data"]:
                self.assertTrue(d.startswith("data/") and d.endswith(".csv"), d)
            for f in c["figures"]:
                self.assertTrue(f.startswith("figures/") and f.endswith(".png"), f)
        for v in walk_json(rep):
            self.assertIsNotNone(v, "null in report.json")
            if isinstance(v, float):
                self.assertTrue(math.isfinite(v))
        verdicts = [c["verdict"] for c in rep["claims"]]
        self.assertEqual(rep["summary"]["pass"], verdicts.count("PASS"))
        self.assertEqual(rep["summary"]["fail"], verdicts.count("FAIL"))
        self.assertEqual(rep["summary"]["unexpected"],
                         sum(1 for c in rep["claims"] if c["verdict"] != c["expected"]))

    def check_outputs(self, out, experiment):
        exp = os.path.join(out, experiment)
        for f in ("report.json", "report.md", "config.toml"):
            self.assertTrue(os.path.isfile(os.path.join(exp, f)), f)
        for f in ("index.md", "junit.xml"):
            self.assertTrue(os.path.isfile(os.path.join(out, f)), f)
        with open(os.path.join(exp, "report.json")) as fh:
            rep = json.load(fh)
        self.check_report_schema(rep)
        for c in rep["claims"]:
            for d in c["data"] + c["figures"]:
                self.assertTrue(os.path.isfile(os.path.join(exp, d)), d)
        leftovers = [p for p in snapshot(out) if ".tmp." in p]
        self.assertEqual(leftovers, [], "temporary files left behind")
        return rep


# ---- bad input: exit 2, one line, nothing written ------------------------------------------

class UsageErrors(Case):
    def setUp(self):
        super().setUp()
        self.existing = os.path.join(self.tmp, "out_existing")
        os.makedirs(self.existing)
        with open(os.path.join(self.existing, "sentinel.txt"), "w") as fh:
            fh.write("do not touch\n")
        self.fresh = os.path.join(self.tmp, "out_fresh")
        self.ids, self.params = listing(BIN)
        self.experiment = self.ids[0].split(".")[0]

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as fh:
            fh.write(text)
        return path

    def assert_usage_error(self, args, needle, binary=None, outs=None):
        """Runs args (+ --out for each output folder) and checks: exit 2, stdout empty, one line on
        stderr naming `needle`, and no file or folder created or changed anywhere under tmp."""
        binary = binary or BIN
        for out in (outs if outs is not None else [self.existing, self.fresh]):
            full = list(args) + (["--out", out] if out else [])
            before = snapshot(self.tmp)
            r = run(binary, full, cwd=self.tmp, timeout=120)
            msg = "%s -> rc %d, stderr %r" % (full, r.returncode, r.stderr)
            self.assertEqual(r.returncode, 2, msg)
            self.assertEqual(r.stdout, "", msg)
            lines = r.stderr.splitlines()
            self.assertEqual(len(lines), 1, msg)
            self.assertTrue(lines[0].startswith("attnlab: error: "), msg)
            self.assertIn(needle.lower(), lines[0].lower(), msg)
            self.assertEqual(snapshot(self.tmp), before, "something was written: " + msg)
            self.assertFalse(os.path.exists(self.fresh), msg)

    def a_param(self, kind=None):
        for name, spec in self.params.items():
            if kind is None or spec[0] == kind:
                return name, spec
        self.skipTest("no %s parameter declared" % (kind or "any"))

    def test_unknown_subcommand(self):
        self.assert_usage_error(["frobnicate"], "frobnicate")

    def test_missing_subcommand(self):
        self.assert_usage_error([], "subcommand", outs=[None])

    def test_missing_experiment(self):
        self.assert_usage_error(["run"], "experiment")

    def test_unknown_experiment(self):
        self.assert_usage_error(["run", "no_such_experiment"], "no_such_experiment")

    def test_claim_glob_matching_nothing(self):
        self.assert_usage_error(["run", "all", "--claim", "zz_no_such_claim*"], "zz_no_such_claim*")

    def test_unknown_flag(self):
        self.assert_usage_error(["run", "all", "--bogus-flag"], "--bogus-flag")
        self.assert_usage_error(["list", "--bogus-flag"], "--bogus-flag")

    def test_extra_positional(self):
        self.assert_usage_error(["run", self.experiment, "surplus"], "surplus")

    def test_unknown_set_name(self):
        self.assert_usage_error(["run", "all", "--set", "nope.nothing.x=1"], "nope.nothing.x")

    def test_set_without_equals(self):
        self.assert_usage_error(["run", "all", "--set", "justaname"], "justaname")

    def test_set_non_numeric(self):
        name, _ = self.a_param()
        self.assert_usage_error(["run", "all", "--set", name + "=abc"], "abc")

    def test_set_out_of_range(self):
        name, (kind, quick, full, lo, hi) = self.a_param()
        value = hi + 1 if math.isfinite(hi) else lo - 1
        text = str(int(value)) if kind == "integer" else repr(value)
        self.assert_usage_error(["run", "all", "--set", "%s=%s" % (name, text)], name)

    def test_set_non_finite(self):
        name, _ = self.a_param()
        for v in ("nan", "inf"):
            self.assert_usage_error(["run", "all", "--set", "%s=%s" % (name, v)], name)

    def test_set_fraction_for_integer(self):
        name, (kind, quick, full, lo, hi) = self.a_param("integer")
        self.assert_usage_error(["run", "all", "--set", "%s=%s" % (name, quick + 0.5)], name)

    def test_inconsistent_parameters(self):
        # Constraints between parameters (Claim::check_params) are bad input too: a lag window
        # that does not fit in the sequence.
        cid = "ssm_heads.ssm_gradient_decay"
        if cid not in self.ids:
            self.skipTest(cid + " is not linked into this binary")
        self.assert_usage_error(["run", "ssm_heads", "--claim", cid, "--set", cid + ".n=50",
                                 "--set", cid + ".lag_max=60"], "lag_max")

    def test_set_parameter_of_unselected_claim(self):
        for name in self.params:
            owner = name.rsplit(".", 1)[0]
            others = [i for i in self.ids if i != owner and i.split(".")[0] == self.experiment]
            if owner in self.ids and others:
                self.assert_usage_error(["run", self.experiment, "--claim", others[0], "--set", name + "=1"], name)
                return
        self.skipTest("no claim-specific parameter with a sibling claim")

    def test_bad_seed(self):
        for seed in ("-1", "1.5", "abc", "", " 1", "+1", "18446744073709551616"):
            self.assert_usage_error(["run", "all", "--seed", seed], "--seed")
        self.assert_usage_error(["run", "all", "--seed=-1"], "--seed")

    def test_bad_threads(self):
        for t in ("0", "-2", "two", "1025"):
            self.assert_usage_error(["run", "all", "--threads=" + t], "--threads")

    def test_quick_and_full(self):
        self.assert_usage_error(["run", "all", "--quick", "--full"], "--full")

    def test_bad_device(self):
        self.assert_usage_error(["run", "all", "--device", "tpu"], "--device")

    def test_device_cuda_without_gpu(self):
        # Probe without running anything: --device is validated before --claim, so with a
        # usable GPU the error names the claim pattern instead.
        probe = run(BIN, ["run", "all", "--device", "cuda", "--claim", "zz_no_such_claim*", "--out", self.fresh],
                    cwd=self.tmp, timeout=120)
        self.assertEqual(probe.returncode, 2, probe.stderr)
        if "zz_no_such_claim" in probe.stderr:
            self.skipTest("this build has CUDA and a GPU is present")
        self.assert_usage_error(["run", "all", "--device", "cuda"], "cuda")

    def test_missing_config(self):
        self.assert_usage_error(["run", "all", "--config", os.path.join(self.tmp, "nope.toml")], "nope.toml")

    def test_malformed_config(self):
        path = self.write("bad.toml", "[run]\nseed = = 3\n")
        self.assert_usage_error(["run", "all", "--config", path], "bad.toml:2")
        path = self.write("bad2.toml", "# fine\n[run]\nmode = 'quick'\n")
        self.assert_usage_error(["run", "all", "--config", path], "bad2.toml:3")

    def test_config_unknown_key(self):
        path = self.write("unknown.toml", "[run]\nflavour = \"mild\"\n")
        self.assert_usage_error(["run", "all", "--config", path], "flavour")
        path = self.write("unknown_table.toml", "[run]\nseed = 1\n[extras]\n")
        self.assert_usage_error(["run", "all", "--config", path], "extras")
        path = self.write("unknown_param.toml", "[params]\n\"nope.nothing.x\" = 1\n")
        self.assert_usage_error(["run", "all", "--config", path], "nope.nothing.x")

    def test_config_bad_values(self):
        name, (kind, quick, full, lo, hi) = self.a_param()
        for i, v in enumerate(("nan", "inf", "\"eight\"", str(hi + 1) if math.isfinite(hi) else str(lo - 1))):
            path = self.write("v%d.toml" % i, "[params]\n\"%s\" = %s\n" % (name, v))
            self.assert_usage_error(["run", "all", "--config", path], "v%d.toml:2" % i)
        path = self.write("seed.toml", "[run]\nseed = -4\n")
        self.assert_usage_error(["run", "all", "--config", path], "seed")
        path = self.write("mode.toml", "[run]\nmode = \"medium\"\n")
        self.assert_usage_error(["run", "all", "--config", path], "mode")
        path = self.write("exp.toml", "[run]\nexperiment = \"no_such_experiment\"\n")
        self.assert_usage_error(["run", "all", "--config", path], "no_such_experiment")

    def test_unwritable_output(self):
        afile = self.write("afile", "a regular file\n")
        self.assert_usage_error(["run", "all", "--out", os.path.join(afile, "out")], "afile", outs=[None])
        self.assert_usage_error(["run", "all", "--out", afile], "afile", outs=[None])

    def test_output_folder_blocked(self):
        os.makedirs(os.path.join(self.existing, "index.md"))  # a folder where a file must go
        self.assert_usage_error(["run", "all"], "index.md", outs=[self.existing])

    def test_experiment_binary_other_experiment(self):
        if not EXPERIMENT_BIN:
            self.skipTest("ATTNLAB_EXPERIMENT_BIN not set")
        self.assert_usage_error(["run", "no_such_experiment"], "no_such_experiment", binary=EXPERIMENT_BIN)


class Basics(Case):
    def test_list_prints_every_claim(self):
        ids, _ = listing(BIN)
        self.assertGreaterEqual(len(ids), 1)
        self.assertEqual(len(ids), len(set(ids)))
        r = run(BIN, ["list"])
        self.assertEqual(r.returncode, 0)
        self.assertEqual(r.stderr, "")
        if FAKE_BIN:
            fake_ids, fake_params = listing(FAKE_BIN)
            self.assertEqual(fake_ids, ["fake.sum_identity", "fake.second", "fake.refuted", "fake.broken"])
            self.assertEqual(fake_params["fake.scale"], ("real", 1.0, 1.0, 0.5, 2.0))
            self.assertEqual(fake_params["fake.sum_identity.trials"], ("integer", 6.0, 50.0, 1.0, 100000.0))

    def test_help(self):
        for args in (["--help"], ["-h"], ["run", "--help"], ["list", "--help"]):
            r = run(BIN, args)
            self.assertEqual(r.returncode, 0, args)
            self.assertIn("run", r.stdout)
        r = run(BIN, ["run", "--help"])
        for flag in RUN_FLAGS:
            self.assertIn(flag, r.stdout)

    def test_experiment_binary(self):
        if not EXPERIMENT_BIN:
            self.skipTest("ATTNLAB_EXPERIMENT_BIN not set")
        ids, _ = listing(EXPERIMENT_BIN)
        all_ids, _ = listing(BIN)
        self.assertTrue(ids and set(ids) <= set(all_ids))
        self.assertEqual(run(EXPERIMENT_BIN, ["run", "--help"]).returncode, 0)


# ---- the fake experiment: exact outcomes ---------------------------------------------------

@unittest.skipUnless(FAKE_BIN, "ATTNLAB_FAKE_BIN not set")
class FakeRuns(Case):
    def run_fake(self, *args, env_extra=None):
        return run(FAKE_BIN, list(args), cwd=self.tmp, env_extra=env_extra, timeout=300)

    def test_single_claim_run(self):
        out = os.path.join(self.tmp, "o")
        r = self.run_fake("run", "fake", "--claim", "sum_identity", "--out", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("[fake] sum_identity  PASS (expected PASS)", r.stderr)
        self.assertIn("no figure module", r.stderr)  # plots/fake.py does not exist: a note, not a failure
        self.assertNotIn("warning", r.stderr)
        rep = self.check_outputs(out, "fake")
        self.assertEqual([c["id"] for c in rep["claims"]], ["fake.sum_identity"])
        c = rep["claims"][0]
        self.assertEqual(c["data"], ["data/fake_sums.csv"])
        self.assertEqual(c["figures"], [])
        self.assertEqual(c["params"], {"fake.sum_identity.trials": 6, "fake.scale": 1.0})
        self.assertEqual(c["control"]["name"], "perturbed second sum")
        self.assertEqual(c["control"]["verdict"], "FAIL")
        self.assertEqual(rep["summary"], {"pass": 1, "fail": 0, "unexpected": 0})
        self.assertEqual((rep["mode"], rep["seed"], rep["meta"]["threads"], rep["meta"]["device"]),
                         ("quick", 1, 2, "cpu"))
        with open(os.path.join(out, "fake", "data", "fake_sums.csv")) as fh:
            lines = fh.read().splitlines()
        self.assertEqual(lines[0], "trial,sum,label")
        self.assertEqual(len(lines), 7)
        self.assertTrue(lines[2].endswith(',"odd, ""quoted"""'), lines[2])
        with open(os.path.join(out, "fake", "config.toml")) as fh:
            config = fh.read()
        self.assertIn('experiment = "fake"', config)
        self.assertIn('"fake.sum_identity.trials" = 6', config)
        self.assertIn('"fake.scale" = 1.0', config)
        with open(os.path.join(out, "fake", "report.md")) as fh:
            md = fh.read()
        self.assertIn("fake.sum_identity", md)
        self.assertIn("[data/fake_sums.csv](data/fake_sums.csv)", md)

    def test_config_round_trip_and_precedence(self):
        o1, o2, o3 = (os.path.join(self.tmp, n) for n in ("o1", "o2", "o3"))
        r = self.run_fake("run", "fake", "--claim", "s*", "--seed", "5", "--set", "fake.second.tol=0.9",
                          "--set", "fake.scale=1.25", "--out", o1)
        self.assertEqual(r.returncode, 0, r.stderr)
        config = os.path.join(o1, "fake", "config.toml")
        with open(config) as fh:
            text = fh.read()
        self.assertIn("seed = 5", text)
        self.assertIn('"fake.second.tol" = 0.9', text)
        self.assertIn('claim = "s*"', text)
        r = self.run_fake("run", "--config", config, "--out", o2)  # experiment, seed, claims from the config
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(read_tree(o1, "fake/data"), read_tree(o2, "fake/data"))
        with open(os.path.join(o1, "fake", "report.json")) as a, open(os.path.join(o2, "fake", "report.json")) as b:
            self.assertEqual(normalized(json.load(a)), normalized(json.load(b)))
        with open(os.path.join(o2, "fake", "config.toml")) as fh:
            self.assertEqual(fh.read(), text)
        # --set and --seed win over the config
        r = self.run_fake("run", "fake", "--config", config, "--seed", "6", "--set", "fake.second.tol=0.95",
                          "--out", o3)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(o3, "fake", "report.json")) as fh:
            rep = json.load(fh)
        self.assertEqual(rep["seed"], 6)
        second = [c for c in rep["claims"] if c["id"] == "fake.second"][0]
        self.assertEqual(second["params"], {"fake.second.tol": 0.95, "fake.scale": 1.25})
        self.assertNotEqual(read_tree(o1, "fake/data"), read_tree(o3, "fake/data"))

    def test_expected_fail_error_index_junit(self):
        out = os.path.join(self.tmp, "o")
        r = self.run_fake("run", "all", "--out", out, "--no-plots")
        self.assertEqual(r.returncode, 1, r.stderr)  # fake.broken throws: FAIL, not as expected
        self.assertIn("[fake] refuted  FAIL (expected FAIL)", r.stderr)
        self.assertIn("[fake] broken  FAIL (expected PASS)", r.stderr)
        rep = self.check_outputs(out, "fake")
        self.assertEqual(rep["summary"], {"pass": 2, "fail": 2, "unexpected": 1})
        broken = rep["claims"][3]
        self.assertEqual(broken["reason"], "error: boom")
        self.assertEqual(broken["measured"], "nan")
        self.assertEqual(broken["control"]["measured"], "nan")
        self.assertEqual(rep["claims"][1]["interpretation"], True)
        with open(os.path.join(out, "fake", "report.md")) as fh:
            self.assertIn("Interpretation:", fh.read())
        with open(os.path.join(out, "junit.xml")) as fh:
            junit = fh.read()
        self.assertEqual(junit.count("<testcase "), 8)
        self.assertIn('tests="8" failures="2"', junit)
        self.assertIn('name="fake.sum_identity [control: perturbed second sum]"', junit)
        with open(os.path.join(out, "index.md")) as fh:
            index = fh.read()
        for cid in ("fake.sum_identity", "fake.second", "fake.refuted", "fake.broken"):
            self.assertIn(cid, index)

        # a later run of some claims replaces the experiment's folder contents (no stale CSVs),
        # and the index covers every report.json present, skipping (and naming) unreadable ones
        other = os.path.join(out, "other")
        os.makedirs(other)
        with open(os.path.join(other, "report.json"), "w") as fh:
            json.dump(dict(rep, experiment="other"), fh)
        os.makedirs(os.path.join(out, "junk"))
        with open(os.path.join(out, "junk", "report.json"), "w") as fh:
            fh.write("{not json")
        r = self.run_fake("run", "fake", "--claim", "second", "--out", out, "--no-plots")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(sorted(os.listdir(os.path.join(out, "fake", "data"))), ["fake_second.csv"])
        with open(os.path.join(out, "index.md")) as fh:
            index = fh.read()
        self.assertIn("other", index)
        self.assertIn("junk/report.json", index)
        with open(os.path.join(out, "junit.xml")) as fh:
            junit = fh.read()
        self.assertEqual(junit.count("<testsuite "), 2)
        self.assertIn('<testsuite name="other"', junit)

    def test_thread_count_does_not_change_results(self):
        o1, o2 = os.path.join(self.tmp, "t1"), os.path.join(self.tmp, "t2")
        r1 = self.run_fake("run", "all", "--threads", "1", "--no-plots", "--out", o1)
        r2 = self.run_fake("run", "all", "--threads", "2", "--no-plots", "--out", o2)
        self.assertEqual(r1.returncode, r2.returncode)
        data1 = read_tree(o1, "fake/data")
        self.assertTrue(data1)
        self.assertEqual(data1, read_tree(o2, "fake/data"))
        with open(os.path.join(o1, "fake", "report.json")) as a, open(os.path.join(o2, "fake", "report.json")) as b:
            self.assertEqual(normalized(json.load(a)), normalized(json.load(b)))

    def test_missing_python_is_one_warning(self):
        out = os.path.join(self.tmp, "o")
        r = self.run_fake("run", "fake", "--claim", "sum_identity", "--out", out,
                          env_extra={"ATTNLAB_PYTHON": os.path.join(self.tmp, "no-python")})
        self.assertEqual(r.returncode, 0, r.stderr)
        warnings = [l for l in r.stderr.splitlines() if "warning" in l]
        self.assertEqual(len(warnings), 1, r.stderr)
        self.check_outputs(out, "fake")


# ---- the real binary -----------------------------------------------------------------------

class RealRuns(Case):
    def test_one_quick_claim_and_config_round_trip(self):
        ids, _ = listing(BIN)
        claim = ids[0]
        experiment = claim.split(".")[0]
        o1, o2 = os.path.join(self.tmp, "o1"), os.path.join(self.tmp, "o2")
        r = run(BIN, ["run", experiment, "--claim", claim, "--quick", "--out", o1], cwd=self.tmp)
        self.assertIn(r.returncode, (0, 1), r.stderr)
        rep = self.check_outputs(o1, experiment)
        self.assertEqual([c["id"] for c in rep["claims"]], [claim])
        # exit 0 exactly when every verdict is as expected
        self.assertEqual(r.returncode, 0 if rep["summary"]["unexpected"] == 0 else 1, r.stderr)
        config = os.path.join(o1, experiment, "config.toml")
        r2 = run(BIN, ["run", experiment, "--config", config, "--no-plots", "--out", o2], cwd=self.tmp)
        self.assertEqual(r2.returncode, r.returncode, r2.stderr)
        self.assertEqual(read_tree(o1, experiment + "/data"), read_tree(o2, experiment + "/data"))
        with open(os.path.join(o2, experiment, "report.json")) as fh:
            rep2 = json.load(fh)
        self.assertEqual([c["id"] for c in rep2["claims"]], [claim])
        a, b = normalized(rep), normalized(rep2)
        for c in a["claims"]:
            c["figures"] = []  # the second run draws none
        self.assertEqual(a, b)

    def run_experiments(self, extra, out):
        """Runs every experiment not in ATTNLAB_CLI_SKIP (comma-separated; the training
        workload icl_regression takes minutes in quick mode) into `out`, one after another.
        Returns (the worst exit status, stderr)."""
        skip = set(filter(None, os.environ.get("ATTNLAB_CLI_SKIP", "").split(",")))
        ids, _ = listing(BIN)
        names = sorted({i.split(".")[0] for i in ids} - skip)
        worst, err = 0, ""
        for e in names:
            r = run(BIN, ["run", e] + extra + ["--out", out], cwd=self.tmp)
            worst, err = max(worst, r.returncode), err + r.stderr
        return worst, err, names

    def test_run_all_same_with_one_and_two_threads(self):
        o1, o2 = os.path.join(self.tmp, "t1"), os.path.join(self.tmp, "t2")
        rc1, err1, names = self.run_experiments(["--threads", "1", "--no-plots"], o1)
        rc2, err2, _ = self.run_experiments(["--threads", "2", "--no-plots"], o2)
        self.assertIn(rc1, (0, 1), err1)
        self.assertEqual(rc1, rc2, err1 + err2)
        experiments = sorted(d for d in os.listdir(o1) if os.path.isdir(os.path.join(o1, d)))
        self.assertEqual(experiments, sorted(d for d in os.listdir(o2) if os.path.isdir(os.path.join(o2, d))))
        self.assertTrue(experiments)
        for e in experiments:
            d1 = read_tree(o1, e + "/data")
            self.assertEqual(sorted(d1), sorted(read_tree(o2, e + "/data")), e)
            for name, content in d1.items():
                with open(os.path.join(o2, e, "data", name), "rb") as fh:
                    self.assertEqual(content, fh.read(), "%s/data/%s differs between 1 and 2 threads" % (e, name))
            with open(os.path.join(o1, e, "report.json")) as a, open(os.path.join(o2, e, "report.json")) as b:
                ra, rb = json.load(a), json.load(b)
            self.check_report_schema(ra)
            self.assertEqual(normalized(ra), normalized(rb), e)

    def test_every_declared_figure_is_drawn_with_the_same_bytes_twice(self):
        # Figures come from the CSVs through plots/ (Debian's python3 with matplotlib, which the
        # README's commands install); every figure a claim declares exists as PNG and PDF, and a
        # second run draws byte-identical files.
        o1, o2 = os.path.join(self.tmp, "f1"), os.path.join(self.tmp, "f2")
        rc1, err1, names = self.run_experiments([], o1)
        rc2, err2, _ = self.run_experiments([], o2)
        self.assertIn(rc1, (0, 1), err1)
        self.assertNotIn("warning", err1)
        for e in names:
            with open(os.path.join(o1, e, "report.json")) as fh:
                rep = json.load(fh)
            for c in rep["claims"]:
                self.assertTrue(c["figures"], c["id"] + " lists no figure")
                for png in c["figures"]:
                    for f in (png, png[:-4] + ".pdf"):
                        with open(os.path.join(o1, e, f), "rb") as a, open(os.path.join(o2, e, f), "rb") as b:
                            first = a.read()
                            self.assertGreater(len(first), 1000, f)
                            self.assertEqual(first, b.read(), "%s/%s differs between two runs" % (e, f))


def main():
    global BIN
    args = sys.argv[1:]
    if args and not args[0].startswith("-") and os.path.sep in args[0]:
        BIN = args.pop(0)
    if not BIN:
        print("usage: test_cli.py <path to attnlab> [unittest args]  (or set ATTNLAB_BIN)", file=sys.stderr)
        return 2
    BIN = os.path.abspath(BIN)
    prog = unittest.main(argv=[sys.argv[0]] + args, exit=False, verbosity=2)
    return 0 if prog.result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
