// Running a sweep: each shape's batch is trained in chunks (sub-batches that
// keep their networks' global ids), sized to take about a second each so the
// caller can show progress; results are gathered back per group, and the loss
// curves of the chosen networks are kept.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>
#include <vector>

#include "manynets/error.hpp"
#include "manynets/sweep.hpp"

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
  copy_range(out.learning_rate, b.learning_rate, begin, n);
  copy_range(out.optimizer, b.optimizer, begin, n);
  copy_range(out.momentum, b.momentum, begin, n);
  copy_range(out.adam_beta1, b.adam_beta1, begin, n);
  copy_range(out.adam_beta2, b.adam_beta2, begin, n);
  copy_range(out.adam_epsilon, b.adam_epsilon, begin, n);
  copy_range(out.hidden_activation, b.hidden_activation, begin, n);
  copy_range(out.output_activation, b.output_activation, begin, n);
  copy_range(out.max_steps, b.max_steps, begin, n);
  copy_range(out.target_loss, b.target_loss, begin, n);
  copy_range(out.train_biases, b.train_biases, begin, n);
  copy_range(out.mode, b.mode, begin, n);
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

  const std::size_t total = plan.networks();
  std::size_t done = 0;
  const auto start = std::chrono::steady_clock::now();
  for (const SweepGroup& g : plan.groups) {
    const Batch& b = g.batch;
    const std::size_t n = b.size();
    Results all;
    all.allocate(g.shape, n, 0, 0);
    all.backend = out.backend;
    const int params = b.num_params();
    std::size_t chunk = first_chunk;
    for (std::size_t begin = 0; begin < n;) {
      std::size_t m = std::min(chunk, n - begin);
      if (options.max_chunk > 0) m = std::min(m, options.max_chunk);
      const std::uint64_t first = b.first_id + begin;
      auto curve_in = std::lower_bound(curve_ids.begin(), curve_ids.end(), first);
      if (curve_in != curve_ids.end() && *curve_in < first + m) m = std::min(m, curve_chunk_cap);
      const bool with_curves = curve_in != curve_ids.end() && *curve_in < first + m;

      Batch part = slice(b, begin, m);
      part.curve_every = with_curves ? every : 0;
      const auto t0 = std::chrono::steady_clock::now();
      const Results r = backend.train(part, g.data);
      const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (r.n != m) {
        throw runtime_error("backend " + out.backend + " returned " + std::to_string(r.n) + " results for " +
                            std::to_string(m) + " networks");
      }
      std::copy(r.loss.begin(), r.loss.end(), all.loss.begin() + static_cast<std::ptrdiff_t>(begin));
      std::copy(r.abs_error.begin(), r.abs_error.end(),
                all.abs_error.begin() + static_cast<std::ptrdiff_t>(begin));
      std::copy(r.steps.begin(), r.steps.end(), all.steps.begin() + static_cast<std::ptrdiff_t>(begin));
      std::copy(r.status.begin(), r.status.end(), all.status.begin() + static_cast<std::ptrdiff_t>(begin));
      for (int p = 0; p < params; ++p) {
        std::copy(r.params.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(p) * m),
                  r.params.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(p + 1) * m),
                  all.params.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(p) * n + begin));
      }
      for (std::size_t i = 0; i < m; ++i) out.net_steps += r.steps[i];
      for (; with_curves && curve_in != curve_ids.end() && *curve_in < first + m; ++curve_in) {
        const std::size_t i = static_cast<std::size_t>(*curve_in - first);
        SweepCurve c;
        c.id = *curve_in;
        c.every = r.curve_every;
        const std::size_t last =
            std::min(r.curve_points, static_cast<std::size_t>(r.steps[i] / r.curve_every) + 1);
        for (std::size_t t = 0; t < last; ++t) {
          c.loss.push_back(r.curve_loss_at(t, i));
          c.abs_error.push_back(r.curve_abs_error_at(t, i));
        }
        out.curves.push_back(std::move(c));
      }

      begin += m;
      done += m;
      const double grow = took > 0 ? chunk_seconds / took : static_cast<double>(max_chunk_growth);
      const double next = static_cast<double>(m) * std::min<double>(grow, max_chunk_growth);
      chunk = std::max<std::size_t>(64, static_cast<std::size_t>(std::min(next, 1e9)));
      if (options.progress) {
        options.progress(done, total, out.net_steps,
                         std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      }
    }
    out.results.push_back(std::move(all));
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

}  // namespace manynets
