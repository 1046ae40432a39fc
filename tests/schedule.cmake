# Learning-rate schedules, a new rate keeping the optimizer state, checkpoint
# resume mid-schedule, the model file's schedule/smoothing keys and per-target
# losses (tests/test_schedule.c), on the reference plugin. Included from
# tests/CMakeLists.txt.
add_executable(test_schedule "${CMAKE_CURRENT_LIST_DIR}/test_schedule.c")
target_link_libraries(test_schedule PRIVATE seqnn m)
set_target_properties(test_schedule PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/tests")
add_dependencies(test_schedule seqnn-plugins)
add_test(NAME lr_schedule COMMAND test_schedule WORKING_DIRECTORY "${CMAKE_BINARY_DIR}/tests")
add_test(NAME cli_lr_schedule COMMAND sh "${CMAKE_CURRENT_LIST_DIR}/test_cli_schedule.sh" $<TARGET_FILE:seqnn-cli>
                                      "${CMAKE_CURRENT_BINARY_DIR}/schedule_work")
