// CSV cells and tables, the TOML subset, and the JSON encoding of reports.
#include "experiments/common/context.hpp"
#include "experiments/common/report.hpp"
#include "experiments/common/toml.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <limits>

using namespace attnlab::exp;

namespace {
const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

int error_line(const std::string& text) {
  try {
    toml::parse(text);
  } catch (const toml::SyntaxError& e) {
    return e.line;
  }
  return 0;
}
}  // namespace

TEST_CASE("Cell: shortest round-trip numbers, nan/inf, RFC 4180 quoting") {
  CHECK(Cell(0.1).str() == "0.1");
  CHECK(Cell(1e-300).str() == "1e-300");
  CHECK(Cell(1.0).str() == "1");
  CHECK(Cell(0.1 + 0.2).str() == "0.30000000000000004");
  CHECK(Cell(1.0f / 3.0f).str() == "0.3333333432674408");  // the float's exact value as a double
  CHECK(Cell(kNaN).str() == "nan");
  CHECK(Cell(-kNaN).str() == "nan");
  CHECK(Cell(kInf).str() == "inf");
  CHECK(Cell(-kInf).str() == "-inf");
  CHECK(Cell(42).str() == "42");
  CHECK(Cell(-7LL).str() == "-7");
  CHECK(Cell(std::size_t{3}).str() == "3");
  CHECK(Cell(true).str() == "1");
  CHECK(Cell("plain").str() == "plain");
  CHECK(Cell("a,b").str() == "\"a,b\"");
  CHECK(Cell("say \"hi\"").str() == "\"say \"\"hi\"\"\"");
  CHECK(Cell("two\nlines").str() == "\"two\nlines\"");
  for (double x : {0.1, 1e-300, 5e-324, 1.7976931348623157e308, 123456.789, -2.5e-17})
    CHECK(std::strtod(Cell(x).str().c_str(), nullptr) == x);  // strtod: stod rejects subnormals
}

TEST_CASE("Table: header, rows, row-length check") {
  Table t({"n", "err", "note"});
  t.row({1, 0.5, "x"}).row({2, kNaN, "a,b"});
  CHECK(t.to_csv() == "n,err,note\n1,0.5,x\n2,nan,\"a,b\"\n");
  CHECK_THROWS_AS(t.row({1, 2}), std::logic_error);
  CHECK(t.rows().size() == 2);
}

TEST_CASE("TOML: accepted syntax") {
  const std::string text =
      "# comment\n"
      "\n"
      "[run]   # trailing comment\n"
      "experiment = \"ssm_heads\"\n"
      "seed=7\n"
      "flag = true\n"
      "[params]\n"
      "\"a.b.c\" = 8\n"
      "bare-key_1 = -0.5\n"
      "big = 1e+20\n"
      "neg = -12\n"
      "ninf = -inf\n"
      "nan = nan\n"
      "esc = \"q\\\"b\\\\n\\u00e9\"\r\n";
  toml::Document d = toml::parse(text);
  REQUIRE(d.entries.size() == 10);
  REQUIRE(d.tables.size() == 2);
  CHECK(d.tables[1].first == "params");
  CHECK(d.tables[1].second == 7);
  CHECK(d.entries[0].table == "run");
  CHECK(d.entries[0].value.s == "ssm_heads");
  CHECK(d.entries[1].value.type == toml::Value::Type::integer);
  CHECK(d.entries[1].value.i == 7);
  CHECK(d.entries[1].line == 5);
  CHECK(d.entries[2].value.type == toml::Value::Type::boolean);
  CHECK(d.entries[3].key == "a.b.c");
  CHECK(d.entries[3].value.number() == 8);
  CHECK(d.entries[4].value.r == -0.5);
  CHECK(d.entries[5].value.r == 1e20);
  CHECK(d.entries[6].value.i == -12);
  CHECK(d.entries[7].value.r == -kInf);
  CHECK(std::isnan(d.entries[8].value.r));
  CHECK(d.entries[9].value.s == "q\"b\\n\xc3\xa9");
}

TEST_CASE("TOML: rejected syntax names the line") {
  CHECK(error_line("[run]\nseed = \n") == 2);
  CHECK(error_line("a.b = 1\n") == 1);              // dotted key
  CHECK(error_line("x = 'lit'\n") == 1);            // literal string
  CHECK(error_line("x = [1, 2]\n") == 1);           // array
  CHECK(error_line("x = {a = 1}\n") == 1);          // inline table
  CHECK(error_line("\n\nx = 1979-05-27\n") == 3);   // date
  CHECK(error_line("x = 01\n") == 1);               // leading zero
  CHECK(error_line("x = 1_000\n") == 1);            // underscores
  CHECK(error_line("x = .5\n") == 1);
  CHECK(error_line("x = 5.\n") == 1);
  CHECK(error_line("x = 1e\n") == 1);
  CHECK(error_line("x = \"open\n") == 1);           // unterminated string
  CHECK(error_line("x = \"\"\"multi\"\"\"\n") == 1);
  CHECK(error_line("x = 1 2\n") == 1);              // trailing text
  CHECK(error_line("x = 1\nx = 2\n") == 2);         // duplicate key
  CHECK(error_line("[a]\n[a]\n") == 2);             // duplicate table
  CHECK(error_line("[[a]]\n") == 1);                // array of tables
  CHECK(error_line("[a\n") == 1);
  CHECK(error_line("[a.b]\n") == 1);
  CHECK(error_line("= 1\n") == 1);
  CHECK(error_line("x 1\n") == 1);
  CHECK(error_line("x = True\n") == 1);
  CHECK(error_line("x = 99999999999999999999\n") == 1);  // integer overflow
  CHECK(error_line("x = \"a\\qb\"\n") == 1);              // unknown escape
}

