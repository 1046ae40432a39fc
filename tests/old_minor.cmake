# A plugin built for an older ABI minor version (a shorter vtable) still
# loads, reports its kernel count, and its missing kernels answer
# SEQNN_ERR_UNSUPPORTED without being called (docs/plugin-guide.md, "Versions
# and struct growth"). Included by tests/CMakeLists.txt. The plugin goes into
# its own directory so that no other test's SEQNN_PLUGIN_PATH sees it.
set(old_minor_dir "${CMAKE_BINARY_DIR}/tests/oldminor")
add_library(seqnn-oldminor MODULE "${CMAKE_CURRENT_SOURCE_DIR}/plugins/old_minor_plugin.c")
target_link_libraries(seqnn-oldminor PRIVATE seqnn_ref_f32 seqnn_host_device)
set_target_properties(seqnn-oldminor PROPERTIES PREFIX "lib" LIBRARY_OUTPUT_DIRECTORY "${old_minor_dir}"
    C_VISIBILITY_PRESET hidden)

add_executable(test_old_minor test_old_minor.c)
target_link_libraries(test_old_minor PRIVATE seqnn)
set_target_properties(test_old_minor PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/tests")
add_dependencies(test_old_minor seqnn-oldminor)

add_test(NAME plugin_old_minor_api COMMAND test_old_minor $<TARGET_FILE:seqnn-oldminor>)
# seqnn info shows its version, description and how many kernels it has: the
# 36 of ABI 1.0, partial
add_test(NAME plugin_old_minor_info
         COMMAND ${CMAKE_COMMAND} -E env SEQNN_PLUGIN_PATH=${old_minor_dir} SEQNN_BACKEND=oldminor
                 $<TARGET_FILE:seqnn-cli> info)
set_tests_properties(plugin_old_minor_info PROPERTIES
    PASS_REGULAR_EXPRESSION "loaded +oldminor +[^\n]*libseqnn-oldminor\\.so \\(version 0, ABI 1\\.0, 36/[0-9]+ kernels, partial\\)\n +test plugin built for an older ABI")
# certification: a partial plugin; the kernel it lacks (maxpool_lengths_forward,
# appended by ABI 1.1) is absent, counted apart from passed and failed
add_test(NAME plugin_old_minor_certification
         COMMAND $<TARGET_FILE:seqnn-cli> conformance --plugin $<TARGET_FILE:seqnn-oldminor>
                 --kernel "^(gemm|maxpool_lengths_forward)$")
set_tests_properties(plugin_old_minor_certification PROPERTIES
    PASS_REGULAR_EXPRESSION "PASS +oldminor +gemm [^\n]*\nABSENT +oldminor +maxpool_lengths_forward +the plugin does not implement it\nRESULT +oldminor +partial: 36 of [0-9]+ kernels, all passed [^\n]*\n1 passed, 0 failed, 1 absent\n")
