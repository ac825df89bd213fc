#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <random>
#include <string>

#include "rmtsolve/core/error.hpp"
#include "rmtsolve/io/matrix_io.hpp"

using namespace rmtsolve;
namespace fs = std::filesystem;

namespace {

const char kParam[] = "--covariance";

// Builds .npy bytes exactly as the NPY format spec lays them out: magic, version, little-endian
// header length (2 bytes for 1.0, 4 for 2.0/3.0), the dict padded with spaces and terminated by
// '\n' so that the data starts on a 64-byte boundary, then the raw data.  The padding follows
// numpy's _wrap_header, which pads a full 64 bytes when the header is already aligned.
std::string npy_bytes(int major, const std::string& dict, const std::string& data) {
  const std::size_t length_bytes = major == 1 ? 2 : 4;
  const std::size_t unpadded = 6 + 2 + length_bytes + dict.size() + 1;
  const std::string header = dict + std::string(64 - unpadded % 64, ' ') + "\n";
  std::string out = "\x93NUMPY";
  out += static_cast<char>(major);
  out += '\0';
  for (std::size_t i = 0; i < length_bytes; ++i)
    out += static_cast<char>((header.size() >> (8 * i)) & 0xff);
  EXPECT_EQ((out.size() + header.size()) % 64, 0u);
  return out + header + data;
}

template <class T>
std::string le_bytes(std::initializer_list<T> values) {
  std::string out;
  for (const T v : values) {
    unsigned char raw[sizeof(T)];
    std::memcpy(raw, &v, sizeof(T));
    // Test machines are little-endian; this check keeps the fixtures honest if one is not.
    const std::uint16_t probe = 1;
    const bool little = *reinterpret_cast<const unsigned char*>(&probe) == 1;
    for (std::size_t i = 0; i < sizeof(T); ++i) out += static_cast<char>(raw[little ? i : sizeof(T) - 1 - i]);
  }
  return out;
}

std::string f8(std::initializer_list<double> v) { return le_bytes<double>(v); }

class MatrixIo : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    for (int attempt = 0; attempt < 100; ++attempt) {
      dir_ = fs::temp_directory_path() / ("rmtsolve_matrix_io_" + std::to_string(rd()));
      if (fs::create_directory(dir_)) return;
    }
    FAIL() << "cannot create a temporary directory";
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  std::string write_file(const std::string& name, const std::string& bytes) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }

  // Expects InvalidInput whose one-line what() names the parameter, the file and every word.
  void expect_invalid(const std::string& path, std::initializer_list<const char*> words) {
    try {
      const Eigen::MatrixXd m = read_matrix(path, kParam);
      ADD_FAILURE() << "no exception for " << path << ", read a " << m.rows() << "x" << m.cols()
                    << " matrix";
    } catch (const InvalidInput& e) {
      const std::string what = e.what();
      EXPECT_EQ(e.parameter(), kParam);
      EXPECT_NE(what.find(kParam), std::string::npos) << what;
      EXPECT_NE(what.find(fs::path(path).filename().string()), std::string::npos) << what;
      EXPECT_EQ(what.find('\n'), std::string::npos) << what;
      for (const char* w : words) EXPECT_NE(what.find(w), std::string::npos) << "'" << w << "' not in: " << what;
    }
  }

  void expect_invalid_npy(const std::string& dict, const std::string& data,
                          std::initializer_list<const char*> words, int major = 1) {
    expect_invalid(write_file("bad.npy", npy_bytes(major, dict, data)), words);
  }

  fs::path dir_;
};

const char kF8_2x2[] = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }";

}  // namespace

// ---------------------------------------------------------------------------------------------
// .npy

TEST_F(MatrixIo, RoundTripIsExact) {
  Eigen::MatrixXd m(3, 4);
  m << 1.0, -2.5, 3e-300, 4e300,  //
      0.1, 1.0 / 3.0, -0.0, 7.0,  //
      std::numeric_limits<double>::denorm_min(), 8, 9, 10;
  const std::string path = (dir_ / "m.npy").string();
  write_npy(path, m);
  const Eigen::MatrixXd back = read_matrix(path, kParam);
  ASSERT_EQ(back.rows(), 3);
  ASSERT_EQ(back.cols(), 4);
  EXPECT_TRUE((back.array() == m.array()).all()) << back;
}

