# The example partial plugin (plugins/partial) certified as partial: its
# kernels pass, the others are absent, counted apart; a wrong present kernel
# still fails (tests/test_partial_plugin.sh). Included by tests/CMakeLists.txt.
add_test(NAME plugin_partial_certification
         COMMAND sh "${CMAKE_CURRENT_SOURCE_DIR}/test_partial_plugin.sh" $<TARGET_FILE:seqnn-cli>
                 $<TARGET_FILE:seqnn-partial> $<TARGET_FILE:seqnn-partial-wrong>)
