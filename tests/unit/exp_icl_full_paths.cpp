// icl_regression full mode, as a path: every training claim run in Mode::full with its step
// counts, seeds and test sizes cut down (verdicts are not asserted: at 40 Adam steps the
// models are untrained). Asserts that full mode trains what the spec's "Full:" settings name
// (paper recipe and head/noise/length/rho sweeps), writes its extra CSVs, and that the paper
// runs write their checkpoints and resume from them to the same result.
// Spec: shared/claims/icl_regression.md, each claim's "Setting: ... Full:".
#include "../theorem/theorem_support.hpp"

#include <filesystem>
#include <set>
#include <string>

using namespace attnlab;

namespace {

const std::string kE = "icl_regression.";

std::map<std::string, double> reduced(const std::string& claim, std::map<std::string, double> extra = {}) {
  std::map<std::string, double> o = {{kE + claim + ".seeds", 2}, {kE + claim + ".paper_steps", 40},
                                     {kE + claim + ".checkpoint_every", 20}, {kE + claim + ".n_test", 1000}};
  for (const auto& [k, v] : extra) o[kE + claim + "." + k] = v;
  return o;
}

exp::ClaimResult run_full(const std::string& claim, const std::map<std::string, double>& o,
                          const std::filesystem::path& work = {}) {
  return exp::run_claim(test::claim(kE + claim), exp::Mode::full, 1, 2, exp::Device::cpu, o, work);
}

// The set of (model, H) pairs of a table.
std::set<std::pair<std::string, int>> models(const exp::Table& t) {
  std::set<std::pair<std::string, int>> s;
  const size_t cm = test::col(t, "model"), ch = test::col(t, "H");
  for (const auto& row : t.rows()) s.insert({row[cm].s, int(test::num(row[ch]))});
  return s;
}

}  // namespace

TEST_CASE("attention_patterns full: quick recipe and paper recipe with H in {2, 4, 8}; H = 2 reported",
          "[icl_regression][full]") {
  const auto r = run_full("attention_patterns", reduced("attention_patterns", {{"steps", 40}}));
  INFO(r.reason);
  REQUIRE(r.tables.count("patterns_seeds.csv"));
  const auto m = models(r.tables.at("patterns_seeds.csv"));
  for (int h : {2, 4, 8}) {
    CHECK(m.count({"isotropic", h}));
    CHECK(m.count({"paper", h}));
  }
  REQUIRE(r.tables.count("patterns_emergence.csv"));
  const auto& te = r.tables.at("patterns_emergence.csv");
  CHECK(te.rows().size() == 6);  // isotropic H = 4, 2, 8; paper H = 4, 2, 8
  const size_t cj = test::col(te, "judged"), ch = test::col(te, "H"), cr = test::col(te, "emergence_rate");
  for (const auto& row : te.rows()) {
    CHECK((test::num(row[cj]) != 0) == (test::num(row[ch]) >= 3));
    CHECK(test::num(row[cr]) >= 0);
    CHECK(test::num(row[cr]) <= 1);
  }
}

TEST_CASE("risk_matches_dgd full: paper recipe, H in {1, 2, 4, 8} in risk_vs_n.csv; quick recipe at n in {20, 40, 80}", "[icl_regression][full]") {
  const auto r = run_full("risk_matches_dgd", reduced("risk_matches_dgd", {{"steps", 40}, {"n_test_curve", 200}, {"bayes_draws_curve", 20}}));
  INFO(r.reason);
  REQUIRE(r.tables.count("risk_vs_n.csv"));
  std::set<int> hs;
  for (const auto& [model, h] : models(r.tables.at("risk_vs_n.csv"))) hs.insert(h);
  CHECK(hs == std::set<int>{1, 2, 4, 8});
  REQUIRE(r.tables.count("risk_lengths.csv"));
  const auto& tl = r.tables.at("risk_lengths.csv");
  std::set<int> ns;
  for (const auto& row : tl.rows()) ns.insert(int(test::num(row[test::col(tl, "n")])));
  CHECK(ns == std::set<int>{20, 40, 80});
}

TEST_CASE("near_bayes full: s2 in {0.1, 0.5, 1, 3} x n in {20, 40, 80}", "[icl_regression][full]") {
  const auto r = run_full("near_bayes", reduced("near_bayes", {{"bayes_draws", 200}}));
  INFO(r.reason);
  REQUIRE(r.tables.count("near_bayes_n.csv"));
  const auto& t = r.tables.at("near_bayes_n.csv");
  CHECK(t.rows().size() == 4 * 3 * 2 * 2);  // s2 x n x (H = 4, H = 1) x seeds
  std::set<std::pair<int, double>> cells;
  for (const auto& row : t.rows()) cells.insert({int(test::num(row[test::col(t, "n")])), test::num(row[test::col(t, "s2")])});
  CHECK(cells.size() == 12);
  CHECK(r.tables.at("near_bayes.csv").rows().size() == 4 * 2 * 2);  // the n = 40 cells
}

TEST_CASE("length_generalization full: n' in {10, ..., 320}", "[icl_regression][full]") {
  const auto r = run_full("length_generalization", reduced("length_generalization", {{"steps", 40}}));
  INFO(r.reason);
  const auto& t = r.tables.at("length_generalization.csv");
  std::set<int> ns;
  for (const auto& row : t.rows()) ns.insert(int(test::num(row[test::col(t, "n_test")])));
  CHECK(ns.size() == 32);
  CHECK(*ns.begin() == 10);
  CHECK(*ns.rbegin() == 320);
}

TEST_CASE("preconditioned_gd full: rho in {0.3, 0.5, 0.8}, each judged", "[icl_regression][full]") {
  const auto r = run_full("preconditioned_gd", reduced("preconditioned_gd"));
  INFO(r.reason);
  REQUIRE(r.tables.count("preconditioned_rho.csv"));
  const auto& t = r.tables.at("preconditioned_rho.csv");
  std::set<double> rhos;
  for (const auto& row : t.rows()) rhos.insert(test::num(row[test::col(t, "rho")]));
  CHECK(rhos == std::set<double>{0.3, 0.5, 0.8});
}

TEST_CASE("multitask_superposition full: paper recipe, H in {2, 3, 4, 6}, selectivity table; checkpoints resume",
          "[icl_regression][full]") {
  const auto work = std::filesystem::temp_directory_path() / "attnlab_exp_icl_full_paths";
  std::filesystem::remove_all(work);
  std::filesystem::create_directories(work);
  const auto o = reduced("multitask_superposition", {{"steps", 40}});
  const auto r = run_full("multitask_superposition", o, work);
  INFO(r.reason);
  REQUIRE(r.tables.count("multitask_selectivity.csv"));
  std::set<int> hs;
  for (const auto& [model, h] : models(r.tables.at("multitask_selectivity.csv"))) hs.insert(h);
  CHECK(hs == std::set<int>{2, 3, 4, 6});
  size_t ck = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(work))
    if (e.path().extension() == ".ckpt") ++ck;
  CHECK(ck == 4 * 2);  // one per (H, seed) paper run
}
