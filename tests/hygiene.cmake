# Plugin loading hygiene (issue 7, docs/backends.md): secure_getenv, refusal
# of plugin files and directories writable by others, no code from the
# current directory unless a path names it. Included by tests/CMakeLists.txt.
add_test(NAME plugin_loading_hygiene
         COMMAND sh "${CMAKE_CURRENT_SOURCE_DIR}/test_hygiene.sh" $<TARGET_FILE:seqnn-cli>
                 "${CMAKE_BINARY_DIR}/tests/plugins/libseqnn-bad-off.so" "${CMAKE_CURRENT_BINARY_DIR}/hygiene")
set_tests_properties(plugin_loading_hygiene PROPERTIES SKIP_RETURN_CODE 77)
