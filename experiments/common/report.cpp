// report.json (the record) and what is rendered from it: report.md, index.md, junit.xml.
#include "experiments/common/report.hpp"

#include "experiments/common/format.hpp"

#include <CLI/Version.hpp>
#include <Eigen/Core>
#include <boost/version.hpp>
#include <fmt/format.h>

#include <cmath>

#ifndef ATTNLAB_COMPILER
#define ATTNLAB_COMPILER "unknown"
#endif
#ifndef ATTNLAB_FLAGS
#define ATTNLAB_FLAGS "unknown"
#endif
#ifndef ATTNLAB_VERSION
#error "ATTNLAB_VERSION is defined by experiments/CMakeLists.txt"
#endif

namespace attnlab::exp::report {

Json number(double x) {
  if (std::isfinite(x)) return x;
  return format::nonfinite(x);
}

double to_double(const Json& j) {
  if (j.is_number()) return j.get<double>();
  if (j.is_string()) {
    const std::string s = j.get<std::string>();
    if (s == "inf") return std::numeric_limits<double>::infinity();
    if (s == "-inf") return -std::numeric_limits<double>::infinity();
  }
  return std::numeric_limits<double>::quiet_NaN();
}

Json versions() {
  Json v;
  v["eigen"] = fmt::format("{}.{}.{}", EIGEN_WORLD_VERSION, EIGEN_MAJOR_VERSION, EIGEN_MINOR_VERSION);
  v["boost"] = fmt::format("{}.{}.{}", BOOST_VERSION / 100000, BOOST_VERSION / 100 % 1000, BOOST_VERSION % 100);
  v["fmt"] = fmt::format("{}.{}.{}", FMT_VERSION / 10000, FMT_VERSION / 100 % 100, FMT_VERSION % 100);
  v["nlohmann_json"] = fmt::format("{}.{}.{}", NLOHMANN_JSON_VERSION_MAJOR, NLOHMANN_JSON_VERSION_MINOR,
                                   NLOHMANN_JSON_VERSION_PATCH);
  v["cli11"] = CLI11_VERSION;
  v["attnlab"] = ATTNLAB_VERSION;
  return v;
}

Json claim_entry(const ClaimResult& r, const std::vector<std::string>& data, const std::vector<std::string>& figures) {
  const Claim& c = *r.claim;
  const Check& check = r.outcome.check;
  Json j;
  j["id"] = c.id;
  j["kind"] = to_string(c.kind);
  j["source"] = c.source;
  j["statement"] = c.statement;
  j["criterion"] = c.criterion;
  j["interpretation"] = c.interpretation;
  j["verdict"] = to_string(r.verdict);
  j["expected"] = to_string(c.expected);
  j["measured"] = number(check.measured);
  j["threshold"] = number(check.threshold);
  j["reason"] = r.reason;
  Json control;
  if (!r.outcome.controls.empty()) {
    const ControlCheck& k = r.outcome.controls[0];
    control["name"] = k.name;
    control["verdict"] = k.check.holds ? "PASS" : "FAIL";
    control["measured"] = number(k.check.measured);
    control["reason"] = k.check.reason;
  } else {
    control["name"] = c.control_name;
    control["verdict"] = "FAIL";
    control["measured"] = number(std::numeric_limits<double>::quiet_NaN());
    control["reason"] = "not evaluated";
  }
  j["control"] = control;
  Json params = Json::object();
  for (const ParamSpec& p : c.params) {
    const std::string full = param_full_name(c, p);
    auto it = r.params.find(full);
    if (it == r.params.end()) continue;
    if (p.type == ParamSpec::Type::integer)
      params[full] = static_cast<long long>(it->second);
    else
      params[full] = number(it->second);
  }
  j["params"] = params;
  j["data"] = data;
  j["figures"] = figures;
  j["wall_s"] = r.wall_s;
  return j;
}

Json experiment_report(const std::string& experiment, Mode mode, std::uint64_t seed, const Meta& meta,
                       const std::vector<Json>& claims) {
  Json j;
  j["experiment"] = experiment;
  j["mode"] = to_string(mode);
  j["seed"] = seed;
  Json m;
  m["commit"] = meta.commit;
  m["dirty"] = meta.dirty;
  m["compiler"] = ATTNLAB_COMPILER;
  m["flags"] = ATTNLAB_FLAGS;
  m["device"] = to_string(meta.device);
  m["threads"] = meta.threads;
  m["wall_s"] = meta.wall_s;
  m["argv"] = meta.argv;
  m["versions"] = versions();
  j["meta"] = m;
  j["claims"] = claims;
  int pass = 0, fail = 0, unexpected = 0;
  for (const Json& c : claims) {
    (c["verdict"] == "PASS" ? pass : fail)++;
    if (c["verdict"] != c["expected"]) ++unexpected;
  }
  j["summary"] = Json{{"pass", pass}, {"fail", fail}, {"unexpected", unexpected}};
  return j;
}

// ---- rendering helpers --------------------------------------------------------------------

namespace {

std::string str(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) return "";
  if (it->is_string()) return it->get<std::string>();
  return it->dump();
}

std::string num(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) return "";
  if (it->is_number_integer()) return it->dump();
  return format::brief(to_double(*it));
}

