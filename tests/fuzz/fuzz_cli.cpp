// libFuzzer target: the config-file parser and the command line's --set parser.
// Input: the bytes up to the first NUL are a config file (given with --config); each later
// NUL-separated piece is one --set argument. The command line is checked as `attnlab run`
// would check it (check_command_line: parse and validate, never run or write) against the
// test experiment "fake". Bad input must be a UsageError (exit 2 in the CLI); any other
// exception, a crash or a sanitizer report is a finding. The toml parser also gets the raw
// bytes on their own.
#include "experiments/common/run.hpp"
#include "experiments/common/toml.hpp"
#include "tests/unit/test_framework_fake.hpp"

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace {

const std::string& config_path() {
  static const std::string p = "/tmp/attnlab-fuzz-" + std::to_string(getpid()) + ".toml";
  return p;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  attnlab::test::register_fake(attnlab::exp::global_registry());
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> pieces;
  std::size_t start = 0;
  while (true) {
    const std::size_t nul = bytes.find('\0', start);
    pieces.push_back(bytes.substr(start, nul == std::string::npos ? std::string::npos : nul - start));
    if (nul == std::string::npos) break;
    start = nul + 1;
  }

  try {
    attnlab::exp::toml::parse(pieces[0]);
  } catch (const attnlab::exp::toml::SyntaxError&) {
  }

  if (std::FILE* f = std::fopen(config_path().c_str(), "wb")) {
    std::fwrite(pieces[0].data(), 1, pieces[0].size(), f);
    std::fclose(f);
  }
  std::vector<std::string> args = {"attnlab", "run", "--config", config_path(), "--out",
                                   "/tmp/attnlab-fuzz-never-written/out", "--no-plots"};
  for (std::size_t k = 1; k < pieces.size() && k < 16; ++k) {
    args.push_back("--set");
    args.push_back(pieces[k]);
  }
  (void)attnlab::exp::check_command_line(args);  // "" or the one-line problem
  return 0;
}
