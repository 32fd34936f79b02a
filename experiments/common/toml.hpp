// A strict subset of TOML, enough for config.toml (internal to experiments/common).
//
// Accepted, one item per line: blank lines; comments (# to the end of the line, also after
// an item); table headers [name] (bare or "quoted" name, no dotted or array tables); key =
// value with a bare key (A-Za-z0-9_-) or a "quoted" key; values: basic strings "..." (escapes
// \" \\ \n \t \r), true/false, decimal integers (no leading zeros, no underscores), floats
// (decimal with a fraction and/or an exponent, and inf, nan with an optional sign).
// Anything else (dotted keys, literal strings, arrays, inline tables, dates, duplicated keys
// or tables) is a SyntaxError carrying the 1-based line number.
#pragma once
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace attnlab::exp::toml {

struct Value {
  enum class Type { integer, real, string, boolean };
  Type type = Type::integer;
  long long i = 0;
  double r = 0;
  std::string s;
  bool b = false;

  bool is_number() const { return type == Type::integer || type == Type::real; }
  double number() const { return type == Type::integer ? static_cast<double>(i) : r; }
  const char* type_name() const;
};

struct Entry {
  std::string table;  // "" for keys before the first header
  std::string key;
  Value value;
  int line = 0;
};

struct SyntaxError : std::runtime_error {
  int line;
  SyntaxError(int l, const std::string& what) : std::runtime_error(what), line(l) {}
};

struct Document {
  std::vector<Entry> entries;                       // in file order
  std::vector<std::pair<std::string, int>> tables;  // table headers with their lines, in file order
};

// Throws SyntaxError.
Document parse(const std::string& text);

// Writing: a key (bare when possible, else quoted), a basic string, a float that reads back
// to the same double (shortest round-trip, always with '.', 'e', "inf" or "nan").
std::string key(const std::string& k);
std::string quote(const std::string& s);
std::string real(double x);

}  // namespace attnlab::exp::toml
