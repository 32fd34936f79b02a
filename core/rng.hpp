// Counter-based random streams (Random123 Philox4x64-10), keyed by (seed, stream).
// Trial i of a computation draws from stream i, so the thread count and the device
// never change what is sampled. A rejected draw continues on the same stream.
#pragma once
#include <Random123/philox.h>
#include <Eigen/Dense>
#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>

namespace attnlab::core {

// Mixes a tag (e.g. a hash of a name) and an index into one 64-bit stream id.
std::uint64_t stream_id(std::uint64_t tag, std::uint64_t index);
// FNV-1a 64-bit hash of a string: stable across builds and platforms.
std::uint64_t hash64(const char* s);

class PhiloxStream {
 public:
  using Engine = r123::Philox4x64;
  PhiloxStream(std::uint64_t seed, std::uint64_t stream);

  // Next raw 64-bit word (words 0..3 of counter block 0, then block 1, ...).
  std::uint64_t next_u64();
  // Uniform on the open interval (0, 1), 53 random bits.
  double uniform();
  // Uniform on (lo, hi).
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // Standard normal, Box-Muller on two uniforms; the second value is kept for the next call.
  double normal();
  // Matrix of i.i.d. N(0, scale^2) entries, filled in column-major order.
  Eigen::MatrixXd normal_matrix(Eigen::Index rows, Eigen::Index cols, double scale = 1.0);
  Eigen::VectorXd normal_vector(Eigen::Index n, double scale = 1.0);
  // Fills out[0..count) with i.i.d. standard normals, in whole counter blocks: it starts at the
  // next unused block (the rest of a partly used block and a kept normal() spare are dropped)
  // and each block's 4 words give 4 normals (Box-Muller on words (0, 1) and (2, 3): radius
  // from word 0, angle from word 1: quadrant in its top 2 bits, the rest by polynomial sine and
  // cosine, |error| < 1e-15). Afterwards the stream continues at the block after the last one
  // used. Several times faster than repeated normal(); its values differ from normal()'s.
  void fill_normal(double* out, std::size_t count);
  // Raw word of block `block`, lane `lane` (0..3), without advancing: for parity tests.
  static std::uint64_t raw_word(std::uint64_t seed, std::uint64_t stream, std::uint64_t block, int lane);

  std::uint64_t seed() const { return seed_; }
  std::uint64_t stream() const { return stream_; }

 private:
  std::uint64_t seed_, stream_;
  std::uint64_t block_ = 0;
  int lane_ = 4;
  Engine::ctr_type out_{};
  bool has_spare_ = false;
  double spare_ = 0.0;
};

inline void PhiloxStream::fill_normal(double* out, std::size_t count) {
  lane_ = 4;
  has_spare_ = false;
  const Engine::key_type key = {{seed_, stream_}};
  Engine eng;
  constexpr std::size_t kPairs = 128;  // pairs per chunk
  alignas(64) double u[kPairs], rad[kPairs], frac[kPairs], z[2 * kPairs];
  alignas(64) std::uint32_t quad[kPairs];
  for (std::size_t o = 0; o < count; o += 2 * kPairs) {
    const std::size_t m = std::min<std::size_t>(2 * kPairs, count - o);
    const std::size_t np = ((m + 3) / 4) * 2;  // pairs: two per block
    for (std::size_t b = 0; b < np / 2; ++b) {
      const Engine::ctr_type c = {{block_++, 0, 0, 0}};
      const Engine::ctr_type w = eng(c, key);
      for (int h = 0; h < 2; ++h) {
        const std::size_t i = 2 * b + std::size_t(h);
        u[i] = (static_cast<double>(w[2 * h] >> 11) + 0.5) * 0x1.0p-53;
        quad[i] = static_cast<std::uint32_t>(w[2 * h + 1] >> 62);
        frac[i] = (static_cast<double>((w[2 * h + 1] << 2) >> 11) + 0.5) * 0x1.0p-53;
      }
    }
    for (std::size_t i = 0; i < np; ++i) rad[i] = std::log(u[i]);
    for (std::size_t i = 0; i < np; ++i) {
      const double r = std::sqrt(-2.0 * rad[i]);
      const double a = 1.5707963267948966 * (frac[i] - 0.5);  // in [-pi/4, pi/4]
      const double a2 = a * a;
      const double s =
          a * (1 + a2 * (-1.0 / 6 + a2 * (1.0 / 120 + a2 * (-1.0 / 5040 + a2 * (1.0 / 362880 +
              a2 * (-1.0 / 39916800 + a2 * (1.0 / 6227020800 + a2 * (-1.0 / 1307674368000))))))));
      const double c =
          1 + a2 * (-0.5 + a2 * (1.0 / 24 + a2 * (-1.0 / 720 + a2 * (1.0 / 40320 + a2 * (-1.0 / 3628800 +
              a2 * (1.0 / 479001600 + a2 * (-1.0 / 87178291200 + a2 * (1.0 / 20922789888000))))))));
      // angle = quad * pi/2 + a: rotate (cos a, sin a) by quad quarter turns.
      const std::uint32_t q = quad[i];
      const double cs = (q & 1) ? s : c, sn = (q & 1) ? c : s;
      const double cos_t = ((q + 1) & 2) ? -cs : cs;
      const double sin_t = (q & 2) ? -sn : sn;
      z[2 * i] = r * cos_t;
      z[2 * i + 1] = r * sin_t;
    }
    std::copy(z, z + m, out + o);
  }
}

}  // namespace attnlab::core
