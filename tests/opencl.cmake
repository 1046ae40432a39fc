# The OpenCL plugin on POCL (docs/opencl.md). Included by tests/CMakeLists.txt.
#  opencl_pocl_conformance   the whole conformance suite on the POCL device, selected by name;
#                            asserts that POCL ran every test and all passed
#  opencl_pocl_rnn_units_1    the conformance suite's recurrent kernels (rnn_*, cell_*) on POCL
#                            with the cell kernels built as on GPUs (SEQNN_OPENCL_RNN_UNITS=1:
#                            one unit per work-item; POCL's own default is 8)
#  opencl_pocl_gemm_path      the suite's conv1d and attention tests (conv1d_*, attention_*,
#                            golden/...) on POCL with every conv and attention on the GEMM path
#                            (SEQNN_OPENCL_GEMM_PATH=always: CLBlast GEMMs; by default small
#                            calls, as most of the suite's, run the direct kernels)
#  opencl_pocl_program_cache first start builds, second loads in < 10% of that; corrupt,
#                            truncated and unusable caches only cost the build
#  opencl_errors             error names and statuses, build log of a failed build, allocation
#                            beyond the device's memory, nothing on stdout
# tests/test_opencl_pocl.sh says when a missing POCL fails (CI, or POCL's ICD installed) and
# when it skips (77). The caches of these tests live in this build tree (always writable; a
# fresh build starts cold, later runs reuse them), never in the user's ~/.cache.
# Under the sanitizers (scripts/test.sh's second pass), two LeakSanitizer settings:
#  - suppressions for memory that POCL's compiler (libpocl, LLVM) never frees in a process
#    that compiles (tests/test_opencl_lsan.supp); seqnn's own allocations stay checked;
#  - intercept_tls_get_addr=0: POCL dlopens and dlcloses its compiled kernels, and the GCC 12
#    sanitizer runtime can then take a freed dynamic-TLS block for a pre-2.25 glibc header and
#    crash its tracer at exit ("Tracer caught signal 11", google/sanitizers#1322); without the
#    interceptor, dynamic TLS is not scanned for pointers (nothing of seqnn lives there).
set(ocl_test_dir "${CMAKE_BINARY_DIR}/tests/opencl")
set(ocl_test_script "${CMAKE_CURRENT_LIST_DIR}/test_opencl_pocl.sh")
set(ocl_test_env "LSAN_OPTIONS=suppressions=${CMAKE_CURRENT_LIST_DIR}/test_opencl_lsan.supp:print_suppressions=0:intercept_tls_get_addr=0")
if(TARGET seqnn-opencl)
    set(ocl_plugin_file $<TARGET_FILE:seqnn-opencl>)
else()
    set(ocl_plugin_file none)
endif()

add_test(NAME opencl_pocl_conformance
         COMMAND sh "${ocl_test_script}" conformance $<TARGET_FILE:seqnn-cli> "${ocl_plugin_file}"
                 "${ocl_test_dir}/conformance")
add_test(NAME opencl_pocl_rnn_units_1
         COMMAND sh "${ocl_test_script}" conformance $<TARGET_FILE:seqnn-cli> "${ocl_plugin_file}"
                 "${ocl_test_dir}/rnn_units_1" "^(rnn|cell)_")
set_tests_properties(opencl_pocl_rnn_units_1 PROPERTIES
    SKIP_RETURN_CODE 77 TIMEOUT 600 ENVIRONMENT "${ocl_test_env};SEQNN_OPENCL_RNN_UNITS=1"
    LABELS variant)    # a build option of the device code only: not again under the sanitizers
add_test(NAME opencl_pocl_gemm_path
         COMMAND sh "${ocl_test_script}" conformance $<TARGET_FILE:seqnn-cli> "${ocl_plugin_file}"
                 "${ocl_test_dir}/gemm_path" "^(golden/)?(conv1d|attention)")
set_tests_properties(opencl_pocl_gemm_path PROPERTIES
    SKIP_RETURN_CODE 77 TIMEOUT 600 ENVIRONMENT "${ocl_test_env};SEQNN_OPENCL_GEMM_PATH=always")
add_test(NAME opencl_pocl_program_cache
         COMMAND sh "${ocl_test_script}" cache $<TARGET_FILE:seqnn-cli> "${ocl_plugin_file}"
                 "${ocl_test_dir}/cache")
set_tests_properties(opencl_pocl_conformance opencl_pocl_program_cache PROPERTIES
    SKIP_RETURN_CODE 77 TIMEOUT 1800 ENVIRONMENT "${ocl_test_env}")

if(TARGET seqnn-opencl)
    # ocl.h's target; imported targets of plugins/opencl are not visible here
    find_package(OpenCL REQUIRED)
    add_executable(test_opencl_errors test_opencl_errors.c
                   "${PROJECT_SOURCE_DIR}/plugins/opencl/ocl_program.c"
                   "${PROJECT_SOURCE_DIR}/plugins/opencl/ocl_errors.c")
    target_include_directories(test_opencl_errors PRIVATE "${PROJECT_SOURCE_DIR}/plugins/opencl"
                               "${PROJECT_SOURCE_DIR}/cmake" "${PROJECT_SOURCE_DIR}/include")
    target_compile_definitions(test_opencl_errors PRIVATE _POSIX_C_SOURCE=200809L)
    target_link_libraries(test_opencl_errors PRIVATE seqnn OpenCL::OpenCL)
    set_target_properties(test_opencl_errors PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/tests")
    add_test(NAME opencl_errors
             COMMAND sh "${ocl_test_script}" exec "${ocl_plugin_file}" $<TARGET_FILE:test_opencl_errors>)
else()
    add_test(NAME opencl_errors COMMAND sh "${ocl_test_script}" exec none true)
endif()
set_tests_properties(opencl_errors PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 600
    ENVIRONMENT "${ocl_test_env};XDG_CACHE_HOME=${ocl_test_dir}/errors;POCL_CACHE_DIR=${ocl_test_dir}/errors/pocl;TMPDIR=${CMAKE_BINARY_DIR}/tests")

# opencl_pocl_rnn_round_trips: seqnn-ocl-rnn-probe count (plugins/opencl/tools/, which counts
# the OpenCL and CLBlast calls by interposing them): every recurrent kernel (Elman, LSTM, GRU,
# classic GRU, LSTM variants; forward and reverse; with and without lengths), one inference
# forward, one training forward and one backward at T = 5 and T = 20 on POCL; fails when a
# call waits for the device (clFinish, clWaitForEvents, a blocking read, write or map) or when
# its transfers or buffer creations grow with T. A few seconds warm.
if(TARGET seqnn-ocl-rnn-probe)
    add_test(NAME opencl_pocl_rnn_round_trips
             COMMAND sh "${ocl_test_script}" exec "${ocl_plugin_file}" $<TARGET_FILE:seqnn-ocl-rnn-probe> count)
else()
    add_test(NAME opencl_pocl_rnn_round_trips COMMAND sh "${ocl_test_script}" exec none true)
endif()
set_tests_properties(opencl_pocl_rnn_round_trips PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 600
    ENVIRONMENT "${ocl_test_env};XDG_CACHE_HOME=${ocl_test_dir}/rnn;POCL_CACHE_DIR=${ocl_test_dir}/rnn/pocl")
