// Walks the registry of every experiment linked into attnlab and asserts what the claim
// contract requires of each claim's declaration: a named and described negative control,
// a statement, criterion and source, an interpretation note where the claim is marked as
// interpretation, parameter defaults inside their ranges, figure stems not shared between experiments,
// and a theorem test (tests/theorem/<experiment>_<claim>.cpp) that runs the claim in quick
// mode and asserts its verdict and that every control FAILS. The behaviour itself (the
// control failing) is asserted by those theorem tests; this walk makes sure none is missing.
#include "tests/theorem/theorem_support.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

using namespace attnlab;

namespace {

std::filesystem::path source_root() {
  // set by CTest (tests/CMakeLists.txt); the source path is kept out of compiled objects so
  // that clones share the compiler cache
  const char* env = std::getenv("ATTNLAB_SOURCE_DIR");
  return env ? std::filesystem::path(env) : std::filesystem::path(".");
}

std::string read(const std::filesystem::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("every registered claim declares a control and has a theorem test asserting that it fails") {
  (void)test::claim("ssm_heads.exact_emulation_at_k");  // registers every experiment
  const exp::Registry& reg = exp::global_registry();
  REQUIRE(reg.experiments().size() >= 1);
  const auto root = source_root();
  REQUIRE(std::filesystem::exists(root / "tests" / "theorem" / "theorem_support.hpp"));

  std::set<std::string> ids;
  std::map<std::string, std::string> figure_owner;  // figure stem -> experiment
  int claims = 0;
  for (const exp::Experiment& e : reg.experiments()) {
    for (const exp::Claim& c : e.claims) {
      ++claims;
      INFO(c.id);
      CHECK(c.experiment() == e.name);
      CHECK(ids.insert(c.id).second);
      CHECK_FALSE(c.statement.empty());
      CHECK_FALSE(c.criterion.empty());
      CHECK_FALSE(c.source.empty());
      CHECK_FALSE(c.control_name.empty());
      CHECK_FALSE(c.control_description.empty());
      CHECK(static_cast<bool>(c.run));
      if (c.interpretation) CHECK_FALSE(c.interpretation_note.empty());
      for (const exp::ParamSpec& p : c.params) {
        INFO(p.name);
        CHECK(p.lo <= p.quick);
        CHECK(p.quick <= p.hi);
        CHECK(p.lo <= p.full);
        CHECK(p.full <= p.hi);
      }
      for (const std::string& s : c.figures) {  // claims of one experiment may share a figure
        INFO(s);
        const auto [it, fresh] = figure_owner.emplace(s, e.name);
        CHECK(it->second == e.name);
      }
      const std::string short_name = c.id.substr(c.id.find('.') + 1);
      const auto theorem = root / "tests" / "theorem" / (e.name + "_" + short_name + ".cpp");
      INFO(theorem.string());
      REQUIRE(std::filesystem::exists(theorem));
      const std::string text = read(theorem);
      CHECK(text.find("\"" + c.id + "\"") != std::string::npos);
      CHECK(text.find("require_expected_verdict_and_failing_controls") != std::string::npos);
    }
  }
  CHECK(claims >= 6);
}
