# Unit test of the model-file reader (frontend/modelfile.c, compiled into the
# library target `seqnn`): good and bad files, loading from disk, and every
# ```model example of docs/model-files.md. Included from tests/CMakeLists.txt.
add_executable(test_modelfile "${CMAKE_CURRENT_LIST_DIR}/test_modelfile.c")
target_link_libraries(test_modelfile PRIVATE seqnn)
target_include_directories(test_modelfile PRIVATE "${PROJECT_SOURCE_DIR}/include")
add_test(NAME modelfile COMMAND test_modelfile "${PROJECT_SOURCE_DIR}/docs/model-files.md")
set_tests_properties(modelfile PROPERTIES ENVIRONMENT "TMPDIR=${CMAKE_CURRENT_BINARY_DIR}")
