# Unit test of the model-file reader (frontend/modelfile.c, compiled into the
# library target `seqnn`): good and bad files, loading from disk, every
# ```model example of docs/model-files.md and every examples/*/*.seqnn file.
# Included from tests/CMakeLists.txt.
add_executable(test_modelfile "${CMAKE_CURRENT_LIST_DIR}/test_modelfile.c")
target_link_libraries(test_modelfile PRIVATE seqnn)
target_include_directories(test_modelfile PRIVATE "${PROJECT_SOURCE_DIR}/include")
add_dependencies(test_modelfile seqnn-ref)
file(GLOB modelfile_examples CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/examples/*/*.seqnn")
add_test(NAME modelfile COMMAND test_modelfile "${PROJECT_SOURCE_DIR}/docs/model-files.md" ${modelfile_examples})
set_tests_properties(modelfile PROPERTIES ENVIRONMENT "TMPDIR=${CMAKE_CURRENT_BINARY_DIR}")
