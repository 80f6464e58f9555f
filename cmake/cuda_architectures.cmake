# The CUDA architectures of the GPUs this machine has, as "90-real;80-real", read
# from nvidia-smi (empty when there is no GPU, no driver or no nvidia-smi).
# CMake's own "native" fails outright on a machine without a GPU; this lets the
# build fall back to a default list there instead.
function(manynets_present_cuda_architectures out)
  set(found "")
  find_program(MANYNETS_NVIDIA_SMI nvidia-smi)
  if(MANYNETS_NVIDIA_SMI)
    execute_process(COMMAND ${MANYNETS_NVIDIA_SMI} --query-gpu=compute_cap --format=csv,noheader
                    OUTPUT_VARIABLE caps RESULT_VARIABLE failed ERROR_QUIET TIMEOUT 20)
    if(NOT failed)
      string(REGEX MATCHALL "[0-9]+\\.[0-9]+" caps "${caps}")
      foreach(cap IN LISTS caps)
        string(REPLACE "." "" arch "${cap}")
        list(APPEND found "${arch}-real")
      endforeach()
      list(REMOVE_DUPLICATES found)
    endif()
  endif()
  set(${out} "${found}" PARENT_SCOPE)
endfunction()
