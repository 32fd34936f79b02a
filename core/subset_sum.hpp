// Exact best-subset-sum approximation by meet in the middle.
//
// Given pool values a_0..a_{m-1} (m <= 40) and a target t, find the subset S (possibly empty)
// minimising |t - sum_{k in S} a_k|. The search splits the pool into halves of sizes
// floor(m/2) and ceil(m/2), enumerates each half's 2^{m/2} subset sums already sorted (by
// doubling: merge(sums, sums + a_k), linear per element, no sort), and sweeps the two sorted
// lists with two pointers (first ascending, second descending): O(2^{m/2}) per problem after
// enumeration, O(2^{m/2} m) in all. Selection bits: bit k of `mask` = [k in S].
//
// Tie-break (deterministic): among the candidate pairs the sweep examines, the smallest error
// wins and equal errors keep the one with the smaller 64-bit mask. With distinct subset sums
// this is the unique optimum; with exactly repeated sums (repeated or zero pool values) it is
// still a function of the input only, never of timing or threads.
//
// Also: a brute-force reference (m <= 26) for tests, all 2^m subset sums sorted, the coverage
// radius of a pool over an interval, and a batch interface over many independent problems
// (OpenMP over problems, each result in its own slot).
#pragma once
#include <cstdint>
#include <span>
#include <vector>

namespace attnlab::core {

struct SubsetSumResult {
  double error = 0;         // |target - sum|
  double sum = 0;           // the selected subset's sum (left-half sum + right-half sum)
  std::uint64_t mask = 0;   // bit k set iff values[k] is selected
};

// Largest pool the meet-in-the-middle solver accepts (2^20 entries per half).
inline constexpr int kSubsetSumMaxPool = 40;

// Reusable scratch buffers (one per thread avoids reallocations in loops).
struct SubsetSumWorkspace {
  std::vector<double> ls, rs, tmp_s;
  std::vector<std::uint32_t> lm, rm, tmp_m;
};

// All subset sums of values[0..n) in ascending order with their masks (bit k = values[k]);
// n <= 26. Equal sums keep a deterministic order (the merge takes the left list first).
void sorted_subset_sums(std::span<const double> values, std::vector<double>& sums, std::vector<std::uint32_t>& masks,
                        std::vector<double>& tmp_s, std::vector<std::uint32_t>& tmp_m);
std::vector<double> sorted_subset_sums(std::span<const double> values);

// Exact best subset (meet in the middle). Throws std::invalid_argument for m > 40 or a
// non-finite value or target.
SubsetSumResult best_subset_sum(std::span<const double> values, double target, SubsetSumWorkspace& ws);
SubsetSumResult best_subset_sum(std::span<const double> values, double target);

// Brute force over all 2^m subsets (m <= 26), sums accumulated in index order; same tie-break
// (smallest error, then smallest mask). Reference for tests.
SubsetSumResult best_subset_sum_brute(std::span<const double> values, double target);

// Sum of values selected by mask, accumulated in index order.
double masked_sum(std::span<const double> values, std::uint64_t mask);

// Coverage radius over [lo, hi]: sup_{z in [lo,hi]} min_S |z - sum_S| (m <= 22): the largest of
// the distances from lo and hi to the set of subset sums and half of every gap between
// consecutive sorted sums whose midpoint lies in [lo, hi].
double coverage_radius(std::span<const double> values, double lo = -1.0, double hi = 1.0);

// Many independent problems: pools[k] against targets[k]; OpenMP over problems with
// `threads` threads, results in their own slots (bit-identical for any thread count).
std::vector<SubsetSumResult> best_subset_sum_batch(const std::vector<std::vector<double>>& pools,
                                                   const std::vector<double>& targets, int threads = 1);

}  // namespace attnlab::core
