# Plugin loading hygiene (tests/test_hygiene.sh; docs/backends.md, "Discovery"):
# secure_getenv, refusal of plugin files and directories writable by others, no
# code from the current directory unless a path names it. The set-uid case runs
# hygiene_setuid_probe, which links only libc and loads libseqnn by path, from a
# fresh copy outside the build tree. Included by tests/CMakeLists.txt.
add_executable(hygiene_setuid_probe "${CMAKE_CURRENT_LIST_DIR}/hygiene_setuid_probe.c")
target_include_directories(hygiene_setuid_probe PRIVATE "${PROJECT_SOURCE_DIR}/include")
target_link_libraries(hygiene_setuid_probe PRIVATE ${CMAKE_DL_LIBS})
set_target_properties(hygiene_setuid_probe PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/tests")
add_dependencies(hygiene_setuid_probe seqnn seqnn-plugins)
add_test(NAME plugin_loading_hygiene
         COMMAND sh "${CMAKE_CURRENT_SOURCE_DIR}/test_hygiene.sh" $<TARGET_FILE:seqnn-cli>
                 "${CMAKE_BINARY_DIR}/tests/plugins/libseqnn-bad-off.so" "${CMAKE_CURRENT_BINARY_DIR}/hygiene"
                 $<TARGET_FILE:hygiene_setuid_probe> $<TARGET_FILE:seqnn>)
set_tests_properties(plugin_loading_hygiene PROPERTIES SKIP_RETURN_CODE 77)
