# PyTorch interoperability (tests/test_interop.c,
# tests/interop/torch_models.py). Included from tests/CMakeLists.txt.
#   interop_from_torch: loads the committed PyTorch state_dicts
#     (tests/interop/data, read at run time from the source tree) on every
#     plugin, compares outputs, loss, gradients and torch.optim steps; writes
#     seqnn checkpoints + io files into interop_work (fixture interop_files).
#   interop_torch_check: PyTorch loads those checkpoints and compares
#     (/usr/bin/python3 with Debian's python3-torch; skipped with 77 when torch
#     is missing, a failure instead when CI=true).
#   checkpoint_bad_input: bad checkpoints give clear errors and change nothing.
add_executable(test_interop "${CMAKE_CURRENT_LIST_DIR}/test_interop.c")
target_link_libraries(test_interop PRIVATE seqnn m)
target_include_directories(test_interop PRIVATE "${PROJECT_SOURCE_DIR}/include")
target_compile_definitions(test_interop PRIVATE SEQNN_INTEROP_DATA="${CMAKE_CURRENT_LIST_DIR}/interop/data"
                           SEQNN_INTEROP_MODELS="${CMAKE_CURRENT_LIST_DIR}/interop/models")
set_target_properties(test_interop PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/tests")
add_dependencies(test_interop seqnn-plugins)

set(SEQNN_INTEROP_WORK "${CMAKE_CURRENT_BINARY_DIR}/interop_work")
file(MAKE_DIRECTORY "${SEQNN_INTEROP_WORK}")
add_test(NAME interop_from_torch COMMAND test_interop "${SEQNN_INTEROP_WORK}")
set_tests_properties(interop_from_torch PROPERTIES FIXTURES_SETUP interop_files TIMEOUT 300)

add_test(NAME interop_torch_check
         COMMAND sh "${CMAKE_CURRENT_LIST_DIR}/interop/check.sh" "${CMAKE_CURRENT_LIST_DIR}/interop/torch_models.py"
                 "${SEQNN_INTEROP_WORK}")
set_tests_properties(interop_torch_check PROPERTIES FIXTURES_REQUIRED interop_files SKIP_RETURN_CODE 77
                     TIMEOUT 300)

add_executable(test_checkpoint "${CMAKE_CURRENT_LIST_DIR}/test_checkpoint.c")
target_link_libraries(test_checkpoint PRIVATE seqnn m)
target_include_directories(test_checkpoint PRIVATE "${PROJECT_SOURCE_DIR}/include")
set_target_properties(test_checkpoint PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/tests")
add_dependencies(test_checkpoint seqnn-plugins)
add_test(NAME checkpoint_bad_input COMMAND test_checkpoint "${CMAKE_CURRENT_BINARY_DIR}/checkpoint_work")
