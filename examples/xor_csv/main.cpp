// Trains 256 randomly initialised 2-2-1 networks on a CSV dataset (XOR by
// default), writes one row per network to a CSV file and prints how many reached
// the target loss.
//   xor_csv [DATA.csv] [RESULTS.csv]
#include <cstdio>
#include <exception>
#include <fstream>
#include <manynets/manynets.hpp>
#include <string>

int main(int argc, char** argv) {
  const std::string data_path = argc > 1 ? argv[1] : "xor.csv";
  const std::string out_path = argc > 2 ? argv[2] : "xor_results.csv";
  try {
    const manynets::Shape shape{2, 2, 1};
    const manynets::Dataset data = manynets::load_csv(data_path, shape.inputs, shape.outputs);

    const std::size_t n = 256;
    manynets::Batch batch(shape, n);
    manynets::NetworkConfig config;
    config.hidden_activation = manynets::Activation::tanh;
    config.output_activation = manynets::Activation::sigmoid;
    config.learning_rate = 2.0;
    config.max_steps = 10000;
    config.target_loss = 1e-3;
    batch.set_config_all(config);
    batch.seed = 2026;  // the run seed: same weights on every backend
    manynets::initialize(batch, manynets::parse_init("uniform:1"));  // random starts in (-1, 1)

    auto backend = manynets::make_backend("auto");
    const manynets::Results r = backend->train(batch, data);

    // Write to a temporary name and rename, so a killed run leaves no half file.
    const std::string tmp = out_path + ".tmp";
    {
      std::ofstream out(tmp);
      out << "id,status,steps,loss";
      for (int p = 0; p < shape.num_params(); ++p) out << ',' << manynets::param_name(shape, p);
      out << '\n';
      for (std::size_t i = 0; i < n; ++i) {
        out << i << ',' << manynets::to_string(r.status[i]) << ',' << r.steps[i] << ',' << r.loss[i];
        for (int p = 0; p < shape.num_params(); ++p) out << ',' << r.param(i, p);
        out << '\n';
      }
      if (!out) throw manynets::runtime_error("cannot write " + tmp);
    }
    if (std::rename(tmp.c_str(), out_path.c_str()) != 0)
      throw manynets::runtime_error("cannot rename to " + out_path);

    std::size_t converged = 0;
    for (manynets::Status s : r.status) converged += s == manynets::Status::converged;
    std::printf("%zu of %zu networks reached loss 1e-3 on %s (backend %s); results in %s\n", converged, n,
                data_path.c_str(), r.backend.c_str(), out_path.c_str());
    return 0;
  } catch (const manynets::Error& e) {
    std::fprintf(stderr, "xor_csv: %s\n", e.what());
    return e.kind() == manynets::ErrorKind::invalid_input ? 2 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "xor_csv: %s\n", e.what());
    return 1;
  }
}
