#include "rmtsolve/io/matrix_io.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string_view>
#include <system_error>
#include <vector>

#include "rmtsolve/core/error.hpp"

namespace rmtsolve {
namespace {

namespace fs = std::filesystem;
using Index = Eigen::Index;

constexpr char kNpyMagic[] = "\x93NUMPY";
constexpr std::size_t kNpyMagicLength = 6;

// Messages must stay on one line even when they quote bytes from a binary or mangled file.
std::string printable(std::string_view s, std::size_t max_length = std::string_view::npos) {
  std::string out;
  for (std::size_t i = 0; i < s.size() && i < max_length; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      static const char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  if (s.size() > max_length) out += "...";
  return out;
}

std::string in_quotes(std::string_view s) { return "'" + printable(s, 40) + "'"; }

// Every failure names the parameter and the file, so the CLI can print what() unchanged.
struct Context {
  const std::string& path;
  const std::string& parameter;

  [[noreturn]] void fail(const std::string& reason) const {
    throw InvalidInput(parameter, printable(path) + ": " + reason);
  }
};

std::string describe(double v) { return std::isnan(v) ? "NaN" : (v > 0 ? "+inf" : "-inf"); }

// ---------------------------------------------------------------------------------------------
// .npy header: a Python dict literal such as
//   {'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }
// Only the three keys numpy writes are accepted, in any order, with any spacing.

struct NpyHeader {
  std::string descr;
  bool fortran_order = false;
  std::vector<std::uint64_t> shape;
};

class HeaderParser {
 public:
  HeaderParser(std::string_view text, const Context& ctx) : text_(text), ctx_(ctx) {}

  NpyHeader parse() {
    NpyHeader h;
    bool seen[3] = {false, false, false};
    skip_space();
    expect('{');
    do {
      skip_space();
      if (pos_ == text_.size()) fail("unterminated dictionary, expected '}'");
      if (peek() == '}') break;  // empty dict or trailing comma
      parse_entry(h, seen);
      skip_space();
    } while (consume(','));
    skip_space();
    expect('}');
    skip_space();
    if (pos_ != text_.size()) fail("unexpected text after the dictionary");
    static const char* const kKeys[] = {"descr", "fortran_order", "shape"};
    for (int k = 0; k < 3; ++k)
      if (!seen[k]) fail(std::string("missing key '") + kKeys[k] + "'");
    return h;
  }

 private:
  void parse_entry(NpyHeader& h, bool seen[3]) {
    const std::string key = parse_string();
    skip_space();
    expect(':');
    skip_space();
    int slot = -1;
    if (key == "descr") {
      slot = 0;
      if (peek() == '[') ctx_.fail("unsupported dtype: structured arrays are not supported");
      h.descr = parse_string();
    } else if (key == "fortran_order") {
      slot = 1;
      h.fortran_order = parse_bool();
    } else if (key == "shape") {
      slot = 2;
      h.shape = parse_shape();
    } else {
      fail("unexpected key " + in_quotes(key));
    }
    if (seen[slot]) fail("duplicate key " + in_quotes(key));
    seen[slot] = true;
  }

  std::string parse_string() {
    const char quote = peek();
    if (quote != '\'' && quote != '"') fail("expected a quoted string");
    ++pos_;
    std::string s;
    while (pos_ < text_.size() && text_[pos_] != quote) {
      if (text_[pos_] == '\\' && pos_ + 1 < text_.size()) ++pos_;
      s += text_[pos_++];
    }
    if (pos_ == text_.size()) fail("unterminated string");
    ++pos_;
    return s;
  }

  bool parse_bool() {
    std::size_t end = pos_;
    while (end < text_.size() && std::isalpha(static_cast<unsigned char>(text_[end]))) ++end;
    const std::string_view word = text_.substr(pos_, end - pos_);
    if (word != "True" && word != "False") fail("fortran_order must be True or False");
    pos_ = end;
    return word == "True";
  }

  std::vector<std::uint64_t> parse_shape() {
    expect('(');
    std::vector<std::uint64_t> shape;
    skip_space();
    while (!consume(')')) {
      shape.push_back(parse_dimension());
      skip_space();
      if (!consume(',')) {
        expect(')');
        break;
      }
      skip_space();
    }
    return shape;
  }

  std::uint64_t parse_dimension() {
    if (!std::isdigit(static_cast<unsigned char>(peek()))) fail("expected a non-negative dimension");
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(text_.data() + pos_, text_.data() + text_.size(), value);
    if (ec != std::errc()) fail("dimension out of range");
    pos_ = static_cast<std::size_t>(end - text_.data());
    if (peek() == 'L') ++pos_;  // Python 2 era writers emitted long literals such as 3L
    return value;
  }

  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  bool consume(char c) {
    if (peek() != c) return false;
    ++pos_;
    return true;
  }
  void expect(char c) {
    if (!consume(c)) fail(std::string("expected '") + c + "'");
  }
  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  [[noreturn]] void fail(const std::string& what) const {
    ctx_.fail("malformed .npy header: " + what + " at header offset " + std::to_string(pos_) +
              " in " + in_quotes(text_.substr(0, 120)));
  }

  std::string_view text_;
  const Context& ctx_;
  std::size_t pos_ = 0;
};

// ---------------------------------------------------------------------------------------------
// dtypes

struct Dtype {
  char kind;  // 'f', 'i', 'u' or 'b'
  int size;   // bytes per element
};

Dtype parse_dtype(const std::string& descr, const Context& ctx) {
  const std::string supported = " (supported: <f8 <f4 <i8 <i4 <i2 |i1 <u8 <u4 <u2 |u1 |b1)";
  if (descr.size() < 3) ctx.fail("unsupported dtype " + in_quotes(descr) + supported);
  const char order = descr[0];
  const std::string code = descr.substr(1);
  static const char* const kCodes[] = {"f8", "f4", "i8", "i4", "i2", "i1",
                                       "u8", "u4", "u2", "u1", "b1"};
  const bool known = std::find(std::begin(kCodes), std::end(kCodes), code) != std::end(kCodes);
  if (!known || (order != '<' && order != '>' && order != '|'))
    ctx.fail("unsupported dtype " + in_quotes(descr) + supported);
  const Dtype t{code[0], code[1] - '0'};
  // Byte order is meaningless for single bytes, so '>u1' is as good as '|u1'.
  if (order == '>' && t.size > 1)
    ctx.fail("big-endian dtype " + in_quotes(descr) + " is not supported; save with arr.astype('<" +
             code + "')");
  return t;
}

// Assembles little-endian bytes explicitly so the reader does not depend on host byte order.
double decode(const unsigned char* p, Dtype t) {
  std::uint64_t bits = 0;
  for (int i = 0; i < t.size; ++i) bits |= static_cast<std::uint64_t>(p[i]) << (8 * i);
  switch (t.kind) {
    case 'f':
      if (t.size == 8) {
        double d;
        std::memcpy(&d, &bits, sizeof d);
        return d;
      } else {
        const auto b32 = static_cast<std::uint32_t>(bits);
        float f;
        std::memcpy(&f, &b32, sizeof f);
        return f;
      }
    case 'i':
      if (t.size < 8 && (bits >> (8 * t.size - 1)) & 1) bits |= ~std::uint64_t{0} << (8 * t.size);
      return static_cast<double>(static_cast<std::int64_t>(bits));  // |x| > 2^53 rounds
    case 'u': return static_cast<double>(bits);
    default: return bits != 0 ? 1.0 : 0.0;  // 'b'
  }
}

// ---------------------------------------------------------------------------------------------
// .npy body

std::string shape_string(const std::vector<std::uint64_t>& shape) {
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

// Element count and byte count, refusing shapes whose size overflows: a corrupt header must
// produce a message, not a huge allocation.
std::uint64_t checked_bytes(const NpyHeader& h, Dtype t, const Context& ctx) {
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t count = 1;
  for (const std::uint64_t d : h.shape) {
    if (d != 0 && count > kMax / d) ctx.fail("shape " + shape_string(h.shape) + " is too large");
    count *= d;
  }
  if (count == 0) ctx.fail("empty array of shape " + shape_string(h.shape));
  if (count > kMax / static_cast<std::uint64_t>(t.size))
    ctx.fail("shape " + shape_string(h.shape) + " is too large");
  return count * static_cast<std::uint64_t>(t.size);
}

std::uint64_t read_le(std::istream& in, int bytes) {
  unsigned char b[4] = {0, 0, 0, 0};
  in.read(reinterpret_cast<char*>(b), bytes);
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<std::uint64_t>(b[i]) << (8 * i);
  return v;
}

// Reads magic, version and the header dictionary; leaves `in` at the first data byte.
NpyHeader read_npy_header(std::istream& in, std::uint64_t file_size, const Context& ctx) {
  char preamble[kNpyMagicLength + 2] = {};
  in.read(preamble, sizeof preamble);
  // Magic first: a short text file named .npy is "not a .npy file", not "too short".
  if (std::memcmp(preamble, kNpyMagic, kNpyMagicLength) != 0)
    ctx.fail("malformed .npy header: missing the \\x93NUMPY magic, not a NumPy .npy file");
  if (!in) ctx.fail("malformed .npy header: file too short for the preamble");
  const int major = static_cast<unsigned char>(preamble[6]);
  const int minor = static_cast<unsigned char>(preamble[7]);
  if (major < 1 || major > 3 || minor != 0)
    ctx.fail("unsupported .npy format version " + std::to_string(major) + "." +
             std::to_string(minor) + " (supported: 1.0, 2.0, 3.0)");
  const int length_bytes = major == 1 ? 2 : 4;
  const std::uint64_t header_length = read_le(in, length_bytes);
  const std::uint64_t data_offset = sizeof preamble + length_bytes + header_length;
  if (!in || data_offset > file_size)
    ctx.fail("malformed .npy header: header length " + std::to_string(header_length) +
             " runs past the end of the file");
  std::string text(header_length, '\0');
  in.read(text.data(), static_cast<std::streamsize>(header_length));
  if (!in) ctx.fail("malformed .npy header: cannot read the header");
  return HeaderParser(text, ctx).parse();
}

// Visits matrix positions in file order (row-major for C order, column-major for Fortran order).
struct FileOrderCursor {
  Index rows, cols;
  bool fortran;
  Index row = 0, col = 0;

  void advance() {
    if (fortran && ++row == rows) {
      row = 0;
      ++col;
    } else if (!fortran && ++col == cols) {
      col = 0;
      ++row;
    }
  }
};

std::string index_string(const FileOrderCursor& at, std::size_t ndim) {
  if (ndim == 1) return "[" + std::to_string(at.row) + "]";
  return "[" + std::to_string(at.row) + ", " + std::to_string(at.col) + "]";
}

constexpr std::uint64_t kChunkElements = 1 << 16;

// '<f8' (numpy's default) on a little-endian host: the file's bytes are the doubles, so whole rows
// (C order) are read into a row-major chunk and copied as a block, and Fortran order is read
// straight into the matrix; the element-wise decoder below costs several times more on a
// p = 2000 covariance.  The first non-finite value in file order is reported as the decoder does.
bool read_npy_native_f8(std::istream& in, const NpyHeader& h, Dtype t, Eigen::MatrixXd& m, const Context& ctx) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  if (t.kind != 'f' || t.size != 8) return false;
  auto read_exactly = [&](double* to, Index count) {
    const auto bytes = static_cast<std::streamsize>(count) * static_cast<std::streamsize>(sizeof(double));
    in.read(reinterpret_cast<char*>(to), bytes);
    if (in.gcount() != bytes) ctx.fail("truncated data: the file ended while reading");
  };
  auto fail_non_finite = [&](Index row, Index col) {
    const double v = m(row, col);
    ctx.fail("non-finite value " + describe(v) + " at index " + index_string(FileOrderCursor{m.rows(), m.cols(), h.fortran_order, row, col}, h.shape.size()));
  };
  if (h.fortran_order || m.cols() == 1) {  // file order = Eigen's column-major order
    read_exactly(m.data(), m.size());
    if (!m.allFinite())
      for (Index j = 0; j < m.cols(); ++j)
        for (Index i = 0; i < m.rows(); ++i)
          if (!std::isfinite(m(i, j))) fail_non_finite(i, j);
    return true;
  }
  using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const Index rows_per_chunk = std::max<Index>(1, static_cast<Index>(kChunkElements) / m.cols());
  RowMajor chunk(std::min(rows_per_chunk, m.rows()), m.cols());
  for (Index row = 0; row < m.rows(); row += chunk.rows()) {
    const Index n = std::min(chunk.rows(), m.rows() - row);
    read_exactly(chunk.data(), n * m.cols());
    m.middleRows(row, n) = chunk.topRows(n);
    if (!chunk.topRows(n).allFinite())
      for (Index i = row; i < row + n; ++i)
        for (Index j = 0; j < m.cols(); ++j)
          if (!std::isfinite(m(i, j))) fail_non_finite(i, j);
  }
  return true;
#else
  (void)in, (void)h, (void)t, (void)m, (void)ctx;
  return false;
#endif
}

// Decodes in bounded chunks so peak memory stays close to the size of the result.
void read_npy_data(std::istream& in, const NpyHeader& h, Dtype t, Eigen::MatrixXd& m,
                   const Context& ctx) {
  if (read_npy_native_f8(in, h, t, m, ctx)) return;
  const std::uint64_t count = static_cast<std::uint64_t>(m.size());
  std::vector<unsigned char> buffer(kChunkElements * static_cast<std::uint64_t>(t.size));
  FileOrderCursor at{m.rows(), m.cols(), h.fortran_order};
  for (std::uint64_t done = 0; done < count;) {
    const std::uint64_t n = std::min(kChunkElements, count - done);
    const auto bytes = static_cast<std::streamsize>(n * static_cast<std::uint64_t>(t.size));
    in.read(reinterpret_cast<char*>(buffer.data()), bytes);
    if (in.gcount() != bytes) ctx.fail("truncated data: the file ended while reading");
    for (std::uint64_t i = 0; i < n; ++i, at.advance()) {
      const double v = decode(buffer.data() + i * static_cast<std::uint64_t>(t.size), t);
      if (!std::isfinite(v))
        ctx.fail("non-finite value " + describe(v) + " at index " + index_string(at, h.shape.size()));
      m(at.row, at.col) = v;
    }
    done += n;
  }
}

Eigen::MatrixXd read_npy(std::uint64_t file_size, const Context& ctx) {
  std::ifstream in(ctx.path, std::ios::binary);
  if (!in) ctx.fail("cannot open the file for reading");
  const NpyHeader h = read_npy_header(in, file_size, ctx);
  const Dtype t = parse_dtype(h.descr, ctx);
  const std::size_t ndim = h.shape.size();
  if (ndim == 0) ctx.fail("0-d (scalar) arrays are not supported; expected a 1-D or 2-D array");
  if (ndim > 2)
    ctx.fail(std::to_string(ndim) + "-d array of shape " + shape_string(h.shape) +
             " is not supported; expected a 1-D or 2-D array");
  const std::uint64_t need = checked_bytes(h, t, ctx);
  const std::uint64_t have = file_size - static_cast<std::uint64_t>(in.tellg());
  if (have < need)
    ctx.fail("truncated data: shape " + shape_string(h.shape) + " of " + in_quotes(h.descr) +
             " needs " + std::to_string(need) + " bytes, the file has " + std::to_string(have) +
             " after the header");
  // need <= file size, so both dimensions fit in Index.
  Eigen::MatrixXd m(static_cast<Index>(h.shape[0]), ndim == 2 ? static_cast<Index>(h.shape[1]) : 1);
  read_npy_data(in, h, t, m, ctx);
  return m;
}

// ---------------------------------------------------------------------------------------------
// Text

std::string_view trim(std::string_view s) {
  const auto is_space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::string where(std::size_t line, std::size_t column) {
  return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

// Fields are separated by commas, whitespace, or both ("1, 2" and "1 2" are two fields);
// an empty field between commas is an error rather than a silent zero or NaN.
std::vector<std::string_view> split_fields(std::string_view line, std::size_t line_no,
                                           const Context& ctx) {
  std::vector<std::string_view> fields;
  for (std::size_t start = 0;;) {
    const std::size_t comma = line.find(',', start);
    const std::string_view piece = trim(line.substr(start, comma - start));
    // The line is trimmed and non-empty, so an empty piece can only sit next to a comma.
    if (piece.empty())
      ctx.fail("empty field at " + where(line_no, fields.size() + 1) +
               " (consecutive or trailing comma)");
    for (std::size_t i = 0; i < piece.size();) {
      const std::size_t end = std::min(piece.find_first_of(" \t\v\f", i), piece.size());
      fields.push_back(piece.substr(i, end - i));
      i = piece.find_first_not_of(" \t\v\f", end);
      if (i == std::string_view::npos) break;
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return fields;
}

enum class Parsed { kNumber, kNotNumber, kOutOfRange };

// from_chars is locale-independent; it rejects a leading '+', which data files do contain.
Parsed parse_number(std::string_view s, double& value) {
  if (s.size() > 1 && s[0] == '+' && s[1] != '-' && s[1] != '+') s.remove_prefix(1);
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (end != s.data() + s.size()) return Parsed::kNotNumber;
  if (ec == std::errc::result_out_of_range) {
    // libstdc++ reports underflow as out of range too; strtod tells overflow (inf) from
    // underflow (a denormal or zero, which is a legitimate value).  strtod follows the C locale
    // setting, so unless it consumed the whole field its answer is not trusted.
    const std::string copy(s);
    char* stop = nullptr;
    value = std::strtod(copy.c_str(), &stop);
    const bool whole = stop == copy.c_str() + copy.size();
    return whole && !std::isinf(value) ? Parsed::kNumber : Parsed::kOutOfRange;
  }
  return ec == std::errc() ? Parsed::kNumber : Parsed::kNotNumber;
}

bool all_non_numeric(const std::vector<std::string_view>& fields) {
  double unused;
  return std::none_of(fields.begin(), fields.end(),
                      [&](std::string_view f) { return parse_number(f, unused) != Parsed::kNotNumber; });
}

class TextTable {
 public:
  explicit TextTable(const Context& ctx) : ctx_(ctx) {}

  void add_line(std::string_view raw, std::size_t line_no) {
    std::string_view line = raw;
    if (line_no == 1 && line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);  // UTF-8 BOM
    line = trim(line.substr(0, line.find('#')));
    if (line.empty()) return;
    const auto fields = split_fields(line, line_no, ctx_);
    const bool first = !seen_content_;
    seen_content_ = true;
    if (first && all_non_numeric(fields)) {
      header_line_ = line_no;
      return;
    }
    check_width(fields.size(), line_no);
    for (std::size_t k = 0; k < fields.size(); ++k) values_.push_back(parse(fields[k], line_no, k + 1));
    ++rows_;
  }

  Eigen::MatrixXd finish() const {
    if (rows_ == 0)
      ctx_.fail(header_line_ ? "empty file: no numeric rows after the header on line " +
                                   std::to_string(header_line_)
                             : std::string("empty file: no numeric rows"));
    using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    return Eigen::Map<const RowMajor>(values_.data(), static_cast<Index>(rows_),
                                      static_cast<Index>(cols_));
  }

 private:
  void check_width(std::size_t width, std::size_t line_no) {
    if (rows_ == 0) {
      cols_ = width;
      first_row_line_ = line_no;
    } else if (width != cols_) {
      ctx_.fail("ragged rows: line " + std::to_string(line_no) + " has " + std::to_string(width) +
                " values, expected " + std::to_string(cols_) + " as on line " +
                std::to_string(first_row_line_));
    }
  }

  double parse(std::string_view field, std::size_t line_no, std::size_t column) const {
    double v = 0.0;
    switch (parse_number(field, v)) {
      case Parsed::kNotNumber:
        ctx_.fail("non-numeric entry " + in_quotes(field) + " at " + where(line_no, column) +
                  (header_line_ || rows_ ? "" : " (a header must have no numeric field)"));
      case Parsed::kOutOfRange:
        ctx_.fail("value " + in_quotes(field) + " at " + where(line_no, column) +
                  " is outside the range of a double");
      case Parsed::kNumber: break;
    }
    if (!std::isfinite(v))
      ctx_.fail("non-finite value " + describe(v) + " at " + where(line_no, column));
    return v;
  }

  const Context& ctx_;
  std::vector<double> values_;
  std::size_t rows_ = 0, cols_ = 0, first_row_line_ = 0, header_line_ = 0;
  bool seen_content_ = false;
};

Eigen::MatrixXd read_text(const Context& ctx) {
  std::ifstream in(ctx.path, std::ios::binary);  // binary: CRLF is stripped by trim, not the OS
  if (!in) ctx.fail("cannot open the file for reading");
  TextTable table(ctx);
  std::string line;
  for (std::size_t line_no = 1; std::getline(in, line); ++line_no) table.add_line(line, line_no);
  if (in.bad()) ctx.fail("read error");
  return table.finish();
}

// ---------------------------------------------------------------------------------------------
// Dispatch

std::uint64_t checked_file_size(const Context& ctx) {
  std::error_code ec;
  const fs::file_status status = fs::status(ctx.path, ec);
  if (!fs::exists(status)) {
    const bool missing = !ec || ec == std::errc::no_such_file_or_directory;
    ctx.fail(missing ? std::string("file not found") : "cannot access the file: " + ec.message());
  }
  if (fs::is_directory(status)) ctx.fail("is a directory, expected a file");
  const std::uintmax_t size = fs::file_size(ctx.path, ec);
  if (ec) ctx.fail("cannot determine the file size: " + ec.message());
  if (size == 0) ctx.fail("empty file");
  return size;
}

bool starts_with_npy_magic(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char head[kNpyMagicLength] = {};
  return in.read(head, kNpyMagicLength) && std::memcmp(head, kNpyMagic, kNpyMagicLength) == 0;
}

std::string lower_extension(const std::string& path) {
  std::string ext = fs::path(path).extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext;
}

// ---------------------------------------------------------------------------------------------
// Writing

// Byte-for-byte what numpy.save writes (numpy/lib/format.py, _write_array_header and
// _wrap_header), so files can be compared with cmp against numpy's own output.
std::string npy_v1_header(Index rows, Index cols) {
  const std::string first_dim = std::to_string(rows);
  std::string dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (" + first_dim + ", " +
                     std::to_string(cols) + "), }";
  // numpy reserves room for the growth axis to reach 21 digits, so the header can be rewritten
  // in place when data is appended.
  dict.append(first_dim.size() < 21 ? 21 - first_dim.size() : 0, ' ');
  // Spaces and a final newline put the data on a 64-byte boundary; numpy pads a full 64 bytes
  // when the header happens to be aligned already.
  const std::size_t unpadded = kNpyMagicLength + 2 + 2 + dict.size() + 1;
  dict.append(64 - unpadded % 64, ' ');
  dict += '\n';
  std::string out(kNpyMagic, kNpyMagicLength);
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(dict.size() & 0xff);
  out += static_cast<char>(dict.size() >> 8);
  return out + dict;
}

void append_le(std::string& out, double v) {
  std::uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  for (int i = 0; i < 8; ++i) out += static_cast<char>((bits >> (8 * i)) & 0xff);
}

}  // namespace

Eigen::MatrixXd read_matrix(const std::string& path, const std::string& parameter) {
  const Context ctx{path, parameter};
  const std::uint64_t size = checked_file_size(ctx);
  const std::string ext = lower_extension(path);
  if (ext == ".npz")
    ctx.fail("unsupported format: .npz archives are not supported; save the array with numpy.save");
  // Sniffing the magic lets a .npy saved under another name get .npy diagnostics, not
  // "non-numeric entry" complaints about binary bytes.
  if (ext == ".npy" || starts_with_npy_magic(path)) return read_npy(size, ctx);
  return read_text(ctx);
}

void write_npy(const std::string& path, const Eigen::MatrixXd& m) {
  const auto fail = [&](const std::string& reason) {
    throw InvalidInput("write_npy", printable(path) + ": " + reason);
  };
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) fail("cannot open the file for writing");
  const std::string header = npy_v1_header(m.rows(), m.cols());
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  std::string row;
  for (Index i = 0; i < m.rows() && out; ++i) {
    row.clear();
    for (Index j = 0; j < m.cols(); ++j) append_le(row, m(i, j));
    out.write(row.data(), static_cast<std::streamsize>(row.size()));
  }
  out.close();
  if (!out) {
    std::error_code ignored;
    fs::remove(path, ignored);  // a half-written file would later read as "truncated data"
    fail("write failed (disk full?)");
  }
}

}  // namespace rmtsolve
