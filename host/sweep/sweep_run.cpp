// Running a sweep: each shape's batch is trained in chunks (sub-batches that
// keep their networks' global ids), sized to take about a second each so the
// caller can show progress; results are gathered back per group, and the loss
// curves of the chosen networks are kept. With a checkpoint directory every
// completed chunk is saved as a file of its own, and a run of the same plan
// takes the saved chunks instead of training them again: a network's result
// depends only on its spec and id, never on the chunk or the run it was in.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "manynets/error.hpp"
#include "manynets/sweep.hpp"
#include "manynets/writers.hpp"

namespace manynets {

namespace {

constexpr double chunk_seconds = 1.0;            // aimed-for time per chunk
constexpr std::size_t first_chunk = 1024;        // networks in the first chunk of a group
constexpr std::size_t max_chunk_growth = 8;      // a chunk is at most this many times the last one
constexpr double max_curve_chunk_bytes = 256e6;  // curve memory of one chunk

template <class T>
void copy_range(std::vector<T>& to, const std::vector<T>& from, std::size_t begin, std::size_t n) {
  to.assign(from.begin() + static_cast<std::ptrdiff_t>(begin),
            from.begin() + static_cast<std::ptrdiff_t>(begin + n));
}

// Networks begin .. begin+n-1 of `b` as a batch of their own, with the same ids.
Batch slice(const Batch& b, std::size_t begin, std::size_t n) {
  Batch out(b.shape(), n);
  for_each_hyperparameter(
      [&](const char*, auto, auto column) { copy_range(out.*column, b.*column, begin, n); });
  for (int p = 0; p < b.num_params(); ++p) {
    const std::size_t from = static_cast<std::size_t>(p) * b.size() + begin;
    std::copy(b.init_params.begin() + static_cast<std::ptrdiff_t>(from),
              b.init_params.begin() + static_cast<std::ptrdiff_t>(from + n),
              out.init_params.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(p) * n));
  }
  out.seed = b.seed;
  out.first_id = b.first_id + begin;
  out.rule = b.rule;
  out.math_mode = b.math_mode;
  return out;
}

// ---- checkpoints
//
// DIR/plan names the plan (a fingerprint of everything a network's result depends
// on); DIR/chunk-G-BEGIN holds networks BEGIN.. of group G: a header, the result
// arrays, the curves of the chunk's chosen networks, and a hash of all of it. A
// chunk is used only when it is whole, of this plan, and overlaps no chunk taken
// before it; anything else is trained again.

constexpr char plan_magic[] = "manynets sweep checkpoint 1";
constexpr char chunk_magic[8] = {'M', 'N', 'C', 'H', 'U', 'N', 'K', '1'};

// A 64-bit hash over words (not for security: it tells plans apart and spots a
// damaged file).
class Hasher {
 public:
  void add(const void* data, std::size_t n) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (; n >= 8; n -= 8, p += 8) {
      std::uint64_t w;
      std::memcpy(&w, p, 8);
      mix(w);
    }
    std::uint64_t tail = n;
    for (std::size_t k = 0; k < n; ++k) tail |= static_cast<std::uint64_t>(p[k]) << (8 * (k + 1));
    mix(tail);
  }
  template <class T>
  void add_vector(const std::vector<T>& v) {
    add_value(v.size());
    add(v.data(), v.size() * sizeof(T));
  }
  template <class T>
  void add_value(const T& v) {
    add(&v, sizeof v);
  }
  std::uint64_t value() const { return h_; }

 private:
  void mix(std::uint64_t w) {
    h_ = (h_ ^ w) * 0xff51afd7ed558ccdULL;
    h_ ^= h_ >> 32;
  }
  std::uint64_t h_ = 0x9e3779b97f4a7c15ULL;
};

// Everything a network's saved result depends on: the batches (hyperparameters,
// initial parameters, ids, seed, rule, math mode), the datasets, the backend and
// which curves are kept how often.
std::uint64_t plan_fingerprint(const SweepPlan& plan, const std::string& backend, std::int32_t every,
                               const std::vector<std::uint64_t>& curve_ids) {
  Hasher h;
  h.add(plan_magic, sizeof plan_magic);
  h.add(backend.data(), backend.size());
  h.add_value(every);
  h.add_vector(curve_ids);
  for (const SweepGroup& g : plan.groups) {
    const Batch& b = g.batch;
    h.add_value(g.shape);
    h.add_value(b.size());
    h.add_value(b.first_id);
    h.add_value(b.seed);
    h.add_value(b.rule);
    h.add_value(b.math_mode);
    for_each_hyperparameter([&](const char*, auto, auto column) { h.add_vector(b.*column); });
    h.add_vector(b.init_params);
    h.add_vector(g.data.x);
    h.add_vector(g.data.t);
  }
  return h.value();
}

