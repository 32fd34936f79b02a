// The strict TOML subset of toml.hpp: a line-by-line reader and the matching writers.
#include "experiments/common/toml.hpp"

#include "experiments/common/format.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <set>
#include <utility>

namespace attnlab::exp::toml {

const char* Value::type_name() const {
  switch (type) {
    case Type::integer: return "integer";
    case Type::real: return "float";
    case Type::string: return "string";
    case Type::boolean: return "boolean";
  }
  return "?";
}

namespace {

bool is_bare(char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
}
bool is_digit(char ch) { return ch >= '0' && ch <= '9'; }

void append_utf8(std::string& out, unsigned cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

class LineParser {
 public:
  LineParser(const std::string& s, int line) : s_(s), line_(line) {}

  [[noreturn]] void fail(const std::string& what) const { throw SyntaxError(line_, what); }

  void skip_ws() {
    while (p_ < s_.size() && (s_[p_] == ' ' || s_[p_] == '\t')) ++p_;
  }
  bool at_end() const { return p_ >= s_.size(); }
  void expect(char ch) {
    if (peek() != ch) {
      if (at_end()) fail(std::string("expected '") + ch + "' at the end of the line");
      fail(std::string("expected '") + ch + "' but found '" + s_.substr(p_) + "'");
    }
    ++p_;
  }
  char peek() const { return at_end() ? '\0' : s_[p_]; }

  // After an item: only whitespace and a comment may follow.
  void expect_end(const char* after) {
    skip_ws();
    if (!at_end() && peek() != '#') fail(std::string("unexpected text after ") + after + ": '" + s_.substr(p_) + "'");
    check_comment();
  }
  void check_comment() {
    for (std::size_t k = p_; k < s_.size(); ++k) {
      unsigned char ch = static_cast<unsigned char>(s_[k]);
      if ((ch < 0x20 && ch != '\t') || ch == 0x7F) fail("control character in a comment");
    }
  }

  std::string basic_string() {
    // at the opening quote
    if (s_.compare(p_, 3, "\"\"\"") == 0) fail("multi-line strings are not supported");
    ++p_;
    std::string out;
    while (true) {
      if (at_end()) fail("unterminated string");
      char ch = s_[p_++];
      if (ch == '"') return out;
      if (ch == '\\') {
        if (at_end()) fail("unterminated string");
        char e = s_[p_++];
        switch (e) {
          case '"': out += '"'; break;
          case '\\': out += '\\'; break;
          case 'n': out += '\n'; break;
          case 't': out += '\t'; break;
          case 'r': out += '\r'; break;
          case 'u': {
            if (p_ + 4 > s_.size()) fail("bad \\u escape");
            unsigned cp = 0;
            auto [ptr, ec] = std::from_chars(s_.data() + p_, s_.data() + p_ + 4, cp, 16);
            if (ec != std::errc() || ptr != s_.data() + p_ + 4) fail("bad \\u escape");
            if (cp >= 0xD800 && cp <= 0xDFFF) fail("bad \\u escape (surrogate)");
            p_ += 4;
            append_utf8(out, cp);
            break;
          }
          default: fail(std::string("unsupported escape \\") + e);
        }
        continue;
      }
      if ((static_cast<unsigned char>(ch) < 0x20 && ch != '\t') || ch == 0x7F) fail("control character in a string");
      out += ch;
    }
  }

  std::string key() {
    if (peek() == '"') return basic_string();
    if (peek() == '\'') fail("literal-string keys are not supported; use \"...\"");
    std::size_t start = p_;
    while (!at_end() && is_bare(peek())) ++p_;
    if (p_ == start) fail("expected a key");
    std::string k = s_.substr(start, p_ - start);
    skip_ws();
    if (peek() == '.') fail("dotted keys are not supported; quote the whole key, e.g. \"a.b\"");
    return k;
  }

  Value value() {
    Value v;
    char ch = peek();
    if (at_end() || ch == '#') fail("missing value");
    if (ch == '"') {
      v.type = Value::Type::string;
      v.s = basic_string();
      return v;
    }
    if (ch == '\'') fail("literal strings are not supported; use \"...\"");
    if (ch == '[') fail("arrays are not supported");
    if (ch == '{') fail("inline tables are not supported");
    std::size_t start = p_;
    while (!at_end() && peek() != ' ' && peek() != '\t' && peek() != '#') ++p_;
    const std::string tok = s_.substr(start, p_ - start);
    if (tok == "true" || tok == "false") {
      v.type = Value::Type::boolean;
      v.b = tok == "true";
      return v;
    }
    return number(tok);
  }

 private:
  Value number(const std::string& tok) {
    Value v;
    std::string body = tok;
    bool negative = false;
    if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
      negative = body[0] == '-';
      body = body.substr(1);
    }
    if (body == "inf" || body == "nan") {
      v.type = Value::Type::real;
      v.r = body == "inf" ? std::numeric_limits<double>::infinity() : std::numeric_limits<double>::quiet_NaN();
      if (negative) v.r = -v.r;
      return v;
    }
    // [int part](.digits)?([eE][+-]?digits)?, int part "0" or without a leading zero
    std::size_t k = 0;
    while (k < body.size() && is_digit(body[k])) ++k;
    const std::size_t int_len = k;
    if (int_len == 0 || (int_len > 1 && body[0] == '0')) fail("invalid value '" + tok + "'");
    bool fraction = false, exponent = false;
    if (k < body.size() && body[k] == '.') {
      std::size_t d = ++k;
      while (k < body.size() && is_digit(body[k])) ++k;
      if (k == d) fail("invalid value '" + tok + "'");
      fraction = true;
    }
    if (k < body.size() && (body[k] == 'e' || body[k] == 'E')) {
      ++k;
      if (k < body.size() && (body[k] == '+' || body[k] == '-')) ++k;
      std::size_t d = k;
      while (k < body.size() && is_digit(body[k])) ++k;
      if (k == d) fail("invalid value '" + tok + "'");
      exponent = true;
    }
    if (k != body.size()) fail("invalid value '" + tok + "'");
    const std::string text = (negative ? "-" : "") + body;
    if (!fraction && !exponent) {
      v.type = Value::Type::integer;
      auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v.i);
      if (ec != std::errc() || ptr != text.data() + text.size()) fail("integer out of range: " + tok);
      return v;
    }
    v.type = Value::Type::real;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v.r);
    if (ec != std::errc() || ptr != text.data() + text.size()) fail("float out of range: " + tok);
    return v;
  }