// '<f8' files are read a block of rows at a time (C order) or straight into the matrix (Fortran
// order): a matrix spanning several blocks (500 × 300: 218 rows per block) comes back exactly, and a
// NaN in the last block, or in a Fortran-order file, is located by its row and column.
TEST_F(MatrixIo, LargeFloat64ReadsExactlyAndLocatesNonFinite) {
  Eigen::MatrixXd m(500, 300);
  for (Eigen::Index j = 0; j < m.cols(); ++j)
    for (Eigen::Index i = 0; i < m.rows(); ++i) m(i, j) = std::sin(1.0 + static_cast<double>(i) * 0.37 + static_cast<double>(j) * 1.91) * 1e3;
  const std::string path = (dir_ / "big.npy").string();
  write_npy(path, m);
  const Eigen::MatrixXd back = read_matrix(path, kParam);
  ASSERT_EQ(back.rows(), 500);
  ASSERT_EQ(back.cols(), 300);
  EXPECT_TRUE((back.array() == m.array()).all());
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  const std::size_t data = 10 + (static_cast<unsigned char>(bytes[8]) | static_cast<unsigned char>(bytes[9]) << 8);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::memcpy(&bytes[data + 8 * (450 * 300 + 7)], &nan, 8);
  const std::string bad = (dir_ / "big_nan.npy").string();
  std::ofstream(bad, std::ios::binary) << bytes;
  expect_invalid(bad, {"non-finite", "NaN", "index [450, 7]"});
  expect_invalid_npy("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }", f8({1, nan, 3, 4, 5, 6}),
                     {"non-finite", "NaN", "index [1, 0]"});
}

