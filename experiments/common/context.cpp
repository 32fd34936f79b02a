// CSV cells and tables, and what a running claim sees (parameters, random streams, output sink).
#include "experiments/common/context.hpp"

#include "experiments/common/format.hpp"
#include "experiments/common/run.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <stdexcept>

namespace attnlab::exp {

namespace {

// RFC 4180: quote a field only when it holds a comma, a quote or a line break; double the quotes.
std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"') out += '"';
    out += ch;
  }
  out += '"';
  return out;
}

}  // namespace

std::string Cell::str() const {
  switch (t) {
    case T::real: return format::exact(r);
    case T::integer: return std::to_string(i);
    case T::text: return csv_field(s);
  }
  return "";
}

Table& Table::row(std::vector<Cell> cells) {
  if (cells.size() != header_.size())
    throw std::logic_error("CSV row has " + std::to_string(cells.size()) + " cells but the header has " +
                           std::to_string(header_.size()) + " columns");
  rows_.push_back(std::move(cells));
  return *this;
}

std::string Table::to_csv() const {
  std::string out;
  for (std::size_t k = 0; k < header_.size(); ++k) {
    if (k) out += ',';
    out += csv_field(header_[k]);
  }
  out += '\n';
  for (const auto& r : rows_) {
    for (std::size_t k = 0; k < r.size(); ++k) {
      if (k) out += ',';
      out += r[k].str();
    }
    out += '\n';
  }
  return out;
}

Context::Context(const Claim& claim, Mode mode, std::uint64_t seed, int threads, Device device,
                 std::map<std::string, double> params)
    : claim_(&claim), mode_(mode), seed_(seed), threads_(threads), device_(device), params_(std::move(params)) {}

namespace {

const ParamSpec* find_spec(const Claim& c, const std::string& short_name) {
  for (const ParamSpec& p : c.params)
    if (p.name == short_name) return &p;
  return nullptr;
}

}  // namespace

double Context::real(const std::string& short_name) const {
  for (const std::string& full : {claim_->id + "." + short_name, claim_->experiment() + "." + short_name}) {
    auto it = params_.find(full);
    if (it != params_.end()) return it->second;
  }
  throw std::logic_error("claim " + claim_->id + " reads parameter '" + short_name + "', which it does not declare");
}

long long Context::integer(const std::string& short_name) const {
  const ParamSpec* spec = find_spec(*claim_, short_name);
  if (spec && spec->type != ParamSpec::Type::integer)
    throw std::logic_error("claim " + claim_->id + ": parameter '" + short_name + "' is real; read it with real()");
  double v = real(short_name);
  if (v != std::floor(v) || std::fabs(v) > 9.0e15)
    throw std::logic_error("claim " + claim_->id + ": parameter '" + short_name + "' = " + format::exact(v) +
                           " is not an integer");
  return static_cast<long long>(v);
}

core::PhiloxStream Context::rng(const std::string& family, std::uint64_t index) const {
  const std::string tag = claim_->id + "/" + family;
  return core::PhiloxStream(seed_, core::stream_id(core::hash64(tag.c_str()), index));
}

Table& Context::csv(const std::string& file, std::vector<std::string> header) {
  const std::string ext = ".csv";
  if (file.size() <= ext.size() || file.compare(file.size() - ext.size(), ext.size(), ext) != 0 ||
      file.find_first_of("/\\") != std::string::npos || file[0] == '.')
    throw std::logic_error("claim " + claim_->id + ": CSV name '" + file + "' must be a plain file name ending in .csv");
  auto it = tables_.find(file);
  if (it != tables_.end()) {
    if (it->second.header() != header)
      throw std::logic_error("claim " + claim_->id + ": CSV " + file + " requested twice with different headers");
    return it->second;
  }
  return tables_.emplace(file, Table(std::move(header))).first->second;
}

namespace {

bool progress_enabled() {
  static const bool enabled = [] {
    const char* v = std::getenv("ATTNLAB_VERBOSE");
    return isatty(2) || (v && std::string(v) == "1");
  }();
  return enabled;
}

std::mutex progress_mutex;

}  // namespace

void Context::progress(const std::string& line) const {
  if (!progress_enabled()) return;
  std::lock_guard<std::mutex> lock(progress_mutex);
  const std::string name = claim_->id.substr(claim_->id.find('.') + 1);
  if (isatty(2))
    std::fprintf(stderr, "\r\033[K[%s] %s: %s", claim_->experiment().c_str(), name.c_str(), line.c_str());
  else
    std::fprintf(stderr, "[%s] %s: %s\n", claim_->experiment().c_str(), name.c_str(), line.c_str());
  std::fflush(stderr);
}

}  // namespace attnlab::exp