// One line of prose: line breaks become spaces.
std::string oneline(std::string s) {
  for (char& ch : s)
    if (ch == '\n' || ch == '\r') ch = ' ';
  return s;
}

// A Markdown table cell.
std::string cell(const std::string& s) {
  std::string out;
  for (char ch : oneline(s)) {
    if (ch == '|') out += '\\';
    out += ch;
  }
  return out;
}

// GitHub's heading anchor: lower case, spaces to '-', only [a-z0-9_-] kept.
std::string anchor(const std::string& heading) {
  std::string out;
  for (char ch : heading) {
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
    if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-') out += ch;
    if (ch == ' ') out += '-';
  }
  return out;
}

std::string xml(const std::string& s) {
  std::string out;
  for (char ch : s) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        if (static_cast<unsigned char>(ch) < 0x20 && ch != '\n' && ch != '\t') {
          out += ' ';  // not representable in XML 1.0
        } else {
          out += ch;
        }
    }
  }
  return out;
}

const Claim* find(const Experiment& e, const std::string& id) {
  for (const Claim& c : e.claims)
    if (c.id == id) return &c;
  return nullptr;
}

bool as_expected(const Json& c) { return str(c, "verdict") == str(c, "expected"); }

// A control "passes" as a test case when its check was evaluated to a finite value and failed.
bool control_failed_properly(const Json& c) {
  const Json& k = c.value("control", Json::object());
  return str(k, "verdict") == "FAIL" && k.contains("measured") && k["measured"].is_number();
}

}  // namespace

