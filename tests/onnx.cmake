# ONNX import (frontend/onnx*.c, `seqnn import`): tests/onnx/onnx_models.py
# exports PyTorch models with torch.onnx.export at test time, imports them
# through tests/test_onnx_run.c and `seqnn import` on ref, avx2 and opencl and
# compares with PyTorch; unmappable graphs and broken files must be refused.
# Needs /usr/bin/python3 with torch (python3-torch) and a libseqnn built with
# ONNX import; skipped (77) otherwise, except under CI=true. Included by
# tests/CMakeLists.txt.
add_executable(test_onnx_run "${CMAKE_CURRENT_LIST_DIR}/test_onnx_run.c")
target_link_libraries(test_onnx_run PRIVATE seqnn)
target_include_directories(test_onnx_run PRIVATE "${PROJECT_SOURCE_DIR}/include")
set_target_properties(test_onnx_run PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/tests")
add_dependencies(test_onnx_run seqnn-plugins)
add_test(NAME onnx_import
         COMMAND sh "${CMAKE_CURRENT_LIST_DIR}/onnx/run.sh" "${CMAKE_CURRENT_LIST_DIR}/onnx/onnx_models.py"
                 $<TARGET_FILE:seqnn-cli> $<TARGET_FILE:test_onnx_run> "${CMAKE_CURRENT_BINARY_DIR}/onnx_work"
                 "$<IF:$<BOOL:${SEQNN_HAVE_ONNX}>,1,0>")
set_tests_properties(onnx_import PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 300)

# seqnn_model_set_state (the initial states of imported graphs) against a C
# reference, on each CPU plugin and opencl; needs no ONNX support.
add_executable(test_set_state "${CMAKE_CURRENT_LIST_DIR}/test_set_state.c")
target_link_libraries(test_set_state PRIVATE seqnn m)
target_include_directories(test_set_state PRIVATE "${PROJECT_SOURCE_DIR}/include")
set_target_properties(test_set_state PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/tests")
add_dependencies(test_set_state seqnn-plugins)
foreach(backend ref avx2 opencl)
    add_test(NAME set_state_${backend} COMMAND test_set_state ${backend})
    set_tests_properties(set_state_${backend} PROPERTIES SKIP_RETURN_CODE 77)
endforeach()
