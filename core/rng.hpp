// Counter-based random streams (Random123 Philox4x64-10), keyed by (seed, stream).
// Trial i of a computation draws from stream i, so the thread count and the device
// never change what is sampled. A rejected draw continues on the same stream.
#pragma once
#include <Random123/philox.h>
#include <Eigen/Dense>
#include <array>
#include <cmath>
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

}  // namespace attnlab::core
