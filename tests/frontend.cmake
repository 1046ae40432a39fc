# Frontend tests: six models of every layer family trained on every backend agree
# with the reference plugin, in their step-1 gradients and their loss curves
# (test_backends_agree.c); the CLI end to end on a small text
# and its bad-input errors (test_cli.sh).
add_executable(test_backends_agree "${CMAKE_CURRENT_LIST_DIR}/test_backends_agree.c")
target_link_libraries(test_backends_agree PRIVATE seqnn m)
set_target_properties(test_backends_agree PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/tests")
add_dependencies(test_backends_agree seqnn-plugins)
add_test(NAME backends_agree COMMAND test_backends_agree)
set_tests_properties(backends_agree PROPERTIES SKIP_RETURN_CODE 77)

add_test(NAME cli_end_to_end COMMAND sh "${CMAKE_CURRENT_LIST_DIR}/test_cli.sh" $<TARGET_FILE:seqnn-cli>
                                        "${CMAKE_CURRENT_BINARY_DIR}/cli_work")

add_test(NAME train_kill_resume COMMAND sh "${CMAKE_CURRENT_LIST_DIR}/test_kill_resume.sh" $<TARGET_FILE:seqnn-cli>
                                         "${CMAKE_CURRENT_BINARY_DIR}/kill_work")

add_executable(test_vectors "${CMAKE_CURRENT_LIST_DIR}/test_vectors.c")
target_link_libraries(test_vectors PRIVATE seqnn)
set_target_properties(test_vectors PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/tests")
add_dependencies(test_vectors seqnn-plugins)
add_test(NAME word_vectors COMMAND test_vectors "${CMAKE_CURRENT_BINARY_DIR}")
