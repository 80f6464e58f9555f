// Fuzz target: the JSON config file loader (read_sweep_config) and the option
// texts it returns, parsed by make_sweep_spec and, for small sweeps on a
// preset, expanded. The input is written to a file, as the loader reads files.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "fuzz_check.hpp"
#include "fuzz_expand.hpp"
#include "manynets/sweep.hpp"

namespace {

// The file each input is written to, one per process, removed at exit.
struct InputFile {
  std::string path;
  InputFile() {
    const char* dir = std::getenv("TMPDIR");
    path = std::string(dir && *dir ? dir : "/tmp") + "/manynets_fuzz_config_" + std::to_string(getpid()) +
           ".json";
  }
  ~InputFile() { std::remove(path.c_str()); }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  using namespace manynets;
  static const InputFile input;
  const std::string& path = input.path;
  std::FILE* f = std::fopen(path.c_str(), "wb");
  fuzz::check(f != nullptr, "cannot write " + path);
  fuzz::check(std::fwrite(bytes, 1, size, f) == size && std::fclose(f) == 0, "cannot write " + path);
  std::map<std::string, std::string> texts;
  try {
    texts = read_sweep_config(path, sweep_spec_keys());
  } catch (const Error& e) {
    fuzz::check_rejection(e);
    return 0;
  } catch (const std::exception& e) {
    fuzz::check_other_exception(e);
    return 0;
  }
  for (const auto& kv : texts) {
    bool known = false;
    for (const std::string& k : sweep_spec_keys()) known = known || k == kv.first;
    fuzz::check(known, "unknown key accepted: " + kv.first);
  }
  fuzz::check_spec(texts);
  return 0;
}
