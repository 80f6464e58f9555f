// Peer: the seed sweep (bench/peers/seed_sweep.py) hand-written in C++ the way
// one writes it without manynets: float weights in structure-of-arrays blocks,
// OpenMP threads over blocks, `omp simd` across the networks of a block, every
// step of a block done while its weights stay in cache. Prints
// `manynets bench --json`'s shape. Build and run (bench/compare.sh does this):
//   g++ -O3 -march=native -ffast-math -fopenmp -o omp_peer omp_peer.cpp
//   ./omp_peer --networks 1e6 --steps 200 --repeats 3
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

constexpr double x1 = 0.05, x2 = 0.10, t1 = 0.01, t2 = 0.99, b1 = 0.35, b2 = 0.60;
constexpr double w_start[8] = {0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55};
constexpr int block = 256;                // networks per block: 8 KB of weights, in L1
constexpr double check_tolerance = 1e-3;  // as seed_sweep.py's CHECK_TOLERANCE

double learning_rate(long i, long n) {
  return n > 1 ? 0.1 + 1.9 * double(i) / double(n - 1) : 0.5;
}

// Trains networks [0, n) for `steps` steps; w[k] is weight k+1 of every network.
void train(std::vector<float> (&w)[8], const std::vector<float>& lr, long n, int steps) {
  const long blocks = (n + block - 1) / block;
#pragma omp parallel for schedule(dynamic, 4)
  for (long b = 0; b < blocks; ++b) {
    const long begin = b * block, count = std::min<long>(block, n - begin);
    float* __restrict w1 = w[0].data() + begin;
    float* __restrict w2 = w[1].data() + begin;
    float* __restrict w3 = w[2].data() + begin;
    float* __restrict w4 = w[3].data() + begin;
    float* __restrict w5 = w[4].data() + begin;
    float* __restrict w6 = w[5].data() + begin;
    float* __restrict w7 = w[6].data() + begin;
    float* __restrict w8 = w[7].data() + begin;
    const float* __restrict rate = lr.data() + begin;
    const float fx1 = float(x1), fx2 = float(x2), ft1 = float(t1), ft2 = float(t2);
    const float fb1 = float(b1), fb2 = float(b2);
    for (int s = 0; s < steps; ++s) {
#pragma omp simd
      for (long j = 0; j < count; ++j) {
        const float h1 = 1.0f / (1.0f + std::exp(-(w1[j] * fx1 + w2[j] * fx2 + fb1)));
        const float h2 = 1.0f / (1.0f + std::exp(-(w3[j] * fx1 + w4[j] * fx2 + fb1)));
        const float o1 = 1.0f / (1.0f + std::exp(-(w5[j] * h1 + w6[j] * h2 + fb2)));
        const float o2 = 1.0f / (1.0f + std::exp(-(w7[j] * h1 + w8[j] * h2 + fb2)));
        const float g1 = rate[j] * (o1 - ft1) * o1 * (1.0f - o1);  // learning rate folded in
        const float g2 = rate[j] * (o2 - ft2) * o2 * (1.0f - o2);
        const float k1 = (g1 * w5[j] + g2 * w7[j]) * h1 * (1.0f - h1);
        const float k2 = (g1 * w6[j] + g2 * w8[j]) * h2 * (1.0f - h2);
        w5[j] -= g1 * h1, w6[j] -= g1 * h2, w7[j] -= g2 * h1, w8[j] -= g2 * h2;
        w1[j] -= k1 * fx1, w2[j] -= k1 * fx2, w3[j] -= k2 * fx1, w4[j] -= k2 * fx2;
      }
    }
  }
}

// One network in double precision: the check.
void reference(double lr, int steps, double* w) {
  std::copy(w_start, w_start + 8, w);
  auto sig = [](double z) { return 1 / (1 + std::exp(-z)); };
  for (int s = 0; s < steps; ++s) {
    const double h1 = sig(w[0] * x1 + w[1] * x2 + b1), h2 = sig(w[2] * x1 + w[3] * x2 + b1);
    const double o1 = sig(w[4] * h1 + w[5] * h2 + b2), o2 = sig(w[6] * h1 + w[7] * h2 + b2);
    const double g1 = (o1 - t1) * o1 * (1 - o1), g2 = (o2 - t2) * o2 * (1 - o2);
    const double k1 = (g1 * w[4] + g2 * w[6]) * h1 * (1 - h1), k2 = (g1 * w[5] + g2 * w[7]) * h2 * (1 - h2);
    const double grad[8] = {k1 * x1, k1 * x2, k2 * x1, k2 * x2, g1 * h1, g1 * h2, g2 * h1, g2 * h2};
    for (int k = 0; k < 8; ++k) w[k] -= lr * grad[k];
  }
}

