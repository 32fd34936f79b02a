#!/usr/bin/python3
"""Instructions per kernel call with 1 and with 2 threads at the tiny point, counted by valgrind's callgrind.

Below their work thresholds the kernels start no OpenMP team, so asking for 2 threads must run the
same instructions as 1 thread. Wall time cannot show that on a shared host (the tiny point takes
about 0.1 ms and the host moves it by 10-30 %); instruction counts can. For each tiny row it runs
bench_perf under callgrind for t1 and t2 and prints the kernel function's inclusive instruction count
per call (callgrind_annotate's tree output gives the count and the number of calls).

  /usr/bin/python3 bench/same_path.py --build build/perf        (about a minute; needs valgrind)
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

ROWS = [("mha_fwd/f64/tiny", r"attnlab::core::mha_forward<double>"),
        ("mha_fwd/f32/tiny", r"attnlab::core::mha_forward<float>"),
        ("mha_fwd_bwd/f64/tiny", r"attnlab::core::mha_forward_backward<double>"),
        ("mha_fwd_bwd/f32/tiny", r"attnlab::core::mha_forward_backward<float>"),
        ("icl_step/f64/tiny", r"attnlab::core::loss_and_grad\(")]


def per_call(binary, name, fn, tmp):
    out = os.path.join(tmp, "cg.out")
    subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", binary,
                    f"--benchmark_filter=^{name}/", "--benchmark_min_time=0.01"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    tree = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", "--tree=caller", out],
                          capture_output=True, text=True, check=True).stdout
    # Blocks: caller lines "  N (p%)  < caller (kx) [...]" followed by the function's line "  N (p%)  *  fn".
    calls, total = 0, None
    pending = []
    for line in tree.splitlines():
        m = re.match(r"\s*([\d,]+)\s+\([^)]*\)\s+([<*])\s+(.*)", line)
        if not m:
            pending = []
            continue
        if m.group(2) == "<":
            pending.append(m.group(3))
        elif re.search(fn, m.group(3)):
            total = int(m.group(1).replace(",", ""))
            calls = sum(int(c) for p in pending for c in re.findall(r"\((\d+)x\)", p))
            break
        else:
            pending = []
    if total is None or calls == 0:
        raise RuntimeError(f"{name}: no calls of {fn} in the callgrind tree")
    return total / calls, calls


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build/perf")
    a = ap.parse_args()
    binary = os.path.join(a.build, "bench", "bench_perf")
    if subprocess.run(["which", "valgrind"], capture_output=True).returncode != 0:
        print("same_path.py: valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        sys.exit(2)
    print(f"{'workload/point':24s} {'instr/call t1':>14s} {'instr/call t2':>14s} {'t2 - t1':>9s} {'relative':>9s}")
    with tempfile.TemporaryDirectory() as tmp:
        for name, fn in ROWS:
            i1, c1 = per_call(binary, f"{name}/t1", fn, tmp)
            i2, c2 = per_call(binary, f"{name}/t2", fn, tmp)
            print(f"{name:24s} {i1:14,.0f} {i2:14,.0f} {i2 - i1:9,.0f} {(i2 - i1) / i1:9.2e}   ({c1} and {c2} calls)",
                  flush=True)


if __name__ == "__main__":
    main()
