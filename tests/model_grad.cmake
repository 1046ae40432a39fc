# Model-level gradient check (tests/test_model_grad.c): every layer kind and
# option of the frontend against finite differences on the reference plugin,
# training steps, determinism, padding invariance, attention weights and
# greedy translation. Included from tests/CMakeLists.txt. A white-box test: it
# includes the internal frontend header (frontend/fe.h) to reach fe_loss_and_grad
# and the gradients, which libseqnn.so does not export, so it links
# seqnn_internal, the static library of the same objects.
add_executable(test_model_grad "${CMAKE_CURRENT_LIST_DIR}/test_model_grad.c")
target_link_libraries(test_model_grad PRIVATE seqnn_internal m)
set_target_properties(test_model_grad PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/tests")
add_test(NAME model_grad COMMAND test_model_grad)
set_tests_properties(model_grad PROPERTIES TIMEOUT 600)
