// CSV cells and tables, and what a running claim sees (parameters, random streams, output sink).
#include "experiments/common/context.hpp"

#include "experiments/common/format.hpp"
#include "experiments/common/run.hpp"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
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

void Context::check_unit_size(const std::string& family, std::uint64_t index, std::size_t want,
                              std::size_t got) const {
  if (want != got)
    throw std::logic_error("claim " + claim_->id + ": unit " + family + "#" + std::to_string(index) + " returned " +
                           std::to_string(got) + " numbers, declared " + std::to_string(want));
}

// ---- UnitStore ------------------------------------------------------------------------------

UnitStore::UnitStore(Role role, std::string claim_id, int shard_k, int shard_n)
    : role_(role), claim_id_(std::move(claim_id)), k_(shard_k), n_(shard_n) {
  if (role_ == Role::shard && (n_ < 1 || k_ < 1 || k_ > n_))
    throw std::logic_error("UnitStore: shard " + std::to_string(k_) + "/" + std::to_string(n_) + " is not K/N with 1 <= K <= N");
}

bool UnitStore::owns(const std::string& family, std::uint64_t index) const {
  if (role_ != Role::shard) return false;
  const std::string tag = claim_id_ + "/" + family;
  return (core::hash64(tag.c_str()) + index) % static_cast<std::uint64_t>(n_) == static_cast<std::uint64_t>(k_ - 1);
}

bool UnitStore::lookup(const std::string& family, std::uint64_t index, std::size_t size, std::vector<double>* out) {
  if (family.find_first_of("\t\n\r") != std::string::npos)
    throw std::logic_error("claim " + claim_id_ + ": unit family '" + family + "' holds a tab or a line break");
  const Key key(family, index);
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = values_.find(key);
  if (it != values_.end()) {
    if (it->second.size() != size)
      throw std::logic_error("claim " + claim_id_ + ": unit " + family + "#" + std::to_string(index) + " holds " +
                             std::to_string(it->second.size()) + " numbers, asked for " + std::to_string(size));
    asked_[key] = true;
    *out = it->second;
    return true;
  }
  if (role_ == Role::shard && owns(family, index)) {
    asked_.emplace(key, false);
    return false;  // compute it here
  }
  asked_[key] = false;
  out->assign(size, std::numeric_limits<double>::quiet_NaN());
  return true;
}

void UnitStore::record(const std::string& family, std::uint64_t index, const std::vector<double>& values) {
  std::lock_guard<std::mutex> lock(mutex_);
  const Key key(family, index);
  values_.emplace(key, values);
  asked_[key] = true;
}

std::string UnitStore::to_text(const std::string& header) const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string out = header + "\n";
  for (const auto& [key, v] : values_) {
    out += key.first + "\t" + std::to_string(key.second) + "\t";
    for (std::size_t k = 0; k < v.size(); ++k) out += (k ? " " : "") + format::exact(v[k]);
    out += "\n";
  }
  return out;
}

void UnitStore::add_text(const std::string& text, const std::string& where) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::size_t pos = 0;
  int line_no = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    auto bad = [&](const std::string& why) {
      return std::runtime_error(where + ":" + std::to_string(line_no) + ": " + why);
    };
    const std::size_t t1 = line.find('\t'), t2 = t1 == std::string::npos ? t1 : line.find('\t', t1 + 1);
    if (t2 == std::string::npos) throw bad("not '<family> TAB <index> TAB <values>'");
    std::uint64_t index = 0;
    {
      const char* b = line.data() + t1 + 1;
      const char* e = line.data() + t2;
      auto [p, ec] = std::from_chars(b, e, index);
      if (ec != std::errc() || p != e || b == e) throw bad("index is not a non-negative integer");
    }
    std::vector<double> v;
    const char* p = line.data() + t2 + 1;
    const char* e = line.data() + line.size();
    while (p < e) {
      const char* q = std::find(p, e, ' ');
      double x = 0;
      auto [r, ec] = std::from_chars(p, q, x);
      if (ec != std::errc() || r != q || p == q) throw bad("'" + std::string(p, q) + "' is not a number");
      v.push_back(x);
      p = q == e ? e : q + 1;
    }
    const Key key(line.substr(0, t1), index);
    auto [it, fresh] = values_.emplace(key, v);
    if (!fresh) {
      bool same = it->second.size() == v.size();
      for (std::size_t k = 0; same && k < v.size(); ++k)
        same = format::exact(it->second[k]) == format::exact(v[k]);
      if (!same) throw bad("unit " + key.first + "#" + std::to_string(index) + " is stored twice with different values");
    }
  }
}

std::size_t UnitStore::requested() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return asked_.size();
}

std::size_t UnitStore::stored() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return values_.size();
}

std::vector<std::string> UnitStore::missing() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::string> out;
  if (role_ != Role::merge) return out;
  for (const auto& [key, answered] : asked_)
    if (!answered) out.push_back(key.first + "#" + std::to_string(key.second));
  return out;
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
