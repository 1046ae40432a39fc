# The vendor plugin kit (docs/plugin-guide.md): install seqnn into a temporary prefix, build
# plugins/template out of tree against it (find_package and pkg-config), load
# it through SEQNN_PLUGIN_PATH and SEQNN_BACKEND=/path, certify it with
# reports. Included by tests/CMakeLists.txt; needs the whole build (plugins,
# CLI), which CTest runs after.
add_test(NAME plugin_kit_out_of_tree
         COMMAND sh "${CMAKE_CURRENT_SOURCE_DIR}/test_plugin_kit.sh" "${CMAKE_BINARY_DIR}"
                 "${PROJECT_SOURCE_DIR}" "${CMAKE_COMMAND}" "${CMAKE_C_COMPILER}")
set_tests_properties(plugin_kit_out_of_tree PROPERTIES TIMEOUT 900)