TEST_F(MatrixIo, WriteNpyProducesNumpyLayout) {
  Eigen::MatrixXd m(2, 3);
  m << 1, 2, 3, 4, 5, 6;
  const std::string path = (dir_ / "m.npy").string();
  write_npy(path, m);
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // numpy.save writes exactly this: the sorted-key dict, 21 - len("2") spaces reserved for the
  // growth axis, alignment padding, '\n'; then the data in C order, row by row.
  const std::string dict =
      "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }" + std::string(20, ' ');
  const std::string expected = npy_bytes(1, dict, f8({1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(bytes, expected);
  EXPECT_EQ(bytes.size(), 128u + 48u);
  EXPECT_EQ(bytes.substr(0, 10), std::string("\x93NUMPY\x01\x00\x76\x00", 10));  // 118-byte header
  EXPECT_EQ(bytes[127], '\n');
}

TEST_F(MatrixIo, ColumnVectorRoundTripKeepsShape) {
  const Eigen::VectorXd v = Eigen::VectorXd::LinSpaced(5, 0.5, 2.5);
  const std::string path = (dir_ / "spectrum.npy").string();
  write_npy(path, v);
  const Eigen::MatrixXd back = read_matrix(path, kParam);
  ASSERT_EQ(back.rows(), 5);
  ASSERT_EQ(back.cols(), 1);
  EXPECT_EQ(back.col(0), v);
}

TEST_F(MatrixIo, ReadsFloat32FortranOrder) {
  // m(i, j) = 10 i + j + 0.5, stored column by column.
  const std::string data = le_bytes<float>({0.5f, 10.5f, 1.5f, 11.5f, 2.5f, 12.5f});
  const std::string path = write_file(
      "f4.npy", npy_bytes(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", data));
  const Eigen::MatrixXd m = read_matrix(path, kParam);
  ASSERT_EQ(m.rows(), 2);
  ASSERT_EQ(m.cols(), 3);
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j) EXPECT_EQ(m(i, j), 10 * i + j + 0.5) << i << "," << j;
}

TEST_F(MatrixIo, ReadsOneDimensionalInt64AsColumn) {
  const std::string data = le_bytes<std::int64_t>({-3, 0, 7, std::int64_t{1} << 40});
  const std::string path = write_file(
      "i8.npy", npy_bytes(1, "{'descr': '<i8', 'fortran_order': False, 'shape': (4,), }", data));
  const Eigen::MatrixXd m = read_matrix(path, kParam);
  ASSERT_EQ(m.rows(), 4);
  ASSERT_EQ(m.cols(), 1);
  EXPECT_EQ(m(0, 0), -3.0);
  EXPECT_EQ(m(1, 0), 0.0);
  EXPECT_EQ(m(2, 0), 7.0);
  EXPECT_EQ(m(3, 0), std::ldexp(1.0, 40));
}

TEST_F(MatrixIo, ReadsSmallIntegerDtypes) {
  const auto read = [&](const char* descr, const std::string& data) {
    const std::string dict =
        std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': (1, 2), }";
    return read_matrix(write_file("small.npy", npy_bytes(1, dict, data)), kParam);
  };
  EXPECT_EQ(read("|u1", "\xff\x01")(0, 0), 255.0);
  EXPECT_EQ(read("|i1", "\x80\x01")(0, 0), -128.0);
  EXPECT_EQ(read("<i4", le_bytes<std::int32_t>({-2, 5}))(0, 0), -2.0);
  EXPECT_EQ(read("<i4", le_bytes<std::int32_t>({-2, 5}))(0, 1), 5.0);
  const std::string two_shorts("\xff\xff\x00\x80", 4);
  EXPECT_EQ(read("<i2", two_shorts)(0, 0), -1.0);
  EXPECT_EQ(read("<i2", two_shorts)(0, 1), -32768.0);
  EXPECT_EQ(read("<u2", two_shorts)(0, 1), 32768.0);
  EXPECT_EQ(read("|b1", std::string("\x00\x02", 2))(0, 1), 1.0);
}

TEST_F(MatrixIo, ReadsVersion2And3Headers) {
  for (const int major : {2, 3}) {
    const std::string path = write_file("v.npy", npy_bytes(major, kF8_2x2, f8({1, 2, 3, 4})));
    const Eigen::MatrixXd m = read_matrix(path, kParam);
    ASSERT_EQ(m.rows(), 2) << "version " << major;
    EXPECT_EQ(m(0, 1), 2.0);
    EXPECT_EQ(m(1, 0), 3.0);
  }
}

TEST_F(MatrixIo, HeaderKeysInAnyOrderWithAnySpacing) {
  // Unaligned, unpadded, double quotes, no spaces, trailing commas: numpy accepts all of this.
  std::string bytes = "\x93NUMPY\x01";
  bytes += '\0';
  const std::string dict = "{\"shape\":(2,2,),\"fortran_order\":True,\"descr\":\"<f8\",}";
  bytes += static_cast<char>(dict.size());
  bytes += '\0';
  const std::string path = write_file("loose.npy", bytes + dict + f8({1, 2, 3, 4}));
  const Eigen::MatrixXd m = read_matrix(path, kParam);
  EXPECT_EQ(m(1, 0), 2.0);  // Fortran order
  EXPECT_EQ(m(0, 1), 3.0);
}

TEST_F(MatrixIo, NpyRecognisedByMagicUnderAnotherName) {
  const std::string path = write_file("cov.bin", npy_bytes(1, kF8_2x2, f8({1, 2, 3, 4})));
  EXPECT_EQ(read_matrix(path, kParam)(1, 1), 4.0);
}

// ---------------------------------------------------------------------------------------------
// Text

TEST_F(MatrixIo, CsvWithHeaderCommentsCommasAndWhitespace) {
  const std::string path = write_file("cov.csv",
                                      "# covariance exported by hand\n"
                                      "x, y ,z\n"
                                      "1, 2, 3\n"
                                      "\n"
                                      "   # indented comment\n"
                                      "4 5\t6\n"
                                      "7,8 ,  +9e0   # trailing comment\r\n"
                                      "-1.5,.25,1E-2\n");
  const Eigen::MatrixXd m = read_matrix(path, kParam);
  Eigen::MatrixXd expected(4, 3);
  expected << 1, 2, 3, 4, 5, 6, 7, 8, 9, -1.5, 0.25, 0.01;
  ASSERT_EQ(m.rows(), 4);
  ASSERT_EQ(m.cols(), 3);
  EXPECT_EQ(m, expected);
}

TEST_F(MatrixIo, WhitespaceColumnFileIsColumnVector) {
  const std::string path = write_file("spectrum.dat", "\xEF\xBB\xBF" "0.5\r\n1.5\r\n  2.5\n");
  const Eigen::MatrixXd m = read_matrix(path, kParam);
  ASSERT_EQ(m.rows(), 3);
  ASSERT_EQ(m.cols(), 1);
  EXPECT_EQ(m(2, 0), 2.5);
}

TEST_F(MatrixIo, SingleLineIsOneRow) {
  const Eigen::MatrixXd m = read_matrix(write_file("row.txt", "1 2 3"), kParam);
  EXPECT_EQ(m.rows(), 1);
  EXPECT_EQ(m.cols(), 3);
}

TEST_F(MatrixIo, UnderflowReadsAsTinyNumber) {
  const Eigen::MatrixXd m = read_matrix(write_file("tiny.txt", "1e-400 1"), kParam);
  EXPECT_EQ(m(0, 0), 0.0);
}

// ---------------------------------------------------------------------------------------------
// Errors

TEST_F(MatrixIo, MissingFile) { expect_invalid((dir_ / "nope.csv").string(), {"not found"}); }

TEST_F(MatrixIo, DirectoryIsRejected) {
  fs::create_directory(dir_ / "sub.csv");
  expect_invalid((dir_ / "sub.csv").string(), {"directory"});
}

TEST_F(MatrixIo, EmptyFiles) {
  expect_invalid(write_file("empty.csv", ""), {"empty"});
  expect_invalid(write_file("empty.npy", ""), {"empty"});
  expect_invalid(write_file("comments.txt", "# nothing\n\n   \n"), {"empty"});
  expect_invalid(write_file("header_only.csv", "a,b,c\n"), {"empty", "header", "line 1"});
}

TEST_F(MatrixIo, MalformedNpyHeaders) {
  expect_invalid(write_file("text.npy", "1,2,3\n"), {"malformed", "magic"});
  expect_invalid(write_file("short.npy", "\x93NUM"), {"malformed"});
  expect_invalid_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), ", f8({1, 2, 3, 4}),
                     {"malformed", "unterminated"});
  expect_invalid_npy("{'descr': '<f8', 'fortran_order': False}", f8({1}), {"malformed", "'shape'"});
  expect_invalid_npy("{'descr': '<f8', 'fortran_order': maybe, 'shape': (1,)}", f8({1}),
                     {"malformed", "True or False"});
  expect_invalid_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'extra': 1}",
                     f8({1}), {"malformed", "'extra'"});
  expect_invalid_npy("{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (1,)}",
                     f8({1}), {"malformed", "duplicate"});
  expect_invalid_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (-1,)}", f8({1}),
                     {"malformed", "dimension"});
  expect_invalid_npy("{'descr': '<f8, 'fortran_order': False, 'shape': (1,)}", f8({1}),
                     {"malformed"});
  expect_invalid_npy(kF8_2x2, f8({1, 2, 3, 4}), {"version 4.0"}, 4);
  // A header length that runs past the end of the file.
  expect_invalid(write_file("long.npy", std::string("\x93NUMPY\x01\x00\xff\x7f{", 11)),
                 {"malformed", "header length"});
}

