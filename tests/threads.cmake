# Threading rule (include/seqnn/seqnn.h): separate contexts used from
# several threads at once give the same results as sequential use, and each
# thread sees its own last error. Included by tests/CMakeLists.txt;
# scripts/test-tsan.sh runs the same program under ThreadSanitizer.
add_executable(test_threads "${CMAKE_CURRENT_LIST_DIR}/test_threads.c")
target_link_libraries(test_threads PRIVATE seqnn Threads::Threads)
set_target_properties(test_threads PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/tests")
add_dependencies(test_threads seqnn-plugins)
add_test(NAME threads_separate_contexts COMMAND test_threads 4 3)
