#!/usr/bin/python3
"""PyTorch baselines of bench/bench_perf.cpp's workloads (the same names, points and FLOP formulas).

Run as a worker: `OMP_NUM_THREADS=t MKL_NUM_THREADS=t OPENBLAS_NUM_THREADS=t python3 torch_baselines.py
--threads t --serve` reads one benchmark name per line on stdin
(<workload>/<dtype>/<point>/t<threads>) and answers one JSON line: iterations, wall seconds per
iteration, process CPU seconds per iteration, flop per iteration. Inputs are generated before
timing; each benchmark runs once untimed first (warms the heap and PyTorch's caches), then is timed for
at least --min-time seconds. Standalone: `python3 torch_baselines.py mha_fwd/f64/anchor/t1`.

FLOP formulas (2 per multiply-add of the matrix products; softmax, exp and elementwise work not
counted), identical in bench_perf.cpp:
  mha_fwd      8 B n d^2 + 4 B n^2 d          (QKV and output projections; QK^T and PV)
  mha_fwd_bwd  3 x mha_fwd
  icl_step     B H (8 n D + 4 D^2 + 4 D) + H (4 D^3 + 4 D^2),  D = d + 1
  tensor_fwd   4 n^3 d                         (n^2 pair scores and n^2 weighted values per query)
"""
import argparse
import json
import math
import os
import sys
import time

import torch

MHA_POINTS = {"tiny": (64, 16, 8, 1), "anchor": (256, 64, 32, 4), "large": (1024, 128, 64, 8)}
ICL_POINTS = {"tiny": (64, 16, 8, 1), "anchor": (256, 50, 10, 4), "large": (1024, 128, 64, 8)}


def mha_flops(B, n, d, H):
    return 8.0 * B * n * d * d + 4.0 * B * n * n * d


def icl_flops(B, n, d, H):
    D = d + 1
    return B * H * (8 * n * D + 4 * D * D + 4 * D) + H * (4 * D ** 3 + 4 * D * D)


def mha_forward(X, WQ, WK, WV, WO, H):
    B, n, d = X.shape
    dh = d // H
    qkv = X @ torch.cat([WQ, WK, WV], dim=1)  # B n 3d
    q, k, v = qkv.split(d, dim=-1)
    q = q.reshape(B, n, H, dh).transpose(1, 2)
    k = k.reshape(B, n, H, dh).transpose(1, 2)
    v = v.reshape(B, n, H, dh).transpose(1, 2)
    P = torch.softmax((q @ k.transpose(-1, -2)) * (1.0 / math.sqrt(dh)), dim=-1)
    O = (P @ v).transpose(1, 2).reshape(B, n, d)
    return O @ WO


def make_mha(point, dtype, backward):
    B, n, d, H = MHA_POINTS[point]
    g = torch.Generator().manual_seed(3)
    s = 1.0 / math.sqrt(d)
    W = [(torch.randn(d, d, generator=g, dtype=dtype) * s).requires_grad_(backward) for _ in range(4)]
    X = torch.randn(B, n, d, generator=g, dtype=dtype).requires_grad_(backward)
    G = torch.randn(B, n, d, generator=g, dtype=dtype)
    if not backward:
        def run():
            with torch.no_grad():
                return mha_forward(X, *W, H)
        return run, mha_flops(B, n, d, H)

    def run():
        for t in W + [X]:
            t.grad = None
        Y = mha_forward(X, *W, H)
        Y.backward(G)
        return X.grad
    return run, 3 * mha_flops(B, n, d, H)


def make_icl(point, dtype):
    """One Adam step of the factored query-readout softmax model (core/training.hpp) on a fixed batch:
    s_{h,i} = z_i^T KQ_h z_q, KQ_h = W_K^T W_Q / sqrt(D), p = softmax_i, v_h = sum_i p_i z_i,
    f = sum_h W_O W_V v_h; loss mean (f - y)^2; autograd backward; torch.optim.Adam(lr 1e-3)."""
    B, n, d, H = ICL_POINTS[point]
    D = d + 1
    g = torch.Generator().manual_seed(1)
    x = torch.randn(B, n + 1, d, generator=g, dtype=dtype)
    beta = torch.randn(B, d, 1, generator=g, dtype=dtype) / math.sqrt(d)
    y = (x @ beta).squeeze(-1) + 0.1 ** 0.5 * torch.randn(B, n + 1, generator=g, dtype=dtype)
    Z = torch.cat([x[:, :n], y[:, :n, None]], dim=-1)  # B n D
    zq = torch.cat([x[:, n], torch.zeros(B, 1, dtype=dtype)], dim=-1)  # B D
    yq = y[:, n]
    u = lambda fan, *shape: ((torch.rand(*shape, generator=g, dtype=dtype) * 2 - 1) / math.sqrt(fan)).requires_grad_()
    WQ, WK, WV = u(D, H, D, D), u(D, H, D, D), u(D, H, D, D)
    WO = u(H * D, H, 1, D)
    opt = torch.optim.Adam([WQ, WK, WV, WO], lr=1e-3)

    def run():
        opt.zero_grad(set_to_none=True)
        KQ = WK.transpose(1, 2) @ WQ / math.sqrt(D)  # H D D
        OV = (WO @ WV).squeeze(1)  # H D
        uq = torch.einsum("hij,bj->bhi", KQ, zq)  # B H D
        s = torch.einsum("bnd,bhd->bhn", Z, uq)
        p = torch.softmax(s, dim=-1)
        v = torch.einsum("bhn,bnd->bhd", p, Z)
        f = torch.einsum("bhd,hd->b", v, OV)
        loss = ((f - yq) ** 2).mean()
        loss.backward()
        opt.step()
        return loss
    return run, icl_flops(B, n, d, H)


