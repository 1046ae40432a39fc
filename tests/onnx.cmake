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

# ONNX export (frontend/onnx_export.c, `seqnn export`): tests/onnx/export.sh
# builds every model file of examples/ with a seed, exports it, re-imports
# it on ref and avx2 (tests/test_onnx_export.c: bitwise the same outputs),
# checks each file with onnx.checker and strict shape inference and runs it
# in tests/onnx/export_check.py's NumPy evaluation of the ONNX operators
# (recurrent ops also against torch.nn modules), then the CLI's errors.
add_executable(test_onnx_export "${CMAKE_CURRENT_LIST_DIR}/test_onnx_export.c")
target_link_libraries(test_onnx_export PRIVATE seqnn)
target_include_directories(test_onnx_export PRIVATE "${PROJECT_SOURCE_DIR}/include")
set_target_properties(test_onnx_export PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/tests")
add_dependencies(test_onnx_export seqnn-plugins)
file(GLOB onnx_export_models CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/examples/*/*.seqnn"
     "${CMAKE_CURRENT_LIST_DIR}/onnx/export_models/*.seqnn")
add_test(NAME onnx_export
         COMMAND sh "${CMAKE_CURRENT_LIST_DIR}/onnx/export.sh" $<TARGET_FILE:seqnn-cli> $<TARGET_FILE:test_onnx_export>
                 "${CMAKE_CURRENT_BINARY_DIR}/onnx_export_work" "$<IF:$<BOOL:${SEQNN_HAVE_ONNX}>,1,0>"
                 ${onnx_export_models})
set_tests_properties(onnx_export PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 300)
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