// One chunk's results: networks begin .. begin+r.n-1 of group `group`.
struct Chunk {
  std::uint32_t group = 0;
  std::uint64_t begin = 0;
  Results r;  // params, loss, abs_error, steps, status; no curves
  std::vector<SweepCurve> curves;
  double seconds = 0;  // training time
};

struct ChunkHeader {
  char magic[8];
  std::uint64_t plan;
  std::uint32_t group;
  std::int32_t params;
  std::uint64_t begin, n, curves;
  double seconds;
};

template <class T>
void put_bytes(std::string& out, const T* data, std::size_t count) {
  out.append(reinterpret_cast<const char*>(data), count * sizeof(T));
}

std::string chunk_bytes(const Chunk& c, std::uint64_t plan) {
  ChunkHeader h{};
  std::memcpy(h.magic, chunk_magic, sizeof h.magic);
  h.plan = plan;
  h.group = c.group;
  h.params = c.r.shape.num_params();
  h.begin = c.begin;
  h.n = c.r.n;
  h.curves = c.curves.size();
  h.seconds = c.seconds;
  std::string out;
  put_bytes(out, &h, 1);
  put_bytes(out, c.r.params.data(), c.r.params.size());
  put_bytes(out, c.r.loss.data(), c.r.n);
  put_bytes(out, c.r.abs_error.data(), c.r.n);
  put_bytes(out, c.r.steps.data(), c.r.n);
  put_bytes(out, c.r.status.data(), c.r.n);
  for (const SweepCurve& curve : c.curves) {
    const std::uint64_t points = curve.loss.size();
    put_bytes(out, &curve.id, 1);
    put_bytes(out, &curve.every, 1);
    put_bytes(out, &points, 1);
    put_bytes(out, curve.loss.data(), points);
    put_bytes(out, curve.abs_error.data(), points);
  }
  Hasher hash;
  hash.add(out.data(), out.size());
  const std::uint64_t sum = hash.value();
  put_bytes(out, &sum, 1);
  return out;
}

// Reads bytes off a file's text, refusing to run past its end.
class ByteReader {
 public:
  explicit ByteReader(const std::string& bytes) : bytes_(bytes) {}
  template <class T>
  bool get(T* data, std::size_t count) {
    if (count > (bytes_.size() - pos_) / sizeof(T)) return false;
    std::memcpy(static_cast<void*>(data), bytes_.data() + pos_, count * sizeof(T));
    pos_ += count * sizeof(T);
    return true;
  }
  std::size_t position() const { return pos_; }

 private:
  const std::string& bytes_;
  std::size_t pos_ = 0;
};

std::string read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return in ? text.str() : std::string();
}

// The chunk in `bytes`, when it is whole and belongs to `plan`.
bool parse_chunk(const std::string& bytes, const SweepPlan& plan, std::uint64_t fingerprint, Chunk* c) {
  if (bytes.size() < sizeof(ChunkHeader) + 8) return false;
  Hasher hash;
  hash.add(bytes.data(), bytes.size() - 8);
  std::uint64_t sum = 0;
  std::memcpy(&sum, bytes.data() + bytes.size() - 8, 8);
  ByteReader in(bytes);
  ChunkHeader h{};
  if (sum != hash.value() || !in.get(&h, 1) || std::memcmp(h.magic, chunk_magic, sizeof h.magic) != 0 ||
      h.plan != fingerprint || h.group >= plan.groups.size()) {
    return false;
  }
  const SweepGroup& g = plan.groups[h.group];
  if (h.n == 0 || h.begin > g.batch.size() || h.n > g.batch.size() - h.begin ||
      h.params != g.shape.num_params()) {
    return false;
  }
  c->group = h.group;
  c->begin = h.begin;
  c->seconds = h.seconds;
  c->r.allocate(g.shape, static_cast<std::size_t>(h.n), 0, 0);
  const std::size_t n = c->r.n;
  bool ok = in.get(c->r.params.data(), c->r.params.size()) && in.get(c->r.loss.data(), n) &&
            in.get(c->r.abs_error.data(), n) && in.get(c->r.steps.data(), n) && in.get(c->r.status.data(), n);
  for (std::uint64_t k = 0; ok && k < h.curves; ++k) {
    SweepCurve curve;
    std::uint64_t points = 0;
    ok = in.get(&curve.id, 1) && in.get(&curve.every, 1) && in.get(&points, 1) &&
         points <= bytes.size() / 8 && curve.id >= g.batch.first_id + h.begin &&
         curve.id < g.batch.first_id + h.begin + h.n;
    if (!ok) break;
    curve.loss.resize(static_cast<std::size_t>(points));
    curve.abs_error.resize(static_cast<std::size_t>(points));
    ok = in.get(curve.loss.data(), curve.loss.size()) &&
         in.get(curve.abs_error.data(), curve.abs_error.size());
    c->curves.push_back(std::move(curve));
  }
  return ok && in.position() == bytes.size() - 8;
}

