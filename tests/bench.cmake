# `seqnn bench` smoke test: tiny shapes, output format only (bench/smoke_test.sh).
add_test(NAME bench_smoke
         COMMAND sh "${PROJECT_SOURCE_DIR}/bench/smoke_test.sh" $<TARGET_FILE:seqnn-cli>
                 "${CMAKE_BINARY_DIR}/tests/bench_smoke")
