# Unit test of the safetensors reader/writer (frontend/safetensors.c, compiled
# into the library target `seqnn`). Included from tests/CMakeLists.txt;
# expects the target `seqnn` to exist and include/ to be among its PUBLIC include
# directories (the test includes seqnn/safetensors.h and seqnn/seqnn.h).
add_executable(test_safetensors "${CMAKE_CURRENT_LIST_DIR}/test_safetensors.c")
target_link_libraries(test_safetensors PRIVATE seqnn)
target_include_directories(test_safetensors PRIVATE "${PROJECT_SOURCE_DIR}/include")
add_test(NAME safetensors COMMAND test_safetensors)
set_tests_properties(safetensors PROPERTIES ENVIRONMENT "TMPDIR=${CMAKE_CURRENT_BINARY_DIR}")
