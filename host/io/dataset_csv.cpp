// CSV datasets: a header naming the columns x1..xI,t1..tO (any order), then one
// row of finite numbers per sample. Lines that are blank or whose first
// non-blank character is '#' are skipped anywhere (comments); line ends may be
// LF, CRLF or CR; a UTF-8 byte-order mark is ignored. Every error is one line
// naming the file, the line and, for a cell, the column.
#include <sys/stat.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <istream>
#include <string>
#include <vector>

#include "manynets/dataset.hpp"
#include "manynets/error.hpp"

namespace manynets {

namespace {

std::string trim(const std::string& s) {
  std::size_t begin = 0, end = s.size();
  while (begin < end && (s[begin] == ' ' || s[begin] == '\t')) ++begin;
  while (end > begin && (s[end - 1] == ' ' || s[end - 1] == '\t')) --end;
  return s.substr(begin, end - begin);
}

std::vector<std::string> split_cells(const std::string& line) {
  std::vector<std::string> cells;
  std::size_t pos = 0;
  for (;;) {
    const std::size_t comma = line.find(',', pos);
    cells.push_back(trim(line.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos)));
    if (comma == std::string::npos) return cells;
    pos = comma + 1;
  }
}

// A cell shown in a message: cut short so a garbage line stays one readable line.
std::string shown(const std::string& cell) {
  std::string out;
  for (char c : cell.substr(0, 40)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  return cell.size() > 40 ? out + "..." : out;
}

// Whether a byte cannot appear in a text CSV (control characters other than tab,
// line feed and carriage return).
bool is_binary_byte(unsigned char c) {
  return (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f;
}

struct Column {
  bool is_input = true;
  int index = 0;  // 0-based: x(index+1) or t(index+1)
};

std::string column_name(const Column& c) {
  return (c.is_input ? "x" : "t") + std::to_string(c.index + 1);
}

// "x1,x2,t1" for a network with these sizes.
std::string expected_header(int inputs, int outputs) {
  std::string h;
  for (int i = 1; i <= inputs; ++i) h += (h.empty() ? "x" : ",x") + std::to_string(i);
  for (int k = 1; k <= outputs; ++k) h += ",t" + std::to_string(k);
  return h;
}

// Parses "x12" / "t3" into a column within the sizes; false for anything else.
bool parse_column(const std::string& cell, int inputs, int outputs, Column* out) {
  if (cell.size() < 2 || cell.size() > 6 || (cell[0] != 'x' && cell[0] != 't') || cell[1] == '0')
    return false;
  int value = 0;
  for (std::size_t k = 1; k < cell.size(); ++k) {
    if (cell[k] < '0' || cell[k] > '9') return false;
    value = value * 10 + (cell[k] - '0');
  }
  out->is_input = cell[0] == 'x';
  out->index = value - 1;
  return value <= (out->is_input ? inputs : outputs);
}

class CsvReader {
 public:
  CsvReader(const std::string& name, int inputs, int outputs)
      : name_(name), inputs_(inputs), outputs_(outputs) {}

  Dataset read(const std::string& text) {
    Dataset data;
    data.name = name_;
    data.inputs = inputs_;
    data.outputs = outputs_;
    const std::string header_help = "expected a header " + expected_header(inputs_, outputs_);

    std::size_t pos = 0;
    if (text.compare(0, 3, "\xEF\xBB\xBF") == 0) pos = 3;  // UTF-8 byte-order mark
    long line_number = 0;
    bool have_header = false;
    std::vector<Column> columns;
    std::string line;
    while (next_line(text, &pos, &line)) {
      ++line_number;
      const std::string content = trim(line);
      if (content.empty() || content[0] == '#') continue;
      if (!have_header) {
        columns = read_header(content, line_number);
        have_header = true;
        continue;
      }
      if (data.samples() >= max_dataset_samples) {
        fail(line_number, "more than " + std::to_string(max_dataset_samples) +
                              " samples; the dataset is too large (manynets accepts at most " +
                              std::to_string(max_dataset_samples) + ")");
      }
      read_row(content, line_number, columns, &data);
    }
    if (!have_header) throw input_error(name_ + ": empty file; " + header_help);
    if (data.samples() == 0) {
      throw input_error(name_ + ": no samples after the header; add at least one row of " +
                        std::to_string(inputs_ + outputs_) + " numbers");
    }
    return data;
  }

 private:
  [[noreturn]] void fail(long line, const std::string& what) const {
    throw input_error(name_ + ":" + std::to_string(line) + ": " + what);
  }

  // The next line of `text` from *pos without its end (LF, CRLF or CR).
  static bool next_line(const std::string& text, std::size_t* pos, std::string* line) {
    if (*pos >= text.size()) return false;
    const std::size_t end = text.find_first_of("\r\n", *pos);
    if (end == std::string::npos) {
      *line = text.substr(*pos);
      *pos = text.size();
      return true;
    }
    *line = text.substr(*pos, end - *pos);
    *pos = end + ((text[end] == '\r' && end + 1 < text.size() && text[end + 1] == '\n') ? 2 : 1);
    return true;
  }

  std::vector<Column> read_header(const std::string& content, long line) const {
    const std::string need = "(" + std::to_string(inputs_) + (inputs_ == 1 ? " input" : " inputs") + " and " +
                             std::to_string(outputs_) + (outputs_ == 1 ? " output" : " outputs") + " need " +
                             expected_header(inputs_, outputs_) + ")";
    const std::vector<std::string> cells = split_cells(content);
    std::vector<Column> columns;
    std::vector<int> seen_at(static_cast<std::size_t>(inputs_ + outputs_), 0);
    for (std::size_t c = 0; c < cells.size(); ++c) {
      Column col;
      const std::string where = "column " + std::to_string(c + 1);
      if (cells[c].empty()) fail(line, where + " of the header is empty " + need);
      if (!parse_column(cells[c], inputs_, outputs_, &col)) {
        fail(line, where + ": unexpected column '" + shown(cells[c]) + "' " + need +
                       "; check the header and the network shape");
      }
      int& seen = seen_at[static_cast<std::size_t>(col.is_input ? col.index : inputs_ + col.index)];
      if (seen) {
        fail(line, where + ": duplicate column " + column_name(col) + " (also column " +
                       std::to_string(seen) + "); each column must appear once");
      }
      seen = static_cast<int>(c + 1);
      columns.push_back(col);
    }
    for (int k = 0; k < inputs_ + outputs_; ++k) {
      if (!seen_at[static_cast<std::size_t>(k)]) {
        const Column missing{k < inputs_, k < inputs_ ? k : k - inputs_};
        fail(line, "missing column " + column_name(missing) + " " + need);
      }
    }
    return columns;
  }

  void read_row(const std::string& content, long line, const std::vector<Column>& columns,
                Dataset* data) const {
    const std::vector<std::string> cells = split_cells(content);
    if (cells.size() != columns.size()) {
      fail(line, "row has " + std::to_string(cells.size()) + (cells.size() == 1 ? " cell" : " cells") +
                     ", header has " + std::to_string(columns.size()));
    }
    const std::size_t x0 = data->x.size(), t0 = data->t.size();
    data->x.resize(x0 + static_cast<std::size_t>(inputs_));
    data->t.resize(t0 + static_cast<std::size_t>(outputs_));
    for (std::size_t c = 0; c < cells.size(); ++c) {
      const std::string where = "column " + std::to_string(c + 1) + " (" + column_name(columns[c]) + "): ";
      const std::string& cell = cells[c];
      if (cell.empty()) fail(line, where + "empty cell; write a number");
      const char* begin = cell.c_str();
      char* end = nullptr;
      const double v = std::strtod(begin, &end);
      if (end != begin + cell.size()) {
        fail(line, where + "'" + shown(cell) + "' is not a number; write a decimal number such as 0.5");
      }
      if (!std::isfinite(v)) {
        fail(line, where + "non-finite value '" + shown(cell) + "'; every value must be a finite number");
      }
      if (columns[c].is_input) {
        data->x[x0 + static_cast<std::size_t>(columns[c].index)] = v;
      } else {
        data->t[t0 + static_cast<std::size_t>(columns[c].index)] = v;
      }
    }
  }

  std::string name_;
  int inputs_;
  int outputs_;
};

void check_sizes(const std::string& name, int inputs, int outputs) {
  if (inputs < 1 || outputs < 1) {
    throw input_error(name + ": a dataset needs at least 1 input and 1 output; got " +
                      std::to_string(inputs) + " inputs and " + std::to_string(outputs) + " outputs");
  }
}

}  // namespace

Dataset parse_csv(std::istream& in, const std::string& name, int inputs, int outputs) {
  check_sizes(name, inputs, outputs);
  std::string text;
  char buffer[1 << 16];
  while (in) {
    in.read(buffer, sizeof buffer);
    text.append(buffer, static_cast<std::size_t>(in.gcount()));
    if (text.size() > max_csv_bytes) {
      throw input_error(name + ": file too large (over " + std::to_string(max_csv_bytes >> 20) +
                        " MiB); a dataset holds at most " + std::to_string(max_dataset_samples) + " samples");
    }
  }
  if (in.bad()) throw input_error(name + ": cannot read the file; check that it is a readable CSV file");
  for (std::size_t k = 0; k < text.size(); ++k) {
    if (is_binary_byte(static_cast<unsigned char>(text[k]))) {
      long line = 1;
      for (std::size_t j = 0; j < k; ++j) line += text[j] == '\n';
      throw input_error(name + ":" + std::to_string(line) + ": not a text CSV file (it contains byte 0x" +
                        "0123456789abcdef"[static_cast<unsigned char>(text[k]) >> 4] +
                        "0123456789abcdef"[static_cast<unsigned char>(text[k]) & 15] +
                        "); pass a CSV file with a header " + expected_header(inputs, outputs));
    }
  }
  return CsvReader(name, inputs, outputs).read(text);
}

Dataset load_csv(const std::string& path, int inputs, int outputs) {
  check_sizes(path, inputs, outputs);
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    throw input_error(path + ": cannot open: " + std::strerror(errno) + "; check the path");
  }
  if (S_ISDIR(info.st_mode)) throw input_error(path + ": is a directory; pass a CSV file");
  if (S_ISREG(info.st_mode) && static_cast<unsigned long long>(info.st_size) > max_csv_bytes) {
    throw input_error(path + ": file too large (" +
                      std::to_string(static_cast<long long>(info.st_size) >> 20) + " MiB, limit " +
                      std::to_string(max_csv_bytes >> 20) + " MiB); a dataset holds at most " +
                      std::to_string(max_dataset_samples) + " samples");
  }
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    throw input_error(path + ": cannot open: " + (err ? std::strerror(err) : "unknown error") +
                      "; check the path and its permissions");
  }
  return parse_csv(in, path, inputs, outputs);
}

CsvColumns csv_columns(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw input_error(path + ": cannot open: " + std::strerror(errno) + "; check the path");
  // The header is among the first lines: comments before it are short.
  std::string text(1 << 16, '\0');
  in.read(&text[0], static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  std::size_t pos = text.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0;  // UTF-8 byte-order mark
  std::string line;
  while (pos < text.size()) {
    const std::size_t end = text.find_first_of("\r\n", pos);
    line = trim(text.substr(pos, end == std::string::npos ? std::string::npos : end - pos));
    pos = end == std::string::npos ? text.size() : end + 1;
    if (line.empty() || line[0] == '#') continue;
    CsvColumns columns;
    for (const std::string& cell : split_cells(line)) {
      Column c;
      if (parse_column(cell, 999999, 999999, &c)) ++(c.is_input ? columns.inputs : columns.outputs);
    }
    if (columns.inputs == 0 || columns.outputs == 0) {
      throw input_error(path + ": the header '" + shown(line) +
                        "' needs input columns x1..xI and target columns t1..tO");
    }
    return columns;
  }
  throw input_error(path + ": no header found; the first line must name the columns, e.g. x1,x2,t1");
}

}  // namespace manynets
