# Model graphs through the public API (tests/test_graph.c): stacks described
# as graphs are the same models, two inputs train and predict, misuse fails
# clearly. Included from tests/CMakeLists.txt.
add_executable(test_graph "${CMAKE_CURRENT_LIST_DIR}/test_graph.c")
target_link_libraries(test_graph PRIVATE seqnn m)
set_target_properties(test_graph PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/tests")
add_dependencies(test_graph seqnn-ref)
add_test(NAME model_graph COMMAND test_graph)
