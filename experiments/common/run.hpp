// Running claims: parameter resolution, the verdict rule, and the CLI entry point.
#pragma once
#include "experiments/common/claim.hpp"
#include "experiments/common/context.hpp"

#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>

namespace attnlab::exp {

// Bad usage or bad input: the CLI prints what() as one line and exits 2, writing nothing.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Full name of a declared parameter ("<claim id>.<name>" or "<experiment>.<name>" if shared).
std::string param_full_name(const Claim& c, const ParamSpec& p);

// Mode defaults, then `overrides` (full names) for the names this claim declares.
// Overrides naming other claims' parameters are ignored here (the CLI checks that every
// override names some selected claim's parameter). Throws UsageError for a value out of
// range or not an integer where an integer is declared.
std::map<std::string, double> effective_params(const Claim& c, Mode mode,
                                               const std::map<std::string, double>& overrides);

// The verdict rule of DESIGN.md. Returns the verdict and its reason.
std::pair<Verdict, std::string> decide(const Outcome& o, const Claim& c);

struct ClaimResult {
  const Claim* claim = nullptr;
  Verdict verdict = Verdict::FAIL;
  std::string reason;
  Outcome outcome;
  double wall_s = 0;
  std::map<std::string, double> params;
  std::map<std::string, Table> tables;
  // CSV text by file name, for a claim whose tables come as text (a claim run whole in a shard,
  // read back by `attnlab merge`); written like `tables`.
  std::map<std::string, std::string> csv_text;
};

// Runs one claim in memory (nothing written but what the claim keeps in `work_dir`, see
// Context::work_dir; empty: none). An exception thrown by the claim becomes a
// FAIL whose reason carries the message. `units`: the unit store of a sharded run or a
// merge (Context::unit); in a merge, units that no shard recorded make the claim FAIL.
ClaimResult run_claim(const Claim& c, Mode mode, std::uint64_t seed, int threads, Device device,
                      const std::map<std::string, double>& overrides = {},
                      const std::filesystem::path& work_dir = {}, UnitStore* units = nullptr);

// The command line of DESIGN.md. `fixed_experiment` is empty for the umbrella `attnlab`,
// or the experiment a per-experiment binary (attnlab-<name>) is bound to.
// Parses and checks a command line (args[0] is the program name) exactly as cli_main does,
// without printing, running or writing anything: "" when it would run, else the one-line
// problem that cli_main would print before exiting with 2. For the fuzz target and tests.
std::string check_command_line(const std::vector<std::string>& args, const std::string& fixed_experiment = "");

int cli_main(int argc, char** argv, const std::string& fixed_experiment = "");

}  // namespace attnlab::exp
