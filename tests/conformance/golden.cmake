# Golden PyTorch checks (tests/conformance/golden.c) and their data, embedded
# into the conformance library at build time so that the suite needs neither
# PyTorch nor the source tree at run time.
# Included from tests/conformance/CMakeLists.txt. Expects:
#   - the target seqnn_conformance (a library) to exist already; it must link
#     `seqnn` (golden.c uses seqnn/safetensors.h, compiled into libseqnn from
#     frontend/safetensors.c);
#   - the function seqnn_embed() (cmake/embed.cmake, included at top level);
#   - PROJECT_SOURCE_DIR: the golden files are ${PROJECT_SOURCE_DIR}/tests/golden/*.safetensors
#     (regenerate them with tests/golden/generate.py, see tests/golden/README.md).
# Defines SEQNN_GOLDEN_FILES (the list embedded) and generates
# ${CMAKE_CURRENT_BINARY_DIR}/golden_data.c (symbol prefix seqnn_golden).
file(GLOB SEQNN_GOLDEN_FILES CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/tests/golden/*.safetensors")
list(SORT SEQNN_GOLDEN_FILES)
if(NOT SEQNN_GOLDEN_FILES)
    message(FATAL_ERROR "no golden files in ${PROJECT_SOURCE_DIR}/tests/golden (run tests/golden/generate.py)")
endif()
seqnn_embed(OUTPUT "${CMAKE_CURRENT_BINARY_DIR}/golden_data.c" SYMBOL seqnn_golden
            FILES ${SEQNN_GOLDEN_FILES})
target_sources(seqnn_conformance PRIVATE "${CMAKE_CURRENT_LIST_DIR}/golden.c"
               "${CMAKE_CURRENT_BINARY_DIR}/golden_data.c")
target_include_directories(seqnn_conformance PRIVATE "${PROJECT_SOURCE_DIR}/cmake")
