# Incremental decoding, beam search and sampling (tests/test_decode.c)
# against the teacher-forced forward, on the reference plugin and on the
# backend the selection picks (a SIMD plugin here). Included from
# tests/CMakeLists.txt; takes about a second.
add_executable(test_decode "${CMAKE_CURRENT_LIST_DIR}/test_decode.c")
target_link_libraries(test_decode PRIVATE seqnn m)
set_target_properties(test_decode PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/tests")
add_test(NAME decode_ref COMMAND test_decode ref)
add_test(NAME decode_selected COMMAND test_decode)
