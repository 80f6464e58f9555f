// Tests of CSV datasets: a good file in any column order and line ending loads
// exactly; every malformed input is an invalid_input Error naming the file, line
// and column; random and mutated bytes never crash the parser.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <typeinfo>
#include <vector>

#include "manynets/dataset.hpp"
#include "manynets/error.hpp"
#include "test_util.hpp"

namespace manynets {
namespace {

const std::string data_dir = MANYNETS_TEST_DATA;

Dataset parse_text(const std::string& text, int inputs, int outputs, const std::string& name = "data.csv") {
  std::istringstream in(text);
  return parse_csv(in, name, inputs, outputs);
}

using testing::expect_input_error;

void expect_text_error(const std::string& text, int inputs, int outputs,
                       const std::vector<std::string>& parts) {
  SCOPED_TRACE(text.substr(0, 80));
  expect_input_error([&] { parse_text(text, inputs, outputs); }, parts);
}

// ---- good files

TEST(Csv, LoadsReorderedColumnsWithCrlfSpacesAndComments) {
  const std::string path = data_dir + "/reordered_crlf.csv";
  const Dataset d = load_csv(path, 2, 2);
  EXPECT_EQ(d.name, path);
  EXPECT_EQ(d.inputs, 2);
  EXPECT_EQ(d.outputs, 2);
  ASSERT_EQ(d.samples(), 2u);
  // Header t2, x2, x1, t1.
  EXPECT_EQ(d.x, (std::vector<double>{0.05, 0.10, 3.0, -2.5}));
  EXPECT_EQ(d.t, (std::vector<double>{0.01, 0.99, 4.0, 1e-3}));
}

TEST(Csv, ParsesRandomDatasetsExactly) {
  std::mt19937 rng(21);
  for (int trial = 0; trial < 50; ++trial) {
    const int inputs = 1 + static_cast<int>(rng() % 5), outputs = 1 + static_cast<int>(rng() % 4);
    const std::size_t samples = 1 + rng() % 37;
    // A random column order; values printed with 17 digits read back exactly.
    std::vector<int> order(static_cast<std::size_t>(inputs + outputs));
    for (std::size_t c = 0; c < order.size(); ++c) order[c] = static_cast<int>(c);
    std::shuffle(order.begin(), order.end(), rng);
    auto name = [&](int c) {
      return c < inputs ? "x" + std::to_string(c + 1) : "t" + std::to_string(c - inputs + 1);
    };
    std::ostringstream text;
    text.precision(17);
    for (std::size_t c = 0; c < order.size(); ++c) text << (c ? "," : "") << name(order[c]);
    text << (trial % 2 ? "\r\n" : "\n");
    std::vector<double> x(samples * static_cast<std::size_t>(inputs)),
        t(samples * static_cast<std::size_t>(outputs));
    std::normal_distribution<double> value(0.0, 100.0);
    for (std::size_t s = 0; s < samples; ++s) {
      for (std::size_t c = 0; c < order.size(); ++c) {
        const double v = value(rng);
        const int col = order[c];
        (col < inputs ? x[s * inputs + col] : t[s * outputs + col - inputs]) = v;
        text << (c ? "," : "") << v;
      }
      text << (trial % 2 ? "\r\n" : "\n");
    }
    const Dataset d = parse_text(text.str(), inputs, outputs);
    ASSERT_EQ(d.samples(), samples);
    EXPECT_EQ(d.x, x);
    EXPECT_EQ(d.t, t);
  }
}

TEST(Csv, AcceptsBareCrLineEndsNoFinalNewlineAndByteOrderMark) {
  const Dataset a = parse_text("x1,t1\r1,2\r3,4", 1, 1);
  EXPECT_EQ(a.x, (std::vector<double>{1, 3}));
  EXPECT_EQ(a.t, (std::vector<double>{2, 4}));
  const Dataset b = parse_text("\xEF\xBB\xBFx1,t1\n5,6\n\n\n", 1, 1);
  EXPECT_EQ(b.x, (std::vector<double>{5}));
  EXPECT_EQ(b.t, (std::vector<double>{6}));
}

// ---- errors: header

TEST(CsvErrors, MissingColumnNamesItAndTheFullHeader) {
  expect_text_error("x1,x2,t1\n1,2,3\n", 2, 2, {"data.csv:1:", "missing column t2", "x1,x2,t1,t2"});
  expect_text_error("\n# note\nx2,t1,t2\n1,2,3\n", 2, 2, {"data.csv:3:", "missing column x1"});
}

TEST(CsvErrors, ExtraOrDuplicateColumns) {
  expect_text_error("x1,x2,t1,t2,t3\n1,2,3,4,5\n", 2, 2, {"data.csv:1:", "column 5", "'t3'", "x1,x2,t1,t2"});
  expect_text_error("x1,x2,t1,t2,extra\n", 2, 2, {"data.csv:1:", "column 5", "'extra'"});
  expect_text_error("x1,x2,x1,t1,t2\n", 2, 2, {"data.csv:1:", "column 3", "duplicate column x1", "column 1"});
  expect_text_error("x1,,t1\n", 1, 1, {"data.csv:1:", "column 2", "empty"});
  expect_text_error("x01,t1\n", 1, 1, {"data.csv:1:", "'x01'"});
  expect_text_error("X1,t1\n", 1, 1, {"data.csv:1:", "'X1'"});
}

TEST(CsvErrors, WrongColumnCountForTheShape) {
  // A 2-2-2 file read for a 2-2-1 network, and a 2-2-1 file for a 4-8-3 one.
  expect_text_error("x1,x2,t1,t2\n0,0,1,0\n", 2, 1, {"data.csv:1:", "'t2'", "x1,x2,t1)"});
  expect_text_error("x1,x2,t1\n0,0,1\n", 4, 3, {"data.csv:1:", "missing column x3", "x1,x2,x3,x4,t1,t2,t3"});
}

TEST(CsvErrors, EmptyFileAndHeaderOnly) {
  expect_text_error("", 2, 1, {"data.csv:", "empty file", "x1,x2,t1"});
  expect_text_error("\n  \n# only a comment\n", 2, 1, {"data.csv:", "empty file"});
  expect_text_error("x1,x2,t1\n", 2, 1, {"data.csv:", "no samples"});
  expect_text_error("x1,x2,t1\r\n\r\n", 2, 1, {"data.csv:", "no samples"});
}

// ---- errors: rows

TEST(CsvErrors, NonNumericAndEmptyCells) {
  expect_text_error("x1,x2,t1,t2\n1,2,3,4\n5,abc,7,8\n", 2, 2,
                    {"data.csv:3:", "column 2 (x2)", "'abc' is not a number"});
  expect_text_error("x1,x2,t1\n1.0abc,2,3\n", 2, 1, {"data.csv:2:", "column 1 (x1)", "'1.0abc'"});
  expect_text_error("t1,x1\n1,2 3\n", 1, 1, {"data.csv:2:", "column 2 (x1)", "'2 3'"});
  expect_text_error("x1,x2,t1\n1,,3\n", 2, 1, {"data.csv:2:", "column 2 (x2)", "empty cell"});
  expect_text_error("x1,x2,t1\n1,2,   \n", 2, 1, {"data.csv:2:", "column 3 (t1)", "empty cell"});
}

TEST(CsvErrors, NonFiniteValues) {
  expect_text_error("x1,x2,t1\n1,2,3\n1,2,3\n1,2,3\nnan,2,3\n", 2, 1,
                    {"data.csv:5:", "column 1 (x1)", "'nan'"});
  expect_text_error("x1,x2,t1\n1,2,3\n1,2,3\n1,2,3\ninf,2,3\n", 2, 1,
                    {"data.csv:5:", "column 1 (x1)", "non-finite value 'inf'"});
  expect_text_error("x1,x2,t1\n1,2,-Infinity\n", 2, 1, {"data.csv:2:", "column 3 (t1)", "-Infinity"});
  expect_text_error("x1,x2,t1\n1,1e999,3\n", 2, 1, {"data.csv:2:", "column 2 (x2)", "1e999"});
  expect_text_error("x1,x2,t1\n1,NAN,3\n", 2, 1, {"data.csv:2:", "NAN"});
}

TEST(CsvErrors, RaggedRows) {
  expect_text_error("x1,x2,t1,t2\n1,2,3,4\n1,2,3,4\n1,2,3\n", 2, 2,
                    {"data.csv:4:", "row has 3 cells, header has 4"});
  expect_text_error("x1,x2,t1,t2\n1,2,3,4,5\n", 2, 2, {"data.csv:2:", "row has 5 cells, header has 4"});
  expect_text_error("x1,x2,t1,t2\n1,2,3,4,\n", 2, 2, {"data.csv:2:", "row has 5 cells"});
  expect_text_error("x1,t1\n7\n", 1, 1, {"data.csv:2:", "row has 1 cell, header has 2"});
}

TEST(CsvErrors, TooManyRows) {
  std::string text = "x1,t1\n";
  for (std::size_t s = 0; s < max_dataset_samples; ++s) text += "1,2\n";
  EXPECT_EQ(parse_text(text, 1, 1).samples(), max_dataset_samples);  // the limit itself is fine
  text += "3,4\n";
  expect_text_error(text, 1, 1, {"data.csv:" + std::to_string(max_dataset_samples + 2) + ":", "too large"});
}

TEST(CsvErrors, BinaryContent) {
  expect_text_error(std::string("x1,t1\n1,2\n\0\0\x01\x02", 14), 1, 1, {"data.csv:3:", "not a text CSV"});
  expect_text_error(std::string("\x7f"
                                "ELF\x02\x01\x01",
                                7),
                    1, 1, {"data.csv:1:", "not a text CSV"});
}

// ---- errors: files

std::string temp_path(const std::string& leaf) {
  return ::testing::TempDir() + "manynets_test_csv_" + leaf;
}

TEST(CsvFiles, NamesTheFileAndLineInErrors) {
  const std::string path = data_dir + "/bad_number.csv";
  expect_input_error([&] { load_csv(path, 2, 2); }, {path + ":3:", "column 2 (x2)", "'abc' is not a number"});
}

TEST(CsvFiles, NonexistentFileNamesItAndTheReason) {
  const std::string path = data_dir + "/no_such_file.csv";
  expect_input_error([&] { load_csv(path, 2, 2); }, {path, "No such file or directory"});
}

TEST(CsvFiles, DirectoryIsNamedAsOne) {
  expect_input_error([&] { load_csv(data_dir, 2, 2); }, {data_dir, "is a directory"});
}

TEST(CsvFiles, BinaryGarbageIsNotATextCsv) {
  const std::string path = temp_path("garbage.bin");
  {
    std::ofstream out(path, std::ios::binary);
    std::mt19937 rng(8);
    for (int k = 0; k < 5000; ++k) out.put(static_cast<char>(rng() & 0xff));
  }
  expect_input_error([&] { load_csv(path, 2, 2); }, {path, "not a text CSV"});
  std::remove(path.c_str());
}

TEST(CsvFiles, HugeFileIsRefusedBeforeReading) {
  const std::string path = temp_path("huge.csv");
  {
    std::ofstream out(path, std::ios::binary);
    out << "x1,t1\n";
  }
  ASSERT_EQ(::truncate(path.c_str(), 65ll * 1024 * 1024), 0);  // sparse: no disk written
  expect_input_error([&] { load_csv(path, 1, 1); }, {path, "too large"});
  std::remove(path.c_str());
}

TEST(CsvFiles, UnreadableFileNamesTheReason) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads any file";
  const std::string path = temp_path("unreadable.csv");
  {
    std::ofstream out(path);
    out << "x1,t1\n1,2\n";
  }
  ASSERT_EQ(::chmod(path.c_str(), 0), 0);
  expect_input_error([&] { load_csv(path, 1, 1); }, {path, "Permission denied"});
  std::remove(path.c_str());
}

TEST(CsvFiles, BadSizesAreRefused) {
  expect_input_error([] { parse_text("x1,t1\n1,2\n", 0, 1); }, {"data.csv", "at least 1 input"});
}

// ---- robustness

// Random bytes and mutated valid files either parse or throw manynets::Error.
TEST(CsvRobustness, RandomAndMutatedInputsNeverEscapeAsOtherErrors) {
  std::mt19937 rng(1234);
  const std::string valid = "x2, t1 ,x1,t2\r\n0.5,1,-2,3e-2\n# c\n1,2,3,4\n\n7.25,  8,9,10\n";
  const std::string alphabet = "x t1234,.-+e\r\n#\t0nainf\x01";
  int parsed = 0, rejected = 0;
  for (int trial = 0; trial < 2000; ++trial) {
    std::string text;
    if (trial % 2 == 0) {
      const std::size_t length = rng() % 200;
      for (std::size_t k = 0; k < length; ++k) {
        text += trial % 4 == 0 ? static_cast<char>(rng() & 0xff) : alphabet[rng() % alphabet.size()];
      }
    } else {
      text = valid;
      const int edits = 1 + static_cast<int>(rng() % 4);
      for (int e = 0; e < edits && !text.empty(); ++e) {
        const std::size_t at = rng() % text.size();
        switch (rng() % 3) {
          case 0:
            text[at] = alphabet[rng() % alphabet.size()];
            break;
          case 1:
            text.erase(at, 1 + rng() % 5);
            break;
          default:
            text.insert(at, 1, static_cast<char>(rng() & 0xff));
            break;
        }
      }
    }
    try {
      const Dataset d = parse_text(text, 2, 2, "fuzz.csv");
      ASSERT_GE(d.samples(), 1u);
      ASSERT_EQ(d.x.size(), d.samples() * 2);
      ASSERT_EQ(d.t.size(), d.samples() * 2);
      for (double v : d.x) ASSERT_TRUE(std::isfinite(v));
      for (double v : d.t) ASSERT_TRUE(std::isfinite(v));
      ++parsed;
    } catch (const Error& e) {
      ASSERT_EQ(e.kind(), ErrorKind::invalid_input) << e.what();
      ASSERT_EQ(std::string(e.what()).rfind("fuzz.csv", 0), 0u) << e.what();
      ++rejected;
    } catch (const std::exception& e) {
      FAIL() << "escaped as " << typeid(e).name() << ": " << e.what() << " for input of " << text.size()
             << " bytes";
    }
  }
  // Both outcomes happen, so the test exercises the accepting paths too.
  EXPECT_GT(parsed, 20);
  EXPECT_GT(rejected, 1000);
}

}  // namespace
}  // namespace manynets