def make_tensor(point, dtype):
    """Naive order-3 tensor attention, n x n^2 exp scores (row max subtracted), blocks of query rows
    against the materialised Khatri-Rao products K1 (/) K2 and V1 (/) V2."""
    n, d = int(point[1:]), 16
    g = torch.Generator().manual_seed(1)
    U = lambda b: (torch.rand(n, d, generator=g, dtype=dtype) * 2 - 1) * b
    Q, K1, K2, V1, V2 = U(0.8), U(0.8), U(0.8), U(1.0), U(1.0)
    blk = 32

    def run():
        with torch.no_grad():
            KK = (K1[:, None, :] * K2[None, :, :]).reshape(n * n, d)
            VV = (V1[:, None, :] * V2[None, :, :]).reshape(n * n, d)
            Qs = Q / d
            out = torch.empty(n, d, dtype=dtype)
            for i0 in range(0, n, blk):
                S = Qs[i0:i0 + blk] @ KK.T
                P = torch.softmax(S, dim=-1)
                out[i0:i0 + blk] = P @ VV
            return out
    return run, 4.0 * n ** 3 * d


def make_subset(point, dtype):
    """36 exact best-subset-sum problems (pool 24) by meet in the middle: all 2^12 sums of each half,
    the right half sorted, searchsorted for target - left sum, nearest of the two neighbours."""
    m = 24
    g = torch.Generator().manual_seed(100)
    pools = torch.rand(36, m, generator=g, dtype=torch.float64) * 2 - 1
    targets = torch.tensor([0.01 * k - 0.2 for k in range(36)], dtype=torch.float64)
    h = m // 2
    bits = ((torch.arange(1 << h)[:, None] >> torch.arange(h)[None, :]) & 1).to(torch.float64)  # 4096 x 12

    def run():
        best = []
        for k in range(36):
            L = bits @ pools[k, :h]
            R, _ = torch.sort(bits @ pools[k, h:])
            want = targets[k] - L
            idx = torch.searchsorted(R, want).clamp(1, R.numel() - 1)
            err = torch.minimum((R[idx] - want).abs(), (R[idx - 1] - want).abs())
            best.append(err.min())
        return torch.stack(best)
    return run, 0.0


def make(name):
    workload, dt, point, _t = name.split("/")
    dtype = torch.float64 if dt == "f64" else torch.float32
    if workload == "mha_fwd":
        return make_mha(point, dtype, False)
    if workload == "mha_fwd_bwd":
        return make_mha(point, dtype, True)
    if workload == "icl_step":
        return make_icl(point, dtype)
    if workload == "tensor_fwd":
        return make_tensor(point, dtype)
    if workload == "subset_sum":
        return make_subset(point, dtype)
    raise ValueError("no PyTorch baseline for " + name)


def measure(name, min_time):
    run, flop = make(name)
    run()  # warm-up: allocator caches, thread pool
    iters, w0, c0 = 0, time.perf_counter(), time.process_time()
    while True:
        run()
        iters += 1
        wall = time.perf_counter() - w0
        if wall >= min_time:
            break
    cpu = time.process_time() - c0
    return {"name": name, "iterations": iters, "wall_s": wall / iters, "cpu_s": cpu / iters, "flop": flop}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--min-time", type=float, default=0.3)
    ap.add_argument("--serve", action="store_true")
    ap.add_argument("names", nargs="*")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    for v in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        if os.environ.get(v) != str(a.threads):
            print(f"warning: {v}={os.environ.get(v)} (want {a.threads}: set it before starting Python)", file=sys.stderr)
    if a.serve:
        print(json.dumps({"ready": True}), flush=True)  # imports done: the driver waits for this line
    names = a.names if not a.serve else (line.strip() for line in sys.stdin)
    for name in names:
        if not name:
            continue
        print(json.dumps(measure(name, a.min_time)), flush=True)


if __name__ == "__main__":
    main()
