# Tree layers (recursive networks): against a host evaluation of their
# equations on every plugin that runs here, and their refusals of bad trees
# (tests/test_tree.c); the recursive-network example through the CLI, a
# sample of examples/tree/run.sh (tests/examples/test_tree.sh). Their
# gradients are checked in tests/test_model_grad.c, the tree data format in
# tests/examples/test_data_lines.c. Included from tests/CMakeLists.txt.
add_executable(test_tree "${CMAKE_CURRENT_LIST_DIR}/test_tree.c")
target_link_libraries(test_tree PRIVATE seqnn m)
set_target_properties(test_tree PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/tests")
add_dependencies(test_tree seqnn-plugins)
add_test(NAME tree_layer COMMAND test_tree)

add_test(NAME example_tree COMMAND sh "${CMAKE_CURRENT_LIST_DIR}/examples/test_tree.sh" $<TARGET_FILE:seqnn-cli>
                                  "${PROJECT_SOURCE_DIR}/examples/tree" "${CMAKE_CURRENT_BINARY_DIR}/examples_tree")
