// report.json, report.md, index.md and junit.xml (internal to experiments/common).
// report.json is the record; report.md, index.md and junit.xml are rendered from it.
#pragma once
#include "experiments/common/run.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace attnlab::exp::report {

using Json = nlohmann::ordered_json;

// A JSON number, or "nan" / "inf" / "-inf" for non-finite values (nlohmann would write null).
Json number(double x);
// Reads back what number() wrote (NaN for anything else).
double to_double(const Json& j);

struct Meta {
  std::string commit;
  bool dirty = false;
  Device device = Device::cpu;
  int threads = 1;
  double wall_s = 0;
  std::vector<std::string> argv;
};

// Library versions this binary was compiled against, and attnlab's own.
Json versions();

// One element of "claims": `data` and `figures` are paths relative to the experiment folder.
Json claim_entry(const ClaimResult& r, const std::vector<std::string>& data, const std::vector<std::string>& figures);

// The whole report.json object, keys in DESIGN.md's order.
Json experiment_report(const std::string& experiment, Mode mode, std::uint64_t seed, const Meta& meta,
                       const std::vector<Json>& claims);

// report.md for people; `e` supplies what report.json does not hold (title, interpretation
// notes, control descriptions). Claims of `report` not in `e` are rendered without them.
std::string markdown(const Json& report, const Experiment& e);

// out/index.md and out/junit.xml from every out/<experiment>/report.json found.
struct Found {
  std::string dir;  // folder name under out/
  Json report;
};
std::string index_md(const std::vector<Found>& reports, const std::vector<std::string>& unreadable);
std::string junit_xml(const std::vector<Found>& reports);

}  // namespace attnlab::exp::report