std::string markdown(const Json& r, const Experiment& e) {
  std::string md;
  const Json& meta = r["meta"];
  md += "# " + str(r, "experiment") + (e.title.empty() ? "" : ": " + oneline(e.title)) + "\n\n";
  if (!e.source.empty()) md += "Source: " + oneline(e.source) + "\n\n";
  const Json& s = r["summary"];
  md += fmt::format("**{} PASS, {} FAIL, {} not as expected.**\n\n", s.value("pass", 0), s.value("fail", 0),
                    s.value("unexpected", 0));
  md += "- mode: " + str(r, "mode") + ", seed: " + str(r, "seed") + ", device: " + str(meta, "device") +
        ", threads: " + str(meta, "threads") + ", wall time: " + num(meta, "wall_s") + " s\n";
  md += "- commit: " + str(meta, "commit") + (meta.value("dirty", false) ? " (dirty: uncommitted changes)" : "") + "\n";
  md += "- compiler: " + str(meta, "compiler") + "; flags: " + oneline(str(meta, "flags")) + "\n";
  std::string argv;
  for (const Json& a : meta.value("argv", Json::array())) argv += (argv.empty() ? "" : " ") + a.get<std::string>();
  md += "- command: `" + argv + "`\n";
  md += "- repeat with the same parameters: `attnlab run " + str(r, "experiment") + " --config config.toml`\n\n";

  md += "| claim | kind | verdict | expected | measured | threshold | control (must FAIL) | wall (s) |\n";
  md += "|---|---|---|---|---|---|---|---|\n";
  for (const Json& c : r["claims"]) {
    const std::string id = str(c, "id");
    const std::string verdict = as_expected(c) ? str(c, "verdict") : "**" + str(c, "verdict") + "** (not as expected)";
    md += "| [" + cell(id) + "](#" + anchor(id) + ") | " + str(c, "kind") + " | " + verdict + " | " +
          str(c, "expected") + " | " + num(c, "measured") + " | " + num(c, "threshold") + " | " +
          cell(str(c["control"], "name")) + ": " + str(c["control"], "verdict") + " | " +
          fmt::format("{:.2f}", c.value("wall_s", 0.0)) + " |\n";
  }
  md += "\n";

  for (const Json& c : r["claims"]) {
    const std::string id = str(c, "id");
    const Claim* claim = find(e, id);
    md += "## " + id + "\n\n";
    md += "**" + str(c, "verdict") + "** (expected " + str(c, "expected") + (as_expected(c) ? "" : "; NOT as expected") +
          "), " + str(c, "kind") + fmt::format(", {:.2f} s", c.value("wall_s", 0.0)) + "\n\n";
    md += "- **Statement:** " + oneline(str(c, "statement")) + "\n";
    md += "- **Source:** " + oneline(str(c, "source")) + "\n";
    md += "- **Criterion:** " + oneline(str(c, "criterion")) + "\n";
    if (c.value("interpretation", false)) {
      std::string note = claim ? claim->interpretation_note : "";
      md += "- **Interpretation:** " +
            (note.empty() ? std::string("part of this claim's setting is this suite's reading of the paper, not the "
                                        "paper's own statement (see the spec).")
                          : oneline(note)) +
            "\n";
    }
    md += "- **Measured:** " + num(c, "measured") + " (threshold " + num(c, "threshold") + ")\n";
    md += "- **Reason:** " + oneline(str(c, "reason")) + "\n";
    const Json& k = c["control"];
    std::string control = "`" + str(k, "name") + "`";
    if (claim && !claim->control_description.empty()) control += " (" + oneline(claim->control_description) + ")";
    control += control_failed_properly(c) ? ": its check fails, as required" : ": its check did NOT fail as required";
    control += " (measured " + num(k, "measured") + "; " + oneline(str(k, "reason")) + ")";
    md += "- **Negative control:** " + control + "\n";
    const Json& params = c.value("params", Json::object());
    if (!params.empty()) {
      md += "- **Parameters:**";
      bool first = true;
      for (const auto& [name, value] : params.items()) {
        md += std::string(first ? " " : ", ") + "`" + name + "` = " +
              (value.is_string() ? value.get<std::string>() : value.dump());
        first = false;
      }
      md += "\n";
    }
    std::string data;
    for (const Json& d : c.value("data", Json::array()))
      data += (data.empty() ? "" : ", ") + fmt::format("[{0}]({0})", d.get<std::string>());
    md += "- **Data:** " + (data.empty() ? std::string("none") : data) + "\n";
    const Json& figs = c.value("figures", Json::array());
    if (figs.empty()) {
      md += "- **Figures:** none drawn\n";
    } else {
      md += "- **Figures:**\n\n";
      for (const Json& f : figs) {
        std::string png = f.get<std::string>();
        std::string pdf = png.substr(0, png.size() - 4) + ".pdf";
        md += fmt::format("![{0}]({0})\n\n[{0}]({0}), [PDF]({1})\n\n", png, pdf);
      }
    }
    if (figs.empty()) md += "\n";
  }
  return md;
}

