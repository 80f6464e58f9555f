// `manynets info`: what this build can do: version, whether CUDA is compiled in
// and which devices it sees, the SIMD width the compiler targets, and the
// backends, shapes and presets available; as text or one JSON object.
#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/format.hpp"
#include "manynets/cpu.hpp"
#include "manynets/devices.hpp"
#include "manynets/limits.hpp"

namespace manynets {
namespace cli {

namespace {

// What the cpu backend runs on: its instruction set (that file alone is built
// with MANYNETS_NATIVE's -march=native) and lanes per vector, e.g. "avx512bw x16".
std::string compiled_simd() {
  return cpu::instruction_set() + " x" + std::to_string(cpu::vector_width());
}

std::vector<std::string> shape_list() {
  std::vector<std::string> shapes;
#define MANYNETS_SHAPE_NAME(I, H, O) shapes.push_back(to_string(Shape{I, H, O}));
  MANYNETS_FOR_EACH_SHAPE(MANYNETS_SHAPE_NAME)
#undef MANYNETS_SHAPE_NAME
  return shapes;
}

// The largest shape the limits allow (limits.hpp), e.g. "16-64-16".
std::string largest_shape() {
  return to_string(Shape{max_network_inputs, max_network_hidden, max_network_outputs});
}

// The backends among `backends` that train only the compiled shapes.
std::vector<std::string> compiled_shapes_only(const std::vector<std::string>& backends) {
  std::vector<std::string> only;
  for (const std::string& b : backends)
    if (b == "cublas") only.push_back(b);  // the backend that calls require_compiled_shape
  return only;
}

std::string compute_capability(const CudaDevice& d) {
  return std::to_string(d.compute_capability_major) + "." + std::to_string(d.compute_capability_minor);
}

}  // namespace

CLI::App* add_info_command(CLI::App& app, InfoOptions& options) {
  CLI::App* info =
      app.add_subcommand("info", "show the version, build options, SIMD, CUDA devices and backends");
  info->add_flag("--json", options.json, "print one JSON object instead of text");
  return info;
}

int run_info_command(const InfoOptions& options) {
  std::string why_no_devices;
  const std::vector<CudaDevice> devices = cuda_devices(&why_no_devices);
  const std::vector<std::string> backends = available_backends();
  const std::vector<std::string> presets = preset_names();

  if (options.json) {
    nlohmann::json j;
    j["version"] = version();
    j["cuda_compiled"] = cuda_compiled();
    j["cuda_devices"] = nlohmann::json::array();
    for (const CudaDevice& d : devices) {
      j["cuda_devices"].push_back({{"name", d.name},
                                   {"compute_capability", compute_capability(d)},
                                   {"memory_bytes", d.memory_bytes}});
    }
    if (devices.empty()) j["cuda_devices_note"] = why_no_devices;
    j["simd"] = compiled_simd();
    j["backends"] = backends;
    j["shapes"] = shape_list();  // compiled in; any other within the limits runs the general path
    j["largest_shape"] = largest_shape();
    j["shape_limits"] = shape_limits();
    j["compiled_shapes_only"] = compiled_shapes_only(backends);
    j["presets"] = presets;
    std::cout << j.dump() << "\n";
    return 0;
  }

  std::cout << "manynets " << version() << "\n";
  std::cout << "  CUDA compiled  " << (cuda_compiled() ? "yes" : "no") << "\n";
  if (devices.empty()) {
    std::cout << "  CUDA devices   none" << (why_no_devices.empty() ? "" : " (" + why_no_devices + ")")
              << "\n";
  } else {
    std::cout << "  CUDA devices   " << devices.size() << "\n";
    for (std::size_t i = 0; i < devices.size(); ++i) {
      const CudaDevice& d = devices[i];
      std::cout << "    " << i << ": " << d.name << ", compute capability " << compute_capability(d) << ", "
                << format_g(static_cast<double>(d.memory_bytes) / (1024.0 * 1024.0 * 1024.0), 4) << " GiB\n";
    }
  }
  std::cout << "  SIMD           " << compiled_simd() << "\n";
  std::cout << "  backends       " << join(backends) << "\n";
  std::cout << "  shapes         any I-H-O with " << shape_limits() << " (up to " << largest_shape() << ")\n";
  std::cout << "  compiled       " << join(shape_list()) << "; other shapes run the general path";
  const std::vector<std::string> only = compiled_shapes_only(backends);
  if (!only.empty()) std::cout << " (" << join(only) << ": compiled shapes only)";
  std::cout << "\n";
  std::cout << "  presets\n";
  std::size_t width = 0;
  for (const std::string& name : presets) width = std::max(width, name.size());
  for (const std::string& name : presets) {
    const Preset p = make_preset(name);
    std::cout << "    " << pad_right(name, width) << "  " << to_string(p.shape) << "  " << p.description
              << "\n";
  }
  return 0;
}

}  // namespace cli
}  // namespace manynets