TEST_CASE("TOML: writing reads back to the same values") {
  for (double x : {0.1, 1.0, -2.0, 1e20, 1e-300, 5e-324, 0.30000000000000004, 123456789.125}) {
    const std::string text = "x = " + toml::real(x) + "\n";
    toml::Document d = toml::parse(text);
    REQUIRE(d.entries.size() == 1);
    CHECK(d.entries[0].value.type == toml::Value::Type::real);
    CHECK(d.entries[0].value.r == x);
  }
  CHECK(toml::real(1.0) == "1.0");
  CHECK(toml::real(0.1) == "0.1");
  CHECK(toml::key("plain_key") == "plain_key");
  CHECK(toml::key("a.b") == "\"a.b\"");
  const std::string odd = "q\"b\\n\t\x01";
  toml::Document d = toml::parse("s = " + toml::quote(odd) + "\n");
  CHECK(d.entries[0].value.s == odd);
}

TEST_CASE("report JSON: non-finite numbers as strings, never null; key order") {
  CHECK(report::number(kNaN) == "nan");
  CHECK(report::number(kInf) == "inf");
  CHECK(report::number(-kInf) == "-inf");
  CHECK(report::number(0.5).is_number());
  CHECK(std::isnan(report::to_double(report::number(kNaN))));
  CHECK(report::to_double(report::number(-kInf)) == -kInf);
  CHECK(report::to_double(report::number(0.25)) == 0.25);

  Claim c;
  c.id = "fake.x";
  c.control_name = "ctl";
  c.params = {int_param("n", "", 3, 4, 1, 9), real_param("tol", "", 0.5, 0.5, 0, 1)};
  ClaimResult r;
  r.claim = &c;
  r.verdict = Verdict::FAIL;
  r.reason = "check: non-finite value: e = nan";
  r.outcome.check = Check::at_most(kNaN, 1, "e");
  r.outcome.controls.push_back({"ctl", Check::at_most(kInf, 1, "e")});
  r.params = {{"fake.x.n", 3}, {"fake.x.tol", 0.5}};
  report::Json j = report::claim_entry(r, {"data/a.csv"}, {});
  const std::string dumped = j.dump();
  CHECK(dumped.find("null") == std::string::npos);
  CHECK(j["measured"] == "nan");
  CHECK(j["threshold"] == 1.0);
  CHECK(j["control"]["measured"] == "inf");
  CHECK(j["control"]["verdict"] == "FAIL");
  CHECK(j["params"]["fake.x.n"].is_number_integer());
  CHECK(j["params"]["fake.x.tol"] == 0.5);
  std::vector<std::string> keys;
  for (const auto& [k, v] : j.items()) keys.push_back(k);
  CHECK(keys == std::vector<std::string>{"id", "kind", "source", "statement", "criterion", "interpretation", "verdict",
                                         "expected", "measured", "threshold", "reason", "control", "params", "data",
                                         "figures", "wall_s"});

  report::Meta meta;
  report::Json rep = report::experiment_report("fake", Mode::quick, 1, meta, {j});
  keys.clear();
  for (const auto& [k, v] : rep.items()) keys.push_back(k);
  CHECK(keys == std::vector<std::string>{"experiment", "mode", "seed", "meta", "claims", "summary"});
  keys.clear();
  for (const auto& [k, v] : rep["meta"].items()) keys.push_back(k);
  CHECK(keys == std::vector<std::string>{"commit", "dirty", "compiler", "flags", "device", "threads", "wall_s", "argv",
                                         "versions"});
  CHECK(rep["summary"]["fail"] == 1);
  CHECK(rep["summary"]["unexpected"] == 1);
  CHECK(rep.dump().find("null") == std::string::npos);

  // a control that was evaluated as failing passes in junit; NaN/inf controls do not
  std::string junit = report::junit_xml({{"fake", rep}});
  CHECK(junit.find("fake.x [control: ctl]") != std::string::npos);
  CHECK(junit.find("was not evaluated to a finite value") != std::string::npos);
  CHECK(junit.find("failures=\"2\"") != std::string::npos);
}
