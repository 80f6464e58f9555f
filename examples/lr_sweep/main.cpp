// Trains the worked example (2-2-2, one sample, the published starting weights)
// at 40 learning rates at once and prints the rate with the lowest final loss.
#include <cmath>
#include <cstdio>
#include <exception>
#include <manynets/manynets.hpp>

int main() {
  try {
    const manynets::Preset seed = manynets::make_preset("seed");
    const std::size_t n = 40;
    manynets::Batch batch(seed.shape, n);
    for (std::size_t i = 0; i < n; ++i) {
      manynets::NetworkConfig config = seed.config;  // sigmoid, plain gradient descent, biases fixed
      config.learning_rate = 0.05 * std::pow(200.0, static_cast<double>(i) / (n - 1));  // 0.05 ... 10
      config.max_steps = 5000;
      batch.set_config(i, config);
    }
    manynets::initialize(batch, seed.init);  // every network starts from the published weights

    auto backend = manynets::make_backend("auto");
    const manynets::Results results = backend->train(batch, seed.data);

    std::size_t best = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (results.status[i] != manynets::Status::diverged && results.loss[i] < results.loss[best]) best = i;
    }
    std::printf("manynets %s, backend %s: %zu networks x %d steps\n", manynets::version().c_str(),
                results.backend.c_str(), n, 5000);
    std::printf("best learning rate %.4g: loss %.6g after %d steps (%s)\n", batch.learning_rate[best],
                results.loss[best], results.steps[best], manynets::to_string(results.status[best]));
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lr_sweep: %s\n", e.what());
    return 1;
  }
}
