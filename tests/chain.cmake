# Chains of devices (docs/backends.md, "Chains"): three partial test plugins
# (tests/plugins/partial_plugin.c) built into their own directory, so that no
# other test sees them; tests/test_chain.c holds the routing, the bad chains,
# the inconsistent plugin and the dispatch cost; test_backends_agree trains
# every model family on chains against the reference plugin. Included by
# tests/CMakeLists.txt.
set(chain_dir "${CMAKE_BINARY_DIR}/tests/chain")
foreach(mode IN ITEMS partial:1 liar:2 decliner:3)
    string(REPLACE ":" ";" parts "${mode}")
    list(GET parts 0 name)
    list(GET parts 1 number)
    add_library(seqnn-test${name} MODULE "${CMAKE_CURRENT_SOURCE_DIR}/plugins/partial_plugin.c")
    target_compile_definitions(seqnn-test${name} PRIVATE PARTIAL_MODE=${number})
    target_link_libraries(seqnn-test${name} PRIVATE seqnn_ref_f32 seqnn_host_device m)
    set_target_properties(seqnn-test${name} PROPERTIES PREFIX "lib" LIBRARY_OUTPUT_DIRECTORY "${chain_dir}"
        C_VISIBILITY_PRESET hidden)
endforeach()

add_executable(test_chain test_chain.c)
target_link_libraries(test_chain PRIVATE seqnn m)
set_target_properties(test_chain PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/tests")
add_dependencies(test_chain seqnn-testpartial seqnn-testliar seqnn-oldminor seqnn-plugins)
add_test(NAME chain_api COMMAND test_chain $<TARGET_FILE:seqnn-testpartial> $<TARGET_FILE:seqnn-testliar>
                                           $<TARGET_FILE:seqnn-oldminor>)

# Every model family of test_backends_agree trained on a chain against the
# reference plugin alone: step-1 gradients within the conformance budget, the
# loss curve within its budget. The partial plugin takes gemm and the
# recurrent layers, avx2 the rest; on POCL every kernel runs on opencl and
# avx2 stands behind it (tests/test_opencl_pocl.sh: a missing POCL skips, or
# fails where POCL is required).
if(TARGET seqnn-avx2)
    add_test(NAME chain_train_partial_avx2
             COMMAND test_backends_agree "$<TARGET_FILE:seqnn-testpartial>,avx2")
    if(TARGET seqnn-opencl)
        set(chain_ocl_plugin $<TARGET_FILE:seqnn-opencl>)
    else()
        set(chain_ocl_plugin none)
    endif()
    add_test(NAME chain_train_opencl_avx2
             COMMAND sh "${CMAKE_CURRENT_SOURCE_DIR}/test_opencl_pocl.sh" exec "${chain_ocl_plugin}"
                     $<TARGET_FILE:test_backends_agree> "opencl:Portable Computing Language,avx2")
    set_tests_properties(chain_train_opencl_avx2 PROPERTIES SKIP_RETURN_CODE 77)
endif()
add_dependencies(test_chain test_backends_agree)

# The main job's model through the CLI on testpartial,avx2 against ref alone.
if(TARGET seqnn-avx2)
    add_test(NAME chain_train_charlm
             COMMAND sh "${CMAKE_CURRENT_SOURCE_DIR}/test_chain_charlm.sh" $<TARGET_FILE:seqnn-cli>
                     $<TARGET_FILE:seqnn-testpartial> "${PROJECT_SOURCE_DIR}/examples/charlm/model.seqnn"
                     "${PROJECT_SOURCE_DIR}/docs" "${CMAKE_CURRENT_BINARY_DIR}/chain_charlm")
endif()

# Placement plans: the main job's model, an attention model and a conv model
# planned at build on each chain (the test partial plugin or the example one,
# plugins/partial, before avx2), the plan's copies, bytes and calls per
# device equal to what the chain measures over real steps of the same shape;
# a chain missing a kernel fails at build naming the layer
# (tests/test_chain_plan.c). On POCL, opencl leads and moves nothing.
add_executable(test_chain_plan test_chain_plan.c)
target_link_libraries(test_chain_plan PRIVATE seqnn)
set_target_properties(test_chain_plan PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/tests")
add_dependencies(test_chain_plan seqnn-testpartial seqnn-partial seqnn-oldminor seqnn-plugins)
if(TARGET seqnn-avx2)
    add_test(NAME chain_plan_partial_avx2
             COMMAND test_chain_plan "${PROJECT_SOURCE_DIR}/examples/charlm/model.seqnn"
                     --missing $<TARGET_FILE:seqnn-testpartial> $<TARGET_FILE:seqnn-oldminor>
                     "$<TARGET_FILE:seqnn-testpartial>,avx2" "$<TARGET_FILE:seqnn-partial>,avx2")
    add_test(NAME chain_plan_opencl_avx2
             COMMAND sh "${CMAKE_CURRENT_SOURCE_DIR}/test_opencl_pocl.sh" exec "${chain_ocl_plugin}"
                     $<TARGET_FILE:test_chain_plan> "${PROJECT_SOURCE_DIR}/examples/charlm/model.seqnn"
                     "opencl:Portable Computing Language,avx2")
    set_tests_properties(chain_plan_opencl_avx2 PROPERTIES SKIP_RETURN_CODE 77)
endif()

# `seqnn bench dispatch`: a chain's cost per call is measured and printed as a
# ratio (format only; timings are never checked).
add_test(NAME bench_dispatch
         COMMAND seqnn-cli bench dispatch --chain "$<TARGET_FILE:seqnn-testpartial>,ref" --calls 200 --reps 3)
set_tests_properties(bench_dispatch PROPERTIES PASS_REGULAR_EXPRESSION
    "gemm +runs on device 1 [^\n]*ratio chain/one device = [0-9.]+x\n1-element scale +runs on device 2 \\(ref\\)")

# Certification counts the calls a plugin's capability query declines; a
# plugin that declines every call is refused: each of its kernels fails.
add_test(NAME plugin_declines_everything
         COMMAND seqnn-cli conformance --plugin $<TARGET_FILE:seqnn-testdecliner> --kernel "^(gemm|rnn_forward)$")
set_tests_properties(plugin_declines_everything PROPERTIES PASS_REGULAR_EXPRESSION
    "FAIL +testdecliner gemm +0 of [0-9]+ checks failed: the capability query declined every call the suite made[^\n]*no bitstream loaded[^\n]*\n[^\n]*\nFAIL +testdecliner rnn_forward [^\n]*declined every call[^\n]*\n[^\n]*\nRESULT +testdecliner +partial: 3 of [0-9]+ kernels, 2 failed \\(0 passed, 2 failed, 0 absent; [0-9]+ checks declined\\)")
add_dependencies(test_chain seqnn-testdecliner)

# `seqnn plan` through the CLI (tests/test_chain_plan_cli.sh).
if(TARGET seqnn-avx2)
    add_test(NAME chain_plan_cli
             COMMAND sh "${CMAKE_CURRENT_SOURCE_DIR}/test_chain_plan_cli.sh" $<TARGET_FILE:seqnn-cli>
                     $<TARGET_FILE:seqnn-partial> "${PROJECT_SOURCE_DIR}/examples/charlm/model.seqnn"
                     "${CMAKE_CURRENT_BINARY_DIR}/chain_plan_cli")
endif()
