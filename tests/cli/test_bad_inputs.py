#!/usr/bin/env python3
"""Bad input at scale: generated malformed command lines and --config files.

    test_bad_inputs.py FAKE_BIN [REAL_BIN]

FAKE_BIN is attnlab_fake_cli (the framework with only the test experiment "fake": parsing is
the same code, a run would take milliseconds); REAL_BIN, when given, is attnlab and gets a
share of the inputs naming its own parameters. Every input is malformed by construction
(unknown names, wrong types, out-of-range and non-finite numbers, empty and huge values,
broken TOML, unwritable paths). Each run must exit with 2 within 20 s, print exactly one line
on stderr ("attnlab: error: ...") naming the problem and nothing on stdout, and leave the
output folder (a complete earlier run) byte for byte as it was. The generator is seeded:
the same inputs every time. Prints the count of inputs tried; exits 1 on the first failures.
"""
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

MIN_INPUTS = 500


def snapshot(root):
    snap = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for d in dirnames:
            snap[os.path.relpath(os.path.join(dirpath, d), root)] = "dir"
        for f in filenames:
            p = os.path.join(dirpath, f)
            with open(p, "rb") as fh:
                snap[os.path.relpath(p, root)] = (os.stat(p).st_mtime_ns, fh.read())
    return snap


def listing(binary):
    """{full parameter name: (type, lo, hi)} and the experiment names, from `list`."""
    out = subprocess.run([binary, "list"], capture_output=True, text=True, timeout=60).stdout
    params = {}
    for m in re.finditer(r"^\s+param (\S+)\s+(integer|real)\s+quick \S+\s+full \S+\s+range \[(\S+), (\S+)\]", out, re.M):
        params[m.group(1)] = (m.group(2), float(m.group(3)), float(m.group(4)))
    experiments = re.findall(r"^experiment (\S+):", out, re.M)
    return params, experiments