bool is_chunk_file(const std::filesystem::directory_entry& e) {
  const std::string name = e.path().filename().string();
  return name.rfind("chunk-", 0) == 0 && name.find(".tmp-") == std::string::npos;
}

// Sorts chunks into group and id order and drops any that overlaps one before it.
std::vector<Chunk> disjoint_chunks(std::vector<Chunk> chunks) {
  std::sort(chunks.begin(), chunks.end(), [](const Chunk& a, const Chunk& b) {
    return a.group != b.group ? a.group < b.group : a.begin < b.begin;
  });
  std::vector<Chunk> kept;
  for (Chunk& c : chunks) {
    const bool overlaps =
        !kept.empty() && kept.back().group == c.group && kept.back().begin + kept.back().r.n > c.begin;
    if (!overlaps) kept.push_back(std::move(c));
  }
  return kept;
}

std::string plan_text(std::uint64_t fingerprint) {
  char text[128];
  std::snprintf(text, sizeof text, "%s\nfingerprint %016llx\n", plan_magic,
                static_cast<unsigned long long>(fingerprint));
  return text;
}

Error different_sweep(const std::string& dir) {
  return input_error("the saved sweep state in '" + dir +
                     "' belongs to a different sweep (its options, data, backend or curve settings "
                     "differ); continue it with the same ones, or remove '" +
                     dir + "' to start again");
}

// The whole chunks of `plan` in `dir`, whose plan file must be this plan's.
std::vector<Chunk> read_chunks(const std::string& dir, const SweepPlan& plan, std::uint64_t fingerprint) {
  namespace fs = std::filesystem;
  if (read_bytes(fs::path(dir) / "plan") != plan_text(fingerprint)) throw different_sweep(dir);
  std::vector<Chunk> chunks;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    Chunk c;
    if (is_chunk_file(*it) && parse_chunk(read_bytes(it->path()), plan, fingerprint, &c))
      chunks.push_back(std::move(c));
  }
  return chunks;
}

// Opens (or starts) the checkpoint of `plan` in `dir` and returns its saved chunks.
std::vector<Chunk> open_checkpoint(const std::string& dir, const SweepPlan& plan, std::uint64_t fingerprint) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (!fs::is_directory(dir)) {
    throw runtime_error("cannot create the checkpoint directory '" + dir + "'" +
                        (ec ? ": " + ec.message() : std::string()) + "; check the output directory");
  }
  remove_stale_temporaries(dir);
  const fs::path plan_path = fs::path(dir) / "plan";
  if (!fs::exists(plan_path)) {
    // A new checkpoint: chunks of a plan that left no plan file are not ours to keep.
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      if (is_chunk_file(*it)) fs::remove(it->path(), ec);
    }
    write_text_file(plan_path.string(), plan_text(fingerprint));
    return {};
  }
  return read_chunks(dir, plan, fingerprint);
}

void save_chunk(const std::string& dir, const Chunk& c, std::uint64_t fingerprint) {
  const std::string name = "chunk-" + std::to_string(c.group) + "-" + std::to_string(c.begin);
  write_text_file((std::filesystem::path(dir) / name).string(), chunk_bytes(c, fingerprint));
}

