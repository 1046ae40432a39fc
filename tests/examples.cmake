# Tests of examples/ and the CLI's line formats: the line-format reader
# (test_data_lines.c), the data generators (`seqnn data`), every example model
# file (parses and builds), the bit-reversal problems of the reference
# notes trained through the CLI with an accuracy threshold, and the
# question-answering example (two inputs) against its baselines. Included from
# tests/CMakeLists.txt; `ctest -R example` runs them.
add_executable(test_data_lines "${CMAKE_CURRENT_LIST_DIR}/examples/test_data_lines.c")
target_link_libraries(test_data_lines PRIVATE seqnn_cli_data)
set_target_properties(test_data_lines PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/tests")
file(MAKE_DIRECTORY "${CMAKE_CURRENT_BINARY_DIR}/examples_lines")
add_test(NAME example_data_lines COMMAND test_data_lines "${CMAKE_CURRENT_BINARY_DIR}/examples_lines")

add_executable(test_example_models "${CMAKE_CURRENT_LIST_DIR}/examples/test_example_models.c")
target_link_libraries(test_example_models PRIVATE seqnn)
target_include_directories(test_example_models PRIVATE "${PROJECT_SOURCE_DIR}/include")
set_target_properties(test_example_models PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/tests")
add_dependencies(test_example_models seqnn-plugins)
file(GLOB_RECURSE example_models CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/examples/*.seqnn")
add_test(NAME example_model_files COMMAND test_example_models ${example_models})

add_test(NAME example_datagen COMMAND sh "${CMAKE_CURRENT_LIST_DIR}/examples/test_datagen.sh"
                                    $<TARGET_FILE:seqnn-cli> "${CMAKE_CURRENT_BINARY_DIR}/examples_datagen")

foreach(p 1 2 3 4)
    add_test(NAME example_bits_problem${p}
             COMMAND sh "${CMAKE_CURRENT_LIST_DIR}/examples/test_bits.sh" $<TARGET_FILE:seqnn-cli>
                     "${PROJECT_SOURCE_DIR}/examples/bits" "${CMAKE_CURRENT_BINARY_DIR}/examples_bits${p}" ${p})
endforeach()

# examples/qa sampled (3000 examples, 12 epochs; examples/qa/run.sh runs the full 20000 and 25)
add_test(NAME example_qa
         COMMAND sh "${CMAKE_CURRENT_LIST_DIR}/examples/test_qa.sh" $<TARGET_FILE:seqnn-cli>
                 "${PROJECT_SOURCE_DIR}/examples/qa" "${CMAKE_CURRENT_BINARY_DIR}/examples_qa")
