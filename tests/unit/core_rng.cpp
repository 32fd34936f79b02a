#include "core/rng.hpp"

#include <catch2/catch.hpp>
#include <omp.h>
#include <cmath>
#include <vector>

using attnlab::core::PhiloxStream;

TEST_CASE("Philox streams are reproducible and keyed by (seed, stream)") {
  PhiloxStream a(7, 3), b(7, 3), c(7, 4), d(8, 3);
  std::vector<std::uint64_t> wa, wb, wc, wd;
  for (int i = 0; i < 64; ++i) {
    wa.push_back(a.next_u64());
    wb.push_back(b.next_u64());
    wc.push_back(c.next_u64());
    wd.push_back(d.next_u64());
  }
  CHECK(wa == wb);
  CHECK(wa != wc);
  CHECK(wa != wd);
  // the raw-word accessor addresses the same words (block, lane) without state
  for (int i = 0; i < 64; ++i) CHECK(PhiloxStream::raw_word(7, 3, i / 4, i % 4) == wa[i]);
}

TEST_CASE("Philox4x64-10 matches the Random123 known-answer vector") {
  // Random123's kat_vectors: philox4x64 10 rounds, counter {0,0,0,0}, key {0,0}
  //   -> 16554d9eca36314c db20fe9d672d0fdc d7e772cee186176b 7e68b68aec7ba23b
  CHECK(PhiloxStream::raw_word(0, 0, 0, 0) == 0x16554d9eca36314cULL);
  CHECK(PhiloxStream::raw_word(0, 0, 0, 1) == 0xdb20fe9d672d0fdcULL);
  CHECK(PhiloxStream::raw_word(0, 0, 0, 2) == 0xd7e772cee186176bULL);
  CHECK(PhiloxStream::raw_word(0, 0, 0, 3) == 0x7e68b68aec7ba23bULL);
}

TEST_CASE("uniform draws lie in (0,1) with the right moments; normals have mean 0, variance 1") {
  PhiloxStream r(1, 1);
  const int n = 200000;
  double su = 0, sn = 0, sn2 = 0, sn4 = 0;
  for (int i = 0; i < n; ++i) {
    const double u = r.uniform();
    REQUIRE(u > 0.0);
    REQUIRE(u < 1.0);
    su += u;
  }
  for (int i = 0; i < n; ++i) {
    const double z = r.normal();
    sn += z;
    sn2 += z * z;
    sn4 += z * z * z * z;
  }
  CHECK(std::abs(su / n - 0.5) < 5 * std::sqrt(1.0 / 12 / n));
  CHECK(std::abs(sn / n) < 5 / std::sqrt(double(n)));
  CHECK(std::abs(sn2 / n - 1) < 5 * std::sqrt(2.0 / n));
  CHECK(std::abs(sn4 / n - 3) < 5 * std::sqrt(96.0 / n));
}

TEST_CASE("per-trial streams give the same draws whatever the thread count") {
  auto draw = [](int threads) {
    std::vector<double> out(64);
    omp_set_num_threads(threads);
#pragma omp parallel for schedule(dynamic)
    for (int t = 0; t < 64; ++t) {
      PhiloxStream s(42, attnlab::core::stream_id(attnlab::core::hash64("test"), t));
      double acc = 0;
      for (int k = 0; k < 100; ++k) acc += s.normal();
      out[t] = acc;
    }
    return out;
  };
  const auto one = draw(1), two = draw(2);
  for (int t = 0; t < 64; ++t) CHECK(one[t] == two[t]);  // bit-identical, not approximately
}

TEST_CASE("stream ids separate tags and indices") {
  using attnlab::core::hash64;
  using attnlab::core::stream_id;
  CHECK(stream_id(hash64("a"), 0) != stream_id(hash64("a"), 1));
  CHECK(stream_id(hash64("a"), 0) != stream_id(hash64("b"), 0));
  CHECK(hash64("") == 1469598103934665603ULL);  // FNV-1a offset basis
}

TEST_CASE("fill_normal: Box-Muller of whole blocks, reference by std::cos/std::sin, moments, continuation") {
  const double pi = 3.14159265358979323846;
  PhiloxStream s(11, 5);
  s.normal();  // a partly used block and a spare are dropped
  std::vector<double> z(1001);
  s.fill_normal(z.data(), z.size());
  // Block 1 onward (block 0 was opened by normal()); block b gives z[4(b-1) .. 4(b-1)+3].
  double maxerr = 0;
  for (std::size_t i = 0; i < z.size(); ++i) {
    const std::uint64_t block = 1 + i / 4;
    const int pair = int(i % 4) / 2;
    const std::uint64_t w0 = PhiloxStream::raw_word(11, 5, block, 2 * pair);
    const std::uint64_t w1 = PhiloxStream::raw_word(11, 5, block, 2 * pair + 1);
    const double u = (double(w0 >> 11) + 0.5) * 0x1.0p-53;
    const double frac = (double((w1 << 2) >> 11) + 0.5) * 0x1.0p-53;
    const double theta = double(w1 >> 62) * pi / 2 + (pi / 2) * (frac - 0.5);
    const double r = std::sqrt(-2 * std::log(u));
    const double ref = (i % 2 == 0) ? r * std::cos(theta) : r * std::sin(theta);
    maxerr = std::max(maxerr, std::abs(z[i] - ref) / (1 + std::abs(ref)));
  }
  CHECK(maxerr < 1e-14);
  // 1001 normals use 251 blocks (1..251); the stream continues at block 252.
  CHECK(s.next_u64() == PhiloxStream::raw_word(11, 5, 252, 0));

  PhiloxStream t(3, 9);
  std::vector<double> big(1 << 20);
  t.fill_normal(big.data(), big.size());
  double m1 = 0, m2 = 0, m4 = 0, tail = 0;
  for (double v : big) m1 += v, m2 += v * v, m4 += v * v * v * v, tail += std::abs(v) > 1.959963984540054;
  const double N = double(big.size());
  m1 /= N, m2 /= N, m4 /= N, tail /= N;
  CHECK(std::abs(m1) < 5 * std::sqrt(1 / N));
  CHECK(std::abs(m2 - 1) < 5 * std::sqrt(2 / N));
  CHECK(std::abs(m4 - 3) < 5 * std::sqrt(96 / N));
  CHECK(std::abs(tail - 0.05) < 5 * std::sqrt(0.05 * 0.95 / N));
  // Same stream and position, same values; repeated chunks equal one call.
  PhiloxStream a(3, 9), b(3, 9);
  std::vector<double> x(1000), y(1000);
  a.fill_normal(x.data(), 1000);
  b.fill_normal(y.data(), 256);
  b.fill_normal(y.data() + 256, 744);
  CHECK(x == y);
}