// Copies a chunk's results into its group's arrays and its curves to the end of `curves`.
void gather(Chunk&& c, Results& all, std::vector<SweepCurve>& curves, double& net_steps) {
  const std::size_t begin = static_cast<std::size_t>(c.begin), m = c.r.n, n = all.n;
  const Results& r = c.r;
  std::copy(r.loss.begin(), r.loss.end(), all.loss.begin() + static_cast<std::ptrdiff_t>(begin));
  std::copy(r.abs_error.begin(), r.abs_error.end(),
            all.abs_error.begin() + static_cast<std::ptrdiff_t>(begin));
  std::copy(r.steps.begin(), r.steps.end(), all.steps.begin() + static_cast<std::ptrdiff_t>(begin));
  std::copy(r.status.begin(), r.status.end(), all.status.begin() + static_cast<std::ptrdiff_t>(begin));
  for (int p = 0; p < r.shape.num_params(); ++p) {
    std::copy(r.params.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(p) * m),
              r.params.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(p + 1) * m),
              all.params.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(p) * n + begin));
  }
  for (std::size_t i = 0; i < m; ++i) net_steps += r.steps[i];
  for (SweepCurve& curve : c.curves) curves.push_back(std::move(curve));
}

}  // namespace

std::int32_t default_curve_every(std::int32_t longest) {
  return std::max<std::int32_t>(1, (longest + 299) / 300);
}

std::vector<std::uint64_t> sample_ids(std::size_t networks, std::size_t count) {
  std::vector<std::uint64_t> ids;
  if (count >= networks) {
    for (std::size_t i = 0; i < networks; ++i) ids.push_back(i);
    return ids;
  }
  for (std::size_t k = 0; k < count; ++k) {
    ids.push_back(static_cast<std::uint64_t>(static_cast<double>(k) * networks / count));
  }
  return ids;
}

IdRange shard_range(std::uint64_t networks, std::uint64_t k, std::uint64_t n) {
  if (n == 0 || k >= n)
    throw input_error("shard " + std::to_string(k) + " of " + std::to_string(n) + " does not exist");
  // networks * k can pass 2^64; the quotient and remainder by n cannot.
  const auto at = [networks, n](std::uint64_t j) { return (networks / n) * j + (networks % n) * j / n; };
  return IdRange{at(k), at(k + 1)};
}

std::size_t checkpointed_networks(const std::string& dir) {
  std::size_t n = 0;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (!is_chunk_file(*it)) continue;
    const std::string bytes = read_bytes(it->path());
    ChunkHeader h{};
    if (bytes.size() >= sizeof h) {
      std::memcpy(static_cast<void*>(&h), bytes.data(), sizeof h);
      n += static_cast<std::size_t>(h.n);
    }
  }
  return n;
}

