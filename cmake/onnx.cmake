# ONNX import (frontend/onnx*.c), optional: with protobuf-c (Debian
# libprotobuf-c-dev, protobuf-c-compiler) and the onnx.proto of Debian's
# python3-onnx, onnx.proto is compiled to C at build time (protoc-c) and
# linked into libseqnn; without them seqnn_model_load_onnx() answers
# SEQNN_ERR_UNSUPPORTED. SEQNN_ONNX=OFF turns it off; SEQNN_ONNX_PROTO names
# another onnx.proto. Included by frontend/CMakeLists.txt; sets SEQNN_HAVE_ONNX.
option(SEQNN_ONNX "ONNX import (needs protobuf-c and onnx.proto)" ON)
set(SEQNN_ONNX_PROTO "/usr/lib/python3/dist-packages/onnx/onnx.proto" CACHE FILEPATH "onnx.proto to compile")
set(SEQNN_HAVE_ONNX OFF CACHE INTERNAL "ONNX import built")
if(NOT SEQNN_ONNX)
    message(STATUS "seqnn: ONNX import off (SEQNN_ONNX=OFF)")
else()
    find_package(PkgConfig QUIET)
    if(PkgConfig_FOUND)
        pkg_check_modules(PROTOBUF_C QUIET IMPORTED_TARGET libprotobuf-c)
    endif()
    find_program(SEQNN_PROTOC_C protoc-c)
    if(PROTOBUF_C_FOUND AND SEQNN_PROTOC_C AND EXISTS "${SEQNN_ONNX_PROTO}")
        set(SEQNN_HAVE_ONNX ON CACHE INTERNAL "ONNX import built")
    else()
        message(STATUS "seqnn: ONNX import off (needs libprotobuf-c-dev, protobuf-c-compiler and "
                       "${SEQNN_ONNX_PROTO} from python3-onnx: scripts/install-deps.sh onnx)")
    endif()
endif()
if(SEQNN_HAVE_ONNX)
    set(onnx_gen "${CMAKE_CURRENT_BINARY_DIR}/onnx-gen")
    get_filename_component(onnx_proto_dir "${SEQNN_ONNX_PROTO}" DIRECTORY)
    get_filename_component(onnx_proto_name "${SEQNN_ONNX_PROTO}" NAME_WE)
    add_custom_command(
        OUTPUT "${onnx_gen}/${onnx_proto_name}.pb-c.c" "${onnx_gen}/${onnx_proto_name}.pb-c.h"
        COMMAND ${CMAKE_COMMAND} -E make_directory "${onnx_gen}"
        COMMAND ${SEQNN_PROTOC_C} "--proto_path=${onnx_proto_dir}" "--c_out=${onnx_gen}" "${SEQNN_ONNX_PROTO}"
        DEPENDS "${SEQNN_ONNX_PROTO}"
        COMMENT "protoc-c ${SEQNN_ONNX_PROTO}")
    # Generated code: built without the project's warnings.
    add_library(seqnn_onnx_pb OBJECT "${onnx_gen}/${onnx_proto_name}.pb-c.c")
    set_source_files_properties("${onnx_gen}/${onnx_proto_name}.pb-c.c" PROPERTIES COMPILE_OPTIONS "-w")
    target_include_directories(seqnn_onnx_pb PRIVATE "${onnx_gen}")
    target_link_libraries(seqnn_onnx_pb PRIVATE PkgConfig::PROTOBUF_C)
    set_target_properties(seqnn_onnx_pb PROPERTIES C_VISIBILITY_PRESET hidden)
    target_sources(seqnn_frontend PRIVATE "${onnx_gen}/${onnx_proto_name}.pb-c.h")
    target_include_directories(seqnn_frontend PRIVATE "${onnx_gen}")
    target_compile_definitions(seqnn_frontend PRIVATE SEQNN_HAVE_ONNX=1)
    target_link_libraries(seqnn_frontend PRIVATE PkgConfig::PROTOBUF_C)
    foreach(lib seqnn seqnn_internal)
        target_link_libraries(${lib} PRIVATE seqnn_onnx_pb PkgConfig::PROTOBUF_C)
    endforeach()
endif()
