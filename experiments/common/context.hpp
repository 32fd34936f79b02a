// What a claim sees while it runs: its parameters, the seed, random streams keyed by
// (seed, stream), the thread count, and an output sink for its CSVs. CSVs are buffered
// here and written by the framework (atomically) after the claim returns.
#pragma once
#include "core/rng.hpp"
#include "experiments/common/claim.hpp"

#include <cstddef>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace attnlab::exp {

// One CSV cell; doubles are written in shortest round-trip form ("nan", "inf" for
// non-finite values), integers as integers, strings quoted when they need it.
struct Cell {
  enum class T { real, integer, text } t;
  double r = 0;
  long long i = 0;
  std::string s;
  template <class X, std::enable_if_t<std::is_floating_point_v<X>, int> = 0>
  Cell(X x) : t(T::real), r(static_cast<double>(x)) {}
  template <class X, std::enable_if_t<std::is_integral_v<X> && !std::is_same_v<X, bool>, int> = 0>
  Cell(X x) : t(T::integer), i(static_cast<long long>(x)) {}
  Cell(bool b) : t(T::integer), i(b ? 1 : 0) {}
  Cell(const char* x) : t(T::text), s(x) {}
  Cell(std::string x) : t(T::text), s(std::move(x)) {}
  std::string str() const;
};

class Table {
 public:
  Table() = default;
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
  // Adds one row; its length must equal the header's (throws std::logic_error otherwise).
  Table& row(std::vector<Cell> cells);
  const std::vector<std::string>& header() const { return header_; }
  const std::vector<std::vector<Cell>>& rows() const { return rows_; }
  std::string to_csv() const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<Cell>> rows_;
};

// The units of work of one claim in a sharded run or a merge (see Context::unit and
// experiments/common/SHARDING.draft.md). Thread-safe.
//   shard K of N: owns the units with (hash64("<claim id>/<family>") + index) mod N == K - 1,
//                 computes and records those, answers NaNs for the others;
//   merge:        answers the values the shards recorded (add_text), computing nothing; a unit
//                 in no shard is answered with NaNs and listed by missing().
class UnitStore {
 public:
  enum class Role { shard, merge };
  UnitStore(Role role, std::string claim_id, int shard_k = 0, int shard_n = 0);

  Role role() const { return role_; }
  bool owns(const std::string& family, std::uint64_t index) const;
  // True (and *out set) when the unit need not be computed: stored already, not owned by this
  // shard (NaNs), or merging (the stored values, or NaNs when no shard has it).
  bool lookup(const std::string& family, std::uint64_t index, std::size_t size, std::vector<double>* out);
  void record(const std::string& family, std::uint64_t index, const std::vector<double>& values);

  // The recorded units, one per line, sorted: "<family>\t<index>\t<v1> <v2> ..." (shortest
  // round-trip numbers, nan/inf/-inf), after a first line `header`.
  std::string to_text(const std::string& header) const;
  // Adds a store written by to_text (lines starting with '#' are skipped). Throws
  // std::runtime_error naming `where` for a malformed line or a unit stored twice with different values.
  void add_text(const std::string& text, const std::string& where);

  std::size_t requested() const;  // distinct units asked for
  std::size_t stored() const;     // units held (computed here, or read)
  std::vector<std::string> missing() const;  // merge: units asked for that no shard recorded

 private:
  using Key = std::pair<std::string, std::uint64_t>;
  Role role_;
  std::string claim_id_;
  int k_, n_;
  mutable std::mutex mutex_;
  std::map<Key, std::vector<double>> values_;
  std::map<Key, bool> asked_;  // -> answered from the store
};

class Context {
 public:
  Context(const Claim& claim, Mode mode, std::uint64_t seed, int threads, Device device,
          std::map<std::string, double> params);

  const Claim& claim() const { return *claim_; }
  Mode mode() const { return mode_; }
  bool quick() const { return mode_ == Mode::quick; }
  bool full() const { return mode_ == Mode::full; }
  std::uint64_t seed() const { return seed_; }
  int threads() const { return threads_; }
  Device device() const { return device_; }

  // Parameter by short name (as declared in the claim's ParamSpec); throws if undeclared.
  long long integer(const std::string& short_name) const;
  double real(const std::string& short_name) const;
  // Effective parameters, full names -> values (what config.toml and report.json record).
  const std::map<std::string, double>& params() const { return params_; }

  // Random stream `index` of this claim: Philox keyed by (seed, stream_id(hash(claim id + "/" + family), index)).
  // Use one family per kind of draw (e.g. "S2", "inputs") and the trial index as `index`.
  core::PhiloxStream rng(const std::string& family, std::uint64_t index = 0) const;

  // A CSV under data/: `file` without directory, e.g. "ssm_heads_emulation_vs_heads.csv".
  // Returns the table to fill; calling twice with the same name returns the same table.
  Table& csv(const std::string& file, std::vector<std::string> header);
  const std::map<std::string, Table>& tables() const { return tables_; }

  // A directory this claim may keep state in across runs (checkpoints of long training,
  // written with fsutil::write_atomic): out/<experiment>/checkpoints/<claim>/ under the CLI,
  // empty when the run keeps none (tests, run_claim without a work directory). The claim
  // creates it when it needs it; a checkpoint must record what it was computed from (mode,
  // seed, parameters) and be ignored when that differs.
  const std::filesystem::path& work_dir() const { return work_dir_; }
  void set_work_dir(std::filesystem::path d) { work_dir_ = std::move(d); }

  // One unit of work: `compute()` returns exactly `size` numbers that depend only on the seed,
  // the parameters, `family` and `index` (never on another unit's result), e.g. everything
  // one trial contributes to the tables and the checks. Call it from the trial loop (OpenMP
  // is fine). In a normal run it simply returns compute(). In a sharded run (`attnlab run
  // --shard K/N`) only the units this shard owns are computed and recorded, and the others
  // come back as NaNs (the shard's tables and verdicts are discarded); in `attnlab merge`
  // every unit comes back from the shards' records without being computed, so the claim's
  // reduction, CSVs and verdict are recomputed from the merged data by this same code.
  // A claim whose heavy work goes through units sets Claim::units = true.
  template <class F>
  std::vector<double> unit(const std::string& family, std::uint64_t index, std::size_t size, F&& compute) {
    std::vector<double> v;
    if (units_ && units_->lookup(family, index, size, &v)) return v;
    v = std::forward<F>(compute)();
    check_unit_size(family, index, size, v.size());
    if (units_) units_->record(family, index, v);
    return v;
  }
  // The unit store of a sharded run or a merge (null in a normal run).
  void set_units(UnitStore* store) { units_ = store; }
  UnitStore* units() const { return units_; }

  // A progress line on stderr (only shown on a terminal, or with ATTNLAB_VERBOSE=1).
  void progress(const std::string& line) const;

 private:
  const Claim* claim_;
  Mode mode_;
  std::uint64_t seed_;
  int threads_;
  Device device_;
  std::map<std::string, double> params_;
  std::map<std::string, Table> tables_;
  std::filesystem::path work_dir_;
  UnitStore* units_ = nullptr;

  void check_unit_size(const std::string& family, std::uint64_t index, std::size_t want, std::size_t got) const;
};

}  // namespace attnlab::exp