std::string index_md(const std::vector<Found>& reports, const std::vector<std::string>& unreadable) {
  std::string md = "# attnlab results\n\n";
  md += "Every experiment with a report.json under this folder. A claim is as expected when its verdict equals "
        "its expected verdict.\n\n";
  md += "| experiment | mode | seed | claims | PASS | FAIL | not as expected | report |\n";
  md += "|---|---|---|---|---|---|---|---|\n";
  for (const Found& f : reports) {
    const Json& r = f.report;
    const Json& s = r.value("summary", Json::object());
    md += fmt::format("| {} | {} | {} | {} | {} | {} | {} | [{}/report.md]({}/report.md) |\n", cell(f.dir),
                      str(r, "mode"), str(r, "seed"), r.value("claims", Json::array()).size(), s.value("pass", 0),
                      s.value("fail", 0), s.value("unexpected", 0), f.dir, f.dir);
  }
  md += "\n";
  for (const Found& f : reports) {
    md += "## " + f.dir + "\n\n";
    md += "| claim | verdict | expected | as expected | measured | threshold | control |\n";
    md += "|---|---|---|---|---|---|---|\n";
    for (const Json& c : f.report.value("claims", Json::array())) {
      md += "| " + cell(str(c, "id")) + " | " + str(c, "verdict") + " | " + str(c, "expected") + " | " +
            (as_expected(c) ? "yes" : "**no**") + " | " + num(c, "measured") + " | " + num(c, "threshold") + " | " +
            cell(str(c.value("control", Json::object()), "name")) + ": " +
            (control_failed_properly(c) ? "fails, as required" : "**did not fail**") + " |\n";
    }
    md += "\n";
  }
  if (!unreadable.empty()) {
    md += "## Reports that could not be read\n\n";
    for (const std::string& u : unreadable) md += "- " + oneline(u) + "\n";
    md += "\n";
  }
  return md;
}

std::string junit_xml(const std::vector<Found>& reports) {
  std::string suites;
  int all_tests = 0, all_failures = 0;
  for (const Found& f : reports) {
    std::string cases;
    int tests = 0, failures = 0;
    double time = 0;
    for (const Json& c : f.report.value("claims", Json::array())) {
      const std::string id = str(c, "id");
      const double wall = c.value("wall_s", 0.0);
      time += wall;
      ++tests;
      cases += fmt::format("    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3f}\"", xml(f.dir), xml(id), wall);
      if (as_expected(c)) {
        cases += "/>\n";
      } else {
        ++failures;
        cases += fmt::format(">\n      <failure message=\"verdict {}, expected {}\">{}</failure>\n    </testcase>\n",
                             xml(str(c, "verdict")), xml(str(c, "expected")), xml(str(c, "reason")));
      }
      const Json& k = c.value("control", Json::object());
      ++tests;
      cases += fmt::format("    <testcase classname=\"{}\" name=\"{} [control: {}]\" time=\"0\"", xml(f.dir), xml(id),
                           xml(str(k, "name")));
      if (control_failed_properly(c)) {
        cases += "/>\n";
      } else {
        ++failures;
        const bool evaluated = k.contains("measured") && k["measured"].is_number();
        cases += fmt::format(">\n      <failure message=\"{}\">{}</failure>\n    </testcase>\n",
                             evaluated ? "the negative control's check did not fail"
                                       : "the negative control was not evaluated to a finite value",
                             xml(str(k, "reason")));
      }
    }
    suites += fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"0\" time=\"{:.3f}\">\n",
                          xml(f.dir), tests, failures, time);
    suites += cases + "  </testsuite>\n";
    all_tests += tests;
    all_failures += failures;
  }
  return fmt::format("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"attnlab\" tests=\"{}\" "
                     "failures=\"{}\">\n{}</testsuites>\n",
                     all_tests, all_failures, suites);
}

}  // namespace attnlab::exp::report
