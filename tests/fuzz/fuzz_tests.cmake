# Included by tests/CMakeLists.txt. Every build replays the fuzz corpus (seeds
# and saved reproducers) through the fuzz targets built with this build's
# compiler. Where clang++ can build a libFuzzer program, each target is also
# fuzzed for a short while (MANYNETS_FUZZ_SECONDS) by tests/fuzz/run_fuzz.sh.
set(MANYNETS_FUZZ_TARGETS csv sweep_options config)
foreach(target ${MANYNETS_FUZZ_TARGETS})
  add_executable(fuzz_${target}_replay fuzz/fuzz_${target}.cpp fuzz/replay_main.cpp)
  target_link_libraries(fuzz_${target}_replay PRIVATE manynets manynets_warnings)
  add_test(NAME fuzz_corpus_${target}
           COMMAND fuzz_${target}_replay ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/${target})
endforeach()

# The fuzz build does not depend on this build's flags, so one preset running
# it is enough: the debug, avx2 and portable presets turn it off and keep the
# corpus replays.
option(MANYNETS_FUZZ "Fuzz each target briefly in the test suite where clang++ can" ON)
set(MANYNETS_FUZZ_SECONDS 20 CACHE STRING "Seconds each fuzz target runs in the test suite")
find_program(MANYNETS_CLANGXX NAMES clang++ clang++-14)
if(MANYNETS_FUZZ AND MANYNETS_CLANGXX AND NOT DEFINED MANYNETS_FUZZER_WORKS)
  set(probe ${CMAKE_CURRENT_BINARY_DIR}/fuzzer_probe)
  file(WRITE ${probe}.cpp
       "#include <cstddef>\n#include <cstdint>\n"
       "extern \"C\" int LLVMFuzzerTestOneInput(const std::uint8_t*, std::size_t) { return 0; }\n")
  execute_process(COMMAND ${MANYNETS_CLANGXX} -fsanitize=fuzzer,address,undefined ${probe}.cpp -o ${probe}
                  RESULT_VARIABLE probe_result OUTPUT_QUIET ERROR_QUIET)
  if(probe_result EQUAL 0)
    set(MANYNETS_FUZZER_WORKS ON CACHE INTERNAL "clang++ builds libFuzzer programs")
  else()
    set(MANYNETS_FUZZER_WORKS OFF CACHE INTERNAL "clang++ builds libFuzzer programs")
  endif()
endif()
if(NOT MANYNETS_FUZZ)
  message(STATUS "manynets: fuzz tests OFF (MANYNETS_FUZZ=OFF; the corpus replays run)")
elseif(MANYNETS_FUZZER_WORKS)
  message(STATUS "manynets: fuzz tests ON (${MANYNETS_CLANGXX}, ${MANYNETS_FUZZ_SECONDS} s per target)")
  set(MANYNETS_FUZZ_BUILD_DIR ${PROJECT_BINARY_DIR}/fuzz CACHE PATH
      "Where the fuzz project is built (build trees may share one)")
  set(fuzz_build ${MANYNETS_FUZZ_BUILD_DIR})
  add_test(NAME fuzz_build COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/run_fuzz.sh ${fuzz_build})
  set_tests_properties(fuzz_build PROPERTIES FIXTURES_SETUP fuzz_build TIMEOUT 1800
                       ENVIRONMENT "CLANGXX=${MANYNETS_CLANGXX}")
  # The text of an open finding's message that the short runs look past while it
  # is being fixed (docs/reliability.md, "Fuzzing"); empty: none is open.
  set(MANYNETS_FUZZ_TOLERATE "")
  # A fixed seed: the suite's short runs walk the same inputs on every machine
  # (a slower one a prefix of them), so a run is repeatable; longer runs by
  # hand (docs/reliability.md) explore with fresh seeds.
  foreach(target ${MANYNETS_FUZZ_TARGETS})
    add_test(NAME fuzz_${target}
             COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/run_fuzz.sh ${fuzz_build} ${target} ${MANYNETS_FUZZ_SECONDS})
    set_tests_properties(fuzz_${target} PROPERTIES FIXTURES_REQUIRED fuzz_build TIMEOUT 600
                         ENVIRONMENT "CLANGXX=${MANYNETS_CLANGXX};MANYNETS_FUZZ_TOLERATE=${MANYNETS_FUZZ_TOLERATE};MANYNETS_FUZZ_FLAGS=-seed=1")
  endforeach()
else()
  message(STATUS "manynets: fuzz tests OFF (no clang++ that builds -fsanitize=fuzzer programs; "
                 "install clang and libclang-rt-14-dev)")
endif()
