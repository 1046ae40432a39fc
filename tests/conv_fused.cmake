# The conv bank's fused kernel (conv1d_max_forward, ABI 1.3) against its
# three-call fallback: a plugin of ABI 1.2 (tests/plugins/minor2_plugin.c, the
# reference kernels) lacks the kernel, answers SEQNN_ERR_UNSUPPORTED for it
# without being called, and trains conv banks through the fallback to the
# same bits as the ref plugin through the fused kernel. Included by
# tests/CMakeLists.txt; the plugin gets a directory of its own.
set(minor2_dir "${CMAKE_BINARY_DIR}/tests/minor2")
add_library(seqnn-minor2 MODULE "${CMAKE_CURRENT_SOURCE_DIR}/plugins/minor2_plugin.c")
target_link_libraries(seqnn-minor2 PRIVATE seqnn_ref_f32 seqnn_host_device)
set_target_properties(seqnn-minor2 PROPERTIES PREFIX "lib" LIBRARY_OUTPUT_DIRECTORY "${minor2_dir}"
    C_VISIBILITY_PRESET hidden)

add_executable(test_conv_fused test_conv_fused.c)
target_link_libraries(test_conv_fused PRIVATE seqnn)
set_target_properties(test_conv_fused PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/tests")
add_dependencies(test_conv_fused seqnn-minor2 seqnn-ref)

add_test(NAME conv_fused_vs_unfused COMMAND test_conv_fused $<TARGET_FILE:seqnn-minor2> $<TARGET_FILE:seqnn-ref>)