long parse_count(const char* flag, const char* text, double most) {
  char* end = nullptr;
  const double v = std::strtod(text, &end);
  if (end == text || *end != '\0' || !(v >= 1) || v > most || v != std::floor(v)) {
    std::fprintf(stderr, "omp_peer: %s must be a whole number from 1 to %g; got '%s'\n", flag, most, text);
    std::exit(2);
  }
  return long(v);
}

}  // namespace

int main(int argc, char** argv) {
  long n = 1000000, steps = 200, repeats = 3;
  for (int a = 1; a < argc; ++a) {
    const bool has_value = a + 1 < argc;
    if (!std::strcmp(argv[a], "--networks") && has_value) {
      n = parse_count("--networks", argv[++a], 1e9);
    } else if (!std::strcmp(argv[a], "--steps") && has_value) {
      steps = parse_count("--steps", argv[++a], 1e8);
    } else if (!std::strcmp(argv[a], "--repeats") && has_value) {
      repeats = parse_count("--repeats", argv[++a], 1000);
    } else {
      std::fprintf(stderr, "omp_peer: unknown argument '%s'; use --networks N --steps S --repeats R\n",
                   argv[a]);
      return 2;
    }
  }
  std::vector<float> lr(n);
  for (long i = 0; i < n; ++i) lr[i] = float(learning_rate(i, n));
  std::vector<float> w[8];
  auto run = [&](int s) {
    for (int k = 0; k < 8; ++k) w[k].assign(n, float(w_start[k]));
    const auto start = std::chrono::steady_clock::now();
    train(w, lr, n, s);
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  run(1);  // warm-up: pages, thread pool
  std::vector<double> seconds;
  for (long r = 0; r < repeats; ++r) seconds.push_back(run(int(steps)));

  std::vector<long> ids = {0, n / 2, n - 1};
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  double worst = 0;
  std::string params = "[", rates = "[", id_list = "[";
  for (std::size_t c = 0; c < ids.size(); ++c) {
    const long i = ids[c];
    double want[8];
    reference(learning_rate(i, n), int(steps), want);
    params += c ? ",[" : "[";
    for (int k = 0; k < 8; ++k) {
      worst = std::max(worst, std::fabs(w[k][i] - want[k]) / std::max(std::fabs(want[k]), 1e-3));
      char text[32];
      std::snprintf(text, sizeof text, "%s%.9g", k ? "," : "", double(w[k][i]));
      params += text;
    }
    params += "]";
    char text[64];
    std::snprintf(text, sizeof text, "%s%.17g", c ? "," : "", learning_rate(i, n));
    rates += text;
    id_list += (c ? "," : "") + std::to_string(i);
  }
  params += "]", rates += "]", id_list += "]";
  const bool passed = worst <= check_tolerance;

  std::vector<double> sorted = seconds;
  std::sort(sorted.begin(), sorted.end());
  const std::size_t m = sorted.size();
  const double median = m % 2 ? sorted[m / 2] : 0.5 * (sorted[m / 2 - 1] + sorted[m / 2]);
  const double net_steps = double(n) * double(steps);
  std::string all = "[";
  for (std::size_t r = 0; r < seconds.size(); ++r) {
    char text[32];
    std::snprintf(text, sizeof text, "%s%.9g", r ? "," : "", seconds[r]);
    all += text;
  }
  all += "]";
  std::printf(
      "{\"workload\": \"seed sweep (peer programs), learning rates 0.1 ... 2.0\", \"math_mode\": "
      "\"float32\", "
      "\"repeats\": %ld, \"results\": [{\"backend\": \"cpp-openmp\", \"networks\": %ld, \"steps\": %ld, "
      "\"seconds\": %.9g, \"net_steps_per_second\": %.9g, \"fraction_of_ceiling\": null, "
      "\"min_net_steps_per_second\": %.9g, \"max_net_steps_per_second\": %.9g, \"all_seconds\": %s, "
      "\"ceiling_net_steps_per_second\": null, \"ceiling_model\": \"n/a: peer program, C++ OpenMP simd, "
      "%d threads\", \"check\": {\"passed\": %s, \"max_rel_error\": %.6g, \"tolerance\": %g, "
      "\"against\": \"double-precision scalar reference (omp_peer.cpp)\", \"networks\": %s, "
      "\"learning_rates\": %s, \"params\": %s}}]}\n",
      repeats, n, steps, median, net_steps / median, net_steps / sorted.back(), net_steps / sorted.front(),
      all.c_str(), omp_get_max_threads(), passed ? "true" : "false", worst, check_tolerance, id_list.c_str(),
      rates.c_str(), params.c_str());
  if (!passed) {
    std::fprintf(stderr, "cpp-openmp: final weights differ from the double reference by %g (relative)\n",
                 worst);
    return 1;
  }
  return 0;
}