SweepResults run_sweep(const SweepPlan& plan, Backend& backend, const SweepRunOptions& options) {
  SweepResults out;
  out.backend = backend.name();
  std::int32_t longest = 0;
  for (const SweepGroup& g : plan.groups) longest = std::max(longest, g.batch.longest_run());
  const std::int32_t every = options.curve_every > 0 ? options.curve_every : default_curve_every(longest);
  std::vector<std::uint64_t> curve_ids = options.curve_ids;
  std::sort(curve_ids.begin(), curve_ids.end());
  curve_ids.erase(std::unique(curve_ids.begin(), curve_ids.end()), curve_ids.end());
  const double curve_points = static_cast<double>(curve_points_for(every, longest));
  const std::size_t curve_chunk_cap =
      std::max<std::size_t>(1, static_cast<std::size_t>(max_curve_chunk_bytes / (curve_points * 8.0)));

  const bool checkpoint = !options.checkpoint_dir.empty();
  const std::uint64_t fingerprint = checkpoint || !options.checkpoint_sources.empty()
                                        ? plan_fingerprint(plan, out.backend, every, curve_ids)
                                        : 0;
  std::vector<Chunk> found;
  if (checkpoint) found = open_checkpoint(options.checkpoint_dir, plan, fingerprint);
  for (const std::string& dir : options.checkpoint_sources) {
    for (Chunk& c : read_chunks(dir, plan, fingerprint)) found.push_back(std::move(c));
  }
  // The chunks that lie inside the ids to train.
  std::vector<Chunk> saved;
  for (Chunk& c : disjoint_chunks(std::move(found))) {
    const std::uint64_t first = plan.groups[c.group].batch.first_id + c.begin;
    if (first >= options.first_id && first + c.r.n <= options.end_id) saved.push_back(std::move(c));
  }
  auto next_saved = saved.begin();

  std::size_t total = 0;
  for (const SweepGroup& g : plan.groups) {
    const std::uint64_t first = std::max(g.batch.first_id, options.first_id);
    const std::uint64_t end = std::min<std::uint64_t>(g.batch.first_id + g.batch.size(), options.end_id);
    total += end > first ? static_cast<std::size_t>(end - first) : 0;
  }
  std::size_t done = 0;
  double seconds = 0;  // training time of every chunk, saved ones included
  for (const Chunk& c : saved) {
    done += c.r.n;
    seconds += c.seconds;
  }
  for (std::uint32_t group = 0; group < plan.groups.size(); ++group) {
    const SweepGroup& g = plan.groups[group];
    const Batch& b = g.batch;
    const std::size_t n = b.size();
    Results all;
    all.allocate(g.shape, n, 0, 0);
    all.backend = out.backend;
    // The group's networks to train: positions [lo, hi).
    const std::uint64_t lo_id = std::max(b.first_id, options.first_id);
    const std::uint64_t hi_id = std::min<std::uint64_t>(b.first_id + n, options.end_id);
    const std::size_t lo = lo_id < hi_id ? static_cast<std::size_t>(lo_id - b.first_id) : 0;
    const std::size_t hi = lo_id < hi_id ? static_cast<std::size_t>(hi_id - b.first_id) : 0;
    std::size_t chunk = first_chunk;
    for (std::size_t begin = lo; begin < hi;) {
      if (next_saved != saved.end() && next_saved->group == group && next_saved->begin == begin) {
        begin += next_saved->r.n;
        gather(std::move(*next_saved), all, out.curves, out.net_steps);
        ++next_saved;
        continue;
      }
      // Up to the next saved chunk of this group, if any.
      const std::size_t end = next_saved != saved.end() && next_saved->group == group
                                  ? static_cast<std::size_t>(next_saved->begin)
                                  : hi;
      std::size_t m = std::min(chunk, end - begin);
      if (options.max_chunk > 0) m = std::min(m, options.max_chunk);
      const std::uint64_t first = b.first_id + begin;
      auto curve_in = std::lower_bound(curve_ids.begin(), curve_ids.end(), first);
      if (curve_in != curve_ids.end() && *curve_in < first + m) m = std::min(m, curve_chunk_cap);
      const bool with_curves = curve_in != curve_ids.end() && *curve_in < first + m;

      Batch part = slice(b, begin, m);
      part.curve_every = with_curves ? every : 0;
      const auto t0 = std::chrono::steady_clock::now();
      Chunk c;
      c.group = group;
      c.begin = begin;
      c.r = backend.train(part, g.data);
      const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      const Results& r = c.r;
      if (r.n != m) {
        throw runtime_error("backend " + out.backend + " returned " + std::to_string(r.n) + " results for " +
                            std::to_string(m) + " networks");
      }
      for (; with_curves && curve_in != curve_ids.end() && *curve_in < first + m; ++curve_in) {
        const std::size_t i = static_cast<std::size_t>(*curve_in - first);
        SweepCurve curve;
        curve.id = *curve_in;
        curve.every = r.curve_every;
        const std::size_t last =
            std::min(r.curve_points, static_cast<std::size_t>(r.steps[i] / r.curve_every) + 1);
        for (std::size_t t = 0; t < last; ++t) {
          curve.loss.push_back(r.curve_loss_at(t, i));
          curve.abs_error.push_back(r.curve_abs_error_at(t, i));
        }
        c.curves.push_back(std::move(curve));
      }
      c.r.curve_every = 0;  // the curves of the chosen networks are kept in c.curves
      c.r.curve_points = 0;
      c.r.curve_loss = {};
      c.r.curve_abs_error = {};
      c.seconds = took;
      if (checkpoint) save_chunk(options.checkpoint_dir, c, fingerprint);
      gather(std::move(c), all, out.curves, out.net_steps);

      begin += m;
      done += m;
      out.trained += m;
      seconds += took;
      const double grow = took > 0 ? chunk_seconds / took : static_cast<double>(max_chunk_growth);
      const double next = static_cast<double>(m) * std::min<double>(grow, max_chunk_growth);
      chunk = std::max<std::size_t>(64, static_cast<std::size_t>(std::min(next, 1e9)));
      if (options.progress) options.progress(done, total, out.net_steps, seconds);
    }
    out.results.push_back(std::move(all));
  }
  out.seconds = seconds;
  return out;
}

}  // namespace manynets