TEST_F(MatrixIo, UnsupportedDtypes) {
  const auto dict = [](const char* descr) {
    return std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': (1,), }";
  };
  expect_invalid_npy(dict("<c16"), std::string(16, '\0'), {"unsupported dtype", "'<c16'"});
  expect_invalid_npy(dict("|O"), std::string(8, '\0'), {"unsupported dtype"});
  expect_invalid_npy(dict("<U3"), std::string(12, '\0'), {"unsupported dtype"});
  expect_invalid_npy(dict(">f8"), std::string(8, '\0'), {"big-endian", "'>f8'"});
  expect_invalid_npy("{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (1,), }",
                     std::string(8, '\0'), {"dtype", "structured"});
}

TEST_F(MatrixIo, UnsupportedDimensions) {
  expect_invalid_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (), }", f8({1}), {"0-d"});
  expect_invalid_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 1, 1), }", f8({1, 2}),
                     {"3-d", "(2, 1, 1)"});
  expect_invalid_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (0, 3), }", "",
                     {"empty array", "(0, 3)"});
}

TEST_F(MatrixIo, TruncatedNpyData) {
  expect_invalid_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (3, 3), }",
                     f8({1, 2, 3, 4, 5, 6, 7, 8}), {"truncated", "72 bytes", "64"});
  // A corrupt shape must produce a message, not an attempt to allocate it.
  expect_invalid_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (400000000, 400000000), }",
                     f8({1}), {"truncated"});
  expect_invalid_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (4000000000, 4000000000), }",
                     f8({1}), {"too large"});
  expect_invalid_npy(
      "{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999, 2), }", f8({1}),
      {"malformed", "out of range"});
}

