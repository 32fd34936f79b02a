#include "core/rng.hpp"

namespace attnlab::core {

std::uint64_t hash64(const char* s) {
  std::uint64_t h = 1469598103934665603ULL;
  for (; *s; ++s) {
    h ^= static_cast<unsigned char>(*s);
    h *= 1099511628211ULL;
  }
  return h;
}

std::uint64_t stream_id(std::uint64_t tag, std::uint64_t index) {
  // splitmix64 finaliser of (tag, index): distinct (tag, index) give distinct ids w.h.p.
  std::uint64_t z = tag + 0x9E3779B97F4A7C15ULL * (index + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

PhiloxStream::PhiloxStream(std::uint64_t seed, std::uint64_t stream) : seed_(seed), stream_(stream) {}

std::uint64_t PhiloxStream::raw_word(std::uint64_t seed, std::uint64_t stream, std::uint64_t block, int lane) {
  Engine eng;
  Engine::key_type k = {{seed, stream}};
  Engine::ctr_type c = {{block, 0, 0, 0}};
  return eng(c, k)[lane];
}

std::uint64_t PhiloxStream::next_u64() {
  if (lane_ == 4) {
    Engine eng;
    Engine::key_type k = {{seed_, stream_}};
    Engine::ctr_type c = {{block_, 0, 0, 0}};
    out_ = eng(c, k);
    ++block_;
    lane_ = 0;
  }
  return out_[lane_++];
}

double PhiloxStream::uniform() {
  // (w >> 11 + 0.5) * 2^-53 lies strictly inside (0, 1).
  return (static_cast<double>(next_u64() >> 11) + 0.5) * 0x1.0p-53;
}

double PhiloxStream::normal() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  const double u1 = uniform(), u2 = uniform();
  const double r = std::sqrt(-2.0 * std::log(u1));
  const double t = 2.0 * M_PI * u2;
  spare_ = r * std::sin(t);
  has_spare_ = true;
  return r * std::cos(t);
}

Eigen::MatrixXd PhiloxStream::normal_matrix(Eigen::Index rows, Eigen::Index cols, double scale) {
  Eigen::MatrixXd m(rows, cols);
  for (Eigen::Index j = 0; j < cols; ++j)
    for (Eigen::Index i = 0; i < rows; ++i) m(i, j) = scale * normal();
  return m;
}

Eigen::VectorXd PhiloxStream::normal_vector(Eigen::Index n, double scale) {
  Eigen::VectorXd v(n);
  for (Eigen::Index i = 0; i < n; ++i) v(i) = scale * normal();
  return v;
}

}  // namespace attnlab::core
