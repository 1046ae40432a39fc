# seqnn_onnx_info's versioning (tests/test_onnx_info.c): callers of older and
# newer headers on a committed graph of the ONNX fuzz corpus (a GRU with a
# lengths input). Skipped (77) when libseqnn was built without ONNX import.
# Included by tests/CMakeLists.txt.
add_executable(test_onnx_info "${CMAKE_CURRENT_LIST_DIR}/test_onnx_info.c")
target_link_libraries(test_onnx_info PRIVATE seqnn)
set_target_properties(test_onnx_info PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/tests")
add_dependencies(test_onnx_info seqnn-plugins)
add_test(NAME onnx_info_versions
         COMMAND test_onnx_info "${PROJECT_SOURCE_DIR}/fuzz/corpus/onnx/gru_lengths.onnx")
set_tests_properties(onnx_info_versions PROPERTIES SKIP_RETURN_CODE 77)
