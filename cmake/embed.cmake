# seqnn_embed(OUTPUT <file.c> SYMBOL <prefix> FILES <f>...): generates, at build
# time, a C file holding each input file as a byte array plus a table
#   const seqnn_embedded_file <prefix>_files[]; const int <prefix>_count;
# with {name (file name without directory), data, size}. Used to embed OpenCL
# sources into the OpenCL plugin and golden data into the conformance suite.
set(SEQNN_EMBED_SCRIPT "${CMAKE_CURRENT_LIST_DIR}/embed_run.cmake")

function(seqnn_embed)
    cmake_parse_arguments(E "" "OUTPUT;SYMBOL" "FILES" ${ARGN})
    add_custom_command(
        OUTPUT "${E_OUTPUT}"
        COMMAND ${CMAKE_COMMAND} "-DOUTPUT=${E_OUTPUT}" "-DSYMBOL=${E_SYMBOL}"
                "-DFILES=${E_FILES}" -P "${SEQNN_EMBED_SCRIPT}"
        DEPENDS ${E_FILES} "${SEQNN_EMBED_SCRIPT}"
        COMMENT "Embedding ${E_SYMBOL}"
        VERBATIM)
endfunction()