class Generator:
    """Malformed inputs, each as (argv after the program name, files to write {name: text},
    a substring the error line must contain or None)."""

    def __init__(self, rng, params, experiments, workdir, config_text):
        self.rng = rng
        self.params = params
        self.names = sorted(params)
        self.experiments = experiments
        self.workdir = workdir
        self.config_text = config_text
        self.counter = 0

    def word(self, lo=1, hi=12, alphabet="abcdefghijklmnopqrstuvwxyz_0123456789"):
        return "".join(self.rng.choice(alphabet) for _ in range(self.rng.randint(lo, hi)))

    def junk(self):
        return self.rng.choice(["abc", "1x", "0x1g", "--", "1,5", "1e", "e5", "..1", "+-1", "1 2", "true",
                                "[1]", "\"3\"", "1/2", "٣", "1_000", "0b101", "one", "1.2.3", "5%"])

    def nonfinite(self):
        return self.rng.choice(["nan", "NaN", "inf", "-inf", "+inf", "Infinity", "-nan", "1e999", "-1e999", "1e400"])

    def out_of_range(self, name):
        typ, lo, hi = self.params[name]
        if self.rng.random() < 0.5 or lo <= -1e300:
            v = hi + max(1.0, abs(hi)) * self.rng.choice([1e-3, 1, 10, 1e6]) if hi < 1e300 else None
        else:
            v = lo - max(1.0, abs(lo)) * self.rng.choice([1e-3, 1, 10, 1e6])
        if v is None:
            v = lo - 1
        if typ == "integer":
            v = float(int(v)) + (1 if v > hi else -1)
        return repr(v) if typ == "real" else str(int(v))

    def fraction_for_integer(self):
        ints = [n for n in self.names if self.params[n][0] == "integer"]
        if not ints:
            return None
        n = self.rng.choice(ints)
        _, lo, hi = self.params[n]
        return n, str(lo + 0.5 if lo + 0.5 <= hi else lo)

    def config_file(self, text):
        self.counter += 1
        name = "cfg%04d.toml" % self.counter
        return os.path.join(self.workdir, name), text

    def cases(self, count):
        makers = [self.unknown_set_name, self.set_wrong_type, self.set_out_of_range, self.set_nonfinite,
                  self.set_empty_or_huge, self.bad_flag_values, self.unknown_flag_or_command, self.broken_toml,
                  self.config_bad_values, self.unwritable_out]
        out = []
        while len(out) < count:
            case = self.rng.choice(makers)()
            if case is not None:
                out.append(case)
        return out

    # --- categories ---------------------------------------------------------------------
    def unknown_set_name(self):
        base = self.rng.choice(self.names) if self.names else "x.y"
        name = self.rng.choice([base + self.word(1, 3), base[: max(1, len(base) - 2)], "nope." + self.word(),
                                self.word() + "." + self.word() + "." + self.word(), base.upper(),
                                base.replace(".", "..", 1)])
        if name in self.params:
            return None
        return ["run", "all", "--set", "%s=%s" % (name, self.rng.choice(["1", "0.5", "3"]))], {}, name

    def set_wrong_type(self):
        if self.rng.random() < 0.3:
            f = self.fraction_for_integer()
            if f and f[1] != str(self.params[f[0]][1]):
                return ["run", "all", "--set", "%s=%s" % f], {}, f[0]
        n = self.rng.choice(self.names)
        j = self.junk()
        return ["run", "all", "--set", "%s=%s" % (n, j)], {}, n

    def set_out_of_range(self):
        n = self.rng.choice(self.names)
        return ["run", "all", "--set", "%s=%s" % (n, self.out_of_range(n))], {}, n

    def set_nonfinite(self):
        n = self.rng.choice(self.names)
        return ["run", "all", "--set", "%s=%s" % (n, self.nonfinite())], {}, n

    def set_empty_or_huge(self):
        n = self.rng.choice(self.names)
        choice = self.rng.randrange(6)
        if choice == 0:
            return ["run", "all", "--set", n + "="], {}, n
        if choice == 1:
            return ["run", "all", "--set", "=" + self.rng.choice(["1", ""])], {}, "--set"
        if choice == 2:
            return ["run", "all", "--set", n + "=" + "9" * self.rng.randint(400, 5000)], {}, n
        if choice == 3:
            big = self.word(2000, 20000)
            return ["run", "all", "--set", big + "=1"], {}, "unknown parameter"
        if choice == 4:
            return ["run", "all", "--set", ""], {}, "--set"
        return ["run", "all", "--claim", ""], {}, "--claim"

    def bad_flag_values(self):
        flag = self.rng.choice(["--seed", "--threads", "--device", "--claim", "--out", "--config"])
        if flag == "--seed":
            v = self.rng.choice(["-1", "-0.5", "1.5", "abc", "", "1e3", "9" * self.rng.randint(20, 400), "0x10",
                                 "18446744073709551616", " 3", "nan"])
        elif flag == "--threads":
            v = self.rng.choice(["0", "-2", "1.5", "two", "", "100000", "9" * 30, "inf"])
        elif flag == "--device":
            v = self.rng.choice(["gpu", "tpu", "CPU", "", "cuda0", self.word(1, 200)])
        elif flag == "--claim":
            v = "zz" + self.word() + "*"
        elif flag == "--out":
            return None  # see unwritable_out
        else:
            v = os.path.join(self.workdir, "missing-" + self.word() + ".toml")
        must = {"--claim": "matches no claim", "--config": v}.get(flag, flag) if v else flag
        return ["run", "all", "%s=%s" % (flag, v)], {}, must

    def unknown_flag_or_command(self):
        c = self.rng.randrange(5)
        if c == 0:
            f = "--" + self.word(2, 10)
            return ["run", "all", f], {}, f
        if c == 1:
            sub = self.word(2, 10)
            if sub in ("list", "run"):
                return None
            return [sub], {}, sub
        if c == 2:
            e = self.word(2, 10) + "x"
            return ["run", e], {}, e
        if c == 3:
            return ["run", "all", "--quick", "--full"], {}, "--full"
        return ["run", "all", self.rng.choice(self.experiments)], {}, None  # extra positional

    def broken_toml(self):
        lines = self.config_text.splitlines()
        breakers = [
            'x = "unterminated',
            "[params",
            "[[params]]",
            "key = ",
            "= 3",
            "a b = 1",
            "v = 1.2.3",
            "v = [1, 2]",
            "v = {a = 1}",
            "v = 1979-05-27",
            "v = 'literal'",
            "a.b = 1",
            "v = 01",
            "v = 1_000",
            "v = \"bad escape \\q\"",
            "\x00",
            "[run]",  # a duplicated table
        ]
        b = self.rng.choice(breakers)
        at = self.rng.randint(0, len(lines))
        new = lines[:at] + [b] + lines[at:]
        if b == "[run]" and at == 0:
            new = lines + [b]
        path, text = self.config_file("\n".join(new) + "\n")
        return ["run", "all", "--config", path], {path: text}, os.path.basename(path)

    def config_bad_values(self):
        name = self.rng.choice(self.names)
        c = self.rng.randrange(7)
        if c == 0:
            val, must = self.rng.choice(["nan", "inf", "-inf", "+inf"]), name
        elif c == 1:
            val, must = self.out_of_range(name), name
        elif c == 2:
            val, must = self.rng.choice(['"1"', "true", '"abc"']), name
        elif c == 3:
            name = "nope." + self.word()
            val, must = "1", name
        elif c == 4:
            text = self.config_text.replace('seed = 1', "seed = " + self.rng.choice(["-1", '"1"', "1.5", "true"]))
            path, text = self.config_file(text)
            return ["run", "all", "--config", path], {path: text}, "seed"
        elif c == 5:
            text = self.config_text.replace('mode = "quick"', 'mode = "' + self.word(1, 8) + '"')
            path, text = self.config_file(text)
            return ["run", "all", "--config", path], {path: text}, "mode"
        else:
            text = self.config_text + "\n[" + self.word(2, 8) + "]\n"
            path, text = self.config_file(text)
            return ["run", "all", "--config", path], {path: text}, os.path.basename(path)
        text = self.config_text.rstrip("\n") + '\n"%s" = %s\n' % (name, val)
        if name in self.config_text:  # replace the existing line instead of duplicating it
            text = re.sub(r'^"%s" = .*$' % re.escape(name), '"%s" = %s' % (name, val), self.config_text, flags=re.M)
        path, text = self.config_file(text)
        return ["run", "all", "--config", path], {path: text}, must

    def unwritable_out(self):
        afile = os.path.join(self.workdir, "a-file")
        c = self.rng.randrange(5)
        if c == 0:
            return ["run", "all", "--out", os.path.join(afile, self.word())], {}, "--out"
        if c == 1:
            return ["run", "all", "--out", afile], {}, "--out"
        if c == 2:
            return ["run", "all", "--out", "/proc/self/" + self.word()], {}, "--out"
        if c == 3:
            return ["run", "all", "--out", ""], {}, "--out"
        return ["run", "all", "--out", "/dev/null/" + self.word()], {}, "--out"


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    binaries = [(argv[1], 0.85)] + ([(argv[2], 0.15)] if len(argv) > 2 else [])
    work = tempfile.mkdtemp(prefix="attnlab-bad-")
    failures, tried = [], 0
    try:
        with open(os.path.join(work, "a-file"), "w") as f:
            f.write("a file, not a folder\n")
        for b_index, (binary, share) in enumerate(binaries):
            params, experiments = listing(binary)
            assert params and experiments, "no parameters listed by " + binary
            # the output folder: a complete earlier run (the fake one exits 1: expected FAILs)
            out = os.path.join(work, "out%d" % b_index)
            seed_run = [binary, "run", "all", "--no-plots", "--out", out]
            if b_index > 0:  # the real suite: one fast claim is enough to fill the folder
                seed_run = [binary, "run", experiments[0], "--no-plots", "--out", out, "--claim", "*single_head*"]
            r = subprocess.run(seed_run, capture_output=True, text=True, timeout=600)
            assert r.returncode in (0, 1), r.stderr
            with open(os.path.join(out, experiments[0], "config.toml")) as f:
                config_text = f.read()
            before = snapshot(out)
            rng = random.Random(20261203 + b_index)
            gen = Generator(rng, params, experiments, work, config_text)
            count = max(int(round(MIN_INPUTS * share / binaries[0][1])), 60) if b_index else MIN_INPUTS
            for args, files, must in gen.cases(count):
                for path, text in files.items():
                    with open(path, "w", encoding="utf-8", errors="surrogateescape") as f:
                        f.write(text)
                full = list(args)
                if "--out" not in " ".join(a.split("=")[0] for a in full):
                    full += ["--out", out]
                tried += 1
                try:
                    r = subprocess.run([binary] + full, capture_output=True, timeout=20)
                except subprocess.TimeoutExpired:
                    failures.append((full, "hang (> 20 s)"))
                    continue
                err = r.stderr.decode("utf-8", "replace")
                lines = err.splitlines()
                problem = None
                if r.returncode != 2:
                    problem = "exit %d" % r.returncode
                elif r.stdout:
                    problem = "stdout not empty"
                elif len(lines) != 1 or not lines[0].startswith("attnlab: error: "):
                    problem = "not one error line: %r" % err[:300]
                elif must is not None and must not in lines[0]:
                    problem = "the line does not name %r: %s" % (must[:60], lines[0][:300])
                if problem is None and snapshot(out) != before:
                    problem = "the output folder changed"
                if problem:
                    failures.append((full, problem))
                for path in files:
                    os.remove(path)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("bad inputs tried: %d, failures: %d" % (tried, len(failures)))
    for args, problem in failures[:20]:
        shown = [a if len(a) < 120 else a[:60] + "...(%d chars)" % len(a) for a in args]
        print("FAIL: %s: %s" % (" ".join(shown), problem))
    if tried < MIN_INPUTS:
        print("FAIL: only %d inputs were tried" % tried)
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
