# The x86-64 SIMD levels tinyq builds its tests at, and which of them this machine
# can run (tests built at a level the CPU lacks would die on an illegal instruction).
# Each level is pinned at compile time (TINYQ_SIMD_PIN, kernels/x86/config.h), so its build
# runs that level and no other; the plain builds use run-time dispatch.
#
#   tinyq_simd_levels(<out>)  sets <out> to "name|flags" entries for the runnable levels
#                             (flags comma-separated); tinyq_simd_level_parse splits one.
#                             With TINYQ_SIMD_LEVEL_BUILDS OFF only "scalar" (TINYQ_NO_SIMD):
#                             the dispatch builds test the x86 levels at run time.
include(CheckCXXSourceRuns)

set(TINYQ_ALL_SIMD_LEVELS
  "scalar|-DTINYQ_NO_SIMD|1"
  "sse2|-msse2,-DTINYQ_SIMD_PIN|__builtin_cpu_supports(\"sse2\")"
  "avx2|-mavx2,-mfma,-DTINYQ_SIMD_PIN|__builtin_cpu_supports(\"avx2\")"
  "avx512|-mavx512f,-mavx512bw,-mavx512vl,-mavx512dq,-DTINYQ_SIMD_PIN|__builtin_cpu_supports(\"avx512bw\") && __builtin_cpu_supports(\"avx512vl\") && __builtin_cpu_supports(\"avx512dq\")"
  "avx512vnni|-mavx512f,-mavx512bw,-mavx512vl,-mavx512dq,-mavx512vnni,-DTINYQ_SIMD_PIN|__builtin_cpu_supports(\"avx512bw\") && __builtin_cpu_supports(\"avx512vl\") && __builtin_cpu_supports(\"avx512vnni\")")

function(tinyq_simd_levels out)
  set(result "")
  foreach(level IN LISTS TINYQ_ALL_SIMD_LEVELS)
    string(REPLACE "|" ";" parts "${level}")
    list(GET parts 0 name)
    if(DEFINED TINYQ_SIMD_LEVEL_BUILDS AND NOT TINYQ_SIMD_LEVEL_BUILDS AND NOT name STREQUAL "scalar")
      continue()
    endif()
    list(GET parts 2 check)
    if(NOT CMAKE_CROSSCOMPILING)
      check_cxx_source_runs("int main(){ return (${check}) ? 0 : 1; }" TINYQ_CPU_RUNS_${name})
    endif()
    if(TINYQ_CPU_RUNS_${name})
      list(GET parts 1 flags_csv)
      list(APPEND result "${name}|${flags_csv}")
    else()
      message(STATUS "tinyq: this CPU cannot run ${name}: its test builds are skipped")
    endif()
  endforeach()
  set(${out} "${result}" PARENT_SCOPE)
endfunction()

# Splits a "name|flag1,flag2" entry.
function(tinyq_simd_level_parse entry name_var flags_var)
  string(REPLACE "|" ";" parts "${entry}")
  list(GET parts 0 name)
  list(GET parts 1 flags_csv)
  string(REPLACE "," ";" flags "${flags_csv}")
  if(name MATCHES "avx512")
    # GCC 12 warns inside its own AVX-512 headers (_mm512_undefined_*; GCC bug 105593).
    list(APPEND flags -Wno-uninitialized -Wno-maybe-uninitialized)
  endif()
  set(${name_var} "${name}" PARENT_SCOPE)
  set(${flags_var} "${flags}" PARENT_SCOPE)
endfunction()
