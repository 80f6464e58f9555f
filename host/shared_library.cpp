// The shared library's own translation unit: CMake needs one source per target.
// Everything else comes whole from the static library (see CMakeLists.txt).
namespace manynets {
namespace {
[[maybe_unused]] constexpr int shared_library_marker = 0;
}  // namespace
}  // namespace manynets
