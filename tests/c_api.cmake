# The C API example (examples/c-api): built with the library and run (it
# trains, checks its held-out accuracy, saves, reloads and compares); then
# built again as a user would, against an installation found by pkg-config
# with the run-time library path the docs give (test_c_api_pkgconfig.sh; in
# a sanitizer build the program is built with the same sanitizers, which
# must come first in its library list).
add_subdirectory("${PROJECT_SOURCE_DIR}/examples/c-api" "${CMAKE_BINARY_DIR}/examples/c-api")
add_dependencies(c-api-example seqnn-plugins)
add_test(NAME c_api_example COMMAND c-api-example "${CMAKE_CURRENT_BINARY_DIR}/c-api-example.safetensors")
add_test(NAME c_api_example_pkgconfig
         COMMAND sh "${CMAKE_CURRENT_LIST_DIR}/test_c_api_pkgconfig.sh" "${CMAKE_BINARY_DIR}"
                 "${PROJECT_SOURCE_DIR}/examples/c-api/main.c" "${CMAKE_CURRENT_BINARY_DIR}/c_api_pkgconfig"
                 "$<IF:$<BOOL:${SEQNN_SANITIZE}>,-fsanitize=address$<COMMA>undefined,-O2>")
set_tests_properties(c_api_example_pkgconfig PROPERTIES SKIP_RETURN_CODE 77)

# scripts/seqnn_torch.py: weights between PyTorch modules and seqnn
# checkpoints, both ways (skipped without /usr/bin/python3 + torch).
add_test(NAME seqnn_torch_weights
         COMMAND sh "${CMAKE_CURRENT_LIST_DIR}/test_seqnn_torch.sh" $<TARGET_FILE:seqnn-cli>
                 "${PROJECT_SOURCE_DIR}/scripts/seqnn_torch.py" "${CMAKE_CURRENT_BINARY_DIR}/seqnn_torch_work")
set_tests_properties(seqnn_torch_weights PROPERTIES SKIP_RETURN_CODE 77)
