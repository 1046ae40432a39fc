# The library boundary (tests/test_exports.sh): libseqnn.so exports exactly the
# functions the public headers declare with SEQNN_API, and the plugins built
# here import none of them. Included by tests/CMakeLists.txt.
set(export_plugins "")
foreach(p seqnn-ref seqnn-avx2 seqnn-avx512 seqnn-opencl)
    if(TARGET ${p})
        list(APPEND export_plugins $<TARGET_FILE:${p}>)
    endif()
endforeach()
add_test(NAME library_exports
         COMMAND sh "${CMAKE_CURRENT_SOURCE_DIR}/test_exports.sh" $<TARGET_FILE:seqnn>
                 "${PROJECT_SOURCE_DIR}/include" "${CMAKE_C_COMPILER}" "${CMAKE_CURRENT_BINARY_DIR}/exports"
                 ${export_plugins})
set_tests_properties(library_exports PROPERTIES SKIP_RETURN_CODE 77)
