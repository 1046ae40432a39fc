# SEQNN_CHECK_NUMERICS: the first kernel producing NaN or infinity is named.
add_executable(test_numerics "${CMAKE_CURRENT_LIST_DIR}/test_numerics.c")
target_link_libraries(test_numerics PRIVATE seqnn m)
set_target_properties(test_numerics PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/tests")
add_dependencies(test_numerics seqnn-plugins)
add_test(NAME check_numerics COMMAND test_numerics)
