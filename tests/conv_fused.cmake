# The conv bank's fused kernels (conv1d_max_forward and _backward, ABI 1.3)
# against their fallbacks: a plugin of ABI 1.2 (tests/plugins/minor2_plugin.c,
# the reference kernels) lacks both, answers SEQNN_ERR_UNSUPPORTED for them
# without being called, and trains conv banks through the three calls; one of
# 1.3 without the backward (nobwd_plugin.c) through the fused forward and the
# scatter; both to the same bits as the ref plugin through both fused
# kernels. Included by tests/CMakeLists.txt; the plugins get a directory of
# their own.
set(minor2_dir "${CMAKE_BINARY_DIR}/tests/minor2")
foreach(p minor2 nobwd)
    add_library(seqnn-${p} MODULE "${CMAKE_CURRENT_SOURCE_DIR}/plugins/${p}_plugin.c")
    target_link_libraries(seqnn-${p} PRIVATE seqnn_ref_f32 seqnn_host_device)
    set_target_properties(seqnn-${p} PROPERTIES PREFIX "lib" LIBRARY_OUTPUT_DIRECTORY "${minor2_dir}"
        C_VISIBILITY_PRESET hidden)
endforeach()

add_executable(test_conv_fused test_conv_fused.c)
target_link_libraries(test_conv_fused PRIVATE seqnn)
set_target_properties(test_conv_fused PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/tests")
add_dependencies(test_conv_fused seqnn-minor2 seqnn-nobwd seqnn-ref)

add_test(NAME conv_fused_vs_unfused COMMAND test_conv_fused $<TARGET_FILE:seqnn-minor2> $<TARGET_FILE:seqnn-nobwd>
                                         $<TARGET_FILE:seqnn-ref>)
