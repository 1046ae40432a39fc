# The Python package (python/seqnn over libseqnn through ctypes), tested with
# Debian's /usr/bin/python3 (python3-numpy, python3-torch) against this
# build's library (SEQNN_LIBRARY). Included from tests/CMakeLists.txt.
#   python_interop: the interop models trained from Python equal the C
#     test's results bit for bit (needs the interop_files fixture).
#   python_api: errors carry the library's messages, closed objects raise,
#     backends, models from Python calls and files, kernels against numpy.
#   python_torch: a PyTorch LSTM's weights into seqnn and back.
#   python_memory: RSS after 10,000 calls of each kind stays put.
#   python_layout: ctypes structures against the C headers' offsets.
# Skipped (77) without /usr/bin/python3 and numpy (torch for python_torch),
# a failure instead under CI=true (python/tests/run.sh). Not defined in a
# sanitizer build: its libseqnn needs the ASan runtime loaded first, which
# /usr/bin/python3 is not.
if(SEQNN_SANITIZE)
    return()
endif()
set(SEQNN_PY_RUN sh "${PROJECT_SOURCE_DIR}/python/tests/run.sh" "$<TARGET_FILE:seqnn>")
set(SEQNN_PY_TESTS "${PROJECT_SOURCE_DIR}/python/tests")

add_test(NAME python_interop COMMAND ${SEQNN_PY_RUN} "${SEQNN_PY_TESTS}/test_interop.py"
         "${PROJECT_SOURCE_DIR}/tests/interop" "${CMAKE_CURRENT_BINARY_DIR}/interop_work")
set_tests_properties(python_interop PROPERTIES FIXTURES_REQUIRED interop_files SKIP_RETURN_CODE 77 TIMEOUT 120)

add_test(NAME python_api COMMAND ${SEQNN_PY_RUN} "${SEQNN_PY_TESTS}/test_api.py" "${PROJECT_SOURCE_DIR}/tests/interop")
set_tests_properties(python_api PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120)

add_test(NAME python_torch COMMAND ${SEQNN_PY_RUN} "${SEQNN_PY_TESTS}/test_torch.py")
set_tests_properties(python_torch PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120)

add_test(NAME python_memory COMMAND ${SEQNN_PY_RUN} "${SEQNN_PY_TESTS}/test_memory.py")
set_tests_properties(python_memory PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120)

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
