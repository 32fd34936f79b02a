#!/usr/bin/env python3
"""Interrupted runs: SIGKILL at 20 moments of a run, and SIGINT.

    test_interrupt.py ATTNLAB_BIN [EXPERIMENT [CLAIM_GLOB]]

A reference run (seed 1, figures drawn) gives the run's wall time T and its data. Then
`attnlab run EXPERIMENT` is killed with SIGKILL at 20 moments spread over [0, 1.1 T]; half
of the runs write into a folder that already holds a complete run with another seed (2).
After each kill (and after any figure-drawing child it left has finished):
  - a report.json that exists must be a complete report (it parses, lists every claim, its
    seed is 1 or 2, and every CSV it lists is byte-identical to that seed's reference run;
    every figure it lists exists);
  - an index.md or junit.xml that exists must describe only report.json files that exist
    and are complete (junit.xml parses as XML);
  - re-running into the same folder exits 0 and writes the reference's data, byte for byte,
    and no temporary file is left behind (every fifth re-run draws its figures too).
SIGINT: the run ends with exit status 130 and one line saying so, leaving no temporary file,
and the next run succeeds. Exits 1 on the first problems, printing them.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

KILLS = 20


def csvs(expdir):
    out = {}
    data = os.path.join(expdir, "data")
    if os.path.isdir(data):
        for f in sorted(os.listdir(data)):
            with open(os.path.join(data, f), "rb") as fh:
                out[f] = fh.read()
    return out


def temporaries(root):
    found = []
    for dirpath, _, files in os.walk(root):
        for f in files:
            head, sep, tail = f.rpartition(".tmp.")
            if sep and tail.isdigit():
                found.append(os.path.join(dirpath, f))
    return found


def wait_for_session(pgid, timeout=60):
    """Waits until no process of the killed run's session is left (a figure-drawing child)."""
    end = time.time() + timeout
    while time.time() < end:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


