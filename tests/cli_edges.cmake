# The CLI's rough edges a new user meets: the progress line in an 80-column
# pseudo-terminal, model/data mismatches named at the start, output safety,
# `seqnn plot` input and output, --version/--help/"did you mean", environment
# warnings, a plugin named by path (test_cli_edges.sh; a few seconds).
add_test(NAME cli_rough_edges COMMAND sh "${CMAKE_CURRENT_LIST_DIR}/test_cli_edges.sh" $<TARGET_FILE:seqnn-cli>
                                      "${CMAKE_CURRENT_BINARY_DIR}/cli_edges_work")

# Percentages as the CLI prints them (cli_percent): 99.995% is not 100.00%.
add_executable(test_cli_percent "${CMAKE_CURRENT_LIST_DIR}/test_cli_percent.c")
target_link_libraries(test_cli_percent PRIVATE seqnn_cli_data)
set_target_properties(test_cli_percent PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/tests")
add_test(NAME cli_percent COMMAND test_cli_percent)
