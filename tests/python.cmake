# The Python package (python/seqnn over libseqnn through ctypes), tested with
# Debian's /usr/bin/python3 (python3-numpy, python3-torch) against this
# build's library (SEQNN_LIBRARY). Included from tests/CMakeLists.txt.
#   python_interop: the interop models trained from Python equal the C
#     test's results bit for bit (needs the interop_files fixture).
#   python_api: errors carry the library's messages, closed objects raise,
#     backends, models from Python calls and files, kernels against numpy.
#   python_torch: a PyTorch LSTM's weights into seqnn and back.
#   python_kernels: the kernels test_api does not compare, against PyTorch
#     on every device; Tensors; every kernel of kernels.def has a wrapper.
#   python_memory: RSS after 10,000 calls of each kind stays put.
#   python_layout: ctypes structures against the C headers' offsets.
#   python_readme: the example at the top of python/README.md runs.
# Skipped (77) without /usr/bin/python3 and numpy (torch for python_torch and
# python_kernels), a failure instead under CI=true (python/tests/run.sh).
# In a sanitizer build (GCC) python_interop, python_api, python_kernels and
# python_torch run with the ASan runtime preloaded into python3 (leak
# checking off: Python's own allocations at exit are not seqnn's);
# python_memory (ASan's allocator keeps freed memory), python_readme
# (training under ASan is slow) and python_install are left out.
set(SEQNN_PY_ENV "")
if(SEQNN_SANITIZE)
    if(NOT CMAKE_C_COMPILER_ID STREQUAL "GNU")
        return()
    endif()
    execute_process(COMMAND ${CMAKE_C_COMPILER} -print-file-name=libasan.so OUTPUT_VARIABLE SEQNN_PY_ASAN
                    OUTPUT_STRIP_TRAILING_WHITESPACE)
    set(SEQNN_PY_ENV "LD_PRELOAD=${SEQNN_PY_ASAN}" "ASAN_OPTIONS=detect_leaks=0:intercept_tls_get_addr=0"
        "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")
endif()
set(SEQNN_PY_RUN sh "${PROJECT_SOURCE_DIR}/python/tests/run.sh" "$<TARGET_FILE:seqnn>")
set(SEQNN_PY_TESTS "${PROJECT_SOURCE_DIR}/python/tests")

add_test(NAME python_interop COMMAND ${SEQNN_PY_RUN} "${SEQNN_PY_TESTS}/test_interop.py"
         "${PROJECT_SOURCE_DIR}/tests/interop" "${CMAKE_CURRENT_BINARY_DIR}/interop_work")
set_tests_properties(python_interop PROPERTIES FIXTURES_REQUIRED interop_files SKIP_RETURN_CODE 77 TIMEOUT 120
                     ENVIRONMENT "${SEQNN_PY_ENV}")

add_test(NAME python_api COMMAND ${SEQNN_PY_RUN} "${SEQNN_PY_TESTS}/test_api.py" "${PROJECT_SOURCE_DIR}/tests/interop")
set_tests_properties(python_api PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120 ENVIRONMENT "${SEQNN_PY_ENV}")

add_test(NAME python_kernels COMMAND ${SEQNN_PY_RUN} "${SEQNN_PY_TESTS}/test_kernels.py"
         "${PROJECT_SOURCE_DIR}/include/seqnn/kernels.def")
set_tests_properties(python_kernels PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120 ENVIRONMENT "${SEQNN_PY_ENV}")

add_test(NAME python_torch COMMAND ${SEQNN_PY_RUN} "${SEQNN_PY_TESTS}/test_torch.py")
set_tests_properties(python_torch PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120 ENVIRONMENT "${SEQNN_PY_ENV}")

if(SEQNN_SANITIZE)
    return()
endif()
add_test(NAME python_memory COMMAND ${SEQNN_PY_RUN} "${SEQNN_PY_TESTS}/test_memory.py")
set_tests_properties(python_memory PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120)

add_test(NAME python_readme COMMAND ${SEQNN_PY_RUN} "${SEQNN_PY_TESTS}/test_readme.py"
         "${PROJECT_SOURCE_DIR}/python/README.md")
set_tests_properties(python_readme PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120)

add_executable(python_layout "${PROJECT_SOURCE_DIR}/python/tests/layout.c")
target_include_directories(python_layout PRIVATE "${PROJECT_SOURCE_DIR}/include")
set_target_properties(python_layout PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/tests")
add_test(NAME python_layout COMMAND ${SEQNN_PY_RUN} "${SEQNN_PY_TESTS}/test_layout.py" "$<TARGET_FILE:python_layout>")
set_tests_properties(python_layout PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 60)

add_test(NAME python_install COMMAND ${SEQNN_PY_RUN} "${SEQNN_PY_TESTS}/test_install.sh"
         "${PROJECT_SOURCE_DIR}/python" "${CMAKE_CURRENT_BINARY_DIR}/python_install")
set_tests_properties(python_install PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120)

# Not a test: the C side of python/bench/overhead.py (timings stay out of tests).
add_executable(python_bench_overhead "${PROJECT_SOURCE_DIR}/python/bench/overhead.c")
target_link_libraries(python_bench_overhead PRIVATE seqnn)
target_include_directories(python_bench_overhead PRIVATE "${PROJECT_SOURCE_DIR}/include")
set_target_properties(python_bench_overhead PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/tests")