class Checker:
    def __init__(self, binary, experiment, glob, work):
        self.binary, self.experiment, self.glob, self.work = binary, experiment, glob, work
        self.problems = []
        self.ref = {}

    def run(self, out, seed, wait=True, plots=True):
        args = [self.binary, "run", self.experiment, "--quick", "--seed", str(seed), "--out", out]
        if not plots:
            args.append("--no-plots")
        if self.glob:
            args += ["--claim", self.glob]
        p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        if not wait:
            return p
        o, e = p.communicate(timeout=900)
        return p.returncode, o.decode(), e.decode()

    def reference(self, seed):
        out = os.path.join(self.work, "ref%d" % seed)
        t0 = time.time()
        rc, _, err = self.run(out, seed)
        wall = time.time() - t0
        if rc != 0:
            raise SystemExit("reference run (seed %d) failed with %d: %s" % (seed, rc, err[-2000:]))
        expdir = os.path.join(out, self.experiment)
        with open(os.path.join(expdir, "report.json")) as f:
            rep = json.load(f)
        self.ref[seed] = {"csv": csvs(expdir), "ids": [c["id"] for c in rep["claims"]]}
        return out, wall

    def complete_report(self, out, where):
        """Problems with a report.json under `out` (None if there is none)."""
        expdir = os.path.join(out, self.experiment)
        path = os.path.join(expdir, "report.json")
        if not os.path.exists(path):
            return False
        try:
            with open(path) as f:
                rep = json.load(f)
        except ValueError as e:
            self.problems.append("%s: report.json does not parse: %s" % (where, e))
            return True
        seed = rep.get("seed")
        if seed not in self.ref:
            self.problems.append("%s: report.json has seed %r" % (where, seed))
            return True
        ref = self.ref[seed]
        if [c.get("id") for c in rep.get("claims", [])] != ref["ids"]:
            self.problems.append("%s: report.json does not list every claim" % where)
        for c in rep.get("claims", []):
            for d in c.get("data", []):
                name = os.path.basename(d)
                p = os.path.join(expdir, d)
                if not os.path.exists(p):
                    self.problems.append("%s: report.json lists %s, which is missing" % (where, d))
                    continue
                with open(p, "rb") as fh:
                    if fh.read() != ref["csv"].get(name):
                        self.problems.append("%s: %s differs from the seed-%d run its report describes" % (where, d, seed))
            for g in c.get("figures", []):
                if not os.path.exists(os.path.join(expdir, g)):
                    self.problems.append("%s: report.json lists %s, which is missing" % (where, g))
        return True

    def check_after_kill(self, out, where):
        has_report = self.complete_report(out, where)
        index, junit = os.path.join(out, "index.md"), os.path.join(out, "junit.xml")
        if os.path.exists(index):
            if not has_report:
                self.problems.append("%s: index.md exists without the report.json it indexes" % where)
        if os.path.exists(junit):
            if not has_report:
                self.problems.append("%s: junit.xml exists without a report.json" % where)
            try:
                ET.parse(junit)
            except ET.ParseError as e:
                self.problems.append("%s: junit.xml does not parse: %s" % (where, e))

    def check_rerun(self, out, where, plots=True):
        rc, _, err = self.run(out, 1, plots=plots)
        if rc != 0:
            self.problems.append("%s: the re-run exited %d: %s" % (where, rc, err.strip().splitlines()[-1:]))
            return
        if csvs(os.path.join(out, self.experiment)) != self.ref[1]["csv"]:
            self.problems.append("%s: the re-run's data differ from an uninterrupted run" % where)
        if not self.complete_report(out, where + " (re-run)"):
            self.problems.append("%s: the re-run wrote no report.json" % where)
        left = temporaries(out)
        if left:
            self.problems.append("%s: temporary files left after the re-run: %s" % (where, left[:3]))


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    binary = argv[1]
    experiment = argv[2] if len(argv) > 2 else "ssm_heads"
    glob = argv[3] if len(argv) > 3 else ""
    work = tempfile.mkdtemp(prefix="attnlab-kill-")
    try:
        ck = Checker(binary, experiment, glob, work)
        ck.reference(2)
        ref1, wall = ck.reference(1)
        moments = [1.1 * wall * (k + 0.5) / KILLS for k in range(KILLS)]
        killed_before_end = 0
        for k, t in enumerate(moments):
            out = os.path.join(work, "kill%02d" % k)
            if k % 2 == 1:  # a folder holding a complete run with another seed
                shutil.copytree(os.path.join(work, "ref2"), out)
            p = ck.run(out, 1, wait=False)
            time.sleep(t)
            if p.poll() is None:
                killed_before_end += 1
            try:
                os.kill(p.pid, signal.SIGKILL)  # the run only: a child it started lives on
            except ProcessLookupError:
                pass
            p.communicate()
            if not wait_for_session(p.pid):
                ck.problems.append("kill %d: a child of the killed run did not finish" % k)
            where = "kill %d at %.2f s%s" % (k, t, " (over a seed-2 run)" if k % 2 else "")
            ck.check_after_kill(out, where)
            ck.check_rerun(out, where, plots=(k % 5 == 0))  # figures are slow: drawn on every fifth re-run

        # SIGINT: a clean end with one line, then a normal re-run.
        out = os.path.join(work, "sigint")
        p = ck.run(out, 1, wait=False)
        time.sleep(max(0.05, 0.3 * wall))
        still_running = p.poll() is None
        p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=120)
        err = err.decode()
        if still_running:
            if p.returncode != 130:
                ck.problems.append("SIGINT: exit status %d, expected 130" % p.returncode)
            last = err.strip().splitlines()[-1] if err.strip() else ""
            if "interrupted by SIGINT" not in last:
                ck.problems.append("SIGINT: the last line does not say so: %r" % last)
        else:
            ck.problems.append("SIGINT: the run ended before the signal (reference wall %.2f s)" % wall)
        wait_for_session(p.pid)
        if temporaries(out):
            ck.problems.append("SIGINT: temporary files left: %s" % temporaries(out)[:3])
        ck.check_after_kill(out, "SIGINT")
        ck.check_rerun(out, "SIGINT")

        print("SIGKILL at %d moments (%d before the run's end; reference wall %.2f s), SIGINT once: %d problems"
              % (KILLS, killed_before_end, wall, len(ck.problems)))
        for pr in ck.problems[:30]:
            print("FAIL: " + pr)
        if killed_before_end < KILLS // 2:
            print("FAIL: fewer than half of the kills hit a running process")
            return 1
        return 1 if ck.problems else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