  const std::string& s_;
  int line_;
  std::size_t p_ = 0;
};

}  // namespace

Document parse(const std::string& text) {
  Document doc;
  std::set<std::string> tables;
  std::set<std::pair<std::string, std::string>> keys;
  std::string table;
  std::size_t pos = 0;
  int line_no = 0;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    std::string line = text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    pos = nl == std::string::npos ? text.size() : nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();

    LineParser lp(line, line_no);
    lp.skip_ws();
    if (lp.at_end() || lp.peek() == '#') {
      lp.check_comment();
      continue;
    }
    if (lp.peek() == '[') {  // [table]
      lp.expect('[');
      if (lp.peek() == '[') lp.fail("arrays of tables are not supported");
      lp.skip_ws();
      std::string name = lp.key();
      lp.skip_ws();
      lp.expect(']');
      lp.expect_end("the table header");
      if (!tables.insert(name).second) lp.fail("table [" + name + "] is defined twice");
      table = name;
      doc.tables.emplace_back(name, line_no);
      continue;
    }
    Entry e;  // key = value
    e.table = table;
    e.line = line_no;
    e.key = lp.key();
    lp.skip_ws();
    lp.expect('=');
    lp.skip_ws();
    e.value = lp.value();
    lp.expect_end("the value");
    if (!keys.insert({e.table, e.key}).second)
      lp.fail("key '" + e.key + "' is defined twice" + (e.table.empty() ? "" : " in [" + e.table + "]"));
    doc.entries.push_back(std::move(e));
  }
  return doc;
}

// ---- writing ------------------------------------------------------------------------------

std::string key(const std::string& k) {
  bool bare = !k.empty();
  for (char ch : k) bare = bare && is_bare(ch);
  return bare ? k : quote(k);
}

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    switch (ch) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7F) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04X", static_cast<unsigned>(static_cast<unsigned char>(ch)));
          out += buf;
        } else {
          out += ch;
        }
    }
  }
  return out + "\"";
}

std::string real(double x) {
  std::string s = format::exact(x);
  if (std::isfinite(x) && s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

}  // namespace attnlab::exp::toml