TEST_F(MatrixIo, NonFiniteNpyValueIsLocated) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  // Fortran order: the fourth stored element is m(1, 1).
  expect_invalid_npy("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 2), }",
                     f8({1, 2, 3, nan}), {"non-finite", "NaN", "index [1, 1]"});
  expect_invalid_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }",
                     le_bytes<float>({1.0f, -std::numeric_limits<float>::infinity(), 0.0f}),
                     {"non-finite", "-inf", "index [1]"});
}

TEST_F(MatrixIo, RaggedCsvRow) {
  expect_invalid(write_file("ragged.csv", "a,b,c\n1,2,3\n4,5\n"),
                 {"ragged", "line 3", "2 values", "expected 3", "line 2"});
}

TEST_F(MatrixIo, NonNumericEntry) {
  expect_invalid(write_file("bad.csv", "1,2\n3,x7\n"), {"non-numeric", "'x7'", "line 2, column 2"});
  // Only the first content line may be a header, and only if it has no number in it.
  expect_invalid(write_file("two_headers.csv", "a,b\nc,d\n1,2\n"), {"non-numeric", "line 2"});
  expect_invalid(write_file("mixed_header.csv", "a,2\n1,2\n"), {"non-numeric", "line 1", "header"});
  expect_invalid(write_file("fortran.txt", "1.0D+00 2\n"), {"non-numeric", "'1.0D+00'"});
}

TEST_F(MatrixIo, EmptyCsvField) {
  expect_invalid(write_file("gap.csv", "1,,2\n"), {"empty field", "line 1, column 2"});
  expect_invalid(write_file("trailing.csv", "1,2\n3,4,\n"), {"empty field", "line 2, column 3"});
}

TEST_F(MatrixIo, NonFiniteTextValueIsLocated) {
  expect_invalid(write_file("nan.csv", "1,2\n3,NaN\n"), {"non-finite", "NaN", "line 2, column 2"});
  expect_invalid(write_file("inf.txt", "# c\n-inf 2\n"), {"non-finite", "-inf", "line 2, column 1"});
  expect_invalid(write_file("huge.txt", "1 1e400\n"), {"range of a double", "line 1, column 2"});
}

TEST_F(MatrixIo, NpzIsRejectedWithAHint) {
  expect_invalid(write_file("arrays.npz", "PK\x03\x04"), {"npz", "numpy.save"});
}

TEST_F(MatrixIo, WriteToMissingDirectoryThrows) {
  EXPECT_THROW(write_npy((dir_ / "no" / "such" / "m.npy").string(), Eigen::MatrixXd::Ones(2, 2)),
               InvalidInput);
}
